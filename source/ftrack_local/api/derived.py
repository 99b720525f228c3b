"""Attributes the server computes on read (``link``, ``ancestors``, custom attributes…).

Each computation takes the loader, the owner type, the attribute and the
owner rows of one batch, and returns one value per row: a JSON value for
scalars, a row (or None) for references, a list of rows for collections.

Queries use the same values in SQL: :mod:`ftrack_local.query.compiler`
mirrors ``latest_version``, ``is_latest_version``, ``time_logged``,
``bid_time_logged_difference`` and ``is_open`` (change both together), and
refuses the others in conditions, naming the attribute.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional

import sqlalchemy as sa

from .. import families
from ..schema import Attribute, EntityType
from ..storage import SEQ, TYPE, chunks, table_for
from ..storage import now as storage_now

if TYPE_CHECKING:
    from .loader import Loader

Row = Dict[str, Any]
_COMPUTE: Dict[str, Callable] = {}

PLACEHOLDER_THUMBNAIL = "/img/thumbnail2.png"


def computes(*names: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the computation of the attributes *names*."""
    def register(function: Callable) -> Callable:
        for name in names:
            _COMPUTE[name] = function
        return function
    return register


def compute(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    """Values of the derived *attribute* for each of *rows* of *owner*."""
    function = _COMPUTE.get(attribute.relation.derived or attribute.name)
    if function is None:
        return [[] if attribute.kind in ("collection", "mapped") else None for _ in rows]
    return function(loader, owner, attribute, rows)


# -- the context hierarchy ---------------------------------------------------------

def context_chains(loader: Loader, ids: List[Any]) -> Dict[Any, List[Row]]:
    """For each context id: its rows from the root project down to itself."""
    context = loader.schema.types["Context"]
    known: Dict[Any, Row] = {}
    pending = {i for i in ids if i is not None}
    while pending:
        rows = loader.fetch(context, "id", pending)
        for row in rows:
            known[row["id"]] = row
        pending = {r.get("parent_id") for r in rows} - set(known) - {None}
    chains: Dict[Any, List[Row]] = {}
    for start in ids:
        chain: List[Row] = []
        current = known.get(start)
        seen = set()
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            chain.append(current)
            current = known.get(current.get("parent_id"))
        chains[start] = list(reversed(chain))
    return chains


def _link_entry(row: Row) -> dict:
    kind = "Project" if row[TYPE] == "Project" else "TypedContext"
    return {"id": row["id"], "name": row.get("name"), "type": kind}


@computes("link", "_link")
def _link(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    if owner.is_a("Context"):
        chains = context_chains(loader, [r["id"] for r in rows])
        return [[_link_entry(c) for c in chains[r["id"]]] for r in rows]
    if owner.name == "AssetVersion":
        asset_ids = (r.get("asset_id") for r in rows)
        assets = {a["id"]: a for a in loader.fetch(loader.schema.types["Asset"], "id", asset_ids)}
        chains = context_chains(loader, [a.get("context_id") for a in assets.values()])
        out = []
        for row in rows:
            asset = assets.get(row.get("asset_id"))
            chain = chains.get(asset.get("context_id"), []) if asset else []
            entry = {"id": row["id"], "type": "AssetVersion",
                     "name": "{0} v{1:03d}".format(asset.get("name") if asset else "", row.get("version") or 0)}
            out.append([_link_entry(c) for c in chain] + [entry])
        return out
    return [[{"id": r.get("id"), "name": r.get("name"), "type": owner.name}] for r in rows]


@computes("ancestors")
def _ancestors(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    chains = context_chains(loader, [r["id"] for r in rows])
    return [[c for c in chains[r["id"]][:-1] if c[TYPE] != "Project"] for r in rows]


@computes("descendants")
def _descendants(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    typed = loader.schema.types["TypedContext"]
    out = []
    for row in rows:
        found: List[Row] = []
        frontier = [row["id"]]
        while frontier:
            children = loader.fetch(typed, "parent_id", frontier)
            found.extend(children)
            frontier = [c["id"] for c in children]
        out.append(found)
    return out


@computes("thumbnail_url")
def _thumbnail_url(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    out = []
    for row in rows:
        component_id = row.get("thumbnail_id", row.get("component_id"))
        if component_id:
            url = loader.component_url("thumbnail", component_id)
        else:
            url = loader.server_url + PLACEHOLDER_THUMBNAIL
        out.append({"url": url, "value": url})
    return out


@computes("url")
def _url(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    out = []
    for row in rows:
        component_id = row.get("component_id")
        url = loader.component_url("get", component_id) if component_id else None
        out.append({"url": url, "value": url} if url else None)
    return out


def _timelog_totals(loader: Loader, ids: List[Any]) -> Dict[Any, float]:
    table = loader.storage.tables["timelog"]
    totals: Dict[Any, float] = defaultdict(float)
    for batch in chunks([i for i in ids if i is not None], 900):
        statement = sa.select(table.c.context_id, sa.func.sum(table.c.duration)).where(
            table.c.context_id.in_(batch)).group_by(table.c.context_id)
        for context_id, total in loader.connection.execute(statement):
            totals[context_id] = float(total or 0)
    return totals


@computes("time_logged")
def _time_logged(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    totals = _timelog_totals(loader, [r["id"] for r in rows])
    return [totals.get(r["id"], 0.0) for r in rows]


@computes("bid_time_logged_difference")
def _bid_difference(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    totals = _timelog_totals(loader, [r["id"] for r in rows])
    return [(r.get("bid") or 0.0) - totals.get(r["id"], 0.0) for r in rows]


def _latest_by_asset(loader: Loader, asset_ids: List[Any]) -> Dict[Any, Row]:
    latest: Dict[Any, Row] = {}
    for version in loader.fetch(loader.schema.types["AssetVersion"], "asset_id", asset_ids):
        current = latest.get(version["asset_id"])
        if current is None or (version.get("version") or 0) >= (current.get("version") or 0):
            latest[version["asset_id"]] = version
    return latest


@computes("latest_version")
def _latest_version(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    latest = _latest_by_asset(loader, [r["id"] for r in rows])
    return [latest.get(r["id"]) for r in rows]


@computes("is_latest_version")
def _is_latest(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    latest = _latest_by_asset(loader, [r.get("asset_id") for r in rows])
    return [latest.get(r.get("asset_id"), {}).get("id") == r["id"] for r in rows]


@computes("is_open")
def _is_open(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    now = storage_now()
    return [r.get("end_date") is None or r["end_date"] > now for r in rows]


# -- custom attributes (dense) -----------------------------------------------------------

def applicable_configurations(loader: Loader, owner: EntityType, rows: List[Row]) -> Dict[Any, List[Row]]:
    """Configurations that apply to each owner row (doc/protocol.rst, "Custom attributes")."""
    table = loader.storage.tables["custom_configuration_base"]
    legacy = families.legacy_name(owner.name)
    statement = sa.select(table).where(table.c[TYPE] == "CustomAttributeConfiguration").order_by(
        table.c.sort, table.c[SEQ])
    configurations = [dict(r) for r in loader.connection.execute(statement).mappings()]
    hierarchical_owner = owner.is_a("Context") or owner.name in ("Asset", "AssetVersion")
    projects = _projects_of(loader, owner, rows)
    out: Dict[Any, List[Row]] = {}
    for row in rows:
        project_id = projects.get(row["id"])
        chosen: Dict[str, Row] = {}
        for config in configurations:
            if config.get("project_id") not in (None, "", project_id):
                continue
            applies = config.get("entity_type") == legacy and (
                legacy != "task" or config.get("object_type_id") in (None, row.get("object_type_id")))
            if config.get("is_hierarchical") and hierarchical_owner:
                applies = True
            if not applies:
                continue
            key = config.get("key")
            # Project specific configurations win over global ones with the same key.
            if key not in chosen or (config.get("project_id") and not chosen[key].get("project_id")):
                chosen[key] = config
        out[row["id"]] = list(chosen.values())
    return out


def _projects_of(loader: Loader, owner: EntityType, rows: List[Row]) -> Dict[Any, Optional[str]]:
    """The project of each row: its own, or through its asset and context."""
    if owner.name == "Project":
        return {row["id"]: row["id"] for row in rows}
    if owner.name not in ("Asset", "AssetVersion"):
        return {row["id"]: row.get("project_id") for row in rows}
    storage = loader.storage
    context_of = {row["id"]: row.get("context_id") for row in rows}
    if owner.name == "AssetVersion":
        assets = table_for(storage, "Asset")
        asset_context = _column_map(loader, assets, assets.c.id, assets.c.context_id,
                                    {row.get("asset_id") for row in rows})
        context_of = {row["id"]: asset_context.get(row.get("asset_id")) for row in rows}
    contexts = table_for(storage, "Context")
    context_project = _column_map(loader, contexts, contexts.c.id, contexts.c.project_id,
                                  set(context_of.values()))
    out: Dict[Any, Optional[str]] = {}
    for row_id, context_id in context_of.items():
        # A context without a project id is the project itself.
        out[row_id] = context_project.get(context_id) or context_id
    return out


def _column_map(loader: Loader, table: sa.Table, key: sa.Column, value: sa.Column,
                keys: Iterable[Any]) -> Dict[Any, Any]:
    """``key -> value`` of *table* for *keys*, read in batches."""
    wanted = [item for item in keys if item is not None]
    out: Dict[Any, Any] = {}
    for batch in chunks(wanted, 900):
        for found, mapped in loader.connection.execute(sa.select(key, value).where(key.in_(batch))):
            out[found] = mapped
    return out


@computes("custom_attributes")
def _custom_attributes(loader: Loader, owner: EntityType, attribute: Attribute, rows: List[Row]) -> List[Any]:
    value_type = attribute.target
    configurations = applicable_configurations(loader, owner, rows)
    table = loader.storage.tables["custom_attribute_value"]
    stored: Dict[Any, Dict[Any, Row]] = defaultdict(dict)
    for batch in chunks([r["id"] for r in rows], 900):
        statement = sa.select(table).where(table.c.entity_id.in_(batch))
        for value in loader.connection.execute(statement).mappings():
            stored[value["entity_id"]][value["configuration_id"]] = dict(value)
    out = []
    for row in rows:
        members = []
        for config in configurations.get(row["id"], []):
            existing = stored[row["id"]].get(config["id"])
            value = existing["value"] if existing is not None else config.get("default")
            members.append({TYPE: value_type, SEQ: None, "configuration_id": config["id"],
                            "entity_id": row["id"], "key": config.get("key"), "value": value})
        out.append(members)
    return out
