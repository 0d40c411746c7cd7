"""The trial commands: ``hpgsim validate``, ``hpgsim trial`` and ``hpgsim sensitivity``.

``validate`` simulates published trials and scores the predictions against them: a table of
predicted vs published values with pass/fail, the cohorts' baselines beside the published ones,
per-trial scores, the overall score and the scores of the studies used for fitting and not;
``--json`` writes the document of ``shared/validation/FORMAT.md``, ``--plot`` one PNG per
multi-time-point study and ``--report`` the Markdown validation report
(:mod:`hpgsim.trials.report`). ``trial`` runs a user's own study design
(:mod:`hpgsim.trials.design`); ``sensitivity`` ranks the parameters that drive one endpoint of a
spec (:mod:`hpgsim.sensitivity`). All three run in this process or, with ``--workers N`` /
``--scheduler ADDRESS``, on Dask (:mod:`hpgsim.trials.distributed`) with identical results.

Exit 0 whenever the simulations ran, 2 (one line on stderr, nothing written) for bad input.
Outputs are written whole or not at all. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

if TYPE_CHECKING:
    from hpgsim.trials.runner import EndpointResult, TrialResult, ValidationReport

__all__ = ["validate", "trial", "sensitivity", "plot_trial", "find_fitting"]

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


_WORKERS_HELP = "run on Dask: a LocalCluster of N single-threaded worker processes (same results)"
_SCHEDULER_HELP = "run on the Dask cluster at this address, e.g. tcp://10.0.0.5:8786 (same results)"
_CHUNK_HELP = "men per Dask task (default: the cohort in two tasks per worker, at least 250 men each)"


def _check_file(option: str, path: Optional[Path]) -> None:
    """An output file must go to an existing folder and not be a folder itself."""
    from hpgsim.errors import InputError

    if path is None:
        return
    if not path.parent.is_dir():
        raise InputError(option, f"folder '{path.parent}' does not exist; allowed: a path in an existing folder")
    if path.is_dir():
        raise InputError(option, f"'{path}' is a folder; allowed: a file path")


def _check_folder(option: str, path: Optional[Path]) -> None:
    from hpgsim.errors import InputError

    if path is not None and path.exists() and not path.is_dir():
        raise InputError(option, f"'{path}' is not a folder; allowed: a folder (created if missing)")


def _check_cluster(workers: Optional[int], scheduler: Optional[str], chunk: Optional[int]) -> None:
    from hpgsim.errors import InputError

    if workers is not None and scheduler is not None:
        raise InputError("--workers", "give either --scheduler or --workers, not both")
    if workers is not None and workers < 1:
        raise InputError("--workers", f"{workers} is not allowed; allowed: a whole number of workers >= 1")
    if chunk is not None and chunk < 1:
        raise InputError("--chunk", f"{chunk} is not allowed; allowed: a whole number of men >= 1")


def _write_json(path: Path, doc) -> None:
    import json

    from hpgsim.report.files import write_atomic

    write_atomic(path, json.dumps(doc, indent=1))


def validate(
    specs: List[Path] = typer.Argument(..., help="trial specs (YAML, see FORMAT.md); a folder stands for its *.yaml"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the report as JSON here"),
    plot: Optional[Path] = typer.Option(None, help="folder for one PNG per multi-time-point study"),
    report_md: Optional[Path] = typer.Option(
        None, "--report", help="write the Markdown validation report here (figures in a folder named after it, "
                               "e.g. docs/validation.md -> docs/validation/)"),
    n_men: int = typer.Option(200, "--n-men", min=1, help="virtual men per trial"),  # = runner.VALIDATION_N_MEN
    seed: int = typer.Option(0, help="seed of the virtual cohorts"),
    fitting: Optional[Path] = typer.Option(
        None, help="study id -> fitted parameters (default: fitting.yaml beside the specs or validation/fitting.yaml)"),
    workers: Optional[int] = typer.Option(None, help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, help=_SCHEDULER_HELP),
    chunk: Optional[int] = typer.Option(None, help=_CHUNK_HELP),
) -> None:
    """Simulate published trials and score the predictions against the published endpoints."""
    from hpgsim.errors import InputError
    from hpgsim.trials.runner import check_spec
    from hpgsim.trials.spec import load_fitting, load_specs

    try:
        loaded = load_specs(specs)
        fitting_file = fitting if fitting is not None else find_fitting(specs)
        fitting_map = load_fitting(fitting_file) if fitting_file is not None else {}
        _check_file("--json", json_out)
        _check_folder("--plot", plot)
        _check_file("--report", report_md)
        if report_md is not None:
            from hpgsim.trials.report import figure_folder

            _check_folder("--report", figure_folder(report_md))
        _check_cluster(workers, scheduler, chunk)
        for spec in loaded:
            check_spec(spec)
    except InputError as e:
        _fail(str(e))
    curves = plot is not None or report_md is not None
    try:
        report = _run(loaded, n_men=n_men, seed=seed, fitting=fitting_map, curves=curves, workers=workers,
                      scheduler=scheduler, chunk=chunk)
    except InputError as e:  # inclusion criteria that too few virtual men meet: nothing written
        _fail(str(e))
    if json_out is not None:
        _write_json(json_out, report.to_dict())
    if plot is not None:
        plot.mkdir(parents=True, exist_ok=True)
        for trial in report.trials:
            plot_trial(trial, plot)
    if report_md is not None:
        from hpgsim.trials.report import write_validation_report

        write_validation_report(report, report_md, fitting_file=fitting_file, command=_command_line())
    _print(report, fitting_file)


def _command_line() -> Optional[str]:
    """The ``hpgsim validate`` command line that regenerates the report (without --json and --plot,
    which write elsewhere), or None when not run from the command line."""
    import shlex
    import sys

    args = sys.argv[1:]
    if args[:1] != ["validate"]:
        return None
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--json", "--plot"):
            skip = True
        elif not a.startswith(("--json=", "--plot=")):
            kept.append(a)
    return "hpgsim " + " ".join(shlex.quote(a) for a in kept)


def _run(specs, *, n_men: int, seed: int, fitting, curves: bool, workers: Optional[int] = None,
         scheduler: Optional[str] = None, chunk: Optional[int] = None) -> ValidationReport:
    """Run the trials under a progress bar over trials and arms (on stderr)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        sim = _simulator(stack, workers=workers, scheduler=scheduler, chunk=chunk)
        return _run_on(specs, sim, n_men=n_men, seed=seed, fitting=fitting, curves=curves)


