"""SBML export: one patient's averaged-mode model, with the doses of a regimen, as SBML Level 3 Version 2.

The document can be simulated in any SBML tool (libRoadRunner, COPASI, AMICI, ...) and should
reproduce ``hpgsim.simulate(patient, regimen, days=...)`` in the averaged mode
(``pulsatile=False``):

* time is in hours, from 00:00 of day 0; one compartment ``body`` (1 L) holds nothing but gives
  the model its volume units;
* every physiology state of :data:`hpgsim.physiology.model.STATES` except ``gnrh_portal`` (constant
  0 in the averaged mode, omitted) and every PK compartment of the regimen's drugs is a parameter
  with a rate rule, starting at the patient's untreated equilibrium exactly as ``simulate``
  computes it (``simulate._equilibrium``); a patient with a treatment ``history`` is first taken
  through it as ``simulate`` does, so his exported initial state is the state at day 0 of
  ``simulate``;
* every derived constant of :func:`hpgsim.physiology.model.derive` (array and dict entries
  flattened as ``germ_ref_0``... and ``bind_k_shbg``...), every PD parameter of the drugs and the
  PK rates, dose splits and concentration factors are constant parameters with numeric values;
* the right-hand side of ``physiology.model.rhs`` and of the PK blocks is written as rate rules
  over assignment rules for its algebraic quantities (free T by the Vermeulen quadratic, the
  estrogen signal, GnRH frequency and occupancy, ...) and the drug actions of
  ``drugs.agents.effects``; ``np.maximum``/``np.clip`` become ``max``/``min`` (SBML L3V2 MathML)
  and the Hill function a function definition ``hill(x, k, n)``;
* each dose time of the regimen within the horizon is one event (trigger ``time >= t``, initial
  value false, persistent, no delay) adding ``amount x dose split`` to the dosed PK compartment(s):
  the jumps ``simulate`` makes for ``days`` days (doses before the last 08:00 sample);
* every canonical observable of ``simulate.OBSERVABLES`` is an assignment-rule parameter with the
  canonical id and a unit definition of its canonical unit (also named in an annotation
  ``<hpgsim:observable unit="..."/>``), computed as in ``physiology.model.observables``; drug
  plasma concentrations are ``plasma_<analyte>`` and, as in the ``simulate`` table,
  ``conc_<drug>``.

Differences from ``simulate`` are those of the solvers only.  Values are written with the 15
significant digits of libSBML's writer.  ``dihydrotestosterone`` (optional in the validation
format) is not an output of the model and is not exported.

>>> xml = to_sbml("eugonadal", "anastrozole 1 mg PO daily", days=2)  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import re
from typing import Mapping

import numpy as np

from hpgsim import DISCLAIMER, __version__
from hpgsim.errors import InputError

__all__ = ["to_sbml", "observable_units"]

_NS = "urn:hpgsim:sbml:1"
_RESERVED = {"time", "avogadro", "e", "exponentiale", "pi", "inf", "infinity", "nan", "notanumber", "true", "false"}
_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# unit definitions: id -> (name, [(kind, exponent, scale, multiplier)])
_UNITS: dict[str, tuple[str, list[tuple[str, float, int, float]]]] = {
    "hour": ("h", [("second", 1, 0, 3600.0)]),
    "per_hour": ("1/h", [("second", -1, 0, 3600.0)]),
    "nmol_per_L": ("nmol/L", [("mole", 1, -9, 1.0), ("litre", -1, 0, 1.0)]),
    # an international unit is a biological activity, not an SI quantity: counted as dimensionless
    "IU_per_L": ("IU/L", [("litre", -1, 0, 1.0)]),
    "IU": ("IU", [("dimensionless", 1, 0, 1.0)]),
    "pg_per_mL": ("pg/mL", [("gram", 1, -12, 1.0), ("litre", -1, -3, 1.0)]),
    "ng_per_mL": ("ng/mL", [("gram", 1, -9, 1.0), ("litre", -1, -3, 1.0)]),
    "ng_per_dL": ("ng/dL", [("gram", 1, -9, 1.0), ("litre", -1, -1, 1.0)]),
    "M_per_mL": ("M/mL (millions per mL)", [("item", 1, 6, 1.0), ("litre", -1, -3, 1.0)]),
    "M": ("M (millions)", [("item", 1, 6, 1.0)]),
    "mg": ("mg", [("gram", 1, -3, 1.0)]),
    "ug": ("ug", [("gram", 1, -6, 1.0)]),
    "nmol": ("nmol", [("mole", 1, -9, 1.0)]),
    "nmol_per_mg": ("nmol/mg", [("mole", 1, -9, 1.0), ("gram", -1, -3, 1.0)]),
}
_UNIT_ID = {"ng/dL": "ng_per_dL", "pg/mL": "pg_per_mL", "IU/L": "IU_per_L", "nmol/L": "nmol_per_L",
            "M/mL": "M_per_mL", "M": "M", "1": "dimensionless", "ng/mL": "ng_per_mL", "mg": "mg", "ug": "ug",
            "IU": "IU", "nmol": "nmol"}

# units of the physiology states (model.py docstring): everything else is relative (dimensionless)
_STATE_UNITS = {"lh_pool": "IU/L", "lh": "IU/L", "fsh": "IU/L", "t": "nmol/L", "itt": "nmol/L", "shbg": "nmol/L",
                "inhibin_b": "pg/mL"}

# the parameters of drugs.agents.effects, by the analyte concentration that needs them
_PD_PARAMETERS = {
    "anastrozole": ("anastrozole_imax", "anastrozole_ic50"),
    "letrozole": ("letrozole_imax", "letrozole_ic50"),
    "enclomiphene": ("enclomiphene_er_k", "hydroxyenclomiphene_share"),
    "hydroxyenclomiphene": ("enclomiphene_er_k", "hydroxyenclomiphene_share"),
    "zuclomiphene": ("zuclomiphene_er_k", "zuclomiphene_efficacy"),
    "tamoxifen": ("tamoxifen_er_k",),
    "endoxifen": ("tamoxifen_er_k", "endoxifen_potency"),
    "gonadorelin": ("gonadorelin_ec50",),
    "leuprolide": ("leuprolide_ec50",),
    "degarelix": ("degarelix_hill", "degarelix_imax", "degarelix_ic50"),
    "hcg": ("hcg_lh_potency",),
}


def observable_units() -> dict[str, str]:
    """Canonical observable id -> canonical unit, as exported (``simulate.OBSERVABLES``)."""
    from hpgsim.simulate import OBSERVABLES

    return dict(OBSERVABLES)


def _libsbml():
    try:
        import libsbml
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("SBML export needs python-libsbml: pip install 'hpgsim[sbml]'") from None
    return libsbml


def _num(x) -> str:
    """A float literal for the formula parser, with every digit of the double."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite number {x} in the exported model")
    return repr(x)


