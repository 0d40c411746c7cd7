"""The one annotated parameter table: every number of the model, with unit and source.

Each :class:`Parameter` carries its value, unit, plausible bounds, a description and its source.
Sources name a paper, a label or ``../shared/parameters/parameter_book.md`` row; a value that was
fitted says ``fit:`` and what it was fitted to (see ``validation/README.md`` for which studies
were used for fitting).  ``patient=True`` marks the parameters that differ between men: they are
what phenotypes, populations and calibration change.

The table feeds the model (:func:`values`), the documentation (``docs/parameters.md``), fitting
bounds and the SBML export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["Parameter", "TABLE", "values", "get", "names", "to_markdown"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One model parameter."""

    name: str
    value: float
    unit: str
    description: str
    source: str
    group: str
    lower: float | None = None
    upper: float | None = None
    patient: bool = False  # varies between men (phenotypes, populations, calibration)
    cv: float | None = None  # between-patient coefficient of variation (log-normal) where known

    def __post_init__(self) -> None:
        if self.lower is not None and self.upper is not None and not self.lower <= self.value <= self.upper:
            raise ValueError(f"parameter {self.name}: value {self.value} outside its bounds [{self.lower}, {self.upper}]")
        if not self.source:
            raise ValueError(f"parameter {self.name}: a source is required")


PB = "parameter_book.md"
P = Parameter
# fsh_drug_cl's value, which fsh_drug_v is derived from (one number for both rows)
_FSH_DRUG_CL = 0.45  # L/h

