"""The regimen language: prescriptions as text, dose events, and NONMEM-style dosing tables.

A prescription reads the way the field writes one, ``drug dose unit route frequency
[at HH:MM] [duration] [start] [then ...]``::

    clomiphene citrate 25 mg PO daily for 4 weeks then 50 mg PO daily for 8 weeks
    FSH 150 IU SC Mon/Wed/Fri starting day 28
    anastrozole 1 mg PO daily from day 14 to day 70

Time
    Model time is hours from the start of the simulation, 00:00 on day 0; day 0 is a Monday.
    A dose falls at 08:00 of its day (:data:`DOSE_CLOCK_HOUR`) unless the step says
    ``at HH:MM`` (or ``at HH:MM:SS``); clock times are kept to the second. Sub-daily intervals
    (``every 90 minutes``) start at that clock time on the start day and then run across
    midnight.
Frequencies
    ``once``; ``daily``; ``twice daily`` (08:00 and 20:00: two daily series 12 h apart);
    ``every other day``; ``weekly``; ``every 2 weeks``; ``monthly``, which here means every
    4 weeks (28 days), as do ``every N months`` = every 4N weeks; ``every N minutes|hours|
    days|weeks``; and weekday schedules: ``Mon/Wed/Fri``, ``Tue/Sat``, ``twice weekly``
    (= Mon/Thu) and ``3x/week`` or ``three times weekly`` (= Mon/Wed/Fri). A weekday schedule
    is one weekly series per weekday, each starting on the first such weekday on or after the
    start day. ``weekly`` and the other interval schedules start on the start day itself,
    whatever its weekday. Common aliases are read (``QD``, ``BID``, ``q12h``, ``once a week``)
    but printed in the canonical words above; an interval prints by its nicest name
    (``every 24 hours`` prints ``daily``, ``every 4 weeks`` prints ``monthly``).
Duration and start
    A step doses in the half-open window [start, end) of whole days: ``daily for 2 weeks`` is
    14 doses on days 0-13, ``from day 14 to day 70`` doses on days 14-69 and ``until day 60``
    stops before day 60. ``for N doses`` counts doses instead of days. ``starting day N`` (or
    ``from day N``) sets the first day. Without an end a prescription runs until the end of
    the simulation. Inputs that say the same thing twice (``for 4 weeks until day 60``,
    ``once for 4 weeks``, ``starting day 7 from day 14``) are refused rather than guessed.
Steps
    ``then`` starts the next step on the day the previous one ends, so every step but the last
    needs a duration in days or weeks; a step after ``then`` may leave out the drug and the
    route, which it inherits, and may not set its own start.
Regimens
    Several agents are a list of prescriptions, or one string joined by ``;`` or ``+``.
Titration to a lab target
    A one-step prescription may end in ``, titrate to OBSERVABLE TARGET UNIT every N days|weeks
    LADDER``::

        clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL every 6 weeks up to 50 mg
        anastrozole 1 mg PO twice weekly, titrate to estradiol 20-40 pg/mL every 4 weeks down to 0.5 mg up to 2 mg in steps of 0.5 mg
        letrozole 2.5 mg PO weekly, titrate to total_testosterone at least 20 nmol/L monthly doses 2.5 mg weekly, 2.5 mg twice weekly, 2.5 mg daily

    OBSERVABLE is a lab of :data:`TITRATION_OBSERVABLES` (or T, free T, E2); TARGET is
    ``LOW-HIGH``, ``at least LOW`` or ``at most HIGH`` in any unit the patient file accepts for
    that lab. The checks fall at 08:00 (before the morning dose) every interval from the start:
    below the target a man moves one rung up the ladder, above it one rung down, within it he
    stays, and he never leaves the ladder. A drug that lowers the lab (:attr:`~hpgsim.drugs.catalog.DrugInfo.lowers`: an
    aromatase inhibitor titrated to estradiol, an androgen or hCG to LH or FSH, a GnRH analogue
    to the axis) moves the other way: above the target one rung up. The ladder is ``up to DOSE [frequency]`` and/or
    ``down to DOSE [frequency]`` (the start and those limits), with ``in steps of DOSE`` the
    rungs between them at the starting frequency, or ``doses DOSE frequency, ...`` listing every
    rung, lowest amount a week first. Every rung keeps the prescription's calendar. A titrated
    prescription's doses depend on each man's labs: :meth:`Regimen.events` refuses it (unless
    ``at_start_dose``), and so do the NONMEM table and the SBML export.

Canonical text is what ``str`` gives: the catalog's display name, ``0.5 mg`` (not ``.5 mg``),
``1 mg`` (not ``1.0 mg``), ``2000 IU`` (not ``2,000 IU``), the route always, a duration in
weeks when it is a whole number of weeks, and ``from day N to day M`` for a first step that
both starts late and ends. ``Regimen.parse(str(r)) == r`` for every regimen.

>>> r = Regimen.parse("hCG 1,500 IU SC Mon/Thu for 2 weeks + Clomid 25 mg PO every other day")
>>> print(r)
hCG 1500 IU SC Mon/Thu for 2 weeks; clomiphene citrate 25 mg PO every other day
>>> [(e.time_h, e.drug, e.amount) for e in r.events(until_h=4 * 24)]
[(8.0, 'clomiphene', 25.0), (8.0, 'hcg', 1500.0), (56.0, 'clomiphene', 25.0), (80.0, 'hcg', 1500.0)]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from hpgsim.drugs.catalog import DRUGS, DrugInfo, drug_names, lookup_drug, route_for_cmt
from hpgsim.errors import InputError

if TYPE_CHECKING:  # pandas is imported only by the table functions, to keep start-up fast
    import pandas as pd

__all__ = [
    "DOSE_CLOCK_HOUR",
    "WEEKDAYS",
    "DoseEvent",
    "Frequency",
    "Step",
    "Prescription",
    "Regimen",
    "DoseLevel",
    "Titration",
    "TITRATION_OBSERVABLES",
    "parse_regimen",
]

DOSE_CLOCK_HOUR = 8.0
"""Clock hour of a dose when the prescription gives none (08:00)."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Weekday names; day ``d`` of the simulation is ``WEEKDAYS[d % 7]`` (day 0 is a Monday)."""

_DAY_H = 24.0
_WEEK_H = 168.0
_MONTH_H = 4 * _WEEK_H  # 'monthly' is every 4 weeks (28 days)
_NONMEM_COLUMNS = ("ID", "TIME", "AMT", "CMT", "EVID", "II", "ADDL", "DRUG")


# --------------------------------------------------------------------------------------------
# numbers and small texts
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    """The shortest decimal text that reads back as ``x``, without exponent or trailing '.0'."""
    text = repr(float(x))
    if "e" in text:
        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


def _whole(value: Decimal, field: str, what: str, unit: str = "days") -> int:
    if value != value.to_integral_value():
        raise InputError(field, f"{what} is not a whole number of {unit}; allowed: whole {unit}")
    return int(value)


