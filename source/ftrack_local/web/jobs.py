"""``/jobs``: the jobs of the server (media encodings, imports, …) with their status and files."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from aiohttp import web

from ..errors import ApiError
from ..query.literals import quoted
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
        jobs = await query(request, "select id, type, status, data, created_at, finished_at, user.username, "
                                    "job_components.component_id, job_components.component.name, "
                                    "job_components.component.file_type from Job{0} "
                                    "order by created_at descending limit {1}".format(condition, SHOWN_JOBS))
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    for job in jobs:
        job.update(progress_of(job))
        job["attachments"] = attachments_of(job)
    return render(request, "jobs.html", jobs=jobs, wanted=wanted)


def attachments_of(job: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The components attached to *job* (read with its ``job_components``): name, id, file type."""
    found = []
    for link in job.get("job_components") or []:
        component = link.get("component") or {}
        found.append({"id": link.get("component_id"), "name": component.get("name") or link.get("component_id"),
                      "file_type": component.get("file_type") or ""})
    return found
