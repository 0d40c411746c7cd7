"""The block (lane) versions of the physiology generated from its scalar source agree with it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpgsim import parameters
from hpgsim.physiology import model as phys
from hpgsim.solvers import kernel, lanes


def _men(m, seed):
    rng = np.random.default_rng(seed)
    ks, ys = [], []
    for _ in range(m):
        c = phys.derive(parameters.values(), age=float(rng.uniform(20, 70)), bmi=float(rng.uniform(20, 35)))
        k = np.asarray(c.packed, dtype=float).ravel()
        y = np.asarray(phys.steady_state_guess(c), dtype=float).ravel()[:len(phys.STATES)]
        ks.append(k)
        ys.append(y * rng.uniform(0.3, 3.0, y.shape))  # away from steady state, every state different
    e = rng.uniform(0.0, 0.9, (len(phys.EFFECTS), m))
    return np.array(ys).T, np.array(ks).T, e


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, kernel.LC), seed=st.integers(0, 2**32 - 1), hour=st.floats(0.0, 2000.0))
def test_block_rhs_and_observables_equal_the_scalar_code_for_every_man(m, seed, hour):
    y, k, e = _men(m, seed)
    dy, lam, obs = kernel.block_rhs(hour, y, k, e)
    for p in range(m):
        d1, l1, o1 = np.empty(y.shape[0]), np.empty(y.shape[0]), np.empty(len(phys.OBS))
        phys.rhs_core(hour, y[:, p], k[:, p], e[:, p], 0.0, d1, l1)
        phys.observables_core(hour, y[:, p], k[:, p], e[:, p], o1)
        np.testing.assert_allclose(dy[:, p], d1, rtol=1e-11, atol=1e-300)
        np.testing.assert_allclose(lam[:, p], l1, rtol=1e-11, atol=1e-300)
        np.testing.assert_allclose(obs[:, p], o1, rtol=1e-11, atol=1e-300)


def test_a_man_gets_the_same_derivative_whatever_block_he_is_in():
    y, k, e = _men(kernel.LC, 7)
    full = kernel.block_rhs(5.0, y, k, e)[0]
    alone = kernel.block_rhs(5.0, y[:, 3:4], k[:, 3:4], e[:, 3:4])[0]
    np.testing.assert_array_equal(full[:, 3:4], alone)


def test_generated_source_reads_every_state_through_the_work_array():
    src, rows = lanes.lane_source("rhs_core", "f", {"y": 0, "k": 100, "e": 300, "dy": 400, "lam": 500}, 600, 16)
    assert "y[" not in src and "k[" not in src and "dy[" not in src and rows > 0
    assert src.count("for j in range(n):") > 1  # cut into runs around the transcendental calls
    with pytest.raises(TypeError, match="unsupported statement"):
        lanes._Flatten().body([__import__("ast").parse("while True: pass").body[0]])
