"""Virtual trials on Dask distributed give bit-identical arrays to the in-process run.

One LocalCluster (2 worker processes, 1 thread each) for the module. The in-process runs come
first in each test, so the compiled engine is in the on-disk cache before a worker needs it.
"""

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hpgsim.cli import app
from hpgsim.trials import parse_spec
from hpgsim.trials.design import run_design
from hpgsim.trials.distributed import DaskSimulator, pack, unpack
from hpgsim.trials.runner import LocalSimulator, build_cohort, run_trial, run_trials

runner = CliRunner()

SPEC = {
    "id": "DIST_AI",
    "citation": "test spec",
    "source_quality": "secondary",
    "population": {"description": "overweight men", "n": 40, "bmi": 31.0, "phenotype": "obese_hyperestrogenic",
                   "baseline": {"total_testosterone": {"value": 300, "unit": "ng/dL"}}},
    "run_in": {"regimen": ["testosterone enanthate 100 mg IM weekly"], "weeks": 2},
    "arms": [
        {"name": "anastrozole", "regimen": ["anastrozole 1 mg PO daily"], "weeks": 2, "follow_up_weeks": 1,
         "endpoints": [{"observable": "estradiol", "kind": "percent_change", "week": 2, "value": -50},
                       {"observable": "lh", "kind": "mean", "week": 3, "value": 5, "unit": "IU/L"},
                       {"observable": "total_testosterone", "kind": "median_weeks_to_at_least", "threshold": 500,
                        "unit": "ng/dL", "value": 1}]},
        {"name": "untreated", "regimen": [], "weeks": 3,
         "endpoints": [{"observable": "total_testosterone", "kind": "fraction_below", "threshold": 300,
                        "unit": "ng/dL", "week": 3, "value": 0.5}]},
    ],
}


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           env={"NUMBA_NUM_THREADS": "1"})
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def assert_same_cohorts(a, b):
    assert list(a) == list(b)
    for arm in a:
        x, y = a[arm], b[arm]
        assert x.names == y.names
        np.testing.assert_array_equal(x.days, y.days)
        np.testing.assert_array_equal(x.status, y.status)
        assert set(x.values) == set(y.values)
        for k in x.values:
            np.testing.assert_array_equal(x.values[k], y.values[k])


def test_packed_men_come_back_the_same():
    men = build_cohort(parse_spec(SPEC), n_men=3)
    assert unpack(pack(men)) == men


def test_trial_on_dask_is_bit_identical_to_in_process(client):
    spec = parse_spec(SPEC)
    local = run_trial(spec, n_men=40, seed=3)
    sim = DaskSimulator(client, chunk=7)  # 6 chunks of men per arm, uneven last chunk
    dist = run_trial(spec, n_men=40, seed=3, simulator=sim)
    assert_same_cohorts(local.cohorts, dist.cohorts)
    assert [r.to_dict() for r in local.endpoints] == [r.to_dict() for r in dist.endpoints]
    assert local.baseline == dist.baseline
    # in-process by chunks is the same too
    chunked = run_trial(spec, n_men=40, seed=3, simulator=LocalSimulator(chunk=11))
    assert_same_cohorts(local.cohorts, chunked.cohorts)


def test_screened_trial_on_dask_is_bit_identical_to_in_process(client):
    """Inclusion criteria (read at the end of the run-in) and baseline matching of the enrolled men
    happen in the client: the same men, arrays and endpoints on a LocalCluster."""
    data = json.loads(json.dumps(SPEC))
    data["id"] = "DIST_AI_SCREENED"
    data["population"]["inclusion"] = [{"observable": "estradiol", "at_least": 30, "unit": "pg/mL",
                                        "at": "end_of_run_in"}]
    spec = parse_spec(data)
    local = run_trial(spec, n_men=20, seed=2)
    assert local.screened > local.n_men == 20  # some men were screened out
    dist = run_trial(spec, n_men=20, seed=2, simulator=DaskSimulator(client, chunk=6))
    assert dist.screened == local.screened
    assert_same_cohorts(local.cohorts, dist.cohorts)
    assert [r.to_dict() for r in local.endpoints] == [r.to_dict() for r in dist.endpoints]
    assert local.baseline == dist.baseline



