"""The compiled engine of the averaged mode: every man advanced by an exponential integrator.

The physiology's own right-hand side and observables (``rhs_core`` and ``observables_core`` of
:mod:`hpgsim.physiology.model`, the same source NumPy runs) are compiled with numba.  Men are
advanced in blocks of LC (16), in parallel over blocks: the block versions of the physiology are
generated from its scalar source (:mod:`hpgsim.solvers.lanes`) and work on one flat array per
block whose rows hold LC men side by side, so the processor's vector units advance several men per
instruction (a man's result does not depend on the block he is in).  Drugs never enter the
compiled loop: their PK is linear and shared by the cohort, so the caller propagates it exactly
(matrix exponentials between dose times) and hands over the drug effects at every stage time of
every step.

Method: ETDRK4 (Cox SM, Matthews PC. J Comput Phys 2002;176:430-55) with a diagonal linear part.
At the start of each step every state's own first-order loss rate ``lam`` (from ``rhs_core``) is
frozen, ``dy/dt = -lam y + N(y, t)``, and the ``-lam y`` part is integrated exactly while ``N``
(everything else: production, coupling, drug effects) is treated by a fourth-order
Runge-Kutta-like rule with the phi-functions of ``-lam h``.  Fast first-order relaxations (LH
half-life 1.3 h, intratesticular T turnover 0.83/h, GnRH-signal filter, FSH, serum T) therefore
no longer limit the step, and a state with ``lam = 0`` is advanced by classical RK4.  Steps are
fixed, at most ``dt_max`` hours (default 6 h: four steps a day resolve the circadian rhythm), cut
at every dose and output time; the caller halves the steps over which a drug's action changes
fast (absorption, a depot's burst) and, once, the steps of the day after a dose that moves a
drug's action at once (the hormones answer within hours).  Fixed-step accuracy against the adaptive scipy engine
(LSODA), checked in ``tests/test_kernel.py`` over 120 days: within 1% on T, LH, FSH, E2 and sperm
concentration for the benchmark regimens (anastrozole daily, testosterone enanthate weekly);
within 1.5% on the hormones and 5% on sperm concentration for every drug class (the largest
sperm error is under strong suppression, where sperm output falls steeply with intratesticular
T); a smaller ``dt_max`` converges on the adaptive engine.

A man whose state stops being finite is reported with the hour it failed; his outputs after it
are NaN and the others carry on.
"""

from __future__ import annotations

import hashlib
import os
import threading
import types
from pathlib import Path

import numpy as np

from hpgsim.physiology import binding
from hpgsim.physiology import model as phys
from hpgsim.physiology.model import rhs_core
from hpgsim.solvers import lanes

__all__ = ["run_kernel", "run_newton", "compiled", "step_plan", "block_rhs", "DT_MAX_H", "LC"]

_LOCK = threading.Lock()
_COMPILED: dict[str, object] = {}
_CORE = ("_pow", "_hill_core", "_hill_kn", "free_t_core", "_signals_core", "_generator_core", "_pulse_mass_core", "_frequency_core", "_support_core",
         "rhs_core", "observables_core")


