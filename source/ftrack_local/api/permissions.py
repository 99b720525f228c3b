"""Who may read and write what: rights from security roles, and project scoping.

A user's rights come from their ``UserSecurityRole`` rows: each grants the
verbs of its role (see :data:`ROLE_MATRIX`) on every project
(``is_all_projects``) or on the projects of its ``UserSecurityRoleProject``
rows. Every entity type either reaches a project through its relations
(:class:`ProjectPaths`) or is site-wide (:data:`SITE_CONFIGURATION`,
:data:`ACCOUNTS`, :data:`SHARED`). ``doc/local_server_users.rst`` describes
the rules for users.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from .. import families
from ..errors import PermissionError
from ..schema import EntityType, Schema
from ..storage import TYPE, Storage

if TYPE_CHECKING:
    from .backend import Backend

#: The verbs a role grants on project data.
VERBS = ("read", "create", "update", "delete")
#: What a role grants on the projects it is granted for: the :data:`VERBS`
#: and ``projects``, creating (with an all-projects grant) and deleting
#: ``Project`` entities.
SCOPED_RIGHTS = VERBS + ("projects",)
#: How long computed rights are trusted (other server processes' changes show after this).
RIGHTS_TTL = 1.0


@dataclass(frozen=True)
class RoleRights:
    """What one security role allows on the projects it is granted for."""

    #: The :data:`SCOPED_RIGHTS` the role grants.
    granted: FrozenSet[str] = frozenset({"read"})
    #: Users, keys, security roles and site-wide configuration.
    admin: bool = False

    def allows(self, verb: str) -> bool:
        """Whether the role grants *verb* (one of :data:`SCOPED_RIGHTS`)."""
        return verb in self.granted


#: The rights of each seeded role. Roles of other names count as "User".
ROLE_MATRIX: Dict[str, RoleRights] = {
    "Administrator": RoleRights(frozenset(SCOPED_RIGHTS), admin=True),
    "Project Manager": RoleRights(frozenset(SCOPED_RIGHTS)),
    "API": RoleRights(frozenset(SCOPED_RIGHTS)),
    "Supervisor": RoleRights(frozenset(VERBS)),
    "User": RoleRights(frozenset({"read", "create", "update"})),
    "Assignee": RoleRights(frozenset({"read", "update"})),
    "Restricted User": RoleRights(frozenset({"read"})),
}
DEFAULT_ROLE = "User"

#: Site-wide configuration: readable by everyone, written by administrators only.
SITE_CONFIGURATION = frozenset({
    "AssetType", "CustomAttributeConfiguration", "CustomAttributeGroup",
    "CustomAttributeLinkConfiguration", "CustomAttributeType", "CustomConfigurationBase", "Disk",
    "ListCategory", "Location", "ManagerType", "NoteCategory", "NoteLabel", "ObjectType",
    "Priority", "ProjectSchema", "ProjectSchemaObjectType", "ProjectSchemaOverride", "Schema",
    "SchemaStatus", "SchemaType", "SecurityRole", "Setting", "SettingComponent", "State",
    "Status", "TaskTemplate", "TaskTemplateItem", "TaskTypeSchema", "TaskTypeSchemaType", "Type",
    "UserType", "WorkflowSchema", "WorkflowSchemaStatus",
})
#: Users, groups and their roles: readable by everyone, written by administrators
#: (a user may change the harmless fields of their own User, see :data:`OWN_USER_FIELDS`).
ACCOUNTS = frozenset({
    "Resource", "User", "Group", "Membership", "UserSecurityRole", "UserSecurityRoleProject",
    "UserCustomAttributeValue", "UserCustomAttributeLink", "UserCustomAttributeLinkFrom",
    "GroupCustomAttributeLink", "GroupCustomAttributeLinkFrom",
})
#: Site-wide working data: readable by everyone, written by any user holding a role.
SHARED = frozenset({
    "Event", "Feed", "Job", "JobComponent", "Conversation", "Message", "Participant",
    "Dashboard", "DashboardResource", "DashboardWidget", "UserApplicationState", "Scope",
    "EntitySetting",
})
SITE_WIDE = SITE_CONFIGURATION | ACCOUNTS | SHARED

#: Attributes of their own User record any user may change.
OWN_USER_FIELDS = frozenset({"first_name", "last_name", "email", "thumbnail", "thumbnail_id"})
#: Types whose rows a user may always read and write when they are their own (``user_id``).
OWN_ROWS = frozenset({"Timer", "Timelog"})

#: Polymorphic ``parent_id`` columns: the types such a parent may be.
_PARENT_TYPES = ("Context", "AssetVersion", "Asset", "List", "ReviewSession",
                 "ReviewSessionObject", "Component")
#: Paths the relations do not tell (or tell ambiguously): type -> [(column, target type)].
EXPLICIT_PATHS: Dict[str, List[Tuple[str, str]]] = {
    "Note": [("parent_id", name) for name in _PARENT_TYPES],
    "Metadata": [("parent_id", name) for name in _PARENT_TYPES],
    "TypedContextStatusChange": [("parent_id", "TypedContext")],
    "AssetVersionStatusChange": [("parent_id", "AssetVersion")],
    "Component": [("version_id", "AssetVersion"), ("container_id", "ContainerComponent")],
    "ContainerComponent": [("version_id", "AssetVersion")],
    "SequenceComponent": [("version_id", "AssetVersion")],
    "FileComponent": [("version_id", "AssetVersion"), ("container_id", "ContainerComponent")],
    # Custom attribute values: ``entity_id`` holds the id of the owner.
    **{value_type: [("entity_id", owner)]
       for value_type, owner in families.CUSTOM_ATTRIBUTE_OWNERS.items()
       if value_type not in ACCOUNTS},
}
#: References never followed to find a project (they name people or pictures).
_NOT_OWNERS = frozenset({"thumbnail", "created_by", "user", "owner", "author", "completed_by",
                         "resource", "recipient", "from_status"})
#: References tried first, in this order, when several lead to a project.
_OWNER_ORDER = ("project", "parent", "context", "asset", "version", "asset_version", "task",
                "note", "list", "review_session", "review_session_object", "calendar_event")


# -- rights ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The projects a verb applies to: all of them, or those in *ids*."""

    everywhere: bool = False
    ids: FrozenSet[str] = frozenset()

    def covers(self, project_id: Any) -> bool:
        """Whether the scope includes *project_id*."""
        return self.everywhere or project_id in self.ids

    @property
    def empty(self) -> bool:
        """Whether the scope includes no project at all."""
        return not self.everywhere and not self.ids