class _Writer:
    """Builds the SBML model element by element, checking ids and every libSBML return code."""

    def __init__(self, libsbml, model_id: str, name: str):
        self.sb = libsbml
        self.doc = libsbml.SBMLDocument(3, 2)
        self.m = self.doc.createModel()
        self._ok(self.m.setId(model_id))
        self._ok(self.m.setName(name))
        self.ids: set[str] = set()

    def _ok(self, code, what: str = "") -> None:
        if code != self.sb.LIBSBML_OPERATION_SUCCESS:
            raise RuntimeError(f"libSBML refused {what or 'an operation'}: "
                               f"{self.sb.OperationReturnValue_toString(code)}")

    def _claim(self, sid: str) -> None:
        if not _SID.match(sid) or sid.lower() in _RESERVED:
            raise ValueError(f"'{sid}' cannot be an SBML id")
        if sid in self.ids:
            raise ValueError(f"SBML id '{sid}' used twice")
        self.ids.add(sid)

    def math(self, formula: str):
        ast = self.sb.parseL3Formula(formula)
        if ast is None:
            raise ValueError(f"cannot parse '{formula}': {self.sb.getLastParseL3Error()}")
        return ast

    def unit_definitions(self) -> None:
        for uid, (name, units) in _UNITS.items():
            self._claim(uid)
            ud = self.m.createUnitDefinition()
            self._ok(ud.setId(uid))
            self._ok(ud.setName(name))
            for kind, exp, scale, mult in units:
                u = ud.createUnit()
                self._ok(u.setKind(self.sb.UnitKind_forName(kind)), kind)
                self._ok(u.setExponent(float(exp)))
                self._ok(u.setScale(int(scale)))
                self._ok(u.setMultiplier(float(mult)))

    def function(self, fid: str, formula: str) -> None:
        self._claim(fid)
        f = self.m.createFunctionDefinition()
        self._ok(f.setId(fid))
        self._ok(f.setMath(self.math(formula)), fid)

    def parameter(self, pid: str, value: float | None, *, constant: bool = True, units: str | None = None,
                  name: str | None = None, annotation: str | None = None):
        self._claim(pid)
        p = self.m.createParameter()
        self._ok(p.setId(pid))
        self._ok(p.setConstant(constant))
        if value is not None:
            v = float(value)
            if not math.isfinite(v):
                raise ValueError(f"parameter '{pid}' is {v}")
            self._ok(p.setValue(v), pid)
        if units is not None:
            self._ok(p.setUnits(_UNIT_ID.get(units, units)), f"units of {pid}")
        if name is not None:
            self._ok(p.setName(name))
        if annotation is not None:
            self._ok(p.setAnnotation(annotation), f"annotation of {pid}")
        return p

    def assign(self, pid: str, formula: str, **kw) -> None:
        self.parameter(pid, None, constant=False, **kw)
        r = self.m.createAssignmentRule()
        self._ok(r.setVariable(pid))
        self._ok(r.setMath(self.math(formula)), f"rule of {pid}")

    def rate(self, pid: str, formula: str) -> None:
        r = self.m.createRateRule()
        self._ok(r.setVariable(pid))
        self._ok(r.setMath(self.math(formula)), f"rate rule of {pid}")

    def event(self, eid: str, t_h: float, assignments: Mapping[str, str], name: str) -> None:
        self._claim(eid)
        e = self.m.createEvent()
        self._ok(e.setId(eid))
        self._ok(e.setName(name))
        self._ok(e.setUseValuesFromTriggerTime(True))
        trig = e.createTrigger()
        self._ok(trig.setInitialValue(False))
        self._ok(trig.setPersistent(True))
        self._ok(trig.setMath(self.math(f"time >= {_num(t_h)} hour")))
        for var, formula in assignments.items():
            a = e.createEventAssignment()
            self._ok(a.setVariable(var))
            self._ok(a.setMath(self.math(formula)), f"assignment of {var} in {eid}")


