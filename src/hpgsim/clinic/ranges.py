"""Reference ranges of adult men, with their sources: what a lab is read against, and the grey bands of every plot."""

from __future__ import annotations

from typing import Mapping

__all__ = ["REFERENCE_RANGES"]

# Reference ranges of adult men, with their sources (the grey bands of every plot)
REFERENCE_RANGES: Mapping[str, tuple[float, float, str]] = {
    "total_testosterone": (264.0, 916.0, "Travison 2017, non-obese men 19-39 y"),
    "free_testosterone": (50.0, 250.0, "reference range of this project's acceptance criteria; Bhasin 2011 cFT 2.5th pct 70"),
    "lh": (1.5, 9.3, "common adult male laboratory range"),
    "fsh": (1.5, 12.4, "common adult male laboratory range"),
    "estradiol": (10.0, 40.0, "adult male range (Vermeulen review 20-30 pg/mL typical)"),
    "shbg": (10.0, 57.0, "common adult male laboratory range"),
    "inhibin_b": (80.0, 300.0, "normozoospermic men (Reproduction 145:237)"),
    "sperm_concentration": (16.0, 250.0, "WHO 2021 lower reference limit 16 M/mL"),
}
