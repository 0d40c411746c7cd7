"""``hpgsim validate``: simulate published trials and score the predictions against them.

Prints a table of predicted vs published values with pass/fail, the cohorts' baselines beside the
published ones, per-trial scores, the overall score and the scores of the studies used for
fitting and not; ``--json`` writes the document of ``shared/validation/FORMAT.md`` and ``--plot``
one PNG per multi-time-point study. Exit 0 whenever the trials ran, 2 (one line on stderr) for a
malformed spec. Heavy modules are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

if TYPE_CHECKING:
    from hpgsim.trials.runner import EndpointResult, TrialResult, ValidationReport

__all__ = ["validate", "plot_trial", "find_fitting"]

FITTING_FILE = "fitting.yaml"


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def find_fitting(specs: List[Path]) -> Optional[Path]:
    """The fitting map for these specs: ``fitting.yaml`` in a spec's folder or the folder above it,
    else ``validation/fitting.yaml`` under the working directory (None if there is none)."""
    for spec in specs:
        folder = spec if spec.is_dir() else spec.parent
        for candidate in (folder / FITTING_FILE, folder.parent / FITTING_FILE):
            if candidate.is_file():
                return candidate
    default = Path("validation") / FITTING_FILE
    return default if default.is_file() else None


def validate(
    specs: List[Path] = typer.Argument(..., help="trial specs (YAML, see FORMAT.md); a folder stands for its *.yaml"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the report as JSON here"),
    plot: Optional[Path] = typer.Option(None, help="folder for one PNG per multi-time-point study"),
    n_men: int = typer.Option(60, "--n-men", min=1, help="virtual men per trial"),
    seed: int = typer.Option(0, help="seed of the virtual cohorts"),
    fitting: Optional[Path] = typer.Option(
        None, help="study id -> fitted parameters (default: fitting.yaml beside the specs or validation/fitting.yaml)"),
) -> None:
    """Simulate published trials and score the predictions against the published endpoints."""
    from hpgsim.errors import InputError
    from hpgsim.trials.runner import check_spec
    from hpgsim.trials.spec import load_fitting, load_specs

    try:
        loaded = load_specs(specs)
        fitting_file = fitting if fitting is not None else find_fitting(specs)
        fitting_map = load_fitting(fitting_file) if fitting_file is not None else {}
        if json_out is not None and not json_out.parent.is_dir():
            raise InputError("--json", f"folder '{json_out.parent}' does not exist; "
                                       "allowed: a path in an existing folder")
        if plot is not None and plot.exists() and not plot.is_dir():
            raise InputError("--plot", f"'{plot}' is not a folder; allowed: a folder (created if missing)")
        for spec in loaded:
            check_spec(spec)
    except InputError as e:
        _fail(str(e))
    report = _run(loaded, n_men=n_men, seed=seed, fitting=fitting_map, curves=plot is not None)
    if json_out is not None:
        import json

        json_out.write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    if plot is not None:
        plot.mkdir(parents=True, exist_ok=True)
        for trial in report.trials:
            plot_trial(trial, plot)
    _print(report, fitting_file)


def _run(specs, *, n_men: int, seed: int, fitting, curves: bool) -> ValidationReport:
    """Run the trials under a progress bar over trials and arms (on stderr)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hpgsim.trials.runner import run_trials

    with Progress(TextColumn("{task.description:<6}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[label]}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        trials = bar.add_task("trials", total=len(specs), label=specs[0].id if specs else "")
        arms = bar.add_task("arms", total=sum(len(s.arms) for s in specs), label="")
        names = [s.id for s in specs]

        def arm_done(trial: str, arm: str) -> None:
            bar.update(arms, advance=1, label=f"{trial}: {arm}")

        def trial_done(result: TrialResult) -> None:
            bar.advance(trials)
            k = names.index(result.id) + 1
            bar.update(trials, label=names[k] if k < len(names) else "")

        return run_trials(specs, n_men=n_men, seed=seed, progress=arm_done, fitting=fitting, curves=curves,
                          on_trial=trial_done)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.4g}"


def _when(r: EndpointResult) -> str:
    e = r.endpoint
    if e.week is None:
        return f"from wk {e.after_week or 0:g}"
    return f"wk {e.week:g}" + (f" {e.clock_hour:02g}h" if e.clock_hour is not None else "")


_KIND_TEXT = {"mean": "mean", "median": "median", "percent_change": "% change", "fold_change": "fold change",
              "fraction_below": "share <", "fraction_at_least": "share >=",
              "median_weeks_to_below": "median weeks to <", "median_weeks_to_at_least": "median weeks to >="}


def _what(r: EndpointResult) -> str:
    e = r.endpoint
    threshold = f" {e.threshold:g}" if e.threshold is not None else ""
    return f"{e.observable} {_KIND_TEXT[e.kind]}{threshold}"


def _rate(passed: int, total: int) -> str:
    return f"{passed}/{total} ({100.0 * passed / total:.0f}%)" if total else "-"


def _print(report: ValidationReport, fitting_file: Optional[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    from hpgsim import DISCLAIMER

    con = Console()
    if not con.is_terminal:  # a file or a pipe: wide enough for one line per endpoint
        con = Console(width=180)
    t = Table(title=f"predicted vs published ({report.n_men} virtual men per trial, seed {report.seed})")
    for name, kw in (("trial", {"no_wrap": True}), ("arm", {"no_wrap": True, "overflow": "ellipsis", "max_width": 30}),
                     ("endpoint", {"overflow": "fold"}), ("when", {"no_wrap": True}),
                     ("published", {"justify": "right"}),
                     ("predicted", {"justify": "right"}), ("unit", {}), ("tolerance", {}), ("pass", {}), ("dir", {})):
        t.add_column(name, **kw)
    for r in report.endpoints:
        e = r.endpoint
        unit = {"fraction_below": "share", "fraction_at_least": "share", "percent_change": "%",
                "fold_change": "x", "median_weeks_to_below": "weeks", "median_weeks_to_at_least": "weeks"}
        unit_text = unit.get(e.kind, e.unit or "")
        predicted = _fmt(r.predicted) if r.predicted is not None else (r.note or "-")
        ok = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
        dir_text = {None: "", True: "[green]ok[/green]", False: "[red]wrong[/red]"}[r.direction]
        t.add_row(r.trial, r.arm, _what(r), _when(r), _fmt(e.value), predicted, unit_text, e.tolerance_label, ok,
                  dir_text)
    con.print(t)

    b = Table(title="cohort baseline: published vs predicted (mean at week 0)")
    for name in ("trial", "observable", "published", "predicted", "unit"):
        b.add_column(name)
    for trial in report.trials:
        for k, (published, predicted, unit) in trial.baseline.items():
            b.add_row(trial.id, k, _fmt(published), _fmt(predicted), unit)
    if b.row_count:
        con.print(b)

    s = Table(title="score per trial")
    for name in ("trial", "group", "endpoints within tolerance", "directions right", "failed men", "seconds"):
        s.add_column(name)
    for trial in report.trials:
        sc = trial.score
        s.add_row(trial.id, report.group(trial.id).replace("_", " "), _rate(sc.passed, sc.endpoints),
                  _rate(sc.direction_right, sc.direction_checked), str(trial.n_failed), f"{trial.seconds:.1f}")
    con.print(s)
    total = report.summary
    con.print(f"[bold]overall[/bold]: {_rate(total.passed, total.endpoints)} endpoints within tolerance, "
              f"{_rate(total.direction_right, total.direction_checked)} directions right "
              f"({len(report.trials)} trials, {report.seconds:.0f} s)")
    source = f" (from {fitting_file})" if fitting_file is not None else " (no fitting map found)"
    for group, sc in report.groups.items():
        con.print(f"  {group.replace('_', ' ')}{source if group == 'fitted' else ''}: "
                  f"{_rate(sc.passed, sc.endpoints)} within tolerance, "
                  f"{_rate(sc.direction_right, sc.direction_checked)} directions right")
    con.print(f"[dim]{DISCLAIMER}[/dim]")


def plot_trial(result: TrialResult, folder: Path) -> Optional[Path]:
    """One PNG for a multi-time-point trial: per followed endpoint, the simulated median and 90% band
    (a line for shares) of each arm against the published points with their tolerance; None when
    the trial has no endpoint followed over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from hpgsim import DISCLAIMER
    from hpgsim.trials.runner import curve_groups, sample_day, unit_factor

    groups = curve_groups(result.spec)
    if not groups:
        return None
    fig, axes = plt.subplots(1, len(groups), figsize=(max(7.0, 5.0 * len(groups)), 5.0), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    arm_names = [a.name for a in result.spec.arms]
    for ax, ((obs, family, threshold), items) in zip(axes[0], groups.items()):
        for arm_name in dict.fromkeys(a for a, _ in items):
            colour = colours[arm_names.index(arm_name) % len(colours)]
            res = result.cohorts[arm_name]
            weeks = np.asarray(res.days, dtype=float) / 7.0
            x = np.asarray(res.values[obs], dtype=float) * unit_factor(items[0][1])
            with np.errstate(invalid="ignore", divide="ignore"):
                if family in ("percent_change", "fold_change"):
                    x = x / x[0]
                    x = 100.0 * (x - 1.0) if family == "percent_change" else x
                if family in ("fraction_below", "fraction_at_least"):
                    ok = np.isfinite(x)
                    hit = (x < threshold) if family == "fraction_below" else (x >= threshold)
                    ax.plot(weeks, (hit & ok).sum(axis=1) / np.maximum(ok.sum(axis=1), 1), color=colour, label=arm_name)
                else:
                    lo, mid, hi = np.nanpercentile(x, [5, 50, 95], axis=1)
                    ax.fill_between(weeks, lo, hi, color=colour, alpha=0.2, linewidth=0)
                    ax.plot(weeks, mid, color=colour, label=f"{arm_name} (median, 90% band)")
            for r in result.endpoints:
                e = r.endpoint
                if r.arm != arm_name or all(e is not it[1] for it in items):
                    continue
                lo_b, hi_b = e.band()
                if family == "time":  # the published median time, where the median man should cross
                    start = e.after_week or 0.0
                    ax.axhline(e.threshold, color="grey", linestyle=":", linewidth=0.8)
                    ax.errorbar([start + e.value], [e.threshold], xerr=[[e.value - lo_b], [hi_b - e.value]], fmt="o",
                                color=colour, markeredgecolor="black", capsize=3)
                    if r.predicted is not None:
                        ax.plot([start + r.predicted], [e.threshold], "x", color="black")
                else:
                    week = sample_day(e) / 7.0
                    ax.errorbar([week], [e.value], yerr=[[e.value - lo_b], [hi_b - e.value]], fmt="o", color=colour,
                                markeredgecolor="black", capsize=3)
        unit = {"percent_change": "% change from week 0", "fold_change": "x week 0", "fraction_below": "share",
                "fraction_at_least": "share"}.get(family, items[0][1].unit or "")
        title = obs
        if family in ("fraction_below", "fraction_at_least"):
            title += f" {'<' if family == 'fraction_below' else '>='} {threshold:g}"
        elif family == "time":
            title += ": median time to threshold (x: simulated)"
            if obs in ("sperm_concentration", "total_sperm_count", "total_motile_count"):
                ax.set_yscale("symlog", linthresh=0.1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylabel(unit)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.suptitle(f"{result.id}: simulated ({result.n_men} men) vs published (points, tolerance as bars)", fontsize=10)
    fig.text(0.5, 0.005, DISCLAIMER, ha="center", fontsize=6, color="grey", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    path = Path(folder) / f"{result.id}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
