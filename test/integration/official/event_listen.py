"""Connect the event hub, subscribe and collect events until one mentions
the entity named ``params()["name"]`` (or the time runs out)."""

import time

from _common import params, report, session

options = params()
a_session = session(auto_connect_event_hub=True)
received = []


def on_event(event):
    received.append({"id": event["id"], "topic": event["topic"], "data": event["data"],
                     "source": event["source"], "target": event["target"]})


def found():
    return any(entity.get("changes", {}).get("name", {}).get("new") == options["name"]
               for event in received for entity in event["data"].get("entities", []))


a_session.event_hub.subscribe(options.get("subscription", "topic=ftrack.update"), on_event)
deadline = time.time() + options.get("timeout", 60)
while time.time() < deadline and not found():
    a_session.event_hub.wait(0.2)
report({"connected": a_session.event_hub.connected, "found": found(), "events": received})
a_session.close()
