"""Titration to a lab target in the regimen language: grammar, canonical text, refusals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpgsim.labs import PLAUSIBLE
from hpgsim.physiology.model import OBSERVABLE_UNITS
from hpgsim.regimen import TITRATION_OBSERVABLES, DoseLevel, Frequency, Prescription, Regimen, Titration
from test_regimen import refusal  # one-line InputError naming the field

DAY = 24.0

LADDER_FREQUENCIES = ("daily", "every other day", "twice weekly", "3x/week", "weekly", "Mon/Tue/Thu/Fri", "twice daily")


def text(value: Decimal) -> str:
    return format(value.normalize(), "f")


@st.composite
def titrated_texts(draw) -> str:
    """Titrated prescriptions as a user would type them (any of the ladder forms)."""
    drug, unit, lo, hi = draw(st.sampled_from([("clomiphene citrate", "mg", 12.5, 100), ("anastrozole", "mg", 0.25, 10),
                                               ("testosterone gel", "mg", 10, 200), ("letrozole", "mg", 0.5, 5)]))
    step = Decimal(str(lo))
    n_below, n_above = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    if n_below + n_above == 0:
        n_above = 1
    start = step * (n_below + 1)
    frequency = draw(st.sampled_from(LADDER_FREQUENCIES))
    top = start + step * n_above
    if float(top) > hi:
        top, n_above = start, 0
        n_below = max(n_below, 1)
    obs, unit_lab, low, high = draw(st.sampled_from([
        ("total_testosterone", "ng/dL", "450", "650"), ("total testosterone", "nmol/L", "15", "25"),
        ("T", "ng/dL", "500", "600"), ("E2", "pg/mL", "20", "40"), ("estradiol", "pmol/L", "70", "150"),
        ("LH", "IU/L", "3", "8"), ("free T", "pg/mL", "90", "200")]))
    target = draw(st.sampled_from([f"{low}-{high}", f"at least {low}", f"at most {high}"]))
    interval = draw(st.sampled_from(["every 2 weeks", "every 6 weeks", "monthly", "every 10 days", "weekly"]))
    words = [f"{drug} {text(start)} {unit} {frequency}", f"titrate to {obs} {target} {unit_lab} {interval}"]
    form = draw(st.sampled_from(["limits", "steps", "doses"]))
    below = [start - step * k for k in range(n_below, 0, -1)]
    above = [start + step * k for k in range(1, n_above + 1)]
    if form == "doses":
        words.append("doses " + ", ".join(f"{text(a)} {unit} {frequency}" for a in [*below, start, *above]))
    else:
        if below:
            words.append(f"down to {text(below[0])} {unit}")
        if above:
            words.append(f"up to {text(above[-1])} {unit}")
        if form == "steps":
            words.append(f"in steps of {text(step)} {unit}")
    return (", " if draw(st.booleans()) else " ").join([words[0], " ".join(words[1:])])


@st.composite
def titrations(draw) -> Prescription:
    """Any valid titrated prescription object (amounts as arbitrary floats)."""
    n = draw(st.integers(2, 5))
    amounts = sorted(draw(st.lists(st.floats(0.125, 10.0), min_size=n, max_size=n, unique=True)))
    frequency = Frequency.parse(draw(st.sampled_from(LADDER_FREQUENCIES)))
    levels = tuple(DoseLevel(amount=a, frequency=frequency) for a in amounts)
    start = draw(st.sampled_from(levels))
    low = draw(st.floats(100, 800))
    high = draw(st.one_of(st.just(float("inf")), st.floats(low + 1, 2000)))
    t = Titration(observable="total_testosterone", low=low, high=high, unit="ng/dL",
                  every_days=draw(st.integers(1, 120)), levels=levels)
    step = Prescription.parse(f"anastrozole 1 mg PO {frequency}").steps[0]
    return Prescription(drug="anastrozole", steps=(replace(step, amount=start.amount),), titration=t,
                        start_day=draw(st.integers(0, 30)))


@settings(deadline=None)
@given(titrated_texts())
def test_any_titrated_text_reads_back_from_its_canonical_text(typed):
    r = Regimen.parse(typed)
    assert r.titrated
    assert Regimen.parse(str(r)) == r
    assert str(Regimen.parse(str(r))) == str(r)


@settings(deadline=None)
@given(titrations())
def test_any_titrated_prescription_reads_back_from_its_text(p):
    assert Prescription.parse(str(p)) == p


@settings(max_examples=50, deadline=None)
@given(titrated_texts())
def test_the_ladder_holds_the_start_dose_in_increasing_weekly_amount(typed):
    p = Regimen.parse(typed).prescriptions[0]
    weekly = [lv.weekly for lv in p.titration.levels]
    assert weekly == sorted(weekly) and len(set(weekly)) == len(weekly)
    assert p.start_level in p.titration.levels


def test_the_forms_of_the_ladder():
    p = Prescription.parse("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 50 mg")
    assert [(lv.amount, str(lv.frequency)) for lv in p.titration.levels] == [(25.0, "every other day"),
                                                                               (50.0, "every other day")]
    assert str(p) == ("clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL "
                      "every 6 weeks up to 50 mg")
    p = Prescription.parse("clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 450-650 ng/dL "
                           "every 6 weeks up to 50 mg daily")
    assert [str(lv.frequency) for lv in p.titration.levels] == ["every other day", "daily"]
    p = Prescription.parse("anastrozole 1 mg twice weekly, titrate to E2 20-40 pg/mL every 3 weeks down to 0.5 mg "
                           "up to 2 mg in steps of 0.25 mg")
    assert [lv.amount for lv in p.titration.levels] == [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    p = Prescription.parse("letrozole 2.5 mg weekly, titrate to T at least 20 nmol/L monthly doses 2.5 mg weekly, "
                           "2.5 mg twice weekly, 2.5 mg daily")
    assert p.titration.every_days == 28 and p.titration.high == float("inf")
    assert p.titration.target_canonical()[0] == pytest.approx(20 * 288.42 / 10)  # 20 nmol/L in ng/dL
    assert "at least 20 nmol/L monthly doses 2.5 mg weekly, 2.5 mg twice weekly, 2.5 mg daily" in str(p)


def test_a_check_moves_one_rung_and_stays_on_the_ladder():
    t = Prescription.parse("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks down to 12.5 mg "
                           "up to 50 mg").titration
    assert [t.next_level(1, v) for v in (499.0, 500.0, 550.0, 600.0, 601.0, float("nan"))] == [2, 1, 1, 1, 0, 1]
    assert t.next_level(2, 100.0) == 2 and t.next_level(0, 900.0) == 0


def test_checks_fall_at_0800_every_interval_while_the_prescription_doses():
    p = Prescription.parse("testosterone gel 50 mg daily from day 7 to day 50, titrate to T 300-1000 ng/dL every 2 "
                           "weeks up to 100 mg")
    assert p.check_times(1e6) == [21 * DAY + 8, 35 * DAY + 8, 49 * DAY + 8]
    assert p.check_times(30 * DAY) == [21 * DAY + 8]


def test_titrated_events_keep_the_calendar_of_the_prescription():
    p = Prescription.parse("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 50 mg daily")
    events = p.titrated_events([(0.0, 0), (42 * DAY + 8, 1)], 46 * DAY)
    days = [(int(e.time_h // DAY), e.amount) for e in events]
    assert days[-5:] == [(40, 25.0), (42, 50.0), (43, 50.0), (44, 50.0), (45, 50.0)]
    assert p.events(46 * DAY, at_start_dose=True)[-1].amount == 25.0


@pytest.mark.parametrize(
    ("typed", "field", "fragments"),
    [
        ("Clomid 25 mg every other day, titrate to testicle 500-600 ng/dL every 6 weeks up to 50 mg", "observable",
         ["testicle", "total_testosterone", "estradiol"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 furlongs every 6 weeks up to 50 mg", "unit",
         ["furlongs", "ng/dL", "nmol/L"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 IU/L every 6 weeks up to 50 mg", "unit",
         ["IU/L", "ng/dL"]),
        ("Clomid 25 mg every other day, titrate to T 600-500 ng/dL every 6 weeks up to 50 mg", "target",
         ["600-500", "low < high"]),
        ("Clomid 25 mg every other day, titrate to T 500-9000 ng/dL every 6 weeks up to 50 mg", "target",
         ["9000", "plausible"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL sometimes up to 50 mg", "interval",
         ["sometimes", "every N days|weeks"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 1.5 days up to 50 mg", "interval",
         ["whole number of days"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks", "ladder", ["no doses"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 12.5 mg", "ladder",
         ["up to 12.5 mg", "not more per week"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 500 mg", "dose",
         ["500 mg", "outside the allowed range"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 60 mg in steps of 25 mg",
         "ladder", ["whole number of steps"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks doses 50 mg daily, 100 mg daily",
         "ladder", ["starting dose", "not one of the doses"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks doses 25 mg every other day, "
         "12.5 mg daily, 12.5 mg every other day", "ladder", ["increasing order"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks maybe more", "ladder",
         ["maybe more", "up to DOSE"]),
        ("Clomid 25 mg every other day for 2 weeks then 50 mg daily, titrate to T 500-600 ng/dL every 6 weeks "
         "up to 100 mg", "titration", ["then", "one-step"]),
        ("degarelix 240 mg SC once, titrate to T 0-50 ng/dL every 4 weeks up to 480 mg", "titration", ["once"]),
        ("Clomid 25 mg every other day, titrate to T", "titration", ["titrate to OBSERVABLE LOW-HIGH UNIT"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 50 mg up to 75 mg", "ladder",
         ["'up to' is given twice"]),
        ("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks down to 50 mg", "ladder",
         ["down to 50 mg", "not less per week"]),
    ],
)
def test_bad_titration_text_is_refused_naming_the_field(typed, field, fragments):
    message = refusal(lambda: Regimen.parse(typed), field)
    for fragment in fragments:
        assert fragment in message, message
    assert "allowed" in message or "range" in message, message  # what is wrong and what is allowed, on one line


def test_doses_of_a_titrated_regimen_are_not_a_table_or_a_fixed_list():
    r = Regimen.parse("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks up to 50 mg; "
                      "anastrozole 1 mg PO twice weekly")
    assert r.titrated
    refusal(lambda: r.events(30 * DAY), "titration")
    message = refusal(lambda: r.to_nonmem(until_h=30 * DAY), "regimen")
    assert "titrated" in message and "NONMEM" in message
    assert len(r.events(14 * DAY, at_start_dose=True)) == 7 + 4


def test_objects_built_directly_are_checked_too():
    daily = Frequency.parse("daily")
    levels = (DoseLevel(amount=1.0, frequency=daily), DoseLevel(amount=2.0, frequency=daily))
    refusal(lambda: Titration(observable="lh", low=3, high=2, unit="IU/L", every_days=14, levels=levels), "target")
    refusal(lambda: Titration(observable="lh", low=2, high=8, unit="IU/L", every_days=0, levels=levels), "interval")
    refusal(lambda: Titration(observable="lh", low=2, high=8, unit="IU/L", every_days=7, levels=levels[::-1]), "ladder")
    t = Titration(observable="LH", low=2, high=8, unit="iu/l", every_days=7, levels=levels)
    assert (t.observable, t.unit) == ("lh", "IU/L")
    step = Prescription.parse("anastrozole 0.5 mg PO daily").steps[0]
    refusal(lambda: Prescription(drug="anastrozole", steps=(step,), titration=t), "ladder")


def test_titration_observables_are_labs_the_model_reports():
    for name in TITRATION_OBSERVABLES:
        assert name in OBSERVABLE_UNITS and name in PLAUSIBLE
        assert OBSERVABLE_UNITS[name] == PLAUSIBLE[name].unit


def test_a_drug_that_lowers_its_lab_is_titrated_the_other_way():
    # an aromatase inhibitor lowers estradiol: a man above the target needs more of it, one below less
    ai = Prescription.parse("anastrozole 1 mg twice weekly, titrate to E2 20-40 pg/mL every 3 weeks down to 0.5 mg "
                            "up to 2 mg in steps of 0.5 mg")
    assert ai.lowers_target and ai.titration.levels[ai.next_level(1, 60.0)].amount == 1.5
    assert ai.titration.levels[ai.next_level(1, 10.0)].amount == 0.5 and ai.next_level(1, 30.0) == 1
    # the same drug raises testosterone (less estradiol feedback): below the target, more of it
    up = Prescription.parse("letrozole 2.5 mg weekly, titrate to T at least 20 nmol/L monthly up to 2.5 mg daily")
    assert not up.lowers_target and up.next_level(0, 400.0) == 1
    gel = Prescription.parse("testosterone gel 50 mg daily, titrate to LH at most 2 IU/L every 4 weeks up to 100 mg")
    assert gel.lowers_target and gel.next_level(0, 5.0) == 1


def test_the_labs_a_drug_lowers_come_from_its_class_in_the_catalog():
    from hpgsim.drugs.catalog import DRUGS, LOWERED_BY_CLASS, lookup_drug

    assert set(LOWERED_BY_CLASS) <= {d.drug_class for d in DRUGS}  # no class name the catalog does not use
    assert set(LOWERED_BY_CLASS["aromatase inhibitor"]) == {"estradiol"}
    assert lookup_drug("letrozole").lowers == {"estradiol"} and not lookup_drug("clomiphene").lowers
    assert all(o in TITRATION_OBSERVABLES for labs in LOWERED_BY_CLASS.values() for o in labs)


def test_a_cohort_on_an_aromatase_inhibitor_titrated_to_estradiol_moves_toward_the_range():
    from hpgsim.patient import phenotype
    from hpgsim.population import virtual_population
    from hpgsim.simulate import simulate_cohort

    men = virtual_population(8, seed=1, base=phenotype("secondary_hypogonadism"))
    reg = ("anastrozole 1 mg PO twice weekly, titrate to estradiol 20-30 pg/mL every 4 weeks down to 0.25 mg "
           "up to 2 mg in steps of 0.25 mg")
    res = simulate_cohort(men, reg, days=57, sample_days=[0, 56], observables=["estradiol"])
    h = res.dose_history[res.dose_history.day > 0]
    below, above = h[h.value < 20.0], h[h.value > 30.0]
    assert len(below) > 0  # 1 mg twice weekly takes these men's estradiol below 20 pg/mL
    prev = res.dose_history.set_index(["patient", "day"]).level
    for _, row in below.iterrows():
        before = prev[(row.patient, row.day - 28.0)]
        assert row.level == max(before - 1, 0)
    for _, row in above.iterrows():
        assert row.level == min(prev[(row.patient, row.day - 28.0)] + 1, 7)
