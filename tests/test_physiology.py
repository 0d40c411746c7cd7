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


def test_reference_man_has_full_gnrh_receptor_number_and_leydig_mass():
    from hpgsim.physiology import model as phys
    from hpgsim.regimen import Regimen
    from hpgsim.simulate import start_state

    _, y0, trouble = start_state(Patient(), Regimen())
    assert not trouble
    # (after three days of circadian rhythm, which moves the Leydig mass by < 1e-4)
    assert y0[phys.IDX["gnrhr_number"]] == pytest.approx(1.0, abs=1e-6)
    assert y0[phys.IDX["leydig_mass"]] == pytest.approx(1.0, abs=1e-3)


def _rhs_at_reference(**effects):
    from hpgsim.physiology import model as phys
    # the closed-form constants, whose steady state without the rhythm the guess is (the circadian correction
    # of the scale constants, simulate.constants, moves it by a few per cent)
    c = phys.derive(parameters.values(), age=30.0, bmi=23.5)
    y = phys.steady_state_guess(c)
    return phys, y, phys.rhs(0.0, y, c, phys.Effects(effects))


def test_gnrh_antagonist_cuts_reference_occupancy_by_its_effect_and_is_surmountable():
    """Competitive antagonism: at the reference pulse mass occupancy falls by the drug's effect theta;
    a larger GnRH pulse (castrate man) loses a smaller share."""
    import math

    m = parameters.get("gnrh_pulse_peak").value
    theta = 0.9
    xa1 = m / math.expm1((1.0 - theta) * math.log1p(m))
    assert math.log1p(m / xa1) / math.log1p(m) == pytest.approx(1.0 - theta)
    big = 3.0 * m
    assert math.log1p(big / xa1) / math.log1p(big) > 1.0 - theta
    # the filtered occupancy and the receptor number both start to fall under the antagonist
    phys, y, dy = _rhs_at_reference(gnrh_antagonism=theta)
    assert dy[phys.IDX["gnrh_occ_filtered"]] < 0 and dy[phys.IDX["gnrhr_number"]] < 0
    _, _, dy0 = _rhs_at_reference()
    assert abs(dy0[phys.IDX["gnrhr_number"]]) < 1e-12 and abs(dy0[phys.IDX["leydig_mass"]]) < 1e-12


def test_degarelix_castrates_at_once_and_keeps_testosterone_castrate_for_a_year():
    # Klotz 2008 CS21: T -88% on day 1, -94% on day 3, 97% castrate (<= 50 ng/dL) from day 28 to 364
    f = _series("ageing_male", ["degarelix 240 mg SC once", "degarelix 80 mg SC monthly starting day 28"], days=364)
    base = f.iloc[0]
    assert f.total_testosterone.iloc[3] < 0.15 * base.total_testosterone
    assert f.total_testosterone.iloc[28:].max() < 50
    assert f.lh.iloc[364] < 0.3 * base.lh and f.fsh.iloc[364] < 0.5 * base.fsh


def test_testosterone_recovers_long_after_lh_when_a_gnrh_agonist_is_stopped():
    # Kaku 2006: LH normal within 3 months of stopping, T after a median 24 months (older men)
    f = _series("ageing_male", "leuprolide 11.25 mg SC every 3 months for 2 doses", days=26 * 7 + 3 * 365)
    base = f.iloc[0]
    off = 26 * 7
    assert f.total_testosterone.iloc[off - 1] < 50
    assert f.lh.iloc[off + 13 * 7] > base.lh  # LH back (and above baseline) 3 months after stopping
    assert f.total_testosterone.iloc[off + 13 * 7] < 0.6 * base.total_testosterone
    assert f.total_testosterone.iloc[off + 3 * 365] > 0.7 * base.total_testosterone


def test_castrate_testosterone_is_the_extragonadal_floor():
    # Oefelein 2000: median T 15 ng/dL after orchiectomy; Morote 2018: 14 ng/dL (LC-MS/MS) on LHRH agonists
    floor = parameters.get("t_extragonadal").value
    cast = _series(Patient(name="castrate", overrides={"leydig_capacity": 0.0}), days=3).iloc[-1]
    assert cast.total_testosterone == pytest.approx(floor, rel=0.02)
    f = _series("ageing_male", "leuprolide 22.5 mg IM every 3 months", days=48 * 7)
    assert floor < f.total_testosterone.iloc[28:].min() and f.total_testosterone.iloc[28:].max() < floor + 10


