"""Named treatment protocols: documented regimens written in the one regimen language.

A protocol is a preset, not a new way to dose: its prescriptions are plain text that
:meth:`hpgsim.regimen.Regimen.parse` reads, exactly as a user would type them after
``hpgsim simulate --regimen``. Each preset names the phenotypes it is meant for (names from
:data:`hpgsim.patient.PHENOTYPES`), says in a description what it does and what to watch, and
gives its sources: the two patient-education pages hpgsim was conceived from (the "source
documents", ``shared/sources/``; the anastrozole study they call "Helo 2015" is Shah, Nyirenda
& Shin, Transl Androl Urol 2021), the guidelines, and the trials of the validation table
(``shared/validation/clinical_outcomes.csv``). Where the source documents name a drug but no
dose, the dose comes from a label or a trial, and the description says which.

=============================  ==============================================================
anastrozole_monotherapy        anastrozole 1 mg PO daily (low T/E2, raised BMI)
anastrozole_twice_weekly       anastrozole 1 mg PO twice weekly (variant)
clomiphene_monotherapy         clomiphene citrate 25 mg PO daily (secondary hypogonadism)
clomiphene_eod                 clomiphene citrate 50 mg PO every other day (variant)
clomiphene_titrated            clomiphene 25 mg every other day, titrated to T 500-600 ng/dL (variant)
enclomiphene_monotherapy       enclomiphene citrate 25 mg PO daily
hcg_monotherapy_hh             hCG 1500 IU SC 3x/week (hypogonadotropic hypogonadism)
hcg_fsh_hh                     the same hCG, FSH 150 IU SC 3x/week added from week 12
pulsatile_gonadorelin_hh       gonadorelin 5 ug SC every 90 minutes by pump
post_trt_restart               gonadorelin pump + tamoxifen + clomiphene for 12 weeks after TRT
post_trt_restart_with_ai       the same plus low-dose anastrozole (the optional part)
post_trt_clomiphene_ai         clomiphene + low-dose anastrozole for 12 weeks after TRT
testosterone_gel               testosterone gel 50 mg daily (suppresses spermatogenesis)
=============================  ==============================================================

These are simulated options for research and education, never a directive; most of these
drugs are used off-label in men.

>>> p = protocol("hcg_fsh_hh")
>>> print(p.regimen())
hCG 1500 IU SC 3x/week; FSH 150 IU SC 3x/week starting day 84
>>> p.indication
('congenital_hh', 'secondary_hypogonadism')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from hpgsim.errors import InputError
from hpgsim.patient import PHENOTYPES
from hpgsim.regimen import Regimen

__all__ = ["Protocol", "PROTOCOLS", "protocol", "protocol_names"]

_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Protocol:
    """One named regimen with its indication, description and sources.

    ``prescriptions`` are prescription lines of the regimen language (one agent or course a
    line); ``indication`` names phenotypes of :data:`hpgsim.patient.PHENOTYPES`; ``source`` is
    a short list of the sources for listings and ``references`` their full citations, with the
    validation-table study ids where there are some; ``variant_of`` names the preset this one
    varies, if any.
    """

    name: str
    title: str
    indication: tuple[str, ...]
    prescriptions: tuple[str, ...]
    description: str
    source: str
    references: tuple[str, ...] = ()
    variant_of: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise InputError("protocol", f"name {self.name!r} is not allowed; allowed: lower-case letters, digits, '_'")
        for field in ("indication", "prescriptions"):
            value = getattr(self, field)
            items = (value,) if isinstance(value, str) else tuple(value)
            if not items or not all(isinstance(v, str) and v.strip() for v in items):
                raise InputError(field, f"{value!r} is not allowed; allowed: one or more non-empty strings")
            object.__setattr__(self, field, items)
        for name in self.indication:
            if name not in PHENOTYPES:
                raise InputError("indication", f"unknown phenotype '{name}'; allowed: {', '.join(PHENOTYPES)}")
        for field in ("title", "description", "source"):
            if not isinstance(getattr(self, field), str) or not getattr(self, field).strip():
                raise InputError(field, f"{getattr(self, field)!r} is not allowed; allowed: a non-empty string")
        references = (self.references,) if isinstance(self.references, str) else tuple(self.references)
        if not all(isinstance(r, str) and r.strip() for r in references):
            raise InputError("references", f"{self.references!r} is not allowed; allowed: non-empty strings")
        object.__setattr__(self, "references", references)
        self.regimen()  # every line must read; the InputError names the bad field

    def regimen(self) -> Regimen:
        """The protocol's prescriptions, parsed (a new :class:`~hpgsim.regimen.Regimen`)."""
        return Regimen.parse(list(self.prescriptions))


