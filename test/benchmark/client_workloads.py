"""Client workloads, run as a script by any interpreter with an ``ftrack_api``.

The same file drives this project's client and, for comparison, the
official one: both expose the same API. It reads its parameters as JSON on
standard input, runs every workload once in this process and prints one JSON
object mapping each workload to the client CPU seconds it took
(``time.process_time``: this process only; the server runs elsewhere).

Parameters: ``server_url``, ``api_user``, ``api_key``, ``project_id`` (a
project holding the tasks to query), ``parent_id`` (a context to create
tasks under), ``task_type_id``, ``status_id``, ``schema_cache_dir`` (an empty
directory) and ``task_count`` (how many tasks the query should return).
"""

import json
import sys
import time
import uuid


def measure(results, name, action):
    started = time.process_time()
    value = action()
    results[name] = time.process_time() - started
    return value


def main():
    params = json.load(sys.stdin)
    import ftrack_api

    results = {}

    def start():
        return ftrack_api.Session(
            server_url=params["server_url"], api_user=params["api_user"], api_key=params["api_key"],
            auto_connect_event_hub=False, schema_cache_path=params["schema_cache_dir"], plugin_paths=[])

    session = measure(results, "session start (empty schema cache)", start)

    expression = ('select name, bid, status.name, type.name, parent.name from Task '
                  'where project_id is "{0}"'.format(params["project_id"]))

    def iterate():
        count = 0
        for task in session.query(expression):
            task["name"]
            task["bid"]
            task["status"]["name"]
            task["type"]["name"]
            task["parent"]["name"]
            count += 1
        return count

    count = measure(results, "query 5,000 tasks, cold cache", iterate)
    if count != params["task_count"]:
        raise SystemExit("expected {0} tasks, got {1}".format(params["task_count"], count))
    measure(results, "same query, warm cache", iterate)

    parent = session.get("TypedContext", params["parent_id"])
    task_type = session.get("Type", params["task_type_id"])
    status = session.get("Status", params["status_id"])

    def create():
        created = [session.create("Task", {"name": "bench_{0}".format(index), "parent": parent,
                                           "type": task_type, "status": status, "id": str(uuid.uuid4())})
                   for index in range(1000)]
        session.commit()
        return created

    created = measure(results, "1,000 creates, one commit", create)

    def update():
        for index, task in enumerate(created):
            task["name"] = "renamed_{0}".format(index)
            task["bid"] = float(index)
        session.commit()

    measure(results, "1,000 updates, one commit", update)
    session.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
