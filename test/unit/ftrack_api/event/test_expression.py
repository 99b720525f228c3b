"""Tests for the subscription and target expression language."""

import operator
import threading

import pytest

import ftrack_api.exception
from ftrack_api.event.base import Event
from ftrack_api.event.expression import (
    All,
    Any,
    Condition,
    Expression,
    Not,
    Parser,
)


def matches(expression, candidate):
    """Return whether *expression* text matches *candidate*."""
    return Parser().parse(expression).match(candidate)


def action_event(**overrides):
    """Return an action launch event as sent by the web interface."""
    event = Event(
        topic="ftrack.action.launch",
        data={
            "actionIdentifier": "my.action",
            "selection": [{"entityId": "1", "entityType": "task"}],
            "storage_scenario": {"scenario": "ftrack.centralized-storage"},
        },
        source={
            "id": "b6f9bd4c2a1f4cd3a1a5c9c0d8a1e2f3",
            "user": {"username": "martin", "id": "u1"},
            "applicationId": "ftrack.client.web",
        },
    )
    for key, value in overrides.items():
        event[key] = value
    return event


# -- documented examples ----------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "candidate", "expected"),
    [
        ("topic=ftrack.update", {"topic": "ftrack.update"}, True),
        ("topic=ftrack.update", {"topic": "ftrack.updated.not"}, False),
        ("topic=ftrack.update", {"topic": "ftrack.upd"}, False),
        (
            "topic=ftrack.api.session.configure-location",
            {"topic": "ftrack.api.session.configure-location"},
            True,
        ),
        (
            "topic=ftrack.location.component-added",
            {"topic": "ftrack.location.component-added"},
            True,
        ),
        (
            "topic=ftrack.location.component-added and data.locationId=london",
            {
                "topic": "ftrack.location.component-added",
                "data": {"locationId": "london"},
            },
            True,
        ),
        (
            "topic=ftrack.location.component-added and data.locationId=london",
            {
                "topic": "ftrack.location.component-added",
                "data": {"locationId": "paris"},
            },
            False,
        ),
        (
            "topic=ftrack.location.component-added and data.locationId=london",
            {"topic": "ftrack.location.component-added", "data": {}},
            False,
        ),
        ("topic=ftrack.*", {"topic": "ftrack.update"}, True),
        ("topic=ftrack.*", {"topic": "ftrack.action.launch"}, True),
        ("topic=ftrack.*", {"topic": "ftrack."}, True),
        ("topic=ftrack.*", {"topic": "other.update"}, False),
        ("topic=ftrack.*", {"topic": "ftrack"}, False),
        (
            "topic=foo and data.eventType=Shot",
            {"topic": "foo", "data": {"eventType": "Shot"}},
            True,
        ),
        ("topic=test-reply", {"topic": "test-reply"}, True),
        ("topic=test-stop-event", {"topic": "test-stop-event"}, True),
        ("topic=test-synchronous", {"topic": "test-synchronous"}, True),
        ("topic=my-company.some-topic", {"topic": "my-company.some-topic"}, True),
    ],
)
def test_documented_examples(expression, candidate, expected):
    assert matches(expression, candidate) is expected
    assert matches(expression, Event(**candidate)) is expected


def test_action_launch_subscription():
    expression = "topic=ftrack.action.launch and data.actionIdentifier=my.action"
    assert matches(expression, action_event())
    assert not matches(
        expression, action_event(data={"actionIdentifier": "other.action"})
    )
    assert not matches(expression, action_event(topic="ftrack.action.discover"))


def test_action_subscription_with_username():
    template = (
        "topic=ftrack.action.launch and data.actionIdentifier={0} and "
        "source.user.username={1}"
    )
    assert matches(template.format("my.action", "martin"), action_event())
    assert matches(template.format("my.action", '"martin"'), action_event())
    assert matches(template.format("my.action", "'martin'"), action_event())
    assert not matches(template.format("my.action", "jane"), action_event())