# --------------------------------------------------------------------------------------------
# sources, written once: a short label for listings and the full reference
# --------------------------------------------------------------------------------------------

_REFERENCES: dict[str, str] = {
    "source doc 000": "hpgsim source document 000: patient-education page on anastrozole vs clomiphene citrate "
                      "(shared/sources/000_f29541f975deedfe.txt)",
    "source doc 001": "hpgsim source document 001: patient-education page on anastrozole and male fertility "
                      "protocols, including the post-TRT protocol (shared/sources/001_7e82c5442ed6b127.txt)",
    "AUA/ASRM 2020": "Schlegel PN et al. Diagnosis and Treatment of Infertility in Men: AUA/ASRM Guideline (2020), "
                     "Part II (J Urol 2021;205:44-51; Fertil Steril 2021;115:62-69): AIs, hCG, SERMs or a "
                     "combination may be used in infertile men with low testosterone; testosterone itself should "
                     "not be given to men who want fertility",
    "EAU guidelines": "EAU Guidelines on Sexual and Reproductive Health, male hypogonadism and male infertility: "
                      "hypogonadotropic hypogonadism is treated with hCG, adding FSH for spermatogenesis, or with "
                      "pulsatile GnRH in hypothalamic disease with an intact pituitary",
    "Shah 2021 ('Helo 2015')": "Shah T, Nyirenda T, Shin D. Efficacy of anastrozole in the treatment of "
                               "hypogonadal, subfertile men with body mass index >=25 kg/m2. Transl Androl Urol "
                               "2021: the study the source documents cite as Helo 2015 (validation SHAH2021_TAU: "
                               "anastrozole 1 mg daily)",
    "Helo 2015 JSM": "Helo S et al. A randomized prospective double-blind comparison trial of clomiphene citrate "
                     "and anastrozole in raising testosterone in hypogonadal infertile men. J Sex Med "
                     "2015;12:1761-9 (anastrozole 1 mg/day vs clomiphene 25 mg/day, 12 weeks; validation "
                     "HELO2015_JSM_AZ, HELO2015_JSM_CC)",
    "Helo 2017": "Helo S et al. BJU Int 2017, PMID 27511863 (clomiphene 25 mg/day long term: T 205 -> 488 ng/dL; "
                 "shared/parameters/parameter_book.md)",
    "Leder 2004": "Leder BZ et al. JCEM 2004;89:1174-80 (anastrozole 1 mg daily vs 1 mg twice weekly in older men; "
                  "docs/research/drug_sources.md section 1)",
    "Taylor & Levine 2010": "Taylor F, Levine L. Clomiphene citrate and testosterone gel replacement therapy for "
                            "male hypogonadism. J Sex Med 2010 (clomiphene 50 mg every other day; validation "
                            "TAYLOR2010_CC)",
    "Katz 2012": "Katz DJ, Nabulsi O, Tal R, Mulhall JP. Outcomes of clomiphene citrate treatment in young "
                 "hypogonadal men. BJU Int 2012;110:573-8: clomiphene started at 25 mg every other day and titrated "
                 "to 50 mg every other day to a target T of 550 +/- 50 ng/dL; 70% were on 25 mg every other day at "
                 "the end (validation KATZ2012; the same programme's rule in MOSKOVIC2012)",
    "Kaminetsky 2013": "Kaminetsky J et al. Oral enclomiphene citrate stimulates the endogenous production of "
                       "testosterone and sperm counts in men with low testosterone, 2013, NCT00706719 "
                       "(enclomiphene 25 mg/day; validation KAMINETSKY2013_EC)",
    "Wiehle 2014": "Wiehle RD et al. Fertil Steril 2014;102:720-7, NCT01270841 (enclomiphene 12.5-25 mg/day vs "
                   "testosterone gel; validation WIEHLE2014)",
    "Liu 2009 JCEM": "Liu PY, Baker HWG, Jayadev V, Zacharin M, Conway AJ, Handelsman DJ. Induction of "
                     "spermatogenesis and fertility during gonadotropin treatment of gonadotropin-deficient "
                     "infertile men: predictors of fertility outcome. JCEM 2009 (75 men, 116 courses; median 7.1 "
                     "months to first sperm; validation LIU2009_JCEM)",
    "99-man cohort": "Efficacy of gonadotropin therapy to induce spermatogenesis and fertility in men with "
                     "pathologic gonadotropin deficiency (cohort of 99 men, 160 cycles; modal hCG 4500 IU/week, "
                     "modal FSH 450 IU/week; validation GONADO_COHORT99)",
    "Rastrelli 2014": "Rastrelli G, Corona G, Mannucci E, Maggi M. Factors affecting spermatogenesis upon "
                      "gonadotropin-replacement therapy: a meta-analytic study. Andrology 2014 (validation "
                      "RASTRELLI2014_META, RASTRELLI2014_META_GNRH)",
    "hCG/Gonal-f labels": "hCG in hypogonadotropic hypogonadism 1000-2250 IU 2-3x/week; Gonal-f label: hCG "
                          "pretreatment for 3-6 months until testosterone is normal, then FSH 150 IU 3x/week "
                          "(shared/parameters/parameter_book.md B3)",
    "Lutrepulse label": "Lutrepulse label: gonadorelin 5 ug every 90 minutes by pump (1-20 ug per pulse); in a man "
                        "with secondary HH 1 ug then 5 ug SC every 90 minutes restored testosterone and "
                        "spermatogenesis, JCEM 1982;55:723 (shared/parameters/parameter_book.md B3)",
    "GnRH pump IHH": "Pulsatile GnRH treatment in 11 men with idiopathic hypogonadotropic hypogonadism. Horm Res "
                     "57:32 (validation GNRH_PUMP_IHH11)",
    "tamoxifen 1987, 2019": "Tamoxifen 20 mg/day in men: placebo-controlled crossover, Fertil Steril "
                            "1987;48:113-7 (validation TAM_CROSSOVER1987); Urol Int 2019;103:108 "
                            "(validation TAMOX_UROLINT2019)",
    "Kohn 2017": "Kohn TP et al. Age and duration of testosterone therapy predict time to return of sperm count "
                 "after hCG therapy. Fertil Steril 2017;107:351-7 (hCG + SERM after testosterone; validation "
                 "KOHN2017)",
}


