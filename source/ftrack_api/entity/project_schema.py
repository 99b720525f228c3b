"""Project schema entity: workflows of statuses and types per object type."""

import ftrack_api.entity.base


class ProjectSchema(ftrack_api.entity.base.Entity):
    """Class representing ProjectSchema."""

    def _get_object_schema(self, schema):
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

    def get_statuses(self, schema, type_id=None):
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

        object_schema = self._get_object_schema(schema)
        result = self.session.query(
            "select task_status from SchemaStatus where schema_id is {0}".format(
                object_schema["id"]
            )
        )
        return [schema_status["task_status"] for schema_status in result]

    def get_types(self, schema):
        """Return types for *schema* (object type name or ``'Task'``)."""
        if schema == "Task":
            return list(self["_task_type_schema"]["types"])

        object_schema = self._get_object_schema(schema)
        result = self.session.query(
            "select task_type from SchemaType where schema_id is {0}".format(
                object_schema["id"]
            )
        )
        return [schema_type["task_type"] for schema_type in result]
