"""A man's virtual twin: the patient parameters that reproduce his labs, and how sure we are of them.

* Prior: his phenotype (:func:`hpgsim.clinic.phenotype.classify`) sets the prior medians of the
  fitted parameters (:data:`FITTED`); each is log-normal with SD ``calibration_prior_log_sd`` (or its
  own ``calibration_prior_log_sd_<name>``).
  Measured albumin, semen volume and motility are set directly, not fitted.
* Likelihood: each given lab is log-normal around the model's 08:00 value after his treatment
  history, with the within-subject SD of the parameter table (``lab_cv_*``); a repeated lab
  (averaged by the patient file) counts once per measurement.
* Maximum a posteriori by trust-region least squares in log space; the Jacobian's columns are one
  batched cohort run (one virtual man per perturbed parameter) on the compiled engine.
* Uncertainty: Laplace approximation (the inverse Gauss-Newton Hessian at the optimum) in log
  space; 90% intervals are exp(mode +/- 1.645 SD).  A parameter is identifiable when the labs
  shrink its SD to less than half the prior's; otherwise it stays at its prior, which the output
  says.

Predictions from the twin (:func:`predict`) sample the Laplace posterior: the band is parameter
uncertainty, not between-patient variability (that is :mod:`hpgsim.population`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from hpgsim import DISCLAIMER, parameters
from hpgsim.clinic.phenotype import classify
from hpgsim.labs import PatientFile
from hpgsim.patient import Patient, phenotype
from hpgsim.simulate import simulate_cohort

__all__ = ["FITTED", "FITTABLE_LABS", "DETECTION_FLOOR", "lab_sd", "Estimate", "Fit", "MapFit", "fit", "map_fit",
           "predict"]

# sperm_itt_k (the man's androgen requirement of spermatogenesis) moves his labs only where his intratesticular T is
# low (hypogonadism, androgen use); elsewhere it stays at its prior
FITTED: tuple[str, ...] = ("gnrh_drive", "leydig_capacity", "aromatase_activity", "shbg_production", "sertoli_capacity",
                           "spermatogenic_efficiency", "sperm_itt_k")
FITTABLE_LABS: tuple[str, ...] = ("total_testosterone", "free_testosterone", "bioavailable_testosterone", "lh", "fsh",
                                  "estradiol", "shbg", "inhibin_b", "sperm_concentration", "total_sperm_count",
                                  "total_motile_count")
_CV = {"bioavailable_testosterone": "lab_cv_free_testosterone"}
# floor under a lab in log space (an undetectable value is not minus infinity): about the assays' detection limits
DETECTION_FLOOR = {"sperm_concentration": 0.1, "total_sperm_count": 0.3, "total_motile_count": 0.3, "lh": 0.05, "fsh": 0.05,
          "total_testosterone": 2.0, "free_testosterone": 0.5, "bioavailable_testosterone": 1.0, "estradiol": 1.0,
          "shbg": 1.0, "inhibin_b": 5.0}
Z90 = 1.6448536269514722
_STEP = 1e-3


def lab_sd(observable: str) -> float:
    """The within-subject SD (log space) of one measurement of ``observable`` (the table's ``lab_cv_*``)."""
    return parameters.get(_CV.get(observable, f"lab_cv_{observable}")).value


@dataclass(frozen=True, slots=True)
class Estimate:
    """One fitted parameter: mode, 90% interval, prior median and whether the labs identify it."""

    estimate: float
    low: float
    high: float
    prior: float
    identifiable: bool


@dataclass(frozen=True, slots=True)
class Fit:
    """The calibrated twin of one man."""

    status: str
    message: str
    phenotype: str
    reasons: tuple[str, ...]
    observed: Mapping[str, float]
    fitted: Mapping[str, float]
    parameters: Mapping[str, Estimate]
    patient: Patient
    mode: np.ndarray = field(repr=False)  # log of the fitted parameters at the optimum
    cov: np.ndarray = field(repr=False)  # their Laplace covariance (log space)

    def draw(self, n: int, seed: int = 0) -> list[Patient]:
        """``n`` men from the posterior (parameter uncertainty), the first at the mode."""
        rng = np.random.default_rng(seed)
        z = rng.multivariate_normal(self.mode, self.cov, size=n, method="eigh")
        z[0] = self.mode
        return [_patient(self.patient, zi, f"{self.patient.name}-draw{i}") for i, zi in enumerate(z)]

    def to_dict(self) -> dict:
        return {
            "status": self.status, "message": self.message, "phenotype": self.phenotype, "reasons": list(self.reasons),
            "observed": dict(self.observed), "fitted": dict(self.fitted),
            "parameters": {k: {"estimate": e.estimate, "low_90": e.low, "high_90": e.high, "prior_median": e.prior,
                               "identifiable": e.identifiable} for k, e in self.parameters.items()},
            "uncertainty": "parameter uncertainty of this man's fit (Laplace approximation), not between-patient variability",
            "disclaimer": DISCLAIMER,
        }


def _patient(base: Patient, theta: np.ndarray, name: str) -> Patient:
    over = dict(base.overrides)
    for k, v in zip(FITTED, np.exp(theta)):
        over[k] = parameters.clip(k, v)
    return Patient(name=name, age=base.age, bmi=base.bmi, overrides=over, history=base.history)


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    lo = np.log([max(parameters.get(k).lower or 0.0, 1e-4) for k in FITTED])
    hi = np.log([parameters.get(k).upper for k in FITTED])
    return lo, hi


@dataclass(frozen=True, slots=True)
class MapFit:
    """The maximum a posteriori of :func:`map_fit`: the mode (log space), the model there and its Laplace covariance."""

    theta: np.ndarray
    pred: np.ndarray
    cov: np.ndarray
    status: str
    message: str


def map_fit(model, y_obs: np.ndarray, sd: np.ndarray, mu0: np.ndarray, psd: np.ndarray, lo: np.ndarray,
            hi: np.ndarray, *, max_nfev: int = 80, xtol: float = 1e-8, ftol: float = 1e-10) -> MapFit:
    """Maximum a posteriori of log-parameters ``theta`` (bounded by ``lo``/``hi``): observations ``y_obs`` normal
    around ``model(theta)`` with SDs ``sd``, priors normal around ``mu0`` with SDs ``psd`` (all in log space).

    ``model`` maps a stack of parameter vectors (one per row) to the stacked predictions, so that the Jacobian's
    columns (forward differences) are one batched run.  Trust-region least squares; the covariance is the inverse
    Gauss-Newton Hessian at the mode.
    """
    cache: dict[bytes, np.ndarray] = {}

    def resid_of(pred, theta):
        return np.concatenate([(pred - y_obs) / sd, (theta - mu0) / psd])

    def fun(theta):
        key = theta.tobytes()
        if key not in cache:
            cache[key] = model(theta[None, :])[0]
        return resid_of(cache[key], theta)

    def jac(theta):
        steps = np.where(theta + _STEP < hi, _STEP, -_STEP)
        thetas = theta[None, :] + np.diag(steps)
        preds = model(np.vstack([theta[None, :], thetas]))
        cache[theta.tobytes()] = preds[0]
        j_obs = (preds[1:] - preds[0]).T / steps[None, :] / sd[:, None]
        return np.vstack([j_obs, np.diag(1.0 / psd)])

    status, message = "ok", "ok"
    try:
        sol = least_squares(fun, mu0, jac=jac, bounds=(lo, hi), method="trf", xtol=xtol, ftol=ftol, max_nfev=max_nfev)
        theta = sol.x
        if not sol.success:
            status, message = "warning", f"optimiser stopped: {sol.message}"
    except (FloatingPointError, ValueError, np.linalg.LinAlgError) as exc:  # reported, not raised
        theta, status, message = mu0, "failed", f"calibration failed: {exc}"
    j = jac(theta)
    if not np.isfinite(j).all():  # a model that fails at the mode (or everywhere) has no Laplace covariance
        if status != "failed":
            status, message = "failed", "calibration failed: the model's predictions are not finite at the mode"
        return MapFit(theta=theta, pred=cache[theta.tobytes()], cov=np.full((theta.size, theta.size), np.nan),
                      status=status, message=message)
    return MapFit(theta=theta, pred=cache[theta.tobytes()], cov=np.linalg.pinv(j.T @ j), status=status, message=message)


def fit(pf: PatientFile) -> Fit:
    """Calibrate the model to the man of patient file ``pf``."""
    labs = pf.canonical_labs()
    base = pf.to_patient()
    cls = classify(labs, bmi=base.bmi, history=base.history)
    preset = phenotype(cls.phenotype)
    fixed: dict[str, float] = {}
    if "albumin" in labs:
        fixed["albumin"] = labs["albumin"]
    if "volume" in labs:
        fixed["semen_volume"] = min(max(labs["volume"], 0.5), 8.0)
    if "total_motility" in labs:
        fixed["motility_fraction"] = min(max(labs["total_motility"] / 100.0, 0.0), 0.95)
    base = Patient(name=base.name, age=base.age, bmi=base.bmi, overrides=fixed, history=base.history)
    obs = [k for k in FITTABLE_LABS if k in labs]
    counts = np.array([max(len(pf.measurements(k)), 1) if k in pf.labs.measure_names() else 1 for k in obs], dtype=float)
    sd = np.array([lab_sd(k) for k in obs]) / np.sqrt(counts)
    floor = np.array([DETECTION_FLOOR[k] for k in obs])
    y_obs = np.log(np.array([labs[k] for k in obs]) + floor)
    prior = np.array([max(preset.overrides.get(k, parameters.get(k).value), 1e-3) for k in FITTED])
    mu0 = np.log(prior)
    psd = np.array([parameters.TABLE.get(f"calibration_prior_log_sd_{k}", parameters.get("calibration_prior_log_sd")).value
                    for k in FITTED])
    lo, hi = _bounds()
    mu0 = np.clip(mu0, lo + 1e-6, hi - 1e-6)

    def model(thetas: np.ndarray) -> np.ndarray:
        men = [_patient(base, t, f"{base.name}-{i}") for i, t in enumerate(thetas)]
        res = simulate_cohort(men, None, days=1, sample_days=[0], observables=obs) if obs else None
        out = np.column_stack([np.asarray(res.values[k][0], dtype=float) for k in obs]) if obs else np.zeros((len(men), 0))
        return np.log(np.maximum(out, 0.0) + floor)

    m = map_fit(model, y_obs, sd, mu0, psd, lo, hi, max_nfev=80)
    theta, status, message, cov = m.theta, m.status, m.message, m.cov
    post_sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    pred = np.exp(m.pred) - floor
    fitted = dict(zip(obs, pred.tolist()))
    worst = max((abs(fitted[k] / labs[k] - 1.0) for k in obs if labs[k] > 0), default=0.0)
    if status == "ok" and worst > 0.25:
        status, message = "warning", f"the twin misses a lab by {100 * worst:.0f}%: the model cannot reproduce this man exactly"
    est = {}
    for i, k in enumerate(FITTED):
        est[k] = Estimate(estimate=parameters.clip(k, math.exp(theta[i])),
                          low=parameters.clip(k, math.exp(theta[i] - Z90 * post_sd[i])),
                          high=parameters.clip(k, math.exp(theta[i] + Z90 * post_sd[i])), prior=float(prior[i]),
                          identifiable=bool(post_sd[i] < 0.5 * psd[i]))
    twin = _patient(base, theta, base.name)
    return Fit(status=status, message=message, phenotype=cls.phenotype, reasons=cls.reasons,
               observed={k: float(labs[k]) for k in obs}, fitted=fitted, parameters=est, patient=twin,
               mode=theta, cov=cov)


def predict(twin: Fit, regimen=None, *, days: float, n: int = 100, seed: int = 0,
            observables: Sequence[str] | None = None, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
    """Predicted trajectories of the twin under ``regimen``: quantiles over ``n`` posterior draws.

    Columns: ``day``, ``observable``, ``q05``, ``q50``, ``q95`` (parameter uncertainty).
    """
    men = twin.draw(n, seed)
    res = simulate_cohort(men, regimen, days=days, observables=observables)
    rows = []
    for k, v in res.values.items():
        q = np.nanquantile(np.asarray(v, dtype=float), quantiles, axis=1)
        for i, d in enumerate(res.days):
            rows.append({"day": float(d), "observable": k, **{f"q{round(100 * qq):02d}": float(q[j, i])
                                                              for j, qq in enumerate(quantiles)}})
    return pd.DataFrame(rows)