@pytest.mark.parametrize(
    "username",
    ["martin", "martin@example.com", "first.last+tag@studio.co.uk", "a-b_c"],
)
def test_usernames_as_bare_values(username):
    event = action_event(source={"user": {"username": username}})
    assert matches("source.user.username={0}".format(username), event)
    assert matches('source.user.username="{0}"'.format(username), event)


def test_discover_subscription_for_user():
    event = action_event(topic="ftrack.action.discover")
    assert matches(
        'topic=ftrack.action.discover and source.user.username="martin"', event
    )


def test_nested_key_three_levels_deep():
    event = action_event()
    assert matches(
        "data.storage_scenario.scenario=ftrack.centralized-storage", event
    )


def test_negated_alternatives():
    expression = "not (topic=x or topic=y)"
    assert matches(expression, {"topic": "z"})
    assert not matches(expression, {"topic": "x"})
    assert not matches(expression, {"topic": "y"})


def test_target_expression_against_subscriber_metadata():
    metadata = {"id": "my-custom-subscriber-id", "applicationId": "maya"}
    assert matches("id=my-custom-subscriber-id", metadata)
    assert not matches("id=other-subscriber", metadata)
    assert matches("applicationId=maya", metadata)
    assert matches("id=my-custom-subscriber-id and applicationId=maya", metadata)


def test_reply_target_with_hex_identifier():
    metadata = {"id": "3f2a9c1e7b5d4e6f8a0b1c2d3e4f5a6b"}
    assert matches("id=3f2a9c1e7b5d4e6f8a0b1c2d3e4f5a6b", metadata)
    assert not matches("id=3f2a9c1e7b5d4e6f8a0b1c2d3e4f5a6c", metadata)


# -- operators -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("value=5", True),
        ("value!=5", False),
        ("value!=6", True),
        ("value>4", True),
        ("value>5", False),
        ("value>=5", True),
        ("value>=6", False),
        ("value<6", True),
        ("value<5", False),
        ("value<=5", True),
        ("value<=4", False),
        ("value = 5", True),
        ("value >= 5", True),
        ("value  <  10", True),
    ],
)
def test_operators_on_numbers(expression, expected):
    assert matches(expression, {"value": 5}) is expected
    assert matches(expression, {"value": "5"}) is expected


def test_ordering_is_numeric_when_both_sides_are_numbers():
    assert matches("value<10", {"value": 9})
    assert matches("value<10", {"value": "9"})
    assert matches("value>9.5", {"value": 10})
    assert matches("value>-1", {"value": 0})
    assert matches("value<1e3", {"value": 999})


def test_ordering_is_textual_otherwise():
    assert matches("name<b", {"name": "abc"})
    assert not matches("name>b", {"name": "abc"})
    assert matches(
        "data.date>=2024-01-01T00:00:00", {"data": {"date": "2024-05-06T10:00:00"}}
    )
    assert not matches(
        "data.date<2024-01-01", {"data": {"date": "2024-05-06T10:00:00"}}
    )


def test_equality_compares_text_of_candidate():
    assert matches("data.count=3", {"data": {"count": 3}})
    assert matches("data.count=3.0", {"data": {"count": 3}})
    assert matches("data.ratio=0.5", {"data": {"ratio": 0.5}})
    assert not matches("data.count=4", {"data": {"count": 3}})
    assert matches("data.count!=4", {"data": {"count": 3}})
    assert not matches("data.count!=3", {"data": {"count": 3}})
    # Text that looks like a number is still compared as text.
    assert not matches("data.code=3.0", {"data": {"code": "3"}})


def test_booleans_and_none():
    assert matches("data.flag=true", {"data": {"flag": True}})
    assert matches("data.flag=True", {"data": {"flag": True}})
    assert matches("data.flag=FALSE", {"data": {"flag": False}})
    assert not matches("data.flag=1", {"data": {"flag": True}})
    assert not matches("data.flag=false", {"data": {"flag": True}})
    assert matches("data.flag!=false", {"data": {"flag": True}})
    assert matches("data.value=None", {"data": {"value": None}})


