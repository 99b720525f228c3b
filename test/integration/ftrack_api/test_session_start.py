"""What a session sends on start, with and without a usable schema cache."""

import json
import os

import ftrack_api


class CountingSession(ftrack_api.Session):
    def _send(self, data):
        self.__dict__.setdefault("batches", []).append([operation["action"] for operation in data])
        return super(CountingSession, self)._send(data)


def start(server, cache):
    return CountingSession(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                           schema_cache_path=cache)


def test_empty_cache_needs_one_request_and_a_fresh_cache_none_for_schemas(ftrack_server, tmp_path):
    with start(ftrack_server, str(tmp_path)) as session:
        assert session.batches == [["query_server_information", "query_schemas"]]
        assert len(session.types) == 116
    with start(ftrack_server, str(tmp_path)) as session:
        assert session.batches == [["query_server_information"]]
    path = os.path.join(str(tmp_path), "ftrack_api_schema_cache.json")
    with open(path, "w") as handle:
        json.dump([], handle)
    with start(ftrack_server, str(tmp_path)) as session:
        assert session.batches == [["query_server_information"], ["query_schemas"]]
        assert "Task" in session.types
    with open(path) as handle:
        assert len(json.load(handle)) == 116
