"""Filter expressions for event subscriptions and event targets.

An expression is a test applied to a nested mapping: an event when used as a
subscription, the subscriber information when used as an event target.

Language
--------

* A condition is ``key operator value``, for example ``topic=ftrack.update``.
  Spaces around the operator are allowed.
* *key* is a dotted path of names (letters, digits, ``_`` and ``-``) into
  nested mappings: ``source.user.username`` reads
  ``candidate["source"]["user"]["username"]``. When any step of the path is
  missing the condition does not match, whatever its operator (so
  ``data.missing!=x`` is false as well).
* *operator* is one of ``=``, ``!=``, ``>``, ``>=``, ``<`` and ``<=``.
* *value* is either a bare word made of letters, digits and the characters
  ``- _ , . / * @ + :``, or any text between double or single quotes
  (``"Jane Doe"``, ``'a (b)'``). Quoted text is taken literally; there are
  no escape sequences, so Windows paths need no doubling. Use single quotes
  around a value containing a double quote and the reverse.
* Conditions combine with ``and``, ``or`` and ``not`` (in any letter case)
  and parentheses. ``not`` binds tighter than ``and``, which binds tighter
  than ``or``: ``not a=1 and b=2 or c=3`` reads
  ``((not a=1) and b=2) or c=3``.

Comparison
----------

* Values are compared as text: the candidate value is turned into a string
  with :func:`str` and compared with the expression value. Numbers in the
  candidate therefore equal the same digits in the expression
  (``data.count=3`` matches ``{"data": {"count": 3}}``), an integer also
  equals an equivalent decimal value (``3`` and ``3.0``), and booleans match
  ``true``/``false`` in any letter case.
* ``>``, ``>=``, ``<`` and ``<=`` compare numerically when both sides are
  numbers (a candidate int or float, or text written as a decimal number)
  and as text otherwise, which orders ISO dates and times correctly.
* Wildcard: with ``=``, a value ending in ``*`` matches any candidate value
  containing the text before the ``*``. It is usually described as a prefix
  match (``topic=ftrack.*`` receives every ``ftrack.`` topic); containment
  receives all of those and also values with the text further inside
  (``topic=action.*`` receives ``ftrack.action.launch``), which is the
  long-standing behaviour of the ftrack API, so existing subscriptions keep
  receiving the same events. A lone ``*`` matches any value that is
  present. ``!=`` and the ordering operators treat ``*`` as an ordinary
  character.

Parsing
-------

:meth:`Parser.parse` turns text into an :class:`Expression` tree made of
:class:`All` (``and``), :class:`Any` (``or``), :class:`Not` and
:class:`Condition` nodes, or raises :class:`ftrack_api.exception.ParseError`.
Results are cached (shared by every parser), so parsing the same
subscription or target again is a dictionary look-up; expression objects
are treated as immutable and may be shared.
"""

from __future__ import annotations

import operator as _operator
import re
import threading
from typing import Any as TypingAny
from typing import Callable, Iterable, Optional, Union

import pyparsing as pp

import ftrack_api.exception

# -- operators ------------------------------------------------------------

_EQ, _NE, _LT, _LE, _GT, _GE, _CUSTOM = range(7)

#: Operator symbol -> function handed to :class:`Condition` by the parser.
_FUNCTION_BY_SYMBOL = {
    "=": _operator.eq,
    "!=": _operator.ne,
    "<": _operator.lt,
    "<=": _operator.le,
    ">": _operator.gt,
    ">=": _operator.ge,
}

_CODE_BY_FUNCTION = {
    _operator.eq: _EQ,
    _operator.ne: _NE,
    _operator.lt: _LT,
    _operator.le: _LE,
    _operator.gt: _GT,
    _operator.ge: _GE,
}

_ORDERING = {
    _LT: _operator.lt,
    _LE: _operator.le,
    _GT: _operator.gt,
    _GE: _operator.ge,
}

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")

# Errors that mean "this step of the key path does not exist".
_LOOKUP_ERRORS = (KeyError, IndexError, TypeError, AttributeError)


def _as_number(value):
    """Return *value* as an int or float when it is a number, else None.

    Booleans are not numbers here; text counts when it is written as a
    plain decimal number (optionally signed, with fraction and exponent).
    """
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        if _NUMBER.match(value):
            try:
                return int(value)
            except ValueError:
                return float(value)
        return None
    if kind is bool:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


