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
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from hpgsim import parameters
from hpgsim.calibrate import DETECTION_FLOOR, lab_sd, map_fit
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
# parameters given a between-man spread after the others: each man draws their normal deviates after his age and BMI
# deviates, so that adding one leaves every other draw of every man (and the library's cohorts) as it was
DRAWN_LATE: tuple[str, ...] = ("gonadotroph_reserve",)
_EARLY = tuple(n for n in VARIED if n not in DRAWN_LATE)
_LATE = tuple(n for n in DRAWN_LATE if n in VARIED)
# spreads drawn only in men without a GnRH drive (typical gnrh_drive 0, congenital HH): in the other men the spread
# of gnrh_drive, taken from the between-man spread of LH pulse amplitude, already carries that of the pituitary's
# response to their own GnRH, so drawing it again would count it twice
SPREAD_WITHOUT_DRIVE: tuple[str, ...] = ("gonadotroph_reserve",)
_DRAW_SLOT = np.array([_EARLY.index(n) if n in _EARLY else len(_EARLY) + 2 + _LATE.index(n) for n in VARIED], dtype=int)
# the typical values a published baseline observable brings into the joint fit (the matcher fits the union for a
# target): a hormone the axis's five per-man capacities; a sperm count only the germ cells' own efficiency (the total
# counts also semen volume and motility), so a count alone never moves the axis, and a count the model cannot reach
# is left at that bound (Matched.at_bound) instead of being explained by the axis or by the androgen requirement of
# spermatogenesis (sperm_itt_k), each of which overshoots the treated count: fitted to STOCKS_REBOOT's
# 2.2 M/mL two weeks off testosterone, a typical sperm_itt_k of 0.038 (0.29x the population's) lets its men recover
# to 28 M/mL on hCG + FSH (published 16.8), the axis (SHBG production 3.1, aromatase 0.5) to 53 M/mL; SHAH2021_TAU's
# sperm_itt_k 0.2 -> 0.41 doubled its anastrozole response in total motile count (25.7 M, published 17.7; its phenotype's
# value is now 0.16)
_AXIS = ("gnrh_drive", "leydig_capacity", "aromatase_activity", "shbg_production", "sertoli_capacity")
_SPERM = ("spermatogenic_efficiency",)
BASELINE_PARAMETER: Mapping[str, tuple[str, ...]] = {
    "total_testosterone": _AXIS,
    "lh": _AXIS,
    "estradiol": _AXIS,
    "sperm_concentration": _SPERM,
    "shbg": _AXIS,
    "free_testosterone": _AXIS,
    "fsh": _AXIS,
    "inhibin_b": _AXIS,
    "total_motile_count": (*_SPERM, "semen_volume", "motility_fraction"),
    "total_sperm_count": (*_SPERM, "semen_volume"),
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
    sig = {k: math.sqrt(math.log1p(base.spreads.get(k, parameters.get(k).cv) ** 2)) for k in VARIED}
    if typ["gnrh_drive"] > 0.0:
        sig.update({k: 0.0 for k in SPREAD_WITHOUT_DRIVE if k in sig})
    chol = _cholesky(correlations)
    a0 = base.age if age is None else float(age)
    b0 = base.bmi if bmi is None else float(bmi)
    for what, v, (lo, hi), unit in (("age", a0, AGE_RANGE, "years"), ("bmi", b0, BMI_RANGE, "kg/m2")):
        if not lo <= v <= hi:
            raise InputError(what, f"{v:g} is outside the allowed range {lo:g}-{hi:g} {unit}")
    for what, v in (("age_sd", age_sd), ("bmi_sd", bmi_sd)):
        if not float(v) >= 0.0:
            raise InputError(what, f"{v!r} is not allowed; allowed: a spread >= 0")
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
        zp = chol @ z[_DRAW_SLOT]  # the parameters' deviates in VARIED order (see DRAWN_LATE)
        over = dict(fixed)
        for j, k in enumerate(VARIED):
            over[k] = parameters.clip(k, typ[k] * math.exp(sig[k] * zp[j]))
        a = float(min(max(a0 + age_sd * z[len(_EARLY)], a_lo), a_hi))
        b = float(min(max(b0 + bmi_sd * z[len(_EARLY) + 1], b_lo), b_hi))
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
    # the standard error (log space) of each published mean that the fit weighed it by
    sd: Mapping[str, float] = field(default_factory=dict)
    drawn: int = 0  # men drawn (the pool screened; ``len(men)`` without a screen)
    enrolled: tuple[int, ...] = ()  # with a screen: the positions of ``men`` among the men drawn
    status: str = "ok"  # the fit's: "ok", "warning" (the optimiser stopped early) or "failed" (typical = the prior)
    message: str = "ok"

    @property
    def worst_relative_error(self) -> float:
        return max((abs(self.achieved[k] / v - 1.0) for k, v in self.target.items() if v), default=0.0)

    @property
    def at_bound(self) -> tuple[str, ...]:
        """The typical values that ended at a bound of the table (a sign the model cannot explain the baseline)."""
        out = []
        for k, v in self.typical.items():
            p = parameters.get(k)
            lo = max(p.lower or 0.0, 1e-4)
            if v <= lo * 1.001 or (p.upper is not None and v >= p.upper * 0.999):
                out.append(k)
        return tuple(out)


def match_baseline(target: Mapping[str, float], *, n: int = 200, seed: int = 0, base: Patient | str = "eugonadal",
                   age: float | None = None, bmi: float | None = None, age_sd: float = 0.0,
                   bmi_sd: float = 0.0, n_published: int = 1,
                   screen: Callable[[Sequence[Patient]], np.ndarray] | None = None, pool: int | None = None) -> Matched:
    """The typical values that bring the cohort's mean baseline to ``target``: a maximum a posteriori fit.

    ``target`` maps canonical observables to published baseline means (canonical units).  The
    typical values of every parameter the targets depend on (:data:`BASELINE_PARAMETER`) are
    fitted jointly, in log space, by :func:`hpgsim.calibrate.map_fit` (the machinery that fits one
    man's twin):

    * prior: each typical value log-normal around the base man's (his phenotype's) with the
      between-man SD of the table's ``cv`` (a selected cohort's typical man is a man of the
      population), so the baseline moves the parameters it identifies and leaves the others;
    * likelihood: the log of each published mean normal around the log of the cohort's simulated
      mean, with the standard error of a mean of ``n_published`` men: the SD of the virtual men's
      log values at the prior (between-man spread) and the lab's within-subject SD
      (``lab_cv_*``) together, over the square root of ``n_published``.

    The baseline is simulated after the base man's treatment history (a run-in).  The same men,
    i.e. the same random draws, are used throughout.  :attr:`Matched.at_bound` names typical values that end at a bound.

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
    if not isinstance(n_published, int) or n_published < 1:
        raise InputError("n_published", f"{n_published!r} is not allowed; allowed: a whole number of men >= 1")
    names = list(dict.fromkeys(p for k in obs for p in BASELINE_PARAMETER[k]))
    lo = np.log([max(parameters.get(k).lower or 1e-4, 1e-4) for k in names])
    hi = np.log([parameters.get(k).upper for k in names])
    mu0 = np.log(np.maximum([base.overrides.get(k, parameters.get(k).value) for k in names], 1e-4))
    mu0 = np.clip(mu0, lo + 1e-6, hi - 1e-6)
    psd = np.array([math.sqrt(math.log1p(base.spreads.get(k, parameters.get(k).cv) ** 2)) for k in names])
    floor = np.array([DETECTION_FLOOR[k] for k in obs])
    goal = np.array([target[k] for k in obs], dtype=float)
    drawn = n if screen is None or pool is None else max(int(pool), 1)

    def men_at(x, tag=""):
        return virtual_population(drawn, seed=seed, base=base, typical=dict(zip(names, np.exp(x))), age=age, bmi=bmi,
                                  age_sd=age_sd, bmi_sd=bmi_sd, name=f"man{tag}")

    def enrolled(mask: np.ndarray) -> np.ndarray:
        """Positions of the men the cohort keeps: the first ``n`` who pass (the whole pool if none does)."""
        kept = np.flatnonzero(mask)[:n]
        return kept if kept.size else np.arange(mask.size)

    def values(xs):
        """(cohorts, men, observables) of the enrolled men at each typical-value vector (NaN past a cohort's men)."""
        cohorts = [men_at(x, f"{i}-") for i, x in enumerate(xs)]
        if screen is None:
            picks = [np.arange(drawn)] * len(xs)
        else:
            mask = np.asarray(screen([m for c in cohorts for m in c]), dtype=bool).reshape(len(xs), drawn)
            picks = [enrolled(row) for row in mask]
        vals = baseline([c[j] for c, pick in zip(cohorts, picks) for j in pick], obs)
        out = np.full((len(xs), max(len(pick) for pick in picks), len(obs)), np.nan)
        start = 0
        for i, pick in enumerate(picks):
            for j, k in enumerate(obs):
                out[i, :len(pick), j] = vals[k][start:start + len(pick)]
            start += len(pick)
        return out

    def model(xs):
        with warnings.catch_warnings():  # a cohort none of whose men could be simulated: NaN, reported by the fit
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.log(np.maximum(np.nanmean(values(xs), axis=1), 0.0) + floor)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        between = np.nan_to_num(np.nanstd(np.log(np.maximum(values(mu0[None, :])[0], 0.0) + floor), axis=0))
    sd = np.sqrt(between ** 2 + np.array([lab_sd(k) for k in obs]) ** 2) / math.sqrt(n_published)
    fit = map_fit(model, np.log(np.maximum(goal, 0.0) + floor), sd, mu0, psd, lo, hi, max_nfev=60, xtol=1e-6,
                  ftol=1e-8)
    got = np.exp(fit.pred) - floor
    men = men_at(fit.theta)
    kept: tuple[int, ...] = ()
    if screen is not None:
        kept = tuple(int(i) for i in np.flatnonzero(np.asarray(screen(men), dtype=bool))[:n])
        men = [men[i] for i in kept]
    return Matched(typical=dict(zip(names, np.exp(fit.theta).tolist())), men=tuple(men),
                   target=dict(zip(obs, goal.tolist())), achieved=dict(zip(obs, got.tolist())),
                   sd=dict(zip(obs, sd.tolist())), drawn=drawn, enrolled=kept, status=fit.status, message=fit.message)
