"""The cascade rules of deletes (:mod:`ftrack_local.api.writing.cascades`) against the real schema."""

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.api.writing import cascades
from ftrack_local.storage import Storage


@pytest.fixture(scope="module")
def storage():
    storage = Storage(schema_module.load(), "sqlite://")
    yield storage
    storage.dispose()


def test_every_rule_names_real_types_and_columns(storage):
    schema = storage.schema
    for rule in cascades.CASCADES:
        assert rule.owner == cascades.ANY_OWNER or rule.owner in schema.types, rule
        assert rule.target in schema.types, rule
        assert rule.column in storage.table(schema.types[rule.target]).c, rule
        assert rule.action in cascades.ACTION_ORDER, rule


def test_no_dependent_is_listed_twice():
    seen = [(rule.owner, rule.target, rule.column) for rule in cascades.CASCADES]
    assert len(seen) == len(set(seen))


def test_tables_become_rules_with_their_action():
    rules = set(cascades.CASCADES)
    assert cascades.Cascade("Asset", "AssetVersion", "asset_id") in rules
    assert cascades.Cascade("Context", "Timer", "context_id", cascades.DETACH) in rules
    assert cascades.Cascade("Location", "ComponentLocation", "location_id", cascades.REFUSE,
                            "component locations") in rules
    total = sum(len(d) for d in cascades.DELETED_WITH.values()) + sum(
        len(d) for d in cascades.DETACHED_FROM.values()) + sum(len(d) for d in cascades.REFUSED_BY.values())
    assert len(cascades.CASCADES) == total


def test_subtypes_inherit_the_rules_of_their_bases(storage):
    shot = cascades.cascades_for(storage.schema.types["Shot"])
    owners = {rule.owner for rule in shot}
    assert {"Context", "TypedContext", cascades.ANY_OWNER} <= owners
    assert "Project" not in owners
    assert ("Context", "parent_id") in {(rule.target, rule.column) for rule in shot}


def test_rules_run_refusals_then_detaches_then_deletes(storage):
    for name in ("Location", "Component", "User", "Project"):
        rules = cascades.cascades_for(storage.schema.types[name])
        ranks = [cascades.ACTION_ORDER[rule.action] for rule in rules]
        assert ranks == sorted(ranks), name
    location = cascades.cascades_for(storage.schema.types["Location"])
    assert location[0].action == cascades.REFUSE


def test_rules_for_any_owner_need_a_text_id(storage):
    event = storage.schema.types["Event"]
    assert event.attributes["id"].value_type == "integer"
    assert not [rule for rule in cascades.cascades_for(event) if rule.owner == cascades.ANY_OWNER]
    scope = cascades.cascades_for(storage.schema.types["Scope"])
    assert ("Metadata", "parent_id") in {(rule.target, rule.column) for rule in scope}
