"""Units: the one place where clinical units are converted (pint behind a small facade).

Molar masses: testosterone 288.42 g/mol, estradiol 272.38 g/mol (parameter book, section C).
LH and FSH: IU/L = mIU/mL. Drug doses in IU are never converted to mass.
"""

from __future__ import annotations

from functools import lru_cache

from hpgsim.errors import InputError

__all__ = ["convert", "MOLAR_MASS", "ureg"]

MOLAR_MASS = {"testosterone": 288.42, "estradiol": 272.38, "dihydrotestosterone": 290.44}


@lru_cache(maxsize=1)
def _registry():
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("IU = [international_unit]")
    ureg.define("M_cells = 1e6 * count")
    return ureg


def ureg():
    """The shared pint registry (built on first use; importing hpgsim does not import pint)."""
    return _registry()


_ALIASES = {"M/mL": "M_cells/mL", "M": "M_cells", "mIU/mL": "mIU/mL", "ng/dl": "ng/dL", "pg/ml": "pg/mL",
            "nmol/l": "nmol/L", "pmol/l": "pmol/L", "iu/l": "IU/L", "miu/ml": "mIU/mL", "g/dl": "g/dL", "g/l": "g/L",
            "ug": "ug", "mcg": "ug", "µg": "ug", "million/mL": "M_cells/mL",
            # lab-report spellings: hormone 'U' is IU (pint's U is the enzyme unit); counts in millions
            "u/l": "IU/L", "mu/ml": "mIU/mL", "million/ml": "M_cells/mL", "10^6/ml": "M_cells/mL", "million": "M_cells"}


def _q(unit: str) -> str:
    return _ALIASES.get(unit, _ALIASES.get(unit.lower(), unit))


def convert(value, from_unit: str, to_unit: str, *, substance: str | None = None, field: str = "unit"):
    """Convert ``value`` between units; mass <-> molar conversions need ``substance``.

    >>> round(convert(300.0, "ng/dL", "nmol/L", substance="testosterone"), 2)
    10.4
    """
    if from_unit == to_unit:
        return value
    u = _registry()
    try:
        q = u.Quantity(value, _q(from_unit))
        target = u.Unit(_q(to_unit))
    except Exception:
        raise InputError(field, f"unknown unit '{from_unit}'") from None
    try:
        if q.dimensionality != target.dimensionality and substance in MOLAR_MASS:
            mm = u.Quantity(MOLAR_MASS[substance], "g/mol")
            q = q / mm if q.dimensionality == (mm * u.Quantity(1, "mol/L")).dimensionality else q * mm
        return q.to(target).magnitude
    except Exception:
        raise InputError(field, f"cannot convert '{from_unit}' to '{to_unit}'" + (f" for {substance}" if substance else "")) from None
