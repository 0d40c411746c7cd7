"""Titrated protocols where a clinician looks: the assessment's comparison (share of the twin's draws on
each dose at the end), its monitoring plan (every titration check), the text summary, the HTML report,
the web result page, and a treatment history that holds a titrated regimen (refused, one line)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import pytest

from hpgsim.clinic.assess import assess, monitoring_plan, summary_lines
from hpgsim.errors import InputError
from hpgsim.labs import example_patient, parse_patient
from hpgsim.protocols import protocol
from hpgsim.regimen import Regimen

N = 12
LADDER = ("25 mg every other day", "50 mg every other day")


@lru_cache(maxsize=None)
def assessed():
    return assess(example_patient("secondary_hypogonadism"), n=N)


def titrated_result():
    return next(p for p in assessed().protocols if p.name == "clomiphene_titrated")


def test_the_titrated_preset_is_katz_2012s_rule_and_a_first_line_option_in_secondary_hypogonadism():
    p = protocol("clomiphene_titrated")
    (line,) = p.prescriptions
    t = Regimen.parse(line).prescriptions[0].titration
    assert t.observable == "total_testosterone" and t.target_canonical() == (500.0, 600.0) and t.every_days == 42
    assert [lv.amount for lv in t.levels] == [25.0, 50.0] and "Katz" in p.source
    r = titrated_result()
    assert r.tier == "first-line"


def test_the_comparison_says_which_doses_the_draws_ended_on():
    r = titrated_result()
    final = r.dose_titration["final"]
    assert final["week"] == 26
    assert {d["dose"] for d in final["doses"]} <= set(LADDER) and all(d["drug"] == "clomiphene" for d in final["doses"])
    assert sum(d["share"] for d in final["doses"]) == pytest.approx(1.0)
    assert sum(d["n"] for d in final["doses"]) == N  # every draw of the twin
    for d in final["doses"]:
        assert f"{d['dose']} {100 * d['share']:.0f}%" in final["text"]
    assert final["text"].startswith("at week 26: clomiphene: ") and final["text"].endswith("of the draws")
    # checks every 6 weeks within the 26-week horizon; before the first check every draw is on the starting dose
    assert [c["week"] for c in r.dose_titration["checks"]] == [6, 12, 18, 24]
    assert r.final_doses == tuple(final["doses"])
    # the starting dose moves up only where week-6 T is below 500 ng/dL: the share on 50 mg after the first check
    up = next((d["share"] for d in r.dose_titration["checks"][0]["doses"] if d["level"] == 1), 0.0)
    import numpy as np

    from hpgsim.calibrate import fit
    from hpgsim.simulate import simulate_cohort

    # the same draws at a fixed 25 mg every other day: the 08:00 lab of the week-6 check
    men = fit(example_patient("secondary_hypogonadism")).draw(N, 0)
    res = simulate_cohort(men, "clomiphene citrate 25 mg PO every other day", days=42, sample_days=[42.0],
                          observables=["total_testosterone"])
    twin_t = np.asarray(res.values["total_testosterone"][0], dtype=float)
    assert up == pytest.approx(float(np.mean(twin_t < 500.0)), abs=1e-9)


def test_untitrated_options_carry_no_dose_titration_and_the_json_has_it():
    a = assessed()
    js = a.to_json()
    by = {p["name"]: p for p in js["protocols"]}
    assert by["clomiphene_titrated"]["dose_titration"]["final"]["text"] == titrated_result().dose_titration["final"]["text"]
    assert by["clomiphene_monotherapy"]["dose_titration"] is None and js["no_treatment"]["dose_titration"] is None


def test_the_text_summary_prints_the_final_doses_of_the_titrated_option():
    text = "\n".join(summary_lines(assessed()))
    assert "titrated doses at week 26: clomiphene: " in text
    assert text.count("titrated doses") == 1  # only the titrated option


def test_the_monitoring_plan_of_a_titrated_protocol_lists_every_titration_check():
    a = assessed()
    plan = monitoring_plan(a.patient, a.interpretation, titrated_result())
    weeks = [v["week"] for v in plan["visits"]]
    assert weeks == sorted(weeks)
    for w in (6, 12, 18, 24):
        v = next(v for v in plan["visits"] if v["week"] == w)
        assert "total testosterone" in v["labs"]
        assert "titration check" in v["why"] and "below 500 ng/dL: one step up" in v["why"]
        assert "above 600 ng/dL: one step down" in v["why"]
        assert v["predicted"]["dose from this check on"].startswith("clomiphene: ")
    assert next(v for v in plan["visits"] if v["week"] == 6)["when"] == "week 6: titration check"
    m3 = next(v for v in plan["visits"] if v["week"] == 12)
    assert m3["when"] == "3 months" and "steady state" in m3["why"]  # the 3-month visit holds the week-12 check
    m6 = next(v for v in plan["visits"] if v["week"] == 26)
    assert m6["predicted"]["titrated dose"] == titrated_result().dose_titration["final"]["text"]
    # an untitrated option's plan has no titration check
    plain = monitoring_plan(a.patient, a.interpretation, next(p for p in a.protocols if p.name == "clomiphene_eod"))
    assert not any("titration check" in v["why"] for v in plain["visits"])


def test_the_html_report_shows_the_final_doses_and_the_titration_checks():
    from hpgsim.report.html import assessment_html

    a = assessed()
    top = titrated_result()
    ranked = (replace(top, rank=1), *(p for p in a.protocols if p is not top))
    b = replace(a, protocols=ranked, monitoring=monitoring_plan(a.patient, a.interpretation, top))
    page = re.sub(r"<script.*?</script>", "", assessment_html(b), flags=re.DOTALL)
    assert page.count("final-doses") == 1 and "titrated doses</b> at week 26: clomiphene: " in page
    monitoring = page[page.index("monitoring-table"):]
    for w in (6, 18, 24):
        assert f"week {w}: titration check" in monitoring
    assert "dose from this check on" in monitoring


def test_the_web_result_page_shows_the_final_doses(tmp_path):
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
    from fastapi.testclient import TestClient

    from hpgsim.web import assessing
    from hpgsim.web.app import create_app

    a = assessed()
    doc = example_patient("secondary_hypogonadism").model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    app = create_app(db_path=tmp_path / "db.sqlite3", warm=False)
    with TestClient(app, base_url="http://127.0.0.1:8765", client=("127.0.0.1", 50000)) as client:
        saved = app.state.store.save(doc, assessing.to_json(a), label="titrated")
        page = client.get(f"/saved/{saved}").text
    assert "final-doses" in page and "titrated doses at week 26: clomiphene: " in page


def test_a_treatment_history_with_a_titrated_regimen_is_refused_in_one_line_naming_the_field():
    doc = example_patient("post_trt_suppressed").model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    doc["history"] = [{"regimen": "clomiphene citrate 25 mg PO every other day, titrate to total_testosterone "
                                  "500-600 ng/dL every 6 weeks up to 50 mg", "start_week": -20, "stop_week": -2}]
    with pytest.raises(InputError) as e:
        parse_patient(doc)
    assert e.value.field == "history[0].regimen"
    assert str(e.value).startswith("history[0].regimen: ") and "allowed: " in str(e.value) and "\n" not in str(e.value)
    # a Patient built in code is refused by the simulation with the same kind of message
    from hpgsim.patient import phenotype
    from hpgsim.simulate import simulate

    man = replace(phenotype("eugonadal"), history=(("testosterone gel 50 mg transdermal daily", -30.0, -10.0),
                                                   (doc["history"][0]["regimen"], -8.0, -1.0)))
    with pytest.raises(InputError) as e:
        simulate(man, None, days=5)
    assert e.value.field == "history[1].regimen" and "allowed: " in str(e.value) and "\n" not in str(e.value)
