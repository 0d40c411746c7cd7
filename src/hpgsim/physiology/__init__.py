"""The physiology of the male HPG axis: states, derived constants and the right-hand side.

Physiology knows nothing of solvers or of drugs by name: drugs reach it only as
:class:`~hpgsim.physiology.model.Effects` (aromatase inhibition, estrogen-receptor occupancy,
GnRH-receptor agonism or antagonism, LH- and FSH-receptor agonism, testosterone input).
"""

from hpgsim.physiology.model import EFFECTS, STATES, Constants, Effects, derive, observables, rhs, steady_state_guess

__all__ = ["EFFECTS", "STATES", "Constants", "Effects", "derive", "observables", "rhs", "steady_state_guess"]