# -- values and quoting ----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "ftrack.update",
        "my-company.some-topic",
        "a_b",
        "a,b",
        "path/to/file.ext",
        "user@example.com",
        "a+b",
        "12:30",
        "2024-01-01T10:00:00",
        "UPPER.lower.123",
    ],
)
def test_bare_values(value):
    assert matches("key={0}".format(value), {"key": value})


@pytest.mark.parametrize(
    "value",
    [
        "with spaces",
        "and",
        "or not",
        "a=b",
        "(parenthesised)",
        "it's",
        "",
        "{braces}",
        "C:\\temp\\new",
    ],
)
def test_double_quoted_values(value):
    assert matches('key="{0}"'.format(value), {"key": value})


@pytest.mark.parametrize(
    "value", ["with spaces", 'say "hi"', "x or y=z", "", "C:\\temp"]
)
def test_single_quoted_values(value):
    assert matches("key='{0}'".format(value), {"key": value})


def test_quoted_value_is_not_a_keyword():
    assert matches('a="and" and b="or"', {"a": "and", "b": "or"})


def test_keyword_words_as_bare_values():
    assert matches("a=and", {"a": "and"})
    assert matches("a=not or b=x", {"a": "not"})


def test_unicode_values():
    assert matches("user=José", {"user": "José"})
    assert matches('name="Über Shot"', {"name": "Über Shot"})


# -- wildcard --------------------------------------------------------------


def test_wildcard_matches_text_before_star_anywhere():
    # Prefix matches, as documented.
    assert matches("topic=ftrack.action.*", {"topic": "ftrack.action.launch"})
    # The test is containment, so a value containing the text also matches.
    assert matches("topic=action.*", {"topic": "ftrack.action.launch"})
    assert not matches("topic=action.*", {"topic": "ftrack.update"})


def test_wildcard_alone_matches_any_present_value():
    assert matches("topic=*", {"topic": "anything"})
    assert matches("topic=*", {"topic": ""})
    assert not matches("topic=*", {"other": "anything"})


def test_wildcard_in_quotes():
    assert matches('topic="ftrack.*"', {"topic": "ftrack.update"})


def test_wildcard_on_non_text_value():
    assert matches("data.count=12*", {"data": {"count": 123}})


def test_star_is_literal_for_other_operators():
    assert matches("topic!=ftrack.*", {"topic": "ftrack.update"})
    assert not matches("topic!=ftrack.*", {"topic": "ftrack.*"})


def test_star_inside_value_is_literal():
    assert matches("key=a*b", {"key": "a*b"})
    assert not matches("key=a*b", {"key": "axb"})


# -- keywords, precedence and grouping -------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "topic=a and data.x=1",
        "topic=a AND data.x=1",
        "topic=a And data.x=1",
        "topic=b or topic=a and data.x=1",
        "topic=b OR topic=a AND data.x=1",
        "NOT topic=b and data.x=1",
        "Not topic=b and data.x=1",
    ],
)
def test_keywords_are_case_insensitive(expression):
    assert matches(expression, {"topic": "a", "data": {"x": "1"}})


def test_not_binds_tighter_than_and():
    expression = "not a=1 and b=2"
    assert matches(expression, {"a": "0", "b": "2"})
    assert not matches(expression, {"a": "1", "b": "2"})
    # Were it "not (a=1 and b=2)" this would match.
    assert not matches(expression, {"a": "0", "b": "0"})


def test_and_binds_tighter_than_or():
    expression = "a=1 or b=1 and c=1"
    assert matches(expression, {"a": "1", "b": "0", "c": "0"})
    assert matches(expression, {"a": "0", "b": "1", "c": "1"})
    assert not matches(expression, {"a": "0", "b": "1", "c": "0"})


def test_parentheses_override_precedence():
    expression = "(a=1 or b=1) and c=1"
    assert not matches(expression, {"a": "1", "b": "0", "c": "0"})
    assert matches(expression, {"a": "1", "b": "0", "c": "1"})


