"""Helpers for the component storage tests: upload, register and fetch
component data the way the client's server accessor does (PROTOCOL 7.3, 7.4)."""

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


def upload_metadata(client, component_id, data=None, size=None, name="file.bin", md5=True):
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
    """Create the FileComponent and its ComponentLocation in one batch."""
    component = dict({"__entity_type__": "FileComponent", "id": component_id, "name": name,
                      "file_type": file_type, "size": size}, **extra)
    location = {"__entity_type__": "ComponentLocation", "id": str(uuid.uuid4()),
                "component_id": component_id, "location_id": SERVER_LOCATION,
                "resource_identifier": component_id}
    client.call([
        {"action": "create", "entity_type": "FileComponent", "entity_key": [component_id],
         "entity_data": component},
        {"action": "create", "entity_type": "ComponentLocation", "entity_key": [location["id"]],
         "entity_data": location}])


def component_url(server, purpose, component_id, user=None, key=None, **extra):
    query = dict(id=component_id, username=server.api_user if user is None else user,
                 apiKey=server.api_key if key is None else key, **extra)
    return "{0}/component/{1}?{2}".format(server.url, purpose, urllib.parse.urlencode(query))


def download(server, component_id, **options):
    return requests.get(component_url(server, "get", component_id, **options), timeout=TIMEOUT)
