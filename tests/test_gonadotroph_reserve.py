"""The per-man gonadotroph reserve: LH and FSH made per unit of GnRH signal, spread between men with congenital HH."""

from __future__ import annotations

import math

import numpy as np

from hpgsim import parameters
from hpgsim.patient import phenotype
from hpgsim.population import virtual_population
from hpgsim.simulate import simulate_cohort

PUMP = "gonadorelin 10 ug SC every 90 minutes"


def test_men_with_a_gnrh_drive_keep_the_reference_reserve_and_congenital_hh_men_spread_around_theirs():
    assert parameters.get("gonadotroph_reserve").value == 1.0
    eugonadal = virtual_population(200, seed=4)
    assert {m.overrides["gonadotroph_reserve"] for m in eugonadal} == {1.0}
    chh = virtual_population(400, seed=4, base="congenital_hh")
    r = np.log([m.overrides["gonadotroph_reserve"] for m in chh])
    typical = phenotype("congenital_hh").overrides["gonadotroph_reserve"]
    sd = math.sqrt(math.log1p(parameters.get("gonadotroph_reserve").cv ** 2))
    assert abs(np.median(r) - math.log(typical)) < 0.15
    assert abs(r.std() / sd - 1.0) < 0.12


def test_the_reserve_draw_leaves_the_other_draws_of_every_man_as_they_were():
    """Its deviate is drawn after the covariates': a man with congenital HH has the same draws of every other
    per-man parameter, age and BMI as the eugonadal man of the same seed and position (the same deviate around the
    phenotype's typical value: congenital HH has its own Leydig complement, and its own spread of the doubling time,
    so the deviates are compared in SDs of each phenotype's spread, leaving out draws held at a bound)."""
    eu = virtual_population(20, seed=7, age=30.0, age_sd=5.0, bmi_sd=3.0)
    chh = virtual_population(20, seed=7, base="congenital_hh", age=30.0, age_sd=5.0, bmi_sd=3.0)
    for a, b in zip(eu, chh):
        assert (a.age, a.bmi) == (b.age, b.bmi)
        for k in ("leydig_capacity", "aromatase_activity", "spermatogonial_doubling_days", "sperm_itt_k"):
            z = []
            for ph, m in (("eugonadal", a), ("congenital_hh", b)):
                typ = phenotype(ph).overrides.get(k, parameters.get(k).value)
                sig = math.sqrt(math.log1p(phenotype(ph).spreads.get(k, parameters.get(k).cv) ** 2))
                z.append(math.log(m.overrides[k] / typ) / sig)
            if any(parameters.clip(k, m.overrides[k] * f) != m.overrides[k] * f for m in (a, b) for f in (0.999, 1.001)):
                continue  # held at a bound of the table
            assert math.isclose(z[0], z[1], rel_tol=1e-9), k


def test_the_reserve_scales_the_response_to_gnrh_pulses_not_the_basal_output():
    base = phenotype("congenital_hh")
    men = [base.with_overrides(gonadotroph_reserve=v) for v in (0.2, 1.0)]
    res = simulate_cohort(men, PUMP, days=28, sample_days=[0, 27], observables=["lh", "fsh", "total_testosterone"])
    lh, fsh = res.values["lh"], res.values["fsh"]
    # untreated congenital HH: only the GnRH-independent output, the same whatever the reserve
    assert abs(lh[0, 0] / lh[0, 1] - 1.0) < 0.02 and abs(fsh[0, 0] / fsh[0, 1] - 1.0) < 0.02
    # on the pump the small reserve makes far less of both (the steroid and inhibin feedback damp the ratio)
    assert lh[1, 0] < 0.5 * lh[1, 1] and fsh[1, 0] < 0.5 * fsh[1, 1]
    assert res.values["total_testosterone"][1, 0] < res.values["total_testosterone"][1, 1]


def test_pump_lh_and_fsh_of_congenital_hh_men_spread_as_published():
    """Mao JF et al. Asian J Androl 2018;20:319 (82 men, 1 month of pulsatile GnRH): LH 7.5 +/- 4.4, FSH 8.8 +/- 5.3
    IU/L (CV 0.59 and 0.60); without a spread of the reserve the model's CV is about 0.2."""
    men = virtual_population(120, seed=0, base="congenital_hh")
    res = simulate_cohort(men, PUMP, days=29, sample_days=[28], observables=["lh", "fsh"])
    lh, fsh = res.values["lh"][0], res.values["fsh"][0]
    assert abs(lh.mean() / 7.5 - 1.0) < 0.2 and abs(fsh.mean() / 8.8 - 1.0) < 0.2
    assert 0.45 < lh.std() / lh.mean() < 0.75 and 0.45 < fsh.std() / fsh.mean() < 0.75
