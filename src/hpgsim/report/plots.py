"""Pictures: trajectories with the reference range as a grey band (matplotlib, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from hpgsim import DISCLAIMER
from hpgsim.clinic.ranges import REFERENCE_RANGES

__all__ = ["REFERENCE_RANGES", "plot_trajectories", "plot_fit"]

LABELS = {
    "total_testosterone": "Total T (ng/dL)", "free_testosterone": "Free T (pg/mL)", "lh": "LH (IU/L)",
    "fsh": "FSH (IU/L)", "estradiol": "Estradiol (pg/mL)", "sperm_concentration": "Sperm concentration (M/mL)",
    "shbg": "SHBG (nmol/L)", "inhibin_b": "Inhibin B (pg/mL)", "intratesticular_testosterone": "ITT (nmol/L)",
}


def plot_trajectories(frames: Mapping[str, pd.DataFrame], path: str | Path, *, title: str,
                      observables: Sequence[str] = ("total_testosterone", "free_testosterone", "lh", "fsh",
                                                    "estradiol", "sperm_concentration"),
                      caption: str = "", marker_day: float | None = None) -> Path:
    """One panel per observable, one line per labelled frame, reference range as a grey band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(observables)
    cols = 2 if n > 3 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 2.6 * rows), sharex=True, squeeze=False)
    for ax, obs in zip(axes.flat, observables):
        if obs in REFERENCE_RANGES:
            lo, hi, _ = REFERENCE_RANGES[obs]
            ax.axhspan(lo, hi, color="0.85", label="reference range", zorder=0)
        for label, f in frames.items():
            ax.plot(f["day"], f[obs], lw=1.6, label=label)
        if marker_day is not None:
            ax.axvline(marker_day, color="k", ls=":", lw=1)
        ax.set_ylabel(LABELS.get(obs, obs))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("Day")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.text(0.01, 0.005, (caption + "  " if caption else "") + DISCLAIMER, fontsize=6, wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_fit(twin, path: Path | str) -> Path:
    """Labs observed vs fitted (left) and each fitted parameter's 90% interval against its prior (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    labs = list(twin.observed)
    y = range(len(labs))
    a.scatter([twin.observed[k] for k in labs], y, marker="o", label="observed", zorder=3)
    a.scatter([twin.fitted[k] for k in labs], y, marker="x", color="C3", label="twin", zorder=3)
    a.set_yticks(list(y), [LABELS.get(k, k) for k in labs])
    a.set_xscale("log")
    a.set_title("Labs: observed vs twin")
    a.legend(loc="lower right")
    names = list(twin.parameters)
    for i, k in enumerate(names):
        e = twin.parameters[k]
        b.plot([e.low, e.high], [i, i], color="C0" if e.identifiable else "0.6", lw=4, solid_capstyle="butt")
        b.plot([e.estimate], [i], "ko", ms=4)
        b.plot([e.prior], [i], "|", color="C3", ms=14)
    b.set_yticks(range(len(names)), [f"{k}{'' if twin.parameters[k].identifiable else ' (prior)'}" for k in names])
    b.set_xscale("log")
    b.set_title("Parameters: 90% interval (grey: not identified), prior median |")
    fig.suptitle(f"Virtual twin ({twin.phenotype} prior, {twin.status})", fontsize=11)
    fig.text(0.01, 0.01, DISCLAIMER, fontsize=6, color="0.4")
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