NOWHERE = Scope()
EVERYWHERE = Scope(everywhere=True)


@dataclass(frozen=True)
class Rights:
    """What one user may do, from all of their security roles."""

    user_id: Optional[str]
    admin: bool = False
    roles: Tuple[str, ...] = ()
    scopes: Dict[str, Scope] = field(default_factory=dict)

    @property
    def has_role(self) -> bool:
        """Whether the user holds any security role."""
        return bool(self.roles)

    def scope(self, verb: str) -> Scope:
        """The projects on which the user may *verb* (``read``, ..., ``projects``)."""
        if self.admin:
            return EVERYWHERE
        return self.scopes.get(verb, NOWHERE)


def administrator(user_id: Optional[str]) -> Rights:
    """The rights of an administrator (everything, checked nowhere)."""
    return Rights(user_id=user_id, admin=True, roles=("Administrator",))


def role_rights(role_name: Optional[str]) -> RoleRights:
    """The rights of the role *role_name* (unknown names count as ``User``)."""
    return ROLE_MATRIX.get(role_name or "", ROLE_MATRIX[DEFAULT_ROLE])


def compute_rights(storage: Storage, connection: sa.Connection, user_id: Optional[str]) -> Rights:
    """The rights of *user_id* read from its security role rows (two queries)."""
    if user_id is None:
        return Rights(user_id=None)
    grants = storage.tables["user_security_role"]
    roles = storage.tables["security_role"]
    rows = connection.execute(
        sa.select(grants.c.id, grants.c.is_all_projects, grants.c.is_all_open_projects,
                  roles.c.name)
        .select_from(grants.outerjoin(roles, roles.c.id == grants.c.security_role_id))
        .where(grants.c.user_id == user_id, grants.c[TYPE] == "UserSecurityRole")).all()
    names = tuple(sorted({row.name or DEFAULT_ROLE for row in rows}))
    if any(role_rights(row.name).admin for row in rows):
        return Rights(user_id=user_id, admin=True, roles=names)
    limited = [row.id for row in rows if not (row.is_all_projects or row.is_all_open_projects)]
    projects: Dict[str, set] = {grant_id: set() for grant_id in limited}
    if limited:
        links = storage.tables["user_security_role_project"]
        for grant_id, project_id in connection.execute(
                sa.select(links.c.user_security_role_id, links.c.project_id)
                .where(links.c.user_security_role_id.in_(limited))):
            projects[grant_id].add(project_id)
    scopes: Dict[str, Scope] = {}
    for row in rows:
        granted = role_rights(row.name)
        for verb in SCOPED_RIGHTS:
            if not granted.allows(verb):
                continue
            current = scopes.get(verb, NOWHERE)
            if current.everywhere:
                continue
            if row.id not in projects:
                scopes[verb] = EVERYWHERE
            else:
                scopes[verb] = Scope(ids=current.ids | frozenset(projects[row.id]))
    return Rights(user_id=user_id, roles=names, scopes=scopes)


