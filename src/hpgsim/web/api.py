"""The JSON API's request and response models, and the work behind ``POST /api/simulate``.

Every model refuses unknown keys; bounds come from the parameter table and the drug catalog so
that the OpenAPI schema says what is allowed.  Bad input that only the model layer can judge
(a dose outside the labelled range, a route the drug does not have) raises
:class:`~hpgsim.errors.InputError`, which the app answers with HTTP 422 naming the field.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from hpgsim import DISCLAIMER, parameters
from hpgsim.errors import InputError
from hpgsim.patient import PHENOTYPES

if TYPE_CHECKING:
    from hpgsim.regimen import Regimen

__all__ = [
    "EXPLORE_PARAMETERS",
    "FREQUENCIES",
    "MAX_DAYS",
    "MAX_DOSES",
    "Agent",
    "Physiology",
    "SimulateRequest",
    "SimulateResponse",
    "DoseStep",
    "ErrorOut",
    "agent_line",
    "run_simulation",
    "phenotype_list",
    "drug_list",
]

MAX_DAYS = 730
MAX_AGENTS = 8
MAX_DOSES = 20_000  # dose events in one simulation (a GnRH pump every 90 min for 2 years is ~11,700)
DEFAULT_OBSERVABLES = ("total_testosterone", "free_testosterone", "lh", "fsh", "estradiol", "sperm_concentration")

# the physiology a student may turn (per-patient parameters of the table, within their bounds)
EXPLORE_PARAMETERS = ("aromatase_activity", "leydig_capacity", "gnrh_drive", "sertoli_capacity", "shbg_production")

FREQUENCIES = ("once", "daily", "twice daily", "every other day", "twice weekly", "3x/week", "weekly",
               "every 2 weeks", "every 3 weeks", "monthly", "every 10 weeks", "every 12 weeks", "every 90 minutes")

PhenotypeName = Literal[tuple(PHENOTYPES)]  # type: ignore[valid-type]
Frequency = Literal[FREQUENCIES]  # type: ignore[valid-type]


def _observables() -> tuple[str, ...]:
    from hpgsim.physiology.model import OBSERVABLE_UNITS

    return tuple(OBSERVABLE_UNITS)


ObservableName = Literal[_observables()]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(_Strict):
    """An error: one line naming the field and what is allowed."""

    detail: str
    field: Optional[str] = None


class Agent(_Strict):
    """One drug of a regimen, as the Explore page builds it: it becomes one prescription line."""

    drug: str = Field(min_length=1, max_length=60, description="a drug name or alias (GET /api/drugs)")
    dose: float = Field(gt=0, le=100_000, allow_inf_nan=False, description="dose in the drug's dose unit")
    unit: Optional[str] = Field(None, max_length=10, description="mg, ug or IU; default: the drug's dose unit")
    route: Optional[str] = Field(None, max_length=20, description="PO, SC, IM, IV or transdermal; default: the drug's first route")
    frequency: Frequency = "daily"  # type: ignore[valid-type]
    start_day: int = Field(0, ge=0, le=MAX_DAYS, description="first dosing day (day 0 is the start)")
    stop_day: Optional[int] = Field(None, ge=1, le=MAX_DAYS, description="no dose from this day on; none: to the end")
    titrate: Optional[str] = Field(
        None, min_length=1, max_length=300,
        description="titrate the dose to a lab target: the text after 'titrate' in the regimen language, e.g. "
                    "'to total_testosterone 500-600 ng/dL every 6 weeks up to 50 mg'; each check (08:00, before the "
                    "dose) moves the dose one step up or down; none: a fixed dose")


def _physiology_field(name: str) -> Any:
    p = parameters.get(name)
    return Field(None, ge=p.lower, le=p.upper, allow_inf_nan=False,
                 description=f"{p.description} [{p.unit}], {p.lower:g}-{p.upper:g}; default: the phenotype's value")


class Physiology(_Strict):
    """Per-patient parameters the Explore sliders turn (bounds from the parameter table)."""

    aromatase_activity: Optional[float] = _physiology_field("aromatase_activity")
    leydig_capacity: Optional[float] = _physiology_field("leydig_capacity")
    gnrh_drive: Optional[float] = _physiology_field("gnrh_drive")
    sertoli_capacity: Optional[float] = _physiology_field("sertoli_capacity")
    shbg_production: Optional[float] = _physiology_field("shbg_production")


class SimulateRequest(_Strict):
    """A phenotype, a regimen (prescription lines and/or agents) and physiology changes, over ``days``."""

    phenotype: PhenotypeName = "eugonadal"  # type: ignore[valid-type]
    regimen: list[str] = Field(default_factory=list, max_length=MAX_AGENTS,
                               description='prescription lines, e.g. "anastrozole 1 mg PO twice weekly"')
    agents: list[Agent] = Field(default_factory=list, max_length=MAX_AGENTS)
    days: float = Field(180.0, gt=0, le=MAX_DAYS, allow_inf_nan=False)
    age: Optional[float] = Field(None, ge=12, le=100, allow_inf_nan=False, description="years; default: the phenotype's")
    bmi: Optional[float] = Field(None, ge=14, le=70, allow_inf_nan=False, description="kg/m2; default: the phenotype's")
    physiology: Physiology = Field(default_factory=Physiology)
    observables: Optional[list[ObservableName]] = Field(  # type: ignore[valid-type]
        None, max_length=20, description="default: T, free T, LH, FSH, E2 and sperm concentration")


class DoseStep(_Strict):
    """One row of a titrated regimen's dose history: the lab at a check and the dose from that check on."""

    drug: str = Field(description="the drug's catalog name")
    day: float = Field(description="day of the check (0: the starting dose)")
    week: float = Field(description="the same in weeks")
    observable: str = Field(description="the lab titrated to")
    value: Optional[float] = Field(description="the lab at the check, in the observable's unit; null at the start")
    unit: str = Field(description="unit of value")
    level: int = Field(description="rung of the dose ladder, 0 the lowest")
    dose: str = Field(description="the dose from this check on, e.g. '50 mg every other day'")
    amount: float = Field(description="the dose amount, in dose_unit")
    dose_unit: str
    frequency: str


