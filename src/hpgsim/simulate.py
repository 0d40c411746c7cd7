"""The one simulate entry point: a patient, a regimen and a duration in, a :class:`Result` out.

>>> r = simulate("eugonadal", days=2)
>>> r.status, round(float(r.to_frame()["total_testosterone"].iloc[-1]))  # doctest: +SKIP
('ok', 724)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import root

from hpgsim import __version__
from hpgsim.drugs.agents import effects as drug_effects
from hpgsim.drugs.agents import pk_model
from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.physiology import model as phys
from hpgsim.regimen import Regimen
from hpgsim.solvers.batch import DT_MAX_H, integrate_batch
from hpgsim.solvers.piecewise import Jump, integrate

__all__ = ["simulate", "simulate_cohort", "Result", "CohortResult", "OBSERVABLES", "MODES"]

MODES = ("averaged", "pulsatile")
OBSERVABLES: Mapping[str, str] = {
    "total_testosterone": "ng/dL", "free_testosterone": "pg/mL", "bioavailable_testosterone": "ng/dL",
    "lh": "IU/L", "fsh": "IU/L", "estradiol": "pg/mL", "shbg": "nmol/L", "inhibin_b": "pg/mL",
    "intratesticular_testosterone": "nmol/L", "sperm_concentration": "M/mL", "total_sperm_count": "M",
    "total_motile_count": "M", "t_e2_ratio": "1", "t_lh_ratio": "1",
}
PULSE_INTERVAL_SHAPE = 4.0  # gamma shape of stochastic GnRH inter-pulse intervals (CV 0.5): LH pulse counts 1-6 per 8 h around a median of 3 (Spectrum of LH pulsatility in normal men; parameter_book A1)
SAMPLE_HOUR = 8.0


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one simulation: status, message, a tidy table and provenance."""

    status: str
    message: str
    frame: pd.DataFrame
    provenance: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_frame(self) -> pd.DataFrame:
        """Columns ``day`` and the canonical observables (clinical units, :data:`OBSERVABLES`), plus ``conc_<drug>``."""
        return self.frame


@dataclass(frozen=True, slots=True)
class _Model:
    """A patient's physiology plus the PK blocks of the drugs he receives, as one ODE system."""

    c: phys.Constants
    p: Mapping[str, float]
    pk: tuple
    offsets: tuple[int, ...]
    k_block: np.ndarray
    n_phys: int

    @property
    def n(self) -> int:
        return self.n_phys + self.k_block.shape[0]

    def concentrations(self, y) -> dict:
        conc: dict = {}
        for m, off in zip(self.pk, self.offsets):
            for name, (i, f) in m.conc.items():
                conc[name] = conc.get(name, 0.0) + y[self.n_phys + off + i] * f
        return conc

    def effects(self, y) -> phys.Effects:
        eff = drug_effects(self.concentrations(y), self.p) if self.pk else {}
        t_in = 0.0
        for m, off in zip(self.pk, self.offsets):
            if m.t_input is not None:
                i, ka = m.t_input
                t_in = t_in + ka * np.maximum(y[self.n_phys + off + i], 0.0)
        eff["t_input"] = t_in
        return phys.Effects(eff)

    def rhs(self, pulsatile: bool):
        n_phys, k_block = self.n_phys, self.k_block

        def f(t, y):
            dy = np.empty_like(y)
            dy[:n_phys] = phys.rhs(t, y[:n_phys], self.c, self.effects(y), pulsatile)
            if k_block.size:
                dy[n_phys:] = k_block @ y[n_phys:]
            return dy

        return f

    def jumps(self, regimen: Regimen, until_h: float, *, offset_h: float = 0.0) -> list[Jump]:
        """State jumps of every dose before ``until_h`` (regimen time), shifted by ``offset_h``."""
        out = []
        index = {m.drug: (m, off) for m, off in zip(self.pk, self.offsets)}
        for ev in regimen.events(until_h):
            m, off = index[ev.drug]
            for i, share in enumerate(m.dose_split[ev.route]):
                if share:
                    out.append(Jump(ev.time_h + offset_h, self.n_phys + off + i, ev.amount * share))
        return out


