"""Patients: covariates plus overrides of the per-patient parameters, and the named phenotypes.

A phenotype is a preset of the per-patient parameters of the table (``patient=True`` rows) that
reproduces a textbook lab pattern through the model's mechanisms:

=========================  ==========================================================================
eugonadal                  the reference man
primary_hypogonadism       Leydig and Sertoli failure (e.g. Klinefelter): low T, high LH and FSH
secondary_hypogonadism     reduced GnRH drive: low T with LH/FSH not elevated
congenital_hh              absent GnRH drive: LH/FSH < 1.5, T < 100 ng/dL, no sperm; small testes (Sertoli
                           complement about a third of the reference man's)
obese_hyperestrogenic      BMI 35: adipose aromatase and low SHBG give a low T/E2 ratio
post_trt_suppressed        a man after a year of testosterone cypionate 200 mg weekly, 2 weeks off
idiopathic_oligozoospermia reduced Sertoli/spermatogenic capacity with normal hormones and a high androgen
                           requirement of spermatogenesis (severe oligozoospermia that letrozole improves)
ageing_male                age 72: Leydig decline, higher SHBG, damped circadian rhythm
eugonadal_east_asian       the reference man with a spermatogenesis that needs 1.76x his intratesticular T
                           (less 5-alpha reduction): more azoospermia on testosterone alone
=========================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from hpgsim import parameters
from hpgsim.errors import InputError

__all__ = ["Patient", "PHENOTYPES", "phenotype", "phenotype_names"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient:
    """One man: age, BMI, per-patient parameter overrides and an optional treatment history.

    ``history`` is a list of ``(regimen text, start_week, stop_week)`` relative to the start of the
    simulation (negative weeks: the past); the simulation begins at his untreated steady state
    before the earliest history entry.
    """

    name: str = "patient"
    age: float = 30.0
    bmi: float = 23.5
    overrides: Mapping[str, float] = field(default_factory=dict)
    history: tuple[tuple[str, float, float], ...] = ()
    # between-man CVs of a phenotype that differ from the table's ``cv`` (used when cohorts are drawn around it)
    spreads: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 12.0 <= self.age <= 100.0:
            raise InputError("age", f"{self.age} is outside the allowed range 12-100 years")
        if not 14.0 <= self.bmi <= 70.0:
            raise InputError("bmi", f"{self.bmi} is outside the allowed range 14-70 kg/m2")
        allowed = set(parameters.names(patient=True))
        for k, v in self.overrides.items():
            if k not in allowed:
                raise InputError("parameter", f"'{k}' is not a per-patient parameter; allowed: {', '.join(sorted(allowed))}")
            prm = parameters.get(k)
            if (prm.lower is not None and v < prm.lower) or (prm.upper is not None and v > prm.upper):
                raise InputError(k, f"{v} is outside the allowed range {prm.lower}-{prm.upper} {prm.unit}")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        for k, v in self.spreads.items():
            if k not in allowed or not parameters.get(k).cv:
                raise InputError("spreads", f"'{k}' has no between-man spread in the parameter table")
            if not 0.0 <= v <= 10.0:
                raise InputError(k, f"spread {v} is outside the allowed range 0-10")
        object.__setattr__(self, "spreads", MappingProxyType(dict(self.spreads)))

    def parameter_values(self) -> dict[str, float]:
        """The full parameter table with this man's overrides applied."""
        p = parameters.values()
        p.update(self.overrides)
        return p

    def with_overrides(self, **kw: float) -> "Patient":
        return replace(self, overrides={**self.overrides, **kw})


