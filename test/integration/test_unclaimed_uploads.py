"""Upload data no component claimed is removed once its upload URL has expired."""

import os
import time
import uuid

from ftrack_local.client import ApiClient
from ftrack_local.components import orphans
from ftrack_local.components.service import UPLOAD_LIFETIME

TIMEOUT = 10.0


def _blob(store, component_id, age):
    path = store.path_of(component_id)
    with open(path, "wb") as handle:
        handle.write(b"data")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_old_unclaimed_data_goes_and_everything_else_stays(ftrack_fresh_server):
    server = ftrack_fresh_server
    client = ApiClient(server.url, server.api_user, server.api_key)
    store = server.backend.components.store
    claimed = client.create("FileComponent", {"name": "main", "file_type": ".exr"})["id"]
    old = UPLOAD_LIFETIME + 3600
    claimed_path = _blob(store, claimed, old)
    unclaimed_path = _blob(store, str(uuid.uuid4()), old)
    recent_path = _blob(store, str(uuid.uuid4()), 60)

    # A new upload URL starts the removal in the background.
    client.call([{"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                  "file_name": "a.exr", "file_size": 4}])
    deadline = time.monotonic() + TIMEOUT
    while os.path.exists(unclaimed_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(unclaimed_path)
    assert os.path.exists(claimed_path)
    assert os.path.exists(recent_path)
    client.close()


def test_finding_orphans_looks_up_ids_in_chunks(ftrack_fresh_server):
    server = ftrack_fresh_server
    client = ApiClient(server.url, server.api_user, server.api_key)
    store = server.backend.components.store
    old = UPLOAD_LIFETIME + 60
    claimed = [client.create("FileComponent", {"name": "c{0}".format(i)})["id"]
               for i in range(3)]
    unclaimed = [str(uuid.uuid4()) for _ in range(orphans.CHUNK + 5)]
    for component_id in claimed + unclaimed:
        _blob(store, component_id, old)
    found = orphans.find_orphans(store, server.backend, server.api_user, UPLOAD_LIFETIME)
    assert sorted(found) == sorted(unclaimed)
    assert orphans.remove_orphans(store, server.backend, server.api_user, UPLOAD_LIFETIME) \
        == len(unclaimed)
    assert all(store.exists(component_id) for component_id in claimed)
    client.close()
