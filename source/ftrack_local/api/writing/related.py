"""Related rows the writer reads while it writes, cached for the batch."""

from __future__ import annotations

from typing import Any, Dict, Optional

import sqlalchemy as sa

from ...errors import NotFoundError
from ...schema import EntityType
from ...storage import TYPE
from .rows import Row, Rows


class Related:
    """Cached lookups of contexts, object types and custom attribute configurations."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.storage = rows.storage
        self.schema = rows.schema
        self._contexts: Dict[Any, Row] = {}
        self._object_types: Dict[Any, Optional[Row]] = {}
        self._configurations: Dict[Any, Row] = {}

    def _by_id(self, type_name: str, identifier: Any) -> Optional[Row]:
        table = self.storage.tables[self.schema.types[type_name].table]
        found = self.rows.connection.execute(sa.select(table).where(table.c.id == identifier)).mappings().first()
        return dict(found) if found is not None else None

    # -- contexts --------------------------------------------------------------

    def context(self, context_id: Any) -> Optional[Row]:
        """The context row *context_id* (any context type), or None."""
        if context_id is None:
            return None
        row = self._contexts.get(context_id)
        if row is None:
            row = self._by_id("Context", context_id)
            if row is None:
                return None
            self._contexts[context_id] = row
        return row

    def project_of_context(self, context_id: Any) -> Optional[Any]:
        """The project id of the context *context_id* (its own id for a project)."""
        context = self.context(context_id)
        if context is None:
            return None
        if context[TYPE] == "Project":
            return context["id"]
        return context.get("project_id")

    def project(self, project_id: Any) -> Optional[Row]:
        """The project row *project_id*, or None."""
        context = self.context(project_id)
        return context if context is not None and context[TYPE] == "Project" else None

    def remember(self, row_type: EntityType, row: Row) -> None:
        """Cache a context the batch has just written."""
        if row_type.is_a("Context"):
            self._contexts[row["id"]] = dict(row)

    def forget_context(self, context_id: Any) -> None:
        """Drop one cached context (it has changed)."""
        self._contexts.pop(context_id, None)

    def forget_contexts(self) -> None:
        """Drop every cached context (many may have changed)."""
        self._contexts.clear()

    # -- configuration ---------------------------------------------------------

    def object_type(self, object_type_id: Any) -> Optional[Row]:
        """The object type row *object_type_id*, or None."""
        if object_type_id not in self._object_types:
            self._object_types[object_type_id] = self._by_id("ObjectType", object_type_id)
        return self._object_types[object_type_id]

    def configuration(self, configuration_id: Any) -> Row:
        """The custom attribute configuration *configuration_id*, with its type's name as ``_type_name``."""
        configuration = self._configurations.get(configuration_id)
        if configuration is None:
            configuration = self._by_id("CustomConfigurationBase", configuration_id)
            if configuration is None:
                raise NotFoundError('Custom attribute configuration "{0}" does not exist.'.format(configuration_id))
            type_table = self.storage.tables[self.schema.types["CustomAttributeType"].table]
            configuration["_type_name"] = self.rows.connection.execute(
                sa.select(type_table.c.name).where(type_table.c.id == configuration.get("type_id"))).scalar()
            self._configurations[configuration_id] = configuration
        return configuration
