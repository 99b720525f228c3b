"""Event hub workloads, run as a script by any interpreter with an ``ftrack_api``.

The same file drives this project's client and, for comparison, the
official one. It reads its parameters as JSON on standard input and plays
one role:

* ``subscribe`` — subscribe to ``topic`` and count the events received
  (callbacks run in ``event_hub.wait``), until ``count`` arrived or
  ``timeout`` seconds passed; print the wall-clock times of the first and
  last delivery, and the process's CPU seconds spent receiving;
* ``publish`` — publish ``count`` events to ``topic`` as fast as possible,
  then keep the connection open until the file ``stop_file`` exists (or
  ``timeout`` passed); print when publishing started and ended, and the
  CPU seconds the publishing took.

Other parameters: ``server_url``, ``api_user``, ``api_key`` and
``schema_cache_dir``. Times are ``time.time()`` values, comparable between
processes on one machine.
"""

import json
import os
import sys
import time


def open_session(params):
    import ftrack_api

    session = ftrack_api.Session(
        server_url=params["server_url"], api_user=params["api_user"], api_key=params["api_key"],
        auto_connect_event_hub=True, schema_cache_path=params["schema_cache_dir"], plugin_paths=[])
    deadline = time.time() + 30
    while not session.event_hub.connected:
        if time.time() > deadline:
            raise SystemExit("the event hub did not connect")
        time.sleep(0.01)
    return session


def subscribe(session, params):
    expected = params["count"]
    state = {"received": 0, "first": None, "last": None, "ids": set()}

    def on_event(event):
        now = time.time()
        if state["first"] is None:
            state["first"] = now
        state["last"] = now
        state["received"] += 1
        state["ids"].add(event["id"])

    session.event_hub.subscribe("topic=" + params["topic"], on_event)
    deadline = time.time() + params["timeout"]
    cpu = time.process_time()
    while state["received"] < expected and time.time() < deadline:
        session.event_hub.wait(0.05)
    return {"received": state["received"], "unique": len(state["ids"]),
            "first": state["first"], "last": state["last"],
            "cpu": time.process_time() - cpu}


def publish(session, params):
    from ftrack_api.event.base import Event

    topic = params["topic"]
    cpu = time.process_time()
    started = time.time()
    for number in range(params["count"]):
        session.event_hub.publish(Event(topic=topic, data={"n": number}))
    published = time.time()
    cpu = time.process_time() - cpu
    deadline = time.time() + params["timeout"]
    while not os.path.exists(params["stop_file"]) and time.time() < deadline:
        session.event_hub.wait(0.05)
    return {"started": started, "published": published, "cpu": cpu}


def main():
    params = json.load(sys.stdin)
    session = open_session(params)
    role = {"subscribe": subscribe, "publish": publish}[params["role"]]
    result = role(session, params)
    session.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
