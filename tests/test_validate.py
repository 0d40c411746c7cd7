"""Virtual trials and ``hpgsim validate``: endpoint kinds on hand-made cohorts, the format's
examples on a small cohort, and the command's outputs and exit codes."""

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hpgsim.cli import app
from hpgsim.trials import Endpoint, load_spec
from hpgsim.trials.runner import (
    EndpointResult,
    Score,
    ValidationReport,
    change,
    crossing_weeks,
    direction,
    fraction,
    km_median,
    level,
    predict,
    run_trial,
    treatment,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "validation" / "examples"  # unchanged copies of shared/
runner = CliRunner()


def ep(**kw) -> Endpoint:
    return Endpoint(**kw)


# --------------------------------------------------------------------------- endpoint kinds

# four men sampled at 08:00 on days 0, 7 and 14; total T in ng/dL
COHORT = SimpleNamespace(
    days=np.array([0.0, 7.0, 14.0]),
    values={"total_testosterone": np.array([[200.0, 300.0, 400.0, 500.0],
                                            [400.0, 300.0, 600.0, 700.0],
                                            [100.0, np.nan, 800.0, 1000.0]], dtype=np.float32)},
)


def test_level_kinds_in_the_endpoints_unit():
    assert predict(ep(observable="total_testosterone", kind="mean", week=1, value=500, unit="ng/dL"), COHORT) == 500.0
    assert predict(ep(observable="total_testosterone", kind="median", week=1, value=500, unit="ng/dL"), COHORT) == 500.0
    # a failed man (NaN) is left out; nmol/L = ng/dL x 0.0347
    nmol = predict(ep(observable="total_testosterone", kind="mean", week=2, value=20, unit="nmol/L"), COHORT)
    assert nmol == pytest.approx(np.mean([100, 800, 1000]) * 0.0347, rel=2e-3)
    assert level(np.array([np.nan]), "mean") is None


def test_change_kinds_are_the_mean_of_each_mans_change():
    ratios = [2.0, 1.0, 1.5, 1.4]
    fold = predict(ep(observable="total_testosterone", kind="fold_change", week=1, value=1.5), COHORT)
    pct = predict(ep(observable="total_testosterone", kind="percent_change", week=1, value=50), COHORT)
    assert fold == pytest.approx(np.mean(ratios))
    assert pct == pytest.approx(100 * (np.mean(ratios) - 1))
    assert change(np.array([1.0, 5.0]), np.array([0.0, 2.5]), "fold_change") == 2.0  # a zero baseline is left out


def test_fraction_kinds_below_is_strict_at_least_is_not():
    below = ep(observable="total_testosterone", kind="fraction_below", threshold=300, unit="ng/dL", week=1, value=0.1)
    at_least = ep(observable="total_testosterone", kind="fraction_at_least", threshold=300, unit="ng/dL", week=1,
                  value=0.9)
    assert predict(below, COHORT) == 0.0
    assert predict(at_least, COHORT) == 1.0
    assert fraction(np.array([1.0, 2.0, np.nan, 4.0]), 2.0, "fraction_below") == pytest.approx(1 / 3)


def test_median_time_to_threshold_with_censoring():
    days = np.arange(0.0, 29.0, 7.0)  # weeks 0..4
    # five men: below 100 from weeks 1, 2, 3; two never (censored at week 4)
    x = np.array([[500, 500, 500, 500, 500],
                  [50, 500, 500, 500, 500],
                  [40, 90, 500, 500, 500],
                  [30, 80, 70, 500, 500],
                  [20, 70, 60, 500, 500]], dtype=float)
    e = ep(observable="total_testosterone", kind="median_weeks_to_below", threshold=100, unit="ng/dL", value=3)
    assert predict(e, SimpleNamespace(days=days, values={"total_testosterone": x})) == 3.0
    t, crossed = crossing_weeks(days, x, 100, "median_weeks_to_below")
    assert t.tolist() == [1, 2, 3, 4, 4] and crossed.tolist() == [True, True, True, False, False]
    # fewer than half cross: no median (not reached)
    x2 = x.copy()
    x2[:, 2] = 500
    assert predict(e, SimpleNamespace(days=days, values={"total_testosterone": x2})) is None
    # counted from after_week: recovery to >= 300 after week 2 (weeks 1 and 2 after it; one never)
    up = ep(observable="total_testosterone", kind="median_weeks_to_at_least", threshold=300, unit="ng/dL",
            after_week=2, value=1)
    y = np.array([[500, 500, 500], [50, 50, 50], [50, 50, 50], [400, 50, 50], [400, 400, 50]], dtype=float)
    assert predict(up, SimpleNamespace(days=days, values={"total_testosterone": y})) == 2.0
    # Kaplan-Meier with a man censored before the others' events
    assert km_median(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, True])) == 3.0


