"""Tests for :mod:`ftrack_api.formatter`."""

import pytest
import termcolor

import ftrack_api.formatter
import ftrack_api.symbol


class FakeEntity(dict):
    """Mapping with the entity attributes the formatter relies on."""

    primary_key_attributes = ["id"]

    def __init__(self, entity_type, data):
        super(FakeEntity, self).__init__(data)
        self.entity_type = entity_type


PLAIN = {"header": lambda text: "[{0}]".format(text), "label": lambda text: text}


def _format(entity, **kwargs):
    kwargs.setdefault("formatters", PLAIN)
    return ftrack_api.formatter.format(entity, **kwargs)


@pytest.fixture
def project():
    project = FakeEntity("Project", {"id": "p1", "name": "Proj"})
    first = FakeEntity("Task", {"id": "t1", "name": "Layout", "parent": project})
    second = FakeEntity("Task", {"id": "t2", "name": "Anim", "parent": project})
    project["children"] = [first, second]
    return project


def test_simple_entity():
    entity = FakeEntity("User", {"id": "u1", "username": "bob", "email": None})
    assert _format(entity) == "\n".join(
        ["[User]", "    email: None", "    id: u1", "    username: bob"]
    )


def test_unset_values_shown_and_filtered():
    entity = FakeEntity("User", {"id": "u1", "email": ftrack_api.symbol.NOT_SET})
    assert "email: NOT_SET" in _format(entity)

    filtered = _format(
        entity, attribute_filter=ftrack_api.formatter.FILTER["ignore_unset"]
    )
    assert "email" not in filtered
    assert "id: u1" in filtered


def test_filter_receives_entity_name_and_value():
    entity = FakeEntity("User", {"id": "u1", "a": 1})
    calls = []

    def attribute_filter(entity_, name, value):
        calls.append((entity_, name, value))
        return name != "a"

    text = _format(entity, attribute_filter=attribute_filter)
    assert "a: 1" not in text
    assert (entity, "a", 1) in calls
    assert (entity, "id", "u1") in calls


def test_ignore_unset_filter_function():
    ignore_unset = ftrack_api.formatter.FILTER["ignore_unset"]
    assert ignore_unset(None, "x", ftrack_api.symbol.NOT_SET) is False
    assert ignore_unset(None, "x", None) is True
    assert ignore_unset(None, "x", "") is True


def test_indent_and_first_line():
    entity = FakeEntity("User", {"id": "u1"})
    assert _format(entity, indent=2) == "  [User]\n      id: u1"
    assert _format(entity, indent=2, indent_first_line=False) == "[User]\n      id: u1"


def test_nested_entity_and_collections_not_recursive(project):
    task = project["children"][0]
    assert _format(task) == "\n".join(
        [
            "[Task]",
            "    id: t1",
            "    name: Layout",
            "    parent: [Project]",
            "        children: <collection of 2 entities>",
            "        id: p1",
            "        name: Proj",
        ]
    )


def test_recursive_collections_with_cycle_guard(project):
    assert _format(project, recursive=True) == "\n".join(
        [
            "[Project]",
            "    children:",
            "        [Task]",
            "            id: t1",
            "            name: Layout",
            "            parent: [Project] (already shown)",
            "        [Task]",
            "            id: t2",
            "            name: Anim",
            "            parent: [Project] (already shown)",
            "    id: p1",
            "    name: Proj",
        ]
    )


def test_self_reference_does_not_recurse_forever():
    entity = FakeEntity("Node", {"id": "n1"})
    entity["self"] = entity
    assert _format(entity) == "[Node]\n    id: n1\n    self: [Node] (already shown)"


def test_entities_without_primary_key_are_guarded_by_object():
    entity = FakeEntity("Node", {})
    entity["me"] = entity
    other = FakeEntity("Node", {})
    entity["other"] = other
    text = _format(entity)
    assert "me: [Node] (already shown)" in text
    assert "other: [Node]\n" in text or text.endswith("other: [Node]")


def test_collection_count_singular():
    entity = FakeEntity("Project", {"id": "p1"})
    entity["children"] = [FakeEntity("Task", {"id": "t1"})]
    assert "children: <collection of 1 entity>" in _format(entity)


def test_plain_lists_and_mappings_shown_as_values():
    entity = FakeEntity("Task", {"id": "t1", "link": [{"id": "x"}], "empty": []})
    text = _format(entity)
    assert "link: [{'id': 'x'}]" in text
    assert "empty: []" in text


@pytest.fixture(autouse=True)
def fresh_colour_detection():
    """termcolor may cache whether colours are wanted; reset around tests."""

    def reset():
        module = getattr(termcolor, "termcolor", None)
        for name in ("can_colorize", "_can_do_colour"):
            cached = getattr(module, name, None)
            if hasattr(cached, "cache_clear"):
                cached.cache_clear()

    reset()
    yield
    reset()


def test_default_formatters_keep_text(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    entity = FakeEntity("User", {"id": "u1"})
    text = ftrack_api.formatter.format(entity)
    assert "User" in text
    assert "id" in text and "u1" in text


def test_default_formatters_colour_when_forced(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("ANSI_COLORS_DISABLED", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    entity = FakeEntity("User", {"id": "u1"})
    text = ftrack_api.formatter.format(entity)
    assert "\x1b[" in text


def test_partial_formatters_fall_back_to_defaults(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    entity = FakeEntity("User", {"id": "u1"})
    text = ftrack_api.formatter.format(
        entity, formatters={"header": lambda text: "<<" + text + ">>"}
    )
    assert text.splitlines()[0] == "<<User>>"


def test_formatters_argument_not_modified():
    formatters = {"header": str}
    ftrack_api.formatter.format(FakeEntity("User", {"id": "u1"}), formatters=formatters)
    assert formatters == {"header": str}
