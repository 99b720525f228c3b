"""The read-only attributes of a LocalServer that has not started."""

import pytest

from ftrack_local.limits import Limits
from ftrack_local.server import LocalServer


def test_attributes_tell_the_configuration_before_start(tmp_path):
    limits = Limits()
    server = LocalServer(data_dir=str(tmp_path), host="127.0.0.1", port=0, api_user="lead",
                         api_key="secret", limits=limits, event_hub=False)
    assert (server.host, server.port, server.api_user, server.api_key) == ("127.0.0.1", 0, "lead", "secret")
    assert server.data_dir == str(tmp_path)
    assert server.limits is limits
    assert server.event_hub is None and server.backend is None and not server.running


@pytest.mark.parametrize("name", ["host", "port", "api_user", "api_key", "event_hub", "limits",
                                  "data_dir", "backend", "running"])
def test_attributes_are_read_only_and_documented(name):
    server = LocalServer(event_hub=False)
    before = getattr(server, name)
    with pytest.raises(AttributeError, match=name):
        setattr(server, name, "changed")
    assert getattr(server, name) == before
    assert getattr(LocalServer, name).__doc__