def _prepare(patient, regimen, days):
    """The patient's model, initial state (as ``simulate`` starts) and the regimen's dose jumps."""
    from hpgsim import simulate as sim
    from hpgsim.patient import phenotype

    if isinstance(patient, str):
        patient = phenotype(patient)
    days = sim.check_days(days)
    reg = sim._as_regimen(regimen)
    titrated = [p for p in reg.prescriptions if p.titration is not None]
    if titrated:
        raise InputError("regimen", f"'{titrated[0]}' is titrated to a lab target, which SBML events cannot hold (each "
                                    "dose depends on the lab at the check); allowed: untitrated regimens")
    model, y0, trouble = sim.start_state(patient, reg)
    if trouble:
        raise RuntimeError(f"{patient.name}: {trouble}")
    # the jumps simulate(days=days) makes in the averaged mode: doses before its last 08:00 sample
    t_end = days * 24.0
    until_h = float(np.arange(0.0, t_end + 1e-9, 24.0)[-1] + sim.SAMPLE_HOUR)
    return patient, reg, model, y0, until_h, days


def _split_ids(m) -> dict[tuple[str, int, float], str]:
    """The SBML parameter id of every nonzero dose share of PK model ``m``: ``(route, compartment, share) -> id``.

    Formulations told apart by the dose (``by_amount``) may put different shares into the same compartment
    (leuprolide: a plain SC injection vs a depot's burst): those get a numbered id each.
    """
    seen: dict[tuple[str, int], list[float]] = {}
    for split_by_route in (m.dose_split, *(s for _, s in m.by_amount)):
        for route, split in split_by_route.items():
            for i, share in enumerate(split):
                if share and float(share) not in seen.setdefault((route, i), []):
                    seen[(route, i)].append(float(share))
    out = {}
    for (route, i), shares in seen.items():
        for n, share in enumerate(shares):
            suffix = "" if n == 0 else f"_{n + 1}"
            out[(route, i, share)] = f"{m.drug}_split_{route}_{m.compartments[i]}{suffix}"
    return out


def _dose_events(model, reg, until_h):
    """``{time_h: [(pk_index, amount, drug, route, compartment_index, share)]}`` in regimen order.

    The same loop as ``simulate._Model.jumps``, keeping the amount and the dose split apart.
    """
    index = {m.drug: (m, off) for m, off in zip(model.pk, model.offsets)}
    out: dict[float, list] = {}
    for ev in reg.events(until_h):
        m, off = index[ev.drug]
        for i, share in enumerate(m.shares(ev.route, ev.amount)):
            if share:
                out.setdefault(float(ev.time_h), []).append(
                    (off + i, float(ev.amount), ev.drug, ev.route, i, float(share)))
    # the export must make exactly simulate's jumps
    mine = sorted((t, model.n_phys + k, a * s) for t, js in out.items() for k, a, *_, s in js)
    theirs = sorted((j.time_h, j.index, j.amount) for j in model.jumps(reg, until_h))
    if mine != theirs:  # pragma: no cover - guards against a change of _Model.jumps
        raise RuntimeError("SBML dose events differ from simulate's jumps")
    return out


