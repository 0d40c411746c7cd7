"""Global sensitivity analysis of a trial endpoint (SALib): endpoint selection, factors and ranges,
Morris and Sobol' on small designs, shared-parameter overrides, the command. Structure and
structural zeros only (the model is being refitted: no index value is pinned)."""

import json
import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hpgsim import parameters
from hpgsim.cli import app
from hpgsim.errors import InputError
from hpgsim.sensitivity import (
    DEFAULT_FOLD,
    NOT_FACTORS,
    analyse,
    drug_parameters,
    factors,
    nominal_man,
    select_endpoint,
    source_kind,
)
from hpgsim.trials import parse_spec
from hpgsim.trials.runner import table_overrides

runner = CliRunner()

SPEC = {
    "id": "SA_AI",
    "population": {"description": "men", "n": 10, "bmi": 30.0},
    "arms": [{"name": "anastrozole", "regimen": ["anastrozole 1 mg PO daily"], "weeks": 2,
              "endpoints": [{"observable": "estradiol", "kind": "mean", "week": 2, "unit": "pg/mL"},
                            {"observable": "total_testosterone", "kind": "fraction_at_least", "threshold": 600,
                             "unit": "ng/dL", "week": 2},
                            {"observable": "lh", "kind": "median_weeks_to_at_least", "threshold": 50,
                             "unit": "IU/L"}]}],
}


@pytest.fixture(scope="module")
def spec():
    return parse_spec(SPEC, published=False)


def test_endpoint_by_position_arm_or_observable(spec):
    assert select_endpoint(spec, "1").endpoint.observable == "estradiol"
    assert select_endpoint(spec, "anastrozole:2").endpoint.kind == "fraction_at_least"
    assert select_endpoint(spec, "lh").endpoint.kind == "median_weeks_to_at_least"
    with pytest.raises(InputError) as e:
        select_endpoint(spec, "4")
    assert str(e.value).startswith("--endpoint:") and "1: arm 'anastrozole' estradiol mean week 2" in str(e.value)


def test_factors_default_to_the_per_patient_parameters_within_their_bounds(spec):
    man = nominal_man(spec, n_men=5)
    facs, notes = factors(spec, spec.arms[0], man)
    assert [f.name for f in facs] == parameters.names(patient=True) and not notes
    for f in facs:
        p = parameters.get(f.name)
        assert f.low < f.high and f.patient
        assert f.low >= (p.lower if p.lower is not None else -math.inf)
        assert f.high <= (p.upper if p.upper is not None else math.inf)
        assert f.low >= f.nominal / DEFAULT_FOLD - 1e-12 and f.high <= f.nominal * DEFAULT_FOLD + 1e-12
    bounds, _ = factors(spec, spec.arms[0], man, ranges="bounds")
    g = {f.name: f for f in bounds}["leydig_capacity"]
    p = parameters.get("leydig_capacity")
    assert (g.low, g.high, g.log) == (p.lower, p.upper, False)


def test_drug_and_named_factors(spec):
    man = nominal_man(spec, n_men=5)
    names = drug_parameters(["anastrozole"])
    assert {"anastrozole_ic50", "anastrozole_imax", "anastrozole_cl"} <= set(names)
    assert {"enclomiphene_ka", "clomiphene_en_fraction"} <= set(drug_parameters(["clomiphene"]))
    facs, _ = factors(spec, spec.arms[0], man, drugs=True, extra=["pit_e2_inhibition_lh"])
    by = {f.name: f for f in facs}
    assert not by["anastrozole_imax"].patient and by["anastrozole_imax"].high <= 1.0  # a maximal effect: <= 1
    assert "pit_e2_inhibition_lh" in by
    for bad in ("nonsense", sorted(NOT_FACTORS)[0], "lab_cv_lh"):
        with pytest.raises(InputError) as e:
            factors(spec, spec.arms[0], man, extra=[bad])
        assert str(e.value).startswith("--factor:")
    assert source_kind("leydig_capacity") in ("definition", "literature", "fitted", "assumption")


