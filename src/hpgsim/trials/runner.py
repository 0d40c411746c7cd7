"""Virtual trials: a trial spec simulated on a matched cohort and scored against its published endpoints.

One cohort per trial: virtual men around the spec's phenotype (``eugonadal`` if it names none),
at its age and BMI, matched to its published baseline with
:func:`hpgsim.population.match_baseline` where it gives one (else
:func:`hpgsim.population.virtual_population`). Where the spec gives inclusion criteria
(``population.inclusion``), men are screened on them (:func:`enrol`, :func:`screen`: the 08:00
reading the endpoints read, before the run-in or at its end) until the cohort has its men, and the
matching is done on the enrolled men; the share screened in is reported. A run-in is a treatment history the men share,
ending at the arm's week 0. Every arm then starts from the same men: doses during its ``weeks``,
follow-up without doses, 08:00 samples on exactly the days its endpoints need.

The endpoint kinds (``shared/validation/FORMAT.md``), on the men whose simulation succeeded:

- ``mean``, ``median``: of the observable at the endpoint's sample time;
- ``percent_change``, ``fold_change``: the mean over men of each man's change from (ratio to)
  his own value at week 0, 08:00;
- ``fraction_below``, ``fraction_at_least``: share of men ``< threshold`` / ``>= threshold``;
- ``median_weeks_to_below``, ``median_weeks_to_at_least``: Kaplan-Meier median of the time from
  ``after_week`` to the first daily sample at which a man is below / at least the threshold; a
  man who never crosses is censored at the last day simulated, and the median is None (not
  reached) when fewer than half cross.

The direction of change is checked where an endpoint implies one: the sign of a percent change,
a fold change against 1, and a mean or median after week 0 against the published baseline of
its observable (predicted: the same statistic of the cohort at week 0).

Where the arms are simulated is a :class:`Simulator`'s business: each arm is an :class:`ArmJob`
(regimen, horizon, sample days, observables) run on the trial's men by the pure function
:func:`simulate_job`. :class:`LocalSimulator` runs it in this process (optionally by chunks of
men); :class:`hpgsim.trials.distributed.DaskSimulator` runs chunks of men on a Dask cluster. The
engine simulates every man independently of the others, so results concatenated in order are
bit-identical to one batch (tests/test_distributed.py checks it), and the endpoints are computed
here, on the whole cohort, whatever simulated it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.population import BASELINE_PARAMETER, baseline, match_baseline, virtual_population
from hpgsim.regimen import Regimen
from hpgsim.simulate import OBSERVABLES, CohortResult, simulate_cohort
from hpgsim.trials.spec import (
    CHANGE_KINDS,
    LEVEL_KINDS,
    OBSERVABLE_UNITS,
    SAMPLE_CLOCK_HOUR,
    SCREENING_TIMES,
    TIME_KINDS,
    Arm,
    Endpoint,
    TrialSpec,
    convert,
)

__all__ = [
    "VALIDATION_N_MEN",
    "Progress",
    "EndpointResult",
    "Score",
    "TrialResult",
    "ValidationReport",
    "run_trial",
    "run_trials",
    "build_cohort",
    "Cohort",
    "enrol",
    "screen",
    "MIN_SCREEN_SHARE",
    "cohort_base",
    "baseline_target",
    "ArmJob",
    "plan_arms",
    "simulate_job",
    "concat_results",
    "table_overrides",
    "Pending",
    "Simulator",
    "LocalSimulator",
    "chunks",
    "treatment",
    "predict",
    "level",
    "change",
    "fraction",
    "crossing_weeks",
    "km_median",
    "median_time",
    "direction",
    "sample_day",
    "unit_factor",
    "curve_groups",
    "check_spec",
]

Progress = Callable[[str, str], None]
"""Called with (trial id, arm name) when an arm has been simulated."""
ArmDone = Callable[[int], None]
"""Called with an arm's position in the job list when its cohort is complete."""
MenDone = Callable[[int], None]
"""Called with a number of men whose simulation (of one job) has just finished."""

GROUPS = ("fitted", "not_fitted", "unlisted")
VALIDATION_N_MEN = 200  # virtual men per trial: enough that tail shares and medians of times do not hang on the seed
CURVE_POINTS = 120  # at most this many extra sample times per arm when curves are wanted


class CohortLike(Protocol):
    """What the endpoint functions read: sample days (08:00, from the arm's start) and values
    ``(n_days, n_men)`` in each observable's canonical unit."""

    days: np.ndarray
    values: Mapping[str, np.ndarray]


# --------------------------------------------------------------------------------------------
# endpoint functions
# --------------------------------------------------------------------------------------------


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def level(x: np.ndarray, kind: str) -> float | None:
    """Mean or median of the men's values (non-finite ones left out); None for no men."""
    x = _finite(x)
    if not x.size:
        return None
    return float(np.mean(x) if kind == "mean" else np.median(x))


