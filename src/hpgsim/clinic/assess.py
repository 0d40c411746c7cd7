"""Clinical assessment: the workflow of the source documents, done with the man's calibrated twin.

1. **Phenotype** the man from his labs (:func:`hpgsim.clinic.interpret.interpret`,
   :func:`hpgsim.clinic.phenotype.classify`), with the reasons.
2. **Candidate protocols** for that phenotype (:func:`candidates`): the named, sourced presets of
   :mod:`hpgsim.protocols`, each with a guideline tier and the rationale of the source documents
   and guidelines.
3. **Predict** what each does to *him*: every protocol is simulated on the same posterior draws of
   his twin (:func:`hpgsim.calibrate.fit`, :meth:`~hpgsim.calibrate.Fit.draw`,
   :func:`hpgsim.simulate.simulate_cohort`): total and free T, LH, FSH, E2, T/E2, sperm
   concentration and total motile count at weeks 4, 12 and 26 (median and 90% interval of the
   draws: parameter uncertainty of this man, not between-patient variability), time to T in range
   and to a sperm concentration of 16 M/mL, and flags (E2 below 10 pg/mL, supraphysiological T,
   spermatogenesis suppressed).  Protocols are ranked by a transparent score (:data:`DEFAULT_WEIGHTS`).
4. **Plan** the titration (:data:`TITRATION`) and the follow-up (:func:`monitoring_plan`).

The output presents options and their simulated basis, never a directive; every output carries
:data:`hpgsim.DISCLAIMER` (research and education software, not a medical device; most of these
uses are off-label).

The score
---------
Each protocol gets components in [0, 1], each a share of the posterior draws (so the score reads
as "how likely, for this man"), multiplied by a weight and summed::

    score = sum(weight[k] * component[k])

=========================  ====  ======================================================================
component                  wt    what it measures
=========================  ====  ======================================================================
guideline                  3.0   tier of the protocol for this phenotype in the source documents and
                                 guidelines: 1 first-line, 0.5 alternative, 0 not expected to help
                                 or in conflict with the fertility wish
t_in_range                 2.0   share of draws with total T in the reference range, mean of weeks
                                 12 and 26
sperm_in_range             2.0   share of draws with sperm concentration >= 16 M/mL at week 26
                                 (counted only when fertility is desired)
t_e2_ratio_normal          1.0   share of draws with T/E2 >= 10, mean of weeks 12 and 26
e2_below_10               -1.5   share of draws whose E2 is driven below 10 pg/mL (and below its
                                 starting value) at week 4, 12 or 26
supraphysiological_t      -1.0   share of draws with T above the reference range at week 4, 12 or 26
spermatogenesis_suppressed -2.0  share of draws whose week-26 sperm concentration falls below the
                                 reference change value of a semen analysis (counted only when
                                 fertility is desired)
=========================  ====  ======================================================================

The weights are a design choice of hpgsim, not a published score: they put the guideline's
order first and let the simulation separate protocols within a tier (or lift one across a tier
when its predicted effect is much better).  They are shown with every assessment and a caller can
change any of them (``assess(pf, weights={...})``, ``hpgsim assess --weight KEY=VALUE``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from hpgsim import DISCLAIMER, parameters
from hpgsim.clinic.interpret import DERIVED_THRESHOLDS, LAB_LABELS, Interpretation, interpret
from hpgsim.clinic.phenotype import THRESHOLDS
from hpgsim.clinic.ranges import REFERENCE_RANGES
from hpgsim.drugs.catalog import lookup_drug
from hpgsim.errors import InputError
from hpgsim.labs import PatientFile, example_names, example_patient, load_patient_file
from hpgsim.protocols import protocol as named_protocol
from hpgsim.regimen import Regimen

__all__ = ["DEFAULT_WEIGHTS", "WEIGHT_NOTES", "TIERS", "CHECKPOINT_WEEKS", "HORIZON_WEEKS", "OBSERVABLES",
           "TITRATION", "Candidate", "ProtocolResult", "Assessment", "assess", "candidates", "monitoring_plan",
           "check_weights", "summary_lines", "DEFAULT_N", "load_patient", "parse_weight_options"]

DEFAULT_N = 30
"""Posterior draws per assessment: enough for a 90% band, small enough to answer in about a second."""

HORIZON_WEEKS = 26
CHECKPOINT_WEEKS: tuple[int, ...] = (4, 12, 26)
OBSERVABLES: tuple[str, ...] = ("total_testosterone", "free_testosterone", "lh", "fsh", "estradiol", "t_e2_ratio",
                                "sperm_concentration", "total_motile_count")
UNITS = {"total_testosterone": "ng/dL", "free_testosterone": "pg/mL", "lh": "IU/L", "fsh": "IU/L",
         "estradiol": "pg/mL", "t_e2_ratio": "ng/dL per pg/mL", "sperm_concentration": "M/mL",
         "total_motile_count": "M"}
TRAJECTORY_OBSERVABLES: tuple[str, ...] = ("total_testosterone", "estradiol", "sperm_concentration")

DEFAULT_WEIGHTS: dict[str, float] = {
    "guideline": 3.0,
    "t_in_range": 2.0,
    "sperm_in_range": 2.0,
    "t_e2_ratio_normal": 1.0,
    "e2_below_10": -1.5,
    "supraphysiological_t": -1.0,
    "spermatogenesis_suppressed": -2.0,
}
WEIGHT_NOTES: dict[str, str] = {
    "guideline": "tier for this phenotype in the source documents and guidelines (1 first-line, 0.5 alternative, "
                 "0 not expected to help or in conflict with the fertility wish)",
    "t_in_range": "share of draws with total T in the reference range (mean of weeks 12 and 26)",
    "sperm_in_range": "share of draws with sperm concentration >= 16 M/mL at week 26 (only when fertility is desired)",
    "t_e2_ratio_normal": "share of draws with T/E2 >= 10 (mean of weeks 12 and 26)",
    "e2_below_10": "share of draws whose E2 is driven below 10 pg/mL (and below its starting value) at week 4, 12 or 26 "
                   "(bone-health risk of over-suppression)",
    "supraphysiological_t": "share of draws with total T above the reference range at week 4, 12 or 26",
    "spermatogenesis_suppressed": "share of draws whose week-26 sperm concentration falls below the reference change "
                                  "value of a semen analysis (only when fertility is desired)",
}
FERTILITY_ONLY = ("sperm_in_range", "spermatogenesis_suppressed")
WEIGHTS_ARE = ("a design choice of hpgsim, not a published score: the guideline's order first, the simulation "
               "separating protocols within a tier; every weight can be changed")

TIERS: Mapping[str, float] = {"first-line": 1.0, "alternative": 0.5, "not expected to help": 0.0,
                              "conflicts with the fertility wish": 0.0}

E2_FLOOR = REFERENCE_RANGES["estradiol"][0]
"""10 pg/mL: the lower limit of the adult male estradiol range (clinic.ranges); below it bone loss follows
(Finkelstein JS et al. NEJM 2013;369:1011) and the source documents warn against over-suppression."""
SPERM_TARGET = REFERENCE_RANGES["sperm_concentration"][0]  # 16 M/mL, WHO 2021 lower reference limit
T_E2_LOW = DERIVED_THRESHOLDS["t_e2_ratio_low"][0]  # 10
FLAG_PROBABILITY = 0.05
"""A flag is raised when at least 5% of the draws cross its threshold: the 90% interval reaches it."""


def _sperm_rcv_fraction() -> float:
    """Largest fall of sperm concentration that one man's biological variation explains (95%, two-sided).

    Reference change value for a log-normal measure: exp(-1.96 * sqrt(2) * sigma), sigma from the
    within-subject CV of the parameter table (Fraser CG, Biological Variation, AACC Press 2001).
    """
    cv = parameters.get("lab_cv_sperm_concentration").value
    return math.exp(-1.96 * math.sqrt(2.0) * math.sqrt(math.log1p(cv * cv)))


SPERM_SUPPRESSED_FRACTION = _sperm_rcv_fraction()

SOURCE_LABELS: Mapping[str, str] = {
    "source doc 000": "hpgsim source document 000 (anastrozole vs clomiphene citrate; shared/sources)",
    "source doc 001": "hpgsim source document 001 (anastrozole and male fertility protocols; shared/sources)",
    "AUA 2018": "Mulhall JP et al. Evaluation and Management of Testosterone Deficiency: AUA Guideline. J Urol 2018;200:423",
    "ES 2018": "Bhasin S et al. Testosterone Therapy in Men With Hypogonadism: Endocrine Society Guideline. JCEM 2018;103:1715",
    "AUA/ASRM 2020": "Schlegel PN et al. Diagnosis and Treatment of Infertility in Men: AUA/ASRM Guideline 2020",
    "EAU": "EAU Guidelines on Sexual and Reproductive Health (male hypogonadism, male infertility)",
    "WHO 2021": "WHO laboratory manual for the examination and processing of human semen, 6th ed. 2021",
    "Liu 2006": "Liu PY et al. Rate, extent, and modifiers of spermatogenic recovery after hormonal male "
                "contraception. Lancet 2006;367:1412",
}


# ---------------------------------------------------------------------------------------------
# candidates per phenotype
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One protocol considered for this man: its tier and why (with the source)."""

    protocol: str
    tier: str
    rationale: str