# -- expression tree ------------------------------------------------------


class Expression(object):
    """Base of the expression tree: something a candidate is tested against.

    Subclasses implement :meth:`match`. The base expression places no
    requirement, so it matches every candidate.
    """

    __slots__ = ()

    def __str__(self) -> str:
        """Return a readable description of the expression."""
        return "<{0}>".format(type(self).__name__)

    def match(self, candidate: TypingAny) -> bool:
        """Return whether *candidate* satisfies the expression."""
        return True


class _Combination(Expression):
    """Expression made of sub-expressions (see :class:`All` and :class:`Any`)."""

    __slots__ = ("_expressions",)

    def __init__(self, expressions: Optional[Iterable[Expression]] = None) -> None:
        """Combine *expressions*, an iterable of :class:`Expression`."""
        super(_Combination, self).__init__()
        self._expressions = tuple(expressions) if expressions else ()

    def __str__(self) -> str:
        """Return a readable description of the expression."""
        return "<{0} [{1}]>".format(
            type(self).__name__,
            " ".join(str(expression) for expression in self._expressions),
        )


class All(_Combination):
    """Conjunction: matches when every sub-expression matches.

    With no sub-expressions it matches everything.
    """

    __slots__ = ()

    def match(self, candidate: TypingAny) -> bool:
        """Return whether *candidate* satisfies every sub-expression."""
        for expression in self._expressions:
            if not expression.match(candidate):
                return False
        return True


class Any(_Combination):
    """Disjunction: matches when at least one sub-expression matches.

    With no sub-expressions it matches nothing.
    """

    __slots__ = ()

    def match(self, candidate: TypingAny) -> bool:
        """Return whether *candidate* satisfies any sub-expression."""
        for expression in self._expressions:
            if expression.match(candidate):
                return True
        return False


class Not(Expression):
    """Negation: matches when the wrapped expression does not."""

    __slots__ = ("_expression",)

    def __init__(self, expression: Expression) -> None:
        """Negate *expression*, an :class:`Expression`."""
        super(Not, self).__init__()
        self._expression = expression

    def __str__(self) -> str:
        """Return a readable description of the expression."""
        return "<{0} {1}>".format(type(self).__name__, self._expression)

    def match(self, candidate: TypingAny) -> bool:
        """Return whether *candidate* fails the wrapped expression."""
        return not self._expression.match(candidate)


