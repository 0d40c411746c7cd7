"""A user's own virtual trial (``hpgsim trial SPEC.yaml``): a study design, nothing published needed.

The spec is a trial spec (``shared/validation/FORMAT.md``) read as a design
(:func:`hpgsim.trials.spec.load_spec` with ``published=False``): no citation, no published values,
arms without endpoints are all allowed. The cohort is built exactly as the validation runner builds
it (:func:`hpgsim.trials.runner.enrol`: phenotype, age, BMI, matched to a baseline if the spec
gives one, run-in as shared history, screened by the spec's ``population.inclusion`` criteria if it
gives any; the share of screened men who met them is reported) and every arm starts from the same men.

What comes out, per arm:

- every canonical observable over time (08:00 samples on a regular grid of days): the median and
  the 90% band (5th-95th percentile) of the men whose simulation succeeded;
- responder fractions: the share of men at or above / below a threshold at a week. The criteria
  are the spec's ``fraction_at_least`` / ``fraction_below`` endpoints, plus
  :data:`DEFAULT_RESPONDERS` (each with its source) at the end of treatment and, if the arm has
  follow-up, at its end (or at the weeks given with ``--at-week``);
- the spec's other endpoints, predicted (with the published value beside it where there is one).

The virtual trial has as many men as the design's ``population.n`` unless ``n_men`` says otherwise.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from hpgsim.errors import InputError
from hpgsim.simulate import OBSERVABLES, CohortResult
from hpgsim.trials.runner import (
    ArmDone,
    ArmJob,
    MenDone,
    Simulator,
    LocalSimulator,
    _arm_samples,
    _last_day,
    check_spec,
    enrol,
    predict,
    sample_day,
    screened_share,
    treatment,
)
from hpgsim.trials.spec import FRACTION_KINDS, OBSERVABLE_UNITS, Arm, Endpoint, TrialSpec, convert

__all__ = ["Responder", "DEFAULT_RESPONDERS", "BAND", "ArmSummary", "ResponderResult", "EndpointPrediction",
           "DesignResult", "run_design", "grid_step"]

BAND = (5.0, 50.0, 95.0)
"""Percentiles of the band: 5th and 95th around the median (a 90% band of the virtual men)."""


class Responder(NamedTuple):
    """A responder criterion: the share of men ``>= threshold`` (``fraction_at_least``) or
    ``< threshold`` (``fraction_below``) of an observable, in ``unit``."""

    observable: str
    kind: str
    threshold: float
    unit: str
    label: str
    source: str


DEFAULT_RESPONDERS: tuple[Responder, ...] = (
    Responder("total_testosterone", "fraction_at_least", 300.0, "ng/dL", "total T >= 300 ng/dL",
              "AUA guideline: total T below 300 ng/dL is the cut-off supporting testosterone deficiency (Mulhall JP "
              "et al., Evaluation and management of testosterone deficiency: AUA guideline, J Urol 2018;200:423)"),
    Responder("sperm_concentration", "fraction_at_least", 16.0, "M/mL", "sperm >= 16 M/mL (WHO 2021)",
              "WHO laboratory manual, 6th ed. (2021): lower reference limit (5th centile of men whose partners "
              "conceived within 12 months), 16 M/mL (Campbell MJ et al., Andrology 2021;9:817)"),
    Responder("sperm_concentration", "fraction_at_least", 15.0, "M/mL", "sperm >= 15 M/mL (WHO 2010)",
              "WHO laboratory manual, 5th ed. (2010): lower reference limit 15 M/mL (Cooper TG et al., Hum Reprod "
              "Update 2010;16:231)"),
    Responder("sperm_concentration", "fraction_below", 1.0, "M/mL", "sperm < 1 M/mL (contraceptive threshold)",
              "severe oligozoospermia <= 1 M/mL, the efficacy threshold of hormonal male contraception trials (Gu Y "
              "et al., J Clin Endocrinol Metab 2009;94:1910; the WHO 1996 trial used 3 M/mL, Fertil Steril "
              "1996;65:821)"),
    Responder("sperm_concentration", "fraction_below", 0.1, "M/mL", "sperm < 0.1 M/mL (azoospermia)",
              "azoospermia as the validation library encodes it: 0.1 M/mL is the model's threshold for no sperm "
              "(validation/examples/WHO1990.yaml, after WHO Task Force, Lancet 1990;336:955)"),
)
"""Responder criteria reported for every arm, besides the spec's own (sources in ``source``)."""


def grid_step(arm: Arm) -> int:
    """Days between samples of the arm's curves: daily up to 4 weeks, weekly beyond (design choice:
    labs are rarely drawn more often than weekly in a trial, and a weekly grid keeps 10^5 men light)."""
    return 1 if arm.total_weeks <= 4 else 7


