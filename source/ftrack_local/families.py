"""The small explicit map of what the schema does not state itself.

Polymorphic families (which types share a table and which is the base of
which), relations the schema leaves ambiguous, and attributes the server
computes instead of storing. Everything else is derived from the schema by
:mod:`ftrack_local.schema`.
"""

from __future__ import annotations

from typing import Dict, Iterator, Optional, Set, Tuple

DERIVED = "derived"

TYPED_CONTEXT_TYPES = ("Task", "Shot", "Sequence", "Episode", "Folder", "AssetBuild", "Milestone")

#: Subtype -> base type. A query on a base returns rows of its subtypes too.
BASES: Dict[str, str] = {
    "Project": "Context",
    "TypedContext": "Context",
    **{name: "TypedContext" for name in TYPED_CONTEXT_TYPES},
    "User": "Resource",
    "Group": "Resource",
    "FileComponent": "Component",
    "SequenceComponent": "ContainerComponent",  # a sequence is a container of frames
    "ContainerComponent": "Component",
    "TypedContextList": "List",
    "AssetVersionList": "List",
    "CustomAttributeConfiguration": "CustomConfigurationBase",
    "CustomAttributeLinkConfiguration": "CustomConfigurationBase",
    "AssetVersionStatusChange": "StatusChange",
    "TypedContextStatusChange": "StatusChange",
    **{name: "CustomAttributeValue" for name in (
        "ContextCustomAttributeValue", "AssetCustomAttributeValue",
        "AssetVersionCustomAttributeValue", "UserCustomAttributeValue",
        "ListCustomAttributeValue", "ListObjectCustomAttributeValue")},
    **{prefix + "CustomAttributeLink": "CustomAttributeLink" for prefix in (
        "Asset", "AssetVersion", "Component", "Context", "Group", "List", "User")},
    **{prefix + "CustomAttributeLinkFrom": "CustomAttributeLinkFrom" for prefix in (
        "Asset", "AssetVersion", "Component", "Context", "Group", "List", "User")},
}

#: Types that are two names for the same rows (each reports itself).
VIEWS = {"NoteLabel", "NoteCategory"}
_VIEW_TABLE = "note_category"

#: Owner type of each custom attribute value type, and the configuration's entity_type.
CUSTOM_ATTRIBUTE_OWNERS = {
    "ContextCustomAttributeValue": "Context",
    "AssetCustomAttributeValue": "Asset",
    "AssetVersionCustomAttributeValue": "AssetVersion",
    "UserCustomAttributeValue": "User",
    "ListCustomAttributeValue": "List",
    "ListObjectCustomAttributeValue": "ListObject",
}

#: Legacy lower-case model names (``ftrack.update`` events, custom attribute configurations).
LEGACY_NAMES = {
    "Project": "show", "TypedContext": "task", "AssetVersion": "assetversion",
    "Asset": "asset", "User": "user", "List": "list", "ListObject": "listobject",
    "Component": "component", "Note": "note", "ReviewSession": "reviewsession",
    "ReviewSessionObject": "reviewsessionobject", "Group": "group",
}


def lineage(name: str) -> Iterator[str]:
    """*name*, then its base, that base's base … up to the top of its family."""
    while True:
        yield name
        if name not in BASES:
            return
        name = BASES[name]


def legacy_name(type_name: str) -> str:
    """The legacy lower-case model name of *type_name*: that of the type or its
    nearest base in :data:`LEGACY_NAMES` (``task`` for a ``Shot``), else the
    lower-cased type name."""
    return next((LEGACY_NAMES[name] for name in lineage(type_name) if name in LEGACY_NAMES),
                type_name.lower())


def root_of(name: str) -> str:
    """The top of *name*'s family."""
    while name in BASES:
        name = BASES[name]
    return name


def table_for(name: str) -> str:
    """Storage table of an entity type: one table per family."""
    if name in VIEWS:
        return _VIEW_TABLE
    return _snake(root_of(name))


def _snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


#: Scalar attributes computed on read (not stored), besides the schema's ``computed`` lists.
DERIVED_SCALARS: Dict[str, Set[str]] = {
    "*": {"link", "_link", "thumbnail_url", "time_logged", "bid_time_logged_difference",
          "is_latest_version"},
}

#: Reference attributes the server computes.
DERIVED_REFERENCES = {"latest_version"}

