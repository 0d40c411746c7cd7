"""The assessment report: one self-contained HTML page (and an optional PDF) of an :class:`Assessment`.

The page needs no network to open: its CSS is inline and plotly.js is inlined in the page
(``plotly.offline.get_plotlyjs()``). It holds the labs with their ranges and sources, the derived
values, the phenotype and its reasons, the options compared on the twin with their scores and
flags, one figure of the predicted T, E2 and sperm trajectories (median line, 90% band, reference
range as a grey band, the observed lab at week 0), the titration tables, the monitoring plan, the
score weights and the disclaimer.

:func:`assessment_pdf` draws the same content with matplotlib (text pages and the figure).
:func:`hpgsim.report.files.write_files` writes several outputs so that either all of them appear or none.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from hpgsim import DISCLAIMER, __version__

if TYPE_CHECKING:  # pragma: no cover
    from hpgsim.clinic.assess import Assessment

__all__ = ["assessment_html", "assessment_figure", "assessment_pdf", "render_outputs",
           "check_output_paths", "PLOT_ID"]

PLOT_ID = "trajectories"
_PANELS = (("total_testosterone", "Total testosterone (ng/dL)"), ("estradiol", "Estradiol (pg/mL)"),
           ("sperm_concentration", "Sperm concentration (M/mL)"))
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")

_SELECTED = ' style="background:#eef7ee"'
_NO_OPTION = "<p>No hormonal option is suggested for this pattern; no treatment is shown for reference.</p>"
_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.disclaimer{background:#fff4e5;border:1px solid #f0b35a;border-radius:6px;padding:8px 12px;margin:10px 0;font-size:.92em}
table{border-collapse:collapse;width:100%;font-size:.86em;background:#fff}
th,td{border:1px solid #e2e2e2;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f3f7}td.num{text-align:right;white-space:nowrap}
.low{color:#b35900;font-weight:600}.high{color:#b30000;font-weight:600}.ok{color:#2e7d32}
.tier{font-size:.8em;padding:1px 6px;border-radius:8px;background:#e8eef7;white-space:nowrap}
.tier-first-line{background:#dff0d8}.tier-not{background:#f2dede}
.flag{margin:2px 0;font-size:.92em}.flag.warning::before{content:"\\26A0  ";color:#b30000}
.flag.note::before{content:"\\2139  ";color:#555}
.small{font-size:.85em;color:#555}.reasons li{margin:2px 0}
#trajectories{width:100%;min-height:820px;background:#fff;border:1px solid #e2e2e2}
details{margin:4px 0}summary{cursor:pointer}
"""


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _fq(q: Mapping | None, digits: int = 3) -> str:
    if not q or q.get("q50") is None:
        return "n/a"
    return f"{q['q50']:.{digits}g} <span class='small'>({q['q05']:.{digits}g}-{q['q95']:.{digits}g})</span>"


def _tier_class(tier: str) -> str:
    return "tier tier-first-line" if tier == "first-line" else "tier tier-not" if tier in (
        "not expected to help", "conflicts with the fertility wish") else "tier"