def _cache_dir() -> str:
    """A numba cache folder keyed by the source of the compiled code, so a changed model never loads stale code."""
    h = hashlib.sha256()
    for mod in (phys, binding, lanes, __import__(__name__, fromlist=["_"])):
        h.update(Path(mod.__file__).read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hpgsim" / "numba"
    return str(base / h.hexdigest()[:16])


def core_functions(cache: bool = False) -> dict:
    """The physiology's core functions compiled with numba (each sees the compiled versions of the others)."""
    import numba

    g = dict(vars(phys))
    g["_pow"] = numba.njit(cache=cache)(_pow_fast)
    for name in _CORE[1:]:  # callees first
        fn = getattr(phys, name)
        g[name] = numba.njit(cache=cache)(types.FunctionType(fn.__code__, g, name, fn.__defaults__))
    return g


def compiled():
    """The compiled kernel (numba), built on first use and cached on disk."""
    with _LOCK:
        if "kernel" in _COMPILED:
            return _COMPILED["kernel"]
        import numba

        try:
            numba.config.CACHE_DIR = _cache_dir()
            cache = True
        except OSError:
            cache = False
        g = core_functions(cache)
        kg = dict(globals())
        kg["rhs_core"] = g["rhs_core"]  # the Newton iteration's scalar right-hand side
        kg.update(_lane_functions(g, numba.config.CACHE_DIR if cache else None))
        kg["_phis"] = numba.njit(cache=cache, error_model="numpy")(types.FunctionType(_phis.__code__, kg, "_phis"))
        for name in ("_copy", "_fill", "_weights", "_stage_a", "_stage_b", "_stage_c", "_stage_end"):
            kg[name] = numba.njit(cache=cache, error_model="numpy")(types.FunctionType(globals()[name].__code__, kg, name))
        kg["numba_prange"] = numba.prange
        kern = numba.njit(cache=cache, parallel=True, error_model="numpy")(types.FunctionType(_kernel.__code__, kg, "_kernel"))
        kg["_solve"] = numba.njit(cache=cache)(types.FunctionType(_solve.__code__, kg, "_solve"))
        _COMPILED["newton"] = numba.njit(cache=cache, parallel=True)(types.FunctionType(_newton.__code__, kg, "_newton"))
        _COMPILED["kernel"] = kern
        _COMPILED["lanes"] = kg
        return kern


def block_rhs(time_h: float, y, k, e):
    """``rhs_core`` and ``observables_core`` of up to LC men at once through their compiled block
    versions: ``y`` (n_states, m), ``k`` (n_keys, m), ``e`` (n_effects, m).  Returns
    ``(dy, lam, obs)``, each with one column per man (the kernel's own code path, for checks)."""
    compiled()
    kg = _COMPILED["lanes"]
    y, k, e = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (y, k, e))
    m = y.shape[1]
    if not 1 <= m <= LC:
        raise ValueError(f"{m} men: a block holds 1 to {LC}")
    W = np.zeros(kg["N_ROWS"] * LC)
    view = W.reshape(-1, LC)
    view[R_YIN:R_YIN + _N_S, :m] = y
    view[R_Y:R_Y + _N_S, :m] = y
    view[R_K:R_K + _N_K, :m] = k
    view[R_E:R_E + _N_E, :m] = e
    kg["rhs_lanes"](float(time_h), 0.0, W, m)
    kg["observables_lanes"](float(time_h), W, m)
    return (view[R_DY:R_DY + _N_S, :m].copy(), view[R_LO:R_LO + _N_S, :m].copy(),
            view[R_OB:R_OB + _N_O, :m].copy())


DT_MAX_H = 6.0

LC = 16  # men advanced together by one thread: the lanes of every row of the work array
_N_S, _N_K, _N_E, _N_O = len(phys.STATES), len(phys.KEYS), len(phys.EFFECTS), len(phys.OBS)
# rows of the work array: the state and the ETDRK4 stages, their weights, the right-hand side's input
# and output rows, constants, drug effects, observables, scratch
(R_Y, R_YA, R_YB, R_YC, R_F0, R_FA, R_FB, R_LAM, R_EH, R_QH, R_EF, R_W1, R_W2, R_W3, R_ZL, R_YIN, R_DY,
 R_LO) = (j * _N_S for j in range(18))
R_K = 18 * _N_S
R_E = R_K + _N_K
R_OB = R_E + _N_E
R_ACC = R_OB + _N_O
R_TMP = R_ACC + 1
# the rows the stage functions use, as unsigned offsets of the flat array (index arithmetic without
# numba's negative-index wraparound, which keeps the compiler from vectorising)
(U_Y, U_YA, U_YB, U_YC, U_F0, U_FA, U_FB, U_LAM, U_EH, U_QH, U_EF, U_W1, U_W2, U_W3, U_ZL, U_YIN, U_DY,
 U_ACC) = (np.uint64(r * LC) for r in (R_Y, R_YA, R_YB, R_YC, R_F0, R_FA, R_FB, R_LAM, R_EH, R_QH, R_EF,
                                       R_W1, R_W2, R_W3, R_ZL, R_YIN, R_DY, R_ACC))


