"""The web app's JSON API, access rules and saved-assessment store (FastAPI TestClient, no browser)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from fastapi.testclient import TestClient  # noqa: E402

from hpgsim import DISCLAIMER  # noqa: E402
from hpgsim.web.app import create_app  # noqa: E402
from hpgsim.web.security import AccessGuard, is_loopback  # noqa: E402
from hpgsim.web.store import Store  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*:DeprecationWarning")
LOCAL = dict(base_url="http://127.0.0.1:8765", client=("127.0.0.1", 50000))
TOKEN = "s3cret-token-for-the-tests-0123456789"
TRIALS = Path(__file__).resolve().parents[1] / "validation" / "trials"


def has_assess() -> bool:
    try:
        import hpgsim.clinic.assess  # noqa: F401
    except ImportError:
        return False
    return True


needs_assess = pytest.mark.skipif(not has_assess(), reason="hpgsim.clinic.assess is not installed")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(db_path=tmp_path_factory.mktemp("web") / "db.sqlite3", warm=False, trials_dir=TRIALS)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, **LOCAL) as c:
        yield c


def example_document(name: str = "obese_hyperestrogenic") -> dict:
    from hpgsim.labs import example_patient

    return example_patient(name).model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def wait_job(client, job_id: str, timeout: float = 60.0) -> dict:
    t0 = time.time()
    while time.time() - t0 < timeout:
        s = client.get(f"/api/jobs/{job_id}").json()
        if s["state"] in ("done", "failed"):
            return s
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


# ------------------------------------------------------------------------------ reference data


def test_phenotypes_and_drugs_list_what_the_cli_lists(client):
    from hpgsim.drugs.catalog import DRUGS
    from hpgsim.patient import PHENOTYPES

    phen = client.get("/api/phenotypes").json()
    assert [p["name"] for p in phen] == list(PHENOTYPES)
    assert all(p["description"] for p in phen)
    drugs = client.get("/api/drugs").json()
    assert [d["display"] for d in drugs] == [d.display for d in DRUGS]
    hcg = next(d for d in drugs if d["name"] == "hcg")
    assert hcg["dose_unit"] == "IU" and hcg["routes"] == ["SC", "IM"] and hcg["dose_min"] < hcg["dose_max"]


def test_examples_are_patient_documents_that_parse(client):
    from hpgsim.labs import parse_patient

    names = client.get("/api/examples").json()
    assert "eugonadal" in names
    doc = client.get("/api/examples/obese_hyperestrogenic").json()
    assert parse_patient(doc).labs.total_testosterone is not None
    assert client.get("/api/examples/nobody").status_code == 404


def test_lab_catalog_offers_the_units_of_a_lab_report(client):
    labs = {m["name"]: m for m in client.get("/api/labs").json()["labs"]}
    assert {"ng/dL", "nmol/L"} <= set(labs["total_testosterone"]["units"])
    assert "pmol/L" in labs["estradiol"]["units"] and "mIU/mL" in labs["lh"]["units"]


# ------------------------------------------------------------------------------ simulate


def test_simulate_returns_daily_trajectories_in_clinical_units(client):
    r = client.post("/api/simulate", json={"phenotype": "eugonadal", "days": 30,
                                           "agents": [{"drug": "anastrozole", "dose": 1, "frequency": "daily"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["regimen"] == "anastrozole 1 mg PO daily"
    assert len(body["day"]) == 31
    assert set(body["series"]) == {"total_testosterone", "free_testosterone", "lh", "fsh", "estradiol",
                                   "sperm_concentration"}
    assert body["units"]["total_testosterone"] == "ng/dL" and body["units"]["estradiol"] == "pg/mL"
    assert body["disclaimer"] == DISCLAIMER
    untreated = client.post("/api/simulate", json={"phenotype": "eugonadal", "days": 30}).json()
    assert untreated["regimen"] == "no treatment"
    # an aromatase inhibitor lowers estradiol and raises testosterone (predicted direction, not values)
    assert body["series"]["estradiol"][-1] < untreated["series"]["estradiol"][-1]
    assert body["series"]["total_testosterone"][-1] > untreated["series"]["total_testosterone"][-1]


def test_simulate_builds_one_prescription_line_per_agent_with_start_and_stop(client):
    r = client.post("/api/simulate", json={"phenotype": "congenital_hh", "days": 60, "agents": [
        {"drug": "hCG", "dose": 2000, "route": "SC", "frequency": "3x/week", "start_day": 7, "stop_day": 50},
        {"drug": "FSH", "dose": 150, "frequency": "3x/week"}], "regimen": ["anastrozole 0.5 mg PO twice weekly"]})
    assert r.status_code == 200, r.text
    lines = r.json()["regimen_lines"]
    assert lines == ["anastrozole 0.5 mg PO twice weekly", "hCG 2000 IU SC 3x/week from day 7 to day 50",
                     "FSH 150 IU SC 3x/week"]
    assert set(r.json()["conc"]) == {"anastrozole", "hcg", "fsh"}


def test_simulate_sliders_move_the_physiology(client):
    def t_end(**physiology):
        body = {"phenotype": "eugonadal", "days": 20, "physiology": physiology, "observables": ["total_testosterone"]}
        return client.post("/api/simulate", json=body).json()["series"]["total_testosterone"][-1]

    base = t_end()
    assert t_end(leydig_capacity=0.3) < base
    assert client.post("/api/simulate", json={"phenotype": "eugonadal", "days": 20, "bmi": 40}).json()["bmi"] == 40


@pytest.mark.parametrize("body,field,allowed", [
    ({"phenotype": "martian"}, "phenotype", "eugonadal"),
    ({"days": -3}, "days", "> 0"),
    ({"days": 10_000}, "days", "<= 730"),
    ({"agents": [{"drug": "aspirin", "dose": 1}]}, "agents[0].drug", "anastrozole"),
    ({"agents": [{"drug": "anastrozole", "dose": 1000}]}, "agents[0].dose", "0.125-10 mg"),
    ({"agents": [{"drug": "hcg", "dose": 2000, "route": "PO"}]}, "agents[0].route", "SC, IM"),
    ({"agents": [{"drug": "hcg", "dose": 2000, "frequency": "hourly"}]}, "agents[0].frequency", "3x/week"),
    ({"agents": [{"drug": "anastrozole", "dose": 1, "start_day": 10, "stop_day": 5}]}, "agents[0].stop_day", "later"),
    ({"regimen": ["anastrozole 1 mg PO sometimes"]}, "regimen[0].frequency", "allowed"),
    ({"physiology": {"gnrh_drive": 9}}, "physiology.gnrh_drive", "<= 3"),
    ({"physiology": {"cortisol": 2}}, "physiology.cortisol", "allowed"),
    ({"colour": "blue"}, "colour", "allowed"),
])
def test_bad_simulate_input_answers_422_naming_the_field_and_what_is_allowed(client, body, field, allowed):
    r = client.post("/api/simulate", json=body)
    assert r.status_code == 422, r.text
    out = r.json()
    assert out["field"] == field and out["detail"].startswith(field + ":") and allowed in out["detail"]
    assert "\n" not in out["detail"]


TITRATE = "to total_testosterone 500-600 ng/dL every 6 weeks up to 50 mg"


def test_simulate_a_titrated_agent_returns_its_dose_history(client):
    r = client.post("/api/simulate", json={"phenotype": "secondary_hypogonadism", "days": 100, "agents": [
        {"drug": "clomiphene", "dose": 25, "frequency": "every other day", "titrate": TITRATE}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["regimen_lines"] == ["clomiphene citrate 25 mg PO every other day, titrate " + TITRATE]
    steps = body["dose_history"]
    assert [s["day"] for s in steps] == [0.0, 42.0, 84.0]  # the start and a check every 6 weeks
    assert steps[0]["value"] is None and steps[0]["dose"] == "25 mg every other day" and steps[0]["level"] == 0
    t = body["series"]["total_testosterone"]
    for s in steps[1:]:
        assert s["observable"] == "total_testosterone" and s["unit"] == "ng/dL" and s["week"] == s["day"] / 7
        assert s["value"] == pytest.approx(t[int(s["day"])], rel=0.02)  # the 08:00 lab of the check day
    for before, after in zip(steps, steps[1:]):  # one rung up below 500, down above 600, else kept
        want = before["level"] + (after["value"] < 500) - (after["value"] > 600)
        assert after["level"] == min(max(want, 0), 1)
        assert after["dose"] == ("50 mg every other day" if after["level"] else "25 mg every other day")
    fixed = client.post("/api/simulate", json={"phenotype": "secondary_hypogonadism", "days": 20, "agents": [
        {"drug": "clomiphene", "dose": 25, "frequency": "every other day"}]}).json()
    assert fixed["dose_history"] == []


def test_a_titrated_regimen_line_returns_its_dose_history(client):
    line = "clomiphene citrate 25 mg PO every other day, titrate " + TITRATE
    r = client.post("/api/simulate", json={"phenotype": "secondary_hypogonadism", "days": 50, "regimen": [line]})
    assert r.status_code == 200, r.text
    assert [s["day"] for s in r.json()["dose_history"]] == [0.0, 42.0]


@pytest.mark.parametrize("text", [TITRATE, "titrate " + TITRATE, ", Titrated  " + TITRATE])
def test_an_agents_titration_reads_with_or_without_the_word_titrate(text):
    from hpgsim.regimen import Regimen
    from hpgsim.web.api import Agent, agent_line

    line = agent_line(Agent(drug="clomiphene", dose=25, frequency="every other day", titrate=text))
    assert str(Regimen.parse(line)) == "clomiphene citrate 25 mg PO every other day, titrate " + TITRATE
    assert agent_line(Agent(drug="clomiphene", dose=25, frequency="every other day", titrate="  ")) == \
        "clomiphene citrate 25 mg PO every other day"  # blank: a fixed dose


@pytest.mark.parametrize("titrate,field,allowed", [
    ("to total_testosterone 500-600 ng/dL every 6 weeks up to 20 mg", "agents[0].titrate", "allowed: a higher dose"),
    ("to total_testosterone 600-500 ng/dL every 6 weeks up to 50 mg", "agents[0].titrate", "allowed: 0 <= low < high"),
    ("to haematocrit 40-50 % every 6 weeks up to 50 mg", "agents[0].titrate", "allowed: total_testosterone"),
    ("to total_testosterone 500-600 furlongs every 6 weeks up to 50 mg", "agents[0].titrate", "allowed"),
    ("to total_testosterone 500-600 ng/dL whenever up to 50 mg", "agents[0].titrate", "allowed: every N days"),
    ("sometimes", "agents[0].titrate", "allowed: titrate to OBSERVABLE"),
])
def test_bad_titration_text_answers_422_with_one_line_naming_the_field(client, titrate, field, allowed):
    r = client.post("/api/simulate", json={"phenotype": "secondary_hypogonadism", "days": 30, "agents": [
        {"drug": "clomiphene", "dose": 25, "frequency": "every other day", "titrate": titrate}]})
    assert r.status_code == 422, r.text
    out = r.json()
    assert out["field"] == field and out["detail"].startswith(field + ": ") and allowed in out["detail"]
    assert "\n" not in out["detail"]


def test_a_bad_fixed_dose_with_a_titration_still_names_the_dose(client):
    r = client.post("/api/simulate", json={"days": 30, "agents": [
        {"drug": "clomiphene", "dose": 5000, "frequency": "every other day", "titrate": TITRATE}]})
    assert r.status_code == 422 and r.json()["field"] == "agents[0].dose", r.text


def test_bad_titration_in_a_regimen_line_answers_422_naming_the_line(client):
    line = "clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL every 6 weeks up to 20 mg"
    r = client.post("/api/simulate", json={"days": 30, "regimen": [line]})
    assert r.status_code == 422, r.text
    out = r.json()
    assert out["field"] == "regimen[0].ladder" and out["detail"].startswith("regimen[0].ladder: ")
    assert "\n" not in out["detail"]


def test_the_openapi_schema_documents_the_dose_history(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    response = schemas["SimulateResponse"]["properties"]
    assert response["dose_history"]["items"]["$ref"].endswith("/DoseStep")
    assert {"drug", "day", "value", "dose", "level"} <= set(schemas["DoseStep"]["properties"])
    assert "titrate" in schemas["Agent"]["properties"] and "titrate" in schemas["Agent"]["properties"]["titrate"]["description"]


def test_malformed_json_answers_422(client):
    r = client.post("/api/simulate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"


# ------------------------------------------------------------------------------ assess


@pytest.mark.parametrize("change,field", [
    (lambda d: d["labs"].update(total_testosterone={"value": 5000, "unit": "ng/dL"}), "labs.total_testosterone"),
    (lambda d: d["labs"].update(lh={"value": 3, "unit": "furlongs"}), "labs.lh"),
    (lambda d: d.pop("fertility_desired"), "fertility_desired"),
    (lambda d: d.update(age_years=5), "age_years"),
    (lambda d: d.update(history=[{"regimen": "aspirin 1 mg PO daily", "start_week": -9, "stop_week": -1}]), "history"),
    (lambda d: d.update(history=[{"regimen": "clomiphene citrate 25 mg PO every other day, titrate to total_testosterone "
                                              "500-600 ng/dL every 6 weeks up to 50 mg", "start_week": -20,
                                  "stop_week": -2}]), "history[0].regimen"),
])
def test_bad_patient_document_answers_422_naming_the_field(client, change, field):
    doc = example_document()
    change(doc)
    r = client.post("/api/assess", json=doc)
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith(field) and r.json()["detail"].startswith(field)
    assert client.post("/api/jobs/assess", json=doc).status_code == 422  # refused before any job starts


@needs_assess
def test_assess_answers_the_same_json_as_the_cli(client):
    from hpgsim.clinic.assess import assess
    from hpgsim.labs import example_patient

    r = client.post("/api/assess", json=example_document())
    assert r.status_code == 200, r.text
    body = r.json()
    for key in ("phenotype", "reasons", "protocols", "titration", "monitoring", "disclaimer"):
        assert key in body
    assert body["disclaimer"] and "not a medical device" in json.dumps(body["disclaimer"])
    direct = json.loads(json.dumps(assess(example_patient("obese_hyperestrogenic")).to_json(), default=str))
    assert body["phenotype"] == direct["phenotype"]
    assert [p["name"] for p in body["protocols"]] == [p["name"] for p in direct["protocols"]]


@needs_assess
def test_assessment_job_result_page_save_reopen_export_delete(client, app):
    job = client.post("/api/jobs/assess", json=example_document())
    assert job.status_code == 202, job.text
    status = wait_job(client, job.json()["id"])
    assert status["state"] == "done", status
    page = client.get(status["result_url"])
    assert page.status_code == 200 and DISCLAIMER in page.text and 'id="phenotype"' in page.text
    assert client.get(f"/api/jobs/{status['id']}/assessment.json").status_code == 200
    saved = client.post("/api/assessments", json={"job_id": status["id"], "label": "test man"})
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    assert any(s["id"] == sid and s["label"] == "test man" for s in client.get("/api/assessments").json())
    reopened = client.get(f"/saved/{sid}")
    assert reopened.status_code == 200 and DISCLAIMER in reopened.text
    export = client.get(f"/api/assessments/{sid}/export.json")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    doc = export.json()
    assert doc["format"].startswith("hpgsim-assessment") and doc["patient"]["age_years"] == 36
    assert doc["assessment"]["phenotype"] == client.get(f"/api/jobs/{status['id']}/result").json()["phenotype"]
    assert any(d["id"] == sid for d in client.get("/api/export.json").json())
    for url in (f"/api/assessments/{sid}/report.html", f"/api/jobs/{status['id']}/report.html"):
        report = client.get(url)  # self-contained: opens offline, says what it is
        assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
        assert "<html" in report.text.lower() and "not a medical device" in report.text
        assert not re.search(r"""<script[^>]+src=["']?https?:""", report.text)
    stored = app.state.store.report(sid)  # kept without its 4.8 MB copy of plotly.js, put back on download
    assert stored is not None and len(stored) < 1_000_000 < len(report.text)
    # an assessment saved without a report of its own gets one rendered from its JSON
    bare = app.state.store.save(doc["patient"], doc["assessment"])
    fallback = client.get(f"/api/assessments/{bare}/report.html")
    assert fallback.status_code == 200 and 'id="phenotype"' in fallback.text and DISCLAIMER in fallback.text
    assert client.delete(f"/api/assessments/{bare}").status_code == 204
    assert client.delete(f"/api/assessments/{sid}").status_code == 204
    assert client.get(f"/api/assessments/{sid}").status_code == 404
    assert client.delete(f"/api/assessments/{sid}").status_code == 404