class Condition(Expression):
    """A single comparison between a value of the candidate and a constant."""

    __slots__ = (
        "_key",
        "_operator",
        "_value",
        "_path",
        "_code",
        "_text",
        "_number",
        "_wildcard_match",
        "_boolean",
    )

    #: Character ending a value that matches by containment (with ``=``).
    _wildcard = "*"

    #: Symbol shown for each comparison function.
    _operatorMapping = {
        _operator.eq: "=",
        _operator.ne: "!=",
        _operator.ge: ">=",
        _operator.le: "<=",
        _operator.gt: ">",
        _operator.lt: "<",
    }

    def __init__(
        self, key: str, operator: Union[str, Callable[[TypingAny, TypingAny], TypingAny]], value: TypingAny
    ) -> None:
        """Compare the candidate's *key* with *value* using *operator*.

        *key* is a dotted path; ``"data.eventType"`` reads
        ``candidate["data"]["eventType"]``. A candidate lacking any part of
        the path never matches.

        *operator* is the comparison: one of the functions
        :func:`operator.eq`, :func:`operator.ne`, :func:`operator.lt`,
        :func:`operator.le`, :func:`operator.gt` and :func:`operator.ge`
        (or its symbol, such as ``"!="``), compared as described in the
        module documentation. Any other callable is called with the
        candidate's value and *value* and its result used as is.

        *value* is the constant to compare with. For equality a text value
        ending in ``*`` is a wildcard: it matches candidate values
        containing the text before the ``*``.
        """
        super(Condition, self).__init__()
        if isinstance(operator, str):
            try:
                operator = _FUNCTION_BY_SYMBOL[operator]
            except KeyError:
                raise ValueError(
                    "Unsupported operator {0!r}; expected one of {1}.".format(
                        operator, ", ".join(_FUNCTION_BY_SYMBOL)
                    )
                ) from None

        self._key = key
        self._operator = operator
        self._value = value
        self._path = tuple(str(key).split("."))
        self._code = _CODE_BY_FUNCTION.get(operator, _CUSTOM)

        text = value if isinstance(value, str) else str(value)
        self._wildcard_match = self._code == _EQ and text.endswith(self._wildcard)
        if self._wildcard_match:
            text = text[:-1]
        self._text = text
        self._number = None if self._wildcard_match else _as_number(value)
        lowered = text.lower()
        self._boolean = (
            True if lowered == "true" else False if lowered == "false" else None
        )

    def __str__(self) -> str:
        """Return ``<Condition keySYMBOLvalue>``, for example ``<Condition a!=b>``.

        Known comparisons show their symbol; any other operator is shown as
        it converts to text. The value is shown as text, without quotes.
        """
        symbol = self._operatorMapping.get(self._operator, self._operator)
        return "<{0} {1}{2}{3}>".format(
            type(self).__name__, self._key, symbol, self._value
        )

    def match(self, candidate: TypingAny) -> bool:
        """Return whether *candidate* satisfies the condition."""
        value = candidate
        try:
            for part in self._path:
                value = value[part]
        except _LOOKUP_ERRORS:
            return False

        code = self._code
        if code == _EQ:
            if type(value) is str and not self._wildcard_match:
                return value == self._text
            return self._equals(value)
        if code == _NE:
            return not self._equals(value)
        if code == _CUSTOM:
            try:
                return bool(self._operator(value, self._value))
            except TypeError:
                return False

        compare = _ORDERING[code]
        if self._number is not None:
            number = _as_number(value)
            if number is not None:
                return compare(number, self._number)
        if type(value) is not str:
            value = str(value)
        return compare(value, self._text)

    def _equals(self, value):
        """Return whether *value* equals the condition value (see module)."""
        if type(value) is str:
            if self._wildcard_match:
                return self._text in value
            return value == self._text

        if self._wildcard_match:
            return self._text in str(value)
        if value is True or value is False:
            return value is self._boolean
        if self._number is not None:
            number = _as_number(value)
            if number is not None:
                return number == self._number
        return str(value) == self._text


# -- parsing --------------------------------------------------------------


def _build_grammar():
    """Return the pyparsing element for a whole expression."""
    key = pp.Regex(r"[\w.\-]+").set_name("key")
    symbol = pp.Regex(r"!=|>=|<=|=|>|<").set_name("operator")
    bare = pp.Regex(r"[\w\-,./*@+:]+").set_name("value")
    quoted = pp.Regex(r"\"[^\"]*\"|'[^']*'").set_name("quoted value")
    quoted.set_parse_action(lambda tokens: tokens[0][1:-1])
    value = (quoted | bare).set_name("value")

    condition = (key + symbol + value).set_name("condition")
    condition.set_parse_action(
        lambda tokens: Condition(
            tokens[0], _FUNCTION_BY_SYMBOL[tokens[1]], tokens[2]
        )
    )

    keyword_and = pp.CaselessKeyword("and").suppress()
    keyword_or = pp.CaselessKeyword("or").suppress()
    keyword_not = pp.CaselessKeyword("not").suppress()
    opening = pp.Suppress("(")
    closing = pp.Suppress(")")

    expression = pp.Forward().set_name("expression")
    # After "(", "and" or "or" the rest is required, so errors point there.
    # "not" may not use this: it can also be the start of a key ("not=1").
    group = (opening - expression - closing).set_name("group")
    atom = (condition | group).set_name("condition")

    negation = pp.Forward().set_name("negation")
    negated = keyword_not + negation
    negated.set_parse_action(lambda tokens: Not(tokens[0]))
    negation <<= (negated | atom).set_name("condition")

    conjunction = negation + pp.ZeroOrMore(keyword_and - negation)
    conjunction.set_parse_action(
        lambda tokens: tokens[0] if len(tokens) == 1 else All(list(tokens))
    )
    disjunction = conjunction + pp.ZeroOrMore(keyword_or - conjunction)
    disjunction.set_parse_action(
        lambda tokens: tokens[0] if len(tokens) == 1 else Any(list(tokens))
    )
    expression <<= disjunction

    return (expression + pp.StringEnd()).streamline()


