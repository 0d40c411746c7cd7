"""Lab interpretation: each lab against its reference range, derived values and warnings on the draw.

:func:`interpret` reads a validated patient file (:class:`hpgsim.labs.PatientFile`) and returns an
:class:`Interpretation`:

* every given lab and semen measure in its canonical unit, read against its reference range: the
  lab's own range when the file gives one (``labs.reference_ranges``), else the adult male range
  of :data:`hpgsim.clinic.ranges.REFERENCE_RANGES` or, for semen and albumin, :data:`EXTRA_RANGES`;
  each with the range's source;
* derived values: free and bioavailable testosterone by the Vermeulen equations when SHBG is given
  (albumin as measured, else the parameter table's reference albumin), the T/E2 ratio (abnormal
  below 10) and the T/LH ratio (100 or more predicts a response to anastrozole); every threshold
  with its source in :data:`DERIVED_THRESHOLDS`;
* warnings: a total testosterone not drawn in the morning, a low total testosterone measured only
  once (guidelines ask for two morning samples), a calculated free T far from a measured one.

Research and education software, not a medical device (:data:`hpgsim.DISCLAIMER`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hpgsim import DISCLAIMER, parameters
from hpgsim.clinic.phenotype import THRESHOLDS
from hpgsim.clinic.ranges import REFERENCE_RANGES
from hpgsim.labs import PLAUSIBLE, PatientFile
from hpgsim.physiology.binding import bioavailable_testosterone, free_testosterone
from hpgsim.units import convert

__all__ = ["EXTRA_RANGES", "DERIVED_THRESHOLDS", "MORNING_END_HOUR", "LabReading", "Derived", "Interpretation",
           "interpret", "reference_range", "LAB_LABELS"]

# Ranges of the measures that clinic.ranges does not hold (low, high, source); None = no limit on that side.
EXTRA_RANGES: Mapping[str, tuple[float | None, float | None, str]] = {
    # WHO laboratory manual for the examination and processing of human semen, 6th ed. (2021): lower
    # reference limits (5th percentiles of fertile men, Campbell MJ et al. Hum Reprod Update 2021)
    "volume": (1.4, None, "WHO 2021 lower reference limit 1.4 mL"),
    "total_sperm_count": (39.0, None, "WHO 2021 lower reference limit 39 M per ejaculate"),
    "total_motility": (42.0, None, "WHO 2021 lower reference limit 42%"),
    "progressive_motility": (30.0, None, "WHO 2021 lower reference limit 30%"),
    # serum albumin of adults: 35-50 g/L (the usual laboratory range; the Vermeulen calculator's default
    # of 43 g/L, parameter table 'albumin', lies in its middle)
    "albumin": (35.0, 50.0, "common adult laboratory range 35-50 g/L"),
}

# value, unit, source
DERIVED_THRESHOLDS: Mapping[str, tuple[float, str, str]] = {
    "t_e2_ratio_low": (THRESHOLDS["low_t_e2_ratio"][0], "ng/dL per pg/mL",
                       "T/E2 below 10 is abnormal (Pavlovich CP et al. J Urol 2001;165:837; Raman & Schlegel 2002; "
                       "source doc 000)"),
    "t_lh_ratio_anastrozole": (100.0, "ng/dL per IU/L",
                               "T/LH of 100 or more predicts a response to anastrozole (source doc 001: Cleveland "
                               "Clinic / UCLA study, Lundy SD et al. 2023)"),
    "free_t_disagreement": (0.3, "relative",
                            "a measured free T more than 30% from the calculated one: about twice the 16% "
                            "within-subject variation of free T (parameter table lab_cv_free_testosterone), so an "
                            "assay or binding difference rather than noise"),
}

MORNING_END_HOUR = 10.0
"""Total T drawn at or after 10:00 is not a morning value: guidelines ask for early-morning samples
(AUA: Mulhall JP et al. J Urol 2018;200:423, statement 3; Endocrine Society: Bhasin S et al. JCEM
2018;103:1715), commonly 07:00-10:00, because testosterone falls over the day (Brambilla DJ et al.
JCEM 2009;94:907)."""

LAB_LABELS: Mapping[str, str] = {
    "total_testosterone": "Total testosterone", "free_testosterone": "Free testosterone",
    "bioavailable_testosterone": "Bioavailable testosterone", "estradiol": "Estradiol", "lh": "LH", "fsh": "FSH",
    "shbg": "SHBG", "albumin": "Albumin", "inhibin_b": "Inhibin B", "sperm_concentration": "Sperm concentration",
    "total_sperm_count": "Total sperm count", "total_motile_count": "Total motile count", "volume": "Semen volume",
    "progressive_motility": "Progressive motility", "total_motility": "Total motility",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LabReading:
    """One lab or semen measure: the mean of its measurements in the canonical unit, read against its range."""

    name: str
    label: str
    value: float
    unit: str
    n: int  # number of measurements averaged (0: derived from other measures)
    given: str  # as written in the file (value and unit of each measurement)
    low: float | None
    high: float | None
    range_source: str
    status: str  # "low", "in range", "high" or "no reference range"

    def to_json(self) -> dict:
        return {"name": self.name, "label": self.label, "value": self.value, "unit": self.unit, "n": self.n,
                "given": self.given, "low": self.low, "high": self.high, "range_source": self.range_source,
                "status": self.status}


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """A value computed from the labs, with how it was computed and what it means."""

    name: str
    label: str
    value: float
    unit: str
    method: str
    interpretation: str
    source: str
    abnormal: bool = False

    def to_json(self) -> dict:
        return {"name": self.name, "label": self.label, "value": self.value, "unit": self.unit, "method": self.method,
                "interpretation": self.interpretation, "source": self.source, "abnormal": self.abnormal}


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpretation:
    """The labs read one by one, the derived values and the warnings on how they were drawn."""

    labs: tuple[LabReading, ...]
    derived: Mapping[str, Derived]
    warnings: tuple[str, ...]
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # (low, high) used, canonical units

    def value(self, name: str) -> float | None:
        """A lab's value (canonical unit) or a derived value, None if neither is there."""
        for r in self.labs:
            if r.name == name:
                return r.value
        d = self.derived.get(name)
        return None if d is None else d.value

    def to_json(self) -> dict:
        return {"labs": [r.to_json() for r in self.labs], "derived": {k: d.to_json() for k, d in self.derived.items()},
                "warnings": list(self.warnings), "disclaimer": DISCLAIMER}


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def reference_range(name: str, pf: PatientFile | None = None) -> tuple[float | None, float | None, str]:
    """``(low, high, source)`` of one measure in its canonical unit: the lab's own range, the adult male
    range of :data:`REFERENCE_RANGES`, or :data:`EXTRA_RANGES`; ``(None, None, '')`` when there is none."""
    if pf is not None:
        own = pf.labs.canonical_reference_ranges()
        if name in own:
            lo, hi = own[name]
            rr = pf.labs.reference_ranges[name]
            return lo, hi, f"the laboratory's own range ({_num(rr.low)}-{_num(rr.high)} {rr.unit})"
    if name in REFERENCE_RANGES:
        lo, hi, src = REFERENCE_RANGES[name]
        if name == "sperm_concentration":
            return lo, None, src  # a lower reference limit only
        return lo, hi, src
    if name in EXTRA_RANGES:
        return EXTRA_RANGES[name]
    return None, None, ""


