"""The androgen requirement of spermatogenesis in East Asian men and the azoospermic share on testosterone
enanthate (WHO 1995: 89.2% of 205 Asian against 66.7% of 465 non-Asian men at 6 months; WHO 1990: 65% of 271)."""

import numpy as np
import pytest

from hpgsim import parameters
from hpgsim.patient import PHENOTYPES, phenotype
from hpgsim.population import baseline, virtual_population
from hpgsim.simulate import simulate_cohort

TE = "testosterone enanthate 200 mg IM weekly"


def _sperm_at(men, week):
    res = simulate_cohort(men, TE, days=7 * week + 1, sample_days=[0, 7 * week], observables=["sperm_concentration"])
    return np.asarray(res.values["sperm_concentration"])


def test_the_east_asian_requirement_is_the_typical_one_times_the_5_alpha_reduction_ratio():
    ratio = parameters.get("sperm_itt_k_east_asian_ratio").value
    assert ratio == pytest.approx(34.7 / 19.7)  # 3-alpha-diol G, Caucasian vs Chinese men (Lookingbill 1991)
    assert PHENOTYPES["eugonadal_east_asian"].overrides == {
        "sperm_itt_k": pytest.approx(parameters.get("sperm_itt_k").value * ratio)}


def test_east_asian_men_have_the_same_axis_and_untreated_output_but_become_azoospermic_more_often():
    # the same 120 draws around the two phenotypes: only the androgen requirement of spermatogenesis differs
    eu = virtual_population(120, seed=4, base="eugonadal")
    ea = virtual_population(120, seed=4, base="eugonadal_east_asian")
    b_eu, b_ea = (baseline(m, ["total_testosterone", "lh", "sperm_concentration"]) for m in (eu, ea))
    for k in ("total_testosterone", "lh"):
        assert np.allclose(b_ea[k], b_eu[k], rtol=1e-3)
    # normal ITT still gives nearly full androgen support to most men needing 1.76x the typical ITT: the untreated
    # median is a few per cent lower (the men in the upper tail of the requirement lose some support)
    r = np.median(b_ea["sperm_concentration"]) / np.median(b_eu["sperm_concentration"])
    assert 0.9 < r <= 1.0
    s_eu, s_ea = _sperm_at(eu, 26)[1], _sperm_at(ea, 26)[1]
    assert np.all(s_ea <= s_eu * 1.0001)
    assert np.mean(s_ea < 0.1) > np.mean(s_eu < 0.1) + 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_azoospermic_shares_on_testosterone_enanthate_at_200_men(seed):
    # refitted at 200 men over seeds 0-2: non-Asian 0.745-0.76 (WHO1990 0.65, band 0.50-0.80; WHO1995 non-Asian
    # 0.667; 0.795-0.835 before), Asian 0.90-0.94 (WHO1995 Asian 0.892, band from 0.742)
    s_eu = _sperm_at(virtual_population(200, seed=seed, base="eugonadal"), 26)[1]
    s_ea = _sperm_at(virtual_population(200, seed=seed, base=phenotype("eugonadal_east_asian")), 26)[1]
    assert 0.6 < np.mean(s_eu < 0.1) < 0.78
    assert 0.84 < np.mean(s_ea < 0.1) < 0.97
    assert np.mean(s_eu < 3.0) > 0.9  # the others mostly below 3 M/mL (95.6% of the non-Asian men)
