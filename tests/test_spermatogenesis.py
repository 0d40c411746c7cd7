"""Spermatogenesis between men: androgen requirement, Sertoli complement, spermatogonial expansion."""

import numpy as np
import pytest

from hpgsim import parameters
from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.population import baseline, virtual_population
from hpgsim.simulate import simulate_cohort

TE = "testosterone enanthate 200 mg IM weekly"
HCG_FSH = "hCG 1500 IU SC 3x/week; FSH 150 IU SC 3x/week"


def _sperm(men, regimen, weeks):
    days = [7 * w for w in weeks]
    res = simulate_cohort(men, regimen, days=days[-1] + 1, sample_days=days, observables=["sperm_concentration"])
    return np.asarray(res.values["sperm_concentration"])


def test_androgen_requirement_in_the_normal_range_shapes_suppression_more_than_the_untreated_output():
    # sperm_itt_k differs between men: within the normal spread the untreated output is nearly the same (support is
    # normalised to the typical man's), the output under testosterone is not
    # the normal spread: the 5th, 50th and 95th percentiles of the population's log-normal draw of sperm_itt_k
    row = parameters.get("sperm_itt_k")
    z = 1.645 * np.sqrt(np.log1p(row.cv**2))
    men = [Patient(name=f"k{i}", overrides={"sperm_itt_k": row.value * np.exp(s * z)}) for i, s in enumerate((-1, 0, 1))]
    s = _sperm(men, TE, [0, 26])
    assert s[0] == pytest.approx(s[0, 1], rel=0.15)
    assert s[1, 2] < 0.1 < s[1, 0]  # the demanding man is azoospermic, the undemanding one is not
    assert s[1, 0] > 10.0 * s[1, 1] > 10.0 * s[1, 2]


def test_testosterone_leaves_a_minority_oligozoospermic():
    # WHO 1990/1995: about a third of men stay oligozoospermic (mostly < 3 M/mL) on TE 200 mg weekly
    s = _sperm(virtual_population(100, seed=3), TE, [26])[0]
    assert 0.55 < np.mean(s < 0.1) < 0.92
    assert np.mean(s < 3.0) > 0.9


def test_eugonadal_spread_of_inhibin_b_and_sperm_concentration():
    # inhibin B 10th-90th percentiles in normozoospermic men 54.5-247 pg/mL (Reproduction 145:237);
    # sperm concentration 5th percentile 15 M/mL in fertile men (Cooper 2010)
    b = baseline(virtual_population(300, seed=1), ["inhibin_b", "sperm_concentration"])
    lo, hi = np.percentile(b["inhibin_b"], [10, 90])
    assert 54.5 / 1.25 < lo < 54.5 * 1.25 and 247.0 / 1.25 < hi < 247.0 * 1.25
    assert 10.0 < np.percentile(b["sperm_concentration"], 5) < 22.0


def test_congenital_hh_output_scales_with_sertoli_complement_and_timing_with_reserve_growth():
    chh = phenotype("congenital_hh")
    small, large = (chh.with_overrides(sertoli_capacity=s) for s in (0.1, 0.6))
    # slow: 200 days (150 until the floor was raised 1e-3 -> 1.4e-3, a head start of half a doubling; at 150 days the
    # typical man now shows 0.12 M/mL at week 70: physiology_sources sections 25 and 27; no published number)
    fast, slow = (chh.with_overrides(spermatogonial_doubling_days=d) for d in (10.0, 200.0))
    s = _sperm([small, large, fast, slow], HCG_FSH, [70])[0]
    assert s[1] == pytest.approx(6.0 * s[0], rel=0.1)  # output follows the Sertoli complement (testis size)
    assert s[3] < 0.1 < s[2]  # a slowly expanding spermatogonial reserve gives no sperm at 16 months


def test_congenital_hh_cohort_responds_heterogeneously_to_gonadotropins():
    # about four in five men reach sperm in the ejaculate and a minority normal counts after 16-18 months
    # (GONADO_COHORT99, MUIR_META2024)
    s = _sperm(virtual_population(120, seed=2, base="congenital_hh"), HCG_FSH, [70])[0]
    assert 0.6 < np.mean(s >= 0.1) < 0.97
    assert 0.3 < np.mean(s >= 5.0) < 0.7
    assert 0.03 < np.mean(s >= 20.0) < 0.4


def test_the_varied_spermatogenesis_parameters_have_sourced_spreads():
    for name in ("sertoli_capacity", "spermatogenic_efficiency", "sperm_itt_k", "spermatogonial_doubling_days"):
        p = parameters.get(name)
        assert p.patient and p.cv and "cv" in p.source