def _duration_text(days: int) -> str:
    n, unit = (days // 7, "week") if days % 7 == 0 else (days, "day")
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _clock_text(clock_h: float) -> str:
    seconds = round(clock_h * 3600)
    hh, mm, ss = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseEvent:
    """One dose: when (hours from the start), what, by which route into which compartment.

    ``amount`` is in the drug's ``dose_unit`` (mg, ug or IU); ``drug`` is the catalog's
    canonical name (``DrugInfo.name``).
    """

    time_h: float
    drug: str
    route: str
    cmt: int
    amount: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_h) and self.time_h >= 0):
            raise InputError("time_h", f"{self.time_h} is not a dose time; allowed: hours >= 0")
        if not (math.isfinite(self.amount) and self.amount > 0):
            raise InputError("amount", f"{self.amount} is not a dose amount; allowed: > 0")
        info, route = route_for_cmt(self.cmt)
        if (info.name, route) != (self.drug, self.route):
            raise InputError(
                "cmt", f"compartment {self.cmt} is {info.name} {route}, not {self.drug} {self.route}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """How often a step doses.

    ``kind`` is ``'once'``; ``'every'`` (one series every ``interval_h`` hours: daily is
    ``every`` 24 h, monthly ``every`` 672 h = 4 weeks); ``'twice daily'`` (two daily series,
    at the dose clock and 12 h later); or ``'weekdays'`` (one weekly series per weekday in
    ``weekdays``, 0 = Monday). ``label`` keeps the name a weekday schedule was written with,
    ``'twice weekly'`` (Mon/Thu) or ``'3x/week'`` (Mon/Wed/Fri).

    >>> Frequency.parse("every 1.5 hours")
    Frequency(kind='every', interval_h=1.5, weekdays=(), label=None)
    >>> str(Frequency.parse("Fri/wednesday/mon")), str(Frequency.parse("q24h"))
    ('Mon/Wed/Fri', 'daily')
    """

    kind: Literal["once", "every", "twice daily", "weekdays"]
    interval_h: float | None = None
    weekdays: tuple[int, ...] = ()
    label: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "every":
            ok = self.interval_h is not None and math.isfinite(self.interval_h) and self.interval_h > 0
            if not ok:
                raise InputError("frequency", f"interval {self.interval_h} h is not allowed; allowed: > 0 hours")
            object.__setattr__(self, "interval_h", float(self.interval_h))
        elif self.interval_h is not None:
            raise InputError("frequency", f"'{self.kind}' takes no interval_h (got {self.interval_h})")
        if self.kind == "weekdays":
            days = tuple(self.weekdays)
            if not days or any(d not in range(7) for d in days) or len(set(days)) != len(days):
                raise InputError("frequency", f"weekdays {days} are not allowed; allowed: distinct 0-6 (0 = Monday)")
            object.__setattr__(self, "weekdays", tuple(sorted(days)))
            if self.label is not None and _WEEKDAY_NAMES.get(self.label) != self.weekdays:
                raise InputError("frequency", f"label '{self.label}' does not match weekdays {self.weekdays}")
        elif self.kind in ("once", "every", "twice daily"):
            if self.weekdays or self.label is not None:
                raise InputError("frequency", f"'{self.kind}' takes no weekdays or label")
        else:
            allowed = "once, every, twice daily, weekdays"
            raise InputError("frequency", f"kind '{self.kind}' is not allowed; allowed: {allowed}")

    @classmethod
    def parse(cls, text: str) -> Frequency:
        """Read a frequency phrase; see the module docstring for the accepted forms."""
        key = re.sub(r"\s*/\s*", "/", " ".join(text.lower().split()))
        if not key:
            raise InputError("frequency", f"none given; allowed: {_FREQUENCY_FORMS}")
        if key in _FREQUENCY_PHRASES:
            return _FREQUENCY_PHRASES[key]
        if m := _EVERY_RE.fullmatch(key):
            n = 2.0 if m["n"] == "other" else float(m["n"] or 1)
            unit = m["unit"]
            hours = n / 60 if unit.startswith("m") and not unit.startswith("mo") else n * _UNIT_HOURS[unit[:2]]
            if hours > 0:
                return cls(kind="every", interval_h=hours)
        tokens = re.split(r"[/,]", key)
        days = [next((i for i, p in enumerate(_WEEKDAY_RES) if p.fullmatch(t.strip())), None) for t in tokens]
        if key and None not in days:
            if len(set(days)) != len(days):
                raise InputError("frequency", f"'{text}' names a weekday twice; allowed: each weekday once")
            return cls(kind="weekdays", weekdays=tuple(days))
        raise InputError("frequency", f"'{text}' is not a frequency; allowed: {_FREQUENCY_FORMS}")

    def __str__(self) -> str:
        if self.kind == "weekdays":
            return self.label or "/".join(WEEKDAYS[d] for d in self.weekdays)
        if self.kind != "every":
            return self.kind
        h = self.interval_h
        if h in _INTERVAL_NAMES:
            return _INTERVAL_NAMES[h]
        for unit, size in (("week", _WEEK_H), ("day", _DAY_H), ("hour", 1.0)):
            n = round(h / size)
            if n >= 1 and n * size == h:
                return f"every {unit}" if n == 1 else f"every {n} {unit}s"
        n = round(h * 60)
        if n >= 1 and n / 60 == h:
            return "every minute" if n == 1 else f"every {n} minutes"
        return f"every {_fmt(h)} hours"

    def series(self, start_day: int, clock_h: float) -> list[tuple[float, float | None]]:
        """``(first dose hour, period in hours)`` of each dose series of a step starting on
        ``start_day`` at ``clock_h`` (period None for ``once``).

        >>> Frequency.parse("Mon/Thu").series(start_day=2, clock_h=8.0)
        [(176.0, 168.0), (80.0, 168.0)]
        """
        # A first dose is a whole number of seconds, divided once: the hours read back exactly.
        t0 = start_day * 86400 + round(clock_h * 3600)
        if self.kind == "once":
            return [(t0 / 3600, None)]
        if self.kind == "every":
            return [(t0 / 3600, self.interval_h)]
        if self.kind == "twice daily":
            return [(t0 / 3600, _DAY_H), ((t0 + 43200) / 3600, _DAY_H)]
        return [((t0 + (d - start_day) % 7 * 86400) / 3600, _WEEK_H) for d in self.weekdays]


_ONCE = Frequency(kind="once")
_WEEKDAY_NAMES = {"twice weekly": (0, 3), "3x/week": (0, 2, 4)}
_INTERVAL_NAMES = {_DAY_H: "daily", 2 * _DAY_H: "every other day", _WEEK_H: "weekly", _MONTH_H: "monthly"}
_UNIT_HOURS = {"ho": 1.0, "hr": 1.0, "h": 1.0, "da": _DAY_H, "d": _DAY_H, "we": _WEEK_H, "wk": _WEEK_H,
               "w": _WEEK_H, "mo": _MONTH_H}
_EVERY_RE = re.compile(
    r"(?:every|q) ?(?P<n>\d+(?:\.\d+)?|other)? ?"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?)"
)
_WEEKDAY_RES = tuple(
    re.compile(p) for p in (r"mon(day)?", r"tue(s|sday)?", r"wed(nesday)?", r"thu(r|rs|rsday)?", r"fri(day)?",
                            r"sat(urday)?", r"sun(day)?")
)


def _phrases() -> dict[str, Frequency]:
    every = {name: Frequency(kind="every", interval_h=h) for h, name in _INTERVAL_NAMES.items()}
    named = {
        **every,
        "once": _ONCE,
        "twice daily": Frequency(kind="twice daily"),
        **{label: Frequency(kind="weekdays", weekdays=days, label=label) for label, days in _WEEKDAY_NAMES.items()},
    }
    aliases = {
        "once": ("single dose", "one dose", "x1"),
        "daily": ("once daily", "once a day", "once per day", "od", "1x/day", "1x daily"),
        "twice daily": ("twice a day", "twice per day", "bid", "b.i.d.", "2x/day", "2x daily", "2 times daily"),
        "every other day": ("qod", "eod", "alternate days", "on alternate days"),
        "twice weekly": ("twice a week", "twice per week", "2x/week", "2x weekly", "2 times weekly", "biw"),
        "3x/week": ("three times weekly", "three times a week", "three times per week", "3x weekly",
                    "3 times weekly", "3 times a week", "thrice weekly", "tiw"),
        "weekly": ("once weekly", "once a week", "once per week", "1x/week"),
        "monthly": ("once monthly", "once a month", "once per month"),
    }
    hourly = {"hourly": Frequency(kind="every", interval_h=1.0)}
    return {**named, **hourly, **{a: named[c] for c, alist in aliases.items() for a in alist}}


_FREQUENCY_PHRASES = _phrases()
_FREQUENCY_FORMS = (
    "once, daily, twice daily, every other day, twice weekly, 3x/week, weekly, every 2 weeks, monthly "
    "(every 4 weeks), every N minutes|hours|days|weeks, or weekdays such as Mon/Wed/Fri"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One dose level of a prescription: amount, route, frequency, clock and how long.

    ``amount`` is in the drug's dose unit. ``days`` is the step's length in whole days, or
    ``doses`` its number of doses; with neither the step runs to the end of the simulation.
    ``clock_h`` is the clock hour of the first dose of each day (kept to the second).
    """

    amount: float
    route: str
    frequency: Frequency
    clock_h: float = DOSE_CLOCK_HOUR
    days: int | None = None
    doses: int | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.amount, Real) and math.isfinite(self.amount) and self.amount > 0):
            raise InputError("dose", f"{self.amount} is not a dose; allowed: a number > 0")
        object.__setattr__(self, "amount", float(self.amount))
        seconds = round(self.clock_h * 3600) if math.isfinite(self.clock_h) else -1
        if not (0 <= seconds < 86400 and abs(seconds - self.clock_h * 3600) < 1e-3):
            raise InputError("clock", f"{self.clock_h} h is not a clock time; allowed: 0 <= hours < 24, to the second")
        object.__setattr__(self, "clock_h", seconds / 3600)
        for name in ("days", "doses"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                field = "duration" if name == "days" else "doses"
                raise InputError(field, f"{value} {name} is not allowed; allowed: a whole number >= 1")
            if value is not None:
                object.__setattr__(self, name, int(value))
        if self.days is not None and self.doses is not None:
            raise InputError("duration", f"both {self.days} days and {self.doses} doses end the step; give one")
        if self.frequency.kind == "once" and (self.days is not None or self.doses is not None):
            end = f"for {_duration_text(self.days)}" if self.days else f"for {self.doses} doses"
            raise InputError("duration", f"'once' is a single dose and takes no '{end}'; give one or the other")


class _Series(NamedTuple):
    """One regular dose series: the NONMEM row ``TIME, II, ADDL + 1`` of one step."""

    first_h: float
    period_h: float | None
    count: int

    def times(self) -> list[float]:
        return [self.first_h + k * self.period_h for k in range(self.count)] if self.count > 1 else [self.first_h]

    def key(self) -> tuple[float, float | None, int]:
        return (self.first_h, self.period_h if self.count > 1 else None, self.count)


def _count_below(first: float, period: float | None, limit: float) -> int:
    """How many of ``first + k * period`` (k = 0, 1, ...) are below ``limit``."""
    if first >= limit:
        return 0
    if period is None:
        return 1
    if math.isinf(limit):
        return -1
    n = max(1, math.ceil((limit - first) / period))
    while n > 1 and first + (n - 1) * period >= limit:
        n -= 1
    while first + n * period < limit:
        n += 1
    return n


def _step_series(step: Step, start_day: int, until_h: float) -> list[_Series]:
    """The dose series of ``step`` starting on ``start_day``, cut at ``until_h`` (exclusive)."""
    limit = until_h if step.days is None else min(until_h, (start_day + step.days) * _DAY_H)
    starts = step.frequency.series(start_day, step.clock_h)
    if step.doses is None:
        counts = [_count_below(first, period, limit) for first, period in starts]
        if -1 in counts:
            raise InputError("until_h", "an open-ended step needs a finite until_h; allowed: hours >= 0")
    else:  # the first `doses` doses of the merged schedule
        merged = sorted(
            (first + k * (period or 0.0), i)
            for i, (first, period) in enumerate(starts)
            for k in range(step.doses if period else 1)
            if first + k * (period or 0.0) < limit
        )
        taken = Counter(i for _, i in merged[: step.doses])
        counts = [taken[i] for i in range(len(starts))]
    return [_Series(first, period, n) for (first, period), n in zip(starts, counts, strict=True) if n > 0]


def _check_dose(info: DrugInfo, amount: float) -> None:
    low, high = info.dose_min, info.dose_max
    if not (low * (1 - 1e-12) <= amount <= high * (1 + 1e-12)):
        raise InputError(
            "dose",
            f"{_fmt(amount)} {info.dose_unit} of {info.display} is outside the allowed range "
            f"{_fmt(low)}-{_fmt(high)} {info.dose_unit}",
        )


def _route_name(word: str) -> str | None:
    """The canonical route a word names for any drug of the catalog, or None if it names none."""
    for drug in DRUGS:
        try:
            return drug.route(word).route
        except InputError:
            continue
    return None


# --------------------------------------------------------------------------------------------
# titration to a lab target
# --------------------------------------------------------------------------------------------

TITRATION_OBSERVABLES = (
    "total_testosterone", "free_testosterone", "bioavailable_testosterone", "estradiol", "lh", "fsh", "shbg",
    "inhibin_b",
)
"""Lab values a dose can be titrated to (canonical observable names; units as for the patient file)."""

_OBSERVABLE_ALIASES = {
    "t": "total_testosterone", "tt": "total_testosterone", "total_t": "total_testosterone",
    "testosterone": "total_testosterone", "serum_testosterone": "total_testosterone",
    "free_t": "free_testosterone", "ft": "free_testosterone", "e2": "estradiol", "oestradiol": "estradiol",
}
_NUM = r"\d+(?:\.\d+)?|\.\d+"
_TARGET_RE = re.compile(
    rf"(?P<obs>[a-z][a-z0-9_ \-]*?)\s+(?:(?P<lo>{_NUM})\s*-\s*(?P<hi>{_NUM})|at least\s+(?P<min>{_NUM})"
    rf"|at most\s+(?P<max>{_NUM}))\s*(?P<unit>[^\s,]+)\s+(?P<rest>.*)",
    re.I,
)
_INTERVAL_RE = re.compile(r"(?P<interval>every\s+(?:other\s+|\d+(?:\.\d+)?\s+)?(?:days?|weeks?|months?)|daily|weekly|monthly)"
                          r"(?:\s+(?P<rest>.*))?", re.I)
_LADDER_CLAUSE_RE = re.compile(r"(up to|down to|in steps of)\s+", re.I)
_TITRATE_RE = re.compile(r",?\s*\btitrat(?:e|ed|ing)\b", re.I)
_TITRATION_FORM = ("titrate to OBSERVABLE LOW-HIGH UNIT (or 'at least LOW UNIT', 'at most HIGH UNIT') every N days|weeks, "
                   "then 'up to DOSE [frequency]' and/or 'down to DOSE [frequency]' [in steps of DOSE], or "
                   "'doses DOSE frequency, DOSE frequency, ...'")


def _weekly_doses(frequency: Frequency) -> float:
    """Doses a week of a repeating frequency (to order the levels of a ladder)."""
    if frequency.kind == "every":
        return _WEEK_H / frequency.interval_h
    if frequency.kind == "twice daily":
        return 14.0
    if frequency.kind == "weekdays":
        return float(len(frequency.weekdays))
    return 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseLevel:
    """One rung of a titration ladder: an amount (the drug's dose unit) and how often."""

    amount: float
    frequency: Frequency

    def __post_init__(self) -> None:
        if not (isinstance(self.amount, Real) and math.isfinite(self.amount) and self.amount > 0):
            raise InputError("ladder", f"{self.amount} is not a dose; allowed: a number > 0")
        object.__setattr__(self, "amount", float(self.amount))
        if not isinstance(self.frequency, Frequency) or self.frequency.kind == "once":
            raise InputError("ladder", f"'{self.frequency}' is not a repeating frequency; allowed: daily, weekly, ...")

    @property
    def weekly(self) -> float:
        """Amount a week: orders the rungs of a ladder."""
        return self.amount * _weekly_doses(self.frequency)


@dataclass(frozen=True, slots=True, kw_only=True)
class Titration:
    """Adjust one prescription to a lab target: at every check, a man's morning value of
    ``observable`` below ``low`` moves him one rung up ``levels``, above ``high`` one rung down,
    within the range he stays (and he never leaves the ladder); the other way round for a drug
    that lowers the lab (:attr:`~hpgsim.drugs.catalog.DrugInfo.lowers`, :meth:`Prescription.next_level`).

    ``low``/``high`` are in ``unit`` (``high`` may be infinite: 'at least'; ``low`` 0: 'at most');
    checks fall at 08:00 (before the morning dose), every ``every_days`` days from the start of the
    prescription; ``levels`` are ordered by weekly amount, lowest first.

    >>> t = Prescription.parse("Clomid 25 mg every other day, titrate to T 500-600 ng/dL every 6 weeks "
    ...                        "up to 50 mg").titration
    >>> t.observable, t.target_canonical(), [lv.amount for lv in t.levels]
    ('total_testosterone', (500.0, 600.0), [25.0, 50.0])
    """

    observable: str
    low: float
    high: float
    unit: str
    every_days: int
    levels: tuple[DoseLevel, ...]

    def __post_init__(self) -> None:
        name = _observable_name(self.observable)
        object.__setattr__(self, "observable", name)
        low, high = float(self.low), float(self.high)
        if not (math.isfinite(low) and low >= 0 and not math.isnan(high) and high > low and (low > 0 or math.isfinite(high))):
            raise InputError("target", f"{_fmt(low)}-{_fmt(high)} is not a target range; allowed: 0 <= low < high "
                                       "(or 'at least LOW', 'at most HIGH')")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "unit", _lab_unit(name, self.unit))
        for bound in (low, high):
            if math.isfinite(bound) and bound > 0:
                _lab_value(name, bound, self.unit)
        if isinstance(self.every_days, bool) or int(self.every_days) != self.every_days or self.every_days < 1:
            raise InputError("interval", f"every {self.every_days} days is not a check interval; allowed: whole days >= 1")
        object.__setattr__(self, "every_days", int(self.every_days))
        levels = tuple(self.levels)
        if len(levels) < 2 or not all(isinstance(lv, DoseLevel) for lv in levels):
            raise InputError("ladder", f"{len(levels)} dose level(s); allowed: two or more doses to move between")
        weekly = [lv.weekly for lv in levels]
        if any(b <= a for a, b in zip(weekly, weekly[1:])):
            raise InputError("ladder", "the doses are not in increasing order of amount per week; allowed: each dose "
                                       "more per week than the one before")
        object.__setattr__(self, "levels", levels)

    def target_canonical(self) -> tuple[float, float]:
        """``(low, high)`` in the observable's canonical unit (:data:`hpgsim.simulate.OBSERVABLES`)."""
        return tuple(b if not math.isfinite(b) or b == 0 else _lab_value(self.observable, b, self.unit)
                     for b in (self.low, self.high))

    def next_level(self, level: int, value: float, *, lowers: bool = False) -> int:
        """The rung after a check that read ``value`` (canonical unit) on rung ``level``: one up below the
        target, one down above it, or the other way for a drug that ``lowers`` the lab (see
        :attr:`Prescription.lowers_target`); a non-finite reading leaves him where he is."""
        low, high = self.target_canonical()
        if not math.isfinite(value):
            return level
        step = 1 if value < low else -1 if value > high else 0
        return min(max(level + (-step if lowers else step), 0), len(self.levels) - 1)

    def text(self, info: DrugInfo, start: DoseLevel) -> str:
        """The clause as printed after the prescription (``titrate to ...``)."""
        if math.isinf(self.high):
            target = f"at least {_fmt(self.low)}"
        elif self.low == 0:
            target = f"at most {_fmt(self.high)}"
        else:
            target = f"{_fmt(self.low)}-{_fmt(self.high)}"
        every = str(Frequency(kind="every", interval_h=self.every_days * _DAY_H))
        head = f"titrate to {self.observable} {target} {self.unit} {every}"
        for ladder in _ladder_texts(info, start, self.levels):
            try:
                if _parse_ladder(ladder, info, start) == self.levels:
                    return f"{head} {ladder}"
            except InputError:
                continue
        raise AssertionError("the doses list always reads back")  # pragma: no cover


