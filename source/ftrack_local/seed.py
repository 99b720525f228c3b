"""Records a fresh ftrack-local database starts with.

The server creates these rows through its ordinary ``create`` path, so every
record is expressed with the *public* attribute names of the served schema
(``data/query_schemas.json``), never with the internal ``alias_for`` names.

Each record is an ``(entity_type, data)`` pair. ``data`` holds scalar
attributes and foreign-key id attributes only; many-to-many links are records
of their own (``WorkflowSchemaStatus``, ``TaskTypeSchemaType``,
``ProjectSchemaObjectType``, ``SchemaStatus``, ``SchemaType``). Records come in
dependency order: a row only points at rows listed before it (or at the
well-known ids below).

One exception to "scalars and ids only": the schema exposes no public
``state_id`` on ``Status`` -- the link to its ``State`` exists only as the
reference attribute ``state``. Status records therefore carry that attribute
as a wire-format reference, ``{"__entity_type__": "State", "id": ...}``,
exactly as a client would send it in a ``create``.

Identifiers are the ones real ftrack servers use where those are known (the
built-in locations, the object types, the default priority, the "not started"
state, the default user type; the "Not started" status id is a recorded real
status in that state, its name there is inferred). Every other id is derived with
:func:`stable_id`, so it is identical on every install.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List, Sequence, Tuple

Record = Tuple[str, Dict[str, Any]]

#: Namespace of the deterministic ids of seeded rows without a known real id.
NAMESPACE = uuid.UUID("5d1c7a8e-3f0b-5b7e-9c61-0f7a1c2e4b90")


def stable_id(entity_type: str, name: str) -> str:
    """Return the install-independent id of the seeded *entity_type* row *name*."""
    return str(uuid.uuid5(NAMESPACE, "{0}:{1}".format(entity_type, name)))


def reference(entity_type: str, entity_id: str) -> Dict[str, str]:
    """Return a wire-format reference to the *entity_type* row *entity_id*."""
    return {"__entity_type__": entity_type, "id": entity_id}


# ---------------------------------------------------------------------------
# Locations (ids fixed by the client; doc/protocol.rst, "Built-in locations")
# ---------------------------------------------------------------------------

ORIGIN_LOCATION_ID = "ce9b348f-8809-11e3-821c-20c9d081909b"
UNMANAGED_LOCATION_ID = "cb268ecc-8809-11e3-a7e2-20c9d081909b"
REVIEW_LOCATION_ID = "cd41be70-8809-11e3-b98a-20c9d081909b"
SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"
CONNECT_LOCATION_ID = "07b82a97-8cf9-11e3-9383-20c9d081909b"

# (name, id, label, description)
LOCATIONS = [
    ("ftrack.origin", ORIGIN_LOCATION_ID, "Origin",
     "Source location of newly created components."),
    ("ftrack.unmanaged", UNMANAGED_LOCATION_ID, "Unmanaged",
     "Components registered in place; ftrack does not manage their data."),
    ("ftrack.review", REVIEW_LOCATION_ID, "Review",
     "Review media (web playable encodings)."),
    ("ftrack.server", SERVER_LOCATION_ID, "ftrack server",
     "Files stored by the ftrack server."),
    ("ftrack.connect", CONNECT_LOCATION_ID, "ftrack connect",
     "Location managed by ftrack connect."),
]
LOCATION_IDS = {name: location_id for name, location_id, _, _ in LOCATIONS}

# ---------------------------------------------------------------------------
# Object types (ids are the schema defaults of each TypedContext subtype)
# ---------------------------------------------------------------------------

# (schema id, display name, icon, sort, flags)
# flags: leaf, taskable, typeable, statusable, time (time reportable), schedulable
OBJECT_TYPES = [
    ("Folder", "Folder", "folder", 10, "taskable"),
    ("Episode", "Episode", "episode", 20, "taskable statusable"),
    ("Sequence", "Sequence", "sequence", 30, "taskable statusable"),
    ("Shot", "Shot", "shot", 40, "taskable statusable"),
    ("AssetBuild", "Asset Build", "assetbuild", 50,
     "taskable typeable statusable"),
    ("Task", "Task", "task", 60,
     "leaf typeable statusable time schedulable"),
    ("Milestone", "Milestone", "milestone", 70,
     "leaf statusable schedulable"),
]
OBJECT_TYPE_IDS = {
    "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
    "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
    "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
    "Episode": "22139355-61da-4c8f-9db4-3abc870166bc",
    "Folder": "3c133785-51cb-11e3-980a-20c9d0831e59",
    "AssetBuild": "4be63b64-5010-42fb-bf1f-428af9d638f0",
    "Milestone": "01decdd1-51cb-11e3-9d5b-20c9d0831e59",
}
#: ObjectType.name -> schema id (only "Asset Build" differs).
OBJECT_TYPE_SCHEMA_IDS = {name: schema_id for schema_id, name, _, _, _ in OBJECT_TYPES}

# ---------------------------------------------------------------------------
# Priorities
# ---------------------------------------------------------------------------

DEFAULT_PRIORITY_ID = "9661b320-3a0c-11e2-81c1-0800200c9a66"

# (name, value, color); sort follows the value.
PRIORITIES = [
    ("None", 0, "#BDBDBD"),
    ("Low", 1, "#4CAF50"),
    ("Medium", 2, "#FFC107"),
    ("High", 3, "#FF5722"),
    ("Urgent", 4, "#E91E63"),
]
PRIORITY_IDS = {
    name: (DEFAULT_PRIORITY_ID if value == 0 else stable_id("Priority", name))
    for name, value, _ in PRIORITIES
}

# ---------------------------------------------------------------------------
# States and statuses
# ---------------------------------------------------------------------------

# (name, short); the NOT_STARTED id is the one recorded from a real server.
STATES = [
    ("Not started", "NOT_STARTED"),
    ("In progress", "IN_PROGRESS"),
    ("Blocked", "BLOCKED"),
    ("Done", "DONE"),
]
STATE_IDS = {short: stable_id("State", short) for _, short in STATES}
STATE_IDS["NOT_STARTED"] = "6c59abf8-4dbf-11e1-9902-f23c91df25eb"

# (name, state short, color); sort follows the list order.
STATUSES = [
    ("Not started", "NOT_STARTED", "#CCCCCC"),
    ("Normal", "NOT_STARTED", "#BDBDBD"),
    ("Not ready", "NOT_STARTED", "#9E9E9E"),
    ("Ready", "NOT_STARTED", "#4BC0E8"),
    ("In progress", "IN_PROGRESS", "#FFC000"),
    ("Pending", "IN_PROGRESS", "#FFD54F"),
    ("Pending Review", "IN_PROGRESS", "#E8A317"),
    ("Awaiting approval", "IN_PROGRESS", "#FFA000"),
    ("Client review", "IN_PROGRESS", "#B388FF"),
    ("Revise", "IN_PROGRESS", "#FF7043"),
    ("Requires changes", "IN_PROGRESS", "#F44336"),
    ("On Hold", "BLOCKED", "#9C27B0"),
    ("Omitted", "DONE", "#616161"),
    ("Approved", "DONE", "#8BC34A"),
    ("Client approved", "DONE", "#00C853"),
    ("Completed", "DONE", "#1CBC90"),
]
STATUS_IDS = {name: stable_id("Status", name) for name, _, _ in STATUSES}
# A real server's task status in the NOT_STARTED state (recorded query answer);
# which name it carries there is not recorded.
STATUS_IDS["Not started"] = "014a40a6-4e65-11e1-b8af-f23c91df25eb"

# ---------------------------------------------------------------------------
# Types (task types and asset build types share the Type table)
# ---------------------------------------------------------------------------

# (name, color, is_billable); sort follows the list order.
TYPES = [
    ("Generic", "#BDBDBD", True),
    ("Concept Art", "#F06292", True),
    ("Previz", "#BA68C8", True),
    ("Layout", "#9575CD", True),
    ("Modeling", "#64B5F6", True),
    ("Texture", "#4FC3F7", True),
    ("Rigging", "#4DD0E1", True),
    ("Hair", "#26C6DA", True),
    ("Cloth", "#26A69A", True),
    ("Lookdev", "#4DB6AC", True),
    ("Animation", "#81C784", True),
    ("Tracking", "#AED581", True),
    ("Rotoscoping", "#DCE775", True),
    ("Matte Painting", "#FFF176", True),
    ("FX", "#FFD54F", True),
    ("Lighting", "#FFB74D", True),
    ("Compositing", "#FF8A65", True),
    ("Editing", "#A1887F", True),
    ("Production", "#90A4AE", False),
    # Asset build types.
    ("Character", "#E57373", True),
    ("Prop", "#7986CB", True),
    ("Environment", "#4CAF50", True),
    ("Vehicle", "#FF9800", True),
]
TYPE_IDS = {name: stable_id("Type", name) for name, _, _ in TYPES}

# ---------------------------------------------------------------------------
# Workflows, task type schemas and project schemas
# ---------------------------------------------------------------------------

# WorkflowSchema name -> statuses (in order; the first is the default).
# The "VFX Scheme" workflows are the ones a new ftrack site ships with: tasks
# go from "Not started" to "Approved", versions are "Pending" until
# "Approved".
WORKFLOWS = {
    "VFX task workflow": [
        "Not started", "In progress", "Awaiting approval", "Approved",
    ],
    "Version workflow": [
        "Pending", "Approved",
    ],
    "Review task workflow": [
        "Not started", "Not ready", "Ready", "In progress", "Pending Review",
        "Requires changes", "On Hold", "Omitted", "Approved", "Completed",
    ],
    "Review version workflow": [
        "Pending", "Not started", "Pending Review", "Client review", "Revise",
        "Approved", "Client approved",
    ],
    "Simple task workflow": [
        "Not started", "In progress", "On Hold", "Completed",
    ],
}
WORKFLOW_SCHEMA_IDS = {name: stable_id("WorkflowSchema", name) for name in WORKFLOWS}

# TaskTypeSchema name -> task types (in order; the first is the default).
# "VFX task types" are the task types of a new ftrack site.
TASK_TYPE_SCHEMAS = {
    "VFX task types": [
        "Generic", "Animation", "Modeling", "Previz", "Lookdev", "Hair",
        "Cloth", "FX", "Lighting", "Compositing", "Tracking", "Rigging",
    ],
    "Studio task types": [
        "Generic", "Concept Art", "Previz", "Layout", "Modeling", "Texture",
        "Rigging", "Lookdev", "Animation", "Tracking", "Rotoscoping",
        "Matte Painting", "FX", "Lighting", "Compositing", "Editing",
        "Production",
    ],
    "Simple task types": [
        "Generic", "Modeling", "Animation", "Lighting", "Compositing",
        "Editing",
    ],
}
TASK_TYPE_SCHEMA_IDS = {
    name: stable_id("TaskTypeSchema", name) for name in TASK_TYPE_SCHEMAS
}

#: Statuses of the objects of a new site's "VFX Scheme" (shots, sequences,
#: episodes and asset builds).
_OBJECT_STATUSES = ["Normal", "On Hold", "Omitted"]
_CONTAINER_STATUSES = ["Not started", "In progress", "On Hold", "Completed"]
_SHOT_REVIEW_STATUSES = [
    "Not started", "Ready", "In progress", "Pending Review", "Client review",
    "On Hold", "Omitted", "Approved", "Completed",
]
_ASSET_BUILD_REVIEW_STATUSES = [
    "Not started", "In progress", "Pending Review", "On Hold", "Approved",
    "Completed",
]
_MILESTONE_STATUSES = ["Not started", "In progress", "Completed"]

DEFAULT_PROJECT_SCHEMA_NAME = "VFX Scheme"

#: Object types of the project schemas for episodic work with asset builds.
_EPISODIC_OBJECT_TYPES = ["Folder", "Episode", "Sequence", "Shot", "AssetBuild", "Task", "Milestone"]


def _episodic_schemas(containers: List[str], shots: List[str], asset_builds: List[str],
                      asset_build_types: List[str]) -> Dict[str, Tuple[List[str], List[str]]]:
    """The object-type schemas (statuses, types) of a project schema with episodes:
    *containers* are the statuses of episodes and sequences."""
    return {
        "Episode": (containers, []),
        "Sequence": (containers, []),
        "Shot": (shots, []),
        "AssetBuild": (asset_builds, asset_build_types),
        "Milestone": (_MILESTONE_STATUSES, []),
    }


# Each project schema: its workflows, task types, object types, the
# object-type schemas (statuses, types) and its task templates.
PROJECT_SCHEMAS = [
    {
        "name": DEFAULT_PROJECT_SCHEMA_NAME,
        "task_workflow": "VFX task workflow",
        "version_workflow": "Version workflow",
        "task_types": "VFX task types",
        "object_types": _EPISODIC_OBJECT_TYPES,
        "schemas": _episodic_schemas(_OBJECT_STATUSES, _OBJECT_STATUSES, _OBJECT_STATUSES,
                                     ["Character", "Prop", "Environment", "Matte Painting"]),
        "task_templates": {
            "Shot": ["Animation", "FX", "Lighting", "Compositing"],
            "Asset": ["Modeling", "Lookdev", "Rigging"],
        },
    },
    {
        # A schema with client review steps, to pick for a new project.
        "name": "Review Scheme",
        "task_workflow": "Review task workflow",
        "version_workflow": "Review version workflow",
        "task_types": "Studio task types",
        "object_types": _EPISODIC_OBJECT_TYPES,
        "schemas": _episodic_schemas(_CONTAINER_STATUSES, _SHOT_REVIEW_STATUSES, _ASSET_BUILD_REVIEW_STATUSES,
                                     ["Character", "Prop", "Environment", "Vehicle"]),
        "task_templates": {
            "Shot": ["Layout", "Animation", "FX", "Lighting", "Compositing"],
            "Asset": ["Modeling", "Texture", "Rigging", "Lookdev"],
        },
    },
    {
        "name": "Simple",
        "task_workflow": "Simple task workflow",
        "version_workflow": "Version workflow",
        "task_types": "Simple task types",
        "object_types": ["Folder", "Sequence", "Shot", "Task", "Milestone"],
        "schemas": {
            "Sequence": (_CONTAINER_STATUSES, []),
            "Shot": (_CONTAINER_STATUSES, []),
            "Milestone": (_MILESTONE_STATUSES, []),
        },
        "task_templates": {
            "Basic": ["Generic"],
        },
    },
]
PROJECT_SCHEMA_IDS = {
    spec["name"]: stable_id("ProjectSchema", spec["name"]) for spec in PROJECT_SCHEMAS
}
DEFAULT_PROJECT_SCHEMA_ID = PROJECT_SCHEMA_IDS[DEFAULT_PROJECT_SCHEMA_NAME]
SIMPLE_PROJECT_SCHEMA_ID = PROJECT_SCHEMA_IDS["Simple"]

# ---------------------------------------------------------------------------
# Small lookup tables
# ---------------------------------------------------------------------------

# (name, short)
ASSET_TYPES = [
    ("Upload", "upload"),
    ("Geometry", "geo"),
    ("Image", "img"),
    ("Animation", "anim"),
    ("Audio", "audio"),
    ("Camera", "cam"),
    ("Cache", "cache"),
    ("Comp", "comp"),
    ("Render", "render"),
    ("Scene", "scene"),
    ("Texture", "texture"),
    ("Rig", "rig"),
    ("Plate", "plate"),
    ("Lookdev", "look"),
    ("Editorial", "edit"),
]
ASSET_TYPE_IDS = {name: stable_id("AssetType", name) for name, _ in ASSET_TYPES}

# NoteLabel and NoteCategory are two views of one table; seeded as NoteLabel.
# (name, color)
NOTE_LABELS = [
    ("Default", "#BDBDBD"),
    ("Internal", "#2196F3"),
    ("External Note", "#FF9800"),
    ("Client feedback", "#E91E63"),
    ("For approval", "#4CAF50"),
]
NOTE_LABEL_IDS = {name: stable_id("NoteLabel", name) for name, _ in NOTE_LABELS}

LIST_CATEGORIES = ["Default", "Client review", "Dailies", "Internal review"]
LIST_CATEGORY_IDS = {
    name: stable_id("ListCategory", name) for name in LIST_CATEGORIES
}

CUSTOM_ATTRIBUTE_TYPES = [
    "text", "number", "boolean", "date", "enumerator", "dynamic enumerator",
    "expression", "url",
]
CUSTOM_ATTRIBUTE_TYPE_IDS = {
    name: stable_id("CustomAttributeType", name) for name in CUSTOM_ATTRIBUTE_TYPES
}

#: Values of ``SecurityRole.type`` (a key into the server-internal
#: SecurityRoleType table, which is not a schema type).
SECURITY_ROLE_TYPES = ("PROJECT", "API", "ASSIGNED")

# (name, type)
SECURITY_ROLES = [
    ("Administrator", "PROJECT"),
    ("Project Manager", "PROJECT"),
    ("Supervisor", "PROJECT"),
    ("User", "PROJECT"),
    ("Restricted User", "PROJECT"),
    ("API", "API"),
    ("Assignee", "ASSIGNED"),
]
SECURITY_ROLE_IDS = {name: stable_id("SecurityRole", name) for name, _ in SECURITY_ROLES}
ADMINISTRATOR_ROLE_ID = SECURITY_ROLE_IDS["Administrator"]
API_ROLE_ID = SECURITY_ROLE_IDS["API"]

#: Recorded ``user_type_id`` a real server gives a newly created user.
DEFAULT_USER_TYPE_ID = "ac9fa5aa-4361-11e0-b7cc-0019bb4983d8"
USER_TYPES = [("User", DEFAULT_USER_TYPE_ID)]

DEFAULT_DISK_ID = stable_id("Disk", "Default")
DISKS = [("Default", DEFAULT_DISK_ID, "/mnt/projects", "P:\\")]

STORAGE_SCENARIO_SETTING = ("storage_scenario", "STORAGE")
DEFAULT_STORAGE_SCENARIO = {"scenario": "ftrack.automatic", "data": {}}

# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def _location_records() -> List[Record]:
    return [
        ("Location", {"id": location_id, "name": name, "label": label,
                      "description": description})
        for name, location_id, label, description in LOCATIONS
    ]


def _object_type_records() -> List[Record]:
    records = []
    for schema_id, name, icon, sort, flags in OBJECT_TYPES:
        flag_set = set(flags.split())
        records.append(("ObjectType", {
            "id": OBJECT_TYPE_IDS[schema_id],
            "name": name,
            "icon": icon,
            "sort": sort,
            "is_leaf": "leaf" in flag_set,
            "is_taskable": "taskable" in flag_set,
            "is_typeable": "typeable" in flag_set,
            "is_statusable": "statusable" in flag_set,
            "is_time_reportable": "time" in flag_set,
            "is_schedulable": "schedulable" in flag_set,
        }))
    return records


def _priority_records() -> List[Record]:
    return [
        ("Priority", {"id": PRIORITY_IDS[name], "name": name, "value": value,
                      "color": color, "sort": value})
        for name, value, color in PRIORITIES
    ]


def _state_and_status_records() -> List[Record]:
    records: List[Record] = [
        ("State", {"id": STATE_IDS[short], "name": name, "short": short})
        for name, short in STATES
    ]
    for sort, (name, short, color) in enumerate(STATUSES):
        records.append(("Status", {
            "id": STATUS_IDS[name],
            "name": name,
            "color": color,
            "sort": sort,
            "is_active": True,
            "state": reference("State", STATE_IDS[short]),
        }))
    return records


def _type_records() -> List[Record]:
    return [
        ("Type", {"id": TYPE_IDS[name], "name": name, "color": color,
                  "sort": sort, "is_billable": billable})
        for sort, (name, color, billable) in enumerate(TYPES)
    ]


def _workflow_records() -> List[Record]:
    return (
        _member_list_records("WorkflowSchema", WORKFLOWS, WORKFLOW_SCHEMA_IDS,
                             "WorkflowSchemaStatus", ("workflow_schema_id", "status_id"), STATUS_IDS)
        + _member_list_records("TaskTypeSchema", TASK_TYPE_SCHEMAS, TASK_TYPE_SCHEMA_IDS,
                               "TaskTypeSchemaType", ("task_type_schema_id", "type_id"), TYPE_IDS))


def _member_list_records(schema_type: str, schemas: Dict[str, Sequence[str]], schema_ids: Dict[str, str],
                         member_type: str, keys: Tuple[str, str], member_ids: Dict[str, str]) -> List[Record]:
    """A *schema_type* record per named schema of *schemas*, then a
    *member_type* record per member naming the schema and the member (*keys*)."""
    schema_key, member_key = keys
    records: List[Record] = []
    for name, members in schemas.items():
        schema_id = schema_ids[name]
        records.append((schema_type, {"id": schema_id, "name": name}))
        records.extend((member_type, {schema_key: schema_id, member_key: member_ids[member]})
                       for member in members)
    return records


def object_type_schema_id(project_schema_name: str, object_type: str) -> str:
    """Return the id of the seeded ``Schema`` of *object_type* in a project schema."""
    return stable_id("Schema", "{0}:{1}".format(project_schema_name, object_type))


def _project_schema_records(spec: Dict[str, Any]) -> List[Record]:
    name = spec["name"]
    project_schema_id = PROJECT_SCHEMA_IDS[name]
    records: List[Record] = [("ProjectSchema", {
        "id": project_schema_id,
        "name": name,
        "task_workflow_schema_id": WORKFLOW_SCHEMA_IDS[spec["task_workflow"]],
        "asset_version_workflow_schema_id": WORKFLOW_SCHEMA_IDS[spec["version_workflow"]],
        "task_type_schema_id": TASK_TYPE_SCHEMA_IDS[spec["task_types"]],
    })]
    records.extend(
        ("ProjectSchemaObjectType",
         {"project_schema_id": project_schema_id,
          "object_type_id": OBJECT_TYPE_IDS[object_type]})
        for object_type in spec["object_types"]
    )
    for object_type, (statuses, types) in spec["schemas"].items():
        schema_id = object_type_schema_id(name, object_type)
        object_type_id = OBJECT_TYPE_IDS[object_type]
        # type_id and object_type_id are two public names of one column.
        records.append(("Schema", {
            "id": schema_id,
            "project_schema_id": project_schema_id,
            "type_id": object_type_id,
            "object_type_id": object_type_id,
        }))
        records.extend(
            ("SchemaStatus", {"schema_id": schema_id,
                              "status_id": STATUS_IDS[status], "sort": sort})
            for sort, status in enumerate(statuses)
        )
        records.extend(
            ("SchemaType", {"schema_id": schema_id,
                            "type_id": TYPE_IDS[type_name], "sort": sort})
            for sort, type_name in enumerate(types)
        )
    for template_name, types in spec["task_templates"].items():
        key = "{0}:{1}".format(name, template_name)
        template_id = stable_id("TaskTemplate", key)
        records.append(("TaskTemplate", {"id": template_id, "name": template_name,
                                         "project_schema_id": project_schema_id}))
        records.extend(
            ("TaskTemplateItem", {
                "id": stable_id("TaskTemplateItem", "{0}:{1}".format(key, type_name)),
                "template_id": template_id,
                "task_type_id": TYPE_IDS[type_name],
            })
            for type_name in types
        )
    return records


def _misc_records() -> List[Record]:
    records: List[Record] = [
        ("AssetType", {"id": ASSET_TYPE_IDS[name], "name": name, "short": short})
        for name, short in ASSET_TYPES
    ]
    records.extend(
        ("NoteLabel", {"id": NOTE_LABEL_IDS[name], "name": name, "color": color,
                       "sort": sort})
        for sort, (name, color) in enumerate(NOTE_LABELS)
    )
    records.extend(
        ("ListCategory", {"id": LIST_CATEGORY_IDS[name], "name": name})
        for name in LIST_CATEGORIES
    )
    records.extend(
        ("CustomAttributeType", {"id": CUSTOM_ATTRIBUTE_TYPE_IDS[name],
                                 "name": name, "core": True})
        for name in CUSTOM_ATTRIBUTE_TYPES
    )
    records.extend(
        ("SecurityRole", {"id": SECURITY_ROLE_IDS[name], "name": name,
                          "type": role_type})
        for name, role_type in SECURITY_ROLES
    )
    records.extend(
        ("UserType", {"id": user_type_id, "name": name})
        for name, user_type_id in USER_TYPES
    )
    records.extend(
        ("Disk", {"id": disk_id, "name": name, "unix": unix, "windows": windows})
        for name, disk_id, unix, windows in DISKS
    )
    setting_name, setting_group = STORAGE_SCENARIO_SETTING
    records.append(("Setting", {
        "name": setting_name,
        "group": setting_group,
        "value": json.dumps(DEFAULT_STORAGE_SCENARIO),
    }))
    return records


def default_records() -> List[Record]:
    """(entity_type, data) pairs in dependency order (referenced rows first)."""
    records: List[Record] = []
    records.extend(_location_records())
    records.extend(_object_type_records())
    records.extend(_priority_records())
    records.extend(_state_and_status_records())
    records.extend(_type_records())
    records.extend(_workflow_records())
    for spec in PROJECT_SCHEMAS:
        records.extend(_project_schema_records(spec))
    records.extend(_misc_records())
    return records


def admin_records(username: str, user_id: str) -> List[Record]:
    """The first user (an API/administrator user) and its security role grants."""
    return [
        ("User", {
            "id": user_id,
            "username": username,
            "first_name": "Admin",
            "last_name": "User",
            "is_active": True,
            "resource_type": "user",
            "user_type_id": DEFAULT_USER_TYPE_ID,
            "is_otp_enabled": False,
            "is_totp_enabled": False,
            "require_details_update": False,
        }),
        ("UserSecurityRole", {
            "id": stable_id("UserSecurityRole", "{0}:Administrator".format(user_id)),
            "user_id": user_id,
            "security_role_id": ADMINISTRATOR_ROLE_ID,
            # Deprecated and current names of one column.
            "is_all_open_projects": True,
            "is_all_projects": True,
        }),
    ]
