"""Behaviours of the patient file: units, plausible values, errors, examples, round trips."""

from __future__ import annotations

import copy
import doctest
import json
import math
import tempfile
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import hpgsim.labs
from hpgsim.errors import InputError
from hpgsim.labs import (
    DEFAULT_DRAW_HOUR,
    PLAUSIBLE,
    Labs,
    Semen,
    example_names,
    example_patient,
    load_patient_file,
    parse_patient,
)
from hpgsim.patient import Patient, phenotype_names
from hpgsim.simulate import OBSERVABLES, SAMPLE_HOUR
from hpgsim.units import convert

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples" / "patients"
PACKAGE_DIR = Path(hpgsim.labs.__file__).resolve().parent / "data" / "patients"


def document(**changes: Any) -> dict[str, Any]:
    """A small valid patient file, with top-level keys replaced (None removes a key)."""
    doc: dict[str, Any] = {
        "age_years": 34,
        "bmi": 31,
        "fertility_desired": True,
        "labs": {"total_testosterone": {"value": 270, "unit": "ng/dL", "drawn_at": "08:30"}},
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def with_labs(**labs: Any) -> dict[str, Any]:
    return document(labs=labs)


def refusal(data: Any, field: str, *needles: str) -> str:
    """The message of the InputError raised by parsing ``data``; checks field, text and one line."""
    with pytest.raises(InputError) as caught:
        parse_patient(data)
    message = str(caught.value)
    assert caught.value.field == field, message
    assert message.startswith(f"{field}: ") and len(message.splitlines()) == 1, message
    for needle in needles:
        assert needle in message, message
    return message


def test_module_examples_run():
    assert doctest.testmod(hpgsim.labs).failed == 0


# ---------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "unit", "expected"),
    [
        ("total_testosterone", 10.40, "nmol/L", 300.0),  # 300 ng/dL = 10.40 nmol/L
        ("total_testosterone", 300, "ng/dL", 300.0),
        ("total_testosterone", 3.0, "ng/mL", 300.0),
        ("estradiol", 73.4, "pmol/L", 20.0),  # 20 pg/mL = 73.4 pmol/L
        ("estradiol", 2.0, "ng/dL", 20.0),
        ("estradiol", 20.0, "ng/L", 20.0),
        ("free_testosterone", 180.3, "pmol/L", 52.0),  # x 3.467
        ("lh", 5, "mIU/mL", 5.0),  # 5 mIU/mL = 5 IU/L
        ("fsh", 5, "U/L", 5.0),
        ("fsh", 5, "mU/mL", 5.0),
        ("shbg", 22, "nmol/L", 22.0),
        ("albumin", 4.3, "g/dL", 43.0),
        ("albumin", 43, "g/L", 43.0),
        ("inhibin_b", 110, "ng/L", 110.0),
    ],
)
def test_labs_in_common_units_convert_to_the_canonical_unit(name, value, unit, expected):
    labs = parse_patient(with_labs(**{name: {"value": value, "unit": unit}})).canonical_labs()
    assert labs == {name: pytest.approx(expected, rel=2e-3)}


def test_the_known_conversions_hold_in_the_units_module():
    assert convert(300.0, "ng/dL", "nmol/L", substance="testosterone") == pytest.approx(10.40, abs=0.005)
    assert convert(20.0, "pg/mL", "pmol/L", substance="estradiol") == pytest.approx(73.4, abs=0.05)
    assert convert(5.0, "mIU/mL", "IU/L") == pytest.approx(5.0)


@pytest.mark.parametrize("unit", ["M/mL", "million/mL", "10^6/mL", "m/ml"])
def test_sperm_concentration_reads_the_usual_spellings_of_millions_per_ml(unit):
    pf = parse_patient(document(semen={"sperm_concentration": {"value": 15, "unit": unit}}))
    assert pf.canonical_labs()["sperm_concentration"] == pytest.approx(15.0)


