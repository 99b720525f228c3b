"""Subscribe to ``params()["topic"]`` and answer each event with
``params()["reply"]``; stop after ``count`` events (or when the time runs
out) and report what was received."""

import time

from _common import params, report, session

options = params()
a_session = session(auto_connect_event_hub=True)
received = []


def on_event(event):
    received.append({"id": event["id"], "topic": event["topic"], "data": event["data"],
                     "source": event["source"], "target": event["target"]})
    return options.get("reply", {"received": event["id"]})


a_session.event_hub.subscribe("topic=" + options["topic"], on_event)
deadline = time.time() + options.get("timeout", 60)
while time.time() < deadline and len(received) < options.get("count", 1):
    a_session.event_hub.wait(0.2)
# Give the last reply time to leave before closing.
a_session.event_hub.wait(0.5)
report({"connected": a_session.event_hub.connected, "hub_id": a_session.event_hub.id,
        "events": received})
a_session.close()
