"""Batched engine: many patients advanced together, vectorised over the patient axis.

The state of every patient is split into a nonlinear part ``x`` (physiology, shape
``(n_x, n_patients)``) and a linear part ``u`` (drug compartments, ``du/dt = K u`` with one
matrix ``K`` shared by the cohort).  Each step propagates ``u`` exactly with ``expm(K h)`` and
advances ``x`` with the classical fourth-order Runge-Kutta method, evaluating the right-hand side
at the exact drug state of each stage.

* Restarts are exact: the step sequence is cut at every dose time (shared by the cohort), doses
  are added to ``u`` between steps, and outputs fall on step boundaries (a sample at a dose time
  is taken before the dose).
* Step size: at most ``dt_max`` hours (default 1.5 h; 2 h leaves ~1% error on LH in the hours
  after an hCG dose).  The averaged physiology is only mildly stiff (fastest Jacobian eigenvalue
  about -0.83 /h at the reference man, congenital HH and primary hypogonadism), so RK4 with
  h <= 2 h sits well inside its stability region (|lambda h| < 2.78); the fast drug
  kinetics (gonadorelin, half-life 6 min) are in the exact linear part.  The fixed-step accuracy
  is checked against the adaptive scipy engine in ``tests/test_batch.py`` (< 1% on T, LH, FSH,
  E2 and sperm concentration).
* Per-patient status: a patient whose state stops being finite is frozen (NaN) and reported with
  the time it failed; the others carry on.

The engine knows arrays, matrices and jumps only; it knows nothing of drugs or physiology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.linalg import expm

from hpgsim.solvers.piecewise import Jump

__all__ = ["BatchResult", "integrate_batch", "DT_MAX_H"]

DT_MAX_H = 1.5


@dataclass(frozen=True, slots=True)
class BatchResult:
    t: np.ndarray  # (n_out,)
    x: np.ndarray  # (n_out, n_x, n)
    u: np.ndarray  # (n_out, n_u, n)
    ok: np.ndarray  # (n,) bool
    failed_at_h: np.ndarray  # (n,) float, NaN where ok


def _step_plan(t0: float, t_end: float, cuts: Sequence[float], dt_max: float) -> list[tuple[float, float]]:
    """(start, end) of every step from ``t0`` to ``t_end``, cut at ``cuts`` with equal sub-steps <= dt_max.

    Segment ends are the cut times themselves (no rounding drift), so doses and outputs match exactly.
    """
    pts = sorted({t0, t_end, *(c for c in cuts if t0 < c < t_end)})
    plan = []
    for a, b in zip(pts[:-1], pts[1:]):
        k = max(1, int(np.ceil((b - a) / dt_max - 1e-9)))
        h = (b - a) / k
        plan.extend((a + i * h, b if i == k - 1 else a + (i + 1) * h) for i in range(k))
    return plan


def integrate_batch(
    fun: Callable[[float, np.ndarray, np.ndarray], np.ndarray],
    x0: np.ndarray,
    u0: np.ndarray,
    k_matrix: np.ndarray,
    t_out: Sequence[float],
    jumps: Sequence[Jump] = (),
    *,
    t0: float = 0.0,
    dt_max: float = DT_MAX_H,
    progress: Callable[[float], None] | None = None,
) -> BatchResult:
    """Integrate ``dx/dt = fun(t, x, u)``, ``du/dt = K u`` for a cohort from ``t0`` to ``max(t_out)``.

    ``jumps`` (a dose shared by the cohort: ``u[index] += amount``) at a time equal to an output time are applied after that output.  ``progress`` is
    called with the fraction of the horizon done.
    """
    t_out = np.asarray(sorted(t_out), dtype=float)
    x = np.array(x0, dtype=float, copy=True)
    u = np.array(u0, dtype=float, copy=True)
    n = x.shape[1]
    t_end = float(t_out[-1]) if t_out.size else t0
    by_time: dict[float, list[Jump]] = {}
    for j in jumps:
        if t0 <= j.time_h < t_end or (j.time_h == t0 == t_end):
            by_time.setdefault(float(j.time_h), []).append(j)
    plan = _step_plan(t0, t_end, [*by_time, *t_out], dt_max)
    props: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    ok = np.ones(n, dtype=bool)
    failed_at = np.full(n, np.nan)
    xs, us = [], []
    out_i = 0

    def emit(t):
        nonlocal out_i
        while out_i < t_out.size and t_out[out_i] == t:
            xs.append(x.copy())
            us.append(u.copy())
            out_i += 1

    def dose(t):
        for j in by_time.get(t, ()):
            u[j.index] += j.amount

    t_now = t0
    emit(t_now)
    dose(t_now)
    total = max(t_end - t0, 1e-12)
    for i, (a, b) in enumerate(plan):
        h = b - a
        key = round(h, 12)
        if key not in props:
            props[key] = (expm(k_matrix * (h / 2.0)), expm(k_matrix * h))
        half, full = props[key]
        u_half = half @ u if u.size else u
        u_full = full @ u if u.size else u
        k1 = fun(a, x, u)
        k2 = fun(a + h / 2, x + (h / 2) * k1, u_half)
        k3 = fun(a + h / 2, x + (h / 2) * k2, u_half)
        k4 = fun(a + h, x + h * k3, u_full)
        x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        u = u_full
        bad = ok & ~np.all(np.isfinite(x), axis=0)
        if bad.any():
            ok &= ~bad
            failed_at[bad] = b
            x[:, bad] = np.nan
        t_now = b
        emit(t_now)
        dose(t_now)
        if progress is not None and i % 64 == 0:
            progress((t_now - t0) / total)
    if progress is not None:
        progress(1.0)
    return BatchResult(t=t_out, x=np.array(xs), u=np.array(us), ok=ok, failed_at_h=failed_at)
