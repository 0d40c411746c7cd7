"""Clinical assessment: lab interpretation, phenotype, options ranked on the twin, titration, monitoring, CLI.

The tests check clinical logic that must survive a refit of the model (which phenotype, which
options and tiers, what the flags and the score mean), not exact predicted values.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest
from typer.testing import CliRunner

from hpgsim import DISCLAIMER
from hpgsim.cli import app
from hpgsim.clinic.assess import (DEFAULT_WEIGHTS, FERTILITY_ONLY, TIERS, assess, candidates, check_weights,
                                  parse_weight_options, summary_lines)
from hpgsim.clinic.interpret import calculated_free_t, interpret
from hpgsim.clinic.ranges import REFERENCE_RANGES
from hpgsim.errors import InputError
from hpgsim.labs import example_names, example_patient, parse_patient
from hpgsim.protocols import PROTOCOLS

runner = CliRunner()
N = 16  # posterior draws in the tests: the logic, not the precision of the bands

# the first-line options of each phenotype in the source documents and guidelines: the top-ranked option must be one
EXPECTED_TOP = {
    "obese_hyperestrogenic": {"anastrozole_monotherapy", "anastrozole_twice_weekly"},
    "secondary_hypogonadism": {"clomiphene_monotherapy", "clomiphene_eod", "clomiphene_titrated",
                               "enclomiphene_monotherapy"},
    "congenital_hh": {"hcg_fsh_hh", "hcg_monotherapy_hh", "pulsatile_gonadorelin_hh"},
    "post_trt_suppressed": {"post_trt_restart", "post_trt_restart_with_ai", "post_trt_clomiphene_ai"},
    "primary_hypogonadism": {"testosterone_gel"},
    "idiopathic_oligozoospermia": {"clomiphene_monotherapy", "clomiphene_eod"},
}
FORBIDDEN = re.compile(r"\b(take|takes|taken|taking)\b|you should", re.IGNORECASE)


@lru_cache(maxsize=None)
def assessed(name: str, **kw):
    return assess(example_patient(name), n=N, **kw)


def strings(obj) -> list[str]:
    """Every string inside a JSON-like object (keys and values)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (*strings(k), *strings(v))]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in strings(v)]
    return []


# ---------------------------------------------------------------------------------------------
# lab interpretation
# ---------------------------------------------------------------------------------------------


def patient(**labs) -> dict:
    return {"age_years": 40, "bmi": 27, "fertility_desired": False, "labs": labs}


def test_free_t_is_calculated_by_vermeulen_when_shbg_is_given():
    pf = parse_patient(patient(total_testosterone={"value": 400, "unit": "ng/dL"}, shbg={"value": 30, "unit": "nmol/L"},
                               albumin={"value": 4.3, "unit": "g/dL"}))
    d = interpret(pf).derived
    ft, bat = calculated_free_t(400.0, 30.0, 43.0)
    assert d["calculated_free_testosterone"].value == pytest.approx(ft)
    assert 1.5 < 100 * ft / (400.0 * 10) < 3.0  # free T is about 2% of total T at this SHBG (Vermeulen)
    assert ft / 10.0 < bat < 400.0  # free < bioavailable < total (free T pg/mL / 10 = ng/dL)
    assert "Vermeulen" in d["calculated_free_testosterone"].source
    no_shbg = interpret(parse_patient(patient(total_testosterone={"value": 400, "unit": "ng/dL"})))
    assert "calculated_free_testosterone" not in no_shbg.derived


def test_t_e2_below_10_is_abnormal_and_t_lh_of_100_predicts_anastrozole_response():
    d = interpret(parse_patient(patient(total_testosterone={"value": 250, "unit": "ng/dL"},
                                        estradiol={"value": 40, "unit": "pg/mL"}, lh={"value": 2.0, "unit": "IU/L"}))).derived
    assert d["t_e2_ratio"].value == pytest.approx(6.25) and d["t_e2_ratio"].abnormal
    assert d["t_lh_ratio"].value == pytest.approx(125.0) and "predicts a response" in d["t_lh_ratio"].interpretation
    ok = interpret(parse_patient(patient(total_testosterone={"value": 500, "unit": "ng/dL"},
                                         estradiol={"value": 25, "unit": "pg/mL"}))).derived
    assert not ok["t_e2_ratio"].abnormal