def test_direction_of_change():
    pct = ep(observable="lh", kind="percent_change", week=4, value=339)
    assert direction(pct, 120.0) is True and direction(pct, -5.0) is False and direction(pct, None) is False
    fold = ep(observable="lh", kind="fold_change", week=3, value=0.05)
    assert direction(fold, 0.2) is True and direction(fold, 1.3) is False
    mean = ep(observable="estradiol", kind="mean", week=22, value=15.9, unit="pg/mL")
    assert direction(mean, 20.0, 32.0, 31.0) is True and direction(mean, 35.0, 32.0, 31.0) is False
    assert direction(mean, 20.0) is None  # no published baseline
    share = ep(observable="lh", kind="fraction_below", threshold=1, unit="IU/L", week=3, value=0.5)
    assert direction(share, 0.4) is None


def test_scores_count_passes_and_directions():
    e = ep(observable="lh", kind="percent_change", week=4, value=100)
    results = [EndpointResult("T", "a", i, e, p, None, None, e.passes(p), direction(e, p)) for i, p in
               enumerate([100.0, 110.0, -10.0, None])]
    assert Score.of(results) == Score(endpoints=4, passed=2, direction_checked=4, direction_right=2)


def test_treatment_stops_dosing_at_the_end_of_the_arm():
    spec = load_spec(EXAMPLES / "WHO1990.yaml")
    reg = treatment(spec.arms[0])
    events = reg.events(100 * 168.0)
    assert len(events) == 26 and max(ev.time_h for ev in events) < 26 * 168


# --------------------------------------------------------------------------- the examples


@pytest.fixture(scope="module")
def examples():
    return {name: run_trial(load_spec(EXAMPLES / f"{name}.yaml"), n_men=20, seed=0)
            for name in ("SHAH2021_TAU", "WHO1990")}


@pytest.mark.parametrize("name", ["SHAH2021_TAU", "WHO1990"])
def test_examples_give_every_endpoint_a_prediction(examples, name):
    result = examples[name]
    assert len(result.endpoints) == len(result.spec.endpoints())
    for r in result.endpoints:
        assert r.predicted is not None and math.isfinite(r.predicted), (r.endpoint, r.note)
        assert r.passed == r.endpoint.passes(r.predicted)
    assert result.n_failed == 0


def test_matched_cohort_reports_its_baseline(examples):
    result = examples["SHAH2021_TAU"]
    published, predicted, unit = result.baseline["total_testosterone"]
    assert unit == "ng/dL" and predicted == pytest.approx(published, rel=0.1)
    estradiol = [r for r in result.endpoints if r.endpoint.observable == "estradiol"][0]
    assert estradiol.baseline_published == 32 and estradiol.direction is not None
    doc = ValidationReport(trials=(result,), fitting={"SHAH2021_TAU": ("anastrozole_imax",)}).to_dict()
    assert set(doc["summary"]) == {"endpoints", "passed", "direction_checked", "direction_right"}
    assert doc["summary"]["endpoints"] == 9 and set(doc["groups"]) == {"fitted", "not_fitted"}
    json.dumps(doc)


# --------------------------------------------------------------------------- the command

TINY = {
    "id": "TINY_AI",
    "citation": "test spec",
    "source_quality": "secondary",
    "population": {"description": "men", "n": 5, "phenotype": "eugonadal"},
    "arms": [{"name": "anastrozole", "regimen": ["anastrozole 1 mg PO daily"], "weeks": 2, "follow_up_weeks": 1,
              "endpoints": [{"observable": "estradiol", "kind": "percent_change", "week": 1, "value": -50},
                            {"observable": "estradiol", "kind": "percent_change", "week": 2, "value": -50},
                            {"observable": "total_testosterone", "kind": "mean", "week": 3, "value": 700,
                             "unit": "ng/dL"}]}],
}


