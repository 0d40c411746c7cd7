"""Virtual populations: between-patient variability on the parameter table, and cohorts matched to a baseline.

A virtual man's per-patient parameters are log-normal around the population's typical values
(median = typical value, CV from the table's ``cv`` column; bounds of the table respected).  Each
man has his own random stream (``SeedSequence(seed).spawn``), so adding men never changes the
others.  Covariates (age, BMI) are drawn per man when a spread is given and carried on each
:class:`~hpgsim.patient.Patient`.

This is between-patient variability; the uncertainty of one man's fitted twin is parameter
uncertainty (:mod:`hpgsim.calibrate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from hpgsim import parameters
from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.simulate import simulate_cohort

__all__ = ["VARIED", "virtual_population", "baseline", "match_baseline", "Matched", "BASELINE_PARAMETER"]

# a man's allowed covariates (those of :class:`~hpgsim.patient.Patient` and of a trial spec's population)
AGE_RANGE: tuple[float, float] = (12.0, 100.0)
BMI_RANGE: tuple[float, float] = (14.0, 70.0)
# the usual adult ranges that drawn covariates are clipped to (a cohort's own mean is never moved)
DRAWN_AGE: tuple[float, float] = (18.0, 90.0)
DRAWN_BMI: tuple[float, float] = (16.0, 60.0)
VARIED: tuple[str, ...] = tuple(n for n in parameters.names(patient=True) if parameters.get(n).cv)
# which typical value a published baseline observable sets (the one the observable depends on most directly)
BASELINE_PARAMETER: Mapping[str, str] = {
    "total_testosterone": "leydig_capacity",
    "lh": "gnrh_drive",
    "estradiol": "aromatase_activity",
    "sperm_concentration": "spermatogenic_efficiency",
    "shbg": "shbg_production",
    "free_testosterone": "shbg_production",
    "fsh": "sertoli_capacity",
    "inhibin_b": "sertoli_capacity",
    "total_motile_count": "motility_fraction",
    "total_sperm_count": "semen_volume",
}


def _cholesky(correlations: Mapping[tuple[str, str], float] | None) -> np.ndarray:
    """Lower Cholesky factor of the correlation matrix of the log-parameters of :data:`VARIED`."""
    c = np.eye(len(VARIED))
    for (a, b), r in (correlations or {}).items():
        if a not in VARIED or b not in VARIED or a == b:
            raise InputError("correlations", f"'{a}'/'{b}' is not a pair of varied parameters; allowed: two of "
                                             f"{', '.join(VARIED)}")
        if not -1.0 < float(r) < 1.0:
            raise InputError("correlations", f"{r} for '{a}'/'{b}' is not allowed; allowed: -1 < r < 1")
        i, j = VARIED.index(a), VARIED.index(b)
        c[i, j] = c[j, i] = float(r)
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise InputError("correlations", "the correlations do not form a valid correlation matrix; allowed: a "
                                         "positive-definite set") from None


def virtual_population(n: int, *, seed: int = 0, base: Patient | str = "eugonadal",
                       typical: Mapping[str, float] | None = None, age: float | None = None, age_sd: float = 0.0,
                       bmi: float | None = None, bmi_sd: float = 0.0, name: str = "man",
                       correlations: Mapping[tuple[str, str], float] | None = None) -> list[Patient]:
    """``n`` virtual men around ``base`` (a phenotype or a patient) with typical values ``typical``.

    Age and BMI default to the base man's; with ``age_sd``/``bmi_sd`` they are drawn per man
    (normal, clipped to :data:`DRAWN_AGE` and :data:`DRAWN_BMI`, or to the allowed
    :data:`AGE_RANGE` and :data:`BMI_RANGE` on the side where the cohort's own age or BMI lies
    outside them, so that a cohort of adolescents keeps its mean).  The treatment history of
    ``base`` is shared.
    ``correlations`` correlates the log-parameters of pairs of varied parameters (e.g.
    ``{("leydig_capacity", "sertoli_capacity"): 0.5}``); by default they are independent, as the
    parameter table gives no sourced correlation between them.
    """
    if not isinstance(n, int) or n < 1:
        raise InputError("n", f"{n!r} is not allowed; allowed: a whole number of men >= 1")
    base = phenotype(base) if isinstance(base, str) else base
    typ = {k: base.overrides.get(k, parameters.get(k).value) for k in VARIED}
    allowed = parameters.names(patient=True)
    fixed = {k: v for k, v in base.overrides.items() if k not in typ}
    for k, v in (typical or {}).items():
        if k not in allowed:
            raise InputError("typical", f"'{k}' is not a per-patient parameter; allowed: {', '.join(allowed)}")
        if k in typ:
            typ[k] = float(v)
        else:  # a per-patient parameter without between-patient variability: the same for every man
            fixed[k] = parameters.clip(k, float(v))
    sig = {k: math.sqrt(math.log1p(parameters.get(k).cv ** 2)) for k in VARIED}
    chol = _cholesky(correlations)
    a0 = base.age if age is None else float(age)
    b0 = base.bmi if bmi is None else float(bmi)
    for field, v, (lo, hi), unit in (("age", a0, AGE_RANGE, "years"), ("bmi", b0, BMI_RANGE, "kg/m2")):
        if not lo <= v <= hi:
            raise InputError(field, f"{v:g} is outside the allowed range {lo:g}-{hi:g} {unit}")
    for field, v in (("age_sd", age_sd), ("bmi_sd", bmi_sd)):
        if not float(v) >= 0.0:
            raise InputError(field, f"{v!r} is not allowed; allowed: a spread >= 0")
    # draws stay within the usual adult ranges, or within the allowed ones on the side where the cohort's mean lies
    # outside them (a cohort of adolescents keeps its mean)
    a_lo = DRAWN_AGE[0] if a0 >= DRAWN_AGE[0] else AGE_RANGE[0]
    a_hi = DRAWN_AGE[1] if a0 <= DRAWN_AGE[1] else AGE_RANGE[1]
    b_lo = DRAWN_BMI[0] if b0 >= DRAWN_BMI[0] else BMI_RANGE[0]
    b_hi = DRAWN_BMI[1] if b0 <= DRAWN_BMI[1] else BMI_RANGE[1]
    men = []
    for i, ss in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(ss)
        z = rng.standard_normal(len(VARIED) + 2)
        z[:len(VARIED)] = chol @ z[:len(VARIED)]
        over = dict(fixed)
        for j, k in enumerate(VARIED):
            over[k] = parameters.clip(k, typ[k] * math.exp(sig[k] * z[j]))
        a = float(min(max(a0 + age_sd * z[-2], a_lo), a_hi))
        b = float(min(max(b0 + bmi_sd * z[-1], b_lo), b_hi))
        men.append(Patient(name=f"{name}{i}", age=a, bmi=b, overrides=over, history=base.history))
    return men


def baseline(men: Sequence[Patient], observables: Sequence[str]) -> dict[str, np.ndarray]:
    """Each man's morning (08:00) values of ``observables`` at the start (after any shared history)."""
    res = simulate_cohort(men, None, days=1, sample_days=[0], observables=list(observables))
    return {k: np.asarray(v[0], dtype=float) for k, v in res.values.items()}


