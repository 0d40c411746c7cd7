"""What the result page shows, built from an assessment's JSON (:meth:`Assessment.to_json`).

The page is rendered from the JSON alone, so a saved assessment reopens exactly as it was shown.
Figures are plotly specs (``{"data": [...], "layout": {...}}``) drawn in the browser by the app's
own copy of plotly.js.  Keys that an older or newer assessment lacks are skipped, not errors.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

__all__ = ["assessment_view", "labs_figure", "protocols_figure", "quantile_text"]

COLOURS = ("#1f5f99", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
LABELS = {"total_testosterone": "Total testosterone", "free_testosterone": "Free testosterone", "lh": "LH",
          "fsh": "FSH", "estradiol": "Estradiol", "t_e2_ratio": "T/E2 ratio", "sperm_concentration": "Sperm concentration",
          "total_motile_count": "Total motile count"}
TABLE_OBSERVABLES = ("total_testosterone", "estradiol", "t_e2_ratio", "lh", "fsh", "sperm_concentration")


def _num(x: Any) -> str:
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "-"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a == 0:
        return "0"
    return f"{x:.3g}"


def quantile_text(q: Mapping[str, Any] | None) -> str:
    """``median (q05-q95)`` of a quantile mapping; '-' when missing."""
    if not isinstance(q, Mapping) or q.get("q50") is None:
        return "-"
    return f"{_num(q['q50'])} ({_num(q.get('q05'))}-{_num(q.get('q95'))})"


def _f(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def labs_figure(labs: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Each lab's position within its reference range (0 = lower limit, 1 = upper limit), value in the hover."""
    rows = [r for r in labs if _f(r.get("value")) is not None and _f(r.get("low")) is not None
            and _f(r.get("high")) is not None and r["high"] > r["low"]]
    if not rows:
        return None
    rows = rows[::-1]  # first lab on top
    y = [r.get("label") or r.get("name") for r in rows]
    x = [(r["value"] - r["low"]) / (r["high"] - r["low"]) for r in rows]
    colour = ["#1f5f99" if v < 0 else "#b3261e" if v > 1 else "#2e7d32" for v in x]
    text = [f"{_num(r['value'])} {r.get('unit', '')} ({r.get('status', '')}; range {_num(r['low'])}-{_num(r['high'])})"
            for r in rows]
    lo_x = min(-0.25, min(x) - 0.15)
    hi_x = max(1.25, max(x) + 0.15)
    return {
        "data": [{"type": "scatter", "mode": "markers+text", "x": x, "y": y, "text": [_num(r["value"]) + " " + r.get("unit", "")
                                                                                         for r in rows],
                  "textposition": "middle right", "hovertext": text, "hoverinfo": "text+y",
                  "marker": {"size": 12, "color": colour, "line": {"color": "black", "width": 1}}, "showlegend": False}],
        "layout": {
            "title": {"text": "Labs against their reference ranges (grey: the range)"},
            "height": 70 + 42 * len(rows), "margin": {"l": 170, "r": 30, "t": 45, "b": 40},
            "xaxis": {"range": [lo_x, hi_x], "tickvals": [0, 1], "ticktext": ["lower limit", "upper limit"],
                      "zeroline": False},
            "yaxis": {"automargin": True},
            "shapes": [{"type": "rect", "xref": "x", "yref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 1,
                        "fillcolor": "#9aa5b1", "opacity": 0.2, "line": {"width": 0}, "layer": "below"}],
        },
    }


