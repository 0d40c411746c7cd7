"""Virtual trials: a trial spec simulated on a matched cohort and scored against its published endpoints.

One cohort per trial: virtual men around the spec's phenotype (``eugonadal`` if it names none),
at its age and BMI, matched to its published baseline with
:func:`hpgsim.population.match_baseline` where it gives one (else
:func:`hpgsim.population.virtual_population`). A run-in is a treatment history the men share,
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
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.population import BASELINE_PARAMETER, match_baseline, virtual_population
from hpgsim.regimen import Regimen
from hpgsim.simulate import OBSERVABLES, CohortResult, simulate_cohort
from hpgsim.trials.spec import (
    CHANGE_KINDS,
    LEVEL_KINDS,
    OBSERVABLE_UNITS,
    SAMPLE_CLOCK_HOUR,
    TIME_KINDS,
    Arm,
    Endpoint,
    TrialSpec,
    convert,
)

__all__ = [
    "Progress",
    "EndpointResult",
    "Score",
    "TrialResult",
    "ValidationReport",
    "run_trial",
    "run_trials",
    "build_cohort",
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

GROUPS = ("fitted", "not_fitted", "unlisted")
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

    @property
    def id(self) -> str:
        return self.spec.id

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


def build_cohort(spec: TrialSpec, *, n_men: int = 60, seed: int = 0) -> list[Patient]:
    """The trial's virtual men: its phenotype, age and BMI, run-in as shared history, matched to
    the published baseline observables that a cohort can be matched on."""
    pop = spec.population
    base = phenotype(pop.phenotype or "eugonadal")
    if spec.run_in is not None:
        w = spec.run_in.weeks
        past = tuple((text, start - w, stop - w) for text, start, stop in base.history)
        base = replace(base, history=(*past, ("; ".join(spec.run_in.regimen), -w, 0.0)))
    target = {k: float(spec.baseline(k, OBSERVABLE_UNITS[k][0]) or 0.0)
              for k in pop.baseline if k in BASELINE_PARAMETER}
    if target:
        return list(match_baseline(target, n=n_men, seed=seed, base=base, age=pop.age_years, bmi=pop.bmi).men)
    return virtual_population(n_men, seed=seed, base=base, age=pop.age_years, bmi=pop.bmi)


def treatment(arm: Arm) -> Regimen:
    """The arm's regimen with its doses limited to the arm's treatment weeks."""
    reg = arm.prescriptions
    if not reg.events(arm.dose_until_h):
        return Regimen()
    return Regimen.from_nonmem(reg.to_nonmem(until_h=arm.dose_until_h))


def _last_day(arm: Arm) -> int:
    return math.floor((arm.end_h - SAMPLE_CLOCK_HOUR) / 24.0 + 1e-9)


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
    """Refuse what the spec model cannot see: a sample before the arm's first one (08:00, day 0)."""
    for i, arm in enumerate(spec.arms):
        for j, e in enumerate(arm.endpoints):
            if e.sample_h is not None and sample_day(e) < 0:
                raise InputError(f"{spec.source}: arms[{i}].endpoints[{j}].clock_hour",
                                 f"{e.clock_hour:g} on day 0 is before the arm's first sample (08:00 of day 0); "
                                 f"allowed: {SAMPLE_CLOCK_HOUR:g} to 24 on day 0")


def run_trial(spec: TrialSpec, *, n_men: int = 60, seed: int = 0, progress: Progress | None = None,
              curves: bool = False) -> TrialResult:
    """Simulate every arm of ``spec`` on one matched cohort and compare each endpoint with its
    published value. ``curves`` also samples the arms of a multi-time-point trial on a regular grid
    of days (for plots)."""
    check_spec(spec)
    t0 = time.perf_counter()
    men = build_cohort(spec, n_men=n_men, seed=seed)
    curves = curves and bool(curve_groups(spec))
    baseline_obs = [k for k in spec.population.baseline if k in OBSERVABLES]
    cohorts: dict[str, CohortResult] = {}
    results: list[EndpointResult] = []
    n_failed = 0
    for i, arm in enumerate(spec.arms):
        wanted = [e.observable for e in arm.endpoints] + (baseline_obs if i == 0 else [])
        observables = [k for k in dict.fromkeys(wanted) if k in OBSERVABLES]
        samples = _arm_samples(arm, curves)
        res = simulate_cohort(men, treatment(arm), days=max(samples[-1], 1.0), sample_days=samples,
                              observables=observables)
        cohorts[arm.name] = res
        n_failed += len(res.status) - res.n_ok
        results += [_score_endpoint(spec, arm, j, e, res) for j, e in enumerate(arm.endpoints)]
        if progress is not None:
            progress(spec.id, arm.name)
    baseline = {}
    first = cohorts[spec.arms[0].name]
    for k, q in spec.population.baseline.items():
        unit = q.unit or "-"
        predicted = None
        if k in first.values:
            predicted = level(first.values[k][_row(first.days, 0.0)], "mean")
            predicted = None if predicted is None else predicted * convert(k, 1.0, OBSERVABLE_UNITS[k][0], unit)
        baseline[k] = (q.value, predicted, unit)
    return TrialResult(spec=spec, endpoints=tuple(results), baseline=baseline, cohorts=cohorts, n_men=len(men),
                       n_failed=n_failed, seconds=time.perf_counter() - t0)


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


def run_trials(specs: Iterable[TrialSpec], *, n_men: int = 60, seed: int = 0, progress: Progress | None = None,
               fitting: Mapping[str, Sequence[str]] | None = None, curves: bool = False,
               on_trial: Callable[[TrialResult], None] | None = None) -> ValidationReport:
    """Run every trial (same ``n_men`` and ``seed`` for each) and score them together; ``fitting``
    (study id -> parameters fitted to it, :func:`hpgsim.trials.load_fitting`) splits the score into
    studies used for fitting and not. ``on_trial`` is called after each trial."""
    specs = list(specs)
    for spec in specs:
        check_spec(spec)
    t0 = time.perf_counter()
    trials = []
    for spec in specs:
        trials.append(run_trial(spec, n_men=n_men, seed=seed, progress=progress, curves=curves))
        if on_trial is not None:
            on_trial(trials[-1])
    fit = {k: tuple(v) for k, v in (fitting or {}).items()}
    return ValidationReport(trials=tuple(trials), fitting=fit, n_men=n_men, seed=seed,
                            seconds=time.perf_counter() - t0)
