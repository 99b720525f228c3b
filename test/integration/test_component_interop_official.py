"""The official ftrack client (``ftrack-python-api`` 3.1.0) storing and reading
component data in the local server's ``ftrack.server`` location."""

import json
import subprocess
import time

from ftrack_local import seed
from ftrack_local.client import ApiClient
from ftrack_local.components import ffmpeg


def test_official_client_publishes_and_downloads(reference_python, ftrack_fresh_server,
                                                 run_reference, tmp_path):
    image = None
    executable = ffmpeg.find_ffmpeg()
    if executable is not None:
        image = tmp_path / "still.png"
        subprocess.run([executable, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc=size=96x64", "-frames:v", "1", str(image)], check=True)
    observed = run_reference(reference_python, ftrack_fresh_server, "publish_file",
                             size=300000, image=str(image) if image else None)

    component_id = observed["component_id"]
    assert observed["file_type"] == ".bin" and observed["size"] == 300000
    assert observed["availability"] == 100.0
    assert observed["url"].startswith(ftrack_fresh_server.url + "/component/get?id=" +
                                      component_id)
    assert observed["download_status"] == 200
    assert observed["download_md5"] == observed["local_md5"]
    assert observed["stored_locations"] == [seed.SERVER_LOCATION_ID]
    assert observed["stored_resource_identifiers"] == [component_id]
    assert observed["job_attachment_md5"] == [observed["local_md5"]]

    # After remove_component the data and the registration are gone.
    assert observed["availability_after_remove"] == 0.0
    assert observed["download_after_remove_status"] == 404
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                       ftrack_fresh_server.api_key)
    assert client.query("select id from ComponentLocation where component_id is {0}".format(
        component_id)) == []

    if image is not None:
        job = observed["encode_job"]
        assert "id" in job, job
        plan = json.loads(job["data"])
        assert [o["format"] for o in plan["output"]] == ["image/jpeg"]
        deadline = time.monotonic() + 60
        while True:
            [stored] = client.query("select status, data from Job where id is {0}".format(
                job["id"]))
            if stored["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert stored["status"] == "done", stored["data"]
        # A file path given to encode_media is not kept (keep_original "auto").
        source = plan["source_component_id"]
        assert client.query("select id from Component where id is {0}".format(source)) == []
    client.close()
