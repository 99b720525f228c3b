"""Encoding jobs left behind by a stopped server fail when a server starts;
jobs a live process holds are left alone."""

import json

from ftrack_local.client import ApiClient
from ftrack_local.testing import database_url, start_server, throwaway_database


def _client(server):
    return ApiClient(server.url, server.api_user, server.api_key)


def _encode_job(client, status):
    return client.create("Job", {"type": "encode_media", "status": status,
                                 "data": json.dumps({"output": []})})


def _status(client, job_id):
    [job] = client.query('select status, data from Job where id is "{0}"'.format(job_id))
    return job["status"], json.loads(job["data"] or "{}")


def test_jobs_of_a_stopped_server_fail_and_held_ones_do_not(tmp_path):
    data_dir = str(tmp_path / "data")
    with throwaway_database(database_url()) as database:
        server = start_server(data_dir, database)
        try:
            client = _client(server)
            abandoned = _encode_job(client, "running")
            queued = _encode_job(client, "queued")
            elsewhere = _encode_job(client, "running")
        finally:
            server.stop()
        # Another live process (on another host) holds this one.
        leases = tmp_path / "data" / "components" / "job-leases"
        leases.mkdir(parents=True, exist_ok=True)
        (leases / "{0}.lease".format(elsewhere["id"])).write_text("render-node-7 4242 token")

        server = start_server(data_dir, database)
        try:
            client = _client(server)
            status, data = _status(client, abandoned["id"])
            assert status == "failed"
            assert "stopped" in data["error"]
            assert _status(client, queued["id"])[0] == "failed"
            assert _status(client, elsewhere["id"])[0] == "running"
        finally:
            server.stop()
