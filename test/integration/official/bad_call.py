"""Send raw operations with ``Session.call``; report the error and whether
the server still answers. ``$TASK_ID`` in the operations is replaced by the
id of a task created first (when ``with_task`` is set)."""

import json

from _common import attempt, create_tree, params, report, session, \
    still_answering

options = params()
a_session = session()
observed = {}
operations = options["operations"]
if options.get("with_task"):
    task = create_tree(a_session, tasks=[("sh010", "comp")])["sh010/comp"]
    operations = json.loads(json.dumps(operations).replace(
        "$TASK_ID", task["id"]))
    observed["task_id"] = task["id"]

observed["call"] = attempt(a_session.call, operations)
observed["still_answering"] = still_answering(a_session)
if options.get("with_task"):
    reader = session()
    task = reader.query("select bid, created_at from Task where id is "
                        '"{0}"'.format(observed["task_id"])).one()
    observed["task_after"] = {"bid": task["bid"],
                              "created_at": task["created_at"].isoformat()}
report(observed)
