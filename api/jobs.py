"""Upload jobs: an upload sent with ``async=true`` is ingested in the background and followed at
``GET /api/jobs/{id}`` (``api/documents.py``).

One worker thread ingests one upload at a time (ingestion is CPU-bound on a machine that also answers chats);
at most :data:`UPLOAD_QUEUE` uploads wait behind it, and one more is refused at once with 429 and
``Retry-After`` (:class:`api.limits.Busy`). A waiting upload's bytes are held in memory (at most
``ingest.max_file_mb`` each).

Jobs live in memory only: they are lost when the server restarts, and a client polling one then gets 404. Nothing
half-ingested remains: a document is written all-or-nothing (:mod:`ingest.store`), so a job cut short leaves no
chunk behind, and uploading the file again ingests it whole. Finished jobs are kept for the last
:data:`KEEP_FINISHED` jobs. A job is visible only to the user who created it (another user's id is 404, like
one that never existed). A failed job's ``error`` is the message the product shows users for that error (the
same as the synchronous upload's 400), or an incident id for an unexpected one; never a traceback.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from api.errors import NotFound
from api.limits import Busy
from pipelines.core.errors import USER_FACING_ERRORS

__all__ = ["KEEP_FINISHED", "UPLOAD_QUEUE", "Job", "UploadJobs"]

logger = logging.getLogger(__name__)

#: Uploads that may wait behind the one being ingested; one more is refused with 429.
UPLOAD_QUEUE = 4
#: Finished (done or failed) jobs kept for polling; the oldest go first.
KEEP_FINISHED = 256
#: Seconds a refused client is told to wait (``Retry-After``).
RETRY_AFTER_S = 30
#: Share of the whole ingestion each stage of :data:`pipelines.documents.ingestion.ProgressFn` stands for.
_STAGES = {"load": 0.05, "deidentify": 0.35, "chunk": 0.05, "embed": 0.35, "store": 0.2}

JobStatus = Literal["queued", "running", "done", "failed"]
#: The work of a job: called with a ``progress(stage, fraction)`` function, returns the job's report.
Work = Callable[[Callable[[str, float], None]], dict[str, Any]]


@dataclass
class Job:
    """One upload job.

    Attributes:
        id: Random hex id (the ``job_id``).
        user: The user who created it (None in single-user mode).
        status: queued, running, done or failed.
        stage: The ingestion stage last reported (load, deidentify, chunk, embed, store), "" before it starts.
        progress: 0..1 over the whole ingestion (1.0 when done).
        report: The ingest report when done (the synchronous upload's body), else None.
        error: What went wrong when failed (a message for users, no traceback or value), else None.
        created: When it was queued, seconds since the epoch.
    """

    id: str
    user: str | None
    status: JobStatus = "queued"
    stage: str = ""
    progress: float = 0.0
    report: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """``{job_id, status, stage, progress, report, error}`` (the ``GET /api/jobs/{id}`` body)."""
        return {
            "job_id": self.id,
            "status": self.status,
            "stage": self.stage,
            "progress": round(self.progress, 3),
            "report": self.report,
            "error": self.error,
        }


class UploadJobs:
    """The upload jobs of one server: a bounded queue, one worker thread (started with the first job)."""

    def __init__(self, waiting: int = UPLOAD_QUEUE, keep: int = KEEP_FINISHED) -> None:
        """Args:
        waiting: Jobs that may wait behind the running one.
        keep: Finished jobs kept for polling.
        """
        self.keep = keep
        self._queue: queue.Queue[tuple[Job, Work]] = queue.Queue(maxsize=waiting)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, user: str | None, work: Work) -> Job:
        """Queue ``work`` as a job of ``user``.

        Raises:
            Busy: The queue is full (429 with ``Retry-After``).
        """
        job = Job(uuid.uuid4().hex, user)
        with self._lock:
            try:
                self._queue.put_nowait((job, work))
            except queue.Full:
                raise Busy(
                    f"{self._queue.maxsize + 1} uploads are being ingested or waiting; retry later",
                    RETRY_AFTER_S,
                ) from None
            self._jobs[job.id] = job
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="upload-jobs", daemon=True)
                self._worker.start()
        return job

    def get(self, job_id: str, user: str | None) -> dict[str, Any]:
        """The state of job ``job_id`` as :meth:`Job.to_dict`, if ``user`` created it.

        Raises:
            NotFound: No such job for this user (unknown, another user's, or forgotten).
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.user != user:
                raise NotFound("no such job")
            return job.to_dict()

    def _run(self) -> None:
        while True:
            job, work = self._queue.get()
            self._update(job, status="running")
            try:
                report = work(partial(self._progress, job))
            except USER_FACING_ERRORS as error:
                self._update(job, status="failed", error=str(error))
            except Exception as error:  # the worker must live on; the log gets the type, never a traceback
                incident = uuid.uuid4().hex[:12]
                logger.error("upload job failed: incident=%s error=%s", incident, type(error).__name__)
                self._update(
                    job, status="failed", error=f"internal error (incident {incident}); see the server log"
                )
            else:
                self._update(job, status="done", progress=1.0, report=report)
            finally:
                self._queue.task_done()
            self._forget_old()

    def _progress(self, job: Job, stage: str, fraction: float) -> None:
        done = 0.0
        for name, share in _STAGES.items():
            if name == stage:
                done += share * min(max(fraction, 0.0), 1.0)
                break
            done += share
        self._update(job, stage=stage, progress=max(job.progress, min(done, 0.99)))

    def _update(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def _forget_old(self) -> None:
        with self._lock:
            finished = [job_id for job_id, job in self._jobs.items() if job.status in ("done", "failed")]
            for job_id in finished[: max(0, len(finished) - self.keep)]:
                del self._jobs[job_id]
