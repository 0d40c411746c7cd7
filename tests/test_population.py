"""Virtual populations: covariate handling and the between-man spreads the parameter table's CVs give."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpgsim import parameters
from hpgsim.errors import InputError
from hpgsim.population import (AGE_RANGE, BASELINE_PARAMETER, BMI_RANGE, DRAWN_AGE, VARIED, Matched, baseline,
                               match_baseline, virtual_population)


def test_a_cohort_keeps_its_own_age_and_bmi_outside_the_usual_adult_ranges():
    young = virtual_population(4, seed=1, age=15.0)
    assert [m.age for m in young] == [15.0] * 4
    heavy = virtual_population(4, seed=1, bmi=65.0)
    assert [m.bmi for m in heavy] == [65.0] * 4
    spread = virtual_population(300, seed=2, age=15.0, age_sd=3.0)
    ages = np.array([m.age for m in spread])
    assert ages.min() >= AGE_RANGE[0] and abs(ages.mean() - 15.0) < 0.6
    assert all(isinstance(m.age, float) and isinstance(m.bmi, float) for m in spread)


def test_drawn_adult_covariates_stay_in_the_usual_ranges():
    men = virtual_population(300, seed=3, age=25.0, age_sd=12.0, bmi=30.0, bmi_sd=8.0)
    ages = np.array([m.age for m in men])
    bmis = np.array([m.bmi for m in men])
    assert ages.min() == DRAWN_AGE[0] and ages.max() <= DRAWN_AGE[1]
    assert BMI_RANGE[0] <= bmis.min() and bmis.max() <= BMI_RANGE[1]


@pytest.mark.parametrize("kwargs, field", [({"age": 8.0}, "age"), ({"bmi": 80.0}, "bmi"), ({"age_sd": -1.0}, "age_sd"),
                                           ({"bmi_sd": float("nan")}, "bmi_sd")])
def test_impossible_covariates_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(InputError) as e:
        virtual_population(2, **kwargs)
    assert e.value.field == field and "\n" not in str(e.value)


def test_every_varied_parameter_cites_a_source_for_its_cv():
    for name in ("leydig_capacity", "aromatase_activity", "shbg_production", "gnrh_drive", "albumin"):
        p = parameters.get(name)
        assert name in VARIED and p.cv and "cv" in p.source, name


def test_untreated_young_men_spread_like_the_reference_studies():
    """Between-man log-SDs at the reference covariates against the published single-sample spreads less the
    within-subject CVs (lab_cv_* rows): Bhasin 2011 FHS (total T SD 221.1 on 723.8 ng/dL, free T 45.0 on
    141.8 pg/mL) and FAMHES 2012 (E2 65.4-207.7 pmol/L; SHBG 18.2-95.1 nmol/L and LH 2.2-11.6 IU/L less
    their correlation with age)."""
    def between(single, lab_cv):
        return math.sqrt(single**2 - parameters.get(lab_cv).value ** 2)

    def log_sd_of_cv(cv):
        return math.sqrt(math.log1p(cv**2))

    z = 2 * 1.959964
    target = {
        "total_testosterone": between(log_sd_of_cv(221.1 / 723.8), "lab_cv_total_testosterone"),
        "free_testosterone": between(log_sd_of_cv(45.0 / 141.8), "lab_cv_free_testosterone"),
        "estradiol": between(math.log(207.7 / 65.4) / z, "lab_cv_estradiol"),
        "shbg": between(math.log(95.1 / 18.2) / z * math.sqrt(1 - 0.427**2), "lab_cv_shbg"),
        "lh": between(math.log(11.6 / 2.2) / z * math.sqrt(1 - 0.218**2), "lab_cv_lh"),
    }
    values = baseline(virtual_population(240, seed=4), list(target))
    got = {k: float(np.log(values[k]).std()) for k in target}
    for k in ("free_testosterone", "estradiol", "shbg", "lh"):
        assert abs(got[k] / target[k] - 1.0) < 0.35, (k, got[k], target[k])
    # total T stays narrower than published: SHBG hardly moves total T in the model (see leydig_capacity's source)
    assert 0.6 * target["total_testosterone"] < got["total_testosterone"] <= 1.1 * target["total_testosterone"]


def test_a_baseline_the_prior_already_explains_leaves_the_typical_values_at_the_prior():
    """Maximum a posteriori: where the cohort's mean already equals the target nothing moves, and parameters the
    targets do not depend on are not fitted at all."""
    men = virtual_population(30, seed=5, base="ageing_male")
    t = float(np.mean(baseline(men, ["total_testosterone"])["total_testosterone"]))
    m = match_baseline({"total_testosterone": t}, n=30, seed=5, base="ageing_male", n_published=50)
    assert set(m.typical) == set(BASELINE_PARAMETER["total_testosterone"])
    assert "spermatogenic_efficiency" not in m.typical and "semen_volume" not in m.typical
    for k, v in m.typical.items():
        assert v == pytest.approx(parameters.get(k).value, rel=1e-3), k
    assert m.achieved["total_testosterone"] == pytest.approx(t, rel=1e-3) and not m.at_bound


def test_one_baseline_moves_several_typical_values_and_a_larger_study_is_matched_more_closely():
    """A low total T is explained jointly (Leydig capacity and GnRH drive both fall, by their sensitivity times
    their prior variance), not by one parameter; the mean of more men pins the cohort closer to the target."""
    small = match_baseline({"total_testosterone": 300.0}, n=30, seed=6, n_published=2)
    large = match_baseline({"total_testosterone": 300.0}, n=30, seed=6, n_published=200)
    assert large.typical["leydig_capacity"] < 0.9 and large.typical["gnrh_drive"] < 0.95
    assert abs(large.achieved["total_testosterone"] / 300.0 - 1.0) < 0.05
    assert abs(large.achieved["total_testosterone"] - 300.0) < abs(small.achieved["total_testosterone"] - 300.0)
    assert large.sd["total_testosterone"] == pytest.approx(small.sd["total_testosterone"] / 10.0, rel=1e-6)


def test_a_count_the_history_cannot_explain_is_left_at_the_germ_cells_bound_not_moved_onto_the_axis():
    """STOCKS_REBOOT's men (2.2 M/mL two weeks off a year of testosterone): a sperm count informs only the germ cells'
    efficiency, so the axis and the androgen requirement stay at the phenotype's, and a count that the history
    leaves out of reach is reported (efficiency at its bound) instead of being explained by SHBG or aromatase."""
    m = match_baseline({"sperm_concentration": 2.2}, n=30, seed=0, base="post_trt_suppressed", n_published=77)
    assert set(m.typical) == {"spermatogenic_efficiency"}
    assert m.at_bound == ("spermatogenic_efficiency",)
    assert m.achieved["sperm_concentration"] < 0.5


def test_a_count_adds_the_germ_cells_efficiency_to_the_axis_the_hormones_bring():
    """With hormone and count baselines together the fitted typical values are the axis's five capacities and the
    germ cells' efficiency, not the androgen requirement of spermatogenesis; a low count of men with normal hormones
    is carried mostly by the efficiency."""
    hormones = {"total_testosterone": 550.0, "lh": 4.5}
    m = match_baseline({**hormones, "sperm_concentration": 15.0}, n=30, seed=3, n_published=40)
    assert set(m.typical) == set(BASELINE_PARAMETER["lh"]) | {"spermatogenic_efficiency"}
    assert "sperm_itt_k" not in m.typical and not m.at_bound
    assert m.typical["spermatogenic_efficiency"] < 0.5
    for k, v in {**hormones, "sperm_concentration": 15.0}.items():
        assert m.achieved[k] == pytest.approx(v, rel=0.15), k


def test_typical_values_at_a_bound_are_named_and_bad_study_sizes_refused():
    m = Matched(typical={"sertoli_capacity": parameters.get("sertoli_capacity").upper, "gnrh_drive": 0.5,
                         "aromatase_activity": parameters.get("aromatase_activity").lower},
                men=(), target={}, achieved={})
    assert m.at_bound == ("sertoli_capacity", "aromatase_activity")
    with pytest.raises(InputError) as e:
        match_baseline({"total_testosterone": 300.0}, n=4, n_published=0)
    assert e.value.field == "n_published"
    with pytest.raises(InputError, match="baseline"):
        match_baseline({"testosterone_in_saliva": 3.0}, n=4)


def test_a_baseline_that_cannot_be_simulated_is_reported_not_raised(monkeypatch):
    import hpgsim.population as population

    def failed(men, observables):  # every man's simulation failed
        return {k: np.full(len(men), np.nan) for k in observables}

    monkeypatch.setattr(population, "baseline", failed)
    m = population.match_baseline({"total_testosterone": 300.0}, n=4, base="secondary_hypogonadism")
    assert m.status == "failed" and "not finite" in m.message
    assert m.typical["leydig_capacity"] == pytest.approx(
        population.phenotype("secondary_hypogonadism").overrides.get(
            "leydig_capacity", population.parameters.get("leydig_capacity").value), rel=1e-5)
