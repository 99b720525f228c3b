"""Turn ftrack query expressions into :mod:`ftrack_local.query.ast` nodes.

The grammar is built once, at import, with pyparsing. It has two layers:

* fast paths: the common, flat pieces of an expression are each matched by
  one regular expression, which is far cheaper than walking pyparsing
  elements token by token. They cover the ``select … from T`` head, the
  ``offset``/``limit`` tail, and criteria made of simple conditions (plus
  one level of parentheses) joined by ``and``/``or``;
* the token-by-token grammar, used for everything else (sub-queries,
  ``has``/``any`` with criteria, deep nesting) and whenever a fast path
  does not match. After a keyword it requires the rest of its clause
  (pyparsing's ``-``), so errors are reported where they happen.

Both layers accept the same language with the same result; the unit tests
compare them (``_build_grammar(fast=False)`` builds the reference).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, List, NamedTuple, Tuple

import pyparsing as pp

from ..errors import ParseError
from . import ast

__all__ = ["parse", "parse_uncached"]

# -- tokens ------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# A step of a path: an attribute name, optionally cast to an entity type
# (``parent[Shot]``).
_STEP = r"{0}(?:\[\s*{0}\s*\])?".format(_NAME)
_PATH = r"{0}(?:\.{0})*".format(_STEP)

# Words that can never be an entity type in "TYPE where …" form.
_RESERVED = ("select", "from", "where", "order", "offset", "limit",
             "and", "or", "not")
_TYPE = r"(?!(?i:{0})\b){1}\b".format("|".join(_RESERVED), _NAME)
_PROJECTION = r"(?!(?i:from)\b){0}".format(_PATH)
# A condition cannot start with a conjunction keyword.
_CONDITION_PATH = r"(?!(?i:and|or|not)\b){0}".format(_PATH)

# A value: quoted or a bare word. Inside quotes a backslash and the
# character after it never end the value (``"a \"b\""``, ``'it\'s'``; see
# _ESCAPE_RE for what they stand for). A bare word cannot start with
# an operator character, and the lookahead stops regex backtracking from
# splitting it (so "xand" is never read as "x" followed by "and").
_QUOTED = r"""(?:"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*')"""
_VALUE = (r"""(?:{0}|[^\s"'(),=<>!][^\s"'(),]*(?![^\s"'(),]))""".format(_QUOTED))
# Escapes that stand for one character inside a quoted value; any other
# backslash is kept as written (``"C:\temp"``, ``like "50\%"``).
_ESCAPE_RE = re.compile(r"""\\(["'\\])""")

_SCALAR_OPERATOR = (
    r"(?:(?i:is_not|is|after|greater_than|before|less_than|not_like|like)\b"
    r"|!=|>=|<=|=|>|<)"
)
_IN_OPERATOR = r"(?i:not_in|in)\b"

# Every spelling of a comparison operator and its normalised form.
_OPERATORS = {
    "is": "=", "=": "=",
    "is_not": "!=", "!=": "!=",
    ">": ">", "after": ">", "greater_than": ">",
    "<": "<", "before": "<", "less_than": "<",
    ">=": ">=", "<=": "<=",
    "like": "like", "not_like": "not_like",
    "in": "in", "not_in": "not_in",
}


def _simple_condition(named: bool) -> str:
    """Return a regex for one condition without nested criteria.

    That is ``[not] path op value``, ``[not] path [not_]in (values)`` or
    ``[not] path has|any ()``.
    """
    def group(name: str, body: str) -> str:
        return "(?P<{0}>{1})".format(name, body) if named else "(?:{0})".format(body)

    values = r"{0}(?:\s*,\s*{0})*".format(_VALUE)
    return (
        r"(?:{negated}\s*)?{path}(?![\w\[])\s*(?:{op}\s*{value}"
        r"|{in_op}\s*\(\s*(?!(?i:select)\b){values}?\s*\)"
        r"|{related}\s*\(\s*\))"
    ).format(negated=group("negated", r"(?i:not)\b"), path=group("path", _CONDITION_PATH),
             op=group("op", _SCALAR_OPERATOR), value=group("value", _VALUE),
             in_op=group("in_op", _IN_OPERATOR), values=group("values", values),
             related=group("related", r"(?i:has|any)\b"))


# Fast path regexes (see module docstring). A chain holds conditions joined
# by "and" only, so it can sit inside a larger conjunction. Fast criteria are
# conditions and one level of parenthesised groups joined by "and"/"or", and
# must be followed by the end of the criteria.
_CONDITION = _simple_condition(False)
_GROUP = r"\(\s*{0}(?:\s*(?i:and|or)\b\s*{0})*\s*\)".format(_CONDITION)
_ITEM = r"(?:{0}|{1})".format(_GROUP, _CONDITION)
_FAST_CHAIN = r"{0}(?:\s*(?i:and)\b\s*{0})*".format(_CONDITION)
_FAST_CRITERIA = (
    r"{0}(?:\s*(?i:and|or)\b\s*{0})*(?=\s*(?:\)|$|(?i:order|offset|limit)\b))"
    .format(_ITEM)
)
_RUN_ITEM_RE = re.compile(
    r"\s*(?:(?P<joiner>(?i:and|or))\b\s*)?(?:(?P<group>{0})|{1})"
    .format(_GROUP, _simple_condition(True)))
_FAST_SELECT = (
    r"(?i:select)\s+(?P<projections>{0}(?:\s*,\s*{0})*)\s+(?i:from)\s+(?P<type>{1})"
    .format(_PROJECTION, _TYPE)
)
_FAST_PAGING = (
    r"(?<![\w$])(?i:offset\s+(?P<offset>\d+)(?:\s+limit\s+(?P<limit>\d+))?"
    r"|limit\s+(?P<limit2>\d+)(?:\s+offset\s+(?P<offset2>\d+))?)(?![\w$])"
)
_VALUE_RE = re.compile(_VALUE)


@dataclass(frozen=True)
class _Clause:
    """A parsed query clause waiting to be assembled into an ast.Query."""

    kind: str
    value: Any


# -- parse actions -----------------------------------------------------------

def _path(text: str) -> ast.Path:
    if "[" in text:  # casts may hold spaces: "parent[ Shot ]"
        text = re.sub(r"\s+", "", text)
    return tuple(text.strip().split("."))


def _literal(text: str) -> ast.Literal:
    """Return the Literal for a value token as written in the expression."""
    if text[0] in "\"'":
        inner = text[1:-1]
        if "\\" in inner:
            inner = _ESCAPE_RE.sub(r"\1", inner)
        return ast.Literal(inner, quoted=True)
    return ast.Literal(text, quoted=False)


def _nodes(tokens: pp.ParseResults) -> List[Any]:
    """Return *tokens* without keyword strings."""
    return [token for token in tokens if not isinstance(token, str)]


def _to_path(tokens: pp.ParseResults) -> List[ast.Path]:
    return [_path(tokens[0])]


def _to_literal(tokens: pp.ParseResults) -> ast.Literal:
    return _literal(tokens[0])


def _to_literal_list(tokens: pp.ParseResults) -> List[Tuple[ast.Literal, ...]]:
    return [tuple(tokens[0])]


def _to_condition(tokens: pp.ParseResults) -> ast.Criteria:
    path, operator = tokens[0], tokens[1]
    if operator in ("has", "any"):
        criteria = tokens[2] if len(tokens) > 2 else None
        return ast.Related(path, operator, criteria)
    return ast.Comparison(path, _OPERATORS[operator.lower()], tokens[2])


def _run_condition(match: "re.Match[str]") -> ast.Criteria:
    """Return the node for one condition matched by ``_RUN_ITEM_RE``."""
    path = _path(match.group("path"))
    if match.group("op") is not None:
        node = ast.Comparison(path, _OPERATORS[match.group("op").lower()],
                              _literal(match.group("value")))
    elif match.group("in_op") is not None:
        values = _VALUE_RE.findall(match.group("values") or "")
        node = ast.Comparison(path, _OPERATORS[match.group("in_op").lower()],
                              tuple(_literal(text) for text in values))
    else:
        node = ast.Related(path, match.group("related").lower(), None)
    return ast.Not(node) if match.group("negated") else node


def _scan_run(text: str) -> List[List[ast.Criteria]]:
    """Split text matched by a fast regex into "or"-separated operand lists."""
    alternatives: List[List[ast.Criteria]] = [[]]
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _RUN_ITEM_RE.match(text, position)
        position = match.end()
        if (match.group("joiner") or "").lower() == "or":
            alternatives.append([])
        if match.group("group") is not None:
            node = _from_alternatives(_scan_run(match.group("group")[1:-1]))
        else:
            node = _run_condition(match)
        alternatives[-1].append(node)
    return alternatives


def _combine(node_type: type, operands: List[ast.Criteria]) -> ast.Criteria:
    return operands[0] if len(operands) == 1 else node_type(tuple(operands))


def _from_alternatives(alternatives: List[List[ast.Criteria]]) -> ast.Criteria:
    return _combine(ast.Or, [_combine(ast.And, operands) for operands in alternatives])


def _from_fast_chain(tokens: pp.ParseResults) -> List[ast.Criteria]:
    return _scan_run(tokens[0])[0]


def _from_fast_criteria(tokens: pp.ParseResults) -> ast.Criteria:
    return _from_alternatives(_scan_run(tokens[0]))


def _from_fast_select(tokens: pp.ParseResults) -> List[Any]:
    match = tokens[0]
    paths = tuple(_path(text) for text in match.group("projections").split(","))
    return [_Clause("projections", paths), match.group("type")]


def _from_fast_paging(tokens: pp.ParseResults) -> List[_Clause]:
    match = tokens[0]
    clauses = []
    for kind in ("offset", "limit"):
        text = match.group(kind) or match.group(kind + "2")
        if text is not None:
            clauses.append(_Clause(kind, int(text)))
    return clauses


def _to_not(tokens: pp.ParseResults) -> List[ast.Criteria]:
    # A fast chain after "not" yields several comparisons; "not" binds
    # tighter than "and", so it only applies to the first of them.
    return [ast.Not(tokens[1])] + list(tokens[2:])


def _to_and(tokens: pp.ParseResults) -> ast.Criteria:
    return _combine(ast.And, _nodes(tokens))


def _to_or(tokens: pp.ParseResults) -> ast.Criteria:
    return _combine(ast.Or, _nodes(tokens))


def _to_order(tokens: pp.ParseResults) -> ast.Order:
    descending = len(tokens) > 1 and tokens[1] == "descending"
    return ast.Order(tokens[0], descending)


def _clause(kind: str, many: bool = False) -> Callable[[pp.ParseResults], _Clause]:
    """Return a parse action wrapping the tokens in a _Clause of *kind*."""

    def action(tokens: pp.ParseResults) -> _Clause:
        return _Clause(kind, tuple(tokens) if many else tokens[0])

    return action


def _to_query(tokens: pp.ParseResults) -> ast.Query:
    fields = {}
    for token in tokens:
        if isinstance(token, _Clause):
            fields[token.kind] = token.value
        else:
            fields["entity_type"] = token
    return ast.Query(**fields)


# -- grammar -----------------------------------------------------------------

def _keyword(word: str) -> pp.ParserElement:
    return pp.CaselessKeyword(word).set_name("'{0}'".format(word))


def _suppressed(word: str) -> pp.ParserElement:
    return pp.Suppress(_keyword(word))


def _punctuation(char: str) -> pp.ParserElement:
    return pp.Suppress(pp.Literal(char)).set_name("'{0}'".format(char))


def _regex(pattern: str, name: str, action: Callable, as_match: bool = False) -> pp.ParserElement:
    return pp.Regex(pattern, as_match=as_match).set_name(name).set_parse_action(action)


def _build_criteria(subquery: pp.ParserElement, fast: bool) -> pp.ParserElement:
    """Build the parser for the criteria after ``where``."""
    lpar, rpar, comma = (_punctuation(c) for c in "(),")
    and_, or_, not_ = (_keyword(w) for w in ("and", "or", "not"))
    related_operator = _keyword("has") | _keyword("any")

    path = _regex(_CONDITION_PATH, "a condition", _to_path)
    value = _regex(_VALUE, "a value", _to_literal)
    in_operator = pp.Regex(_IN_OPERATOR).set_name("an operator")
    scalar_operator = pp.Regex(_SCALAR_OPERATOR).set_name("an operator")

    criteria = pp.Forward().set_name("criteria")
    literal_list = pp.Group(pp.Optional(value + pp.ZeroOrMore(comma - value)))
    literal_list.set_parse_action(_to_literal_list)
    in_value = (lpar - (subquery | literal_list) - rpar).set_name("'('")
    tail = (
        (in_operator - in_value)
        | (scalar_operator - value)
        | (related_operator - lpar - pp.Optional(criteria) - rpar)
    ).set_name("an operator")
    condition = (path - tail).set_parse_action(_to_condition)

    group = lpar - criteria - rpar
    unary = pp.Forward().set_name("a condition")
    negation = (not_ - unary).set_parse_action(_to_not)
    unary_forms = [group, negation, condition]
    if fast:
        unary_forms.insert(0, _regex(_FAST_CHAIN, "a condition", _from_fast_chain))
    unary <<= pp.MatchFirst(unary_forms).set_name("a condition")
    conjunction = (unary + pp.ZeroOrMore(and_ - unary)).set_parse_action(_to_and)
    slow_criteria = (conjunction + pp.ZeroOrMore(or_ - conjunction))
    slow_criteria.set_parse_action(_to_or).set_name("a condition")
    if fast:
        fast_criteria = _regex(_FAST_CRITERIA, "a condition", _from_fast_criteria)
        criteria <<= (fast_criteria | slow_criteria).set_name("a condition")
    else:
        criteria <<= slow_criteria
    return criteria


def _build_grammar(fast: bool = True) -> pp.ParserElement:
    """Build the parser for a whole expression.

    With *fast* false the regex fast paths are left out; the result accepts
    the same language and is used by the tests as a reference.
    """
    comma = _punctuation(",")
    select, from_, where, order, by, offset, limit = (
        _suppressed(w) for w in ("select", "from", "where", "order", "by",
                                 "offset", "limit"))
    direction = _keyword("ascending") | _keyword("descending")
    path = _regex(_PATH, "a name", _to_path)
    entity_type = pp.Regex(_TYPE).set_name("an entity type")
    integer = _regex(r"\d+", "a non-negative integer", lambda t: int(t[0]))
    subquery = pp.Forward().set_name("a sub-query")
    criteria = _build_criteria(subquery, fast)

    projection = _regex(_PROJECTION, "a name", _to_path)
    projections = (projection + pp.ZeroOrMore(comma - projection))
    projections.set_parse_action(_clause("projections", many=True))
    select_part = select - projections - from_ - entity_type

    where_part = (where - criteria).set_parse_action(_clause("criteria"))
    order_item = (path + pp.Optional(direction)).set_parse_action(_to_order)
    order_part = order - by - order_item + pp.ZeroOrMore(comma - order_item)
    order_part.set_parse_action(_clause("order", many=True))
    offset_part = (offset - integer).set_parse_action(_clause("offset"))
    limit_part = (limit - integer).set_parse_action(_clause("limit"))
    paging = ((offset_part + pp.Optional(limit_part))
              | (limit_part + pp.Optional(offset_part)))
    if fast:
        select_part = _regex(_FAST_SELECT, "'select'", _from_fast_select,
                             as_match=True) | select_part
        paging = _regex(_FAST_PAGING, "'offset' or 'limit'", _from_fast_paging,
                        as_match=True) | paging
    clauses = (pp.Optional(where_part) + pp.Optional(order_part)
               + pp.Optional(paging))

    subquery <<= (select_part + clauses).set_parse_action(_to_query)
    start = (select_part | entity_type).set_name("'select' or an entity type")
    query = (start + clauses).set_parse_action(_to_query)
    return query + pp.StringEnd().set_name("end of query")


_GRAMMAR = _build_grammar()


# -- public API --------------------------------------------------------------

#: Characters of an expression quoted in an error message.
QUOTED_LENGTH = 1000


def _quoted(expression: str) -> str:
    """*expression* for an error message, shortened when long."""
    if len(expression) <= QUOTED_LENGTH:
        return expression
    return "{0}...({1} characters)".format(expression[:QUOTED_LENGTH], len(expression))


def _describe(expression: str, exc: pp.ParseBaseException) -> str:
    """Return a readable reason for *exc* raised while parsing *expression*."""
    loc = exc.loc
    char = expression[loc:loc + 1]
    if char in ("\"", "'") and re.match(_QUOTED, expression[loc:]) is None:
        reason = "unclosed quote at position {0}".format(loc)
    else:
        expected = exc.msg[:1].lower() + exc.msg[1:]
        found = re.match(r"\S{1,20}", expression[loc:])
        reason = "{0} at position {1} (found {2})".format(
            expected, loc, "'{0}'".format(found.group()) if found else "end of query")
    return "Could not parse query '{0}': {1}".format(_quoted(expression), reason)


def parse_uncached(expression: str) -> ast.Query:
    """Parse *expression* into an :class:`ast.Query`, raising ParseError if invalid."""
    if not isinstance(expression, str):
        raise ParseError("Could not parse query {0!r}: expected a string".format(expression))
    if not expression.strip():
        raise ParseError("Could not parse query '{0}': the expression is empty".format(expression))
    try:
        query = _GRAMMAR.parse_string(expression)[0]
    except pp.ParseBaseException as exc:
        raise ParseError(_describe(expression, exc)) from None
    except RecursionError:
        raise ParseError(
            "Could not parse query '{0}': nested too deeply".format(_quoted(expression))) from None
    for kind in ("offset", "limit"):
        value = getattr(query, kind)
        if value is not None and value > MAX_PAGING_VALUE:
            raise ParseError("Could not parse query '{0}': {1} {2} is larger than {3}".format(
                _quoted(expression), kind, value, MAX_PAGING_VALUE))
    return query


#: The largest offset or limit a query may give (what a 64-bit integer holds).
MAX_PAGING_VALUE = 2 ** 63 - 1

#: Longest expression whose parse is cached; longer ones are parsed each time.
CACHE_MAX_EXPRESSION = 4096
#: Characters of expression text the cache holds at most, all entries together.
CACHE_MAX_TEXT = 2 * 1024 * 1024


class _CacheInfo(NamedTuple):
    hits: int
    misses: int
    entries: int
    characters: int


class _ParseCache:
    """Parsed queries by expression, least recently used first out.

    Bounded by the text it holds rather than by entries, and long
    expressions are never kept, so no request can make it grow large.
    """

    def __init__(self, max_expression: int, max_text: int) -> None:
        self.max_expression = max_expression
        self.max_text = max_text
        self._entries: "OrderedDict[str, ast.Query]" = OrderedDict()
        self._characters = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, expression: str) -> ast.Query:
        if len(expression) > self.max_expression:
            return parse_uncached(expression)
        with self._lock:
            query = self._entries.get(expression)
            if query is not None:
                self._entries.move_to_end(expression)
                self._hits += 1
                return query
            self._misses += 1
        query = parse_uncached(expression)
        with self._lock:
            if expression not in self._entries:
                self._entries[expression] = query
                self._characters += len(expression)
                while self._characters > self.max_text:
                    evicted, _ = self._entries.popitem(last=False)
                    self._characters -= len(evicted)
        return query

    def info(self) -> _CacheInfo:
        with self._lock:
            return _CacheInfo(self._hits, self._misses, len(self._entries), self._characters)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._characters = self._hits = self._misses = 0


_CACHE = _ParseCache(CACHE_MAX_EXPRESSION, CACHE_MAX_TEXT)


def parse(expression: str) -> ast.Query:
    """Parse *expression* into an :class:`ast.Query`, caching results per text.

    Raises :class:`ftrack_local.errors.ParseError` when the text is not a
    valid query; the message quotes the text and the failing position.
    """
    if not isinstance(expression, str):
        return parse_uncached(expression)
    return _CACHE.get(expression)


parse.cache_info = _CACHE.info  # type: ignore[attr-defined]
parse.cache_clear = _CACHE.clear  # type: ignore[attr-defined]
