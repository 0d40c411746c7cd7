"""Trial specs: one published study as the validation runner reads it (YAML, validated).

The format is ``shared/validation/FORMAT.md``: an ``id`` and ``citation``, the ``population``
(size, optional age, BMI, phenotype hint and published baseline), an optional ``run_in``, and
``arms``, each a regimen in hpgsim's regimen language with its treatment length, optional
follow-up and ``endpoints``. Loading checks everything that can be checked without simulating:
every prescription parses (:meth:`hpgsim.regimen.Regimen.parse`), every observable and unit is
one of the format's, every phenotype is known, every endpoint carries exactly the fields its kind
needs and falls inside its arm's simulated span. A malformed spec raises
:class:`~hpgsim.errors.InputError` with one line naming the file, the field path and what is
allowed, e.g. ``WHO1990.yaml: arms[0].endpoints[1].kind: 'mode' is not an endpoint kind;
allowed: mean, median, ...``.

Inclusion criteria (optional, ``population.inclusion``): the published screening labs the men
had to meet, each an observable with one bound, ``below`` (reading < value) or ``at_least``
(reading >= value), its ``unit`` (none for the ratios) and ``at``: ``screening`` (default; before
the run-in, week 0 where there is none) or ``end_of_run_in`` (the arms' week 0; needs a
``run_in``), e.g. ``inclusion: [{observable: sperm_concentration, below: 0.1, unit: M/mL, at:
end_of_run_in}]``. Two bounds on one observable are two criteria. A bad criterion is refused like
any other field, e.g. ``GNRH.yaml: population.inclusion[0].at: 'week0' is not a screening time;
allowed: screening, end_of_run_in``. How the runner screens: :func:`hpgsim.trials.runner.enrol`.

Published values are required for validation. A study *design* (``hpgsim trial``: a user's own
trial, nothing published yet) is read with ``published=False``: then ``citation`` and
``source_quality`` may be left out, an arm may have no endpoints, and an endpoint may have no
``value`` (it is predicted, not scored); everything else is checked the same way.

Time: weeks count from the start of an arm (the end of the run-in). A lab-like endpoint at
``week`` is sampled on the nearest whole day, at 08:00 unless it gives ``clock_hour``; doses of
an arm fall in its first ``weeks`` weeks and ``follow_up_weeks`` are simulated without them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hpgsim.errors import InputError
from hpgsim.patient import PHENOTYPES
from hpgsim.regimen import Regimen

__all__ = [
    "OBSERVABLE_UNITS",
    "DIMENSIONLESS",
    "KINDS",
    "SOURCE_QUALITIES",
    "SAMPLE_CLOCK_HOUR",
    "MAX_WEEKS",
    "Quantity",
    "SCREENING_TIMES",
    "BOUNDS",
    "Criterion",
    "Population",
    "RunIn",
    "Endpoint",
    "Arm",
    "TrialSpec",
    "ScheduledEndpoint",
    "parse_spec",
    "load_spec",
    "load_specs",
    "load_fitting",
    "convert",
]

DIMENSIONLESS = "-"
"""The unit of the ratio observables (``1`` is read as the same)."""

OBSERVABLE_UNITS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "total_testosterone": ("ng/dL", "nmol/L"),
    "free_testosterone": ("pg/mL", "pmol/L"),
    "bioavailable_testosterone": ("ng/dL", "nmol/L"),
    "intratesticular_testosterone": ("nmol/L",),
    "dihydrotestosterone": ("nmol/L",),
    "estradiol": ("pg/mL", "pmol/L"),
    "lh": ("IU/L", "mIU/mL"),
    "fsh": ("IU/L", "mIU/mL"),
    "shbg": ("nmol/L",),
    "inhibin_b": ("pg/mL",),
    "t_e2_ratio": (DIMENSIONLESS,),
    "t_lh_ratio": (DIMENSIONLESS,),
    "sperm_concentration": ("M/mL",),
    "total_sperm_count": ("M",),
    "total_motile_count": ("M",),
})
"""Canonical observable names and the units a spec may give them in, canonical unit first."""

_SUBSTANCE = {"total_testosterone": "testosterone", "free_testosterone": "testosterone",
              "bioavailable_testosterone": "testosterone", "intratesticular_testosterone": "testosterone",
              "dihydrotestosterone": "dihydrotestosterone", "estradiol": "estradiol"}

LEVEL_KINDS = ("mean", "median")
CHANGE_KINDS = ("percent_change", "fold_change")
FRACTION_KINDS = ("fraction_below", "fraction_at_least")
TIME_KINDS = ("median_weeks_to_below", "median_weeks_to_at_least")
KINDS = LEVEL_KINDS + CHANGE_KINDS + FRACTION_KINDS + TIME_KINDS
"""Endpoint kinds, as FORMAT.md defines them."""

SOURCE_QUALITIES = ("primary_table", "primary_text", "abstract", "secondary")
MAX_WEEKS = 1560.0
"""Longest span a spec may describe (30 years): any week, length or follow-up beyond it is refused."""
SAMPLE_CLOCK_HOUR = 8.0
"""Clock hour of a lab-like endpoint that gives no ``clock_hour`` (morning sample)."""

_ID_RE = re.compile(r"[A-Z][A-Z0-9_]*")
_DAY_H = 24.0
_WEEK_H = 168.0


class _Invalid(ValueError):
    """A validation failure at ``path`` below the value being validated."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _allowed(items: Iterable[str]) -> str:
    return ", ".join(items)