def test_older_men_repopulate_the_spermatogonial_reserve_more_slowly_after_testosterone():
    # Kohn 2017: age limits sperm recovery on hCG after testosterone therapy; at or below the reference age
    # (and in an untreated man, whose reserve is full) age changes nothing
    hist = (("testosterone cypionate 200 mg IM weekly", -104.0, 0.0),)
    men = [Patient(name=f"a{a}", age=a, history=hist) for a in (25.0, 30.0, 40.0, 50.0)]
    s = _sperm(men, "hCG 3000 IU SC every other day; clomiphene citrate 25 mg PO daily", [0, 26])
    assert s[1, 0] == pytest.approx(s[1, 1], rel=0.05)  # 25 and 30 years: the same repopulation rate
    assert s[1, 1] > 2.0 * s[1, 2] and s[1, 2] > 1.2 * s[1, 3]  # slower at 40, slower still at 50
    untreated = _sperm([Patient(name="y", age=30.0), Patient(name="o", age=50.0)], None, [0, 26])
    assert untreated[1, 1] > 0.5 * untreated[1, 0]  # no loss of output without suppression


def test_congenital_hh_takes_five_to_seven_months_to_first_sperm_and_a_minority_stays_below_1_m_per_ml():
    # median time to sperm in the ejaculate on hCG + FSH: 5 months in 99 men with gonadotropin deficiency
    # (GONADO_COHORT99), 7.1 months (30.9 weeks) in 75 men with congenital HH (Liu 2009, LIU2009_JCEM); after a
    # median 18 months 55% reach > 1 M/mL (Muir 2024 meta-analysis, 1673 men). 400 men: seed noise below a week
    weeks = list(range(0, 79))
    s = _sperm(virtual_population(400, seed=5, base="congenital_hh"), HCG_FSH, weeks)
    reached = s >= 0.1
    first = np.where(reached.any(axis=0), reached.argmax(axis=0), 10 ** 6)  # week of first sperm (never: censored)
    # the two published medians (21.7 and 30.9 weeks) both come from men the library runs as congenital_hh, so the
    # model's median is checked against the range they span (it was 26-36 weeks, a modelling choice, before the
    # FSH drug's exposure was set from the Puregon measurement in men: physiology_sources section 27)
    assert 21.7 <= np.median(first) < 30.9
    assert 0.4 < np.mean(s[-1] >= 1.0) < 0.66


LETROZOLE = "letrozole 2.5 mg PO daily"


def test_a_high_androgen_requirement_costs_sperm_that_an_aromatase_inhibitor_gives_back():
    # support is normalised to the typical man's requirement: a man who needs 1.5x the reference ITT for half his
    # androgen support makes far less sperm untreated and gains several-fold when letrozole raises ITT; the typical
    # man, already near full support, gains little (Cavallini 2013: cryptozoospermic men 0.4 -> 1.29 M/mL)
    typical = Patient(name="typical", overrides={"sertoli_capacity": 0.15})
    demanding = typical.with_overrides(sperm_itt_k=1.5)
    s = _sperm([typical, demanding], LETROZOLE, [0, 17])
    assert s[0, 1] < 0.25 * s[0, 0]
    assert s[1, 0] < 1.3 * s[0, 0]
    assert s[1, 1] > 3.0 * s[0, 1]


def test_idiopathic_oligozoospermia_cohort_is_severe_and_gains_several_fold_on_letrozole():
    # mostly < 5 M/mL untreated (the severe oligozoospermia of SHULING2018 and Cavallini 2013), most men improve,
    # the typical one about three-fold at 17 weeks
    s = _sperm(virtual_population(40, seed=4, base="idiopathic_oligozoospermia"), LETROZOLE, [0, 17])
    ratio = s[1] / np.maximum(s[0], 1e-6)
    assert np.mean(s[0] < 5.0) > 0.6
    assert np.mean(ratio > 1.2) > 0.7
    assert 2.0 < np.median(ratio) < 5.0


def test_congenital_hh_draws_its_own_wider_spread_of_the_sertoli_complement_and_reserve_growth():
    # the phenotype's spreads (fit to MUIR_META2024 / GONADO_COHORT99) replace the table's cv for cohorts drawn
    # around it; the Sertoli complement keeps the testis-volume mean 0.35 (median 0.25 at cv 1.0)
    chh = phenotype("congenital_hh")
    assert chh.spreads["sertoli_capacity"] > parameters.get("sertoli_capacity").cv
    assert chh.spreads["spermatogonial_doubling_days"] > parameters.get("spermatogonial_doubling_days").cv
    men = virtual_population(2000, seed=3, base=chh)
    s = np.array([m.overrides["sertoli_capacity"] for m in men])
    assert 0.22 < np.median(s) < 0.28 and 0.30 < np.mean(s) < 0.40
    assert 0.75 < np.std(np.log(s)) < 0.92  # log-normal SD at cv 1.0: sqrt(ln 2) = 0.83 (at the table's 0.6: 0.55)
    d = np.log([m.overrides["spermatogonial_doubling_days"] for m in virtual_population(2000, seed=3)])
    dc = np.log([m.overrides["spermatogonial_doubling_days"] for m in men])
    assert np.std(dc) > 1.1 * np.std(d)  # wider than the eugonadal men's (both clipped at the table's bounds)
    with pytest.raises(InputError, match="spreads.*gnrh_drive_typo"):
        Patient(name="x", spreads={"gnrh_drive_typo": 1.0})