def test_unknown_job_and_assessment_answer_404(client):
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/api/assessments/nope").status_code == 404
    assert client.post("/api/assessments", json={"job_id": "nope"}).status_code == 404
    r = client.post("/api/assessments", json={})
    assert r.status_code == 422 and r.json()["field"] == "job_id"


# ------------------------------------------------------------------------------ trials


def test_trials_list_the_validation_library_and_run_one_as_a_job(client):
    specs = client.get("/api/trials").json()
    assert any(s["id"] == "RAMASAMY2014_CC" for s in specs)
    job = client.post("/api/jobs/trial", json={"trial": "RAMASAMY2014_CC", "n_men": 8})
    assert job.status_code == 202, job.text
    status = wait_job(client, job.json()["id"])
    assert status["state"] == "done" and status["progress"] == 1.0, status
    result = client.get(f"/api/jobs/{status['id']}/result").json()
    assert result["n_men"] == 8 and result["endpoints"]
    e = result["endpoints"][0]
    assert {"published", "predicted", "passed", "band"} <= set(e)
    assert result["figures"] and result["figures"][0]["data"]
    bad = client.post("/api/jobs/trial", json={"trial": "NO_SUCH_TRIAL"})
    assert bad.status_code == 422 and bad.json()["field"] == "trial"