def test_table_overrides_are_scoped():
    original = parameters.values()["anastrozole_ic50"]
    with table_overrides({"anastrozole_ic50": 2 * original}):
        assert parameters.values()["anastrozole_ic50"] == 2 * original
    assert parameters.values()["anastrozole_ic50"] == original
    with pytest.raises(InputError):
        with table_overrides({"leydig_capacity": 1.0}):  # per-patient: set on the men, not here
            pass


def test_morris_ranks_every_factor_and_finds_the_structural_zeros(spec):
    res = analyse(spec, "1", trajectories=3, n_men=5)
    assert res.method == "morris" and res.n_samples == 3 * (len(res.factors) + 1) and res.men_per_sample == 1
    assert res.nominal_output is not None and res.nominal_output > 0 and res.non_finite == 0
    mu = {f.name: res.indices[f.name]["mu_star"] for f in res.factors}
    assert all(v >= 0 for v in mu.values())
    assert mu["aromatase_activity"] > 0  # estradiol is made by aromatase
    assert mu["semen_volume"] == 0 and mu["motility_fraction"] == 0  # semen does not feed back on hormones
    ranked = res.ranked()
    assert [res.indices[f.name]["mu_star"] for f in ranked] == sorted(mu.values(), reverse=True)
    doc = res.to_dict()
    json.dumps(doc)
    assert doc["ranked_by"] == "mu_star" and len(doc["factors"]) == len(res.factors)


def test_a_share_needs_men_per_sample_and_a_time_is_censored(spec):
    share = analyse(spec, "2", trajectories=2, n_men=5, men_per_sample=6)
    assert share.men_per_sample == 6 and np.all((share.outputs >= 0) & (share.outputs <= 1))
    time = analyse(spec, "3", trajectories=2, n_men=5)  # LH never reaches 50 IU/L: censored at the end
    assert np.all(time.outputs == 2.0) and time.nominal_output == 2.0


def test_sobol_on_the_per_patient_parameters(spec):
    res = analyse(spec, "1", method="sobol", sobol_n=4, n_men=5)
    assert res.n_samples == 4 * (len(res.factors) + 2)
    assert {"S1", "S1_conf", "ST", "ST_conf"} == set(res.indices["aromatase_activity"])
    assert res.indices["semen_volume"]["ST"] == 0
    assert res.to_dict()["ranked_by"] == "ST"


def test_shared_drug_parameters_are_varied_batch_by_batch(spec):
    res = analyse(spec, "1", extra=["anastrozole_imax", "semen_volume"], only=True, trajectories=2, n_men=5)
    assert [f.name for f in res.factors] == ["anastrozole_imax", "semen_volume"]
    assert res.indices["anastrozole_imax"]["mu_star"] > 0  # the override reached the simulation
    assert res.indices["semen_volume"]["mu_star"] == 0


def test_sensitivity_command_writes_json_and_plot(tmp_path):
    spec = tmp_path / "sa.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    out, png = tmp_path / "sa.json", tmp_path / "sa.png"
    res = runner.invoke(app, ["sensitivity", str(spec), "--endpoint", "estradiol", "--trajectories", "2",
                              "--n-men", "5", "--json", str(out), "--plot", str(png)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["method"] == "morris" and doc["endpoint"]["observable"] == "estradiol"
    assert png.stat().st_size > 5_000
    assert "aromatase_activity" in res.output


@pytest.mark.parametrize("args, field", [
    (["--endpoint", "9"], "--endpoint"),
    (["--endpoint", "1", "--method", "fast"], "--method"),
    (["--endpoint", "1", "--samples", "100", "--method", "sobol"], "--samples"),
    (["--endpoint", "1", "--factor", "nonsense"], "--factor"),
    (["--endpoint", "1", "--fold", "1"], "--fold"),
])
def test_sensitivity_command_refuses_bad_options_with_exit_2(tmp_path, args, field):
    spec = tmp_path / "sa.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    out = tmp_path / "sa.json"
    res = runner.invoke(app, ["sensitivity", str(spec), *args, "--json", str(out)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0]
    assert not out.exists()