def _observable_name(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", str(text).strip().lower())
    key = _OBSERVABLE_ALIASES.get(key, key)
    if key not in TITRATION_OBSERVABLES:
        raise InputError("observable", f"'{text}' is not a lab to titrate to; allowed: {', '.join(TITRATION_OBSERVABLES)}"
                                       " (or T, free T, E2)")
    return key


def _lab_unit(name: str, unit: str) -> str:
    """``unit`` in the patient file's spelling where it is one of the observable's listed units."""
    from hpgsim.labs import PLAUSIBLE

    listed = PLAUSIBLE[name].units
    spelled = next((u for u in listed if str(unit).strip().casefold() == u.casefold()), str(unit).strip())
    _lab_value(name, 1.0, spelled)  # refuses a unit that is not one of this lab
    return spelled


def _lab_value(name: str, value: float, unit: str) -> float:
    """``value unit`` of lab ``name`` in its canonical unit, through the patient file's unit checks."""
    from hpgsim.labs import check_lab

    try:
        return check_lab(name, value, unit, "target")
    except InputError as e:
        raise InputError("unit" if "unit" in str(e) else "target", str(e).split(": ", 1)[1]) from None


def _parse_level(text: str, info: DrugInfo, start: DoseLevel, *, frequency_needed: bool = False) -> DoseLevel:
    m = _DOSE_RE.match(text.strip())
    if m is None:
        raise InputError("ladder", f"'{text.strip()}' is not a dose; allowed: DOSE UNIT [frequency], e.g. 50 mg daily")
    amount = _to_dose_unit(Decimal(m["num"].replace(",", "")), _UNITS[m["unit"].lower()], info)
    _check_dose(info, amount)
    rest = text.strip()[m.end():].strip()
    if not rest and frequency_needed:
        raise InputError("ladder", f"'{text.strip()}' has no frequency; allowed: DOSE UNIT frequency, e.g. 50 mg daily")
    frequency = Frequency.parse(rest) if rest else start.frequency
    if frequency.kind == "once":
        raise InputError("ladder", f"'{text.strip()}' is a single dose; allowed: a repeating frequency")
    return DoseLevel(amount=amount, frequency=frequency)


def _parse_ladder(text: str, info: DrugInfo, start: DoseLevel) -> tuple[DoseLevel, ...]:
    """The ladder of a titration clause: 'doses ...' or up to / down to [in steps of]."""
    text = " ".join(text.split())
    if not text:
        raise InputError("ladder", f"no doses to titrate over; allowed: {_TITRATION_FORM}")
    if text.lower().startswith("doses "):
        items = [s for s in re.split(r",\s*(?=[\d.])", text[6:]) if s.strip()]
        levels = tuple(_parse_level(s, info, start, frequency_needed=True) for s in items)
        if start not in levels:
            raise InputError("ladder", f"the starting dose ({_fmt(start.amount)} {info.dose_unit} {start.frequency}) is "
                                       "not one of the doses; allowed: a list that includes it")
        return levels
    parts = _LADDER_CLAUSE_RE.split(text)
    if parts[0].strip():
        raise InputError("ladder", f"'{parts[0].strip()}' is not understood; allowed: {_TITRATION_FORM}")
    found: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2]):
        key = key.lower()
        if key in found:
            raise InputError("ladder", f"'{key}' is given twice; allowed: each of up to, down to, in steps of once")
        found[key] = value.strip()
    if "up to" not in found and "down to" not in found:
        raise InputError("ladder", f"'{text}' gives no dose to move to; allowed: up to DOSE and/or down to DOSE")
    up = _parse_level(found["up to"], info, start) if "up to" in found else None
    down = _parse_level(found["down to"], info, start) if "down to" in found else None
    if up is not None and up.weekly <= start.weekly:
        raise InputError("ladder", f"up to {found['up to']} is not more per week than the starting dose; "
                                   "allowed: a higher dose or a more frequent one")
    if down is not None and down.weekly >= start.weekly:
        raise InputError("ladder", f"down to {found['down to']} is not less per week than the starting dose; "
                                   "allowed: a lower dose or a less frequent one")
    if "in steps of" not in found:
        return tuple(lv for lv in (down, start, up) if lv is not None)
    step_level = _parse_level(found["in steps of"], info, start)
    if found["in steps of"].strip() != _DOSE_RE.match(found["in steps of"].strip())[0]:
        raise InputError("ladder", f"in steps of {found['in steps of']}: a step is an amount only; allowed: DOSE UNIT")
    if any(lv is not None and lv.frequency != start.frequency for lv in (up, down)):
        raise InputError("ladder", "in steps of needs the limits at the starting frequency; allowed: the same frequency, "
                                   "or a list of doses")
    step = Decimal(_fmt(step_level.amount))
    s0 = Decimal(_fmt(start.amount))
    levels = [start]
    for limit, sign in ((up, 1), (down, -1)):
        if limit is None:
            continue
        distance = (Decimal(_fmt(limit.amount)) - s0) * sign
        n = distance / step
        if n != n.to_integral_value():
            raise InputError("ladder", f"{_fmt(limit.amount)} {info.dose_unit} is not a whole number of steps of "
                                       f"{_fmt(step_level.amount)} {info.dose_unit} from the starting dose; allowed: "
                                       "a limit a whole number of steps away")
        rungs = [DoseLevel(amount=float(s0 + sign * k * step), frequency=start.frequency) for k in range(1, int(n) + 1)]
        levels = levels + rungs if sign > 0 else rungs[::-1] + levels
    for lv in levels:
        _check_dose(info, lv.amount)
    return tuple(levels)