PHENOTYPES: Mapping[str, Patient] = MappingProxyType({
    "eugonadal": Patient(name="eugonadal"),
    "primary_hypogonadism": Patient(name="primary_hypogonadism",
                                    overrides={"leydig_capacity": 0.1, "sertoli_capacity": 0.1}),
    # T 268 ng/dL, LH 2.2 IU/L, E2 7.8 pg/mL at 08:00 (not the library cohorts' T ~230 or the published E2 17 pg/mL:
    # with either, gel 50 mg/day suppresses his LH below 0.7 IU/L and his T collapses after the gel is stopped;
    # docs/research/physiology_sources.md section 19)
    "secondary_hypogonadism": Patient(name="secondary_hypogonadism", age=38.0, overrides={"gnrh_drive": 0.015}),
    # Sertoli complement from testis volume: 8.1 +/- 4.6 mL after gonadotropin induction in congenital HH (Medicine
    # (Baltimore) 2016;95(9):e2867) against 23.2 mL in eugonadal men (AAS2019_NONUSER): mean 0.35 of the reference,
    # median 0.25 with the phenotype's spread cv 1.0 below (CV of those testis volumes 0.57; the table's 0.6 gave median 0.30)
    # Leydig complement 0.28 (the testes never matured, so the Leydig cells hCG regrows are fewer than the reference
    # man's): fit: T 16.2 +/- 8.2 nmol/L (467 ng/dL) on hCG 1500 IU + hMG 75 IU 3x/week and 8.3 +/- 4.6 nmol/L
    # (239 ng/dL) on pulsatile GnRH after 6-12 months in 202 men with congenital HH (Mao JF et al. Asian J Androl
    # 2017;19:680; not in the validation library; 14.8 +/- 8.8 nmol/L on hCG/hMG in 220 men, Lin J et al. 2019): the
    # typical man gives about 450 and 260 ng/dL at 6 months (0.25: 401 and 237-249; 0.3: 479 and 278-291; the
    # reference complement 1570 on hCG/hMG); docs/research/physiology_sources.md sections 18, 20 and 22
    # gonadotroph reserve 0.4 (unprimed gonadotrophs respond less to GnRH): fit: LH 7.5 and FSH 8.8 IU/L after 1 month
    # of pulsatile GnRH in 82 men (Mao JF et al. Asian J Androl 2018;20:319): with the Leydig complement above, 200 men
    # on gonadorelin 10 ug every 90 min give LH 6.9 (-9%) and FSH 9.3 IU/L (+5%) at 4 weeks (0.45 with the reference
    # complement: 6.8 and 9.5; reserve 1: 9.7 and 13.8 IU/L): less T leaves less feedback, so a smaller reserve
    # spread of the response (fit, 200 men, seeds 0-2, with fsh_drug_cl 0.45 L/h and spermatogonial_floor 1.4e-3): the
    # Sertoli complement keeps its mean 0.35 (testis volume above) with a between-man CV of 1.0 (median 0.25), and the
    # reserve's doubling time a CV of 6 (table: 3), against the shares at 1/5/10/20 M/mL after 18 months (Muir 2024,
    # MUIR_META2024: 0.55/0.36/0.24/0.15) and at 0.1-20 M/mL after 16 months (GONADO_COHORT99) with the medians to
    # first sperm (GONADO_COHORT99 21.7, LIU2009_JCEM 30.9 weeks): poor responders are common in congenital HH
    # (cryptorchidism, prepubertal testes < 4 mL: Liu PY et al. J Clin Endocrinol Metab 2009;94:801; of 26 men at
    # St Bartholomew's only 1 of 4 with cryptorchidism against 5 of 5 without made sperm on hCG/hMG, testes on hCG
    # 3.0 +/- 1.6 against 4.7 +/- 1.8 mL); docs/research/physiology_sources.md section 27
    "congenital_hh": Patient(name="congenital_hh", age=24.0,
                             overrides={"gnrh_drive": 0.0, "sertoli_capacity": 0.25, "leydig_capacity": 0.28,
                                       "gonadotroph_reserve": 0.4},
                             spreads={"sertoli_capacity": 1.0, "spermatogonial_doubling_days": 6.0}),
    # the library's low-T/E2 subfertile men: their spermatogenesis needs more intratesticular androgen than the
    # typical man's (sperm_itt_k 0.16 against 0.11; 0.13 when this was fitted), so the low ITT of obesity costs them
    # sperm and an aromatase inhibitor gives it back (infertile men with a low T/E2 ratio: Pavlovich CP et al., J Urol
    # 2001;165:837; Raman JD, Schlegel PN, J Urol 2002;167:624). fit: SHAH2021_TAU sperm concentration 7.8 -> 14.2
    # M/mL on anastrozole (cohort 11.6 M/mL) with its total motile count 12.6 -> 17.7 M (cohort 21.5 M): the two miss
    # in opposite directions (the cohort's motile count per M/mL is higher than the men's), so the value balances them
    # (-18%, +21%); refitted 0.2 -> 0.16 once the steroid feedback acts through its lagged signal (steroid_feedback_tau)
    # and the reference labs are met at 08:00, which left 0.2 at 12.3 M/mL and 22.9 M (0.17: 11.8 M/mL, 21.9 M;
    # 0.15: 11.3 M/mL, 20.8 M); LEE2004_KJA 57.7 M/mL on anastrozole (published 70.4); above ~0.25 the cohort of
    # LEE2004_KJA (49 M/mL untreated) can no longer be matched (spermatogenic_efficiency at its bound)
    "obese_hyperestrogenic": Patient(name="obese_hyperestrogenic", age=34.0, bmi=35.0,
                                     overrides={"aromatase_activity": 1.8, "sertoli_capacity": 0.5,
                                                "sperm_itt_k": 0.16}),
    "post_trt_suppressed": Patient(name="post_trt_suppressed", age=35.0,
                                   history=(("testosterone cypionate 200 mg IM weekly", -54.0, -2.0),)),
    # idiopathic (severe) oligozoospermia: besides a small Sertoli complement, a spermatogenesis that needs about 1.5x
    # the reference intratesticular T for half its androgen support (typical man 0.11x): androgen-receptor binding
    # is deficient in about 19% of men with azoospermia or severe oligozoospermia (Aiman J, Griffin JE, J Clin
    # Endocrinol Metab 1982;54:725), so at a normal ITT these men make little sperm and gain several-fold when an
    # aromatase inhibitor raises ITT. sperm_itt_k 1.5: fit: letrozole 2.5 mg daily for 6 months raised the median
    # sperm concentration of cryptozoospermic men from 0.4 to 1.29 M/mL, placebo did not (Cavallini G et al., Asian J
    # Androl 2013;15:806; not in the validation library): the cohort's men below 1 M/mL go from a median 0.40 to
    # 1.47 M/mL at 26 weeks of letrozole; the cohort's median untreated concentration is 0.85 M/mL
    "idiopathic_oligozoospermia": Patient(name="idiopathic_oligozoospermia",
                                          overrides={"sertoli_capacity": 0.15, "sperm_itt_k": 1.5}),
    "ageing_male": Patient(name="ageing_male", age=72.0, bmi=27.0),
    # eugonadal East Asian (mostly Chinese) men: the same axis, but a spermatogenesis that needs more intratesticular
    # T for the same androgen support (sperm_itt_k x sperm_itt_k_east_asian_ratio, 1.76: less 5-alpha reduction of T,
    # Lookingbill 1991), so testosterone alone makes more of them azoospermic: 89.2% of 205 Asian against 66.7% of 465
    # non-Asian men at 6 months of TE 200 mg/week (WHO1995_ASIAN, WHO1995_NONASIAN)
    "eugonadal_east_asian": Patient(name="eugonadal_east_asian",
                                    overrides={"sperm_itt_k": parameters.get("sperm_itt_k").value
                                               * parameters.get("sperm_itt_k_east_asian_ratio").value}),
})


def phenotype_names() -> list[str]:
    return list(PHENOTYPES)


def phenotype(name: str) -> Patient:
    """The named phenotype (a preset :class:`Patient`)."""
    try:
        return PHENOTYPES[name]
    except KeyError:
        raise InputError("phenotype", f"unknown phenotype '{name}'; allowed: {', '.join(PHENOTYPES)}") from None
