"""Calibration of a man's twin, virtual populations and cohorts matched to a published baseline."""

import math
from pathlib import Path

import numpy as np
import pytest

from hpgsim.calibrate import DETECTION_FLOOR, FITTED, fit, predict
from hpgsim.clinic.phenotype import classify
from hpgsim.errors import InputError
from hpgsim.labs import example_patient, parse_patient
from hpgsim.patient import Patient
from hpgsim.population import baseline, match_baseline, virtual_population
from hpgsim.trials.spec import load_spec

LABS = ["total_testosterone", "free_testosterone", "lh", "fsh", "estradiol", "shbg", "inhibin_b", "sperm_concentration"]
UNITS = {"total_testosterone": "ng/dL", "free_testosterone": "pg/mL", "lh": "IU/L", "fsh": "IU/L",
         "estradiol": "pg/mL", "shbg": "nmol/L", "inhibin_b": "pg/mL", "sperm_concentration": "M/mL"}


def _document(man: Patient) -> dict:
    vals = baseline([man], LABS)
    labs = {k: {"value": float(vals[k][0]), "unit": UNITS[k]} for k in LABS if k != "sperm_concentration"}
    doc = {"age_years": man.age, "bmi": man.bmi, "fertility_desired": True, "labs": labs,
           "semen": {"sperm_concentration": {"value": float(vals["sperm_concentration"][0]), "unit": "M/mL"}}}
    if man.history:
        doc["history"] = [{"regimen": r, "start_week": a, "stop_week": b} for r, a, b in man.history]
    return doc


@pytest.mark.parametrize("name", ["eugonadal", "obese_hyperestrogenic", "secondary_hypogonadism",
                                  "primary_hypogonadism", "post_trt_suppressed"])
def test_fit_reproduces_the_labs_of_a_known_man_and_covers_his_parameters(name):
    man = virtual_population(1, seed=11, base=name)[0]
    twin = fit(parse_patient(_document(man)))
    assert twin.status == "ok", twin.message
    for k, v in twin.observed.items():  # within 5%, or within a tenth of the assay floor below it
        assert abs(twin.fitted[k] - v) <= max(0.05 * v, 0.1 * DETECTION_FLOOR[k]), k
    true = man.parameter_values()
    covered = [twin.parameters[k].low <= true[k] <= twin.parameters[k].high
               for k in FITTED if twin.parameters[k].identifiable]
    assert covered and all(covered)


def test_unidentified_parameters_stay_at_their_prior():
    doc = {"age_years": 40, "bmi": 24, "fertility_desired": False,
           "labs": {"total_testosterone": {"value": 600, "unit": "ng/dL"}, "lh": {"value": 4.0, "unit": "IU/L"},
                    "shbg": {"value": 30, "unit": "nmol/L"}, "estradiol": {"value": 20, "unit": "pg/mL"}}}
    twin = fit(parse_patient(doc))
    assert not twin.parameters["sertoli_capacity"].identifiable
    assert twin.parameters["sertoli_capacity"].estimate == pytest.approx(twin.parameters["sertoli_capacity"].prior, rel=0.05)
    assert twin.parameters["leydig_capacity"].identifiable


def test_prediction_band_is_parameter_uncertainty_and_contains_the_mode():
    twin = fit(example_patient("secondary_hypogonadism"))
    band = predict(twin, "clomiphene 25 mg PO daily", days=28, n=30, observables=["total_testosterone"])
    last = band[band.day == 28].iloc[0]
    assert last.q05 < last.q50 < last.q95
    base = band[band.day == 0].iloc[0]
    assert last.q50 > base.q50  # clomiphene raises T in secondary hypogonadism


def test_population_is_reproducible_and_adding_men_changes_no_one():
    a = virtual_population(5, seed=3, base="obese_hyperestrogenic", age_sd=5.0, bmi_sd=2.0)
    b = virtual_population(50, seed=3, base="obese_hyperestrogenic", age_sd=5.0, bmi_sd=2.0)
    for x, y in zip(a, b):
        assert x.overrides == y.overrides and x.age == y.age and x.bmi == y.bmi
    ages = [m.age for m in b]
    assert np.std(ages) > 2.0 and len({m.overrides["leydig_capacity"] for m in b}) == 50
    with pytest.raises(InputError, match="typical"):
        virtual_population(3, typical={"t_half_life": 2.0})  # not a per-patient parameter


def test_cohort_matches_the_published_baseline_of_the_example_spec():
    spec = load_spec(Path(__file__).resolve().parents[1] / "validation" / "examples" / "SHAH2021_TAU.yaml")
    target = {k: spec.baseline(k) for k in spec.population.baseline}
    m = match_baseline(target, n=60, base=spec.population.phenotype, age=spec.population.age_years,
                       bmi=spec.population.bmi, n_published=spec.population.n)
    for k, v in target.items():  # each published mean of the 30 men within two standard errors
        floor = DETECTION_FLOOR[k]
        assert abs(math.log((m.achieved[k] + floor) / (v + floor))) < 2.0 * m.sd[k], k
    for k in ("total_testosterone", "estradiol", "lh", "fsh", "sperm_concentration"):  # the narrow ones within 5%
        assert m.achieved[k] == pytest.approx(target[k], rel=0.05), k
    assert not m.at_bound