def _ladder_texts(info: DrugInfo, start: DoseLevel, levels: tuple[DoseLevel, ...]) -> Iterator[str]:
    """Candidate ladder texts, shortest first (the caller keeps the first that reads back)."""
    def dose(lv: DoseLevel, always: bool = False) -> str:
        text = f"{_fmt(lv.amount)} {info.dose_unit}"
        return text if lv.frequency == start.frequency and not always else f"{text} {lv.frequency}"

    if start in levels:
        i = levels.index(start)
        below, above = levels[:i], levels[i + 1:]
        words = ([f"down to {dose(below[0])}"] if below else []) + ([f"up to {dose(above[-1])}"] if above else [])
        if len(below) <= 1 and len(above) <= 1:
            yield " ".join(words)
        elif all(lv.frequency == start.frequency for lv in levels):
            step = Decimal(_fmt(levels[1].amount)) - Decimal(_fmt(levels[0].amount))
            if step > 0:
                yield " ".join([*words, f"in steps of {format(step.normalize(), 'f')} {info.dose_unit}"])
    yield "doses " + ", ".join(dose(lv, always=True) for lv in levels)


def _parse_titration(text: str, info: DrugInfo, start: DoseLevel) -> Titration:
    """Read the clause after ``titrate``: ``to OBSERVABLE TARGET UNIT every N weeks LADDER``."""
    body = " ".join(text.split())
    body = re.sub(r"^to\s+", "", body, flags=re.I)
    m = _TARGET_RE.fullmatch(body)
    if m is None:
        raise InputError("titration", f"'titrate {text.strip()}' is not understood; allowed: {_TITRATION_FORM}")
    observable = _observable_name(m["obs"])
    if m["lo"] is not None:
        low, high = float(m["lo"]), float(m["hi"])
    elif m["min"] is not None:
        low, high = float(m["min"]), math.inf
    else:
        low, high = 0.0, float(m["max"])
    c = _INTERVAL_RE.fullmatch(m["rest"].strip())
    if c is None:
        raise InputError("interval", f"'{m['rest'].strip()}' does not start with a check interval; allowed: "
                                     "every N days|weeks, weekly, monthly")
    interval = Frequency.parse(c["interval"])
    days = interval.interval_h / _DAY_H
    if interval.kind != "every" or days != int(days):
        raise InputError("interval", f"'{c['interval']}' is not a whole number of days; allowed: every N days|weeks")
    levels = _parse_ladder(c["rest"] or "", info, start)
    return Titration(observable=observable, low=low, high=high, unit=m["unit"], every_days=int(days), levels=levels)