def candidates(phenotype: str, interp: Interpretation, fertility_desired: bool) -> list[Candidate]:
    """The protocols to compare for ``phenotype``, following the source documents and guideline practice."""
    t_e2 = interp.derived.get("t_e2_ratio")
    t_lh = interp.derived.get("t_lh_ratio")
    lh = interp.value("lh")
    low_ratio = t_e2 is not None and t_e2.value < T_E2_LOW
    ai_predictor = (t_lh is not None and lh is not None and lh >= THRESHOLDS["low_gonadotropin"][0]
                    and t_lh.value >= DERIVED_THRESHOLDS["t_lh_ratio_anastrozole"][0])
    trt = Candidate(
        "testosterone_gel",
        "conflicts with the fertility wish" if fertility_desired else "alternative",
        ("testosterone restores serum T but suppresses LH, FSH and spermatogenesis; the guidelines advise against it "
         "in a man who wants fertility (AUA 2018; AUA/ASRM 2020)") if fertility_desired else
        ("testosterone replacement for confirmed deficiency in a man not seeking fertility (AUA 2018; ES 2018); it "
         "suppresses his own LH, FSH and spermatogenesis"))
    out: list[Candidate] = []
    if phenotype == "secondary_hypogonadism":
        out = [
            Candidate("clomiphene_monotherapy", "first-line",
                      "secondary hypogonadism with low or normal LH and FSH: clomiphene amplifies central signalling "
                      "and keeps spermatogenesis (source doc 000; AUA/ASRM 2020)"),
            Candidate("clomiphene_eod", "first-line", "the every-other-day form of the same SERM (source doc 000)"),
            Candidate("clomiphene_titrated", "first-line",
                      "the same SERM started at 25 mg every other day and titrated to T 500-600 ng/dL (source doc "
                      "000: titrated to T in the normal range; Katz 2012)"),
            Candidate("enclomiphene_monotherapy", "first-line",
                      "the trans isomer of clomiphene alone: raises LH, FSH and T and keeps sperm production "
                      "(Kaminetsky 2013; Wiehle 2014); not approved in most countries"),
            Candidate("hcg_monotherapy_hh", "alternative",
                      "hCG acts on the Leydig cells directly, without the man's own drive; for more severe "
                      "hypogonadotropic hypogonadism (source doc 001; AUA/ASRM 2020)"),
        ]
        if low_ratio or ai_predictor:
            why = "T/E2 below 10" if low_ratio else "T/LH of 100 or more (the predictor of response)"
            out.append(Candidate("anastrozole_monotherapy", "alternative",
                                 f"{why}: an aromatase inhibitor lifts estradiol feedback (source doc 000; source doc 001)"))
        out.append(trt)
    elif phenotype == "obese_hyperestrogenic":
        out = [
            Candidate("anastrozole_monotherapy", "first-line",
                      "low T with a T/E2 ratio below 10 and a raised BMI: anastrozole corrects the peripheral "
                      "conversion (source doc 000; Shah 2021, the study the source documents call Helo 2015)"),
            Candidate("anastrozole_twice_weekly", "first-line",
                      "the lower-exposure twice-weekly form the source documents also give (0.5-1 mg two times a week)"),
            Candidate("clomiphene_monotherapy", "alternative",
                      "a SERM raises LH, FSH and T but also estradiol; compared with anastrozole in hypogonadal "
                      "infertile men (Helo 2015 J Sex Med)"),
            trt,
        ]
    elif phenotype == "congenital_hh":
        out = [
            Candidate("hcg_fsh_hh", "first-line",
                      "absent GnRH drive: gonadotropins replace it, hCG for testosterone and FSH added for "
                      "spermatogenesis (source doc 001; EAU; AUA/ASRM 2020)"),
            Candidate("hcg_monotherapy_hh", "first-line",
                      "hCG alone restores testosterone and intratesticular testosterone; FSH is added when sperm "
                      "stay absent (EAU; hCG/Gonal-f labels)"),
            Candidate("pulsatile_gonadorelin_hh", "first-line",
                      "pulsatile GnRH by pump restores the man's own LH and FSH where the pituitary is intact "
                      "(EAU; source doc 001)"),
            Candidate("clomiphene_monotherapy", "not expected to help",
                      "a SERM only lifts estradiol feedback on a drive that is absent here (source doc 001: severe "
                      "forms need direct gonadotropin replacement)"),
            trt,
        ]
    elif phenotype == "post_trt_suppressed":
        out = [
            Candidate("post_trt_restart", "first-line",
                      "after testosterone therapy: pulsatile gonadorelin with tamoxifen and clomiphene restart the "
                      "axis (source doc 001)"),
            Candidate("post_trt_restart_with_ai", "first-line",
                      "the same restart with the optional low-dose anastrozole against the surge of aromatisation "
                      "(source doc 001)"),
            Candidate("post_trt_clomiphene_ai", "first-line",
                      "clomiphene to restart LH and FSH with low-dose anastrozole (source doc 000)"),
            Candidate("clomiphene_monotherapy", "alternative",
                      "clomiphene alone reactivates LH and FSH after suppression (source doc 001)"),
            Candidate("hcg_monotherapy_hh", "alternative",
                      "hCG-based recovery after testosterone (Kohn 2017; AUA/ASRM 2020)"),
        ]
        if not fertility_desired:
            out.append(trt)
    elif phenotype == "primary_hypogonadism":
        out = [
            Candidate("testosterone_gel", "first-line",
                      "primary (testicular) failure: only exogenous testosterone restores serum T (AUA 2018; ES 2018)"
                      + ("; it suppresses what spermatogenesis remains, so sperm retrieval and cryopreservation are "
                         "usually discussed first (AUA/ASRM 2020)" if fertility_desired else "")),
            Candidate("clomiphene_monotherapy", "not expected to help",
                      "a SERM raises LH and FSH, which are already above their range: the testis cannot answer more "
                      "drive (source doc 000: clomiphene needs healthy testes)"),
            Candidate("anastrozole_monotherapy", "not expected to help",
                      "an aromatase inhibitor also works by raising LH and FSH, already high here; it lowers estradiol "
                      "without restoring testosterone (source doc 000)"),
        ]
    elif phenotype == "idiopathic_oligozoospermia":
        out = [
            Candidate("clomiphene_monotherapy", "first-line",
                      "first-line therapy for idiopathic oligozoospermia in the source documents (source doc 000; "
                      "AUA/ASRM 2020: SERMs may be offered, with limited benefit)"),
            Candidate("clomiphene_eod", "first-line", "the every-other-day form of the same SERM (source doc 000)"),
        ]
        if low_ratio or ai_predictor:
            why = "T/E2 below 10" if low_ratio else "T/LH of 100 or more (the predictor of response)"
            out.append(Candidate("anastrozole_monotherapy", "alternative",
                                 f"{why}: anastrozole may improve sperm output (source doc 001)"))
        out.append(trt)
    return out


