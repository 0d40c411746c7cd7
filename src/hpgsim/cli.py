"""The command line: ``hpgsim simulate``, ``hpgsim fit``, ``hpgsim export-sbml``, ``hpgsim demo``,
``hpgsim phenotypes``, ``hpgsim drugs``, ``hpgsim protocols``.

Heavy modules (scipy, pandas, matplotlib) are imported inside the commands so ``hpgsim --help``
starts fast.  Bad input prints one line naming the field and exits with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from hpgsim import DISCLAIMER
from hpgsim.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate the male HPG axis and its drugs. " + DISCLAIMER)


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code=2)


def _prescription_lines(regimen: Optional[List[str]], protocol: Optional[List[str]]) -> list[str]:
    """The prescription lines of the named protocols followed by the --regimen lines."""
    lines: list[str] = []
    if protocol:
        from hpgsim.protocols import protocol as named

        lines = [line for name in protocol for line in named(name).prescriptions]
    return lines + list(regimen or [])


@app.command()
def simulate(
    phenotype: str = typer.Option("eugonadal", help="virtual patient: see `hpgsim phenotypes`"),
    days: float = typer.Option(..., help="days to simulate (> 0)"),
    mode: str = typer.Option("averaged", help="averaged (daily 08:00 rows) or pulsatile (one row per minute)"),
    regimen: Optional[List[str]] = typer.Option(None, help='a prescription, e.g. "anastrozole 1 mg PO twice weekly"; repeat for several agents'),
    protocol: Optional[List[str]] = typer.Option(None, help="a named protocol (see `hpgsim protocols`); combines with --regimen lines"),
    dosing: Optional[Path] = typer.Option(None, help="NONMEM-style dosing table (ID, TIME h, AMT, CMT, EVID, II, ADDL)"),
    seed: Optional[int] = typer.Option(None, help="seed for stochastic pulse timing (pulsatile mode)"),
    out: Optional[Path] = typer.Option(None, help="write the table as CSV here"),
    plot: Optional[Path] = typer.Option(None, help="write a PNG of the trajectories here"),
) -> None:
    """Simulate one virtual patient and write his trajectories."""
    from hpgsim.regimen import Regimen
    from hpgsim.simulate import simulate as run

    try:
        lines = _prescription_lines(regimen, protocol)
        reg = Regimen.parse(lines) if lines else Regimen()
        if dosing is not None:
            if lines:
                raise InputError("dosing", "give either --regimen/--protocol or --dosing, not both")
            reg = _read_dosing(dosing)
        res = run(phenotype, reg, days=days, mode=mode, seed=seed)
    except InputError as e:
        _fail(str(e))
    if not res.ok:
        typer.echo(f"simulation failed: {res.message}", err=True)
        raise typer.Exit(code=1)
    frame = res.to_frame()
    if out is not None:
        frame.to_csv(out, index=False, float_format="%.6g")
    if plot is not None:
        from hpgsim.report.plots import plot_trajectories

        plot_trajectories({phenotype: frame}, plot, title=f"{phenotype}: {reg or 'no treatment'} ({mode})")
    _summary(frame, f"{phenotype}, {reg or 'no treatment'}, {days:g} days ({mode})")
    if res.dose_history is not None:
        _dose_table(res.dose_history)


@app.command()
def fit(
    patient_file: Path = typer.Argument(..., help="the patient file (YAML or JSON, see PATIENT_FORMAT.md)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the fit as JSON here"),
    plot: Optional[Path] = typer.Option(None, help="write a PNG of labs observed vs fitted and the parameter intervals"),
) -> None:
    """Calibrate a man's virtual twin to his labs: parameters with 90% intervals, identifiability, fitted labs."""
    import json

    from hpgsim.calibrate import fit as calibrate
    from hpgsim.labs import load_patient_file

    try:
        pf = load_patient_file(patient_file)
        for path in (json_out, plot):
            if path is not None and not path.parent.exists():
                raise InputError("out", f"folder '{path.parent}' does not exist; allowed: a path in an existing folder")
    except InputError as e:
        _fail(str(e))
    twin = calibrate(pf)
    if json_out is not None:
        json_out.write_text(json.dumps(twin.to_dict(), indent=1), encoding="utf-8")
    if plot is not None:
        from hpgsim.report.plots import plot_fit

        plot_fit(twin, plot)
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"phenotype prior: [bold]{twin.phenotype}[/bold] - " + "; ".join(twin.reasons))
    t = Table(title=f"labs of {pf.id or patient_file.name}: observed vs twin ({twin.status}: {twin.message})")
    for c in ("lab", "observed", "fitted"):
        t.add_column(c)
    for k, v in twin.observed.items():
        t.add_row(k, f"{v:.4g}", f"{twin.fitted[k]:.4g}")
    con.print(t)
    t = Table(title="parameters (mode and 90% interval: parameter uncertainty)")
    for c in ("parameter", "estimate", "90% interval", "prior median", "identifiable"):
        t.add_column(c)
    for k, e in twin.parameters.items():
        t.add_row(k, f"{e.estimate:.3g}", f"{e.low:.3g} - {e.high:.3g}", f"{e.prior:.3g}",
                  "yes" if e.identifiable else "no (stays at its prior)")
    con.print(t)
    con.print(f"[dim]{DISCLAIMER}[/dim]")


