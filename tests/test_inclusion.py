"""Inclusion criteria: the runner screens virtual men by their screening labs until the cohort is full."""

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hpgsim.cli import app
from hpgsim.errors import InputError
from hpgsim.population import baseline
from hpgsim.trials import parse_spec
from hpgsim.trials.design import run_design
from hpgsim.trials.runner import MIN_SCREEN_SHARE, build_cohort, enrol, run_trial, screen

runner = CliRunner()

SPEC = {
    "id": "SCREENED",
    "citation": "test spec",
    "source_quality": "secondary",
    "population": {"description": "hypogonadal men", "n": 20, "phenotype": "secondary_hypogonadism",
                   "inclusion": [{"observable": "total_testosterone", "below": 300, "unit": "ng/dL"}]},
    "arms": [{"name": "clomiphene", "regimen": ["clomiphene citrate 25 mg PO daily"], "weeks": 2,
              "endpoints": [{"observable": "total_testosterone", "kind": "mean", "week": 2, "value": 450,
                             "unit": "ng/dL"}]}],
}


def spec_with(**population):
    data = json.loads(json.dumps(SPEC))
    data["population"].update(population)
    return parse_spec(data, source="screened.yaml")


def test_screening_keeps_only_men_meeting_the_criterion():
    spec = spec_with()
    cohort = enrol(spec, n_men=20, seed=0)
    assert len(cohort.men) == 20 and cohort.screened > 20  # some men were turned away
    t = baseline(cohort.men, ["total_testosterone"])["total_testosterone"]
    assert np.all(t < 300.0)
    # the men turned away were above the threshold: the same draws without the criterion
    plain = build_cohort(spec_with(inclusion=[]), n_men=cohort.screened, seed=0)
    t_all = baseline(plain, ["total_testosterone"])["total_testosterone"]
    kept = [m.name for m, x in zip(plain, t_all) if x < 300.0]
    assert kept == [m.name for m in cohort.men]
    assert cohort.screened == int(plain.index(next(m for m in plain if m.name == kept[-1]))) + 1
    # deterministic for a seed
    assert enrol(spec, n_men=20, seed=0) == cohort


def test_criterion_units_are_converted():
    ng = enrol(spec_with(), n_men=10, seed=1)
    nmol = enrol(spec_with(inclusion=[{"observable": "total_testosterone", "below": 300 / 28.842,
                                       "unit": "nmol/L"}]), n_men=10, seed=1)
    assert [m.name for m in ng.men] == [m.name for m in nmol.men]


def test_enrolled_men_are_matched_to_the_published_baseline():
    spec = spec_with(baseline={"total_testosterone": {"value": 220, "unit": "ng/dL"}})
    cohort = enrol(spec, n_men=30, seed=0)
    t = baseline(cohort.men, ["total_testosterone"])["total_testosterone"]
    assert np.all(t < 300.0)
    assert abs(np.mean(t) / 220.0 - 1.0) < 0.05


def test_screening_time_before_or_after_the_run_in():
    """Testosterone injections suppress LH: men with LH >= 1 IU/L before the run-in are most men,
    at its end almost none."""
    run_in = {"regimen": ["testosterone enanthate 200 mg IM weekly"], "weeks": 4}
    before = parse_spec(dict(json.loads(json.dumps(SPEC)), run_in=run_in,
                             population=dict(SPEC["population"], phenotype="eugonadal", inclusion=[
                                 {"observable": "lh", "at_least": 1, "unit": "IU/L", "at": "screening"}])))
    cohort = enrol(before, n_men=10, seed=0)
    assert cohort.share > 0.8
    # the men carry the run-in; their LH at week 0 is suppressed
    assert np.all(baseline(cohort.men, ["lh"])["lh"] < 1.0)
    assert np.all(screen(before, cohort.men))
    after = parse_spec(dict(json.loads(json.dumps(SPEC)), run_in=run_in,
                            population=dict(SPEC["population"], phenotype="eugonadal", inclusion=[
                                {"observable": "lh", "at_least": 1, "unit": "IU/L", "at": "end_of_run_in"}])))
    assert not np.any(screen(after, cohort.men))


def test_criteria_almost_nobody_meets_are_refused_with_the_share():
    spec = spec_with(inclusion=[{"observable": "total_testosterone", "below": 30, "unit": "ng/dL"}])
    with pytest.raises(InputError) as caught:
        enrol(spec, n_men=5, seed=0)
    e = caught.value
    assert e.field == "screened.yaml: population.inclusion"
    cap = round(5 / MIN_SCREEN_SHARE)
    assert f"only 0 of {cap} virtual men screened (0.0%) met the criteria" in str(e)
    assert "total_testosterone < 30 ng/dL at screening" in str(e)


def test_trial_reports_the_share_screened_in():
    result = run_trial(spec_with(), n_men=12, seed=0)
    assert result.n_men == 12 and result.screened > 12
    assert result.screened_in == pytest.approx(12 / result.screened)
    design = run_design(parse_spec(json.loads(json.dumps(SPEC)), published=False), n_men=12, seed=0)
    assert design.screened == result.screened
    doc = design.to_dict()
    assert doc["screened"] == result.screened and doc["inclusion"] == ["total_testosterone < 300 ng/dL at screening"]


def test_commands_report_screening_and_refuse_strict_criteria(tmp_path):
    path = tmp_path / "screened.yaml"
    path.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    out = tmp_path / "v.json"
    res = runner.invoke(app, ["validate", str(path), "--n-men", "6", "--json", str(out)])
    assert res.exit_code == 0, res.output
    trial = json.loads(out.read_text())["trials"][0]
    assert trial["screened"] > trial["n_men"] == 6 and 0 < trial["screened_in"] < 1
    assert "screened in" in res.output
    res = runner.invoke(app, ["trial", str(path), "--n-men", "6"])
    assert res.exit_code == 0, res.output
    assert "virtual men screened in" in res.output
    strict = json.loads(json.dumps(SPEC))
    strict["population"]["inclusion"][0]["below"] = 30
    path.write_text(yaml.safe_dump(strict), encoding="utf-8")
    for command in (["trial", str(path), "--n-men", "4"], ["validate", str(path), "--n-men", "4"]):
        res = runner.invoke(app, command)
        assert res.exit_code == 2, res.output
        assert "population.inclusion" in res.output and "(0.0%)" in res.output and "Traceback" not in res.output
    bad = json.loads(json.dumps(SPEC))
    bad["population"]["inclusion"][0]["at"] = "end_of_run_in"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "population.inclusion[0].at" in res.output


def test_the_sensitivity_typical_man_is_matched_on_the_enrolled_men_as_the_runner_does():
    from hpgsim.population import match_baseline
    from hpgsim.sensitivity import nominal_man
    from hpgsim.trials.runner import baseline_target, cohort_base

    spec = spec_with(baseline={"total_testosterone": {"value": 250, "unit": "ng/dL"}},
                     inclusion=[{"observable": "total_testosterone", "at_least": 200, "unit": "ng/dL"}])
    cohort = enrol(spec, n_men=10, seed=2)
    assert set(cohort.typical) >= {"leydig_capacity", "gnrh_drive"}
    man = nominal_man(spec, n_men=10, seed=2)
    for k, v in cohort.typical.items():
        assert man.overrides[k] == pytest.approx(v, rel=1e-12), k
    unscreened = match_baseline(baseline_target(spec), n=10, seed=2, base=cohort_base(spec), n_published=20).typical
    assert any(abs(unscreened[k] / v - 1.0) > 1e-3 for k, v in cohort.typical.items())  # the screen matters here
