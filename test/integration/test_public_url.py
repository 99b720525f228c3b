"""``--public-url``: the URLs a server hands out name the address clients
reach it by (a load balancer), not the one it listens on."""

import uuid

from ftrack_local.cli import build_parser, ready_text
from ftrack_local.client import ApiClient
from ftrack_local.server import LocalServer

PUBLIC = "http://ftrack.studio.example:8989"


def test_handed_out_urls_use_the_public_url(tmp_path):
    server = LocalServer(data_dir=str(tmp_path / "data"), port=0, public_url=PUBLIC + "/")
    with server:
        assert server.public_url == PUBLIC
        assert server.url.startswith("http://127.0.0.1:")
        client = ApiClient(server.url, server.api_user, server.api_key)
        component_id = str(uuid.uuid4())
        [answer] = client.call([{"action": "get_upload_metadata", "component_id": component_id,
                                 "file_name": "a.txt", "file_size": 3}])
        assert answer["url"].startswith(PUBLIC + "/component/upload?")
        assert "FTRACK_SERVER=" + PUBLIC in ready_text(server)
        client.close()


def test_serve_takes_the_public_url_option():
    args = build_parser().parse_args(["serve", "--public-url", PUBLIC])
    assert args.public_url == PUBLIC
    assert build_parser().parse_args(["serve"]).public_url is None