def test_canonical_units_are_those_of_the_observables():
    for name, bounds in PLAUSIBLE.items():
        if name in OBSERVABLES:
            assert bounds.unit == OBSERVABLES[name], name
    assert PLAUSIBLE["albumin"].unit == "g/L"  # the unit of the albumin parameter


def test_every_measure_has_plausible_bounds_and_a_field():
    assert set(Labs.measure_names()) | set(Semen.measure_names()) == set(PLAUSIBLE)
    for name, bounds in PLAUSIBLE.items():
        assert 0 <= bounds.low < bounds.high, name
        for unit in bounds.units:  # every listed unit converts
            convert(1.0, unit, bounds.unit, substance=bounds.substance)


def test_labs_without_draw_time_are_morning_values_as_in_the_simulation():
    assert DEFAULT_DRAW_HOUR == SAMPLE_HOUR


# ---------------------------------------------------------------------------------------------
# raw values, draw times, repeated measurements
# ---------------------------------------------------------------------------------------------


def test_raw_values_and_draw_times_are_kept():
    pf = parse_patient(with_labs(
        total_testosterone={"value": 9.4, "unit": "nmol/L", "drawn_at": "10:45", "method": "LC-MS/MS"},
        lh={"value": 3.4, "unit": "mIU/mL"},
    ))
    (tt,) = pf.measurements("total_testosterone")
    assert (tt.value, tt.unit, tt.drawn_at, tt.method, tt.clock_hour) == (9.4, "nmol/L", time(10, 45), "LC-MS/MS", 10.75)
    assert pf.measurements("lh")[0].clock_hour == 8.0
    assert pf.measurements("estradiol") == () and pf.measurements("sperm_concentration") == ()


def test_repeated_measurements_are_averaged_and_each_kept_with_its_date():
    pf = parse_patient(with_labs(total_testosterone=[
        {"value": 250, "unit": "ng/dL", "date": "2024-02-26", "drawn_at": "08:00"},
        {"value": 7.0, "unit": "nmol/L", "date": date(2024, 3, 11)},
    ]))
    first, second = pf.measurements("total_testosterone")
    assert (first.date, second.date) == (date(2024, 2, 26), date(2024, 3, 11))
    expected = (250 + convert(7.0, "nmol/L", "ng/dL", substance="testosterone")) / 2
    assert pf.canonical_labs()["total_testosterone"] == pytest.approx(expected)


def test_total_sperm_and_motile_counts_are_derived_when_not_given():
    semen = {"sperm_concentration": {"value": 20, "unit": "M/mL"}, "volume": {"value": 3, "unit": "mL"},
             "total_motility": {"value": 50, "unit": "%"}}
    labs = parse_patient(document(semen=semen)).canonical_labs()
    assert labs["total_sperm_count"] == pytest.approx(60.0)
    assert labs["total_motile_count"] == pytest.approx(30.0)
    given = {**semen, "total_sperm_count": {"value": 55, "unit": "M"}}
    assert parse_patient(document(semen=given)).canonical_labs()["total_sperm_count"] == 55.0


def test_reference_ranges_convert_to_canonical_units():
    labs = {"total_testosterone": {"value": 270, "unit": "ng/dL"},
            "reference_ranges": {"total_testosterone": {"low": 9.2, "high": 31.8, "unit": "nmol/L"},
                                 "lh": {"low": 1.7, "high": 8.6, "unit": "mIU/mL"}}}
    ranges = parse_patient(document(labs=labs)).labs.canonical_reference_ranges()
    assert ranges["total_testosterone"] == (pytest.approx(265.3, abs=0.1), pytest.approx(917.2, abs=0.1))
    assert ranges["lh"] == (pytest.approx(1.7), pytest.approx(8.6))


# ---------------------------------------------------------------------------------------------
# the Patient
# ---------------------------------------------------------------------------------------------


