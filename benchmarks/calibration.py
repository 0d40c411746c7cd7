"""Calibration of a man's twin: recovery and coverage over random known men, and the time per fit.

    python benchmarks/calibration.py [--cases 200] [--seed 0] [--json]

Each case is a virtual man drawn around one of five phenotypes (eugonadal, obese-hyperestrogenic,
secondary hypogonadism, primary hypogonadism, post-TRT), with between-patient variability from
the parameter table.  His morning labs (total and free T, LH, FSH, E2, SHBG, inhibin B and sperm
concentration) are simulated, written as a patient file and fitted.  A case counts as recovered
when every lab is reproduced within 5% (or, below the assay floor, within a tenth of it) and
every parameter the fit calls identifiable has the man's true value inside its 90% interval.
Times are wall-clock seconds per fit in this process.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hpgsim.calibrate import DETECTION_FLOOR, FITTED, fit
from hpgsim.labs import parse_patient
from hpgsim.population import baseline, virtual_population

PHENOTYPES = ("eugonadal", "obese_hyperestrogenic", "secondary_hypogonadism", "primary_hypogonadism", "post_trt_suppressed")
LABS = {"total_testosterone": "ng/dL", "free_testosterone": "pg/mL", "lh": "IU/L", "fsh": "IU/L", "estradiol": "pg/mL",
        "shbg": "nmol/L", "inhibin_b": "pg/mL"}


def document(man) -> dict:
    vals = baseline([man], [*LABS, "sperm_concentration"])
    doc = {"id": man.name, "age_years": man.age, "bmi": man.bmi, "fertility_desired": True,
           "labs": {k: {"value": float(vals[k][0]), "unit": u} for k, u in LABS.items()},
           "semen": {"sperm_concentration": {"value": float(vals["sperm_concentration"][0]), "unit": "M/mL"}}}
    if man.history:
        doc["history"] = [{"regimen": r, "start_week": a, "stop_week": b} for r, a, b in man.history]
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    fit(parse_patient(document(virtual_population(1, seed=args.seed)[0])))  # compile / load the kernel once
    rows = []
    for i in range(args.cases):
        ph = PHENOTYPES[i % len(PHENOTYPES)]
        man = virtual_population(1, seed=args.seed + 1000 + i, base=ph, name=f"{ph}-")[0]
        pf = parse_patient(document(man))
        t0 = time.perf_counter()
        twin = fit(pf)
        dt = time.perf_counter() - t0
        true = man.parameter_values()
        labs_ok = all(abs(twin.fitted[k] - v) <= max(0.05 * v, 0.1 * DETECTION_FLOOR[k]) for k, v in twin.observed.items())
        ident = [k for k in FITTED if twin.parameters[k].identifiable]
        covered = [twin.parameters[k].low <= true[k] <= twin.parameters[k].high for k in ident]
        rows.append({"case": i, "phenotype": ph, "prior": twin.phenotype, "status": twin.status, "seconds": dt,
                     "labs_within_5pct": labs_ok, "identifiable": ident, "covered": int(sum(covered)),
                     "recovered": bool(labs_ok and all(covered))})
    secs = np.array([r["seconds"] for r in rows])
    doc = {
        "cases": len(rows),
        "recovered_fraction": float(np.mean([r["recovered"] for r in rows])),
        "labs_within_5pct_fraction": float(np.mean([r["labs_within_5pct"] for r in rows])),
        "parameter_coverage": float(sum(r["covered"] for r in rows) / max(1, sum(len(r["identifiable"]) for r in rows))),
        "seconds_per_fit": {"mean": float(secs.mean()), "median": float(np.median(secs)), "max": float(secs.max())},
        "by_phenotype": {ph: float(np.mean([r["recovered"] for r in rows if r["phenotype"] == ph])) for ph in PHENOTYPES},
        "identifiable_share": {k: float(np.mean([k in r["identifiable"] for r in rows])) for k in FITTED},
    }
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(f"{doc['cases']} cases: recovered {100 * doc['recovered_fraction']:.1f}% "
              f"(labs within 5%: {100 * doc['labs_within_5pct_fraction']:.1f}%, identifiable parameters inside their "
              f"90% interval: {100 * doc['parameter_coverage']:.1f}%)")
        for ph, v in doc["by_phenotype"].items():
            print(f"  {ph:<24} recovered {100 * v:.0f}%")
        s = doc["seconds_per_fit"]
        print(f"seconds per fit: mean {s['mean']:.2f}, median {s['median']:.2f}, max {s['max']:.2f}")
        print("identified in: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in doc["identifiable_share"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