@app.command("export-sbml")
def export_sbml(
    out: Path = typer.Argument(..., help="the SBML file to write (.xml)"),
    phenotype: str = typer.Option("eugonadal", help="virtual patient: see `hpgsim phenotypes`"),
    regimen: Optional[List[str]] = typer.Option(None, help='a prescription, e.g. "anastrozole 1 mg PO daily"; repeat for several agents'),
    protocol: Optional[List[str]] = typer.Option(None, help="a named protocol (see `hpgsim protocols`); combines with --regimen lines"),
    days: float = typer.Option(180.0, help="horizon: the doses of these days become SBML events"),
) -> None:
    """Write the averaged-mode model of one patient and his doses as SBML Level 3 Version 2 (time in hours)."""
    from hpgsim.export.sbml import to_sbml
    from hpgsim.regimen import Regimen

    try:
        lines = _prescription_lines(regimen, protocol)
        reg = Regimen.parse(lines) if lines else Regimen()
        xml = to_sbml(phenotype, reg, days=days)
    except InputError as e:
        _fail(str(e))
    except (ImportError, RuntimeError) as e:  # libSBML missing; the patient's history failed to integrate
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=1)
    try:
        out.write_text(xml, encoding="utf-8")
    except OSError as e:
        _fail(f"out: cannot write '{out}' ({e.strerror or e}); allowed: a file path in an existing, writable folder")
    typer.echo(f"wrote {out}: {phenotype}, {reg or 'no treatment'}, {days:g} days (SBML L3V2, time in hours)")
    typer.echo(DISCLAIMER)


def _read_dosing(path: Path):
    """The regimen of a NONMEM-style CSV; a file that is missing or not a CSV table is an InputError."""
    from pandas.errors import EmptyDataError, ParserError

    from hpgsim.regimen import Regimen

    if not path.exists():
        raise InputError("dosing", f"file '{path}' does not exist")
    if not path.is_file():
        raise InputError("dosing", f"'{path}' is not a file; allowed: a CSV table")
    try:
        return Regimen.from_nonmem(path)
    except (EmptyDataError, ParserError, UnicodeDecodeError) as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise InputError("dosing", f"file '{path}' is not a CSV table ({reason}); allowed: columns ID, TIME, AMT, CMT, "
                                   "EVID (II, ADDL optional)") from None


