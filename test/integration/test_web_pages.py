"""The web pages of ``ftrack-local serve`` over real HTTP, as a browser without scripts sees them.

One server holds the tutorial's project (sequences, shots, tasks, a custom
attribute, metadata, a version with a file), a thumbnail, a sequence of
many shots for paging, jobs, and a second project whose restricted user
must not see the first one's data. Pages are fetched with ``requests``;
the data is made and checked with ``ftrack_api`` sessions, and
``ftrack.update`` events are heard by a session connected to the hub.
"""

import html.parser
import json
import re
import struct
import threading
import time
import urllib.parse
import uuid
import zlib

import ftrack_api
import ftrack_api.event.base
import pytest
import requests

from ftrack_local import demo
from ftrack_local.api import users
from ftrack_local.client import ApiClient
from ftrack_local.testing import running_server

TIMEOUT = 30
#: Shots of the crowd sequence: more than one page of a collection (50).
CROWD = 55


# -- reading pages ---------------------------------------------------------------------

class _Element:
    def __init__(self, tag, attributes):
        self.tag = tag
        self.attributes = dict(attributes)
        self.children = []
        self.parts = []

    @property
    def text(self):
        """The text of the element and everything inside it, spaces collapsed."""
        return " ".join("".join(self._pieces()).split())

    def _pieces(self):
        for part in self.parts:
            yield from (part._pieces() if isinstance(part, _Element) else [part])

    def find_all(self, tag=None, **attributes):
        """The elements inside this one with *tag* and *attributes* (``class_`` for class)."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attributes.items()}
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                    value in (child.attributes.get(name) or "").split() if name == "class"
                    else child.attributes.get(name) == value for name, value in wanted.items()):
                yield child
            yield from child.find_all(tag, **attributes)

    def find(self, tag=None, **attributes):
        found = next(self.find_all(tag, **attributes), None)
        assert found is not None, "no <{0}> with {1} on the page".format(tag, attributes)
        return found


class _PageParser(html.parser.HTMLParser):
    VOID = {"input", "img", "meta", "link", "br", "hr", "source"}

    def __init__(self):
        super().__init__()
        self.root = _Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, attrs)
        self.stack[-1].children.append(element)
        self.stack[-1].parts.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def page(response):
    """The parsed document of an HTML *response*."""
    assert response.headers["Content-Type"].startswith("text/html"), response.headers["Content-Type"]
    parser = _PageParser()
    parser.feed(response.text)
    return parser.root


def form_token(response):
    return page(response).find("input", name="form_token").attributes["value"]


# -- the server and its data -----------------------------------------------------------

def png_bytes(size=8):
    """A small valid PNG picture (orange squares)."""
    rows = b"".join(b"\x00" + bytes((230, 120, 30)) * size for _ in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _session(server, user, key, hub=False):
    return ftrack_api.Session(server_url=server.url, api_user=user, api_key=key,
                              auto_connect_event_hub=hub, plugin_paths=[])


def _add_user(server, name, role, projects):
    """A new user holding *role* on *projects*; returns its API key."""
    storage = server.backend.storage
    with storage.engine.begin() as connection:
        key = users.create_user(storage, connection, name)["api_key"]
        users.grant_role(storage, connection, name, role, projects=projects)
    return key


def _crowd(session, project):
    sequence = session.create("Sequence", {"name": "crowd", "parent": project})
    for number in range(1, CROWD + 1):
        session.create("Shot", {"name": "crowd_sh{0:03d}".format(number), "parent": sequence})
    session.commit()
    return sequence


def _jobs(session, attachment):
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    failed = session.create("Job", {"user": user, "status": "failed", "type": "api_job", "data": json.dumps(
        {"description": "Export of the plates", "error": "The disk is full."})})
    done = session.create("Job", {"user": user, "status": "done", "type": "api_job",
                                  "data": json.dumps({"description": "Report", "progress": 1})})
    session.commit()
    session.create("JobComponent", {"job_id": done["id"], "component_id": attachment["id"]})
    session.commit()
    return failed, done


class UpdateListener:
    """A session connected to the hub collecting ``ftrack.update`` events on its own thread."""

    def __init__(self, server):
        self.session = _session(server, server.api_user, server.api_key, hub=True)
        self.events = []
        subscriber = self.session.event_hub.subscribe("topic=ftrack.update", self.events.append)
        self.running = True
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while subscriber not in {known.id for known in server.event_hub.subscribers()}:
            assert time.monotonic() < deadline, "the hub never registered the listener"
            time.sleep(0.02)

    def _pump(self):
        while self.running:
            self.session.event_hub.wait(0.05)

    def changes_of(self, entity_id, timeout=TIMEOUT):
        """The entity changes of the updates of *entity_id* heard within *timeout* seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [change for event in list(self.events) for change in event["data"].get("entities", [])
                     if change.get("entityId") == entity_id]
            if found:
                return found
            time.sleep(0.05)
        return []

    def close(self):
        self.running = False
        self.thread.join(TIMEOUT)
        self.session.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The server, its data (``ids``) and the keys of its users."""
    with running_server(str(tmp_path_factory.mktemp("web-pages"))) as server:
        admin = _session(server, server.api_user, server.api_key)
        demo.run_tutorial(admin, lambda message: None)
        project = admin.query('Project where name is "starlord"').one()
        version = admin.query("AssetVersion where asset.parent.name is sq010_sh020").one()
        picture = tmp_path_factory.mktemp("pictures") / "thumbnail.png"
        picture.write_bytes(png_bytes())
        thumbnail = version.create_thumbnail(str(picture))
        admin.commit()
        main = admin.query('FileComponent where version_id is "{0}" and name is main'.format(version["id"])).one()
        failed, done = _jobs(admin, main)
        other = admin.create("Project", {"name": "other", "full_name": "Other",
                                         "project_schema": admin.query("ProjectSchema").first()})
        admin.commit()
        ids = {"project": project["id"], "version": version["id"], "thumbnail": thumbnail["id"],
               "main": main["id"], "failed_job": failed["id"], "done_job": done["id"], "other": other["id"],
               "crowd": _crowd(admin, project)["id"]}
        ids["task"] = admin.query('Task where parent.name is sq010_sh030 and name is compositing').one()["id"]
        for name in ("sq010_sh010", "sq010_sh020", "sq010_sh030", "sq020_sh010", "sq020_sh020"):
            ids[name] = admin.query('Shot where name is "{0}"'.format(name)).one()["id"]
        keys = {"admin": server.api_key, "outsider": _add_user(server, "outsider", "Restricted User", ["other"])}
        listener = UpdateListener(server)
        try:
            yield {"server": server, "admin": admin, "ids": ids, "keys": keys, "listener": listener}
        finally:
            listener.close()
            admin.close()


def sign_in(studio, user="admin"):
    """A ``requests`` session signed in to the pages as *user*."""
    http = requests.Session()
    response = http.post(studio["server"].url + "/login", data={
        "username": user, "api_key": studio["keys"][user], "next": "/"}, timeout=TIMEOUT)
    assert response.status_code == 200 and response.url == studio["server"].url + "/", response.text
    return http


@pytest.fixture(scope="module")
def admin_web(studio):
    http = sign_in(studio)
    yield http
    http.close()


def get(http, studio, path, **options):
    options.setdefault("timeout", TIMEOUT)
    return http.get(studio["server"].url + path, **options)


def post(http, studio, path, data):
    return http.post(studio["server"].url + path, data=data, timeout=TIMEOUT, allow_redirects=False)


def fresh(studio, expression):
    """The one row of *expression*, read anew from the server by the admin."""
    client = ApiClient(studio["server"].url, "admin", studio["keys"]["admin"])
    try:
        [row] = client.query(expression)
    finally:
        client.close()
    return row


#: What the edit tests compare before and after.
SHOT = 'select status_id, description, sort, custom_attributes from Shot where id is "{0}"'


def custom_values(row):
    return {item["key"]: item["value"] for item in row["custom_attributes"]}


# -- signing in --------------------------------------------------------------------------

def test_home_shows_the_sign_in_form_and_how_scripts_connect(studio):
    response = requests.get(studio["server"].url + "/", timeout=TIMEOUT)
    assert response.status_code == 200
    document = page(response)
    form = document.find("form", action="/login")
    assert {field.attributes["name"] for field in form.find_all("input")} == {"next", "username", "api_key"}
    assert "export FTRACK_SERVER={0}".format(studio["server"].url) in document.find("pre").text
    assert "Set-Cookie" not in response.headers


def test_sign_in_sets_a_strict_http_only_cookie(studio):
    response = requests.post(studio["server"].url + "/login", data={
        "username": "admin", "api_key": studio["keys"]["admin"], "next": "/jobs"},
        timeout=TIMEOUT, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/jobs"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ftrack_local_session=")
    flags = {flag.strip().split("=")[0].lower(): flag.strip() for flag in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].lower() == "samesite=strict"
    assert "secure" not in flags  # plain HTTP here
    assert studio["keys"]["admin"] not in cookie


@pytest.mark.parametrize("user, key", [("admin", "wrong-key"), ("nobody", "wrong-key"), ("admin", "")])
def test_sign_in_with_a_bad_key_is_refused(studio, user, key):
    response = requests.post(studio["server"].url + "/login", data={"username": user, "api_key": key,
                                                                     "next": "/"},
                             timeout=TIMEOUT, allow_redirects=False)
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    document = page(response)
    assert document.find("p", class_="error").text
    assert document.find("input", name="username").attributes["value"] == user


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "jobs",
                                    "http:/evil.example"])
def test_next_never_leads_to_another_site(studio, target):
    response = requests.post(studio["server"].url + "/login", data={
        "username": "admin", "api_key": studio["keys"]["admin"], "next": target},
        timeout=TIMEOUT, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    form = requests.get(studio["server"].url + "/login", params={"next": target}, timeout=TIMEOUT)
    assert page(form).find("input", name="next").attributes["value"] == "/"


@pytest.mark.parametrize("path", ["/query?q=select%20name%20from%20Project", "/events", "/events/stream",
                                  "/jobs", "/browse/Project/{project}", "/browse/thumbnail/{thumbnail}",
                                  "/browse/file/{main}"])
def test_signed_out_pages_lead_to_the_sign_in(studio, path):
    path = path.format(**studio["ids"])
    response = requests.get(studio["server"].url + path, timeout=TIMEOUT, allow_redirects=False)
    assert response.status_code == 303
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert location.path == "/login" and urllib.parse.parse_qs(location.query) == {"next": [path]}
    followed = requests.get(studio["server"].url + path, timeout=TIMEOUT)
    assert page(followed).find("input", name="next").attributes["value"] == path


def test_signing_in_returns_to_the_page_asked_for(studio):
    http = requests.Session()
    path = "/browse/Project/{0}".format(studio["ids"]["project"])
    response = http.post(studio["server"].url + "/login", data={
        "username": "admin", "api_key": studio["keys"]["admin"], "next": path}, timeout=TIMEOUT)
    assert response.url == studio["server"].url + path
    assert page(response).find("h1").text == "starlord"


def test_signed_out_posts_are_refused(studio):
    for path in ("/edit/Shot/{0}".format(studio["ids"]["sq010_sh010"]), "/logout"):
        response = requests.post(studio["server"].url + path, data={"kind": "attribute", "name": "description",
                                                                     "value": "x"},
                                 timeout=TIMEOUT, allow_redirects=False)
        assert response.status_code == 401


def test_signing_out_ends_the_session(studio):
    http = sign_in(studio)
    token = form_token(get(http, studio, "/"))
    response = post(http, studio, "/logout", {"form_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert get(http, studio, "/jobs", allow_redirects=False).status_code == 303


def test_signing_out_needs_the_pages_form_token(studio):
    http = sign_in(studio)
    response = post(http, studio, "/logout", {"form_token": "forged"})
    assert response.status_code == 403
    assert get(http, studio, "/jobs", allow_redirects=False).status_code == 200


def test_pages_name_their_icon_which_is_served(studio):
    http = sign_in(studio)
    assert 'href="/static/favicon.svg"' in get(http, studio, "/").text
    assert get(http, studio, "/static/favicon.svg").status_code == 200


def test_rotating_the_key_ends_the_web_session(studio):
    server = studio["server"]
    studio["keys"]["rotating"] = _add_user(server, "rotating", "User", ["starlord"])
    http = sign_in(studio, "rotating")
    assert get(http, studio, "/jobs", allow_redirects=False).status_code == 200
    with server.backend.storage.engine.begin() as connection:
        new_key = users.rotate_key(server.backend.storage, connection, "rotating")
    response = get(http, studio, "/jobs", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    home = get(http, studio, "/")
    assert page(home).find("form", action="/login")
    studio["keys"]["rotating"] = new_key
    assert get(sign_in(studio, "rotating"), studio, "/jobs", allow_redirects=False).status_code == 200


def test_a_forged_session_cookie_is_ignored(studio, admin_web):
    genuine = admin_web.cookies["ftrack_local_session"]
    payload, signature = genuine.split(".")
    forged = requests.get(studio["server"].url + "/jobs", cookies={
        "ftrack_local_session": payload + "." + signature[::-1]}, timeout=TIMEOUT, allow_redirects=False)
    assert forged.status_code == 303


# -- headers -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/query", "/events", "/jobs", "/browse/Project/{project}"])
def test_pages_forbid_framing_and_foreign_content(studio, admin_web, path):
    response = get(admin_web, studio, path.format(**studio["ids"]))
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split(";")
              if part.strip()}
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["Cache-Control"] == "no-store"
    for source in re.findall(r'(?:src|href)="([^"]*)"', response.text):
        assert not re.match(r"^(https?:)?//", source), source


def test_static_files_are_served(studio):
    for name, kind in (("app.css", "text/css"), ("events.js", "javascript")):
        response = requests.get(studio["server"].url + "/static/" + name, timeout=TIMEOUT)
        assert response.status_code == 200 and kind in response.headers["Content-Type"]
        assert response.content


# -- browsing ----------------------------------------------------------------------------

def test_projects_page_lists_the_projects(studio, admin_web):
    document = page(get(admin_web, studio, "/"))
    links = {link.text: link.attributes["href"] for link in document.find("table").find_all("a")}
    assert links == {"other": "/browse/Project/" + studio["ids"]["other"],
                     "starlord": "/browse/Project/" + studio["ids"]["project"]}
    assert "Starlord" in document.find("table").text


def test_restricted_user_sees_only_their_project(studio):
    document = page(get(sign_in(studio, "outsider"), studio, "/"))
    assert [link.text for link in document.find("table").find_all("a")] == ["other"]
    response = get(sign_in(studio, "outsider"), studio, "/browse/Project/" + studio["ids"]["project"])
    assert response.status_code == 404
    assert "may not read it" in page(response).find("p", class_="error").text


def test_entity_page_shows_attributes_references_and_breadcrumbs(studio, admin_web):
    shot_id = studio["ids"]["sq010_sh020"]
    document = page(get(admin_web, studio, "/browse/Shot/" + shot_id))
    assert document.find("h1").text == "sq010_sh020"
    assert [link.text for link in document.find("nav", class_="crumbs").find_all("a")] == [
        "starlord", "sq010", "sq010_sh020"]
    description = document.find("tr", data_field="description")
    assert description.find("input", name="value").attributes["value"] == "Hero shot, approved by the client."
    parent = document.find("tr", data_field="parent").find("a")
    assert parent.text == "sq010" and parent.attributes["href"].startswith("/browse/Sequence/")
    status = document.find("tr", data_field="status").find("a")
    assert status.text == "Approved"
    selected = [option.text for option in document.find("form", class_="inline").find_all("option")
                if "selected" in option.attributes]
    assert selected == ["Approved"]
    assert document.find("tr", data_field="id").text.endswith(shot_id)


def _custom_row(studio, http, shot):
    return page(get(http, studio, "/browse/Shot/" + studio["ids"][shot])).find("tr", data_custom="fstart")


def test_entity_page_shows_custom_attributes_with_their_defaults(studio, admin_web):
    set_row = _custom_row(studio, admin_web, "sq010_sh020")
    assert set_row.find("th").text == "Frame start fstart"
    assert set_row.find("input", name="value").attributes["value"] == "1009"
    assert "(default)" not in set_row.text
    default_row = _custom_row(studio, admin_web, "sq020_sh020")
    assert default_row.find("input", name="value").attributes["value"] == "1001"


def test_entity_page_marks_a_default_value(studio, admin_web):
    assert "(default)" in _custom_row(studio, admin_web, "sq020_sh020").text
    assert "(default)" not in _custom_row(studio, admin_web, "sq010_sh020").text


def test_attributes_the_server_keeps_are_not_editable(studio, admin_web):
    document = page(get(admin_web, studio, "/browse/Shot/" + studio["ids"]["sq010_sh020"]))
    assert next(document.find("tr", data_field="context_type").find_all("input"), None) is None
    assert next(document.find("tr", data_field="description").find_all("input"), None) is not None


def test_a_version_page_is_headed_by_its_asset_and_number(studio, admin_web):
    document = page(get(admin_web, studio, "/browse/AssetVersion/" + studio["ids"]["version"]))
    assert re.fullmatch(r".+ v\d{3}", document.find("h1").text)


def test_entity_page_shows_metadata(studio, admin_web):
    document = page(get(admin_web, studio, "/browse/Shot/" + studio["ids"]["sq010_sh020"]))
    assert document.find("tr", data_metadata="frame_padding").find("td").text == "4"
    other = page(get(admin_web, studio, "/browse/Shot/" + studio["ids"]["sq020_sh010"]))
    assert next(other.find_all("tr", data_metadata="frame_padding"), None) is None


def test_collection_previews_link_to_all_members(studio, admin_web):
    crowd = studio["ids"]["crowd"]
    document = page(get(admin_web, studio, "/browse/Sequence/" + crowd))
    children = document.find("section", data_collection="children")
    names = [link.text for link in children.find("ul").find_all("a")]
    assert names == ["crowd_sh{0:03d}".format(number) for number in range(1, 11)]
    more = [link for link in children.find_all("a") if link.text.startswith("All ")]
    assert [link.attributes["href"] for link in more] == ["/browse/Sequence/{0}/children".format(crowd)]
    shot = page(get(admin_web, studio, "/browse/Shot/" + studio["ids"]["sq010_sh020"]))
    tasks = shot.find("section", data_collection="children")
    assert [link.text for link in tasks.find_all("a")] == ["animation", "compositing"]


def test_collection_pages_of_fifty(studio, admin_web):
    path = "/browse/Sequence/{0}/children".format(studio["ids"]["crowd"])
    first = page(get(admin_web, studio, path))
    assert [link.text for link in first.find("ul").find_all("a")] == [
        "crowd_sh{0:03d}".format(number) for number in range(1, 51)]
    pages = first.find("nav", class_="pages")
    assert [link.attributes["rel"] for link in pages.find_all("a")] == ["next"]
    second = page(get(admin_web, studio, path + "?page=2"))
    assert [link.text for link in second.find("ul").find_all("a")] == [
        "crowd_sh{0:03d}".format(number) for number in range(51, CROWD + 1)]
    assert [link.attributes["rel"] for link in second.find("nav", class_="pages").find_all("a")] == ["prev"]
    beyond = page(get(admin_web, studio, path + "?page=9"))
    assert list(beyond.find("ul").find_all("a")) == []
    assert page(get(admin_web, studio, path + "?page=nonsense")).find("nav", class_="pages").find(
        "span").text == "Page 1"


@pytest.mark.parametrize("path", ["/browse/NoSuchType/x", "/browse/Shot/{crowd}/nonsense",
                                  "/browse/Shot/not-an-id/children"])
def test_unknown_entities_and_collections_are_not_found(studio, admin_web, path):
    response = get(admin_web, studio, path.format(**studio["ids"]))
    assert response.status_code == 404


def test_unknown_entity_id_shows_an_error(studio, admin_web):
    response = get(admin_web, studio, "/browse/Shot/" + str(uuid.uuid4()))
    assert response.status_code == 404
    assert "No Shot with id" in page(response).find("p", class_="error").text


def test_an_entity_is_shown_under_its_own_type(studio, admin_web):
    shot_id = studio["ids"]["sq010_sh010"]
    response = get(admin_web, studio, "/browse/TypedContext/" + shot_id, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/browse/Shot/" + shot_id


def test_version_page_shows_its_thumbnail_and_components(studio, admin_web):
    document = page(get(admin_web, studio, "/browse/AssetVersion/" + studio["ids"]["version"]))
    assert document.find("img", class_="thumbnail").attributes["src"] == \
        "/browse/thumbnail/" + studio["ids"]["thumbnail"]
    components = document.find("section", data_collection="components")
    assert {link.attributes["href"] for link in components.find_all("a")} >= {
        "/browse/FileComponent/" + studio["ids"]["main"]}


def test_breadcrumbs_of_a_version_lead_to_pages(studio, admin_web):
    document = page(get(admin_web, studio, "/browse/AssetVersion/" + studio["ids"]["version"]))
    for link in document.find("nav", class_="crumbs").find_all("a"):
        assert get(admin_web, studio, link.attributes["href"]).status_code == 200, link.attributes["href"]


# -- thumbnails and files ----------------------------------------------------------------

def test_thumbnails_and_files_are_served_to_readers(studio, admin_web):
    thumbnail = get(admin_web, studio, "/browse/thumbnail/" + studio["ids"]["thumbnail"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/png"
    assert thumbnail.content == png_bytes()
    data = get(admin_web, studio, "/browse/file/" + studio["ids"]["main"])
    assert data.status_code == 200
    assert data.content.startswith(b"A plate for sq010_sh020.")
    part = get(admin_web, studio, "/browse/file/" + studio["ids"]["main"], headers={"Range": "bytes=2-6"})
    assert part.status_code == 206
    assert part.content == data.content[2:7]


def test_thumbnails_and_files_of_other_projects_are_not_found(studio):
    outsider = sign_in(studio, "outsider")
    for path in ("/browse/thumbnail/{main}", "/browse/file/{main}"):
        response = get(outsider, studio, path.format(**studio["ids"]))
        assert response.status_code == 404, path
        assert b"A plate" not in response.content
    # A thumbnail made with create_thumbnail is attached to no version: every user
    # holding a role may read it (doc/local_server_users.rst, "Component data").
    assert get(outsider, studio, "/browse/thumbnail/" + studio["ids"]["thumbnail"]).content == png_bytes()


def test_unknown_components_are_not_found(studio, admin_web):
    assert get(admin_web, studio, "/browse/file/" + str(uuid.uuid4())).status_code == 404
    assert get(admin_web, studio, "/browse/thumbnail/nonsense").status_code == 404


# -- queries -----------------------------------------------------------------------------

def test_query_page_shows_the_rows(studio, admin_web):
    response = get(admin_web, studio, "/query", params={
        "q": 'select name, parent.name from Shot where parent.name is "sq010" order by name'})
    document = page(response)
    assert document.find("p", class_="count").text == "3 rows."
    table = document.find("table", class_="results")
    headers = [cell.text for cell in table.find("thead").find_all("th")]
    assert headers[:2] == ["type", "id"] and "name" in headers and "parent" in headers
    rows = [[cell.text for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")]
    assert [row[headers.index("name")] for row in rows] == ["sq010_sh010", "sq010_sh020", "sq010_sh030"]
    assert {row[headers.index("parent")] for row in rows} == {"sq010"}
    links = [row.find("a").attributes["href"] for row in table.find("tbody").find_all("tr")]
    assert links[0] == "/browse/Shot/" + studio["ids"]["sq010_sh010"]


def test_query_page_without_a_limit_shows_the_first_rows(studio, admin_web, monkeypatch):
    # The studio has over 55 shots: more than the page shows when it shows 50 (the server runs in this process).
    monkeypatch.setattr("ftrack_local.web.querying.SHOWN_ROWS", 50)
    document = page(get(admin_web, studio, "/query", params={"q": "select name from Shot"}))
    assert document.find("p", class_="count").text.startswith("More than 50 rows")
    assert len(list(document.find("table", class_="results").find("tbody").find_all("tr"))) == 50


def test_query_page_counts_an_empty_result(studio, admin_web):
    document = page(get(admin_web, studio, "/query", params={"q": 'Shot where name is "no such shot"'}))
    assert document.find("p", class_="count").text == "0 rows."
    assert next(document.find_all("table"), None) is None


@pytest.mark.parametrize("expression, error", [
    ("select nope from Shot", 'UnknownAttributeError: Attribute "nope" does not exist on type "Shot".'),
    ("select name from NoSuchType", "NoSuchType"),
    ("select name from Shot where", "Error"),
])
def test_query_page_shows_the_error(studio, admin_web, expression, error):
    response = get(admin_web, studio, "/query", params={"q": expression})
    assert response.status_code == 200
    document = page(response)
    shown = document.find("p", class_="error").text
    assert error in shown
    assert re.match(r"^\w+(Error|Exception): ", shown), shown
    assert document.find("textarea", name="q").text == expression


def test_query_page_shows_only_what_the_user_may_read(studio):
    document = page(get(sign_in(studio, "outsider"), studio, "/query", params={"q": "select name from Shot"}))
    assert document.find("p", class_="count").text == "0 rows."


# -- jobs --------------------------------------------------------------------------------

def test_jobs_page_shows_a_failed_job_with_its_error(studio, admin_web):
    document = page(get(admin_web, studio, "/jobs"))
    failed = document.find("tr", data_job=studio["ids"]["failed_job"])
    assert "failed" in failed.attributes["class"].split()
    assert failed.find("td", class_="status").text == "failed"
    assert "Export of the plates" in failed.text
    assert failed.find("span", class_="error").text == "The disk is full."
    assert "admin" in failed.text
    done = document.find("tr", data_job=studio["ids"]["done_job"])
    assert done.find("progress").attributes["value"] == "1"


def test_jobs_page_filters_by_status(studio, admin_web):
    document = page(get(admin_web, studio, "/jobs", params={"status": "failed"}))
    assert [row.attributes["data-job"] for row in document.find_all("tr", class_="job")] == [
        studio["ids"]["failed_job"]]
    assert "No jobs with status killed" in page(get(admin_web, studio, "/jobs", params={"status": "killed"})).text


def test_jobs_page_links_attachments(studio, admin_web):
    document = page(get(admin_web, studio, "/jobs"))
    links = [a for a in document.find("tr", data_job=studio["ids"]["done_job"]).find_all("a")
             if a.attributes["href"].startswith("/browse/file/")]
    assert [a.attributes["href"] for a in links] == ["/browse/file/" + studio["ids"]["main"]]
    assert links[0].attributes["download"] == "main.txt"
    assert get(admin_web, studio, links[0].attributes["href"]).content.startswith(b"A plate for")


# -- edits -------------------------------------------------------------------------------

def _edit(http, studio, entity_type, entity_id, **fields):
    token = form_token(get(http, studio, "/browse/{0}/{1}".format(entity_type, entity_id)))
    return post(http, studio, "/edit/{0}/{1}".format(entity_type, entity_id), dict(fields, form_token=token))


def test_status_edit_changes_the_status_and_publishes_an_update(studio, admin_web):
    shot_id = studio["ids"]["sq020_sh010"]
    on_hold = fresh(studio, 'Status where name is "On Hold"')
    response = _edit(admin_web, studio, "Shot", shot_id, kind="status", value=on_hold["id"])
    assert response.status_code == 303 and response.headers["Location"] == "/browse/Shot/" + shot_id
    assert fresh(studio, SHOT.format(shot_id))["status_id"] == on_hold["id"]
    changes = studio["listener"].changes_of(shot_id)
    assert [change["changes"]["status_id"]["new"] for change in changes if change["action"] == "update"] == [
        on_hold["id"]], changes
    document = page(get(admin_web, studio, response.headers["Location"]))
    assert document.find("tr", data_field="status").find("a").text == "On Hold"


def test_attribute_edit_changes_the_value_and_publishes_an_update(studio, admin_web):
    shot_id = studio["ids"]["sq020_sh020"]
    response = _edit(admin_web, studio, "Shot", shot_id, kind="attribute", name="description",
                     value="Crowd shot, waiting for plates.")
    assert response.status_code == 303
    assert fresh(studio, SHOT.format(shot_id))["description"] == "Crowd shot, waiting for plates."
    changes = studio["listener"].changes_of(shot_id)
    assert any("description" in change["keys"] for change in changes), changes


def test_custom_attribute_edit_sets_a_value_and_publishes_an_update(studio, admin_web):
    shot_id = studio["ids"]["sq010_sh010"]
    response = _edit(admin_web, studio, "Shot", shot_id, kind="custom", name="fstart", value="1100")
    assert response.status_code == 303
    assert custom_values(fresh(studio, SHOT.format(shot_id)))["fstart"] == 1100
    assert studio["listener"].changes_of(shot_id), "no ftrack.update for the custom attribute"
    row = page(get(admin_web, studio, "/browse/Shot/" + shot_id)).find("tr", data_custom="fstart")
    assert row.find("input", name="value").attributes["value"] == "1100"
    # Changing a value already set updates it.
    assert _edit(admin_web, studio, "Shot", shot_id, kind="custom", name="fstart", value="1200").status_code == 303
    assert custom_values(fresh(studio, SHOT.format(shot_id)))["fstart"] == 1200


@pytest.mark.parametrize("entity, fields, message", [
    ("shot", {"kind": "custom", "name": "fstart", "value": "soon"}, '"soon" is not a number.'),
    ("shot", {"kind": "custom", "name": "no_such_key", "value": "1"}, 'No custom attribute "no_such_key"'),
    ("shot", {"kind": "attribute", "name": "project_id", "value": "x"}, '"project_id" cannot be edited here.'),
    ("shot", {"kind": "attribute", "name": "sort", "value": "first"}, '"first" is not a number.'),
    ("shot", {"kind": "nonsense", "value": "x"}, "Unknown edit."),
    ("shot", {"kind": "status", "value": "not-a-status"}, 'No status with id "not-a-status".'),
    ("task", {"kind": "attribute", "name": "start_date", "value": "yesterday"},
     '"yesterday" is not a valid date and time.'),
])
def test_a_bad_edit_shows_the_error_and_changes_nothing(studio, admin_web, entity, fields, message):
    entity_type, entity_id = ("Shot", studio["ids"]["sq010_sh030"]) if entity == "shot" else \
        ("Task", studio["ids"]["task"])
    expression = "select status_id, description, sort, custom_attributes from {0} where id is {1}".format(
        entity_type, json.dumps(entity_id))
    before = fresh(studio, expression)
    response = _edit(admin_web, studio, entity_type, entity_id, **fields)
    assert 400 <= response.status_code < 500
    assert message in page(response).find("p", class_="error").text
    assert fresh(studio, expression) == before


def test_edits_need_the_form_token(studio, admin_web):
    shot_id = studio["ids"]["sq010_sh030"]
    outsider_token = form_token(get(sign_in(studio, "outsider"), studio, "/"))
    before = fresh(studio, SHOT.format(shot_id))
    fields = {"kind": "attribute", "name": "description", "value": "Forged."}
    for token in (None, "", "garbage", outsider_token, admin_web.cookies["ftrack_local_session"]):
        data = dict(fields) if token is None else dict(fields, form_token=token)
        response = post(admin_web, studio, "/edit/Shot/" + shot_id, data)
        assert response.status_code == 403, token
    assert fresh(studio, SHOT.format(shot_id)) == before


def test_users_may_not_edit_what_they_cannot_read(studio):
    outsider = sign_in(studio, "outsider")
    shot_id = studio["ids"]["sq010_sh030"]
    token = form_token(get(outsider, studio, "/"))
    before = fresh(studio, SHOT.format(shot_id))
    response = post(outsider, studio, "/edit/Shot/" + shot_id, {
        "form_token": token, "kind": "attribute", "name": "description", "value": "Not mine."})
    assert 400 <= response.status_code < 500
    assert fresh(studio, SHOT.format(shot_id)) == before


# -- events ------------------------------------------------------------------------------

def _publisher(studio):
    session = _session(studio["server"], "admin", studio["keys"]["admin"])
    session.event_hub.connect()
    return session


def _publish(session, topic, data):
    event = ftrack_api.event.base.Event(topic=topic, data=data)
    session.event_hub.publish(event)
    return event


class EventStream:
    """``GET /events/stream`` read on a thread: the events it delivered."""

    def __init__(self, http, studio, expression):
        self.response = get(http, studio, "/events/stream", params={"filter": expression}, stream=True)
        assert self.response.status_code == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events = []
        self.comments = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.response.iter_lines():
                line = raw.decode("utf-8")  # server-sent events are always UTF-8
                if line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: "):]))
                elif line.startswith(":"):
                    self.comments.append(line)
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def wait_for(self, condition, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.response.close()


def test_event_stream_delivers_events_of_another_session_matching_its_filter(studio, admin_web):
    topic = "test.web." + uuid.uuid4().hex[:8]
    stream = EventStream(admin_web, studio, "topic={0}.wanted".format(topic))
    publisher = _publisher(studio)
    try:
        assert stream.wait_for(lambda: stream.comments), "the stream sent nothing"
        _publish(publisher, topic + ".other", {"n": 1})
        sent = _publish(publisher, topic + ".wanted", {"n": 2, "text": "héllo"})
        assert stream.wait_for(lambda: stream.events), "no event arrived on the stream"
        time.sleep(0.3)
        assert [event["id"] for event in stream.events] == [sent["id"]]
        assert stream.events[0]["topic"] == topic + ".wanted"
        assert stream.events[0]["data"] == {"n": 2, "text": "héllo"}
        assert stream.events[0]["sent"], "an event without a time is shown with the time the hub routed it"
        assert "charset=utf-8" in stream.response.headers["Content-Type"]
    finally:
        stream.close()
        publisher.close()


def test_event_stream_rejects_a_bad_filter(studio, admin_web):
    response = get(admin_web, studio, "/events/stream", params={"filter": "topic=="})
    assert response.status_code == 400
    assert "Invalid filter" in response.text
    document = page(get(admin_web, studio, "/events", params={"filter": "topic=="}))
    assert "Invalid filter" in document.find("p", class_="error").text
    assert document.find("p", id="live-status").attributes["data-live"] == "no"


def test_events_page_shows_recent_events_newest_first(studio, admin_web):
    topic = "test.web." + uuid.uuid4().hex[:8]
    publisher = _publisher(studio)
    try:
        _publish(publisher, topic, {"n": 1})
        _publish(publisher, topic, {"n": 2})
        publisher.event_hub.wait(0.2)
        rows = []
        deadline = time.monotonic() + TIMEOUT
        while len(rows) < 2 and time.monotonic() < deadline:
            document = page(get(admin_web, studio, "/events", params={"filter": "topic=" + topic}))
            rows = list(document.find("tbody", id="events").find_all("tr"))
            time.sleep(0.1)
    finally:
        publisher.close()
    assert [row.find("td", class_="topic").text for row in rows] == [topic, topic]
    assert [json.loads(row.find("pre").text)["n"] for row in rows] == [2, 1]
    assert document.find("p", id="live-status").attributes["data-filter"] == "topic=" + topic
    assert document.find("p", id="live-status").attributes["data-live"] == "yes"


def test_events_page_shows_updates_only_for_readable_projects(studio, admin_web):
    shot_id = studio["ids"]["sq020_sh020"]
    outsider = sign_in(studio, "outsider")
    _edit(admin_web, studio, "Shot", shot_id, kind="attribute", name="description", value="Seen by admins.")
    assert studio["listener"].changes_of(shot_id)
    admin_rows = page(get(admin_web, studio, "/events", params={"filter": "topic=ftrack.update"})).find(
        "tbody", id="events").find_all("tr")
    assert any(shot_id in row.text for row in admin_rows)
    outsider_rows = page(get(outsider, studio, "/events", params={"filter": "topic=ftrack.update"})).find(
        "tbody", id="events").find_all("tr")
    assert not any(shot_id in row.text for row in outsider_rows)
