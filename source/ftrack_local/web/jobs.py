"""``/jobs``: the jobs of the server (media encodings, imports, …) with their status and files."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from aiohttp import web

from ..errors import ApiError
from ..query.literals import quoted, where_in
from .pages import query, render, signed_in_page

#: Jobs listed, newest first.
SHOWN_JOBS = 200


def progress_of(job: Dict[str, Any]) -> Dict[str, Any]:
    """What a job's ``data`` says of its progress: a description and a percentage, when given."""
    data = job.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {"description": data, "error": "", "progress": None}
    if not isinstance(data, dict):
        return {"description": "", "error": "", "progress": None}
    progress = data.get("progress")
    return {"description": str(data.get("description") or data.get("message") or ""),
            "error": str(data.get("error") or ""),
            "progress": progress if isinstance(progress, (int, float)) else None}


@signed_in_page
async def handle_jobs(request: web.Request) -> web.Response:
    """``GET /jobs[?status=failed]``: the newest jobs, with their attachments."""
    wanted = request.query.get("status", "").strip()
    condition = " where status is {0}".format(quoted(wanted)) if wanted else ""
    try:
        jobs = await query(request, "select id, type, status, data, created_at, finished_at, user.username "
                                    "from Job{0} order by created_at descending limit {1}".format(
                                        condition, SHOWN_JOBS))
        attachments = await _attachments(request, [job["id"] for job in jobs])
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    for job in jobs:
        job.update(progress_of(job))
        job["attachments"] = attachments.get(job["id"], [])
    return render(request, "jobs.html", jobs=jobs, wanted=wanted)


async def _attachments(request: web.Request, job_ids: List[Any]) -> Dict[Any, List[Dict[str, Any]]]:
    """Job id -> the components attached to it (name, id, file type)."""
    found: Dict[Any, List[Dict[str, Any]]] = {}
    if not job_ids:
        return found
    rows = await query(request, "select job_id, component_id, component.name, component.file_type from "
                                "JobComponent where {0}".format(where_in("job_id", job_ids)))
    for row in rows:
        component = row.get("component") or {}
        found.setdefault(row.get("job_id"), []).append({
            "id": row.get("component_id"), "name": component.get("name") or row.get("component_id"),
            "file_type": component.get("file_type") or ""})
    return found
