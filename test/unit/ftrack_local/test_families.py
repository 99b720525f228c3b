"""The legacy type names and the walk up a type's family."""

from __future__ import annotations

import pytest

from ftrack_local import families


def test_lineage_walks_up_to_the_top_of_the_family():
    assert list(families.lineage("Shot")) == ["Shot", "TypedContext", "Context"]
    assert list(families.lineage("AssetType")) == ["AssetType"]


@pytest.mark.parametrize("type_name, legacy", [
    ("Task", "task"), ("Shot", "task"), ("TypedContext", "task"), ("Project", "show"),
    ("AssetVersion", "assetversion"), ("FileComponent", "component"),
    ("SequenceComponent", "component"), ("TypedContextList", "list"), ("Group", "group"),
    ("AssetType", "assettype"),
])
def test_legacy_name(type_name, legacy):
    assert families.legacy_name(type_name) == legacy


def test_every_legacy_name_is_its_own_type_name():
    for type_name, legacy in families.LEGACY_NAMES.items():
        assert families.legacy_name(type_name) == legacy


def test_collection_rule_prefers_the_most_specific_owner():
    assert families.collection_rule("User", "timelogs")["remote_column"] == "user_id"
    assert families.collection_rule("Shot", "timelogs")["remote_column"] == "context_id"
    assert families.collection_rule("Shot", "notes")["target"] == "Note"
    assert families.collection_rule("Shot", "no_such_collection") is None