def _cite(*labels: str) -> dict[str, object]:
    """``source`` (the short labels) and ``references`` (the full texts) of a preset."""
    return {"source": "; ".join(labels), "references": tuple(_REFERENCES[label] for label in labels)}


# --------------------------------------------------------------------------------------------
# the presets
# --------------------------------------------------------------------------------------------

_RESTART = (
    "gonadorelin 5 ug SC every 90 minutes for 12 weeks",
    "tamoxifen 20 mg PO daily for 12 weeks",
    "clomiphene citrate 25 mg PO daily for 12 weeks",
)
_RESTART_TEXT = (
    "Restart of the axis after testosterone therapy, as the source documents describe it: pulsatile "
    "gonadorelin for central drive to the pituitary, and two SERMs (tamoxifen and clomiphene) to lift estradiol "
    "feedback at the hypothalamus and pituitary, so that LH, FSH, Leydig testosterone and spermatogenesis "
    "recover. The source documents give the agents but no doses or course length: the gonadorelin pump dose is "
    "the label's, tamoxifen 20 mg daily the dose of the controlled trials in men, clomiphene 25 mg daily the "
    "source documents' usual dose, and the 12-week course (about one spermatogenic cycle plus transit) is "
    "hpgsim's choice; simulate past day 84 to see whether the axis holds after the course stops. Labs at 3-4 "
    "weeks, then periodically. Simulating the 90-minute pump takes several seconds a month."
)

