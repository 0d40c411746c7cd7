"""Behaviours of the regimen language: prescriptions as text, dose events, NONMEM tables."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import hpgsim.regimen
from hpgsim.drugs.catalog import DRUGS
from hpgsim.errors import InputError
from hpgsim.regimen import Frequency, Prescription, Regimen, Step, parse_regimen

DAY = 24.0
WEEK = 168.0


def dose_days(text: str, days: int) -> list[int]:
    """The day number of each dose of ``text`` in the first ``days`` days."""
    return [int(e.time_h // DAY) for e in Regimen.parse(text).events(until_h=days * DAY)]


def refusal(call, field: str) -> str:
    with pytest.raises(InputError) as caught:
        call()
    message = str(caught.value)
    assert caught.value.field == field, message
    assert message.startswith(f"{field}: ") and "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------
# generated prescriptions
# ---------------------------------------------------------------------------------------------

CANONICAL_FREQUENCIES = (
    "once", "daily", "twice daily", "every other day", "twice weekly", "3x/week", "weekly", "every 2 weeks",
    "monthly", "every 90 minutes", "every 12 hours", "every 3 days", "every 6 weeks", "Mon/Thu", "Tue/Sat",
    "Mon/Wed/Fri", "Sun",
)


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def duration_text(days: int) -> str:
    n, unit = (days // 7, "week") if days % 7 == 0 else (days, "day")
    return f"{n} {unit}{'' if n == 1 else 's'}"


@st.composite
def step_texts(draw, drug, *, first: bool, last: bool) -> str:
    """Canonical text of one step, without the drug; a step before 'then' ends after whole days."""
    places = draw(st.integers(0, 3))
    amount = draw(st.decimals(Decimal(str(drug.dose_min)), Decimal(str(drug.dose_max)), places=places))
    route = draw(st.sampled_from([r.route for r in drug.routes]))
    frequency = draw(st.sampled_from(CANONICAL_FREQUENCIES if last else CANONICAL_FREQUENCIES[1:]))
    words = [decimal_text(amount), drug.dose_unit, route, frequency]
    hh, mm = draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))
    if (hh, mm) != (8, 0) and draw(st.booleans()):
        words.append(f"at {hh:02d}:{mm:02d}")
    start = draw(st.integers(1, 60)) if first and draw(st.booleans()) else 0
    end = "days" if not last else "none" if frequency == "once" else draw(st.sampled_from(["none", "days", "doses"]))
    if end == "doses":
        doses = draw(st.integers(1, 30))
        words.append(f"for {doses} dose{'' if doses == 1 else 's'}")
    if end == "days":
        days = draw(st.integers(1, 120))
        words.append(f"from day {start} to day {start + days}" if start else f"for {duration_text(days)}")
    elif start:
        words.append(f"starting day {start}")
    return " ".join(words)


@st.composite
def prescription_texts(draw) -> str:
    drug = draw(st.sampled_from(DRUGS))
    n = draw(st.integers(1, 3))
    steps = [draw(step_texts(drug, first=i == 0, last=i == n - 1)) for i in range(n)]
    return f"{drug.display} " + " then ".join(steps)


def frequencies() -> st.SearchStrategy[Frequency]:
    return st.one_of(
        st.just(Frequency(kind="once")),
        st.just(Frequency(kind="twice daily")),
        st.floats(0.5, 1000.0).map(lambda h: Frequency(kind="every", interval_h=h)),
        st.sampled_from([1.5, 12.0, 24.0, 48.0, WEEK, 2 * WEEK, 4 * WEEK]).map(
            lambda h: Frequency(kind="every", interval_h=h)),
        st.sets(st.integers(0, 6), min_size=1).map(lambda d: Frequency(kind="weekdays", weekdays=tuple(d))),
        st.sampled_from(["twice weekly", "3x/week"]).map(Frequency.parse),
    )


@st.composite
def prescriptions(draw) -> Prescription:
    """Any valid prescription object, amounts and intervals as arbitrary floats."""
    drug = draw(st.sampled_from(DRUGS))
    n = draw(st.integers(1, 3))
    steps = []
    for i in range(n):
        frequency = draw(frequencies() if i == n - 1 else frequencies().filter(lambda f: f.kind != "once"))
        end = {} if frequency.kind == "once" else draw(st.sampled_from(
            [{"days": d} for d in (1, 3, 14, 30)] + ([{}, {"doses": 5}] if i == n - 1 else [])))
        steps.append(Step(
            amount=draw(st.floats(drug.dose_min, drug.dose_max)),
            route=draw(st.sampled_from([r.route for r in drug.routes])),
            frequency=frequency,
            clock_h=draw(st.integers(0, 86399)) / 3600,
            **end,
        ))
    return Prescription(drug=drug.name, steps=tuple(steps), start_day=draw(st.integers(0, 30)))


@given(prescription_texts())
def test_canonical_text_prints_back_unchanged(text):
    assert str(Regimen.parse(text)) == text


@given(prescriptions())
def test_any_prescription_reads_back_from_its_text(p):
    assert Prescription.parse(str(p)) == p
    assert Regimen.parse(str(Regimen(prescriptions=(p,)))) == Regimen(prescriptions=(p,))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(prescriptions(), min_size=1, max_size=3), st.floats(1.0, 40 * DAY))
def test_events_survive_a_nonmem_round_trip(items, until_h):
    regimen = Regimen(prescriptions=tuple(items))
    table = regimen.to_nonmem(until_h=until_h)
    back = Regimen.from_nonmem(table)
    assert back.events(until_h) == regimen.events(until_h)
    assert_frame_equal(back.to_nonmem(), table)
    assert Regimen.parse(str(back)) == back


@settings(max_examples=40, deadline=None)
@given(st.lists(prescription_texts(), min_size=1, max_size=3))
def test_parsed_regimens_survive_a_nonmem_round_trip(texts):
    regimen = Regimen.parse(texts)
    until_h = 100 * DAY
    back = Regimen.from_nonmem(regimen.to_nonmem(until_h=until_h))
    assert back.events(until_h) == regimen.events(until_h)


# ---------------------------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------------------------


def test_mon_wed_fri_is_three_weekly_series_dosing_on_days_0_2_4_7_9_11():
    text = "FSH 150 IU SC Mon/Wed/Fri"
    assert dose_days(text, 14) == [0, 2, 4, 7, 9, 11]
    table = Regimen.parse(text).to_nonmem(until_h=12 * WEEK)
    assert list(table["II"]) == [WEEK] * 3 and list(table["TIME"]) == [8.0, 56.0, 104.0]
    assert list(table["ADDL"]) == [11, 11, 11]


def test_3x_week_doses_like_mon_wed_fri_and_three_times_weekly():
    expected = dose_days("hCG 2000 IU SC Mon/Wed/Fri", 60)
    assert dose_days("hCG 2000 IU SC 3x/week", 60) == expected
    assert dose_days("hCG 2000 IU SC three times weekly", 60) == expected
    assert str(Regimen.parse("hCG 2000 IU SC three times weekly")) == "hCG 2000 IU SC 3x/week"


def test_twice_weekly_doses_on_monday_and_thursday():
    days = dose_days("anastrozole 1 mg PO twice weekly", 21)
    assert [d % 7 for d in days] == [0, 3] * 3


def test_weekday_schedule_starting_midweek_waits_for_its_weekdays():
    assert dose_days("hCG 1500 IU SC Mon/Thu starting day 2", 14) == [3, 7, 10]


def test_weekly_starts_on_the_start_day_whatever_its_weekday():
    assert dose_days("testosterone cypionate 100 mg IM weekly starting day 2", 20) == [2, 9, 16]


def test_every_90_minutes_gives_16_doses_a_day_from_0800():
    times = [e.time_h for e in Regimen.parse("gonadorelin 5 ug SC every 90 minutes").events(until_h=8 * DAY)]
    assert times[0] == 8.0 and times[1] == 9.5
    assert sum(DAY <= t < 2 * DAY for t in times) == 16


def test_twice_daily_doses_at_0800_and_2000():
    times = [e.time_h for e in Regimen.parse("clomiphene 25 mg PO twice daily").events(until_h=2 * DAY)]
    assert times == [8.0, 20.0, 32.0, 44.0]


def test_monthly_doses_are_28_days_apart():
    times = [e.time_h for e in Regimen.parse("leuprolide 7.5 mg IM monthly").events(until_h=365 * DAY)]
    assert {b - a for a, b in zip(times, times[1:])} == {28 * DAY}
    assert str(Regimen.parse("leuprolide 7.5 mg IM every 4 weeks")) == "leuprolide 7.5 mg IM monthly"


def test_daily_for_2_weeks_gives_14_doses():
    assert len(dose_days("anastrozole 1 mg PO daily for 2 weeks", 100)) == 14


def test_from_day_to_day_doses_in_the_half_open_window():
    assert dose_days("anastrozole 1 mg PO daily from day 14 to day 70", 100) == list(range(14, 70))
    assert Regimen.parse("anastrozole 1 mg PO daily for 8 weeks starting day 14") == Regimen.parse(
        "anastrozole 1 mg PO daily from day 14 to day 70")


def test_then_steps_switch_dose_on_the_day_the_previous_step_ends():
    text = "clomiphene citrate 25 mg PO daily for 4 weeks then 50 mg PO daily for 8 weeks"
    events = Regimen.parse(text).events(until_h=200 * DAY)
    assert len(events) == 84
    assert {e.amount for e in events if e.time_h < 28 * DAY} == {25.0}
    assert {e.amount for e in events if e.time_h >= 28 * DAY} == {50.0}
    assert events[28].time_h == 28 * DAY + 8
    assert len(Regimen.parse(text).to_nonmem()) == 2


def test_a_then_step_inherits_drug_and_route():
    p = Prescription.parse("hCG 1000 IU IM Mon/Thu for 2 weeks then 2000 IU 3x/week")
    assert [s.route for s in p.steps] == ["IM", "IM"]
    assert {e.cmt for e in p.events(until_h=50 * DAY)} == {7}


def test_no_duration_runs_to_the_end_of_the_simulation():
    assert len(dose_days("anastrozole 1 mg PO daily", 30)) == 30


@pytest.mark.parametrize(
    ("text", "drug"),
    [("Clomid 50 mg PO daily", "clomiphene"), ("rFSH 150 IU SC 3x/week", "fsh"),
     ("follitropin alfa 150 IU SC 3x/week", "fsh"), ("chorionic gonadotropin 1500 IU SC twice weekly", "hcg"),
     ("HCG 1500 IU SC twice weekly", "hcg"), ("Testosterone Cypionate 100 mg IM weekly", "testosterone_cypionate")],
)
def test_aliases_resolve_to_the_canonical_drug(text, drug):
    assert Regimen.parse(text).drugs == (drug,)


def test_doses_print_in_the_fields_conventions():
    assert str(Regimen.parse("anastrozole .5 mg PO daily")) == "anastrozole 0.5 mg PO daily"
    assert str(Regimen.parse("anastrozole 1.0 mg PO daily")) == "anastrozole 1 mg PO daily"
    assert str(Regimen.parse("hCG 2,000 IU SC 3x/week")) == "hCG 2000 IU SC 3x/week"
    assert str(Regimen.parse("Clomid 25 mg orally QD")) == "clomiphene citrate 25 mg PO daily"


def test_mass_units_convert_to_the_drugs_dose_unit():
    assert Prescription.parse("anastrozole 500 mcg PO daily").steps[0].amount == 0.5
    assert Prescription.parse("gonadorelin 0.005 mg SC every 90 minutes").steps[0].amount == 5.0
    assert Prescription.parse("testosterone undecanoate 0.75 g IM every 10 weeks").steps[0].amount == 750.0


def test_route_defaults_to_the_drugs_first_route():
    assert Prescription.parse("hCG 1500 IU twice weekly").steps[0].route == "SC"


def test_at_sets_the_dose_clock():
    times = [e.time_h for e in Regimen.parse("anastrozole 1 mg PO daily at 21:30").events(until_h=2 * DAY)]
    assert times == [21.5, 45.5]


def test_several_agents_read_from_a_list_or_joined_by_semicolon_or_plus():
    a, b = "anastrozole 1 mg PO twice weekly", "hCG 1500 IU SC Mon/Thu"
    assert Regimen.parse([a, b]) == Regimen.parse(f"{a}; {b}") == Regimen.parse(f"{a} + {b}") == parse_regimen([a, b])
    assert str(Regimen.parse([a, b])) == f"{a}; {b}"
    assert Regimen.parse([a, b]).drugs == ("anastrozole", "hcg")


def test_events_are_time_sorted_across_agents():
    events = Regimen.parse("hCG 1500 IU SC Mon/Thu; anastrozole 1 mg PO daily").events(until_h=10 * DAY)
    assert [e.time_h for e in events] == sorted(e.time_h for e in events)
    assert (events[0].drug, events[0].cmt, events[0].route) == ("anastrozole", 1, "PO")


# ---------------------------------------------------------------------------------------------
# NONMEM tables
# ---------------------------------------------------------------------------------------------


def test_open_ended_regimen_needs_until_h_for_a_table():
    regimen = Regimen.parse("anastrozole 1 mg PO daily")
    assert "anastrozole" in refusal(regimen.to_nonmem, "until_h")
    assert list(regimen.to_nonmem(until_h=3 * DAY)["ADDL"]) == [2]


def test_table_reads_back_from_a_csv_path(tmp_path):
    regimen = Regimen.parse("FSH 150 IU SC Mon/Wed/Fri for 12 weeks; hCG 1500 IU SC twice weekly for 12 weeks")
    path = tmp_path / "doses.csv"
    regimen.to_nonmem().to_csv(path, index=False)
    back = Regimen.from_nonmem(path)
    assert back.events(1e4) == regimen.events(1e4)
    assert str(back) == "hCG 1500 IU SC Mon/Thu for 12 weeks; FSH 150 IU SC Mon/Wed/Fri for 12 weeks"
    assert Regimen.from_nonmem(str(path)) == back


def test_table_with_an_arbitrary_interval_prints_as_every_n_hours():
    table = pd.DataFrame({"ID": [1, 1], "TIME": [0.0, 10.0], "AMT": [0.0, 100.0], "CMT": [1, 17],
                          "EVID": [0, 1], "II": [0.0, 30.0], "ADDL": [0, 3]})
    regimen = Regimen.from_nonmem(table)
    assert str(regimen) == "testosterone cypionate 100 mg IM every 30 hours at 10:00 for 5 days"
    assert [e.time_h for e in regimen.events(1000)] == [10.0, 40.0, 70.0, 100.0]
    assert_frame_equal(regimen.to_nonmem()[table.columns], table.iloc[[1]].reset_index(drop=True), check_dtype=False)


def nonmem(**changes) -> pd.DataFrame:
    table = Regimen.parse("hCG 1500 IU SC Mon/Thu for 4 weeks").to_nonmem()
    for column, (row, value) in changes.items():
        table.loc[row, column] = value
    return table


@pytest.mark.parametrize(
    ("table", "field", "fragment"),
    [
        (nonmem(ADDL=(0, 3), II=(0, 0.0)), "ADDL", "row 1"),
        (nonmem(TIME=(1, 1.0)), "TIME", "row 2"),
        (nonmem(AMT=(0, 0.0)), "AMT", "row 1"),
        (nonmem(CMT=(1, 99)), "CMT", "99"),
        (nonmem(ID=(1, 2)), "ID", "1, 2"),
        (nonmem(EVID=(0, 2)), "EVID", "row 1"),
        (nonmem(AMT=(0, 1e6)), "AMT", "outside the allowed range"),
        (nonmem(DRUG=(0, "anastrozole")), "DRUG", "row 1"),
        (nonmem().drop(columns="CMT"), "CMT", "missing"),
    ],
    ids=["ADDL without II", "unsorted TIME", "AMT 0 on a dose", "unknown CMT", "several IDs", "EVID 2",
         "AMT out of range", "DRUG disagrees with CMT", "missing column"],
)
def test_invalid_tables_are_refused_naming_column_and_row(table, field, fragment):
    assert fragment in refusal(lambda: Regimen.from_nonmem(table), field)


def test_observation_rows_are_ignored_but_must_carry_no_amount():
    table = pd.concat([nonmem(), pd.DataFrame({"ID": [1], "TIME": [700.0], "AMT": [0.0], "CMT": [0], "EVID": [0],
                                               "II": [0.0], "ADDL": [0]})], ignore_index=True)
    assert Regimen.from_nonmem(table) == Regimen.parse("hCG 1500 IU SC Mon/Thu for 4 weeks")
    table.loc[2, "AMT"] = 5.0
    assert "row 3" in refusal(lambda: Regimen.from_nonmem(table), "AMT")


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "fragments"),
    [
        ("anastrozole 1000 mg PO daily", "dose", ["1000 mg", "anastrozole", "0.125-10 mg"]),
        ("aspirin 100 mg PO daily", "drug", ["aspirin", "anastrozole", "clomiphene citrate", "hCG"]),
        ("anastrozole 1 mg PO now and then", "frequency", ["twice weekly", "Mon/Wed/Fri"]),
        ("anastrozole 1 mg PO fortnightly-ish", "frequency", ["fortnightly-ish", "every N"]),
        ("anastrozole 1 IU PO daily", "unit", ["IU", "anastrozole", "mg"]),
        ("hCG 1 mg SC daily", "unit", ["mg", "hCG", "IU"]),
        ("anastrozole 1 mg PO daily for 4 weeks until day 60", "duration", ["for 4 weeks", "until day 60"]),
        ("degarelix 240 mg SC once for 4 weeks", "duration", ["once", "for 4 weeks"]),
        ("anastrozole 1 mg PO daily then 2 mg PO daily", "duration", ["then", "for N days|weeks"]),
        ("anastrozole 1 mg PO daily for 2 weeks then 2 mg PO daily starting day 30", "start", ["starting day 30"]),
        ("anastrozole 1 mg PO daily starting day 3 from day 5 to day 9", "start", ["starting day 3", "from day 5"]),
        ("anastrozole 1 mg IM daily", "route", ["IM", "PO"]),
        ("anastrozole 1 mg PO daily for 2 weeks then letrozole 2.5 mg PO daily", "drug", ["letrozole", ";"]),
        ("anastrozole 1 mg PO daily at 24:00", "clock", ["24:00"]),
        ("anastrozole PO daily", "dose", ["no dose"]),
    ],
)
def test_bad_prescriptions_are_refused_naming_the_field(text, field, fragments):
    message = refusal(lambda: Regimen.parse(text), field)
    for fragment in fragments:
        assert fragment in message


def test_objects_built_directly_are_checked_too():
    step = Step(amount=1.0, route="PO", frequency=Frequency.parse("daily"))
    refusal(lambda: Prescription(drug="anastrozole", steps=(step, step)), "duration")
    refusal(lambda: Prescription(drug="anastrozole", steps=(Step(amount=50.0, route="PO", frequency=step.frequency),)),
            "dose")
    refusal(lambda: Step(amount=1.0, route="PO", frequency=Frequency(kind="once"), days=3), "duration")
    assert Prescription(drug="Arimidex", steps=(step,)).drug == "anastrozole"


def test_module_examples_run():
    assert doctest.testmod(hpgsim.regimen).failed == 0
