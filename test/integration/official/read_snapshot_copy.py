"""Read a project loaded from a snapshot: its tree, counts, custom
attributes and metadata of its shots and of the versions ``version_ids``,
and the files of the components of those versions (through the
ftrack.server accessor and through the URL the location gives).

Parameters: ``project_name``, ``version_ids``."""

import hashlib

import ftrack_api.symbol
import requests

from _common import params, report, session


def plain(value):
    """A custom attribute value as JSON can carry it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def sha256_of(stream):
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


a_session = session()
project = a_session.query(
    'select id, name, full_name from Project where name is "{0}"'.format(params()["project_name"])).one()
where_project = ' where project_id is "{0}"'.format(project["id"])
version_ids = params()["version_ids"]
version_filter = "id in ({0})".format(", ".join('"{0}"'.format(each) for each in version_ids))

tree = sorted([context["id"], context["name"], context["object_type"]["name"], context["parent_id"]]
              for context in a_session.query(
                  "select id, name, object_type.name, parent_id from TypedContext" + where_project))
owners = list(a_session.query("select custom_attributes, metadata from Shot" + where_project))
owners.extend(a_session.query("select custom_attributes, metadata from AssetVersion where " + version_filter))
owners.append(a_session.query(
    'select custom_attributes, metadata from Project where id is "{0}"'.format(project["id"])).one())

location = a_session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
files = {}
for component in a_session.query(
        "select id, name, file_type, size from FileComponent where version_id in ({0})".format(
            ", ".join('"{0}"'.format(each) for each in version_ids))):
    data = location.accessor.open(location.get_resource_identifier(component), "rb")
    through_accessor = sha256_of(data)
    data.close()
    response = requests.get(location.get_url(component), timeout=60)
    files[component["id"]] = {
        "name": component["name"], "file_type": component["file_type"], "size": component["size"],
        "availability": location.get_component_availability(component),
        "sha256": through_accessor, "url_status": response.status_code,
        "url_sha256": hashlib.sha256(response.content).hexdigest()}

report({
    "project": {"id": project["id"], "name": project["name"], "full_name": project["full_name"]},
    "tree": tree,
    "counts": {type_name: len(a_session.query("select id from {0}{1}".format(type_name, where_project)).all())
               for type_name in ("Sequence", "Shot", "Task")},
    "custom_attributes": {entity["id"]: {key: plain(value) for key, value in entity["custom_attributes"].items()}
                          for entity in owners},
    "metadata": {entity["id"]: dict(entity["metadata"].items()) for entity in owners},
    "files": files,
})
