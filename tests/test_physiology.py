"""Physiology: the reference man, phenotype lab patterns and feedback invariants."""

import numpy as np
import pytest

from hpgsim import parameters
from hpgsim.patient import Patient
from hpgsim.physiology.binding import free_testosterone
from hpgsim.simulate import simulate
from hpgsim.units import convert


def test_vermeulen_worked_example_free_fraction_within_5_percent():
    # ISSAM calculator: TT 10 nmol/L, SHBG 40 nmol/L, albumin 43 g/L -> free T 1.74%
    ft = free_testosterone(10.0, 40.0, 43.0, k_shbg=1e9, k_alb=3.6e4, albumin_mw=69000.0)
    assert abs(ft / 10.0 - 0.0174) / 0.0174 < 0.05


@pytest.mark.parametrize("value,unit,target,substance,expected", [
    (300.0, "ng/dL", "nmol/L", "testosterone", 10.40),
    (10.0, "nmol/L", "ng/dL", "testosterone", 288.4),
    (30.0, "pg/mL", "pmol/L", "estradiol", 110.1),
    (100.0, "pg/mL", "pmol/L", "testosterone", 346.7),
    (5.0, "mIU/mL", "IU/L", None, 5.0),
])
def test_unit_conversions_match_known_factors(value, unit, target, substance, expected):
    assert convert(value, unit, target, substance=substance) == pytest.approx(expected, rel=2e-3)


def test_reference_man_sits_in_every_reference_range(steady):
    r = steady("eugonadal")
    assert 264 <= r.total_testosterone <= 916
    assert 50 <= r.free_testosterone <= 250
    assert 1.5 <= r.lh <= 9.3
    assert 1.5 <= r.fsh <= 12.4
    assert 10 <= r.estradiol <= 40
    assert 10 <= r.shbg <= 57
    assert 80 <= r.inhibin_b <= 300
    assert r.sperm_concentration >= 16
    serum_nmol = r.total_testosterone * 0.03467
    assert 50 <= r.intratesticular_testosterone / serum_nmol <= 200


def test_primary_hypogonadism_has_low_t_with_high_lh_and_fsh(steady):
    r = steady("primary_hypogonadism")
    assert r.total_testosterone < 300 and r.lh > 9.3 and r.fsh > 12.4


def test_secondary_hypogonadism_has_low_t_without_raised_gonadotropins(steady):
    r = steady("secondary_hypogonadism")
    assert r.total_testosterone < 300 and r.lh <= 9.3 and r.fsh <= 12.4


def test_congenital_hh_has_absent_gonadotropins_t_and_sperm(steady):
    r = steady("congenital_hh")
    assert r.lh < 1.5 and r.fsh < 1.5 and r.total_testosterone < 100 and r.sperm_concentration < 1


def test_obese_hyperestrogenic_has_low_t_e2_ratio_and_higher_e2(steady):
    r, ref = steady("obese_hyperestrogenic"), steady("eugonadal")
    assert r.t_e2_ratio < 10 and r.estradiol > ref.estradiol


def test_idiopathic_oligozoospermia_has_low_sperm_with_normal_t_and_lh(steady):
    r = steady("idiopathic_oligozoospermia")
    assert r.sperm_concentration < 16 and 264 <= r.total_testosterone <= 916 and r.lh <= 9.3


def test_ageing_male_has_higher_shbg_and_lower_free_t(steady):
    r, ref = steady("ageing_male"), steady("eugonadal")
    assert r.shbg > ref.shbg and r.free_testosterone < ref.free_testosterone


def test_post_trt_man_has_suppressed_spermatogenesis(steady):
    r = steady("post_trt_suppressed")
    assert r.sperm_concentration < 3


def _series(patient, regimen=None, days=42):
    return simulate(patient, regimen, days=days).to_frame()


def test_castration_raises_lh_and_fsh_several_fold_within_days():
    """Leydig capacity falls from reference to 0: simulate the castrate man from the reference state."""
    ref = simulate("eugonadal", days=1).to_frame().iloc[-1]
    cast = simulate(Patient(name="castrate", overrides={"leydig_capacity": 0.0}), days=1).to_frame().iloc[-1]
    assert cast.lh > 3 * ref.lh and cast.fsh > 2 * ref.fsh


def test_testosterone_suppresses_lh_and_fsh():
    f = _series("eugonadal", "testosterone enanthate 200 mg IM weekly", days=42)
    assert f.lh.iloc[-1] < 0.2 * f.lh.iloc[0] and f.fsh.iloc[-1] < 0.2 * f.fsh.iloc[0]


def test_blocking_the_estrogen_receptor_raises_lh():
    f = _series("eugonadal", "enclomiphene citrate 25 mg PO daily", days=28)
    assert f.lh.iloc[-1] > 1.2 * f.lh.iloc[0]


def test_lower_aromatase_lowers_e2_and_raises_t(steady):
    base = steady("eugonadal")
    low = simulate(Patient(overrides={"aromatase_activity": 0.5}), days=1).to_frame().iloc[-1]
    assert low.estradiol < base.estradiol and low.total_testosterone > base.total_testosterone


def test_removing_fsh_drive_lowers_sperm_only_after_weeks():
    # TE 200 mg/wk silences GnRH: FSH (and ITT) fall within days, sperm output lags by weeks
    f = _series("eugonadal", "testosterone enanthate 200 mg IM weekly", days=112)
    base = f.iloc[0]
    assert f.fsh.iloc[21] < 0.3 * base.fsh
    assert f.sperm_concentration.iloc[7] > 0.9 * base.sperm_concentration
    assert f.sperm_concentration.iloc[14] > 0.7 * base.sperm_concentration
    assert f.sperm_concentration.iloc[112] < 0.1 * base.sperm_concentration


def test_pulsatile_and_averaged_daily_means_agree_within_10_percent():
    pul = simulate("eugonadal", days=3, mode="pulsatile").to_frame()
    avg = simulate("eugonadal", days=3, step_h=0.5).to_frame()
    day = (pul.day > 2.0) & (pul.day <= 3.0)
    day_avg = (avg.day > 2.0) & (avg.day <= 3.0)
    for col in ("lh", "fsh", "total_testosterone"):
        a, p = avg[col][day_avg].mean(), pul[col][day].mean()
        assert abs(p - a) / a < 0.10, col


def test_pulsatile_mode_gives_6_to_24_lh_pulses_a_day():
    f = simulate("eugonadal", days=2, mode="pulsatile", seed=3).to_frame()
    lh = f.lh.to_numpy()[f.day.to_numpy() >= 1.0]
    rises = np.sum((lh[1:-1] > lh[:-2]) & (lh[1:-1] >= lh[2:]) & (lh[1:-1] > np.convolve(lh, np.ones(121) / 121, "same")[1:-1] * 1.05))
    assert 6 <= rises <= 24


def test_stochastic_pulses_are_reproducible_with_a_seed():
    a = simulate("eugonadal", days=0.5, mode="pulsatile", seed=7).to_frame()
    b = simulate("eugonadal", days=0.5, mode="pulsatile", seed=7).to_frame()
    assert a.lh.equals(b.lh)


def test_result_carries_provenance():
    r = simulate("eugonadal", days=1, seed=5)
    assert r.ok and r.provenance["seed"] == 5 and "leydig_capacity" in r.provenance["parameters"]
    assert r.provenance["version"]


def test_parameter_documentation_is_generated_from_the_table():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"
    assert doc.read_text() == parameters.to_markdown(), "regenerate docs/parameters.md from parameters.to_markdown()"
