"""The upload job queue (``api/jobs.py``) on its own, with work functions that wait for the test to let them go,
so that a full queue is seen deterministically: one job at a time, a bounded queue (then :class:`Busy`, the 429),
progress over the ingestion stages, failures as messages, jobs only for their user, old jobs forgotten."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from api.errors import NotFound
from api.jobs import UploadJobs
from api.limits import Busy
from pipelines.core.errors import DocumentError


def _wait_for(
    jobs: UploadJobs, job_id: str, user: str | None, status: str, stage: str | None = None
) -> dict[str, Any]:
    """The job's state once it has ``status`` (and ``stage``: a job is running before it reports a stage)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = jobs.get(job_id, user)
        if state["status"] == status and stage in (None, state["stage"]):
            return state
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} never became {status}: {jobs.get(job_id, user)}")


def _held(gate: threading.Event) -> Callable[..., dict[str, Any]]:
    def work(progress: Callable[[str, float], None]) -> dict[str, Any]:
        progress("deidentify", 0.5)
        gate.wait(10)
        progress("store", 1.0)
        return {"ok": True}

    return work


def test_one_job_runs_the_queue_is_bounded_and_then_busy() -> None:
    jobs, gate = UploadJobs(waiting=2), threading.Event()
    first = jobs.submit("alice", _held(gate))
    running = _wait_for(jobs, first.id, "alice", "running", stage="deidentify")
    assert running["progress"] == pytest.approx(0.05 + 0.35 / 2)
    waiting = [jobs.submit("alice", _held(gate)) for _ in range(2)]
    assert [jobs.get(job.id, "alice")["status"] for job in waiting] == ["queued", "queued"]
    with pytest.raises(Busy, match="3 uploads are being ingested or waiting") as refused:
        jobs.submit("bob", _held(gate))
    assert refused.value.retry_after > 0
    gate.set()
    for job in (first, *waiting):
        done = _wait_for(jobs, job.id, "alice", "done")
        assert done == {
            "job_id": job.id,
            "status": "done",
            "stage": "store",
            "progress": 1.0,
            "report": {"ok": True},
            "error": None,
        }


def test_a_job_is_found_only_by_its_user() -> None:
    jobs, gate = UploadJobs(), threading.Event()
    gate.set()
    job = jobs.submit("alice", _held(gate))
    _wait_for(jobs, job.id, "alice", "done")
    for user in ("bob", None):
        with pytest.raises(NotFound, match="no such job"):
            jobs.get(job.id, user)


def test_failures_give_the_users_message_or_an_incident_never_the_exception_text() -> None:
    def refused(progress: Callable[[str, float], None]) -> dict[str, Any]:
        raise DocumentError("broken.pdf: not a readable PDF")

    def crashed(progress: Callable[[str, float], None]) -> dict[str, Any]:
        raise RuntimeError("secret value Zelda Quartermaine")

    jobs = UploadJobs()
    clear = _wait_for(jobs, jobs.submit(None, refused).id, None, "failed")
    assert clear["error"] == "broken.pdf: not a readable PDF" and clear["report"] is None
    internal = _wait_for(jobs, jobs.submit(None, crashed).id, None, "failed")
    assert internal["error"].startswith("internal error (incident ") and "Zelda" not in internal["error"]


def test_only_the_latest_finished_jobs_are_kept() -> None:
    jobs, gate = UploadJobs(keep=2), threading.Event()
    gate.set()
    ids = []
    for _ in range(4):
        ids.append(jobs.submit("alice", _held(gate)).id)
        _wait_for(jobs, ids[-1], "alice", "done")
    for forgotten in ids[:2]:
        with pytest.raises(NotFound):
            jobs.get(forgotten, "alice")
    assert [jobs.get(job_id, "alice")["status"] for job_id in ids[2:]] == ["done", "done"]
