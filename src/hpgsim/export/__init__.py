"""Exports of a patient's model to other tools (SBML)."""

from hpgsim.export.sbml import to_sbml

__all__ = ["to_sbml"]