def to_sbml(patient, regimen=None, *, days: float = 180.0) -> str:
    """The averaged-mode model of ``patient`` (a :class:`~hpgsim.patient.Patient` or phenotype name)
    under ``regimen`` for ``days`` days, as an SBML Level 3 Version 2 document (a string).

    The initial state is the state ``simulate`` starts from (his untreated equilibrium, after his
    ``history`` if he has one); the events are the regimen's doses that ``simulate(..., days=days)``
    gives (those before the last 08:00 sample, ``24 days + 8`` hours).  Bad input raises
    :class:`~hpgsim.errors.InputError`.
    """
    sb = _libsbml()
    from hpgsim.drugs.agents import CONC_UNITS
    from hpgsim.drugs.catalog import lookup_drug
    from hpgsim.physiology import model as phys
    from hpgsim.simulate import OBSERVABLES

    patient, reg, model, y0, until_h, days = _prepare(patient, regimen, days)
    c = model.c.c
    p = model.p
    w = _Writer(sb, "hpgsim_" + re.sub(r"[^A-Za-z0-9_]", "_", patient.name),
                f"hpgsim {__version__} averaged model: {patient.name}; {reg or 'no treatment'}; {days:g} days")
    about = (f"Exported by hpgsim {__version__}: the averaged-mode male HPG axis model of patient '{patient.name}' "
             f"(age {patient.age:g}, BMI {patient.bmi:g}, overrides {dict(patient.overrides)}, history "
             f"{list(patient.history)}) under '{reg or 'no treatment'}'. Time in hours from 00:00 of day 0; dose events "
             f"up to {until_h:g} h ({days:g} days; simulate samples at 08:00 each day, before that morning's dose, "
             f"where an SBML simulator reports the state after a dose given at the sample time). The model is valid "
             f"up to that horizon only.")
    notes = (f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(about, quote=False)}</p>'
             f"<p>{html.escape(DISCLAIMER, quote=False)}</p></body>")
    w._ok(w.m.setNotes(notes), "notes")
    w.unit_definitions()
    w._ok(w.m.setTimeUnits("hour"))
    w._ok(w.m.setVolumeUnits("litre"))
    w._claim("body")
    comp = w.m.createCompartment()
    w._ok(comp.setId("body"))
    w._ok(comp.setConstant(True))
    w._ok(comp.setSize(1.0))
    w._ok(comp.setSpatialDimensions(3.0))
    w._ok(comp.setUnits("litre"))
    w.function("hill", "lambda(x, k, n, max(x, 0)^n / (k^n + max(x, 0)^n))")

    # ---- derived constants (simulate.constants), flattened
    for key, v in c.items():
        if isinstance(v, Mapping):
            for k2, v2 in v.items():
                w.parameter(f"{key}_{k2}", v2)
            continue
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            w.parameter(key, float(arr))
        else:
            for i, x in enumerate(arr.ravel()):
                w.parameter(f"{key}_{i}", x)
    w.parameter("ngdl_per_nmoll_t", phys.NGDL_PER_NMOLL_T, name="ng/dL per nmol/L of testosterone")
    w.parameter("pgml_per_nmoll_t", phys.PGML_PER_NMOLL_T, name="pg/mL per nmol/L of testosterone")
    w.parameter("pgml_per_nmoll_e2", phys.PGML_PER_NMOLL_E2, name="pg/mL per nmol/L of estradiol")

    # ---- states: physiology (ids of states shared with an observable get '_state')
    obs_ids = set(OBSERVABLES)
    sid = {n: (f"{n}_state" if n in obs_ids else n) for n in phys.STATES}
    for i, n in enumerate(phys.STATES):
        if n == "gnrh_portal":
            continue  # constant 0 in the averaged mode
        w.parameter(sid[n], y0[i], constant=False, units=_STATE_UNITS.get(n, "1"))
    # PK compartments
    pk_ids: list[str] = []
    for m, off in zip(model.pk, model.offsets):
        unit = "nmol" if m.drug.startswith("testosterone_") else lookup_drug(m.drug).dose_unit
        for i, comp_name in enumerate(m.compartments):
            pid = f"{m.drug}_{comp_name}"
            pk_ids.append(pid)
            w.parameter(pid, y0[model.n_phys + off + i], constant=False, units=unit,
                        name=f"{m.drug}: amount in {comp_name} ({unit})")
    assert len(pk_ids) == model.n - model.n_phys

    # ---- PK: rates, dose splits, concentrations, T input
    pk_rates: dict[str, list[str]] = {}
    for m, off in zip(model.pk, model.offsets):
        ids = [f"{m.drug}_{cn}" for cn in m.compartments]
        k = np.asarray(m.k, dtype=float)
        for i in range(len(ids)):
            terms = []
            if k[i, i] != 0.0:
                w.parameter(f"{ids[i]}_kout", -k[i, i], units="per_hour",
                            name=f"{m.drug}: total rate out of {m.compartments[i]}")
                terms.append(f"-{ids[i]}_kout * {ids[i]}")
            for j in range(len(ids)):
                if j != i and k[i, j] != 0.0:
                    kid = f"{m.drug}_k_{m.compartments[j]}_to_{m.compartments[i]}"
                    w.parameter(kid, k[i, j], units="per_hour")
                    terms.append(f"{kid} * {ids[j]}")
            pk_rates[ids[i]] = terms or ["0"]
        for (route, i, share), split_id in _split_ids(m).items():
            w.parameter(split_id, share, units="nmol_per_mg" if m.drug.startswith("testosterone_") else "dimensionless",
                        name=f"{m.drug}: share of a {route} dose into {m.compartments[i]}")
    plasma: dict[str, list[str]] = {}
    for m in model.pk:
        for name, (i, f) in m.conc.items():
            fid = f"{m.drug}_cf_{name}"
            w.parameter(fid, f, name=f"{m.drug}: {name} concentration per unit amount in {m.compartments[i]}")
            plasma.setdefault(name, []).append(f"{m.drug}_{m.compartments[i]} * {fid}")
    for name, terms in plasma.items():
        w.assign(f"plasma_{name}", " + ".join(terms), name=f"plasma {name} concentration")
    for m in model.pk:
        cols = " + ".join(f"plasma_{name}" for name in m.conc)
        unit = CONC_UNITS.get(m.drug, "")
        w.assign(f"conc_{m.drug}", cols, units=unit if unit in _UNIT_ID else None,
                 name=f"conc_{m.drug} [{unit}]", annotation=_unit_annotation("concentration", unit))
    t_in = []
    for m in model.pk:
        if m.t_input is not None:
            i, ka = m.t_input
            w.parameter(f"{m.drug}_t_input_rate", ka, units="per_hour")
            t_in.append(f"{m.drug}_t_input_rate * max({m.drug}_{m.compartments[i]}, 0)")

    # ---- drug actions: drugs.agents.effects over the analytes present (absent ones are 0 there)
    needed = sorted({q for name in plasma for q in _PD_PARAMETERS.get(name, ())})
    for q in needed:
        w.parameter(q, p[q])
    _effects(w, set(plasma))
    if t_in:
        w.assign("t_input", " + ".join(t_in), name="T entering serum from products (nmol/h)")
    else:
        w.parameter("t_input", 0.0, name="T entering serum from products (nmol/h)")

    # ---- physiology: model._signals and model.rhs (averaged mode)
    s = sid
    germ = [s[f"germ{i}"] for i in range(phys.N_GERM)]
    epi = [s[f"epi{i}"] for i in range(phys.N_EPI)]
    rules = [
        # _signals
        ("t_pos", f"max({s['t']}, 0)"),
        ("shbg_pos", f"max({s['shbg']}, 0)"),
        # binding.free_testosterone (Vermeulen): root of a x^2 + b x - tt = 0, mol/L
        ("vm_tt", "max(t_pos, 0) * 1e-9"),
        ("vm_s", "max(shbg_pos, 0) * 1e-9"),
        ("vm_n", "1 + bind_k_alb * albumin / bind_albumin_mw"),
        ("vm_b", "vm_n + bind_k_shbg * (vm_s - vm_tt)"),
        ("vm_a", "vm_n * bind_k_shbg"),
        ("vm_disc", "sqrt(vm_b * vm_b + 4 * vm_a * vm_tt)"),
        ("ft", "piecewise(2 * vm_tt / (vm_b + vm_disc + 1e-300), vm_b >= 0, (vm_disc - vm_b) / (2 * vm_a)) * 1e9"),
        ("arom", "1 - aromatase_inhibition"),
        ("stim", f"max({s['lh']}, 0) + exogenous_lh + lh_activity"),
        ("circ", "1 + circ_amp * cos(omega * (time - circ_phase))"),
        ("p_t", f"max(leydig_basal * leydig_scale * {s['leydig_resp']} * {s['leydig_trophic']}"
                f" * max({s['leydig_mass']}, 0) * max({s['leydig_number']}, 0) * lmax * hill(stim, l50, lhill) * circ, 0)"),
        ("e2", "arom * (e2_periph_k * t_pos + e2_testis_k * p_t)"),
        ("e_sig", "(1 - er_occupancy) * (e2 / e2_ref + local_arom * arom * ft / ft_ref) / (1 + local_arom) + er_agonism"),
        # the feedback sees the estrogen signal of the last hours (state steroid_fb), model._signals_core
        ("e_fb", f"e2_fb_norm * hill(max({s['steroid_fb']}, 0), e2_fb_k, e2_fb_n)"),
        # rhs
        ("lh_pos", f"max({s['lh']}, 0)"),
        ("fsh_pos", f"max({s['fsh']}, 0)"),
        ("occ_f", f"max({s['gnrh_occ_filtered']}, 0)"),
        ("generator_activity", f"gen_norm / (1 + (max({s['steroid_hyp']}, 0) / gen_k)^gen_n)"),
        ("gnrh_frequency", "f_max * cort * generator_activity / (1 + x_t * ft / ft_ref + x_e * e_fb)"),
        ("gnrh_pulse_mass", f"m * generator_activity * (1 + z_e) / (1 + z_e * max({s['steroid_hyp']}, 0))"),
        # competitive antagonism: GnRH's (and agonists') affinity divided by xa1 = 1 + C/Kd
        ("antagonist_theta", "min(max(gnrh_antagonism, 0), 0.999999)"),
        ("xa1", "m_ref / (exp((1 - antagonist_theta) * ln(1 + m_ref)) - 1)"),
        ("occ_endo", "min(gnrh_frequency * ln(1 + gnrh_pulse_mass / xa1) / k_g, 1)"),
        ("occ_drug", "gnrh_agonist_occupancy / (gnrh_agonist_occupancy + (1 - gnrh_agonist_occupancy) * xa1 + 1e-300)"),
        ("occ", "occ_endo + occ_drug * (1 - occ_endo)"),
        ("n_r", f"max({s['gnrhr_number']}, 0)"),
        ("gnrhr_number_out", "k_n * (1 + n_loss * (1 - 1 / xa1))"),
        ("sig_slow", f"n_r * {s['gnrhr']} * occ_f / sig_ref"),
        ("sig_fast", f"n_r * {s['gnrhr']} * occ / sig_ref"),
        ("lh_synthesis", "syn_lh * (basal + gn_reserve * sig_slow / ((sig_slow + k_sl) * (1 + y_l * e_fb)))"),
        ("lh_release", f"k_rel * (basal + sig_fast) * max({s['lh_pool']}, 0)"),
        ("ib_pos", f"max({s['inhibin_b']}, 0)"),
        ("ib_fb", "1 / (1 + (ib_pos / ib_k)^ib_n)"),
        ("fsh_synthesis", "syn_fsh * (basal + gn_reserve * sig_slow / ((sig_slow + k_sf) * (1 + y_f * e_fb))) * ib_fb"),
        ("des", "k_rdes * hill(occ_f, rdes_k, rdes_n)"),
        ("itt", "t_pos + p_t / cl_testis"),
        ("fsh_tot", "fsh_pos + exogenous_fsh"),
        ("itt_rel", "max(itt, 0) / itt_ref"),
        ("support_itt", "hill(itt_rel, sp_itt_k, sp_itt_n)"),
        ("support_fsh", "hill(fsh_tot, sp_fsh_k, sp_fsh_n)"),
        ("support", "sertoli * (a_itt * support_itt + a_fsh * support_fsh + (1 - a_itt - a_fsh) * support_itt * support_fsh)"
                    " / support_ref"),
        ("germ_frac", f"(({' + '.join(germ)}) / {phys.N_GERM}) / germ_ref_mean"),
        ("ib_target", "ib_scale * sertoli * fsh_tot / (fsh_tot + ib_fsh_k)"
                      " * ((1 - ib_germ) + ib_germ * min(max(germ_frac, 0), 2))"),
        ("deficit", "min(max(1 - support / max(sertoli, 1e-9), 0), 1)"),
        ("germ_loss", "k_a0 + k_aw * deficit"),
        ("shbg_goal", "shbg_target * (max(t_pos, 1e-3) / t_ref)^(-shbg_androgen_exp)"),
        ("h_stim", "hill(stim, l50, lhill)"),
        ("z_target", "h_stim * (h_ref + z_k) / (h_ref * (h_stim + z_k))"),
        ("mass_x2", "h_stim * h_stim / (h_ref * h_ref)"),
        ("mass_x4", "mass_x2 * mass_x2"),
        ("mass_target", "mass_x4 * (1 + m_k4) / (m_k4 + mass_x4)"),
        ("mass_gap", f"mass_target - {s['leydig_mass']}"),
        ("number_gap", f"mass_target - {s['leydig_number']}"),
        ("steroid_signal", "e_sig"),
    ]
    for rid, f in rules:
        w.assign(rid, f)
    rates = {
        s["gnrhr"]: f"k_rrec * (1 - {s['gnrhr']}) * (1 - des / k_rdes) - des * {s['gnrhr']}",
        s["gnrhr_number"]: "k_n - gnrhr_number_out * n_r",
        # without GnRH (congenital HH) the filtered occupancy would decay towards 0 through denormal numbers,
        # which CVODE cannot resolve: below 1e-200 it is held (a value of no consequence anywhere)
        s["gnrh_occ_filtered"]: f"piecewise(0, occ <= 0 && {s['gnrh_occ_filtered']} < 1e-200, k_f * (occ - occ_f))",
        s["lh_pool"]: "lh_synthesis - lh_release",
        s["lh"]: "lh_release - ke_lh * lh_pos",
        s["fsh"]: "fsh_synthesis - ke_fsh * fsh_pos",
        s["t"]: "(p_t + p_extra + t_input) / v_t - k_t * t_pos",
        s["shbg"]: "k_shbg * (min(max(shbg_goal, 2), 300) - shbg_pos)",
        s["inhibin_b"]: "k_ib * (ib_target - ib_pos)",
        s["leydig_resp"]: (f"k_lrec * (1 - {s['leydig_resp']})"
                           f" - k_ldes * hill(stim, ldes_k, ldes_n) * {s['leydig_resp']}"),
        s["leydig_trophic"]: f"k_z * (z_target - {s['leydig_trophic']})",
        s["leydig_mass"]: "k_mup * stim * inv_lh_ref * max(mass_gap, 0) + k_mdn * min(mass_gap, 0)",
        s["leydig_number"]: "k_nup * stim * inv_lh_ref * max(number_gap, 0) + k_ndn * min(number_gap, 0)",
        s["steroid_hyp"]: f"k_hyp * (steroid_signal - {s['steroid_hyp']})",
        s["steroid_fb"]: f"k_fb * (steroid_signal - {s['steroid_fb']})",
        s["sg_reserve"]: (f"sg_r * (1 - deficit) * max({s['sg_reserve']}, 0) * (1 - max({s['sg_reserve']}, 0))"
                          f" - sg_kw * deficit * (max({s['sg_reserve']}, 0) - sg_floor)"),
        germ[0]: f"k_tr * support * max({s['sg_reserve']}, 0) - (k_tr + germ_loss) * {germ[0]}",
        **{germ[i]: f"k_tr * {germ[i - 1]} - (k_tr + germ_loss) * {germ[i]}" for i in range(1, phys.N_GERM)},
        epi[0]: f"k_tr * sperm_eff * {germ[-1]} - k_epi * {epi[0]}",
        **{epi[i]: f"k_epi * ({epi[i - 1]} - {epi[i]})" for i in range(1, phys.N_EPI)},
    }
    missing = {sid[n] for n in phys.STATES if n != "gnrh_portal"} - set(rates)
    if missing:  # pragma: no cover - a state added to model.py without its rate rule here
        raise RuntimeError(f"no rate rule for states {sorted(missing)}")
    for var, f in rates.items():
        w.rate(var, f)
    for var, terms in pk_rates.items():
        w.rate(var, " + ".join(terms))

    # ---- observables (model.observables), canonical ids and units
    units = observable_units()
    obs = {
        "total_testosterone": "t_pos * ngdl_per_nmoll_t",
        "free_testosterone": "ft * pgml_per_nmoll_t",
        "bioavailable_testosterone": "ft * vm_n * ngdl_per_nmoll_t",
        "lh": "lh_pos + exogenous_lh",
        "fsh": "fsh_pos + exogenous_fsh",
        "estradiol": "e2 * pgml_per_nmoll_e2",
        "shbg": "shbg_pos",
        "inhibin_b": "ib_pos",
        "intratesticular_testosterone": "max(itt, 0)",
        "total_sperm_count": f"tsc_ref * max({epi[-1]}, 0) / epi_ref",
        "sperm_concentration": "total_sperm_count / semen_volume",
        "total_motile_count": "total_sperm_count * motility",
        # ratios of the numbers in the canonical units: divided by one unit each, so dimensionless
        "t_e2_ratio": "(total_testosterone / 1 ng_per_dL) / (max(estradiol, 1e-6 pg_per_mL) / 1 pg_per_mL)",
        "t_lh_ratio": "(total_testosterone / 1 ng_per_dL) / (max(lh, 1e-6 IU_per_L) / 1 IU_per_L)",
    }
    if set(obs) != set(units):  # pragma: no cover - an observable added to simulate without its formula here
        raise RuntimeError(f"observables differ from simulate.OBSERVABLES: {sorted(set(obs) ^ set(units))}")
    for oid in units:
        w.assign(oid, obs[oid], units=units[oid], name=f"{oid} [{units[oid]}]",
                 annotation=_unit_annotation("observable", units[oid]))

    # ---- doses
    split_ids = {m.drug: _split_ids(m) for m in model.pk}
    for k, (t_h, js) in enumerate(sorted(_dose_events(model, reg, until_h).items())):
        terms: dict[str, list[str]] = {}
        label = []
        for idx, amount, drug, route, ci, share in js:
            target = pk_ids[idx]
            unit = _UNIT_ID[lookup_drug(drug).dose_unit]
            terms.setdefault(target, []).append(f"{_num(amount)} {unit} * {split_ids[drug][(route, ci, share)]}")
            label.append(f"{drug} {amount:g} {route}")
        assignments = {tgt: f"{tgt} + " + " + ".join(ts) for tgt, ts in terms.items()}
        w.event(f"dose_{k}", t_h, assignments, f"t = {t_h:g} h: " + ", ".join(dict.fromkeys(label)))

    return sb.writeSBMLToString(w.doc)