class RightsCache:
    """Rights per user, trusted for :data:`RIGHTS_TTL` seconds.

    :meth:`invalidate` forgets everything: called when this process writes
    users or security roles. Other processes' changes show once the entries
    expire.
    """

    def __init__(self, ttl: float = RIGHTS_TTL) -> None:
        self.ttl = ttl
        self._entries: Dict[Any, Tuple[float, int, Rights]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, storage: Storage, connection: sa.Connection, user_id: Optional[str]) -> Rights:
        """The rights of *user_id*, computed at most once per :attr:`ttl`."""
        now = time.monotonic()
        entry = self._entries.get(user_id)
        if entry is not None and now - entry[0] < self.ttl and entry[1] == self._generation:
            return entry[2]
        generation = self._generation
        rights = compute_rights(storage, connection, user_id)
        with self._lock:
            if generation == self._generation:
                self._entries[user_id] = (now, generation, rights)
        return rights

    def invalidate(self) -> None:
        """Forget every cached entry."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


_CACHES: "weakref.WeakKeyDictionary[Storage, RightsCache]" = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(storage: Storage) -> RightsCache:
    """The rights cache of *storage* (one per database of this process)."""
    cache = _CACHES.get(storage)
    if cache is None:
        with _CACHES_LOCK:
            cache = _CACHES.setdefault(storage, RightsCache())
    return cache


def rights_of(storage: Storage, connection: sa.Connection, user_id: Optional[str]) -> Rights:
    """The (cached) rights of *user_id* in *storage*."""
    return cache_for(storage).get(storage, connection, user_id)


# -- project paths ----------------------------------------------------------------------

Clause = Optional[sa.ColumnElement]


class ProjectPaths:
    """How rows of each entity type reach their project, as SQL conditions.

    A type's path is one of: the context tree itself (``project_id``, or the
    row's own id for a Project); a ``project`` reference; or links
    (``column``, target type) to types that have a path, derived from the
    schema's many-to-one references (see :data:`_OWNER_ORDER`) or given in
    :data:`EXPLICIT_PATHS`. A base type whose subtypes differ gets one
    condition per subtype. Types with no path are site-wide.
    """

    def __init__(self, schema: Schema, tables: Dict[str, sa.Table]) -> None:
        self.schema = schema
        self.tables = tables
        self.links: Dict[str, Any] = {}
        self._derive()

    def _derive(self) -> None:
        for name, entity_type in self.schema.types.items():
            if name in SITE_WIDE:
                continue
            if entity_type.is_a("Context"):
                self.links[name] = "context"
            elif name in EXPLICIT_PATHS:
                self.links[name] = list(EXPLICIT_PATHS[name])
        changed = True
        while changed:
            changed = False
            for name, entity_type in self.schema.types.items():
                if name in self.links or name in SITE_WIDE:
                    continue
                link = self._link(entity_type)
                if link is not None:
                    self.links[name] = link
                    changed = True
        for name, entity_type in self.schema.types.items():
            if name in self.links or name in SITE_WIDE or not entity_type.subtypes:
                continue
            members = [s for s in entity_type.subtypes if s in self.links or s in SITE_WIDE]
            if len(members) == len(entity_type.subtypes):
                self.links[name] = "by_type"

    def _link(self, entity_type: EntityType) -> Optional[List[Tuple[str, str]]]:
        candidates = []
        for attribute in entity_type.attributes.values():
            relation = attribute.relation
            if attribute.kind != "reference" or relation is None or relation.kind != "many_to_one":
                continue
            if attribute.name in _NOT_OWNERS or attribute.target == entity_type.name:
                continue
            if attribute.target in self.links:
                order = _OWNER_ORDER.index(attribute.name) if attribute.name in _OWNER_ORDER \
                    else len(_OWNER_ORDER)
                candidates.append((order, attribute.name, relation.local_column, attribute.target))
        if not candidates:
            return None
        _, _, column, target = min(candidates)
        return [(column, target)]

    def is_site_wide(self, name: str) -> bool:
        """Whether rows of *name* belong to no project."""
        return name not in self.links

    def clause(self, entity_type: EntityType, table: sa.FromClause, scope: Scope,
               depth: int = 0) -> Clause:
        """The condition keeping rows of *table* (rows of *entity_type*) within *scope*.

        None means no condition (site-wide type or every project).
        """
        if scope.everywhere:
            return None
        link = self.links.get(entity_type.name)
        if link is None:
            return None
        ids = sorted(scope.ids)
        if link == "context":
            if not ids:
                return sa.false()
            return sa.or_(table.c.project_id.in_(ids), table.c.id.in_(ids))
        if link == "by_type":
            parts = []
            for sub in entity_type.subtypes:
                sub_type = self.schema.types[sub]
                if sub_type.subtypes and self.links.get(sub) == "by_type":
                    continue
                own = self.clause(sub_type, table, scope, depth)
                parts.append(table.c[TYPE] == sub if own is None
                             else sa.and_(table.c[TYPE] == sub, own))
            return sa.or_(*parts) if parts else sa.false()
        if depth > 6:
            return sa.false()
        parts = []
        for column, target_name in link:
            if column not in table.c:
                continue
            target = self.schema.types[target_name]
            target_table = self.tables[target.table].alias()
            inner = self.clause(target, target_table, scope, depth + 1)
            select = sa.select(target_table.c.id)
            if inner is not None:
                select = select.where(inner)
            parts.append(table.c[column].in_(select))
        return sa.or_(*parts) if parts else sa.false()


_PATHS: Dict[int, ProjectPaths] = {}


def paths_for(storage: Storage) -> ProjectPaths:
    """The project paths of *storage*'s schema (built once)."""
    paths = _PATHS.get(id(storage))
    if paths is None:
        paths = ProjectPaths(storage.schema, storage.tables)
        _PATHS[id(storage)] = paths
    return paths


