"""A client process of the multi-process benchmark, run as a script.

Reads JSON parameters on standard input: ``urls`` (the server processes),
``api_user``, ``api_key``, ``threads``, ``seconds``, ``worker`` (this
process's number), ``project_id``, ``task_ids`` (tasks to read and update)
and ``task_template`` (a Task ``create`` operation to copy). Each thread
sends requests one after the other, each to the next server in turn
(round robin, starting at a different server per thread), for ``seconds``
seconds. Each request is one of a fixed mix:

* 6 in 10: ``select name, status.name, parent.name from Task where id is …``;
* 2 in 10: ``update`` of one task's ``description``;
* 2 in 10: ``create`` of one Task under the project.

A request the server refuses because it conflicted with concurrent changes
(nothing written; clients send it again) is counted apart. Prints
``{"requests": …, "by_kind": {…}, "conflicts": …, "errors": […]}`` as the
last line; ``requests`` counts the answered ones.
"""

import copy
import json
import random
import sys
import threading
import time
import uuid

import requests

MIX = ["query"] * 6 + ["update"] * 2 + ["create"] * 2


def run_thread(params, number, counts, errors, lock):
    urls = params["urls"]
    http = requests.Session()
    headers = {"ftrack-user": params["api_user"], "ftrack-api-key": params["api_key"],
               "Content-Type": "application/json"}
    task_ids = params["task_ids"]
    chooser = random.Random(params["worker"] * 1000 + number)
    turn = params["worker"] * params["threads"] + number
    done = {kind: 0 for kind in set(MIX)}
    conflicts = [0]
    deadline = time.monotonic() + params["seconds"]
    while time.monotonic() < deadline:
        kind = MIX[chooser.randrange(len(MIX))]
        task_id = task_ids[chooser.randrange(len(task_ids))]
        if kind == "query":
            operation = {"action": "query", "expression":
                         'select name, status.name, parent.name from Task where id is "{0}"'
                         .format(task_id)}
        elif kind == "update":
            operation = {"action": "update", "entity_type": "Task", "entity_key": [task_id],
                         "entity_data": {"__entity_type__": "Task",
                                         "description": uuid.uuid4().hex}}
        else:
            operation = copy.deepcopy(params["task_template"])
            new_id = str(uuid.uuid4())
            operation["entity_key"] = [new_id]
            operation["entity_data"]["id"] = new_id
            operation["entity_data"]["name"] = "bench_" + new_id[:8]
        url = urls[turn % len(urls)] + "/api"
        turn += 1
        response = http.post(url, data=json.dumps([operation]), headers=headers, timeout=120)
        answer = response.json()
        if isinstance(answer, dict) and "conflicted" in str(answer.get("content")):
            # Refused as a whole because of concurrent changes: nothing was written.
            conflicts[0] += 1
            continue
        if response.status_code != 200 or isinstance(answer, dict):
            with lock:
                errors.append(str(answer)[:300])
            continue
        if kind == "query" and [t["id"] for t in answer[0]["data"]] != [task_id]:
            with lock:
                errors.append("query of {0} answered {1}".format(task_id, answer[0]["data"]))
            continue
        done[kind] += 1
    with lock:
        for kind, count in done.items():
            counts[kind] = counts.get(kind, 0) + count
        counts["conflict"] = counts.get("conflict", 0) + conflicts[0]


def main():
    params = json.loads(sys.stdin.read())
    counts, errors, lock = {}, [], threading.Lock()
    threads = [threading.Thread(target=run_thread, args=(params, number, counts, errors, lock))
               for number in range(params["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = counts.pop("conflict", 0)
    print(json.dumps({"requests": sum(counts.values()), "by_kind": counts, "conflicts": conflicts,
                      "errors": errors[:5], "error_count": len(errors)}))


if __name__ == "__main__":
    main()