def _unit_annotation(kind: str, unit: str) -> str:
    unit = unit.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return f'<annotation><hpgsim:{kind} xmlns:hpgsim="{_NS}" unit="{unit}"/></annotation>'


def _effects(w: _Writer, analytes: set[str]) -> None:
    """``drugs.agents.effects`` as assignment rules over the analytes present; the actions that no
    present analyte touches are constant 0 (their value in ``effects`` with those analytes absent)."""

    def pos(name):
        return f"max(plasma_{name}, 0)"

    def const0(eid):
        w.parameter(eid, 0.0)

    ais = [d for d in ("anastrozole", "letrozole") if d in analytes]
    if ais:
        keep = " * ".join(f"(1 - {d}_imax * {pos(d)} / ({d}_ic50 + {pos(d)}))" for d in ais)
        w.assign("aromatase_inhibition", f"1 - {keep}")
    else:
        const0("aromatase_inhibition")
    xs = []
    en = [x for x in ("enclomiphene", "hydroxyenclomiphene") if x in analytes]
    if en:
        parts = {"enclomiphene": f"(1 - hydroxyenclomiphene_share) * {pos('enclomiphene')}",
                 "hydroxyenclomiphene": f"hydroxyenclomiphene_share * {pos('hydroxyenclomiphene')}"}
        w.assign("er_x_en", f"({' + '.join(parts[x] for x in en)}) / enclomiphene_er_k")
        xs.append("er_x_en")
    if "zuclomiphene" in analytes:
        w.assign("er_x_zu", f"{pos('zuclomiphene')} / zuclomiphene_er_k")
        xs.append("er_x_zu")
    tam = [x for x in ("tamoxifen", "endoxifen") if x in analytes]
    if tam:
        parts = {"tamoxifen": pos("tamoxifen"), "endoxifen": f"endoxifen_potency * {pos('endoxifen')}"}
        w.assign("er_x_tam", f"({' + '.join(parts[x] for x in tam)}) / tamoxifen_er_k")
        xs.append("er_x_tam")
    if xs:
        w.assign("er_denominator", "1 + " + " + ".join(xs))
        w.assign("er_occupancy", f"({' + '.join(xs)}) / er_denominator")
    else:
        const0("er_occupancy")
    if "er_x_zu" in xs:
        w.assign("er_agonism", "zuclomiphene_efficacy * er_x_zu / er_denominator")
    else:
        const0("er_agonism")
    g = [f"{pos(d)} / {d}_ec50" for d in ("gonadorelin", "leuprolide") if d in analytes]
    if g:
        w.assign("gnrh_x", " + ".join(g))
        w.assign("gnrh_agonist_occupancy", "gnrh_x / (1 + gnrh_x)")
    else:
        const0("gnrh_agonist_occupancy")
    if "degarelix" in analytes:
        w.assign("degarelix_cd", f"{pos('degarelix')}^degarelix_hill")
        w.assign("gnrh_antagonism", "degarelix_imax * degarelix_cd / (degarelix_ic50^degarelix_hill + degarelix_cd)")
    else:
        const0("gnrh_antagonism")
    if "hcg" in analytes:
        w.assign("lh_activity", f"hcg_lh_potency * {pos('hcg')}")
    else:
        const0("lh_activity")
    if "hmg_lh" in analytes:
        w.assign("exogenous_lh", pos("hmg_lh"))
    else:
        const0("exogenous_lh")
    fsh = [pos(x) for x in ("fsh", "hmg") if x in analytes]
    if fsh:
        w.assign("exogenous_fsh", " + ".join(fsh))
    else:
        const0("exogenous_fsh")
    unknown = analytes - {"anastrozole", "letrozole", "enclomiphene", "hydroxyenclomiphene", "zuclomiphene", "tamoxifen", "endoxifen",
                          "gonadorelin", "leuprolide", "degarelix", "hcg", "hmg_lh", "fsh", "hmg"}
    unknown -= {a for a in analytes if a.startswith("testosterone_")}  # act through t_input, not effects
    if unknown:  # pragma: no cover - an analyte added to agents.py without its action here
        raise RuntimeError(f"no SBML form for the actions of {sorted(unknown)}")
