"""Fixtures of the browser tests: one server with a small studio, and Chromium driven by Playwright.

The browser is the system's Chromium (``/usr/bin/chromium``, or
``FTRACK_LOCAL_CHROMIUM``) run headless; Playwright's own browser builds are
not used. Outside CI the tests skip when Playwright or Chromium is missing;
in CI (``CI=true``) that is a failure. Screenshots of the pages go to
``FTRACK_LOCAL_SCREENSHOTS`` (default: a temporary folder of the run).
"""

import json
import os
import shutil
import struct
import zlib

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}


def _chromium_path():
    path = os.environ.get("FTRACK_LOCAL_CHROMIUM") or "/usr/bin/chromium"
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else shutil.which("chromium")


def _unavailable(reason):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("The browser tests must run in CI: " + reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the tests of a module.

    Closed when the module is done: while Playwright's synchronous API is
    open, the main thread counts as running an event loop, and later tests
    calling ``asyncio.run`` would fail.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[browser]').")
    executable = _chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def gradient_png(width=320, height=180):
    """A PNG picture of a dusk sky: blue to orange from top to bottom."""
    rows = []
    for y in range(height):
        share = y / (height - 1)
        red, green, blue = int(40 + 200 * share), int(60 + 90 * share), int(140 - 100 * share)
        rows.append(b"\x00" + bytes((red, green, blue)) * width)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + \
        chunk(b"IEND", b"")


def _studio_data(session, picture):
    """The tutorial's project, a thumbnail on its version and a failed job; returns their ids."""
    from ftrack_local import demo

    demo.run_tutorial(session, lambda message: None)
    version = session.query("AssetVersion where asset.parent.name is sq010_sh020").one()
    thumbnail = version.create_thumbnail(picture)
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    job = session.create("Job", {"user": user, "status": "failed", "type": "api_job", "data": json.dumps({
        "description": "Publish of the comp", "error": "The render farm is offline."})})
    session.create("Job", {"user": user, "status": "done", "type": "api_job",
                           "data": json.dumps({"description": "Thumbnails", "progress": 1})})
    session.commit()
    task = session.query('Task where parent.name is "sq010_sh030" and name is "compositing"').one()
    return {"version": version["id"], "thumbnail": thumbnail["id"], "failed_job": job["id"], "task": task["id"]}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A server holding the tutorial's project; ``ids`` names what the tests look at."""
    import ftrack_api

    from ftrack_local.testing import running_server

    picture = tmp_path_factory.mktemp("browser-pictures") / "dusk.png"
    picture.write_bytes(gradient_png())
    with running_server(str(tmp_path_factory.mktemp("browser-server"))) as server:
        with ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                                auto_connect_event_hub=False, plugin_paths=[]) as session:
            ids = _studio_data(session, str(picture))
        yield {"server": server, "ids": ids}


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """The folder receiving a full-page screenshot of each page the tests visit."""
    folder = os.environ.get("FTRACK_LOCAL_SCREENSHOTS")
    if not folder:
        return str(tmp_path_factory.mktemp("screenshots"))
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, screenshots):
    """A new browser tab (own cookies) whose script errors, refused or failing loads fail the test.

    Pages answering with an error status (a refused sign-in) are fine; the
    pictures, styles and scripts they load must not fail.
    """
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda error: problems.append("script error: {0}".format(error)))
    tab.on("console", lambda message: problems.append("console: " + message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("response", lambda response: problems.append("{0} {1}".format(response.status, response.url))
           if response.status >= 400 and response.request.resource_type != "document"
           and not response.url.endswith("/favicon.ico") else None)
    tab.set_default_timeout(15000)
    try:
        yield tab
    finally:
        context.close()
    assert problems == []


@pytest.fixture
def shoot(screenshots):
    """Save a full-page screenshot of a tab as ``<name>.png``."""
    def save(tab, name):
        tab.screenshot(path=os.path.join(screenshots, name + ".png"), full_page=True)
    return save
