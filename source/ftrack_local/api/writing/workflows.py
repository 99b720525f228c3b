"""The first status and type a new typed context or version gets from its project's schemas.

A typed context takes the first type and status its project schema lists
for its object type (a schema override, or the task workflow, when the
object type has no status list of its own); a version takes the first
status of the project's version workflow (doc/protocol.rst, "Derived values").
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .related import Related
from .rows import Row, Rows


class Workflows:
    """Workflow defaults of one batch, cached per project schema and object type."""

    def __init__(self, rows: Rows, related: Related) -> None:
        self.rows = rows
        self.related = related
        self._typed_context: Dict[Tuple[Any, ...], Tuple[Any, Any]] = {}
        self._versions: Dict[Any, Any] = {}

    def _project_schema(self, project_schema_id: Any) -> Optional[Row]:
        return self.rows.find(self.rows.plans.named("ProjectSchema"), {"id": project_schema_id})

    def _first_workflow_status(self, workflow_id: Any) -> Any:
        return self.rows.first("WorkflowSchemaStatus", "status_id", {"workflow_schema_id": workflow_id})

    def typed_context_defaults(self, project_schema_id: Any, object_type_id: Any,
                               type_id: Any) -> Tuple[Any, Any]:
        """(first status id, first type id) for a typed context in a project schema."""
        cache_key = (project_schema_id, object_type_id, type_id)
        if cache_key not in self._typed_context:
            found: Tuple[Any, Any] = (None, None)
            project_schema = self._project_schema(project_schema_id)
            if project_schema is not None:
                found = self._defaults_in(project_schema, object_type_id, type_id)
            self._typed_context[cache_key] = found
        return self._typed_context[cache_key]

    def _defaults_in(self, project_schema: Row, object_type_id: Any, type_id: Any) -> Tuple[Any, Any]:
        first = self.rows.first
        project_schema_id = project_schema["id"]
        schema_id = first("Schema", "id", {"project_schema_id": project_schema_id, "type_id": object_type_id})
        if schema_id is None:
            schema_id = first("Schema", "id", {"project_schema_id": project_schema_id,
                                               "object_type_id": object_type_id})
        first_type = status_id = None
        if schema_id is not None:
            first_type = first("SchemaType", "type_id", {"schema_id": schema_id}, ("sort",))
        if first_type is None and project_schema.get("task_type_schema_id"):
            first_type = first("TaskTypeSchemaType", "type_id",
                               {"task_type_schema_id": project_schema["task_type_schema_id"]})
        if schema_id is not None:
            status_id = first("SchemaStatus", "status_id", {"schema_id": schema_id}, ("sort",))
        if status_id is None:
            status_id = self._task_workflow_status(project_schema, type_id if type_id is not None else first_type)
        return status_id, first_type

    def _task_workflow_status(self, project_schema: Row, type_id: Any) -> Any:
        """The first status of the workflow for tasks of *type_id* (an override, else the schema's)."""
        workflow_id = None
        if type_id is not None:
            workflow_id = self.rows.first("ProjectSchemaOverride", "workflow_schema_id",
                                          {"project_schema_id": project_schema["id"], "type_id": type_id})
        workflow_id = workflow_id or project_schema.get("task_workflow_schema_id")
        return self._first_workflow_status(workflow_id) if workflow_id else None

    def version_status(self, project_id: Any) -> Any:
        """The first status of the version workflow of project *project_id* (None without one)."""
        if project_id not in self._versions:
            status_id = None
            project = self.related.project(project_id)
            if project is not None and project.get("project_schema_id"):
                schema_row = self._project_schema(project["project_schema_id"])
                workflow_id = schema_row.get("asset_version_workflow_schema_id") if schema_row else None
                if workflow_id:
                    status_id = self._first_workflow_status(workflow_id)
            self._versions[project_id] = status_id
        return self._versions[project_id]
