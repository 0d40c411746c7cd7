"""The one simulate entry point: a patient, a regimen and a duration in, a :class:`Result` out.

>>> r = simulate("eugonadal", days=2)
>>> r.status, round(float(r.to_frame()["total_testosterone"].iloc[-1]))  # doctest: +SKIP
('ok', 724)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.linalg import expm
from scipy.optimize import root

from hpgsim import __version__, parameters
from hpgsim.drugs.agents import effects as drug_effects
from hpgsim.drugs.agents import pk_model
from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.physiology import model as phys
from hpgsim.regimen import Regimen
from hpgsim.solvers.kernel import DT_MAX_H, run_kernel, run_newton, step_plan
from hpgsim.solvers.piecewise import Jump, integrate

__all__ = ["simulate", "simulate_cohort", "Result", "CohortResult", "OBSERVABLES", "MODES", "ENGINES", "doses_at", "dose_shares", "dose_shares_text"]

MODES = ("averaged", "pulsatile")
ENGINES = ("compiled", "scipy")  # the averaged mode's engines: compiled exponential integrator, adaptive scipy LSODA
OBSERVABLES: Mapping[str, str] = phys.OBSERVABLE_UNITS  # canonical observables and their units
PULSE_INTERVAL_SHAPE = 4.0  # gamma shape of stochastic GnRH inter-pulse intervals (CV 0.5): LH pulse counts 1-6 per 8 h around a median of 3 (Spectrum of LH pulsatility in normal men; parameter_book A1)
SAMPLE_HOUR = 8.0


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one simulation: status, message, a tidy table and provenance."""

    status: str
    message: str
    frame: pd.DataFrame
    provenance: Mapping[str, object] = field(default_factory=dict)
    dose_history: pd.DataFrame | None = None  # titrated regimens: his dose at the start and at every check

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
        return self.event_jumps(regimen.events(until_h), offset_h=offset_h)

    def event_jumps(self, events, *, offset_h: float = 0.0) -> list[Jump]:
        """State jumps of dose ``events`` (each split over its drug's dosing compartments), shifted by ``offset_h``."""
        out = []
        index = {m.drug: (m, off) for m, off in zip(self.pk, self.offsets)}
        for ev in events:
            m, off = index[ev.drug]
            for i, share in enumerate(m.shares(ev.route, ev.amount)):
                if share:
                    out.append(Jump(ev.time_h + offset_h, self.n_phys + off + i, ev.amount * share))
        return out


def _build(patient: Patient, drugs: Sequence[str]) -> _Model:
    p = patient.parameter_values()
    c = constants(p, age=patient.age, bmi=patient.bmi)
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


@dataclass(frozen=True, slots=True)
class _Run:
    """What the engine returns for a group of men: observables at the outputs and the end state."""

    obs: np.ndarray  # (n_obs, n_out, n) in phys.OBS order, or the caller's block
    x_end: np.ndarray  # (n_phys, n)
    u_end: np.ndarray  # (n_u,) drug compartments at the end (shared by the group)
    failed_at: np.ndarray  # (n,) hour of failure, NaN where the man finished
    conc: dict  # conc_<drug> -> (n_out,) at the outputs (before doses)


def _engine(model: _Model, x0: np.ndarray, u0: np.ndarray, t0: float, t_out, jumps: Sequence[Jump] = (), *,
            dt_max: float = DT_MAX_H, t_end: float | None = None, out: np.ndarray | None = None, col0: int = 0,
            rows: Sequence[int] | None = None) -> _Run:
    """Advance men (columns of ``x0``) who share ``u0`` and the doses ``jumps`` from ``t0``; outputs at ``t_out``.

    The drug compartments are propagated exactly here (matrix exponentials between dose times,
    PK shared by the group) and their effects handed to the compiled physiology kernel at every
    stage time.  A dose at an output time is given after the sample (labs before the dose).
    ``out``/``col0``/``rows``: write observables ``rows`` straight into a cohort's result block
    (see :func:`~hpgsim.solvers.kernel.run_kernel`).
    """
    t_out = np.asarray(t_out, dtype=float)
    t_end = float(t_out[-1]) if t_end is None else float(t_end)
    n_phys = model.n_phys
    doses: dict[float, list[Jump]] = {}
    for j in jumps:
        if t0 <= j.time_h < t_end:
            doses.setdefault(float(j.time_h), []).append(j)
    plan = step_plan(t0, t_end, [*doses, *t_out], dt_max)
    before = _effects_array(model, np.asarray(u0, dtype=float)[None, :])[0]
    for i in range(8):  # halve the steps over which a drug's action changes fast (absorption, a depot's burst)
        track, u = _drug_track(model, plan, doses, u0)
        eff = _effects_array(model, track.reshape(plan.shape[0] * 3, track.shape[2]))
        eff = eff.reshape(plan.shape[0], 3, len(phys.EFFECTS), eff.shape[2])
        split = _fast_forcing(eff) & (plan[:, 1] > MIN_STEP_H)
        if i == 0:
            split |= _responding(plan, eff, before, dt_max)
        if not split.any():
            break
        plan = _split(plan, split)
    out_step = np.array([_boundary(plan, t, t0) for t in t_out], dtype=np.int64)
    u_out = np.array([u0 if s == 0 else track[s - 1, 2] for s in out_step]).reshape(len(t_out), track.shape[2])
    out_eff = _effects_array(model, u_out)
    obs, x_end, failed_at = run_kernel(x0, model.c.packed.reshape(len(phys.KEYS), -1), plan[:, 0], plan[:, 1], eff,
                                       out_step, t_out, out_eff, out=out, col0=col0, rows=rows)
    y_out = np.concatenate([np.zeros((n_phys, len(t_out))), u_out.T])
    conc_all = model.concentrations(y_out)
    conc = {m.drug: sum(np.broadcast_to(np.asarray(conc_all[nm], dtype=float), t_out.shape) for nm in m.conc)
            for m in model.pk}
    return _Run(obs=obs, x_end=x_end, u_end=u, failed_at=failed_at, conc=conc)


