"""Virtual men x 365 days on the batched engine, against scipy (LSODA) and libRoadRunner one by one.

    python benchmarks/population.py [--sizes 1000,10000,100000] [--peers 50] [--days 365] [--json]

The batched engine keeps every man's 14 canonical observables at 08:00 of every day (float32); the
largest cohort's output size and the process's peak memory are reported.

Cohort: men drawn log-normally around the reference man on the per-patient parameters of the
table that have a between-patient CV (seeded, ``SeedSequence.spawn`` per man), ages 20-70 and BMI
20-35.  Two regimens: a weekly one (testosterone enanthate 200 mg IM weekly) and a daily one
(anastrozole 1 mg PO daily).  ``--peers`` of the same men (the first ones) are also run one by
one with the scipy engine of ``hpgsim.simulate`` and with libRoadRunner on their exported SBML;
``max_rel_diff`` is the largest relative difference in final total T and sperm concentration
between engines for the same men.  Ratios are per-patient times, measured in this process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numba
import numpy as np

from hpgsim import parameters
from hpgsim.patient import Patient
from hpgsim.simulate import simulate, simulate_cohort

REGIMENS = {"weekly": "testosterone enanthate 200 mg IM weekly", "daily": "anastrozole 1 mg PO daily"}
FINAL = ("total_testosterone", "sperm_concentration")


def cohort(n: int, seed: int = 2026) -> list[Patient]:
    rows = [parameters.get(k) for k in parameters.names(patient=True)]
    rows = [r for r in rows if r.cv]
    men = []
    for i, ss in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(ss)
        over = {}
        for r in rows:
            v = r.value * float(np.exp(r.cv * rng.standard_normal() - r.cv**2 / 2))
            lo = r.lower if r.lower is not None else -np.inf
            hi = r.upper if r.upper is not None else np.inf
            over[r.name] = float(np.clip(v, lo, hi))
        men.append(Patient(name=f"man{i}", age=float(rng.uniform(20, 70)), bmi=float(rng.uniform(20, 35)), overrides=over))
    return men


def run_scipy(men, regimen, days):
    out = []
    for m in men:
        f = simulate(m, regimen, days=days, engine="scipy").to_frame()
        out.append([float(f[c].iloc[-1]) for c in FINAL])
    return np.array(out)


def run_roadrunner(men, regimen, days):
    import roadrunner

    from hpgsim.export.sbml import to_sbml

    out, build = [], 0.0
    for m in men:
        t0 = time.perf_counter()
        rr = roadrunner.RoadRunner(to_sbml(m, regimen, days=days))
        build += time.perf_counter() - t0
        rr.integrator.relative_tolerance = 1e-6
        rr.integrator.absolute_tolerance = 1e-9
        end = days * 24.0 + 8.0
        res = rr.simulate(0.0, end, 2, selections=["time", *FINAL])
        out.append([float(res[-1, 1]), float(res[-1, 2])])
    return np.array(out), build


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--peers", type=int, default=50)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cases, finals = [], {}
    men_all = cohort(max(sizes + [args.peers]))
    t0 = time.perf_counter()
    simulate_cohort(men_all[:2], REGIMENS["daily"], days=2)  # compile (or load the cached kernel) once
    compile_s = time.perf_counter() - t0
    for label, reg in REGIMENS.items():
        for n in sizes:
            t0 = time.perf_counter()
            # every man's canonical observables at 08:00 of every day are kept (float32)
            res = simulate_cohort(men_all[:n], reg, days=args.days, progress=not args.json)
            dt = time.perf_counter() - t0
            cases.append({"engine": "hpgsim", "n": n, "days": args.days, "regimen": reg, "seconds": dt,
                          "failed": int(n - res.n_ok), "outputs_gb": sum(v.nbytes for v in res.values.values()) / 1e9,
                          "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6})
            finals[("hpgsim", label)] = np.column_stack([res.values[c][-1] for c in FINAL])[: args.peers]
            del res
        if args.peers:
            peers = men_all[: args.peers]
            t0 = time.perf_counter()
            finals[("scipy", label)] = run_scipy(peers, reg, args.days)
            cases.append({"engine": "scipy", "n": args.peers, "days": args.days, "regimen": reg,
                          "seconds": time.perf_counter() - t0})
            try:
                t0 = time.perf_counter()
                finals[("roadrunner", label)], build = run_roadrunner(peers, reg, args.days)
                cases.append({"engine": "roadrunner", "n": args.peers, "days": args.days, "regimen": reg,
                              "seconds": time.perf_counter() - t0, "sbml_build_seconds": build})
            except ImportError as e:
                print(f"roadrunner skipped: {e}", file=sys.stderr)
    per = {}
    for c in cases:
        per[(c["engine"], c["regimen"], c["n"])] = c["seconds"] / c["n"]
    ratios = {}
    for reg in REGIMENS.values():
        best = min((v, n) for (e, r, n), v in per.items() if e == "hpgsim" and r == reg)
        for peer in ("scipy", "roadrunner"):
            key = (peer, reg, args.peers)
            if key in per:
                ratios[f"{peer}/hpgsim per patient, {reg}"] = per[key] / best[0]
        rr = [c for c in cases if c["engine"] == "roadrunner" and c["regimen"] == reg]
        if rr:  # the same, leaving out building each man's SBML model
            sim_only = (rr[0]["seconds"] - rr[0]["sbml_build_seconds"]) / rr[0]["n"]
            ratios[f"roadrunner (simulation only)/hpgsim per patient, {reg}"] = sim_only / best[0]
    diffs = []
    for label in REGIMENS:
        base = finals.get(("hpgsim", label))
        for peer in ("scipy", "roadrunner"):
            other = finals.get((peer, label))
            if base is not None and other is not None:
                k = min(len(base), len(other))
                diffs.append(float(np.max(np.abs(base[:k] - other[:k]) / np.maximum(np.abs(other[:k]), 1e-3))))
    doc = {"cases": cases, "ratios": ratios, "max_rel_diff": max(diffs) if diffs else None,
           "compile_seconds": compile_s, "threads": numba.get_num_threads()}
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        for c in cases:
            print(f"{c['engine']:>10}  n={c['n']:>6}  {c['regimen']:<42} {c['seconds']:8.2f} s  "
                  f"{1e3 * c['seconds'] / c['n']:8.3f} ms/man")
        for k, v in ratios.items():
            print(f"{k}: {v:.1f}x")
        print(f"max relative difference in final T and sperm concentration between engines: {doc['max_rel_diff']}")
        big = max((c for c in cases if c["engine"] == "hpgsim"), key=lambda c: c["n"])
        print(f"largest cohort: {big['n']} men, daily outputs {big['outputs_gb']:.2f} GB, peak RSS {big['peak_rss_gb']:.2f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