class SimulateResponse(_Strict):
    """Daily 08:00 trajectories in clinical units, and the dose history of a titrated regimen."""

    phenotype: str
    regimen: str
    regimen_lines: list[str]
    days: float
    age: float
    bmi: float
    physiology: dict[str, float]
    status: str
    message: str
    day: list[float]
    series: dict[str, list[Optional[float]]]
    units: dict[str, str]
    reference_ranges: dict[str, list[float]]
    conc: dict[str, list[Optional[float]]]
    dose_history: list[DoseStep] = Field(
        default_factory=list, description="titrated regimens: the dose from the start and from each check on "
                                          "(empty without a titration)")
    disclaimer: str


# -------------------------------------------------------------------------------- work


def agent_line(agent: Agent, index: int = 0) -> str:
    """The prescription line of one agent: ``drug dose unit route frequency [from day A to day B]``."""
    from hpgsim.drugs.catalog import lookup_drug

    field = f"agents[{index}]"
    try:
        info = lookup_drug(agent.drug)
    except InputError as e:
        raise InputError(f"{field}.drug", str(e)[len(e.field) + 2:]) from None
    unit = agent.unit or info.dose_unit
    route = agent.route or info.default_route
    dose = f"{agent.dose:.6g}"
    line = f"{info.display} {dose} {unit} {route} {agent.frequency}"
    if agent.frequency == "once":
        if agent.stop_day is not None:
            raise InputError(f"{field}.stop_day", "a single dose has no stop day; allowed: leave it empty")
        line += f" starting day {agent.start_day}" if agent.start_day else ""
    elif agent.stop_day is not None:
        if agent.stop_day <= agent.start_day:
            raise InputError(f"{field}.stop_day", f"{agent.stop_day} is not after start_day {agent.start_day}; "
                                                  "allowed: a later day")
        line += f" from day {agent.start_day} to day {agent.stop_day}"
    else:
        line += f" starting day {agent.start_day}" if agent.start_day else ""
    if agent.titrate is None or not agent.titrate.strip():
        return line
    return _titrated_line(line, agent.titrate, field)


def _titrated_line(line: str, titrate: str, field: str) -> str:
    """``line`` with the titration clause of an agent; an error in the clause names ``FIELD.titrate``."""
    from hpgsim.regimen import Prescription

    try:
        Prescription.parse(line)  # the fixed part first: its errors name the agent's own fields
    except InputError as e:
        raise InputError(f"{field}.{e.field}", str(e)[len(e.field) + 2:]) from None
    clause = re.sub(r"^,?\s*titrat(?:e|ed|ing)\b\s*", "", " ".join(titrate.split()), flags=re.I)  # the word is optional
    text = f"{line}, titrate {clause}"
    try:
        Prescription.parse(text)
    except InputError as e:
        raise InputError(f"{field}.titrate", f"{e.field}: {str(e)[len(e.field) + 2:]}") from None
    return text


