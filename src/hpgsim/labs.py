"""The patient file: age, BMI, fertility wish, labs, semen analysis and treatment history.

The format is that of ``PATIENT_FORMAT.md`` (YAML or JSON)::

    age_years: 34
    bmi: 31                        # or weight_kg + height_cm
    fertility_desired: true
    labs:
      total_testosterone: {value: 270, unit: ng/dL, drawn_at: "08:30"}
      lh: {value: 3.4, unit: IU/L}
    semen:
      sperm_concentration: {value: 7.8, unit: M/mL}
    history:
      - {regimen: "testosterone cypionate 200 mg IM weekly", start_week: -60, stop_week: -4}

Weeks count from the lab draw (week 0). A lab may be one entry or a list of dated entries (repeated
measurements). Values are kept as given; :meth:`PatientFile.canonical_labs` converts them with
:func:`hpgsim.units.convert` to the canonical units of :data:`PLAUSIBLE`. Every problem raises
:class:`~hpgsim.errors.InputError` with one line naming the field, the value and what is allowed.

>>> pf = parse_patient({"age_years": 34, "bmi": 31, "fertility_desired": True,
...                     "labs": {"total_testosterone": {"value": 9.4, "unit": "nmol/L"}}})
>>> round(pf.canonical_labs()["total_testosterone"])
271
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Self, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from hpgsim.errors import InputError
from hpgsim.patient import Patient
from hpgsim.regimen import Regimen
from hpgsim.units import convert

__all__ = [
    "DEFAULT_DRAW_HOUR",
    "PLAUSIBLE",
    "Bounds",
    "check_lab",
    "LabValue",
    "SemenValue",
    "ReferenceRange",
    "Labs",
    "Semen",
    "HistoryEntry",
    "PatientFile",
    "load_patient_file",
    "parse_patient",
    "example_patient",
    "example_names",
]

DEFAULT_DRAW_HOUR = 8.0
"""Clock hour of a lab without ``drawn_at``: labs are morning values (as the simulation samples)."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """Plausible values of one measure, in its canonical unit.

    ``units`` are the common units, named in error messages; any other unit that converts is
    accepted too, except where ``listed_only`` (counts and percentages, which pint cannot tell
    apart). ``substance`` enables mass <-> molar conversion (:data:`hpgsim.units.MOLAR_MASS`).
    """

    unit: str
    low: float
    high: float
    units: tuple[str, ...]
    substance: str | None = None
    listed_only: bool = False


# Generous physiological extremes (a value outside is a typo or a wrong unit), not reference ranges.
PLAUSIBLE: Mapping[str, Bounds] = MappingProxyType({
    # --- labs
    # healthy men about 250-1000 ng/dL; testosterone therapy and anabolic steroids rarely exceed 3000
    "total_testosterone": Bounds("ng/dL", 0.0, 3000.0, ("ng/dL", "nmol/L", "ng/mL"), "testosterone"),
    # healthy men about 50-250 pg/mL; up to ~4% of a supraphysiological total T at very low SHBG
    "free_testosterone": Bounds("pg/mL", 0.0, 1500.0, ("pg/mL", "pmol/L", "ng/dL"), "testosterone"),
    # free + albumin-bound: a part of total T, so bounded like it
    "bioavailable_testosterone": Bounds("ng/dL", 0.0, 3000.0, ("ng/dL", "nmol/L"), "testosterone"),
    # men about 10-50 pg/mL; aromatised androgen excess, hCG and feminising tumours reach a few hundred
    "estradiol": Bounds("pg/mL", 0.0, 1000.0, ("pg/mL", "pmol/L", "ng/L", "ng/dL"), "estradiol"),
    # men about 1.5-9 IU/L; castrate and Klinefelter men about 30-100, pituitary tumours higher
    "lh": Bounds("IU/L", 0.0, 200.0, ("IU/L", "mIU/mL", "U/L")),
    # men about 1.5-12 IU/L; Sertoli-cell-only and castrate men reach about 100
    "fsh": Bounds("IU/L", 0.0, 200.0, ("IU/L", "mIU/mL", "U/L")),
    # men about 10-60 nmol/L; hyperthyroidism, cirrhosis, old age and HIV reach about 150-250
    "shbg": Bounds("nmol/L", 0.0, 300.0, ("nmol/L",)),
    # normal 35-50 g/L; severe hypoalbuminaemia about 10-15, dehydration rarely above 60
    "albumin": Bounds("g/L", 10.0, 70.0, ("g/dL", "g/L")),
    # men about 80-400 pg/mL, young men up to about 500; undetectable in Sertoli failure
    "inhibin_b": Bounds("pg/mL", 0.0, 1000.0, ("pg/mL", "ng/L")),
    # --- semen
    # WHO 2010 95th percentile about 210 M/mL; polyzoospermia rarely above 500
    "sperm_concentration": Bounds("M/mL", 0.0, 1000.0, ("M/mL", "million/mL", "10^6/mL"), listed_only=True),
    # WHO 2010 95th percentile about 800 M per ejaculate; rarely above 2000
    "total_sperm_count": Bounds("M", 0.0, 5000.0, ("M", "million"), listed_only=True),
    # at most the total sperm count
    "total_motile_count": Bounds("M", 0.0, 5000.0, ("M", "million"), listed_only=True),
    # WHO 2010 5th-95th percentile 1.5-6.8 mL; rarely above 10 mL
    "volume": Bounds("mL", 0.0, 20.0, ("mL",)),
    # shares of the sperm
    "progressive_motility": Bounds("%", 0.0, 100.0, ("%", "percent"), listed_only=True),
    "total_motility": Bounds("%", 0.0, 100.0, ("%", "percent"), listed_only=True),
})


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _num(x: float) -> str:
    """A number as the user wrote it (no trailing '.0')."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _message(error: InputError) -> str:
    """The message of an InputError without its field prefix."""
    return str(error)[len(error.field) + 2:]


