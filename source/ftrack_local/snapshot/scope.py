"""What a snapshot of some projects takes, as an ordered list of query steps.

A :class:`Step` reads the rows of one entity type whose filter attribute
holds one of the ids gathered so far in an id *pool*. Pools are named
after entity types: every row read joins the pool of each type of its
lineage (a Task's id is in the ``Task``, ``TypedContext`` and ``Context``
pools), and the ids its references point at join the ``refs:<Type>``
pool of their target (a ``created_by_id`` joins ``refs:User``). The
project ids asked for are the ``projects`` pool.

The steps are derived, not listed:

* project data follows the paths the permission model uses to find the
  project of a row (:class:`~ftrack_local.api.permissions.ProjectPaths`):
  ``Asset`` rows are those whose ``context_id`` is in the ``Context``
  pool, and so on down to component locations and custom attribute values;
* site configuration (statuses, types, priorities, project schemas and
  their workflows, custom attribute configurations, locations, …) is taken
  whole;
* people and pictures are taken when referenced: the users, groups and
  components (thumbnails, note attachments) the project rows point at,
  with the users' memberships and security roles;
* metadata of anything taken.

Working data of the site (events, jobs, dashboards, conversations,
running timers) is left out, and so are base types whose rows are all
reported by a subtype.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from .. import families
from ..api.permissions import SITE_CONFIGURATION, ProjectPaths
from ..schema import Attribute, EntityType, Schema

#: The pool of the project ids a snapshot was asked for.
PROJECTS = "projects"
#: The pool of every id taken so far (the parents metadata may hang from).
EVERYTHING = "*"

#: Base types that also have rows of their own type (besides their subtypes').
CONCRETE_BASES = frozenset({"ContainerComponent"})
#: Types never taken: other names for rows taken under another type
#: (``NoteCategory`` is ``NoteLabel``), site settings of the server itself,
#: timers running for someone.
SKIPPED = frozenset({"NoteCategory", "Setting", "SettingComponent", "Timer"})
#: Account types taken for the users a snapshot references: type -> (filter attribute, pool).
ACCOUNT_STEPS: Dict[str, Tuple[str, str]] = {
    "Membership": ("user_id", "User"),
    "UserSecurityRole": ("user_id", "User"),
    "UserSecurityRoleProject": ("user_security_role_id", "UserSecurityRole"),
    "UserCustomAttributeValue": ("entity_id", "User"),
}
#: Types taken whole although they are not site configuration.
WHOLE_TYPES = frozenset({"Group", "Scope"})
#: Site-wide types a project row may hang from: type -> (filter attribute, pool).
SHARED_STEPS: Dict[str, Tuple[str, str]] = {
    "EntitySetting": ("parent_id", "ReviewSession"),
}
#: Types taken by the ids referenced, when rows point at them: type -> the
#: ``refs:<family root>`` pool of the references to it.
REFERENCED: Dict[str, str] = {
    "User": "refs:Resource",
    "FileComponent": "refs:Component",
    "ContainerComponent": "refs:Component",
    "SequenceComponent": "refs:Component",
}
#: The references followed to people and pictures (by attribute name, or by
#: (type, attribute) pair).
REFERENCE_ATTRIBUTES = frozenset({"thumbnail", "created_by", "user", "owner", "author", "completed_by",
                                  "resource", "recipient"})
REFERENCE_PAIRS = frozenset({("NoteComponent", "component")})
#: Pools a project path may name that a snapshot does not follow: notes on
#: components would need the components referenced by notes first.
UNFOLLOWED = {("Note", "Component")}
#: The attribute ``--since`` filters on, for types of history (a type's lineage decides).
SINCE_ATTRIBUTES: Dict[str, str] = {
    "AssetVersion": "date",
    "Note": "date",
    "Timelog": "start",
    "StatusChange": "date",
}


@dataclasses.dataclass(frozen=True)
class Step:
    """Read the rows of *type_name* whose *attribute* is in pool *pool*.

    *attribute* None reads every row of the type. *since* names the date
    attribute a ``--since`` bound applies to (None: not filtered).
    """

    type_name: str
    attribute: Optional[str] = None
    pool: Optional[str] = None
    since: Optional[str] = None

    @property
    def label(self) -> str:
        """How progress reports name the step."""
        if self.attribute is None:
            return self.type_name
        return "{0} by {1}".format(self.type_name, self.attribute)


#: How a snapshot keeps an attribute's value (see :func:`kept_as`).
STORED, REFERENCE, LINK = "stored", "reference", "link"


def kept_as(attribute: Attribute) -> Optional[str]:
    """How a snapshot line keeps *attribute*, or None when it does not.

    :data:`STORED`: a scalar with a column (keys and ``<name>_id`` foreign
    keys included). :data:`REFERENCE`: a many-to-one reference, as
    ``{"__entity_type__", "id"}``. :data:`LINK`: a collection kept in the
    link table rather than by an entity type (``Context.scopes``), as a list
    of references.
    """
    relation = attribute.relation
    if attribute.stored:
        return STORED
    if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one" \
            and not attribute.computed:
        return REFERENCE
    if relation is not None and relation.kind == "many_to_many" and relation.link_type is None:
        return LINK
    return None


def stored_types(schema: Schema) -> List[str]:
    """The types whose rows a snapshot reads: leaves of the type tree, and :data:`CONCRETE_BASES`."""
    return sorted(name for name, entity_type in schema.types.items()
                  if (not entity_type.subtypes or name in CONCRETE_BASES) and name not in SKIPPED)


def pools_of(type_name: str) -> List[str]:
    """The pools a row of *type_name* joins: its type and every base."""
    return list(families.lineage(type_name))


def reference_pools(entity_type: EntityType) -> Dict[str, str]:
    """Column -> ``refs:<family root>`` pool, for the references of *entity_type*
    to people and pictures (:data:`REFERENCE_ATTRIBUTES`, :data:`REFERENCE_PAIRS`).

    Rows of the accounts taken for the users found (:data:`ACCOUNT_STEPS`)
    add no references: they are read because of those users.
    """
    pools: Dict[str, str] = {}
    if entity_type.name in ACCOUNT_STEPS:
        return pools
    for attribute in entity_type.attributes.values():
        relation = attribute.relation
        if attribute.kind != "reference" or relation is None or relation.kind != "many_to_one":
            continue
        if attribute.name in REFERENCE_ATTRIBUTES or (entity_type.name, attribute.name) in REFERENCE_PAIRS:
            pools[relation.local_column or attribute.name + "_id"] = "refs:" + families.root_of(str(attribute.target))
    return pools


def _since_attribute(type_name: str) -> Optional[str]:
    return next((SINCE_ATTRIBUTES[name] for name in families.lineage(type_name) if name in SINCE_ATTRIBUTES), None)


def _filter_attribute(entity_type: EntityType, column: str) -> str:
    """How a query names *column* of *entity_type*: itself when it is an attribute,
    else ``<reference>.id`` of the reference keeping it."""
    if column in entity_type.attributes:
        return column
    for attribute in entity_type.attributes.values():
        relation = attribute.relation
        if relation is not None and relation.kind == "many_to_one" and relation.local_column == column:
            return attribute.name + ".id"
    return column


def _project_steps(schema: Schema, paths: ProjectPaths, type_name: str) -> List[Step]:
    link = paths.links.get(type_name)
    since = _since_attribute(type_name)
    if link == "context":
        if type_name == "Project":
            return [Step(type_name, "id", PROJECTS)]
        return [Step(type_name, "project_id", PROJECTS, since)]
    if isinstance(link, list):
        if type_name == "Metadata":
            return [Step(type_name, "parent_id", EVERYTHING)]
        return [Step(type_name, _filter_attribute(schema.types[type_name], column), target, since)
                for column, target in link if (type_name, target) not in UNFOLLOWED]
    return []


def _site_steps(type_name: str) -> List[Step]:
    if type_name in SITE_CONFIGURATION or type_name in WHOLE_TYPES:
        return [Step(type_name)]
    if type_name in ACCOUNT_STEPS:
        attribute, pool = ACCOUNT_STEPS[type_name]
        return [Step(type_name, attribute, pool)]
    if type_name in SHARED_STEPS:
        attribute, pool = SHARED_STEPS[type_name]
        return [Step(type_name, attribute, pool)]
    return []


def plan(schema: Schema, paths: Optional[ProjectPaths] = None) -> List[Step]:
    """The steps of a snapshot, each after the steps filling the pools it reads."""
    paths = paths or ProjectPaths(schema, {})
    steps: List[Step] = []
    for type_name in stored_types(schema):
        steps.extend(_project_steps(schema, paths, type_name) or _site_steps(type_name))
    for type_name, pool in REFERENCED.items():
        steps.append(Step(type_name, "id", pool))
    return order(schema, steps)


def _filled_by(schema: Schema, step: Step) -> List[str]:
    pools = pools_of(step.type_name)
    pools.extend(reference_pools(schema.types[step.type_name]).values())
    return pools


def order(schema: Schema, steps: Sequence[Step]) -> List[Step]:
    """*steps* in an order where each comes after every step filling a pool it reads.

    Steps keep their given order where dependencies allow. Metadata (the
    :data:`EVERYTHING` pool) comes last. A cycle raises :exc:`ValueError`.
    """
    fills: Dict[str, List[int]] = {}
    for index, step in enumerate(steps):
        for pool in _filled_by(schema, step):
            fills.setdefault(pool, []).append(index)
    waits_for: List[set] = []
    for index, step in enumerate(steps):
        if step.pool == EVERYTHING:
            waits_for.append({other for other in range(len(steps)) if steps[other].pool != EVERYTHING})
        else:
            waits_for.append({other for other in fills.get(step.pool or "", []) if other != index})
    done: List[int] = []
    remaining = list(range(len(steps)))
    while remaining:
        ready = next((index for index in remaining if waits_for[index] <= set(done)), None)
        if ready is None:
            raise ValueError("The snapshot steps depend on each other in a cycle: {0}".format(
                ", ".join(steps[index].label for index in remaining)))
        done.append(ready)
        remaining.remove(ready)
    return [steps[index] for index in done]


class RowPools:
    """Which pools the rows of each type add to, worked out once per type."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._of_type: Dict[str, Tuple[List[str], List[Tuple[str, str]]]] = {}

    def _pools(self, type_name: str) -> Tuple[List[str], List[Tuple[str, str]]]:
        found = self._of_type.get(type_name)
        if found is None:
            entity_type = self.schema.types[type_name]
            own = pools_of(type_name) + [EVERYTHING] if entity_type.primary_key == ("id",) else []
            found = self._of_type[type_name] = (own, sorted(reference_pools(entity_type).items()))
        return found

    def add(self, pools: Dict[str, set], type_name: str, row: Dict[str, object]) -> None:
        """Add the ids *row* (of *type_name*) brings to *pools*: its own id and those it references."""
        own, references = self._pools(type_name)
        identifier = row.get("id")
        if identifier is not None:
            for pool in own:
                pools.setdefault(pool, set()).add(identifier)
        for column, pool in references:
            value = row.get(column)
            if value is not None:
                pools.setdefault(pool, set()).add(value)