# ---------------------------------------------------------------------------------------------
# titration ladders
# ---------------------------------------------------------------------------------------------

TITRATION: Mapping[str, dict[str, Any]] = {
    "anastrozole": {
        "ladder": ("anastrozole 0.5 mg PO twice weekly", "anastrozole 1 mg PO twice weekly",
                   "anastrozole 0.5 mg PO daily", "anastrozole 1 mg PO daily"),
        "weekly_mg": (1.0, 2.0, 3.5, 7.0),
        "criterion": (f"the lowest dose whose predicted median T/E2 at week 12 is {T_E2_LOW:g} or more while the median "
                      f"E2 stays at or above {E2_FLOOR:g} pg/mL at weeks 4, 12 and 26"),
        "source": ("source doc 000: anastrozole 0.5-1 mg two times per week or daily; normalise T/E2 without driving "
                   "estradiol below the physiological range; E2 floor: lower limit of the adult male range"),
        "protocols": ("anastrozole_monotherapy", "anastrozole_twice_weekly"),
    },
    "clomiphene": {
        "ladder": ("clomiphene citrate 25 mg PO every other day", "clomiphene citrate 25 mg PO daily",
                   "clomiphene citrate 50 mg PO every other day", "clomiphene citrate 50 mg PO daily"),
        "weekly_mg": (87.5, 175.0, 175.0, 350.0),
        "criterion": "the lowest dose whose predicted median total T at week 12 lies within the reference range",
        "source": ("source doc 000: clomiphene 25 mg daily or 50 mg every other day, titrated to T, LH and FSH in the "
                   "normal range; 25 mg every other day is the starting dose of Katz DJ et al. BJU Int 2012;110:573; "
                   "50 mg daily is the tablet strength given daily"),
        "protocols": ("clomiphene_monotherapy", "clomiphene_eod"),
    },
}


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


def _q(x: np.ndarray) -> dict[str, float | None]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"q05": None, "q50": None, "q95": None}
    q = np.quantile(x, (0.05, 0.5, 0.95))
    return {"q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2])}


def _round(v: Any, sig: int = 4) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v) or v == 0.0:
            return v if math.isfinite(v) else None
        return float(f"{v:.{sig}g}")
    if isinstance(v, dict):
        return {k: _round(x, sig) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_round(x, sig) for x in v]
    return v


