"""How FSH and intratesticular T combine in supporting spermatogenesis, against the gonadotropin-replacement
experiments in normal men (Bremner 1981, Matsumoto 1983, Bremner/Matsumoto/Karpas 1986).

The model's output is not proportional to its support: a partial deficit also kills germ cells in transit and
shrinks the spermatogonial reserve, so the ITT-alone support must be derived from the sperm output these men kept,
not set equal to it (docs/research/physiology_sources.md, section 26)."""

import numpy as np
import pytest

from hpgsim import parameters
from hpgsim.population import virtual_population
from hpgsim.simulate import simulate_cohort

TE = "testosterone enanthate 200 mg IM weekly"
MEN = 60


def _run(regimen, days, observables=("sperm_concentration", "fsh")):
    men = virtual_population(MEN, seed=11)
    res = simulate_cohort(men, regimen, days=days[-1] + 1, sample_days=days, observables=list(observables))
    return {o: np.asarray(res.values[o]) for o in observables}


def test_support_has_no_negative_interaction():
    # support = a g + b h + (1 - a - b) g h: full ITT and full FSH together (support 1) give at
    # least the sum of what each gives alone (a + b): the interaction term 1 - a - b is not negative
    a = parameters.get("sperm_support_itt_alone").value
    b = parameters.get("sperm_support_fsh_alone").value
    assert a + b <= 1.0 + 1e-12
    assert a >= 0.58  # derived from the output the men on hCG alone kept, not from the output ratio itself


def test_hcg_alone_reinitiates_sperm_in_testosterone_suppressed_normal_men():
    # Bremner WJ, Matsumoto AM, Sussman AM, Paulsen CA, J Clin Invest 1981;68:1044: TE 200 mg weekly took sperm from
    # 106 +/- 28 to 1.0 M/mL; adding hCG 5000 IU 3x/week with FSH undetectable brought 46 +/- 16 M/mL (43% of
    # control; the ratio's relative SEM ~0.44, so 2 SEM below is ~0.18). Main gave 9% before the ITT-alone support was
    # rederived; the landed value sits near the low edge (~0.19-0.20)
    days = [0, 140] + list(range(280, 350, 7))
    v = _run(TE + "; hCG 5000 IU IM 3x/week from day 140", days)
    s = v["sperm_concentration"]
    assert s[1].mean() < 0.05 * s[0].mean()  # suppressed on TE alone
    ratio = s[2:].mean() / s[0].mean()
    assert 0.18 < ratio < 0.75
    assert np.median(v["fsh"][2:]) < 0.5  # FSH stays suppressed: the sperm come back on ITT alone


def test_chronic_hcg_suppresses_fsh_and_lowers_but_keeps_sperm_in_normal_men():
    # Bremner WJ, Matsumoto AM, Karpas AE (J Clin Endocrinol Metab 1986): hCG 5000 IU 2x/week for 7 months in 8
    # normal men, sperm 88 +/- 24 -> 22 +/- 7 M/mL over the last 4 months (25%; relative SEM of the ratio ~0.42, so
    # 2 SEM above is ~0.58); FSH suppressed. Main gave 0.28, the landed value ~0.40
    days = [0] + list(range(91, 211, 7))
    v = _run("hCG 5000 IU IM 2x/week", days)
    s = v["sperm_concentration"]
    ratio = s[1:].mean() / s[0].mean()
    assert 0.1 < ratio < 0.58
    assert np.median(v["fsh"][1:]) < 1.5


@pytest.mark.xfail(strict=True, reason="FSH alone with LH suppressed keeps ~2% of output in the model against 35% "
                                       "published (Matsumoto 1983): the model's FSH on 100 IU daily is ~1.1x the "
                                       "reference, Matsumoto's 2.8x, and the ITT-alone support caps b at 1 - a")
def test_fsh_alone_reinitiates_sperm_in_testosterone_suppressed_normal_men():
    # Matsumoto AM, Karpas AE, Paulsen CA, Bremner WJ, J Clin Invest 1983;72:1005: TE 200 mg weekly, then hFSH 100 IU
    # daily for 13-14 weeks: 0.3 -> 33 +/- 7 M/mL against a control of 94 +/- 12 (35%)
    days = [0, 140] + list(range(210, 238, 7))
    s = _run(TE + "; FSH 100 IU SC daily from day 140", days)["sperm_concentration"]
    assert s[2:].mean() / s[0].mean() > 0.15
