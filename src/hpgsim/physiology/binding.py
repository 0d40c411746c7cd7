"""SHBG and albumin binding of testosterone: free and bioavailable T by the Vermeulen equations.

Vermeulen A, Verdonck L, Kaufman JM. J Clin Endocrinol Metab 1999;84:3666-72. With total T
``TT``, SHBG ``S`` (mol/L), the albumin term ``N = 1 + Ka [Alb]`` and ``Ks`` the SHBG association
constant, free T solves ``N Ks FT^2 + (N + Ks (S - TT)) FT - TT = 0``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["free_testosterone", "free_t_core", "bioavailable_testosterone", "albumin_term"]


def albumin_term(albumin_g_per_l, k_alb: float, albumin_mw: float):
    """``N = 1 + Ka [albumin]``: total / free for the albumin-bound and free pool together."""
    return 1.0 + k_alb * np.asarray(albumin_g_per_l) / albumin_mw


def free_testosterone(total_nmol_l, shbg_nmol_l, albumin_g_per_l, *, k_shbg: float, k_alb: float, albumin_mw: float):
    """Free testosterone (nmol/L) from total T and SHBG (nmol/L) and albumin (g/L).

    >>> round(float(free_testosterone(10.0, 40.0, 43.0, k_shbg=1e9, k_alb=3.6e4, albumin_mw=69000.0)) / 10.0, 4)
    0.0174
    """
    n = albumin_term(albumin_g_per_l, k_alb, albumin_mw)
    return free_t_core(np.asarray(total_nmol_l, dtype=float), np.asarray(shbg_nmol_l, dtype=float), n, k_shbg)


def free_t_core(t, shbg, alb_n, k_bind):
    """Free T (nmol/L) from total T and SHBG (nmol/L), albumin term ``N`` and ``Ks`` (L/mol).

    The positive root of ``N Ks FT^2 + (N + Ks (S - TT)) FT - TT = 0`` in the cancellation-free
    form, without branches, so that the compiled engine can use it on scalars as well.
    """
    tt = np.maximum(t, 0.0) * 1e-9
    b = alb_n + k_bind * (np.maximum(shbg, 0.0) * 1e-9 - tt)
    a = alb_n * k_bind
    q = -0.5 * (b + np.copysign(np.sqrt(b * b + 4.0 * a * tt), b))
    return np.maximum(q / a, -tt / (q - 1e-300)) * 1e9


def bioavailable_testosterone(free_nmol_l, albumin_g_per_l, *, k_alb: float, albumin_mw: float):
    """Bioavailable (free + albumin-bound) testosterone, nmol/L."""
    return np.asarray(free_nmol_l) * albumin_term(albumin_g_per_l, k_alb, albumin_mw)