def _lane_functions(g: dict, cache_dir: str | None) -> dict:
    """The block versions of ``rhs_core`` (state from rows R_YIN, derivative and loss rates into R_DY
    and R_LO) and ``observables_core`` (into R_OB), compiled; ``g``: the compiled scalar helpers they
    call.  The generated source is written to ``cache_dir`` so that numba can cache the machine code."""
    import numba

    parts, n_tmp = [], 1
    for name, new, base in (("rhs_core", "rhs_lanes", {"y": R_YIN, "dy": R_DY, "lam": R_LO}),
                            ("observables_core", "observables_lanes", {"y": R_Y, "out": R_OB})):
        src, rows = lanes.lane_source(name, new, {**base, "k": R_K, "e": R_E}, R_TMP, LC)
        parts.append(src)
        n_tmp = max(n_tmp, rows)
    text = ('"""Generated by hpgsim.solvers.lanes from hpgsim.physiology.model: the block versions of the '
            'physiology."""\n\n' + "\n\n".join(parts))
    filename = "<hpgsim lanes>"
    if cache_dir is not None:
        path = Path(cache_dir) / "lanes_generated.py"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
            filename = str(path)
        except OSError:
            cache_dir = None
    ns = dict(g)
    exec(compile(text, filename, "exec"), ns)
    jit = numba.njit(cache=cache_dir is not None, error_model="numpy")
    return {"rhs_lanes": jit(ns["rhs_lanes"]), "observables_lanes": jit(ns["observables_lanes"]),
            "N_ROWS": R_TMP + n_tmp}


def step_plan(t0: float, t_end: float, cuts, dt_max: float = DT_MAX_H) -> np.ndarray:
    """(start, length) of every step from ``t0`` to ``t_end``, cut at ``cuts``, equal sub-steps <= dt_max.

    Segment ends are the cut times themselves (no rounding drift), so doses and outputs match exactly.
    """
    pts = sorted({float(t0), float(t_end), *(float(c) for c in cuts if t0 < c < t_end)})
    starts, lengths = [], []
    for a, b in zip(pts[:-1], pts[1:]):
        k = max(1, int(np.ceil((b - a) / dt_max - 1e-9)))
        edges = a + (b - a) * np.arange(k + 1) / k
        edges[-1] = b
        starts.append(edges[:-1])
        lengths.append(np.diff(edges))
    if not starts:
        return np.zeros((0, 2))
    return np.column_stack([np.concatenate(starts), np.concatenate(lengths)])


def _pow_fast(x, n):
    """``x ** n`` for x >= 0, by multiplications where the exponent allows (the physiology's Hill exponents)."""
    if n == 2.0:
        return x * x
    if n == 3.0:
        return x * x * x
    if n == 4.0:
        x2 = x * x
        return x2 * x2
    if n == 1.5:
        return x * np.sqrt(x)
    if n == 6.0:
        x3 = x * x * x
        return x3 * x3
    if n == 10.0:
        x2 = x * x
        x4 = x2 * x2
        return x4 * x4 * x2
    if n == 1.0:
        return x
    return x**n


def _phis(z):
    """phi_1, phi_2, phi_3 of z (series near 0, where the closed forms cancel)."""
    if abs(z) < 0.05:
        z2 = z * z
        p1 = 1.0 + z / 2.0 + z2 / 6.0 + z2 * z / 24.0 + z2 * z2 / 120.0
        p2 = 0.5 + z / 6.0 + z2 / 24.0 + z2 * z / 120.0 + z2 * z2 / 720.0
        p3 = 1.0 / 6.0 + z / 24.0 + z2 / 120.0 + z2 * z / 720.0 + z2 * z2 / 5040.0
        return p1, p2, p3
    ez = np.exp(z)
    p1 = (ez - 1.0) / z
    p2 = (ez - 1.0 - z) / (z * z)
    p3 = (ez - 1.0 - z - 0.5 * z * z) / (z * z * z)
    return p1, p2, p3


