"""``hpgsim trial``: a study design without published values, its bands, responder fractions,
outputs and refusals. Structure only: the model is being refitted, so no predicted number is pinned."""

import csv
import re
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hpgsim.cli import app
from hpgsim.errors import InputError
from hpgsim.simulate import OBSERVABLES
from hpgsim.trials import load_spec, parse_spec
from hpgsim.trials.design import DEFAULT_RESPONDERS, grid_step, plan_design, run_design

runner = CliRunner()

DESIGN = {
    "id": "MY_AI_DESIGN",
    "population": {"description": "overweight hypogonadal men", "n": 10, "bmi": 31.0,
                   "phenotype": "obese_hyperestrogenic"},
    "arms": [
        {"name": "anastrozole", "regimen": ["anastrozole 1 mg PO daily"], "weeks": 3, "follow_up_weeks": 1,
         "endpoints": [{"observable": "total_testosterone", "kind": "fraction_at_least", "threshold": 400,
                        "unit": "ng/dL", "week": 3},
                       {"observable": "estradiol", "kind": "percent_change", "week": 3}]},
        {"name": "no treatment", "regimen": [], "weeks": 4},
    ],
}


def write(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result():
    return run_design(parse_spec(DESIGN, published=False), seed=0)


# --------------------------------------------------------------------------- reading a design


def test_a_design_needs_no_published_values_but_validation_does():
    spec = parse_spec(DESIGN, published=False)
    assert spec.citation is None and not spec.published and spec.arms[1].endpoints == []
    with pytest.raises(InputError) as e:
        parse_spec(dict(DESIGN, citation="x", source_quality="secondary"))
    assert "arms[0].endpoints[0].value: missing" in str(e.value)
    with pytest.raises(InputError) as e:
        published_arm = dict(DESIGN["arms"][1], endpoints=[{"observable": "lh", "kind": "mean", "week": 1,
                                                             "unit": "IU/L", "value": 4}])
        parse_spec(dict(DESIGN, arms=[published_arm]))
    assert "citation: missing" in str(e.value)
    # a design is still checked like a spec
    bad = dict(DESIGN, arms=[dict(DESIGN["arms"][0], endpoints=[{"observable": "lh", "kind": "mean", "week": 9,
                                                                  "unit": "IU/L"}])])
    with pytest.raises(InputError) as e:
        parse_spec(bad, published=False)
    assert "arms[0].endpoints[0].week" in str(e.value)
    # and the library's specs read as designs too
    examples = Path(__file__).resolve().parents[1] / "validation" / "examples"
    assert load_spec(examples / "WHO1990.yaml", published=False).published


def test_the_grid_is_daily_for_short_arms_weekly_for_long_ones():
    spec = parse_spec(DESIGN, published=False)
    jobs = plan_design(spec)
    assert grid_step(spec.arms[0]) == 1 and jobs[0].sample_days[:3] == (0.0, 1.0, 2.0)
    assert jobs[0].sample_days[-1] == 28.0 and set(jobs[0].observables) == set(OBSERVABLES)
    long = parse_spec(dict(DESIGN, arms=[dict(DESIGN["arms"][1], weeks=12)]), published=False)
    assert grid_step(long.arms[0]) == 7 and plan_design(long)[0].sample_days[:3] == (0.0, 7.0, 14.0)
    # responder weeks off the grid are sampled too
    assert 10.0 in plan_design(long, at_weeks=[10 / 7])[0].sample_days


# --------------------------------------------------------------------------- what comes out


def test_bands_of_every_observable_per_arm(result):
    assert result.n_men == 10  # the design's population.n
    assert [a.name for a in result.arms] == ["anastrozole", "no treatment"]
    for arm in result.arms:
        assert set(arm.bands) == set(OBSERVABLES)
        for obs, (lo, mid, hi) in arm.bands.items():
            assert lo.shape == mid.shape == hi.shape == arm.days.shape
            ok = np.isfinite(mid)
            assert ok.all(), obs
            assert np.all(lo[ok] <= mid[ok] + 1e-9) and np.all(mid[ok] <= hi[ok] + 1e-9)
        assert arm.n_men == 10 and arm.n_failed == 0


def test_responders_from_the_spec_and_the_sourced_defaults(result):
    rows = result.responders
    spec_rows = [r for r in rows if r.source == "the spec's endpoint"]
    assert len(spec_rows) == 1 and spec_rows[0].threshold == 400 and spec_rows[0].week == 3
    for arm, weeks in (("anastrozole", {3.0, 4.0}), ("no treatment", {4.0})):  # end of treatment, of follow-up
        default = [r for r in rows if r.arm == arm and r.source != "the spec's endpoint"]
        assert {(r.label, r.week) for r in default} == {(d.label, w) for d in DEFAULT_RESPONDERS for w in weeks}
    for r in rows:
        assert 0.0 <= r.fraction <= 1.0 and r.n == 10
    for d in DEFAULT_RESPONDERS:  # every default threshold names its source
        assert d.source and any(ch.isdigit() for ch in d.source)
    assert [p.endpoint.kind for p in result.endpoints] == ["percent_change"]
    assert result.endpoints[0].predicted is not None


def test_responders_at_chosen_weeks():
    res = run_design(parse_spec(DESIGN, published=False), n_men=4, at_weeks=[1, 2])
    assert {r.week for r in res.responders if r.source != "the spec's endpoint"} == {1.0, 2.0}
    assert res.n_men == 4


def test_document_and_long_table(result):
    doc = result.to_dict()
    json.dumps(doc)
    assert doc["trial"] == "MY_AI_DESIGN" and len(doc["arms"]) == 2
    first = doc["arms"][0]
    assert set(first["observables"]) == set(OBSERVABLES)
    assert len(first["observables"]["lh"]["median"]) == len(first["days"])
    rows = result.rows()
    assert len(rows) == sum(len(a.days) * len(OBSERVABLES) for a in result.arms)
    assert {"arm", "day", "week", "observable", "unit", "p5", "median", "p95", "n_ok"} == set(rows[0])


# --------------------------------------------------------------------------- the command


def test_trial_command_writes_json_csv_and_one_plot_per_observable(tmp_path):
    spec = write(tmp_path / "design.yaml", DESIGN)
    out, table, png = tmp_path / "out.json", tmp_path / "bands.csv", tmp_path / "png"
    res = runner.invoke(app, ["trial", str(spec), "--n-men", "5", "--json", str(out), "--csv", str(table),
                              "--plot", str(png)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["n_men"] == 5 and {r["arm"] for r in doc["responders"]} == {"anastrozole", "no treatment"}
    with table.open() as f:
        rows = list(csv.DictReader(f))
    assert rows and rows[0]["observable"] == "total_testosterone" and float(rows[0]["median"]) > 0
    assert sorted(p.stem for p in png.glob("*.png")) == sorted(OBSERVABLES)
    assert not list(tmp_path.glob(".*.tmp")) and not list(png.glob(".*.tmp"))  # no temporary file left
    assert "responder fractions" in res.output and "total T >= 300 ng/dL" in res.output


@pytest.mark.parametrize("args, field", [
    (["--at-week", "9"], "--at-week"),
    (["--every", "0"], "--every"),
    (["--n-men", "0"], "--n-men"),
    (["--json", "/nonexistent/folder/out.json"], "--json"),
])
def test_trial_command_refuses_bad_options_with_exit_2(tmp_path, args, field):
    spec = write(tmp_path / "design.yaml", DESIGN)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["trial", str(spec), "--csv", str(out), *args])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in res.output
    assert not out.exists()


def test_trial_command_refuses_a_malformed_design(tmp_path):
    bad = dict(DESIGN, arms=[dict(DESIGN["arms"][0], regimen=["aspirin 100 mg PO daily"])])
    spec = write(tmp_path / "bad.yaml", bad)
    res = runner.invoke(app, ["trial", str(spec)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.yaml: arms[0].regimen[0]" in lines[0]


# --------------------------------------------------------------------------- a titrated arm

TITRATED = {
    "id": "MY_CC_TITRATION",
    "population": {"description": "hypogonadal men", "n": 8, "phenotype": "secondary_hypogonadism"},
    "arms": [
        {"name": "clomiphene titrated", "weeks": 13, "follow_up_weeks": 2,
         "regimen": ["clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL "
                     "every 6 weeks up to 50 mg"]},
        {"name": "clomiphene fixed", "regimen": ["clomiphene citrate 25 mg PO every other day"], "weeks": 13},
    ],
}


@pytest.fixture(scope="module")
def titrated():
    return run_design(parse_spec(TITRATED, published=False), seed=0)


def test_a_titrated_arm_reports_the_share_of_men_on_each_dose_at_its_end(titrated):
    arm, fixed = titrated.arms
    assert fixed.final_doses == () and fixed.final_doses_text == ""
    res = titrated.cohorts["clomiphene titrated"]
    ok = np.asarray(res.status) == "ok"
    # each man's dose after the last check before the end of treatment (checks on days 42 and 84)
    assert sorted(set(res.dose_history["day"])) == [0.0, 42.0, 84.0]
    at_end = res.doses_at(91.0)
    at_end = at_end[at_end["patient"].map(lambda i: bool(ok[i]))]
    want = at_end["dose"].value_counts(normalize=True).to_dict()
    assert {d["dose"]: d["share"] for d in arm.final_doses} == pytest.approx(want)
    assert sum(d["n"] for d in arm.final_doses) == int(ok.sum())
    assert [d["level"] for d in arm.final_doses] == sorted(d["level"] for d in arm.final_doses)
    assert arm.final_doses_text.startswith("at week 13 (end of treatment): clomiphene: ")
    doc = json.loads(json.dumps(titrated.to_dict()))
    assert [d["dose"] for d in doc["arms"][0]["final_doses"]] == [d["dose"] for d in arm.final_doses]
    assert doc["arms"][1]["final_doses"] == []


def test_trial_command_prints_the_titrated_doses_at_the_end_of_the_arm(tmp_path):
    spec = write(tmp_path / "titrated.yaml", TITRATED)
    res = runner.invoke(app, ["trial", str(spec), "--n-men", "4"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "clomiphene titrated: titrated doses at week 13 (end of treatment)" in res.output
    assert "clomiphene fixed: titrated doses" not in res.output
    assert re.search(r"clomiphene\s+│\s+(25|50) mg every other day\s+│\s+\d+%\s+│\s+\d", res.output)