MIN_STEP_H = 0.25
FORCING_JUMP, FORCING_CURVE = 0.05, 0.01  # largest change (and departure from linear) of a drug effect within a step, x its range


def _drug_track(model: _Model, plan: np.ndarray, doses: Mapping[float, Sequence[Jump]], u0: np.ndarray):
    """Drug compartments at the start (after doses), middle and end (before doses) of every step, exactly.

    Drug PK is shared by a cohort and does not depend on the physiology, so the same regimen on the
    same step plan gives the same track: results are cached (a fit or a protocol comparison repeats a
    treatment history dozens of times).
    """
    n_u = model.n - model.n_phys
    if not n_u:
        return np.zeros((plan.shape[0], 3, 0)), np.array(u0, dtype=float, copy=True)
    kb = model.k_block.tobytes()
    key = (kb, np.ascontiguousarray(plan, dtype=float).tobytes(), np.asarray(u0, dtype=float).tobytes(),
           tuple((t, tuple((j.index, j.amount) for j in js)) for t, js in sorted(doses.items())))
    hit = _TRACKS.get(key)
    if hit is not None:
        return hit[0].copy(), hit[1].copy()
    u = np.array(u0, dtype=float, copy=True)
    track = np.zeros((plan.shape[0], 3, n_u))
    for s, (a, h) in enumerate(plan):
        for j in doses.get(float(a), ()):
            u[j.index - model.n_phys] += j.amount
        half, full = _propagators(model.k_block, kb, float(h))
        track[s, 0], track[s, 1] = u, half @ u
        u = full @ u
        track[s, 2] = u
    if len(_TRACKS) >= _TRACKS_MAX:
        _TRACKS.pop(next(iter(_TRACKS)))
    _TRACKS[key] = (track.copy(), u.copy())
    return track, u


_TRACKS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_TRACKS_MAX = 64


_PROPAGATORS: dict[tuple[bytes, float], tuple[np.ndarray, np.ndarray]] = {}
_PROPAGATORS_MAX = 20000  # about 60 MB at the largest drug block


def _propagators(k_block: np.ndarray, key: bytes, h: float) -> tuple[np.ndarray, np.ndarray]:
    """``expm(K h/2)`` and ``expm(K h)`` of a drug block, cached across simulations (fits and protocol
    comparisons repeat the same regimens and step lengths many times)."""
    k = (key, round(h, 12))
    hit = _PROPAGATORS.get(k)
    if hit is None:
        if len(_PROPAGATORS) >= _PROPAGATORS_MAX:
            _PROPAGATORS.clear()
        hit = _PROPAGATORS[k] = (expm(k_block * (h / 2.0)), expm(k_block * h))
    return hit


def _scaled(eff: np.ndarray) -> np.ndarray:
    """Drug effects (steps, 3, effects, columns) as fractions of each effect's range over the plan."""
    return eff / (np.abs(eff).max(axis=(0, 1), keepdims=True) + 1e-12)


def _fast_forcing(eff: np.ndarray) -> np.ndarray:
    """Steps over which some drug effect moves by more than FORCING_JUMP of its range, or bends by FORCING_CURVE."""
    e = _scaled(eff)
    jump = np.abs(e[:, 2] - e[:, 0]).max(axis=(1, 2))
    curve = np.abs(e[:, 1] - 0.5 * (e[:, 0] + e[:, 2])).max(axis=(1, 2))
    return (jump > FORCING_JUMP) | (curve > FORCING_CURVE)


RESPONSE_H = 24.0  # after a dose that moves a drug's action at once, the hormones answer within about a day


def _responding(plan: np.ndarray, eff: np.ndarray, before: np.ndarray, dt_max: float) -> np.ndarray:
    """Steps within RESPONSE_H of a dose that moved some drug effect at once by more than FORCING_JUMP of
    its range (a testosterone injection's input, an hCG bolus): the fast hormones (LH half-life 1.3 h)
    collapse or surge over the following hours, so those steps are halved once."""
    if plan.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    e = _scaled(np.concatenate([eff, np.broadcast_to(before, eff[:1].shape)]))  # the range includes the start
    prev = np.concatenate([e[-1:, 2], e[:-2, 2]])
    jump = np.abs(e[:-1, 0] - prev).max(axis=(1, 2))
    out = np.zeros(plan.shape[0], dtype=bool)
    for t in plan[jump > FORCING_JUMP, 0]:
        out |= (plan[:, 0] >= t) & (plan[:, 0] < t + RESPONSE_H) & (plan[:, 1] > 0.5 * dt_max + 1e-9)
    return out


