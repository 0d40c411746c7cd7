"""Virtual trials on Dask distributed: the same trial, by chunks of men, on any Dask cluster.

The design keeps the results independent of where they were computed:

1. the cohort is drawn (and matched to the published baseline) once, in the client, so the same
   seed gives the same men whatever the cluster;
2. the men are split into consecutive chunks; each chunk of each arm is one task running the pure
   function :func:`simulate_chunk` (the men travel as plain tuples, the arm as an
   :class:`~hpgsim.trials.runner.ArmJob`);
3. the chunks' results are concatenated in order (:func:`~hpgsim.trials.runner.concat_results`),
   and every endpoint is computed in the client on the whole cohort.

The compiled engine simulates each man independently of the others, so the arrays are
bit-identical to the in-process run (``tests/test_distributed.py`` checks it with
``assert_array_equal`` on a two-process ``LocalCluster``), provided the workers run the same
hpgsim on the same kind of CPU.

``hpgsim trial``, ``hpgsim validate`` and ``hpgsim sensitivity`` take ``--workers N`` (a
``LocalCluster`` of N single-threaded worker processes on this machine) or ``--scheduler ADDRESS``
(a running cluster, e.g. ``tcp://10.0.0.5:8786``), and ``--chunk M`` (men per task). Each worker
compiles the engine the first time it runs (or loads it from the cache under ``~/.cache/hpgsim``).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hpgsim.errors import InputError
from hpgsim.patient import Patient
from hpgsim.simulate import CohortResult
from hpgsim.trials.runner import ArmDone, ArmJob, MenDone, Pending, chunks, concat_results, simulate_job

__all__ = ["MIN_CHUNK", "DEFAULT_LOOKAHEAD", "pack", "unpack", "simulate_chunk", "DaskSimulator", "dask_simulator",
           "simulator"]

MIN_CHUNK = 250
"""Default lower limit of men per task. Design choice from measurement: a simulate_cohort call has a
fixed cost (the drug track, the step plan and the shared run-in) that small chunks repeat; on the
validation library it matches the cost of a few hundred men (GNRH_PUMP_POORRESP's arm: 1 man 2.9 s,
60 men 4.2 s; KLOTZ2008_CS21_LEUP's: 1 man 0.11 s, 60 men 0.18 s). Below it, parallelism comes
from arms and trials rather than from splitting a cohort."""
DEFAULT_LOOKAHEAD = 8
"""Trials whose arms may be in flight on the cluster while the client builds the next cohorts
(design choice: enough to keep a few workers busy while matching runs, bounded memory)."""

PackedMan = tuple[str, float, float, dict[str, float], tuple[tuple[str, float, float], ...]]


def pack(men: Sequence[Patient]) -> list[PackedMan]:
    """Men as plain tuples (name, age, BMI, overrides, history): small, picklable by plain pickle."""
    return [(m.name, float(m.age), float(m.bmi), dict(m.overrides), tuple(tuple(h) for h in m.history)) for m in men]


def unpack(packed: Sequence[PackedMan]) -> list[Patient]:
    """The men of :func:`pack` again (validated as any patient is)."""
    return [Patient(name=name, age=age, bmi=bmi, overrides=over, history=tuple(tuple(h) for h in history))
            for name, age, bmi, over, history in packed]


def simulate_chunk(packed: Sequence[PackedMan], job: ArmJob) -> CohortResult:
    """One task: a chunk of men (packed) through one arm. Pure: the same inputs give the same arrays."""
    return simulate_job(unpack(packed), job)


class _DaskPending:
    """The futures of one trial: per job, one future per chunk of men, in order."""

    def __init__(self, futures: list[list[Any]], sizes: list[int]):
        self.futures, self.sizes = futures, sizes

    def done(self) -> bool:
        return all(f.done() for fs in self.futures for f in fs)

    def result(self, on_arm: ArmDone | None = None, on_men: MenDone | None = None) -> list[CohortResult]:
        out = []
        for i, fs in enumerate(self.futures):
            parts = []
            for f, size in zip(fs, self.sizes):
                parts.append(f.result())
                if on_men is not None:
                    on_men(size)
            out.append(concat_results(parts))
            for f in fs:
                f.release()
            if on_arm is not None:
                on_arm(i)
        self.futures = []
        return out


@dataclass
class DaskSimulator:
    """A :class:`~hpgsim.trials.runner.Simulator` that runs chunks of men on a Dask cluster.

    ``chunk``: men per task (default: the cohort split in two tasks per worker thread, but never
    fewer than :data:`MIN_CHUNK` men per task). ``lookahead``: trials in flight while the client
    prepares the next (see :func:`hpgsim.trials.runner.run_trials`).
    """

    client: Any  # distributed.Client
    chunk: int | None = None
    lookahead: int = DEFAULT_LOOKAHEAD
    _threads: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.chunk is not None and self.chunk < 1:
            raise InputError("--chunk", f"{self.chunk} is not allowed; allowed: a whole number of men >= 1")

    @property
    def threads(self) -> int:
        """Worker threads of the cluster (at least 1)."""
        if not self._threads:
            self._threads = max(1, sum(self.client.nthreads().values()))
        return self._threads

    def chunk_size(self, n: int) -> int:
        """Men per task for a cohort of ``n``."""
        if self.chunk is not None:
            return self.chunk
        return max(MIN_CHUNK, math.ceil(n / (2 * self.threads)))

    def submit(self, men: Sequence[Patient], jobs: Sequence[ArmJob]) -> Pending:
        bounds = chunks(len(men), self.chunk_size(len(men)))
        parts = self.client.scatter([pack(men[lo:hi]) for lo, hi in bounds])
        futures = [[self.client.submit(simulate_chunk, part, job, pure=False) for part in parts] for job in jobs]
        return _DaskPending(futures, [hi - lo for lo, hi in bounds])


@contextmanager
def dask_simulator(*, scheduler: str | None = None, workers: int | None = None,
                   chunk: int | None = None) -> Iterator[DaskSimulator]:
    """A Dask simulator on the cluster at ``scheduler``, or on a new ``LocalCluster`` of ``workers``
    single-threaded processes (each given an equal share of the machine's cores for the engine's
    own threads); the client (and the local cluster) is closed at the end of the block."""
    if scheduler is not None and workers is not None:
        raise InputError("--workers", "give either --scheduler or --workers, not both")
    if scheduler is None and workers is None:
        raise InputError("--workers", "missing; allowed: --workers N or --scheduler ADDRESS")
    if workers is not None and workers < 1:
        raise InputError("--workers", f"{workers} is not allowed; allowed: a whole number of workers >= 1")
    if chunk is not None and chunk < 1:
        raise InputError("--chunk", f"{chunk} is not allowed; allowed: a whole number of men >= 1")
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            raise InputError("--scheduler", f"cannot connect to '{scheduler}' ({reason}); allowed: the address of a "
                                            "running Dask scheduler, e.g. tcp://127.0.0.1:8786") from None
    else:
        assert workers is not None
        share = max(1, (os.cpu_count() or 1) // workers)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR, env={"NUMBA_NUM_THREADS": str(share)})
        client = Client(cluster)
    try:
        yield DaskSimulator(client, chunk=chunk)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def simulator(*, scheduler: str | None = None, workers: int | None = None,
              chunk: int | None = None) -> Iterator[Any]:
    """The simulator the command-line options ask for: Dask where ``scheduler`` or ``workers`` is
    given, else in this process (by ``chunk`` men if given)."""
    if scheduler is None and workers is None:
        from hpgsim.trials.runner import LocalSimulator

        if chunk is not None and chunk < 1:
            raise InputError("--chunk", f"{chunk} is not allowed; allowed: a whole number of men >= 1")
        yield LocalSimulator(chunk=chunk)
        return
    with dask_simulator(scheduler=scheduler, workers=workers, chunk=chunk) as sim:
        yield sim
