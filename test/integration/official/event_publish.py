"""Publish one event through the server and collect the replies to it."""

import time

import ftrack_api.event.base

from _common import params, report, session

options = params()
a_session = session(auto_connect_event_hub=True)
deadline = time.time() + options.get("timeout", 60)
while not a_session.event_hub.connected and time.time() < deadline:
    time.sleep(0.05)
replies = []
event = ftrack_api.event.base.Event(topic=options["topic"], data=options.get("data", {}))
a_session.event_hub.publish(event, on_reply=lambda reply: replies.append(
    {"data": reply["data"], "in_reply_to_event": reply["in_reply_to_event"]}))
while time.time() < deadline and len(replies) < options.get("replies", 0):
    a_session.event_hub.wait(0.2)
report({"event_id": event["id"], "hub_id": a_session.event_hub.id, "replies": replies})
a_session.close()