def _kernel(x0, kc, step_a, step_h, eff, out_step, out_t, out_eff, rows, col0, obs, x_end, failed_at):
    """Advance every man (columns of ``x0``) through the steps, LC men at a time; write observables
    and final states.

    ``eff[s, j, :, col]``: drug effects at the start (after doses), middle and end (before doses)
    of step s; ``col`` is 0 when the cohort shares them.  ``out_step[o]``: steps done before output o.
    Observable ``rows[j]`` of man p at output o goes to ``obs[j, o, col0 + p]`` (the caller's block).
    Each block of men lives in one flat work array ``W`` of rows of LC lanes (layout R_*).
    """
    n_s, n = x0.shape
    n_k = kc.shape[0]
    n_steps = step_a.shape[0]
    n_out = out_step.shape[0]
    n_keep = rows.shape[0]
    own_k = kc.shape[1] != 1  # False: constants shared by the cohort (column 0)
    own_e = eff.shape[3] != 1
    n_blocks = (n + LC - 1) // LC
    for b in numba_prange(n_blocks):
        p0 = b * LC
        m = min(LC, n - p0)  # men in this block (lanes used)
        W = np.empty(N_ROWS * LC)
        for l in range(m):
            for i in range(n_s):
                W[(R_Y + i) * LC + l] = x0[i, p0 + l]
                W[(R_ZL + i) * LC + l] = np.nan
            for i in range(n_k):
                W[(R_K + i) * LC + l] = kc[i, p0 + l if own_k else 0]
        failed = np.zeros(LC, dtype=np.bool_)
        h_last = np.nan
        o = 0
        for s in range(n_steps + 1):
            while o < n_out and out_step[o] == s:
                _fill(W, out_eff[o], own_e, p0, m)
                observables_lanes(out_t[o], W, m)
                for j in range(n_keep):
                    r = (R_OB + rows[j]) * LC
                    for l in range(m):
                        obs[j, o, col0 + p0 + l] = np.nan if failed[l] else W[r + l]
                o += 1
            if s == n_steps:
                break
            a = step_a[s]
            h = step_h[s]
            _fill(W, eff[s, 0], own_e, p0, m)
            _copy(W, R_Y, R_YIN, n_s, m)
            rhs_lanes(a, 0.0, W, m)
            _copy(W, R_LO, R_LAM, n_s, m)  # loss rates frozen at the step start
            _weights(W, n_s, m, h, h != h_last)
            h_last = h
            _stage_a(W, n_s, m)
            _fill(W, eff[s, 1], own_e, p0, m)
            rhs_lanes(a + 0.5 * h, 0.0, W, m)
            _stage_b(W, n_s, m)
            rhs_lanes(a + 0.5 * h, 0.0, W, m)
            _stage_c(W, n_s, m)
            _fill(W, eff[s, 2], own_e, p0, m)
            rhs_lanes(a + h, 0.0, W, m)
            _stage_end(W, n_s, m)
            for l in range(m):  # a man whose state is not finite: report the hour; NaN outputs from here on
                if not failed[l] and not np.isfinite(W[R_ACC * LC + l]):
                    failed[l] = True
                    failed_at[p0 + l] = a + h
        for l in range(m):
            for i in range(n_s):
                x_end[i, p0 + l] = np.nan if failed[l] else W[(R_Y + i) * LC + l]


# The stages of ETDRK4 on the work array (separate functions: each is compiled, and vectorised over
# the lanes, on its own).  The three intermediate stages look alike but stay separate: their rows
# are compile-time constants, which is what lets the compiler prove the rows do not overlap (rows
# passed as arguments would need run-time overlap checks it does not make, and stay scalar).  dy/dt = -lam y + N(y), N = f + lam y with lam frozen at the step start.

def _weights(W, n_s, m, h, force):
    """phi-function weights of every state and lane for step ``h``; a row's weights are recomputed
    only when one of its loss rates changed (most are constant) or ``force``."""
    for i in range(n_s):
        o = np.uint64(i * LC)
        changed = force
        for j in range(m):
            l = o + np.uint64(j)
            changed |= -W[U_LAM + l] * h != W[U_ZL + l]
        if changed:
            for j in range(m):
                l = o + np.uint64(j)
                z = -W[U_LAM + l] * h
                W[U_ZL + l] = z
                ph1, _, _ = _phis(0.5 * z)
                W[U_EH + l] = 1.0 + 0.5 * z * ph1
                W[U_QH + l] = 0.5 * h * ph1
                p1, p2, p3 = _phis(z)
                W[U_EF + l] = 1.0 + z * p1
                W[U_W1 + l] = h * (p1 - 3.0 * p2 + 4.0 * p3)
                W[U_W2 + l] = 2.0 * h * (p2 - 2.0 * p3)
                W[U_W3 + l] = h * (4.0 * p3 - p2)