@dataclass(frozen=True, slots=True)
class _Run:
    """One regimen on the posterior draws: observables (n_days, n_men), days, ok mask."""

    days: np.ndarray
    values: Mapping[str, np.ndarray]
    ok: np.ndarray
    dose_history: Any = None  # titrated regimens: each draw's dose from the start and every check (a DataFrame)

    def at(self, obs: str, day: float) -> np.ndarray:
        i = int(np.argmin(np.abs(self.days - day)))
        v = np.asarray(self.values[obs][i], dtype=float)
        return np.where(self.ok, v, np.nan)

    def series(self, obs: str) -> np.ndarray:
        v = np.asarray(self.values[obs], dtype=float)
        return np.where(self.ok[None, :], v, np.nan)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolResult:
    """A protocol simulated on the man's twin: predictions, times, flags and score."""

    name: str
    title: str
    tier: str
    rationale: str
    regimen: tuple[str, ...]
    source: str
    references: tuple[str, ...]
    predictions: Mapping[str, Mapping[str, Mapping[str, float | None]]]
    time_to_t_in_range: Mapping[str, Any]
    time_to_sperm_16: Mapping[str, Any] | None
    flags: tuple[Mapping[str, Any], ...]
    components: Mapping[str, float]
    score: float
    contributions: Mapping[str, float]
    weights: Mapping[str, float]
    trajectory: Mapping[str, Mapping[str, list[float | None]]] = field(repr=False)
    rank: int = 0
    dose_titration: Mapping[str, Any] | None = None  # a titrated protocol: its rules and the draws' doses

    @property
    def final_doses(self) -> tuple[Mapping[str, Any], ...]:
        """A titrated protocol: the share of the draws on each dose at the horizon (empty otherwise)."""
        return tuple(self.dose_titration["final"]["doses"]) if self.dose_titration else ()

    def to_json(self) -> dict:
        return {
            "rank": self.rank, "name": self.name, "title": self.title, "tier": self.tier, "rationale": self.rationale,
            "regimen": list(self.regimen), "source": self.source, "references": list(self.references),
            "predictions": _round({k: dict(v) for k, v in self.predictions.items()}),
            "time_to_t_in_range": _round(dict(self.time_to_t_in_range)),
            "time_to_sperm_16": None if self.time_to_sperm_16 is None else _round(dict(self.time_to_sperm_16)),
            "flags": [dict(f) for f in self.flags],
            "dose_titration": None if self.dose_titration is None else _round(dict(self.dose_titration)),
            "score": {"total": round(self.score, 3),
                      "components": {k: {"value": round(self.components[k], 3) + 0.0, "weight": w,
                                         "contribution": round(self.contributions[k], 3) + 0.0}
                                     for k, w in self.weights.items()}},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """The whole assessment of one man (see :meth:`to_json` for its published form)."""

    patient: PatientFile
    interpretation: Interpretation
    phenotype: str
    reasons: tuple[str, ...]
    twin_status: str
    twin_message: str
    weights: Mapping[str, float]
    protocols: tuple[ProtocolResult, ...]
    reference: ProtocolResult  # no treatment
    titration: tuple[Mapping[str, Any], ...]
    monitoring: Mapping[str, Any]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    days: tuple[float, ...]
    n: int
    seed: int
    horizon_weeks: int
    elapsed_s: float

    @property
    def top(self) -> ProtocolResult | None:
        return self.protocols[0] if self.protocols else None

    def trajectories(self) -> dict:
        """Per protocol (and no treatment) the day grid and q05/q50/q95 of T, E2 and sperm concentration."""
        out = {"day": list(self.days), "observables": list(TRAJECTORY_OBSERVABLES),
               "units": {k: UNITS[k] for k in TRAJECTORY_OBSERVABLES},
               "reference_ranges": {k: list(_range(self.interpretation, k)) for k in TRAJECTORY_OBSERVABLES},
               "observed": {k: self.interpretation.value(k) for k in TRAJECTORY_OBSERVABLES},
               "protocols": {}}
        for p in (*self.protocols, self.reference):
            out["protocols"][p.name] = {"label": p.title, "rank": p.rank, **_round(dict(p.trajectory))}
        return out

    def to_json(self) -> dict:
        pf = self.patient
        return {
            "phenotype": self.phenotype,
            "reasons": list(self.reasons),
            "derived": {k: d.to_json() for k, d in self.interpretation.derived.items()},
            "protocols": [p.to_json() for p in self.protocols],
            "titration": [_round(dict(t)) for t in self.titration],
            "monitoring": self.monitoring,
            "disclaimer": DISCLAIMER,
            "patient": {"id": pf.id, "age_years": pf.age_years, "bmi": round(pf.body_mass_index, 2),
                        "fertility_desired": pf.fertility_desired,
                        "history": [{"regimen": h.regimen, "start_week": h.start_week, "stop_week": h.stop_week}
                                    for h in pf.history]},
            "labs": [r.to_json() for r in self.interpretation.labs],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "no_treatment": self.reference.to_json(),
            "weights": dict(self.weights),
            "weight_notes": dict(WEIGHT_NOTES),
            "weights_are": WEIGHTS_ARE,
            "score_formula": "score = sum over components of weight x component; components are shares of the "
                             "posterior draws (0-1); sperm_in_range and spermatogenesis_suppressed count only when "
                             "fertility is desired",
            "twin": {"status": self.twin_status, "message": self.twin_message,
                     "uncertainty": f"median and 90% interval over {self.n} posterior draws of this man's twin "
                                    "(parameter uncertainty, not between-patient variability)"},
            "settings": {"n": self.n, "seed": self.seed, "horizon_weeks": self.horizon_weeks,
                         "checkpoint_weeks": list(CHECKPOINT_WEEKS), "elapsed_s": round(self.elapsed_s, 3)},
            "trajectories": self.trajectories(),
        }


# ---------------------------------------------------------------------------------------------
# the computation
# ---------------------------------------------------------------------------------------------


def _range(interp: Interpretation, name: str) -> tuple[float | None, float | None]:
    lo, hi = interp.ranges.get(name, (None, None))
    lo = None if lo is None or not math.isfinite(lo) else lo
    hi = None if hi is None or not math.isfinite(hi) else hi
    if name == "sperm_concentration":
        return SPERM_TARGET, None
    return lo, hi


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The default weights with ``weights`` applied; an unknown key or a non-finite value is an InputError."""
    out = dict(DEFAULT_WEIGHTS)
    if weights is None:
        return out
    if not isinstance(weights, Mapping):
        raise InputError("weights", f"got {type(weights).__name__}; allowed: a mapping of {', '.join(DEFAULT_WEIGHTS)}")
    for k, v in weights.items():
        if k not in DEFAULT_WEIGHTS:
            raise InputError("weights", f"unknown weight '{k}'; allowed: {', '.join(DEFAULT_WEIGHTS)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)) or abs(v) > 100:
            raise InputError(f"weights.{k}", f"{v!r} is not allowed; allowed: a finite number between -100 and 100")
        out[k] = float(v)
    return out


def parse_weight_options(items: Sequence[str] | None) -> dict[str, float]:
    """``KEY=VALUE`` texts (the ``--weight`` options) as a weights mapping, checked by :func:`check_weights`."""
    out: dict[str, float] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not key or not math.isfinite(number):
            raise InputError("weight", f"'{item}' is not KEY=VALUE with a number; allowed keys: {', '.join(DEFAULT_WEIGHTS)}")
        out[key] = number
    try:
        check_weights(out)
    except InputError as e:
        raise InputError("weight", str(e).split(": ", 1)[1]) from None
    return out


def load_patient(source: str) -> PatientFile:
    """A patient file (``.yaml``, ``.yml``, ``.json``) or the name of a built-in example patient."""
    from pathlib import Path

    path = Path(source)
    if not path.suffix and not path.exists():
        if source in example_names():
            return example_patient(source)
        raise InputError("patient", f"'{source}' is neither a patient file nor a built-in example; allowed: a .yaml, "
                                    f".yml or .json file, or one of {', '.join(example_names())}")
    return load_patient_file(path)


def _sample_days(horizon_days: int) -> list[float]:
    days = set(range(0, 8)) | {10, 14, 17, 21, 24, 28} | set(range(35, horizon_days + 1, 7)) | {horizon_days}
    days |= {7 * w for w in CHECKPOINT_WEEKS if 7 * w <= horizon_days}
    return sorted(float(d) for d in days)


def _days(x: float) -> str:
    return f"{x:.0f} day" + ("" if round(x) == 1 else "s")


def _time_to(series: np.ndarray, days: np.ndarray, threshold: float, horizon_weeks: int) -> dict[str, Any]:
    """Per draw the first sampled day from which the value stays at or above ``threshold`` to the horizon
    (sustained, so a value still carried by a past treatment does not count); median and 90% interval."""
    finite = np.isfinite(series).all(axis=0)
    hit = series >= threshold
    sustained = np.flip(np.cumprod(np.flip(hit, axis=0), axis=0), axis=0).astype(bool)
    reached = sustained.any(axis=0) & finite
    first = np.where(reached, days[np.argmax(sustained, axis=0)], np.inf)[finite]
    if first.size == 0:
        return {"median_days": None, "q05_days": None, "q95_days": None, "reached_share": 0.0,
                "text": "no draw could be simulated"}
    q = np.quantile(first, (0.05, 0.5, 0.95), method="nearest")
    share = float(np.mean(np.isfinite(first)))

    def days_or_none(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    med = days_or_none(q[1])
    if med is None:
        text = f"not reached by week {horizon_weeks} in most draws ({100 * share:.0f}% reach it)"
    elif med == 0:
        text = "there from the start" + ("" if share == 1 else f" in most draws ({100 * share:.0f}% by week {horizon_weeks})")
    else:
        hi = f"beyond week {horizon_weeks}" if not math.isfinite(q[2]) else _days(q[2])
        text = (f"median {_days(med)} (90% interval {_days(q[0])} to {hi}); {100 * share:.0f}% of draws by week "
                f"{horizon_weeks}")
    return {"median_days": med, "q05_days": days_or_none(q[0]), "q95_days": days_or_none(q[2]),
            "reached_share": share, "text": text}


def _has_androgen(lines: Sequence[str]) -> bool:
    return any(lookup_drug(p.drug).drug_class == "androgen" for p in Regimen.parse(list(lines)).prescriptions)


def _evaluate(cand: Candidate, title: str, lines: tuple[str, ...], source: str, references: tuple[str, ...],
              run: _Run, interp: Interpretation, fertility: bool, weights: Mapping[str, float],
              horizon_weeks: int) -> ProtocolResult:
    t_lo, t_hi = _range(interp, "total_testosterone")
    t_lo = t_lo if t_lo is not None else REFERENCE_RANGES["total_testosterone"][0]
    t_hi = t_hi if t_hi is not None else REFERENCE_RANGES["total_testosterone"][1]
    checkpoints = [w for w in CHECKPOINT_WEEKS if w <= horizon_weeks]
    last = 7.0 * checkpoints[-1]
    late = [7.0 * w for w in checkpoints if w >= 12] or [last]
    preds = {obs: {f"week_{w}": _q(run.at(obs, 7.0 * w)) for w in (0, *checkpoints)} for obs in OBSERVABLES}
    for obs in preds:
        preds[obs] = {"unit": UNITS[obs], **preds[obs]}  # type: ignore[dict-item]
    ok = run.ok
    tt = {d: run.at("total_testosterone", d) for d in (*[7.0 * w for w in checkpoints],)}
    e2 = {d: run.at("estradiol", d) for d in tt}
    ratio = {d: run.at("t_e2_ratio", d) for d in tt}
    sperm_end = run.at("sperm_concentration", last)
    sperm_0 = run.at("sperm_concentration", 0.0)

    def share(mask: np.ndarray) -> float:
        return float(np.mean(mask[ok])) if ok.any() else 0.0

    in_range = float(np.mean([share((tt[d] >= t_lo) & (tt[d] <= t_hi)) for d in late]))
    t_e2_ok = float(np.mean([share(ratio[d] >= T_E2_LOW) for d in late]))
    e2_0 = run.at("estradiol", 0.0)
    e2_low = share(np.any([(e2[d] < E2_FLOOR) & (e2[d] < e2_0) for d in e2], axis=0))  # driven below the floor
    supra = share(np.any([tt[d] > t_hi for d in tt], axis=0))
    sperm_ok = share(sperm_end >= SPERM_TARGET)
    suppressed = share((sperm_0 > 0) & (sperm_end < SPERM_SUPPRESSED_FRACTION * sperm_0))
    comp = {"guideline": TIERS[cand.tier], "t_in_range": in_range, "sperm_in_range": sperm_ok,
            "t_e2_ratio_normal": t_e2_ok, "e2_below_10": e2_low, "supraphysiological_t": supra,
            "spermatogenesis_suppressed": suppressed}
    contrib = {k: (0.0 if (k in FERTILITY_ONLY and not fertility) else weights[k] * comp[k]) for k in comp}
    score = float(sum(contrib.values()))

    flags: list[dict[str, Any]] = []
    if e2_low >= FLAG_PROBABILITY:
        q = preds["estradiol"][f"week_{checkpoints[-1]}"]
        flags.append({"name": "e2_below_10", "probability": round(e2_low, 3), "severity": "warning",
                      "text": f"estradiol predicted to be driven below {E2_FLOOR:g} pg/mL in {100 * e2_low:.0f}% of "
                              f"draws (week {checkpoints[-1]} median {q['q50']:.3g} pg/mL): bone-health risk of "
                              "over-suppression (source doc 000; Finkelstein 2013)"})
    if supra >= FLAG_PROBABILITY:
        flags.append({"name": "supraphysiological_t", "probability": round(supra, 3), "severity": "warning",
                      "text": f"total T predicted above the reference range ({t_hi:g} ng/dL) in {100 * supra:.0f}% "
                              "of draws: supraphysiological"})
    androgen = _has_androgen(lines)
    if suppressed >= FLAG_PROBABILITY or (androgen and (fertility or sperm_ok < 1.0)):
        text = (f"sperm concentration predicted to fall below {100 * SPERM_SUPPRESSED_FRACTION:.0f}% of its starting "
                f"value by week {checkpoints[-1]} in {100 * suppressed:.0f}% of draws (beyond the biological "
                "variation of a semen analysis)") if suppressed >= FLAG_PROBABILITY else ""
        if androgen:
            text = ("exogenous testosterone suppresses LH, FSH and spermatogenesis, often to azoospermia (WHO 1990; "
                    "AUA/ASRM 2020)" + ("; fertility is desired" if fertility else "")
                    + (f"; {text}" if text else ""))
        flags.append({"name": "spermatogenesis_suppressed", "probability": round(suppressed, 3),
                      "severity": "warning" if fertility else "note", "text": text})
    if cand.tier == "not expected to help":
        q = preds["total_testosterone"][f"week_{checkpoints[-1]}"]
        flags.append({"name": "not_expected_to_help", "probability": None, "severity": "note",
                      "text": f"{cand.rationale}; predicted total T at week {checkpoints[-1]}: median {q['q50']:.0f} "
                              f"ng/dL (90% interval {q['q05']:.0f}-{q['q95']:.0f}) against a lower limit of {t_lo:g}"})
    t_series = run.series("total_testosterone")
    t_time = _time_to(t_series, run.days, t_lo, horizon_weeks)
    sperm_time = None
    observed_sperm = interp.value("sperm_concentration")
    if fertility or (observed_sperm is not None and observed_sperm < SPERM_TARGET):
        sperm_time = _time_to(run.series("sperm_concentration"), run.days, SPERM_TARGET, horizon_weeks)
    traj = {obs: {k: v for k, v in zip(("q05", "q50", "q95"),
                                       np.nanquantile(run.series(obs), (0.05, 0.5, 0.95), axis=1).tolist())}
            for obs in TRAJECTORY_OBSERVABLES} if ok.any() else {}
    return ProtocolResult(name=cand.protocol, title=title, tier=cand.tier, rationale=cand.rationale, regimen=lines,
                          source=source, references=references, predictions=preds, time_to_t_in_range=t_time,
                          time_to_sperm_16=sperm_time, flags=tuple(flags), components=comp, score=score,
                          contributions=contrib, weights=dict(weights), trajectory=traj,
                          dose_titration=_dose_titration(lines, run, last))


def _lab_name(observable: str) -> str:
    """A lab as the monitoring plan lists it: 'total testosterone', 'LH'."""
    label = LAB_LABELS.get(observable, observable.replace("_", " "))
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _titrated(lines: Sequence[str]) -> list:
    """The prescriptions of ``lines`` titrated to a lab target."""
    return [p for p in Regimen.parse(list(lines)).prescriptions if p.titration is not None] if lines else []


def _dose_titration(lines: Sequence[str], run: _Run, end_day: float) -> dict[str, Any] | None:
    """A titrated protocol's rules, the draws' doses from each check on and the share on each dose at
    ``end_day`` (the horizon); None for a protocol at fixed doses."""
    from hpgsim.simulate import dose_shares, dose_shares_text

    titrated = _titrated(lines)
    if not titrated:
        return None
    rules = []
    for p in titrated:
        t = p.titration
        rules.append({"drug": p.drug, "observable": t.observable, "lab": _lab_name(t.observable),
                      "low": t.low, "high": None if math.isinf(t.high) else t.high, "unit": t.unit,
                      "every_weeks": t.every_days / 7.0, "rule": t.text(p.info, p.start_level),
                      "doses": [f"{lv.amount:g} {p.info.dose_unit} {lv.frequency}" for lv in t.levels]})
    days = sorted({h for p in titrated for h in p.check_times(end_day * 24.0 + 24.0)})
    checks = [{"week": (h - 8.0) / 168.0, "doses": dose_shares(run.dose_history, (h - 8.0) / 24.0, run.ok)}
              for h in days if (h - 8.0) / 24.0 <= end_day]
    final = dose_shares(run.dose_history, end_day, run.ok)
    return {"prescriptions": rules, "checks": checks,
            "final": {"week": end_day / 7.0, "doses": final,
                      "text": f"at week {end_day / 7.0:g}: {dose_shares_text(final, 'draws')}" if final else
                              "no draw could be simulated"}}


class _Simulator:
    """Every regimen on the same posterior draws of the twin, each regimen simulated once."""

    def __init__(self, men, horizon_days: int, progress: bool):
        from hpgsim.simulate import simulate_cohort

        self._simulate = simulate_cohort
        self.men = men
        self.days = _sample_days(horizon_days)
        self.horizon_days = horizon_days
        self.cache: dict[tuple[str, ...], _Run] = {}
        self.progress = progress

    def __call__(self, lines: Sequence[str]) -> _Run:
        key = tuple(lines)
        if key not in self.cache:
            reg = Regimen.parse(list(key)) if key else None
            res = self._simulate(self.men, reg, days=self.horizon_days, sample_days=self.days,
                                 observables=list(OBSERVABLES))
            self.cache[key] = _Run(days=np.asarray(res.days, dtype=float), values=res.values,
                                   ok=np.asarray(res.status) == "ok", dose_history=res.dose_history)
            if self.progress:
                import sys

                print(f"  simulated: {'; '.join(key) or 'no treatment'}", file=sys.stderr)
        return self.cache[key]


def _titrate(drug: str, sim: _Simulator, interp: Interpretation) -> dict[str, Any]:
    spec = TITRATION[drug]
    t_lo, t_hi = _range(interp, "total_testosterone")
    t_lo = t_lo if t_lo is not None else REFERENCE_RANGES["total_testosterone"][0]
    t_hi = t_hi if t_hi is not None else REFERENCE_RANGES["total_testosterone"][1]
    rows = []
    selected = None
    checkpoints = [7.0 * w for w in CHECKPOINT_WEEKS if 7 * w <= sim.horizon_days]
    for line, weekly in zip(spec["ladder"], spec["weekly_mg"]):
        run = sim([line])
        q = {obs: _q(run.at(obs, 84.0)) for obs in ("total_testosterone", "estradiol", "t_e2_ratio",
                                                     "sperm_concentration")}
        if drug == "anastrozole":
            e2_meds = [_q(run.at("estradiol", d))["q50"] for d in checkpoints]
            meets = (q["t_e2_ratio"]["q50"] is not None and q["t_e2_ratio"]["q50"] >= T_E2_LOW
                     and all(m is not None and m >= E2_FLOOR for m in e2_meds))
        else:
            m = q["total_testosterone"]["q50"]
            meets = m is not None and t_lo <= m <= t_hi
        if meets and selected is None:
            selected = line
        rows.append({"regimen": line, "weekly_dose_mg": weekly, "week": 12, **q, "meets": bool(meets),
                     "selected": False})
    for r in rows:
        r["selected"] = r["regimen"] == selected
    text = (f"lowest step meeting the criterion in this twin: {selected}" if selected else
            "no step of the ladder meets the criterion in this twin")
    return {"drug": drug, "criterion": spec["criterion"], "source": spec["source"], "rows": rows,
            "selected": selected, "text": text}


_CLASS_LABS = {
    "aromatase inhibitor": (["total testosterone", "estradiol", "LH", "FSH"],
                            "anastrozole: T/E2 normalised without estradiol driven below the range (source doc 000)"),
    "SERM": (["total testosterone", "LH", "FSH", "estradiol"],
             "SERM: LH, FSH and T are expected to rise into range; estradiol may rise with T (source doc 000)"),
    "LH-receptor agonist": (["total testosterone", "estradiol"],
                            "hCG: T titrated to mid-normal; hCG raises testicular estradiol (hCG labels; EAU)"),
    "FSH-receptor agonist": (["FSH"], "FSH: Sertoli-cell support for spermatogenesis (EAU)"),
    "GnRH": (["LH", "FSH", "total testosterone"],
             "gonadorelin pump: the pituitary is expected to answer with LH and FSH (Lutrepulse label; EAU)"),
    "androgen": (["total testosterone"],
                 "testosterone therapy: T in the mid-normal range; hematocrit at 3-6 months then yearly (ES 2018; AUA 2018)"),
}


def _classes(lines: Sequence[str]) -> list[str]:
    out = []
    for p in Regimen.parse(list(lines)).prescriptions:
        cls = lookup_drug(p.drug).drug_class
        cls = "SERM" if cls.startswith("SERM") else cls
        if cls not in out:
            out.append(cls)
    return out


def _pred_text(p: ProtocolResult, week: int) -> dict[str, str]:
    out = {}
    for obs in ("total_testosterone", "estradiol", "lh", "fsh", "sperm_concentration"):
        q = p.predictions[obs].get(f"week_{week}")
        if q and q["q50"] is not None:
            out[obs] = f"{q['q50']:.3g} ({q['q05']:.3g}-{q['q95']:.3g}) {UNITS[obs]}"
    return out


def monitoring_plan(pf: PatientFile, interp: Interpretation, top: ProtocolResult | None) -> dict[str, Any]:
    """Follow-up labs: before starting (what is missing), 3-4 weeks, 3 and 6 months, and semen analyses."""
    cycle = parameters.get("spermatogenesis_days").value + parameters.get("epididymal_transit_days").value
    visits: list[dict[str, Any]] = []
    before: list[str] = []
    why_before: list[str] = []
    values = pf.canonical_labs()
    tt = values.get("total_testosterone")
    if tt is not None and tt < THRESHOLDS["low_total_testosterone"][0] and len(pf.measurements("total_testosterone")) < 2:
        before.append("a second morning total testosterone")
        why_before.append("guidelines confirm a low T on two morning samples (AUA 2018; ES 2018)")
    for name, why in (("lh", "LH and FSH tell primary from secondary hypogonadism"),
                      ("shbg", "SHBG (and albumin) give the calculated free T"),
                      ("estradiol", "estradiol gives the T/E2 ratio")):
        if name not in values:
            before.append(LAB_LABELS[name] if name != "lh" else "LH and FSH")
            why_before.append(why)
    if pf.fertility_desired and "sperm_concentration" not in values:
        before.append("semen analysis")
        why_before.append("a baseline semen analysis when fertility is desired (AUA/ASRM 2020; WHO 2021)")
    classes = _classes(top.regimen) if top is not None else []
    if "androgen" in classes:
        before.append("hematocrit (and PSA where the guideline's age criteria apply)")
        why_before.append("baseline safety checks before testosterone therapy (ES 2018; AUA 2018); not simulated")
    if before:
        visits.append({"when": "before starting", "week": 0, "labs": before, "why": "; ".join(why_before),
                       "predicted": {}})
    if top is None:
        visits.append({"when": "if symptoms or semen findings change", "week": None,
                       "labs": ["morning total testosterone", "LH", "FSH", "estradiol"],
                       "why": "no hormonal option is suggested for this pattern; labs are repeated when the picture "
                              "changes", "predicted": {}})
        return {"protocol": None, "visits": visits, "sources": [SOURCE_LABELS["source doc 000"]]}
    labs: list[str] = []
    whys: list[str] = []
    for c in classes:
        lab_list, why = _CLASS_LABS.get(c, (["total testosterone"], c))
        labs += [x for x in lab_list if x not in labs]
        whys.append(why)
    morning = "morning, before that day's dose"
    visits.append({"when": "3-4 weeks after starting", "week": 4, "labs": labs,
                   "why": f"first check of the response, {morning} (source doc 000: labs 3-4 weeks after "
                          "initiating therapy). " + "; ".join(whys),
                   "predicted": _pred_text(top, 4)})
    semen = pf.fertility_desired or (values.get("sperm_concentration", SPERM_TARGET) < SPERM_TARGET)
    later = ["hematocrit"] if "androgen" in classes else []  # at 3-6 months, then yearly (ES 2018)
    m3 = list(labs) + later + (["semen analysis"] if semen else [])
    visits.append({"when": "3 months", "week": 12, "labs": m3,
                   "why": "the hormones at their new steady state" + (
                       f"; semen analysis after one spermatogenic cycle plus epididymal transit (about {cycle:.0f} "
                       "days, parameter table; WHO 2021)" if semen else ""),
                   "predicted": _pred_text(top, 12)})
    m6 = list(labs) + later + (["semen analysis"] if semen else [])
    six_why = "the response holds; then periodically (every 6-12 months; AUA 2018)"
    if "LH-receptor agonist" in classes and "FSH-receptor agonist" not in classes and pf.fertility_desired:
        six_why += "; if sperm are still absent after about 6 months of hCG, FSH is usually added (EAU; hcg_fsh_hh)"
    visits.append({"when": "6 months", "week": 26, "labs": m6, "why": six_why, "predicted": _pred_text(top, 26)})
    if top.dose_titration:
        visits = _with_titration_checks(visits, top.dose_titration)
    return {"protocol": top.name, "visits": visits,
            "sources": [SOURCE_LABELS[k] for k in ("source doc 000", "AUA 2018", "ES 2018", "AUA/ASRM 2020", "WHO 2021")]}


def _rule_text(rule: Mapping[str, Any]) -> str:
    """One titration rule in words: which lab moves the dose which way."""
    moves = [f"{rule['lab']} below {rule['low']:g} {rule['unit']}: one step up"] if rule["low"] > 0 else []
    if rule["high"] is not None:
        moves.append(f"above {rule['high']:g} {rule['unit']}: one step down")
    return f"{rule['drug']} ({' / '.join(rule['doses'])}), {', '.join(moves)}"


def _with_titration_checks(visits: list[dict[str, Any]], titration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The visits with the titration checks of a titrated protocol: at each check its lab, drawn in the
    morning before that day's dose, and the predicted share of the draws on each dose from then on; a
    check in the week of a planned visit joins that visit."""
    from hpgsim.simulate import dose_shares_text

    rules = titration["prescriptions"]
    labs = list(dict.fromkeys(r["lab"] for r in rules))
    why = ("titration check, morning, before that day's dose (the protocol's rule: " + "; ".join(map(_rule_text, rules))
           + ")")
    out = [dict(v, labs=list(v["labs"]), predicted=dict(v.get("predicted") or {})) for v in visits]
    for check in titration["checks"]:
        week = float(check["week"])
        dose = {"dose from this check on": dose_shares_text(check["doses"], "draws")} if check["doses"] else {}
        same = next((v for v in out if v["week"] is not None and v["week"] > 0 and abs(v["week"] - week) < 1.0), None)
        if same is not None:
            same["labs"] += [x for x in labs if x not in same["labs"]]
            same["why"] = f"{same['why']}; {why}"
            same["predicted"].update(dose)
        else:
            out.append({"when": f"week {week:g}: titration check", "week": week, "labs": list(labs), "why": why,
                        "predicted": dose, "titration_check": True})
    final = titration["final"]
    last = next((v for v in out if v["week"] is not None and abs(v["week"] - final["week"]) < 1.0), None)
    if last is not None and final["doses"]:
        last["predicted"]["titrated dose"] = final["text"]
    return sorted(out, key=lambda v: (v["week"] is None, v["week"] or 0.0, v["when"] != "before starting"))


def _notes(phenotype: str, pf: PatientFile, results: Sequence[ProtocolResult], reference: ProtocolResult,
           n: int, horizon_weeks: int) -> list[str]:
    notes = [f"Bands and intervals are the median and 90% interval over {n} posterior draws of this man's calibrated "
             "twin: parameter uncertainty, not between-patient variability."]
    by = {p.name: p for p in results}
    if phenotype == "primary_hypogonadism":
        parts = []
        for name in ("clomiphene_monotherapy", "anastrozole_monotherapy"):
            p = by.get(name)
            if p is not None:
                q = p.predictions["total_testosterone"]["week_12"]
                lh = p.predictions["lh"]["week_12"]
                parts.append(f"{p.name}: predicted T {q['q50']:.0f} ng/dL with LH {lh['q50']:.3g} IU/L at week 12")
        base = reference.predictions["total_testosterone"]["week_12"]["q50"]
        notes.append("SERMs and aromatase inhibitors are not expected to help: they work by raising LH and FSH, which "
                     "are already above their range, and the failing testis cannot answer more drive (source doc "
                     f"000). In the simulation T stays low: untreated {base:.0f} ng/dL; " + "; ".join(parts) + ".")
        if pf.fertility_desired:
            notes.append("For fertility in primary testicular failure, sperm retrieval (micro-TESE) with ICSI is the "
                         "usual route; consider discussing it, and sperm cryopreservation, before testosterone "
                         "therapy (AUA/ASRM 2020). Not simulated.")
    if phenotype == "post_trt_suppressed":
        notes.append("No treatment is shown as the reference: spontaneous recovery after stopping testosterone "
                     "lasts months (Liu 2006: median 3.4 months to a sperm concentration of 20 M/mL).")
    if phenotype == "congenital_hh":
        notes.append("Gonadotropin induction of spermatogenesis lasts months to years (Liu 2009: median about 7 months "
                     f"to first sperm); the horizon here is {horizon_weeks} weeks.")
    if phenotype == "eugonadal":
        notes.append("Hormones are within their ranges: the source documents suggest no hormonal protocol for this "
                     "pattern; no treatment is shown for reference.")
    if any(p.tier == "conflicts with the fertility wish" for p in results):
        notes.append("Testosterone therapy is shown for comparison only: it conflicts with the fertility wish.")
    return notes


def assess(pf: PatientFile, *, weights: Mapping[str, float] | None = None, n: int = DEFAULT_N, seed: int = 0,
           progress: bool = False, horizon_weeks: int = HORIZON_WEEKS) -> Assessment:
    """Assess the man of patient file ``pf``: phenotype, candidate protocols on his twin, titration, monitoring.

    ``weights`` override :data:`DEFAULT_WEIGHTS` (any subset); ``n`` posterior draws of the twin
    (``seed`` makes them reproducible) are shared by every protocol.  Bad input raises
    :class:`~hpgsim.errors.InputError`.
    """
    from hpgsim.calibrate import fit

    t0 = time.perf_counter()
    if not isinstance(pf, PatientFile):
        raise InputError("patient", f"got {type(pf).__name__}; allowed: a PatientFile (hpgsim.labs.load_patient_file)")
    w = check_weights(weights)
    if isinstance(n, bool) or not isinstance(n, int) or not 5 <= n <= 2000:
        raise InputError("n", f"{n!r} is not allowed; allowed: a whole number of draws from 5 to 2000")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"{seed!r} is not allowed; allowed: a whole number >= 0")
    if isinstance(horizon_weeks, bool) or not isinstance(horizon_weeks, int) or not 12 <= horizon_weeks <= 104:
        raise InputError("horizon_weeks", f"{horizon_weeks!r} is not allowed; allowed: whole weeks from 12 (the "
                                          "week-12 checkpoint) to 104")
    interp = interpret(pf)
    twin = fit(pf)
    phenotype = twin.phenotype
    warnings = list(interp.warnings)
    if twin.status != "ok":
        warnings.append(f"twin: {twin.message}")
    cands = candidates(phenotype, interp, pf.fertility_desired)
    sim = _Simulator(twin.draw(n, seed), 7 * horizon_weeks, progress)

    def evaluate(cand: Candidate) -> ProtocolResult:
        if cand.protocol == "no_treatment":
            lines: tuple[str, ...] = ()
            title, source, refs = "No treatment (reference)", "the twin untreated", ()
        else:
            p = named_protocol(cand.protocol)
            lines, title, source, refs = p.prescriptions, p.title, p.source, p.references
        return _evaluate(cand, title, lines, source, refs, sim(lines), interp, pf.fertility_desired, w, horizon_weeks)

    reference = evaluate(Candidate("no_treatment", "not expected to help", "the twin without treatment"))
    reference = _replace_flags(reference)
    results = [evaluate(c) for c in cands]
    order = sorted(range(len(results)), key=lambda i: (-results[i].score, -TIERS[results[i].tier], i))
    ranked = tuple(_with_rank(results[i], r + 1) for r, i in enumerate(order))
    titration = []
    active = {c.protocol for c in cands if c.tier == "first-line"}  # titrate the first-line drugs
    for drug, spec in TITRATION.items():
        if active & set(spec["protocols"]):
            titration.append(_titrate(drug, sim, interp))
    top = ranked[0] if ranked else None
    monitoring = monitoring_plan(pf, interp, top)
    notes = _notes(phenotype, pf, ranked, reference, n, horizon_weeks)
    days = tuple(float(d) for d in sim.days)
    return Assessment(patient=pf, interpretation=interp, phenotype=phenotype, reasons=twin.reasons,
                      twin_status=twin.status, twin_message=twin.message, weights=w, protocols=ranked,
                      reference=reference, titration=tuple(titration), monitoring=monitoring, notes=tuple(notes),
                      warnings=tuple(warnings), days=days, n=n, seed=seed, horizon_weeks=horizon_weeks,
                      elapsed_s=time.perf_counter() - t0)