def protocols_figure(traj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The options compared on one figure: per observable, each protocol's median and 90% band over the
    twin's posterior draws, no treatment dashed, the reference range as a grey band, the lab as a point."""
    days = traj.get("day") or []
    observables = [o for o in traj.get("observables", []) if o]
    protocols = traj.get("protocols") or {}
    if not days or not observables or not protocols:
        return None
    n = len(observables)
    gap = 0.07
    height = (1.0 - gap * (n - 1)) / n
    layout: dict[str, Any] = {"height": 300 * n + 80, "hovermode": "x unified", "showlegend": True,
                              "legend": {"orientation": "h", "y": -0.08}, "margin": {"t": 50, "l": 70, "r": 20, "b": 80},
                              "title": {"text": "Options compared: predicted median and 90% band (this man's twin)"},
                              "shapes": [], "annotations": []}
    data: list[dict[str, Any]] = []
    ordered = sorted(protocols.items(), key=lambda kv: (kv[1].get("rank") or 0) <= 0)  # ranked first, reference last
    for i, obs in enumerate(observables):
        ax = "" if i == 0 else str(i + 1)
        top = 1.0 - i * (height + gap)
        unit = (traj.get("units") or {}).get(obs, "")
        layout[f"yaxis{ax}"] = {"domain": [top - height, top], "title": {"text": unit}, "anchor": f"x{ax}",
                                "rangemode": "tozero"}
        layout[f"xaxis{ax}"] = {"anchor": f"y{ax}", "range": [-0.02 * days[-1], days[-1]],
                                "title": {"text": "days from the start" if i == n - 1 else ""}}
        layout["annotations"].append({"text": f"<b>{LABELS.get(obs, obs)}</b>", "xref": "paper", "yref": "paper",
                                      "x": 0, "y": top + 0.01, "xanchor": "left", "yanchor": "bottom",
                                      "showarrow": False})
        lo, hi = (list((traj.get("reference_ranges") or {}).get(obs) or [None, None]) + [None, None])[:2]
        if lo is not None and hi is not None:
            layout["shapes"].append({"type": "rect", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                                     "y0": lo, "y1": hi, "fillcolor": "#9aa5b1", "opacity": 0.18, "line": {"width": 0},
                                     "layer": "below"})
        elif lo is not None or hi is not None:  # a one-sided limit (sperm: the WHO lower reference limit)
            limit = lo if lo is not None else hi
            layout["shapes"].append({"type": "line", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                                     "y0": limit, "y1": limit, "line": {"color": "#6b7785", "width": 1.5, "dash": "dot"},
                                     "layer": "below"})
            layout["annotations"].append({"text": f"{'lower' if lo is not None else 'upper'} reference limit {_num(limit)}",
                                          "xref": f"x{ax} domain", "yref": f"y{ax}", "x": 1, "y": limit,
                                          "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                                          "font": {"size": 10, "color": "#6b7785"}})
        for j, (name, p) in enumerate(ordered):
            q = p.get(obs) or {}
            mid = q.get("q50")
            if not mid:
                continue
            reference = not p.get("rank")
            colour = "#555555" if reference else COLOURS[j % len(COLOURS)]
            label = p.get("label") or name
            label = f"#{p['rank']} {label}" if p.get("rank") else f"{label}"
            if q.get("q05") and q.get("q95"):
                data.append({"type": "scatter", "mode": "lines", "x": list(days) + list(days)[::-1],
                             "y": list(q["q95"]) + list(q["q05"])[::-1], "fill": "toself", "fillcolor": colour,
                             "opacity": 0.13 if not reference else 0.08, "line": {"width": 0}, "hoverinfo": "skip",
                             "showlegend": False, "legendgroup": name, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                             "name": f"{label} 90% band"})
            data.append({"type": "scatter", "mode": "lines", "x": list(days), "y": list(mid), "name": label,
                         "legendgroup": name, "showlegend": i == 0, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                         "line": {"color": colour, "width": 2, "dash": "dash" if reference else "solid"},
                         "hovertemplate": f"{label}: %{{y:.3g}} {unit}<extra></extra>"})
        observed = (traj.get("observed") or {}).get(obs)
        if observed is not None:
            data.append({"type": "scatter", "mode": "markers", "x": [0], "y": [observed], "name": "his lab",
                         "legendgroup": "lab", "showlegend": i == 0, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                         "marker": {"color": "black", "size": 10, "symbol": "diamond"},
                         "hovertemplate": f"his lab: %{{y:.3g}} {unit}<extra></extra>"})
    return {"data": data, "layout": layout}


def _protocol_rows(protocols: list[Mapping[str, Any]], horizon: int) -> list[dict[str, Any]]:
    rows = []
    for p in protocols:
        preds = p.get("predictions") or {}
        cells = {}
        for obs in TABLE_OBSERVABLES:
            block = preds.get(obs) or {}
            week = 26 if obs == "sperm_concentration" else 12
            key = f"week_{week}" if f"week_{week}" in block else f"week_{horizon}"
            cells[obs] = {"text": quantile_text(block.get(key)), "week": key[5:], "unit": block.get("unit", "")}
        score = p.get("score")
        total = score.get("total") if isinstance(score, Mapping) else score
        rows.append({"rank": p.get("rank"), "name": p.get("name"), "title": p.get("title") or p.get("name"),
                     "tier": p.get("tier", ""), "rationale": p.get("rationale", ""),
                     "regimen": p.get("regimen") if isinstance(p.get("regimen"), list) else [p.get("regimen") or ""],
                     "score": total, "components": score.get("components", {}) if isinstance(score, Mapping) else {},
                     "cells": cells, "flags": p.get("flags") or [],
                     "time_t": (p.get("time_to_t_in_range") or {}).get("text"),
                     "time_sperm": (p.get("time_to_sperm_16") or {}).get("text") if p.get("time_to_sperm_16") else None,
                     "source": p.get("source", ""), "references": p.get("references") or [],
                     "final_doses": ((p.get("dose_titration") or {}).get("final") or {}).get("text")})
    return rows


def assessment_view(patient: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the result template needs, from the patient document and the assessment JSON."""
    from hpgsim import DISCLAIMER

    settings = result.get("settings") or {}
    horizon = int(settings.get("horizon_weeks") or 26)
    labs = [r for r in result.get("labs") or [] if isinstance(r, Mapping)]
    derived = result.get("derived") or {}
    derived = list(derived.values()) if isinstance(derived, Mapping) else list(derived)
    protocols = [p for p in result.get("protocols") or [] if isinstance(p, Mapping)]
    no_treatment = result.get("no_treatment")
    titration = []
    for t in result.get("titration") or []:
        rows = [{"regimen": r.get("regimen"), "weekly": r.get("weekly_dose_mg"), "week": r.get("week"),
                 "t": quantile_text(r.get("total_testosterone")), "e2": quantile_text(r.get("estradiol")),
                 "ratio": quantile_text(r.get("t_e2_ratio")), "sperm": quantile_text(r.get("sperm_concentration")),
                 "meets": r.get("meets"), "selected": r.get("selected")} for r in t.get("rows") or []]
        titration.append({"drug": t.get("drug"), "criterion": t.get("criterion"), "source": t.get("source"),
                          "text": t.get("text"), "rows": rows})
    monitoring = result.get("monitoring") or {}
    visits = monitoring.get("visits") if isinstance(monitoring, Mapping) else monitoring
    phenotype = result.get("phenotype")
    phenotype_name = phenotype.get("name") if isinstance(phenotype, Mapping) else phenotype
    figures = {}
    lf = labs_figure(labs)
    if lf is not None:
        figures["labs"] = lf
    pf = protocols_figure(result.get("trajectories") or {})
    if pf is not None:
        figures["protocols"] = pf
    summary = result.get("patient") or {}
    return {
        "label": patient.get("id") or summary.get("id") or "patient",
        "age": summary.get("age_years", patient.get("age_years")),
        "bmi": summary.get("bmi", patient.get("bmi")),
        "fertility": summary.get("fertility_desired", patient.get("fertility_desired")),
        "history": summary.get("history", patient.get("history") or []),
        "phenotype": str(phenotype_name or "-"),
        "reasons": list(result.get("reasons") or []),
        "twin": result.get("twin") or {},
        "warnings": list(result.get("warnings") or []),
        "notes": list(result.get("notes") or []),
        "labs": labs,
        "derived": derived,
        "protocols": _protocol_rows(protocols, horizon),
        "no_treatment": _protocol_rows([no_treatment], horizon)[0] if isinstance(no_treatment, Mapping) else None,
        "titration": titration,
        "monitoring": {"protocol": monitoring.get("protocol") if isinstance(monitoring, Mapping) else None,
                       "visits": visits or [],
                       "sources": monitoring.get("sources", []) if isinstance(monitoring, Mapping) else []},
        "weights": result.get("weights") or {},
        "weight_notes": result.get("weight_notes") or {},
        "weights_are": result.get("weights_are") or "",
        "score_formula": result.get("score_formula") or "",
        "settings": settings,
        "figures": figures,
        "disclaimer": result.get("disclaimer") or DISCLAIMER,
    }
