"""The actions of ``POST /api``: one function per action name.

Each action receives the :class:`Request` (the open transaction and who is
asking) and the operation object, and returns the result element.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional

import sqlalchemy as sa

from ..components import jobs, media
from ..components.service import WIDGET_NAMES
from ..components.store import StoreError, check_identifier
from ..errors import ApiError, InvalidActionError, NotFoundError, ValidationError
from ..query import parse
from ..query.compiler import compile_select
from ..schema import EntityType
from ..storage import TYPE, Storage, now
from ..values import encode_datetime, to_storage
from . import permissions, users
from .loader import Loader, projection_tree
from .permissions import Guard, entity_key, restriction_for
from .writer import CUSTOM_VALUE_TYPES, Writer

if TYPE_CHECKING:
    from .backend import Backend

ACTIONS: Dict[str, Callable[["Request", dict], Any]] = {}


@dataclass
class Request:
    """Everything an action may use while a request's transaction is open."""

    backend: Backend
    storage: Storage
    connection: sa.Connection
    writer: Writer
    loader: Loader
    username: str
    user_id: Optional[str]
    #: Called once the request's transaction has committed (never after a rollback).
    after_commit: List[Callable[[], None]] = field(default_factory=list)
    #: The asking user's rights, set when the request starts running (see :func:`run`).
    guard: Optional[Guard] = None


def guard_of(request: Request) -> Guard:
    """The rights of the asking user for *request* (computed once, then cached briefly).

    Users without full rights also get the row restriction on everything
    the request's loader reads (see ``doc/local_server_users.rst``).
    """
    if request.guard is None:
        rights = permissions.rights_of(request.storage, request.connection, request.user_id)
        request.guard = Guard(request.storage, request.connection, rights)
        request.loader.restriction = restriction_for(request.guard)
    return request.guard


