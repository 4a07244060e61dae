"""3+1 sterile-neutrino oscillation of the source's νe / ν̄e (docs/physics.md §2, seed 004).

P_ee(L, E) = 1 − sin²2θ·sin²(1.267·Δm²[eV²]·L[m]/E[MeV]), applied per event
from its own emission point to its own vertex.
"""

import math

from nusource.core.jit import jit

PHASE = 1.267
"""1.267 = Δm²c⁴L/(4ħcE) in units eV², m, MeV (1.26693…)."""


@jit
def survival_probability(l_cm, e_mev, sin2_2theta, dm2_ev2):
    """P_ee for a flight length [cm] and neutrino energy [MeV]."""
    s = math.sin(PHASE * dm2_ev2 * (l_cm * 0.01) / e_mev)
    return 1.0 - sin2_2theta * s * s


@jit
def fill_survival(l_cm, e_mev, sin2_2theta, dm2_ev2, out):
    """out[i] = P_ee(l_cm[i], e_mev[i])."""
    for i in range(out.shape[0]):
        out[i] = survival_probability(l_cm[i], e_mev[i], sin2_2theta, dm2_ev2)


def oscillation_length_cm(e_mev: float, dm2_ev2: float) -> float:
    """Oscillation length L_osc = π·E/(1.267·Δm²) [cm] (E in MeV, Δm² in eV²)."""
    return math.pi * e_mev / (PHASE * dm2_ev2) * 100.0
