"""Project schema entity: workflows of statuses and types per object type."""

from __future__ import annotations

from typing import Any, Optional

import ftrack_api.entity.base


class ProjectSchema(ftrack_api.entity.base.Entity):
    """Class representing ProjectSchema."""

    def _get_object_schema(self, schema: str) -> ftrack_api.entity.base.Entity:
        """Return the ``Schema`` entity for entity type *schema* (e.g. ``'Shot'``).

        The object type is the default ``object_type_id`` of the entity
        type's class. Raise :exc:`ValueError` when *schema* is not an entity
        type, has no object type or has no schema in this project schema.
        """
        try:
            entity_class = self.session.types[schema]
        except KeyError:
            raise ValueError("Schema {0} does not exist.".format(schema))

        attribute = entity_class.attributes.get("object_type_id")
        object_type_id = getattr(attribute, "default_value", None)
        if not isinstance(object_type_id, str):
            raise ValueError("Schema {0} does not have statuses.".format(schema))

        object_schemas = list(self["_schemas"])
        self.session.populate(object_schemas, "object_type_id, type_id")
        for object_schema in object_schemas:
            if object_type_id in (
                object_schema["object_type_id"], object_schema["type_id"]
            ):
                return object_schema

        raise ValueError("No schema found for {0!r}.".format(schema))

    def get_statuses(self, schema: str, type_id: Optional[str] = None) -> list[Any]:
        """Return statuses for *schema* and optional *type_id*.

        *schema* is the name of an object type (e.g. ``'Shot'``), ``'Task'``
        or ``'AssetVersion'``.

        *type_id* is the id of the Type for a TypedContext and can be used to
        get statuses where the workflow has been overridden.
        """
        if schema == "AssetVersion":
            return list(self["_version_workflow"]["statuses"])

        if schema == "Task":
            if type_id is not None:
                for override in self["_overrides"]:
                    if override["type_id"] == type_id:
                        return list(override["workflow_schema"]["statuses"])
            return list(self["_task_workflow"]["statuses"])

        return self._object_schema_values(schema, "SchemaStatus", "task_status")

    def get_types(self, schema: str) -> list[Any]:
        """Return types for *schema* (object type name or ``'Task'``)."""
        if schema == "Task":
            return list(self["_task_type_schema"]["types"])

        return self._object_schema_values(schema, "SchemaType", "task_type")

    def _object_schema_values(self, schema: str, link_type: str, attribute: str) -> list[Any]:
        """Return *attribute* of each *link_type* entity of the object schema of *schema*.

        The links are ``SchemaStatus`` or ``SchemaType`` entities, which tie
        a status or a type to the schema of one object type.
        """
        object_schema = self._get_object_schema(schema)
        links = self.session.query(
            "select {0} from {1} where schema_id is {2}".format(attribute, link_type, object_schema["id"]))
        return [link[attribute] for link in links]