def _build(patient: Patient, drugs: Sequence[str]) -> _Model:
    p = patient.parameter_values()
    c = phys.derive(p, age=patient.age, bmi=patient.bmi)
    return _assemble(c, p, drugs)


def _assemble(c: phys.Constants, p: Mapping[str, object], drugs: Sequence[str]) -> _Model:
    """Physiology constants plus the block-diagonal PK of ``drugs`` (PK parameters are shared by all men)."""
    models = tuple(pk_model(d, p) for d in sorted(set(drugs)))
    sizes = [len(m.compartments) for m in models]
    offsets = tuple(int(x) for x in np.cumsum([0, *sizes[:-1]])) if models else ()
    n = sum(sizes)
    k = np.zeros((n, n))
    for m, off in zip(models, offsets):
        k[off:off + len(m.compartments), off:off + len(m.compartments)] = m.k
    return _Model(c=c, p=p, pk=models, offsets=offsets, k_block=k, n_phys=len(phys.STATES))


def _equilibrium(model: _Model) -> np.ndarray:
    """The untreated man's steady state (circadian rhythm averaged out), then phase-locked over 3 days."""
    c0 = phys.Constants({**model.c.c, "circ_amp": 0.0})
    no_drug = phys.Effects({})
    guess = phys.steady_state_guess(model.c)
    sol = root(lambda y: phys.rhs(0.0, y, c0, no_drug), guess, method="hybr")
    y = sol.x if sol.success and np.all(np.isfinite(sol.x)) else guess
    if not sol.success:
        res = integrate(lambda t, y: phys.rhs(t, y, c0, no_drug), y, np.array([0.0, 24.0 * 600]))
        y = res.y[:, -1]
    full = np.concatenate([y, np.zeros(model.n - model.n_phys)])
    res = integrate(model.rhs(False), full, np.array([0.0, 72.0]))
    return res.y[:, -1]


def check_days(days) -> float:
    """``days`` as a float > 0, or an :class:`InputError` naming the field."""
    try:
        days = float(days)
    except (TypeError, ValueError):
        raise InputError("days", f"'{days}' is not a number; allowed: a number of days > 0") from None
    if not math.isfinite(days) or days <= 0:
        raise InputError("days", f"{days:g} is not allowed; allowed: a number of days > 0")
    return days


def start_state(patient: Patient, reg: Regimen) -> tuple[_Model, np.ndarray, str]:
    """The man's model (with the PK of his regimen's and his history's drugs) and his state at t = 0.

    He starts at his untreated steady state and is taken through his treatment history; the
    third item is an error message ('' when all went well).
    """
    history = [(Regimen.parse(text), start * 168.0, stop * 168.0) for text, start, stop in patient.history]
    drugs = set(reg.drugs) | {d for h, _, _ in history for d in h.drugs}
    model = _build(patient, sorted(drugs))
    y0 = _equilibrium(model)
    if history:
        start = min(s for _, s, _ in history)
        jumps = [j for h, s, e in history for j in model.jumps(h, e - s, offset_h=s - start)]
        res = integrate(model.rhs(False), y0, np.array([0.0, -start]), jumps)
        if not res.ok:
            return model, y0, f"history: {res.message}"
        y0 = res.y[:, -1]
    return model, y0, ""


def _as_regimen(regimen) -> Regimen:
    if regimen is None:
        return Regimen()
    if isinstance(regimen, Regimen):
        return regimen
    return Regimen.parse(regimen)


