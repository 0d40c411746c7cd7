"""Reference engine: scipy ``solve_ivp`` integrated piecewise between discontinuities.

The solver stops at every dose time (and, in the pulsatile mode, at every GnRH pulse), applies
the jump to the state, and restarts: no dose is smeared into the right-hand side, and outputs do
not depend on the output grid.  A sample that falls exactly on a jump time gets the value just
before the jump (a lab drawn before the morning dose).  The engine knows states and jumps only;
it knows nothing of drugs or physiology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["Jump", "integrate", "IntegrationResult"]


@dataclass(frozen=True, slots=True)
class Jump:
    """An instantaneous addition ``y[index] += amount`` at ``time_h``."""

    time_h: float
    index: int
    amount: float


@dataclass(frozen=True, slots=True)
class IntegrationResult:
    t: np.ndarray
    y: np.ndarray  # (n_states, n_times)
    ok: bool
    message: str


def integrate(
    fun: Callable[[float, np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_out: np.ndarray,
    jumps: Sequence[Jump] = (),
    *,
    next_jump: Callable[[float, np.ndarray], Jump | None] | None = None,
    method: str = "LSODA",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_step: float = np.inf,
) -> IntegrationResult:
    """Integrate ``dy/dt = fun(t, y)`` from ``t_out[0]`` to ``t_out[-1]`` with jumps.

    ``next_jump(t, y)`` supplies state-dependent jumps (GnRH pulses): it is asked for the next one
    after each one is applied.
    """
    t_out = np.asarray(t_out, dtype=float)
    t0, t1 = float(t_out[0]), float(t_out[-1])
    # a jump at t0 is applied after the first sample (sampled before the dose), like any other
    fixed = sorted((j for j in jumps if t0 <= j.time_h <= t1), key=lambda j: j.time_h)
    y = np.array(y0, dtype=float)
    out = np.full((y.size, t_out.size), np.nan)
    out[:, 0] = y
    t = t0
    k_fixed = 0
    k_out = 1
    pending = next_jump(t, y) if next_jump else None
    while t < t1:
        t_fixed = fixed[k_fixed].time_h if k_fixed < len(fixed) else np.inf
        t_dyn = pending.time_h if pending is not None else np.inf
        t_next = min(t_fixed, t_dyn, t1)
        if t_next > t:
            k_end = np.searchsorted(t_out, t_next, side="right")
            t_eval = np.append(t_out[k_out:k_end][t_out[k_out:k_end] < t_next], t_next)
            sol = solve_ivp(fun, (t, t_next), y, method=method, t_eval=t_eval, rtol=rtol, atol=atol, max_step=max_step)
            if not sol.success or sol.y.shape[1] != t_eval.size or not np.all(np.isfinite(sol.y)):
                return IntegrationResult(t_out, out, False, f"integration failed at t = {t:.3f} h: {sol.message}")
            out[:, k_out:k_end] = sol.y[:, : k_end - k_out] if k_end - k_out == t_eval.size else sol.y[:, :-1]
            k_out = k_end
            y = sol.y[:, -1].copy()
            t = t_next
        # apply every jump due now
        while k_fixed < len(fixed) and fixed[k_fixed].time_h <= t:
            j = fixed[k_fixed]
            y[j.index] += j.amount
            k_fixed += 1
        if pending is not None and pending.time_h <= t:
            y[pending.index] += pending.amount
            pending = next_jump(t, y)
    return IntegrationResult(t_out, out, True, "ok")
