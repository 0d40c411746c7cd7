import pytest

from hpgsim.simulate import simulate


@pytest.fixture(scope="session")
def steady():
    """08:00 steady-state values of each phenotype (cached for the session)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = simulate(name, days=1).to_frame().iloc[-1]
        return cache[name]

    return get