@dataclass(frozen=True, slots=True)
class Matched:
    """A cohort built to match a published baseline: its typical values, men and achieved means."""

    typical: Mapping[str, float]
    men: tuple[Patient, ...]
    target: Mapping[str, float]
    achieved: Mapping[str, float]
    drawn: int = 0  # men drawn (the pool screened; ``len(men)`` without a screen)
    enrolled: tuple[int, ...] = ()  # with a screen: the positions of ``men`` among the men drawn

    @property
    def worst_relative_error(self) -> float:
        return max((abs(self.achieved[k] / v - 1.0) for k, v in self.target.items() if v), default=0.0)


def match_baseline(target: Mapping[str, float], *, n: int = 200, seed: int = 0, base: Patient | str = "eugonadal",
                   age: float | None = None, bmi: float | None = None, age_sd: float = 0.0,
                   bmi_sd: float = 0.0, screen: Callable[[Sequence[Patient]], np.ndarray] | None = None,
                   pool: int | None = None) -> Matched:
    """Calibrate the typical values so that the cohort's mean baseline equals ``target``.

    ``target`` maps canonical observables to published baseline means (canonical units).  Each
    observable moves the typical value of :data:`BASELINE_PARAMETER`; the fit is a least-squares
    problem in log space over those values (the same men, i.e. the same random draws, throughout).

    ``screen`` (a trial's inclusion criteria: men -> mask of those who meet them) matches the
    enrolled men instead: ``pool`` men (default ``n``) are drawn at each trial of the typical
    values, and the mean is that of the first ``n`` who pass the screen (all who pass, if fewer;
    the whole pool if none does). ``men`` are then those who passed, at most ``n``.
    """
    base = phenotype(base) if isinstance(base, str) else base
    obs = [k for k in target if k in BASELINE_PARAMETER]
    unknown = [k for k in target if k not in BASELINE_PARAMETER]
    if unknown:
        raise InputError("baseline", f"cannot match '{unknown[0]}'; allowed: {', '.join(BASELINE_PARAMETER)}")
    names = list(dict.fromkeys(BASELINE_PARAMETER[k] for k in obs))
    start = {k: base.overrides.get(k, parameters.get(k).value) for k in names}
    x0 = np.log(np.maximum([start[k] for k in names], 1e-3))
    lo = np.log([max(parameters.get(k).lower or 1e-4, 1e-4) for k in names])
    hi = np.log([parameters.get(k).upper for k in names])
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    goal = np.array([target[k] for k in obs], dtype=float)
    drawn = n if screen is None or pool is None else max(int(pool), 1)

    def men_at(x):
        return virtual_population(drawn, seed=seed, base=base, typical=dict(zip(names, np.exp(x))), age=age,
                                  bmi=bmi, age_sd=age_sd, bmi_sd=bmi_sd)

    def enrolled(men) -> np.ndarray:
        """Indices of the men the cohort keeps (all of them without a screen)."""
        if screen is None:
            return np.arange(len(men))
        kept = np.flatnonzero(np.asarray(screen(men), dtype=bool))[:n]
        return kept if kept.size else np.arange(len(men))

    def means(x):
        men = men_at(x)
        idx = enrolled(men)
        vals = baseline([men[i] for i in idx], obs)
        return np.array([np.nanmean(vals[k]) for k in obs])

    def resid(x):
        return np.log(np.maximum(means(x), 1e-9)) - np.log(np.maximum(goal, 1e-9))

    sol = least_squares(resid, x0, bounds=(lo, hi), diff_step=1e-3, xtol=1e-6, ftol=1e-8, max_nfev=60)
    men = men_at(sol.x)
    kept: tuple[int, ...] = ()
    if screen is not None:
        kept = tuple(int(i) for i in np.flatnonzero(np.asarray(screen(men), dtype=bool))[:n])
        men = [men[i] for i in kept]
    got = means(sol.x)
    return Matched(typical=dict(zip(names, np.exp(sol.x).tolist())), men=tuple(men),
                   target=dict(zip(obs, goal.tolist())), achieved=dict(zip(obs, got.tolist())), drawn=drawn,
                   enrolled=kept)