def regimen_of(req: SimulateRequest):
    """The :class:`~hpgsim.regimen.Regimen` of a request, with errors naming the line."""
    from hpgsim.regimen import Regimen

    lines = list(req.regimen) + [agent_line(a, i) for i, a in enumerate(req.agents)]
    if len(lines) > MAX_AGENTS:
        raise InputError("regimen", f"{len(lines)} prescriptions; allowed: at most {MAX_AGENTS}")
    parsed = []
    for i, line in enumerate(lines):
        name = f"regimen[{i}]" if i < len(req.regimen) else f"agents[{i - len(req.regimen)}]"
        try:
            parsed.append(Regimen.parse(line))
        except InputError as e:
            raise InputError(f"{name}.{e.field}", str(e)[len(e.field) + 2:]) from None
    reg = Regimen.parse(lines) if lines else Regimen()
    n_doses = _most_doses(reg, req.days * 24.0 + 24.0) if lines else 0
    if n_doses > MAX_DOSES:
        raise InputError("regimen", f"{n_doses} doses in {req.days:g} days; allowed: at most {MAX_DOSES} "
                                    "(fewer days or a sparser schedule)")
    return reg, lines


def _most_doses(reg: Regimen, until_h: float) -> int:
    """The dose events a simulation can have before ``until_h``: a titrated prescription counted on
    the rung of its ladder that doses most (a man may climb there at his first check)."""
    n = 0
    for p in reg.prescriptions:
        if p.titration is None:
            n += len(p.events(until_h))
        else:
            n += max(len(p.titrated_events(((0.0, k),), until_h)) for k in range(len(p.titration.levels)))
    return n


def _clean(values) -> list[Optional[float]]:
    out: list[Optional[float]] = []
    for v in values:
        f = float(v)
        out.append(float(f"{f:.6g}") if math.isfinite(f) else None)
    return out


def run_simulation(req: SimulateRequest) -> SimulateResponse:
    """Simulate a request (averaged mode, daily 08:00 samples)."""
    from dataclasses import replace

    from hpgsim.clinic.ranges import REFERENCE_RANGES
    from hpgsim.patient import phenotype
    from hpgsim.simulate import OBSERVABLES, simulate

    base = phenotype(req.phenotype)
    overrides = {k: v for k, v in req.physiology.model_dump().items() if v is not None}
    patient = replace(base, age=req.age if req.age is not None else base.age,
                      bmi=req.bmi if req.bmi is not None else base.bmi,
                      overrides={**base.overrides, **overrides})
    reg, lines = regimen_of(req)
    res = simulate(patient, reg, days=req.days)
    wanted = list(dict.fromkeys(req.observables or DEFAULT_OBSERVABLES))
    frame = res.to_frame()
    ok = res.ok and not frame.empty
    series = {k: _clean(frame[k]) if ok else [] for k in wanted}
    conc = {c[5:]: _clean(frame[c]) for c in frame.columns if c.startswith("conc_")} if ok else {}
    physiology = {k: float(patient.parameter_values()[k]) for k in EXPLORE_PARAMETERS}
    return SimulateResponse(
        phenotype=req.phenotype, regimen=str(reg) if lines else "no treatment", regimen_lines=lines, days=req.days,
        age=patient.age, bmi=patient.bmi, physiology=physiology, status=res.status, message=res.message,
        day=_clean(frame["day"]) if ok else [], series=series, units={k: OBSERVABLES[k] for k in wanted},
        reference_ranges={k: [lo, hi] for k, (lo, hi, _) in REFERENCE_RANGES.items() if k in wanted},
        conc=conc, dose_history=_dose_steps(res.dose_history) if ok else [], disclaimer=DISCLAIMER)


def _dose_steps(history) -> list[DoseStep]:
    """The dose history of a titrated run as response rows (none without a titration)."""
    from hpgsim.simulate import OBSERVABLES

    if history is None:
        return []
    out = []
    for row in history.itertuples(index=False):
        value = float(row.value)
        out.append(DoseStep(drug=row.drug, day=float(row.day), week=round(float(row.day) / 7.0, 4),
                            observable=row.observable, value=float(f"{value:.4g}") if math.isfinite(value) else None,
                            unit=OBSERVABLES[row.observable], level=int(row.level), dose=row.dose,
                            amount=float(row.amount), dose_unit=row.unit, frequency=row.frequency))
    return out


def phenotype_list() -> list[dict[str, Any]]:
    from hpgsim import patient as pt

    doc = {}
    for line in (pt.__doc__ or "").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] in PHENOTYPES:
            doc[parts[0]] = parts[1].strip()
    return [{"name": name, "description": doc.get(name, ""), "age": p.age, "bmi": p.bmi,
             "overrides": dict(p.overrides),
             "history": [{"regimen": r, "start_week": a, "stop_week": b} for r, a, b in p.history]}
            for name, p in PHENOTYPES.items()]


def drug_list() -> list[dict[str, Any]]:
    from hpgsim.drugs.catalog import DRUGS

    return [{"name": d.name, "display": d.display, "drug_class": d.drug_class, "dose_unit": d.dose_unit,
             "routes": [r.route for r in d.routes], "dose_min": d.dose_min, "dose_max": d.dose_max,
             "dose_range_source": d.dose_range_source, "aliases": list(d.aliases)} for d in DRUGS]