def _join(path: str, part: str) -> str:
    """A field path: ``labs`` + ``total_testosterone`` -> ``labs.total_testosterone``; ``[1]`` appends."""
    if not path or not part or part.startswith("["):
        return path + part
    return f"{path}.{part}"


def _spelling(name: str, unit: str) -> str | None:
    """``unit`` as pint should read it, or None where only listed units are allowed and it is not one."""
    bounds = PLAUSIBLE[name]
    if not bounds.listed_only:
        return unit
    return next((u for u in bounds.units if unit.strip().casefold() == u.casefold()), None)


def _to_canonical(name: str, value: float, unit: str, field: str) -> float:
    """``value`` in ``unit`` converted to the canonical unit of ``name``; InputError on a bad unit."""
    bounds = PLAUSIBLE[name]
    allowed = f"allowed units: {', '.join(bounds.units)}"
    what = name.replace("_", " ")
    spelling = _spelling(name, unit)
    try:
        if spelling is not None:
            return float(convert(value, spelling, bounds.unit, substance=bounds.substance, field=field))
    except InputError as e:
        if "unknown unit" in str(e):
            raise InputError(field, f"{_num(value)} {unit}: unknown unit '{unit}'; {allowed}") from None
    raise InputError(field, f"{_num(value)} {unit}: '{unit}' is not a unit of {what}; {allowed}")


def check_lab(name: str, value: float, unit: str, field: str) -> float:
    """Lab ``name`` at ``value unit`` in its canonical unit; refuses units not of that lab and values outside
    :data:`PLAUSIBLE` (an :class:`~hpgsim.errors.InputError` naming ``field``)."""
    bounds = PLAUSIBLE[name]
    canonical = _to_canonical(name, value, unit, field)
    if not bounds.low <= canonical <= bounds.high:
        shown = f"{_num(value)} {unit}" + ("" if unit == bounds.unit else f" ({canonical:.4g} {bounds.unit})")
        plausible = f"{_num(bounds.low)}-{_num(bounds.high)} {bounds.unit}"
        raise InputError(field, f"{shown} is outside the plausible range {plausible}")
    return canonical


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError(f"{v} is not a number; allowed: a finite number")
    return v


