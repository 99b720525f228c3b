"""Create a small tree with varied tasks, then run many queries in a new
session and report what each returned (as ``"shot/task"`` labels)."""

import arrow

import ftrack_api.exception

from _common import error, report, session, unique

# shot, task, type, status, bid, start date
TASKS = [
    ("sh010", "comp", "Compositing", "In progress", 10, "2024-01-10"),
    ("sh010", "light", "Lighting", "Not started", 5, "2024-02-10"),
    ("sh010", "anim", "Animation", "Approved", 20, "2024-03-10"),
    ("sh010", "layout", "Layout", "Not started", 3, "2024-05-01"),
    ("sh020", "comp", "Compositing", "Approved", 8, "2024-01-20"),
    ("sh020", "fx", "FX", "On Hold", 0, None),
    ("sh020", "roto", "Rotoscoping", "In progress", 15, "2024-04-01"),
]

writer = session()
project = writer.create("Project", {
    "name": unique("queries"), "full_name": "Queries",
    "project_schema": writer.query("ProjectSchema").first()})
sequence = writer.create("Sequence", {"name": "sq010", "parent": project})
shots = {name: writer.create("Shot", {"name": name, "parent": sequence})
         for name in ("sh010", "sh020", "sh030")}
for shot, name, type_name, status, bid, start in TASKS:
    data = {
        "name": name, "parent": shots[shot], "bid": bid,
        "type": writer.query(
            'Type where name is "{0}"'.format(type_name)).one(),
        "status": writer.query(
            'Status where name is "{0}"'.format(status)).one()}
    if start:
        data["start_date"] = arrow.get(start)
    writer.create("Task", data)
writer.commit()
project_id = project["id"]
writer.close()

reader = session()
IN_PROJECT = 'project.id is "{0}"'.format(project_id)


def label(entity):
    if entity.entity_type == "Task":
        return entity["parent"]["name"] + "/" + entity["name"]
    return entity["name"]


def labels(expression, ordered=False, **options):
    result = reader.query(expression.replace("$P", IN_PROJECT), **options)
    found = [label(entity) for entity in result]
    return found if ordered else sorted(found)


def attempt_labels(expression, **options):
    try:
        return labels(expression, **options)
    except Exception as exception:  # noqa: BLE001 (it is the observation)
        return error(exception)


observed = {}

# Projections: the projected values are loaded without more requests.
projected = reader.query(
    "select name, status.name, parent.name from Task where " + IN_PROJECT)
rows = []
with reader.auto_populating(False):
    for task in projected:
        rows.append([task["parent"]["name"], task["name"],
                     task["status"]["name"]])
observed["projection"] = sorted(rows, key=lambda row: (row[0], row[1]))

nested = reader.query(
    "select name, status.state.name from Task where $P and "
    'status.state.name is "Done"'.replace("$P", IN_PROJECT))
with reader.auto_populating(False):
    observed["nested_projection"] = sorted(
        [task["name"], task["status"]["state"]["name"]] for task in nested)