def _unit_of(observable: str, unit: str | None, *, extra: tuple[str, ...] = (), optional: bool = False) -> str | None:
    """``unit`` checked against the observable's units; None only where ``optional`` or dimensionless."""
    units = OBSERVABLE_UNITS[observable]
    if units == (DIMENSIONLESS,) and unit in (None, DIMENSIONLESS, "1"):
        return DIMENSIONLESS
    allowed = units + extra
    if unit is None:
        if optional:
            return None
        raise _Invalid(("unit",), f"missing; {observable} needs a unit; allowed: {_allowed(allowed)}")
    if unit not in allowed:
        raise _Invalid(("unit",), f"'{unit}' is not a unit of {observable}; allowed: {_allowed(allowed)}")
    return unit


class _Model(BaseModel):
    """Strict, frozen, and refusing unknown fields with a message that lists the known ones."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        fields = _allowed(cls.model_fields)
        if not isinstance(data, Mapping):
            raise _Invalid((), f"{_show(data)} is not a mapping; allowed: a mapping with fields {fields}")
        for key in data:
            if key not in cls.model_fields:
                raise _Invalid((str(key),), f"unknown field; allowed: {fields}")
        return data


def _design(info: ValidationInfo) -> bool:
    """Whether the spec is read as a study design (published values optional)."""
    return bool(info.context and info.context.get("design"))


def _text(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"empty; allowed: {what}")
    return value


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


class Quantity(_Model):
    """A published number with its unit (a baseline mean)."""

    value: float = Field(ge=0)
    unit: str | None = None


def _known_observable(v: str) -> str:
    """An endpoint's or criterion's observable, refused unless the spec format knows it."""
    if v not in OBSERVABLE_UNITS:
        raise ValueError(f"'{v}' is not an observable; allowed: {_allowed(OBSERVABLE_UNITS)}")
    return v


SCREENING_TIMES = ("screening", "end_of_run_in")
"""When an inclusion criterion is read: at screening (before the run-in; week 0 where there is
none) or at the end of the run-in (the arms' week 0)."""
BOUNDS = ("below", "at_least")
"""An inclusion criterion's bound: the reading must be ``< below`` or ``>= at_least``."""


class Criterion(_Model):
    """One published inclusion criterion on a screening lab: ``observable`` ``< below`` or
    ``>= at_least`` (exactly one of them) in ``unit``, read ``at`` screening (default) or at the
    end of the run-in. A reading is the man's 08:00 value, as an endpoint reads it."""

    observable: str
    below: float | None = Field(default=None, gt=0)
    at_least: float | None = Field(default=None, gt=0)
    unit: str | None = None
    at: str = "screening"
    note: str | None = None

    @field_validator("observable")
    @classmethod
    def _observable(cls, v: str) -> str:
        return _known_observable(v)

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        if v not in SCREENING_TIMES:
            raise ValueError(f"'{v}' is not a screening time; allowed: {_allowed(SCREENING_TIMES)}")
        return v

    @model_validator(mode="after")
    def _one_bound(self) -> Criterion:
        given = [b for b in BOUNDS if getattr(self, b) is not None]
        if not given:
            raise _Invalid(("below",), "missing; a criterion needs exactly one bound; allowed: below or at_least")
        if len(given) > 1:
            raise _Invalid(("at_least",), "a criterion takes one bound, not both; allowed: below or at_least "
                                          "(two criteria for a range)")
        self.__dict__["unit"] = _unit_of(self.observable, self.unit)
        return self

    @property
    def bound(self) -> str:
        """``below`` or ``at_least``."""
        return "below" if self.below is not None else "at_least"

    @property
    def threshold(self) -> float:
        """The bound's value, in :attr:`unit`."""
        value = self.below if self.below is not None else self.at_least
        assert value is not None
        return value

    def passes(self, reading: Any) -> Any:
        """Whether readings (in :attr:`unit`; an array for a cohort) meet the criterion; a
        non-finite reading never does."""
        import numpy as np

        x = np.asarray(reading, dtype=float)
        with np.errstate(invalid="ignore"):
            hit = x < self.threshold if self.bound == "below" else x >= self.threshold
        return hit & np.isfinite(x)

    @property
    def label(self) -> str:
        """The criterion as the reports print it, e.g. ``sperm_concentration < 0.1 M/mL at the end of the run-in``."""
        sign = "<" if self.bound == "below" else ">="
        unit = "" if self.unit == DIMENSIONLESS else f" {self.unit}"
        when = {"screening": "at screening", "end_of_run_in": "at the end of the run-in"}[self.at]
        return f"{self.observable} {sign} {self.threshold:g}{unit} {when}"


class Population(_Model):
    """Who was studied: the published baseline the virtual cohort must match, and the published
    inclusion criteria (screening labs) the men must meet."""

    description: str
    n: int = Field(gt=0)
    age_years: float | None = Field(default=None, ge=12.0, le=100.0)
    bmi: float | None = Field(default=None, ge=14.0, le=70.0)
    phenotype: str | None = None
    baseline: dict[str, Quantity] = Field(default_factory=dict)
    inclusion: list[Criterion] = Field(default_factory=list)

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return _text(v, "who was studied")

    @field_validator("phenotype")
    @classmethod
    def _phenotype(cls, v: str | None) -> str | None:
        if v is not None and v not in PHENOTYPES:
            raise ValueError(f"unknown phenotype '{v}'; allowed: {_allowed(PHENOTYPES)}")
        return v

    @field_validator("baseline")
    @classmethod
    def _baseline(cls, v: dict[str, Quantity]) -> dict[str, Quantity]:
        out = {}
        for name, q in v.items():
            if name not in OBSERVABLE_UNITS:
                raise _Invalid((name,), f"'{name}' is not an observable; allowed: {_allowed(OBSERVABLE_UNITS)}")
            try:
                unit = _unit_of(name, q.unit)
            except _Invalid as e:
                raise _Invalid((name, *e.path), e.message) from None
            out[name] = q.model_copy(update={"unit": unit})
        return out


def _check_regimen(texts: list[str]) -> list[str]:
    """Each prescription must read in the regimen language."""
    for i, text in enumerate(texts):
        if not text.strip():
            raise _Invalid((i,), "empty prescription; allowed: 'drug dose unit route frequency', e.g. "
                                 "'anastrozole 1 mg PO daily'")
        try:
            Regimen.parse(text)
        except InputError as e:
            raise _Invalid((i,), f"'{text}' does not read: {e}") from None
    return texts


class RunIn(_Model):
    """What the cohort took before the study; the study's week 0 is the end of the run-in."""

    regimen: list[str] = Field(min_length=1)
    weeks: float = Field(gt=0, le=MAX_WEEKS)

    @field_validator("regimen")
    @classmethod
    def _regimen(cls, v: list[str]) -> list[str]:
        return _check_regimen(v)

    @property
    def prescriptions(self) -> Regimen:
        """The run-in's regimen, parsed."""
        return Regimen.parse(self.regimen)

    @property
    def hours(self) -> float:
        return self.weeks * _WEEK_H


_VALUE_RANGE = {  # kind -> (low, high, low excluded, text)
    "mean": (0.0, math.inf, False, ">= 0"),
    "median": (0.0, math.inf, False, ">= 0"),
    "percent_change": (-100.0, math.inf, False, ">= -100 (%)"),
    "fold_change": (0.0, math.inf, True, "> 0"),
    "fraction_below": (0.0, 1.0, False, "0 to 1"),
    "fraction_at_least": (0.0, 1.0, False, "0 to 1"),
    "median_weeks_to_below": (0.0, math.inf, True, "> 0 (weeks)"),
    "median_weeks_to_at_least": (0.0, math.inf, True, "> 0 (weeks)"),
}


def _nearest_day(days: float) -> int:
    return math.floor(days + 0.5)


class Endpoint(_Model):
    """One published outcome of an arm; which fields it needs depends on ``kind``."""

    observable: str
    kind: str
    value: float | None = None  # the published value; None only in a study design (nothing to score)
    unit: str | None = None
    week: float | None = Field(default=None, ge=0, le=MAX_WEEKS)
    threshold: float | None = Field(default=None, gt=0)
    after_week: float | None = Field(default=None, ge=0, le=MAX_WEEKS)
    clock_hour: float | None = Field(default=None, ge=0, lt=24)
    ci: list[float] | None = Field(default=None, min_length=2, max_length=2)
    tolerance: float | None = Field(default=None, gt=0)
    note: str | None = None

    @field_validator("observable")
    @classmethod
    def _observable(cls, v: str) -> str:
        return _known_observable(v)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"'{v}' is not an endpoint kind; allowed: {_allowed(KINDS)}")
        return v

    @model_validator(mode="after")
    def _fields_of_kind(self, info: ValidationInfo) -> Endpoint:
        kind = self.kind
        needs = {"week": kind not in TIME_KINDS, "threshold": kind in FRACTION_KINDS + TIME_KINDS}
        for name, needed in needs.items():
            if needed and getattr(self, name) is None:
                raise _Invalid((name,), f"missing; kind '{kind}' needs {name}")
            if not needed and getattr(self, name) is not None:
                raise _Invalid((name,), f"kind '{kind}' takes no {name}")
        sampled = LEVEL_KINDS + CHANGE_KINDS + FRACTION_KINDS
        for name, allowed_kinds in (("after_week", TIME_KINDS), ("clock_hour", sampled), ("ci", LEVEL_KINDS)):
            if getattr(self, name) is not None and kind not in allowed_kinds:
                raise _Invalid((name,), f"kind '{kind}' takes no {name}; allowed with: {_allowed(allowed_kinds)}")
        extra = ("%",) if kind == "percent_change" else ()
        unit = _unit_of(self.observable, self.unit, extra=extra, optional=kind in CHANGE_KINDS)
        value = self.value
        low, high, strict, text = _VALUE_RANGE[kind]
        if value is None:
            if not _design(info):
                raise _Invalid(("value",), "missing; validation needs the published value (only `hpgsim trial` "
                                           "reads an endpoint without one)")
            for name in ("ci", "tolerance"):
                if getattr(self, name) is not None:
                    raise _Invalid((name,), f"an endpoint without a published value takes no {name}; allowed: "
                                            "give the value too")
        elif value < low or value > high or (strict and value == low):
            raise _Invalid(("value",), f"{value:g} is not allowed for kind '{kind}'; allowed: {text}")
        if self.ci is not None and value is not None:
            lo, hi = self.ci
            if not lo <= value <= hi:
                message = f"[{lo:g}, {hi:g}] does not contain the value {value:g}; allowed: lo <= value <= hi"
                raise _Invalid(("ci",), message)
        if self.tolerance is not None and not (self.note and self.note.strip()):
            raise _Invalid(("note",), "missing; an endpoint that overrides the tolerance says why in a note")
        self.__dict__["unit"] = unit  # ratios: '-' whether given as '-', '1' or not at all
        return self

    # ---- time
    @property
    def day(self) -> float | None:
        """The endpoint's time in days from the start of its arm (None for the median-time kinds)."""
        return None if self.week is None else self.week * 7.0

    @property
    def sample_h(self) -> float | None:
        """Hours from the start of the arm at which the endpoint is sampled: the nearest whole day
        to ``week``, at ``clock_hour`` or 08:00 (None for the median-time kinds)."""
        if self.week is None:
            return None
        clock = SAMPLE_CLOCK_HOUR if self.clock_hour is None else self.clock_hour
        return _nearest_day(self.week * 7.0) * _DAY_H + clock

    @property
    def after_h(self) -> float | None:
        """For the median-time kinds, the hour from which the time is counted (default 0)."""
        return None if self.kind not in TIME_KINDS else (self.after_week or 0.0) * _WEEK_H

    @property
    def published(self) -> bool:
        """Whether the endpoint carries a published value (a study design's may not)."""
        return self.value is not None

    # ---- scoring
    def band(self) -> tuple[float, float]:
        """The interval a prediction must fall in to pass (FORMAT.md's defaults, or ``tolerance``);
        (NaN, NaN) for an endpoint without a published value."""
        v = self.value
        if v is None:
            return (math.nan, math.nan)
        if self.tolerance is not None:
            half = self.tolerance
        elif self.kind in LEVEL_KINDS:
            if self.ci is not None:
                return (self.ci[0], self.ci[1])
            half = 0.25 * abs(v)
        elif self.kind == "percent_change":
            half = max(20.0, 0.25 * abs(v))
        elif self.kind == "fold_change":
            half = 0.25 * abs(v)
        elif self.kind in FRACTION_KINDS:
            half = 0.15
        else:
            half = 0.30 * abs(v)
        return (v - half, v + half)

    def passes(self, predicted: float | None) -> bool:
        """Whether ``predicted`` (in the endpoint's own unit) is within tolerance."""
        if predicted is None or not math.isfinite(predicted):
            return False
        lo, hi = self.band()
        return lo <= predicted <= hi

    @property
    def tolerance_label(self) -> str:
        """The tolerance as the report prints it (``25%``, ``95% CI``, ``20 pp``, ``0.15``, ...)."""
        if self.value is None:
            return "-"
        if self.tolerance is not None:
            unit = {"percent_change": " pp", "median_weeks_to_below": " weeks",
                    "median_weeks_to_at_least": " weeks"}.get(self.kind, "")
            if self.kind in LEVEL_KINDS and self.unit != DIMENSIONLESS:
                unit = f" {self.unit}"
            return f"{self.tolerance:g}{unit}"
        if self.kind in LEVEL_KINDS:
            return "95% CI" if self.ci is not None else "25%"
        if self.kind == "percent_change":
            return f"{max(20.0, 0.25 * abs(self.value)):g} pp"
        return {"fold_change": "25%", "fraction_below": "0.15", "fraction_at_least": "0.15"}.get(self.kind, "30%")