def _clock(v: Any) -> Any:
    if isinstance(v, time):
        return v
    text = v.strip() if isinstance(v, str) else ""
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", text):
        return text if text.index(":") == 2 else f"0{text}"  # 8:30 -> 08:30
    hint = " (write it in quotes: YAML reads an unquoted 8:30 as 510)" if isinstance(v, int) else ""
    raise ValueError(f"{v!r} is not a clock time; allowed: 'HH:MM' or 'HH:MM:SS'{hint}")


def _calendar_date(v: Any) -> Any:
    if isinstance(v, (int, float)):
        raise ValueError(f"{v!r} is not a date; allowed: YYYY-MM-DD")
    return v


Number = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]
Clock = Annotated[time, BeforeValidator(_clock)]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


class _Strict(BaseModel):
    """Frozen, and unknown keys are refused with the list of allowed ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _kind: ClassVar[str] = "field"

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise _input_error(e) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate ``obj``; a failure is an :class:`InputError` naming the first bad field."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as e:
            raise _input_error(e) from None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if key not in cls.model_fields:
                    raise InputError(str(key), f"unknown {cls._kind}; allowed: {', '.join(cls.model_fields)}")
        return data


# --------------------------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------------------------


class SemenValue(_Strict):
    """One semen measure as given: value, unit and optional date of the analysis."""

    value: Number
    unit: Annotated[str, Field(min_length=1)]
    date: CalendarDate | None = None


class LabValue(_Strict):
    """One lab value as given: value, unit, optional draw time and date, optional method."""

    value: Number
    unit: Annotated[str, Field(min_length=1)]
    drawn_at: Clock | None = None
    date: CalendarDate | None = None
    method: str | None = None

    @property
    def clock_hour(self) -> float:
        """Hour of the draw (``drawn_at``), 08:00 when not given."""
        if self.drawn_at is None:
            return DEFAULT_DRAW_HOUR
        t = self.drawn_at
        return t.hour + t.minute / 60 + t.second / 3600


def _one_or_many(v: Any) -> str | None:
    if isinstance(v, (Mapping, BaseModel)):
        return "<one>"
    if isinstance(v, (list, tuple)):
        return "<many>"
    return None


def _entry(model: type[BaseModel]) -> Any:
    """One measurement or a non-empty list of them (loc tags in angle brackets, dropped from paths)."""
    return Annotated[
        Union[Annotated[model, Tag("<one>")], Annotated[tuple[model, ...], Field(min_length=1), Tag("<many>")]],
        Discriminator(_one_or_many, custom_error_type="measurement",
                      custom_error_message="allowed: {value: ..., unit: ...} or a list of them"),
    ]


LabEntry = _entry(LabValue)
SemenEntry = _entry(SemenValue)


class ReferenceRange(_Strict):
    """The lab's own reference range for one lab."""

    low: Annotated[Number, Field(ge=0)]
    high: Number
    unit: Annotated[str, Field(min_length=1)]