_GRAMMAR = _build_grammar()

# Parsing is serialised: pyparsing keeps some parser-wide state while it
# runs. Look-ups in the cache need no lock.
_PARSE_LOCK = threading.Lock()
_CACHE = {}
_CACHE_SIZE = 4096


def _error(expression, reason, position=None):
    """Return a :class:`ftrack_api.exception.ParseError` for *expression*.

    The message reads ``Failed to parse: <expression>. <reason>`` (the
    expression without surrounding spaces). The expression as given, the
    *reason* and the 1-based character *position* (when known) are also
    available in the error's ``details``.
    """
    text = expression.strip() if isinstance(expression, str) else expression
    return ftrack_api.exception.ParseError(
        "Failed to parse: {text}. {reason}",
        details={
            "expression": expression,
            "text": text,
            "reason": reason,
            "position": position,
        },
    )


#: One ``key <operator> value`` condition, with the spaces around it.
_SIMPLE_CONDITION = re.compile(
    r"\s*([\w.\-]+)\s*(!=|>=|<=|=|>|<)\s*(\"[^\"]*\"|'[^']*'|[\w\-,./*@+:]+)\s*"
)
#: The ``and`` between two conditions (the space before it is consumed by
#: the preceding condition).
_SIMPLE_AND = re.compile(r"(?i:and)\s+")
_KEYWORDS = frozenset(("and", "or", "not"))


def _parse_simple(expression):
    """Return the tree of *expression* when it is conditions joined by ``and``.

    Most subscriptions and targets look like that (``topic=ftrack.update and
    source.user.username=jane``) and are read here with regular expressions,
    without the full grammar. Anything else (``or``, ``not``, parentheses,
    keywords used as keys or values) returns None and is left to the
    grammar, which gives the same result for what is read here.
    """
    conditions = []
    position = 0
    end = len(expression)
    while True:
        match = _SIMPLE_CONDITION.match(expression, position)
        if match is None:
            return None
        key, symbol, value = match.groups()
        if key.lower() in _KEYWORDS:
            return None
        if value[0] in "\"'":
            value = value[1:-1]
        elif value.lower() in _KEYWORDS:
            return None
        conditions.append(Condition(key, _FUNCTION_BY_SYMBOL[symbol], value))
        position = match.end()
        if position == end:
            break
        joined = _SIMPLE_AND.match(expression, position)
        if joined is None or not expression[position - 1].isspace():
            return None
        position = joined.end()
    return conditions[0] if len(conditions) == 1 else All(conditions)


def _parse(expression):
    """Parse *expression* text without using the cache."""
    if not isinstance(expression, str):
        raise _error(expression, "Expected a string.")
    if not expression.strip():
        raise _error(expression, "The expression is empty.")

    simple = _parse_simple(expression)
    if simple is not None:
        return simple

    try:
        with _PARSE_LOCK:
            result = _GRAMMAR.parse_string(expression, parse_all=True)
    except pp.ParseBaseException as error:
        raise _error(expression, str(error), error.loc + 1) from None
    except RecursionError:
        raise _error(expression, "The expression is nested too deeply.") from None

    return result[0]


class Parser(object):
    """Turns expression text into :class:`Expression` trees.

    Parsers hold no state of their own: results are kept in a cache shared
    by all of them, so creating parsers is cheap and an expression is parsed
    only once.
    """

    def __init__(self) -> None:
        """Create a parser."""
        super(Parser, self).__init__()

    def parse(self, expression: str) -> Expression:
        """Return the :class:`Expression` described by *expression* text.

        Raise :class:`ftrack_api.exception.ParseError` when the text is not
        a valid expression.
        """
        try:
            return _CACHE[expression]
        except KeyError:
            pass
        except TypeError:
            # Unhashable input; _parse reports it.
            pass

        result = _parse(expression)

        if len(_CACHE) >= _CACHE_SIZE:
            with _PARSE_LOCK:
                # Drop the oldest half; insertion order is kept by dicts.
                for stale in list(_CACHE)[: _CACHE_SIZE // 2]:
                    _CACHE.pop(stale, None)
        _CACHE[expression] = result
        return result
