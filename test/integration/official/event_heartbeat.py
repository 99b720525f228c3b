"""A quiet subscriber kept connected by answering the server's heartbeats.

One session only subscribes and waits; another publishes ``count`` events,
``interval`` seconds apart, over a time much longer than the server's
heartbeat timeout. The subscriber sends nothing but heartbeat answers, so it
receives every event only if those answers keep its connection alive."""

import threading
import time
import uuid

from ftrack_api.event.base import Event

from _common import params, report, session

options = params()
topic = "heartbeat.test.{0}".format(uuid.uuid4().hex)
count = options.get("count", 8)
interval = options.get("interval", 0.5)
received = []


def wait_connected(a_session):
    deadline = time.time() + 30
    while not a_session.event_hub.connected and time.time() < deadline:
        time.sleep(0.05)
    return a_session.event_hub.connected


subscriber = session(auto_connect_event_hub=True)
wait_connected(subscriber)
subscriber.event_hub.subscribe("topic={0}".format(topic),
                               lambda event: received.append(event["data"]["counter"]))
# Let the subscription reach the server before anything is published.
subscriber.event_hub.wait(1)

publisher = session(auto_connect_event_hub=True)
publisher_connected = wait_connected(publisher)


def publish():
    for counter in range(1, count + 1):
        publisher.event_hub.publish(Event(topic=topic, data={"counter": counter}))
        time.sleep(interval)


thread = threading.Thread(target=publish)
thread.start()
deadline = time.time() + count * interval + 10
while len(received) < count and time.time() < deadline:
    subscriber.event_hub.wait(0.2)
thread.join()
report({"publisher_connected": publisher_connected, "received": sorted(received),
        "subscriber_connected": subscriber.event_hub.connected})
subscriber.close()
publisher.close()