# -- checks -----------------------------------------------------------------------------

class Guard:
    """Applies one user's rights to the reads and writes of one request."""

    def __init__(self, storage: Storage, connection: sa.Connection, rights: Rights) -> None:
        self.storage = storage
        self.connection = connection
        self.rights = rights
        self.paths = paths_for(storage)

    # reading

    def read_clause(self, entity_type: EntityType, table: sa.FromClause) -> Clause:
        """The condition leaving out rows the user may not read (None: all readable)."""
        if self.rights.admin or entity_type.name in SITE_WIDE:
            return None
        scope = self.rights.scope("read")
        condition = self.paths.clause(entity_type, table, scope)
        if condition is None:
            return None
        if entity_type.name in OWN_ROWS and "user_id" in table.c:
            condition = sa.or_(condition, table.c.user_id == self.rights.user_id)
        elif entity_type.is_a("Component") and self.rights.has_role:
            condition = sa.or_(condition, sa.and_(table.c.version_id.is_(None),
                                                  table.c.container_id.is_(None)))
        return condition

    # writing

    def check_write(self, verb: str, entity_type: EntityType, key: Dict[str, Any],
                    changed: Iterable[str] = ()) -> None:
        """Raise :class:`PermissionError` unless the user may *verb* the entity *key*.

        Called after a create (the row exists) and before and after an
        update; before a delete. *changed* names the attributes an update sets.
        """
        rights = self.rights
        if rights.admin:
            return
        name = entity_type.name
        if entity_type.is_a("User") and verb == "update" and key.get("id") == rights.user_id:
            extra = set(changed) - OWN_USER_FIELDS
            if not extra:
                return
            raise self.refusal(verb, entity_type, "a user may only change {0} of their own "
                               "record, not {1}".format(", ".join(sorted(OWN_USER_FIELDS - {
                                   "thumbnail_id"})), ", ".join(sorted(extra))))
        if self._in_family(entity_type, ACCOUNTS) or self._in_family(entity_type,
                                                                     SITE_CONFIGURATION):
            raise self.refusal(verb, entity_type, "only administrators change {0}".format(
                "users and security roles" if self._in_family(entity_type, ACCOUNTS)
                else "site-wide configuration"))
        if name in OWN_ROWS and self._own_row(entity_type, key):
            return
        if self.paths.is_site_wide(name):
            if not rights.has_role:
                raise self.refusal(verb, entity_type, "the user holds no security role")
            return
        if entity_type.is_a("Project") and verb in ("create", "delete"):
            scope = rights.scope("projects")
            if verb == "create" and not scope.everywhere:
                raise self.refusal(verb, entity_type, "creating projects needs the "
                                   "Administrator role or a Project Manager or API role "
                                   "on all projects")
            if not self._within(entity_type, key, scope):
                raise self.refusal(verb, entity_type, "deleting a project needs the "
                                   "Administrator role or a Project Manager or API role "
                                   "on it")
            return
        if entity_type.is_a("Project") and verb == "update":
            if not self._within(entity_type, key, rights.scope("projects")):
                raise self.refusal(verb, entity_type, "changing a project needs the "
                                   "Administrator role or a Project Manager or API role on it")
            return
        scope = rights.scope(verb)
        if scope.empty or not self._within(entity_type, key, scope):
            if verb != "create" and not self._exists(entity_type, key):
                return  # the writer reports the missing entity
            raise self.refusal(verb, entity_type, "none of the user's roles allows it on "
                               "the entity's project")

    def check_create_type(self, entity_type: EntityType) -> None:
        """Refuse at once creating entities of a type only administrators create."""
        if self.rights.admin:
            return
        if self._in_family(entity_type, ACCOUNTS) or self._in_family(entity_type,
                                                                     SITE_CONFIGURATION):
            self.check_write("create", entity_type, {})

    def _in_family(self, entity_type: EntityType, names: FrozenSet[str]) -> bool:
        return entity_type.name in names or any(entity_type.is_a(n) for n in names)

    def _row(self, entity_type: EntityType, key: Dict[str, Any]) -> sa.Select:
        table = self.storage.table(entity_type)
        return sa.select(sa.literal(1)).select_from(table).where(
            *[table.c[column] == value for column, value in key.items() if column in table.c])

    def _within(self, entity_type: EntityType, key: Dict[str, Any], scope: Scope) -> bool:
        if scope.everywhere:
            return True
        table = self.storage.table(entity_type)
        condition = self.paths.clause(entity_type, table, scope)
        if entity_type.is_a("Component") and self.rights.has_role:
            # Components attached to nothing (see doc/local_server_users.rst).
            condition = sa.or_(condition if condition is not None else sa.false(),
                               sa.and_(table.c.version_id.is_(None),
                                       table.c.container_id.is_(None)))
        statement = self._row(entity_type, key)
        if condition is not None:
            statement = statement.where(condition)
        return self.connection.execute(statement.limit(1)).first() is not None

    def _exists(self, entity_type: EntityType, key: Dict[str, Any]) -> bool:
        return self.connection.execute(self._row(entity_type, key).limit(1)).first() is not None

    def _own_row(self, entity_type: EntityType, key: Dict[str, Any]) -> bool:
        table = self.storage.table(entity_type)
        statement = self._row(entity_type, key).where(table.c.user_id == self.rights.user_id)
        return self.connection.execute(statement.limit(1)).first() is not None

    def can_read_component(self, component_id: str) -> bool:
        """Whether the user may read the data of component *component_id*.

        A component not stored as an entity (yet) counts as unattached.
        """
        return self._may_use_component(component_id, "read")

    def can_write_component(self, component_id: str) -> bool:
        """Whether the user may upload or remove the data of *component_id*."""
        return self._may_use_component(component_id, "update")

    def _may_use_component(self, component_id: str, verb: str) -> bool:
        """Whether *verb* rights on the component's project cover *component_id*;
        an unattached component is open to every user holding a role."""
        if self.rights.admin:
            return True
        component = self.storage.schema.types["Component"]
        table = self.storage.table(component)
        exists = self.connection.execute(sa.select(table.c.id).where(
            table.c.id == component_id).limit(1)).first()
        if exists is None:
            return self.rights.has_role
        return self._within(component, {"id": component_id}, self.rights.scope(verb))

    def refusal(self, verb: str, entity_type: EntityType, reason: str) -> PermissionError:
        """The error refusing *verb* on *entity_type*."""
        return PermissionError('Permission denied: cannot {0} {1}: {2}.'.format(
            verb, entity_type.name, reason))

    def require_admin(self, what: str) -> None:
        """Raise :class:`PermissionError` unless the user is an administrator."""
        if not self.rights.admin:
            raise PermissionError("Permission denied: {0} needs the Administrator role.".format(
                what))