def test_an_afternoon_draw_and_a_single_low_t_are_warned_about():
    w = interpret(parse_patient(patient(total_testosterone={"value": 250, "unit": "ng/dL", "drawn_at": "15:30"}))).warnings
    assert any("15:30" in x and "morning" in x for x in w)
    assert any("one measurement" in x and "two" in x for x in w)
    two = parse_patient(patient(total_testosterone=[{"value": 250, "unit": "ng/dL", "drawn_at": "08:00", "date": "2024-01-02"},
                                                    {"value": 260, "unit": "ng/dL", "drawn_at": "08:30", "date": "2024-01-09"}]))
    assert not any("one measurement" in x for x in interpret(two).warnings)


def test_each_lab_is_read_against_its_range_with_the_source_and_the_labs_own_range_wins():
    pf = parse_patient({**patient(total_testosterone={"value": 280, "unit": "ng/dL"}, lh={"value": 12, "unit": "IU/L"}),
                        "labs": {"total_testosterone": {"value": 280, "unit": "ng/dL"}, "lh": {"value": 12, "unit": "IU/L"},
                                 "reference_ranges": {"total_testosterone": {"low": 300, "high": 1000, "unit": "ng/dL"}}}})
    labs = {r.name: r for r in interpret(pf).labs}
    assert labs["total_testosterone"].status == "low" and "laboratory's own" in labs["total_testosterone"].range_source
    assert labs["lh"].status == "high" and labs["lh"].range_source == REFERENCE_RANGES["lh"][2]


# ---------------------------------------------------------------------------------------------
# phenotype and the top-ranked option of every built-in example
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_TOP))
def test_each_example_gets_its_phenotype_with_reasons_and_a_first_line_top_option(name):
    a = assessed(name)
    assert a.phenotype == name
    assert a.reasons and all(isinstance(r, str) and r for r in a.reasons)
    assert a.top is not None and a.top.name in EXPECTED_TOP[name], [(p.name, p.score) for p in a.protocols]
    assert a.top.tier == "first-line"
    assert [p.rank for p in a.protocols] == list(range(1, len(a.protocols) + 1))
    assert all(x.score >= y.score for x, y in zip(a.protocols, a.protocols[1:]))
    text = "\n".join(summary_lines(a))
    assert f"Phenotype: {name}" in text and a.reasons[0] in text and f"#1 {a.top.name}" in text


def test_the_eugonadal_man_is_offered_no_hormonal_option():
    a = assessed("eugonadal")
    assert a.phenotype == "eugonadal" and a.protocols == () and a.titration == ()
    assert a.to_json()["no_treatment"]["name"] == "no_treatment"


def test_every_candidate_is_a_documented_protocol_with_a_known_tier():
    for name in example_names():
        pf = example_patient(name)
        for c in candidates(name, interpret(pf), pf.fertility_desired):
            assert c.protocol in PROTOCOLS and c.tier in TIERS and "(" in c.rationale  # a source in parentheses


def test_primary_hypogonadism_shows_why_serms_and_ais_are_not_expected_to_help():
    a = assessed("primary_hypogonadism")
    by = {p.name: p for p in a.protocols}
    low = REFERENCE_RANGES["total_testosterone"][0]
    for name in ("clomiphene_monotherapy", "anastrozole_monotherapy"):
        p = by[name]
        assert p.tier == "not expected to help"
        assert any(f["name"] == "not_expected_to_help" for f in p.flags)
        assert p.predictions["total_testosterone"]["week_12"]["q50"] < low  # the simulation shows it
        assert p.score < by["testosterone_gel"].score
    assert any("not expected to help" in n for n in a.notes)


def test_testosterone_is_flagged_for_suppressing_spermatogenesis_when_fertility_is_desired():
    a = assessed("obese_hyperestrogenic")
    assert a.patient.fertility_desired
    trt = next(p for p in a.protocols if p.name == "testosterone_gel")
    assert trt.tier == "conflicts with the fertility wish"
    flag = next(f for f in trt.flags if f["name"] == "spermatogenesis_suppressed")
    assert flag["severity"] == "warning" and "suppresses" in flag["text"] and "fertility" in flag["text"]
    assert trt.rank > 1


def test_time_to_sperm_is_given_when_fertility_is_desired_and_not_for_the_man_who_does_not():
    assert all(p.time_to_sperm_16 is not None for p in assessed("obese_hyperestrogenic").protocols)
    assert all(p.time_to_sperm_16 is None for p in assessed("secondary_hypogonadism").protocols)


