"""Publish one event per given source (claimed users included) on a topic."""

import time

import ftrack_api.event.base

from _common import params, report, session

options = params()
a_session = session(auto_connect_event_hub=True)
deadline = time.time() + options.get("timeout", 60)
while not a_session.event_hub.connected and time.time() < deadline:
    time.sleep(0.05)
event_ids = []
for index, source in enumerate(options["sources"]):
    event = ftrack_api.event.base.Event(topic=options["topic"], data={"index": index},
                                        source=source)
    a_session.event_hub.publish(event)
    event_ids.append(event["id"])
# Give the socket time to send before the session closes it.
a_session.event_hub.wait(1)
report({"hub_id": a_session.event_hub.id, "event_ids": event_ids,
        "connected": a_session.event_hub.connected})
a_session.close()