@dataclass(frozen=True, slots=True, kw_only=True)
class Prescription:
    """One agent's prescription: a drug and one or more steps joined by ``then``.

    ``drug`` is the catalog's canonical name (an alias given here is resolved); ``start_day``
    is the day the first step starts, and each later step starts when the one before ends.

    >>> p = Prescription.parse("Clomid 25 mg orally QD for 28 days then 50 mg daily for 8 weeks")
    >>> print(p)
    clomiphene citrate 25 mg PO daily for 4 weeks then 50 mg PO daily for 8 weeks
    >>> p.drug, len(p.events(until_h=365 * 24)), p.events(until_h=1e4)[28].amount
    ('clomiphene', 84, 50.0)
    """

    drug: str
    steps: tuple[Step, ...]
    start_day: int = 0
    titration: Titration | None = None

    def __post_init__(self) -> None:
        info = lookup_drug(self.drug)
        object.__setattr__(self, "drug", info.name)
        steps = tuple(self.steps)
        if not steps or not all(isinstance(s, Step) for s in steps):
            raise InputError("steps", f"{self.steps!r} is not a list of steps; allowed: one or more Step")
        if isinstance(self.start_day, bool) or int(self.start_day) != self.start_day or self.start_day < 0:
            raise InputError("start", f"day {self.start_day} is not a start day; allowed: a whole day >= 0")
        object.__setattr__(self, "start_day", int(self.start_day))
        for i, step in enumerate(steps):
            _check_dose(info, step.amount)
            if i < len(steps) - 1 and step.days is None:
                raise InputError(
                    "duration",
                    f"step {i + 1} of {info.display} ('{_step_text(info, step)}') is followed by 'then' and needs "
                    "a duration; allowed: for N days|weeks",
                )
        route_steps = tuple(replace(s, route=info.route(s.route).route) for s in steps)
        object.__setattr__(self, "steps", route_steps)
        if self.titration is not None:
            self._check_titration(info)

    def _check_titration(self, info: DrugInfo) -> None:
        t = self.titration
        if not isinstance(t, Titration):
            raise InputError("titration", f"{t!r} is not a Titration; allowed: a Titration, or None")
        if len(self.steps) != 1:
            raise InputError("titration", f"{info.display} has {len(self.steps)} steps joined by 'then' and a titration; "
                                          "allowed: titration of a one-step prescription")
        step = self.steps[0]
        if step.doses is not None or step.frequency.kind == "once":
            what = f"for {step.doses} doses" if step.doses is not None else "once"
            raise InputError("titration", f"'{what}' with a titration; allowed: a repeating frequency, ended (if at "
                                          "all) by days or weeks")
        if self.start_level not in t.levels:
            raise InputError("ladder", f"the starting dose {_fmt(step.amount)} {info.dose_unit} {step.frequency} is "
                                       "not a dose of the ladder; allowed: a ladder that includes it")
        for lv in t.levels:
            _check_dose(info, lv.amount)

    @classmethod
    def parse(cls, text: str) -> Prescription:
        """Read one agent's prescription (steps joined by ``then``)."""
        info: DrugInfo | None = None
        route: str | None = None
        steps: list[Step] = []
        start_day = day = 0
        titration_text = None
        if t := _TITRATE_RE.search(text):
            text, titration_text = text[: t.start()], text[t.end():]
        parts = re.split(r"\bthen\b", text, flags=re.IGNORECASE)
        for i, part in enumerate(parts):
            info, step, start, end_day = _parse_step(part, info, route, first=(i == 0))
            if i == 0:
                start_day = day = start
            if end_day is not None:
                if end_day <= day:
                    message = f"day {end_day} is not after the start, day {day}; allowed: a later day"
                    raise InputError("duration", message)
                step = replace(step, days=end_day - day)
            steps.append(step)
            route = step.route
            day += step.days or 0
        assert info is not None
        titration = None
        if titration_text is not None:
            if len(steps) != 1:
                raise InputError("titration", f"{info.display} has {len(steps)} steps joined by 'then' and a "
                                              "titration; allowed: titration of a one-step prescription")
            start = DoseLevel(amount=steps[0].amount, frequency=steps[0].frequency) if steps[0].frequency.kind != "once" \
                else None
            if start is None:
                raise InputError("titration", "'once' with a titration; allowed: a repeating frequency")
            titration = _parse_titration(titration_text, info, start)
        return cls(drug=info.name, steps=tuple(steps), start_day=start_day, titration=titration)

    @property
    def info(self) -> DrugInfo:
        return lookup_drug(self.drug)

    @property
    def open_ended(self) -> bool:
        """Whether the last step doses until the end of the simulation."""
        last = self.steps[-1]
        return last.days is None and last.doses is None and last.frequency.kind != "once"

    def _series(self, until_h: float = math.inf) -> list[tuple[Step, _Series]]:
        """Each step's dose series, cut at ``until_h``: the rows of the NONMEM table."""
        out = []
        day = self.start_day
        for step in self.steps:
            out += [(step, s) for s in _step_series(step, day, until_h)]
            day += step.days or 0
        return out

    @property
    def lowers_target(self) -> bool:
        """Whether a higher dose of this drug lowers its titration's lab (:attr:`~hpgsim.drugs.catalog.DrugInfo.lowers`)."""
        return self.titration is not None and self.titration.observable in self.info.lowers

    def next_level(self, level: int, value: float) -> int:
        """The titration's rung after a check that read ``value`` (canonical unit) on rung ``level``, in the
        direction this drug moves its lab."""
        if self.titration is None:
            raise InputError("titration", f"'{self}' has no titration; allowed: a titrated prescription")
        return self.titration.next_level(level, value, lowers=self.lowers_target)

    @property
    def start_level(self) -> DoseLevel | None:
        """The dose level of a one-step repeating prescription (the rung a titration starts on)."""
        step = self.steps[0]
        if len(self.steps) != 1 or step.frequency.kind == "once":
            return None
        return DoseLevel(amount=step.amount, frequency=step.frequency)

    def check_times(self, until_h: float) -> list[float]:
        """Hours of a titration's checks before ``until_h``: 08:00 every ``every_days`` days from the
        start, while the prescription doses (none without a titration)."""
        t = self.titration
        if t is None:
            return []
        step = self.steps[0]
        end_h = until_h if step.days is None else min(until_h, (self.start_day + step.days) * _DAY_H)
        out, day = [], self.start_day + t.every_days
        while (h := day * _DAY_H + DOSE_CLOCK_HOUR) < end_h:
            out.append(h)
            day += t.every_days
        return out

    def titrated_events(self, schedule: Sequence[tuple[float, int]], until_h: float) -> list[DoseEvent]:
        """The doses of a titrated prescription when the man is on rung ``level`` of its ladder from
        hour ``from_h`` on, for each ``(from_h, level)`` of ``schedule`` (the first from 0): each rung
        keeps the prescription's calendar (its doses fall where they would had it been taken from the start)."""
        if self.titration is None:
            raise InputError("titration", f"'{self}' has no titration; allowed: a titrated prescription")
        info, step = self.info, self.steps[0]
        cmt = info.route(step.route).cmt
        bounds = [float(h) for h, _ in schedule[1:]] + [math.inf]
        events = []
        for (lo, level), hi in zip(schedule, bounds):
            lv = self.titration.levels[level]
            rung = replace(step, amount=lv.amount, frequency=lv.frequency)
            for s in _step_series(rung, self.start_day, min(until_h, hi)):
                events += [DoseEvent(time_h=t, drug=info.name, route=step.route, cmt=cmt, amount=lv.amount)
                           for t in s.times() if t >= lo]
        return sorted(events, key=_event_order)

    def events(self, until_h: float, *, at_start_dose: bool = False) -> list[DoseEvent]:
        """The doses before ``until_h`` hours, in time order.

        A titrated prescription's doses depend on each man's labs: it refuses, unless
        ``at_start_dose`` asks for its doses as if it were never adjusted.
        """
        until_h = _check_until(until_h)
        if self.open_ended and math.isinf(until_h):
            raise InputError("until_h", f"'{self}' has no end; give a finite until_h in hours")
        if self.titration is not None and not at_start_dose:
            raise InputError("titration", f"'{self}' is titrated to a lab: its doses depend on each man's labs; "
                                          "allowed: simulate it, or ask for the doses at the starting dose")
        info = self.info
        events = [
            DoseEvent(time_h=t, drug=info.name, route=step.route, cmt=info.route(step.route).cmt, amount=step.amount)
            for step, series in self._series(until_h)
            for t in series.times()
        ]
        return sorted(events, key=_event_order)

    def __str__(self) -> str:
        info = self.info
        words = []
        for i, step in enumerate(self.steps):
            words += [info.display if i == 0 else "then", _step_text(info, step)]
            late = i == 0 and self.start_day > 0
            if late and step.days:
                words.append(f"from day {self.start_day} to day {self.start_day + step.days}")
            elif step.days:
                words.append(f"for {_duration_text(step.days)}")
            elif late:
                words.append(f"starting day {self.start_day}")
        text = " ".join(words)
        if self.titration is not None:
            text += ", " + self.titration.text(info, self.start_level)
        return text


