"""Background jobs for work that takes more than a second (an assessment, a virtual trial).

A job runs in a worker thread; pages poll ``GET /api/jobs/{id}`` for its state and progress.
Jobs live in memory only (the last :data:`KEEP` of them): their results are shown once and can be
saved to the database from the result page.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from hpgsim.errors import InputError

__all__ = ["Job", "JobRunner", "KEEP"]

KEEP = 64


@dataclass
class Job:
    """One background job: kind, state, progress 0-1 (None: unknown), a message, the result or the error."""

    id: str
    kind: str
    state: str = "queued"  # queued, running, done, failed
    progress: float | None = None
    message: str = "queued"
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: Any = None
    error: str | None = None
    error_field: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def status(self) -> dict[str, Any]:
        end = self.finished if self.finished is not None else time.time()
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": self.progress,
                "message": self.message, "elapsed_s": round(end - self.started, 2), "error": self.error,
                "field": self.error_field, "result_url": self.extra.get("result_url")}


class JobRunner:
    """A small thread pool (one worker by default: the machine's cores go to the numerical engine)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, fn: Callable[[Job], Any], **extra: Any) -> Job:
        """Run ``fn(job)`` in the background; ``fn`` may update ``job.progress``/``job.message``."""
        job = Job(id=uuid.uuid4().hex, kind=kind, extra=dict(extra))
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
            if self._pool is None:  # started on first use, and again after a shutdown (an app restarted in-process)
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="hpgsim-job")
            pool = self._pool
        pool.submit(self._run, job, fn)
        return job

    @staticmethod
    def _run(job: Job, fn: Callable[[Job], Any]) -> None:
        job.state, job.message, job.started = "running", "running", time.time()
        try:
            job.result = fn(job)
            job.state, job.progress, job.message = "done", 1.0, "done"
        except InputError as e:
            job.state, job.error, job.error_field, job.message = "failed", str(e), e.field, "bad input"
        except Exception as e:  # noqa: BLE001 - reported to the page, logged here
            job.state, job.error, job.message = "failed", f"{type(e).__name__}: {e}", "failed"
            traceback.print_exc()
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        """Stop the workers (queued jobs are cancelled, a running one finishes in the background)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