def test_to_patient_carries_age_bmi_and_history_in_weeks_from_the_draw():
    history = [{"regimen": "testosterone cypionate 200 mg IM weekly", "start_week": -60, "stop_week": -4},
               {"regimen": "hCG 1500 IU SC twice weekly + clomiphene citrate 25 mg PO daily",
                "start_week": -4, "stop_week": 0}]
    patient = parse_patient(document(id="case-7", history=history)).to_patient()
    assert isinstance(patient, Patient)
    assert (patient.name, patient.age, patient.bmi) == ("case-7", 34.0, 31.0)
    assert patient.history == (("testosterone cypionate 200 mg IM weekly", -60.0, -4.0),
                               ("hCG 1500 IU SC twice weekly + clomiphene citrate 25 mg PO daily", -4.0, 0.0))


def test_bmi_may_come_from_weight_and_height():
    pf = parse_patient(document(bmi=None, weight_kg=118, height_cm=178))
    assert pf.to_patient().bmi == pytest.approx(118 / 1.78**2)


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------


def test_an_impossible_total_testosterone_is_refused_with_the_plausible_range():
    message = refusal(with_labs(total_testosterone={"value": 5000, "unit": "ng/dL"}), "labs.total_testosterone")
    assert message == "labs.total_testosterone: 5000 ng/dL is outside the plausible range 0-3000 ng/dL"


def test_a_negative_fsh_is_refused():
    refusal(with_labs(fsh={"value": -1, "unit": "IU/L"}), "labs.fsh", "-1 IU/L", "0-200 IU/L")


def test_an_impossible_value_in_another_unit_names_both_units():
    refusal(with_labs(total_testosterone={"value": 200, "unit": "nmol/L"}), "labs.total_testosterone",
            "200 nmol/L", "5768 ng/dL", "0-3000 ng/dL")


def test_an_unknown_unit_is_refused_with_the_usual_units():
    refusal(with_labs(estradiol={"value": 32, "unit": "pgg/mL"}), "labs.estradiol",
            "32", "unknown unit 'pgg/mL'", "pg/mL", "pmol/L")


def test_a_unit_of_the_wrong_dimension_is_refused():
    refusal(with_labs(estradiol={"value": 32, "unit": "IU/L"}), "labs.estradiol", "32 IU/L", "pg/mL, pmol/L")
    refusal(with_labs(lh={"value": 3, "unit": "ng/mL"}), "labs.lh", "3 ng/mL", "IU/L")
    refusal(document(semen={"sperm_concentration": {"value": 20, "unit": "%"}}), "semen.sperm_concentration",
            "20 %", "M/mL")


def test_an_unusual_unit_of_the_right_dimension_is_accepted():
    assert parse_patient(with_labs(estradiol={"value": 3.2, "unit": "ng/dL"})).canonical_labs() == {
        "estradiol": pytest.approx(32.0)}


def test_an_unknown_lab_is_refused_with_the_allowed_names():
    message = refusal(with_labs(testosterone={"value": 300, "unit": "ng/dL"}), "labs.testosterone", "unknown lab")
    assert all(name in message for name in Labs.measure_names())


@pytest.mark.parametrize(
    ("lab", "field", "needle"),
    [
        ({"value": float("nan"), "unit": "ng/dL"}, "labs.total_testosterone.value", "nan"),
        ({"value": float("inf"), "unit": "ng/dL"}, "labs.total_testosterone.value", "inf"),
        ({"value": "abc", "unit": "ng/dL"}, "labs.total_testosterone.value", "'abc'"),
        ({"value": True, "unit": "ng/dL"}, "labs.total_testosterone.value", "True"),
        ({"value": 300}, "labs.total_testosterone.unit", "missing"),
        ({"unit": "ng/dL"}, "labs.total_testosterone.value", "missing"),
        ({"value": 300, "unit": "ng/dL", "when": "am"}, "labs.total_testosterone.when", "allowed: value, unit"),
        (300, "labs.total_testosterone", "300"),
        ([], "labs.total_testosterone", "at least 1"),
        ({"value": 300, "unit": "ng/dL", "drawn_at": 630}, "labs.total_testosterone.drawn_at", "630"),
        ({"value": 300, "unit": "ng/dL", "drawn_at": "25:00"}, "labs.total_testosterone.drawn_at", "25:00"),
        ({"value": 300, "unit": "ng/dL", "date": 20240301}, "labs.total_testosterone.date", "20240301"),
    ],
)
def test_malformed_lab_entries_are_refused_naming_the_field(lab, field, needle):
    refusal(with_labs(total_testosterone=lab), field, needle)