def _step_text(info: DrugInfo, step: Step) -> str:
    """``dose unit route frequency [at HH:MM] [for N doses|for N days]`` of one step."""
    words = [_fmt(step.amount), info.dose_unit, step.route, str(step.frequency)]
    if step.clock_h != DOSE_CLOCK_HOUR:
        words.append(f"at {_clock_text(step.clock_h)}")
    if step.doses is not None:
        words.append(f"for {step.doses} dose{'' if step.doses == 1 else 's'}")
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# parsing one step: a small regular grammar
# --------------------------------------------------------------------------------------------

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_DOSE_RE = re.compile(rf"(?<![\w.,])(?P<num>{_NUMBER})\s*(?P<unit>mg|mcg|ug|µg|μg|iu|units?|g)(?!\w)", re.I)
_UNITS = {"mg": "mg", "g": "g", "ug": "ug", "mcg": "ug", "µg": "ug", "μg": "ug",
          "iu": "IU", "unit": "IU", "units": "IU"}
_MASS_IN_UG = {"g": Decimal(10**6), "mg": Decimal(1000), "ug": Decimal(1)}
_CLAUSE_WORDS = {"at": "clock", "for": "duration", "until": "duration", "from": "start", "starting": "start",
                 "start": "start"}
_DAY = r"(\d+(?:\.\d+)?)"
_CLAUSE_SETS = {"clock": ["clock"], "for": ["end"], "from-to": ["start", "end"], "start": ["start"], "until": ["end"]}
_CLAUSES = (
    ("clock", re.compile(r"at (\d{1,2}):(\d{2})(?::(\d{2}))?")),
    ("for", re.compile(r"for (\d+(?:\.\d+)?) (days?|weeks?|doses?)")),
    ("from-to", re.compile(rf"from day {_DAY} to day {_DAY}")),
    ("start", re.compile(rf"from day {_DAY}")),
    ("start", re.compile(rf"start(?:ing)?(?: on| from)? day {_DAY}")),
    ("until", re.compile(rf"until day {_DAY}")),
)


def _to_dose_unit(value: Decimal, unit: str, info: DrugInfo) -> float:
    """``value unit`` in the drug's dose unit; IU and mass are never converted into each other."""
    if (unit == "IU") != (info.dose_unit == "IU"):
        allowed = "IU" if info.dose_unit == "IU" else "mg, ug (mcg), g"
        message = f"'{unit}' is not a unit for {info.display} (dosed in {info.dose_unit}); allowed: {allowed}"
        raise InputError("unit", message)
    if unit == "IU":
        return float(value)
    return float(value * _MASS_IN_UG[unit] / _MASS_IN_UG[info.dose_unit])


def _parse_step(
    text: str, info: DrugInfo | None, route: str | None, *, first: bool
) -> tuple[DrugInfo, Step, int, int | None]:
    """Read ``[drug] dose unit [route] frequency [clauses]``.

    Returns the drug, the step (without an absolute end), the start day and the absolute end
    day (``until day M``, ``to day M``) for the caller to turn into days.
    """
    m = _DOSE_RE.search(text)
    if m is None:
        raise InputError("dose", f"no dose with a unit in '{text.strip()}'; allowed: e.g. 25 mg, 500 ug, 1500 IU")
    name = text[: m.start()].strip()
    if name:
        named = lookup_drug(name)
        if info is not None and named is not info:
            raise InputError(
                "drug", f"'{name}' after 'then' is not {info.display}; a step continues its drug, join agents with ';'"
            )
        info = named
    elif info is None:
        raise InputError("drug", f"no drug before the dose in '{text.strip()}'; allowed: {', '.join(drug_names())}")
    amount = _to_dose_unit(Decimal(m["num"].replace(",", "")), _UNITS[m["unit"].lower()], info)

    words = text[m.end():].split()
    for n in (2, 1):
        if len(words) >= n and _route_name(" ".join(words[:n])):
            route = info.route(" ".join(words[:n])).route
            words = words[n:]
            break
    else:
        route = route or info.default_route
    k = next((i for i, w in enumerate(words) if w.lower() in _CLAUSE_WORDS), len(words))
    frequency = Frequency.parse(" ".join(words[:k]))

    timing = _parse_timing(" ".join(words[k:]))
    if timing.start_text and not first:
        raise InputError("start", f"'{timing.start_text}' after 'then': a step starts when the one before it ends")
    step = Step(amount=amount, route=route, frequency=frequency, clock_h=timing.clock_h, days=timing.days,
                doses=timing.doses)
    return info, step, timing.start_day, timing.end_day


