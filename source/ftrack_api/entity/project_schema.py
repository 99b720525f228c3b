"""Project schema entity: workflows of statuses and types per object type."""

import ftrack_api.entity.base


class ProjectSchema(ftrack_api.entity.base.Entity):
    """Class representing ProjectSchema."""

    def _get_object_schema(self, schema):
        """Return the ``Schema`` entity for the object type named *schema*."""
        object_type_ids = set(
            object_type["id"]
            for object_type in self.session.query(
                'select id from ObjectType where name is "{0}"'.format(schema)
            )
        )

        object_schemas = list(self["_schemas"])
        self.session.populate(object_schemas, "object_type_id")
        for object_schema in object_schemas:
            if object_schema["object_type_id"] in object_type_ids:
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
