"""PK models and PD links of every agent, built from the parameter table.

Each agent is a linear compartmental PK model (depots, central, peripheral, metabolites) whose
doses land in a depot by route, and a PD link that maps its concentrations to one physiological
target (:data:`hpgsim.physiology.EFFECTS`).  PK and PD are kept apart: :class:`PKModel` holds only
rates and volumes; :func:`effects` turns concentrations into target actions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from hpgsim.units import MOLAR_MASS

__all__ = ["PKModel", "pk_model", "effects", "CONC_UNITS"]

LN2 = math.log(2.0)
# unit of each drug's reported plasma concentration column conc_<drug>
CONC_UNITS = {
    "anastrozole": "ng/mL", "letrozole": "ng/mL",
    "clomiphene": "ng/mL (enclomiphene + zuclomiphene + the 4-hydroxy metabolites of enclomiphene, in enclomiphene-equivalents)",
    "enclomiphene": "ng/mL (enclomiphene + its 4-hydroxy metabolites, in enclomiphene-equivalents)",
    "tamoxifen": "ng/mL (tamoxifen + endoxifen)", "hcg": "IU/L", "fsh": "IU/L", "hmg": "IU/L (FSH activity)",
    "gonadorelin": "ng/mL", "leuprolide": "ng/mL", "degarelix": "ng/mL",
    "testosterone_cypionate": "ng/dL (T from the product)", "testosterone_enanthate": "ng/dL (T from the product)",
    "testosterone_undecanoate": "ng/dL (T from the product)", "testosterone_gel": "ng/dL (T from the product)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PKModel:
    """A linear PK model: ``dA/dt = K A``; doses add ``amount * dose_split[route][i]`` to compartment i.

    Amounts are in the dose unit (mg, ug or IU) except testosterone products, whose amounts are
    nmol of testosterone.  ``conc[name] = (compartment, factor)`` gives a concentration
    ``A[compartment] * factor`` in that quantity's unit.
    """

    drug: str
    compartments: tuple[str, ...]
    k: np.ndarray  # (n, n) rate matrix, 1/h
    dose_split: Mapping[str, tuple[float, ...]]
    conc: Mapping[str, tuple[int, float]]
    t_input: tuple[int, float] | None = None  # (compartment, rate) of flux into serum T, nmol/h
    # formulations told apart by the dose: ((largest amount, {route: split}), ...), checked in order;
    # a dose above every bound, or a route a formulation does not list, uses ``dose_split``
    by_amount: tuple[tuple[float, Mapping[str, tuple[float, ...]]], ...] = ()

    def shares(self, route: str, amount: float) -> tuple[float, ...]:
        """How a dose of ``amount`` by ``route`` is split over the compartments."""
        for most, split in self.by_amount:
            if amount <= most + 1e-9 and route in split:
                return split[route]
        return self.dose_split[route]


def _chain(n, rates: dict[tuple[int, int | None], float]) -> np.ndarray:
    k = np.zeros((n, n))
    for (i, j), r in rates.items():
        k[i, i] -= r
        if j is not None:
            k[j, i] += r
    return k


def pk_model(drug: str, p: Mapping[str, float]) -> PKModel:
    """The PK model of ``drug`` (a catalog name) with the parameter values ``p``."""
    if drug in ("anastrozole", "letrozole"):
        cl, ka, t12 = p[f"{drug}_cl"], p[f"{drug}_ka"], p[f"{drug}_half_life"]
        v = cl * t12 / LN2
        return PKModel(drug=drug, compartments=("gut", "central"), k=_chain(2, {(0, 1): ka, (1, None): cl / v}),
                       dose_split={"PO": (1.0, 0.0)}, conc={drug: (1, 1000.0 / v)})
    if drug in ("clomiphene", "enclomiphene"):
        ka, ke_en = p["enclomiphene_ka"], LN2 / p["enclomiphene_half_life"]
        v_en = p["enclomiphene_cl"] / ke_en
        ke_oh = LN2 / p["hydroxyenclomiphene_half_life"]
        ke_zu = LN2 / p["zuclomiphene_half_life"]
        v_zu = p["zuclomiphene_cl"] / ke_zu
        en = p["clomiphene_en_fraction"] if drug == "clomiphene" else 1.0
        # (E)-clomiphene (enclomiphene) -> its (E)-4-hydroxy metabolites ((E)-4-OH-clomiphene and
        # (E)-4-OH-N-desethylclomiphene, lumped), which carry its estrogen-receptor activity and outlast
        # it (t1/2 13-37 h vs 10 h).  The metabolite compartment counts the enclomiphene mg eliminated
        # (all of it passes through the active metabolites' time course); its concentration is in
        # enclomiphene-equivalents: amount x ke_oh / CL_en, whose steady-state mean equals the parent's,
        # so the parent's fitted ER constant applies to it unchanged (its own ng/mL are not modelled).
        k = _chain(5, {(0, 1): ka, (1, 2): ke_en, (2, None): ke_oh, (3, 4): ka, (4, None): ke_zu})
        conc = {"enclomiphene": (1, 1000.0 / v_en), "hydroxyenclomiphene": (2, 1000.0 * ke_oh / p["enclomiphene_cl"]),
                "zuclomiphene": (4, 1000.0 / v_zu)}
        return PKModel(drug=drug, compartments=("gut_en", "enclomiphene", "hydroxyenclomiphene", "gut_zu", "zuclomiphene"),
                       k=k, dose_split={"PO": (en, 0.0, 0.0, 1.0 - en, 0.0)}, conc=conc)
    if drug == "tamoxifen":
        v, cl, q, vp = p["tamoxifen_v"], p["tamoxifen_cl"], p["tamoxifen_q"], p["tamoxifen_vp"]
        cf, v_en, cl_en = p["endoxifen_formation_cl"], p["endoxifen_v"], p["endoxifen_cl"]
        k = _chain(4, {(0, 1): p["tamoxifen_ka"], (1, None): (cl - cf) / v, (1, 2): q / v, (2, 1): q / vp,
                       (1, 3): cf / v, (3, None): cl_en / v_en})
        # endoxifen amount is in tamoxifen mg-equivalents (molar masses 371.5 vs 373.5: ratio ~1)
        return PKModel(drug=drug, compartments=("gut", "central", "peripheral", "endoxifen"), k=k,
                       dose_split={"PO": (1.0, 0, 0, 0)}, conc={"tamoxifen": (1, 1000.0 / v), "endoxifen": (3, 1000.0 / v_en)})
    if drug == "hcg":
        ke = p["hcg_cl"] / p["hcg_v"]
        k = _chain(3, {(0, 2): p["hcg_ka_sc"], (1, 2): p["hcg_ka_im"], (2, None): ke})
        return PKModel(drug=drug, compartments=("depot_sc", "depot_im", "central"), k=k,
                       dose_split={"SC": (p["hcg_f_sc"], 0, 0), "IM": (0, p["hcg_f_im"], 0)}, conc={"hcg": (2, 1.0 / p["hcg_v"])})
    if drug == "fsh":
        ke = p["fsh_drug_cl"] / p["fsh_drug_v"]
        k = _chain(2, {(0, 1): p["fsh_drug_ka"], (1, None): ke})
        f = p["fsh_drug_f"]
        return PKModel(drug=drug, compartments=("depot", "central"), k=k, dose_split={"SC": (f, 0), "IM": (f, 0)},
                       conc={"fsh": (1, 1.0 / p["fsh_drug_v"])})
    if drug == "hmg":
        ke = p["fsh_drug_cl"] / p["fsh_drug_v"]
        ke_lh = LN2 / p["hmg_lh_half_life"]
        v_lh = p["hmg_lh_cl"] / ke_lh
        k = _chain(4, {(0, 1): p["fsh_drug_ka"], (1, None): ke, (2, 3): p["hmg_ka"], (3, None): ke_lh})
        f = p["fsh_drug_f"]
        # each IU of hMG carries 1 IU FSH and 1 IU LH activity (Menopur: 75 IU + 75 IU per vial)
        return PKModel(drug=drug, compartments=("depot_fsh", "fsh", "depot_lh", "lh"), k=k,
                       dose_split={"SC": (f, 0, f, 0), "IM": (f, 0, f, 0)},
                       conc={"hmg": (1, 1.0 / p["fsh_drug_v"]), "hmg_lh": (3, 1.0 / v_lh)})
    if drug == "gonadorelin":
        ke = LN2 / p["gonadorelin_half_life"]
        k = _chain(2, {(0, 1): p["gonadorelin_ka_sc"], (1, None): ke})
        # amounts in ug; ug/L = ng/mL
        return PKModel(drug=drug, compartments=("depot", "central"), k=k, dose_split={"SC": (1.0, 0), "IV": (0, 1.0)},
                       conc={"gonadorelin": (1, 1.0 / p["gonadorelin_v"])})
    if drug == "leuprolide":
        ke = p["leuprolide_cl"] / p["leuprolide_v"]
        # one depot compartment per formulation: each releases its load over its labelled interval
        # (1-month 3.75/7.5 mg, 3-month 11.25/22.5 mg, 4-month 30 mg, 6-month 45 mg), so its release
        # rate is the 1-month depot's scaled by 1/months
        months = (1.0, 3.0, 4.0, 6.0)
        nd = len(months)
        rates = {(i, nd): p["leuprolide_depot_ka"] / mo for i, mo in enumerate(months)}
        rates.update({(nd, nd + 1): p["leuprolide_ka_sc"], (nd + 1, None): ke})
        k = _chain(nd + 2, rates)
        b = p["leuprolide_depot_burst"]

        def depot(i):
            # the depot's initial burst (free peptide at the injection site) is absorbed like a plain SC
            # dose: Cmax 1-3 h after the depot (Periti 2002), not at t = 0.  Depots are given IM (Lupron
            # Depot) or SC (Eligard 7.5/22.5/30/45 mg; Leuplin 3.75/11.25 mg in Japan): same release
            split = tuple((1.0 - b) if j == i else (b if j == nd else 0.0) for j in range(nd + 2))
            return {"IM": split, "SC": split}

        # aqueous leuprolide acetate is injected SC at 1 mg a day (Lupron injection label); a larger
        # SC dose is a depot formulation
        plain_sc = tuple(0.94 if j == nd else 0.0 for j in range(nd + 2))
        return PKModel(drug=drug, compartments=("depot_1m", "depot_3m", "depot_4m", "depot_6m", "sc", "central"), k=k,
                       dose_split=depot(3),
                       by_amount=((2.0, {"SC": plain_sc}), (7.5, depot(0)), (22.5, depot(1)), (30.0, depot(2))),
                       conc={"leuprolide": (nd + 1, 1000.0 / p["leuprolide_v"])})
    if drug == "degarelix":
        vc, vp = p["degarelix_vc"], p["degarelix_vp"]
        ff, f = p["degarelix_fast_fraction"], p["degarelix_f"]
        # the depot's slow release depends on the concentration injected: the 240 mg starting dose (2 x 120 mg
        # at 40 mg/mL) releases more slowly than the 80 mg maintenance dose (80 mg at 20 mg/mL), so doses up to
        # 80 mg go to their own slow depot
        k = _chain(5, {(0, 3): LN2 / p["degarelix_fast_half_life"], (1, 3): LN2 / p["degarelix_slow_half_life"],
                       (2, 3): LN2 / p["degarelix_maintenance_slow_half_life"],
                       (3, None): p["degarelix_cl"] / vc, (3, 4): p["degarelix_q"] / vc, (4, 3): p["degarelix_q"] / vp})
        return PKModel(drug=drug, compartments=("depot_fast", "depot_slow", "depot_slow_20", "central", "peripheral"),
                       k=k, dose_split={"SC": (f * ff, f * (1 - ff), 0, 0, 0)},
                       by_amount=((80.0, {"SC": (f * ff, 0, f * (1 - ff), 0, 0)}),),
                       conc={"degarelix": (3, 1000.0 / vc)})
    if drug.startswith("testosterone_"):
        kind = drug.split("_", 1)[1]
        if kind == "gel":
            ka, frac = LN2 / p["t_gel_absorption_half_life"], p["t_gel_f"]
        else:
            ka, frac = LN2 / p[f"t_{kind}_release_half_life"], p[f"t_{kind}_t_fraction"] * p["t_ester_f"]
        nmol_per_mg = 1e6 / MOLAR_MASS["testosterone"]
        k_t = LN2 / p["t_half_life"]
        v_t = p["t_clearance"] / 24.0 / k_t
        conc_f = MOLAR_MASS["testosterone"] / 10.0 / v_t
        transit = p.get(f"t_{kind}_transit_half_life") if kind != "gel" else None
        if transit:
            # delayed absorption: oil depot -> transit (ester/absorption-site) pool -> serum T; gives the
            # late peaks of long-acting esters (TU Tmax ~7 days) that one first-order step cannot
            k_tr = LN2 / transit
            k = _chain(3, {(0, 1): ka, (1, 2): k_tr, (2, None): k_t})
            routes = {r: (frac * nmol_per_mg, 0.0, 0.0) for r in ("IM", "SC", "transdermal")}
            return PKModel(drug=drug, compartments=("depot", "transit", "serum_share"), k=k, dose_split=routes,
                           conc={drug: (2, conc_f)}, t_input=(1, k_tr))
        # compartment 1 tracks the product's share of serum T (linear elimination: exact superposition)
        k = _chain(2, {(0, 1): ka, (1, None): k_t})
        routes = {r: (frac * nmol_per_mg, 0.0) for r in ("IM", "SC", "transdermal")}
        return PKModel(drug=drug, compartments=("depot", "serum_share"), k=k, dose_split=routes,
                       conc={drug: (1, conc_f)}, t_input=(0, ka))
    raise KeyError(f"no PK model for drug '{drug}'")


def effects(conc: Mapping[str, object], p: Mapping[str, float]) -> dict[str, object]:
    """Physiological actions of all drugs from their concentrations (missing drugs count as 0)."""
    g = lambda k: conc.get(k, 0.0)  # noqa: E731
    out: dict[str, object] = {}
    # aromatase inhibitors: independent actions multiply
    keep = 1.0
    for d in ("anastrozole", "letrozole"):
        c = np.maximum(g(d), 0.0)
        keep = keep * (1.0 - p[f"{d}_imax"] * c / (p[f"{d}_ic50"] + c))
    out["aromatase_inhibition"] = 1.0 - keep
    # estrogen receptor: competitive occupancy by antagonists and the partial agonist zuclomiphene.
    # Enclomiphene acts through its 4-hydroxy metabolites (the share hydroxyenclomiphene_share of its
    # activity; both concentrations in enclomiphene ng/mL or its equivalents)
    w_oh = p["hydroxyenclomiphene_share"]
    x_en = ((1.0 - w_oh) * np.maximum(g("enclomiphene"), 0.0)
            + w_oh * np.maximum(g("hydroxyenclomiphene"), 0.0)) / p["enclomiphene_er_k"]
    x_zu = np.maximum(g("zuclomiphene"), 0.0) / p["zuclomiphene_er_k"]
    x_tam = (np.maximum(g("tamoxifen"), 0.0) + p["endoxifen_potency"] * np.maximum(g("endoxifen"), 0.0)) / p["tamoxifen_er_k"]
    denom = 1.0 + x_en + x_zu + x_tam
    out["er_occupancy"] = (x_en + x_zu + x_tam) / denom
    out["er_agonism"] = p["zuclomiphene_efficacy"] * x_zu / denom
    # GnRH receptor
    x_g = np.maximum(g("gonadorelin"), 0.0) / p["gonadorelin_ec50"] + np.maximum(g("leuprolide"), 0.0) / p["leuprolide_ec50"]
    out["gnrh_agonist_occupancy"] = x_g / (1.0 + x_g)
    cd = np.maximum(g("degarelix"), 0.0) ** p["degarelix_hill"]
    out["gnrh_antagonism"] = p["degarelix_imax"] * cd / (p["degarelix_ic50"] ** p["degarelix_hill"] + cd)
    # gonadotropin receptors
    out["lh_activity"] = p["hcg_lh_potency"] * np.maximum(g("hcg"), 0.0)
    out["exogenous_lh"] = np.maximum(g("hmg_lh"), 0.0)
    out["exogenous_fsh"] = np.maximum(g("fsh"), 0.0) + np.maximum(g("hmg"), 0.0)
    return out