class _Timing(NamedTuple):
    clock_h: float = DOSE_CLOCK_HOUR
    days: int | None = None  # for N days|weeks
    doses: int | None = None  # for N doses
    start_day: int = 0  # starting day N, from day N
    end_day: int | None = None  # until day M, to day M
    start_text: str | None = None


def _parse_timing(text: str) -> _Timing:
    """Read the clauses after the frequency, refusing two that set the same thing."""
    values: dict[str, float | int | None] = {}
    seen: dict[str, str] = {}  # what a clause set ('clock', 'start', 'end') -> the clause
    rest = text
    while rest:
        for kind, pattern in _CLAUSES:
            c = pattern.match(rest.lower())
            if c and (c.end() == len(rest) or rest[c.end()] == " "):
                break
        else:
            field = _CLAUSE_WORDS.get(rest.split()[0].lower(), "frequency")
            raise InputError(field, f"'{rest}' is not understood; allowed: at HH:MM, for N days|weeks|doses, "
                                    "starting day N, from day N to day M, until day M")
        clause, rest = rest[: c.end()], rest[c.end():].strip()
        for what in _CLAUSE_SETS[kind]:
            if what in seen:
                field = {"end": "duration", "start": "start", "clock": "clock"}[what]
                raise InputError(field, f"'{seen[what]}' and '{clause}' both set the {what}; give one")
            seen[what] = clause
        quoted = f"'{clause}'"
        if kind == "clock":
            hh, mm, ss = int(c[1]), int(c[2]), int(c[3] or 0)
            if hh > 23 or mm > 59 or ss > 59:
                raise InputError("clock", f"{quoted} is not a clock time; allowed: 00:00 to 23:59:59")
            values["clock_h"] = (hh * 3600 + mm * 60 + ss) / 3600
        elif kind == "for" and c[2].startswith("dose"):
            values["doses"] = _whole(Decimal(c[1]), "doses", quoted, "doses")
        elif kind == "for":
            values["days"] = _whole(Decimal(c[1]) * (7 if c[2].startswith("week") else 1), "duration", quoted)
        elif kind == "until":
            values["end_day"] = _whole(Decimal(c[1]), "duration", quoted)
        else:  # starting day N, from day N [to day M]
            values["start_day"] = _whole(Decimal(c[1]), "start", quoted)
            if kind == "from-to":
                values["end_day"] = _whole(Decimal(c[2]), "duration", quoted)
    return _Timing(**values, start_text=seen.get("start"))


# --------------------------------------------------------------------------------------------
# regimens and tables
# --------------------------------------------------------------------------------------------


def _event_order(e: DoseEvent) -> tuple[float, int, float]:
    return (e.time_h, e.cmt, e.amount)


def _check_until(until_h: float) -> float:
    try:
        value = float(until_h)
    except (TypeError, ValueError):
        value = math.nan
    if not value >= 0:
        raise InputError("until_h", f"{until_h!r} is not a simulation end; allowed: hours >= 0")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Regimen:
    """Everything one man takes: one prescription per agent (or per course of an agent).

    >>> r = Regimen.parse(["degarelix 240 mg SC once", "degarelix 80 mg SC monthly starting day 28"])
    >>> [e.time_h for e in r.events(until_h=90 * 24)]
    [8.0, 680.0, 1352.0, 2024.0]
    >>> r.to_nonmem(until_h=90 * 24)[["TIME", "AMT", "CMT", "II", "ADDL"]].values.tolist()
    [[8.0, 240.0, 16.0, 0.0, 0.0], [680.0, 80.0, 16.0, 672.0, 2.0]]
    """

    prescriptions: tuple[Prescription, ...] = ()

    def __post_init__(self) -> None:
        items = tuple(self.prescriptions)
        if not all(isinstance(p, Prescription) for p in items):
            raise InputError("prescriptions", f"{self.prescriptions!r} is not a list of Prescription")
        object.__setattr__(self, "prescriptions", items)

    @classmethod
    def parse(cls, texts: str | Sequence[str]) -> Regimen:
        """Read prescriptions: a list of texts, or one text joined by ``;`` or ``+``."""
        if isinstance(texts, str):
            texts = [texts]
        if not all(isinstance(t, str) for t in texts):
            raise InputError("regimen", f"{texts!r} is not prescription text; allowed: a string or a list of strings")
        parts = [part for text in texts for part in re.split(r"[;+]", text) if part.strip()]
        return cls(prescriptions=tuple(Prescription.parse(p) for p in parts))

    @property
    def drugs(self) -> tuple[str, ...]:
        """Canonical names of the agents, in order, each once."""
        return tuple(dict.fromkeys(p.drug for p in self.prescriptions))

    @property
    def titrated(self) -> bool:
        """Whether some prescription is titrated to a lab target (its doses differ from man to man)."""
        return any(p.titration is not None for p in self.prescriptions)

    def events(self, until_h: float, *, at_start_dose: bool = False) -> list[DoseEvent]:
        """All doses before ``until_h`` hours, sorted by time.

        Doses at the same instant are ordered by compartment and amount, so the order does not
        depend on how the agents were listed (and survives a NONMEM table round trip). A titrated
        prescription refuses (its doses depend on each man's labs) unless ``at_start_dose``.
        """
        return sorted((e for p in self.prescriptions for e in p.events(until_h, at_start_dose=at_start_dose)),
                      key=_event_order)

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.prescriptions)

    def to_nonmem(self, until_h: float | None = None, id: int = 1) -> pd.DataFrame:
        """The NONMEM/mrgsolve dosing table: columns ID, TIME (h), AMT, CMT, EVID, II, ADDL, DRUG.

        Each regular series is one row with II (hours) and ADDL (additional doses); a weekday
        schedule gives one row per weekday, a ``then`` step its own rows. Rows are sorted by
        TIME (then CMT, AMT). ``until_h`` cuts the doses; it is required when a prescription
        has no end. DRUG is informational (the canonical drug name).
        """
        import pandas as pd

        titrated = [p for p in self.prescriptions if p.titration is not None]
        if titrated:
            raise InputError("regimen", f"'{titrated[0]}' is titrated to a lab target, which a NONMEM dosing table "
                                        "cannot hold (its doses differ from man to man); allowed: untitrated regimens")
        open_ended = [p for p in self.prescriptions if p.open_ended]
        if until_h is None and open_ended:
            raise InputError("until_h", f"'{open_ended[0]}' has no end; give until_h, the simulation length in hours")
        limit = math.inf if until_h is None else _check_until(until_h)
        rows = []
        for p in self.prescriptions:
            info = p.info
            for step, s in p._series(limit):
                rows.append((id, s.first_h, step.amount, info.route(step.route).cmt, 1,
                             s.period_h if s.count > 1 else 0.0, s.count - 1, info.name))
        rows.sort(key=lambda r: (r[1], r[3], r[2], r[5], r[6]))
        frame = pd.DataFrame(rows, columns=list(_NONMEM_COLUMNS))
        types = {"ID": "int64", "TIME": "float64", "AMT": "float64", "CMT": "int64", "EVID": "int64", "II": "float64",
                 "ADDL": "int64", "DRUG": "object"}
        return frame.astype(types)

    @classmethod
    def from_nonmem(cls, table: pd.DataFrame | str | Path) -> Regimen:
        """Read a NONMEM/mrgsolve dosing table (a data frame or a CSV path), time in hours.

        Rules, each breach an InputError naming the column and the 1-based data row: columns
        ID, TIME, AMT, CMT, EVID present (II, ADDL optional, missing values read as 0, as '.'
        in NONMEM); one ID; EVID 0 (observation, ignored) or 1 (dose); TIME >= 0 and sorted;
        ADDL > 0 exactly when II > 0; AMT > 0 on doses and 0 on observations; CMT a dosing
        compartment of the catalog; AMT within the drug's dose range; DRUG, if given, the
        drug of CMT. TIME is kept to the second. Rows are regrouped into named schedules
        (twice daily, weekday lists, ``then`` steps) where that gives exactly the same doses;
        any other series prints as ``every N hours ... for N doses``.
        """
        return cls(prescriptions=_rebuild(_read_doses(table)))


def parse_regimen(texts: str | Sequence[str]) -> Regimen:
    """Same as :meth:`Regimen.parse`."""
    return Regimen.parse(texts)