def _endpoint(data: dict[str, Any]) -> Endpoint:
    return Endpoint.model_validate(data, context={"design": True})


def _default_weeks(arm: Arm) -> list[float]:
    weeks = [arm.weeks]
    if arm.follow_up_weeks:
        weeks.append(arm.total_weeks)
    return weeks


@dataclass(frozen=True)
class ArmSummary:
    """One arm: its men's observables over time as median and 90% band (canonical units)."""

    name: str
    regimen: tuple[str, ...]
    weeks: float
    follow_up_weeks: float
    days: np.ndarray  # sample days (08:00) from the arm's start
    bands: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # observable -> (p5, median, p95)
    n_ok: dict[str, np.ndarray]  # observable -> men with a finite value at each day
    n_men: int
    n_failed: int
    final_doses: tuple[dict[str, Any], ...] = ()  # titrated regimens: share of the men on each dose at the arm's end

    @property
    def final_doses_text(self) -> str:
        """The share of the men on each titrated dose at the end of treatment, in one line ('' untitrated)."""
        from hpgsim.simulate import dose_shares_text

        return f"at week {self.weeks:g} (end of treatment): {dose_shares_text(self.final_doses)}" \
            if self.final_doses else ""


@dataclass(frozen=True)
class ResponderResult:
    """The share of an arm's men meeting a criterion at a week."""

    arm: str
    observable: str
    kind: str
    threshold: float
    unit: str
    week: float
    fraction: float | None
    n: int  # men counted (finite value at that time)
    label: str
    source: str
    published: float | None = None


@dataclass(frozen=True)
class EndpointPrediction:
    """One of the spec's endpoints (other than a share), predicted; ``published`` where the spec has it."""

    arm: str
    endpoint: Endpoint
    predicted: float | None


