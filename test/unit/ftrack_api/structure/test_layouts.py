"""Structures compute resource identifiers from entities of an offline session."""

import pytest

import ftrack_api.exception
import ftrack_api.structure.base
import ftrack_api.structure.entity_id
import ftrack_api.structure.id
import ftrack_api.structure.origin
import ftrack_api.structure.standard

FILE_ID = "a1b2c3d4-0000-4000-8000-000000000001"
SEQUENCE_ID = "e5f6a7b8-0000-4000-8000-000000000002"
CONTAINER_ID = "c9d0e1f2-0000-4000-8000-000000000003"


class Fixed(ftrack_api.structure.base.Structure):
    def get_resource_identifier(self, entity, context=None):
        return "fixed"


@pytest.mark.parametrize("padding, expected", [(None, "%d"), (0, "%d"), (4, "%04d"), (2, "%02d")])
def test_sequence_expression(padding, expected):
    assert Fixed()._get_sequence_expression({"padding": padding}) == expected


def test_base_keeps_prefix_and_separator():
    structure = Fixed(prefix="root")
    assert (structure.prefix, structure.path_separator) == ("root", "/")
    with pytest.raises(TypeError):
        ftrack_api.structure.base.Structure()


# IdStructure -----------------------------------------------------------------
def sequence(session, padding=4, file_type=".exr"):
    return session.create("SequenceComponent", {
        "id": SEQUENCE_ID, "name": "plate", "padding": padding, "file_type": file_type})


def test_id_structure_layouts(offline_session):
    session = offline_session
    structure = ftrack_api.structure.id.IdStructure(prefix="store")
    single = session.create("FileComponent", {"id": FILE_ID, "name": "main", "file_type": ".exr"})
    assert structure.get_resource_identifier(single) == "store/a/1/b/2/c3d4-0000-4000-8000-000000000001.exr"

    container = session.create("ContainerComponent", {"id": CONTAINER_ID, "name": "bundle"})
    assert structure.get_resource_identifier(container) == "store/c/9/d/0/e1f2-0000-4000-8000-000000000003"
    inside = session.create("FileComponent", {"id": FILE_ID, "name": "notes", "file_type": ".txt",
                                              "container": container})
    assert structure.get_resource_identifier(inside) == (
        "store/c/9/d/0/e1f2-0000-4000-8000-000000000003/" + FILE_ID + ".txt")


def test_id_structure_sequences(offline_session):
    session = offline_session
    structure = ftrack_api.structure.id.IdStructure()
    padded = sequence(session, padding=4)
    folder = "e/5/f/6/a7b8-0000-4000-8000-000000000002"
    assert structure.get_resource_identifier(padded) == folder + "/file.%04d.exr"
    # A member is named by its name (its frame, as written when it was made).
    member = session.create("FileComponent", {"name": "0007", "file_type": ".exr",
                                              "container": padded})
    assert structure.get_resource_identifier(member) == folder + "/file.0007.exr"
    unpadded = session.create("FileComponent", {"name": "7", "file_type": ".exr",
                                                "container": padded})
    assert structure.get_resource_identifier(unpadded) == folder + "/file.7.exr"
    assert structure.get_resource_identifier(sequence(session, padding=0)) == folder + "/file.%d.exr"
    assert structure.get_resource_identifier(sequence(session, file_type=None)) == folder + "/file.%04d"


def test_id_structure_prefix_and_unsupported(offline_session):
    session = offline_session
    component = session.create("FileComponent", {"id": FILE_ID, "name": "main", "file_type": ""})
    # Slashes around the whole identifier are stripped, so an absolute prefix
    # gives a relative identifier.
    rooted = ftrack_api.structure.id.IdStructure(prefix="/mnt/store")
    assert rooted.get_resource_identifier(component) == (
        "mnt/store/" + "/".join(FILE_ID[:4]) + "/" + FILE_ID[4:])
    user = session.create("User", {"username": "someone"})
    with pytest.raises(NotImplementedError, match="Cannot generate path for unsupported entity"):
        rooted.get_resource_identifier(user)


# EntityIdStructure and OriginStructure -------------------------------------------
def test_entity_id_structure(offline_session):
    component = offline_session.create("FileComponent", {"id": FILE_ID, "name": "x"})
    assert ftrack_api.structure.entity_id.EntityIdStructure().get_resource_identifier(
        component) == FILE_ID
    # As in the official client the prefix is not part of the identifier.
    assert ftrack_api.structure.entity_id.EntityIdStructure(prefix="root").get_resource_identifier(
        component, {"source_resource_identifier": "ignored"}) == FILE_ID
    with pytest.raises(Exception):
        ftrack_api.structure.entity_id.EntityIdStructure().get_resource_identifier(object())


@pytest.mark.parametrize("context", [None, {}, {"source_resource_identifier": None},
                                     {"other": "value"}])
def test_origin_structure_needs_a_source(context):
    structure = ftrack_api.structure.origin.OriginStructure()
    with pytest.raises(ValueError) as raised:
        structure.get_resource_identifier(None, context)
    assert str(raised.value) == (
        "Could not generate resource identifier as no source resource identifier found in "
        "passed context.")


def test_origin_structure_passes_the_source_through():
    structure = ftrack_api.structure.origin.OriginStructure()
    assert structure.get_resource_identifier(None, {"source_resource_identifier": "/x/y"}) == "/x/y"
    assert structure.get_resource_identifier(None, {"source_resource_identifier": ""}) == ""