class Arm(_Model):
    """One arm: its regimen (one prescription per agent; empty for an untreated arm), treatment
    length, optional follow-up without doses, and its endpoints."""

    name: str
    regimen: list[str]
    weeks: float = Field(ge=0, le=MAX_WEEKS)
    follow_up_weeks: float | None = Field(default=None, ge=0, le=MAX_WEEKS)
    endpoints: list[Endpoint] = Field(default_factory=list)  # at least one, except in a study design

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _text(v, "an arm label")

    @field_validator("regimen")
    @classmethod
    def _regimen(cls, v: list[str]) -> list[str]:
        return _check_regimen(v)

    @model_validator(mode="after")
    def _within_span(self, info: ValidationInfo) -> Arm:
        if not self.endpoints and not _design(info):
            if "endpoints" not in self.model_fields_set:
                raise _Invalid(("endpoints",), "missing; this field is required")
            raise _Invalid(("endpoints",), "[] is too short; allowed: at least 1 item(s)")
        span = self.total_weeks
        for i, e in enumerate(self.endpoints):
            for name in ("week", "after_week"):
                w = getattr(e, name)
                if w is not None and w > span:
                    raise _Invalid(("endpoints", i, name),
                                   f"{w:g} is after the end of the arm (weeks + follow_up_weeks = {span:g}); "
                                   f"allowed: 0 to {span:g}")
        return self

    @property
    def prescriptions(self) -> Regimen:
        """The arm's regimen, parsed."""
        return Regimen.parse(self.regimen)

    @property
    def total_weeks(self) -> float:
        """Treatment plus follow-up."""
        return self.weeks + (self.follow_up_weeks or 0.0)

    @property
    def dose_until_h(self) -> float:
        """Doses fall before this hour of the arm (its treatment length)."""
        return self.weeks * _WEEK_H

    @property
    def end_h(self) -> float:
        """How long to simulate the arm: treatment, follow-up and the last sample."""
        samples = [e.sample_h for e in self.endpoints if e.sample_h is not None]
        return max([self.total_weeks * _WEEK_H, *samples])