def _stage_a(W, n_s, m):
    for i in range(n_s):
        o = np.uint64(i * LC)
        for j in range(m):
            l = o + np.uint64(j)
            f0 = W[U_DY + l] + W[U_LAM + l] * W[U_Y + l]
            W[U_F0 + l] = f0
            ya = W[U_EH + l] * W[U_Y + l] + W[U_QH + l] * f0
            W[U_YA + l] = ya
            W[U_YIN + l] = ya


def _stage_b(W, n_s, m):
    for i in range(n_s):
        o = np.uint64(i * LC)
        for j in range(m):
            l = o + np.uint64(j)
            fa = W[U_DY + l] + W[U_LAM + l] * W[U_YA + l]
            W[U_FA + l] = fa
            yb = W[U_EH + l] * W[U_Y + l] + W[U_QH + l] * fa
            W[U_YB + l] = yb
            W[U_YIN + l] = yb


def _stage_c(W, n_s, m):
    for i in range(n_s):
        o = np.uint64(i * LC)
        for j in range(m):
            l = o + np.uint64(j)
            fb = W[U_DY + l] + W[U_LAM + l] * W[U_YB + l]
            W[U_FB + l] = fb
            yc = W[U_EH + l] * W[U_YA + l] + W[U_QH + l] * (2.0 * fb - W[U_F0 + l])
            W[U_YC + l] = yc
            W[U_YIN + l] = yc


def _stage_end(W, n_s, m):
    """The step's result into the state rows, and each lane's sum of states into row R_ACC (finite
    unless one of its states is not)."""
    for j in range(m):
        W[U_ACC + np.uint64(j)] = 0.0
    for i in range(n_s):
        o = np.uint64(i * LC)
        for j in range(m):
            l = o + np.uint64(j)
            fc = W[U_DY + l] + W[U_LAM + l] * W[U_YC + l]
            y = (W[U_EF + l] * W[U_Y + l] + W[U_W1 + l] * W[U_F0 + l]
                 + W[U_W2 + l] * (W[U_FA + l] + W[U_FB + l]) + W[U_W3 + l] * fc)
            W[U_Y + l] = y
            W[U_ACC + np.uint64(j)] += y


def _copy(W, src, dst, rows, m):
    """Rows ``src`` .. ``src + rows`` of the work array into rows ``dst`` onwards (lanes < m)."""
    for i in range(rows):
        a = np.uint64((src + i) * LC)
        b = np.uint64((dst + i) * LC)
        for j in range(m):
            W[b + np.uint64(j)] = W[a + np.uint64(j)]


def _fill(W, src, own_e, p0, m):
    """Drug effects of the block's men (``src`` (n_effects, 1 or n)) into the effect rows of ``W``."""
    for i in range(src.shape[0]):
        o = np.uint64((R_E + i) * LC)
        if own_e:
            for j in range(m):
                W[o + np.uint64(j)] = src[i, p0 + j]
        else:
            v = src[i, 0]
            for j in range(m):
                W[o + np.uint64(j)] = v


def _solve(a, b, x):
    """Solve ``a x = b`` by Gaussian elimination with partial pivoting (``a`` and ``b`` are overwritten).

    Returns False when ``a`` is singular to working precision.
    """
    m = b.shape[0]
    for c in range(m):
        piv = c
        for r in range(c + 1, m):
            if abs(a[r, c]) > abs(a[piv, c]):
                piv = r
        if not abs(a[piv, c]) > 1e-300:
            return False
        if piv != c:
            for j in range(m):
                a[c, j], a[piv, j] = a[piv, j], a[c, j]
            b[c], b[piv] = b[piv], b[c]
        for r in range(c + 1, m):
            f = a[r, c] / a[c, c]
            if f != 0.0:
                for j in range(c, m):
                    a[r, j] -= f * a[c, j]
                b[r] -= f * b[c]
    for c in range(m - 1, -1, -1):
        acc = b[c]
        for j in range(c + 1, m):
            acc -= a[c, j] * x[j]
        x[c] = acc / a[c, c]
    return True


