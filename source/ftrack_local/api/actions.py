"""The actions of ``POST /api``: one function per action name.

Each action receives the :class:`Request` (the open transaction and who is
asking) and the operation object, and returns the result element.
"""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa

from ..errors import ApiError, InvalidActionError, NotFoundError, ValidationError
from ..query import parse
from ..query.compiler import compile_select
from ..schema import EntityType
from ..storage import Storage
from .loader import Loader, projection_tree
from .writer import Writer

ACTIONS: Dict[str, Callable[["Request", dict], Any]] = {}


@dataclass
class Request:
    """Everything an action may use while a request's transaction is open."""

    backend: Any
    storage: Storage
    connection: sa.Connection
    writer: Writer
    loader: Loader
    username: str
    user_id: Optional[str]


def action(name: str):
    def register(function: Callable) -> Callable:
        ACTIONS[name] = function
        return function
    return register


def dispatch(request: Request, operation: Any) -> Any:
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
    return request.backend.server_information(request.connection, operation.get("values"))


@action("query_schemas")
def query_schemas(request: Request, operation: dict) -> list:
    return request.backend.raw_schemas()


@action("query")
def query(request: Request, operation: dict) -> dict:
    expression = _required(operation, "expression")
    parsed = parse(expression)
    schema = request.storage.schema
    entity_type = schema.get(parsed.entity_type)
    paths = parsed.projections or tuple((name,) for name in entity_type.default_projections)
    tree = projection_tree(paths)
    request.loader.validate_tree(entity_type, tree)
    statement = compile_select(request.storage, parsed)
    rows = [dict(r) for r in request.connection.execute(statement).mappings()]
    next_offset = None
    if parsed.limit is not None and len(rows) > parsed.limit:
        rows = rows[:parsed.limit]
        next_offset = (parsed.offset or 0) + len(rows)
    data = request.loader.serialize(rows, tree, entity_type)
    return {"action": "query", "data": data, "metadata": {"next": {"offset": next_offset}}}


@action("create")
def create(request: Request, operation: dict) -> dict:
    data = operation.get("entity_data")
    if not isinstance(data, dict):
        raise ValidationError('Operation "create" needs "entity_data", an object.')
    key = operation.get("entity_key")
    row_type, row = request.writer.create(_required(operation, "entity_type"), data,
                                          key if isinstance(key, list) else None)
    return {"action": "create", "data": request.loader.serialize_full(row_type, row, data)}


@action("update")
def update(request: Request, operation: dict) -> dict:
    data = operation.get("entity_data")
    if not isinstance(data, dict):
        raise ValidationError('Operation "update" needs "entity_data", an object.')
    row_type, row = request.writer.update(_required(operation, "entity_type"), _key(operation), data)
    return {"action": "update", "data": request.loader.serialize_full(row_type, row, data)}


@action("delete")
def delete(request: Request, operation: dict) -> dict:
    request.writer.delete(_required(operation, "entity_type"), _key(operation))
    return {"action": "delete", "data": True}


@action("reset_remote")
def reset_remote(request: Request, operation: dict) -> dict:
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
        request.writer.update(entity_type.name, _key(operation), {reset_type: default})
        return {"action": "reset_remote", "data": {reset_type: default}}
    user_id = operation.get("entity_key") or request.user_id
    if isinstance(user_id, list):
        user_id = user_id[0]
    users = request.loader.fetch(request.storage.schema.types["User"], "id", [user_id])
    if not users:
        raise NotFoundError('User "{0}" does not exist.'.format(user_id))
    new_key = str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
    request.backend.store_api_key(request.connection, users[0]["username"], new_key)
    return {"action": "reset_remote", "data": {"api_key": new_key}}


def run(request: Request, operations: List[Any]) -> List[Any]:
    """Run *operations* in order; a failure names the operation that failed."""
    results = []
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