class ScheduledEndpoint(NamedTuple):
    """An endpoint with its arm and its time points, as the runner walks them."""

    trial: str
    arm: str
    index: int  # position in the arm's endpoint list
    endpoint: Endpoint
    day: float | None  # week x 7 (None for the median-time kinds)
    sample_h: float | None  # hours from the arm's start of the sample
    after_h: float | None  # for the median-time kinds: counting starts here


class TrialSpec(_Model):
    """One published study: its population, optional run-in and arms."""

    id: str
    citation: str | None = None  # required, except in a study design
    source_quality: str | None = None  # required, except in a study design
    population: Population
    run_in: RunIn | None = None
    arms: list[Arm] = Field(min_length=1)

    _source: str = PrivateAttr(default="<spec>")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.fullmatch(v):
            raise ValueError(f"'{v}' is not an id; allowed: upper-case letters, digits and '_', starting with a letter")
        return v

    @field_validator("citation")
    @classmethod
    def _citation(cls, v: str | None) -> str | None:
        return None if v is None else _text(v, "authors, journal, year, volume and pages")

    @field_validator("source_quality")
    @classmethod
    def _quality(cls, v: str | None) -> str | None:
        if v is not None and v not in SOURCE_QUALITIES:
            raise ValueError(f"'{v}' is not a source quality; allowed: {_allowed(SOURCE_QUALITIES)}")
        return v

    @field_validator("arms")
    @classmethod
    def _unique_arms(cls, v: list[Arm]) -> list[Arm]:
        seen: set[str] = set()
        for i, arm in enumerate(v):
            if arm.name in seen:
                raise _Invalid((i, "name"), f"'{arm.name}' names two arms; allowed: a different name for each arm")
            seen.add(arm.name)
        return v

    @model_validator(mode="after")
    def _published_source(self, info: ValidationInfo) -> TrialSpec:
        if not _design(info):
            for name in ("citation", "source_quality"):
                if getattr(self, name) is None:
                    raise _Invalid((name,), "missing; this field is required")
        if self.run_in is None:
            for i, c in enumerate(self.population.inclusion):
                if c.at == "end_of_run_in":
                    raise _Invalid(("population", "inclusion", i, "at"),
                                   "'end_of_run_in' needs a run_in; allowed: screening (week 0 without a run-in), "
                                   "or give the spec a run_in")
        return self

    @property
    def published(self) -> bool:
        """Whether every endpoint carries a published value (a spec that ``hpgsim validate`` can score)."""
        return all(e.published for arm in self.arms for e in arm.endpoints)

    @property
    def source(self) -> str:
        """The file (or label) the spec was read from."""
        return self._source

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise InputError("arm", f"'{name}' is not an arm of {self.id}; allowed: {_allowed(a.name for a in self.arms)}")

    @property
    def arms_by_name(self) -> Mapping[str, Arm]:
        return MappingProxyType({a.name: a for a in self.arms})

    def endpoints(self) -> list[ScheduledEndpoint]:
        """Every endpoint of every arm, in spec order, with its time points."""
        return [ScheduledEndpoint(self.id, arm.name, i, e, e.day, e.sample_h, e.after_h)
                for arm in self.arms for i, e in enumerate(arm.endpoints)]

    def baseline(self, observable: str, unit: str | None = None) -> float | None:
        """The published baseline of ``observable`` (in ``unit`` if given), or None."""
        q = self.population.baseline.get(observable)
        if q is None:
            return None
        return q.value if unit is None else convert(observable, q.value, q.unit or DIMENSIONLESS, unit)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key
            out += " (key)"
        else:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: Mapping[str, Any]) -> str:
    """One line for a pydantic error that no validator of this module wrote."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return "missing; this field is required"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"{_show(value)} is not allowed; allowed: a finite number"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{_show(value)} is not allowed; allowed: a whole number"
    if kind == "string_type":
        return f"{_show(value)} is not allowed; allowed: text"
    if kind == "list_type":
        return f"{_show(value)} is not allowed; allowed: a list"
    if kind == "dict_type":
        return f"{_show(value)} is not allowed; allowed: a mapping"
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
              "less_than_equal": "<= {le}"}
    if kind in bounds:
        return f"{_show(value)} is not allowed; allowed: {bounds[kind].format(**ctx)}"
    if kind == "too_short":
        return f"{_show(value)} is too short; allowed: at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"{_show(value)} is too long; allowed: at most {ctx.get('max_length')} item(s)"
    return f"{_show(value)}: {' '.join(str(err['msg']).split())}"


def _input_error(exc: ValidationError, source: str) -> InputError:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, _Invalid):
        loc += list(error.path)
        message = error.message
    elif err["type"] == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
    else:
        message = _describe(err)
    field = f"{source}: {_path(loc)}" if loc else source
    return InputError(" ".join(field.split()), " ".join(message.split()))


def parse_spec(data: Any, source: str = "<spec>", *, published: bool = True) -> TrialSpec:
    """Validate a spec already read into Python (a mapping); ``source`` names it in errors.

    ``published=False`` reads a study design: published values, citation and source quality
    optional, arms without endpoints allowed (see the module's docstring)."""
    try:
        spec = TrialSpec.model_validate(data, context={"design": not published})
    except ValidationError as e:
        raise _input_error(e, source) from None
    spec._source = source
    return spec


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        message = f"cannot be read ({e.__class__.__name__}); allowed: a readable UTF-8 YAML file"
        raise InputError(str(path), message) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or e.__class__.__name__
        raise InputError(str(path), f"is not valid YAML{where}: {problem}") from None


def load_spec(path: str | Path, *, published: bool = True) -> TrialSpec:
    """Read and validate one trial spec (YAML); ``published=False`` reads a study design."""
    path = Path(path)
    return parse_spec(_read_yaml(path), source=str(path), published=published)


def load_specs(paths: Iterable[str | Path], *, published: bool = True) -> list[TrialSpec]:
    """Read several specs (a directory stands for its ``*.yaml``), refusing a repeated id."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    specs: list[TrialSpec] = []
    seen: dict[str, str] = {}
    for f in files:
        spec = load_spec(f, published=published)
        if spec.id in seen:
            raise InputError(f"{f}: id", f"'{spec.id}' is also the id of {seen[spec.id]}; allowed: one spec per id")
        seen[spec.id] = str(f)
        specs.append(spec)
    return specs


def load_fitting(path: str | Path) -> dict[str, tuple[str, ...]]:
    """Read the map study id -> parameters fitted to it (an empty list: not used for fitting).

    Every name must be a parameter of :data:`hpgsim.parameters.TABLE`; the runner uses the map
    to score studies used for fitting apart from those that were not.
    """
    from hpgsim.parameters import TABLE

    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise InputError(str(path), f"{_show(data)} is not allowed; allowed: a mapping of study id -> parameter list")
    out: dict[str, tuple[str, ...]] = {}
    for key, names in data.items():
        if not isinstance(key, str) or not _ID_RE.fullmatch(key):
            raise InputError(f"{path}: {key}", "is not a study id; allowed: upper-case letters, digits and '_'")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(f"{path}: {key}", f"{_show(names)} is not allowed; allowed: a list of parameter names")
        for name in names:
            if name not in TABLE:
                raise InputError(f"{path}: {key}", f"'{name}' is not a parameter of hpgsim.parameters.TABLE")
        out[key] = tuple(names)
    return out


def convert(observable: str, value: float, from_unit: str, to_unit: str) -> float:
    """``value`` of ``observable`` from one of its units to another (``-`` for the ratios)."""
    units = OBSERVABLE_UNITS.get(observable)
    if units is None:
        raise InputError("observable", f"'{observable}' is not an observable; allowed: {_allowed(OBSERVABLE_UNITS)}")
    for unit in (from_unit, to_unit):
        if unit not in units and not (units == (DIMENSIONLESS,) and unit == "1"):
            raise InputError("unit", f"'{unit}' is not a unit of {observable}; allowed: {_allowed(units)}")
    if from_unit == to_unit or units == (DIMENSIONLESS,):
        return float(value)
    from hpgsim.units import convert as convert_units

    return float(convert_units(value, from_unit, to_unit, substance=_SUBSTANCE.get(observable)))
