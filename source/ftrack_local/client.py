"""A minimal raw JSON client for the ``/api`` endpoint.

Useful to test a server on the wire or to script it without the full ftrack
API client::

    client = ApiClient("http://127.0.0.1:8989", "admin", key)
    client.query("select name from Project")
"""

import json
from typing import Any, Dict, List, Mapping, Optional

import requests


class ApiClientError(Exception):
    """The server answered with an error envelope (or something unusable).

    *exception* and *content* come from the envelope, *status* is the HTTP
    status of the answer.
    """

    def __init__(self, exception: str, content: str, status: int,
                 error_code: Optional[str] = None) -> None:
        super().__init__("{0}: {1} (HTTP {2})".format(exception, content, status))
        self.exception = exception
        self.content = content
        self.status = status
        self.error_code = error_code


class ApiClient:
    """Send batches of operations to ``<url>/api`` with the ftrack headers."""

    def __init__(self, url: str, api_user: str, api_key: str,
                 strict: bool = False, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.api_user = api_user
        self.api_key = api_key
        self.strict = strict
        self.timeout = timeout
        self.http = requests.Session()

    @property
    def headers(self) -> Dict[str, str]:
        """The headers the reference client sends with every request."""
        return {
            "content-type": "application/json",
            "accept": "application/json",
            "ftrack-user": self.api_user,
            "ftrack-api-key": self.api_key,
            "ftrack-strict-api": "true" if self.strict else "false",
        }

    def post(self, body: Any, headers: Optional[Mapping[str, Optional[str]]] = None
             ) -> requests.Response:
        """POST *body* (bytes/str as is, else JSON-encoded) and return the raw
        response. *headers* override the defaults; a None value removes one."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body, sort_keys=True)
        merged: Dict[str, str] = dict(self.headers)
        for name, value in (headers or {}).items():
            merged.pop(name.lower(), None)
            if value is not None:
                merged[name.lower()] = value
        return self.http.post(self.url + "/api", data=body, headers=merged,
                              timeout=self.timeout)

    def call(self, operations: List[Dict[str, Any]]) -> List[Any]:
        """Run *operations*; return the results or raise ApiClientError."""
        response = self.post(operations)
        try:
            data = response.json()
        except ValueError:
            raise ApiClientError(
                "ServerError", "Unexpected answer: {0}".format(response.text[:500]),
                response.status_code)
        if isinstance(data, dict) and "exception" in data:
            raise ApiClientError(data["exception"], data.get("content", ""),
                                 response.status_code, data.get("error_code"))
        if response.status_code >= 400 or not isinstance(data, list):
            raise ApiClientError(
                "ServerError", "Unexpected answer: {0}".format(response.text[:500]),
                response.status_code)
        return data

    def query(self, expression: str) -> List[Dict[str, Any]]:
        """Run one query and return its ``data`` list."""
        return self.call([{"action": "query", "expression": expression}])[0]["data"]

    def create(self, entity_type: str, data: Dict[str, Any]) -> Dict[str, Any]:
        """Create one entity from *data*; return the server's entity."""
        entity_data = dict(data, __entity_type__=entity_type)
        operation: Dict[str, Any] = {"action": "create", "entity_type": entity_type,
                                     "entity_data": entity_data}
        if "id" in data:
            operation["entity_key"] = [str(data["id"])]
        return self.call([operation])[0]["data"]

    def update(self, entity_type: str, key: Any, data: Dict[str, Any]
               ) -> Dict[str, Any]:
        """Update the entity with primary key *key* (a value or a list)."""
        return self.call([{
            "action": "update", "entity_type": entity_type,
            "entity_key": _key_list(key),
            "entity_data": dict(data, __entity_type__=entity_type),
        }])[0]["data"]

    def delete(self, entity_type: str, key: Any) -> Any:
        """Delete the entity with primary key *key* (a value or a list)."""
        return self.call([{"action": "delete", "entity_type": entity_type,
                           "entity_key": _key_list(key)}])[0]["data"]

    def close(self) -> None:
        """Close the HTTP connections of the client."""
        self.http.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _key_list(key: Any) -> List[str]:
    if isinstance(key, (list, tuple)):
        return [str(value) for value in key]
    return [str(key)]