def test_nested_parentheses():
    expression = "((a=1) and ((b=1 or (c=1)) and not (d=1 or (e=1))))"
    assert matches(expression, {"a": "1", "b": "0", "c": "1", "d": "0", "e": "0"})
    assert not matches(
        expression, {"a": "1", "b": "0", "c": "1", "d": "0", "e": "1"}
    )
    assert not matches(
        expression, {"a": "1", "b": "0", "c": "0", "d": "0", "e": "0"}
    )


def test_double_negation():
    assert matches("not not a=1", {"a": "1"})
    assert matches("not(not(a=1))", {"a": "1"})


def test_parentheses_without_spaces():
    assert matches("(a=1)and(b=2)", {"a": "1", "b": "2"})
    assert matches("not(a=1)", {"a": "2"})


def test_keys_starting_with_keywords():
    assert matches("notify=yes", {"notify": "yes"})
    assert matches("order=1 and android=2", {"order": "1", "android": "2"})
    assert matches("not=1", {"not": "1"})
    assert matches("not.x=1", {"not": {"x": "1"}})


def test_surrounding_whitespace_is_ignored():
    assert matches("  topic=a  ", {"topic": "a"})
    assert matches("\ttopic=a\nand\ndata.x=1 ", {"topic": "a", "data": {"x": "1"}})


# -- missing keys ----------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "missing=1",
        "missing!=1",
        "missing>1",
        "missing<1",
        "missing=*",
        "data.missing=1",
        "data.missing!=1",
        "topic.nested=1",
        "data.none.key=1",
        "data.items.key=1",
    ],
)
def test_missing_keys_never_match(expression):
    candidate = {"topic": "a", "data": {"none": None, "items": [1, 2]}}
    assert matches(expression, candidate) is False


def test_not_of_missing_key_matches():
    assert matches("not missing=1", {"topic": "a"})


def test_missing_key_on_event():
    event = Event(topic="a")
    assert not matches("data.key=1", event)
    assert not matches("source.user.username=martin", event)


# -- malformed expressions -------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "   ",
        "topic",
        "topic=",
        "=value",
        "topic==a",
        "topic=a b",
        "topic=a and",
        "topic=a or",
        "and topic=a",
        "topic=a and or b=1",
        "not",
        "(topic=a",
        "topic=a)",
        "()",
        "((topic=a)",
        'topic="unterminated',
        "topic='unterminated",
        "topic=a && b=c",
        "topic=a & b=c",
        "topic=(a)",
        "topic=a;",
        "topic~a",
        "topic=<a>",
    ],
)
def test_malformed_expressions_raise_parse_error(expression):
    with pytest.raises(ftrack_api.exception.ParseError) as info:
        Parser().parse(expression)
    # Same wording as the official client: the expression without its
    # surrounding spaces, then what is wrong with it.
    assert str(info.value).startswith("Failed to parse: {0}. ".format(expression.strip()))


def test_parse_error_details():
    with pytest.raises(ftrack_api.exception.ParseError) as info:
        Parser().parse("topic=a and")
    error = info.value
    assert isinstance(error, ftrack_api.exception.Error)
    assert error.details["expression"] == "topic=a and"
    assert error.details["position"] == 12
    assert "Expected condition" in str(error)


@pytest.mark.parametrize("expression", [None, 5, ["topic=a"]])
def test_non_text_expression_raises_parse_error(expression):
    with pytest.raises(ftrack_api.exception.ParseError):
        Parser().parse(expression)


def test_deep_nesting_raises_parse_error_or_parses():
    depth = 2000
    expression = "(" * depth + "a=1" + ")" * depth
    try:
        result = Parser().parse(expression)
    except ftrack_api.exception.ParseError:
        pass
    else:
        assert result.match({"a": "1"})


# -- parser ----------------------------------------------------------------


def test_parse_returns_expression_tree():
    result = Parser().parse("a=1 and (b=2 or not c=3)")
    assert isinstance(result, All)
    text = str(result)
    assert "Any" in text and "Not" in text and "Condition" in text