def _simulator(stack, *, workers: Optional[int], scheduler: Optional[str], chunk: Optional[int]):
    """The simulator the options ask for, closed with ``stack``; a cluster that cannot be reached
    is bad input (exit 2)."""
    from hpgsim.errors import InputError
    from hpgsim.trials.distributed import simulator

    try:
        return stack.enter_context(simulator(workers=workers, scheduler=scheduler, chunk=chunk))
    except InputError as e:
        _fail(str(e))


def _run_on(specs, sim, *, n_men: int, seed: int, fitting, curves: bool) -> ValidationReport:
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
                          on_trial=trial_done, simulator=sim)


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
    return f"{passed}/{total} ({100.0 * passed / total:.1f}%)" if total else "-"


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

    screened = [t for t in report.trials if t.spec.population.inclusion]
    if screened:
        c = Table(title="inclusion criteria: virtual men screened to enrol the cohort")
        for name in ("trial", "criteria", "enrolled", "screened", "screened in"):
            c.add_column(name)
        for trial in screened:
            c.add_row(trial.id, "; ".join(x.label for x in trial.spec.population.inclusion), str(trial.n_men),
                      str(trial.screened), f"{100.0 * trial.screened_in:.0f}%")
        con.print(c)

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

    from hpgsim import DISCLAIMER
    from hpgsim.trials.runner import arm_curve, curve_groups, sample_day

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
            weeks, share, band = arm_curve(res, obs, items[0][1], family, threshold)
            if share is not None:
                ax.plot(weeks, share, color=colour, label=arm_name)
            else:
                lo, mid, hi = band
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
    from hpgsim.report.files import save_figure

    path = save_figure(fig, Path(folder) / f"{result.id}.png", dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# hpgsim trial
# --------------------------------------------------------------------------------------------


def trial(
    spec: Path = typer.Argument(..., help="a study design or trial spec (YAML, FORMAT.md; published values optional)"),
    n_men: Optional[int] = typer.Option(None, "--n-men", help="virtual men (default: the spec's population.n)"),
    seed: int = typer.Option(0, help="seed of the virtual cohort"),
    at_week: Optional[List[float]] = typer.Option(
        None, "--at-week", help="week of the responder fractions; repeat for several (default: end of treatment "
                                "and end of follow-up of each arm)"),
    every: Optional[int] = typer.Option(None, help="days between samples of the curves (default: daily for arms "
                                                   "up to 4 weeks, weekly beyond)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write bands, responders and endpoints as JSON here"),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="write the bands as a long CSV table here (arm, day, "
                                                               "week, observable, unit, p5, median, p95, n_ok)"),
    plot: Optional[Path] = typer.Option(None, help="folder for one PNG per observable, arms side by side"),
    workers: Optional[int] = typer.Option(None, help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, help=_SCHEDULER_HELP),
    chunk: Optional[int] = typer.Option(None, help=_CHUNK_HELP),
) -> None:
    """Run your own virtual trial: per arm the median and 90% band of every observable over time,
    responder fractions, predicted endpoints; nothing published needed."""
    from contextlib import ExitStack

    from hpgsim.errors import InputError
    from hpgsim.trials.design import check_design
    from hpgsim.trials.spec import load_spec

    try:
        design = load_spec(spec, published=False)
        check_design(design, at_week, every)
        if n_men is not None and n_men < 1:
            raise InputError("--n-men", f"{n_men} is not allowed; allowed: a whole number of men >= 1")
        _check_file("--json", json_out)
        _check_file("--csv", csv_out)
        _check_folder("--plot", plot)
        _check_cluster(workers, scheduler, chunk)
    except InputError as e:
        _fail(str(e))
    with ExitStack() as stack:
        sim = _simulator(stack, workers=workers, scheduler=scheduler, chunk=chunk)
        try:
            result = _run_design(design, sim, n_men=n_men, seed=seed, at_weeks=at_week, every=every)
        except InputError as e:  # inclusion criteria that too few virtual men meet
            _fail(str(e))
    if json_out is not None:
        _write_json(json_out, result.to_dict())
    if csv_out is not None:
        _write_csv(csv_out, result.rows())
    if plot is not None:
        from hpgsim.trials.design import plot_design

        plot.mkdir(parents=True, exist_ok=True)
        plot_design(result, plot)
    _print_design(result)


