"""The batched engine: agreement with the adaptive scipy engine, per-patient status, independence of patients."""

import numpy as np
import pytest

from hpgsim.errors import InputError
from hpgsim.patient import Patient, phenotype
from hpgsim.simulate import simulate, simulate_cohort
from hpgsim.solvers.batch import integrate_batch
from hpgsim.solvers.piecewise import Jump

NAMES = ["eugonadal", "secondary_hypogonadism", "obese_hyperestrogenic", "congenital_hh"]
COLS = ["total_testosterone", "lh", "fsh", "estradiol", "sperm_concentration"]


@pytest.mark.parametrize("regimen", ["anastrozole 1 mg PO daily", "testosterone enanthate 200 mg IM weekly",
                                     "hCG 2000 IU SC 3x/week"])
def test_fixed_step_batch_agrees_with_adaptive_engine_within_1_percent(regimen):
    res = simulate_cohort([phenotype(n) for n in NAMES], regimen, days=120)
    assert list(res.status) == ["ok"] * len(NAMES)
    f = res.frame
    for i, name in enumerate(NAMES):
        ref = simulate(name, regimen, days=120).to_frame()
        got = f[f.patient == i].reset_index(drop=True)
        assert np.allclose(got.day, ref.day)
        for col in COLS:
            a, b = got[col].to_numpy(), ref[col].to_numpy()
            rel = np.abs(a - b) / np.maximum(np.abs(b), 0.05 * np.abs(b).max())
            assert rel.max() < 0.01, (name, col, rel.max())


def test_adding_patients_does_not_change_the_others():
    one = simulate_cohort([phenotype("eugonadal")], "anastrozole 1 mg PO daily", days=30, sample_days=[30]).frame
    many = simulate_cohort([phenotype("eugonadal"), phenotype("congenital_hh"), Patient(age=60, bmi=31)],
                           "anastrozole 1 mg PO daily", days=30, sample_days=[30]).frame
    assert many.loc[many.patient == 0, "total_testosterone"].iloc[0] == pytest.approx(one.total_testosterone.iloc[0], rel=1e-12)


def test_a_failing_patient_is_reported_and_the_others_finish():
    def fun(t, x, u):
        dx = -0.1 * x
        dx[:, 1] = 1e300 * np.abs(x[:, 1]) + 1e300  # patient 1 blows up
        return dx

    with np.errstate(over="ignore", invalid="ignore"):
        res = integrate_batch(fun, np.ones((2, 3)), np.zeros((0, 3)), np.zeros((0, 0)), [10.0, 20.0])
    assert list(res.ok) == [True, False, True]
    assert np.isfinite(res.failed_at_h[1]) and np.isnan(res.failed_at_h[0])
    assert res.x[-1, 0, 0] == pytest.approx(np.exp(-2.0), rel=1e-4)


def test_doses_land_exactly_at_their_times():
    # du/dt = -u, a dose of 1 at t = 5 h: u(10) = exp(-5) exactly (linear part is propagated with expm)
    k = np.array([[-1.0]])
    res = integrate_batch(lambda t, x, u: 0.0 * x, np.zeros((1, 1)), np.zeros((1, 1)), k, [5.0, 10.0],
                          [Jump(5.0, 0, 1.0)])
    assert res.u[0, 0, 0] == 0.0  # sampled before the dose
    assert res.u[1, 0, 0] == pytest.approx(np.exp(-5.0), rel=1e-12)


def test_cohort_refuses_history_and_bad_days():
    with pytest.raises(InputError, match="history"):
        simulate_cohort([phenotype("post_trt_suppressed")], days=10)
    with pytest.raises(InputError, match="days"):
        simulate_cohort([phenotype("eugonadal")], days=-1)