def _summary(frame, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    cols = ["total_testosterone", "free_testosterone", "lh", "fsh", "estradiol", "sperm_concentration"]
    t = Table(title=title)
    t.add_column("day")
    for c in cols:
        t.add_column(c)
    step = max(1, len(frame) // 8)
    for _, row in frame.iloc[::step].iterrows():
        t.add_row(f"{row['day']:.2f}", *(f"{row[c]:.3g}" for c in cols))
    c = Console()
    c.print(t)
    c.print(f"[dim]{DISCLAIMER}[/dim]")


def _dose_table(history) -> None:
    """The titrated doses: the lab at each check and the dose from then on."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="titration: dose from each check on")
    for col in ("week", "drug", "lab at check", "dose"):
        t.add_column(col)
    for _, row in history.iterrows():
        lab = "start" if row["value"] != row["value"] else f"{row['observable']} {row['value']:.3g}"
        t.add_row(f"{row['day'] / 7:g}", row["drug"], lab, row["dose"])
    Console().print(t)


@app.command()
def demo(out_dir: Path = typer.Option(Path("hpgsim-demo"), help="folder for the picture and table")) -> None:
    """The feedback loop at work: castration, a testosterone course and an aromatase inhibitor."""
    from hpgsim.report.plots import plot_trajectories
    from hpgsim.simulate import simulate as run
    from hpgsim.patient import Patient, phenotype

    out_dir.mkdir(parents=True, exist_ok=True)
    base = phenotype("eugonadal")
    runs = {
        "untreated": run(base, days=140),
        "castrate man (Leydig capacity 0), steady state": run(Patient(name="castrate", overrides={"leydig_capacity": 0.0}), days=140),
        "testosterone enanthate 200 mg IM weekly, 12 weeks": run(base, "testosterone enanthate 200 mg IM weekly for 12 weeks", days=140),
        "anastrozole 1 mg PO daily": run(base, "anastrozole 1 mg PO daily", days=140),
    }
    frames = {k: v.to_frame() for k, v in runs.items()}
    png = plot_trajectories(frames, out_dir / "demo.png", title="hpgsim demo: the HPG feedback loop responding (reference man)",
                            caption="Averaged mode, 08:00 values; grey bands: adult male reference ranges.")
    import pandas as pd

    rows = []
    for k, f in frames.items():
        for d in (0, 28, 84, 139):
            r = f.iloc[min(d, len(f) - 1)]
            rows.append({"scenario": k, "day": d, **{c: round(float(r[c]), 3) for c in
                                                     ("total_testosterone", "lh", "fsh", "estradiol", "sperm_concentration")}})
    table = pd.DataFrame(rows)
    table.to_csv(out_dir / "demo.csv", index=False)
    from rich.console import Console
    from rich.table import Table

    t = Table(title="hpgsim demo (08:00 values)")
    for c in table.columns:
        t.add_column(c)
    for _, r in table.iterrows():
        t.add_row(*(str(v) for v in r.values))
    con = Console()
    con.print(t)
    con.print(f"picture: {png}\ntable: {out_dir / 'demo.csv'}")
    con.print(f"[dim]{DISCLAIMER}[/dim]")


@app.command()
def phenotypes() -> None:
    """List the named virtual patients."""
    from hpgsim.patient import PHENOTYPES

    for name, p in PHENOTYPES.items():
        extra = ", ".join(f"{k}={v:g}" for k, v in p.overrides.items())
        typer.echo(f"{name:28s} age {p.age:g}, BMI {p.bmi:g}{', ' + extra if extra else ''}"
                   + (f"; history: {p.history[0][0]}" if p.history else ""))


@app.command()
def drugs() -> None:
    """List the drugs, their routes, dose units and allowed dose ranges."""
    from hpgsim.drugs.catalog import DRUGS

    for d in DRUGS:
        typer.echo(f"{d.display:26s} {d.dose_unit:3s} {'/'.join(r.route for r in d.routes):14s} "
                   f"{d.dose_min:g}-{d.dose_max:g} {d.dose_unit}  aliases: {', '.join(d.aliases)}")


@app.command()
def protocols(
    name: Optional[str] = typer.Argument(None, help="show one protocol in full: description and references"),
) -> None:
    """List the named protocols: indication, prescriptions and sources."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hpgsim.protocols import PROTOCOLS, protocol

    con = Console()
    if name is not None:
        try:
            p = protocol(name)
        except InputError as e:
            _fail(str(e))
        con.print(f"[bold]{p.name}[/bold]: {p.title}", highlight=False)
        con.print(f"indication: {', '.join(p.indication)}" + (f"  (variant of {p.variant_of})" if p.variant_of else ""),
                  highlight=False)
        con.print("prescriptions:", highlight=False)
        for line in p.prescriptions:
            con.print(f"  {line}", highlight=False, markup=False)
        con.print(f"\n{p.description}\n\nsources:", highlight=False, markup=False)
        for ref in p.references or (p.source,):
            con.print(f"  - {ref}", highlight=False, markup=False)
        con.print(f"\nsimulate: hpgsim simulate --protocol {p.name} --phenotype {p.indication[0]} --days 180",
                  highlight=False)
        con.print(f"[dim]{DISCLAIMER}[/dim]")
        return
    t = Table(title="hpgsim protocols (hpgsim simulate --protocol NAME; hpgsim protocols NAME for details)")
    t.add_column("name", no_wrap=True)
    t.add_column("indication", overflow="fold")
    longest = max(len(line) for p in PROTOCOLS.values() for line in p.prescriptions)
    t.add_column("prescriptions", ratio=3, min_width=max(20, min(longest, con.width - 84)))  # a line unbroken if room
    t.add_column("source", ratio=2)
    for p in PROTOCOLS.values():
        t.add_row(*(Text(cell) for cell in (p.name, "\n".join(p.indication), "\n".join(p.prescriptions), p.source)))
    con.print(t)
    con.print(f"[dim]{DISCLAIMER}[/dim]")


@app.command()
def assess(
    patient: str = typer.Argument(..., help="the patient file (YAML or JSON, see PATIENT_FORMAT.md) or a built-in "
                                            "example name (e.g. obese_hyperestrogenic)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the assessment as JSON here"),
    report: Optional[Path] = typer.Option(None, help="write the self-contained HTML report here"),
    pdf: Optional[Path] = typer.Option(None, help="write a PDF of the assessment here"),
    weight: Optional[List[str]] = typer.Option(None, help="a score weight KEY=VALUE (repeat); keys in the report"),
    n: int = typer.Option(30, help="posterior draws of the twin shared by every option"),
    seed: int = typer.Option(0, help="seed of the posterior draws"),
) -> None:
    """Clinical assessment: labs read, phenotype, options predicted on his twin, titration, monitoring plan."""
    from hpgsim.clinic.assess import assess as run_assess, load_patient, parse_weight_options, summary_lines
    from hpgsim.report.files import write_files
    from hpgsim.report.html import check_output_paths, render_outputs

    try:
        pf = load_patient(patient)
        check_output_paths(json=json_out, report=report, pdf=pdf)
        a = run_assess(pf, weights=parse_weight_options(weight), n=n, seed=seed)
    except InputError as e:
        _fail(str(e))
    files = render_outputs(a, json_path=json_out, html_path=report, pdf_path=pdf)  # all in memory, then written
    try:
        write_files(files)
    except OSError as e:
        _fail(f"out: cannot write ({e.strerror or e}); allowed: file paths in existing, writable folders")
    typer.echo("\n".join(summary_lines(a) + [f"wrote {p}" for p in files]))


from hpgsim.trials.cli import sensitivity, trial, validate  # noqa: E402

app.command()(validate)
app.command()(trial)
app.command()(sensitivity)

from hpgsim.web.cli import serve  # noqa: E402  (imports only typer; the web stack loads when it runs)

app.command()(serve)


def main() -> None:
    try:
        app()
    except InputError as e:  # pragma: no cover - commands catch their own
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