def change(x: np.ndarray, x0: np.ndarray, kind: str) -> float | None:
    """Mean over men of each man's ratio to his baseline ``x0`` (fold), or that ratio as a % change.

    Men without a finite, positive baseline are left out; None when none is left.
    """
    x, x0 = np.asarray(x, dtype=float), np.asarray(x0, dtype=float)
    ok = np.isfinite(x) & np.isfinite(x0) & (x0 > 0)
    if not ok.any():
        return None
    ratio = float(np.mean(x[ok] / x0[ok]))
    return 100.0 * (ratio - 1.0) if kind == "percent_change" else ratio


def fraction(x: np.ndarray, threshold: float, kind: str) -> float | None:
    """Share of men below (``fraction_below``) or at least (``fraction_at_least``) ``threshold``."""
    x = _finite(x)
    if not x.size:
        return None
    hit = x < threshold if kind == "fraction_below" else x >= threshold
    return float(np.mean(hit))


def crossing_weeks(days: np.ndarray, x: np.ndarray, threshold: float, kind: str,
                   after_day: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Per man, weeks from ``after_day`` to the first sample (on or after it) that crosses, and
    whether he crossed; a man who never does is censored at the last sample.

    ``x`` is ``(n_days, n_men)`` on ``days``; men without a finite value at the first sample are
    left out.
    """
    days = np.asarray(days, dtype=float)
    x = np.asarray(x, dtype=float)
    rows = days >= after_day - 1e-9
    d, v = days[rows], x[rows]
    if not d.size:
        return np.zeros(0), np.zeros(0, dtype=bool)
    with np.errstate(invalid="ignore"):
        hit = v < threshold if kind == "median_weeks_to_below" else v >= threshold
    crossed = hit.any(axis=0)
    t = np.where(crossed, d[hit.argmax(axis=0)], d[-1]) - after_day
    valid = np.isfinite(v[0])
    return t[valid] / 7.0, crossed[valid]


def km_median(times: np.ndarray, events: np.ndarray) -> float | None:
    """Kaplan-Meier median: the first event time at which survival falls to 0.5 or below (None if never)."""
    times = np.asarray(times, dtype=float)
    events = np.asarray(events, dtype=bool)
    survival = 1.0
    for t in np.unique(times[events]):
        at_risk = int(np.sum(times >= t))
        survival *= 1.0 - np.sum(events & (times == t)) / at_risk
        if survival <= 0.5 + 1e-12:
            return float(t)
    return None


def median_time(days: np.ndarray, x: np.ndarray, threshold: float, kind: str, after_day: float = 0.0) -> float | None:
    """Median weeks from ``after_day`` until the cohort crosses ``threshold`` (censored Kaplan-Meier)."""
    t, crossed = crossing_weeks(days, x, threshold, kind, after_day)
    return km_median(t, crossed) if t.size else None


def sample_day(endpoint: Endpoint) -> float:
    """The endpoint's sample time in days after 08:00 of the arm's day 0 (the cohort's sample axis)."""
    if endpoint.sample_h is None:
        raise InputError("endpoint", f"kind '{endpoint.kind}' has no sample time")
    return (endpoint.sample_h - SAMPLE_CLOCK_HOUR) / 24.0


def _row(days: np.ndarray, day: float) -> int:
    hits = np.flatnonzero(np.isclose(np.asarray(days, dtype=float), day, rtol=0.0, atol=1e-6))
    if not hits.size:
        raise InputError("days", f"no sample on day {day:g}; the cohort was not sampled there")
    return int(hits[0])


def unit_factor(endpoint: Endpoint, unit: str | None = None) -> float:
    """Canonical unit -> ``unit`` (default: the endpoint's; 1 for the change kinds)."""
    obs = endpoint.observable
    unit = unit or (None if endpoint.kind in CHANGE_KINDS else endpoint.unit)
    if unit is None or unit not in OBSERVABLE_UNITS[obs]:
        return 1.0
    return convert(obs, 1.0, OBSERVABLE_UNITS[obs][0], unit)


def predict(endpoint: Endpoint, cohort: CohortLike) -> float | None:
    """The endpoint's value on a simulated cohort, in the endpoint's own unit (None: not computable)."""
    obs, kind = endpoint.observable, endpoint.kind
    if obs not in cohort.values:
        return None
    days = np.asarray(cohort.days, dtype=float)
    x = np.asarray(cohort.values[obs], dtype=float) * unit_factor(endpoint)
    if kind in TIME_KINDS:
        assert endpoint.threshold is not None and endpoint.after_h is not None
        return median_time(days, x, endpoint.threshold, kind, endpoint.after_h / 24.0)
    now = x[_row(days, sample_day(endpoint))]
    if kind in LEVEL_KINDS:
        return level(now, kind)
    if kind in CHANGE_KINDS:
        return change(now, x[_row(days, 0.0)], kind)
    assert endpoint.threshold is not None
    return fraction(now, endpoint.threshold, kind)


def direction(endpoint: Endpoint, predicted: float | None, baseline_published: float | None = None,
              baseline_predicted: float | None = None) -> bool | None:
    """Whether the predicted change from baseline has the published sign; None where the endpoint
    implies no direction (fractions, times, levels without a published baseline or at baseline)."""
    kind, value = endpoint.kind, endpoint.value
    if kind == "percent_change":
        published, predicted_change = value, predicted
    elif kind == "fold_change":
        published, predicted_change = value - 1.0, None if predicted is None else predicted - 1.0
    elif (kind in LEVEL_KINDS and baseline_published is not None and endpoint.sample_h is not None
          and endpoint.sample_h > SAMPLE_CLOCK_HOUR):
        published = value - baseline_published
        predicted_change = None if predicted is None or baseline_predicted is None else predicted - baseline_predicted
    else:
        return None
    if published == 0:
        return None
    if predicted_change is None or not math.isfinite(predicted_change):
        return False
    return bool(np.sign(predicted_change) == np.sign(published))


# --------------------------------------------------------------------------------------------
# results and scores
# --------------------------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(f"{x:.6g}")


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """One endpoint: published vs predicted (endpoint's unit), baselines, pass and direction."""

    trial: str
    arm: str
    index: int
    endpoint: Endpoint
    predicted: float | None
    baseline_published: float | None
    baseline_predicted: float | None
    passed: bool
    direction: bool | None  # None: no direction implied
    note: str = ""  # why there is no prediction, if there is none

    def to_dict(self) -> dict[str, Any]:
        """The endpoint as FORMAT.md's JSON document lists it (plus band, direction and note)."""
        e = self.endpoint
        lo, hi = e.band()
        return {"trial": self.trial, "arm": self.arm, "observable": e.observable, "kind": e.kind, "week": e.week,
                "threshold": e.threshold, "unit": e.unit, "published": e.value, "predicted": _num(self.predicted),
                "baseline_published": _num(self.baseline_published),
                "baseline_predicted": _num(self.baseline_predicted), "tolerance": e.tolerance_label,
                "passed": self.passed, "after_week": e.after_week, "clock_hour": e.clock_hour,
                "band": [_num(lo), _num(hi)], "direction_right": self.direction, "note": self.note or None}


@dataclass(frozen=True, slots=True)
class Score:
    """Counts of endpoints passed and directions right."""

    endpoints: int = 0
    passed: int = 0
    direction_checked: int = 0
    direction_right: int = 0

    @classmethod
    def of(cls, results: Iterable[EndpointResult]) -> Score:
        rs = list(results)
        checked = [r for r in rs if r.direction is not None]
        return cls(len(rs), sum(r.passed for r in rs), len(checked), sum(bool(r.direction) for r in checked))

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.endpoints if self.endpoints else None

    @property
    def direction_rate(self) -> float | None:
        return self.direction_right / self.direction_checked if self.direction_checked else None

    def to_dict(self) -> dict[str, int]:
        return {"endpoints": self.endpoints, "passed": self.passed, "direction_checked": self.direction_checked,
                "direction_right": self.direction_right}


@dataclass(frozen=True)
class TrialResult:
    """A simulated trial: its endpoints, the cohort's baseline and each arm's cohort result."""

    spec: TrialSpec
    endpoints: tuple[EndpointResult, ...]
    baseline: Mapping[str, tuple[float, float | None, str]]  # observable -> (published, predicted, unit)
    cohorts: Mapping[str, CohortResult]  # arm name -> simulated cohort
    n_men: int
    n_failed: int  # men whose simulation failed, summed over arms
    seconds: float
    screened: int | None = None  # virtual men screened to enrol n_men (None: as many as enrolled)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def screened_in(self) -> float:
        """The share of screened virtual men who met the inclusion criteria (1 without criteria)."""
        return screened_share(self.n_men, self.screened)

    @property
    def score(self) -> Score:
        return Score.of(self.endpoints)


def _group(trial_id: str, fitting: Mapping[str, Sequence[str]]) -> str:
    if trial_id not in fitting:
        return "unlisted"
    return "fitted" if fitting[trial_id] else "not_fitted"


@dataclass(frozen=True)
class ValidationReport:
    """Several trials with the overall score and the scores of the studies used for fitting and not."""

    trials: tuple[TrialResult, ...]
    fitting: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    n_men: int = 0
    seed: int = 0
    seconds: float = 0.0

    @property
    def endpoints(self) -> list[EndpointResult]:
        return [r for t in self.trials for r in t.endpoints]

    @property
    def summary(self) -> Score:
        return Score.of(self.endpoints)

    def group(self, trial_id: str) -> str:
        """``fitted``, ``not_fitted`` or ``unlisted`` (not in the fitting map)."""
        return _group(trial_id, self.fitting)

    @property
    def groups(self) -> dict[str, Score]:
        """Score per group; ``unlisted`` only when some trial is not in the fitting map."""
        out = {g: Score.of(r for t in self.trials if self.group(t.id) == g for r in t.endpoints) for g in GROUPS}
        if not out["unlisted"].endpoints:
            del out["unlisted"]
        return out

    def to_dict(self) -> dict[str, Any]:
        """FORMAT.md's JSON document, with per-trial and per-group scores and the cohorts' baselines."""
        trials = [{"trial": t.id, "group": self.group(t.id), **t.score.to_dict(), "n_men": t.n_men,
                   "screened": t.screened or t.n_men, "screened_in": _num(t.screened_in),
                   "inclusion": [c.label for c in t.spec.population.inclusion],
                   "failed": t.n_failed, "seconds": round(t.seconds, 2),
                   "baseline": {k: {"published": _num(p), "predicted": _num(q), "unit": u}
                                for k, (p, q, u) in t.baseline.items()}}
                  for t in self.trials]
        return {"summary": self.summary.to_dict(), "endpoints": [r.to_dict() for r in self.endpoints],
                "trials": trials, "groups": {g: s.to_dict() for g, s in self.groups.items()},
                "n_men": self.n_men, "seed": self.seed, "seconds": round(self.seconds, 2)}


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------


def cohort_base(spec: TrialSpec) -> Patient:
    """The trial's base man: its phenotype (``eugonadal`` if it names none), with the run-in
    appended to his treatment history so that it ends at the arms' week 0."""
    pop = spec.population
    base = phenotype(pop.phenotype or "eugonadal")
    if spec.run_in is not None:
        w = spec.run_in.weeks
        past = tuple((text, start - w, stop - w) for text, start, stop in base.history)
        base = replace(base, history=(*past, ("; ".join(spec.run_in.regimen), -w, 0.0)))
    return base


def baseline_target(spec: TrialSpec) -> dict[str, float]:
    """The published baseline means a cohort can be matched on, in canonical units."""
    return {k: float(spec.baseline(k, OBSERVABLE_UNITS[k][0]) or 0.0)
            for k in spec.population.baseline if k in BASELINE_PARAMETER}


MIN_SCREEN_SHARE = 0.05
"""The fewest share of screened virtual men that must meet a trial's inclusion criteria: at most
``n / MIN_SCREEN_SHARE`` men are screened for a cohort of ``n`` (design choice: bounds the cost of
screening at 20 times the cohort; criteria that almost nobody in the phenotype meets point to a
wrong phenotype, unit or threshold rather than to a rare subgroup worth simulating)."""


@dataclass(frozen=True)
class Cohort:
    """A trial's enrolled men and how many virtual men were screened to find them (``screened``
    equals ``len(men)`` for a trial without inclusion criteria), and the typical values matched to
    the published baseline (empty where the spec gives none)."""

    men: list[Patient]
    screened: int
    typical: Mapping[str, float] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """The share of screened men who were enrolled."""
        return screened_share(len(self.men), self.screened)


def screened_share(enrolled: int, screened: int | None) -> float:
    """The share of screened virtual men enrolled (1 where nobody was screened out: ``screened`` None or 0)."""
    return enrolled / screened if screened else 1.0


def _pre_run_in(spec: TrialSpec) -> tuple[tuple[str, float, float], ...]:
    """The men's treatment history at screening (before the run-in): the phenotype's own."""
    return phenotype(spec.population.phenotype or "eugonadal").history


def screen(spec: TrialSpec, men: Sequence[Patient]) -> np.ndarray:
    """Which of ``men`` meet every inclusion criterion of ``spec`` (a boolean mask).

    A reading is the man's 08:00 value as the endpoints read it (the simulated observable,
    converted to the criterion's unit): at ``screening`` from his history before the run-in (week 0
    where there is no run-in), at ``end_of_run_in`` at the arms' week 0. A man whose reading is not
    finite (failed simulation) does not pass."""
    men = list(men)
    keep = np.ones(len(men), dtype=bool)
    criteria = spec.population.inclusion
    if not criteria or not men:
        return keep
    for at in SCREENING_TIMES:
        chosen = [c for c in criteria if c.at == at]
        if not chosen:
            continue
        who = men
        if at == "screening" and spec.run_in is not None:
            pre = _pre_run_in(spec)
            who = [replace(m, history=pre) for m in men]
        values = baseline(who, list(dict.fromkeys(c.observable for c in chosen)))
        for c in chosen:
            factor = convert(c.observable, 1.0, OBSERVABLE_UNITS[c.observable][0], c.unit or "-")
            keep &= c.passes(values[c.observable] * factor)
    return keep


def _enrol_rounds(spec: TrialSpec, draw: Callable[[int], list[Patient]], n: int) -> Cohort:
    """Screen the men of ``draw`` (the first m men of one virtual population) in rounds until ``n``
    pass; ``screened`` counts the men up to the n-th who passed."""
    cap = math.ceil(n / MIN_SCREEN_SHARE)
    kept: list[int] = []
    men: list[Patient] = []
    screened = 0
    while len(kept) < n:
        if screened >= cap:
            share = len(kept) / screened
            labels = "; ".join(c.label for c in spec.population.inclusion)
            raise InputError(f"{spec.source}: population.inclusion",
                             f"only {len(kept)} of {screened} virtual men screened ({share:.1%}) met the criteria "
                             f"({labels}), {n} needed; allowed: criteria that at least {MIN_SCREEN_SHARE:.0%} of "
                             "the trial's virtual population meets (check threshold, unit, time and phenotype)")
        need = n - len(kept)
        rate = max(len(kept) / screened, MIN_SCREEN_SHARE) if screened else 1.0
        size = min(max(math.ceil(1.2 * need / rate) + 4, need), cap - screened)
        drawn = draw(screened + size)
        new = drawn[screened:]
        for i in np.flatnonzero(screen(spec, new)):
            kept.append(screened + int(i))
            men.append(new[int(i)])
        screened += size
    return Cohort(men=men[:n], screened=kept[n - 1] + 1)


def enrol(spec: TrialSpec, *, n_men: int = VALIDATION_N_MEN, seed: int = 0) -> Cohort:
    """The trial's enrolled virtual men: its phenotype, age and BMI, run-in as shared history,
    screened by the inclusion criteria and matched to the published baseline.

    Without criteria this is the matched (or plain) virtual population of ``n_men``. With criteria,
    men are drawn from one virtual population in order (man i is the same man whatever the pool)
    and screened until ``n_men`` pass (:func:`screen`; at most ``n_men / MIN_SCREEN_SHARE`` screened,
    else :class:`~hpgsim.errors.InputError` saying the share that passed). Where the spec gives a
    published baseline, the typical values are matched so that the *enrolled* men's mean equals it
    (the published baseline describes the men who met the criteria, not the men screened): the
    matching screens a pool sized from a first screening at the phenotype's values, and the cohort
    is then the first ``n_men`` who pass at the matched values. Deterministic for a seed; built
    here, in the client, whatever simulates the arms."""
    pop = spec.population
    base = cohort_base(spec)
    target = baseline_target(spec)
    if not pop.inclusion:
        if target:
            m = match_baseline(target, n=n_men, seed=seed, base=base, age=pop.age_years, bmi=pop.bmi,
                               n_published=pop.n)
            return Cohort(men=list(m.men), screened=len(m.men), typical=dict(m.typical))
        men = virtual_population(n_men, seed=seed, base=base, age=pop.age_years, bmi=pop.bmi)
        return Cohort(men=men, screened=len(men))

    def draw_at(typical: Mapping[str, float] | None) -> Callable[[int], list[Patient]]:
        return lambda m: virtual_population(m, seed=seed, base=base, typical=typical, age=pop.age_years, bmi=pop.bmi)

    first = _enrol_rounds(spec, draw_at(None), n_men)
    if not target:
        return first
    pool = min(math.ceil(1.25 * first.screened) + 4, math.ceil(n_men / MIN_SCREEN_SHARE))
    matched = match_baseline(target, n=n_men, seed=seed, base=base, age=pop.age_years, bmi=pop.bmi,
                             screen=lambda men: screen(spec, men), pool=pool, n_published=pop.n)
    if len(matched.men) == n_men:  # the pool held enough: the same men as screening them in rounds
        return Cohort(men=list(matched.men), screened=matched.enrolled[-1] + 1, typical=dict(matched.typical))
    return replace(_enrol_rounds(spec, draw_at(matched.typical), n_men), typical=dict(matched.typical))


def build_cohort(spec: TrialSpec, *, n_men: int = VALIDATION_N_MEN, seed: int = 0) -> list[Patient]:
    """The trial's virtual men: its phenotype, age and BMI, run-in as shared history, matched to
    the published baseline observables that a cohort can be matched on, and screened by the
    published inclusion criteria if the spec gives any (:func:`enrol`, which also says how many
    men were screened)."""
    return enrol(spec, n_men=n_men, seed=seed).men


def treatment(arm: Arm) -> Regimen:
    """The arm's regimen with its doses limited to the arm's treatment weeks.

    Untitrated prescriptions go through a dosing table cut at the arm's end; a prescription
    titrated to a lab target keeps its text and ends on the day its last dose would fall before
    the arm's end."""
    reg = arm.prescriptions
    fixed = Regimen(prescriptions=tuple(p for p in reg.prescriptions if p.titration is None))
    titrated = tuple(q for p in reg.prescriptions if p.titration is not None
                     if (q := _ended(p, arm.dose_until_h)) is not None)
    cut = () if not fixed.events(arm.dose_until_h) else \
        Regimen.from_nonmem(fixed.to_nonmem(until_h=arm.dose_until_h)).prescriptions
    return Regimen(prescriptions=(*cut, *titrated))


def _ended(p, until_h: float):
    """Titrated prescription ``p`` ending before ``until_h`` (None if it would not start)."""
    step = p.steps[0]
    end_day = math.ceil((until_h - step.clock_h) / 24.0 - 1e-9)  # the first day whose dose is not before until_h
    if step.days is not None:
        end_day = min(end_day, p.start_day + step.days)
    if end_day <= p.start_day:
        return None
    return replace(p, steps=(replace(step, days=end_day - p.start_day),))


def _last_day(arm: Arm) -> int:
    return math.floor((arm.end_h - SAMPLE_CLOCK_HOUR) / 24.0 + 1e-9)


def arm_curve(res, obs: str, unit: str, family: str, threshold: float | None):
    """One arm's simulated curve for an endpoint family, in the endpoint's unit, for the figures.

    Returns ``(weeks, share, None)`` for the fraction families (share of men below / at least the
    threshold at each sample) and ``(weeks, None, (q05, q50, q95))`` for the others (percent and
    fold changes are taken against each man's first sample).
    """
    weeks = np.asarray(res.days, dtype=float) / 7.0
    x = np.asarray(res.values[obs], dtype=float) * unit_factor(unit)
    with np.errstate(invalid="ignore", divide="ignore"):
        if family in ("percent_change", "fold_change"):
            x = x / x[0]
            x = 100.0 * (x - 1.0) if family == "percent_change" else x
        if family in ("fraction_below", "fraction_at_least"):
            ok = np.isfinite(x)
            hit = (x < threshold) if family == "fraction_below" else (x >= threshold)
            return weeks, (hit & ok).sum(axis=1) / np.maximum(ok.sum(axis=1), 1), None
        return weeks, None, tuple(np.nanpercentile(x, [5, 50, 95], axis=1))


def curve_groups(spec: TrialSpec) -> dict[tuple[str, str, float | None], list[tuple[str, Endpoint]]]:
    """Endpoints followed over time: (observable, kind, threshold) -> [(arm, endpoint)], for every
    key that some arm samples at two or more weeks (mean and median share one key), and
    (observable, ``"time"``, None) for the median times to a threshold."""
    family = {"median": "mean"}
    groups: dict[tuple[str, str, float | None], list[tuple[str, Endpoint]]] = {}
    for arm in spec.arms:
        for e in arm.endpoints:
            key = (e.observable, "time", None) if e.kind in TIME_KINDS else (
                e.observable, family.get(e.kind, e.kind), e.threshold)
            groups.setdefault(key, []).append((arm.name, e))
    out = {}
    for key, items in groups.items():
        days: dict[str, set[float]] = {}
        for arm_name, e in items:
            days.setdefault(arm_name, set()).add(-1.0 if e.kind in TIME_KINDS else sample_day(e))
        if key[1] == "time" or any(len(d) > 1 for d in days.values()):
            out[key] = items
    return out


def _arm_samples(arm: Arm, curves: bool) -> list[float]:
    days = {0.0}
    for e in arm.endpoints:
        if e.kind in TIME_KINDS:
            assert e.after_h is not None
            days.update(float(d) for d in range(math.ceil(e.after_h / 24.0 - 1e-9), _last_day(arm) + 1))
        else:
            days.add(sample_day(e))
    if curves:  # whole days over long arms, every 3 h over short ones
        last = _last_day(arm)
        grid = np.linspace(0, last, min(8 * last + 1, CURVE_POINTS))
        days.update(float(d) for d in np.unique(np.round(grid) if last >= CURVE_POINTS else np.round(grid * 8) / 8))
    return sorted(days)


def check_spec(spec: TrialSpec) -> None:
    """Refuse what the spec model cannot see: a sample before the arm's first one (08:00, day 0),
    an inclusion criterion on an observable the engine does not simulate."""
    for i, c in enumerate(spec.population.inclusion):
        if c.observable not in OBSERVABLES:
            raise InputError(f"{spec.source}: population.inclusion[{i}].observable",
                             f"'{c.observable}' is not simulated, so men cannot be screened on it; allowed: "
                             f"{', '.join(k for k in OBSERVABLE_UNITS if k in OBSERVABLES)}")
    for i, arm in enumerate(spec.arms):
        for j, e in enumerate(arm.endpoints):
            if e.sample_h is not None and sample_day(e) < 0:
                raise InputError(f"{spec.source}: arms[{i}].endpoints[{j}].clock_hour",
                                 f"{e.clock_hour:g} on day 0 is before the arm's first sample (08:00 of day 0); "
                                 f"allowed: {SAMPLE_CLOCK_HOUR:g} to 24 on day 0")


# --------------------------------------------------------------------------------------------
# simulating arms: jobs, the pure function, and where it runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmJob:
    """One arm to simulate on a cohort: its regimen (doses already limited to the arm), the
    horizon in days, the 08:00 sample days and the observables kept. ``table`` gives parameters of
    the table that are not per-patient other values, shared by every man of the batch (sensitivity
    analysis; empty for trials)."""

    regimen: Regimen
    days: float
    sample_days: tuple[float, ...]
    observables: tuple[str, ...]
    table: tuple[tuple[str, float], ...] = ()


@contextmanager
def table_overrides(values: Mapping[str, float]) -> Iterator[None]:
    """Within the block, :func:`hpgsim.parameters.values` gives ``values`` for these parameters.

    For parameters that are shared by all men (a drug's PK, the physiology's constants), which a
    :class:`~hpgsim.patient.Patient` cannot override. Process-wide while it lasts: used one batch at
    a time (in this process or in a worker's task), never around concurrent simulations.
    """
    if not values:
        yield
        return
    from hpgsim import parameters

    patient = set(parameters.names(patient=True))
    for k in values:
        if k not in parameters.TABLE or k in patient:
            raise InputError("table", f"'{k}' is not a shared parameter of the table; per-patient parameters are "
                                      "set on the men")
    original = parameters.values

    def values_with_overrides() -> dict[str, float]:
        out = original()
        out.update(values)
        return out

    parameters.values = values_with_overrides
    try:
        yield
    finally:
        parameters.values = original


def simulate_job(men: Sequence[Patient], job: ArmJob) -> CohortResult:
    """Simulate one arm on ``men`` (a whole cohort or a chunk of it): a pure function of its inputs."""
    with table_overrides(dict(job.table)):
        return simulate_cohort(men, job.regimen, days=job.days, sample_days=list(job.sample_days),
                               observables=list(job.observables))


def concat_results(parts: Sequence[CohortResult]) -> CohortResult:
    """Cohort results of consecutive chunks of men (same job), as one result in the same order."""
    parts = list(parts)
    if not parts:
        raise InputError("parts", "no cohort results to join; allowed: one or more")
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    for part in parts[1:]:
        if not np.array_equal(part.days, first.days) or set(part.values) != set(first.values):
            raise InputError("parts", "chunks sampled on different days or observables; allowed: chunks of one job")
    values = {k: np.concatenate([p.values[k] for p in parts], axis=1) for k in first.values}
    names = tuple(n for p in parts for n in p.names)
    provenance = {**first.provenance, "n": len(names)}
    conc = first.conc  # shared by the men, or one column per man where the doses are titrated
    if any(np.ndim(v) == 2 for v in conc.values()):
        conc = {d: np.concatenate([p.conc[d] for p in parts], axis=1) for d in conc}
    histories, offset = [], 0
    for p in parts:
        if p.dose_history is not None:
            h = p.dose_history.copy()
            h["patient"] = h["patient"] + offset
            histories.append(h)
        offset += len(p.names)
    return CohortResult(status=np.concatenate([p.status for p in parts]),
                        message=tuple(m for p in parts for m in p.message), days=first.days, values=values,
                        names=names, conc=conc, provenance=provenance,
                        dose_history=pd.concat(histories, ignore_index=True) if histories else None)


class Pending(Protocol):
    """Arms submitted to a :class:`Simulator`, one cohort result per job when asked."""

    def done(self) -> bool:
        """Whether :meth:`result` would return without waiting."""

    def result(self, on_arm: ArmDone | None = None, on_men: MenDone | None = None) -> list[CohortResult]:
        """The cohort results in job order (waits, or simulates, as needed)."""


class Simulator(Protocol):
    """Where arms are simulated. ``lookahead``: how many trials :func:`run_trials` may have
    submitted and not yet collected (0: each trial is finished before the next is prepared)."""

    lookahead: int

    def submit(self, men: Sequence[Patient], jobs: Sequence[ArmJob]) -> Pending:
        """Start (or schedule) every job on the same men."""


def chunks(n: int, size: int | None) -> list[tuple[int, int]]:
    """``[lo, hi)`` bounds of consecutive chunks of at most ``size`` men (one chunk if None)."""
    if size is None or size >= n:
        return [(0, n)]
    if size < 1:
        raise InputError("chunk", f"{size} is not allowed; allowed: a whole number of men >= 1")
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


class _LocalPending:
    def __init__(self, men: Sequence[Patient], jobs: Sequence[ArmJob], chunk: int | None):
        self.men, self.jobs, self.chunk = list(men), list(jobs), chunk

    def done(self) -> bool:
        return False

    def result(self, on_arm: ArmDone | None = None, on_men: MenDone | None = None) -> list[CohortResult]:
        out = []
        for i, job in enumerate(self.jobs):
            parts = []
            for lo, hi in chunks(len(self.men), self.chunk):
                parts.append(simulate_job(self.men[lo:hi], job))
                if on_men is not None:
                    on_men(hi - lo)
            out.append(concat_results(parts))
            if on_arm is not None:
                on_arm(i)
        return out


@dataclass
class LocalSimulator:
    """Arms simulated in this process when their results are asked for; ``chunk`` men at a time
    (None: the whole cohort in one :func:`~hpgsim.simulate.simulate_cohort` call)."""

    chunk: int | None = None
    lookahead: int = 0

    def submit(self, men: Sequence[Patient], jobs: Sequence[ArmJob]) -> Pending:
        return _LocalPending(men, jobs, self.chunk)


def plan_arms(spec: TrialSpec, *, curves: bool = False) -> list[ArmJob]:
    """One job per arm: the arm's treatment, its sample days (endpoints, week 0, and a regular grid
    when ``curves``), and the observables its endpoints need (the first arm also the published
    baseline's)."""
    curves = curves and bool(curve_groups(spec))
    baseline_obs = [k for k in spec.population.baseline if k in OBSERVABLES]
    jobs = []
    for i, arm in enumerate(spec.arms):
        wanted = [e.observable for e in arm.endpoints] + (baseline_obs if i == 0 else [])
        observables = tuple(k for k in dict.fromkeys(wanted) if k in OBSERVABLES)
        samples = _arm_samples(arm, curves)
        jobs.append(ArmJob(regimen=treatment(arm), days=max(samples[-1], 1.0), sample_days=tuple(samples),
                           observables=observables))
    return jobs


def run_trial(spec: TrialSpec, *, n_men: int = VALIDATION_N_MEN, seed: int = 0, progress: Progress | None = None,
              curves: bool = False, simulator: Simulator | None = None) -> TrialResult:
    """Simulate every arm of ``spec`` on one matched cohort and compare each endpoint with its
    published value. ``curves`` also samples the arms of a multi-time-point trial on a regular grid
    of days (for plots); ``simulator`` says where the arms run (default: in this process)."""
    check_spec(spec)
    t0 = time.perf_counter()
    cohort = enrol(spec, n_men=n_men, seed=seed)
    pending = (simulator or LocalSimulator()).submit(cohort.men, plan_arms(spec, curves=curves))
    return _finish_trial(spec, cohort, pending, progress, t0)


def _finish_trial(spec: TrialSpec, cohort: Cohort, pending: Pending, progress: Progress | None,
                  t0: float) -> TrialResult:
    """Collect a trial's arms and score its endpoints."""
    def arm_done(i: int) -> None:
        if progress is not None:
            progress(spec.id, spec.arms[i].name)

    simulated = pending.result(on_arm=arm_done)
    cohorts: dict[str, CohortResult] = {}
    results: list[EndpointResult] = []
    n_failed = 0
    for arm, res in zip(spec.arms, simulated):
        cohorts[arm.name] = res
        n_failed += len(res.status) - res.n_ok
        results += [_score_endpoint(spec, arm, j, e, res) for j, e in enumerate(arm.endpoints)]
    baseline = {}
    first = cohorts[spec.arms[0].name]
    for k, q in spec.population.baseline.items():
        unit = q.unit or "-"
        predicted = None
        if k in first.values:
            predicted = level(first.values[k][_row(first.days, 0.0)], "mean")
            predicted = None if predicted is None else predicted * convert(k, 1.0, OBSERVABLE_UNITS[k][0], unit)
        baseline[k] = (q.value, predicted, unit)
    return TrialResult(spec=spec, endpoints=tuple(results), baseline=baseline, cohorts=cohorts,
                       n_men=len(cohort.men), n_failed=n_failed, seconds=time.perf_counter() - t0,
                       screened=cohort.screened)


def _score_endpoint(spec: TrialSpec, arm: Arm, index: int, e: Endpoint, res: CohortResult) -> EndpointResult:
    obs = e.observable
    predicted = predict(e, res)
    note = ""
    if obs not in res.values:
        note = "observable not simulated"
    elif predicted is None and e.kind in TIME_KINDS:
        note = f"median not reached by the end of follow-up (week {_last_day(arm) / 7:.3g})"
    elif predicted == 0.0 and e.kind in TIME_KINDS:
        note = f"most men already across the threshold at week {e.after_week or 0:g}"
    unit = e.unit if e.unit in OBSERVABLE_UNITS[obs] else None
    base_pub = spec.baseline(obs, unit)
    base_pred = base_stat = None
    if base_pub is not None and obs in res.values:
        q = spec.population.baseline[obs]
        x0 = np.asarray(res.values[obs][_row(res.days, 0.0)], dtype=float) * unit_factor(e, unit or q.unit)
        base_pred = level(x0, "mean")
        base_stat = level(x0, e.kind) if e.kind in LEVEL_KINDS else base_pred
    return EndpointResult(trial=spec.id, arm=arm.name, index=index, endpoint=e, predicted=predicted,
                          baseline_published=base_pub, baseline_predicted=base_pred, passed=e.passes(predicted),
                          direction=direction(e, predicted, base_pub, base_stat), note=note)


def run_trials(specs: Iterable[TrialSpec], *, n_men: int = VALIDATION_N_MEN, seed: int = 0, progress: Progress | None = None,
               fitting: Mapping[str, Sequence[str]] | None = None, curves: bool = False,
               on_trial: Callable[[TrialResult], None] | None = None,
               simulator: Simulator | None = None) -> ValidationReport:
    """Run every trial (same ``n_men`` and ``seed`` for each) and score them together; ``fitting``
    (study id -> parameters fitted to it, :func:`hpgsim.trials.load_fitting`) splits the score into
    studies used for fitting and not. ``on_trial`` is called after each trial, in spec order.

    Cohorts are built here, one trial after the other; a simulator with a ``lookahead`` (Dask)
    simulates the arms of earlier trials meanwhile. Results do not depend on the simulator."""
    specs = list(specs)
    for spec in specs:
        check_spec(spec)
    sim = simulator or LocalSimulator()
    t0 = time.perf_counter()
    trials: list[TrialResult] = []
    queue: deque[tuple[TrialSpec, Cohort, Pending, float]] = deque()

    def finish() -> None:
        spec, cohort, pending, started = queue.popleft()
        trials.append(_finish_trial(spec, cohort, pending, progress, started))
        if on_trial is not None:
            on_trial(trials[-1])

    for spec in specs:
        started = time.perf_counter()
        cohort = enrol(spec, n_men=n_men, seed=seed)
        queue.append((spec, cohort, sim.submit(cohort.men, plan_arms(spec, curves=curves)), started))
        while queue and (len(queue) > sim.lookahead or queue[0][2].done()):
            finish()
    while queue:
        finish()
    fit = {k: tuple(v) for k, v in (fitting or {}).items()}
    return ValidationReport(trials=tuple(trials), fitting=fit, n_men=n_men, seed=seed,
                            seconds=time.perf_counter() - t0)