class _Measures(_Strict):
    """Shared checks of :class:`Labs` and :class:`Semen`: units, plausible values, repeated entries."""

    _parts: ClassVar[tuple[tuple[str, str], ...]] = ()  # (part, whole): the part may not exceed the whole

    def entries(self, name: str) -> tuple[Any, ...]:
        """All measurements of ``name`` (empty if not given)."""
        if name not in self.measure_names():
            raise InputError(name, f"unknown {self._kind}; allowed: {', '.join(self.measure_names())}")
        value = getattr(self, name)
        return () if value is None else value if isinstance(value, tuple) else (value,)

    @classmethod
    def measure_names(cls) -> tuple[str, ...]:
        return tuple(n for n in cls.model_fields if n in PLAUSIBLE)

    def canonical(self) -> dict[str, float]:
        """The mean of each given measure, in its canonical unit."""
        return self._given()

    def _given(self) -> dict[str, float]:
        out = {}
        for name in self.measure_names():
            entries = self.entries(name)
            if entries:
                values = [_to_canonical(name, e.value, e.unit, name) for e in entries]
                out[name] = math.fsum(values) / len(values)
        return out

    @model_validator(mode="after")
    def _check_values(self) -> _Measures:
        for name in self.measure_names():
            entries = self.entries(name)
            repeated = isinstance(getattr(self, name), tuple)
            for i, e in enumerate(entries):
                field = f"{name}[{i}]" if repeated else name
                check_lab(name, e.value, e.unit, field)
                if repeated and e.date is None:
                    raise InputError(f"{field}.date", "missing; allowed: a date (YYYY-MM-DD) on each of repeated measurements")
        for part, whole in self._parts:
            self._not_above(part, whole)
        return self

    def _not_above(self, smaller: str, larger: str) -> None:
        """Refuse a part larger than its whole (given values only, as means, in the whole's unit)."""
        values = self._given()
        if smaller in values and larger in values:
            unit = PLAUSIBLE[larger].unit
            part = float(convert(values[smaller], PLAUSIBLE[smaller].unit, unit, substance=PLAUSIBLE[smaller].substance))
            if part > values[larger]:
                raise InputError(smaller, f"{part:.4g} {unit} is more than {larger} ({values[larger]:.4g} {unit}); "
                                          f"allowed: at most {larger}")


class Labs(_Measures):
    """The labs block: any subset of the labs, each one entry or a list of dated entries."""

    _kind: ClassVar[str] = "lab"
    _parts: ClassVar[tuple[tuple[str, str], ...]] = (
        ("free_testosterone", "total_testosterone"), ("bioavailable_testosterone", "total_testosterone"))

    total_testosterone: LabEntry | None = None
    free_testosterone: LabEntry | None = None
    bioavailable_testosterone: LabEntry | None = None
    estradiol: LabEntry | None = None
    lh: LabEntry | None = None
    fsh: LabEntry | None = None
    shbg: LabEntry | None = None
    albumin: LabEntry | None = None
    inhibin_b: LabEntry | None = None
    reference_ranges: dict[str, ReferenceRange] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_ranges(self) -> Labs:
        for name, rr in self.reference_ranges.items():
            field = f"reference_ranges.{name}"
            if name not in self.measure_names():
                raise InputError(field, f"unknown lab; allowed: {', '.join(self.measure_names())}")
            _to_canonical(name, rr.low, rr.unit, field)
            if not rr.low < rr.high:
                raise InputError(field, f"low {_num(rr.low)} is not below high {_num(rr.high)}; allowed: low < high")
        return self

    def canonical_reference_ranges(self) -> dict[str, tuple[float, float]]:
        """The lab's own reference ranges, ``(low, high)`` in the canonical units."""
        return {name: (_to_canonical(name, rr.low, rr.unit, name), _to_canonical(name, rr.high, rr.unit, name))
                for name, rr in self.reference_ranges.items()}


class Semen(_Measures):
    """The semen analysis: each measure one entry or a list of dated entries."""

    _kind: ClassVar[str] = "semen measure"
    _parts: ClassVar[tuple[tuple[str, str], ...]] = (
        ("progressive_motility", "total_motility"), ("total_motile_count", "total_sperm_count"))

    sperm_concentration: SemenEntry | None = None
    volume: SemenEntry | None = None
    progressive_motility: SemenEntry | None = None
    total_motility: SemenEntry | None = None
    total_sperm_count: SemenEntry | None = None
    total_motile_count: SemenEntry | None = None

    def canonical(self) -> dict[str, float]:
        """As for labs, plus total sperm count (concentration x volume) and total motile count
        (total count x total motility) where not given but derivable."""
        out = self._given()
        if "total_sperm_count" not in out and {"sperm_concentration", "volume"} <= out.keys():
            out["total_sperm_count"] = out["sperm_concentration"] * out["volume"]  # M/mL x mL = M
        if "total_motile_count" not in out and {"total_sperm_count", "total_motility"} <= out.keys():
            out["total_motile_count"] = out["total_sperm_count"] * float(convert(out["total_motility"], "%", "1"))
        return out