@dataclass(frozen=True)
class DesignResult:
    """A virtual trial of a study design."""

    spec: TrialSpec
    n_men: int
    seed: int
    arms: tuple[ArmSummary, ...]
    responders: tuple[ResponderResult, ...]
    endpoints: tuple[EndpointPrediction, ...]
    cohorts: dict[str, CohortResult]
    seconds: float
    screened: int | None = None  # virtual men screened to enrol n_men (None: as many as enrolled)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def screened_in(self) -> float:
        """The share of screened virtual men who met the inclusion criteria (1 without criteria)."""
        return screened_share(self.n_men, self.screened)

    def rows(self) -> list[dict[str, Any]]:
        """The bands as a long table: arm, day, week, observable, unit, p5, median, p95, n_ok."""
        out = []
        for a in self.arms:
            for obs, (lo, mid, hi) in a.bands.items():
                unit = OBSERVABLES[obs]
                for i, d in enumerate(a.days):
                    out.append({"arm": a.name, "day": float(d), "week": round(float(d) / 7.0, 4), "observable": obs,
                                "unit": unit, "p5": _num(lo[i]), "median": _num(mid[i]), "p95": _num(hi[i]),
                                "n_ok": int(a.n_ok[obs][i])})
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything as one JSON-ready document."""
        from hpgsim import DISCLAIMER

        arms = []
        for a in self.arms:
            arms.append({"name": a.name, "regimen": list(a.regimen), "weeks": a.weeks,
                         "follow_up_weeks": a.follow_up_weeks, "n_men": a.n_men, "failed": a.n_failed,
                         "final_doses": [{**d, "share": _num(d["share"])} for d in a.final_doses],
                         "days": [float(d) for d in a.days],
                         "observables": {obs: {"unit": OBSERVABLES[obs], "p5": [_num(v) for v in lo],
                                               "median": [_num(v) for v in mid], "p95": [_num(v) for v in hi]}
                                         for obs, (lo, mid, hi) in a.bands.items()}})
        responders = [{"arm": r.arm, "observable": r.observable, "kind": r.kind, "threshold": r.threshold,
                       "unit": r.unit, "week": r.week, "fraction": _num(r.fraction), "n": r.n, "label": r.label,
                       "source": r.source, "published": r.published} for r in self.responders]
        endpoints = [{"arm": p.arm, "observable": p.endpoint.observable, "kind": p.endpoint.kind,
                      "week": p.endpoint.week, "after_week": p.endpoint.after_week, "threshold": p.endpoint.threshold,
                      "unit": p.endpoint.unit, "predicted": _num(p.predicted), "published": p.endpoint.value}
                     for p in self.endpoints]
        return {"trial": self.id, "n_men": self.n_men, "seed": self.seed,
                "inclusion": [c.label for c in self.spec.population.inclusion],
                "screened": self.screened or self.n_men, "screened_in": _num(self.screened_in),
                "band": "median and 5th-95th percentile",
                "arms": arms, "responders": responders, "endpoints": endpoints, "seconds": round(self.seconds, 2),
                "disclaimer": DISCLAIMER}


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(f"{float(x):.6g}")


def _responder_endpoints(spec: TrialSpec, at_weeks: Sequence[float] | None) -> list[list[tuple[Endpoint, Responder, float | None]]]:
    """Per arm: (endpoint to predict, criterion, published value) for every responder row."""
    out = []
    for arm in spec.arms:
        rows = []
        for e in arm.endpoints:
            if e.kind in FRACTION_KINDS:
                assert e.threshold is not None and e.unit is not None
                sign = ">=" if e.kind == "fraction_at_least" else "<"
                crit = Responder(e.observable, e.kind, e.threshold, e.unit, f"{e.observable} {sign} {e.threshold:g} {e.unit}",
                                 "the spec's endpoint")
                rows.append((e, crit, e.value))
        weeks = [w for w in (at_weeks if at_weeks else _default_weeks(arm)) if w <= arm.total_weeks + 1e-9]
        for crit in DEFAULT_RESPONDERS:
            for w in weeks:
                e = _endpoint({"observable": crit.observable, "kind": crit.kind, "threshold": crit.threshold,
                               "unit": crit.unit, "week": float(w)})
                rows.append((e, crit, None))
        out.append(rows)
    return out


def plan_design(spec: TrialSpec, *, every_days: int | None = None,
                at_weeks: Sequence[float] | None = None) -> list[ArmJob]:
    """One job per arm: every observable, on a grid of days (``every_days``, default
    :func:`grid_step`) plus the days the endpoints and the responder weeks need."""
    responders = _responder_endpoints(spec, at_weeks)
    jobs = []
    for arm, rows in zip(spec.arms, responders):
        step = every_days or grid_step(arm)
        last = max(_last_day(arm), *(sample_day(e) for e, _, _ in rows)) if rows else _last_day(arm)
        days = set(_arm_samples(arm, False))
        days.update(float(d) for d in range(0, int(math.floor(last)) + 1, step))
        days.update(sample_day(e) for e, _, _ in rows)
        days.add(float(math.floor(last)))
        samples = sorted(d for d in days if d >= 0)
        jobs.append(ArmJob(regimen=treatment(arm), days=max(samples[-1], 1.0), sample_days=tuple(samples),
                           observables=tuple(OBSERVABLES)))
    return jobs


def check_design(spec: TrialSpec, at_weeks: Sequence[float] | None = None, every_days: int | None = None) -> None:
    """Refuse what loading cannot see: endpoints before the first sample, ``at_weeks`` outside every arm."""
    check_spec(spec)
    if every_days is not None and every_days < 1:
        raise InputError("--every", f"{every_days} is not allowed; allowed: a whole number of days >= 1")
    longest = max(a.total_weeks for a in spec.arms)
    for w in at_weeks or ():
        if not math.isfinite(w) or w < 0 or w > longest + 1e-9:
            raise InputError("--at-week", f"{w:g} is not allowed; allowed: 0 to {longest:g} (the longest arm, "
                                          "treatment plus follow-up)")


def run_design(spec: TrialSpec, *, n_men: int | None = None, seed: int = 0, every_days: int | None = None,
               at_weeks: Sequence[float] | None = None, simulator: Simulator | None = None,
               on_arm: ArmDone | None = None, on_men: MenDone | None = None) -> DesignResult:
    """Simulate a study design: every arm on one cohort (``n_men``, default the spec's
    ``population.n``), then bands, responder fractions and the spec's endpoints."""
    check_design(spec, at_weeks, every_days)
    n = int(n_men if n_men is not None else spec.population.n)
    if n < 1:
        raise InputError("--n-men", f"{n} is not allowed; allowed: a whole number of men >= 1")
    t0 = time.perf_counter()
    cohort = enrol(spec, n_men=n, seed=seed)
    jobs = plan_design(spec, every_days=every_days, at_weeks=at_weeks)
    results = (simulator or LocalSimulator()).submit(cohort.men, jobs).result(on_arm=on_arm, on_men=on_men)
    responders = _responder_endpoints(spec, at_weeks)
    arms, rows, predictions = [], [], []
    cohorts: dict[str, CohortResult] = {}
    for arm, res, criteria in zip(spec.arms, results, responders):
        cohorts[arm.name] = res
        arms.append(_summary(arm, res))
        for e, crit, published in criteria:
            x = predict(e, res)
            at = np.asarray(res.values[e.observable], dtype=float)[_row_of(res, e)]
            rows.append(ResponderResult(arm=arm.name, observable=crit.observable, kind=crit.kind,
                                        threshold=crit.threshold, unit=crit.unit, week=float(e.week or 0.0),
                                        fraction=x, n=int(np.isfinite(at).sum()), label=crit.label,
                                        source=crit.source, published=published))
        for e in arm.endpoints:
            if e.kind not in FRACTION_KINDS:
                predictions.append(EndpointPrediction(arm=arm.name, endpoint=e, predicted=predict(e, res)))
    return DesignResult(spec=spec, n_men=n, seed=seed, arms=tuple(arms), responders=tuple(rows),
                        endpoints=tuple(predictions), cohorts=cohorts, seconds=time.perf_counter() - t0,
                        screened=cohort.screened)


