"""``encode_media``: server jobs turning a stored component into review media.

The action (:func:`start_encoding`) runs inside the request: it checks its
input, writes a queued ``Job`` whose ``data`` already holds the output plan
(doc/protocol.rst, "Media encoding jobs") and, once the request has committed, hands the work to the
:class:`MediaEncoder`. The encoder runs ffmpeg in a background thread and
changes the job through ordinary API batches (``Backend.call``), so every
step is a committed request that publishes ``ftrack.update`` like any other:
``queued`` → ``running`` → ``done`` (or ``failed`` with ``data.error``).

The job owns one ``FileComponent`` per output from the moment it is queued
(attached through ``JobComponent`` rows, registered in ``ftrack.server``
and, with a version, belonging to it), so a client can fetch the outputs
the job's data names, and their URLs, right away. When the job is done
they hold their data, the image is the version's thumbnail and, without
``keep_original``, the source component and its data are deleted; a
failed job deletes its outputs.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .. import seed
from ..errors import ApiError, NotFoundError, ValidationError
from ..storage import TYPE
from . import ffmpeg, jobs
from .leases import JobLeases
from .store import BlobStore, StoreError

if TYPE_CHECKING:
    from ..api.backend import Backend

log = logging.getLogger(__name__)

VIDEO_FORMAT = "video/mp4"
IMAGE_FORMAT = "image/jpeg"
#: Output format -> (component name, file type).
OUTPUT_COMPONENTS = {
    VIDEO_FORMAT: ("ftrackreview-mp4", ".mp4"),
    IMAGE_FORMAT: ("ftrackreview-image", ".jpg"),
}
#: File types encoded as a single image (anything else is treated as video).
IMAGE_FILE_TYPES = frozenset((
    ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".exr", ".bmp", ".gif", ".dpx", ".tga",
    ".webp", ".psd", ".hdr", ".jp2", ".sgi", ".ppm"))


def output_formats(file_type: Optional[str]) -> List[str]:
    """The formats produced for a source of *file_type* (an image is always among them)."""
    extension = (file_type or "").strip().lower()
    if extension and not extension.startswith("."):
        extension = "." + extension
    if extension in IMAGE_FILE_TYPES:
        return [IMAGE_FORMAT]
    return [VIDEO_FORMAT, IMAGE_FORMAT]


@dataclass
class EncodeTask:
    """One accepted encoding: what the background run needs."""

    job_id: str
    username: str
    source_component_id: str
    version_id: Optional[str]
    keep_original: bool
    plan: Dict[str, Any]


def start_encoding(request: Any, operation: dict, store: BlobStore,
                   encoder: "MediaEncoder") -> Dict[str, str]:
    """Validate an ``encode_media`` operation and queue its job; return ``{"job_id"}``."""
    component_id, version_id, keep_original = _encoding_arguments(operation)
    source = _encodable_source(request, store, component_id, version_id)
    plan = {
        "source_component_id": component_id,
        "keep_original": keep_original,
        "output": [{"format": name, "component_id": _new_id()}
                   for name in output_formats(source.get("file_type"))],
    }
    _, job = request.writer.create("Job", {
        "__entity_type__": "Job", "type": jobs.ENCODE_MEDIA_JOB, "status": jobs.QUEUED,
        "user_id": request.user_id, "data": json.dumps(plan)})
    _create_outputs(request, plan["output"], job["id"], version_id)
    # Held from the start: a server process starting meanwhile must not take
    # the queued job for one left behind by a stopped process.
    encoder.leases.hold(job["id"])
    task = EncodeTask(job_id=job["id"], username=request.username,
                      source_component_id=component_id, version_id=version_id,
                      keep_original=keep_original, plan=plan)
    request.after_commit.append(lambda: encoder.submit(task))
    return {"job_id": job["id"]}


def _encoding_arguments(operation: dict) -> Tuple[str, Optional[str], bool]:
    """The component id, version id and ``keep_original`` of an ``encode_media`` operation."""
    component_id = operation.get("component_id")
    if not isinstance(component_id, str) or not component_id:
        raise ValidationError('Operation "encode_media" needs "component_id", the id of a '
                              'FileComponent in the ftrack.server location.')
    version_id = operation.get("version_id")
    if version_id is not None and not isinstance(version_id, str):
        raise ValidationError('"version_id" of "encode_media" must be an AssetVersion id or null.')
    keep_original = operation.get("keep_original", True)
    if not isinstance(keep_original, bool):
        raise ValidationError('"keep_original" of "encode_media" must be true or false.')
    return component_id, version_id, keep_original


def _encodable_source(request: Any, store: BlobStore, component_id: str,
                      version_id: Optional[str]) -> Dict[str, Any]:
    """The stored FileComponent to encode; raises unless it and the version exist."""
    schema = request.storage.schema
    components = request.loader.fetch(schema.types["Component"], "id", [component_id])
    if not components:
        raise NotFoundError('Component "{0}" does not exist.'.format(component_id))
    source = components[0]
    if source.get(TYPE) not in (None, "FileComponent"):
        raise ValidationError('Component "{0}" is a {1}: only a FileComponent can be '
                              'encoded.'.format(component_id, source.get(TYPE)))
    if not store.exists(component_id):
        raise ValidationError('Component "{0}" has no data in the ftrack.server location: '
                              'upload it there before encoding.'.format(component_id))
    if version_id is not None and not request.loader.fetch(
            schema.types["AssetVersion"], "id", [version_id]):
        raise NotFoundError('AssetVersion "{0}" does not exist.'.format(version_id))
    return source


def _create_outputs(request: Any, output: List[Dict[str, str]], job_id: str,
                    version_id: Optional[str]) -> None:
    """Create the output components of job *job_id*, in ftrack.server and on the version.

    The outputs exist from the start, attached to the job (and the version)
    and registered in ftrack.server: a client may fetch them, and their
    URLs, as soon as it has the job. Their data and size come when the
    encoding has finished.
    """
    for entry in output:
        name, file_type = OUTPUT_COMPONENTS[entry["format"]]
        component = {"__entity_type__": "FileComponent", "id": entry["component_id"],
                     "name": name, "file_type": file_type, "system_type": "file"}
        if version_id is not None:
            component["version_id"] = version_id
        request.writer.create("FileComponent", component)
        request.writer.create("ComponentLocation", {
            "__entity_type__": "ComponentLocation", "component_id": entry["component_id"],
            "location_id": seed.SERVER_LOCATION_ID, "resource_identifier": entry["component_id"]})
        request.writer.create("JobComponent", {"__entity_type__": "JobComponent",
                                               "job_id": job_id,
                                               "component_id": entry["component_id"]})


def _new_id() -> str:
    return str(uuid.uuid4())


class MediaEncoder:
    """Runs encoding jobs one at a time in a background thread."""

    def __init__(self, backend: Backend, store: BlobStore, max_workers: int = 1) -> None:
        self.backend = backend
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=max_workers,
                                            thread_name_prefix="ftrack-local-media")
        self._lock = threading.Lock()
        self._closed = False
        #: Which jobs a live process runs; renewing them also sweeps up the
        #: jobs of processes that are gone.
        self.leases = JobLeases(os.path.join(store.root, "job-leases"),
                                on_renew=self._sweep)

    def submit(self, task: EncodeTask) -> None:
        """Queue *task* (after its job has been committed)."""
        with self._lock:
            if self._closed:
                log.warning("Media encoder stopped: job %s stays queued", task.job_id)
                self.leases.release(task.job_id)
                return
            self._executor.submit(self._run_logged, task)

    def close(self) -> None:
        """Let the running job finish, drop queued ones and stop the thread."""
        with self._lock:
            self._closed = True
        self.leases.close()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def fail_interrupted(self) -> int:
        """Mark encoding jobs that no live server process holds as failed.

        Called when the server starts and then regularly (see
        :mod:`.leases`): jobs left queued or running by a stopped process
        fail, those another running process works on are left alone.
        Returns how many operations were applied.
        """
        self.leases.start()
        username = getattr(self.backend, "api_user", None) or "admin"
        [found] = self.backend.call([{"action": "query", "expression": (
            'select id, data from Job where type is "{0}" and status in ("{1}", "{2}")'.format(
                jobs.ENCODE_MEDIA_JOB, jobs.QUEUED, jobs.RUNNING))}], username)
        operations = []
        for job in found["data"]:
            if self.leases.is_held(job["id"]):
                continue
            try:
                data = json.loads(job.get("data") or "{}")
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            output = data.get("output")
            operations.extend(self._discarded_outputs(
                output if isinstance(output, list) else [], username))
            data.update(description="Encoding failed",
                        error="The server stopped before the job finished.")
            operations.append(_update("Job", job["id"], {"status": jobs.FAILED,
                                                         "data": json.dumps(data)}))
        if operations:
            self.backend.call(operations, username)
        return len(operations)

    def _discarded_outputs(self, output: List[Any], username: str) -> List[Dict[str, Any]]:
        """Operations deleting the output components of a failed job that still exist."""
        ids = [o.get("component_id") for o in output
               if isinstance(o, dict) and isinstance(o.get("component_id"), str)]
        if not ids:
            return []
        [found] = self.backend.call([{"action": "query", "expression": (
            "select id from FileComponent where id in ({0})".format(
                ", ".join('"{0}"'.format(i.replace('"', "")) for i in ids)))}], username)
        return [{"action": "delete", "entity_type": "FileComponent", "entity_key": [c["id"]]}
                for c in found["data"]]

    def _run_logged(self, task: EncodeTask) -> None:
        try:
            self.run(task)
        except Exception:  # noqa: BLE001 - one job must not stop the encoder
            log.exception("Encoding job %s failed unexpectedly", task.job_id)
        finally:
            self.leases.release(task.job_id)

    # -- one job -----------------------------------------------------------------

    def run(self, task: EncodeTask) -> None:
        """Encode *task*'s source and record the outcome on its job."""
        try:
            self._set_job(task, jobs.RUNNING, dict(task.plan, description="Encoding media"))
        except NotFoundError:
            log.info("Encoding job %s vanished before it started", task.job_id)
            return
        produced: List[str] = []
        try:
            outputs = self._encode(task, produced)
            self._publish(task, outputs)
        except (ffmpeg.FfmpegError, ApiError, StoreError, OSError) as error:
            for component_id in produced:
                self.store.remove(component_id)
            message = getattr(error, "content", None) or str(error)
            log.warning("Encoding job %s failed: %s", task.job_id, message)
            try:
                self.backend.call(self._discarded_outputs(task.plan["output"], task.username) + [
                    _update("Job", task.job_id, {"status": jobs.FAILED, "data": json.dumps(dict(
                        task.plan, description="Encoding failed", error=message))})],
                    task.username)
            except NotFoundError:
                log.info("Encoding job %s was deleted while it ran", task.job_id)
            return
        if not task.keep_original:
            self.store.remove(task.source_component_id)

    def _set_job(self, task: EncodeTask, status: str, data: Dict[str, Any]) -> None:
        self.backend.call([_update("Job", task.job_id, {
            "status": status, "data": json.dumps(data)})], task.username)

    def _encode(self, task: EncodeTask, produced: List[str]) -> List[Dict[str, Any]]:
        """Run ffmpeg for every planned output; return their descriptions."""
        source = self.store.existing_path(task.source_component_id)
        executable = ffmpeg.require_ffmpeg()
        info = ffmpeg.probe(executable, source)
        outputs = []
        for output in task.plan["output"]:
            name, file_type = OUTPUT_COMPONENTS[output["format"]]
            temporary = os.path.join(self.store.incoming_dir,
                                     secrets.token_hex(16) + file_type)
            try:
                if output["format"] == VIDEO_FORMAT:
                    ffmpeg.encode_mp4(executable, source, temporary)
                    encoded = ffmpeg.probe(executable, temporary)
                    frames = encoded.frame_count or info.frame_count or 1
                    meta = {"frameIn": 0, "frameOut": frames - 1,
                            "frameRate": encoded.frame_rate or info.frame_rate}
                else:
                    ffmpeg.scale_image(executable, source, temporary)
                    meta = {"format": "image"}
                size = os.path.getsize(temporary)
                self.store.adopt(output["component_id"], temporary)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
            produced.append(output["component_id"])
            outputs.append({"component_id": output["component_id"], "name": name,
                            "file_type": file_type, "size": size, "meta": meta})
        return outputs

    def _publish(self, task: EncodeTask, outputs: List[Dict[str, Any]]) -> None:
        """Complete the output components and finish the job, in one batch."""
        operations: List[Dict[str, Any]] = []
        for output in outputs:
            operations += [
                _update("FileComponent", output["component_id"], {"size": output["size"]}),
                _create("Metadata", {
                    "parent_id": output["component_id"], "parent_type": "FileComponent",
                    "key": "ftr_meta", "value": json.dumps(output["meta"])}),
            ]
        image = next((o for o in outputs if o["name"] == OUTPUT_COMPONENTS[IMAGE_FORMAT][0]), None)
        if task.version_id is not None and image is not None:
            operations.append(_update("AssetVersion", task.version_id,
                                      {"thumbnail_id": image["component_id"]}))
        if not task.keep_original:
            operations.append({"action": "delete", "entity_type": "FileComponent",
                               "entity_key": [task.source_component_id]})
        operations.append(_update("Job", task.job_id, {
            "status": jobs.DONE, "data": json.dumps(dict(task.plan, description="Media encoded"))}))
        self.backend.call(operations, task.username)


    def _sweep(self) -> None:
        if not self._closed:
            self.fail_interrupted()


def _create(entity_type: str, data: Dict[str, Any]) -> Dict[str, Any]:
    operation: Dict[str, Any] = {"action": "create", "entity_type": entity_type,
                                 "entity_data": dict(data, __entity_type__=entity_type)}
    if "id" in data:
        operation["entity_key"] = [data["id"]]
    return operation


def _update(entity_type: str, entity_id: str, data: Dict[str, Any]) -> Dict[str, Any]:
    return {"action": "update", "entity_type": entity_type, "entity_key": [entity_id],
            "entity_data": dict(data, __entity_type__=entity_type)}