class HistoryEntry(_Strict):
    """One past regimen, in weeks from the lab draw (week 0)."""

    regimen: Annotated[str, Field(min_length=1)]
    start_week: Number
    stop_week: Number

    @model_validator(mode="after")
    def _check(self) -> HistoryEntry:
        try:
            reg = Regimen.parse(self.regimen)
        except InputError as e:
            raise InputError("regimen", f"'{self.regimen}' does not parse ({e})") from None
        if reg.titrated:
            from hpgsim.simulate import titrated_history_message

            raise InputError("regimen", titrated_history_message(self.regimen))
        if self.stop_week > 0:
            raise InputError("stop_week", f"{_num(self.stop_week)} is after the lab draw; allowed: <= 0 (week 0 is the draw)")
        if not self.start_week < self.stop_week:
            raise InputError("start_week", f"{_num(self.start_week)} is not before stop_week {_num(self.stop_week)}; "
                                           "allowed: start_week < stop_week")
        return self


# --------------------------------------------------------------------------------------------
# the file
# --------------------------------------------------------------------------------------------


class PatientFile(_Strict):
    """A validated patient file; build it with :func:`parse_patient` or :func:`load_patient_file`."""

    id: str | None = None
    age_years: Number
    bmi: Number | None = None
    weight_kg: Annotated[Number, Field(ge=20, le=400)] | None = None  # extremes of adult body weight
    height_cm: Annotated[Number, Field(ge=100, le=250)] | None = None  # extremes of adult height
    fertility_desired: bool
    labs: Labs
    semen: Semen | None = None
    history: tuple[HistoryEntry, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> PatientFile:
        given = (self.bmi is not None, self.weight_kg is not None, self.height_cm is not None)
        if given not in ((True, False, False), (False, True, True)):
            named = [n for n, g in zip(("bmi", "weight_kg", "height_cm"), given) if g]
            raise InputError("bmi", f"given: {', '.join(named) or 'none'}; allowed: bmi, or weight_kg and height_cm")
        try:
            self.to_patient()
        except InputError as e:
            field = {"age": "age_years", "bmi": "bmi" if self.bmi is not None else "weight_kg, height_cm"}
            raise InputError(field.get(e.field, e.field), _message(e)) from None
        return self

    @property
    def body_mass_index(self) -> float:
        """BMI in kg/m2: as given, or from weight and height."""
        if self.bmi is not None:
            return self.bmi
        assert self.weight_kg is not None and self.height_cm is not None
        return self.weight_kg / float(convert(self.height_cm, "cm", "m")) ** 2

    def measurements(self, name: str) -> tuple[LabValue | SemenValue, ...]:
        """The raw entries of one lab or semen measure, as given (empty if not given)."""
        if name in Labs.measure_names():
            return self.labs.entries(name)
        if name in Semen.measure_names():
            return self.semen.entries(name) if self.semen is not None else ()
        raise InputError(name, f"unknown lab or semen measure; allowed: {', '.join(PLAUSIBLE)}")

    def canonical_labs(self) -> dict[str, float]:
        """Every given lab and semen measure in its canonical unit (:data:`PLAUSIBLE`; the units of
        ``simulate.OBSERVABLES`` for observables, g/L for albumin, mL and % for semen); repeated
        measurements are averaged; total sperm and motile counts are derived where possible."""
        return {**self.labs.canonical(), **(self.semen.canonical() if self.semen is not None else {})}

    def to_patient(self) -> Patient:
        """The simulation's :class:`~hpgsim.patient.Patient`: age, BMI and treatment history."""
        history = tuple((h.regimen, h.start_week, h.stop_week) for h in self.history)
        return Patient(name=self.id or "patient", age=self.age_years, bmi=self.body_mass_index, history=history)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


_SHAPES = {"model_type": "a mapping", "model_attributes_type": "a mapping", "dict_type": "a mapping",
           "tuple_type": "a list", "list_type": "a list", "string_type": "text"}


_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _one_line(field: str, message: str) -> InputError:
    """An InputError whose text is one line whatever the user wrote (line breaks shown escaped)."""
    return InputError(field.translate(_LINE_BREAKS), message.translate(_LINE_BREAKS))


def _input_error(exc: ValidationError) -> InputError:
    """The first error of a pydantic ValidationError as a one-line InputError naming the field path."""
    err = exc.errors(include_url=False)[0]
    path = ""
    for part in err["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("<one>", "<many>"):  # the tags of a measurement union
            path = _join(path, str(part))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        return _one_line(_join(path, cause.field) or "patient", _message(cause))
    if isinstance(cause, ValueError):
        return _one_line(path or "patient", str(cause))
    if err["type"] == "missing":
        return _one_line(path, "missing; this field is required")
    if err["type"] in _SHAPES:
        return _one_line(path or "patient", f"got {_short(err.get('input'))}; allowed: {_SHAPES[err['type']]}")
    return _one_line(path or "patient", f"{err['msg']} (got {_short(err.get('input'))})")


def parse_patient(mapping: Mapping[str, Any]) -> PatientFile:
    """Validate a patient file already read into a mapping (e.g. the body of a web request)."""
    if not isinstance(mapping, Mapping):
        raise InputError("patient", f"got {type(mapping).__name__}; allowed: a mapping of the patient file's fields")
    return PatientFile.model_validate(dict(mapping))


def _no_duplicates(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise InputError(str(k), "given twice; allowed: each key once (repeated measurements go in a list)")
    return dict(pairs)


def _read_yaml(text: str, source: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that refuses duplicate keys."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            self.flatten_mapping(node)
            pairs = [(self.construct_object(k, deep=deep), self.construct_object(v, deep=deep)) for k, v in node.value]
            try:
                return _no_duplicates(pairs)
            except TypeError:
                raise _one_line(source, f"a key of the mapping at line {node.start_mark.line + 1} is not text") from None
            except InputError as e:
                line = node.start_mark.line + 1
                raise _one_line(source, f"key '{e.field}' is given twice in the mapping at line {line}; "
                                         "allowed: each key once (repeated measurements go in a list)") from None

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, Loader.construct_mapping)
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise _one_line(source, f"not valid YAML: {' '.join(str(problem).split())}{where}") from None


def _read_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise _one_line(source, f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except InputError as e:
        raise _one_line(source, f"key '{e.field}' is given twice; allowed: each key once") from None


def _parse_text(text: str, source: str, kind: str) -> PatientFile:
    data = _read_json(text, source) if kind == "json" else _read_yaml(text, source)
    if not isinstance(data, Mapping):
        raise _one_line(source, f"holds {type(data).__name__}, not a mapping; allowed: a patient file (PATIENT_FORMAT)")
    return parse_patient(data)


def load_patient_file(path: str | os.PathLike[str]) -> PatientFile:
    """Read and validate a patient file (``.yaml``, ``.yml`` or ``.json``)."""
    p = Path(path)
    kind = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(p.suffix.lower())
    if kind is None:
        raise _one_line(str(p), f"unknown file type '{p.suffix}'; allowed: .yaml, .yml or .json")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _one_line(str(p), "file not found; allowed: an existing YAML or JSON patient file") from None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise _one_line(str(p), f"cannot be read ({reason}); allowed: a UTF-8 YAML or JSON patient file") from None
    return _parse_text(text, str(p), kind)


def _examples() -> Any:
    return resources.files("hpgsim") / "data" / "patients"


def example_names() -> list[str]:
    """Names of the built-in example patient files."""
    return sorted(f.name[:-5] for f in _examples().iterdir() if f.name.endswith(".yaml"))


def example_patient(name: str) -> PatientFile:
    """A built-in example patient file (one per common case; see :func:`example_names`)."""
    if name not in example_names():
        raise InputError("example", f"unknown example patient '{name}'; allowed: {', '.join(example_names())}")
    return _parse_text((_examples() / f"{name}.yaml").read_text(encoding="utf-8"), f"example {name}", "yaml")
