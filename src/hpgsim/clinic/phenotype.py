"""Phenotype of a man from his morning labs and history, with the reasons that led there.

The rules follow the clinical definitions (thresholds and their sources in :data:`THRESHOLDS`):
hypogonadism is a low morning total T; it is primary when LH or FSH is above the reference range
and secondary (hypogonadotropic) when they are low or inappropriately normal; congenital or
severe hypogonadotropic hypogonadism when T is very low with LH and FSH below 1.5 IU/L; a man who
took testosterone or anabolic steroids in the last year is post-TRT suppressed, unless the congenital
pattern persists longer after the last dose than the axis usually needs to recover; a low T/E2 ratio
with obesity is obesity-related hyperestrogenism; a low sperm concentration with normal hormones
is idiopathic oligozoospermia.  The names are those of :data:`hpgsim.patient.PHENOTYPES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from hpgsim.clinic.ranges import REFERENCE_RANGES

__all__ = ["THRESHOLDS", "Classification", "classify"]

# value, unit, source
THRESHOLDS: Mapping[str, tuple[float, str, str]] = {
    "low_total_testosterone": (300.0, "ng/dL", "AUA guideline: Mulhall JP et al. J Urol 2018;200:423 (total T < 300 ng/dL)"),
    "very_low_total_testosterone": (100.0, "ng/dL", "castrate/prepubertal range typical of congenital HH (DESIGN section 2)"),
    "high_lh": (REFERENCE_RANGES["lh"][1], "IU/L", "upper reference limit: " + REFERENCE_RANGES["lh"][2]),
    "high_fsh": (REFERENCE_RANGES["fsh"][1], "IU/L", "upper reference limit: " + REFERENCE_RANGES["fsh"][2]),
    "low_gonadotropin": (1.5, "IU/L", "LH and FSH < 1.5 IU/L in congenital hypogonadotropic hypogonadism (DESIGN section 2)"),
    "low_t_e2_ratio": (10.0, "ng/dL per pg/mL", "T/E2 < 10 treated with aromatase inhibitors (source documents; Raman & Schlegel 2002)"),
    "obese_bmi": (30.0, "kg/m2", "WHO obesity class I"),
    "low_sperm_concentration": (REFERENCE_RANGES["sperm_concentration"][0], "M/mL", REFERENCE_RANGES["sperm_concentration"][2]),
    "history_window": (52.0, "weeks", "recovery of spermatogenesis after androgens takes up to a year or more (WHO 1990)"),
    "androgen_recovery": (15.0, "weeks", "median time to recovery of spermatogenesis after hormonal male contraception "
                          "3.4 months, gonadotropins recovering first (Liu PY et al. Lancet 2006;367:1412)"),
}

_ANDROGENS = ("testosterone",)


@dataclass(frozen=True, slots=True)
class Classification:
    """The phenotype name and the reasons (one sentence each, with the numbers that decided it)."""

    phenotype: str
    reasons: tuple[str, ...]


def _t(name: str) -> float:
    return THRESHOLDS[name][0]


def classify(labs: Mapping[str, float], *, bmi: float, history: Sequence[tuple[str, float, float]] = ()) -> Classification:
    """Classify from canonical labs (names and units of ``simulate.OBSERVABLES``), BMI and history.

    ``history`` holds ``(regimen text, start_week, stop_week)`` relative to the labs.
    """
    tt, lh, fsh = labs.get("total_testosterone"), labs.get("lh"), labs.get("fsh")
    e2, sperm = labs.get("estradiol"), labs.get("sperm_concentration")
    reasons: list[str] = []
    recent = [(text, stop) for text, _, stop in history
              if any(a in text.lower() for a in _ANDROGENS) and stop > -_t("history_window")]
    congenital_pattern = (tt is not None and tt < _t("very_low_total_testosterone") and lh is not None
                          and lh < _t("low_gonadotropin") and (fsh is None or fsh < _t("low_gonadotropin")))
    if recent and congenital_pattern and -max(stop for _, stop in recent) > _t("androgen_recovery"):
        off = -max(stop for _, stop in recent)
        reasons.append(f"testosterone stopped {off:g} weeks ago ({recent[0][0]}), longer than the "
                       f"{_t('androgen_recovery'):g} weeks in which the axis usually starts to recover")
        reasons.append(f"T {tt:.0f} ng/dL below {_t('very_low_total_testosterone'):g} with LH {_fmt(lh)} and FSH "
                       f"{_fmt(fsh)} IU/L below {_t('low_gonadotropin'):g} after that washout: absent GnRH drive "
                       "(congenital or severe HH)")
        return Classification("congenital_hh", tuple(reasons))
    if recent:
        recent = [text for text, _ in recent]
        reasons.append(f"testosterone in the last {_t('history_window'):g} weeks ({recent[0]}): the axis and "
                       "spermatogenesis are expected to be suppressed and recovering")
        return Classification("post_trt_suppressed", tuple(reasons))
    low_t = tt is not None and tt < _t("low_total_testosterone")
    high_gn = (lh is not None and lh > _t("high_lh")) or (fsh is not None and fsh > _t("high_fsh"))
    if low_t:
        reasons.append(f"total T {tt:.0f} ng/dL is below {_t('low_total_testosterone'):g} ng/dL")
        if high_gn:
            reasons.append(f"LH {_fmt(lh)} / FSH {_fmt(fsh)} IU/L above the reference range: the testis fails "
                           "despite high drive (primary, hypergonadotropic)")
            return Classification("primary_hypogonadism", tuple(reasons))
        very_low_gn = (lh is not None and lh < _t("low_gonadotropin")) and (fsh is None or fsh < _t("low_gonadotropin"))
        if tt < _t("very_low_total_testosterone") and very_low_gn:
            reasons.append(f"T below {_t('very_low_total_testosterone'):g} ng/dL with LH {_fmt(lh)} and FSH {_fmt(fsh)} "
                           f"IU/L below {_t('low_gonadotropin'):g}: absent GnRH drive (congenital or severe HH)")
            return Classification("congenital_hh", tuple(reasons))
        if e2 is not None and e2 > 0 and tt / e2 < _t("low_t_e2_ratio") and bmi >= _t("obese_bmi"):
            reasons.append(f"T/E2 {tt / e2:.1f} below {_t('low_t_e2_ratio'):g} with BMI {bmi:.1f}: adipose aromatase "
                           "(obesity-related hyperestrogenism)")
            return Classification("obese_hyperestrogenic", tuple(reasons))
        reasons.append(f"LH {_fmt(lh)} / FSH {_fmt(fsh)} IU/L not elevated despite low T: hypogonadotropic "
                       "(secondary) hypogonadism")
        return Classification("secondary_hypogonadism", tuple(reasons))
    if high_gn:
        reasons.append(f"T {_fmt(tt)} ng/dL maintained but LH {_fmt(lh)} / FSH {_fmt(fsh)} IU/L above the reference range: "
                       "compensated primary testicular failure")
        return Classification("primary_hypogonadism", tuple(reasons))
    if tt is not None and e2 is not None and e2 > 0 and tt / e2 < _t("low_t_e2_ratio"):
        reasons.append(f"T/E2 {tt / e2:.1f} below {_t('low_t_e2_ratio'):g} with T {tt:.0f} ng/dL: excess aromatisation")
        return Classification("obese_hyperestrogenic", tuple(reasons))
    if sperm is not None and sperm < _t("low_sperm_concentration"):
        reasons.append(f"sperm concentration {sperm:.1f} M/mL below {_t('low_sperm_concentration'):g} with T, LH and "
                       "FSH in range: idiopathic oligozoospermia")
        return Classification("idiopathic_oligozoospermia", tuple(reasons))
    reasons.append("T, LH and FSH within their reference ranges" + ("" if sperm is None else " and sperm concentration normal"))
    return Classification("eugonadal", tuple(reasons))


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"