QUERIES = {
    "is": 'Task where $P and name is "comp"',
    "equals_sign": 'Task where $P and name = "comp"',
    "is_not": 'Task where $P and name is_not "comp"',
    "not_equals_sign": 'Task where $P and name != "comp"',
    "like": 'Task where $P and name like "%o%"',
    "not_like": 'Task where $P and name not_like "%o%"',
    "in": 'Task where $P and name in ("fx", "anim")',
    "not_in": 'Task where $P and name not_in ("fx", "anim", "comp")',
    "bid_greater": "Task where $P and bid > 8",
    "bid_less_equal": "Task where $P and bid <= 8",
    "bid_greater_equal": "Task where $P and bid >= 10",
    "bid_less": "Task where $P and bid < 5",
    "date_after": 'Task where $P and start_date > "2024-02-01"',
    "date_before": 'Task where $P and start_date < "2024-02-01T00:00:00"',
    "date_after_word": 'Task where $P and start_date after "2024-03-10"',
    "date_before_word": 'Task where $P and start_date before "2024-01-15"',
    "nested_path": 'Task where $P and status.state.name is "In progress"',
    "has": 'Task where $P and parent has (name is "sh020")',
    "has_two_conditions":
        'Task where $P and status has (name is "Approved" and sort >= 0)',
    "any": 'Shot where $P and children any (name is "fx")',
    "any_two_conditions":
        'Shot where $P and descendants any (name is "comp" and bid > 9)',
    "dotted_collection": ('Shot where $P and descendants.name is "comp" '
                          'and descendants.bid > 9'),
    "not_any_empty": "Shot where $P and not children any ()",
    "any_empty": "Shot where $P and children any ()",
    "and_binds_tighter":
        'Task where $P and (name is "fx" or name is "anim" and bid > 10)',
    "parentheses":
        'Task where $P and ((name is "fx" or name is "anim") and bid > 10)',
    "not_parentheses":
        'Task where $P and not (name is "fx" or name like "%o%")',
    "or_of_and": ('Task where $P and ((parent.name is "sh010" and bid < 5) '
                  'or (parent.name is "sh020" and bid > 10))'),
    "subquery_id": ('TypedContext where id in (select id from Shot where '
                    '$P and name is "sh020")'),
    "subquery_parent": ('Task where parent_id in (select id from Shot where '
                        '$P and name like "%20")'),
    "polymorphic": "TypedContext where $P and children any ()",
    "context_parent_like": ('Context where project_id is "{0}" and '
                            'parent.name like "sq0%"'.format(project_id)),
}
for key, expression in QUERIES.items():
    observed[key] = attempt_labels(expression)

observed["polymorphic_types"] = sorted(
    [entity.entity_type, entity["name"]] for entity in reader.query(
        "select name from TypedContext where " + IN_PROJECT))

observed["start_dates"] = {
    label(task): task["start_date"] and task["start_date"].isoformat()
    for task in reader.query("select name, parent.name, start_date from Task "
                             "where " + IN_PROJECT)}

# Ordering.
observed["order_name_descending"] = labels(
    "select name from Task where $P order by name descending", ordered=True)
observed["order_bid"] = labels(
    "select name from Task where $P order by bid", ordered=True)
observed["order_bid_ascending"] = labels(
    "select name from Task where $P order by bid ascending", ordered=True)

# Paging and slicing, against .all() of the same (ordered) expression.
for key, base in (("by_bid", "Task where $P order by bid"),
                  ("default_order", "Task where $P")):
    everything = labels(base, ordered=True)
    observed["all_" + key] = everything
    observed["paged_" + key] = labels(base, ordered=True, page_size=5)
    observed["page_size_2_" + key] = labels(base, ordered=True, page_size=2)
    slices = {}
    for suffix in ("limit 3", "offset 2 limit 3", "offset 5", "offset 6 limit 5",
                   "offset 10 limit 5", "limit 1"):
        slices[suffix] = labels(base + " " + suffix, ordered=True)
        slices[suffix + " (page_size 2)"] = labels(
            base + " " + suffix, ordered=True, page_size=2)
    observed["slices_" + key] = slices

first = reader.query("Task where $P order by name".replace(
    "$P", IN_PROJECT)).first()
observed["first"] = label(first)
observed["first_none"] = reader.query(
    'Task where $P and name is "nothing"'.replace("$P", IN_PROJECT)
).first()
for key, expression in (("one_several", 'Task where $P and name is "comp"'),
                        ("one_none", 'Task where $P and name is "nothing"'),
                        ("one_single", 'Task where $P and name is "fx"')):
    try:
        observed[key] = label(
            reader.query(expression.replace("$P", IN_PROJECT)).one())
    except (ftrack_api.exception.MultipleResultsFoundError,
            ftrack_api.exception.NoResultFoundError) as exception:
        observed[key] = error(exception)

report(observed)