def _run_design(design, sim, *, n_men, seed, at_weeks, every):
    """The design's arms under a progress bar over men (on stderr)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from hpgsim.trials.design import run_design

    n = n_men if n_men is not None else design.population.n
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{design.id}: men x arms", total=n * len(design.arms))
        return run_design(design, n_men=n_men, seed=seed, every_days=every, at_weeks=at_weeks, simulator=sim,
                          on_men=lambda k: bar.advance(task, k))


def _write_csv(path: Path, rows) -> None:
    import csv
    import io

    from hpgsim.report.files import write_atomic

    buf = io.StringIO()
    fields = ["arm", "day", "week", "observable", "unit", "p5", "median", "p95", "n_ok"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in fields})
    write_atomic(path, buf.getvalue())


def _print_design(result) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from hpgsim import DISCLAIMER
    from hpgsim.simulate import OBSERVABLES

    con = Console()
    if not con.is_terminal:
        con = Console(width=160)
    pop = result.spec.population
    con.print(f"[bold]{result.id}[/bold]: {pop.description}; {result.n_men} virtual men per arm, seed {result.seed} "
              f"({result.seconds:.1f} s)")
    if pop.inclusion:
        con.print(f"inclusion: {'; '.join(c.label for c in pop.inclusion)}: {result.n_men} of {result.screened} "
                  f"virtual men screened in ({100.0 * result.screened_in:.0f}%)")
    for arm in result.arms:
        weeks = [0.0, arm.weeks] + ([arm.weeks + arm.follow_up_weeks] if arm.follow_up_weeks else [])
        weeks = list(dict.fromkeys(weeks))
        rows = [int(np.argmin(np.abs(arm.days - 7.0 * w))) for w in weeks]
        title = f"{arm.name}: {'; '.join(arm.regimen) or 'no treatment'}, median (5th-95th percentile)"
        if arm.n_failed:
            title += f"; {arm.n_failed} of {arm.n_men} men failed"
        t = Table(title=title)
        t.add_column("observable")
        t.add_column("unit")
        labels = {0.0: "week 0"}
        for w in weeks[1:]:
            end = "end of treatment" if w == arm.weeks else "end of follow-up"
            labels[w] = f"week {w:g} ({end})"
        for w in weeks:
            t.add_column(labels[w], justify="right")
        for obs, (lo, mid, hi) in arm.bands.items():
            t.add_row(obs, OBSERVABLES[obs], *(f"{_fmt(_f(mid[i]))} ({_fmt(_f(lo[i]))}-{_fmt(_f(hi[i]))})"
                                               for i in rows))
        con.print(t)
        if arm.final_doses:
            con.print(f"{arm.name}: titrated doses at week {arm.weeks:g} (end of treatment)", highlight=False,
                      markup=False)
            d = Table()
            for name in ("drug", "dose", "share of the men", "men"):
                d.add_column(name)
            for row in arm.final_doses:
                d.add_row(row["drug"], row["dose"], f"{100.0 * row['share']:.0f}%", str(row["n"]))
            con.print(d)
    r = Table(title="responder fractions (share of men; defaults' sources: hpgsim.trials.design.DEFAULT_RESPONDERS)")
    published = any(row.published is not None for row in result.responders)
    for name in ("arm", "criterion", "week", "share", "men") + (("published",) if published else ()):
        r.add_column(name)
    for row in result.responders:
        cells = [row.arm, row.label, f"{row.week:g}", _fmt(row.fraction), str(row.n)]
        r.add_row(*cells, *([_fmt(row.published) if row.published is not None else ""] if published else []))
    con.print(r)
    if result.endpoints:
        e = Table(title="the spec's endpoints, predicted")
        published = any(p.endpoint.value is not None for p in result.endpoints)
        for name in ("arm", "endpoint", "when", "predicted", "unit") + (("published",) if published else ()):
            e.add_column(name)
        for p in result.endpoints:
            ep = p.endpoint
            when = f"from wk {ep.after_week or 0:g}" if ep.week is None else f"wk {ep.week:g}"
            what = f"{ep.observable} {_KIND_TEXT[ep.kind]}" + (f" {ep.threshold:g}" if ep.threshold is not None else "")
            unit = {"percent_change": "%", "fold_change": "x", "median_weeks_to_below": "weeks",
                    "median_weeks_to_at_least": "weeks"}.get(ep.kind, ep.unit or "")
            cells = [p.arm, what, when, _fmt(p.predicted), unit]
            e.add_row(*cells, *([_fmt(ep.value) if ep.value is not None else ""] if published else []))
        con.print(e)
    con.print(f"[dim]{DISCLAIMER}[/dim]")


def _f(x) -> Optional[float]:
    import math

    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------------------------
# hpgsim sensitivity
# --------------------------------------------------------------------------------------------


def sensitivity(
    spec: Path = typer.Argument(..., help="a trial spec or study design (YAML, FORMAT.md)"),
    endpoint: str = typer.Option(..., help="the endpoint: its position in the spec (1, 2, ... across arms), "
                                           "ARM:N, or an observable naming a single endpoint"),
    method: str = typer.Option("morris", help="morris (cheap screening: mu*, sigma) or sobol (S1, ST)"),
    ranges: str = typer.Option("fold", "--range", help="fold: nominal / --fold to nominal x --fold, log-uniform; "
                                                       "bounds: the table's bounds of the per-patient parameters"),
    fold: float = typer.Option(2.0, help="the fold of --range fold (default 2: /2 to x2)"),
    factor: Optional[List[str]] = typer.Option(None, help="also vary this parameter of the table; repeat for several"),
    drugs: bool = typer.Option(False, "--drugs", help="also vary every PK and PD parameter of the arm's drugs"),
    only: bool = typer.Option(False, "--only", help="vary only the --factor (and --drugs) parameters, not the "
                                                    "per-patient ones"),
    trajectories: int = typer.Option(10, help="Morris trajectories r (r (k + 1) simulations)"),
    samples: int = typer.Option(256, help="Sobol' base samples N, a power of 2 (N (k + 2) simulations)"),
    men_per_sample: Optional[int] = typer.Option(
        None, "--men-per-sample", help="men per sample: 1 = the typical man (default), 40 for a share endpoint"),
    n_men: int = typer.Option(60, "--n-men", min=1, help="men of the baseline matching that sets the typical man"),
    seed: int = typer.Option(0, help="seed of the sampling and of the men"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the ranked indices as JSON here"),
    plot: Optional[Path] = typer.Option(None, help="write a bar plot of the ranked factors (PNG) here"),
    workers: Optional[int] = typer.Option(None, help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, help=_SCHEDULER_HELP),
    chunk: Optional[int] = typer.Option(None, help=_CHUNK_HELP),
) -> None:
    """Global sensitivity analysis (SALib) of one endpoint of a spec over the parameter table:
    which parameters drive the prediction."""
    from contextlib import ExitStack

    from hpgsim.errors import InputError
    from hpgsim.sensitivity import RANGES, check_options, factors, select_endpoint
    from hpgsim.trials.runner import check_spec
    from hpgsim.trials.spec import load_spec

    try:
        design = load_spec(spec, published=False)
        check_spec(design)
        chosen = select_endpoint(design, endpoint)
        check_options(method, trajectories, samples)
        if ranges not in RANGES:
            raise InputError("--range", f"'{ranges}' is not allowed; allowed: {', '.join(RANGES)}")
        if men_per_sample is not None and men_per_sample < 1:
            raise InputError("--men-per-sample", f"{men_per_sample} is not allowed; allowed: a whole number >= 1")
        # the factors' names and ranges, checked before anything runs (the typical man's values come later)
        factors(design, design.arm(chosen.arm), _plain_man(design), extra=factor or (), drugs=drugs, ranges=ranges,
                fold=fold, only=only)
        _check_file("--json", json_out)
        _check_file("--plot", plot)
        _check_cluster(workers, scheduler, chunk)
    except InputError as e:
        _fail(str(e))
    with ExitStack() as stack:
        sim = _simulator(stack, workers=workers, scheduler=scheduler, chunk=chunk)
        result = _run_sensitivity(design, endpoint, sim, method=method, ranges=ranges, fold=fold, extra=factor or (),
                                  drugs=drugs, only=only, trajectories=trajectories, samples=samples,
                                  men_per_sample=men_per_sample, n_men=n_men, seed=seed)
    if json_out is not None:
        _write_json(json_out, result.to_dict())
    if plot is not None:
        from hpgsim.sensitivity import plot_sensitivity

        plot_sensitivity(result, plot)
    _print_sensitivity(result)


def _plain_man(design):
    """The design's base man without baseline matching (enough to check the factors' names)."""
    from hpgsim.patient import Patient
    from hpgsim.trials.runner import cohort_base

    base = cohort_base(design)
    return Patient(name="check", age=base.age, bmi=base.bmi, overrides=dict(base.overrides), history=base.history)


def _run_sensitivity(design, endpoint, sim, **kw):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from hpgsim.errors import InputError
    from hpgsim.sensitivity import analyse

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{design.id}: men", total=None)
        try:
            return analyse(design, endpoint, simulator=sim, on_total=lambda n: bar.update(task, total=n),
                           on_men=lambda k: bar.advance(task, k), sobol_n=kw.pop("samples"), **kw)
        except InputError as e:
            bar.stop()
            _fail(str(e))


def _print_sensitivity(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from hpgsim import DISCLAIMER
    from hpgsim import parameters
    from hpgsim.sensitivity import source_kind

    con = Console()
    if not con.is_terminal:
        con = Console(width=160)
    nominal = _fmt(result.nominal_output)
    con.print(f"[bold]{result.spec.id}[/bold], {result.endpoint_label}: nominal {nominal} {result.unit}; "
              f"{result.method}, {result.n_samples} samples x {result.men_per_sample} men "
              f"({result.seconds:.1f} s)")
    t = Table(title=f"factors ranked by {result.key} ("
                    + ("x/ %g around the nominal value" % result.fold if result.ranges == "fold"
                       else "the table's bounds") + ")")
    for name in ("rank", "parameter", "group", "source", "nominal", "range"):
        t.add_column(name)
    keys = ("mu_star", "mu_star_conf", "mu", "sigma") if result.method == "morris" else ("S1", "S1_conf", "ST", "ST_conf")
    heads = {"mu_star": "mu*", "mu_star_conf": "mu* 95% +-", "mu": "mu", "sigma": "sigma", "S1": "S1",
             "S1_conf": "S1 95% +-", "ST": "ST", "ST_conf": "ST 95% +-"}
    for k in keys:
        t.add_column(heads[k], justify="right")
    for i, f in enumerate(result.ranked(), 1):
        p = parameters.get(f.name)
        kind = source_kind(f.name)
        shown = f"[red]{kind}[/red]" if kind == "assumption" else kind
        t.add_row(str(i), f.name, p.group, shown, f"{f.nominal:.3g}", f"{f.low:.3g}-{f.high:.3g}",
                  *(_fmt(result.indices[f.name][k]) for k in keys))
    con.print(t)
    if result.non_finite:
        con.print(f"[yellow]{result.non_finite} sample(s) gave no value (failed simulation) and were given the "
                  "median of the others[/yellow]")
    for note in result.notes:
        con.print(f"[dim]left out: {note}[/dim]")
    con.print(f"[dim]{DISCLAIMER}[/dim]")