class _Row(NamedTuple):
    info: DrugInfo
    route: str
    amount: float
    series: _Series


def _read_doses(table: pd.DataFrame | str | Path) -> list[_Row]:
    """The validated dose rows of a NONMEM table, in order."""
    import pandas as pd

    frame = pd.read_csv(table) if isinstance(table, str | Path) else pd.DataFrame(table).copy()
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    for column in ("ID", "TIME", "AMT", "CMT", "EVID"):
        if column not in frame.columns:
            raise InputError(column, "column missing; the table needs ID, TIME, AMT, CMT, EVID (II, ADDL optional)")
    numbers = {}
    for column in ("ID", "TIME", "AMT", "CMT", "EVID", "II", "ADDL"):
        raw = frame[column] if column in frame.columns else pd.Series(math.nan, index=frame.index)
        missing = raw.isna() | raw.astype(str).str.strip().isin([".", ""])
        values = pd.to_numeric(raw.where(~missing), errors="coerce")
        bad = values.isna() & ~missing
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(column, f"row {i + 1}: {raw.iloc[i]!r} is not a number")
        numbers[column] = values.to_numpy(dtype=float)
    ids = sorted({float(v) for v in numbers["ID"]})
    if len(ids) > 1 or any(math.isnan(v) for v in ids):
        listed = ", ".join(_fmt(v) for v in ids)
        raise InputError("ID", f"the table holds IDs {listed}; a Regimen is one man's doses: give one ID")
    drugs = frame["DRUG"] if "DRUG" in frame.columns else None
    rows, previous = [], 0.0
    for i in range(len(frame)):
        n = i + 1
        time, evid, cmt = numbers["TIME"][i], numbers["EVID"][i], numbers["CMT"][i]
        amt, ii, addl = (0.0 if math.isnan(v) else v for v in (numbers[c][i] for c in ("AMT", "II", "ADDL")))
        if not (math.isfinite(time) and time >= 0):
            raise InputError("TIME", f"row {n}: {_fmt(time)} is not a time; allowed: hours >= 0")
        if time < previous:
            raise InputError("TIME", f"row {n}: {_fmt(time)} comes after {_fmt(previous)}; allowed: sorted by time")
        previous = time
        if evid not in (0, 1):
            raise InputError("EVID", f"row {n}: {_fmt(evid)} is not allowed; allowed: 0 (observation) or 1 (dose)")
        if not (addl >= 0 and addl == int(addl)):
            raise InputError("ADDL", f"row {n}: {_fmt(addl)} is not allowed; allowed: a whole number >= 0")
        if not (math.isfinite(ii) and ii >= 0):
            raise InputError("II", f"row {n}: {_fmt(ii)} is not allowed; allowed: hours >= 0")
        if (addl > 0) != (ii > 0):
            column = "ADDL" if addl > 0 else "II"
            message = f"row {n}: ADDL {_fmt(addl)} with II {_fmt(ii)}; allowed: ADDL > 0 exactly when II > 0"
            raise InputError(column, message)
        if evid == 0:
            if amt != 0 or ii != 0:
                column = "AMT" if amt != 0 else "II"
                raise InputError(column, f"row {n}: AMT {_fmt(amt)}, II {_fmt(ii)} on an observation row (EVID 0); "
                                         "allowed: 0")
            continue
        if not (math.isfinite(amt) and amt > 0):
            raise InputError("AMT", f"row {n}: {_fmt(amt)} on a dose row (EVID 1); allowed: AMT > 0")
        if math.isnan(cmt) or cmt != int(cmt):
            raise InputError("CMT", f"row {n}: {_fmt(cmt)} is not a compartment number")
        try:
            info, route = route_for_cmt(int(cmt))
            _check_dose(info, amt)
        except InputError as e:
            raise InputError("CMT" if e.field == "CMT" else "AMT", f"row {n}: {str(e).split(': ', 1)[1]}") from None
        if drugs is not None and isinstance(drugs.iloc[i], str) and drugs.iloc[i].strip():
            named = lookup_drug(drugs.iloc[i])
            if named is not info:
                raise InputError("DRUG", f"row {n}: '{drugs.iloc[i]}' but CMT {int(cmt)} is {info.name} {route}")
        rows.append(_Row(info, route, amt, _Series(time, ii if addl > 0 else None, int(addl) + 1)))
    return rows


def _rebuild(rows: list[_Row]) -> tuple[Prescription, ...]:
    """Prescriptions giving exactly the doses of ``rows``: named schedules where they fit."""
    used: set[int] = set()
    singles: list[Prescription] = []
    for i, row in enumerate(rows):
        if i in used:
            continue
        for group, frequency in _candidates(rows, i, used):
            fitted = _fit([rows[j] for j in group], frequency)
            if fitted is not None:
                used.update(group)
                singles.append(fitted)
                break
    chained: list[Prescription] = []
    for p in singles:  # 'then': a course that starts on the day one of the same drug ends
        for k, q in enumerate(chained):
            step = _restarted(p, q.start_day + sum(s.days or 0 for s in q.steps)) if q.drug == p.drug else None
            if step is not None and q.steps[-1].days:
                chained[k] = replace(q, steps=q.steps + (step,))
                break
        else:
            chained.append(p)
    return tuple(chained)


def _restarted(p: Prescription, day: int) -> Step | None:
    """The one step of ``p`` started on ``day`` instead, if that gives the same doses (a weekday
    schedule may start on any day of the gap before its first weekday)."""
    step = p.steps[0]
    if not p.start_day - 7 < day <= p.start_day:
        return None
    doses = _step_series(step, p.start_day, math.inf)
    lengths = [step.days, step.days + p.start_day - day] if step.days is not None else [None]
    return next((c for n in lengths if _step_series(c := replace(step, days=n), day, math.inf) == doses), None)


def _candidates(rows: list[_Row], i: int, used: set[int]) -> Iterator[tuple[list[int], Frequency]]:
    """Groups of rows (starting with row i) and the frequency they might be, best first."""
    row = rows[i]
    period = row.series.period_h

    def like(j: int) -> bool:
        other = rows[j]
        return (j > i and j not in used and other.info is row.info and other.route == row.route
                and other.amount == row.amount and other.series.period_h == period)

    if period == _DAY_H:
        partner = next((j for j in range(i + 1, len(rows)) if like(j)
                        and abs(rows[j].series.first_h - row.series.first_h - 12.0) < 1e-9), None)
        if partner is not None:
            yield [i, partner], Frequency(kind="twice daily")
    if period == _WEEK_H:
        t0 = row.series.first_h
        group = [i] + [j for j in range(i + 1, len(rows)) if like(j) and t0 < rows[j].series.first_h < t0 + _WEEK_H
                       and abs((rows[j].series.first_h - t0) % _DAY_H) < 1e-9]
        days = [round(rows[j].series.first_h * 3600) // 86400 % 7 for j in group]
        if len(group) > 1 and len(set(days)) == len(days):
            yield group, Frequency(kind="weekdays", weekdays=tuple(days))
    yield [i], _ONCE if period is None else Frequency(kind="every", interval_h=period)


def _fit(group: list[_Row], frequency: Frequency) -> Prescription | None:
    """A one-step prescription of ``frequency`` giving exactly the series of ``group``, if any.

    A lone series always fits (its first dose kept to the second), with ``for N days`` when
    that gives the same count, else ``for N doses``.
    """
    head = group[0]
    seconds = round(head.series.first_h * 3600)
    day, clock = divmod(seconds, 86400)
    target = sorted(r.series.key() for r in group)
    last = max(r.series.first_h + (r.series.count - 1) * (r.series.period_h or 0.0) for r in group)
    days = max(1, math.floor(last / _DAY_H) + 1 - day)
    ends = [{}] if frequency.kind == "once" else [
        {"days": -(-days // 7) * 7},  # whole weeks read best
        {"days": days},
        {"doses": sum(r.series.count for r in group)},
    ]
    for end in ends:
        step = Step(amount=head.amount, route=head.route, frequency=frequency, clock_h=clock / 3600, **end)
        if sorted(s.key() for s in _step_series(step, day, math.inf)) == target:
            break
    else:
        if len(group) > 1:
            return None
    return Prescription(drug=head.info.name, steps=(step,), start_day=day)
