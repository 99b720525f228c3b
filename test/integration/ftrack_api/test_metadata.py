"""Metadata: key/value mapping backed by Metadata entities."""

import json

import ftrack_api.inspection

from client_helpers import RequestCounter, unique_name


def test_set_new_key(ftrack_session, new_project, new_session):
    counter = RequestCounter(ftrack_session)
    new_project["metadata"]["frame_padding"] = "4"
    ftrack_session.commit()

    operations = json.loads(counter.bodies[-1])
    assert operations[0]["action"] == "create"
    assert operations[0]["entity_type"] == "Metadata"
    assert operations[0]["entity_key"] == [new_project["id"], "frame_padding"]
    assert operations[0]["entity_data"] == {
        "__entity_type__": "Metadata",
        "parent_id": new_project["id"],
        "parent_type": "Project",
        "key": "frame_padding",
        "value": "4",
    }
    assert operations[1]["action"] == "update"
    assert operations[1]["entity_type"] == "Project"

    other = new_session()
    project = other.get("Project", new_project["id"])
    assert project["metadata"]["frame_padding"] == "4"
    assert project["metadata"].keys() == ["frame_padding"]
    assert list(project["metadata"].items()) == [("frame_padding", "4")]
    metadata = project["metadata"].collection[0]
    assert metadata["parent_type"] == "Project"


def test_update_existing_key(ftrack_session, new_project, new_session):
    new_project["metadata"]["focal_length"] = "50"
    ftrack_session.commit()
    new_project["metadata"]["focal_length"] = "70"
    new_project["metadata"]["focal_length"] = "70"
    ftrack_session.commit()
    project = new_session().get("Project", new_project["id"])
    assert dict(project["metadata"]) == {"focal_length": "70"}


def test_delete_key(ftrack_session, new_project, new_session):
    new_project["metadata"]["a"] = "1"
    new_project["metadata"]["b"] = "2"
    ftrack_session.commit()
    del new_project["metadata"]["a"]
    ftrack_session.commit()
    project = new_session().get("Project", new_project["id"])
    assert dict(project["metadata"]) == {"b": "2"}


def test_replace_all(ftrack_session, new_project, new_session):
    new_project["metadata"]["a"] = "1"
    new_project["metadata"]["b"] = "2"
    ftrack_session.commit()
    new_project["metadata"] = {"b": "3", "c": "4"}
    ftrack_session.commit()
    project = new_session().get("Project", new_project["id"])
    assert dict(project["metadata"]) == {"b": "3", "c": "4"}


def test_metadata_on_creation(ftrack_session, new_project, new_session):
    sequence = ftrack_session.create(
        "Sequence",
        {
            "name": unique_name("seq"),
            "parent": new_project,
            "metadata": {"frame_padding": "4", "focal_length": "70"},
        },
    )
    assert sequence["metadata"]["frame_padding"] == "4"
    ftrack_session.commit()
    loaded = new_session().get("Sequence", sequence["id"])
    assert dict(loaded["metadata"]) == {"frame_padding": "4", "focal_length": "70"}


def test_query_by_metadata(ftrack_session, new_project):
    value = unique_name("value")
    sequence = ftrack_session.create(
        "Sequence",
        {"name": unique_name("seq"), "parent": new_project, "metadata": {"tag": value}},
    )
    ftrack_session.commit()
    result = ftrack_session.query(
        'Sequence where metadata any (key is "tag" and value is "{0}")'.format(value)
    ).all()
    assert result == [sequence]


def test_missing_key(ftrack_session, new_project):
    metadata = new_project["metadata"]
    assert metadata.get("missing") is None
    assert "missing" not in metadata


def test_deleted_key_stays_deleted_after_commit(ftrack_session, new_project, new_session):
    sequence = ftrack_session.create("Sequence", {"name": unique_name("sq"), "parent": new_project})
    ftrack_session.commit()
    sequence["metadata"].update({"lens": "35mm", "weather": "rain"})
    ftrack_session.commit()
    assert dict(sequence["metadata"]) == {"lens": "35mm", "weather": "rain"}

    del sequence["metadata"]["weather"]
    ftrack_session.commit()
    # The committed state is what the session now shows, without asking again.
    assert dict(sequence["metadata"]) == {"lens": "35mm"}
    assert dict(new_session().get("Sequence", sequence["id"])["metadata"]) == {"lens": "35mm"}


def test_committed_values_become_remote_values(ftrack_session, new_project):
    new_project["full_name"] = "Committed name"
    ftrack_session.commit()
    assert ftrack_api.inspection.entity_state(new_project).local.get("full_name", None) is None
    assert ftrack_api.inspection.entity_state(new_project).remote["full_name"] == "Committed name"
    assert new_project["full_name"] == "Committed name"