def test_a_titrated_trial_reports_the_share_of_men_on_each_dose_at_the_end(client):
    job = client.post("/api/jobs/trial", json={"trial": "MOSKOVIC2012", "n_men": 6})
    assert job.status_code == 202, job.text
    status = wait_job(client, job.json()["id"], timeout=180.0)
    assert status["state"] == "done", status
    result = client.get(f"/api/jobs/{status['id']}/result").json()
    (arm,) = result["titrated_doses"]
    assert arm["doses"] and {d["dose"] for d in arm["doses"]} <= {"25 mg every other day", "50 mg every other day"}
    assert sum(d["n"] for d in arm["doses"]) == 6 - result["n_failed"]
    assert sum(d["share"] for d in arm["doses"]) == pytest.approx(1.0, abs=1e-5)
    assert arm["text"].startswith("clomiphene: ") and arm["week"] > 0
    untitrated = client.post("/api/jobs/trial", json={"trial": "RAMASAMY2014_CC", "n_men": 5}).json()
    assert wait_job(client, untitrated["id"])["state"] == "done"
    assert client.get(f"/api/jobs/{untitrated['id']}/result").json()["titrated_doses"] == []


def test_without_the_validation_library_the_trials_page_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("HPGSIM_TRIALS_DIR", str(tmp_path / "missing"))
    monkeypatch.chdir(tmp_path)
    import hpgsim.web.app as web_app

    monkeypatch.setattr(web_app, "find_trials_dir", lambda explicit=None: None)
    app = web_app.create_app(db_path=tmp_path / "db.sqlite3", warm=False)
    with TestClient(app, **LOCAL) as c:
        assert "not available" in c.get("/trials").text
        assert c.get("/api/trials").json() == []
        assert c.post("/api/jobs/trial", json={"trial": "KATZ2012"}).status_code == 422