def simulate(patient: Patient | str, regimen: Regimen | str | Sequence[str] | None = None, *, days: float,
             mode: str = "averaged", seed: int | None = None, step_h: float | None = None) -> Result:
    """Simulate one man for ``days`` days under ``regimen`` (prescription strings or a :class:`Regimen`).

    The man starts at his own untreated steady state, after any treatment ``history`` of the
    patient.  ``mode="averaged"`` samples daily at 08:00 (labs drawn before the morning dose);
    ``mode="pulsatile"`` resolves GnRH and LH pulses and samples every minute (``seed`` makes the
    pulse timing stochastic and reproducible; without it the pulses are regular).  ``step_h``
    samples the averaged mode every ``step_h`` hours from midnight of day 0 instead (e.g. hourly
    rows for daily means).
    Bad input raises :class:`~hpgsim.errors.InputError`; numerical trouble is reported in
    ``Result.status``/``message``.
    """
    if isinstance(patient, str):
        patient = phenotype(patient)
    if mode not in MODES:
        raise InputError("mode", f"unknown mode '{mode}'; allowed: {', '.join(MODES)}")
    days = check_days(days)
    if mode == "pulsatile" and days > 60:
        raise InputError("days", f"{days:g} is too long for the pulsatile mode; allowed: 0-60 days (use the averaged mode)")
    if step_h is not None and (mode != "averaged" or not (isinstance(step_h, (int, float)) and 0 < step_h <= 24)):
        raise InputError("step_h", f"{step_h} is not allowed; allowed: 0 < step_h <= 24 hours, averaged mode only")
    reg = _as_regimen(regimen)
    model, y0, trouble = start_state(patient, reg)
    provenance = {"package": "hpgsim", "version": __version__, "patient": patient.name, "age": patient.age,
                  "bmi": patient.bmi, "overrides": dict(patient.overrides), "regimen": str(reg), "days": days,
                  "mode": mode, "seed": seed, "history": [list(h) for h in patient.history],
                  "parameters": dict(model.p)}
    if trouble:
        return Result("failed", trouble, pd.DataFrame(), provenance)
    t_end = days * 24.0
    if mode == "averaged":
        if step_h is None:
            t_out = np.arange(0.0, t_end + 1e-9, 24.0) + SAMPLE_HOUR
            t_out = t_out[t_out <= t_end + SAMPLE_HOUR]
        else:
            t_out = np.arange(step_h, t_end + 1e-9, float(step_h))
        # integrate from 00:00 so the first sample is 08:00 of day 0
        t_grid = np.concatenate([[0.0], t_out])
        res = integrate(model.rhs(False), y0, t_grid, model.jumps(reg, t_grid[-1]))
        ys, ts = res.y[:, 1:], t_out
    else:
        rng = np.random.default_rng(seed) if seed is not None else None
        i_g = phys.STATES.index("gnrh_portal")

        def next_pulse(t, y):
            mass = float(phys.pulse_mass(y[:model.n_phys], model.c))
            if mass <= 0.0:
                return None
            eff = model.effects(y)
            f = float(phys.pulse_frequency(t, y[:model.n_phys], model.c, eff))
            mean = 1.0 / max(f, 1e-6)
            dt = rng.gamma(PULSE_INTERVAL_SHAPE, mean / PULSE_INTERVAL_SHAPE) if rng is not None else mean
            return Jump(t + dt, i_g, mass)

        t_out = np.arange(0.0, t_end + 1e-9, 1.0 / 60.0)
        res = integrate(model.rhs(True), y0, t_out, model.jumps(reg, t_end), next_jump=next_pulse,
                        max_step=0.25)
        ys, ts = res.y, t_out
    if not res.ok:
        return Result("failed", res.message, pd.DataFrame(), provenance)
    frame = _frame(model, ts, ys)
    return Result("ok", "ok", frame, provenance)