def write(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_validate_writes_json_and_plot_and_exits_0(tmp_path):
    spec = write(tmp_path / "tiny.yaml", TINY)
    out = tmp_path / "report.json"
    res = runner.invoke(app, ["validate", str(spec), "--json", str(out), "--plot", str(tmp_path / "png"),
                              "--n-men", "4"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["summary"]["endpoints"] == 3 and len(doc["endpoints"]) == 3
    first = doc["endpoints"][0]
    assert first["trial"] == "TINY_AI" and first["predicted"] is not None and first["tolerance"] == "20 pp"
    assert (tmp_path / "png" / "TINY_AI.png").stat().st_size > 5_000
    assert "overall" in res.output and "TINY_AI" in res.output


def test_validate_refuses_a_malformed_spec_with_exit_2(tmp_path):
    bad = dict(TINY, arms=[dict(TINY["arms"][0], endpoints=[{"observable": "lh", "kind": "mode", "week": 1,
                                                              "value": 1, "unit": "IU/L"}])])
    good = write(tmp_path / "good.yaml", TINY)
    spec = write(tmp_path / "bad.yaml", bad)
    out = tmp_path / "report.json"
    res = runner.invoke(app, ["validate", str(good), str(spec), "--json", str(out)])
    assert res.exit_code == 2
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "kind" in lines[0] and "Traceback" not in res.output
    assert not out.exists()


# --------------------------------------------------------------------------- a quick subset of the library

LIBRARY = Path(__file__).resolve().parents[1] / "validation" / "trials"
QUICK = ("HCG6000_SINGLE", "KLOTZ2008_CS21_DEG", "LEE2004_KJA")  # fitted, multi-time-point; not fitted; matched


def test_a_quick_subset_of_the_library_runs_and_writes_the_report(tmp_path):
    """Three small specs of the library, 8 men each, through the command with --json and --report
    (the whole library runs outside the unit tests: validation/run_all.sh)."""
    specs = [str(LIBRARY / f"{name}.yaml") for name in QUICK]
    out, md = tmp_path / "report.json", tmp_path / "docs" / "validation.md"
    md.parent.mkdir()
    res = runner.invoke(app, ["validate", *specs, "--n-men", "8", "--json", str(out), "--report", str(md)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    n_endpoints = sum(len(load_spec(s).endpoints()) for s in specs)
    assert doc["summary"]["endpoints"] == len(doc["endpoints"]) == n_endpoints
    for e in doc["endpoints"]:
        assert e["predicted"] is not None or e["note"], e
    assert {t["trial"]: t["group"] for t in doc["trials"]} == {
        "HCG6000_SINGLE": "fitted", "KLOTZ2008_CS21_DEG": "not_fitted", "LEE2004_KJA": "not_fitted"}
    text = md.read_text()
    assert "## Score" in text and "used for fitting" in text and "not used for fitting" in text
    assert sum(line.startswith(("| HCG6000", "| KLOTZ", "| LEE2004")) for line in text.splitlines()) >= n_endpoints
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]
    assert links == ["validation/HCG6000_SINGLE.png"]
    assert (md.parent / links[0]).stat().st_size > 5_000
    assert not list(md.parent.glob(".*.tmp"))


def test_validate_refuses_a_spec_without_published_values(tmp_path):
    design = dict(TINY, arms=[dict(TINY["arms"][0], endpoints=[{"observable": "lh", "kind": "mean", "week": 1,
                                                                 "unit": "IU/L"}])])
    spec = write(tmp_path / "design.yaml", design)
    res = runner.invoke(app, ["validate", str(spec)])
    assert res.exit_code == 2
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "arms[0].endpoints[0].value: missing" in lines[0] and "hpgsim trial" in lines[0]


def test_validate_scores_with_the_runners_cohort_size_by_default():
    """`hpgsim validate` and run_trial agree on the cohort size (200 men: tail shares and median times no longer
    hang on the seed, validation/README.md 'Seed and cohort size')."""
    import inspect

    from hpgsim.trials import cli, runner as trial_runner

    option = inspect.signature(cli.validate).parameters["n_men"].default
    assert option.default == trial_runner.VALIDATION_N_MEN == 200
    assert inspect.signature(trial_runner.run_trial).parameters["n_men"].default == trial_runner.VALIDATION_N_MEN
