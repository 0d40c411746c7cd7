"""Titration to a lab target in the simulation: each man's dose follows his own labs."""

from __future__ import annotations

import numpy as np
import pytest

from hpgsim.errors import InputError
from hpgsim.patient import phenotype
from hpgsim.population import virtual_population
from hpgsim.regimen import Regimen
from hpgsim.simulate import simulate, simulate_cohort

CLOMIPHENE = "clomiphene citrate 25 mg PO every other day"
TITRATED = f"{CLOMIPHENE}, titrate to total_testosterone 500-600 ng/dL every 4 weeks down to 12.5 mg up to 50 mg"
LOW, HIGH = 500.0, 600.0


@pytest.fixture(scope="module")
def men():
    return virtual_population(24, seed=3, base=phenotype("secondary_hypogonadism"))


@pytest.fixture(scope="module")
def runs(men):
    days = 16 * 7
    kw = dict(days=days, sample_days=[0, 28, days], observables=["total_testosterone", "lh"])
    return simulate_cohort(men, CLOMIPHENE, **kw), simulate_cohort(men, TITRATED, **kw)


def test_each_check_steps_low_men_up_and_high_men_down(runs):
    _, titrated = runs
    h = titrated.dose_history
    assert sorted(h.day.unique()) == [0.0, 28.0, 56.0, 84.0]
    moved = {"up": 0, "down": 0}
    for (_, _), man in h.groupby(["patient", "drug"]):
        man = man.sort_values("day")
        for (_, before), (_, check) in zip(man.iloc[:-1].iterrows(), man.iloc[1:].iterrows()):
            expected = before.level + 1 if check.value < LOW else before.level - 1 if check.value > HIGH else before.level
            assert check.level == min(max(expected, 0), 2)
            moved["up"] += check.level > before.level
            moved["down"] += check.level < before.level
    assert moved["up"] > 0 and moved["down"] > 0  # the cohort holds men on both sides of the range


def test_the_check_reads_the_morning_lab_of_that_day(runs):
    _, titrated = runs
    h = titrated.dose_history
    first = h[h.day == 28.0].sort_values("patient")
    sampled = titrated.values["total_testosterone"][list(titrated.days).index(28.0)]
    assert np.allclose(first.value.to_numpy(), sampled, rtol=1e-5)


def test_doses_stay_within_the_ladder_and_men_end_on_different_doses(runs):
    _, titrated = runs
    assert set(titrated.dose_history.amount) <= {12.5, 25.0, 50.0}
    assert set(titrated.dose_history.level) <= {0, 1, 2}
    final = titrated.doses_at(112.0)
    assert len(final) == 24 and final["dose"].nunique() >= 2
    assert titrated.conc["clomiphene"].shape == (3, 24)  # each man his own drug level


def test_titration_brings_the_cohorts_testosterone_closer_to_the_range(runs):
    fixed, titrated = runs

    def off(result):
        t = result.values["total_testosterone"][-1].astype(float)
        return np.mean(np.maximum(LOW - t, 0.0) + np.maximum(t - HIGH, 0.0))

    assert off(titrated) < 0.8 * off(fixed)
    # until the first check both took the same doses
    assert np.allclose(fixed.values["total_testosterone"][1], titrated.values["total_testosterone"][1], rtol=5e-3)


def test_a_titrated_man_alone_and_in_a_cohort_gets_the_same_doses(men, runs):
    _, titrated = runs
    one = simulate(men[5], TITRATED, days=16 * 7)
    assert one.ok
    mine = titrated.dose_history[titrated.dose_history.patient == 5].level.tolist()
    assert one.dose_history.level.tolist() == mine
    assert float(one.frame.total_testosterone.iloc[-1]) == pytest.approx(
        float(titrated.values["total_testosterone"][-1, 5]), rel=1e-3)


def test_titration_needs_the_compiled_averaged_engine():
    with pytest.raises(InputError) as e:
        simulate("secondary_hypogonadism", TITRATED, days=3, mode="pulsatile")
    assert e.value.field == "regimen" and "titrated" in str(e.value)


def test_trial_arms_keep_the_titration_and_end_with_the_arm():
    from hpgsim.trials.runner import treatment
    from hpgsim.trials.spec import load_spec

    spec = load_spec("validation/trials/KAMINETSKY2013_GEL.yaml")
    reg = treatment(spec.arms[0])
    (p,) = reg.prescriptions
    assert p.titration is not None and p.steps[0].days == 26 * 7
    assert Regimen.parse(str(reg)) == reg


def test_sbml_export_refuses_a_titrated_regimen():
    pytest.importorskip("libsbml")
    from hpgsim.export.sbml import to_sbml

    with pytest.raises(InputError) as e:
        to_sbml("secondary_hypogonadism", TITRATED, days=10)
    assert e.value.field == "regimen" and "SBML" in str(e.value)


def test_a_cohort_run_in_chunks_gets_the_same_doses_and_names(men, runs):
    _, whole = runs
    days = 16 * 7
    chunked = simulate_cohort(men, TITRATED, days=days, sample_days=[0, 28, days],
                              observables=["total_testosterone", "lh"], chunk=16)  # 24 men: two chunks
    assert chunked.dose_history.equals(whole.dose_history)
    named = chunked.dose_history.drop_duplicates("patient")
    assert named.name.tolist() == [men[i].name for i in named.patient]
    assert np.array_equal(chunked.values["total_testosterone"], whole.values["total_testosterone"])


def test_a_man_whose_simulation_fails_keeps_his_dose_and_leaves_the_others_unchanged(men):
    from hpgsim import simulate as engine

    group = men[:4]
    reg = Regimen.parse(TITRATED)
    c, p = engine._cohort_constants(group)
    model = engine._assemble(c, p, sorted(reg.drugs))
    x0, u0, _, _ = engine._history_state(model, engine._history(group[0]), len(group))
    t_out = np.arange(0, 57) * 24.0 + 8.0
    obs, failed, _, history = engine._titrated_run(model, x0, u0, t_out, reg)
    broken = x0.copy()
    broken[:, 1] = np.nan  # man 1's state is not finite from the start
    obs_b, failed_b, _, history_b = engine._titrated_run(model, broken, u0, t_out, reg)
    assert np.isfinite(failed_b[1]) and not np.isfinite(np.delete(failed_b, 1)).any()
    assert np.array_equal(np.delete(obs, 1, axis=2), np.delete(obs_b, 1, axis=2))
    mine = history_b[history_b.patient == 1]
    assert mine.level.tolist() == [1, 1] and mine.value.isna().all()  # no reading: he stays on his rung
    assert history_b[history_b.patient != 1].equals(history[history.patient != 1])