def _frame(model: _Model, ts: np.ndarray, ys: np.ndarray) -> pd.DataFrame:
    phys_y = ys[:model.n_phys]
    eff = model.effects(ys)
    obs = phys.observables(ts, phys_y, model.c, eff)
    cols = {"day": ts / 24.0}
    for name in OBSERVABLES:
        cols[name] = np.broadcast_to(np.asarray(obs[name], dtype=float), ts.shape)
    conc = model.concentrations(ys)
    for m in model.pk:
        total = np.zeros(ts.shape)
        for name in m.conc:
            total = total + np.asarray(conc[name], dtype=float)
        cols[f"conc_{m.drug}"] = total
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------- cohorts


@dataclass(frozen=True, slots=True)
class CohortResult:
    """Many men under one regimen: per-patient status and a long table (``patient``, ``day``, observables)."""

    status: np.ndarray  # (n,) "ok" or "failed"
    message: tuple[str, ...]
    frame: pd.DataFrame
    provenance: Mapping[str, object] = field(default_factory=dict)

    @property
    def n_ok(self) -> int:
        return int(np.sum(self.status == "ok"))

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _cohort_constants(patients: Sequence[Patient]) -> tuple[phys.Constants, dict]:
    tables = [pt.parameter_values() for pt in patients]
    p: dict[str, object] = {}
    for k in tables[0]:
        vals = np.array([t[k] for t in tables], dtype=float)
        p[k] = float(vals[0]) if np.all(vals == vals[0]) else vals
    age = np.array([pt.age for pt in patients], dtype=float)
    bmi = np.array([pt.bmi for pt in patients], dtype=float)
    return phys.derive(p, age=age, bmi=bmi), p


def _newton_equilibrium(c: phys.Constants, n: int, *, tol: float = 1e-9, max_iter: int = 30):
    """Untreated steady state of every man (circadian rhythm averaged out) by batched Newton.

    Returns the states and a mask of the men whose iteration converged.
    """
    c0 = phys.Constants({**c.c, "circ_amp": 0.0})
    none = phys.Effects({})
    x = phys.steady_state_guess(c, n)
    active = [i for i, name in enumerate(phys.STATES) if name != "gnrh_portal"]
    m = len(active)
    scale = np.maximum(np.abs(x[active]), 1e-6)
    done = np.zeros(n, dtype=bool)
    for _ in range(max_iter):
        f = phys.rhs(0.0, x, c0, none)[active]
        resid = np.max(np.abs(f) / scale, axis=0)
        done = np.isfinite(resid) & (resid < tol)
        if done.all():
            break
        jac = np.empty((n, m, m))
        for j, sj in enumerate(active):
            eps = 1e-7 * np.maximum(np.abs(x[sj]), 1e-4)
            xp = x.copy()
            xp[sj] += eps
            jac[:, :, j] = ((phys.rhs(0.0, xp, c0, none)[active] - f) / eps).T
        try:
            dx = np.linalg.solve(jac, -f.T[..., None])[..., 0].T
        except np.linalg.LinAlgError:
            dx = np.zeros_like(f)
            for i in range(n):
                try:
                    dx[:, i] = np.linalg.solve(jac[i], -f[:, i])
                except np.linalg.LinAlgError:
                    dx[:, i] = np.nan
        dx[:, done] = 0.0
        x_new = x.copy()
        x_new[active] = x[active] + dx
        # stay in the physical domain: never cross zero in one step
        x_new[active] = np.where(x_new[active] < 0.0, 0.5 * x[active], x_new[active])
        x = np.where(np.isfinite(x_new), x_new, x)
    return x, done


