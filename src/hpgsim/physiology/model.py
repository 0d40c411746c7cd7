"""The averaged/pulsatile HPG model: state layout, derived constants, right-hand side, observables.

Time is in hours. Concentrations inside the model: LH and FSH IU/L, T and ITT nmol/L, E2 nmol/L
(algebraic), SHBG nmol/L, inhibin B pg/mL; germ-cell and epididymal stages are contents relative
to the reference man's first stage.

Layers (DESIGN section 3):

* hypothalamus - GnRH pulse frequency ``f = fmax c / (1 + xT FT/FT0 + xE e)`` slowed by free T
  (androgen receptor), by the estrogen signal ``e`` (plasma E2 and local aromatisation, both seen
  through ``1 - ER occupancy``) and by cortisol ``c``; pulse mass set by ``gnrh_drive`` . The
  same sex-steroid signal integrated over days (``steroid_hyp``) sets the activity of the pulse
  generator (frequency and mass of its pulses): flat near the reference, it shuts the generator
  down under supraphysiological T.  In the
  averaged mode the receptor occupancy of a train of pulses is averaged exactly,
  ``occ = f ln(1 + m) / kG``; in the pulsatile mode portal GnRH jumps by ``m`` at each pulse.
* pituitary - GnRH-receptor responsiveness ``R`` desensitised by sustained occupancy (filtered
  occupancy ``O`` through a steep Hill), LH synthesis into a pool released by each pulse, FSH
  synthesised and secreted constitutively, inhibin B and estrogen feedback.
* testis - Leydig T production ``b (1 + Lmax H(LH + hCG-equivalent))`` (Tornoe 2007) scaled by
  Leydig capacity, age, desensitisation ``D``, an LH-dependent trophic state ``Z`` (Leydig atrophy
  over weeks without LH, the slow part of recovery after testosterone therapy) and the circadian
  rhythm; intratesticular T;
  inhibin B from Sertoli cells driven by FSH and germ cells; spermatogenesis as a delay chain
  fed by FSH and ITT support with hormone-withdrawal germ-cell loss, then epididymal transit.
* aromatase - peripheral conversion of T scaled by fat mass (Deurenberg 1991 body-fat equation),
  testicular E2 secretion; both reduced by aromatase-inhibitor occupancy.
* binding - SHBG (age, BMI, androgen effect) and Vermeulen free / bioavailable T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from hpgsim import parameters
from hpgsim.physiology.binding import bioavailable_testosterone, free_testosterone
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
    "gnrh_occ_filtered",  # sustained (filtered) receptor occupancy
    "lh_pool",  # releasable LH, IU/L-equivalent
    "lh",  # serum LH, IU/L
    "fsh",  # serum endogenous FSH, IU/L
    "t",  # serum total testosterone, nmol/L
    "itt",  # intratesticular testosterone, nmol/L
    "shbg",  # nmol/L
    "inhibin_b",  # pg/mL
    "leydig_resp",  # Leydig responsiveness (1 = not desensitised)
    "leydig_trophic",  # LH-dependent Leydig steroidogenic mass (1 = reference man)
    "steroid_hyp",  # sex-steroid signal integrated by the hypothalamus (1 = reference man)
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
    "gnrh_antagonism",  # fractional block of GnRH-receptor signalling by antagonists (0-1)
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

    def __getitem__(self, k):
        return self.c[k]


def _hill(x, k, n):
    x = np.maximum(x, 0.0)
    xn = x**n
    return xn / (k**n + xn)


def derive(p: Mapping[str, object], *, age, bmi) -> Constants:
    """Turn the parameter table (with a patient's overrides) into the model's rate constants.

    Scale constants are set by the reference man (``ref_*`` rows at ``ref_age``/``ref_bmi``, all
    patient factors 1): his steady state reproduces the reference values by construction.  The
    patient's own covariates and factors then act through the mechanisms.
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
    t_mean_ref = p["ref_total_t_0800"] / NGDL_PER_NMOLL_T / (1.0 + amp_ref)  # nmol/L
    c["t_ref"] = t_mean_ref
    pt_ref = cl_t * t_mean_ref  # nmol/h
    h_ref = float(_hill(p["ref_lh"], p["leydig_l50"], p["leydig_hill"]))
    c["leydig_basal"] = pt_ref / (1.0 + p["leydig_lmax"] * h_ref)
    c["lmax"], c["l50"], c["lhill"] = p["leydig_lmax"], p["leydig_l50"], p["leydig_hill"]
    c["leydig_scale"] = np.asarray(p["leydig_capacity"]) * np.maximum(
        1.0 - p["leydig_age_decline"] * np.maximum(np.asarray(age, dtype=float) - 40.0, 0.0), 0.05)
    c["h_ref"] = h_ref
    c["z_k"] = p["leydig_trophic_k"] * h_ref
    c["k_z"] = ln2 / p["leydig_trophic_half_life"]
    c["k_ldes"] = p["leydig_desens_rate"]
    c["ldes_k"] = p["leydig_desens_k"]
    c["k_lrec"] = ln2 / p["leydig_recovery_half_life"]
    # --- intratesticular T
    c["k_itt"] = p["itt_turnover"] / 24.0
    c["cl_testis"] = pt_ref / (t_mean_ref * (p["itt_serum_ratio"] - 1.0))
    c["itt_ref"] = t_mean_ref * p["itt_serum_ratio"]
    # --- binding
    kw = dict(k_shbg=p["k_shbg_t"], k_alb=p["k_alb_t"], albumin_mw=p["albumin_mw"])
    c["bind"] = kw
    c["albumin"] = p["albumin"]
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
    c["gen_k"], c["gen_n"] = p["gnrh_generator_feedback_k"], p["gnrh_generator_feedback_hill"]
    c["gen_norm"] = 1.0 + (1.0 / p["gnrh_generator_feedback_k"]) ** p["gnrh_generator_feedback_hill"]
    c["k_hyp"] = 1.0 / p["gnrh_generator_feedback_tau"]
    c["cort"] = 1.0 / (1.0 + p["cortisol_freq_slope"] * (np.asarray(p["cortisol"], dtype=float) - 1.0))
    c["k_g"] = ln2 / (p["gnrh_half_life"] / 60.0)
    c["m"] = p["gnrh_pulse_peak"] * np.asarray(p["gnrh_drive"], dtype=float)
    f_ref = p["gnrh_freq_max"] / (1.0 + p["gnrh_freq_t_inhibition"] + p["gnrh_freq_e2_inhibition"])
    c["f_ref"] = f_ref
    occ_ref = f_ref * math.log1p(p["gnrh_pulse_peak"]) / c["k_g"]
    c["occ_ref"] = occ_ref
    # --- pituitary
    c["k_f"] = ln2 / p["gnrh_signal_tau"]
    c["k_rrec"] = ln2 / p["gnrhr_recovery_half_life"]
    c["k_rdes"] = p["gnrhr_desensitisation_rate"]
    c["rdes_k"], c["rdes_n"] = p["gnrhr_desensitisation_threshold"], p["gnrhr_desensitisation_hill"]
    r_ref = c["k_rrec"] / (c["k_rrec"] + c["k_rdes"] * float(_hill(occ_ref, c["rdes_k"], c["rdes_n"])))
    c["sig_ref"] = r_ref * occ_ref
    c["ke_lh"] = ln2 / p["lh_half_life"]
    c["ke_fsh"] = ln2 / p["fsh_half_life"]
    basal = p["gonadotroph_basal"]
    c["basal"] = basal
    k_sl = p["lh_synthesis_k"]
    c["k_sl"] = k_sl
    c["y_l"], c["y_f"] = p["pit_e2_inhibition_lh"], p["pit_e2_inhibition_fsh"]
    c["syn_lh"] = c["ke_lh"] * p["ref_lh"] * (1.0 + c["y_l"]) / (basal + 1.0 / (1.0 + k_sl))
    # release: fraction per reference pulse -> first-order rate at the reference signal
    c["k_rel"] = p["lh_release_fraction"] * f_ref / (basal + 1.0)
    k_sf = p["fsh_synthesis_k"]
    c["k_sf"] = k_sf
    c["ib_k"], c["ib_n"] = p["inhibin_fsh_k"], p["inhibin_fsh_hill"]
    ib_fb_ref = 1.0 / (1.0 + (p["ref_inhibin_b"] / p["inhibin_fsh_k"]) ** p["inhibin_fsh_hill"])
    c["syn_fsh"] = c["ke_fsh"] * p["ref_fsh"] * (1.0 + c["y_f"]) / ((basal + 1.0 / (1.0 + k_sf)) * ib_fb_ref)
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
    c["sp_itt_k"], c["sp_itt_n"] = p["sperm_itt_k"], p["sperm_itt_hill"]
    c["sp_fsh_k"], c["sp_fsh_n"] = p["sperm_fsh_k"], p["sperm_fsh_hill"]
    c["support_ref"] = float(_support(1.0, p["ref_fsh"], c))
    c["germ_ref"] = np.array([q**i for i in range(N_GERM)])
    c["germ_ref_mean"] = float(c["germ_ref"].mean())
    out_ref = k_tr * q**N_GERM  # flux into the epididymis at reference (per unit stage-1 content)
    c["epi_ref"] = out_ref / c["k_epi"]
    c["tsc_ref"] = p["ref_sperm_concentration"] * parameters.get("semen_volume").value  # reference man's volume
    c["semen_volume"] = np.asarray(p["semen_volume"], dtype=float)
    c["motility"] = np.asarray(p["motility_fraction"], dtype=float)
    return Constants(c)


def _support(itt_rel, fsh, c):
    """Spermatogenic support from ITT (relative to reference) and FSH: a g + b h + (1 - a - b) g h."""
    g = _hill(itt_rel, c["sp_itt_k"], c["sp_itt_n"])
    h = _hill(fsh, c["sp_fsh_k"], c["sp_fsh_n"])
    a, b = c["a_itt"], c["a_fsh"]
    return a * g + b * h + (1.0 - a - b) * g * h


def _signals(time_h, y, c, eff):
    """Algebraic quantities shared by the right-hand side, the pulse timer and the observables.

    Returns serum T, SHBG, free T, the aromatase activity left by inhibitors, LH-receptor
    stimulation, Leydig T production (nmol/h), E2 (nmol/L) and the estrogen feedback signal
    (relative to the reference man's).
    """
    t = np.maximum(y[IDX["t"]], 0.0)
    shbg = np.maximum(y[IDX["shbg"]], 0.0)
    ft = free_testosterone(t, shbg, c["albumin"], **c["bind"])
    arom = 1.0 - eff.get("aromatase_inhibition")
    stim = np.maximum(y[IDX["lh"]], 0.0) + eff.get("exogenous_lh") + eff.get("lh_activity")
    circ = 1.0 + c["circ_amp"] * np.cos(c["omega"] * (np.asarray(time_h) - c["circ_phase"]))
    p_t = np.maximum(c["leydig_basal"] * c["leydig_scale"] * y[IDX["leydig_resp"]] * y[IDX["leydig_trophic"]]
                     * (1.0 + c["lmax"] * _hill(stim, c["l50"], c["lhill"])) * circ, 0.0)
    e2 = arom * (c["e2_periph_k"] * t + c["e2_testis_k"] * p_t)
    e_sig = ((1.0 - eff.get("er_occupancy")) * (e2 / c["e2_ref"] + c["local_arom"] * arom * ft / c["ft_ref"])
             / (1.0 + c["local_arom"]) + eff.get("er_agonism"))
    return t, shbg, ft, arom, stim, p_t, e2, e_sig


def _generator_activity(s_hyp, c):
    """Activity of the GnRH pulse generator (1 = reference man) under the integrated sex-steroid signal.

    Near the reference it barely moves; at supraphysiological androgen/estrogen exposure it shuts
    the generator down (fewer and smaller pulses).
    """
    return c["gen_norm"] / (1.0 + (np.maximum(s_hyp, 0.0) / c["gen_k"]) ** c["gen_n"])


def _frequency(ft, e_sig, s_hyp, c):
    """GnRH pulse frequency (1/h) under free-T, estrogen and cortisol feedback and generator activity."""
    return (c["f_max"] * c["cort"] * _generator_activity(s_hyp, c)
            / (1.0 + c["x_t"] * ft / c["ft_ref"] + c["x_e"] * e_sig))


def _steroid_signal(ft, e_sig, c):
    """Combined androgen and estrogen signal at the hypothalamus, weighted as in the frequency law (1 = reference)."""
    return (c["x_t"] * ft / c["ft_ref"] + c["x_e"] * e_sig) / (c["x_t"] + c["x_e"])


def _pulse_mass(s_hyp, c):
    """GnRH mass per pulse (x EC50): drive x peak, scaled by the generator activity."""
    return c["m"] * _generator_activity(s_hyp, c)


def rhs(time_h, y, c: Constants, eff: Effects, pulsatile: bool = False):
    """Time derivative of the physiology states (``y`` of shape (n_states,) or (n_states, n))."""
    c = c.c
    t, shbg, ft, arom, stim, p_t, e2, e_sig = _signals(time_h, y, c, eff)
    lh, fsh_endo = np.maximum(y[IDX["lh"]], 0.0), np.maximum(y[IDX["fsh"]], 0.0)
    r, occ_f = y[IDX["gnrhr"]], np.maximum(y[IDX["gnrh_occ_filtered"]], 0.0)
    d_leydig = y[IDX["leydig_resp"]]
    freq = _frequency(ft, e_sig, y[IDX["steroid_hyp"]], c)
    if pulsatile:
        g = np.maximum(y[IDX["gnrh_portal"]], 0.0)
        occ_endo = g / (1.0 + g)
    else:
        occ_endo = np.minimum(freq * np.log1p(_pulse_mass(y[IDX["steroid_hyp"]], c)) / c["k_g"], 1.0)
    occ_drug = eff.get("gnrh_agonist_occupancy")
    occ = occ_endo + occ_drug * (1.0 - occ_endo)
    block = 1.0 - eff.get("gnrh_antagonism")
    # ---------------- pituitary
    sig_slow = r * occ_f * block / c["sig_ref"]  # drives synthesis (integrated signal)
    sig_fast = r * occ * block / c["sig_ref"]  # drives release (each pulse)
    pit_e = 1.0 / (1.0 + c["y_l"] * e_sig)
    syn_lh = c["syn_lh"] * (c["basal"] + sig_slow / (sig_slow + c["k_sl"])) * pit_e
    rel_lh = c["k_rel"] * (c["basal"] + sig_fast) * np.maximum(y[IDX["lh_pool"]], 0.0)
    ib = np.maximum(y[IDX["inhibin_b"]], 0.0)
    ib_fb = 1.0 / (1.0 + (ib / c["ib_k"]) ** c["ib_n"])
    syn_fsh = c["syn_fsh"] * (c["basal"] + sig_slow / (sig_slow + c["k_sf"])) * ib_fb / (1.0 + c["y_f"] * e_sig)
    des = c["k_rdes"] * _hill(occ_f, c["rdes_k"], c["rdes_n"])
    # ---------------- testis: ITT, inhibin B, spermatogenesis
    itt_target = t + p_t / c["cl_testis"]
    fsh_tot = fsh_endo + eff.get("exogenous_fsh")
    itt_rel = np.maximum(y[IDX["itt"]], 0.0) / c["itt_ref"]
    support = c["sertoli"] * _support(itt_rel, fsh_tot, c) / c["support_ref"]
    germ = y[I_GERM0:I_GERM0 + N_GERM]
    epi = y[I_EPI0:I_EPI0 + N_EPI]
    germ_frac = np.mean(germ, axis=0) / c["germ_ref_mean"]
    ib_target = (c["ib_scale"] * c["sertoli"] * fsh_tot / (fsh_tot + c["ib_fsh_k"])
                 * ((1.0 - c["ib_germ"]) + c["ib_germ"] * np.clip(germ_frac, 0.0, 2.0)))
    deficit = np.clip(1.0 - support / np.maximum(c["sertoli"], 1e-9), 0.0, 1.0)
    loss = c["k_a0"] + c["k_aw"] * deficit
    d_germ = np.empty_like(germ)
    d_germ[0] = c["k_tr"] * support - (c["k_tr"] + loss) * germ[0]
    d_germ[1:] = c["k_tr"] * germ[:-1] - (c["k_tr"] + loss) * germ[1:]
    d_epi = np.empty_like(epi)
    d_epi[0] = c["k_tr"] * germ[-1] - c["k_epi"] * epi[0]
    d_epi[1:] = c["k_epi"] * (epi[:-1] - epi[1:])
    # ---------------- assemble
    dy = np.empty_like(y)
    dy[IDX["gnrh_portal"]] = -c["k_g"] * y[IDX["gnrh_portal"]] if pulsatile else 0.0 * y[IDX["gnrh_portal"]]
    # sustained occupancy both desensitises the receptor and holds off its recovery (internalised
    # receptors are not replaced while agonist is present): continuous agonist drives R towards 0
    dy[IDX["gnrhr"]] = c["k_rrec"] * (1.0 - r) * (1.0 - des / c["k_rdes"]) - des * r
    dy[IDX["gnrh_occ_filtered"]] = c["k_f"] * (occ - occ_f)
    dy[IDX["lh_pool"]] = syn_lh - rel_lh
    dy[IDX["lh"]] = rel_lh - c["ke_lh"] * lh
    dy[IDX["fsh"]] = syn_fsh - c["ke_fsh"] * fsh_endo
    dy[IDX["t"]] = (p_t + eff.get("t_input")) / c["v_t"] - c["k_t"] * t
    dy[IDX["itt"]] = c["k_itt"] * (itt_target - y[IDX["itt"]])
    shbg_target = c["shbg_target"] * (np.maximum(t, 1e-3) / c["t_ref"]) ** (-c["shbg_androgen_exp"])
    dy[IDX["shbg"]] = c["k_shbg"] * (np.clip(shbg_target, 2.0, 300.0) - shbg)
    dy[IDX["inhibin_b"]] = c["k_ib"] * (ib_target - ib)
    dy[IDX["leydig_resp"]] = c["k_lrec"] * (1.0 - d_leydig) - c["k_ldes"] * _hill(stim, c["ldes_k"], 2.0) * d_leydig
    h_stim = _hill(stim, c["l50"], c["lhill"])
    z_target = h_stim * (c["h_ref"] + c["z_k"]) / (c["h_ref"] * (h_stim + c["z_k"]))
    dy[IDX["leydig_trophic"]] = c["k_z"] * (z_target - y[IDX["leydig_trophic"]])
    dy[IDX["steroid_hyp"]] = c["k_hyp"] * (_steroid_signal(ft, e_sig, c) - y[IDX["steroid_hyp"]])
    dy[I_GERM0:I_GERM0 + N_GERM] = d_germ
    dy[I_EPI0:I_EPI0 + N_EPI] = d_epi
    return dy


def pulse_frequency(time_h, y, c: Constants, eff: Effects):
    """Current GnRH pulse frequency (1/h) - used by the pulsatile mode to time the next pulse."""
    _, _, ft, _, _, _, _, e_sig = _signals(time_h, y, c.c, eff)
    return _frequency(ft, e_sig, y[IDX["steroid_hyp"]], c.c)


def pulse_mass(y, c: Constants):
    """GnRH mass of a pulse released now (x EC50) - used by the pulsatile mode."""
    return _pulse_mass(y[IDX["steroid_hyp"]], c.c)


def observables(time_h, y, c: Constants, eff: Effects) -> dict[str, np.ndarray]:
    """Canonical observables (FORMAT.md names) in clinical units from states ``y`` (n_states, ...)."""
    cc = c.c
    t, shbg, ft, arom, stim, p_t, e2, e_sig = _signals(time_h, y, cc, eff)
    bio = bioavailable_testosterone(ft, cc["albumin"], k_alb=cc["bind"]["k_alb"], albumin_mw=cc["bind"]["albumin_mw"])
    tsc = cc["tsc_ref"] * np.maximum(y[I_EPI0 + N_EPI - 1], 0.0) / cc["epi_ref"]
    total_t = t * NGDL_PER_NMOLL_T
    e2_pg = e2 * PGML_PER_NMOLL_E2
    lh_meas = np.maximum(y[IDX["lh"]], 0.0) + eff.get("exogenous_lh")
    return {
        "total_testosterone": total_t,
        "free_testosterone": ft * PGML_PER_NMOLL_T,
        "bioavailable_testosterone": bio * NGDL_PER_NMOLL_T,
        "lh": lh_meas,
        "fsh": np.maximum(y[IDX["fsh"]], 0.0) + eff.get("exogenous_fsh"),
        "estradiol": e2_pg,
        "shbg": shbg,
        "inhibin_b": np.maximum(y[IDX["inhibin_b"]], 0.0),
        "intratesticular_testosterone": np.maximum(y[IDX["itt"]], 0.0),
        "sperm_concentration": tsc / cc["semen_volume"],
        "total_sperm_count": tsc,
        "total_motile_count": tsc * cc["motility"],
        "t_e2_ratio": total_t / np.maximum(e2_pg, 1e-6),
        "t_lh_ratio": total_t / np.maximum(lh_meas, 1e-6),
    }


def steady_state_guess(c: Constants, n: int | None = None) -> np.ndarray:
    """The reference man's steady state (per patient where constants are arrays): a Newton start."""
    cc = c.c
    shape = (len(STATES),) if n is None else (len(STATES), n)
    y = np.zeros(shape)
    y[IDX["gnrhr"]] = 1.0
    y[IDX["gnrh_occ_filtered"]] = cc["occ_ref"]
    y[IDX["lh"]] = cc["syn_lh"] / cc["ke_lh"] / (1.0 + cc["y_l"]) * (cc["basal"] + 1.0 / (1.0 + cc["k_sl"]))
    y[IDX["lh_pool"]] = y[IDX["lh"]] * cc["ke_lh"] / (cc["k_rel"] * (cc["basal"] + 1.0))
    y[IDX["fsh"]] = cc["syn_fsh"] / cc["ke_fsh"]
    y[IDX["t"]] = cc["t_ref"]
    y[IDX["itt"]] = cc["itt_ref"]
    y[IDX["shbg"]] = cc["shbg_target"]
    y[IDX["inhibin_b"]] = cc["ib_scale"]
    y[IDX["leydig_resp"]] = 1.0
    y[IDX["steroid_hyp"]] = 1.0
    y[IDX["leydig_trophic"]] = 1.0
    germ = np.asarray(cc["germ_ref"])
    y[I_GERM0:I_GERM0 + N_GERM] = germ if n is None else germ[:, None]
    y[I_EPI0:I_EPI0 + N_EPI] = cc["epi_ref"]
    return y