# ------------------------------------------------------------------------------ pages


@pytest.mark.parametrize("path", ["/", "/assess", "/explore", "/trials", "/saved"])
def test_every_page_shows_the_disclaimer_and_loads_nothing_from_the_internet(client, path):
    import re

    r = client.get(path)
    assert r.status_code == 200 and DISCLAIMER in r.text
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", r.text)
    assert "/vendor/plotly.min.js" in r.text


def test_plotly_js_is_served_by_the_app(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000 and "javascript" in r.headers["content-type"]


def test_openapi_schema_lists_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/assess", "/api/simulate", "/api/phenotypes", "/api/drugs"):
        assert p in paths
    schema = client.get("/openapi.json").json()
    assert "PatientFile" in schema["components"]["schemas"]


# ------------------------------------------------------------------------------ who may connect


def test_a_non_loopback_client_is_refused_without_a_token(app):
    with TestClient(app, base_url="http://127.0.0.1:8765", client=("10.0.0.5", 1234)) as c:
        r = c.get("/api/phenotypes")
        assert r.status_code == 403 and "10.0.0.5" in r.json()["detail"]
        assert c.post("/api/simulate", json={}).status_code == 403
        assert c.get("/").status_code == 403


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.1") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5") and not is_loopback("::ffff:10.0.0.5") and not is_loopback("testclient")
    assert not is_loopback(None) and not is_loopback("")