def _status(value: float, low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return "no reference range"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "in range"


def _given(pf: PatientFile, name: str) -> tuple[int, str]:
    entries = pf.measurements(name)
    parts = []
    for e in entries:
        text = f"{_num(e.value)} {e.unit}"
        extra = [x for x in (getattr(e, "drawn_at", None) and f"{e.drawn_at:%H:%M}", getattr(e, "date", None) and
                             f"{e.date}") if x]
        parts.append(text + (f" ({', '.join(extra)})" if extra else ""))
    return len(entries), "; ".join(parts)


def _binding_kw() -> dict[str, float]:
    return dict(k_shbg=parameters.get("k_shbg_t").value, k_alb=parameters.get("k_alb_t").value,
                albumin_mw=parameters.get("albumin_mw").value)


def calculated_free_t(total_ng_dl: float, shbg_nmol_l: float, albumin_g_l: float) -> tuple[float, float]:
    """Free T (pg/mL) and bioavailable T (ng/dL) by Vermeulen from total T (ng/dL), SHBG and albumin."""
    tt = float(convert(total_ng_dl, "ng/dL", "nmol/L", substance="testosterone"))
    kw = _binding_kw()
    ft = float(free_testosterone(tt, shbg_nmol_l, albumin_g_l, **kw))
    bat = float(bioavailable_testosterone(ft, albumin_g_l, k_alb=kw["k_alb"], albumin_mw=kw["albumin_mw"]))
    return (float(convert(ft, "nmol/L", "pg/mL", substance="testosterone")),
            float(convert(bat, "nmol/L", "ng/dL", substance="testosterone")))


def interpret(pf: PatientFile) -> Interpretation:
    """Read the labs of patient file ``pf``: ranges, derived values (free T, T/E2, T/LH) and warnings."""
    values = pf.canonical_labs()
    readings: list[LabReading] = []
    ranges: dict[str, tuple[float, float]] = {}
    for name in PLAUSIBLE:
        if name not in values:
            continue
        n, given = _given(pf, name)
        lo, hi, src = reference_range(name, pf)
        if lo is not None or hi is not None:
            ranges[name] = (lo if lo is not None else float("nan"), hi if hi is not None else float("nan"))
        readings.append(LabReading(
            name=name, label=LAB_LABELS.get(name, name), value=float(values[name]), unit=PLAUSIBLE[name].unit, n=n,
            given=given or "derived from the semen analysis", low=lo, high=hi,
            range_source=src or "no adult reference range in hpgsim", status=_status(values[name], lo, hi)))
    for name in ("total_testosterone", "free_testosterone", "estradiol", "lh", "fsh"):
        if name not in ranges:
            lo, hi, _ = reference_range(name, pf)
            if lo is not None and hi is not None:
                ranges[name] = (lo, hi)

    derived: dict[str, Derived] = {}
    tt, e2, lh = values.get("total_testosterone"), values.get("estradiol"), values.get("lh")
    shbg = values.get("shbg")
    warnings: list[str] = []
    if tt is not None and shbg is not None:
        albumin = values.get("albumin")
        alb_note = "measured albumin" if albumin is not None else \
            f"albumin {parameters.get('albumin').value:g} g/L (not given; the calculator's default)"
        ft, bat = calculated_free_t(tt, shbg, albumin if albumin is not None else parameters.get("albumin").value)
        lo, hi, src = reference_range("free_testosterone", pf)
        where = _status(ft, lo, hi)
        derived["calculated_free_testosterone"] = Derived(
            name="calculated_free_testosterone", label="Calculated free testosterone", value=ft, unit="pg/mL",
            method=f"Vermeulen equations from total T {tt:.0f} ng/dL, SHBG {shbg:.3g} nmol/L and {alb_note}",
            interpretation=f"{where} (reference {lo:g}-{hi:g} pg/mL: {src})" if lo is not None and hi is not None else where,
            source="Vermeulen A et al. JCEM 1999;84:3666 (binding constants of the parameter table)",
            abnormal=where in ("low", "high"))
        derived["calculated_bioavailable_testosterone"] = Derived(
            name="calculated_bioavailable_testosterone", label="Calculated bioavailable testosterone", value=bat,
            unit="ng/dL", method="free plus albumin-bound T, Vermeulen equations",
            interpretation="no adult reference range in hpgsim; laboratories give their own",
            source="Vermeulen A et al. JCEM 1999;84:3666")
        measured = values.get("free_testosterone")
        entries = pf.measurements("free_testosterone")
        is_measured = entries and all((getattr(e, "method", None) or "").lower() != "calculated" for e in entries)
        if measured is not None and is_measured and measured > 0:
            gap = abs(ft / measured - 1.0)
            if gap > DERIVED_THRESHOLDS["free_t_disagreement"][0]:
                warnings.append(f"measured free T {measured:.3g} pg/mL differs from the calculated {ft:.3g} pg/mL by "
                                f"{100 * gap:.0f}%: assays differ (equilibrium dialysis vs analogue immunoassay); "
                                "consider discussing which one to follow")
    if tt is not None and e2 is not None and e2 > 0:
        thr, unit, src = DERIVED_THRESHOLDS["t_e2_ratio_low"]
        r = tt / e2
        e2_low = reference_range("estradiol", pf)[0]
        if r >= thr:
            meaning = f"{thr:g} or more: normal"
        elif e2_low is not None and e2 < e2_low:
            meaning = f"below {thr:g}, but estradiol is itself below its range: low T, not an estrogen excess"
        else:
            meaning = f"below {thr:g}: relative estrogen excess, the pattern aromatase inhibitors address"
        derived["t_e2_ratio"] = Derived(
            name="t_e2_ratio", label="T/E2 ratio", value=r, unit=unit,
            method=f"total T {tt:.0f} ng/dL / estradiol {e2:.3g} pg/mL", interpretation=meaning, source=src,
            abnormal=r < thr)
    if tt is not None and lh is not None and lh > 0:
        thr, unit, src = DERIVED_THRESHOLDS["t_lh_ratio_anastrozole"]
        gn_low = THRESHOLDS["low_gonadotropin"][0]
        r = tt / lh
        derived["t_lh_ratio"] = Derived(
            name="t_lh_ratio", label="T/LH ratio", value=r, unit=unit, method=f"total T {tt:.0f} ng/dL / LH {lh:.3g} IU/L",
            interpretation=(f"not read as a predictor: LH below {gn_low:g} IU/L (absent drive) makes the ratio "
                            "meaningless" if lh < gn_low else
                            f"{thr:g} or more: predicts a response to anastrozole" if r >= thr else
                            f"below {thr:g}: a response to anastrozole is less likely by this predictor"),
            source=src)

    # warnings on the draw
    low_t = THRESHOLDS["low_total_testosterone"][0]
    t_entries = pf.measurements("total_testosterone")
    late = [e for e in t_entries if e.drawn_at is not None and e.clock_hour >= MORNING_END_HOUR]
    if late:
        times = ", ".join(f"{e.drawn_at:%H:%M}" for e in late)
        warnings.append(f"total T drawn at {times}, not in the morning (before {MORNING_END_HOUR:02.0f}:00): "
                        "testosterone falls over the day, so this value may read low; the twin reads it as an 08:00 "
                        "value (AUA 2018; Endocrine Society 2018)")
    if tt is not None and tt < low_t and len(t_entries) < 2:
        warnings.append(f"low total T ({tt:.0f} ng/dL, below {low_t:g}) from one measurement: guidelines ask for two "
                        "morning samples on separate days before calling it low (AUA: Mulhall 2018, statement 3; "
                        "Endocrine Society: Bhasin 2018)")
    if tt is None:
        warnings.append("no total testosterone given: the phenotype and the twin rest on the other labs")
    for name in ("lh", "fsh"):
        if name not in values:
            warnings.append(f"no {name.upper()} given: primary and secondary hypogonadism cannot be told apart without it")
    if pf.fertility_desired and "sperm_concentration" not in values:
        warnings.append("fertility is desired but no semen analysis is given: the twin's sperm output is its prior")
    return Interpretation(labs=tuple(readings), derived=derived, warnings=tuple(warnings), ranges=ranges)
