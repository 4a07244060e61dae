"""Effective couplings of ν–e elastic scattering (docs/physics.md §2).

Every coupling choice reduces to a few numbers that the numba kernels read from
one float64 array (:mod:`.model`).  For a neutrino of the chosen process, the
electron couplings at recoil energy T are

    g_L(T) = c_L + ρŝ²·κ(T),      g_R(T) = ρŝ²·κ(T),      κ(T) = κ₀ + κ₁·I(T),

with c_L = 1 − ρ/2 for νe (the charged current adds 1 to g_L) and c_L = −ρ/2
for ν_μ,τ.  For antineutrinos the roles of g_L and g_R in dσ/dT swap.

- ``tree``: ρ = 1, κ = 1, ŝ² = the chosen sin²θ_W, i.e. g_L = −½ + s² (+1 for
  νe) and g_R = s², the PDG sign convention.
- ``radiative`` (default): Bahcall, Kamionkowski & Sirlin, PRD 51 (1995) 6146,
  after Sarantakos, Sirlin & Marciano, NPB 217 (1983) 84: ρ = 1.0126,
  ŝ² = 0.2317, κ_νe(T) = 0.9791 + 0.0097·I(T), κ_νμ(T) = 0.9970 − 0.00037·I(T).
"""

import math
from dataclasses import dataclass

from nusource.core.jit import jit

from .constants import M_E, SIN2W_MSBAR

PROCESSES = ("nue", "nuebar", "numu", "numubar")
"""Process names: νe, ν̄e, ν_μ,τ and ν̄_μ,τ scattering on electrons."""

COUPLING_SCHEMES = ("tree", "radiative")

RHO_NC = 1.0126
SIN2W_RADIATIVE = 0.2317
KAPPA_NUE = (0.9791, 0.0097)
KAPPA_NUMU = (0.9970, -0.00037)


@dataclass(frozen=True)
class Couplings:
    """Coupling constants of one process, as read by the kernels.

    Attributes
    ----------
    c_l : float
        Constant part of g_L (1 − ρ/2 for νe, −ρ/2 for ν_μ,τ).
    rho_s2 : float
        ρ·ŝ², the coefficient of κ(T) in both g_L and g_R.
    kappa0, kappa1 : float
        κ(T) = κ₀ + κ₁·I(T).
    antineutrino : bool
        True for ν̄: g₁ = g_R, g₂ = g_L in dσ/dT.
    rho, sin2w : float
        ρ and ŝ² themselves (the Z′ shifts use them).
    """

    c_l: float
    rho_s2: float
    kappa0: float
    kappa1: float
    antineutrino: bool
    rho: float
    sin2w: float


def make_couplings(process: str, scheme: str = "radiative", sin2w: float | None = None):
    """Couplings of a process in a scheme.

    Parameters
    ----------
    process : {'nue', 'nuebar', 'numu', 'numubar'}
    scheme : {'tree', 'radiative'}
    sin2w : float, optional
        sin²θ_W for ``tree`` (default the MS-bar value 0.23122); for
        ``radiative`` it replaces ŝ² = 0.2317 if given.
    """
    if process not in PROCESSES:
        raise ValueError(f"process: '{process}' is not one of {', '.join(PROCESSES)}")
    if scheme not in COUPLING_SCHEMES:
        raise ValueError(f"couplings: '{scheme}' is not one of {', '.join(COUPLING_SCHEMES)}")
    if sin2w is not None and not 0.0 < sin2w < 0.5:
        raise ValueError(f"sin2w: {sin2w} is outside the allowed range (0, 0.5)")
    electron_flavour = process in ("nue", "nuebar")
    if scheme == "tree":
        rho, s2, kappa = 1.0, SIN2W_MSBAR if sin2w is None else sin2w, (1.0, 0.0)
    else:
        rho = RHO_NC
        s2 = SIN2W_RADIATIVE if sin2w is None else sin2w
        kappa = KAPPA_NUE if electron_flavour else KAPPA_NUMU
    c_l = (1.0 if electron_flavour else 0.0) - 0.5 * rho
    return Couplings(
        c_l=c_l,
        rho_s2=rho * s2,
        kappa0=kappa[0],
        kappa1=kappa[1],
        antineutrino=process.endswith("bar"),
        rho=rho,
        sin2w=s2,
    )


@jit
def radiative_i(t):
    """The function I(T) of the radiative κ(T) (Bahcall et al. 1995, eq. A3).

    I(T) = ⅙[⅓ + (3 − x²)(½x·ln((x+1)/(x−1)) − 1)], x = √(1 + 2mₑ/T).
    For large x the bracket cancels to O(1/x²); a series in u = 1/x² is
    used there, I = ⅙ Σ_k [3/(2k+1) − 1/(2k+3)]·u^k.

    Parameters
    ----------
    t : float
        Electron recoil kinetic energy [MeV], > 0.
    """
    x2 = 1.0 + 2.0 * M_E / t
    if x2 > 50.0:
        u = 1.0 / x2
        s = 0.0
        uk = u
        for k in range(1, 12):
            s += (3.0 / (2 * k + 1) - 1.0 / (2 * k + 3)) * uk
            uk *= u
        return s / 6.0
    x = math.sqrt(x2)
    return (1.0 / 3.0 + (3.0 - x2) * (0.5 * x * math.log((x + 1.0) / (x - 1.0)) - 1.0)) / 6.0