def restriction_for(guard: Optional[Guard]) -> Optional[Callable[[EntityType, sa.FromClause],
                                                                   Clause]]:
    """The row restriction queries and relation loading apply (None: nothing to apply)."""
    if guard is None or guard.rights.admin:
        return None
    return guard.read_clause


def entity_key(entity_type: EntityType, values: Iterable[Any]) -> Dict[str, Any]:
    """Column -> value of the primary key *values* of *entity_type*."""
    return dict(zip(entity_type.primary_key, values))


def may_access_component(backend: Backend, username: str, component_id: str, write: bool) -> bool:
    """Whether *username* may read (or, with *write*, change) the data of *component_id*.

    The data follows the rights on the component's project (component,
    version, asset, context); see ``doc/local_server_users.rst`` for
    components attached to nothing.
    """
    storage = backend.storage
    with storage.connect(False) as connection:
        with connection.begin():
            user_id = backend.user_id_in(connection, username)
            guard = Guard(storage, connection, rights_of(storage, connection, user_id))
            if write:
                return guard.can_write_component(component_id)
            return guard.can_read_component(component_id)


def readable_projects(backend: Backend, user_id: Optional[str]) -> Optional[FrozenSet[str]]:
    """The ids of the projects *user_id* may read, or None for all of them.

    The event hub uses it to leave other projects' entities out of the
    ``ftrack.update`` events a user's connections receive.
    """
    storage = backend.storage
    with storage.connect(False) as connection:
        with connection.begin():
            scope = rights_of(storage, connection, user_id).scope("read")
    return None if scope.everywhere else scope.ids
