"""Helpers shared by the client integration tests."""

import json
import uuid


def unique_name(prefix="test"):
    """Return a name unique across the test run."""
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:12])


class RequestCounter(object):
    """Count the HTTP requests a session sends and keep their bodies."""

    def __init__(self, session):
        self.bodies = []
        self._session = session
        self._post = session._request.post

        def post(url, *args, **kwargs):
            self.bodies.append(kwargs.get("data"))
            return self._post(url, *args, **kwargs)

        session._request.post = post

    @property
    def count(self):
        return len(self.bodies)

    def expressions(self):
        """Return query expressions sent, in order."""
        result = []
        for body in self.bodies:
            for operation in json.loads(body):
                if operation.get("action") == "query":
                    result.append(operation["expression"])
        return result

    def reset(self):
        del self.bodies[:]