def _with_rank(p: ProtocolResult, rank: int) -> ProtocolResult:
    from dataclasses import replace

    return replace(p, rank=rank)


def _replace_flags(p: ProtocolResult) -> ProtocolResult:
    """The untreated reference keeps its safety flags but not the 'not expected to help' note."""
    from dataclasses import replace

    return replace(p, flags=tuple(f for f in p.flags if f["name"] != "not_expected_to_help"), tier="reference")


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------


def _fmt_q(q: Mapping[str, float | None] | None) -> str:
    if not q or q.get("q50") is None:
        return "n/a"
    return f"{q['q50']:.3g} ({q['q05']:.3g}-{q['q95']:.3g})"


def summary_lines(a: Assessment) -> list[str]:
    """A plain-text summary of the assessment (what ``hpgsim assess`` prints)."""
    pf = a.patient
    out = [f"hpgsim assessment: {pf.id or 'patient'}, {pf.age_years:g} years, BMI {pf.body_mass_index:.1f}, "
           f"fertility {'desired' if pf.fertility_desired else 'not desired'}", ""]
    out.append("Labs (canonical units; reference range and its source):")
    for r in a.interpretation.labs:
        rng = ("-".join(f"{x:g}" for x in (r.low, r.high) if x is not None) if r.low is not None and r.high is not None
               else (f">= {r.low:g}" if r.low is not None else ""))
        out.append(f"  {r.label:28s} {r.value:9.3g} {r.unit:6s} {r.status:18s} {rng:12s} {r.range_source}")
    for d in a.interpretation.derived.values():
        out.append(f"  {d.label:28s} {d.value:9.3g} {d.unit:6s} {d.interpretation}")
    if a.warnings:
        out.append("")
        out.append("Warnings:")
        out += [f"  - {w}" for w in a.warnings]
    out.append("")
    out.append(f"Phenotype: {a.phenotype}")
    out += [f"  - {r}" for r in a.reasons]
    out.append("")
    out.append(f"Options compared on the twin ({a.n} posterior draws; predicted median (90% interval)); score weights "
               "are a design choice, shown below:")
    for p in a.protocols:
        out.append(f"  #{p.rank} {p.name} [{p.tier}] score {p.score:.2f}: {'; '.join(p.regimen)}")
        out.append(f"      why considered: {p.rationale}")
        for w in CHECKPOINT_WEEKS:
            if w > a.horizon_weeks:
                continue
            pr = p.predictions
            out.append(f"      week {w:2d}: T {_fmt_q(pr['total_testosterone'][f'week_{w}'])} ng/dL, "
                       f"E2 {_fmt_q(pr['estradiol'][f'week_{w}'])} pg/mL, "
                       f"T/E2 {_fmt_q(pr['t_e2_ratio'][f'week_{w}'])}, "
                       f"sperm {_fmt_q(pr['sperm_concentration'][f'week_{w}'])} M/mL")
        if p.dose_titration:
            out.append(f"      titrated doses {p.dose_titration['final']['text']}")
        out.append(f"      time to T in range: {p.time_to_t_in_range['text']}")
        if p.time_to_sperm_16 is not None:
            out.append(f"      time to sperm >= {SPERM_TARGET:g} M/mL: {p.time_to_sperm_16['text']}")
        for f in p.flags:
            out.append(f"      flag ({f['severity']}): {f['text']}")
    ref = a.reference.predictions["total_testosterone"]
    out.append(f"  reference, no treatment: T at week {CHECKPOINT_WEEKS[-1]} "
               f"{_fmt_q(ref.get(f'week_{CHECKPOINT_WEEKS[-1]}'))} ng/dL")
    out.append("  weights: " + ", ".join(f"{k}={v:g}" for k, v in a.weights.items()))
    for t in a.titration:
        out.append("")
        out.append(f"Titration, {t['drug']}: {t['criterion']}")
        for r in t["rows"]:
            mark = "  <- lowest meeting the criterion" if r["selected"] else ""
            out.append(f"  {r['regimen']:46s} week 12: T {_fmt_q(r['total_testosterone'])}, "
                       f"E2 {_fmt_q(r['estradiol'])}, T/E2 {_fmt_q(r['t_e2_ratio'])}{mark}")
        out.append(f"  {t['text']}")
    out.append("")
    mp = a.monitoring
    out.append("Monitoring plan" + (f" (for the top-ranked option, {mp['protocol']}):" if mp.get("protocol") else ":"))
    for v in mp["visits"]:
        out.append(f"  {v['when']}: {', '.join(v['labs'])}")
        out.append(f"      why: {v['why']}")
        if v.get("predicted"):
            out.append("      predicted: " + "; ".join(f"{LAB_LABELS.get(k, k)} {x}" for k, x in v["predicted"].items()))
    if a.notes:
        out.append("")
        out += [f"Note: {x}" for x in a.notes]
    out.append("")
    out.append(DISCLAIMER)
    return out
