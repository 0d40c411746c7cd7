"""The command line: outputs and one-line errors with exit code 2."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from hpgsim.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args,field", [
    (["simulate", "--phenotype", "martian", "--days", "5"], "phenotype"),
    (["simulate", "--days", "-3"], "days"),
    (["simulate", "--days", "5", "--mode", "quantum"], "mode"),
    (["simulate", "--days", "5", "--regimen", "anastrozole 1000 mg PO daily"], "dose"),
    (["simulate", "--days", "5", "--regimen", "aspirin 100 mg PO daily"], "drug"),
])
def test_bad_input_is_one_line_naming_the_field_with_exit_2(args, field):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    lines = [l for l in res.output.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in res.output


def test_simulate_writes_daily_csv_with_canonical_columns(tmp_path):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["simulate", "--phenotype", "eugonadal", "--days", "3", "--out", str(out),
                              "--regimen", "anastrozole 1 mg PO daily"])
    assert res.exit_code == 0, res.output
    f = pd.read_csv(out)
    for col in ("day", "total_testosterone", "free_testosterone", "bioavailable_testosterone", "lh", "fsh",
                "estradiol", "shbg", "inhibin_b", "intratesticular_testosterone", "sperm_concentration",
                "total_sperm_count", "total_motile_count", "conc_anastrozole"):
        assert col in f.columns
    assert len(f) == 4 and f.day.iloc[0] == pytest.approx(8 / 24)


def test_demo_writes_a_picture(tmp_path):
    res = runner.invoke(app, ["demo", "--out-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "demo.png").stat().st_size > 10_000 and (tmp_path / "demo.csv").exists()


def test_simulate_prints_the_titrated_doses():
    res = runner.invoke(app, ["simulate", "--phenotype", "secondary_hypogonadism", "--days", "60", "--regimen",
                              "clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 "
                              "ng/dL every 4 weeks down to 12.5 mg up to 50 mg"])
    assert res.exit_code == 0, res.output
    assert "titration: dose from each check on" in res.output
    assert "start" in res.output and "total_testosterone" in res.output and "every other day" in res.output
    bad = runner.invoke(app, ["simulate", "--days", "3", "--mode", "pulsatile", "--regimen",
                              "clomiphene citrate 25 mg PO every other day, titrate to T 500-600 ng/dL every 4 weeks "
                              "up to 50 mg"])
    assert bad.exit_code == 2 and "titrated" in bad.output