_PRESETS: tuple[Protocol, ...] = (
    Protocol(
        name="anastrozole_monotherapy",
        title="Aromatase inhibitor for a low T/E2 ratio",
        indication=("obese_hyperestrogenic",),
        prescriptions=("anastrozole 1 mg PO daily",),
        description=(
            "Anastrozole blocks aromatase, so less testosterone becomes estradiol; the weaker estradiol feedback "
            "lets LH and FSH rise and testosterone follows. Meant for men with low testosterone and a raised "
            "estradiol or a T/E2 ratio below 10, often with a high BMI. The source documents give 0.5-1 mg two "
            "times a week or daily; 1 mg daily is the regimen of the trial they quote (LH 3.4 -> 5.4 IU/L, "
            "T 271 -> 412 ng/dL, E2 32 -> 16 pg/mL at month 5). Watch estradiol: driving it too low harms bone "
            "and libido. Labs at 3-4 weeks, then periodically."
        ),
        **_cite("source doc 000", "source doc 001", "Shah 2021 ('Helo 2015')", "Helo 2015 JSM", "AUA/ASRM 2020"),
    ),
    Protocol(
        name="anastrozole_twice_weekly",
        title="Aromatase inhibitor, twice-weekly dosing",
        indication=("obese_hyperestrogenic",),
        prescriptions=("anastrozole 1 mg PO twice weekly",),
        description=(
            "The lower-exposure form of anastrozole_monotherapy that the source documents also name (0.5-1 mg "
            "two times per week). In older men 1 mg twice weekly lowered estradiol as much as 1 mg daily but "
            "raised testosterone less (Leder 2004). Doses Mon/Thu at 08:00."
        ),
        **_cite("source doc 000", "Leder 2004"),
        variant_of="anastrozole_monotherapy",
    ),
    Protocol(
        name="clomiphene_monotherapy",
        title="SERM for secondary hypogonadism",
        indication=("secondary_hypogonadism", "idiopathic_oligozoospermia"),
        prescriptions=("clomiphene citrate 25 mg PO daily",),
        description=(
            "Clomiphene citrate occupies estrogen receptors in the hypothalamus and pituitary, so the brain reads "
            "estradiol as low and raises GnRH, LH and FSH; testosterone and spermatogenesis follow. The source "
            "documents' choice for secondary hypogonadism with low or normal LH and FSH (testes intact) and "
            "a first-line option in idiopathic oligozoospermia. Estradiol may rise with testosterone; high doses "
            "can worsen sperm parameters. Labs at 3-4 weeks (T, LH, FSH, E2), then periodically."
        ),
        **_cite("source doc 000", "source doc 001", "Helo 2015 JSM", "Helo 2017", "AUA/ASRM 2020"),
    ),
    Protocol(
        name="clomiphene_eod",
        title="SERM, every-other-day dosing",
        indication=("secondary_hypogonadism", "idiopathic_oligozoospermia"),
        prescriptions=("clomiphene citrate 50 mg PO every other day",),
        description=(
            "The alternative the source documents name for clomiphene (50 mg every other day instead of 25 mg "
            "daily): the same weekly amount in fewer tablets, relying on the long half-life of the zuclomiphene "
            "isomer. Used by Taylor & Levine 2010 (mean T 573 ng/dL on treatment)."
        ),
        **_cite("source doc 000", "Taylor & Levine 2010"),
        variant_of="clomiphene_monotherapy",
    ),
    Protocol(
        name="clomiphene_titrated",
        title="SERM started low and titrated to a testosterone target",
        indication=("secondary_hypogonadism",),
        prescriptions=("clomiphene citrate 25 mg PO every other day, titrate to total_testosterone 500-600 ng/dL "
                       "every 6 weeks up to 50 mg",),
        description=(
            "Clomiphene as the source documents describe its use, titrated to testosterone: started at 25 mg every "
            "other day and raised to 50 mg every other day when the morning T is below the target, lowered again "
            "when it is above (Katz 2012: target 550 +/- 50 ng/dL, here 500-600 ng/dL). The check interval is not "
            "published: every 6 weeks here, the usual time for T to settle after a start or a dose change. The "
            "assessment shows the share of his twin's draws on each dose at the end; the monitoring plan lists "
            "each check."
        ),
        **_cite("source doc 000", "Katz 2012", "AUA/ASRM 2020"),
        variant_of="clomiphene_monotherapy",
    ),
    Protocol(
        name="enclomiphene_monotherapy",
        title="Enclomiphene (the trans isomer alone)",
        indication=("secondary_hypogonadism",),
        prescriptions=("enclomiphene citrate 25 mg PO daily",),
        description=(
            "Enclomiphene is the estrogen-receptor antagonist isomer of clomiphene without the long-lived, "
            "partly estrogenic zuclomiphene. Like clomiphene it raises LH, FSH and testosterone while keeping "
            "sperm production, unlike testosterone gel; 25 mg daily was the dose of the phase II/III trials "
            "(T 165 -> 525 ng/dL at 6 months; back to baseline a month after stopping). The source documents "
            "discuss clomiphene, not enclomiphene: dose and effects here are the trials'. Not an approved drug "
            "in most countries."
        ),
        **_cite("Kaminetsky 2013", "Wiehle 2014", "AUA/ASRM 2020"),
    ),
    Protocol(
        name="hcg_monotherapy_hh",
        title="hCG for hypogonadotropic hypogonadism",
        indication=("congenital_hh", "secondary_hypogonadism"),
        prescriptions=("hCG 1500 IU SC 3x/week",),
        description=(
            "hCG acts like LH on the Leydig cells, so it raises serum and intratesticular testosterone without "
            "needing the patient's own GnRH or LH: the gonadotropin route for hypogonadotropic hypogonadism, "
            "where SERMs and aromatase inhibitors have no axis to work through. 1500 IU three times a week "
            "(4500 IU/week, the modal dose of a 99-man gonadotropin cohort; labels give 1000-2250 IU 2-3x/week) is "
            "titrated to mid-normal testosterone. Spermatogenesis often needs FSH as well: see hcg_fsh_hh."
        ),
        **_cite("source doc 001", "99-man cohort", "Liu 2009 JCEM", "hCG/Gonal-f labels", "EAU guidelines",
                "AUA/ASRM 2020"),
    ),
    Protocol(
        name="hcg_fsh_hh",
        title="hCG, then FSH added, for spermatogenesis in hypogonadotropic hypogonadism",
        indication=("congenital_hh", "secondary_hypogonadism"),
        prescriptions=("hCG 1500 IU SC 3x/week", "FSH 150 IU SC 3x/week starting day 84"),
        description=(
            "Combined gonadotropins: hCG for Leydig testosterone (and intratesticular testosterone), FSH for the "
            "Sertoli cells, so that spermatogenesis is induced. As in the labels, hCG comes first and FSH 150 IU "
            "three times a week (450 IU/week, the modal dose of a 99-man cohort) is added after hCG pretreatment "
            "(here from day 84, the label's 3 months; guidelines add it when sperm are still absent after about "
            "6 months). Sperm "
            "appear after months (median about 7 months to first sperm); simulate a year or more to see them."
        ),
        **_cite("source doc 001", "99-man cohort", "Liu 2009 JCEM", "Rastrelli 2014", "hCG/Gonal-f labels",
                "EAU guidelines", "AUA/ASRM 2020"),
        variant_of="hcg_monotherapy_hh",
    ),
    Protocol(
        name="pulsatile_gonadorelin_hh",
        title="Pulsatile GnRH (gonadorelin pump) for hypothalamic hypogonadism",
        indication=("congenital_hh",),
        prescriptions=("gonadorelin 5 ug SC every 90 minutes",),
        description=(
            "A subcutaneous pump gives a pulse of gonadorelin (synthetic GnRH) every 90 minutes, mimicking the "
            "hypothalamic rhythm: the pituitary answers with LH and FSH, which then drive the testes. Works only "
            "where the pituitary is intact (hypothalamic, e.g. congenital, hypogonadotropic hypogonadism); "
            "continuous rather than pulsatile GnRH would desensitise the pituitary instead. Spermatogenesis "
            "results are similar to gonadotropins but often take 1-2 years. Simulating the pump takes several "
            "seconds a month."
        ),
        **_cite("source doc 001", "Lutrepulse label", "GnRH pump IHH", "Rastrelli 2014", "EAU guidelines"),
    ),
    Protocol(
        name="post_trt_restart",
        title="Post-TRT restart: gonadorelin pump, tamoxifen and clomiphene",
        indication=("post_trt_suppressed",),
        prescriptions=_RESTART,
        description=_RESTART_TEXT,
        **_cite("source doc 001", "source doc 000", "Lutrepulse label", "tamoxifen 1987, 2019", "AUA/ASRM 2020",
                "Kohn 2017"),
    ),
    Protocol(
        name="post_trt_restart_with_ai",
        title="Post-TRT restart with the optional low-dose anastrozole",
        indication=("post_trt_suppressed",),
        prescriptions=(*_RESTART, "anastrozole 0.5 mg PO twice weekly for 12 weeks"),
        description=(
            "post_trt_restart plus the optional aromatase inhibitor of the source documents: a low dose of "
            "anastrozole (here 0.5 mg twice weekly, the low end of the source documents' 0.5-1 mg two times a "
            "week) against the surge of aromatisation as endogenous testosterone recovers, for men whose "
            "estradiol rises. Watch that estradiol is not driven below the normal range."
        ),
        **_cite("source doc 001", "source doc 000", "Lutrepulse label", "tamoxifen 1987, 2019",
                "Shah 2021 ('Helo 2015')", "AUA/ASRM 2020"),
        variant_of="post_trt_restart",
    ),
    Protocol(
        name="post_trt_clomiphene_ai",
        title="Post-TRT restart: clomiphene with low-dose anastrozole",
        indication=("post_trt_suppressed",),
        prescriptions=("clomiphene citrate 25 mg PO daily for 12 weeks", "anastrozole 0.5 mg PO twice weekly for 12 weeks"),
        description=(
            "The combination the source documents describe for recovery after testosterone therapy: clomiphene "
            "to restart central LH and FSH production, with a low dose of anastrozole against the early surge of "
            "aromatisation as endogenous testosterone recovers. Doses are the source documents' usual ones "
            "(clomiphene 25 mg daily; anastrozole at the low end of 0.5-1 mg two times a week); the 12-week course "
            "is hpgsim's choice, as in post_trt_restart. Watch that estradiol is not driven below the normal range."
        ),
        source="source doc 000; source doc 001; AUA/ASRM 2020",
        references=(_REFERENCES["source doc 000"], _REFERENCES["source doc 001"], _REFERENCES["AUA/ASRM 2020"]),
    ),
    Protocol(
        name="testosterone_gel",
        title="Testosterone replacement (gel)",
        indication=("primary_hypogonadism", "secondary_hypogonadism", "congenital_hh", "obese_hyperestrogenic"),
        prescriptions=("testosterone gel 50 mg transdermal daily",),
        description=(
            "Testosterone replacement for men with confirmed testosterone deficiency who do not wish to father "
            "children now: 50 mg a day of 1% gel is the label's starting dose (5 g of gel, the gel arm of Taylor & "
            "Levine 2010). Exogenous testosterone suppresses LH and FSH and with them intratesticular "
            "testosterone and spermatogenesis, often to azoospermia (WHO 1990): the guidelines advise against it "
            "in men who want fertility. The only hormonal option that restores serum testosterone in primary "
            "(testicular) hypogonadism. Labs at 3-6 months (testosterone, hematocrit), then yearly."
        ),
        source="AUA 2018; Endocrine Society 2018; AUA/ASRM 2020; AndroGel label; Taylor & Levine 2010",
        references=(
            "Mulhall JP et al. Evaluation and Management of Testosterone Deficiency: AUA Guideline. J Urol "
            "2018;200:423-32 (testosterone therapy for testosterone deficiency; not advised for men who want "
            "fertility)",
            "Bhasin S et al. Testosterone Therapy in Men With Hypogonadism: an Endocrine Society Clinical Practice "
            "Guideline. JCEM 2018;103:1715-44 (monitoring at 3-12 months: testosterone, hematocrit)",
            _REFERENCES["AUA/ASRM 2020"],
            "AndroGel 1% label: starting dose 50 mg testosterone (5 g gel) daily, 50-100 mg/day",
            _REFERENCES["Taylor & Levine 2010"],
            "World Health Organization Task Force on Methods for the Regulation of Male Fertility. Contraceptive "
            "efficacy of testosterone-induced azoospermia in normal men. Lancet 1990;336:955-9",
        ),
    ),
)

PROTOCOLS: Mapping[str, Protocol] = MappingProxyType({p.name: p for p in _PRESETS})
"""The presets by name (read-only)."""


def protocol_names() -> list[str]:
    """Names of the presets, in listing order."""
    return list(PROTOCOLS)


def protocol(name: str) -> Protocol:
    """The named preset.

    >>> protocol("clomiphene_eod").prescriptions
    ('clomiphene citrate 50 mg PO every other day',)
    """
    try:
        return PROTOCOLS[name]
    except (KeyError, TypeError):
        raise InputError("protocol", f"unknown protocol '{name}'; allowed: {', '.join(PROTOCOLS)}") from None
