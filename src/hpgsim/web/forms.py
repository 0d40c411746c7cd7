"""What the Assess form asks for: each lab and semen measure with the units of a real lab report."""

from __future__ import annotations

from typing import Any

__all__ = ["LABELS", "form_spec", "lab_catalog"]

LABELS = {
    "total_testosterone": "Total testosterone",
    "free_testosterone": "Free testosterone",
    "bioavailable_testosterone": "Bioavailable testosterone",
    "estradiol": "Estradiol (E2)",
    "lh": "LH",
    "fsh": "FSH",
    "shbg": "SHBG",
    "albumin": "Albumin",
    "inhibin_b": "Inhibin B",
    "sperm_concentration": "Sperm concentration",
    "volume": "Semen volume",
    "progressive_motility": "Progressive motility",
    "total_motility": "Total motility",
    "total_sperm_count": "Total sperm count",
    "total_motile_count": "Total motile count",
    "t_e2_ratio": "T/E2 ratio",
    "t_lh_ratio": "T/LH ratio",
    "intratesticular_testosterone": "Intratesticular testosterone",
}

HISTORY_EXAMPLES = (
    "testosterone cypionate 200 mg IM weekly",
    "testosterone enanthate 250 mg IM every 3 weeks",
    "testosterone gel 50 mg transdermal daily",
    "clomiphene citrate 25 mg PO daily",
    "anastrozole 1 mg PO twice weekly",
    "hCG 2000 IU SC 3x/week",
)


def _measure(name: str) -> dict[str, Any]:
    from hpgsim.clinic.ranges import REFERENCE_RANGES
    from hpgsim.labs import PLAUSIBLE

    b = PLAUSIBLE[name]
    ref = REFERENCE_RANGES.get(name)
    return {"name": name, "label": LABELS.get(name, name.replace("_", " ")), "unit": b.unit, "units": list(b.units),
            "plausible": [b.low, b.high], "reference": [ref[0], ref[1]] if ref else None,
            "reference_source": ref[2] if ref else None}


def lab_catalog() -> dict[str, Any]:
    """Labs and semen measures: canonical unit, accepted units, plausible and reference ranges."""
    from hpgsim.labs import Labs, Semen

    return {"labs": [_measure(n) for n in Labs.measure_names()],
            "semen": [_measure(n) for n in Semen.measure_names()]}


def form_spec() -> dict[str, Any]:
    """Everything the Assess template needs."""
    from hpgsim.labs import example_names

    cat = lab_catalog()
    # the form asks for the measures a semen analysis reports; the counts are derived from them
    cat["semen"] = [m for m in cat["semen"] if m["name"] in ("sperm_concentration", "volume", "progressive_motility",
                                                              "total_motility")]
    return {**cat, "examples": example_names(), "history_examples": list(HISTORY_EXAMPLES)}