def _row_of(res: CohortResult, e: Endpoint) -> int:
    return int(np.flatnonzero(np.isclose(res.days, sample_day(e), rtol=0.0, atol=1e-6))[0])


def _summary(arm: Arm, res: CohortResult) -> ArmSummary:
    from hpgsim.simulate import dose_shares

    bands, n_ok = {}, {}
    for obs in OBSERVABLES:
        x = np.asarray(res.values[obs], dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a day where every man failed: NaN
            lo, mid, hi = np.nanpercentile(x, BAND, axis=1)
        bands[obs] = (lo, mid, hi)
        n_ok[obs] = np.isfinite(x).sum(axis=1)
    return ArmSummary(name=arm.name, regimen=tuple(arm.regimen), weeks=arm.weeks,
                      follow_up_weeks=arm.follow_up_weeks or 0.0, days=np.asarray(res.days, dtype=float),
                      bands=bands, n_ok=n_ok, n_men=len(res.names), n_failed=len(res.names) - res.n_ok,
                      final_doses=tuple(dose_shares(res.dose_history, 7.0 * arm.weeks, np.asarray(res.status) == "ok")))


def display_value(observable: str, value: float, unit: str) -> float:
    """``value`` of ``observable`` from its canonical unit to ``unit`` (ratios: unchanged)."""
    canonical = OBSERVABLE_UNITS[observable][0]
    return value if unit == canonical else value * convert(observable, 1.0, canonical, unit)


def plot_design(result: DesignResult, folder, *, observables: Sequence[str] | None = None) -> list:
    """One PNG per observable in ``folder``: the arms side by side (shared y axis), each with its
    median and 90% band over weeks, the adult male reference range (grey) and the responder
    thresholds of that observable (dashed). Returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pathlib import Path

    from hpgsim import DISCLAIMER
    from hpgsim.clinic.ranges import REFERENCE_RANGES
    from hpgsim.report.files import save_figure

    folder = Path(folder)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    paths = []
    semen = ("sperm_concentration", "total_sperm_count", "total_motile_count")
    for obs in observables or list(OBSERVABLES):
        n = len(result.arms)
        fig, axes = plt.subplots(1, n, figsize=(max(6.0, 3.6 * n), 4.2), sharey=True, squeeze=False)
        thresholds = sorted({(r.threshold, r.label) for r in result.responders if r.observable == obs
                             and r.unit == OBSERVABLE_UNITS[obs][0]})
        for k, (ax, arm) in enumerate(zip(axes[0], result.arms)):
            colour = colours[k % len(colours)]
            weeks = arm.days / 7.0
            lo, mid, hi = arm.bands[obs]
            if obs in REFERENCE_RANGES:
                r_lo, r_hi, _ = REFERENCE_RANGES[obs]
                ax.axhspan(r_lo, r_hi, color="grey", alpha=0.12, linewidth=0,
                           label="adult male reference range" if k == 0 else None)
            ax.fill_between(weeks, lo, hi, color=colour, alpha=0.25, linewidth=0, label="90% band (5th-95th)")
            ax.plot(weeks, mid, color=colour, label="median")
            for t, label in thresholds:
                ax.axhline(t, color="black", linestyle="--", linewidth=0.7)
                ax.annotate(label, (0.0, t), xycoords=("axes fraction", "data"), fontsize=6, va="bottom")
            if arm.follow_up_weeks:
                ax.axvline(arm.weeks, color="grey", linestyle=":", linewidth=0.8)
            ax.set_title(arm.name + (f"\n({arm.n_failed} of {arm.n_men} men failed)" if arm.n_failed else ""),
                         fontsize=9)
            ax.set_xlabel("week" + (" (dotted: end of treatment)" if arm.follow_up_weeks else ""))
            if obs in semen:
                ax.set_yscale("symlog", linthresh=0.1)
        axes[0][0].set_ylabel(f"{obs} ({OBSERVABLES[obs]})")
        axes[0][0].legend(fontsize=7, loc="best")
        fig.suptitle(f"{result.id}: {obs}, {result.n_men} virtual men per arm (seed {result.seed})", fontsize=10)
        fig.text(0.5, 0.005, DISCLAIMER, ha="center", fontsize=6, color="grey", wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
        paths.append(save_figure(fig, folder / f"{obs}.png"))
        plt.close(fig)
    return paths