_ROWS: tuple[Parameter, ...] = (
    # ------------------------------------------------------------------ reference man
    P(name="ref_age", value=30.0, unit="year", group="reference",
      description="age of the reference man (the covariate values at which the reference values below hold)",
      source="Bhasin 2011 Framingham Gen3 reference cohort, 19-40 y (REF_BHASIN2011_FHS)"),
    P(name="ref_bmi", value=23.5, unit="kg/m2", group="reference",
      description="BMI of the reference man (non-obese)",
      source="Travison 2017 harmonised range is for non-obese men; 23.5 is the middle of the normal-weight band (WHO 18.5-25)"),
    P(name="ref_height", value=1.76, unit="m", group="reference",
      description="height used to turn BMI into body weight and fat mass",
      source="NHANES mean adult male height ~1.76 m (CDC Anthropometric Reference Data 2015-2018)"),
    P(name="ref_total_t_0800", value=723.8, unit="ng/dL", group="reference",
      description="morning total testosterone of the reference man; sets the Leydig production scale",
      source="Bhasin 2011 JCEM 96:2430, Framingham Gen3 LC-MS/MS 19-40 y mean (REF_BHASIN2011_FHS); implies 5.9 mg/day production, within 6-7 mg/day (Oettel; " + PB + " A2)"),
    P(name="ref_lh", value=4.2, unit="IU/L", group="reference",
      description="LH of the reference man; sets the LH synthesis scale",
      source="CCLM 2018 Chinese male reference interval study, median 4.2 (RI 1.6-10.0) (REF_CHINA_CCLM2018)"),
    P(name="ref_fsh", value=4.5, unit="IU/L", group="reference",
      description="FSH of the reference man; sets the FSH synthesis scale",
      source="between fertile NE-US men 3.5 IU/L (" + PB + " A5, inhibin B reference study) and CCLM 2018 median 5.6 (REF_CHINA_CCLM2018); midpoint"),
    P(name="ref_shbg", value=29.4, unit="nmol/L", group="reference",
      description="SHBG of the reference man",
      source="CCLM 2018 median 29.4 nmol/L (RI 11.5-66.3) (REF_CHINA_CCLM2018)"),
    P(name="ref_inhibin_b", value=130.5, unit="pg/mL", group="reference",
      description="inhibin B of the reference man",
      source="Reproduction 145(3):237 (Muenster, 2448 men), normozoospermic median 130.5 pg/mL (" + PB + " A5)"),
    P(name="ref_sperm_concentration", value=73.0, unit="M/mL", group="reference",
      description="sperm concentration of the reference man",
      source="Cooper TG et al. Hum Reprod Update 2010;16:231 (WHO 2010 reference), fertile men 50th percentile 73 M/mL"),
    P(name="semen_volume", value=3.7, unit="mL", group="spermatogenesis", patient=True, lower=0.5, upper=8.0, cv=0.35,
      description="ejaculate volume (androgen-independent in this model)",
      source="Cooper 2010 (WHO 2010) 50th percentile 3.7 mL"),
    P(name="motility_fraction", value=0.61, unit="1", group="spermatogenesis", patient=True, lower=0.0, upper=0.95, cv=0.2,
      description="total (progressive + non-progressive) motility; total motile count = total count x this",
      source="Cooper 2010 (WHO 2010) 50th percentile total motility 61%"),
    # ------------------------------------------------------------------ hypothalamus
    P(name="gnrh_freq_max", value=13.3 / 12.0, unit="1/h", group="hypothalamus",
      description="GnRH pulse frequency without sex-steroid feedback",
      source="Pitteloud 2008 JCEM (PMC2266963): 13.3 pulses/12 h in medically castrated normal men (" + PB + " A1)"),
    P(name="gnrh_freq_t_inhibition", value=0.0, unit="1", group="hypothalamus",
      description="fractional slowing of GnRH frequency by free T through the androgen receptor, without aromatisation, "
                  "at the reference free T (f = fmax / (1 + xT FT/FT0 + xE H(e)))",
      source="Schnorr JA, Bray MJ, Veldhuis JD. J Clin Endocrinol Metab 2001;86:2600: in 47 young men on ketoconazole "
             "(LH x3), transdermal T at 607 ng/dL brought 24-h LH (and the LH response to GnRH) back to baseline, but "
             "not with anastrozole 10 mg/day added; so at physiological T the restraint needs aromatisation, and the "
             "frequency slowing by T add-back under ketoconazole (Pitteloud 2008) is carried by the estrogen signal "
             "(gnrh_freq_e2_inhibition, local_aromatization)"),
    P(name="gnrh_freq_e2_inhibition", value=(13.3 / 6.7 - 1.0) + (11.4 / 8.6 - 1.0), unit="1", group="hypothalamus",
      description="fractional slowing of GnRH frequency by the estrogen signal (plasma E2 and local aromatisation of "
                  "T, transduced by H(e)) at the reference",
      source="Pitteloud 2008 (medically castrated normal men): T add-back slowed frequency 13.3 -> 6.7 and E2 "
             "add-back 11.4 -> 8.6 pulses/12 h; x = (13.3/6.7 - 1) + (11.4/8.6 - 1) (derived), both read as estrogen "
             "signal since T's restraint needs aromatisation (Schnorr 2001, see gnrh_freq_t_inhibition)"),
    P(name="gnrh_generator_feedback_k", value=1.3, unit="x reference signal", group="hypothalamus",
      description="sex-steroid signal (free-T and estrogen signals combined with the frequency weights, 1 = reference man) at half-maximal suppression of the GnRH pulse generator (frequency and mass of pulses)",
      source="fit: LH to 5% and FSH to 3% of baseline, ITT -94% after 3 weeks of TE 200 mg/week (Coviello 2005, COVIELLO2005) while anastrozole still raises LH; reproduces 11%/18%/4% at week 3 and 3%/6% at week 26. Not reproduced: TE ED50 ~50 mg/week (Matsumoto 1990 JCEM 70:282), where the model gives ~100 mg/week"),
    P(name="gnrh_generator_feedback_hill", value=10.0, unit="1", group="hypothalamus",
      description="steepness of the suppression of the GnRH pulse generator by the sex-steroid signal",
      source="fit: as gnrh_generator_feedback_k"),
    P(name="gnrh_generator_feedback_tau", value=48.0, unit="h", group="hypothalamus",
      description="time constant over which the hypothalamus integrates the sex-steroid signal that sets the pulse generator's activity",
      source="fit: an IV T infusion (15 mg/day, serum T x3) halves LH and FSH only after ~4 days (docs/research/physiology_sources.md, JCEM 'T can suppress gonadotropin secretion independently of aromatization')"),
    P(name="steroid_feedback_tau", value=6.0, unit="h", group="hypothalamus",
      description="time constant over which the estrogen signal (plasma E2 and local aromatisation of T) reaches "
                  "the negative feedback on GnRH pulse frequency and on LH/FSH synthesis",
      source="derived between two bounds. Onset within hours: testosterone or estradiol infused at twice their production rates into normal men lowered mean LH already during the 6 h of infusion, and for 6 h after it (Santen RJ, Is aromatization of testosterone to estradiol required for inhibition of luteinizing hormone secretion in men? J Clin Invest 1975), so the signal must reach most of its effect within ~6 h (63% at tau = 6 h). Not within the hour: LH shows no clear daytime change in healthy men sampled at 08, 12, 16 and 20 h while T falls (Ahokoski O et al. Clin Chem Lab Med 1998;36(7), doi 10.1515/CCLM.1998.081, 31 men), and much less diurnal variation than the 20-25% of T (Brambilla DJ et al. JCEM 2009, PMC2681273); with an instantaneous feedback the reference man's LH rose 25% from 08:00 to 16:00 (peak 5.1 IU/L at 20:00, in antiphase to T); at tau = 6 h LH at 16:00 is 3% below 08:00 (3.7-4.3 IU/L over 08-20 h, highest around midnight, ahead of the morning T peak); tau 3 h: +7%, 4 h: +2%"),
    P(name="gnrh_pulse_e2_inhibition", value=3.0, unit="1", group="hypothalamus",
      description="fractional reduction of GnRH pulse mass by the hypothalamic estrogen signal (integrated, 1 at reference): mass x (1 + z) / (1 + z s); 0 = estrogen slows pulse frequency only",
      source="fit: clomiphene 25 mg/day in secondary hypogonadism raises LH 4.0 -> 6.1 IU/L (Helo 2017 BJU Int 119:171, " + PB + " B2; not encoded: 8.0 at z = 3 in a cohort matched to its T 205 ng/dL, LH 4.0, E2 17 pg/mL, with T 379 against the published 488 ng/dL; a smaller z leaves T lower still), weighed against clomiphene 100 mg/day in normal men, which doubled LH pulse amplitude (28 -> 58 ng/mL) while blunting the pituitary response to LRH, i.e. larger GnRH pulses (10 normal men, J Clin Endocrinol Metab 1979;48:315), and raised 24-h mean LH +180% (model x4.1 on day 8); letrozole LH +339% (T'Sjoen 2005, TSJOEN2005_YOUNG; model +212% in the cohort, carried mostly by the estrogen transduction e2_feedback_hill); the same mechanism is read from adult-onset IHH reversed by clomiphene (Ioannidou-Kadis 2006 Fertil Steril, doi 10.1016/j.fertnstert.2006.03.065: enhanced hypothalamic sensitivity to estrogen feedback)"),
    P(name="gnrh_half_life", value=3.5, unit="min", group="hypothalamus",
      description="half-life of GnRH in the portal circulation",
      source="textbook 2-5 min (" + PB + " A1), midpoint"),
    P(name="gnrh_pulse_peak", value=4.0, unit="1 (x EC50)", group="hypothalamus",
      description="peak portal GnRH of one pulse of the reference man, in multiples of its receptor EC50",
      source="fit: pulsatile-mode LH pulse amplitude ~5 IU/L above nadir (Spectrum of LH pulsatility in normal men, " + PB + " A1)"),
    P(name="gnrh_drive", value=1.0, unit="1", group="hypothalamus", patient=True, lower=0.0, upper=3.0, cv=0.47,
      description="GnRH mass per pulse relative to the reference man (kisspeptin/KNDy drive lumped in); 0 in congenital HH",
      source="definition (1 = reference); lowered in secondary hypogonadism, ~0 in congenital HH (DESIGN 3); cv 0.47 = "
             "the between-man CV of LH pulse amplitude, the readout of GnRH pulse mass, in 36 normal men (5.13 +/- 0.4 "
             "IU/L SEM, so SD 2.4; 'Spectrum of the pulsatile characteristics of LH release in normal men', " + PB + " A1); "
             "the feedback damps it (the model's LH pulse amplitude moves ~0.2-fold per fold of drive), so it hardly "
             "spreads mean LH or T in eugonadal men"),
    P(name="cortisol", value=1.0, unit="x normal", group="hypothalamus", patient=True, lower=0.2, upper=10.0,
      description="cortisol exposure relative to normal (stress input)",
      source="definition (1 = unstressed)"),
    P(name="cortisol_freq_slope", value=0.25, unit="1 per fold", group="hypothalamus",
      description="slowing of GnRH pulse frequency per fold increase in cortisol: f / (1 + s (cortisol - 1))",
      source="hydrocortisone lengthened the LH interpulse interval 95 -> 119 min (+25%) at about twice normal cortisol (Saketos 1993, " + PB + " A1; female data)"),
    P(name="local_aromatization", value=1.0, unit="1", group="hypothalamus",
      description="estrogen signal from local (hypothalamic/pituitary) aromatisation of T, relative to plasma E2 at reference; blocked by aromatase inhibitors but not seen in plasma",
      source="fit: letrozole 2.5 mg raises LH +339% with plasma E2 only -46% in young men (T'Sjoen 2005, TSJOEN2005_YOUNG); T's restraint of LH needs aromatisation (Schnorr 2001; Pitteloud 2008 at the pituitary), so the local signal carries T's share of the feedback"),
    P(name="e2_feedback_k", value=1.2, unit="x reference estrogen signal", group="hypothalamus",
      description="estrogen signal at half-maximal estrogen-receptor transduction H(e) = e^n (1 + K^n) / (K^n + e^n) "
                  "(1 at reference), through which the signal slows GnRH frequency and lowers LH/FSH synthesis",
      source="fit: as e2_feedback_hill"),
    P(name="e2_feedback_hill", value=3.0, unit="1", group="hypothalamus",
      description="steepness of the estrogen-receptor transduction H(e)",
      source="fit: letrozole 2.5 mg/day, which leaves about 0.4 of the reference estrogen signal, raises LH +339% in "
             "young men (T'Sjoen 2005, TSJOEN2005_YOUNG; model +242% in the reference man at 4 weeks, +212% in the cohort) while "
             "castration raises it only ~3-fold within days (ketoconazole: Schnorr 2001, Pitteloud 2008; model x3.8 "
             "at steady state), and anastrozole 1 mg (about 0.7 of the signal) only x1.5-1.6 (LEDER2004_G1, "
             "SHAH2021_TAU; model x1.7): the feedback is nearly spent once the signal halves, so H is "
             "steep below the reference; it saturates above it (K), leaving supraphysiological T to the pulse "
             "generator (gnrh_generator_feedback_k)"),
    # ------------------------------------------------------------------ pituitary
    P(name="gnrh_signal_tau", value=3.0, unit="h", group="pituitary",
      description="time over which gonadotrophs integrate GnRH receptor signalling for synthesis and receptor regulation",
      source="fit: keeps the pulsatile and averaged modes within 10% (daily means) and gives the leuprolide flare peak at day 2-3 (Klotz 2008 CS21: T +65% at day 3)"),
    P(name="gnrhr_recovery_half_life", value=96.0, unit="h", group="pituitary",
      description="recovery half-time of gonadotroph responsiveness after desensitisation",
      source="fit: LH suppression under a leuprolide depot and T castration within 2-4 weeks (Lupron Depot label; KLOTZ2008_CS21_LEUP); "
             "set with gnrhr_desensitisation_rate (48 h and 0.03/h before): their ratio fixes how deeply a depot's "
             "waning tail keeps LH down (KATO2020_ADTREC, SPITZ2012_LEUP6M), the rate alone how long the flare lasts"),
    P(name="gnrhr_desensitisation_rate", value=0.015, unit="1/h", group="pituitary",
      description="maximal rate of GnRH receptor desensitisation under sustained occupancy (sustained occupancy also holds off recovery)",
      source="fit: T +65% at day 3 of leuprolide 7.5 mg (median, KLOTZ2008_CS21_LEUP; model +69%) and the flare lasting "
             "about 5-12 days (Lupron Depot label), then castrate T (< 50 ng/dL) within 2-4 weeks (label; model day ~17) "
             "and 96% castrate d28-d364 (KLOTZ2008_CS21_LEUP); a GnRH agonist given daily to normal men raises LH and FSH "
             "to a peak at days 2-3 and T at days 3-4 (J Clin Endocrinol Metab 1984;58:1084, D-Nal(2)6-GnRH); 0.03/h "
             "(R halved within a day) gave LH x2 for about a day and T +37% at day 3"),
    P(name="gnrhr_desensitisation_threshold", value=0.35, unit="1 (occupancy)", group="pituitary",
      description="sustained (integrated) receptor occupancy at half-maximal desensitisation; endogenous pulses stay well below it",
      source="fit: continuous but not pulsatile GnRH desensitises (textbook, " + PB + " A1); pulsatile gonadorelin restores LH (GNRH_PUMP_IHH11)"),
    P(name="gnrhr_desensitisation_hill", value=6.0, unit="1", group="pituitary",
      description="steepness of desensitisation versus sustained occupancy",
      source="fit: as gnrhr_desensitisation_threshold"),
    P(name="gnrhr_number_half_life", value=math.log(2) / 0.00497, unit="h", group="pituitary",
      description="turnover half-time of the GnRH-receptor population (return of receptor number after an antagonist)",
      source="Tornoe 2007 BJCP 63:648 Table 4: ke,F 0.00497 1/h (degarelix study), the first-order process that "
             "scales both LH synthesis and LH-pool release under degarelix, read as receptor turnover; Halmos G et al. "
             "PNAS 1996;93:2398: rat pituitary GnRH binding sites begin to recover within 24 h of one cetrorelix "
             "injection and are still reduced at 72 h"),
    P(name="gnrhr_antagonist_loss", value=24.0, unit="1", group="pituitary",
      description="loss rate of antagonist-occupied GnRH receptors relative to receptor turnover (receptor number "
                  "1 / (1 + a) under full antagonist occupancy)",
      source="Pinski J et al. Endocrinology 1996;137:3430: after 4 weeks of a cetrorelix depot the LH response to a "
             "GnRH bolus was 96% lower (89.8% with daily injections; 33% after an agonist), i.e. receptor number "
             "1 / (1 + a) = 0.04; loss half-time then ~6 h, as Halmos 1996 (binding sites lowest 3-6 h after one "
             "cetrorelix injection, with < 30% of them occupied). Checked, not fitted, against KLOTZ2008_CS21_DEG "
             "(97.2% castrate at 1 year) and CRAWFORD2015_IAD"),
    P(name="lh_half_life", value=1.3, unit="h", group="pituitary",
      description="serum LH elimination half-life",
      source="Tornoe 2007 BJCP 63:648, popPK/PD estimate 1.3 h (" + PB + " A1); deconvolution 7-40 min, iv hLH 136 min bracket it"),
    P(name="fsh_half_life", value=274.0 / 60.0, unit="h", group="pituitary",
      description="serum FSH elimination half-life",
      source="Urban 1991 JCEM, mono-exponential 274 +/- 45 min in gonadotropin-deficient men (" + PB + " A1)"),
    P(name="lh_release_fraction", value=0.35, unit="1", group="pituitary",
      description="fraction of the LH pool released per reference GnRH pulse (sets pool size and pulse shape)",
      source="fit: LH pulse amplitude ~5 IU/L (92% above nadir) in normal men (" + PB + " A1) and the leuprolide flare height"),
    P(name="gonadotroph_basal", value=0.009, unit="x reference", group="pituitary",
      description="GnRH-independent share of LH/FSH synthesis and release (relative to the reference GnRH signal); not lowered by estradiol",
      source="fit: LH falls to 5% and FSH to 3% of baseline when TE 200 mg/week silences GnRH (Coviello 2005, COVIELLO2005; model 3.6%/4.9% in the reference man, 1.5%/3.4% in the cohort matched to its T); residual LH under a GnRH-agonist depot, which sets the Leydig-mass loss behind the slow T recovery (KATO2020_ADTREC); consistent with the upper bound from acute incomplete GnRH-receptor blockade (ganirelix LH 3.4 -> 0.8 IU/L, docs/research/drug_sources.md item 7) and congenital HH LH < 1.5 IU/L"),
    P(name="gonadotroph_reserve", value=1.0, unit="1", group="pituitary", patient=True, lower=0.05, upper=5.0, cv=0.6,
      description="gonadotroph reserve: LH and FSH made per unit of GnRH-receptor signal, relative to the reference man "
                  "(the GnRH-driven synthesis, not the basal one), i.e. the pituitary's response to GnRH pulses. Spread "
                  "only in men without a GnRH drive (congenital HH; population.SPREAD_WITHOUT_DRIVE): in the others the "
                  "spread of gnrh_drive, read from LH pulse amplitude, already carries it",
      source="definition (1 = reference man); cv 0.6: fit: the between-man spread of LH and FSH after 1 month of "
             "subcutaneous pulsatile GnRH in 82 congenital-HH men, LH 0.4 +/- 0.5 -> 7.5 +/- 4.4 IU/L and FSH 1.1 +/- 0.9 "
             "-> 8.8 +/- 5.3 IU/L (CV 0.59 and 0.60), 9/82 (11%) with LH < 2 IU/L (Mao JF et al. Asian J Androl "
             "2018;20:319, 'Predictive factors for pituitary response to pulsatile GnRH therapy in patients with "
             "congenital hypogonadotropic hypogonadism'; not in the validation library): 200 congenital_hh men on "
             "gonadorelin 10 ug SC every 90 min (typical reserve 0.4 and Leydig complement 0.28, patient.py) give LH 6.9 +/- "
             "4.1 and FSH 9.3 +/- 5.6 IU/L at 4 weeks (CV 0.60 and 0.60; 2% with LH < 2: the published low tail is "
             "heavier); refitted from 0.85 once the congenital-HH Leydig complement was set (docs/research/"
             "physiology_sources.md section 22): with less T, less feedback damps the reserve's spread (with the reference "
             "complement cv 0.85 gave CV 0.59/0.60, 0.8: 0.56, 0.9: 0.63; no spread: 0.22, from the other per-man parameters). The same study: triptorelin-stimulated FSH60 predicted the pump response; in "
             "GNRH_PUMP_POORRESP the men who made no sperm on the pump had lower LH and FSH 60 min after a GnRH bolus "
             "(1.10 vs 4.32 and 1.90 vs 4.28 IU/L; checked, not fitted: docs/research/physiology_sources.md section 20)"),
    P(name="lh_synthesis_k", value=2.0, unit="x reference signal", group="pituitary",
      description="GnRH signal (relative to the reference man's) giving half-maximal LH synthesis",
      source="fit: castration raises LH ~3-fold within days (Pitteloud 2008, mean LH 34.6 IU/L in castrated normal men; Schnorr 2001) and ~4-fold after orchidectomy, together with the E2 feedback terms, while letrozole raises it +339% (TSJOEN2005_YOUNG)"),
    P(name="fsh_synthesis_k", value=0.5, unit="x reference signal", group="pituitary",
      description="GnRH signal giving half-maximal FSH synthesis (FSH saturates at lower GnRH drive than LH)",
      source="fit: FSH less frequency-sensitive than LH (Finkelstein 1988, " + PB + " A1); congenital HH FSH < 1.5 IU/L"),
    P(name="pit_e2_inhibition_lh", value=1.0, unit="1", group="pituitary",
      description="fractional inhibition of GnRH-driven LH synthesis by the transduced estrogen signal at reference (syn / (1 + y H(e)))",
      source="fit: castration raises LH only 3-4 fold (ketoconazole x3 at day 3-4, orchidectomy ~x4; docs/research/physiology_sources.md) and leuprolide castrates (T < 50 ng/dL) by week 4 (Lupron Depot label), which bound the estrogen-withdrawal gain; anastrozole raises LH (Shah 2021, SHAH2021_TAU; Leder 2004); Pitteloud 2008: E2 acts at the pituitary"),
    P(name="pit_e2_inhibition_fsh", value=0.8, unit="1", group="pituitary",
      description="fractional inhibition of GnRH-driven FSH synthesis by the transduced estrogen signal at reference",
      source="fit: anastrozole raises FSH 4.8 -> 7.6 IU/L (Shah 2021, SHAH2021_TAU)"),
    P(name="inhibin_fsh_k", value=130.5, unit="pg/mL", group="pituitary",
      description="inhibin B at half-maximal suppression of FSH synthesis",
      source="fit: inhibin B and FSH correlate r = -0.78 (JCEM 1998;83:3110); Klinefelter/Sertoli-cell-only FSH > 12.4 with inhibin B < 20 pg/mL"),
    P(name="inhibin_fsh_hill", value=1.5, unit="1", group="pituitary",
      description="steepness of inhibin B suppression of FSH",
      source="fit: as inhibin_fsh_k (FSH roughly x3-5 when inhibin B is undetectable)"),
    # ------------------------------------------------------------------ testis: Leydig
    P(name="leydig_capacity", value=1.0, unit="1", group="testis", patient=True, lower=0.0, upper=3.0, cv=0.48,
      description="Leydig-cell steroidogenic capacity relative to the reference man (0 = castrate)",
      source="definition (1 = reference); low in primary hypogonadism (DESIGN 3); cv fit (with the cv of "
             "aromatase_activity and shbg_production) to the between-man log-SDs of one morning sample less the "
             "within-subject CVs of the lab_cv_* rows, in 400 men at the reference covariates: total T 0.25 and "
             "calculated free T 0.27 (Bhasin 2011 FHS 19-40 y: 723.8 SD 221.1 ng/dL, 141.8 SD 45.0 pg/mL; "
             "REF_BHASIN2011_FHS), E2 0.26, SHBG 0.37 and LH 0.32 (FAMHES 2.5-97.5% intervals 65.4-207.7 pmol/L, "
             "18.2-95.1 nmol/L and 2.2-11.6 IU/L, the last two less their correlation with age, r 0.427 and 0.218; "
             "REF_FAMHES2012); the model gives 0.20, 0.33, 0.25, 0.36 and 0.30: total T too narrow and free T too "
             "wide, as SHBG hardly moves total T in the model"),
    P(name="leydig_lmax", value=77.5, unit="1", group="testis",
      description="maximal LH stimulation of T production over basal (P = b (1 + Lmax LH^k / (L50^k + LH^k)))",
      source="Tornoe 2007 BJCP Table 4, Lmax 77.5 (" + PB + " B5)"),
    P(name="leydig_l50", value=5.18, unit="IU/L", group="testis",
      description="LH-receptor stimulation (LH-equivalent) at half-maximal T production",
      source="Tornoe 2007 BJCP Table 4, L50 5.18 IU/L (" + PB + " B5)"),
    P(name="leydig_hill", value=1.9, unit="1", group="testis",
      description="Hill coefficient of T production versus LH",
      source="Tornoe 2007 BJCP Table 4, kappa 1.9 (" + PB + " B5)"),
    P(name="leydig_desens_k", value=200.0, unit="IU/L LH-equivalent", group="testis",
      description="LH-receptor stimulation at half-maximal rate of Leydig desensitisation (only supraphysiological hCG reaches it)",
      source="fit: single 6000 IU hCG: early T peak x1.6 at 4 h, slight fall and plateau to >= 24 h, delayed peak x2.4 "
             "at 72-96 h (HCG6000_SINGLE; model x1.39 at 4 h, x1.36 at 24 h, x2.2-2.3 at 72-96 h in the reference man): "
             "the steroidogenic lesion is transient, set by the hCG surge of the first day and gone by day 3 while hCG "
             "is still high, so only the surge (hCG > ~600 IU/L, LH-equivalents > 200) drives it; a single 1500 IU dose "
             "gives its maximal T at 72 h as well (Leydig cell responsiveness to single and repeated hCG, JCEM 1979, "
             "docs/research/drug_sources.md item 5)"),
    P(name="leydig_desens_hill", value=4.0, unit="1", group="testis",
      description="steepness of the rate of Leydig desensitisation versus LH-receptor stimulation",
      source="fit: LH raised 3-4-fold by letrozole (to ~15 IU/L) still raises T +146% (T'Sjoen 2005, TSJOEN2005_YOUNG), "
             "about the whole rise the Tornoe LH-T curve allows, so desensitisation must stay negligible across the "
             "physiological LH range and start only with supraphysiological hCG (HCG6000_SINGLE)"),
    P(name="leydig_desens_rate", value=0.2, unit="1/h", group="testis",
      description="maximal rate of Leydig-cell desensitisation (LH-receptor down-regulation, steroidogenic lesion)",
      source="fit: as leydig_desens_k (HCG6000_SINGLE); a second iv hCG dose 24 h after the first gives no further T "
             "rise (same study), so the lesion sets in within hours of the surge"),
    P(name="leydig_recovery_half_life", value=12.0, unit="h", group="testis",
      description="recovery half-time of Leydig responsiveness after desensitisation",
      source="fit: as leydig_desens_k; the delayed T peak at 72-96 h needs responsiveness back once hCG falls below the "
             "surge, and an hCG injection 5 days after the previous one again raises T within 2-4 h (HCG6000_SINGLE, "
             "third protocol)"),
    P(name="t_clearance", value=950.0, unit="L/day", group="testis",
      description="metabolic clearance rate of testosterone",
      source="mdwiki sex-hormone kinetics table 950 L/day; Saez 1972 JCI 516 L/m2/day ~ 980 L/day (" + PB + " A2)"),
    P(name="t_half_life", value=math.log(2) / 0.0901, unit="h", group="testis",
      description="apparent serum T elimination half-life (lumps Leydig response dynamics)",
      source="Tornoe 2007 BJCP ke_Te 0.0901 1/h (" + PB + " A2)"),
    P(name="t_extragonadal", value=12.0, unit="ng/dL", group="testis", lower=0.0, upper=40.0,
      description="serum T made outside the testis (peripheral conversion of adrenal DHEA/androstenedione), as the "
                  "serum concentration it sustains at the reference T clearance; independent of LH, it is what "
                  "remains after castration (the testis makes the rest of the reference man's T)",
      source="Oefelein MG et al. Urology 2000;56:1021: median serum T 15 ng/dL (95% CI 12-17) in 35 men after "
             "bilateral orchiectomy; Morote J et al. Clin Genitourin Cancer 2018;16:e491: median 14.0 ng/dL "
             "(range 2-67) by LC-MS/MS in 126 men on LHRH agonists, of which the model's residual testicular output "
             "under an agonist depot (LH at the gonadotroph_basal floor) is about 2 ng/dL; the lower end of the "
             "orchiectomy CI is taken. About 2% of the reference man's T (the adrenal share of male T, < 5%)"),
    P(name="circadian_amplitude_young", value=0.172, unit="1", group="rhythm",
      description="relative amplitude of the circadian T rhythm at age <= 35 (T(t) ~ mean (1 + A cos(...)))",
      source="derived: 16:00 T 20-25% below 08:00 at age 30-40 (Brambilla 2009 JCEM, PMC2681273); 22% -> A = 0.172 for a cosine peaking 08:00"),
    P(name="circadian_amplitude_70", value=0.074, unit="1", group="rhythm",
      description="relative amplitude of the circadian T rhythm at age 70",
      source="derived: 16:00 T ~10% below 08:00 at age 70 (Brambilla 2009) -> A = 0.074"),
    P(name="circadian_peak_hour", value=8.0, unit="h", group="rhythm",
      description="clock hour of the serum T peak",
      source="acrophase 07:30 (Diver 2003), peak 05:30-08:00 (Brambilla 2009) (" + PB + " A6)"),
    P(name="leydig_trophic_k", value=0.05, unit="x reference stimulation", group="testis",
      description="LH-receptor stimulation (Hill term, relative to the reference man's) at half-maximal trophic support of Leydig cells; support saturates near the reference, so it matters for atrophy, not hypertrophy",
      source="fit: congenital HH T < 100 ng/dL with LH < 1.5 IU/L while hCG 2000 IU 3x/week restores T > 264 ng/dL within 6 weeks (CHH_META_JSM2024); aromatase inhibition raises LH more than T (T'Sjoen 2005 letrozole LH +339%, T +146%), so trophic support must saturate near the reference"),
    P(name="leydig_trophic_half_life", value=21.0 * 24.0, unit="h", group="testis",
      description="half-time of the LH-dependent trophic state of Leydig cells (atrophy without LH, regrowth with it)",
      source="assumption (3 weeks): steroidogenic capacity of rat Leydig cells falls to 5% within 1 week of LH "
             "deprivation (Keeney DS, Mendis-Handagama SMLC, Zirkin BR, Ewing LL. Endocrinology 1988) and is restored by hCG within days (J Endocrinol "
             "1990;126:367); the slow part of recovery after long deprivation is leydig_mass"),
    P(name="leydig_mass_regrowth_half_life", value=4.0 * 7 * 24.0, unit="h", group="testis",
      description="half-time of Leydig-mass regrowth towards its target at the reference LH stimulation and the "
                  "reference age (faster in proportion to LH-equivalents, e.g. under hCG; slower with age)",
      source="fit: median 15 months to T >= 300 ng/dL after 6 months of GnRH agonist, ~50% and ~80% recovered at 1 "
             "and 2 years (KATO2020_ADTREC; refitted with leydig_number, which leaves part of the slow recovery to "
             "the Leydig-cell number, then again 3.0 -> 4.0 weeks once the steroid feedback acts through its lagged "
             "signal (steroid_feedback_tau) and the reference man's labs are met at 08:00 with the rhythm on, which "
             "raised syn_lh and sped recovery to 44 weeks: model 55 weeks, 43% and 85%; 3.3 weeks: 48 weeks, 52%, 88%; "
             "4.5 weeks: 60 weeks, 42%, 83%); LH is back to normal within 3 months while T takes a median 24 months "
             "after long agonist therapy (Kaku H et al. Prostate 2006;66:439), so the testis limits recovery; regrowth in "
             "proportion to LH stimulation: 11 days of pulsatile LH multiplied Leydig cells 20-30-fold in juvenile "
             "rhesus monkeys (Verhagen I et al. Andrology 2014;2:924)"),
    P(name="leydig_mass_regrowth_age_halving", value=8.5, unit="year", group="testis",
      description="years of age over which the Leydig-mass regrowth rate halves (relative to ref_age)",
      source="fit: 26-fold slower regrowth at ~70 years (KATO2020_ADTREC: median 15 months to T >= 300 ng/dL, model "
             "13 months) than at 30 keeps the congenital-HH response to hCG 2000 IU 3x/week at age ~25 (T > 264 "
             "ng/dL within 6 weeks, CHH_META_JSM2024; model ~1150 ng/dL); "
             "recovery after agonist therapy is slower above 65 years (Kaku 2006)"),
    P(name="leydig_mass_loss_half_life", value=4.8 * 7 * 24.0, unit="h", group="testis",
      description="half-time of Leydig-mass loss towards its (lower) target when LH-receptor stimulation falls",
      source="Keeney DS, Mendis-Handagama SMLC, Zirkin BR, Ewing LL. Endocrinology 1988: without LH (T/E2 implants) the average rat Leydig cell "
             "lost 90% of its cytoplasmic volume by 16 weeks (3.3 half-lives), rapidly and progressively, while "
             "Leydig-cell number was kept"),
    P(name="leydig_number_loss_half_life", value=18.0 * 7 * 24.0, unit="h", group="testis",
      description="half-time of Leydig-cell number loss towards the Leydig-mass target when LH-receptor stimulation "
                  "stays far below the reference (the cells shrink first, leydig_mass, then are lost)",
      source="fit: median time to normal T among men who recovered after radiotherapy with 6, 18 or 36 months of "
             "ADT 1.5, 3.1 and 5.1 years, 77%, 55% and 45% recovering (Nabid A et al. J Clin Oncol 2023;41(6 "
             "suppl):300, PCS III/IV trials, 607 men); Leydig-cell number kept after 16 weeks without LH in rats "
             "(Keeney 1988) bounds it from below; chosen together with leydig_mass_regrowth_half_life so that "
             "KATO2020_ADTREC (6 months, age ~72) and CJU2021_ADTREC (15 months, age 64: median 19 months to T >= "
             "240 ng/dL) both hold; 200 virtual men aged 70 (SD 6) after 6 / 18 / 36 months of leuprolide: 87% / 50% "
             "/ 40% reach T >= 300 ng/dL within 8 years, after a median 1.0 / 3.4 / 4.0 years (without the "
             "Leydig-cell number 98% / 98% / 98% after 1.1 / 1.1 / 1.0 years)"),
    P(name="leydig_number_regrowth_half_life", value=20.0 * 7 * 24.0, unit="h", group="testis",
      description="half-time of Leydig-cell number regrowth at the reference LH stimulation and the reference age "
                  "(faster in proportion to LH-equivalents, like leydig_mass; slower with age, "
                  "leydig_number_regrowth_age_halving)",
      source="fit: CJU2021_ADTREC (15 months of ADT at age 64: median 19 months to T >= 240 ng/dL, model 87 weeks) "
             "with KATO2020_ADTREC (6 months at ~72 years), together with leydig_number_loss_half_life and "
             "leydig_number_regrowth_age_halving; about 9 weeks at age 24, so a man with congenital HH, whose "
             "Leydig cells never matured (number at its floor), reaches adult T within 6 weeks of pulsatile GnRH "
             "(5 ug every 90 min: LH ~6 IU/L, T ~700 ng/dL at 6 weeks) as of hCG (T > 264 ng/dL within 6 weeks, "
             "CHH_META_JSM2024)"),
    P(name="leydig_number_regrowth_age_halving", value=5.0, unit="year", group="testis",
      description="years of age over which Leydig-cell number regrowth halves its speed (relative to ref_age)",
      source="fit: with leydig_number_regrowth_half_life, regrowth 256-fold slower at 70 than at 30; "
             "in the young the precursors differentiate within days (11 days of pulsatile LH multiplied Leydig "
             "cells 20-30-fold in juvenile rhesus monkeys, Verhagen I et al. Andrology 2014;2:924; congenital HH "
             "men reach adult T within weeks of hCG or GnRH), while after long ADT in men ~70 years old only about "
             "half recover at all (Nabid 2023: 45% after 36 months); steeper than leydig_mass_regrowth_age_halving "
             "(8.5 y), which alone would leave the congenital-HH man's T far below normal after 6 weeks of GnRH"),
    P(name="leydig_mass_k", value=0.05, unit="x reference stimulation", group="testis",
      description="LH-receptor stimulation (Hill term relative to the reference man's) at which the target Leydig "
                  "mass is halved; target x^4 (1 + k^4) / (k^4 + x^4)",
      source="Keeney 1988: Leydig cells keep ~10% of their cytoplasmic volume without LH, the target at castrate LH "
             "(~0.5 IU/L, x ~0.03: target 0.10); men with secondary hypogonadism (LH ~2 IU/L, x ~0.35) keep their mass; "
             "fourth power and k 0.05 (was x^2, k 0.1) so that the partial LH suppression of transdermal T (LH ~0.8 "
             "IU/L in secondary hypogonadism, x ~0.07: target 0.80, was 0.33) does not shrink the Leydig cells: serum T "
             "returns to pretreatment levels within about 5 days after stopping a testosterone gel (AndroGel 1% "
             "prescribing information, clinical pharmacology): after 25 weeks of gel 50 mg/day the secondary-hypogonadism man's T is 103-141 "
             "ng/dL 1-2 weeks after stopping (267 before; 49-80 with x^2, k 0.1); the rest of the dip is leydig_trophic"),
    P(name="leydig_age_decline", value=0.0045, unit="1/year", group="testis",
      description="fractional decline of Leydig capacity per year after age 40",
      source="fit: total T stable with age while free T falls and LH rises (Yeap 2012 HIMS; Kelsey 2014 PLoS One 15.4 -> 13.0 nmol/L 19 -> 40 y); compensated in part by rising LH"),
    P(name="itt_serum_ratio", value=1174.0 / 14.1, unit="1", group="testis",
      description="intratesticular / serum T at reference",
      source="Coviello 2005 JCEM: ITT 1174 nmol/L vs serum 14.1 nmol/L (" + PB + " A5)"),
    # ------------------------------------------------------------------ aromatase / estradiol
    P(name="aromatase_activity", value=1.0, unit="1", group="aromatase", patient=True, lower=0.1, upper=5.0, cv=0.32,
      description="aromatase activity relative to the reference man at the same fat mass",
      source="definition (1 = reference); cv fit: as leydig_capacity's cv (REF_BHASIN2011_FHS, REF_FAMHES2012)"),
    P(name="t_to_e2_peripheral", value=0.0039, unit="1", group="aromatase",
      description="fraction of circulating T converted to E2 in peripheral (mostly adipose) tissue at the reference fat mass",
      source="Longcope, Kato, Horton JCI 1969;48:2191: [rho]BB T->E2 0.39% in men (" + PB + " A3)"),
    P(name="e2_testicular_share", value=0.20, unit="1", group="aromatase",
      description="share of E2 production secreted directly by the testis at reference",
      source="Vermeulen-group review: no more than 20% of E2 secreted by the testes (" + PB + " A3)"),
    P(name="e2_clearance", value=1600.0, unit="L/day", group="aromatase",
      description="metabolic clearance rate of estradiol in men",
      source="mdwiki sex-hormone kinetics table 1600 L/day (" + PB + " A3)"),
    # ------------------------------------------------------------------ binding
    P(name="k_shbg_t", value=1.0e9, unit="L/mol", group="binding",
      description="association constant of T for SHBG (Vermeulen)", source="Vermeulen 1999 JCEM 84:3666 (" + PB + " A4)"),
    P(name="k_alb_t", value=3.6e4, unit="L/mol", group="binding",
      description="association constant of T for albumin (Vermeulen)", source="Vermeulen 1999 JCEM 84:3666 (" + PB + " A4)"),
    P(name="albumin", value=43.0, unit="g/L", group="binding", patient=True, lower=20.0, upper=60.0, cv=0.07,
      description="serum albumin",
      source="Vermeulen calculator default 4.3 g/dL (" + PB + " A4); cv 0.07: 4.25 +/- 0.26 and 4.13 +/- 0.29 g/dL "
             "(SD) in healthy men of the Normative Aging Study (Campion EW, deLabry LO, Glynn RJ. J Gerontol "
             "1988;43:M18)"),
    P(name="albumin_mw", value=69000.0, unit="g/mol", group="binding",
      description="albumin molar mass used by the Vermeulen equations", source="ISSAM Vermeulen calculator (" + PB + " C)"),
    P(name="shbg_production", value=1.0, unit="1", group="binding", patient=True, lower=0.1, upper=5.0, cv=0.37,
      description="hepatic SHBG production relative to the reference man (same age and BMI)",
      source="definition (1 = reference); cv fit: as leydig_capacity's cv (REF_BHASIN2011_FHS, REF_FAMHES2012)"),
    P(name="shbg_half_life", value=7.0 * 24.0, unit="h", group="binding",
      description="plasma half-life of SHBG",
      source="about one week (secondary sources; docs/research/physiology_sources.md item 1); the only measured value, 33 h, is human SHBG in rhesus monkeys"),
    P(name="shbg_age_slope", value=0.016, unit="1/year", group="binding",
      description="fractional rise of SHBG per year of age after the reference age",
      source="MMAS longitudinal +1.6%/yr (Feldman 2002 JCEM 87:589; docs/research/physiology_sources.md item 1)"),
    P(name="shbg_bmi_slope", value=1.1 / 29.4, unit="1 per kg/m2", group="binding",
      description="fractional fall of SHBG per kg/m2 of BMI above the reference BMI",
      source="Boeri 2020 (1547 men): -1.1 nmol/L per kg/m2 (docs/research/physiology_sources.md item 1), relative to ref_shbg"),
    P(name="shbg_androgen_effect", value=0.34, unit="1", group="binding",
      description="fractional fall of SHBG production at twice the reference serum T (hepatic androgen action; log-linear)",
      source="Plymate 1983: TE 200 mg every 2 weeks lowered SHBG by 34% (docs/research/physiology_sources.md item 1); serum T about doubled on that regimen"),
    # ------------------------------------------------------------------ Sertoli / inhibin B / spermatogenesis
    P(name="sertoli_capacity", value=1.0, unit="1", group="spermatogenesis", patient=True, lower=0.0, upper=3.0, cv=0.6,
      description="Sertoli/spermatogenic capacity relative to the reference man (0 = Sertoli-cell-only): the Sertoli-cell "
                  "complement, i.e. the testis size the seminiferous epithelium can reach",
      source="definition (1 = reference); low in idiopathic oligozoospermia and primary testicular failure. cv: with 0.6 "
             "the untreated eugonadal cohort's inhibin B 10th-90th percentiles (about 54-228 pg/mL) reproduce normozoospermic "
             "men's 54.5-247 pg/mL (Reproduction 145(3):237, " + PB + " A5); testis volume on gonadotropins in congenital "
             "HH is 8.1 +/- 4.6 mL (CV 0.57; Medicine (Baltimore) 2016;95(9):e2867, 223 men), and sperm concentration "
             "follows testis volume (r = 0.73, Burris AS et al., J Clin Endocrinol Metab 1988;66:1144); the congenital_hh "
             "phenotype keeps that mean (0.35) with a cv of 1.0 (fit, 200 men, seeds 0-2: shares at 1-20 M/mL after "
             "18 months on hCG + FSH, MUIR_META2024, GONADO_COHORT99; patient.py)"),
    P(name="inhibin_fsh_stim_k", value=4.5, unit="IU/L", group="spermatogenesis",
      description="FSH at half-maximal stimulation of inhibin B secretion",
      source="fit: a single 3000 IU rhFSH doubles inhibin B within 72 h while 225 IU does not (Anawalt 1996; Kinniburgh 2001; " + PB + " A5)"),
    P(name="inhibin_germ_share", value=0.6, unit="1", group="spermatogenesis",
      description="share of inhibin B production that depends on germ cells (Sertoli-germ cell interaction)",
      source="fit: inhibin B tracks sperm count (r = 0.54) and is < 20 pg/mL in Sertoli-cell-only (JCEM 1998;83:3110; Reproduction 145:237)"),
    P(name="inhibin_half_life", value=12.0, unit="h", group="spermatogenesis",
      description="effective half-time of inhibin B adaptation",
      source="fit: inhibin B doubles within 72 h of rhFSH (Anawalt 1996; " + PB + " A5)"),
    P(name="sperm_fsh_k", value=3.0, unit="IU/L", group="spermatogenesis",
      description="FSH at half-maximal FSH support of spermatogenesis",
      source="fit: FSH suppressed to 3% of baseline with TE abolishes sperm in most men (Coviello 2005; WHO 1990) while low-normal FSH (3-5 IU/L) supports near-normal output"),
    P(name="sperm_fsh_hill", value=2.0, unit="1", group="spermatogenesis",
      description="steepness of FSH support versus FSH", source="fit: as sperm_fsh_k"),
    P(name="sperm_support_itt_alone", value=0.60, unit="1", group="spermatogenesis",
      description="spermatogenic support with full intratesticular T but no FSH, relative to both (support = a g + b h + (1-a-b) g h)",
      source="derived from the sperm output normal men kept on LH activity alone, through the model's output: "
             "TE 200 mg/wk + hCG 5000 IU 3x/wk with FSH undetectable 46/106 M/mL = 43% of control (Bremner WJ, "
             "Matsumoto AM, Sussman AM, Paulsen CA, J Clin Invest 1981;68:1044) and chronic hCG 5000 IU 2x/wk, FSH "
             "suppressed, 22/88 M/mL = 25% (Bremner WJ, Matsumoto AM, Karpas AE, J Clin Endocrinol Metab 1986). Output "
             "is not proportional to support (a partial deficit also kills germ cells in transit and shrinks the "
             "reserve): the former 46/106 gave 9% and 28% in the model, 0.60 gives 20% and 40% (squared log error "
             "over the two 2.57 -> 0.80; both within 2 SEM for a in ~0.58-0.65, the upper end 1 - b = 61/94 keeping "
             "the interaction term 1 - a - b non-negative). fit: within that range the value is bounded by the "
             "congenital-HH share >= 1 M/mL at 18 months on hCG + FSH (Muir 2024, 55%; MUIR_META2024), which rises "
             "with a (0.63 at 46/106, 0.66 at 0.60, 0.665 at 61/94 in 400 men; docs/research/physiology_sources.md "
             "section 26)"),
    P(name="sperm_support_fsh_alone", value=33.0 / 94.0, unit="1", group="spermatogenesis",
      description="spermatogenic support with FSH but testosterone-suppressed intratesticular T, relative to both",
      source="Matsumoto AM, Karpas AE, Paulsen CA, Bremner WJ, J Clin Invest 1983;72:1005: FSH alone restored sperm to "
             "33 vs 94 M/mL (docs/research/physiology_sources.md item 6), taken as the output ratio; the model keeps ~2% "
             "of output on FSH 100 IU daily with LH suppressed (section 26, strict xfail in tests/test_fsh_itt_support.py)"),
    P(name="sperm_itt_k", value=0.11, unit="x reference ITT", group="spermatogenesis", patient=True, cv=0.7,
      lower=0.02, upper=5.0,
      description="intratesticular T (relative to reference) at half-maximal androgen support of spermatogenesis; "
                  "differs between men (their androgen requirement: support is normalised to the typical man's, so "
                  "it shapes the response to a fall in ITT and, where it is several times the typical value as in "
                  "the infertile phenotypes, lowers the untreated output and sets the gain when ITT rises)",
      source="fit (200 men, seeds 0-2): azoospermia (< 0.1 M/mL) at 6 months of TE 200 mg/wk in 65% of 271 men "
             "(WHO1990, band 0.50-0.80) and 66.7% of 465 non-Asian men (WHO1995_NONASIAN): 0.745/0.745/0.76 at seeds "
             "0/1/2 (0.13, fitted at 60 men seed 0 to both WHO1995 groups pooled, gave 0.795/0.835/0.805; 0.095 gives "
             "0.675/0.645/0.66 but raises sperm output at the low ITT of hypogonadal men on a GnRH pump or hCG + "
             "clomiphene: docs/research/physiology_sources.md section 23); ITT -94% on TE 200 mg/wk (Coviello 2005); "
             "rat needs ~1/3 of normal ITT (" + PB + " A5). The Asian men of "
             "WHO1995 (89.2%) need more: sperm_itt_k_east_asian_ratio. cv: fit to the same shares at 60 men; the men "
             "who stay oligozoospermic "
             "on TE have the same undetectable LH and FSH and the same T, E2 and inhibin B as those who become "
             "azoospermic (Wallace EM et al., J Clin Endocrinol Metab 1993;77:290: 17 of 28 azoospermic) and the same "
             "residual testicular steroidogenesis (Anderson RA et al., Hum Reprod 1997;12:1657) but convert more T to "
             "DHT (Anderson RA et al., J Clin Endocrinol Metab 1996;81:902: 18 of 33 azoospermic, the others 0.2 "
             "M/mL at 20 weeks): they differ in the androgen action their spermatogenesis needs. upper bound 5: "
             "room for the infertile phenotypes' requirement (idiopathic_oligozoospermia 1.5, patient.py; "
             "androgen-receptor deficiency in ~19% of azoospermic or severely oligozoospermic men, Aiman J, "
             "Griffin JE, J Clin Endocrinol Metab 1982;54:725)"),
    P(name="sperm_itt_k_east_asian_ratio", value=34.7 / 19.7, unit="1", group="spermatogenesis",
      description="androgen requirement of spermatogenesis (sperm_itt_k) of East Asian (Chinese) men relative to "
                  "Caucasian men (the eugonadal_east_asian phenotype): less 5-alpha reduction of T leaves less "
                  "androgen action at the same ITT",
      source="serum 3-alpha-androstanediol glucuronide, the marker of 5-alpha reduction, 34.7 +/- 2.4 vs 19.7 +/- 0.9 "
             "nmol/L in Caucasian vs Chinese men with the same total and bioavailable T (Lookingbill DP et al., J Clin "
             "Endocrinol Metab 1991;72:1242; 31% higher in US white than Japanese men, Ross RK et al., Lancet "
             "1992;339:887): requirement x 34.7/19.7, as the men who stay oligozoospermic on TE convert more T to DHT "
             "(Anderson RA et al., J Clin Endocrinol Metab 1996;81:902). Not fitted; an isotopic kinetic study found "
             "no difference in whole-body T-to-DHT conversion (Santner SJ et al., J Clin Endocrinol Metab "
             "1998;83:2104), and Chinese men also have fewer Sertoli cells and a lower daily sperm production per man "
             "(Johnson L et al., J Androl 1998;19:348), not modelled"),
    P(name="sperm_itt_hill", value=3.0, unit="1", group="spermatogenesis",
      description="steepness of androgen support versus ITT", source="fit: as sperm_itt_k"),
    P(name="spermatogenesis_days", value=74.0, unit="day", group="spermatogenesis",
      description="mean duration of spermatogenesis (spermatogonia to testicular sperm)",
      source="Heller & Clermont 1964 (74 d); deuterium labelling 42-76 d (Misell 2006; " + PB + " A5)"),
    P(name="spermatogenesis_stages", value=10.0, unit="1", group="spermatogenesis",
      description="number of stages in the germ-cell delay chain (sets the spread of the delay)",
      source="fit: median times to < 10/3/1 M/mL of 6.8/10/13 weeks on TE (SUPPRESSION_KINETICS2005)"),
    P(name="epididymal_transit_days", value=10.5, unit="day", group="spermatogenesis",
      description="epididymal transit time",
      source="Amann 1976 Biol Reprod 15:586 (rhesus caput 1.1 + corpus 3.8 + cauda 5.6 d); human value not found (" + PB + " A5)"),
    P(name="spermatogenic_efficiency", value=1.0, unit="1", group="spermatogenesis", patient=True, lower=0.0, upper=2.0,
      cv=0.7,
      description="share of the reference man's late germ cells released as sperm (post-meiotic efficiency): lowers "
                  "sperm output without lowering Sertoli inhibin B and FSH feedback",
      source="definition (1 = reference); oligozoospermia with normal FSH and inhibin B (germ-cell defects beyond "
             "the Sertoli cell) needs it apart from sertoli_capacity. cv: fit: with sertoli_capacity's and "
             "semen_volume's spread, the untreated cohort's sperm concentration has its 5th percentile at 16 M/mL, "
             "fertile men's 15 (95% CI 12-16) M/mL (Cooper 2010, REF_WHO2010_SEMEN)"),
    P(name="germ_cell_loss_reference", value=0.47, unit="1", group="spermatogenesis",
      description="fraction of germ cells lost (apoptosis) between spermatogonia and sperm at reference",
      source="~45-48% germ-cell loss during meiosis (Biol Reprod, 'Further quantification of human spermatogenesis'; " + PB + " A5)"),
    P(name="spermatogonial_doubling_days", value=38.0, unit="day", group="spermatogenesis", patient=True, cv=3.0,
      lower=5.0, upper=400.0,
      description="doubling time of the spermatogonial reserve while hormonal support is adequate (logistic growth)",
      source="fit: median time to first sperm under hCG + FSH between the 5 months of 99 gonadotropin-deficient men "
             "(GONADO_COHORT99) and the 7.1 months of 75 men with congenital HH (Liu PY et al., J Clin Endocrinol "
             "Metab 2009;94:801, LIU2009_JCEM), 12 months to > 2 M/mL (GONADO_COHORT99); 32 days gave 5.0 months, "
             "at the edge of LIU2009_JCEM and with too many men above 1-5 M/mL at 18 months. Refitted 44 -> 38 days when "
             "the congenital-HH Leydig complement was set to 0.28 (Mao 2017, patient.py): the smaller complement takes "
             "longer to bring intratesticular T above the androgen requirement in the first weeks of hCG, and 44 days "
             "then gave 29.1 weeks to first sperm (GONADO_COHORT99 published 21.7, LIU2009_JCEM 30.9) and a mean "
             "8.2 M/mL at 18 months (MUIR_META2024, 11.6); 38 days: 26.7 weeks, 52.7 weeks to > 2 M/mL (published "
             "52.2), 9.0 M/mL (40: 27.4, 54.9, 8.7; 36: 25.9, 50.4, 9.25; MUIR_META2024 checked, not fitted; "
             "docs/research/physiology_sources.md section 22). cv (men other than congenital_hh, whose phenotype carries its own spread of 6 fitted with MUIR_META2024, patient.py): fit to the spread of the shares reaching 0.1-20 M/mL by 16 months (same: 78% "
             "with sperm, 24% above 20 M/mL); in congenital HH sperm appear after 14 +/- 8 months in the 64% of men "
             "who reach them (Medicine (Baltimore) 2016;95(9):e2867), the others have none over a mean 23 months"),
    P(name="spermatogonial_regrowth_age_halving", value=4.5, unit="year", group="spermatogenesis",
      description="years of age above ref_age over which the proliferation rate of the spermatogonial reserve halves "
                  "(no effect at or below ref_age, none on an unsuppressed man whose reserve is full)",
      source="fit: 70% of 66 infertile men (mean age 40, mean 42 months of testosterone therapy, on it at "
             "presentation) reach a total motile count > 5 M within 12 months of hCG + SERM (KOHN2017; Kohn TP et "
             "al., Fertil Steril 2017;107:351: age limited sperm recovery more consistently than the duration of "
             "use; the AUA 2016 abstract of the series gives the age and duration); the analogue of "
             "leydig_mass_regrowth_age_halving for the germ cells. Recovery of spermatogenesis after androgen "
             "abuse depends on age and on the degree of abuse (review of anabolic-steroid-induced hypogonadism, Endocr Connect 2023;12(12):e230358). Does not act at "
             "or below 30 years, so the younger volunteers and congenital-HH cohorts that set the doubling time "
             "(GONADO_COHORT99, LIU2006) keep it; note that Liu 2006 (Lancet 367:1412) found faster recovery with "
             "older age among contraceptive-trial volunteers (18-51 years), a selected, fertile population"),
    P(name="spermatogonial_withdrawal_half_life", value=180.0, unit="day", group="spermatogenesis",
      description="half-life of the spermatogonial reserve (above its floor) when hormonal support is withdrawn completely",
      source="fit: median 15 weeks to >= 20 M/mL after androgen-based contraception, slower than the germ-cell chain "
             "alone (LIU2006); type A spermatogonia persist under gonadotropin suppression (McLachlan RI et al., "
             "J Clin Endocrinol Metab 2002;87:546), so the reserve shrinks over months, not weeks"),
    P(name="spermatogonial_floor", value=1.4e-3, unit="1", group="spermatogenesis",
      description="stem-cell floor of the spermatogonial reserve (x reference) without any hormonal support",
      source="fit: congenital HH (no gonadotropins since birth) gives no sperm in the ejaculate for months after hCG + "
             "FSH starts (median 5-7 months, GONADO_COHORT99, LIU2009_JCEM); refit (200 men, seeds 0-2) 1e-3 -> 1.4e-3 "
             "with fsh_drug_cl 0.45 L/h (more FSH on the drug): median weeks to first sperm 24-26 between "
             "GONADO_COHORT99's 21.7 and LIU2009_JCEM's 30.9 (physiology_sources sections 25, 27)"),
    P(name="germ_cell_withdrawal_loss", value=0.06, unit="1/day", group="spermatogenesis",
      description="extra germ-cell loss rate (apoptosis, spermiation failure) when hormonal support is withdrawn completely",
      source="fit: median times to < 10/3/1 M/mL of 6.8/10/13 weeks on TE 200 mg/wk (SUPPRESSION_KINETICS2005; WHO1990); spermiation failure within weeks (McLachlan 2002)"),
    # ================================================================== drugs (PK and PD)
    # ---- anastrozole
    P(name="anastrozole_ka", value=3.0, unit="1/h", group="drug:anastrozole",
      description="oral absorption rate constant",
      source="derived: Tmax 1.2 h with t1/2 42 h in men (Yuan, Acta Pharmacol Sin; docs/research/drug_sources.md item 1)"),
    P(name="anastrozole_cl", value=2.26, unit="L/h", group="drug:anastrozole",
      description="apparent oral clearance CL/F", source="derived: 1 mg / AUC 443 ng*h/mL in men (Yuan); oral F ~100% (Swiss label)"),
    P(name="anastrozole_half_life", value=42.0, unit="h", group="drug:anastrozole",
      description="elimination half-life", source="Yuan (men) 42 h; Arimidex label ~50 h (" + PB + " B1)"),
    P(name="anastrozole_ic50", value=0.5, unit="ng/mL", group="drug:anastrozole",
      description="plasma concentration at half-maximal aromatase inhibition",
      source="derived: 97.3% whole-body inhibition at the 1 mg/day average concentration 18 ng/mL (Geisler 2002 JCO); E2 plateau already at 0.5 mg and at 1 mg twice weekly (Yates 1996; Leder 2004)"),
    P(name="anastrozole_imax", value=0.6, unit="1", group="drug:anastrozole",
      description="maximal aromatase inhibition reached in men (plasma E2 falls 35-50% at plateau doses)",
      source="fit: E2 -35% with T +67% in older men (Leder 2004, LEDER2004_G1): 0.65/1.67 = 39% of aromatisation left; "
             "E2 -50% (SHAH2021_TAU; model -25%, with T rising more), -50% in young males at 0.5 and 1 mg (Mauras "
             "2000)"),
    # ---- letrozole
    P(name="letrozole_ka", value=3.0, unit="1/h", group="drug:letrozole",
      description="oral absorption rate constant", source="assumed as anastrozole: rapid, complete oral absorption (F 99.9%, Sioufi 1997)"),
    P(name="letrozole_cl", value=2.21, unit="L/h", group="drug:letrozole",
      description="clearance (F ~1)", source="Sioufi 1997 Biopharm Drug Dispos 18:779 (" + PB + " B1)"),
    P(name="letrozole_half_life", value=2.0 * 24.0 * 1.42, unit="h", group="drug:letrozole",
      description="elimination half-life at steady state (the linear model is calibrated to chronic dosing)",
      source="~2 days after a single dose in healthy men (Sioufi 1997, Biopharm Drug Dispos 18:489, PMID 9267682; " + PB + " B1) x 1.42: "
             "t1/2 +42% and AUC +28% at steady state vs single dose (Pfister 2001, Biopharm Drug Dispos 22:191, PMID 11745921); "
             "was 48 h (single-dose value), which under-predicted steady-state accumulation (3.4 vs 4.4, tests/test_pk.py)"),
    P(name="letrozole_ic50", value=0.08, unit="ng/mL", group="drug:letrozole",
      description="plasma concentration at half-maximal aromatase inhibition",
      source="derived: 0.25 mg Mon/Wed/Fri (average concentration 47 x 0.75 / 7 / 2.5 = 2.0 ng/mL) lowered serum E2 "
             "as much as 2.5 mg daily (47 ng/mL; Geisler 2002 JCO), 75-78% in every arm (double-blind randomised trial "
             "of alternative letrozole dosing regimens, Cancer Prev Res 2016;9(2):142): 2.0 / (2.0 + IC50) >= 0.96 x "
             "47 / (47 + IC50) gives IC50 <= 0.08 ng/mL; doses from 0.1 mg/day suppressed estrogens > 90% (Lipton A "
             "et al. Cancer 1995;75:2132); was 0.43 (the bound from >99.1% whole-body inhibition at 47 ng/mL, Geisler "
             "2002), which let inhibition wane between weekly doses"),
    P(name="letrozole_imax", value=0.84, unit="1", group="drug:letrozole",
      description="maximal aromatase inhibition reached in men",
      source="fit: letrozole suppresses E2 more than anastrozole (Dixon 2008: residual E2 5.9 vs 10.1%); men E2 -46% "
             "(T'Sjoen 2005, TSJOEN2005_YOUNG; model -65% with T +114%, published +146%; reference man T x2.0), -50% "
             "(Loves 2013, LOVES2013: E2 59.2 pmol/L at 26 weeks, model 60.5); refitted 0.85 -> 0.84 once the steroid "
             "feedback acts through its lagged signal (steroid_feedback_tau): 0.85 lowered E2 -67% in the T'Sjoen men "
             "(band to -66%), 0.83 -63% with T +112% (the reference man's T x1.997, below the doubling of "
             "tests/test_feedback.py), 0.80 -58% with T +104% (band from +110%)"),
    # ---- clomiphene isomers and enclomiphene
    P(name="clomiphene_en_fraction", value=0.62, unit="1", group="drug:clomiphene",
      description="enclomiphene (trans) share of clomiphene citrate", source="Ghobadi PAGE abstract 1420: 62:38; Clomid label 30-50% cis (" + PB + " B2)"),
    P(name="enclomiphene_ka", value=1.0, unit="1/h", group="drug:enclomiphene",
      description="oral absorption rate constant", source="rapid absorption (Wiehle, enclomiphene within 14 days abstract; " + PB + " B2); assumption"),
    P(name="enclomiphene_half_life", value=10.0, unit="h", group="drug:enclomiphene",
      description="elimination half-life in men", source="~10 h (Wiehle/Repros abstract; " + PB + " B2)"),
    P(name="enclomiphene_cl", value=294.0, unit="L/h", group="drug:enclomiphene",
      description="apparent oral clearance", source="derived: steady-state ENC 2.2 ng/mL on clomiphene 25 mg/day (15.5 mg enclomiphene) (Helo 2017 BJU Int; " + PB + " B2)"),
    P(name="hydroxyenclomiphene_half_life", value=24.0, unit="h", group="drug:enclomiphene",
      description="elimination half-life of the (E)-4-hydroxy metabolites of enclomiphene ((E)-4-OH-clomiphene and "
                  "(E)-4-OH-N-desethylclomiphene, lumped), formed from all of the parent eliminated",
      source="4-OH-clomiphene 13-34 h, 4-OH-N-desethylclomiphene 15-37 h (Yilmaz S et al. Cytotechnology 2018;70:489, "
             "PMID 29159661, as quoted in the clomifene infobox; " + PB + " B2 'Clomiphene (mixture) t1/2' range column); "
             "24 h is the middle of both ranges; longer than the parent's 10 h, so after a dose the metabolites' own "
             "elimination sets the terminal phase"),
    P(name="hydroxyenclomiphene_share", value=1.0, unit="1", group="drug:enclomiphene",
      description="share of enclomiphene's hypothalamic/pituitary ER antagonism carried by its 4-hydroxy metabolites "
                  "(1 = the parent acts as their precursor only)",
      source="Murdter TE et al. Hum Mol Genet 2012;21:1145 (doi 10.1093/hmg/ddr543): CYP2D6 genotype determines the "
             "estrogen-receptor activity of clomiphene via its 4-hydroxylated active metabolites; the parent is ~99.9% "
             "bound (fu 0.08%) against 0.45% and 1.32% for (E)-4-OH-clomiphene and (E)-4-OH-N-desethylclomiphene "
             "(Kovar 2022 Pharmaceutics 14:2604, Tables S4-S7). Limiting value of that reading; at 0.5 the "
             "every-other-day 08:00 occupancy is 0.65 instead of 0.74 (0.49 with the parent alone)"),
    P(name="zuclomiphene_half_life", value=14.0 * 24.0, unit="h", group="drug:clomiphene",
      description="elimination half-life of zuclomiphene", source="~2 weeks (Repros comment, low quality); detectable > 1 month after dosing and accumulates over cycles (Clomid label; Young 1999) (" + PB + " B2)"),
    P(name="zuclomiphene_cl", value=9.0, unit="L/h", group="drug:clomiphene",
      description="apparent oral clearance of zuclomiphene", source="derived: steady-state ZUC 44 ng/mL on clomiphene 25 mg/day (9.5 mg zuclomiphene) (Helo 2017)"),
    P(name="enclomiphene_er_k", value=0.35, unit="ng/mL", group="drug:enclomiphene",
      description="enclomiphene concentration (enclomiphene-equivalents of its 4-hydroxy metabolites) occupying half of "
                  "hypothalamic/pituitary estrogen receptors",
      source="fit: clomiphene 25 mg/day raises T 205 -> 488 ng/dL and LH 4.0 -> 6.1 IU/L (Helo 2017); enclomiphene 25 mg brings T to 400-700 ng/dL (Wiehle 2014)"),
    P(name="zuclomiphene_er_k", value=40.0, unit="ng/mL", group="drug:clomiphene",
      description="zuclomiphene concentration occupying half of the estrogen receptors (weak ligand)",
      source="fit: as enclomiphene_er_k; zuclomiphene is antigonadotropic (Young 1991 rat LH suppression)"),
    P(name="zuclomiphene_efficacy", value=0.3, unit="1", group="drug:clomiphene",
      description="intrinsic estrogenic efficacy of receptor-bound zuclomiphene relative to estradiol (partial agonist)",
      source="fit: zuclomiphene accumulates (ZUC:ENC 20:1) yet clomiphene still raises T (Helo 2017); agonist in rat (Young 1991)"),
    # ---- tamoxifen
    P(name="tamoxifen_ka", value=0.5, unit="1/h", group="drug:tamoxifen", description="absorption rate constant",
      source="fit: Tmax 4-7 h (Nolvadex Swiss Fachinfo reg 49059; ~5 h US label; 3.2-3.6 h after 30 mg, Fuchs 1996 "
             "Arzneimittelforschung 46:418); ter Heine 2014 BJCP 78:572 ka 1.90 1/h (with a 0.455 h lag, not modelled) gave Tmax 1.7 h"),
    P(name="tamoxifen_cl", value=9.34, unit="L/h", group="drug:tamoxifen", description="apparent clearance CL/F",
      source="ter Heine 2014 (" + PB + " B2)"),
    P(name="tamoxifen_v", value=753.0, unit="L", group="drug:tamoxifen", description="apparent central volume V/F",
      source="ter Heine 2014 (" + PB + " B2)"),
    P(name="tamoxifen_q", value=61.8, unit="L/h", group="drug:tamoxifen", description="inter-compartmental clearance Q/F",
      source="ter Heine 2014 (" + PB + " B2)"),
    P(name="tamoxifen_vp", value=1620.0, unit="L", group="drug:tamoxifen", description="peripheral volume",
      source="Swiss Fachinfo reg 49059 terminal V2/F ~1620 L (" + PB + " B2)"),
    P(name="endoxifen_formation_cl", value=0.324, unit="L/h", group="drug:tamoxifen",
      description="clearance of tamoxifen to endoxifen", source="ter Heine 2014 (" + PB + " B2)"),
    P(name="endoxifen_cl", value=5.1, unit="L/h", group="drug:tamoxifen", description="endoxifen clearance",
      source="ter Heine 2014 / Ahmad 2010 (" + PB + " B2)"),
    P(name="endoxifen_v", value=400.0, unit="L", group="drug:tamoxifen", description="endoxifen volume",
      source="ter Heine 2014 / Ahmad 2010 (" + PB + " B2)"),
    P(name="tamoxifen_er_k", value=280.0, unit="ng/mL", group="drug:tamoxifen",
      description="tamoxifen concentration occupying half of the hypothalamic/pituitary estrogen receptors",
      source="fit (reference man, 6 weeks): tamoxifen 10 mg twice daily for 6 weeks in 13 normal men raised mean LH "
             "5.7 -> 10.1 U/L, x1.77 (Spijkstra JJ, Spinder T, Gooren L, van Kessel H, 'Divergent effects of the "
             "antiestrogen tamoxifen and of estrogens on LH pulse frequency, but not on basal LH levels and LH pulse "
             "amplitude in men', J Clin Endocrinol Metab 1988; LH pulse frequency 4.2 -> 5.8 per 7 h, amplitude 3.8 "
             "-> 4.6 U/L): the model's reference man x1.77 at 280 ng/mL (x2.39 at the former 150, x1.86 at 250, x1.72 "
             "at 300); checked at 200 men, seeds 0-2, against tamoxifen 20 mg/day in oligozoospermic men (Urol Int "
             "2019, TAMOX_UROLINT2019: LH 4.5 -> 7.6 IU/L, model 7.6-7.1; T 340 -> 530 ng/dL, model 544-574; FSH 7.6 "
             "-> 15.9 IU/L, model 10.5-10.7, a miss: the model's FSH:LH fold ratio under a SERM is ~0.7, as in "
             "tamoxifen 10 mg/day in oligospermic men, LH 1.7 -> 4.1 and FSH 4.9 -> 7.7 IU/L, 'Hormonal effects of "
             "tamoxifen in oligospermic men', Clin Endocrinol; docs/research/physiology_sources.md section 24)"),
    P(name="endoxifen_potency", value=55.0, unit="x tamoxifen", group="drug:tamoxifen",
      description="estrogen-receptor potency of endoxifen relative to tamoxifen", source="30-100x (Davis's Drug Guide; " + PB + " B2), geometric midpoint"),
    # ---- hCG
    P(name="hcg_cl", value=3.38 / 24.0, unit="L/h", group="drug:hcg", description="clearance of hCG in men",
      source="'Metabolism of HCG in man' JCEM: MCR 3.38 L/day in normal men (docs/research/drug_sources.md item 5)"),
    P(name="hcg_v", value=5.2, unit="L", group="drug:hcg", description="volume of distribution",
      source="Ovitrelle (r-hCG) Swiss label Vss 5.2 L (docs/research/drug_sources.md item 5)"),
    P(name="hcg_ka_sc", value=0.15, unit="1/h", group="drug:hcg", description="SC absorption rate constant",
      source="derived: SC Tmax 12-18 h (Swiss Fachinfo hCG, " + PB + " B3)"),
    P(name="hcg_ka_im", value=0.25, unit="1/h", group="drug:hcg", description="IM absorption rate constant",
      source="derived: IM Tmax 9-12 h (Swiss Fachinfo hCG, " + PB + " B3)"),
    P(name="hcg_f_sc", value=0.45, unit="1", group="drug:hcg", description="SC bioavailability",
      source="r-hCG F 40-50% (Trinchard-Lugan 2002; Ovitrelle label)"),
    P(name="hcg_f_im", value=0.69, unit="1", group="drug:hcg", description="IM bioavailability",
      source="derived: SC ~35% lower than IM (Swiss Fachinfo hCG, " + PB + " B3)"),
    P(name="hcg_lh_potency", value=0.3, unit="IU/L LH per IU/L hCG", group="drug:hcg",
      description="LH-receptor stimulation per unit of circulating hCG, in LH-equivalents",
      source="fit: hCG 125-500 IU every other day keeps ITT at 75-126% of baseline under TE (Coviello 2005, COVIELLO2005; model 36-114%); hCG 6000 IU T x1.6 at 4 h (HCG6000_SINGLE)"),
    # ---- FSH and hMG
    P(name="fsh_drug_cl", value=_FSH_DRUG_CL, unit="L/h", group="drug:fsh", description="clearance of recombinant FSH",
      source="derived: serum FSH in 9 men with hypogonadotropic hypogonadism after a week each of 75/150/225 IU "
             "Puregon IM daily, medians 4.3/8.4/13.6 IU/L (Fertil Steril 1996, 'Serum hormone concentrations during "
             "treatment with multiple rising doses of recombinant FSH (Puregon) in men with hypogonadotropic "
             "hypogonadism'; docs/research/drug_sources.md section 6): 0.45 L/h with F 0.7 gives 4.3/8.6/12.9 IU/L; "
             "the Gonal-f SmPC's 0.6 L/h (" + PB + " B3; iv, women) gave 3.3/6.5/9.7 (physiology_sources sections 25, 27)"),
    P(name="fsh_drug_v", value=_FSH_DRUG_CL * 35.0 / math.log(2), unit="L", group="drug:fsh",
      description="apparent volume of the one-compartment model (terminal phase, Vz = CL x t1/2 / ln 2)",
      source="derived: CL 0.45 L/h (fsh_drug_cl, Puregon in men) x SC terminal t1/2 35 h in healthy men (32-41 h, Gonal-f label; " + PB + " B3) / ln 2; "
             "the SmPC Vss 10 L (was the value) describes the iv distribution phase and gave a 12-h elimination half-life"),
    P(name="fsh_drug_ka", value=math.log(2) / 4.5, unit="1/h", group="drug:fsh", description="SC/IM absorption rate",
      source="fit: Tmax 11-20 h in healthy men (Gonal-f label) and 17.9 h after Menopur 225 IU SC (Menopur US label) with the 35-h "
             "terminal half-life; absorption half-life ~3 h in men (le Cotonnec 1993 Hum Reprod 8:1604). Was ln2/35 h (flip-flop), Tmax 28 h"),
    P(name="fsh_drug_f", value=0.70, unit="1", group="drug:fsh", description="SC bioavailability", source="Gonal-f SmPC ~70% (" + PB + " B3)"),
    P(name="hmg_lh_cl", value=56.2 * 60.0 / 1000.0, unit="L/h", group="drug:hmg", description="clearance of the LH in hMG (immunoactive)",
      source="Veldhuis 1986 JCI: LH MCR 56.2 mL/min (" + PB + " A1)"),
    P(name="hmg_lh_half_life", value=2.2, unit="h", group="drug:hmg", description="half-life of the LH in hMG",
      source="menotropins label 2.2 h (" + PB + " A1)"),
    P(name="hmg_ka", value=math.log(2) / 3.0, unit="1/h", group="drug:hmg", description="IM/SC absorption rate",
      source="le Cotonnec 1993 Hum Reprod: absorption half-life ~3 h after IM/SC (" + PB + " B3)"),
    # ---- gonadorelin
    P(name="gonadorelin_half_life", value=6.0 / 60.0, unit="h", group="drug:gonadorelin", description="plasma half-life",
      source="initial half-life 2-10 min (Lutrepulse monograph, " + PB + " B3), midpoint"),
    P(name="gonadorelin_v", value=12.0, unit="L", group="drug:gonadorelin", description="volume of distribution",
      source="Vd 9-15 L (Lutrepulse monograph, " + PB + " B3), midpoint"),
    P(name="gonadorelin_ka_sc", value=math.log(2) / (20.0 / 60.0), unit="1/h", group="drug:gonadorelin",
      description="SC absorption rate",
      source="fit: plasma GnRH disappearance half-time 24 min (18-30) after SC 2.5-10 ug, peak 5-10 min (Hurley DM et al., J Clin Endocrinol Metab 1987 (1):46-52); "
             "IR-GnRH peak 93.5 pg/mL after 5 ug SC ('Pharmacokinetics of gonadotropin-releasing hormone: comparison of subcutaneous and intravenous routes'). Was ln2/10 min"),
    P(name="gonadorelin_ec50", value=0.2, unit="ng/mL", group="drug:gonadorelin",
      description="systemic gonadorelin concentration at half-maximal GnRH-receptor occupancy",
      source="fit: 5 ug SC every 90 min restores LH and T in GnRH-deficient men (JCEM 1982;55:723 case; GNRH_PUMP_IHH11)"),
    # ---- leuprolide
    P(name="leuprolide_cl", value=7.6, unit="L/h", group="drug:leuprolide", description="clearance",
      source="1 mg iv bolus in healthy men: CL 7.6 L/h (Lupron Depot label); 7.6-8.34 L/h (Lupron/Eligard labels, " + PB + " B5)"),
    P(name="leuprolide_v", value=7.6 * 3.0 / math.log(2), unit="L", group="drug:leuprolide",
      description="apparent volume of the one-compartment model (terminal phase)",
      source="derived: CL 7.6 L/h x terminal t1/2 ~3 h / ln 2 (Lupron Depot label, 1 mg iv in healthy men); label Vss 27 L "
             "(the previous value) gave a 2.3-h half-life"),
    P(name="leuprolide_depot_burst", value=0.124, unit="1", group="drug:leuprolide",
      description="share of a 1-month depot released in the initial burst (absorbed like a plain SC dose)",
      source="derived: Cmax 20.8-21.8 ug/L within 1-3 h of a 7.5 mg depot (Periti P et al., Clin Pharmacokinet 2002;41:485) with "
             "CL 7.6 L/h, V 32.9 L, SC absorption 2/h; Lupron Depot label: ~20 ng/mL at 4 h, 0.36 ng/mL at 4 weeks"),
    P(name="leuprolide_depot_ka", value=0.003, unit="1/h", group="drug:leuprolide",
      description="release rate of the 1-month depot after the burst (the 3-, 4- and 6-month depots: divided by 3, 4, 6)",
      source="derived: 0.36 ng/mL at 4 weeks after 7.5 mg (Lupron Depot label) with CL 8 L/h"),
    P(name="leuprolide_ka_sc", value=2.0, unit="1/h", group="drug:leuprolide", description="absorption of non-depot SC injection",
      source="derived: Cmax at 0.6 h after SC (single-dose PK in 6 normal men, " + PB + " B5)"),
    P(name="leuprolide_ec50", value=0.047, unit="ng/mL", group="drug:leuprolide",
      description="concentration at half-maximal GnRH-receptor occupancy",
      source="class value: triptorelin in vivo EC50 0.047 ng/mL (Tornoe 2007 Table 4); leuprolide receptor EC50 not found"),
    # ---- degarelix
    P(name="degarelix_cl", value=2.54, unit="L/h", group="drug:degarelix", description="clearance",
      source="Tornoe 2007 BJCP Table 3 (" + PB + " B5)"),
    P(name="degarelix_vc", value=13.2, unit="L", group="drug:degarelix", description="central volume", source="Tornoe 2007 Table 3"),
    P(name="degarelix_q", value=6.59, unit="L/h", group="drug:degarelix", description="inter-compartmental clearance", source="Tornoe 2007 Table 3"),
    P(name="degarelix_vp", value=36.1, unit="L", group="drug:degarelix", description="peripheral volume", source="Tornoe 2007 Table 3"),
    P(name="degarelix_fast_fraction", value=0.0573, unit="1", group="drug:degarelix",
      description="share of the SC depot absorbed fast", source="Tornoe 2007 Table 3 (40 mg/mL)"),
    P(name="degarelix_fast_half_life", value=1.98 * 24.0, unit="h", group="drug:degarelix", description="fast depot absorption half-life",
      source="Tornoe 2007 Table 3"),
    P(name="degarelix_slow_half_life", value=53.0 * 24.0, unit="h", group="drug:degarelix", description="slow depot absorption half-life",
      source="Firmagon US label: median terminal t1/2 53 days after 240 mg at 40 mg/mL (flip-flop: the depot sets it); Tornoe 2007 "
             "Table 3: 73.7 d at 40 mg/mL and 53.3 d at 20 mg/mL in healthy men (73.7 d was the value)"),
    P(name="degarelix_maintenance_slow_half_life", value=31.0 * 24.0, unit="h", group="drug:degarelix",
      description="slow depot absorption half-life of the maintenance formulation (80 mg at 20 mg/mL; doses up to 80 mg)",
      source="Firmagon Canadian product monograph via Lexicomp (drugs.com/ppa/degarelix): terminal half-life ~53 days "
             "after the loading dose and ~31 days after the maintenance dose (flip-flop: the depot sets it); the more "
             "dilute injection releases faster (Tornoe 2007 Table 3: 53.3 d at 20 mg/mL vs 73.7 d at 40 mg/mL in healthy "
             "men, ratio 0.72; the labels' 31/53 = 0.58)"),
    P(name="degarelix_f", value=0.24, unit="1", group="drug:degarelix", description="bioavailability of the SC depot (40 mg/mL)",
      source="Tornoe 2007 Table 3"),
    P(name="degarelix_imax", value=0.942, unit="1", group="drug:degarelix",
      description="maximal inhibition of LH-pool release at the reference GnRH drive, applied as the cut in the reference "
                  "man's GnRH-receptor occupancy by competitive antagonism",
      source="Tornoe 2007 Table 4"),
    P(name="degarelix_ic50", value=1.49, unit="ng/mL", group="drug:degarelix", description="concentration at half-maximal inhibition",
      source="Tornoe 2007 Table 4"),
    P(name="degarelix_hill", value=1.97, unit="1", group="drug:degarelix", description="Hill coefficient", source="Tornoe 2007 Table 4"),
    # ---- testosterone products
    P(name="t_enanthate_release_half_life", value=4.5 * 24.0, unit="h", group="drug:testosterone",
      description="release half-life of testosterone enanthate from the IM oil depot", source="apparent t1/2 ~4.5 days (Behre & Nieschlag; " + PB + " B4)"),
    P(name="t_cypionate_release_half_life", value=8.0 * 24.0, unit="h", group="drug:testosterone",
      description="release half-life of testosterone cypionate from the IM depot", source="Depo-Testosterone label t1/2 ~8 days (" + PB + " B4)"),
    P(name="t_undecanoate_release_half_life", value=33.9 * 24.0, unit="h", group="drug:testosterone",
      description="release half-life of testosterone undecanoate (castor oil)", source="33.9 days in castor oil (Behre/Nieschlag via mdwiki; " + PB + " B4)"),
    P(name="t_undecanoate_transit_half_life", value=32.0, unit="h", group="drug:testosterone",
      description="half-life of the transit step between the TU oil depot and serum T (delayed absorption)",
      source="fit: Tmax ~7 days after Nebido 1000 mg IM (Drug Healthc Patient Saf 2023;15:73 Table 3, PMC10072151) with the 33.9-day "
             "release half-life (Behre HM et al., Eur J Endocrinol 1999;140:414); one first-order step gave Tmax 2.2 days"),
    P(name="t_cypionate_transit_half_life", value=12.0, unit="h", group="drug:testosterone",
      description="half-life of the transit step between the testosterone cypionate depot and serum T (delayed absorption)",
      source="fit: serum T peak days 2 to 5 after 200 mg TC IM in hypogonadal men (Nankin HR, Fertil Steril 1987;47:1004); "
             "without it Tmax was 1.5 days"),
    P(name="t_gel_absorption_half_life", value=12.0, unit="h", group="drug:testosterone",
      description="absorption half-life of T from the skin reservoir (the stratum corneum keeps releasing T over the day)",
      source="fit: steady state by day 2 (Testogel SmPC, emc 13255) and within 48-72 h, with a flat 24-h profile at "
             "steady state (Swerdloff RS, Wang C et al., 'Long-term pharmacokinetics of transdermal testosterone gel in "
             "hypogonadal men', J Clin Endocrinol Metab 2000;85:4500); return to baseline within 2-3 days of stopping "
             "(Testogel patient guide, secondary). A 3-h half-life (peak 2-6 h, same secondary guide) left the 08:00 "
             "pre-application trough at a third of the daily mean, against the flat profile of the label studies"),
    P(name="t_gel_f", value=0.10, unit="1", group="drug:testosterone", description="fraction of applied gel T absorbed",
      source="AndroGel 1% label ~10% (" + PB + " B4)"),
    P(name="t_ester_f", value=0.8, unit="1", group="drug:testosterone",
      description="apparent systemic availability of testosterone released from ester depots (with t_clearance)",
      source="fit: steady-state mean T 422.4 and 895.5 ng/dL on SC testosterone enanthate 50 and 100 mg weekly in "
             "hypogonadal men (Kaminetsky JC et al., J Sex Med 2015, dose-ranging PK study of the auto-injector) give "
             "0.78 and 0.83 with t_clearance 950 L/day; Cavg 553 ng/dL on 75 mg weekly (titrated 50-100 mg) at week 12 "
             "in 150 men (Xyosted phase 3, same group). Checked, not fitted, against Bhasin 2001 troughs (BHASIN2001)"),
    P(name="t_enanthate_t_fraction", value=288.42 / 400.59, unit="1", group="drug:testosterone",
      description="testosterone mass fraction of the enanthate ester", source="molar masses 288.42 / 400.59 g/mol"),
    P(name="t_cypionate_t_fraction", value=288.42 / 412.61, unit="1", group="drug:testosterone",
      description="testosterone mass fraction of the cypionate ester", source="molar masses 288.42 / 412.61 g/mol"),
    P(name="t_undecanoate_t_fraction", value=631.5 / 1000.0, unit="1", group="drug:testosterone",
      description="testosterone mass fraction of the undecanoate ester", source="Nebido SmPC: 1000 mg TU = 631.5 mg T"),
    # ---------------------------------------------------------------- observation model (calibration)
    # log-scale SD of one morning measurement around the man's true level: within-subject biological
    # variation with the assay's own variation
    P(name="lab_cv_total_testosterone", value=0.16, unit="1", group="observation",
      description="within-subject variation of one morning total T",
      source="CVI 16% (Bayesian model), Guldhaug NA et al., within-subject biological variation of endocrine biomarkers (30 healthy volunteers sampled weekly for 10 weeks)"),
    P(name="lab_cv_free_testosterone", value=0.16, unit="1", group="observation",
      description="within-subject variation of free T (calculated from total T and SHBG, dominated by total T)",
      source="as total T (Guldhaug et al. CVI 16%); SHBG adds 7.4% in quadrature at most"),
    P(name="lab_cv_lh", value=0.26, unit="1", group="observation", description="within-subject variation of LH in men",
      source="CVI 26% in men, Guldhaug et al. (as total T)"),
    P(name="lab_cv_fsh", value=0.08, unit="1", group="observation", description="within-subject variation of FSH in men",
      source="CVI 8% in men, Guldhaug et al. (as total T)"),
    P(name="lab_cv_estradiol", value=0.14, unit="1", group="observation", description="within-subject variation of E2 in men",
      source="CVI 14% in men, Guldhaug et al. (as total T)"),
    P(name="lab_cv_shbg", value=0.074, unit="1", group="observation", description="within-subject variation of SHBG",
      source="CVI 7.4%, Guldhaug et al. (as total T)"),
    P(name="lab_cv_inhibin_b", value=0.10, unit="1", group="observation", description="within-subject variation of inhibin B",
      source="Andersson AM et al. J Clin Endocrinol Metab 2003;88:932 (monthly samples over 17 months: 10%, assay included)"),
    P(name="lab_cv_sperm_concentration", value=0.46, unit="1", group="observation",
      description="within-subject variation of sperm concentration between ejaculates",
      source="CVw 45.8% in normal donors, Keel BA. Fertil Steril 2006;85:128"),
    P(name="lab_cv_total_sperm_count", value=0.55, unit="1", group="observation",
      description="within-subject variation of total sperm count", source="CV 0.55 (36 normal men, 220 ejaculates), Schwartz D et al. J Reprod Fertil 1979;57(2)"),
    P(name="lab_cv_total_motile_count", value=0.73, unit="1", group="observation",
      description="within-subject variation of total motile count",
      source="CVw 0.73 in men of infertile couples (436 men x 5 ejaculates): Within-subject variation of seminal parameters in men with infertile marriages (IUI programme study)"),
    P(name="calibration_prior_log_sd_spermatogenic_efficiency", value=2.0, unit="1", group="observation",
      description="log-scale SD of the prior of spermatogenic efficiency (wider: sperm output varies most between men)",
      source="sperm concentration spans two orders of magnitude between men (WHO 2010 reference men 5th-95th centile "
             "15-213 M/mL, Cooper 2010; oligozoospermic men far below); modelling choice checked by benchmarks/calibration.py"),
    P(name="calibration_prior_log_sd", value=1.0, unit="1", group="observation",
      description="log-scale SD of the prior of each fitted patient parameter around its phenotype's value",
      source="modelling choice, weakly informative (x/e 2.7 at one SD); checked by the calibration coverage test (benchmarks/calibration.py)"),

)