def assessment_figure(a: "Assessment"):
    """The comparison figure (plotly): T, E2 and sperm concentration over weeks, one colour per option."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    tr = a.trajectories()
    weeks = [d / 7.0 for d in tr["day"]]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[t for _, t in _PANELS])
    entries = [(p.name, f"#{p.rank} {p.name}", _COLORS[i % len(_COLORS)], "solid") for i, p in enumerate(a.protocols)]
    entries.append((a.reference.name, "no treatment (reference)", "#7f7f7f", "dash"))
    for row, (obs, _) in enumerate(_PANELS, start=1):
        lo, hi = tr["reference_ranges"][obs]
        if lo is not None:
            top = hi if hi is not None else max(lo * 3.0, lo + 1.0)
            fig.add_hrect(y0=lo, y1=top, fillcolor="#9e9e9e", opacity=0.22, line_width=0, layer="below", row=row, col=1,
                          exclude_empty_subplots=False)
            for y in (lo, hi):
                if y is not None:
                    fig.add_hline(y=y, line={"color": "#757575", "width": 1, "dash": "dot"}, row=row, col=1,
                                  exclude_empty_subplots=False)
        for name, label, color, dash in entries:
            t = tr["protocols"][name].get(obs)
            if not t:
                continue
            fig.add_trace(go.Scatter(x=weeks + weeks[::-1], y=list(t["q95"]) + list(t["q05"])[::-1], fill="toself",
                                     fillcolor=color, opacity=0.15, line={"width": 0}, hoverinfo="skip",
                                     legendgroup=name, showlegend=False, name=f"{label} 90% band"), row=row, col=1)
            fig.add_trace(go.Scatter(x=weeks, y=t["q50"], mode="lines", line={"color": color, "width": 2, "dash": dash},
                                     name=label, legendgroup=name, showlegend=row == 1,
                                     hovertemplate=f"{label}<br>week %{{x:.1f}}: %{{y:.3g}}<extra></extra>"),
                          row=row, col=1)
        observed = tr["observed"].get(obs)
        if observed is not None:
            fig.add_trace(go.Scatter(x=[0.0], y=[observed], mode="markers", marker={"symbol": "x", "size": 10,
                                                                                    "color": "black"},
                                     name="observed lab (week 0)", legendgroup="observed", showlegend=row == 1,
                                     hovertemplate="observed %{y:.3g}<extra></extra>"), row=row, col=1)
        fig.update_yaxes(title_text=tr["units"][obs], rangemode="tozero", row=row, col=1)
    fig.update_xaxes(title_text="weeks from the start of treatment", row=3, col=1)
    fig.update_layout(template="plotly_white", height=820, margin={"l": 60, "r": 20, "t": 110, "b": 50},
                      hovermode="closest", legend={"orientation": "h", "yanchor": "bottom", "y": 1.04, "x": 0},
                      title={"text": f"Predicted trajectories on this man's twin: median and 90% band over {a.n} "
                                     "posterior draws; grey: reference range", "font": {"size": 13}})
    return fig


def _labs_table(a: "Assessment") -> str:
    rows = []
    for r in a.interpretation.labs:
        rng = ("-".join(f"{x:g}" for x in (r.low, r.high)) if r.low is not None and r.high is not None
               else f"&ge; {r.low:g}" if r.low is not None else "")
        cls = "low" if r.status == "low" else "high" if r.status == "high" else "ok" if r.status == "in range" else ""
        rows.append(f"<tr><td>{_e(r.label)}</td><td class='num'>{r.value:.4g}</td><td>{_e(r.unit)}</td>"
                    f"<td class='{cls}'>{_e(r.status)}</td><td class='num'>{rng}</td><td class='small'>"
                    f"{_e(r.range_source)}</td><td class='small'>{_e(r.given)}</td></tr>")
    head = ("<tr><th>lab</th><th>value</th><th>unit</th><th>reading</th><th>reference</th><th>range source</th>"
            "<th>as given</th></tr>")
    derived = "".join(
        f"<tr><td>{_e(d.label)}</td><td class='num'>{d.value:.4g}</td><td>{_e(d.unit)}</td>"
        f"<td class='{'low' if d.abnormal else ''}'>{_e(d.interpretation)}</td><td class='small'>{_e(d.method)}</td>"
        f"<td class='small'>{_e(d.source)}</td></tr>" for d in a.interpretation.derived.values())
    out = f"<table id='labs-table'>{head}{''.join(rows)}</table>"
    if derived:
        out += ("<h3>Derived values</h3><table id='derived-table'><tr><th>value</th><th></th><th>unit</th>"
                f"<th>meaning</th><th>how</th><th>source</th></tr>{derived}</table>")
    return out


def _options_table(a: "Assessment") -> str:
    weeks = [w for w in (4, 12, 26) if w <= a.horizon_weeks]
    head = ("<tr><th>#</th><th>option</th><th>regimen</th><th>score</th>"
            + "".join(f"<th>week {w}: T ng/dL / E2 pg/mL / T/E2 / sperm M/mL</th>" for w in weeks)
            + "<th>time to T in range</th><th>flags</th></tr>")
    rows = []
    for p in (*a.protocols, a.reference):
        cells = []
        for w in weeks:
            pr = p.predictions
            cells.append(f"<td class='small'>T {_fq(pr['total_testosterone'][f'week_{w}'])}<br>"
                         f"E2 {_fq(pr['estradiol'][f'week_{w}'])}<br>T/E2 {_fq(pr['t_e2_ratio'][f'week_{w}'])}<br>"
                         f"sperm {_fq(pr['sperm_concentration'][f'week_{w}'])}<br>"
                         f"TMC {_fq(pr['total_motile_count'][f'week_{w}'])} M</td>")
        flags = "".join(f"<div class='flag {_e(f['severity'])}'>{_e(f['text'])}</div>" for f in p.flags)
        times = _e(p.time_to_t_in_range["text"])
        if p.time_to_sperm_16 is not None:
            times += f"<br><span class='small'>sperm &ge; 16 M/mL: {_e(p.time_to_sperm_16['text'])}</span>"
        breakdown = "".join(f"<tr><td>{_e(k)}</td><td class='num'>{p.components[k]:.2f}</td>"
                            f"<td class='num'>{p.weights[k]:g}</td><td class='num'>{p.contributions[k]:.2f}</td></tr>"
                            for k in p.components)
        is_ref = p is a.reference
        score = ("<span class='small'>not ranked</span>" if is_ref else
                 f"<b>{p.score:.2f}</b><details><summary class='small'>breakdown</summary><table><tr><th>component</th>"
                 f"<th>value</th><th>weight</th><th>points</th></tr>{breakdown}</table></details>")
        rank = "" if is_ref else str(p.rank)
        rows.append(
            f"<tr class='option' data-name='{_e(p.name)}'><td>{rank}</td><td><b>{_e(p.title)}</b><br>"
            f"<span class='small'>{_e(p.name)}</span> <span class='{_tier_class(p.tier)}'>{_e(p.tier)}</span>"
            f"<div class='small'>{_e(p.rationale)}</div><div class='small'>sources: {_e(p.source)}</div></td>"
            f"<td class='small'>{'<br>'.join(_e(x) for x in p.regimen) or 'none'}{_final_doses(p)}</td><td>{score}</td>"
            f"{''.join(cells)}<td class='small'>{times}</td><td>{flags}</td></tr>")
    return f"<table id='options-table'>{head}{''.join(rows)}</table>"


def _final_doses(p) -> str:
    """A titrated option: the share of the draws on each dose at the horizon."""
    if not p.dose_titration:
        return ""
    return f"<div class='small final-doses'><b>titrated doses</b> {_e(p.dose_titration['final']['text'])}</div>"


def _titration(a: "Assessment") -> str:
    if not a.titration:
        return "<p class='small'>No titration table: no first-line aromatase inhibitor or SERM option for this pattern.</p>"
    parts = []
    for t in a.titration:
        rows = "".join(
            f"<tr{_SELECTED if r['selected'] else ''}><td>{_e(r['regimen'])}</td>"
            f"<td class='num'>{r['weekly_dose_mg']:g}</td><td>{_fq(r['total_testosterone'])}</td>"
            f"<td>{_fq(r['estradiol'])}</td><td>{_fq(r['t_e2_ratio'])}</td><td>{_fq(r['sperm_concentration'])}</td>"
            f"<td>{'yes' if r['meets'] else 'no'}{' (lowest)' if r['selected'] else ''}</td></tr>" for r in t["rows"])
        parts.append(
            f"<h3>{_e(t['drug'])}</h3><p class='small'>Criterion: {_e(t['criterion'])}. Source: {_e(t['source'])}.</p>"
            "<table class='titration'><tr><th>regimen</th><th>mg/week</th><th>T ng/dL (week 12)</th>"
            "<th>E2 pg/mL</th><th>T/E2</th><th>sperm M/mL</th><th>meets the criterion</th></tr>"
            f"{rows}</table><p>{_e(t['text'])}</p>")
    return "".join(parts)


def _monitoring(a: "Assessment") -> str:
    from hpgsim.clinic.interpret import LAB_LABELS

    mp = a.monitoring
    rows = "".join(
        f"<tr><td>{_e(v['when'])}</td><td>{_e(', '.join(v['labs']))}</td><td class='small'>{_e(v['why'])}</td>"
        f"<td class='small'>{'<br>'.join(_e(f'{LAB_LABELS.get(k, k)}: {x}') for k, x in (v.get('predicted') or {}).items())}"
        "</td></tr>"
        for v in mp["visits"])
    title = (f"<p class='small'>For the top-ranked option, <b>{_e(mp['protocol'])}</b>; predicted values are its "
             "median (90% interval) on the twin.</p>") if mp.get("protocol") else ""
    sources = "".join(f"<li>{_e(s)}</li>" for s in mp.get("sources", ()))
    return (f"{title}<table id='monitoring-table'><tr><th>when</th><th>labs</th><th>why</th><th>predicted</th></tr>"
            f"{rows}</table><ul class='small'>{sources}</ul>")


def _weights(a: "Assessment") -> str:
    from hpgsim.clinic.assess import DEFAULT_WEIGHTS, WEIGHT_NOTES, WEIGHTS_ARE

    rows = "".join(f"<tr><td>{_e(k)}</td><td class='num'>{v:g}</td><td class='num'>{DEFAULT_WEIGHTS[k]:g}</td>"
                   f"<td class='small'>{_e(WEIGHT_NOTES[k])}</td></tr>" for k, v in a.weights.items())
    return (f"<p class='small'>score = sum of weight &times; component; components are shares of the posterior draws "
            f"(0-1). The weights are {_e(WEIGHTS_ARE)} (<code>hpgsim assess --weight KEY=VALUE</code>).</p>"
            f"<table id='weights-table'><tr><th>component</th><th>weight used</th><th>default</th><th>meaning</th></tr>"
            f"{rows}</table>")


def assessment_html(a: "Assessment") -> str:
    """The self-contained report page of assessment ``a`` (inline CSS, plotly.js inlined; no network)."""
    from plotly.offline import get_plotlyjs

    pf = a.patient
    fig = assessment_figure(a)
    plot = fig.to_html(full_html=False, include_plotlyjs=False, div_id=PLOT_ID,
                       config={"displaylogo": False, "responsive": True})
    warnings = "".join(f"<li>{_e(w)}</li>" for w in a.warnings)
    notes = "".join(f"<li>{_e(n)}</li>" for n in a.notes)
    reasons = "".join(f"<li>{_e(r)}</li>" for r in a.reasons)
    history = "; ".join(f"{h.regimen} (weeks {h.start_week:g} to {h.stop_week:g})" for h in pf.history) or "none"
    title = f"hpgsim assessment: {pf.id or 'patient'}"
    body = f"""