def test_a_foreign_host_name_is_refused_against_dns_rebinding(app):
    with TestClient(app, base_url="http://attacker.example:8765", client=("127.0.0.1", 1234)) as c:
        assert c.get("/api/phenotypes").status_code == 403
    with TestClient(app, base_url="http://localhost:8765", client=("127.0.0.1", 1234)) as c:
        assert c.get("/api/phenotypes").status_code == 200


def test_a_cross_site_post_is_refused(client):
    r = client.post("/api/simulate", json={"days": 2}, headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403
    r = client.post("/api/simulate", json={"days": 2}, headers={"Origin": "http://127.0.0.1:8765"})
    assert r.status_code == 200


def test_with_a_token_every_request_must_carry_it(tmp_path):
    app = create_app(db_path=tmp_path / "db.sqlite3", token=TOKEN, warm=False)
    with TestClient(app, base_url="http://192.168.1.20:8765", client=("192.168.1.7", 1234)) as c:
        assert c.get("/api/drugs").status_code == 401
        assert c.get("/api/drugs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/drugs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/api/drugs", headers={"X-HPGSIM-Token": TOKEN}).status_code == 200
        # a browser opens ?token= once: cookie set, redirected to the URL without the token
        r = c.get(f"/explore?token={TOKEN}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/explore" and "HttpOnly" in r.headers["set-cookie"]
        c.cookies.set("hpgsim_token", TOKEN)
        assert c.get("/explore").status_code == 200
    with TestClient(app, **LOCAL) as c:  # loopback too
        assert c.get("/api/drugs").status_code == 401


def test_serve_refuses_a_non_loopback_address_without_a_token(monkeypatch):
    from typer.testing import CliRunner

    from hpgsim.cli import app as cli
    from hpgsim.web.cli import check_bind

    monkeypatch.delenv("HPGSIM_TOKEN", raising=False)
    res = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8799"])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "HPGSIM_TOKEN" in lines[0] and "0.0.0.0" in lines[0]
    assert check_bind("127.0.0.1", None) is None and check_bind("localhost", None) is None
    assert check_bind("::1", None) is None
    assert check_bind("0.0.0.0", TOKEN) is None
    assert "too short" in check_bind("0.0.0.0", "abc")


# ------------------------------------------------------------------------------ the store


def test_store_saves_lists_gets_exports_and_deletes(tmp_path):
    store = Store(tmp_path / "sub" / "db.sqlite3")
    assert store.journal_mode() == "wal"
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    a = store.save({"id": "man A", "age_years": 40}, {"phenotype": "eugonadal"}, report_html="<html>A</html>")
    b = store.save({"age_years": 50}, {"phenotype": {"name": "secondary_hypogonadism"}}, label="B")
    items = store.list()
    assert [i["id"] for i in items] == [b, a] and items[1]["label"] == "man A" and items[0]["phenotype"] == "secondary_hypogonadism"
    assert store.get(a).patient == {"id": "man A", "age_years": 40} and store.get(a).has_report
    assert store.report(a) == "<html>A</html>" and store.report(b) is None
    assert {d["id"] for d in store.export_all()} == {a, b}
    assert store.delete(a) and not store.delete(a) and store.get(a) is None and store.count() == 1


def test_an_exception_inside_the_save_transaction_leaves_nothing_behind(tmp_path, monkeypatch):
    store = Store(tmp_path / "db.sqlite3")
    store.save({"age_years": 40}, {"phenotype": "eugonadal"})

    original = Store.insert

    def insert_then_fail(conn, row):  # the row is written inside the transaction, then the save fails
        original(conn, row)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "insert", staticmethod(insert_then_fail))
    with pytest.raises(RuntimeError):
        store.save({"age_years": 41}, {"phenotype": "eugonadal"})
    monkeypatch.undo()
    assert store.count() == 1 and store.integrity() == "ok"
    with pytest.raises(ValueError):  # NaN is not JSON: refused before the transaction
        store.save({"age_years": float("nan")}, {})
    assert store.count() == 1


KILLED_WRITER = r"""
import sys, time
from hpgsim.web.store import Store
store = Store(sys.argv[1])
row = store.row({"age_years": 44}, {"phenotype": "eugonadal"}, report_html="<p>" + "x" * 3_000_000)
with store.transaction() as conn:
    store.insert(conn, row)
    print("inserted", flush=True)
    time.sleep(60)
"""


def test_a_server_killed_mid_save_loses_nothing_and_writes_nothing_half_way(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    kept = [store.save({"age_years": 30 + i}, {"phenotype": "eugonadal"}, report_html="<p>ok</p>") for i in range(3)]
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        assert proc.stdout.readline().strip() == "inserted"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    after = Store(path)
    assert after.integrity() == "ok"
    assert sorted(i["id"] for i in after.list()) == sorted(kept)
    assert all(after.report(k) == "<p>ok</p>" for k in kept)
    new = after.save({"age_years": 60}, {"phenotype": "eugonadal"})  # the database is writable again
    assert after.count() == 4 and after.get(new) is not None


def test_the_guard_is_plain_asgi_and_refuses_websockets_from_outside():
    import asyncio

    sent = []

    async def inner(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("reached the app")

    async def send(msg):
        sent.append(msg)

    guard = AccessGuard(inner)
    scope = {"type": "websocket", "client": ("8.8.8.8", 1), "headers": [(b"host", b"127.0.0.1")]}
    asyncio.run(guard(scope, None, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_the_dose_cap_counts_a_titrated_drug_at_its_most_frequent_rung(client, monkeypatch):
    """A man may climb the ladder at his first check, so the cap on dose events (the simulation's
    cost) counts the rung that doses most, not the starting dose."""
    from hpgsim.regimen import Regimen
    from hpgsim.web import api

    line = "letrozole 2.5 mg PO weekly, titrate to total_testosterone 500-600 ng/dL every 4 weeks up to 2.5 mg daily"
    reg = Regimen.parse(line)
    assert api._most_doses(reg, 70 * 24.0) == 70 > len(reg.events(70 * 24.0, at_start_dose=True)) == 10
    monkeypatch.setattr(api, "MAX_DOSES", 40)  # between the starting dose's 10 and the daily rung's 70
    r = client.post("/api/simulate", json={"phenotype": "obese_hyperestrogenic", "days": 69, "regimen": [line]})
    assert r.status_code == 422, r.text
    out = r.json()
    assert out["field"] == "regimen" and "70 doses in 69 days; allowed: at most 40" in out["detail"]
