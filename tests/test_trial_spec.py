"""Trial specs: the validation library and the format's examples load, malformed specs are refused
with one-line errors, and no mutation of a valid spec raises anything but InputError."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpgsim.errors import InputError
from hpgsim.parameters import TABLE
from hpgsim.regimen import Regimen
from hpgsim.simulate import OBSERVABLES
from hpgsim.trials import OBSERVABLE_UNITS, TrialSpec, convert, load_fitting, load_spec, load_specs, parse_spec

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "validation" / "trials"
FITTING = REPO / "validation" / "fitting.yaml"
LIBRARY_FILES = sorted(LIBRARY.glob("*.yaml"))
EXAMPLES = REPO / "validation" / "examples"  # unchanged copies of shared/validation/examples
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
SHARED = REPO.parent / "shared" / "validation" / "examples"
needs_examples = pytest.mark.skipif(not EXAMPLE_FILES, reason="validation/examples not found")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ is not beside this checkout")
def test_example_copies_are_unchanged():
    for f in sorted(SHARED.glob("*.yaml")):
        assert (EXAMPLES / f.name).read_bytes() == f.read_bytes(), f.name


def raw(name: str) -> dict:
    """A library spec as plain data, to be broken by a test."""
    return yaml.safe_load((LIBRARY / f"{name}.yaml").read_text())


def refusal(data, source: str = "bad.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_spec(data, source=source)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{source}: "), message
    return caught.value


# ---------------------------------------------------------------------------------------------
# the library and the examples
# ---------------------------------------------------------------------------------------------


def test_library_is_not_empty():
    assert len(LIBRARY_FILES) >= 25


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_library_spec_loads(path):
    spec = load_spec(path)
    assert spec.id == path.stem
    assert spec.source == str(path)
    for arm in spec.arms:
        assert isinstance(arm.prescriptions, Regimen)
        assert arm.end_h >= arm.total_weeks * 168
        for e in arm.endpoints:
            lo, hi = e.band()
            assert lo <= e.value <= hi and e.passes(e.value)
            assert (e.sample_h is None) == (e.kind.startswith("median_weeks"))


@needs_examples
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_spec_loads(path):
    assert load_spec(path).id == path.stem


@needs_examples
def test_examples_are_two_and_not_copied_into_the_library():
    assert {p.stem for p in EXAMPLE_FILES} == {"SHAH2021_TAU", "WHO1990"}
    assert not {p.stem for p in EXAMPLE_FILES} & {p.stem for p in LIBRARY_FILES}


@needs_examples
def test_ids_are_unique_across_library_and_examples():
    specs = load_specs([LIBRARY, EXAMPLES])
    assert len({s.id for s in specs}) == len(LIBRARY_FILES) + len(EXAMPLE_FILES)


@needs_examples
def test_fitting_map_covers_exactly_the_specs():
    fitting = load_fitting(FITTING)
    ids = {s.id for s in load_specs([LIBRARY, EXAMPLES])}
    assert set(fitting) == ids
    assert all(name in TABLE for names in fitting.values() for name in names)
    assert 0 < sum(bool(v) for v in fitting.values()) < len(fitting)


def test_observables_agree_with_the_simulator():
    for name, unit in OBSERVABLES.items():
        assert name in OBSERVABLE_UNITS
        canonical = OBSERVABLE_UNITS[name][0]
        assert canonical == unit or (canonical, unit) == ("-", "1")


# ---------------------------------------------------------------------------------------------
# helpers the runner uses
# ---------------------------------------------------------------------------------------------


def test_time_points_and_tolerances():
    spec = load_spec(LIBRARY / "HCG6000_SINGLE.yaml")
    early, late = spec.endpoints()
    assert (early.arm, early.index, early.day, early.sample_h) == ("hCG 6000 IU IM once", 0, 0.0, 12.0)
    assert late.sample_h == 3 * 24 + 8.0  # week 0.43 is day 3, sampled at 08:00
    assert early.endpoint.band() == pytest.approx((1.2, 2.0))
    assert early.endpoint.tolerance_label == "25%"

    kin = load_spec(LIBRARY / "SUPPRESSION_KINETICS2005.yaml")
    recovery = kin.arm("testosterone enanthate 200 mg weekly, 18 months then stop").endpoints[1]
    assert recovery.after_h == 78 * 168 and recovery.day is None and recovery.tolerance_label == "30%"
    assert kin.arms[0].dose_until_h == 78 * 168 and kin.arms[0].end_h == 130 * 168

    muir = load_spec(LIBRARY / "MUIR_META2024.yaml").arms[0].endpoints[0]
    assert muir.band() == (8.4, 14.9) and muir.tolerance_label == "95% CI"
    assert not muir.passes(15.0) and not muir.passes(math.nan) and muir.passes(12.0)

    tsjoen = load_spec(LIBRARY / "TSJOEN2005_YOUNG.yaml").arms[0].endpoints
    assert tsjoen[0].band() == (-66.0, -26.0)  # 20 percentage points
    assert tsjoen[1].band() == pytest.approx((339 - 84.75, 339 + 84.75))  # 25% of the value


def test_units_and_baselines():
    spec = load_spec(LIBRARY / "DEBOER2005.yaml")
    assert spec.baseline("total_testosterone") == 7.5
    assert spec.baseline("total_testosterone", "ng/dL") == pytest.approx(7.5 / 0.0346717, rel=1e-4)
    assert spec.baseline("estradiol", "pg/mL") == pytest.approx(120 * 0.2724, rel=1e-3)
    assert spec.baseline("shbg") is None
    assert convert("lh", 5.0, "mIU/mL", "IU/L") == pytest.approx(5.0)
    assert convert("t_e2_ratio", 12.0, "-", "1") == 12.0
    with pytest.raises(InputError, match="allowed: ng/dL, nmol/L"):
        convert("total_testosterone", 1.0, "ng/mL", "ng/dL")


def test_ratio_unit_is_normalised():
    spec = load_spec(LIBRARY / "RAMAN2002_AZ.yaml")
    assert spec.population.baseline["t_e2_ratio"].unit == "-"
    assert spec.arms[0].endpoints[0].unit == "-"


def test_unknown_arm_name():
    spec = load_spec(LIBRARY / "COVIELLO2005.yaml")
    with pytest.raises(InputError, match=r"^arm: 'placebo' is not an arm of COVIELLO2005; allowed: TE 200 mg"):
        spec.arm("placebo")
    assert list(spec.arms_by_name) == [a.name for a in spec.arms]


# ---------------------------------------------------------------------------------------------
# malformed specs
# ---------------------------------------------------------------------------------------------


def test_unknown_endpoint_kind():
    data = raw("LEDER2004_G1")
    data["arms"][0]["endpoints"][2]["kind"] = "average"
    e = refusal(data)
    assert e.field == "bad.yaml: arms[0].endpoints[2].kind"
    assert "'average' is not an endpoint kind; allowed: mean, median, percent_change" in str(e)


def test_unknown_observable():
    data = raw("LEDER2004_G1")
    data["arms"][0]["endpoints"][1]["observable"] = "testosterone"
    e = refusal(data)
    assert e.field == "bad.yaml: arms[0].endpoints[1].observable"
    assert "'testosterone' is not an observable; allowed: total_testosterone" in str(e)


def test_unknown_observable_in_baseline():
    data = raw("LEDER2004_G1")
    data["population"]["baseline"]["E2"] = {"value": 26, "unit": "pg/mL"}
    assert refusal(data).field == "bad.yaml: population.baseline.E2"


@pytest.mark.parametrize("text, says", [
    ("anastrozole 1 mg PO hourlyish", "frequency: 'hourlyish' is not a frequency; allowed:"),
    ("anastrozole 100 mg PO daily", "dose: 100 mg of anastrozole is outside the allowed range"),
    ("aspirin 100 mg PO daily", "drug: unknown drug 'aspirin'; allowed:"),
    ("anastrozole 1 mg IM daily", "route: 'IM' is not a route for anastrozole; allowed: PO"),
    ("", "empty prescription; allowed:"),
])
def test_bad_regimen(text, says):
    data = raw("LEDER2004_G1")
    data["arms"][0]["regimen"] = [text]
    e = refusal(data)
    assert e.field == "bad.yaml: arms[0].regimen[0]"
    assert says in str(e)


def test_bad_run_in_regimen():
    data = raw("KAMINETSKY2013_GEL")
    data["run_in"]["regimen"] = ["testosterone gel 50 mg PO daily"]
    assert refusal(data).field == "bad.yaml: run_in.regimen[0]"


def test_missing_arms():
    data = raw("LEDER2004_G1")
    del data["arms"]
    e = refusal(data)
    assert str(e) == "bad.yaml: arms: missing; this field is required"


def test_empty_arms():
    data = raw("LEDER2004_G1")
    data["arms"] = []
    assert str(refusal(data)) == "bad.yaml: arms: [] is too short; allowed: at least 1 item(s)"


def test_missing_arm_field():
    data = raw("LEDER2004_G1")
    del data["arms"][0]["weeks"]
    assert str(refusal(data)) == "bad.yaml: arms[0].weeks: missing; this field is required"


@pytest.mark.parametrize("change, field, says", [
    (lambda d: d["arms"][0]["endpoints"][0].pop("week"), "arms[0].endpoints[0].week", "missing; kind 'mean' needs week"),
    (lambda d: d["arms"][0]["endpoints"][0].update(threshold=3), "arms[0].endpoints[0].threshold",
     "kind 'mean' takes no threshold"),
    (lambda d: d["arms"][0]["endpoints"][0].update(week=13), "arms[0].endpoints[0].week",
     "13 is after the end of the arm (weeks + follow_up_weeks = 12); allowed: 0 to 12"),
    (lambda d: d["arms"][0]["endpoints"][0].update(unit="ng/mL"), "arms[0].endpoints[0].unit",
     "'ng/mL' is not a unit of bioavailable_testosterone; allowed: ng/dL, nmol/L"),
    (lambda d: d["arms"][0]["endpoints"][0].pop("unit"), "arms[0].endpoints[0].unit", "missing; bioavailable_testosterone needs a unit"),
    (lambda d: d["arms"][0]["endpoints"][0].update(ci=[1, 2]), "arms[0].endpoints[0].ci", "does not contain the value 207"),
    (lambda d: d["arms"][0]["endpoints"][0].update(tolerance=10, note=""), "arms[0].endpoints[0].note",
     "an endpoint that overrides the tolerance says why in a note"),
    (lambda d: d["arms"][0]["endpoints"][0].update(weak="x"), "arms[0].endpoints[0].weak", "unknown field; allowed: observable, kind"),
    (lambda d: d["arms"][0].update(weekz=12), "arms[0].weekz", "unknown field; allowed: name, regimen, weeks"),
    (lambda d: d["arms"][0].update(regimen="anastrozole 1 mg PO daily"), "arms[0].regimen", "allowed: a list"),
    (lambda d: d["arms"].append(copy.deepcopy(d["arms"][0])), "arms[1].name", "names two arms"),
    (lambda d: d["population"].update(phenotype="fat"), "population.phenotype", "unknown phenotype 'fat'; allowed: eugonadal"),
    (lambda d: d["population"].update(n=12.5), "population.n", "12.5 is not allowed; allowed: a whole number"),
    (lambda d: d["population"].update(age_years=7), "population.age_years", "7 is not allowed; allowed: >= 12"),
    (lambda d: d["population"]["baseline"]["lh"].update(unit="U/L"), "population.baseline.lh.unit",
     "'U/L' is not a unit of lh; allowed: IU/L, mIU/mL"),
    (lambda d: d.update(id="leder"), "id", "'leder' is not an id; allowed: upper-case letters"),
    (lambda d: d.update(source_quality="journal"), "source_quality", "allowed: primary_table, primary_text, abstract, secondary"),
    (lambda d: d.update(population=None), "population", "None is not a mapping; allowed: a mapping with fields description, n"),
])
def test_malformed_field(change, field, says):
    data = raw("LEDER2004_G1")
    change(data)
    e = refusal(data)
    assert e.field == f"bad.yaml: {field}", str(e)
    assert says in str(e)


@pytest.mark.parametrize("endpoint, field, says", [
    ({"observable": "sperm_concentration", "kind": "median_weeks_to_below", "threshold": 5, "unit": "M/mL",
      "value": 8.7, "week": 3}, "week", "kind 'median_weeks_to_below' takes no week"),
    ({"observable": "sperm_concentration", "kind": "fraction_below", "unit": "M/mL", "week": 3, "value": 0.5},
     "threshold", "missing; kind 'fraction_below' needs threshold"),
    ({"observable": "sperm_concentration", "kind": "fraction_below", "threshold": 1, "unit": "M/mL", "week": 3,
      "value": 1.5}, "value", "1.5 is not allowed for kind 'fraction_below'; allowed: 0 to 1"),
    ({"observable": "lh", "kind": "fold_change", "week": 3, "value": 0}, "value", "allowed: > 0"),
    ({"observable": "lh", "kind": "mean", "week": 3, "value": 5, "unit": "IU/L", "after_week": 1}, "after_week",
     "kind 'mean' takes no after_week; allowed with: median_weeks_to_below, median_weeks_to_at_least"),
    ({"observable": "lh", "kind": "percent_change", "week": 3, "value": 5, "ci": [1, 9]}, "ci",
     "kind 'percent_change' takes no ci; allowed with: mean, median"),
    ({"observable": "lh", "kind": "median_weeks_to_below", "threshold": 1, "unit": "IU/L", "value": 3,
      "clock_hour": 9}, "clock_hour", "takes no clock_hour"),
    ({"observable": "lh", "kind": "mean", "week": 3, "value": 5, "unit": "IU/L", "clock_hour": 24}, "clock_hour",
     "24 is not allowed; allowed: < 24"),
])
def test_fields_of_each_kind(endpoint, field, says):
    data = raw("LEDER2004_G1")
    data["arms"][0]["endpoints"] = [endpoint]
    e = refusal(data)
    assert e.field == f"bad.yaml: arms[0].endpoints[0].{field}", str(e)
    assert says in str(e)


def test_not_a_mapping():
    assert str(refusal([1, 2])).startswith("bad.yaml: [1, 2] is not a mapping; allowed: a mapping with fields id, citation")


def test_file_errors(tmp_path):
    broken = tmp_path / "BROKEN.yaml"
    broken.write_text("id: X\narms: [\n")
    with pytest.raises(InputError, match=r"BROKEN.yaml: is not valid YAML at line \d+"):
        load_spec(broken)
    with pytest.raises(InputError, match="cannot be read"):
        load_spec(tmp_path / "MISSING.yaml")
    bad = tmp_path / "LEDER2004_G1.yaml"
    data = raw("LEDER2004_G1")
    data["arms"][0]["endpoints"][0]["observable"] = "bioT"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as caught:
        load_spec(bad)
    assert str(caught.value).startswith(f"{bad}: arms[0].endpoints[0].observable: 'bioT' is not an observable")


def test_repeated_id_is_refused(tmp_path):
    for name in ("A.yaml", "B.yaml"):
        (tmp_path / name).write_text((LIBRARY / "LEDER2004_G1.yaml").read_text())
    with pytest.raises(InputError, match="'LEDER2004_G1' is also the id of"):
        load_specs([tmp_path])


def test_fitting_file_errors(tmp_path):
    path = tmp_path / "fitting.yaml"
    path.write_text("LEDER2004_G1: [anastrozole_imax, no_such_parameter]\n")
    with pytest.raises(InputError, match="'no_such_parameter' is not a parameter"):
        load_fitting(path)
    path.write_text("- LEDER2004_G1\n")
    with pytest.raises(InputError, match="allowed: a mapping of study id -> parameter list"):
        load_fitting(path)


# ---------------------------------------------------------------------------------------------
# random mutations of valid specs
# ---------------------------------------------------------------------------------------------

BASES = [raw(name) for name in ("KAMINETSKY2013_GEL", "SUPPRESSION_KINETICS2005", "COVIELLO2005", "REF_CHINA_CCLM2018",
                                "HCG6000_SINGLE", "LIU2006")]
FIELD_NAMES = ["id", "n", "unit", "kind", "week", "threshold", "after_week", "clock_hour", "ci", "tolerance", "note",
               "regimen", "weeks", "follow_up_weeks", "endpoints", "baseline", "value", "phenotype", "run_in"]
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
           | st.sampled_from(["mean", "fraction_below", "lh", "M/mL", "ng/dL", "eugonadal", "-", "1", "%"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | st.sampled_from(FIELD_NAMES), inner, max_size=3),
                      max_leaves=6)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from paths(child, (*prefix, i))


def mutate(data, draw):
    """One random change somewhere in ``data``: replace, delete, add a key, or edit text or a number."""
    path = draw(st.sampled_from(list(paths(data))))
    if not path:
        return draw(values) if draw(st.integers(0, 9)) == 0 else data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key, node = path[-1], parent[path[-1]]
    action = draw(st.sampled_from(["replace", "delete", "add", "edit"]))
    if action == "replace":
        parent[key] = draw(values)
    elif action == "delete":
        del parent[key]
    elif action == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=6))] = draw(values)
    elif action == "add" and isinstance(node, list):
        node.append(copy.deepcopy(node[0]) if node and draw(st.booleans()) else draw(values))
    elif isinstance(node, str):
        i = draw(st.integers(0, len(node)))
        j = draw(st.integers(i, len(node)))
        parent[key] = node[:i] + draw(st.text(max_size=8) | st.sampled_from(["0", "-1", " then ", ";", " for 2 weeks",
                                                                               " at 25:00", "999999", " IU"])) + node[j:]
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        parent[key] = draw(st.sampled_from([0, -1, -0.5, 1e300, -1e300, math.inf, math.nan, 10**400, 0.001])
                           | st.floats() | st.integers())
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_specs_load_or_raise_input_error(data):
    spec = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 3))):
        spec = mutate(spec, data.draw)
    try:
        result = parse_spec(spec, source="mutated.yaml")
    except InputError as e:
        assert "\n" not in str(e) and str(e).startswith("mutated.yaml")
    else:
        assert isinstance(result, TrialSpec)
        for arm in result.arms:  # the helpers work on whatever loaded
            assert arm.end_h >= 0
            for e in arm.endpoints:
                e.passes(e.value * 1.1)
                assert e.tolerance_label
        result.endpoints()


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200) | st.sampled_from([(LIBRARY / "LEDER2004_G1.yaml").read_text()[:n]
                                                      for n in range(0, 1200, 37)]))
def test_arbitrary_files_load_or_raise_input_error(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "SPEC.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_spec(path)
    except InputError as e:
        assert "\n" not in str(e) and str(e).startswith(str(path))


# ---------------------------------------------------------------------------------------------
# inclusion criteria
# ---------------------------------------------------------------------------------------------


def with_inclusion(criteria, name: str = "GNRH_PUMP_POORRESP") -> dict:
    data = raw(name)
    data["population"]["inclusion"] = criteria
    return data


def test_inclusion_criteria_read():
    spec = parse_spec(with_inclusion([
        {"observable": "total_testosterone", "below": 10.4, "unit": "nmol/L"},
        {"observable": "sperm_concentration", "below": 0.1, "unit": "M/mL", "at": "end_of_run_in"},
        {"observable": "t_e2_ratio", "at_least": 10}]))
    first, second, third = spec.population.inclusion
    assert (first.bound, first.threshold, first.unit, first.at) == ("below", 10.4, "nmol/L", "screening")
    assert second.label == "sperm_concentration < 0.1 M/mL at the end of the run-in"
    assert third.unit == "-" and third.label == "t_e2_ratio >= 10 at screening"
    assert list(first.passes([10.0, 10.4, 11.0, float("nan")])) == [True, False, False, False]
    assert list(third.passes([9.99, 10.0])) == [False, True]


def test_specs_without_inclusion_have_none():
    assert parse_spec(raw("LEDER2004_G1")).population.inclusion == []
    for path in EXAMPLE_FILES:
        assert load_spec(path).population.inclusion == []


@pytest.mark.parametrize("criterion, field, says", [
    ({"observable": "sperm", "below": 0.1, "unit": "M/mL"}, "observable", "'sperm' is not an observable; allowed:"),
    ({"observable": "lh", "unit": "IU/L"}, "below", "needs exactly one bound; allowed: below or at_least"),
    ({"observable": "lh", "below": 5, "at_least": 1, "unit": "IU/L"}, "at_least", "one bound, not both"),
    ({"observable": "lh", "below": 0, "unit": "IU/L"}, "below", "0 is not allowed; allowed: > 0"),
    ({"observable": "lh", "below": "low", "unit": "IU/L"}, "below", "allowed: a finite number"),
    ({"observable": "lh", "below": 5}, "unit", "missing; lh needs a unit; allowed: IU/L, mIU/mL"),
    ({"observable": "lh", "below": 5, "unit": "ng/dL"}, "unit", "'ng/dL' is not a unit of lh; allowed: IU/L"),
    ({"observable": "lh", "below": 5, "unit": "IU/L", "at": "baseline"}, "at",
     "'baseline' is not a screening time; allowed: screening, end_of_run_in"),
    ({"observable": "lh", "above": 5, "unit": "IU/L"}, "above",
     "unknown field; allowed: observable, below, at_least, unit, at, note"),
])
def test_bad_inclusion_criterion(criterion, field, says):
    e = refusal(with_inclusion([{"observable": "fsh", "below": 5, "unit": "IU/L"}, criterion]))
    assert e.field == f"bad.yaml: population.inclusion[1].{field}"
    assert says in str(e)


def test_inclusion_must_be_a_list():
    e = refusal(with_inclusion({"observable": "lh", "below": 5, "unit": "IU/L"}))
    assert e.field == "bad.yaml: population.inclusion" and "allowed: a list" in str(e)


def test_end_of_run_in_needs_a_run_in():
    data = with_inclusion([{"observable": "lh", "below": 5, "unit": "IU/L", "at": "end_of_run_in"}], "LEDER2004_G1")
    e = refusal(data)
    assert e.field == "bad.yaml: population.inclusion[0].at"
    assert "'end_of_run_in' needs a run_in; allowed: screening" in str(e)