<main>
<h1>{_e(title)}</h1>
<div class="disclaimer" id="disclaimer"><b>Disclaimer.</b> {_e(DISCLAIMER)} The options below are simulated
predictions for discussion, not a directive.</div>
<p>Age {pf.age_years:g} years, BMI {pf.body_mass_index:.1f} kg/m&sup2;, fertility
{'desired' if pf.fertility_desired else 'not desired'}; treatment history: {_e(history)}.
Twin: {_e(a.twin_status)} ({_e(a.twin_message)}).</p>
<h2>Labs</h2>
{_labs_table(a)}
{f'<h3>Warnings</h3><ul id="warnings">{warnings}</ul>' if warnings else ''}
<h2>Phenotype: <span id="phenotype">{_e(a.phenotype)}</span></h2>
<ul class="reasons" id="reasons">{reasons}</ul>
<h2>Options compared on his twin</h2>
<p class="small">Ranked by the score below; each cell is the predicted median (90% interval) over {a.n} posterior
draws of this man's calibrated twin (parameter uncertainty, not between-patient variability). Consider discussing
the options and their flags; none is a directive.</p>
{'' if a.protocols else _NO_OPTION}{_options_table(a)}
<h2>Predicted trajectories</h2>
{plot}
<h2>Titration</h2>
{_titration(a)}
<h2>Monitoring plan</h2>
{_monitoring(a)}
<h2>Score weights</h2>
{_weights(a)}
{f'<h2>Notes</h2><ul id="notes">{notes}</ul>' if notes else ''}
<div class="disclaimer">{_e(DISCLAIMER)}</div>
<p class="small">hpgsim {_e(__version__)}; {a.n} posterior draws, seed {a.seed}, horizon {a.horizon_weeks} weeks;
computed in {a.elapsed_s:.1f} s.</p>
</main>"""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_e(title)}</title>"
            f"<style>{_CSS}</style><script type=\"text/javascript\">{get_plotlyjs()}</script></head>"
            f"<body>{body}</body></html>\n")


def assessment_pdf(a: "Assessment") -> bytes:
    """A PDF of the assessment (matplotlib): the text summary on A4 pages, then the trajectory figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    import textwrap

    from hpgsim.clinic.assess import summary_lines

    lines: list[str] = []
    for line in summary_lines(a):
        indent = len(line) - len(line.lstrip())
        lines += textwrap.wrap(line, 118, subsequent_indent=" " * (indent + 4)) or [""]
    buf = io.BytesIO()
    per_page = 86
    with PdfPages(buf) as pdf:
        for start in range(0, len(lines), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(0.04, 0.975, "\n".join(lines[start:start + per_page]), va="top", ha="left", family="monospace",
                     fontsize=5.6)
            fig.text(0.04, 0.015, DISCLAIMER, fontsize=6, color="0.3")
            pdf.savefig(fig)
            plt.close(fig)
        tr = a.trajectories()
        weeks = [d / 7.0 for d in tr["day"]]
        fig, axes = plt.subplots(3, 1, figsize=(8.27, 11.69), sharex=True)
        entries = [(p.name, f"#{p.rank} {p.name}", _COLORS[i % len(_COLORS)], "-") for i, p in enumerate(a.protocols)]
        entries.append((a.reference.name, "no treatment", "#7f7f7f", "--"))
        for ax, (obs, label) in zip(axes, _PANELS):
            lo, hi = tr["reference_ranges"][obs]
            if lo is not None:
                ax.axhspan(lo, hi if hi is not None else lo * 3.0, color="0.85", zorder=0)
            for name, lab, color, ls in entries:
                t = tr["protocols"][name].get(obs)
                if t:
                    ax.fill_between(weeks, t["q05"], t["q95"], color=color, alpha=0.15, lw=0)
                    ax.plot(weeks, t["q50"], color=color, ls=ls, lw=1.6, label=lab)
            if tr["observed"].get(obs) is not None:
                ax.plot([0.0], [tr["observed"][obs]], "kx", ms=8, label="observed (week 0)")
            ax.set_ylabel(label)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=6, loc="best")
        axes[-1].set_xlabel("weeks from the start of treatment")
        fig.suptitle(f"Predicted trajectories: median and 90% band over {a.n} posterior draws; grey: reference range",
                     fontsize=9)
        fig.text(0.02, 0.01, DISCLAIMER, fontsize=6, color="0.3")
        fig.tight_layout(rect=(0, 0.03, 1, 0.97))
        pdf.savefig(fig)
        plt.close(fig)
    return buf.getvalue()


def check_output_paths(**paths: Path | None) -> None:
    """Refuse, before any work, an output whose folder is missing or which names a folder (InputError)."""
    from hpgsim.errors import InputError

    for option, path in paths.items():
        if path is None:
            continue
        path = Path(path)
        if path.is_dir():
            raise InputError(option, f"'{path}' is a folder; allowed: a file path")
        if not path.parent.is_dir():
            raise InputError(option, f"folder '{path.parent}' does not exist; allowed: a path in an existing folder")


def render_outputs(a: "Assessment", *, json_path: Path | None = None, html_path: Path | None = None,
                   pdf_path: Path | None = None) -> dict[Path, str | bytes]:
    """The contents of the requested outputs, all rendered in memory (nothing written yet)."""
    import json

    out: dict[Path, str | bytes] = {}
    if json_path is not None:
        out[Path(json_path)] = json.dumps(a.to_json(), indent=1, allow_nan=False) + "\n"
    if html_path is not None:
        out[Path(html_path)] = assessment_html(a)
    if pdf_path is not None:
        out[Path(pdf_path)] = assessment_pdf(a)
    return out
