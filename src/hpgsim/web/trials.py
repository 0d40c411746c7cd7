"""The Trials page: list the validation library's specs, run one on a small cohort, and show
predicted vs published (a table and plotly figures)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

from hpgsim.errors import InputError

__all__ = ["list_specs", "load", "run"]

_CACHE: dict[tuple[str, float, int], tuple[list[dict[str, Any]], list[str], dict[str, Path]]] = {}


def _scan(folder: Path) -> tuple[list[dict[str, Any]], list[str], dict[str, Path]]:
    from hpgsim.trials.spec import load_spec

    files = sorted(folder.glob("*.yaml"))
    key = (str(folder), max((f.stat().st_mtime for f in files), default=0.0), len(files))
    if key in _CACHE:
        return _CACHE[key]
    specs, problems, paths = [], [], {}
    for f in files:
        try:
            s = load_spec(f)
        except InputError as e:
            problems.append(f"{f.name}: {e}")
            continue
        paths[s.id] = f
        specs.append({"id": s.id, "citation": s.citation, "population": s.population.description,
                      "phenotype": s.population.phenotype or "eugonadal", "n": getattr(s.population, "n", None),
                      "arms": [a.name for a in s.arms], "endpoints": sum(len(a.endpoints) for a in s.arms),
                      "source_quality": s.source_quality, "file": f.name})
    _CACHE.clear()
    _CACHE[key] = (specs, problems, paths)
    return _CACHE[key]


def list_specs(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The specs in ``folder`` (id, citation, arms, ...) and the files that did not read."""
    specs, problems, _ = _scan(Path(folder))
    return specs, problems


def load(folder: Path | None, trial_id: str):
    """The spec with id ``trial_id``; InputError naming the allowed ids."""
    from hpgsim.trials.spec import load_spec

    if folder is None:
        raise InputError("trial", "the validation library (validation/trials) is not available here; "
                                  "allowed: set HPGSIM_TRIALS_DIR to its folder")
    _, _, paths = _scan(Path(folder))
    if trial_id not in paths:
        shown = ", ".join(sorted(paths)[:12]) + (", ..." if len(paths) > 12 else "")
        raise InputError("trial", f"unknown trial '{trial_id}'; allowed: {shown} (GET /api/trials)")
    return load_spec(paths[trial_id])


