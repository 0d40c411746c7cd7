"""The averaged/pulsatile HPG model: state layout, derived constants, right-hand side, observables.

Time is in hours. Concentrations inside the model: LH and FSH IU/L, T and ITT nmol/L (ITT algebraic), E2 nmol/L
(algebraic), SHBG nmol/L, inhibin B pg/mL; germ-cell and epididymal stages are contents relative
to the reference man's first stage.

Layers (DESIGN section 3):

* hypothalamus - GnRH pulse frequency ``f = fmax c / (1 + xT FT/FT0 + xE H(e))`` slowed by the
  estrogen signal ``e`` (plasma E2 and local aromatisation of free T, both seen through
  ``1 - ER occupancy``) and by cortisol ``c``; ``xT`` (androgen receptor acting without
  aromatisation) is 0: with aromatase blocked, physiological T no longer restrains LH (Schnorr
  2001).  The estrogen signal acts through a receptor-like transduction
  ``H(e) = e^n (1 + K^n) / (K^n + e^n)`` (1 at reference), steep below the reference and saturating
  above it: removing most of it (letrozole) raises LH nearly as much as castration (T'Sjoen 2005:
  LH +339%; castration about x3-4), removing a third of it (anastrozole) far less (LH x1.5-2).
  Pulse mass is set by ``gnrh_drive``. The
  estrogen signal integrated over days (``steroid_hyp``) sets the activity of the pulse
  generator (frequency and mass of its pulses): flat near the reference, it shuts the generator
  down under supraphysiological T (aromatised, locally and in plasma), but not when T rises
  because an aromatase inhibitor or a SERM removed the estrogen signal (T'Sjoen 2005: LH +339%
  with T +146% on letrozole).  The same integrated estrogen signal ``s`` also scales the mass of
  each pulse, ``m (1 + z) / (1 + z s)`` (1 at reference): clomiphene doubles LH pulse amplitude
  while blunting the pituitary response to GnRH (JCEM 1979;48:315), so a SERM or an aromatase
  inhibitor enlarges the pulses; in a man with low drive (secondary hypogonadism, log-linear
  occupancy) this passes almost fully into LH.  In the
  averaged mode the receptor occupancy of a train of pulses is averaged exactly,
  ``occ = f ln(1 + mass) / kG``; in the pulsatile mode portal GnRH jumps by ``mass`` at each pulse.
* pituitary - GnRH-receptor responsiveness ``R`` desensitised by sustained occupancy (filtered
  occupancy ``O`` through a steep Hill), GnRH-receptor number ``N``, LH synthesis into a pool
  released by each pulse, FSH synthesised and secreted constitutively, inhibin B and estrogen
  feedback; synthesis and release follow the receptor signal ``N R occupancy``.  Men differ in their
  gonadotroph reserve, the LH and FSH made per unit of that signal (``gonadotroph_reserve``, spread between men
  with congenital HH, whose pump response varies several-fold: Mao 2018).  Estradiol lowers the
  LH and FSH made per unit of GnRH-receptor signal, ``1 / (1 + y H(e))``, not the small GnRH-independent
  (basal) output: in GnRH-deficient men on fixed GnRH pulses E2 lowers the LH response to each pulse
  (Finkelstein 1991, Pitteloud 2008) and letrozole raises the LH response to a GnRH bolus (+152%,
  T'Sjoen 2005).  GnRH antagonists
  compete with GnRH (and agonists) for the receptor: they divide its affinity by ``1 + C/Kd``, so
  occupancy falls most where it was furthest from saturation, and more GnRH (the castrate man's
  faster, larger pulses) partly overcomes them; the receptors they occupy are also lost (Halmos 1996,
  Pinski 1996), so ``N`` falls within hours of an antagonist and returns over days after it,
  which keeps LH suppressed against that rise in GnRH (Klotz 2008 CS21: 97% castrate on degarelix).
* testis - Leydig T production ``b Lmax H(LH + hCG-equivalent)`` (Tornoe 2007; Tornoe's LH-independent ``b``,
  the castrate level, is made outside the testis from adrenal precursors: ``t_extragonadal``, a constant
  production, Oefelein 2000) scaled by
  Leydig capacity, age, desensitisation ``D`` (a steep function of LH-receptor stimulation that
  only supraphysiological hCG reaches), an LH-dependent trophic state ``Z`` (Leydig atrophy
  over weeks without LH) and the circadian rhythm, with the LH-stimulated part also scaled by the
  Leydig mass ``M``: lost over weeks when LH-receptor stimulation falls far below the reference
  (androgen deprivation, suppression by exogenous T), regrown over months to years in proportion to
  the stimulation and more slowly with age, so T recovers long after LH when a GnRH analogue is
  stopped (Kaku 2006: LH normal within 3 months, T after a median 24 months), and by the Leydig-cell
  number, lost towards the same target over months of deprivation and regrown within weeks in the young
  (congenital HH on GnRH or hCG) but over years at 70 (a steeper age dependence than the mass), so recovery
  after 18 months of deprivation takes about twice as long as after 6 (Nabid 2023); intratesticular T at
  quasi-steady state, ``ITT = T + P_T / CL_testis`` (the testicular T pool turns over at least 20
  times a day, Oettel review, parameter book A2: far faster than any forcing of the averaged mode);
  inhibin B from Sertoli cells driven by FSH and germ cells; spermatogenesis as a delay chain
  fed by FSH and ITT support with hormone-withdrawal germ-cell loss, then epididymal transit; the
  chain's entry is gated by a spermatogonial reserve that grows logistically (by proliferation)
  while support lasts and shrinks towards a stem-cell floor without it: a man who never had
  gonadotropins (congenital HH) starts from the floor and needs months of treatment before sperm
  appear (median 5-7 months), a man after long suppression recovers more slowly than after a short one.
  Men differ in their Sertoli complement (testis size), in the germ-cell output per Sertoli cell, in
  how fast their reserve proliferates and in the ITT their spermatogenesis needs (``sperm_itt_k``,
  per man: support is normalised to the support of the typical man at the reference ITT and FSH, so
  a man who needs several times the typical ITT makes little sperm at a normal ITT and gains
  several-fold when an aromatase inhibitor or hCG raises it, while most men, up to about three times
  the typical requirement, keep >= 95% of full androgen support at the reference ITT): a third of
  men stay oligozoospermic rather than azoospermic on testosterone, men with congenital HH range
  from no sperm after two years to normal counts, and the infertile phenotypes' high requirement
  gives the several-fold sperm gains of oligozoospermic men on letrozole.
* aromatase - peripheral conversion of T scaled by fat mass (Deurenberg 1991 body-fat equation),
  testicular E2 secretion; both reduced by aromatase-inhibitor occupancy.
* binding - SHBG (age, BMI, androgen effect) and Vermeulen free / bioavailable T.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from hpgsim import parameters
from hpgsim.physiology.binding import albumin_term, free_t_core, free_testosterone
from hpgsim.units import MOLAR_MASS

# nmol/L -> clinical units, from the molar masses of the units module
PGML_PER_NMOLL_T = MOLAR_MASS["testosterone"]  # nmol/L x g/mol = pg/mL
NGDL_PER_NMOLL_T = MOLAR_MASS["testosterone"] / 10.0  # pg/mL -> ng/dL
PGML_PER_NMOLL_E2 = MOLAR_MASS["estradiol"]

__all__ = ["STATES", "EFFECTS", "Effects", "Constants", "derive", "rhs", "observables", "steady_state_guess",
           "fat_mass_kg", "circadian_amplitude"]

N_GERM = 10  # spermatogenesis_stages (checked against the table in derive)
N_EPI = 3
STATES: tuple[str, ...] = (
    "gnrh_portal",  # pulsatile mode only: portal GnRH in multiples of its EC50
    "gnrhr",  # GnRH-receptor responsiveness (1 = fully responsive)
    "gnrhr_number",  # GnRH-receptor number (1 = reference man), lost while antagonists occupy the receptors
    "gnrh_occ_filtered",  # sustained (filtered) receptor occupancy
    "lh_pool",  # releasable LH, IU/L-equivalent
    "lh",  # serum LH, IU/L
    "fsh",  # serum endogenous FSH, IU/L
    "t",  # serum total testosterone, nmol/L
    "shbg",  # nmol/L
    "inhibin_b",  # pg/mL
    "leydig_resp",  # Leydig responsiveness (1 = not desensitised)
    "leydig_trophic",  # LH-dependent Leydig steroidogenic mass (1 = reference man)
    "leydig_mass",  # Leydig-cell mass behind LH-stimulated T (1 = reference man): lost without LH, regrown slowly
    "leydig_number",  # Leydig-cell number (1 = reference man): lost over months without LH, regrown in weeks when young, over years at 70
    "steroid_hyp",  # estrogen signal integrated by the hypothalamus (1 = reference man)
    "steroid_fb",  # estrogen signal as the feedback on GnRH frequency and LH/FSH synthesis sees it (1 = reference man)
    "sg_reserve",  # spermatogonial reserve feeding the germ-cell chain (1 = reference man)
    *(f"germ{i}" for i in range(N_GERM)),
    *(f"epi{i}" for i in range(N_EPI)),
)
IDX = {n: i for i, n in enumerate(STATES)}
I_GERM0 = IDX["germ0"]
I_EPI0 = IDX["epi0"]

EFFECTS: tuple[str, ...] = (
    "aromatase_inhibition",  # fractional inhibition of aromatase (0-1)
    "er_occupancy",  # estrogen-receptor occupancy by antagonists at hypothalamus/pituitary (0-1)
    "er_agonism",  # estrogen-like signal from partial agonists, x reference signal
    "gnrh_agonist_occupancy",  # GnRH-receptor occupancy by exogenous agonists (0-1)
    "gnrh_antagonism",  # antagonists' fractional cut of the reference man's GnRH-receptor occupancy (0-1)
    "lh_activity",  # LH-receptor agonism of hCG, IU/L LH-equivalents
    "exogenous_lh",  # LH from hMG (measured as LH), IU/L
    "exogenous_fsh",  # FSH from rFSH/hMG (measured as FSH), IU/L
    "t_input",  # testosterone entering serum from exogenous products, nmol/h
)


@dataclass(frozen=True, slots=True)
class Effects:
    """Drug actions at their physiological targets; each a float or an array over patients."""

    values: Mapping[str, object] = field(default_factory=dict)

    def get(self, name: str):
        return self.values.get(name, 0.0)


def fat_mass_kg(bmi, age, height_m):
    """Fat mass from BMI and age: Deurenberg P et al. Br J Nutr 1991;65:105 (men: sex = 1).

    ``BF% = 1.20 BMI + 0.23 age - 10.8 - 5.4``; weight = BMI x height^2.
    """
    bf = np.clip(1.20 * np.asarray(bmi) + 0.23 * np.asarray(age) - 16.2, 3.0, 70.0) / 100.0
    return bf * np.asarray(bmi) * height_m**2


def circadian_amplitude(age, p: Mapping[str, float]):
    """Relative amplitude of the serum-T circadian rhythm, falling linearly from 35 to 70 years."""
    a_young, a_70 = p["circadian_amplitude_young"], p["circadian_amplitude_70"]
    frac = np.clip((np.asarray(age, dtype=float) - 35.0) / 35.0, 0.0, None)
    return np.maximum(a_young + (a_70 - a_young) * frac, 0.0)


@dataclass(frozen=True, slots=True)
class Constants:
    """Derived rate constants of one patient (or arrays over a batch of patients)."""

    c: Mapping[str, object]
    packed: np.ndarray = field(init=False, repr=False)  # the KEYS of ``c`` as one array (see pack_constants)

    def __post_init__(self) -> None:
        object.__setattr__(self, "packed", pack_constants(self.c))

    def __getitem__(self, k):
        return self.c[k]


def derive(p: Mapping[str, object], *, age, bmi) -> Constants:
    """Turn the parameter table (with a patient's overrides) into the model's rate constants.

    Scale constants are set by the reference man (``ref_*`` rows at ``ref_age``/``ref_bmi``, all
    patient factors 1): this closed-form derivation solves them for his steady state without the
    circadian rhythm.  The rhythm, passed through the nonlinear Leydig response and the (lagged)
    steroid feedback, moves his 08:00 labs a few per cent off the reference values (T +3%, LH -6%,
    FSH +3%); :func:`hpgsim.simulate.constants`, which every simulation uses, corrects the scales for
    it with the engine.  The patient's own covariates and factors then act through the mechanisms.
    """
    if int(p["spermatogenesis_stages"]) != N_GERM:
        raise ValueError("spermatogenesis_stages must equal the compiled chain length")
    ln2 = math.log(2.0)
    c: dict[str, object] = {}
    # --- serum T kinetics and circadian rhythm
    k_t = ln2 / p["t_half_life"]
    cl_t = p["t_clearance"] / 24.0  # L/h
    c["k_t"], c["cl_t"], c["v_t"] = k_t, cl_t, cl_t / k_t
    omega = 2.0 * math.pi / 24.0
    amp_ref = float(circadian_amplitude(p["ref_age"], p))
    gain = math.sqrt(1.0 + (omega / k_t) ** 2)
    lag = math.atan(omega / k_t) / omega
    c["omega"] = omega
    c["circ_amp"] = np.minimum(circadian_amplitude(age, p) * gain, 0.95)
    c["circ_phase"] = p["circadian_peak_hour"] - lag
    # the circadian rhythm is the testis's: the extragonadal part of serum T is flat
    t_extra = p["t_extragonadal"] / NGDL_PER_NMOLL_T
    t_mean_ref = (p["ref_total_t_0800"] / NGDL_PER_NMOLL_T - t_extra) / (1.0 + amp_ref) + t_extra  # nmol/L
    c["t_ref"] = t_mean_ref
    # extragonadal T (adrenal precursors converted peripherally): a constant production, not driven by LH;
    # the testis makes the rest of the reference man's T
    c["p_extra"] = cl_t * t_extra  # nmol/h
    pt_ref = cl_t * t_mean_ref - c["p_extra"]  # testicular T production of the reference man, nmol/h
    h_ref = float(_hill_core(p["ref_lh"], p["leydig_l50"], p["leydig_hill"]))
    # Tornoe's T production b (1 + Lmax H(LH)): its LH-independent part b (T at LH 0, 1/(1 + Lmax H) of baseline,
    # 10-20 ng/dL) is the castrate level, made outside the testis (t_extragonadal); the testis makes b Lmax H(LH)
    c["leydig_basal"] = pt_ref / (p["leydig_lmax"] * h_ref)
    c["lmax"], c["l50"], c["lhill"] = p["leydig_lmax"], p["leydig_l50"], p["leydig_hill"]
    c["leydig_scale"] = np.asarray(p["leydig_capacity"]) * np.maximum(
        1.0 - p["leydig_age_decline"] * np.maximum(np.asarray(age, dtype=float) - 40.0, 0.0), 0.05)
    c["h_ref"] = h_ref
    c["z_k"] = p["leydig_trophic_k"] * h_ref
    c["k_z"] = ln2 / p["leydig_trophic_half_life"]
    c["k_mup"] = ln2 / p["leydig_mass_regrowth_half_life"] * 2.0 ** (
        -(np.asarray(age, dtype=float) - p["ref_age"]) / p["leydig_mass_regrowth_age_halving"])
    c["k_mdn"] = ln2 / p["leydig_mass_loss_half_life"]
    c["k_nup"] = ln2 / p["leydig_number_regrowth_half_life"] * 2.0 ** (
        -(np.asarray(age, dtype=float) - p["ref_age"]) / p["leydig_number_regrowth_age_halving"])
    c["k_ndn"] = ln2 / p["leydig_number_loss_half_life"]
    c["m_k4"] = p["leydig_mass_k"] ** 4
    c["inv_lh_ref"] = 1.0 / p["ref_lh"]
    c["k_ldes"] = p["leydig_desens_rate"]
    c["ldes_k"], c["ldes_n"] = p["leydig_desens_k"], p["leydig_desens_hill"]
    c["ldes_k_n"] = p["leydig_desens_k"] ** p["leydig_desens_hill"]
    c["k_lrec"] = ln2 / p["leydig_recovery_half_life"]
    # --- intratesticular T
    c["cl_testis"] = pt_ref / (t_mean_ref * (p["itt_serum_ratio"] - 1.0))
    c["itt_ref"] = t_mean_ref * p["itt_serum_ratio"]
    # --- binding
    kw = dict(k_shbg=p["k_shbg_t"], k_alb=p["k_alb_t"], albumin_mw=p["albumin_mw"])
    c["bind"] = kw
    c["albumin"] = p["albumin"]
    c["alb_n"] = albumin_term(p["albumin"], p["k_alb_t"], p["albumin_mw"])
    c["k_bind"] = p["k_shbg_t"]
    ft_ref = float(free_testosterone(t_mean_ref, p["ref_shbg"], parameters.get("albumin").value, **kw))
    c["ft_ref"] = ft_ref
    c["k_shbg"] = ln2 / p["shbg_half_life"]
    shbg_cov = (1.0 + p["shbg_age_slope"] * (np.asarray(age, dtype=float) - p["ref_age"])) * np.maximum(
        1.0 - p["shbg_bmi_slope"] * (np.asarray(bmi, dtype=float) - p["ref_bmi"]), 0.2)
    c["shbg_target"] = p["ref_shbg"] * np.asarray(p["shbg_production"]) * np.maximum(shbg_cov, 0.2)
    c["shbg_androgen_exp"] = -math.log2(1.0 - p["shbg_androgen_effect"])
    # --- aromatase and E2 (nmol/L, algebraic)
    fm_ref = float(fat_mass_kg(p["ref_bmi"], p["ref_age"], p["ref_height"]))
    fm = fat_mass_kg(bmi, age, p["ref_height"])
    rho = p["t_to_e2_peripheral"]
    share = p["e2_testicular_share"]
    e2_periph_ref = rho * cl_t * t_mean_ref  # nmol/h
    e2_testis_ref = e2_periph_ref * share / (1.0 - share)
    cl_e2 = p["e2_clearance"] / 24.0
    c["e2_ref"] = (e2_periph_ref + e2_testis_ref) / cl_e2
    c["e2_periph_k"] = rho * cl_t * np.asarray(p["aromatase_activity"]) * fm / fm_ref / cl_e2  # E2 per unit T
    c["e2_testis_k"] = e2_testis_ref / pt_ref * np.asarray(p["aromatase_activity"]) / cl_e2  # E2 per unit T production
    c["local_arom"] = p["local_aromatization"]
    # --- hypothalamus
    c["f_max"] = p["gnrh_freq_max"]
    c["x_t"], c["x_e"] = p["gnrh_freq_t_inhibition"], p["gnrh_freq_e2_inhibition"]
    # estrogen-receptor transduction of the estrogen signal: H(e) = e^n (1 + K^n) / (K^n + e^n), 1 at reference
    c["e2_fb_k"], c["e2_fb_n"] = p["e2_feedback_k"], p["e2_feedback_hill"]
    c["e2_fb_k_n"] = p["e2_feedback_k"] ** p["e2_feedback_hill"]
    c["e2_fb_norm"] = 1.0 + c["e2_fb_k_n"]
    c["gen_k"], c["gen_n"] = p["gnrh_generator_feedback_k"], p["gnrh_generator_feedback_hill"]
    c["gen_norm"] = 1.0 + (1.0 / p["gnrh_generator_feedback_k"]) ** p["gnrh_generator_feedback_hill"]
    c["k_hyp"] = 1.0 / p["gnrh_generator_feedback_tau"]
    c["k_fb"] = 1.0 / p["steroid_feedback_tau"]
    c["cort"] = 1.0 / (1.0 + p["cortisol_freq_slope"] * (np.asarray(p["cortisol"], dtype=float) - 1.0))
    c["k_g"] = ln2 / (p["gnrh_half_life"] / 60.0)
    c["m"] = p["gnrh_pulse_peak"] * np.asarray(p["gnrh_drive"], dtype=float)
    c["z_e"] = p["gnrh_pulse_e2_inhibition"]
    f_ref = p["gnrh_freq_max"] / (1.0 + p["gnrh_freq_t_inhibition"] + p["gnrh_freq_e2_inhibition"])
    c["f_ref"] = f_ref
    occ_ref = f_ref * math.log1p(p["gnrh_pulse_peak"]) / c["k_g"]
    c["occ_ref"] = occ_ref
    # --- pituitary
    c["k_f"] = ln2 / p["gnrh_signal_tau"]
    c["k_rrec"] = ln2 / p["gnrhr_recovery_half_life"]
    c["k_rdes"] = p["gnrhr_desensitisation_rate"]
    c["m_ref"] = p["gnrh_pulse_peak"]
    c["k_n"] = ln2 / p["gnrhr_number_half_life"]
    c["n_loss"] = p["gnrhr_antagonist_loss"]
    c["rdes_k"], c["rdes_n"] = p["gnrhr_desensitisation_threshold"], p["gnrhr_desensitisation_hill"]
    r_ref = c["k_rrec"] / (c["k_rrec"] + c["k_rdes"] * float(_hill_core(occ_ref, c["rdes_k"], c["rdes_n"])))
    c["sig_ref"] = r_ref * occ_ref
    c["ke_lh"] = ln2 / p["lh_half_life"]
    c["ke_fsh"] = ln2 / p["fsh_half_life"]
    basal = p["gonadotroph_basal"]
    c["basal"] = basal
    k_sl = p["lh_synthesis_k"]
    c["k_sl"] = k_sl
    c["y_l"], c["y_f"] = p["pit_e2_inhibition_lh"], p["pit_e2_inhibition_fsh"]
    # estradiol scales the GnRH-driven synthesis, not the basal one: reference synthesis basal + 1 / ((1 + k) (1 + y))
    c["syn_lh"] = c["ke_lh"] * p["ref_lh"] / (basal + 1.0 / ((1.0 + k_sl) * (1.0 + c["y_l"])))
    # release: fraction per reference pulse -> first-order rate at the reference signal
    c["k_rel"] = p["lh_release_fraction"] * f_ref / (basal + 1.0)
    k_sf = p["fsh_synthesis_k"]
    c["k_sf"] = k_sf
    c["ib_k"], c["ib_n"] = p["inhibin_fsh_k"], p["inhibin_fsh_hill"]
    ib_fb_ref = 1.0 / (1.0 + (p["ref_inhibin_b"] / p["inhibin_fsh_k"]) ** p["inhibin_fsh_hill"])
    c["syn_fsh"] = c["ke_fsh"] * p["ref_fsh"] / ((basal + 1.0 / ((1.0 + k_sf) * (1.0 + c["y_f"]))) * ib_fb_ref)
    # the man's gonadotroph reserve: LH and FSH made per unit of GnRH-receptor signal (1 = reference man)
    c["gn_reserve"] = np.asarray(p["gonadotroph_reserve"], dtype=float)
    # --- inhibin B
    c["k_ib"] = ln2 / p["inhibin_half_life"]
    c["ib_fsh_k"] = p["inhibin_fsh_stim_k"]
    c["ib_germ"] = p["inhibin_germ_share"]
    c["ib_scale"] = p["ref_inhibin_b"] * (p["ref_fsh"] + p["inhibin_fsh_stim_k"]) / p["ref_fsh"]
    c["sertoli"] = np.asarray(p["sertoli_capacity"], dtype=float)
    # --- spermatogenesis
    k_tr = N_GERM / (p["spermatogenesis_days"] * 24.0)
    c["k_tr"] = k_tr
    q = (1.0 - p["germ_cell_loss_reference"]) ** (1.0 / N_GERM)
    c["k_a0"] = k_tr * (1.0 / q - 1.0)
    c["k_aw"] = p["germ_cell_withdrawal_loss"] / 24.0
    c["k_epi"] = N_EPI / (p["epididymal_transit_days"] * 24.0)
    c["a_itt"], c["a_fsh"] = p["sperm_support_itt_alone"], p["sperm_support_fsh_alone"]
    c["sp_itt_k"], c["sp_itt_n"] = np.asarray(p["sperm_itt_k"], dtype=float), p["sperm_itt_hill"]
    c["sp_fsh_k"], c["sp_fsh_n"] = p["sperm_fsh_k"], p["sperm_fsh_hill"]
    c["l50_n"] = c["l50"] ** c["lhill"]
    c["rdes_k_n"] = c["rdes_k"] ** c["rdes_n"]
    c["sp_itt_k_n"] = c["sp_itt_k"] ** c["sp_itt_n"]
    c["sp_fsh_k_n"] = c["sp_fsh_k"] ** c["sp_fsh_n"]
    # support of the reference man (the population's typical androgen requirement) at the reference ITT and FSH: a
    # man who needs more ITT than the typical man (sperm_itt_k above the table's value) makes less sperm at the same
    # ITT and gains when ITT rises (an aromatase inhibitor, hCG); for most men (sperm_itt_k up to ~0.35) the
    # reference ITT still gives >= 0.95 of full androgen support
    k_typ = {i: c[n] for i, n in enumerate(KEYS) if n in c}
    k_typ[KEYS.index("sp_itt_k_n")] = parameters.get("sperm_itt_k").value ** c["sp_itt_n"]
    c["support_ref"] = float(_support_core(1.0, p["ref_fsh"], k_typ))
    # the reserve's proliferation slows with age above the reference age (halving every
    # spermatogonial_regrowth_age_halving years): older men recover sperm more slowly after suppression
    c["sg_r"] = ln2 / (np.asarray(p["spermatogonial_doubling_days"], dtype=float) * 24.0) * 2.0 ** (
        -np.maximum(np.asarray(age, dtype=float) - p["ref_age"], 0.0) / p["spermatogonial_regrowth_age_halving"])
    c["sg_kw"] = ln2 / (p["spermatogonial_withdrawal_half_life"] * 24.0)
    c["sg_floor"] = p["spermatogonial_floor"]
    c["germ_ref"] = np.array([q**i for i in range(N_GERM)])
    c["germ_ref_mean"] = float(c["germ_ref"].mean())
    out_ref = k_tr * q**N_GERM  # flux into the epididymis at reference (per unit stage-1 content)
    c["epi_ref"] = out_ref / c["k_epi"]
    c["tsc_ref"] = p["ref_sperm_concentration"] * parameters.get("semen_volume").value  # reference man's volume
    c["semen_volume"] = np.asarray(p["semen_volume"], dtype=float)
    c["sperm_eff"] = np.asarray(p["spermatogenic_efficiency"], dtype=float)
    c["motility"] = np.asarray(p["motility_fraction"], dtype=float)
    return Constants(c)


# ----------------------------------------------------------------------------- the compiled core
#
# The right-hand side and the observables are written once, as "core" functions over packed
# arrays: ``y`` (states), ``k`` (the constants of KEYS) and ``e`` (the drug effects of EFFECTS),
# each indexed on its first axis by the named indices S, K and E.  With arrays of shape
# (n_states, n_patients) they run vectorised in NumPy; the batched engine compiles the very same
# functions with numba and calls them one patient at a time (1-D arrays, scalar rows).  They use
# only arithmetic and ufuncs that both accept.

KEYS: tuple[str, ...] = (
    "k_t", "v_t", "p_extra", "omega", "circ_amp", "circ_phase", "t_ref", "leydig_basal", "lmax", "l50", "lhill",
    "leydig_scale", "h_ref", "z_k", "k_z", "k_mup", "k_mdn", "k_nup", "k_ndn", "m_k4", "inv_lh_ref", "k_ldes", "ldes_n", "k_lrec",
    "cl_testis", "itt_ref",
    "alb_n", "k_bind", "ft_ref", "k_shbg", "shbg_target", "shbg_androgen_exp", "e2_ref", "e2_periph_k",
    "e2_testis_k", "local_arom", "f_max", "x_t", "x_e", "e2_fb_n", "e2_fb_norm", "gen_k", "gen_n", "gen_norm",
    "k_hyp", "k_fb", "cort", "k_g", "z_e",
    "m", "k_f", "k_rrec", "k_rdes", "k_n", "n_loss", "m_ref", "rdes_k", "rdes_n", "sig_ref", "ke_lh", "ke_fsh",
    "basal", "k_sl", "y_l",
    "y_f", "syn_lh", "k_rel", "k_sf", "ib_k", "ib_n", "syn_fsh", "k_ib", "ib_fsh_k", "ib_germ", "ib_scale",
    "sertoli", "k_tr", "k_a0", "k_aw", "k_epi", "a_itt", "a_fsh", "sp_itt_k", "sp_itt_n", "sp_fsh_k",
    "sp_fsh_n", "support_ref", "germ_ref_mean", "epi_ref", "tsc_ref", "semen_volume", "motility",
    # half-saturation constants raised to their Hill exponents (one power less per evaluation)
    "l50_n", "rdes_k_n", "sp_itt_k_n", "sp_fsh_k_n", "sperm_eff", "ldes_k_n", "e2_fb_k_n",
    "sg_r", "sg_kw", "sg_floor", "gn_reserve",
)
S = namedtuple("S", STATES)(*range(len(STATES)))
K = namedtuple("K", KEYS)(*range(len(KEYS)))
E = namedtuple("E", EFFECTS)(*range(len(EFFECTS)))
# the canonical observables (FORMAT.md) in the order observables_core writes them, with their units
OBSERVABLE_UNITS: Mapping[str, str] = {
    "total_testosterone": "ng/dL", "free_testosterone": "pg/mL", "bioavailable_testosterone": "ng/dL",
    "lh": "IU/L", "fsh": "IU/L", "estradiol": "pg/mL", "shbg": "nmol/L", "inhibin_b": "pg/mL",
    "intratesticular_testosterone": "nmol/L", "sperm_concentration": "M/mL", "total_sperm_count": "M",
    "total_motile_count": "M", "t_e2_ratio": "1", "t_lh_ratio": "1",
}
OBS: tuple[str, ...] = tuple(OBSERVABLE_UNITS)


def pack_constants(c: Mapping[str, object]) -> np.ndarray:
    """The constants of KEYS as one array: (n_keys,) for one man, (n_keys, n) for a cohort."""
    cols = np.broadcast_arrays(*[np.asarray(c[k], dtype=float) for k in KEYS])
    return np.array(cols, dtype=float)


def pack_effects(eff: "Effects") -> np.ndarray:
    """The drug effects of EFFECTS as one array (n_effects, ...) broadcast to a common shape."""
    return np.array(np.broadcast_arrays(*[np.asarray(eff.get(n), dtype=float) for n in EFFECTS]), dtype=float)


def _hill_core(x, k, n):
    xn = np.maximum(x, 0.0) ** n
    return xn / (k**n + xn)


def _pow(x, n):
    """``x ** n`` (the compiled engine substitutes multiplications for the integer and half-integer exponents)."""
    return x**n


def _hill_kn(x, kn, n):
    """Hill function with the half-saturation constant already raised to ``n``."""
    xn = _pow(np.maximum(x, 0.0), n)
    return xn / (kn + xn)


def _signals_core(time_h, y, k, e):
    """Serum T, SHBG, free T, aromatase left, LH-receptor stimulation and its Leydig Hill term, Leydig T
    production (nmol/h), E2 (nmol/L), estrogen signal and its estrogen-receptor transduction ``H(e)``."""
    t = np.maximum(y[S.t], 0.0)
    shbg = np.maximum(y[S.shbg], 0.0)
    ft = free_t_core(t, shbg, k[K.alb_n], k[K.k_bind])
    arom = 1.0 - e[E.aromatase_inhibition]
    stim = np.maximum(y[S.lh], 0.0) + e[E.exogenous_lh] + e[E.lh_activity]
    circ = 1.0 + k[K.circ_amp] * np.cos(k[K.omega] * (time_h - k[K.circ_phase]))
    h_stim = _hill_kn(stim, k[K.l50_n], k[K.lhill])
    p_t = np.maximum(k[K.leydig_basal] * k[K.leydig_scale] * y[S.leydig_resp] * y[S.leydig_trophic]
                     * np.maximum(y[S.leydig_mass], 0.0) * np.maximum(y[S.leydig_number], 0.0) * k[K.lmax] * h_stim
                     * circ, 0.0)
    e2 = arom * (k[K.e2_periph_k] * t + k[K.e2_testis_k] * p_t)
    e_sig = ((1.0 - e[E.er_occupancy]) * (e2 / k[K.e2_ref] + k[K.local_arom] * arom * ft / k[K.ft_ref])
             / (1.0 + k[K.local_arom]) + e[E.er_agonism])
    # the feedback acts through the signal of the last hours (steroid_fb), not the instantaneous one
    e_fb = k[K.e2_fb_norm] * _hill_kn(np.maximum(y[S.steroid_fb], 0.0), k[K.e2_fb_k_n], k[K.e2_fb_n])
    return t, shbg, ft, arom, stim, h_stim, p_t, e2, e_sig, e_fb


def _generator_core(s_hyp, k):
    """Activity of the GnRH pulse generator (1 = reference man) under the integrated sex-steroid signal.

    Near the reference it barely moves; at supraphysiological androgen/estrogen exposure it shuts
    the generator down (fewer and smaller pulses).
    """
    return k[K.gen_norm] / (1.0 + _pow(np.maximum(s_hyp, 0.0) / k[K.gen_k], k[K.gen_n]))


def _pulse_mass_core(s_hyp, gen, k):
    """GnRH mass of a pulse (x EC50): drive x generator activity ``gen``, lowered by the integrated
    estrogen signal ``s_hyp`` (factor 1 at the reference, where ``s_hyp`` = 1)."""
    return k[K.m] * gen * (1.0 + k[K.z_e]) / (1.0 + k[K.z_e] * np.maximum(s_hyp, 0.0))


def _frequency_core(ft, e_fb, gen, k):
    """GnRH pulse frequency (1/h) under free-T and estrogen feedback (``e_fb``: the transduced estrogen signal),
    cortisol and generator activity ``gen``."""
    return (k[K.f_max] * k[K.cort] * gen
            / (1.0 + k[K.x_t] * ft / k[K.ft_ref] + k[K.x_e] * e_fb))


def _support_core(itt_rel, fsh, k):
    g = _hill_kn(itt_rel, k[K.sp_itt_k_n], k[K.sp_itt_n])
    h = _hill_kn(fsh, k[K.sp_fsh_k_n], k[K.sp_fsh_n])
    return k[K.a_itt] * g + k[K.a_fsh] * h + (1.0 - k[K.a_itt] - k[K.a_fsh]) * g * h


def rhs_core(time_h, y, k, e, pulsatile, dy, lam):
    """Write the time derivative of the states into ``dy`` and their first-order loss rates into ``lam``.

    ``lam[i]`` (1/h) is the rate at which a fast state i relaxes on its own (the diagonal of the
    Jacobian): the exponential integrator treats that part exactly.  States slower than about
    0.05/h (SHBG, Leydig adaptation and mass, the hypothalamic steroid signal, germ cells,
    epididymis) get 0 and are advanced by plain RK4, which is accurate for them at 6 h steps; the
    GnRH receptor keeps its rates (desensitisation under an agonist and receptor loss under an
    antagonist are fast).
    """
    t, shbg, ft, arom, stim, h_stim, p_t, e2, e_sig, e_fb = _signals_core(time_h, y, k, e)
    lh, fsh_endo = np.maximum(y[S.lh], 0.0), np.maximum(y[S.fsh], 0.0)
    r, occ_f = y[S.gnrhr], np.maximum(y[S.gnrh_occ_filtered], 0.0)
    s_hyp = y[S.steroid_hyp]
    gen = _generator_core(s_hyp, k)
    freq = _frequency_core(ft, e_fb, gen, k)
    # competitive antagonism: the antagonist divides the affinity of GnRH (and of agonists) by
    # xa1 = 1 + C/Kd, the factor that cuts the reference man's time-averaged occupancy
    # f ln(1 + m_ref/xa1) / k_G by the fraction theta (the antagonist's action, fitted on LH release)
    theta = np.minimum(np.maximum(e[E.gnrh_antagonism], 0.0), 0.999999)
    xa1 = k[K.m_ref] / np.expm1((1.0 - theta) * np.log1p(k[K.m_ref]))
    g = np.maximum(y[S.gnrh_portal], 0.0)
    occ_pulse = g / (xa1 + g)
    occ_avg = np.minimum(freq * np.log1p(_pulse_mass_core(s_hyp, gen, k) / xa1) / k[K.k_g], 1.0)
    occ_endo = pulsatile * occ_pulse + (1.0 - pulsatile) * occ_avg
    occ_ag = e[E.gnrh_agonist_occupancy]
    occ_drug = occ_ag / (occ_ag + (1.0 - occ_ag) * xa1 + 1e-300)
    occ = occ_endo + occ_drug * (1.0 - occ_endo)
    # ---------------- pituitary
    n_r = np.maximum(y[S.gnrhr_number], 0.0)
    sig_slow = n_r * r * occ_f / k[K.sig_ref]  # drives synthesis (integrated signal)
    sig_fast = n_r * r * occ / k[K.sig_ref]  # drives release (each pulse)
    # estradiol lowers the LH and FSH made per unit of GnRH-receptor signal, not the basal output; the man's
    # gonadotroph reserve scales that GnRH-driven output (the response to a GnRH pulse), not the basal one either
    syn_lh = k[K.syn_lh] * (k[K.basal] + k[K.gn_reserve] * sig_slow / ((sig_slow + k[K.k_sl]) * (1.0 + k[K.y_l] * e_fb)))
    k_release = k[K.k_rel] * (k[K.basal] + sig_fast)
    rel_lh = k_release * np.maximum(y[S.lh_pool], 0.0)
    ib = np.maximum(y[S.inhibin_b], 0.0)
    ib_fb = 1.0 / (1.0 + _pow(ib / k[K.ib_k], k[K.ib_n]))
    syn_fsh = (k[K.syn_fsh] * (k[K.basal] + k[K.gn_reserve] * sig_slow / ((sig_slow + k[K.k_sf]) * (1.0 + k[K.y_f] * e_fb)))
               * ib_fb)
    des = k[K.k_rdes] * _hill_kn(occ_f, k[K.rdes_k_n], k[K.rdes_n])
    # ---------------- testis: ITT, inhibin B, spermatogenesis
    itt = t + p_t / k[K.cl_testis]  # quasi-steady state: the testicular pool turns over >= 20 times a day
    fsh_tot = fsh_endo + e[E.exogenous_fsh]
    itt_rel = np.maximum(itt, 0.0) / k[K.itt_ref]
    support = k[K.sertoli] * _support_core(itt_rel, fsh_tot, k) / k[K.support_ref]
    germ_sum = y[S.germ0] * 0.0
    for i in range(N_GERM):
        germ_sum = germ_sum + y[S.germ0 + i]
    germ_frac = germ_sum / N_GERM / k[K.germ_ref_mean]
    ib_target = (k[K.ib_scale] * k[K.sertoli] * fsh_tot / (fsh_tot + k[K.ib_fsh_k])
                 * ((1.0 - k[K.ib_germ]) + k[K.ib_germ] * np.minimum(np.maximum(germ_frac, 0.0), 2.0)))
    deficit = np.minimum(np.maximum(1.0 - support / np.maximum(k[K.sertoli], 1e-9), 0.0), 1.0)
    k_tr = k[K.k_tr]
    loss = k[K.k_a0] + k[K.k_aw] * deficit
    # ---------------- assemble
    dy[S.gnrh_portal] = -pulsatile * k[K.k_g] * y[S.gnrh_portal]
    lam[S.gnrh_portal] = pulsatile * k[K.k_g]
    # sustained occupancy both desensitises the receptor and holds off its recovery (internalised
    # receptors are not replaced while agonist is present): continuous agonist drives R towards 0
    rec = k[K.k_rrec] * (1.0 - des / k[K.k_rdes])
    dy[S.gnrhr] = rec * (1.0 - r) - des * r
    lam[S.gnrhr] = rec + des
    # receptor number: turnover k_n towards 1; receptors occupied by an antagonist (share 1 - 1/xa1 of
    # them without GnRH) are lost n_loss times faster
    n_out = k[K.k_n] * (1.0 + k[K.n_loss] * (1.0 - 1.0 / xa1))
    dy[S.gnrhr_number] = k[K.k_n] - n_out * n_r
    lam[S.gnrhr_number] = n_out
    dy[S.gnrh_occ_filtered] = k[K.k_f] * (occ - occ_f)
    lam[S.gnrh_occ_filtered] = k[K.k_f]
    dy[S.lh_pool] = syn_lh - rel_lh
    lam[S.lh_pool] = k_release
    dy[S.lh] = rel_lh - k[K.ke_lh] * lh
    lam[S.lh] = k[K.ke_lh]
    dy[S.fsh] = syn_fsh - k[K.ke_fsh] * fsh_endo
    lam[S.fsh] = k[K.ke_fsh]
    dy[S.t] = (p_t + k[K.p_extra] + e[E.t_input]) / k[K.v_t] - k[K.k_t] * t
    lam[S.t] = k[K.k_t]
    shbg_target = k[K.shbg_target] * (np.maximum(t, 1e-3) / k[K.t_ref]) ** (-k[K.shbg_androgen_exp])
    dy[S.shbg] = k[K.k_shbg] * (np.minimum(np.maximum(shbg_target, 2.0), 300.0) - shbg)
    lam[S.shbg] = 0.0
    dy[S.inhibin_b] = k[K.k_ib] * (ib_target - ib)
    lam[S.inhibin_b] = k[K.k_ib]
    des_l = k[K.k_ldes] * _hill_kn(stim, k[K.ldes_k_n], k[K.ldes_n])
    dy[S.leydig_resp] = k[K.k_lrec] * (1.0 - y[S.leydig_resp]) - des_l * y[S.leydig_resp]
    lam[S.leydig_resp] = 0.0
    z_target = h_stim * (k[K.h_ref] + k[K.z_k]) / (k[K.h_ref] * (h_stim + k[K.z_k]))
    dy[S.leydig_trophic] = k[K.k_z] * (z_target - y[S.leydig_trophic])
    lam[S.leydig_trophic] = 0.0
    # Leydig mass: its target (1 at the reference) falls steeply once LH-receptor stimulation
    # x = h / h_ref drops far below the reference; above its target the mass is lost at a fixed rate,
    # below it it regrows at a rate proportional to the stimulation in LH-equivalents (hCG regrows it
    # faster than normal LH) that halves with every leydig_mass_regrowth_age_halving years of age
    # x^4: partial LH suppression (x ~0.07, transdermal T) keeps most of the mass, castrate LH (x ~0.03) does not
    x2 = h_stim * h_stim / (k[K.h_ref] * k[K.h_ref])
    x4 = x2 * x2
    m_gap = x4 * (1.0 + k[K.m_k4]) / (k[K.m_k4] + x4) - y[S.leydig_mass]
    dy[S.leydig_mass] = (k[K.k_mup] * stim * k[K.inv_lh_ref] * np.maximum(m_gap, 0.0)
                         + k[K.k_mdn] * np.minimum(m_gap, 0.0))
    lam[S.leydig_mass] = 0.0
    # Leydig-cell number: towards the same target, but lost over months of deprivation (the cells first shrink,
    # leydig_mass) and regrown more slowly the older the man: recovery after a long course is slower than after a short
    n_gap = m_gap + y[S.leydig_mass] - y[S.leydig_number]
    dy[S.leydig_number] = (k[K.k_nup] * stim * k[K.inv_lh_ref] * np.maximum(n_gap, 0.0)
                           + k[K.k_ndn] * np.minimum(n_gap, 0.0))
    lam[S.leydig_number] = 0.0
    # the generator integrates the estrogen signal (plasma E2 and local aromatisation of T): an
    # aromatase inhibitor or a SERM lowers it even while T doubles, supraphysiological T raises it
    dy[S.steroid_hyp] = k[K.k_hyp] * (e_sig - s_hyp)
    lam[S.steroid_hyp] = 0.0
    # the estrogen signal reaches GnRH frequency and gonadotroph synthesis over hours (receptor-mediated
    # transcription): T's circadian rhythm is damped on its way into LH
    dy[S.steroid_fb] = k[K.k_fb] * (e_sig - y[S.steroid_fb])
    lam[S.steroid_fb] = k[K.k_fb]
    # spermatogonial reserve: expands by proliferation (logistic) while hormonal support lasts and
    # shrinks towards a stem-cell floor without it; it gates the entry into the germ-cell chain
    sg = np.maximum(y[S.sg_reserve], 0.0)
    dy[S.sg_reserve] = (k[K.sg_r] * (1.0 - deficit) * sg * (1.0 - sg)
                        - k[K.sg_kw] * deficit * (sg - k[K.sg_floor]))
    lam[S.sg_reserve] = 0.0
    dy[S.germ0] = k_tr * support * sg - (k_tr + loss) * y[S.germ0]
    for i in range(1, N_GERM):
        dy[S.germ0 + i] = k_tr * y[S.germ0 + i - 1] - (k_tr + loss) * y[S.germ0 + i]
    for i in range(N_GERM):
        lam[S.germ0 + i] = 0.0
    dy[S.epi0] = k_tr * k[K.sperm_eff] * y[S.germ0 + N_GERM - 1] - k[K.k_epi] * y[S.epi0]
    for i in range(1, N_EPI):
        dy[S.epi0 + i] = k[K.k_epi] * (y[S.epi0 + i - 1] - y[S.epi0 + i])
    for i in range(N_EPI):
        lam[S.epi0 + i] = 0.0


def observables_core(time_h, y, k, e, out):
    """Write the canonical observables (OBS order, clinical units) into ``out``."""
    t, shbg, ft, arom, stim, h_stim, p_t, e2, e_sig, e_fb = _signals_core(time_h, y, k, e)
    tsc = k[K.tsc_ref] * np.maximum(y[S.epi0 + N_EPI - 1], 0.0) / k[K.epi_ref]
    total_t = t * NGDL_PER_NMOLL_T
    e2_pg = e2 * PGML_PER_NMOLL_E2
    lh_meas = np.maximum(y[S.lh], 0.0) + e[E.exogenous_lh]
    out[0] = total_t
    out[1] = ft * PGML_PER_NMOLL_T
    out[2] = ft * k[K.alb_n] * NGDL_PER_NMOLL_T
    out[3] = lh_meas
    out[4] = np.maximum(y[S.fsh], 0.0) + e[E.exogenous_fsh]
    out[5] = e2_pg
    out[6] = shbg
    out[7] = np.maximum(y[S.inhibin_b], 0.0)
    out[8] = np.maximum(t + p_t / k[K.cl_testis], 0.0)
    out[9] = tsc / k[K.semen_volume]
    out[10] = tsc
    out[11] = tsc * k[K.motility]
    out[12] = total_t / np.maximum(e2_pg, 1e-6)
    out[13] = total_t / np.maximum(lh_meas, 1e-6)


def _packed(c: "Constants", eff: "Effects"):
    return c.packed, pack_effects(eff)


def rhs(time_h, y, c: Constants, eff: Effects, pulsatile: bool = False):
    """Time derivative of the physiology states (``y`` of shape (n_states,) or (n_states, n))."""
    k, e = _packed(c, eff)
    y = np.asarray(y, dtype=float)
    dy = np.empty((len(STATES),) + np.broadcast_shapes(y.shape[1:], np.shape(k)[1:], np.shape(e)[1:]))
    lam = np.empty_like(dy)
    rhs_core(np.asarray(time_h, dtype=float), y, k, e, 1.0 if pulsatile else 0.0, dy, lam)
    return dy


def pulse_frequency(time_h, y, c: Constants, eff: Effects):
    """Current GnRH pulse frequency (1/h) - used by the pulsatile mode to time the next pulse."""
    k, e = _packed(c, eff)
    _, _, ft, _, _, _, _, _, _, e_fb = _signals_core(time_h, y, k, e)
    return _frequency_core(ft, e_fb, _generator_core(y[S.steroid_hyp], k), k)


def pulse_mass(y, c: Constants):
    """GnRH mass of a pulse released now (x EC50) - used by the pulsatile mode."""
    k = c.packed
    s_hyp = y[S.steroid_hyp]
    return _pulse_mass_core(s_hyp, _generator_core(s_hyp, k), k)


def observables(time_h, y, c: Constants, eff: Effects) -> dict[str, np.ndarray]:
    """Canonical observables (FORMAT.md names) in clinical units from states ``y`` (n_states, ...)."""
    k, e = _packed(c, eff)
    y = np.asarray(y, dtype=float)
    time_h = np.asarray(time_h, dtype=float)
    shape = np.broadcast_shapes(y.shape[1:], np.shape(k)[1:], np.shape(e)[1:], time_h.shape)
    out = np.empty((len(OBS),) + shape)
    observables_core(time_h, y, k, e, out)
    return dict(zip(OBS, out))


def steady_state_guess(c: Constants, n: int | None = None) -> np.ndarray:
    """The reference man's steady state (per patient where constants are arrays): a Newton start."""
    cc = c.c
    shape = (len(STATES),) if n is None else (len(STATES), n)
    y = np.zeros(shape)
    y[IDX["gnrhr"]] = 1.0
    y[IDX["gnrhr_number"]] = 1.0
    y[IDX["gnrh_occ_filtered"]] = cc["occ_ref"]
    y[IDX["lh"]] = cc["syn_lh"] / cc["ke_lh"] * (cc["basal"] + 1.0 / ((1.0 + cc["k_sl"]) * (1.0 + cc["y_l"])))
    y[IDX["lh_pool"]] = y[IDX["lh"]] * cc["ke_lh"] / (cc["k_rel"] * (cc["basal"] + 1.0))
    y[IDX["fsh"]] = cc["syn_fsh"] / cc["ke_fsh"]
    y[IDX["t"]] = cc["t_ref"]
    y[IDX["shbg"]] = cc["shbg_target"]
    y[IDX["inhibin_b"]] = cc["ib_scale"]
    y[IDX["leydig_resp"]] = 1.0
    y[IDX["steroid_hyp"]] = 1.0
    y[IDX["steroid_fb"]] = 1.0
    y[IDX["leydig_trophic"]] = 1.0
    y[IDX["leydig_mass"]] = 1.0
    y[IDX["leydig_number"]] = 1.0
    y[IDX["sg_reserve"]] = 1.0
    germ = np.asarray(cc["germ_ref"])
    y[I_GERM0:I_GERM0 + N_GERM] = germ if n is None else germ[:, None]
    y[I_EPI0:I_EPI0 + N_EPI] = cc["epi_ref"] * np.asarray(cc["sperm_eff"])
    return y
