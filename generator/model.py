"""The physics model of one run, packed for the kernels.

A :class:`PhysicsModel` (process, coupling scheme, sin²θ_W, μν, Z′) becomes a
float64 array ``p`` with the layout below; every cross-section and sampling
kernel takes that array, never the object.
"""

import math
from dataclasses import dataclass

import numpy as np

from .couplings import make_couplings
from .zprime import ZPrime

P_CL, P_RS2, P_K0, P_K1 = 0, 1, 2, 3  # g_L = c_L + ρŝ²κ, κ = κ₀ + κ₁I(T)
P_DL, P_DR = 4, 5  # Z′ shifts of g_L, g_R in this model (γ·δg)
P_ANTI = 6  # 1 for antineutrinos
P_MU2 = 7  # μν² [μ_B²]
P_LINEAR = 8  # 1: Z′ to first order in γ only
P_DL1, P_DR1 = 9, 10  # δg_L, δg_R per unit γ (for the per-event Z′ parts)
P_SIZE = 11


@dataclass(frozen=True)
class PhysicsModel:
    """Process and interaction model of the scattering.

    Parameters
    ----------
    process : {'nue', 'nuebar', 'numu', 'numubar'}
    couplings : {'radiative', 'tree'}
    sin2w : float or None
        sin²θ_W (tree default 0.23122; radiative default ŝ² = 0.2317).
    mu : float
        Neutrino magnetic moment [μ_B], ≥ 0.
    zprime : ZPrime or None
    reference_zprime : str
        E6 model name (or 'lr') whose δg per unit γ the per-event Z′ parts
        use when the run has no Z′ (so a Standard-Model production can be
        reweighted to any mass of that model); default 'chi'.
    """

    process: str = "nue"
    couplings: str = "radiative"
    sin2w: float | None = None
    mu: float = 0.0
    zprime: ZPrime | None = None
    reference_zprime: str = "chi"

    def __post_init__(self):
        make_couplings(self.process, self.couplings, self.sin2w)  # validates
        ZPrime(self.reference_zprime, 1000.0)  # validates the name
        if not (self.mu >= 0.0 and math.isfinite(self.mu)):
            raise ValueError(f"mu: {self.mu} μ_B is not allowed; it must be ≥ 0")

    def params(self) -> np.ndarray:
        """The kernel parameter array (layout in the module constants)."""
        c = make_couplings(self.process, self.couplings, self.sin2w)
        p = np.zeros(P_SIZE)
        p[P_CL], p[P_RS2], p[P_K0], p[P_K1] = c.c_l, c.rho_s2, c.kappa0, c.kappa1
        p[P_ANTI] = 1.0 if c.antineutrino else 0.0
        p[P_MU2] = self.mu**2
        if self.zprime is not None:
            dgl, dgr = self.zprime.delta_g(c.rho, c.sin2w)
            g = self.zprime.gamma
            p[P_DL], p[P_DR] = g * dgl, g * dgr
            p[P_DL1], p[P_DR1] = dgl, dgr
            p[P_LINEAR] = 1.0 if self.zprime.form == "linear" else 0.0
        else:
            p[P_DL1], p[P_DR1] = ZPrime(self.reference_zprime, 1000.0).delta_g(c.rho, c.sin2w)
        return p

    def replace(self, **changes) -> "PhysicsModel":
        """A copy with some fields changed."""
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update(changes)
        return PhysicsModel(**fields)

    def to_dict(self) -> dict:
        c = make_couplings(self.process, self.couplings, self.sin2w)
        return {
            "process": self.process,
            "couplings": self.couplings,
            "sin2w": c.sin2w,
            "rho": c.rho,
            "mu_bohr": self.mu,
            "zprime_parts_model": self.zprime.label().split(":")[0]
            if self.zprime is not None
            else self.reference_zprime,
            "zprime": None
            if self.zprime is None
            else {
                "model": self.zprime.model,
                "mass_gev": self.zprime.mass_gev,
                "beta_rad": self.zprime.beta_rad,
                "form": self.zprime.form,
                "charges": self.zprime.charges,
                "gamma": self.zprime.gamma,
            },
        }