# StandardStructure ------------------------------------------------------------------
@pytest.fixture
def version(offline_session):
    """A committed-looking version of "Hero Asset" in project "My Proj", folder "Séq 01"."""
    session = offline_session
    session.create("Project", {"id": "p-1", "name": "My Proj"}, reconstructing=True)
    asset = session.create("Asset", {"id": "a-1", "name": "Hero Asset"}, reconstructing=True)
    return session.create("AssetVersion", {
        "id": "v-1", "version": 3, "asset": asset,
        "link": [{"id": "p-1", "name": "My Proj", "type": "Project"},
                 {"id": "f-1", "name": "Séq 01", "type": "TypedContext"},
                 {"id": "v-1", "name": "Hero Asset v003", "type": "AssetVersion"}]},
        reconstructing=True)


@pytest.fixture
def project_version(offline_session):
    """A version published directly under the project."""
    session = offline_session
    session.create("Project", {"id": "p-2", "name": "Flat"}, reconstructing=True)
    asset = session.create("Asset", {"id": "a-2", "name": "plate"}, reconstructing=True)
    return session.create("AssetVersion", {
        "id": "v-2", "version": 12, "asset": asset,
        "link": [{"id": "p-2", "name": "Flat", "type": "Project"},
                 {"id": "v-2", "name": "plate v012", "type": "AssetVersion"}]},
        reconstructing=True)


def test_standard_structure_layouts(offline_session, version):
    session = offline_session
    structure = ftrack_api.structure.standard.StandardStructure()
    base = "my_proj/seq_01/hero_asset/v003"
    single = session.create("FileComponent", {"name": "Foo Bar", "file_type": ".JPG",
                                              "version": version})
    assert structure.get_resource_identifier(single) == base + "/foo_bar.jpg"
    frames = session.create("SequenceComponent", {"name": "beauty", "padding": 4,
                                                  "file_type": ".exr", "version": version})
    assert structure.get_resource_identifier(frames) == base + "/beauty.%04d.exr"
    member = session.create("FileComponent", {"name": "0042", "file_type": ".exr",
                                              "container": frames})
    assert structure.get_resource_identifier(member) == base + "/beauty.0042.exr"
    unpadded = session.create("SequenceComponent", {"name": "raw", "padding": 0,
                                                    "file_type": ".dpx", "version": version})
    assert structure.get_resource_identifier(unpadded) == base + "/raw.%d.dpx"
    bundle = session.create("ContainerComponent", {"name": "Bundle", "version": version})
    assert structure.get_resource_identifier(bundle) == base + "/bundle"
    inside = session.create("FileComponent", {"name": "notes", "file_type": ".pdf",
                                              "container": bundle})
    assert structure.get_resource_identifier(inside) == base + "/bundle/notes.pdf"


def test_standard_structure_project_versions_prefix(offline_session, project_version):
    session = offline_session
    component = session.create("FileComponent", {"name": "foo", "file_type": ".png",
                                                 "version": project_version})
    assert ftrack_api.structure.standard.StandardStructure().get_resource_identifier(
        component) == "flat/plate/v012/foo.png"
    assert ftrack_api.structure.standard.StandardStructure(
        project_versions_prefix="publish").get_resource_identifier(
        component) == "flat/publish/plate/v012/foo.png"


def test_standard_structure_sanitising():
    default = ftrack_api.structure.standard.StandardStructure()
    assert default.sanitise_for_filesystem("Björn Ström!") == "bjorn_strom_"
    assert default.sanitise_for_filesystem("a/b\\c:d.e-f") == "a_b_c_d.e-f"
    assert default.sanitise_for_filesystem(42) == "42"
    caret = ftrack_api.structure.standard.StandardStructure(illegal_character_substitute="^")
    assert caret.sanitise_for_filesystem("bj!rn") == "bj^rn"
    unchanged = ftrack_api.structure.standard.StandardStructure(illegal_character_substitute=None)
    assert unchanged.sanitise_for_filesystem("Björn Ström!") == "Björn Ström!"


def test_standard_structure_finds_version_by_id(offline_session, version):
    component = offline_session.create("FileComponent", {"name": "foo", "file_type": ".png",
                                                         "version_id": version["id"]})
    assert ftrack_api.structure.standard.StandardStructure().get_resource_identifier(
        component) == "my_proj/seq_01/hero_asset/v003/foo.png"


def test_standard_structure_needs_a_committed_version(offline_session):
    session = offline_session
    structure = ftrack_api.structure.standard.StandardStructure()
    orphan = session.create("FileComponent", {"name": "lost", "file_type": ".png"})
    with pytest.raises(ftrack_api.exception.StructureError, match="must be attached to a committed"):
        structure.get_resource_identifier(orphan)
    new_version = session.create("AssetVersion", {})
    fresh = session.create("FileComponent", {"name": "fresh", "file_type": ".png",
                                             "version": new_version})
    with pytest.raises(ftrack_api.exception.StructureError):
        structure.get_resource_identifier(fresh)
    unlinked = session.create("AssetVersion", {"id": "v-3", "link": []}, reconstructing=True)
    component = session.create("FileComponent", {"name": "x", "file_type": ".png",
                                                 "version": unlinked})
    with pytest.raises(ftrack_api.exception.StructureError):
        structure.get_resource_identifier(component)
    user = session.create("User", {"username": "someone"})
    with pytest.raises(NotImplementedError, match="unsupported entity"):
        structure.get_resource_identifier(user)


def test_standard_structure_seams_can_be_overridden(offline_session, version):
    class Versions(ftrack_api.structure.standard.StandardStructure):
        def _format_version(self, number):
            return "version_{0}".format(number)

    class Flat(ftrack_api.structure.standard.StandardStructure):
        def _get_parts(self, entity):
            return ["flat"]

    component = offline_session.create("FileComponent", {"name": "foo", "file_type": ".png",
                                                         "version": version})
    assert Versions().get_resource_identifier(component) == (
        "my_proj/seq_01/hero_asset/version_3/foo.png")
    assert Flat().get_resource_identifier(component) == "flat/foo.png"
