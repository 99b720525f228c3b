"""The web pages in a real browser: sign in, browse, query, watch events live, see jobs, edit.

Each test drives headless Chromium through the pages as a person would
(typing, clicking, following links) and saves a screenshot of what it saw.
Events come from other ``ftrack_api`` sessions connected to the server's hub.
"""

import time
import uuid

import ftrack_api
import ftrack_api.event.base
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

TIMEOUT = 30


def _api_session(studio, hub=False):
    server = studio["server"]
    session = ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                                 auto_connect_event_hub=False, plugin_paths=[])
    if hub:
        session.event_hub.connect()
    return session


def sign_in(page, studio, target="/"):
    """Sign in through the form of *target* (which sends signed-out visitors to it)."""
    server = studio["server"]
    page.goto(server.url + target)
    page.get_by_label("User").fill(server.api_user)
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + target)


def test_sign_in_and_see_the_projects(page, studio, shoot):
    server = studio["server"]
    page.goto(server.url + "/")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert server.url in page.locator("pre").inner_text()
    shoot(page, "login")
    page.get_by_label("User").fill(server.api_user)
    page.get_by_label("API key").fill("not-the-key")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    assert page.get_by_role("link", name="starlord").is_visible()
    assert page.locator(".who").inner_text() == server.api_user
    shoot(page, "projects")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_browse_to_a_version_and_see_its_thumbnail(page, studio, shoot):
    sign_in(page, studio)
    page.get_by_role("link", name="starlord").click()
    page.locator("section[data-collection=children]").get_by_role("link", name="sq010", exact=True).click()
    page.get_by_role("link", name="sq010_sh020").click()
    assert page.locator("tr[data-custom=fstart] input[name=value]").input_value() == "1009"
    assert page.locator("tr[data-metadata=frame_padding] td").inner_text() == "4"
    page.locator("section[data-collection=assets]").get_by_role("link", name="plate").click()
    page.locator("section[data-collection=versions]").get_by_role("link").first.click()
    page.wait_for_url("**/browse/AssetVersion/" + studio["ids"]["version"])
    thumbnail = page.locator("img.thumbnail")
    assert thumbnail.get_attribute("src") == "/browse/thumbnail/" + studio["ids"]["thumbnail"]
    page.wait_for_function("image => image.complete", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [320, 180]
    assert page.locator("section[data-collection=components]").get_by_role("link", name="main").is_visible()
    shoot(page, "version")


def test_run_a_query(page, studio, shoot):
    sign_in(page, studio, "/query")
    page.get_by_label("Expression").fill(
        'select name, parent.name, status.name from Task where parent.name is "sq010_sh020" order by name')
    page.get_by_role("button", name="Run").click()
    assert page.locator("p.count").inner_text() == "2 rows."
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 2
    assert "animation" in rows.nth(0).inner_text() and "sq010_sh020" in rows.nth(0).inner_text()
    shoot(page, "query")
    rows.nth(1).get_by_role("link").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "compositing"
    page.goto(studio["server"].url + "/query")
    page.get_by_label("Expression").fill("select nothing from Nowhere")
    page.get_by_role("button", name="Run").click()
    assert "Nowhere" in page.get_by_role("alert").inner_text()


def _wait_live(page):
    page.wait_for_selector("#live-status.live")


def test_watch_events_arrive_live(page, studio, shoot):
    topic = "studio.review." + uuid.uuid4().hex[:6]
    sign_in(page, studio, "/events")
    page.get_by_label("Subscription").fill("topic=" + topic)
    page.get_by_role("button", name="Filter").click()
    _wait_live(page)
    publisher = _api_session(studio, hub=True)
    try:
        notes = ["Ready for review", "Client notes attached", "Approved for comp"]
        for shot, note in zip(("sq010_sh010", "sq010_sh020", "sq010_sh030"), notes):
            publisher.event_hub.publish(ftrack_api.event.base.Event(topic="studio.other", data={"shot": shot}))
            publisher.event_hub.publish(ftrack_api.event.base.Event(topic=topic, data={"shot": shot, "note": note}))
        rows = page.locator("tbody#events tr.new")
        rows.nth(2).wait_for()
        page.wait_for_function("() => document.getElementById('live-status').textContent.includes('3 new')")
        assert rows.count() == 3
        assert set(rows.locator("td.topic").all_inner_texts()) == {topic}
        # Newest first.
        assert [note in rows.nth(index).inner_text() for index, note in enumerate(reversed(notes))] == [True] * 3
    finally:
        publisher.close()
    shoot(page, "events")


def test_see_a_failed_job(page, studio, shoot):
    sign_in(page, studio, "/jobs")
    page.get_by_role("link", name="failed", exact=True).click()
    page.wait_for_url("**/jobs?status=failed")
    failed = page.locator("tr.job.failed")
    assert failed.count() == 1
    assert failed.get_attribute("data-job") == studio["ids"]["failed_job"]
    assert failed.locator(".error").inner_text() == "The render farm is offline."
    assert page.locator("tr.job.done").count() == 0
    page.get_by_role("link", name="All").click()
    assert page.locator("tr.job.done").count() == 1
    shoot(page, "jobs")


class _Listener:
    def __init__(self, studio):
        self.session = _api_session(studio, hub=True)
        self.events = []
        subscriber = self.session.event_hub.subscribe("topic=ftrack.update", self.events.append)
        deadline = time.monotonic() + TIMEOUT
        while subscriber not in {known.id for known in studio["server"].event_hub.subscribers()}:
            assert time.monotonic() < deadline, "the hub never registered the listener"
            self.session.event_hub.wait(0.02)

    def changes_of(self, entity_id):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            self.session.event_hub.wait(0.1)
            found = [change for event in self.events for change in event["data"].get("entities", [])
                     if change.get("entityId") == entity_id]
            if found:
                return found
        return []


def test_edit_a_status_and_see_the_update(page, browser, studio, shoot):
    task_id = studio["ids"]["task"]
    listener = _Listener(studio)
    watcher = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        sign_in(watcher, studio, "/events?filter=topic%3Dftrack.update")
        _wait_live(watcher)
        sign_in(page, studio, "/browse/Task/" + task_id)
        form = page.locator("form", has=page.locator("input[name=kind][value=status]"))
        form.get_by_label("Status").select_option(label="In progress")
        form.get_by_role("button", name="Set status").click()
        page.wait_for_url("**/browse/Task/" + task_id)
        assert page.locator("tr[data-field=status] a").inner_text() == "In progress"
        page.locator("tr[data-field=description] input[name=value]").fill("Waiting for the new plate; comp to follow.")
        page.locator("tr[data-field=description]").get_by_role("button", name="Save").click()
        assert page.locator("tr[data-field=description] input[name=value]").input_value() == \
            "Waiting for the new plate; comp to follow."
        shoot(page, "edit")
        update = watcher.locator("tbody#events tr.new", has_text=task_id)
        update.first.wait_for()
        assert update.first.locator("td.topic").inner_text() == "ftrack.update"
        changes = listener.changes_of(task_id)
        assert any("status_id" in change["keys"] for change in changes), changes
    finally:
        watcher.context.close()
        listener.session.close()