def test_classifier_gives_reasons_with_numbers():
    c = classify({"total_testosterone": 180.0, "lh": 14.0, "fsh": 22.0}, bmi=25.0)
    assert c.phenotype == "primary_hypogonadism" and "180" in c.reasons[0]
    assert classify({"total_testosterone": 40.0, "lh": 0.3, "fsh": 0.4}, bmi=22.0).phenotype == "congenital_hh"
    assert classify({"total_testosterone": 250.0, "lh": 3.0, "fsh": 4.0, "estradiol": 40.0}, bmi=34.0).phenotype == \
        "obese_hyperestrogenic"
    assert classify({"total_testosterone": 600.0}, bmi=24.0,
                    history=[("testosterone cypionate 200 mg IM weekly", -60, -4)]).phenotype == "post_trt_suppressed"
    assert classify({"total_testosterone": 600.0, "lh": 4.0, "fsh": 5.0, "sperm_concentration": 6.0},
                    bmi=24.0).phenotype == "idiopathic_oligozoospermia"


def test_fit_command_writes_json_and_refuses_bad_labs_with_exit_2(tmp_path):
    import json

    from typer.testing import CliRunner

    from hpgsim.cli import app

    runner = CliRunner()
    good = tmp_path / "man.yaml"
    good.write_text("age_years: 40\nbmi: 27\nfertility_desired: true\nlabs:\n"
                    "  total_testosterone: {value: 9.0, unit: nmol/L}\n  lh: {value: 2.5, unit: mIU/mL}\n"
                    "  estradiol: {value: 110, unit: pmol/L}\n  shbg: {value: 25, unit: nmol/L}\n")
    out = tmp_path / "twin.json"
    res = runner.invoke(app, ["fit", str(good), "--json", str(out), "--plot", str(tmp_path / "twin.png")])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert {"observed", "fitted", "parameters", "status", "message"} <= set(doc)
    assert doc["observed"]["total_testosterone"] == pytest.approx(259.6, rel=1e-3)  # 9 nmol/L in ng/dL
    assert {"estimate", "low_90", "high_90", "identifiable"} <= set(doc["parameters"]["leydig_capacity"])
    assert (tmp_path / "twin.png").stat().st_size > 10_000
    for lab, value, unit in [("total_testosterone", 5000, "ng/dL"), ("fsh", -1, "IU/L"), ("estradiol", 30, "IU/L"),
                             ("lh", 3, "furlongs")]:
        bad = tmp_path / f"bad_{lab}.yaml"
        bad.write_text(f"age_years: 40\nbmi: 27\nfertility_desired: true\nlabs:\n  {lab}: {{value: {value}, unit: {unit}}}\n")
        target = tmp_path / f"bad_{lab}.json"
        res = runner.invoke(app, ["fit", str(bad), "--json", str(target)])
        assert res.exit_code == 2, (lab, res.output)
        lines = [x for x in res.output.strip().splitlines() if x]
        assert len(lines) == 1 and lab in lines[0], res.output
        assert not target.exists()


def test_population_correlations_are_honoured_and_checked():
    men = virtual_population(400, seed=5, correlations={("leydig_capacity", "sertoli_capacity"): 0.8})
    a = np.log([m.overrides["leydig_capacity"] for m in men])
    b = np.log([m.overrides["sertoli_capacity"] for m in men])
    assert np.corrcoef(a, b)[0, 1] > 0.7
    free = virtual_population(400, seed=5)
    a0 = np.log([m.overrides["leydig_capacity"] for m in free])
    b0 = np.log([m.overrides["sertoli_capacity"] for m in free])
    assert abs(np.corrcoef(a0, b0)[0, 1]) < 0.15
    with pytest.raises(InputError, match="correlations"):
        virtual_population(3, correlations={("leydig_capacity", "t_half_life"): 0.5})
    with pytest.raises(InputError, match="correlations"):
        virtual_population(3, correlations={("leydig_capacity", "sertoli_capacity"): 1.5})


def test_map_fit_reports_a_model_that_cannot_be_evaluated_instead_of_raising():
    from hpgsim.calibrate import map_fit

    def broken(thetas):  # every man's simulation failed
        return np.full((thetas.shape[0], 2), np.nan)

    lo, hi = -np.full(3, 5.0), np.full(3, 5.0)
    m = map_fit(broken, np.zeros(2), np.ones(2), np.zeros(3), np.ones(3), lo, hi)
    assert m.status == "failed" and "not finite" in m.message
    assert np.array_equal(m.theta, np.zeros(3)) and m.cov.shape == (3, 3) and np.isnan(m.cov).all()