TABLE: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in _ROWS})
if len(TABLE) != len(_ROWS):  # pragma: no cover - guards the table itself
    raise RuntimeError("duplicate parameter names in the parameter table")


def names(group: str | None = None, *, patient: bool | None = None) -> list[str]:
    """Parameter names, optionally of one group and/or only the per-patient ones."""
    return [p.name for p in _ROWS if (group is None or p.group == group) and (patient is None or p.patient == patient)]


def get(name: str) -> Parameter:
    """The parameter called ``name``."""
    try:
        return TABLE[name]
    except KeyError:
        raise KeyError(f"unknown parameter '{name}'") from None


def clip(name: str, value: float) -> float:
    """``value`` held inside the allowed range of parameter ``name`` (its lower/upper bounds, where given)."""
    p = get(name)
    lo = p.lower if p.lower is not None else -math.inf
    hi = p.upper if p.upper is not None else math.inf
    return float(min(max(value, lo), hi))


def values() -> dict[str, float]:
    """All parameter values by name (a fresh dict: callers may override entries)."""
    return {p.name: p.value for p in _ROWS}


def to_markdown() -> str:
    """The table as Markdown, grouped (``docs/parameters.md`` is generated from this)."""
    lines = ["| name | value | unit | patient | description | source |", "|---|---|---|---|---|---|"]
    for p in sorted(TABLE.values(), key=lambda p: (p.group, p.name)):
        lines.append(f"| `{p.name}` | {p.value:.4g} | {p.unit} | {'yes' if p.patient else ''} | {p.description} | {p.source} |")
    return "\n".join(lines) + "\n"
