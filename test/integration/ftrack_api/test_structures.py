"""Structures compute resource identifiers from real, committed entities."""

import uuid

import pytest

import ftrack_api.exception
import ftrack_api.structure.entity_id
import ftrack_api.structure.id
import ftrack_api.structure.standard
from ftrack_local import seed


@pytest.fixture
def version(ftrack_session):
    session = ftrack_session
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "my_project_" + uuid.uuid4().hex[:4], "full_name": "P",
                                         "project_schema": schema})
    folder = session.create("Folder", {"name": "folder a", "parent": project})
    shot = session.create("Shot", {"name": "sh010", "parent": folder})
    asset_type = session.query('AssetType where short is "geo"').first()
    asset = session.create("Asset", {"name": "asset name", "parent": shot, "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "version": 3})
    session.commit()
    return version


def test_standard_structure(ftrack_session, version):
    session = ftrack_session
    project = version["asset"]["parent"]["project"]["name"]
    base = "{0}/folder_a/sh010/asset_name/v003".format(project)
    file_component = session.create("FileComponent", {"name": "foo", "file_type": ".jpg", "version": version})
    sequence = session.create("SequenceComponent", {"name": "foo", "file_type": ".jpg", "padding": 4,
                                                    "version": version})
    # Members are named by their frame as written (create_component pads them).
    member = session.create("FileComponent", {"name": "0042", "file_type": ".jpg", "container": sequence})
    unpadded = session.create("FileComponent", {"name": "7", "file_type": ".jpg", "container": sequence})
    container = session.create("ContainerComponent", {"name": "bar", "version": version})
    inner = session.create("FileComponent", {"name": "baz", "file_type": ".pdf", "container": container})
    session.commit()
    structure = ftrack_api.structure.standard.StandardStructure()
    assert structure.get_resource_identifier(file_component) == base + "/foo.jpg"
    assert structure.get_resource_identifier(sequence) == base + "/foo.%04d.jpg"
    assert structure.get_resource_identifier(member) == base + "/foo.0042.jpg"
    assert structure.get_resource_identifier(unpadded) == base + "/foo.7.jpg"
    assert structure.get_resource_identifier(container) == base + "/bar"
    assert structure.get_resource_identifier(inner) == base + "/bar/baz.pdf"
    assert structure.sanitise_for_filesystem("héllo wörld!") == "hello_world_"
    orphan = session.create("FileComponent", {"name": "lost"})
    with pytest.raises(ftrack_api.exception.StructureError):
        structure.get_resource_identifier(orphan)
    with pytest.raises(NotImplementedError):
        structure.get_resource_identifier(version)
    prefixed = ftrack_api.structure.standard.StandardStructure(project_versions_prefix="publish")
    # The prefix only applies to versions published directly under a project.
    assert prefixed.get_resource_identifier(file_component) == base + "/foo.jpg"


def test_standard_structure_for_versions_on_the_project(ftrack_session):
    session = ftrack_session
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "Flat_" + uuid.uuid4().hex[:4], "full_name": "F",
                                         "project_schema": schema})
    asset_type = session.query('AssetType where short is "geo"').first()
    asset = session.create("Asset", {"name": "Plate", "parent": project, "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "version": 12})
    component = session.create("FileComponent", {"name": "foo", "file_type": ".png",
                                                 "version": version})
    session.commit()
    name = project["name"].lower()
    assert ftrack_api.structure.standard.StandardStructure().get_resource_identifier(
        component) == name + "/plate/v012/foo.png"
    assert ftrack_api.structure.standard.StandardStructure(
        project_versions_prefix="publish").get_resource_identifier(
        component) == name + "/publish/plate/v012/foo.png"
    # A component that only knows its version's id is placed the same way.
    by_id = session.create("FileComponent", {"name": "bar", "file_type": ".png",
                                             "version_id": version["id"]})
    assert ftrack_api.structure.standard.StandardStructure().get_resource_identifier(
        by_id) == name + "/plate/v012/bar.png"
    # A version that is not committed yet is refused.
    fresh = session.create("AssetVersion", {"asset": asset, "version": 13})
    pending = session.create("FileComponent", {"name": "baz", "file_type": ".png",
                                               "version": fresh})
    with pytest.raises(ftrack_api.exception.StructureError):
        ftrack_api.structure.standard.StandardStructure().get_resource_identifier(pending)
    session.rollback()


def test_id_and_entity_id_structures(ftrack_session, version):
    session = ftrack_session
    component = session.create("FileComponent", {"name": "foo", "file_type": ".exr", "version": version})
    identifier = component["id"]
    # Leading and trailing slashes are stripped from IdStructure identifiers.
    structure = ftrack_api.structure.id.IdStructure(prefix="/prefix")
    expected = "prefix/{0}/{1}/{2}/{3}/{4}.exr".format(*identifier[:4], identifier[4:])
    assert structure.get_resource_identifier(component) == expected
    # EntityIdStructure uses the bare id, whatever the prefix.
    entity_id = ftrack_api.structure.entity_id.EntityIdStructure(prefix="root")
    assert entity_id.get_resource_identifier(component) == identifier
    bare = ftrack_api.structure.entity_id.EntityIdStructure()
    assert bare.get_resource_identifier(component) == identifier