def test_single_condition_is_returned_directly():
    assert isinstance(Parser().parse("topic=a"), Condition)


def test_or_builds_any():
    assert isinstance(Parser().parse("a=1 or b=2"), Any)


def test_not_builds_not():
    assert isinstance(Parser().parse("not a=1"), Not)


def test_parse_is_cached_across_parsers():
    text = "topic=cached.expression and data.x=1"
    first = Parser().parse(text)
    assert Parser().parse(text) is first


def test_parse_from_threads():
    texts = ["topic=thread.{0} and data.x={0}".format(index) for index in range(40)]
    results = {}

    def work(text):
        results[text] = Parser().parse(text)

    threads = [threading.Thread(target=work, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for index, text in enumerate(texts):
        assert results[text].match(
            {"topic": "thread.{0}".format(index), "data": {"x": index}}
        )


# -- expression classes used directly --------------------------------------


def test_base_expression_matches_everything():
    assert Expression().match({}) is True
    assert "Expression" in str(Expression())


def test_empty_all_and_any():
    assert All().match({"a": 1}) is True
    assert All([]).match({}) is True
    assert Any().match({"a": 1}) is False
    assert Any([]).match({}) is False


def test_combinators_built_by_hand():
    one = Condition("a", operator.eq, "1")
    two = Condition("b", operator.eq, "2")
    assert All([one, two]).match({"a": "1", "b": "2"})
    assert not All([one, two]).match({"a": "1", "b": "3"})
    assert Any([one, two]).match({"a": "0", "b": "2"})
    assert Not(one).match({"a": "0"})
    assert not Not(one).match({"a": "1"})


@pytest.mark.parametrize(
    ("function", "symbol", "candidate", "expected"),
    [
        (operator.eq, "=", 5, True),
        (operator.ne, "!=", 5, False),
        (operator.lt, "<", 4, True),
        (operator.le, "<=", 5, True),
        (operator.gt, ">", 6, True),
        (operator.ge, ">=", 4, False),
    ],
)
def test_condition_accepts_functions_and_symbols(
    function, symbol, candidate, expected
):
    assert Condition("x", function, "5").match({"x": candidate}) is expected
    assert Condition("x", symbol, "5").match({"x": candidate}) is expected


def test_condition_with_custom_callable():
    condition = Condition("tags", operator.contains, "hero")
    assert condition.match({"tags": ["hero", "fx"]})
    assert not condition.match({"tags": ["fx"]})
    assert not condition.match({"tags": 5})
    assert "contains" in str(condition)


def test_condition_with_unknown_symbol():
    with pytest.raises(ValueError):
        Condition("x", "~", "5")


def test_condition_with_non_text_value():
    assert Condition("x", operator.eq, 5).match({"x": 5})
    assert Condition("x", operator.eq, 5).match({"x": "5"})
    assert Condition("x", operator.lt, 10).match({"x": 9})


def test_condition_str():
    assert str(Condition("data.x", operator.ne, "y")) == "<Condition data.x!=y>"
    # Values are shown as text, whatever their type or how they were written.
    assert str(Condition("g.h", operator.gt, 10)) == "<Condition g.h>10>"
    assert str(Parser().parse("g.h > 10")) == "<Condition g.h>10>"
    assert str(Parser().parse('name="a b"')) == "<Condition name=a b>"
    # An operator given by its symbol shows the same.
    assert str(Condition("key", "=", "value")) == "<Condition key=value>"


def test_composite_str_separates_parts_with_spaces():
    assert str(Parser().parse("a=b and ((c=d or e!=f) and not g.h > 10)")) == (
        "<All [<Condition a=b> <All [<Any [<Condition c=d> <Condition e!=f>]> "
        "<Not <Condition g.h>10>>]>]>"
    )
    assert str(All([Expression(), Expression()])) == "<All [<Expression> <Expression>]>"
    assert str(Any([Expression()])) == "<Any [<Expression>]>"
    assert str(Not(Expression())) == "<Not <Expression>>"
    assert str(All()) == "<All []>"


def test_expressions_keep_the_default_repr():
    # Like the official client, only str() describes an expression.
    for expression in (Expression(), All(), Any(), Not(Expression()),
                       Condition("a", operator.eq, "b")):
        assert repr(expression).startswith("<ftrack_api.event.expression.")
        assert " object at 0x" in repr(expression)


def test_condition_wildcard_names():
    condition = Condition("topic", operator.eq, "ftrack.*")
    assert condition._wildcard == "*"
    assert condition._operatorMapping[operator.eq] == "="
    assert condition._key == "topic"
    assert condition._operator is operator.eq
    assert condition._value == "ftrack.*"


def test_match_against_nested_mapping_types():
    class Wrapper(object):
        def __init__(self, values):
            self._values = values

        def __getitem__(self, key):
            return self._values[key]

    candidate = {"data": Wrapper({"entity": Wrapper({"name": "sh010"})})}
    assert matches("data.entity.name=sh010", candidate)
    assert not matches("data.entity.missing=sh010", candidate)


# -- the quick reading of plain conjunctions --------------------------------


def _structure(expression):
    """Exact, comparable form of an expression tree (types and values)."""
    if isinstance(expression, Condition):
        return ("Condition", expression._key, expression._operator, expression._value)
    if isinstance(expression, (All, Any)):
        return (type(expression).__name__,
                tuple(_structure(part) for part in expression._expressions))
    if isinstance(expression, Not):
        return ("Not", _structure(expression._expression))
    return (type(expression).__name__,)


def _grammar_tree(text):
    import ftrack_api.event.expression as module

    return module._GRAMMAR.parse_string(text, parse_all=True)[0]


@pytest.mark.parametrize(
    "text",
    [
        "topic=ftrack.update",
        " topic = ftrack.update ",
        "topic=ftrack.* and data.storage_scenario.scenario=\"ftrack.centralized-storage\"",
        "topic=a AND source.user.username='jane doe' and data.count>=3",
        "id=8c1e0f3a and applicationId=maya",
        "data.path=/mnt/a,b:c@d+e and data.x!=y",
        "a<1 and b<=2 and c>3 and d>=4",
        "key=\"and\"",
    ],
)
def test_plain_conjunctions_read_like_the_grammar(text):
    import ftrack_api.event.expression as module

    quick = module._parse_simple(text)
    assert quick is not None
    assert _structure(quick) == _structure(_grammar_tree(text))


@pytest.mark.parametrize(
    "text",
    [
        "a=1 or b=2",
        "not a=1",
        "(a=1)",
        "not=1",
        "topic=and",
        "a=\"x\"and b=1",
        "a=1 and",
        "a=1 b=2",
        "a=",
    ],
)
def test_other_expressions_are_left_to_the_grammar(text):
    import ftrack_api.event.expression as module

    assert module._parse_simple(text) is None


def test_quick_reading_agrees_with_grammar_on_generated_expressions():
    import random

    import ftrack_api.event.expression as module

    generator = random.Random(7)
    keys = ["topic", "data.a", "source.user.username", "x-y", "and", "not"]
    values = ["ftrack.update", "'a b'", "\"q\"", "1.5", "*", "a*", "and", "or", "x:y"]
    symbols = ["=", "!=", "<", "<=", ">", ">="]
    joins = [" and ", " AND ", " or ", "and ", " and", "  and  "]
    compared = 0
    for _ in range(2000):
        parts = [generator.choice(keys) + generator.choice(["", " "]) + generator.choice(symbols)
                 + generator.choice(["", " "]) + generator.choice(values)]
        for _ in range(generator.randint(0, 3)):
            parts.append(generator.choice(joins))
            parts.append(generator.choice(keys) + generator.choice(symbols)
                         + generator.choice(values))
        text = "".join(parts)
        quick = module._parse_simple(text)
        if quick is None:
            continue
        compared += 1
        assert _structure(quick) == _structure(_grammar_tree(text)), text
    assert compared > 200
