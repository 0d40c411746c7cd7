"""Global sensitivity analysis of a trial endpoint over the parameter table (SALib: Morris or Sobol').

``hpgsim sensitivity SPEC.yaml --endpoint N`` answers "which parameters drive this prediction?":
each parameter of the table that is a *factor* is varied over a range, the endpoint's arm is
simulated for every sampled combination, and SALib ranks the factors:

- **Morris** (default, cheap: ``r (k + 1)`` samples for ``k`` factors): ``mu*`` (mean absolute
  elementary effect, in the endpoint's unit per move across the factor's range) with its bootstrap
  95% interval, ``mu`` and ``sigma`` (spread of the effects: interactions or non-linearity).
  :data:`MORRIS_TRAJECTORIES` trajectories on :data:`MORRIS_LEVELS` levels.
- **Sobol'** (``--method sobol``: ``N (k + 2)`` samples, Saltelli's scheme): first-order ``S1`` and
  total ``ST`` indices with 95% intervals; :data:`SOBOL_N` base samples.

Factors (:func:`factors`): by default the per-patient parameters of the table
(``parameters.names(patient=True)``), around the trial's typical man: the spec's phenotype, age
and BMI, with the typical values the runner's baseline matching gives (so the nominal point is the
trial's cohort median). ``extra`` adds named parameters, ``drugs=True`` every parameter of the
arm's drugs (PK and PD); ``only=True`` leaves the per-patient ones out. Left out always: the observation model (calibration only) and exact or
structural constants (:data:`NOT_FACTORS`).

Ranges (``ranges``): ``"fold"`` (default) samples each factor log-uniformly within
``nominal / fold .. nominal x fold`` (:data:`DEFAULT_FOLD` = 2, a design choice: a twofold
uncertainty either way, the usual span of a QSP screening analysis where no better uncertainty
is known), held inside the table's bounds, and capped at 1 for a unit-less parameter without bounds
whose value is below 1 (in this table: a share, probability or maximal effect); ``"bounds"`` samples a per-patient parameter
uniformly between the table's plausible bounds (the table gives bounds only for those; other
factors keep the fold range). A factor whose nominal value is 0 has no fold range and is left out
(the output says so).

Samples (design of the computation): each sample is a cohort of ``men_per_sample`` men whose
per-patient parameters are the sampled values; with 1 (default) it is the typical man himself,
with more, men drawn around the sampled typical values with the table's between-man CVs using the
same random numbers for every sample (common random numbers), which a ``fraction_*`` endpoint
needs (default 40 men there: a share moves in steps of 1/40). All samples run as ONE
``simulate_cohort`` batch of ``samples x men_per_sample`` men (split into chunks on Dask with
``simulator``); a factor that is not per-patient (a drug's PK, the physiology's constants) is
shared by all men of a batch, so with such factors each sample is its own batch. The endpoint is
computed per sample with the runner's endpoint functions; a median time that is not reached counts
as the end of the simulated span (censored), and a sample whose endpoint cannot be computed
(failed simulation) is given the median of the others and counted in ``non_finite``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from hpgsim import parameters
from hpgsim.errors import InputError
from hpgsim.patient import Patient
from hpgsim.population import virtual_population
from hpgsim.simulate import CohortResult
from hpgsim.trials.runner import (
    ArmJob,
    LocalSimulator,
    MenDone,
    Simulator,
    _arm_samples,
    baseline_target,
    cohort_base,
    crossing_weeks,
    enrol,
    km_median,
    predict,
    treatment,
)
from hpgsim.trials.spec import FRACTION_KINDS, TIME_KINDS, Arm, Endpoint, ScheduledEndpoint, TrialSpec

__all__ = ["METHODS", "RANGES", "MORRIS_TRAJECTORIES", "MORRIS_LEVELS", "SOBOL_N", "DEFAULT_FOLD",
           "FRACTION_MEN_PER_SAMPLE", "NOT_FACTORS", "Factor", "Sensitivity", "select_endpoint", "factors",
           "drug_parameters", "source_kind", "nominal_man", "analyse", "plot_sensitivity"]

METHODS = ("morris", "sobol")
RANGES = ("fold", "bounds")
MORRIS_TRAJECTORIES = 10
"""Morris trajectories r: 10, as in Campolongo, Cariboni & Saltelli (Environ Model Softw 2007;22:1509),
who find 10 enough to rank factors (Saltelli et al., Sensitivity Analysis in Practice, 2004: 10-20)."""
MORRIS_LEVELS = 4
"""Morris grid levels p = 4 with jump p / (2 (p - 1)), the recommendation of Saltelli et al. 2004 (ch. 4)."""
SOBOL_N = 256
"""Base samples of Saltelli's scheme (a power of 2, as Sobol' sequences need): N (k + 2) simulations;
256 gives indices to about +-0.05-0.1 (the output shows SALib's bootstrap intervals)."""
DEFAULT_FOLD = 2.0
"""Default range of a factor: its nominal value divided and multiplied by this (design choice, see above)."""
FRACTION_MEN_PER_SAMPLE = 40
"""Default men per sample for a ``fraction_*`` endpoint (design choice: a share in steps of 0.025)."""
NOT_FACTORS = frozenset({
    "t_enanthate_t_fraction", "t_cypionate_t_fraction", "t_undecanoate_t_fraction",  # molar-mass ratios (exact)
    "albumin_mw",  # molar mass (exact)
    "spermatogenesis_stages",  # the compiled chain length (structural)
})
"""Parameters of the table that are not uncertain: exact constants and the model's structure."""
_NOT_FACTOR_GROUPS = ("observation",)  # lab variability and calibration priors: not in the simulation


@dataclass(frozen=True)
class Factor:
    """One varied parameter: nominal value, range, and whether it is sampled on a log scale."""

    name: str
    nominal: float
    low: float
    high: float
    log: bool
    patient: bool  # a per-patient parameter (set on the men) or shared by the batch (table override)

    @property
    def parameter(self) -> parameters.Parameter:
        return parameters.get(self.name)

    def bounds(self) -> list[float]:
        """SALib's bounds (log of the values for a log-scale factor)."""
        return [math.log(self.low), math.log(self.high)] if self.log else [self.low, self.high]

    def value(self, x: float) -> float:
        """The parameter value of a sample coordinate (held inside the range against rounding)."""
        v = math.exp(x) if self.log else x
        return float(min(max(v, self.low), self.high))


def source_kind(name: str) -> str:
    """What pins a parameter down, from its source: ``fitted``, ``definition`` (a scale, 1 =
    reference), ``assumption`` or ``literature``."""
    s = parameters.get(name).source.strip().lower()
    if s.startswith("fit"):
        return "fitted"
    if s.startswith("definition"):
        return "definition"
    if "assum" in s or "modelling choice" in s or "not found" in s:
        return "assumption"
    return "literature"


class _Recorder(dict):
    """A parameter mapping that remembers which names were read."""

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def drug_parameters(regimen_drugs: Sequence[str]) -> list[str]:
    """Every parameter of the table that the PK of these drugs reads, and the rest of the drug
    groups those belong to (their PD), in table order."""
    from hpgsim.drugs.agents import pk_model

    groups: set[str] = set()
    for d in regimen_drugs:
        rec = _Recorder(parameters.values())
        pk_model(d, rec)
        groups |= {parameters.get(k).group for k in rec.read if parameters.get(k).group.startswith("drug:")}
        groups.add(f"drug:{d}")
    return [n for n in parameters.names() if parameters.get(n).group in groups]


def nominal_man(spec: TrialSpec, *, n_men: int = 60, seed: int = 0) -> Patient:
    """The trial's typical man: phenotype, age, BMI and run-in of the spec, with the typical values
    that match the cohort to the published baseline (as the runner matches it, ``n_men`` men: the
    enrolled men where the spec gives inclusion criteria, :func:`hpgsim.trials.runner.enrol`)."""
    pop = spec.population
    base = cohort_base(spec)
    typical = enrol(spec, n_men=n_men, seed=seed).typical if baseline_target(spec) else {}
    over = {**base.overrides, **{k: parameters.clip(k, v) for k, v in typical.items()}}
    return Patient(name=f"{spec.id}_typical", age=pop.age_years if pop.age_years is not None else base.age,
                   bmi=pop.bmi if pop.bmi is not None else base.bmi, overrides=over, history=base.history)


def factors(spec: TrialSpec, arm: Arm, nominal: Patient, *, extra: Sequence[str] = (), drugs: bool = False,
            ranges: str = "fold", fold: float = DEFAULT_FOLD, only: bool = False) -> tuple[list[Factor], list[str]]:
    """The factors and their ranges (see the module's docstring), and notes on parameters left out;
    ``only``: just the ``extra`` (and ``drugs``) parameters, not the per-patient ones."""
    if ranges not in RANGES:
        raise InputError("--range", f"'{ranges}' is not allowed; allowed: {', '.join(RANGES)}")
    if not (math.isfinite(fold) and fold > 1.0):
        raise InputError("--fold", f"{fold:g} is not allowed; allowed: a number > 1")
    names = [] if only else list(parameters.names(patient=True))
    for name in extra:
        if name not in parameters.TABLE:
            raise InputError("--factor", f"'{name}' is not a parameter of the table; allowed: a name of "
                                         "hpgsim.parameters (docs/parameters.md)")
        if name in NOT_FACTORS or parameters.get(name).group in _NOT_FACTOR_GROUPS:
            raise InputError("--factor", f"'{name}' is not uncertain in the model (an exact constant, the model's "
                                         "structure or the observation model); allowed: another parameter")
        names.append(name)
    if drugs:
        agents = set(arm.prescriptions.drugs) | (set(spec.run_in.prescriptions.drugs) if spec.run_in else set())
        names += [n for n in drug_parameters(sorted(agents)) if n not in NOT_FACTORS]
    values = parameters.values()
    out, notes = [], []
    for name in dict.fromkeys(names):
        p = parameters.get(name)
        nominal_value = float(nominal.overrides.get(name, values[name])) if p.patient else float(values[name])
        if ranges == "bounds" and p.patient and p.lower is not None and p.upper is not None:
            out.append(Factor(name, nominal_value, float(p.lower), float(p.upper), log=False, patient=True))
            continue
        if nominal_value <= 0.0:
            notes.append(f"{name}: nominal value 0 has no fold range; held at 0")
            continue
        low, high = nominal_value / fold, nominal_value * fold
        if p.lower is not None:
            low = max(low, p.lower)
        if p.upper is not None:
            high = min(high, p.upper)
        if p.upper is None and p.unit == "1" and nominal_value < 1.0:  # a share, probability or maximal effect
            high = min(high, 1.0)
        if not low < high:
            notes.append(f"{name}: no room within its bounds; held at {nominal_value:g}")
            continue
        out.append(Factor(name, nominal_value, float(low), float(high), log=low > 0, patient=p.patient))
    if not out:
        raise InputError("--factor", "no parameter left to vary; allowed: name some with --factor")
    return out, notes


def select_endpoint(spec: TrialSpec, selector: str) -> ScheduledEndpoint:
    """An endpoint of the spec: its position (1-based, across arms, as listed in the error),
    ``ARM:N`` (the N-th endpoint of arm ARM) or an observable that names exactly one endpoint."""
    listed = spec.endpoints()

    def listing() -> str:
        return "; ".join(f"{i}: {_describe(s)}" for i, s in enumerate(listed, 1)) or "the spec has no endpoints"

    sel = selector.strip()
    if sel.isdigit():
        i = int(sel)
        if 1 <= i <= len(listed):
            return listed[i - 1]
    elif ":" in sel:
        arm_name, _, pos = sel.rpartition(":")
        hits = [s for s in listed if s.arm == arm_name.strip()]
        if pos.strip().isdigit() and 1 <= int(pos) <= len(hits):
            return hits[int(pos) - 1]
    else:
        hits = [s for s in listed if s.endpoint.observable == sel]
        if len(hits) == 1:
            return hits[0]
    raise InputError("--endpoint", f"'{selector}' names no single endpoint of {spec.id}; allowed: {listing()}")


def _describe(s: ScheduledEndpoint) -> str:
    e = s.endpoint
    when = f"from week {e.after_week or 0:g}" if e.week is None else f"week {e.week:g}"
    threshold = f" {e.threshold:g}" if e.threshold is not None else ""
    return f"arm '{s.arm}' {e.observable} {e.kind}{threshold} {when}"


@dataclass(frozen=True)
class Sensitivity:
    """The ranked factors of one endpoint."""

    spec: TrialSpec
    arm: str
    endpoint: Endpoint
    endpoint_label: str
    method: str
    ranges: str
    fold: float
    factors: tuple[Factor, ...]
    indices: dict[str, dict[str, float]]  # factor -> index name -> value
    nominal_output: float | None
    outputs: np.ndarray
    n_samples: int
    men_per_sample: int
    non_finite: int
    notes: tuple[str, ...]
    seconds: float
    seed: int = 0
    unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The index the factors are ranked by: ``mu_star`` (Morris) or ``ST`` (Sobol')."""
        return "mu_star" if self.method == "morris" else "ST"

    def ranked(self) -> list[Factor]:
        def score(f: Factor) -> float:
            v = self.indices[f.name][self.key]
            return -v if math.isfinite(v) else math.inf

        return sorted(self.factors, key=score)

    def to_dict(self) -> dict[str, Any]:
        from hpgsim import DISCLAIMER

        rows = []
        for f in self.ranked():
            p = parameters.get(f.name)
            rows.append({"name": f.name, "group": p.group, "unit": p.unit, "source_kind": source_kind(f.name),
                         "per_patient": f.patient, "nominal": f.nominal, "low": f.low, "high": f.high,
                         "scale": "log" if f.log else "linear",
                         **{k: _num(v) for k, v in self.indices[f.name].items()}})
        e = self.endpoint
        return {"trial": self.spec.id, "arm": self.arm, "endpoint": {
                    "observable": e.observable, "kind": e.kind, "week": e.week, "after_week": e.after_week,
                    "threshold": e.threshold, "unit": e.unit, "published": e.value, "label": self.endpoint_label},
                "output_unit": self.unit, "method": self.method, "ranked_by": self.key,
                "ranges": f"x/ {self.fold:g} around the nominal value" if self.ranges == "fold"
                          else "the table's bounds (per-patient parameters), else x/ fold",
                "samples": self.n_samples, "men_per_sample": self.men_per_sample, "seed": self.seed,
                "nominal_output": _num(self.nominal_output), "output_range": [_num(float(np.min(self.outputs))),
                                                                               _num(float(np.max(self.outputs)))],
                "non_finite": self.non_finite, "notes": list(self.notes), "factors": rows,
                "seconds": round(self.seconds, 2), "disclaimer": DISCLAIMER}


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(f"{float(x):.6g}")


def _output_unit(e: Endpoint) -> str:
    return {"fraction_below": "share", "fraction_at_least": "share", "percent_change": "%", "fold_change": "x",
            "median_weeks_to_below": "weeks", "median_weeks_to_at_least": "weeks"}.get(e.kind, e.unit or "")


def _men(nominal: Patient, values: list[dict[str, float]], m: int, seed: int, start: int) -> list[Patient]:
    """The men of each sample: the typical man with the sampled per-patient values (m = 1), or m men
    drawn around them with the same random numbers for every sample."""
    out: list[Patient] = []
    for i, v in enumerate(values, start):
        if m == 1:
            out.append(Patient(name=f"sample{i}", age=nominal.age, bmi=nominal.bmi,
                               overrides={**nominal.overrides, **v}, history=nominal.history))
        else:
            base = Patient(name=nominal.name, age=nominal.age, bmi=nominal.bmi, overrides=dict(nominal.overrides),
                           history=nominal.history)
            out += virtual_population(m, seed=seed, base=base, typical={**nominal.overrides, **v},
                                      name=f"sample{i}_man")
    return out


def _endpoint_value(e: Endpoint, res: CohortResult, lo: int, hi: int) -> float | None:
    """The endpoint on men ``lo:hi`` of ``res`` (a median time not reached: censored at the end)."""
    cohort = SimpleNamespace(days=res.days, values={k: v[:, lo:hi] for k, v in res.values.items()})
    if e.kind not in TIME_KINDS:
        return predict(e, cohort)
    assert e.threshold is not None and e.after_h is not None
    days = np.asarray(res.days, dtype=float)
    after = e.after_h / 24.0
    t, crossed = crossing_weeks(days, np.asarray(cohort.values[e.observable], dtype=float), e.threshold, e.kind,
                                after)
    if not t.size:
        return None
    median = km_median(t, crossed)
    return median if median is not None else float((days[-1] - after) / 7.0)


def check_options(method: str, trajectories: int, sobol_n: int) -> None:
    """Refuse a method, a Morris trajectory count or a Sobol' base sample size that cannot run."""
    if method not in METHODS:
        raise InputError("--method", f"'{method}' is not allowed; allowed: {', '.join(METHODS)}")
    if trajectories < 2:
        raise InputError("--trajectories", f"{trajectories} is not allowed; allowed: a whole number >= 2")
    if sobol_n < 2 or sobol_n & (sobol_n - 1):
        raise InputError("--samples", f"{sobol_n} is not allowed; allowed: a power of 2 (Sobol' sequences), e.g. 256")


def analyse(spec: TrialSpec, selector: str, *, method: str = "morris", ranges: str = "fold",
            fold: float = DEFAULT_FOLD, extra: Sequence[str] = (), drugs: bool = False, only: bool = False,
            trajectories: int = MORRIS_TRAJECTORIES, sobol_n: int = SOBOL_N, men_per_sample: int | None = None,
            n_men: int = 60, seed: int = 0, simulator: Simulator | None = None,
            on_men: MenDone | None = None, on_total: Any = None) -> Sensitivity:
    """Rank the factors that drive one endpoint of ``spec`` (see the module's docstring).

    ``selector`` picks the endpoint (:func:`select_endpoint`); ``n_men`` and ``seed`` are those of
    the baseline matching that sets the nominal man (and of the men drawn per sample);
    ``on_total(n)`` is told the number of men to simulate before they run, ``on_men(k)`` as they do.
    """
    check_options(method, trajectories, sobol_n)
    chosen = select_endpoint(spec, selector)
    e = chosen.endpoint
    arm = spec.arm(chosen.arm)
    m = men_per_sample if men_per_sample is not None else (FRACTION_MEN_PER_SAMPLE if e.kind in FRACTION_KINDS else 1)
    if m < 1:
        raise InputError("--men-per-sample", f"{m} is not allowed; allowed: a whole number >= 1")
    t0 = time.perf_counter()
    nominal = nominal_man(spec, n_men=n_men, seed=seed)
    facs, notes = factors(spec, arm, nominal, extra=extra, drugs=drugs, ranges=ranges, fold=fold, only=only)
    problem = {"num_vars": len(facs), "names": [f.name for f in facs], "bounds": [f.bounds() for f in facs]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on sample sizes
        if method == "morris":
            from SALib.sample import morris as morris_sample

            x = morris_sample.sample(problem, trajectories, num_levels=MORRIS_LEVELS, seed=seed)
        else:
            from SALib.sample import sobol as sobol_sample

            x = sobol_sample.sample(problem, sobol_n, calc_second_order=False, seed=seed)
    rows = [{f.name: f.value(v) for f, v in zip(facs, row)} for row in x]
    rows.append({f.name: f.nominal for f in facs})  # the nominal point, last
    samples = _arm_samples(arm, False)
    job = ArmJob(regimen=treatment(arm), days=max(samples[-1], 1.0), sample_days=tuple(samples),
                 observables=(e.observable,))
    sim = simulator or LocalSimulator()
    shared = [f for f in facs if not f.patient]
    if on_total is not None:
        on_total(len(rows) * m)
    outputs: list[float | None] = []
    if not shared:  # one batch: every sample's men together
        men = _men(nominal, [{k: v for k, v in r.items()} for r in rows], m, seed, 0)
        res = sim.submit(men, [job]).result(on_men=on_men)[0]
        outputs = [_endpoint_value(e, res, i * m, (i + 1) * m) for i in range(len(rows))]
    else:  # shared parameters: one batch per sample, each under its own table values
        pending = []
        for i, r in enumerate(rows):
            own = {f.name: r[f.name] for f in facs if f.patient}
            table = tuple((f.name, r[f.name]) for f in shared)
            pending.append(sim.submit(_men(nominal, [own], m, seed, i), [ArmJob(job.regimen, job.days, job.sample_days,
                                                                                 job.observables, table)]))
        for p in pending:
            res = p.result(on_men=on_men)[0]
            outputs.append(_endpoint_value(e, res, 0, m))
    y = np.array([np.nan if v is None else float(v) for v in outputs], dtype=float)
    nominal_output = None if not math.isfinite(y[-1]) else float(y[-1])
    y = y[:-1]
    bad = ~np.isfinite(y)
    if bad.all():
        raise InputError("--endpoint", f"{_describe(chosen)} could not be computed for any sample; allowed: an "
                                       "endpoint the arm can predict")
    y[bad] = float(np.median(y[~bad]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "morris":
            from SALib.analyze import morris as morris_analyze

            si = morris_analyze.analyze(problem, x, y, num_levels=MORRIS_LEVELS, conf_level=0.95, seed=seed)
            keys = ("mu_star", "mu_star_conf", "mu", "sigma")
        else:
            from SALib.analyze import sobol as sobol_analyze

            si = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
    indices = {f.name: {k: float(si[k][j]) for k in keys} for j, f in enumerate(facs)}
    return Sensitivity(spec=spec, arm=arm.name, endpoint=e, endpoint_label=_describe(chosen), method=method,
                       ranges=ranges, fold=fold, factors=tuple(facs), indices=indices, nominal_output=nominal_output,
                       outputs=y, n_samples=len(y), men_per_sample=m, non_finite=int(bad.sum()), notes=tuple(notes),
                       seconds=time.perf_counter() - t0, seed=seed, unit=_output_unit(e))


def plot_sensitivity(result: Sensitivity, path: Any) -> Any:
    """A bar plot of the ranked factors: Morris mu* (with its 95% interval) beside mu* vs sigma, or
    Sobol' S1 and ST (with their 95% intervals). Written whole (temporary file, then rename)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hpgsim import DISCLAIMER
    from hpgsim.report.files import save_figure

    ranked = result.ranked()
    names = [f.name for f in ranked][::-1]
    ind = [result.indices[n] for n in names]
    height = max(3.5, 0.32 * len(names) + 1.6)
    colours = {"fitted": "tab:blue", "literature": "tab:green", "definition": "tab:grey", "assumption": "tab:red"}
    bar_colours = [colours[source_kind(n)] for n in names]
    pos = np.arange(len(names))
    if result.method == "morris":
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, height), gridspec_kw={"width_ratios": [3, 2]})
        ax.barh(pos, [i["mu_star"] for i in ind], xerr=[i["mu_star_conf"] for i in ind], color=bar_colours,
                capsize=2)
        ax.set_xlabel(f"mu* (mean |elementary effect|, {result.unit})")
        ax2.scatter([i["mu_star"] for i in ind], [i["sigma"] for i in ind], c=bar_colours)
        top = max((i["mu_star"] for i in ind), default=0.0)
        for n, i in zip(names, ind):
            if i["mu_star"] > 0.05 * top:  # label the factors that matter; the rest crowd the origin
                ax2.annotate(n, (i["mu_star"], i["sigma"]), fontsize=6)
        ax2.set_xlabel("mu*")
        ax2.set_ylabel("sigma (interactions, non-linearity)")
    else:
        fig, ax = plt.subplots(figsize=(9, height))
        ax.barh(pos + 0.2, [i["S1"] for i in ind], height=0.4, xerr=[i["S1_conf"] for i in ind], color=bar_colours,
                alpha=0.55, capsize=2, label="S1 (first order)")
        ax.barh(pos - 0.2, [i["ST"] for i in ind], height=0.4, xerr=[i["ST_conf"] for i in ind], color=bar_colours,
                capsize=2, label="ST (total)")
        ax.set_xlabel("Sobol' index (share of the endpoint's variance)")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_yticks(pos)
    ax.set_yticklabels(names, fontsize=7)
    handles = [matplotlib.patches.Patch(color=c, label=k) for k, c in colours.items()]
    ax.legend(handles=handles + (ax.get_legend_handles_labels()[0] if result.method == "sobol" else []),
              fontsize=7, loc="lower right", title="source", title_fontsize=7)
    nominal = "-" if result.nominal_output is None else f"{result.nominal_output:.3g}"
    fig.suptitle(f"{result.spec.id}, {result.endpoint_label}: {result.method} ({result.n_samples} samples x "
                 f"{result.men_per_sample} men; nominal {nominal} {result.unit})", fontsize=9)
    fig.text(0.5, 0.005, DISCLAIMER, ha="center", fontsize=6, color="grey", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    out = save_figure(fig, path)
    plt.close(fig)
    return out
