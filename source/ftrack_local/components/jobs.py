"""Rules for ``Job`` rows, applied by the writer on create and update.

* ``type``: ``api_job`` for jobs made through the API; the server's own jobs
  use the other :data:`JOB_TYPES`;
* ``status``: one of :data:`STATUSES` (``queued`` → ``running`` → ``done``,
  ``failed`` or ``killed``);
* ``data``: null or a JSON text;
* ``finished_at``: set when the status becomes final unless given, cleared
  when a job is queued or running again.
"""

from __future__ import annotations

import json
from typing import Any, Dict

from ..errors import ValidationError
from ..storage import now

API_JOB = "api_job"
ENCODE_MEDIA_JOB = "encode_media"
SYNC_USERS_LDAP_JOB = "sync_users_ldap"
JOB_TYPES = (API_JOB, ENCODE_MEDIA_JOB, SYNC_USERS_LDAP_JOB)

QUEUED, RUNNING, DONE, FAILED, KILLED = "queued", "running", "done", "failed", "killed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED, KILLED)
FINAL_STATUSES = (DONE, FAILED, KILLED)


def check_new_job(values: Dict[str, Any]) -> None:
    """Validate and complete the values of a new Job row (in place)."""
    job_type = values.get("type")
    if job_type not in JOB_TYPES:
        raise ValidationError('Job type "{0}" is not supported: jobs created through the API have '
                              'type "{1}".'.format(job_type, API_JOB))
    _check_status(values.get("status"))
    _check_data(values.get("data"))
    if values.get("status") in FINAL_STATUSES and values.get("finished_at") is None:
        values["finished_at"] = now()


def check_job_changes(row: Dict[str, Any], changes: Dict[str, Any]) -> None:
    """Validate the *changes* of an existing Job row and complete them (in place)."""
    if "status" in changes:
        status = changes["status"]
        _check_status(status)
        if "finished_at" not in changes:
            if status in FINAL_STATUSES and row.get("status") not in FINAL_STATUSES:
                changes["finished_at"] = now()
            elif status not in FINAL_STATUSES and row.get("finished_at") is not None:
                changes["finished_at"] = None
    if "data" in changes:
        _check_data(changes["data"])


def _check_status(status: Any) -> None:
    if status not in STATUSES:
        raise ValidationError('Job status "{0}" is not valid: use one of {1}.'.format(
            status, ", ".join(STATUSES)))


def _check_data(data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, str):
        raise ValidationError("Job data must be a JSON text (serialise it with json.dumps).")
    try:
        json.loads(data)
    except ValueError as error:
        raise ValidationError("Job data is not valid JSON: {0}".format(error))