def simulate_cohort(patients: Sequence[Patient], regimen: Regimen | str | Sequence[str] | None = None, *,
                    days: float, sample_days: Sequence[float] | None = None, dt_max: float = DT_MAX_H,
                    progress: bool = False) -> CohortResult:
    """Simulate many men together (averaged mode) on the batched engine.

    Every man starts at his own untreated steady state; all share ``regimen``.  Samples are at
    08:00 of each day in ``sample_days`` (default: every day 0..days).  A man whose integration
    fails is reported in ``status``/``message``; the others are unaffected.  Patients with a
    treatment history are simulated one by one with :func:`simulate`.
    """
    patients = list(patients)
    if not patients:
        raise InputError("patients", "an empty cohort; allowed: one or more patients")
    for pt in patients:
        if pt.history:
            raise InputError("history", f"patient '{pt.name}' has a treatment history; allowed in a cohort: none "
                                        "(simulate him with simulate())")
    days = check_days(days)
    reg = _as_regimen(regimen)
    n = len(patients)
    c, p = _cohort_constants(patients)
    model = _assemble(c, p, reg.drugs)
    n_phys = model.n_phys

    def fun(t, x, u):
        y = np.concatenate([x, u]) if u.size else x
        return phys.rhs(t, x, model.c, model.effects(y), False)

    bar = None
    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn(f"{n} men"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
        bar.start()
        task = bar.add_task("cohort", total=1.0)
    try:
        x0, converged = _newton_equilibrium(c, n)
        u0 = np.zeros((model.n - n_phys, n))
        lock = integrate_batch(fun, x0, u0, model.k_block, [72.0], dt_max=dt_max)
        x0 = lock.x[-1]
        if sample_days is None:
            sample_days = np.arange(0, int(math.floor(days)) + 1)
        sample_days = np.asarray(sorted(set(float(d) for d in sample_days)), dtype=float)
        if sample_days.size == 0 or sample_days.min() < 0 or sample_days.max() > days:
            raise InputError("sample_days", f"allowed: days between 0 and {days:g}")
        t_out = sample_days * 24.0 + SAMPLE_HOUR
        jumps = [Jump(j.time_h, j.index - n_phys, j.amount) for j in model.jumps(reg, float(t_out[-1]))]
        res = integrate_batch(fun, x0, u0, model.k_block, t_out, jumps, dt_max=dt_max,
                              progress=(lambda f: bar.update(task, completed=f)) if bar else None)
    finally:
        if bar is not None:
            bar.stop()
    ok = res.ok & converged
    status = np.where(ok, "ok", "failed")
    messages = tuple("ok" if o else ("no untreated steady state" if not cv else f"non-finite state at hour {fa:g}")
                     for o, cv, fa in zip(ok, converged, res.failed_at_h))
    frame = _cohort_frame(model, t_out, res.x, res.u, [pt.name for pt in patients])
    provenance = {"package": "hpgsim", "version": __version__, "n": n, "regimen": str(reg), "days": days,
                  "mode": "averaged", "engine": f"batched RK4 + exact PK, dt <= {dt_max:g} h"}
    return CohortResult(status=status, message=messages, frame=frame, provenance=provenance)


def _cohort_frame(model: _Model, t_out, xs, us, names) -> pd.DataFrame:
    n_out, _, n = xs.shape
    cols: dict[str, object] = {"patient": np.tile(np.arange(n), n_out), "name": np.tile(np.asarray(names), n_out),
                               "day": np.repeat(t_out / 24.0, n)}
    obs_parts = {k: [] for k in OBSERVABLES}
    conc_parts = {m.drug: [] for m in model.pk}
    for i in range(n_out):
        y = np.concatenate([xs[i], us[i]]) if us.shape[1] else xs[i]
        eff = model.effects(y)
        obs = phys.observables(t_out[i], xs[i], model.c, eff)
        for k in OBSERVABLES:
            obs_parts[k].append(np.broadcast_to(np.asarray(obs[k], dtype=float), (n,)))
        conc = model.concentrations(y)
        for m in model.pk:
            conc_parts[m.drug].append(sum(np.broadcast_to(np.asarray(conc[nm], dtype=float), (n,)) for nm in m.conc))
    for k, parts in obs_parts.items():
        cols[k] = np.concatenate(parts)
    for d, parts in conc_parts.items():
        cols[f"conc_{d}"] = np.concatenate(parts)
    return pd.DataFrame(cols)