def _split(plan: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Halve the steps of ``plan`` marked in ``which``."""
    rows = []
    for (a, h), w in zip(plan, which):
        rows.extend([(a, h / 2.0), (a + h / 2.0, h / 2.0)] if w else [(a, h)])
    return np.array(rows)


def _boundary(plan: np.ndarray, t: float, t0: float) -> int:
    """The number of steps of ``plan`` done at time ``t`` (a step boundary)."""
    if t == t0 or plan.shape[0] == 0:
        return 0
    return int(np.argmin(np.abs(plan[:, 0] + plan[:, 1] - t))) + 1


def _effects_array(model: _Model, u: np.ndarray) -> np.ndarray:
    """Drug effects (m, n_effects, 1 or n) at ``m`` drug states ``u`` (m, n_u)."""
    m = u.shape[0]
    if not model.pk:
        return np.zeros((m, len(phys.EFFECTS), 1))
    y = np.zeros((model.n, m, 1))
    y[model.n_phys:] = u.T[:, :, None]
    e = phys.pack_effects(model.effects(y))  # (n_effects, m, 1 or n): one column unless drug parameters vary by man
    return np.ascontiguousarray(np.transpose(e, (1, 0, 2)))


def _newton_equilibrium(c: phys.Constants, n: int, *, tol: float = 1e-9, max_iter: int = 30):
    """Untreated steady state of every man (circadian rhythm averaged out) by compiled Newton, per man.

    Returns the states (n_states, n) and a mask of the men whose iteration converged.
    """
    c0 = phys.Constants({**c.c, "circ_amp": 0.0})
    guess = phys.steady_state_guess(c, n)
    active = [i for i, name in enumerate(phys.STATES) if name != "gnrh_portal"]
    x, done = run_newton(guess, c0.packed.reshape(len(phys.KEYS), -1), np.zeros(len(phys.EFFECTS)), active,
                         tol=tol, max_iter=max_iter)
    # a state whose steady state is 0 (e.g. GnRH occupancy without GnRH) ends at exactly 0, not at 1e-23
    x[np.abs(x) < 1e-12 * np.abs(guess)] = 0.0
    return x, done


def _untreated(model: _Model, n: int, *, dt_max: float = DT_MAX_H) -> tuple[np.ndarray, np.ndarray]:
    """Every man's untreated steady state, then phase-locked to the circadian rhythm over 3 days.

    Batched Newton first; a man it cannot settle is run untreated for 600 days instead.  Returns
    the states (n_phys, n) and a mask of the men who reached a finite state.
    """
    x, done = _newton_equilibrium(model.c, n)
    u0 = np.zeros(model.n - model.n_phys)
    if not done.all():
        slow = ~done
        sub = _sub_model(model, slow, n)
        run = _engine(sub, x[:, slow], u0, 0.0, [24.0 * 600], dt_max=dt_max)
        x[:, slow] = run.x_end
    run = _engine(model, x, u0, 0.0, [72.0], dt_max=dt_max)
    return run.x_end, np.all(np.isfinite(run.x_end), axis=0)


def reference_labs(c: phys.Constants, p: Mapping[str, float]) -> dict[str, float]:
    """One man's untreated labs (canonical observables) at 08:00, drawn as every untreated man's are: from his
    untreated state (:func:`_untreated`: steady state, then 3 days of the circadian rhythm), 8 hours on."""
    model = _assemble(c, p, ())
    x, ok = _untreated(model, 1)
    if not ok.all():
        return {k: math.nan for k in (*phys.OBS, "total_testosterone_1600")}
    run = _engine(model, x, np.zeros(0), 0.0, [SAMPLE_HOUR, SAMPLE_HOUR + 8.0])
    out = {k: float(run.obs[i, 0, 0]) for i, k in enumerate(phys.OBS)}
    out["total_testosterone_1600"] = float(run.obs[phys.OBS.index("total_testosterone"), 1, 0])
    return out


# the scale constants that the reference man's labs set, with the reference value each one is solved for and the
# observable (OBS order) it is read from: the reference values are morning draws (08:00) of men living with
# their circadian rhythm
RHYTHM_SCALES: Mapping[str, tuple[str, str]] = {
    "leydig_basal": ("ref_total_t_0800", "total_testosterone"),
    "syn_lh": ("ref_lh", "lh"),
    "syn_fsh": ("ref_fsh", "fsh"),
    "shbg_target": ("ref_shbg", "shbg"),
    "ib_scale": ("ref_inhibin_b", "inhibin_b"),
    "tsc_ref": ("ref_sperm_concentration", "sperm_concentration"),
}
RHYTHM_TOL = 1e-6  # largest relative miss of a reference lab left by the correction
_RHYTHM_FACTORS: dict[tuple, dict[str, float]] = {}


def constants(p: Mapping[str, object], *, age, bmi) -> phys.Constants:
    """The model's rate constants (:func:`hpgsim.physiology.model.derive`) with the reference man's scales
    corrected for his circadian rhythm: his labs drawn at 08:00 from his untreated state with the rhythm on (the
    way every lab is read) reproduce the reference values.  Each scale of :data:`RHYTHM_SCALES` (and the rhythm's
    amplitude) is multiplied by a factor solved once per set of shared parameters (:func:`rhythm_factors`)."""
    c = dict(phys.derive(p, age=age, bmi=bmi).c)
    f = rhythm_factors(p)
    for key in (*RHYTHM_SCALES, "circ_amp"):
        c[key] = c[key] * f[key]
    return phys.Constants(c)


def _reference_parameters(p: Mapping[str, object]) -> dict[str, float]:
    """The reference man's parameters: ``p``'s shared parameters, the table's values of the per-patient ones."""
    patient = set(parameters.names(patient=True))
    out = {}
    for k, v in p.items():
        if k in patient:
            out[k] = parameters.get(k).value
        else:
            a = np.asarray(v, dtype=float)
            if a.size != 1:
                raise ValueError(f"parameter {k} is shared by all men but varies within the batch")
            out[k] = float(a.reshape(()))
    return out


def rhythm_factors(p: Mapping[str, object]) -> dict[str, float]:
    """Factors on the scale constants of :data:`RHYTHM_SCALES` that bring the reference man's 08:00 labs, with the
    circadian rhythm on, to the reference values (``ref_*``); cached per set of shared parameters.

    His untreated state is computed as :func:`simulate` starts every man (steady state without
    the rhythm, then 3 days with it).  The feedback couples the scales (more LH makes more T, which lowers LH),
    so the logarithms of the factors are solved together (MINPACK's hybrid Powell method, ``scipy.optimize.root``)
    until every lab is within :data:`RHYTHM_TOL` of its reference.  The sperm scale
    does not feed back and is set last, exactly.
    """
    ref = _reference_parameters(p)
    key = tuple(sorted(ref.items()))
    hit = _RHYTHM_FACTORS.get(key)
    if hit is not None:
        return dict(hit)
    coupled = [k for k in RHYTHM_SCALES if k != "tsc_ref"]
    base = dict(phys.derive(ref, age=ref["ref_age"], bmi=ref["ref_bmi"]).c)
    rhythmic = float(np.asarray(base["circ_amp"])) > 0.0
    solved = coupled + ["circ_amp"] if rhythmic else coupled

    def labs_at(u):
        c = dict(base)
        for k, v in zip(solved, u):
            c[k] = c[k] * math.exp(v)
        return reference_labs(phys.Constants(c), ref)

    # his T at 16:00 relative to 08:00 as the circadian amplitude of T says (ref_age's cosine)
    amp = float(phys.circadian_amplitude(ref["ref_age"], ref))
    t_ex = ref["t_extragonadal"]
    t08 = ref["ref_total_t_0800"]
    t_mean = (t08 - t_ex) / (1.0 + amp) + t_ex
    ratio16 = ((t_mean - t_ex) * (1.0 + amp * math.cos(2.0 * math.pi * (16.0 - ref["circadian_peak_hour"]) / 24.0)) + t_ex) / t08

    def residual(labs):
        r = np.array([math.log(labs[RHYTHM_SCALES[k][1]] / ref[RHYTHM_SCALES[k][0]]) for k in coupled]
                     + ([math.log(labs["total_testosterone_1600"] / labs["total_testosterone"] / ratio16)] if rhythmic else []))
        if not np.all(np.isfinite(r)):
            raise RuntimeError(f"the reference man has no finite untreated state: {labs}")
        return r

    sol = root(lambda u: residual(labs_at(u)), np.zeros(len(solved)), method="hybr",
               options={"xtol": RHYTHM_TOL * 1e-2, "eps": 1e-3})
    u = sol.x
    labs = labs_at(u)
    if np.max(np.abs(residual(labs))) >= RHYTHM_TOL:
        raise RuntimeError("the circadian correction of the reference man's scale constants did not converge: "
                           f"{sol.message}")
    f = {k: float(math.exp(v)) for k, v in zip(solved, u)}
    f.setdefault("circ_amp", 1.0)
    f["tsc_ref"] = ref[RHYTHM_SCALES["tsc_ref"][0]] / labs[RHYTHM_SCALES["tsc_ref"][1]]
    if len(_RHYTHM_FACTORS) > 256:
        _RHYTHM_FACTORS.clear()
    _RHYTHM_FACTORS[key] = dict(f)
    return f


def _sub_model(model: _Model, mask: np.ndarray, n: int) -> _Model:
    """The model of the men selected by ``mask`` (constants that vary by man are sliced)."""
    def pick(k, v):
        return v[mask] if k != "germ_ref" and np.ndim(v) > 0 and np.shape(v)[-1] == n else v

    c = phys.Constants({k: pick(k, v) for k, v in model.c.c.items()})
    p = {k: pick(k, v) for k, v in model.p.items()}
    return replace(model, c=c, p=p)


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
    history = _history(patient)
    drugs = set(reg.drugs) | {d for h, _, _ in history for d in h.drugs}
    model = _build(patient, sorted(drugs))
    x, u, _, trouble = _history_state(model, history, 1)
    return model, np.concatenate([x[:, 0], u]), trouble


def _history(patient: Patient) -> list[tuple[Regimen, float, float]]:
    out = []
    for i, (text, start, stop) in enumerate(patient.history):
        reg = Regimen.parse(text)
        if reg.titrated:
            raise InputError(f"history[{i}].regimen", titrated_history_message(text))
        out.append((reg, start * 168.0, stop * 168.0))
    return out


def titrated_history_message(text: str) -> str:
    """Why a treatment history may not hold a regimen titrated to a lab target (one line, what is allowed)."""
    return (f"'{text}' is titrated to a lab target, so the doses he took are not known; allowed: the doses he took, "
            "at fixed doses (one entry per dose, e.g. clomiphene citrate 50 mg PO every other day)")


def _history_state(model: _Model, history, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Untreated steady state of ``n`` men, then their shared treatment ``history``.

    Returns states (n_phys, n), the shared drug state, a mask of the men who got there and what
    went wrong for the others (a man who did not is given the reference state, to be reported).
    """
    x, ok = _untreated(model, n)
    u = np.zeros(model.n - model.n_phys)
    trouble = "" if ok.all() else "no untreated steady state"
    x = np.where(ok, x, phys.steady_state_guess(model.c, n))
    if history:
        start = min(s for _, s, _ in history)
        jumps = [j for h, s, e in history for j in model.jumps(h, e - s, offset_h=s - start)]
        run = _engine(model, x, u, 0.0, [-start], jumps)
        bad = np.isfinite(run.failed_at)
        if bad.any():
            trouble = trouble or f"history: non-finite state at hour {np.nanmin(run.failed_at):g}"
            ok = ok & ~bad
        x = np.where(ok, run.x_end, phys.steady_state_guess(model.c, n))
        u = run.u_end
    return x, u, ok, trouble


def _as_regimen(regimen) -> Regimen:
    if regimen is None:
        return Regimen()
    if isinstance(regimen, Regimen):
        return regimen
    return Regimen.parse(regimen)


def simulate(patient: Patient | str, regimen: Regimen | str | Sequence[str] | None = None, *, days: float,
             mode: str = "averaged", seed: int | None = None, step_h: float | None = None,
             engine: str = "compiled") -> Result:
    """Simulate one man for ``days`` days under ``regimen`` (prescription strings or a :class:`Regimen`).

    The man starts at his own untreated steady state, after any treatment ``history`` of the
    patient.  ``mode="averaged"`` samples daily at 08:00 (labs drawn before the morning dose);
    ``mode="pulsatile"`` resolves GnRH and LH pulses and samples every minute (``seed`` makes the
    pulse timing stochastic and reproducible; without it the pulses are regular).  ``step_h``
    samples the averaged mode every ``step_h`` hours from midnight of day 0 instead (e.g. hourly
    rows for daily means).  ``engine`` picks the averaged mode's integrator (:data:`ENGINES`): the
    compiled exponential integrator shared with cohorts, or scipy's adaptive LSODA as a reference.
    Bad input raises :class:`~hpgsim.errors.InputError`; numerical trouble is reported in
    ``Result.status``/``message``.
    """
    if isinstance(patient, str):
        patient = phenotype(patient)
    if mode not in MODES:
        raise InputError("mode", f"unknown mode '{mode}'; allowed: {', '.join(MODES)}")
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine '{engine}'; allowed: {', '.join(ENGINES)}")
    days = check_days(days)
    if mode == "pulsatile" and days > 60:
        raise InputError("days", f"{days:g} is too long for the pulsatile mode; allowed: 0-60 days (use the averaged mode)")
    if step_h is not None and (mode != "averaged" or not (isinstance(step_h, (int, float)) and 0 < step_h <= 24)):
        raise InputError("step_h", f"{step_h} is not allowed; allowed: 0 < step_h <= 24 hours, averaged mode only")
    reg = _as_regimen(regimen)
    if reg.titrated and (mode != "averaged" or engine != "compiled"):
        raise InputError("regimen", f"'{reg}' is titrated to a lab target; allowed: the averaged mode with the "
                                    "compiled engine")
    model, y0, trouble = start_state(patient, reg)
    provenance = {"package": "hpgsim", "version": __version__, "patient": patient.name, "age": patient.age,
                  "bmi": patient.bmi, "overrides": dict(patient.overrides), "regimen": str(reg), "days": days,
                  "mode": mode, "engine": engine if mode == "averaged" else "scipy", "seed": seed, "history": [list(h) for h in patient.history],
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
        if reg.titrated:
            obs, failed_at, conc, history = _titrated_run(model, y0[:model.n_phys, None], y0[model.n_phys:], t_out,
                                                          reg, names=[patient.name])
            if np.isfinite(failed_at[0]):
                return Result("failed", f"non-finite state at hour {failed_at[0]:g}", pd.DataFrame(), provenance,
                              history)
            frame = pd.DataFrame({"day": t_out / 24.0, **{k: obs[i, :, 0] for i, k in enumerate(phys.OBS)},
                                  **{f"conc_{d}": v[:, 0] for d, v in conc.items()}})
            return Result("ok", "ok", frame, provenance, history)
        jumps = model.jumps(reg, float(t_out[-1]))
        if engine == "compiled":
            run = _engine(model, y0[:model.n_phys, None], y0[model.n_phys:], 0.0, t_out, jumps)
            if np.isfinite(run.failed_at[0]):
                return Result("failed", f"non-finite state at hour {run.failed_at[0]:g}", pd.DataFrame(), provenance)
            frame = pd.DataFrame({"day": t_out / 24.0, **{k: run.obs[i, :, 0] for i, k in enumerate(phys.OBS)},
                                  **{f"conc_{d}": v for d, v in run.conc.items()}})
            return Result("ok", "ok", frame, provenance)
        t_grid = np.concatenate([[0.0], t_out])
        res = integrate(model.rhs(False), y0, t_grid, jumps)
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


# ---------------------------------------------------------------------------- titration to a lab target


@dataclass
class _Lane:
    """Men who have had the same doses so far: they share the drug state ``u`` (PK is shared)."""

    members: np.ndarray  # indices into the men of the run
    x: np.ndarray  # (n_phys, m)
    u: np.ndarray  # (n_u,)
    levels: tuple[int, ...]  # current rung of each titrated prescription
    schedules: tuple[tuple[tuple[float, int], ...], ...]  # (from hour, rung) of each titrated prescription


def _titrated_run(model: _Model, x0: np.ndarray, u0: np.ndarray, t_out: np.ndarray, reg: Regimen, *,
                  dt_max: float = DT_MAX_H, names: Sequence[str] | None = None, first: int = 0):
    """Run men whose regimen is titrated to a lab target: segment by segment between checks.

    At every check (08:00, before the morning dose) each man's observable, as the engine samples it
    for a lab, moves him along his prescription's ladder; men who have had the same doses so far
    run together (they share the drug state), so a cohort splits into lanes as its men's doses part.
    Returns observables (n_obs, n_out, n) in phys.OBS order, failure hours (n,), drug
    concentrations {drug: (n_out, n)} and the dose history (a long table, one row per man, drug
    and check; ``patient`` counts from ``first``).
    """
    n = x0.shape[1]
    t_out = np.asarray(t_out, dtype=float)
    t_end = float(t_out[-1])
    titrated = [p for p in reg.prescriptions if p.titration is not None]
    fixed = Regimen(prescriptions=tuple(p for p in reg.prescriptions if p.titration is None))
    fixed_jumps = model.jumps(fixed, t_end)
    checks = sorted({h for p in titrated for h in p.check_times(t_end)})
    edges = [0.0, *checks, t_end]  # every check is before the end
    obs = np.full((len(phys.OBS), len(t_out), n), np.nan)
    failed_at = np.full(n, np.nan)
    conc = {m.drug: np.zeros((len(t_out), n)) for m in model.pk}
    starts = tuple(p.titration.levels.index(p.start_level) for p in titrated)
    lanes = [_Lane(np.arange(n), np.array(x0, dtype=float), np.array(u0, dtype=float), starts,
                   tuple(((0.0, s),) for s in starts))]
    rows = [(first + i, k, 0.0, math.nan, starts[k]) for i in range(n) for k in range(len(titrated))]
    for a, b in zip(edges[:-1], edges[1:]):
        pick = np.nonzero(((t_out > a) | ((t_out == a) & (a == 0.0))) & (t_out <= b))[0]
        seg_t = np.unique(np.concatenate([t_out[pick], [b]]))
        at = {float(t): j for j, t in enumerate(seg_t)}
        is_check = b in checks
        next_lanes = []
        for lane in lanes:
            mask = np.zeros(n, dtype=bool)
            mask[lane.members] = True
            sub = _sub_model(model, mask, n) if len(lane.members) < n else model
            jumps = list(fixed_jumps)
            for p, schedule in zip(titrated, lane.schedules):
                jumps += model.event_jumps(p.titrated_events(schedule, b))
            run = _engine(sub, lane.x, lane.u, a, seg_t, jumps, dt_max=dt_max, t_end=b)
            cols = [at[float(t)] for t in t_out[pick]]
            obs[:, pick[:, None], lane.members[None, :]] = run.obs[:, cols, :]
            for d, v in run.conc.items():
                conc[d][pick[:, None], lane.members[None, :]] = np.asarray(v)[cols][:, None]
            bad = np.isfinite(run.failed_at) & ~np.isfinite(failed_at[lane.members])
            failed_at[lane.members[bad]] = run.failed_at[bad]
            if not is_check:
                continue
            j = at[float(b)]
            new = np.empty((len(titrated), len(lane.members)), dtype=int)
            for k, p in enumerate(titrated):
                values = run.obs[phys.OBS.index(p.titration.observable), j, :]
                due = b in p.check_times(t_end)
                new[k] = [p.next_level(lane.levels[k], float(v)) if due else lane.levels[k] for v in values]
                if due:
                    rows += [(first + int(i), k, b, float(v), int(lv)) for i, v, lv in zip(lane.members, values, new[k])]
            for key in sorted({tuple(int(v) for v in c) for c in new.T}):
                sel = np.all(new.T == np.array(key), axis=1)
                schedules = tuple(s if key[k] == lane.levels[k] else (*s, (b, key[k]))
                                  for k, s in enumerate(lane.schedules))
                next_lanes.append(_Lane(lane.members[sel], run.x_end[:, sel], np.array(run.u_end, copy=True), key,
                                        schedules))
        if is_check:
            lanes = next_lanes
    history = _dose_history(titrated, rows, names, first)
    return obs, failed_at, conc, history


def _dose_history(titrated, rows, names, first: int = 0) -> pd.DataFrame:
    """The long dose-history table of a titrated run (see :attr:`CohortResult.dose_history`); ``names`` are
    the run's men, the first of whom is ``patient`` number ``first``."""
    out = []
    for patient, k, hour, value, level in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        p = titrated[k]
        info, lv = p.info, p.titration.levels[level]
        out.append({"patient": patient, "name": None if names is None else names[patient - first],
                    "drug": p.drug, "day": (hour - SAMPLE_HOUR) / 24.0 if hour else 0.0,
                    "observable": p.titration.observable, "value": value, "level": level, "amount": lv.amount,
                    "unit": info.dose_unit, "frequency": str(lv.frequency),
                    "dose": f"{lv.amount:g} {info.dose_unit} {lv.frequency}"})
    return pd.DataFrame(out, columns=["patient", "name", "drug", "day", "observable", "value", "level", "amount", "unit",
                                      "frequency", "dose"])


def dose_shares(history: pd.DataFrame | None, day: float, ok: Sequence[bool] | np.ndarray | None = None) -> list[dict]:
    """The share of the men on each dose of each titrated drug on ``day``, from a dose history.

    ``ok``: a mask over the men (patient index) of those counted (e.g. the simulations that
    succeeded). Rows: drug, dose, level (rung of the ladder, lowest 0), amount, frequency, n (men)
    and share (of the men counted), in the order of the drug and then the rung; empty without a
    titration."""
    if history is None or history.empty:
        return []
    at = doses_at(history, day).merge(history[["drug", "dose", "level"]].drop_duplicates(), on=["drug", "dose"])
    if ok is not None:
        keep = np.asarray(ok, dtype=bool)
        at = at[at["patient"].map(lambda i: bool(keep[int(i)]))]
    out = []
    for drug, men in at.groupby("drug", sort=False):
        total = men["patient"].nunique()
        for (level, dose), g in men.groupby(["level", "dose"], sort=True):
            out.append({"drug": str(drug), "dose": str(dose), "level": int(level), "amount": float(g["amount"].iloc[0]),
                        "frequency": str(g["frequency"].iloc[0]), "n": int(g["patient"].nunique()),
                        "share": float(g["patient"].nunique() / total)})
    return out


def dose_shares_text(shares: Sequence[Mapping], of: str = "men") -> str:
    """Rows of :func:`dose_shares` as one line: ``clomiphene: 25 mg every other day 40%, 50 mg ... 60% of the men``."""
    parts: dict[str, list[str]] = {}
    for r in shares:
        parts.setdefault(r["drug"], []).append(f"{r['dose']} {100.0 * r['share']:.0f}%")
    return "; ".join(f"{drug}: {', '.join(x)}" for drug, x in parts.items()) + (f" of the {of}" if parts else "")


def doses_at(history: pd.DataFrame, day: float) -> pd.DataFrame:
    """Each man's dose of each titrated drug on ``day`` (from a dose history): columns patient, drug, dose,
    amount, frequency, from the last check on or before ``day``."""
    h = history[history["day"] <= day].sort_values(["patient", "drug", "day"])
    return h.groupby(["patient", "drug"], as_index=False).last()[["patient", "drug", "dose", "amount", "frequency"]]


# ---------------------------------------------------------------------------- cohorts


@dataclass(frozen=True, slots=True)
class CohortResult:
    """Many men under one regimen: per-patient status and the observables at the sample days.

    ``values[name]`` is an array (n_days, n_patients) (float32: 10^5 men x 366 days x the 14
    canonical observables take about 2 GB); :meth:`to_frame` gives the long table.
    """

    status: np.ndarray  # (n,) "ok" or "failed"
    message: tuple[str, ...]
    days: np.ndarray  # (n_days,)
    values: Mapping[str, np.ndarray]
    names: tuple[str, ...]
    conc: Mapping[str, np.ndarray] = field(default_factory=dict)  # conc_<drug> -> (n_days,), (n_days, n) if titrated
    provenance: Mapping[str, object] = field(default_factory=dict)
    dose_history: pd.DataFrame | None = None  # titrated regimens: each man's dose at the start and at every check

    def doses_at(self, day: float) -> pd.DataFrame:
        """Each man's dose of each titrated drug on ``day`` (empty without titration)."""
        if self.dose_history is None:
            return pd.DataFrame(columns=["patient", "drug", "dose", "amount", "frequency"])
        return doses_at(self.dose_history, day)

    @property
    def n_ok(self) -> int:
        return int(np.sum(self.status == "ok"))

    def to_frame(self) -> pd.DataFrame:
        """Long table: ``patient``, ``name``, ``day``, the requested observables and ``conc_<drug>``."""
        n_out, n = len(self.days), len(self.names)
        cols: dict[str, object] = {"patient": np.tile(np.arange(n), n_out), "name": np.tile(np.asarray(self.names), n_out),
                                   "day": np.repeat(self.days, n)}
        for k, v in self.values.items():
            cols[k] = v.reshape(-1)
        for d, v in self.conc.items():
            cols[f"conc_{d}"] = np.asarray(v).reshape(-1) if np.ndim(v) == 2 else np.repeat(v, n)
        return pd.DataFrame(cols)


def _cohort_constants(patients: Sequence[Patient]) -> tuple[phys.Constants, dict]:
    """The parameter table with each man's overrides: an array over men where they differ, a number where not."""
    p: dict[str, object] = parameters.values()
    varied = sorted({k for pt in patients for k in pt.overrides})
    for k in varied:
        default = p[k]
        vals = np.fromiter((pt.overrides.get(k, default) for pt in patients), dtype=float, count=len(patients))
        p[k] = float(vals[0]) if np.all(vals == vals[0]) else vals
    age = np.array([pt.age for pt in patients], dtype=float)
    bmi = np.array([pt.bmi for pt in patients], dtype=float)
    return constants(p, age=age, bmi=bmi), p


def simulate_cohort(patients: Sequence[Patient], regimen: Regimen | str | Sequence[str] | None = None, *,
                    days: float, sample_days: Sequence[float] | None = None, dt_max: float = DT_MAX_H,
                    observables: Sequence[str] | None = None, progress: bool = False,
                    chunk: int = 8192) -> CohortResult:
    """Simulate many men together (averaged mode) on the compiled engine.

    Every man starts at his own untreated steady state, goes through the treatment history the
    cohort shares (if any), and then all take ``regimen``.  Samples are at 08:00 of each day in
    ``sample_days`` (default: every day 0..days); ``observables`` keeps only those canonical
    observables (default: all).  Men are run in chunks of ``chunk`` (memory), each chunk in
    parallel over the machine's cores.  A man whose integration fails is reported in
    ``status``/``message``; the others are unaffected, and adding men never changes the others.
    """
    patients = list(patients)
    if not patients:
        raise InputError("patients", "an empty cohort; allowed: one or more patients")
    histories = {tuple(pt.history) for pt in patients}
    if len(histories) > 1:
        raise InputError("history", "the men of a cohort have different treatment histories; allowed: one shared "
                                    "history (or none)")
    days = check_days(days)
    keep = list(phys.OBS) if observables is None else list(observables)
    for k in keep:
        if k not in phys.OBS:
            raise InputError("observables", f"unknown observable '{k}'; allowed: {', '.join(phys.OBS)}")
    if sample_days is None:
        sample_days = np.arange(0, int(math.floor(days)) + 1)
    sample_days = np.asarray(sorted(set(float(d) for d in sample_days)), dtype=float)
    if sample_days.size == 0 or sample_days.min() < 0 or sample_days.max() > days:
        raise InputError("sample_days", f"allowed: days between 0 and {days:g}")
    reg = _as_regimen(regimen)
    history = _history(patients[0])
    n = len(patients)
    c, p = _cohort_constants(patients)
    drugs = set(reg.drugs) | {d for h, _, _ in history for d in h.drugs}
    model = _assemble(c, p, sorted(drugs))
    t_out = sample_days * 24.0 + SAMPLE_HOUR
    jumps = [] if reg.titrated else model.jumps(reg, float(t_out[-1]))
    rows = [phys.OBS.index(k) for k in keep]
    block = np.empty((len(keep), len(t_out), n), dtype=np.float32)  # the kernel writes each chunk's men into it
    values = {k: block[j] for j, k in enumerate(keep)}
    status = np.full(n, "ok", dtype=object)
    messages = ["ok"] * n
    per_patient_pd = any(np.ndim(v) > 0 for k, v in p.items() if k not in parameters.names(patient=True))
    if per_patient_pd:  # drug effects differ by man: keep the chunk's effect table near 200 MB
        n_steps = max(1, int(t_out[-1] / dt_max) + 2 * len(jumps))
        chunk = max(16, min(chunk, int(2e8 / (n_steps * 3 * len(phys.EFFECTS) * 8))))
    conc: dict = {}
    histories = []
    bar = _Bar(n, progress)
    try:
        for lo in range(0, n, chunk):
            sel = np.zeros(n, dtype=bool)
            sel[lo:lo + chunk] = True
            sub = _sub_model(model, sel, n) if n > chunk else model
            m = int(sel.sum())
            x0, u0, ok0, trouble = _history_state(sub, history, m)
            if reg.titrated:
                obs, failed_at, tconc, dose_history = _titrated_run(
                    sub, x0, u0, t_out, reg, dt_max=dt_max, names=[pt.name for pt in patients[lo:lo + m]], first=lo)
                block[:, :, lo:lo + m] = obs[rows]
                histories.append(dose_history)
                for d, v in tconc.items():
                    conc.setdefault(d, np.zeros((len(t_out), n)))[:, lo:lo + m] = v
            else:
                run = _engine(sub, x0, u0, 0.0, t_out, jumps, dt_max=dt_max, out=block, col0=lo, rows=rows)
                conc, failed_at = run.conc, run.failed_at
            for i in range(m):
                if not ok0[i]:
                    status[lo + i], messages[lo + i] = "failed", trouble
                    for k in keep:
                        values[k][:, lo + i] = np.nan
                elif np.isfinite(failed_at[i]):
                    status[lo + i], messages[lo + i] = "failed", f"non-finite state at hour {failed_at[i]:g}"
            bar.advance(m)
    finally:
        bar.stop()
    provenance = {"package": "hpgsim", "version": __version__, "n": n, "regimen": str(reg), "days": days,
                  "mode": "averaged", "history": [list(h) for h in patients[0].history],
                  "engine": f"compiled ETDRK4 + exact PK, dt <= {dt_max:g} h"}
    dose_history = pd.concat(histories, ignore_index=True) if histories else None
    return CohortResult(status=np.asarray(status, dtype=str), message=tuple(messages), days=sample_days,
                        values=values, names=tuple(pt.name for pt in patients), conc=conc, provenance=provenance,
                        dose_history=dose_history)


class _Bar:
    """A rich progress bar over men done, with the time left (silent when not wanted)."""

    def __init__(self, total: int, show: bool):
        self.bar = None
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("men"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self.bar.start()
            self.task = self.bar.add_task("cohort", total=total)

    def advance(self, k: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, k)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
