"""Helpers for the component storage tests: upload, register and fetch
component data the way the client's server accessor does.
(doc/protocol.rst, "Uploading data", "Component URLs")"""

import base64
import hashlib
import urllib.parse
import uuid

import requests

from ftrack_local import seed

SERVER_LOCATION = seed.SERVER_LOCATION_ID
TIMEOUT = 30


def checksum(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def ensure_component(client, component_id):
    """Create a FileComponent *component_id* unless one exists (uploads need one)."""
    try:
        uuid.UUID(component_id)
    except (TypeError, ValueError):
        return  # not an id a component can have: the upload request is refused anyway
    if not client.query("select id from Component where id is {0}".format(component_id)):
        client.call([{"action": "create", "entity_type": "FileComponent",
                      "entity_key": [component_id],
                      "entity_data": {"__entity_type__": "FileComponent", "id": component_id,
                                      "name": "file", "file_type": ".bin", "size": 0}}])


def upload_metadata(client, component_id, data=None, size=None, name="file.bin", md5=True):
    ensure_component(client, component_id)
    operation = {"action": "get_upload_metadata", "component_id": component_id,
                 "file_name": name, "file_size": len(data) if size is None else size,
                 "checksum": checksum(data) if md5 and data is not None else None}
    return client.call([operation])[0]


def upload(client, data, component_id=None):
    """Upload *data* as a new component's data; return the component id."""
    component_id = component_id or str(uuid.uuid4())
    metadata = upload_metadata(client, component_id, data)
    response = requests.put(metadata["url"], data=data, headers=metadata["headers"],
                            timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return component_id


def register(client, component_id, name="file", file_type=".bin", size=0, **extra):
    """Give the FileComponent its details and add its ComponentLocation, in one batch."""
    details = dict({"name": name, "file_type": file_type, "size": size}, **extra)
    location = {"__entity_type__": "ComponentLocation", "id": str(uuid.uuid4()),
                "component_id": component_id, "location_id": SERVER_LOCATION,
                "resource_identifier": component_id}
    if client.query("select id from Component where id is {0}".format(component_id)):
        write = {"action": "update", "entity_type": "FileComponent",
                 "entity_key": [component_id], "entity_data": details}
    else:
        write = {"action": "create", "entity_type": "FileComponent", "entity_key": [component_id],
                 "entity_data": dict(details, __entity_type__="FileComponent", id=component_id)}
    client.call([
        write,
        {"action": "create", "entity_type": "ComponentLocation", "entity_key": [location["id"]],
         "entity_data": location}])


def component_url(server, purpose, component_id, user=None, key=None, **extra):
    query = dict(id=component_id, username=server.api_user if user is None else user,
                 apiKey=server.api_key if key is None else key, **extra)
    return "{0}/component/{1}?{2}".format(server.url, purpose, urllib.parse.urlencode(query))


def download(server, component_id, **options):
    return requests.get(component_url(server, "get", component_id, **options), timeout=TIMEOUT)