def test_a_bad_entry_in_a_list_of_measurements_is_named_by_its_index():
    entries = [{"value": 250, "unit": "ng/dL", "date": "2024-02-26"}, {"value": -3, "unit": "ng/dL", "date": "2024-03-11"}]
    refusal(with_labs(total_testosterone=entries), "labs.total_testosterone[1]", "-3 ng/dL")
    entries[1] = {"value": "x", "unit": "ng/dL"}
    refusal(with_labs(total_testosterone=entries), "labs.total_testosterone[1].value", "'x'")


def test_repeated_measurements_need_their_dates():
    entries = [{"value": 250, "unit": "ng/dL", "date": "2024-02-26"}, {"value": 270, "unit": "ng/dL"}]
    refusal(with_labs(total_testosterone=entries), "labs.total_testosterone[1].date", "missing")


def test_a_part_larger_than_its_whole_is_refused():
    refusal(with_labs(total_testosterone={"value": 100, "unit": "ng/dL"}, free_testosterone={"value": 1400, "unit": "pg/mL"}),
            "labs.free_testosterone", "140 ng/dL", "total_testosterone (100 ng/dL)")
    semen = {"progressive_motility": {"value": 50, "unit": "%"}, "total_motility": {"value": 40, "unit": "%"}}
    refusal(document(semen=semen), "semen.progressive_motility", "total_motility")


@pytest.mark.parametrize(
    ("ranges", "field", "needle"),
    [
        ({"testosterone": {"low": 1, "high": 2, "unit": "ng/dL"}}, "labs.reference_ranges.testosterone", "unknown lab"),
        ({"lh": {"low": 8, "high": 2, "unit": "IU/L"}}, "labs.reference_ranges.lh", "low 8"),
        ({"lh": {"low": 1, "high": 8, "unit": "ng/dL"}}, "labs.reference_ranges.lh", "ng/dL"),
        ({"lh": {"low": -1, "high": 8, "unit": "IU/L"}}, "labs.reference_ranges.lh.low", "-1"),
    ],
)
def test_bad_reference_ranges_are_refused(ranges, field, needle):
    refusal(with_labs(lh={"value": 3, "unit": "IU/L"}, reference_ranges=ranges), field, needle)


@pytest.mark.parametrize(
    ("entry", "field", "needle"),
    [
        ({"regimen": "testosteron cypionat 200 mg IM weekly", "start_week": -10, "stop_week": -2},
         "history[0].regimen", "testosteron cypionat"),
        ({"regimen": "anastrozole 1 mg PO daily", "start_week": -10, "stop_week": 4}, "history[0].stop_week", "4"),
        ({"regimen": "anastrozole 1 mg PO daily", "start_week": -2, "stop_week": -10}, "history[0].start_week", "-2"),
        ({"regimen": "anastrozole 1 mg PO daily", "start_week": -10}, "history[0].stop_week", "missing"),
    ],
)
def test_bad_history_entries_are_refused_naming_the_entry(entry, field, needle):
    ok = {"regimen": "clomiphene citrate 25 mg PO daily", "start_week": -20, "stop_week": -12}
    refusal(document(history=[entry]), field, needle)
    shifted = field.replace("[0]", "[1]")
    refusal(document(history=[ok, entry]), shifted, needle)


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"age_years": 150}, "age_years", "150"),
        ({"age_years": None}, "age_years", "missing"),
        ({"bmi": 90}, "bmi", "90"),
        ({"bmi": None, "weight_kg": 300, "height_cm": 150}, "weight_kg, height_cm", "133"),
        ({"bmi": None, "weight_kg": 80}, "bmi", "weight_kg"),
        ({"weight_kg": 80, "height_cm": 180}, "bmi", "bmi, weight_kg, height_cm"),
        ({"height_cm": 20, "bmi": None, "weight_kg": 80}, "height_cm", "20"),
        ({"fertility_desired": "maybe"}, "fertility_desired", "maybe"),
        ({"fertility_desired": None}, "fertility_desired", "missing"),
        ({"labs": None}, "labs", "missing"),
        ({"name": "John"}, "name", "allowed: id, age_years"),
        ({"semen": {"concentration": {"value": 3, "unit": "M/mL"}}}, "semen.concentration", "sperm_concentration"),
        ({"history": {"regimen": "x"}}, "history", "regimen"),
    ],
)
def test_bad_top_level_fields_are_refused(changes, field, needle):
    refusal(document(**changes), field, needle)