# ---------------------------------------------------------------------------------------------
# the score
# ---------------------------------------------------------------------------------------------


def test_the_score_is_the_weighted_sum_shown_with_its_weights():
    a = assessed("obese_hyperestrogenic")
    for p in a.to_json()["protocols"]:
        comps = p["score"]["components"]
        assert set(comps) == set(DEFAULT_WEIGHTS)
        total = sum(c["weight"] * c["value"] for k, c in comps.items()
                    if k not in FERTILITY_ONLY or a.patient.fertility_desired)
        assert p["score"]["total"] == pytest.approx(total, abs=0.02)
        assert all(0.0 <= c["value"] <= 1.0 for c in comps.values())
    assert a.to_json()["weights"] == DEFAULT_WEIGHTS and "design choice" in a.to_json()["weights_are"]


def test_changing_the_weights_changes_the_ranking():
    default = assessed("obese_hyperestrogenic")
    flipped = assess(example_patient("obese_hyperestrogenic"), n=N, weights={"guideline": -10.0})
    assert flipped.weights["guideline"] == -10.0 and flipped.weights["t_in_range"] == DEFAULT_WEIGHTS["t_in_range"]
    assert [p.name for p in flipped.protocols] != [p.name for p in default.protocols]
    assert flipped.top.tier != "first-line"


def test_bad_weights_are_refused_naming_the_field():
    with pytest.raises(InputError) as e:
        check_weights({"charm": 1.0})
    assert e.value.field == "weights" and "allowed" in str(e.value)
    with pytest.raises(InputError) as e:
        check_weights({"guideline": float("nan")})
    assert e.value.field == "weights.guideline"
    assert parse_weight_options(["guideline=1.5", "t_in_range = 3"]) == {"guideline": 1.5, "t_in_range": 3.0}
    with pytest.raises(InputError) as e:
        parse_weight_options(["guideline"])
    assert e.value.field == "weight"
    with pytest.raises(InputError):
        assess(example_patient("eugonadal"), n=1)


# ---------------------------------------------------------------------------------------------
# titration and monitoring
# ---------------------------------------------------------------------------------------------


def test_anastrozole_titration_picks_the_lowest_dose_meeting_t_e2_and_the_e2_floor():
    a = assessed("obese_hyperestrogenic")
    t = next(t for t in a.titration if t["drug"] == "anastrozole")
    weekly = [r["weekly_dose_mg"] for r in t["rows"]]
    assert weekly == sorted(weekly) and len(t["rows"]) >= 3
    assert "T/E2" in t["criterion"] and "E2" in t["criterion"] and "source doc 000" in t["source"]
    first = next((r for r in t["rows"] if r["meets"]), None)
    assert t["selected"] == (first["regimen"] if first else None)
    for r in t["rows"]:
        if r["meets"]:
            assert r["t_e2_ratio"]["q50"] >= 10 and r["estradiol"]["q50"] >= 10
    assert sum(r["selected"] for r in t["rows"]) == (1 if first else 0)


def test_clomiphene_titration_is_judged_by_t_in_range():
    a = assessed("secondary_hypogonadism")
    t = next(t for t in a.titration if t["drug"] == "clomiphene")
    lo, hi = REFERENCE_RANGES["total_testosterone"][:2]
    for r in t["rows"]:
        assert r["meets"] == (lo <= r["total_testosterone"]["q50"] <= hi)
    assert all(t["drug"] != "anastrozole" for t in a.titration)  # not a first-line option here


def test_the_monitoring_plan_has_labs_at_3_to_4_weeks_3_and_6_months_and_semen_at_3_months():
    a = assessed("obese_hyperestrogenic")
    visits = {v["week"]: v for v in a.monitoring["visits"]}
    assert {4, 12, 26} <= set(visits)
    assert "3-4 weeks" in visits[4]["when"] and "estradiol" in visits[4]["labs"]  # anastrozole: watch E2
    assert "semen analysis" in visits[12]["labs"] and "spermatogenic cycle" in visits[12]["why"]
    assert visits[4]["predicted"] and a.monitoring["protocol"] == a.top.name
    assert any(v["when"] == "before starting" and "second morning" in " ".join(v["labs"]) for v in a.monitoring["visits"])
    secondary = {v["week"]: v for v in assessed("secondary_hypogonadism").monitoring["visits"]}
    assert "semen analysis" not in secondary[12]["labs"]  # no fertility wish, no semen analysis planned
    assert {"LH", "FSH"} <= set(secondary[4]["labs"])  # SERM: LH and FSH should rise


