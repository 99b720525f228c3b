"""The event server's subscription and target expressions."""

import pytest

from ftrack_local.events.expression import ExpressionError, parse

EVENT = {
    "topic": "ftrack.update",
    "data": {"count": 3, "ratio": 2.5, "flag": True, "name": "Jane Doe", "nested": {"deep": "x"},
             "path": "/mnt/show/sh010", "date": "2024-05-01T10:00:00", "none": None,
             "items": [1, 2]},
    "source": {"user": {"username": "jane"}, "applicationId": "maya"},
}


@pytest.mark.parametrize("text, expected", [
    ("topic=ftrack.update", True),
    ("topic = ftrack.update", True),
    ("topic=ftrack.other", False),
    ("topic!=ftrack.other", True),
    ("topic!=ftrack.update", False),
    ('topic="ftrack.update"', True),
    ("topic='ftrack.update'", True),
    ("source.user.username=jane", True),
    ("source.user.username=john", False),
    ("data.nested.deep=x", True),
    ('data.name="Jane Doe"', True),
    ("data.name='Jane Doe'", True),
    ("data.path=/mnt/show/sh010", True),
    # missing keys are false whatever the operator
    ("data.missing=x", False),
    ("data.missing!=x", False),
    ("data.nested.deep.deeper=x", False),
    ("data.items.0=1", False),
    ("not data.missing=x", True),
    # wildcards: substring of the text before the star
    ("topic=ftrack.*", True),
    ("topic=ftrack.up*", True),
    ("topic=update*", True),
    ("topic=other.*", False),
    ("topic=*", True),
    ("data.missing=*", False),
    ("topic!=ftrack.*", True),
    # numbers and booleans
    ("data.count=3", True),
    ("data.count=3.0", True),
    ("data.count=4", False),
    ("data.count>2", True),
    ("data.count>=3", True),
    ("data.count<3", False),
    ("data.count<=3", True),
    ("data.count>10", False),
    ("data.ratio>2.25", True),
    ("data.ratio<10", True),
    ("data.flag=true", True),
    ("data.flag=True", True),
    ("data.flag=false", False),
    ("data.none=None", True),
    # text ordering (ISO dates order as text)
    ("data.date>2024-01-01", True),
    ("data.date<2024-01-01", False),
    ("data.name>Abc", True),
    # and / or / not, any case, precedence and parentheses
    ("topic=ftrack.update and data.count=3", True),
    ("topic=ftrack.update AND data.count=4", False),
    ("topic=x or data.count=3", True),
    ("topic=x Or data.count=4", False),
    ("not topic=x", True),
    ("NOT topic=ftrack.update", False),
    ("not not topic=ftrack.update", True),
    ("topic=x and data.count=4 or data.count=3", True),
    ("topic=x and (data.count=4 or data.count=3)", False),
    ("not topic=x and data.count=3", True),
    ("not (topic=ftrack.update and data.count=3)", False),
    ("(topic=ftrack.update) and ((source.applicationId=maya))", True),
    ("topic=ftrack.update and source.user.username=jane and data.count>1 and data.flag=true", True),
])
def test_match(text, expected):
    assert parse(text)(EVENT) is expected


def test_target_against_metadata():
    metadata = {"id": "8c1e0f", "applicationId": "maya"}
    assert parse("id=8c1e0f")(metadata)
    assert not parse("id=other")(metadata)
    assert parse("applicationId=maya and id=8c1e*")(metadata)


def test_keywords_inside_names_and_values():
    assert parse("notes=1")({"notes": 1})
    assert parse("android=x")({"android": "x"})
    assert parse('a="x and y"')({"a": "x and y"})
    assert parse("order=or")({"order": "or"})


def test_candidates_that_are_not_mappings():
    expression = parse("data.x=1")
    for candidate in (None, 5, "text", [], {"data": None}, {"data": [1]}):
        assert expression(candidate) is False


@pytest.mark.parametrize("text", [
    "", "   ", "topic", "topic=", "=x", "topic==x", "topic=a b", "topic=a and", "and topic=a",
    "(topic=a", "topic=a)", "topic=a or or topic=b", 'topic="unterminated', "topic=a;b",
    "not", "topic ~ a",
])
def test_invalid(text):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value)


def test_invalid_type():
    with pytest.raises(ValueError):
        parse(None)


def test_parse_is_cached():
    assert parse("topic=cached.one") is parse("topic=cached.one")


@pytest.mark.parametrize("text, topics", [
    ("topic=a", {"a"}),
    ("topic=a and data.x=1", {"a"}),
    ("data.x=1 and topic=a", {"a"}),
    ("topic=a or topic=b", {"a", "b"}),
    ("(topic=a or topic=b) and source.id=x", {"a", "b"}),
    ("topic=a*", None),
    ("topic!=a", None),
    ("not topic=a", None),
    ("topic=a or data.x=1", None),
    ("data.topic=a", None),
])
def test_required_topics(text, topics):
    found = parse(text).topics
    assert (set(found) if found is not None else None) == topics


def test_deep_nesting_is_refused_or_parsed():
    text = "(" * 200 + "topic=a" + ")" * 200
    try:
        assert parse(text)({"topic": "a"})
    except ExpressionError:
        pass


def test_long_expressions_work_without_filling_the_cache():
    from ftrack_local.events import expression

    text = " or ".join('topic="t{0}"'.format(number) for number in range(400))
    assert len(text) > expression.CACHEABLE_LENGTH
    before = expression._cached.cache_info().currsize
    assert expression.parse(text).match({"topic": "t399"})
    assert expression._cached.cache_info().currsize == before


def test_errors_quote_long_expressions_cut_short():
    from ftrack_local.events import expression

    with pytest.raises(expression.ExpressionError) as error:
        expression.parse('topic="a" and ' * 500 + "(")
    assert len(str(error.value)) < 400