def test_a_non_mapping_is_refused():
    refusal([1, 2], "patient", "list")


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def file_refusal(path: Path, *needles: str) -> str:
    with pytest.raises(InputError) as caught:
        load_patient_file(path)
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and str(path) in message, message
    for needle in needles:
        assert needle in message, message
    return message


def test_yaml_and_json_files_load(tmp_path):
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(document()))
    (tmp_path / "p.json").write_text(json.dumps(document()))
    assert load_patient_file(tmp_path / "p.yaml") == load_patient_file(str(tmp_path / "p.json"))


def test_a_missing_file_is_refused(tmp_path):
    file_refusal(tmp_path / "nobody.yaml", "not found")


def test_unknown_file_types_and_directories_are_refused(tmp_path):
    (tmp_path / "p.txt").write_text("age_years: 3")
    file_refusal(tmp_path / "p.txt", ".yaml, .yml or .json")
    (tmp_path / "d.yaml").mkdir()
    file_refusal(tmp_path / "d.yaml", "cannot be read")


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("bad.yaml", "age_years: 34\nlabs: {total_testosterone: {value: 1\n", "not valid YAML"),
        ("bad.json", '{"age_years": 34,', "not valid JSON"),
        ("list.yaml", "- 1\n- 2\n", "not a mapping"),
        ("empty.yaml", "", "not a mapping"),
        ("twice.yaml", "age_years: 34\nage_years: 35\n", "'age_years' is given twice"),
        ("twice.json", '{"age_years": 34, "age_years": 35}', "'age_years' is given twice"),
        ("binary.yaml", b"\xff\xfe\x00", "cannot be read"),
    ],
)
def test_malformed_files_are_refused_in_one_line(tmp_path, name, text, needle):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    file_refusal(path, needle)


def test_an_unquoted_clock_time_read_by_yaml_as_a_number_is_explained(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("age_years: 34\nbmi: 24\nfertility_desired: false\n"
                    "labs:\n  lh: {value: 3, unit: IU/L, drawn_at: 10:30}\n")
    with pytest.raises(InputError, match="drawn_at: 630 is not a clock time.*quotes"):
        load_patient_file(path)


def test_errors_inside_a_file_name_the_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(with_labs(fsh={"value": -1, "unit": "IU/L"})))
    with pytest.raises(InputError) as caught:
        load_patient_file(path)
    assert caught.value.field == "labs.fsh"


# ---------------------------------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------------------------------

EXAMPLES = ["congenital_hh", "eugonadal", "idiopathic_oligozoospermia", "obese_hyperestrogenic",
            "post_trt_suppressed", "primary_hypogonadism", "secondary_hypogonadism"]


def test_the_examples_cover_the_common_cases_and_are_named_as_phenotypes():
    assert example_names() == EXAMPLES
    assert set(EXAMPLES) <= set(phenotype_names())