#: (type, reference attribute) -> the column holding the target id, where
#: the schema has no ``<name>_id`` property or alias pairing for it.
REFERENCE_KEYS: Dict[Tuple[str, str], Optional[str]] = {
    ("Asset", "parent"): "context_id",
    ("Recipient", "recipient"): "resource_id",
    ("Recipient", "user"): "resource_id",
    ("TypedContextStatusChange", "parent"): "parent_id",
    ("AssetVersionStatusChange", "parent"): "parent_id",
    ("SchemaType", "task_type"): "type_id",
    ("SchemaStatus", "task_status"): "status_id",
    ("CustomAttributeLinkConfiguration", "object_type_to"): "object_type_id_to",
    ("Feed", "event"): "social_id",
    ("ReviewSessionObject", "asset_version"): "version_id",
    ("ReviewSessionObjectStatus", "invitee"): "review_session_invitee_id",
}
for _prefix, _attr in (("Asset", "asset"), ("AssetVersion", "asset_version"),
                       ("Component", "component"), ("Context", "context"),
                       ("Group", "group"), ("List", "list"), ("User", "user")):
    REFERENCE_KEYS[(_prefix + "CustomAttributeLink", _attr)] = "from_id"
    REFERENCE_KEYS[(_prefix + "CustomAttributeLinkFrom", _attr)] = "to_id"


def _one_to_many(target: Optional[str], column: str, **where) -> Dict[str, object]:
    return dict(kind="one_to_many", target=target, remote_column=column,
                where=tuple(sorted(where.items())))


def _derived(name: str, target: str) -> Dict[str, object]:
    return dict(kind="derived", target=target, derived=name)


def _many_to_many(owner_column: str, target_column: str, link_type: Optional[str] = None,
                  link_name: Optional[str] = None) -> Dict[str, object]:
    return dict(kind="many_to_many", target=None, owner_column=owner_column,
                target_column=target_column, link_type=link_type, link_name=link_name)


def _collections() -> Dict[Tuple[str, str], Dict[str, object]]:
    """(owner type, collection attribute) -> Relation arguments.

    A rule for a base type applies to its subtypes; "*" applies to any owner
    whose target type has the named column.
    """
    table = {
        ("*", "metadata"): _one_to_many("Metadata", "parent_id"),
        ("*", "notes"): _one_to_many("Note", "parent_id"),
        ("*", "ancestors"): _derived("ancestors", "TypedContext"),
        ("*", "descendants"): _derived("descendants", "TypedContext"),
        ("*", "custom_attribute_links"): _one_to_many("CustomAttributeLink", "from_id"),
        ("*", "custom_attribute_links_from"): _one_to_many("CustomAttributeLinkFrom", "to_id"),
        ("*", "status_changes"): _one_to_many("StatusChange", "parent_id"),
        ("*", "incoming_links"): _one_to_many(None, "to_id"),
        ("*", "outgoing_links"): _one_to_many(None, "from_id"),
        ("*", "members"): _one_to_many("Component", "container_id"),
        ("*", "lists"): _many_to_many("entity_id", "list_id", link_type="ListObject"),
        ("List", "items"): _many_to_many("list_id", "entity_id", link_type="ListObject"),
        ("Context", "children"): _one_to_many("Context", "parent_id"),
        ("Context", "timelogs"): _one_to_many("Timelog", "context_id"),
        ("User", "timelogs"): _one_to_many("Timelog", "user_id"),
        ("Context", "assets"): _one_to_many("Asset", "context_id"),
        ("Note", "replies"): _one_to_many("Note", "in_reply_to_id"),
        ("ReviewSession", "settings"): _one_to_many("EntitySetting", "parent_id"),
        # A version using another is an AssetVersionLink from the used one to it.
        ("AssetVersion", "uses_versions"): _many_to_many("to_id", "from_id", link_type="AssetVersionLink"),
        ("AssetVersion", "used_in_versions"): _many_to_many("from_id", "to_id", link_type="AssetVersionLink"),
    }
    for name, kind in (("assignments", "assignment"), ("allocations", "allocation"), ("appointments", None)):
        where = {"type": kind} if kind else {}
        table[("Context", name)] = _one_to_many("Appointment", "context_id", **where)
        table[("Resource", name)] = _one_to_many("Appointment", "resource_id", **where)
    return table


COLLECTIONS = _collections()


def collection_rule(owner: str, attribute: str) -> Optional[Dict[str, object]]:
    """The explicit rule for *owner*'s collection *attribute*, most specific first."""
    return next((COLLECTIONS[(name, attribute)] for name in lineage(owner) if (name, attribute) in COLLECTIONS),
                COLLECTIONS.get(("*", attribute)))