def test_testosterone_recovers_more_slowly_after_a_longer_course_of_agonist():
    # Nabid 2023 (PCS III/IV): median time to normal T 1.5 years after 6 months of ADT, 3.1 years after 18 months
    def weeks_to(n_doses, threshold=240.0):
        off = n_doses * 12 * 7
        t = _series(Patient(age=68.0), f"leuprolide 22.5 mg IM every 3 months for {n_doses} doses",
                    days=off + 6 * 365).total_testosterone.values[off:]
        return np.argmax(t >= threshold) / 7.0 if (t >= threshold).any() else np.inf

    short, long_ = weeks_to(2), weeks_to(6)
    assert 20 < short < 90 and long_ > 1.8 * short


def test_degarelix_maintenance_washes_out_within_months_of_the_last_dose():
    # Crawford 2015 (intermittent degarelix, 7 months): median 16 weeks off therapy to T > 50 ng/dL, 85% recovered;
    # the 80 mg maintenance depot's ~31-day half-life (Canadian monograph), not the 53 days of the 240 mg start
    f = _series(Patient(age=70.0, bmi=27.0), ["degarelix 240 mg SC once",
                                              "degarelix 80 mg SC monthly starting day 28 for 6 doses"], days=196 + 40 * 7)
    t = f.total_testosterone.values[196:]
    weeks = np.argmax(t >= 50.0) / 7.0
    assert (t >= 50.0).any() and 10 < weeks < 26


def test_leydig_mass_regrows_faster_in_a_young_man_and_under_hcg():
    reg = "testosterone enanthate 200 mg IM weekly for 26 doses"
    young = _series(Patient(age=30.0), reg, days=52 * 7)
    old = _series(Patient(age=70.0), reg, days=52 * 7)
    wk = 12 * 7 + 26 * 7  # three months after the last injection
    assert (young.total_testosterone.iloc[wk] / young.total_testosterone.iloc[0]
            > old.total_testosterone.iloc[wk] / old.total_testosterone.iloc[0] + 0.2)
    # congenital HH (no LH since birth): hCG 2000 IU 3x/week brings T above 264 ng/dL within 6 weeks
    chh = _series("congenital_hh", "hCG 2000 IU SC 3x/week", days=42)
    assert chh.total_testosterone.iloc[0] < 100 and chh.total_testosterone.iloc[42] > 264


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


def test_transdermal_testosterone_does_not_shrink_the_leydig_cells_of_a_hypogonadal_man():
    """Gel's partial LH suppression (LH ~0.8 IU/L) keeps most of the Leydig mass: T is back near its pretreatment
    level within weeks of stopping (AndroGel 1% label: within about 5 days), while castrate LH keeps ~10% (Keeney 1988)."""
    from hpgsim.physiology import model as phys

    c = phys.derive(parameters.values(), age=40.0, bmi=25.0)
    p = parameters.values()

    def target(lh):
        h = lh ** p["leydig_hill"] / (p["leydig_l50"] ** p["leydig_hill"] + lh ** p["leydig_hill"])
        x4 = (h / float(c["h_ref"])) ** 4
        return x4 * (1.0 + float(c["m_k4"])) / (float(c["m_k4"]) + x4)

    assert target(0.8) > 0.7  # gel-suppressed LH in secondary hypogonadism
    assert 0.05 < target(0.5) < 0.15  # castrate LH: ~10% (the parameter's source says 0.10)
    assert target(2.0) > 0.95  # untreated secondary hypogonadism
    man = "secondary_hypogonadism"
    f = simulate(man, ["testosterone gel 50 mg transdermal daily for 25 weeks"], days=7 * 29).to_frame()
    before = float(f.total_testosterone.iloc[(f.day - 0.33).abs().argmin()])
    after = float(f.total_testosterone.iloc[(f.day - (175 + 28)).abs().argmin()])  # 4 weeks after the last dose
    assert after > 0.6 * before


@pytest.mark.xfail(strict=True, reason="known defect (docs/research/physiology_sources.md section 19): five days "
                                       "after the last gel application the secondary-hypogonadism man's T is 0.41 of "
                                       "pretreatment; the Leydig trophic state and mass lost under gel LH ~0.75 IU/L "
                                       "take weeks to return")