# ---------------------------------------------------------------------------------------------
# the published form and its wording
# ---------------------------------------------------------------------------------------------


def test_the_json_has_the_keys_of_the_issue_and_plot_ready_trajectories():
    a = assessed("congenital_hh")
    js = json.loads(json.dumps(a.to_json(), allow_nan=False))
    for key in ("phenotype", "reasons", "derived", "protocols", "titration", "monitoring", "disclaimer", "labs",
                "warnings", "trajectories", "weights"):
        assert key in js
    assert js["disclaimer"] == DISCLAIMER
    p = js["protocols"][0]
    assert {"name", "regimen", "predictions", "flags", "score"} <= set(p)
    assert isinstance(p["regimen"], list) and all(isinstance(x, str) for x in p["regimen"])
    for obs in ("total_testosterone", "free_testosterone", "lh", "fsh", "estradiol", "t_e2_ratio",
                "sperm_concentration", "total_motile_count"):
        for w in (4, 12, 26):
            q = p["predictions"][obs][f"week_{w}"]
            assert q["q05"] <= q["q50"] <= q["q95"]
    tr = js["trajectories"]
    assert set(tr["protocols"]) == {x["name"] for x in js["protocols"]} | {"no_treatment"}
    for name, t in tr["protocols"].items():
        for obs in ("total_testosterone", "estradiol", "sperm_concentration"):
            assert len(t[obs]["q50"]) == len(tr["day"]) == len(t[obs]["q05"])
    assert tr["day"][0] == 0 and tr["day"][-1] == 7 * 26


@pytest.mark.parametrize("name", ["obese_hyperestrogenic", "primary_hypogonadism", "post_trt_suppressed"])
def test_no_output_says_take_or_you_should_and_every_output_carries_the_disclaimer(name):
    from hpgsim.report.html import assessment_html

    a = assessed(name)
    js = a.to_json()
    summary = "\n".join(summary_lines(a))
    page = re.sub(r"<script.*?</script>", "", assessment_html(a), flags=re.DOTALL)
    for text in (*strings(js), summary, page):
        assert not FORBIDDEN.search(text), FORBIDDEN.search(text).group(0) + ": " + text[:200]
    assert js["disclaimer"] == DISCLAIMER and DISCLAIMER in summary and DISCLAIMER in page
    assert any("option" in s.lower() for s in (summary, page)) and "predicted" in summary


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


def test_hpgsim_assess_on_a_built_in_example_prints_the_summary_and_writes_json_and_report(tmp_path):
    out, rep = tmp_path / "a.json", tmp_path / "a.html"
    res = runner.invoke(app, ["assess", "secondary_hypogonadism", "--json", str(out), "--report", str(rep),
                              "--n", "8", "--weight", "t_in_range=2.5"])
    assert res.exit_code == 0, res.output
    assert "Phenotype: secondary_hypogonadism" in res.output and DISCLAIMER in res.output
    js = json.loads(out.read_text())
    assert js["weights"]["t_in_range"] == 2.5 and js["settings"]["n"] == 8
    assert rep.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.json"]  # no temporary files left


BAD = {
    "labs": {"total_testosterone": {"value": 5000, "unit": "ng/dL"}},
    "unit": {"total_testosterone": {"value": 300, "unit": "mg/furlong"}},
}


@pytest.mark.parametrize("case,field", [("labs", "labs.total_testosterone"), ("unit", "labs.total_testosterone"),
                                        ("example", "patient"), ("weight", "weight"), ("folder", "report")])
def test_bad_input_is_one_line_exit_2_and_nothing_is_written(tmp_path, case, field):
    src = tmp_path / "p.yaml"
    labs = BAD.get(case, {"total_testosterone": {"value": 300, "unit": "ng/dL"}})
    src.write_text(json.dumps({"age_years": 40, "bmi": 25, "fertility_desired": False, "labs": labs}))
    out, rep = tmp_path / "out.json", tmp_path / "out.html"
    args = ["assess", str(src) if case != "example" else "not_an_example", "--json", str(out), "--report", str(rep),
            "--n", "5"]
    if case == "weight":
        args += ["--weight", "charm=3"]
    if case == "folder":
        args[args.index("--report") + 1] = str(tmp_path / "missing" / "out.html")
    before = sorted(p.name for p in tmp_path.iterdir())
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no report, no JSON, no temporary file