def test_the_packaged_examples_are_copies_of_the_examples_folder():
    shipped = sorted(p.name for p in PACKAGE_DIR.glob("*.yaml"))
    assert shipped == sorted(p.name for p in EXAMPLES_DIR.glob("*.yaml")) == [f"{n}.yaml" for n in EXAMPLES]
    for name in shipped:
        assert (PACKAGE_DIR / name).read_bytes() == (EXAMPLES_DIR / name).read_bytes(), name


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_loads_and_converts(name):
    pf = example_patient(name)
    assert load_patient_file(EXAMPLES_DIR / f"{name}.yaml") == pf
    labs = pf.canonical_labs()
    assert {"total_testosterone", "lh", "fsh", "estradiol", "shbg"} <= labs.keys()
    for lab, value in labs.items():
        bounds = PLAUSIBLE[lab]
        assert math.isfinite(value) and bounds.low <= value <= bounds.high, (lab, value)
    patient = pf.to_patient()
    assert patient.name == name and len(patient.history) == len(pf.history)


def test_the_examples_show_their_textbook_lab_patterns():
    lab = {name: example_patient(name).canonical_labs() for name in EXAMPLES}
    assert lab["eugonadal"]["total_testosterone"] > 400 and lab["eugonadal"]["sperm_concentration"] > 15
    assert lab["primary_hypogonadism"]["total_testosterone"] < 264 and lab["primary_hypogonadism"]["lh"] > 9
    assert lab["secondary_hypogonadism"]["total_testosterone"] < 264 and lab["secondary_hypogonadism"]["lh"] < 9
    assert lab["congenital_hh"]["lh"] < 1.5 and lab["congenital_hh"]["total_testosterone"] < 100
    obese = lab["obese_hyperestrogenic"]
    assert obese["total_testosterone"] / obese["estradiol"] < 10
    assert example_patient("obese_hyperestrogenic").to_patient().bmi > 30
    assert lab["post_trt_suppressed"]["lh"] < 1 and example_patient("post_trt_suppressed").fertility_desired
    oligo = lab["idiopathic_oligozoospermia"]
    assert oligo["sperm_concentration"] < 15 and oligo["total_testosterone"] > 350


def test_an_unknown_example_is_refused_with_the_names():
    with pytest.raises(InputError, match="allowed: congenital_hh, eugonadal"):
        example_patient("nobody")


# ---------------------------------------------------------------------------------------------
# generated documents
# ---------------------------------------------------------------------------------------------

# Ranges that keep parts below wholes (free and bioavailable T below total T; progressive below
# total motility; motile below total count) whichever subset is drawn.
GENERATED = {
    "total_testosterone": (150.0, 2900.0), "free_testosterone": (0.0, 1400.0), "bioavailable_testosterone": (0.0, 140.0),
    "progressive_motility": (0.0, 50.0), "total_motility": (50.0, 100.0),
    "total_sperm_count": (100.0, 4900.0), "total_motile_count": (0.0, 100.0),
}


@st.composite
def measure(draw: Any, name: str, dated: bool) -> dict[str, Any]:
    bounds = PLAUSIBLE[name]
    low, high = GENERATED.get(name, (bounds.low, bounds.low + 0.95 * (bounds.high - bounds.low)))
    canonical = draw(st.floats(low, high, allow_nan=False))
    unit = draw(st.sampled_from(bounds.units))
    entry: dict[str, Any] = {"value": float(convert(canonical, bounds.unit, unit, substance=bounds.substance)), "unit": unit}
    if dated:
        entry["date"] = draw(st.dates(date(2000, 1, 1), date(2030, 1, 1))).isoformat()
    if name in Labs.measure_names() and draw(st.booleans()):
        entry["drawn_at"] = draw(st.times()).strftime("%H:%M")
    return entry


@st.composite
def entry_of(draw: Any, name: str) -> Any:
    if draw(st.booleans()):
        return draw(measure(name, dated=False))
    return draw(st.lists(measure(name, dated=True), min_size=1, max_size=3))


