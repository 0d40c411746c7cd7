"""The validation report as Markdown (``hpgsim validate ... --report docs/validation.md``), and the
atomic file writing every trial command uses.

The report is generated from a :class:`~hpgsim.trials.runner.ValidationReport`: the overall score,
the scores of the studies used for fitting and not (``validation/fitting.yaml``; a fitted study's
endpoints measure fit, not prediction), a table per trial, every endpoint predicted vs published
with pass/fail, and one figure per multi-time-point study (simulated median and 90% band vs the
published points, drawn by :func:`hpgsim.trials.cli.plot_trial`) saved in a folder named after the
report (``docs/validation.md`` -> ``docs/validation/``) and linked from it.

Files are written whole or not at all: into a temporary file in the target's folder, then
renamed over the target (:mod:`hpgsim.report.files`).
"""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from hpgsim.report.files import write_atomic

if TYPE_CHECKING:
    from hpgsim.trials.runner import EndpointResult, ValidationReport

__all__ = ["validation_markdown", "write_validation_report", "figure_folder"]



def figure_folder(report_path: str | Path) -> Path:
    """Where the figures of a report go: a folder beside it named after it (``validation.md`` -> ``validation/``)."""
    p = Path(report_path)
    return p.with_suffix("") if p.suffix else p.with_name(p.name + "_figures")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def validation_markdown(report: ValidationReport, *, figures: Mapping[str, str] | None = None,
                        fitting_file: str | Path | None = None, command: str | None = None,
                        generated: str | None = None) -> str:
    """The report as Markdown; ``figures`` maps trial id -> figure path relative to the report."""
    from hpgsim import DISCLAIMER, __version__
    from hpgsim.trials.cli import _fmt, _rate, _what, _when

    figures = dict(figures or {})
    total = report.summary
    groups = report.groups
    when = generated or _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    commit = _git_commit()
    lines = ["# Validation report", "",
             "Predicted vs published outcomes of the validation library (`validation/trials/*.yaml` and the "
             "format's two examples): every trial simulated on a virtual cohort matched to its published "
             "baseline, every endpoint compared with its published value within the tolerance of "
             "`shared/validation/FORMAT.md`. This file is generated; do not edit it by hand.", ""]
    provenance = [f"hpgsim {__version__}" + (f" (git {commit})" if commit else ""), f"generated {when}",
                  f"{report.n_men} virtual men per trial, seed {report.seed}",
                  f"{len(report.trials)} trials, {report.seconds:.0f} s"]
    lines += ["- " + "; ".join(provenance)]
    if command:
        lines += [f"- regenerate: `{command}`"]
    lines += [f"- fitting map: `{fitting_file}`" if fitting_file else "- fitting map: none found (all trials unlisted)",
              "", f"> {DISCLAIMER}", "", "## Score", "",
              "| studies | endpoints within tolerance | directions of change right |", "|---|---|---|",
              f"| all | {_rate(total.passed, total.endpoints)} | {_rate(total.direction_right, total.direction_checked)} |"]
    label = {"fitted": "used for fitting (measures fit)", "not_fitted": "not used for fitting (prediction)",
             "unlisted": "not in the fitting map"}
    for group, sc in groups.items():
        lines.append(f"| {label[group]} | {_rate(sc.passed, sc.endpoints)} | "
                     f"{_rate(sc.direction_right, sc.direction_checked)} |")
    lines += ["", "A study is *used for fitting* when a parameter of the table was fitted to it or set from its "
                  "numbers (`validation/fitting.yaml`, `validation/README.md`); its endpoints measure how well the "
                  "model was fitted, the others how well it predicts. Directions are checked where an endpoint "
                  "implies one (a change from baseline).", "", "## Trials", "",
              "| trial | group | endpoints within tolerance | directions right | failed men | figure |",
              "|---|---|---|---|---|---|"]
    for trial in report.trials:
        sc = trial.score
        fig = f"[figure](#{trial.id.lower()})" if trial.id in figures else ""
        lines.append(f"| {trial.id} | {report.group(trial.id).replace('_', ' ')} | {_rate(sc.passed, sc.endpoints)} | "
                     f"{_rate(sc.direction_right, sc.direction_checked)} | {trial.n_failed} | {fig} |")
    lines += ["", "## Every endpoint", "",
              "Predicted in the endpoint's unit (a share for `share <` / `share >=`, weeks for median times, % for "
              "% change); *direction*: whether the predicted change from baseline has the published sign.", "",
              "| trial | arm | endpoint | when | published | predicted | unit | tolerance | pass | direction |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.endpoints:
        lines.append("| " + " | ".join(_cell(c) for c in _endpoint_row(r, _fmt, _what, _when)) + " |")
    baseline_rows = [(t.id, k, p, q, u) for t in report.trials for k, (p, q, u) in t.baseline.items()]
    if baseline_rows:
        lines += ["", "## Cohort baselines", "", "Published baseline means and the matched virtual cohort's mean at "
                  "week 0.", "", "| trial | observable | published | predicted | unit |", "|---|---|---|---|---|"]
        lines += [f"| {tid} | {k} | {_fmt(p)} | {_fmt(q)} | {_cell(u)} |" for tid, k, p, q, u in baseline_rows]
    if figures:
        lines += ["", "## Studies followed over time", "",
                  "Simulated median and 90% band of each arm (lines and shades; a line for shares) against the "
                  "published points with their tolerance (bars); for median times to a threshold, the published "
                  "time (point) and the simulated one (x).", ""]
        for trial in report.trials:
            if trial.id in figures:
                lines += [f"### {trial.id}", "", f"{_cell(trial.spec.citation or '')}", "",
                          f"![{trial.id}: simulated vs published]({figures[trial.id]})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _endpoint_row(r: EndpointResult, fmt, what, when) -> list[str]:
    e = r.endpoint
    unit = {"fraction_below": "share", "fraction_at_least": "share", "percent_change": "%", "fold_change": "x",
            "median_weeks_to_below": "weeks", "median_weeks_to_at_least": "weeks"}.get(e.kind, e.unit or "")
    predicted = fmt(r.predicted) if r.predicted is not None else (r.note or "-")
    direction = {None: "", True: "right", False: "**wrong**"}[r.direction]
    return [r.trial, r.arm, what(r), when(r), fmt(e.value), predicted, unit, e.tolerance_label,
            "pass" if r.passed else "**FAIL**", direction]


def write_validation_report(report: ValidationReport, path: str | Path, *, fitting_file: str | Path | None = None,
                            command: str | None = None) -> Path:
    """Write the Markdown report at ``path`` and its figures in :func:`figure_folder` (created if
    missing): one per trial with endpoints followed over time (the report's trials must have been run
    with ``curves=True`` for the figures to show the bands)."""
    from hpgsim.trials.cli import plot_trial

    path = Path(path)
    folder = figure_folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, str] = {}
    for trial in report.trials:
        png = plot_trial(trial, folder)
        if png is not None:
            figures[trial.id] = Path(os.path.relpath(png, path.parent)).as_posix()
    write_atomic(path, validation_markdown(report, figures=figures, fitting_file=fitting_file, command=command))
    return path