def _f(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return float(f"{x:.5g}") if math.isfinite(x) else None


def _label(r: dict[str, Any]) -> str:
    when = f"wk {r['week']:g}" if r.get("week") is not None else f"from wk {r.get('after_week') or 0:g}"
    thr = f" {r['threshold']:g}" if r.get("threshold") is not None else ""
    return f"{r['arm'][:28]}: {r['observable']} {r['kind'].replace('_', ' ')}{thr}, {when}"


_SHORT = {"total_testosterone": "T", "free_testosterone": "free T", "bioavailable_testosterone": "bioav. T",
          "estradiol": "E2", "lh": "LH", "fsh": "FSH", "shbg": "SHBG", "inhibin_b": "inhibin B",
          "intratesticular_testosterone": "ITT", "sperm_concentration": "sperm conc.", "total_sperm_count": "sperm count",
          "total_motile_count": "TMC", "t_e2_ratio": "T/E2", "t_lh_ratio": "T/LH"}
_KIND = {"mean": "", "median": "median", "percent_change": "% change", "fold_change": "fold", "fraction_below": "share <",
         "fraction_at_least": "share >=", "median_weeks_to_below": "weeks to <", "median_weeks_to_at_least": "weeks to >="}


def _short_label(r: dict[str, Any]) -> str:
    """A tick label: observable, kind and time, short enough for an axis (the hover has the rest)."""
    thr = f" {r['threshold']:g}" if r.get("threshold") is not None else ""
    when = f"wk {r['week']:g}" if r.get("week") is not None else f"from wk {r.get('after_week') or 0:g}"
    kind = _KIND.get(r["kind"], r["kind"])
    return " ".join(x for x in (_SHORT.get(r["observable"], r["observable"]), kind + thr, when) if x)


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _endpoint_figure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Published value with its tolerance band (error bars) beside the predicted value, per endpoint.

    Each endpoint is scaled to its published value (published = 1) so that endpoints of different
    units share one axis; the hover shows the numbers in their own units."""
    labels = [f"{i + 1}. {_short_label(r)}" for i, r in enumerate(rows)]
    pub_y, lo_err, hi_err, pred_y, hover_p, hover_q = [], [], [], [], [], []
    for r in rows:
        v = r["published"]
        lo, hi = r["band"]
        scale = abs(v) if v else 1.0
        pub_y.append(v / scale)
        lo_err.append((v - lo) / scale if lo is not None else 0)
        hi_err.append((hi - v) / scale if hi is not None else 0)
        p = r["predicted"]
        pred_y.append(p / scale if p is not None else None)
        unit = _VALUE_UNIT.get(r["kind"], r.get("unit") or "")
        hover_p.append(f"{r['arm']}: published {v:g} {unit} (band {lo:g} to {hi:g})" if lo is not None
                       else f"{r['arm']}: published {v:g}")
        hover_q.append(f"predicted {p:.3g} {unit} - {'pass' if r['passed'] else 'outside tolerance'}"
                       if p is not None else f"no prediction: {r.get('note') or ''}")
    return {
        "data": [
            {"type": "scatter", "mode": "markers", "name": "published (tolerance band)", "x": labels, "y": pub_y,
             "error_y": {"type": "data", "symmetric": False, "array": hi_err, "arrayminus": lo_err, "color": "#555"},
             "marker": {"color": "#555", "size": 9}, "text": hover_p, "hoverinfo": "text+x"},
            {"type": "scatter", "mode": "markers", "name": "predicted", "x": labels, "y": pred_y,
             "marker": {"symbol": "x", "size": 11,
                        "color": ["#2ca02c" if r["passed"] else "#d62728" for r in rows]},
             "text": hover_q, "hoverinfo": "text+x"},
        ],
        "layout": {"title": {"text": "Predicted vs published, each endpoint relative to its published value"},
                   "yaxis": {"title": {"text": "value / published value"}, "zeroline": True},
                   "xaxis": {"tickangle": -30, "automargin": True}, "height": 460,
                   "legend": {"orientation": "h", "y": 1.08}},
    }


def _curve_figures(result) -> list[dict[str, Any]]:
    """Per endpoint followed over time: each arm's simulated median and 90% band vs the published points."""
    from hpgsim.trials.runner import arm_curve, curve_groups, sample_day

    figures = []
    arm_names = [a.name for a in result.spec.arms]
    for (obs, family, threshold), items in curve_groups(result.spec).items():
        if family == "time":
            continue
        data = []
        for arm_name in dict.fromkeys(a for a, _ in items):
            colour = COLOURS[arm_names.index(arm_name) % len(COLOURS)]
            res = result.cohorts[arm_name]
            if obs not in res.values:
                continue
            weeks_a, share, band = arm_curve(res, obs, items[0][1], family, threshold)
            weeks = weeks_a.tolist()
            if share is not None:
                data.append({"type": "scatter", "mode": "lines", "name": arm_name, "x": weeks,
                             "y": [_f(v) for v in share], "line": {"color": colour}})
            else:
                lo, mid, hi = band
                data.append({"type": "scatter", "mode": "lines", "x": weeks + weeks[::-1],
                             "y": [_f(v) for v in hi] + [_f(v) for v in lo[::-1]], "fill": "toself",
                             "fillcolor": colour, "opacity": 0.2, "line": {"width": 0}, "hoverinfo": "skip",
                             "showlegend": False, "name": f"{arm_name} 90% band"})
                data.append({"type": "scatter", "mode": "lines", "name": f"{arm_name} (median, 90% band)",
                             "x": weeks, "y": [_f(v) for v in mid], "line": {"color": colour}})
            pts = [(sample_day(e) / 7.0, e.value, *e.band()) for a, e in items if a == arm_name]
            if pts:
                data.append({"type": "scatter", "mode": "markers", "name": f"{arm_name}: published",
                             "x": [p[0] for p in pts], "y": [p[1] for p in pts],
                             "error_y": {"type": "data", "symmetric": False, "array": [p[3] - p[1] for p in pts],
                                         "arrayminus": [p[1] - p[2] for p in pts], "color": colour},
                             "marker": {"color": colour, "size": 9, "line": {"color": "black", "width": 1}}})
        unit = {"percent_change": "% change from week 0", "fold_change": "x week 0", "fraction_below": "share",
                "fraction_at_least": "share"}.get(family, items[0][1].unit or "")
        title = obs.replace("_", " ")
        if family in ("fraction_below", "fraction_at_least"):
            title += f" {'<' if family == 'fraction_below' else '>='} {threshold:g}"
        if data:
            figures.append({"data": data, "layout": {
                "title": {"text": title}, "xaxis": {"title": {"text": "week"}}, "yaxis": {"title": {"text": unit}},
                "height": 380, "legend": {"orientation": "h", "y": -0.2}}})
    return figures


_VALUE_UNIT = {"fraction_below": "share", "fraction_at_least": "share", "percent_change": "%", "fold_change": "x",
               "median_weeks_to_below": "weeks", "median_weeks_to_at_least": "weeks"}


def run(spec, *, n_men: int = 40, seed: int = 0, progress: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """Run ``spec`` and return what the Trials page shows (JSON)."""
    from hpgsim.trials.runner import run_trial

    result = run_trial(spec, n_men=n_men, seed=seed, progress=progress, curves=True)
    rows = []
    for r in result.endpoints:
        d = r.to_dict()
        d["label"] = _label(d)
        d["value_unit"] = _VALUE_UNIT.get(d["kind"], d.get("unit") or "")
        rows.append(d)
    score = result.score
    return {
        "id": spec.id, "citation": spec.citation, "population": spec.population.description,
        "n_men": result.n_men, "n_failed": result.n_failed, "seed": seed, "seconds": round(result.seconds, 2),
        "inclusion": [c.label for c in spec.population.inclusion], "screened": result.screened or result.n_men,
        "screened_in": _f(result.screened_in),
        "score": {**score.to_dict(), "pass_rate": score.pass_rate, "direction_rate": score.direction_rate},
        "endpoints": rows,
        "baseline": [{"observable": k, "published": _f(pub), "predicted": _f(pred), "unit": unit}
                     for k, (pub, pred, unit) in result.baseline.items()],
        "figures": [_endpoint_figure(rows)] + _curve_figures(result) if rows else [],
        "titrated_doses": _titrated_doses(spec, result),
    }


def _titrated_doses(spec, result) -> list[dict[str, Any]]:
    """Arms with a titrated regimen: the share of the men on each dose at the end of treatment."""
    import numpy as np

    from hpgsim.simulate import dose_shares, dose_shares_text

    out = []
    for arm in spec.arms:
        res = result.cohorts.get(arm.name)
        if res is None or res.dose_history is None:
            continue
        doses = dose_shares(res.dose_history, 7.0 * arm.weeks, np.asarray(res.status) == "ok")
        out.append({"arm": arm.name, "week": arm.weeks, "text": dose_shares_text(doses),
                    "doses": [{**d, "share": _f(d["share"])} for d in doses]})
    return out