def test_testosterone_is_back_at_its_pretreatment_level_five_days_after_the_last_gel_application():
    """The source of the test above, encoded as it reads: serum T returns to its pretreatment level within about 5
    days after a testosterone gel is stopped at steady state (AndroGel 1% prescribing information, clinical
    pharmacology; the source of leydig_mass_k). The test above asks only for 0.6 of pretreatment 4 weeks after
    stopping, which the model meets (0.68); 5 days after the last application it gives 0.41 (LH is back above its
    pretreatment level within 4 days), and a phenotype with the published E2 of secondary hypogonadism
    (Helo 2017: 17 pg/mL) or its BMI (Masterson 2019: median 30.9) gives 0.07-0.09."""
    f = simulate("secondary_hypogonadism", ["testosterone gel 50 mg transdermal daily for 25 weeks"], days=7 * 27).to_frame()
    before = float(f.total_testosterone.iloc[(f.day - 0.33).abs().argmin()])
    last_dose = 174.33  # 08:00 of day 174, the 175th daily application
    after = float(f.total_testosterone.iloc[(f.day - (last_dose + 5.0)).abs().argmin()])
    assert after > 0.8 * before


def test_lh_does_not_swing_against_the_circadian_testosterone_rhythm():
    """The estrogen signal reaches the LH feedback over hours (steroid_feedback_tau), so LH stays nearly flat over
    clinic hours while T falls 20-25% from 08:00 to 16:00 (Brambilla 2009; Ahokoski 1998); with the instantaneous
    feedback LH rose 25% from 08:00 to 16:00, in antiphase to T."""
    from hpgsim.simulate import simulate

    p = parameters.values()
    f = simulate(Patient(age=p["ref_age"], bmi=p["ref_bmi"]), days=2, step_h=1.0).to_frame()
    day2 = f.iloc[24:48]
    at = {int(round(h)) % 24: r for h, r in zip(np.arange(25.0, 49.0), day2.itertuples())}
    assert -0.27 < at[16].total_testosterone / at[8].total_testosterone - 1.0 < -0.18
    for hour in (12, 16, 20):
        assert abs(at[hour].lh / at[8].lh - 1.0) < 0.10
    assert abs(at[16].fsh / at[8].fsh - 1.0) < 0.10


def test_reference_man_reproduces_his_reference_labs_at_0800_with_the_rhythm_on():
    """The scale constants are solved for the reference man's 08:00 draw from his rhythmic untreated state,
    not only for his steady state without the rhythm."""
    from hpgsim.simulate import simulate

    p = parameters.values()
    f = simulate(Patient(age=p["ref_age"], bmi=p["ref_bmi"]), days=1).to_frame().iloc[0]
    assert f.total_testosterone == pytest.approx(p["ref_total_t_0800"], rel=1e-4)
    assert f.lh == pytest.approx(p["ref_lh"], rel=1e-4)
    assert f.fsh == pytest.approx(p["ref_fsh"], rel=1e-4)
    assert f.shbg == pytest.approx(p["ref_shbg"], rel=1e-4)
    assert f.inhibin_b == pytest.approx(p["ref_inhibin_b"], rel=1e-4)
    assert f.sperm_concentration == pytest.approx(p["ref_sperm_concentration"], rel=1e-4)


def test_without_the_rhythm_correction_the_reference_man_misses_his_morning_labs():
    from hpgsim import simulate as sim
    from hpgsim.physiology import model as phys

    p = parameters.values()
    ref = sim._reference_parameters(p)
    biased = sim.reference_labs(phys.derive(p, age=p["ref_age"], bmi=p["ref_bmi"]), ref)
    honest = sim.reference_labs(sim.constants(p, age=p["ref_age"], bmi=p["ref_bmi"]), ref)
    assert abs(biased["lh"] / p["ref_lh"] - 1.0) > 0.03 and abs(biased["total_testosterone"] / p["ref_total_t_0800"] - 1.0) > 0.02
    assert honest["lh"] == pytest.approx(p["ref_lh"], rel=1e-5)
    assert honest["total_testosterone"] == pytest.approx(p["ref_total_t_0800"], rel=1e-5)


def test_rhythm_factors_are_shared_by_every_man_and_follow_the_shared_table():
    from hpgsim import simulate as sim

    p = parameters.values()
    one = sim.constants(p, age=50.0, bmi=30.0)
    cohort = sim.constants({**p, "leydig_capacity": np.array([0.5, 1.0, 2.0])}, age=np.array([50.0, 50.0, 50.0]),
                           bmi=np.array([30.0, 30.0, 30.0]))
    assert np.asarray(cohort["syn_lh"]) == pytest.approx(float(one["syn_lh"]))
    # without the rhythm the closed-form constants already hold: the factors are 1
    flat = sim.rhythm_factors({**p, "circadian_amplitude_young": 0.0, "circadian_amplitude_70": 0.0})
    for k in ("syn_lh", "leydig_basal", "syn_fsh"):
        assert flat[k] == pytest.approx(1.0, abs=2e-3)