@st.composite
def valid_documents(draw: Any) -> dict[str, Any]:
    labs = {n: draw(entry_of(n)) for n in draw(st.sets(st.sampled_from(Labs.measure_names())))}
    doc = {"age_years": draw(st.integers(18, 90)), "bmi": draw(st.floats(16, 60)),
           "fertility_desired": draw(st.booleans()), "labs": labs}
    semen_names = draw(st.sets(st.sampled_from(Semen.measure_names())))
    if semen_names:
        doc["semen"] = {n: draw(entry_of(n)) for n in semen_names}
    if draw(st.booleans()):
        doc["history"] = [{"regimen": "testosterone cypionate 200 mg IM weekly", "start_week": -30, "stop_week": -2}]
    return doc


def through_file(doc: dict[str, Any], suffix: str) -> dict[str, float]:
    text = yaml.safe_dump(doc) if suffix == ".yaml" else json.dumps(doc)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"patient{suffix}"
        path.write_text(text)
        return load_patient_file(path).canonical_labs()


@settings(max_examples=60, deadline=None)
@given(valid_documents())
def test_valid_documents_round_trip_through_yaml_and_json(doc):
    pf = parse_patient(copy.deepcopy(doc))
    labs = pf.canonical_labs()
    assert through_file(doc, ".yaml") == labs
    assert through_file(doc, ".json") == labs
    assert parse_patient(pf.model_dump(mode="json", exclude_none=True)).canonical_labs() == labs
    assert set(labs) >= set(doc["labs"]) | set(doc.get("semen", {}))


def out_of_range(name: str) -> st.SearchStrategy[float]:
    bounds = PLAUSIBLE[name]
    return st.one_of(
        st.floats(max_value=bounds.low, exclude_max=True),
        st.floats(min_value=bounds.high, exclude_min=True),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    )


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(PLAUSIBLE)).flatmap(lambda n: st.tuples(st.just(n), out_of_range(n))))
def test_impossible_numbers_are_refused_with_an_input_error(case):
    name, value = case
    unit = PLAUSIBLE[name].unit
    doc = document(semen={name: {"value": value, "unit": unit}}) if name in Semen.measure_names() \
        else with_labs(**{name: {"value": value, "unit": unit}})
    with pytest.raises(InputError) as caught:
        parse_patient(doc)
    assert len(str(caught.value).splitlines()) == 1 and name in caught.value.field


junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**308, max_value=10**400), st.floats(),
    st.text(max_size=8), st.sampled_from(["\n", "a\u2028b", "ng/dL\r", "08:30\n"]), st.dates(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(PLAUSIBLE)), junk, st.one_of(junk, st.sampled_from(["ng/dL", "IU/L", "%", "M/mL", "mL"])),
       st.sampled_from(["value", "unit", "drawn_at", "date", "start_week", "age_years"]))
def test_any_junk_is_either_accepted_or_refused_with_an_input_error(name, value, unit, where):
    entry: dict[str, Any] = {"value": value if where == "value" else 1.0, "unit": unit}
    if where in ("drawn_at", "date"):
        entry[where] = value
    doc = document(semen={name: entry}) if name in Semen.measure_names() else with_labs(**{name: entry})
    if where == "start_week":
        doc["history"] = [{"regimen": "anastrozole 1 mg PO daily", "start_week": value, "stop_week": 0}]
    if where == "age_years":
        doc["age_years"] = value
    try:
        parse_patient(doc)
    except InputError as e:
        assert len(str(e).splitlines()) == 1, str(e)


@settings(max_examples=100, deadline=None)
@given(st.recursive(junk, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.sampled_from(["labs", "lh", "value", "unit", "semen", "history", "x"]),
                                                                  inner, max_size=3)), max_leaves=10))
def test_any_document_shape_is_refused_with_an_input_error(shape):
    doc = document(labs=shape) if isinstance(shape, dict) else shape
    try:
        parse_patient(doc)
    except InputError as e:
        assert len(str(e).splitlines()) == 1, str(e)