def test_titrated_screened_trial_on_dask_gives_the_same_doses(client):
    """A titrated arm splits its men by their labs at every check: on Dask (men in chunks) and in
    process the same men get the same doses, drug levels and dose history (patients numbered across chunks)."""
    data = json.loads(json.dumps(SPEC))
    data["id"] = "DIST_TITRATED"
    data["population"] = {"description": "hypogonadal men", "n": 30, "phenotype": "secondary_hypogonadism",
                          "inclusion": [{"observable": "total_testosterone", "below": 400, "unit": "ng/dL"}]}
    del data["run_in"]
    data["arms"] = [{"name": "clomiphene", "weeks": 9, "regimen": [
        "clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL every 4 weeks "
        "down to 12.5 mg up to 50 mg"],
        "endpoints": [{"observable": "total_testosterone", "kind": "mean", "week": 9, "value": 550, "unit": "ng/dL"}]}]
    spec = parse_spec(data)
    local = run_trial(spec, n_men=14, seed=1)
    dist = run_trial(spec, n_men=14, seed=1, simulator=DaskSimulator(client, chunk=5))
    assert dist.screened == local.screened
    assert_same_cohorts(local.cohorts, dist.cohorts)
    a, b = local.cohorts["clomiphene"], dist.cohorts["clomiphene"]
    assert a.dose_history["level"].nunique() > 1  # the men part at the checks
    assert a.dose_history.equals(b.dose_history)
    np.testing.assert_array_equal(a.conc["clomiphene"], b.conc["clomiphene"])


def test_several_trials_in_flight_keep_their_order(client):
    second = dict(SPEC, id="DIST_AI_TWO", population={"description": "men", "n": 12, "bmi": 27.0})
    specs = [parse_spec(SPEC), parse_spec(second)]
    local = run_trials(specs, n_men=12, seed=0)
    done = []
    dist = run_trials(specs, n_men=12, seed=0, simulator=DaskSimulator(client, chunk=5),
                      on_trial=lambda t: done.append(t.id))
    assert done == ["DIST_AI", "DIST_AI_TWO"]
    assert local.to_dict()["endpoints"] == dist.to_dict()["endpoints"]
    for a, b in zip(local.trials, dist.trials):
        assert_same_cohorts(a.cohorts, b.cohorts)


def test_design_on_dask_is_bit_identical(client):
    spec = parse_spec(SPEC, published=False)
    local = run_design(spec, n_men=10, seed=1)
    dist = run_design(spec, n_men=10, seed=1, simulator=DaskSimulator(client, chunk=4))
    assert_same_cohorts(local.cohorts, dist.cohorts)
    assert local.rows() == dist.rows()
    assert local.responders == dist.responders


def test_trial_command_on_a_scheduler_address(client, tmp_path):
    spec = tmp_path / "dist.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    res = runner.invoke(app, ["trial", str(spec), "--n-men", "6", "--json", str(here)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["trial", str(spec), "--n-men", "6", "--json", str(there),
                              "--scheduler", client.scheduler.address, "--chunk", "4"])
    assert res.exit_code == 0, res.output
    a, b = json.loads(here.read_text()), json.loads(there.read_text())
    assert a["arms"] == b["arms"] and a["responders"] == b["responders"]


@pytest.mark.parametrize("args, field", [(["--workers", "0"], "--workers"),
                                         (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers"),
                                         (["--chunk", "0"], "--chunk")])
def test_cluster_options_refused_with_exit_2(tmp_path, args, field):
    spec = tmp_path / "dist.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    out = tmp_path / "out.json"
    for command in (["trial", str(spec)], ["validate", str(spec)]):
        res = runner.invoke(app, [*command, "--json", str(out), *args])
        assert res.exit_code == 2, res.output
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert len(lines) == 1 and field in lines[0]
        assert not out.exists()