def action(name: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the action *name*."""
    def register(function: Callable) -> Callable:
        ACTIONS[name] = function
        return function
    return register


def dispatch(request: Request, operation: Any) -> Any:
    """Run *operation* with the action it names; return its result."""
    if not isinstance(operation, dict):
        raise ValidationError("Each operation must be a JSON object with an \"action\" key.")
    name = operation.get("action")
    function = ACTIONS.get(name) if isinstance(name, str) else None
    if function is None:
        raise InvalidActionError(name)
    return function(request, operation)


def _required(operation: dict, key: str, kind: type = str) -> Any:
    value = operation.get(key)
    if not isinstance(value, kind):
        raise ValidationError('Operation "{0}" needs "{1}" ({2}).'.format(
            operation.get("action"), key, "text" if kind is str else kind.__name__))
    return value


def _entity_type(request: Request, operation: dict) -> EntityType:
    return request.storage.schema.get(_required(operation, "entity_type"))


def _key(operation: dict) -> List[Any]:
    key = operation.get("entity_key")
    if isinstance(key, (str, int)):
        return [key]
    if not isinstance(key, list) or not key:
        raise ValidationError('Operation "{0}" needs "entity_key", a list of primary key values.'.format(
            operation.get("action")))
    return key


@action("query_server_information")
def query_server_information(request: Request, operation: dict) -> dict:
    """Answer ``query_server_information``."""
    return request.backend.server_information(request.connection, operation.get("values"))


@action("query_schemas")
def query_schemas(request: Request, operation: dict) -> list:
    """Answer ``query_schemas`` with the served schemas."""
    return request.backend.raw_schemas()


@action("query")
def query(request: Request, operation: dict) -> dict:
    """Answer ``query``: the entities the expression selects, with their projections."""
    expression = _required(operation, "expression")
    parsed = parse(expression)
    schema = request.storage.schema
    entity_type = schema.get(parsed.entity_type)
    paths = parsed.projections or tuple((name,) for name in entity_type.default_projections)
    tree = projection_tree(paths)
    request.loader.validate_tree(entity_type, tree)
    statement = compile_select(request.storage, parsed, restriction_for(guard_of(request)))
    rows = [dict(r) for r in request.connection.execute(statement).mappings()]
    next_offset = None
    if parsed.limit is not None and len(rows) > parsed.limit:
        rows = rows[:parsed.limit]
        next_offset = (parsed.offset or 0) + len(rows)
    data = request.loader.serialize(rows, tree, entity_type)
    return {"action": "query", "data": data, "metadata": {"next": {"offset": next_offset}}}


@action("create")
def create(request: Request, operation: dict) -> dict:
    """Answer ``create``: store a new entity and return it."""
    data = operation.get("entity_data")
    if not isinstance(data, dict):
        raise ValidationError('Operation "create" needs "entity_data", an object.')
    key = operation.get("entity_key")
    requested = _entity_type(request, operation)
    guard_of(request).check_create_type(requested)
    row_type, row = request.writer.create(requested.name, data,
                                          key if isinstance(key, list) else None)
    guard_of(request).check_write("create", row_type, _row_key(row_type, row))
    _watch_accounts(request, row_type)
    return {"action": "create",
            "data": request.loader.serialize_written(_answered_type(requested, row_type), row, data,
                                                     created=True)}


@action("update")
def update(request: Request, operation: dict) -> dict:
    """Answer ``update``: change an entity and return it."""
    data = operation.get("entity_data")
    if not isinstance(data, dict):
        raise ValidationError('Operation "update" needs "entity_data", an object.')
    requested = _entity_type(request, operation)
    guard = guard_of(request)
    changed = [name for name in data if name != "__entity_type__"]
    guard.check_write("update", requested, entity_key(requested, _key(operation)), changed)
    row_type, row = request.writer.update(requested.name, _key(operation), data)
    # Checked again where the entity is now: moving it to another project needs rights there.
    guard.check_write("update", row_type, _row_key(row_type, row), changed)
    _watch_accounts(request, row_type)
    return {"action": "update",
            "data": request.loader.serialize_written(_answered_type(requested, row_type), row, data,
                                                     created=False,
                                                     changed=request.writer.updated_columns)}


def _row_key(entity_type: EntityType, row: dict) -> Dict[str, Any]:
    return {name: row.get(name) for name in entity_type.primary_key}


def _watch_accounts(request: Request, entity_type: EntityType) -> None:
    """Forget cached rights when users or security roles change (now and after the commit)."""
    if entity_type.name in permissions.ACCOUNTS or entity_type.is_a("Resource") or \
            entity_type.name == "SecurityRole":
        cache = permissions.cache_for(request.storage)
        cache.invalidate()
        request.after_commit.append(cache.invalidate)


def _answered_type(requested: EntityType, written: EntityType) -> EntityType:
    """The type a create or update answer names: the one the client wrote.

    A client keeps the entity it wrote under that type; an answer naming the
    subtype the server stored the row as (a ``Component`` stored as a
    ``FileComponent``) would leave that entity without its values. Custom
    attribute values keep naming their stored value type.
    """
    if requested.name in CUSTOM_VALUE_TYPES or not written.is_a(requested.name):
        return written
    return requested


@action("delete")
def delete(request: Request, operation: dict) -> dict:
    """Answer ``delete``: remove an entity and what depends on it."""
    entity_type = _entity_type(request, operation)
    guard_of(request).check_write("delete", entity_type, entity_key(entity_type, _key(operation)))
    request.writer.delete(entity_type.name, _key(operation))
    _watch_accounts(request, entity_type)
    return {"action": "delete", "data": True}


@action("reset_remote")
def reset_remote(request: Request, operation: dict) -> dict:
    """Answer ``reset_remote``: give a user a new API key."""
    reset_type = operation.get("reset_type")
    if reset_type != "api_key":
        entity_type = _entity_type(request, operation)
        attribute = entity_type.attributes.get(reset_type) if isinstance(reset_type, str) else None
        if attribute is None or not attribute.has_default or reset_type in entity_type.primary_key:
            raise ValidationError('Cannot reset "{0}": only "api_key" or an attribute with a default '
                                  'can be reset.'.format(reset_type))
        default = attribute.default
        if default == "{uid}":
            default = str(uuid.uuid4())
        guard_of(request).check_write("update", entity_type, entity_key(entity_type, _key(operation)),
                                      [reset_type])
        request.writer.update(entity_type.name, _key(operation), {reset_type: default})
        return {"action": "reset_remote", "data": {reset_type: default}}
    user_id = operation.get("entity_key") or request.user_id
    if isinstance(user_id, list):
        user_id = user_id[0]
    found = request.loader.fetch(request.storage.schema.types["User"], "id", [user_id])
    if not found:
        raise NotFoundError('User "{0}" does not exist.'.format(user_id))
    if user_id != request.user_id:
        guard_of(request).require_admin("Resetting the API key of another user")
    username = found[0]["username"]
    new_key = users.rotate_key(request.storage, request.connection, username)
    request.backend.forget_api_key(username)
    request.after_commit.append(lambda: request.backend.forget_api_key(username))
    return {"action": "reset_remote", "data": {"api_key": new_key}}


def run(request: Request, operations: List[Any]) -> List[Any]:
    """Run *operations* in order; a failure names the operation that failed."""
    results = []
    guard_of(request)
    for index, operation in enumerate(operations):
        try:
            results.append(dispatch(request, operation))
        except ApiError as error:
            raise _name_operation(error, index, operation) from None
    request.writer.finish()
    return results


def _name_operation(error: ApiError, index: int, operation: Any) -> ApiError:
    if isinstance(operation, dict) and len(error.content) < 2000:
        label = operation.get("action")
        if operation.get("entity_type"):
            label = "{0} {1}".format(label, operation.get("entity_type"))
        if "Invalid action" not in error.content:
            error.content = "{0} (operation {1}: {2})".format(error.content, index + 1, label)
    return error


# -- components, media, jobs and invitations (doc/protocol.rst, "Component and job actions") --

@contextlib.contextmanager
def _component_input() -> Iterator[None]:
    """Report refused storage input in the ftrack error envelope."""
    try:
        yield
    except StoreError as error:
        if error.status == 404:
            raise NotFoundError(error.message) from None
        raise ValidationError(error.message) from None
    except ValueError as error:
        raise ValidationError(str(error)) from None


@action("get_upload_metadata")
def get_upload_metadata(request: Request, operation: dict) -> dict:
    """Answer ``get_upload_metadata``: where and how to upload a component's data.

    Only for a component id (see :func:`_existing_component`); each URL
    handed out works once.
    """
    service = request.backend.components
    component_id = operation.get("component_id")
    size, checksum, parts = (operation.get("file_size"), operation.get("checksum"),
                             operation.get("parts"))
    with _component_input():
        service.check_upload_request(component_id, size, checksum, parts)
    check_component_write(request, component_id)
    _existing_component(request, component_id)
    with _component_input():
        return service.upload_metadata(component_id, operation.get("file_name"), size,
                                       checksum, parts)


def check_component_write(request: Request, component_id: Any) -> None:
    """Refuse storing data for a component of a project the user may not write."""
    if not guard_of(request).can_write_component(component_id):
        raise permissions.PermissionError(
            'Permission denied: cannot store data for Component "{0}": none of the user\'s '
            'roles allows changing its project.'.format(component_id))


def _existing_component(request: Request, component_id: str) -> None:
    """Refuse *component_id* when it names an entity that is no Component.

    Clients ask for upload URLs before they commit the new component, so an
    id nothing has yet is accepted; an id of another kind of entity is not.
    """
    component_table = request.storage.table(request.storage.schema.types["Component"])
    for table in request.storage.tables.values():
        if table is component_table or "id" not in table.c or TYPE not in table.c \
                or not isinstance(table.c.id.type, sa.String):
            continue
        found = request.connection.execute(
            sa.select(table.c[TYPE]).where(table.c.id == component_id).limit(1)).scalar()
        if found is not None:
            raise ValidationError('"{0}" is the id of a {1}, not of a Component: upload URLs '
                                  'are only given for components.'.format(component_id, found))


@action("complete_multipart_upload")
def complete_multipart_upload(request: Request, operation: dict) -> dict:
    """Answer ``complete_multipart_upload``: join the uploaded parts."""
    component_id = _required(operation, "component_id")
    upload_id = _required(operation, "upload_id")
    parts = operation.get("parts")
    if not isinstance(parts, list) or not all(
            isinstance(part, dict) and isinstance(part.get("part_number"), int)
            and isinstance(part.get("e_tag"), str) for part in parts):
        raise ValidationError('Operation "complete_multipart_upload" needs "parts", a list of '
                              'objects with a "part_number" (integer) and an "e_tag" (text).')
    service = request.backend.components
    with _component_input():
        check_identifier(component_id)
    check_component_write(request, component_id)
    _existing_component(request, component_id)
    numbers = [part["part_number"] for part in parts]
    with _component_input():
        service.check_upload_size(service.store.parts_size(upload_id, numbers))
        service.store.complete_multipart(
            upload_id, component_id, [(part["part_number"], part["e_tag"]) for part in parts])
    return {"action": "complete_multipart_upload", "component_id": component_id,
            "url": request.loader.component_url("get", component_id)}


@action("encode_media")
def encode_media(request: Request, operation: dict) -> dict:
    """Answer ``encode_media``: start a job encoding a component."""
    service = request.backend.components
    with _component_input():
        return media.start_encoding(request, operation, service.store, service.encoder)


@action("get_widget_url")
def get_widget_url(request: Request, operation: dict) -> dict:
    """Answer ``get_widget_url``: a signed URL for a widget."""
    name = operation.get("name")
    if name not in WIDGET_NAMES:
        raise ValidationError('Unknown widget {0!r}: use one of {1}.'.format(
            name, ", ".join(WIDGET_NAMES)))
    theme = operation.get("theme")
    if theme not in ("light", "dark"):
        theme = "dark"
    entity_type_name, entity_key = None, None
    if operation.get("entity_type") is not None or operation.get("entity_key") is not None:
        entity_type = _entity_type(request, operation)
        entity_key = _key(operation)
        _existing(request, entity_type, entity_key)
        entity_type_name = entity_type.name
    url = request.backend.components.widget_url(name, theme, request.username,
                                                  entity_type_name, entity_key)
    return {"widget_url": url}


def _existing(request: Request, entity_type: EntityType, entity_key: List[Any]) -> dict:
    """The row of the entity *entity_key* (single primary key), else NotFoundError."""
    if len(entity_type.primary_key) != 1 or len(entity_key) != 1:
        raise ValidationError('Expected one primary key value for "{0}".'.format(entity_type.name))
    column = entity_type.primary_key[0]
    # Stored form first: a key of the wrong type is refused or simply matches nothing.
    value = to_storage(entity_type.attributes[column], entity_key[0], entity_type.name)
    rows = request.loader.fetch(entity_type, column, [value])
    if not rows:
        raise NotFoundError('{0} "{1}" does not exist.'.format(entity_type.name, entity_key[0]))
    return rows[0]


@action("send_user_invite")
def send_user_invite(request: Request, operation: dict) -> dict:
    """Answer ``send_user_invite``: write an invitation to the outbox."""
    user_id = _required(operation, "user_id")
    guard_of(request).require_admin("Inviting users")
    user = _existing(request, request.storage.schema.types["User"], [user_id])
    if not user.get("email"):
        raise ValidationError('User "{0}" has no email address to send an invitation to.'.format(
            user.get("username")))
    outbox = request.backend.components.outbox
    details = {"user_id": user_id, "username": user.get("username"),
               "invited_by": request.username}
    request.after_commit.append(lambda: outbox.send("user_invite", user["email"], **details))
    return {"sent": True}


@action("send_review_session_invite")
def send_review_session_invite(request: Request, operation: dict) -> dict:
    """Answer ``send_review_session_invite``: write an invitation to the outbox."""
    invitee_id = _required(operation, "review_session_invitee_id")
    invitee = _existing(request, request.storage.schema.types["ReviewSessionInvitee"],
                        [invitee_id])
    if not invitee.get("email"):
        raise ValidationError('Review session invitee "{0}" has no email address.'.format(
            invitee_id))
    request.writer.update("ReviewSessionInvitee", [invitee_id], {"last_sent_at": encode_datetime(now())})
    outbox = request.backend.components.outbox
    details = {"review_session_invitee_id": invitee_id, "name": invitee.get("name"),
               "review_session_id": invitee.get("review_session_id"),
               "invited_by": request.username}
    request.after_commit.append(
        lambda: outbox.send("review_session_invite", invitee["email"], **details))
    return {"sent": True}


#: ``delayed_job`` types this server knows, and why they cannot run here.
DELAYED_JOBS = {
    "SYNC_USERS_LDAP": (jobs.SYNC_USERS_LDAP_JOB, "Synchronise users with LDAP",
                        "LDAP is not configured on this server: no users were synchronised."),
}


@action("delayed_job")
def delayed_job(request: Request, operation: dict) -> dict:
    """Answer ``delayed_job``: start a server job of a known type."""
    job_type = _required(operation, "job_type")
    known = DELAYED_JOBS.get(job_type)
    if known is None:
        raise ValidationError('Unknown delayed job type {0!r}: this server knows {1}.'.format(
            job_type, ", ".join(sorted(DELAYED_JOBS))))
    stored_type, description, error = known
    guard_of(request).require_admin("Synchronising users")
    data = {"__entity_type__": "Job", "type": stored_type, "status": jobs.FAILED,
            "user_id": request.user_id,
            "data": json.dumps({"description": description, "error": error})}
    row_type, row = request.writer.create("Job", data)
    return {"action": "delayed_job", "data": request.loader.serialize_full(row_type, row, data)}
