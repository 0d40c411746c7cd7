"""SHBG and albumin binding of testosterone: free and bioavailable T by the Vermeulen equations.

Vermeulen A, Verdonck L, Kaufman JM. J Clin Endocrinol Metab 1999;84:3666-72. With total T
``TT``, SHBG ``S`` (mol/L), the albumin term ``N = 1 + Ka [Alb]`` and ``Ks`` the SHBG association
constant, free T solves ``N Ks FT^2 + (N + Ks (S - TT)) FT - TT = 0``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["free_testosterone", "bioavailable_testosterone", "albumin_term"]


def albumin_term(albumin_g_per_l, k_alb: float, albumin_mw: float):
    """``N = 1 + Ka [albumin]``: total / free for the albumin-bound and free pool together."""
    return 1.0 + k_alb * np.asarray(albumin_g_per_l) / albumin_mw


def free_testosterone(total_nmol_l, shbg_nmol_l, albumin_g_per_l, *, k_shbg: float, k_alb: float, albumin_mw: float):
    """Free testosterone (nmol/L) from total T and SHBG (nmol/L) and albumin (g/L).

    >>> round(float(free_testosterone(10.0, 40.0, 43.0, k_shbg=1e9, k_alb=3.6e4, albumin_mw=69000.0)) / 10.0, 4)
    0.0174
    """
    tt = np.maximum(np.asarray(total_nmol_l, dtype=float), 0.0) * 1e-9
    s = np.maximum(np.asarray(shbg_nmol_l, dtype=float), 0.0) * 1e-9
    n = albumin_term(albumin_g_per_l, k_alb, albumin_mw)
    b = n + k_shbg * (s - tt)
    a = n * k_shbg
    # numerically stable root of a x^2 + b x - tt = 0 (x >= 0)
    disc = np.sqrt(b * b + 4.0 * a * tt)
    ft = np.where(b >= 0.0, 2.0 * tt / (b + disc + 1e-300), (disc - b) / (2.0 * a))
    return ft * 1e9


def bioavailable_testosterone(free_nmol_l, albumin_g_per_l, *, k_alb: float, albumin_mw: float):
    """Bioavailable (free + albumin-bound) testosterone, nmol/L."""
    return np.asarray(free_nmol_l) * albumin_term(albumin_g_per_l, k_alb, albumin_mw)