def _newton(x0, kc, e, active, tol, max_iter, x_out, done):
    """Steady state of every man (columns of ``x0``, the start) by Newton's method on ``rhs_core``.

    ``active``: the states solved for (the others keep their start values).  The Jacobian is by
    forward differences; a step never takes a state below zero (it halves it instead).
    """
    n_s, n = x0.shape
    m = active.shape[0]
    own_k = 0 if kc.shape[1] == 1 else 1
    for p in numba_prange(n):
        k = kc[:, p * own_k].copy()
        x = x0[:, p].copy()
        scale = np.empty(m)
        for i in range(m):
            scale[i] = max(abs(x[active[i]]), 1e-6)
        f = np.empty(n_s)
        fp = np.empty(n_s)
        lam = np.empty(n_s)
        jac = np.empty((m, m))
        rhs_v = np.empty(m)
        dx = np.empty(m)
        ok = False
        for _ in range(max_iter):
            rhs_core(0.0, x, k, e, 0.0, f, lam)
            resid = 0.0
            finite = True
            for i in range(m):
                v = abs(f[active[i]]) / scale[i]
                if not np.isfinite(v):
                    finite = False
                resid = max(resid, v)
            if finite and resid < tol:
                ok = True
                break
            for j in range(m):
                sj = active[j]
                eps = 1e-7 * max(abs(x[sj]), 1e-4)
                keep = x[sj]
                x[sj] = keep + eps
                rhs_core(0.0, x, k, e, 0.0, fp, lam)
                x[sj] = keep
                for i in range(m):
                    jac[i, j] = (fp[active[i]] - f[active[i]]) / eps
            for i in range(m):
                rhs_v[i] = -f[active[i]]
            if not _solve(jac, rhs_v, dx):
                break
            for i in range(m):
                si = active[i]
                v = x[si] + dx[i]
                if v < 0.0:
                    v = 0.5 * x[si]
                if np.isfinite(v):
                    x[si] = v
        for i in range(n_s):
            x_out[i, p] = x[i]
        done[p] = ok


def run_newton(x0, kc, e, active, *, tol: float = 1e-9, max_iter: int = 30):
    """Steady states (n_states, n) and a converged mask, by the compiled Newton iteration."""
    compiled()
    newton = _COMPILED["newton"]
    x_out = np.empty_like(x0)
    done = np.zeros(x0.shape[1], dtype=np.bool_)
    newton(np.ascontiguousarray(x0, dtype=float), np.ascontiguousarray(kc, dtype=float), np.asarray(e, dtype=float),
           np.asarray(active, dtype=np.int64), float(tol), int(max_iter), x_out, done)
    return x_out, done


def numba_prange(n):  # replaced by numba.prange when compiled
    return range(n)


def run_kernel(x0, kc, step_a, step_h, eff, out_step, out_t, out_eff, *, out=None, col0: int = 0, rows=None):
    """Run the compiled kernel; returns ``(obs, x_end (n_states, n), failed_at (n,))``.

    ``obs`` is ``out`` (observables ``rows`` of the men written into its columns ``col0``
    onwards: a cohort's result block, float32 or float64, filled in place) or, without it, a new
    (n_obs, n_out, n) array of every observable.
    """
    kern = compiled()
    n = x0.shape[1]
    rows = np.arange(len(phys.OBS)) if rows is None else np.asarray(rows, dtype=np.int64)
    if out is None:
        out, col0 = np.empty((len(rows), len(out_step), n)), 0
    if out.shape[:2] != (len(rows), len(out_step)) or not 0 <= col0 <= out.shape[2] - n or not out.flags.c_contiguous:
        raise ValueError(f"output block {out.shape} does not fit {len(rows)} observables x {len(out_step)} outputs "
                         f"x men {col0}..{col0 + n}")
    x_end = np.empty_like(x0)
    failed_at = np.full(n, np.nan)
    kern(np.ascontiguousarray(x0, dtype=float), np.ascontiguousarray(kc, dtype=float),
         np.asarray(step_a, dtype=float), np.asarray(step_h, dtype=float), np.ascontiguousarray(eff, dtype=float),
         np.asarray(out_step, dtype=np.int64), np.asarray(out_t, dtype=float),
         np.ascontiguousarray(out_eff, dtype=float), rows, int(col0), out, x_end, failed_at)
    return out, x_end, failed_at
