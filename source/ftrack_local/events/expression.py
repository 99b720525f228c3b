"""Subscription and target expressions, as the event server routes with them.

An expression tests a nested mapping: the event for a subscription, the
subscriber metadata for an event target.

* A condition is ``key op value``: *key* a dotted path (``source.user.username``),
  *op* one of ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, *value* a bare word
  (letters, digits and ``-_,./*@+:``) or text in ``"…"`` or ``'…'``.
* ``and``, ``or`` and ``not`` in any letter case, with parentheses;
  ``not`` binds tighter than ``and``, ``and`` tighter than ``or``.
* A condition whose key path is missing is false, whatever its operator.
* Values compare as text (``str()`` of the candidate). ``=``/``!=`` also treat
  two numbers as equal when they are numerically equal, and booleans match
  ``true``/``false`` in any case; the ordering operators compare numerically
  when both sides are numbers and as text otherwise.
* With ``=``, a value ending in ``*`` matches any candidate containing the text
  before the ``*`` (a substring test, so every prefix match is included);
  a lone ``*`` matches any present value.

The server routes generously: a subscriber's own client filters again before
calling handlers, so matching a little more than a client would is harmless
while matching less would lose events.

:func:`parse` returns a compiled :class:`Expression` (cached by text); calling
it with a candidate mapping returns whether it matches. Bad text raises
:class:`ExpressionError`, a :class:`ValueError`.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from typing import Any, Callable, FrozenSet, List, Optional, Tuple

import pyparsing as pp

Matcher = Callable[[Any], bool]

_MISSING = object()
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_ORDERING = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


class ExpressionError(ValueError):
    """An expression that cannot be parsed."""


# -- tree ------------------------------------------------------------------------

class Condition:
    """``key op value``."""

    __slots__ = ("path", "op", "value")

    def __init__(self, key: str, op: str, value: str) -> None:
        self.path = tuple(key.split("."))
        self.op = op
        self.value = value

    def __repr__(self) -> str:
        return "Condition({0!r} {1} {2!r})".format(".".join(self.path), self.op, self.value)


class All:
    """Matches when every one of *items* matches."""
    __slots__ = ("items",)

    def __init__(self, items: List[Any]) -> None:
        self.items = tuple(items)


class AnyOf:
    """Matches when at least one of *items* matches."""
    __slots__ = ("items",)

    def __init__(self, items: List[Any]) -> None:
        self.items = tuple(items)


class Not:
    """Matches when *item* does not."""
    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


# -- grammar -----------------------------------------------------------------------

def _build_grammar() -> pp.ParserElement:
    key = pp.Regex(r"[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*").set_name("key")
    op = pp.Regex(r"!=|<=|>=|=|<|>").set_name("operator")
    quoted = pp.QuotedString('"') | pp.QuotedString("'")
    bare = pp.Regex(r"[A-Za-z0-9_\-,./*@+:]+")
    value = (quoted | bare).set_name("value")
    condition = (key + op + value).set_parse_action(lambda t: Condition(t[0], t[1], t[2]))
    condition.set_name("condition")

    and_, or_, not_ = (pp.Suppress(pp.CaselessKeyword(w)) for w in ("and", "or", "not"))
    expression = pp.Forward()
    atom = condition | (pp.Suppress("(") + expression + pp.Suppress(")"))
    negation = pp.Forward()
    negation <<= (not_ + negation).set_parse_action(lambda t: Not(t[0])) | atom
    conjunction = (negation + pp.ZeroOrMore(and_ + negation)).set_parse_action(
        lambda t: All(list(t)) if len(t) > 1 else t[0])
    disjunction = (conjunction + pp.ZeroOrMore(or_ + conjunction)).set_parse_action(
        lambda t: AnyOf(list(t)) if len(t) > 1 else t[0])
    expression <<= disjunction
    return expression + pp.StringEnd()


_GRAMMAR = _build_grammar()


# -- compiled form ----------------------------------------------------------------------

class Expression:
    """A parsed expression: ``expression(candidate) -> bool``.

    *topics* is the set of exact topics an event must have to match (when
    the expression requires one, e.g. ``topic=a and data.x=1``), else None;
    the hub indexes subscribers by it.
    """

    __slots__ = ("text", "tree", "match", "topics")

    def __init__(self, text: str, tree: Any) -> None:
        self.text = text
        self.tree = tree
        self.match: Matcher = _compile(tree)
        self.topics: Optional[FrozenSet[str]] = required_topics(tree)

    def __call__(self, candidate: Any) -> bool:
        return self.match(candidate)

    def __repr__(self) -> str:
        return "<Expression {0!r}>".format(self.text)


#: Longest expression kept in the parse cache: the cache holds at most
#: 4096 expressions, so at most 8 MiB of their text.
CACHEABLE_LENGTH = 2048


def parse(text: str) -> Expression:
    """Parse and compile *text*; raise :class:`ExpressionError` when it is invalid."""
    if not isinstance(text, str):
        raise ExpressionError("An expression must be text, not {0}.".format(type(text).__name__))
    if len(text) > CACHEABLE_LENGTH:
        return _parse_text(text)
    return _cached(text)


@lru_cache(maxsize=4096)
def _cached(text: str) -> Expression:
    return _parse_text(text)


def _parse_text(text: str) -> Expression:
    if not text.strip():
        raise ExpressionError("The expression is empty.")
    try:
        tree = _GRAMMAR.parse_string(text, parse_all=True)[0]
    except pp.ParseBaseException as error:
        raise ExpressionError('Invalid expression "{0}": unexpected text at column {1} '
                              '(expected key, operator and value, joined by and/or/not).'.format(
                                  _shown(text), error.col)) from None
    except RecursionError:
        raise ExpressionError('Invalid expression "{0}": nested too deeply.'.format(
            _shown(text))) from None
    return Expression(text, tree)


def _shown(text: str, limit: int = 200) -> str:
    """*text* for an error message: long expressions are cut short."""
    return text if len(text) <= limit else text[:limit] + "…"


def _as_number(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str and _NUMBER.match(value):
        try:
            return int(value)
        except ValueError:
            return float(value)
    return None


def _lookup(path: Tuple[str, ...]) -> Callable[[Any], Any]:
    if len(path) == 1:
        name = path[0]

        def one(candidate: Any) -> Any:
            try:
                return candidate[name]
            except (KeyError, TypeError, IndexError):
                return _MISSING
        return one

    def many(candidate: Any) -> Any:
        value = candidate
        try:
            for name in path:
                value = value[name]
        except (KeyError, TypeError, IndexError):
            return _MISSING
        return value
    return many


def _equals(expected: str) -> Callable[[Any], bool]:
    number = _as_number(expected)
    lowered = expected.lower()

    def equals(value: Any) -> bool:
        if type(value) is str:
            if value == expected:
                return True
        elif value is True or value is False:
            return lowered == ("true" if value else "false")
        elif str(value) == expected:
            return True
        if number is not None:
            other = _as_number(value)
            return other is not None and other == number
        return False
    return equals


def _condition(node: Condition) -> Matcher:
    get = _lookup(node.path)
    expected = node.value
    if node.op == "=" and expected.endswith("*"):
        part = expected[:-1]

        def contains(candidate: Any) -> bool:
            value = get(candidate)
            if value is _MISSING:
                return False
            return part in (value if type(value) is str else str(value))
        return contains
    if node.op in ("=", "!="):
        equals = _equals(expected)
        if node.op == "=":
            def eq(candidate: Any) -> bool:
                value = get(candidate)
                return value is not _MISSING and equals(value)
            return eq

        def ne(candidate: Any) -> bool:
            value = get(candidate)
            return value is not _MISSING and not equals(value)
        return ne
    compare = _ORDERING[node.op]
    number = _as_number(expected)

    def ordered(candidate: Any) -> bool:
        value = get(candidate)
        if value is _MISSING:
            return False
        if number is not None and not isinstance(value, bool):
            other = _as_number(value)
            if other is not None:
                return compare(other, number)
        return compare(value if type(value) is str else str(value), expected)
    return ordered


def _compile(node: Any) -> Matcher:
    if isinstance(node, Condition):
        return _condition(node)
    if isinstance(node, Not):
        inner = _compile(node.item)
        return lambda candidate: not inner(candidate)
    parts = tuple(_compile(item) for item in node.items)
    if isinstance(node, All):
        if len(parts) == 2:
            first, second = parts
            return lambda candidate: first(candidate) and second(candidate)
        return lambda candidate: all(part(candidate) for part in parts)
    return lambda candidate: any(part(candidate) for part in parts)


def required_topics(node: Any) -> Optional[FrozenSet[str]]:
    """The exact topics *node* can match, or None when it is not limited to some."""
    if isinstance(node, Condition):
        if node.path == ("topic",) and node.op == "=" and not node.value.endswith("*"):
            return frozenset((node.value,))
        return None
    if isinstance(node, All):
        found = [t for t in (required_topics(i) for i in node.items) if t is not None]
        return min(found, key=len) if found else None
    if isinstance(node, AnyOf):
        union: FrozenSet[str] = frozenset()
        for item in node.items:
            topics = required_topics(item)
            if topics is None:
                return None
            union |= topics
        return union
    return None
