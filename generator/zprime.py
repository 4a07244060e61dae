"""Extra neutral gauge boson Z′ at θ′ = 0 (docs/physics.md §2; seed 000 eqs. 10–13).

A Z′ of mass M shifts the neutral-current couplings of the electron by
γ·δg_{L,R} with γ = M_Z²/M_Z′²; the +1 of the charged current is untouched.

E6 family, Y′ = cosβ·Y_χ + sinβ·Y_ψ, with a = 3cosβ/(2√24) + √(5/8)·sinβ/6:

    δg_L = 4ρs²·a·(3cosβ/√24 + √(5/8)·sinβ/3),
    δg_R = 4ρs²·a·(cosβ/√24 − √(5/8)·sinβ/3).

The second factor of δg_L is 2a, the equal U(1)′ charge of ν_L and e_L.  The
seeds print the sinβ terms of the second factors without the /3
(``charges="printed"``); that breaks the charge equality for every β with
sinβ ≠ 0 (χ is unaffected) and is kept only to reproduce the seeds' R(cosβ)
figure.

Left–right symmetric model: δg_L = (s⁴/r²)g_L + (s²c²/r²)g_R,
δg_R = (s⁴/r²)g_R + (s²c²/r²)g_L, r² = cos2θ_W, g_{L,R} = −½ + s², s²
(without the +1).
"""

import math
from dataclasses import dataclass

from .constants import M_Z_GEV

E6_NAMED = {
    "chi": (1.0, 0.0),
    "psi": (0.0, 1.0),
    "eta": (math.sqrt(3.0 / 8.0), -math.sqrt(5.0 / 8.0)),
}
"""Named E6 models: (cosβ, sinβ)."""

MODEL_NAMES = (*E6_NAMED, "lr")
FORMS = ("exact", "linear")
CHARGES = ("consistent", "printed")


@dataclass(frozen=True)
class ZPrime:
    """A Z′ model and mass.

    Attributes
    ----------
    model : str
        'chi', 'psi', 'eta', 'lr', or 'e6' with ``beta_rad`` given.
    mass_gev : float
        Z′ mass [GeV].
    beta_rad : float
        E6 mixing angle β [rad] (set from the name for χ, ψ, η).
    form : {'exact', 'linear'}
        'exact' evaluates dσ/dT with shifted couplings; 'linear' keeps only
        the first order in γ (the seeds' D + E·y(y−2) − F·(mₑ/E)·y).
    charges : {'consistent', 'printed'}
        E6 charge formula (see module docstring).
    """

    model: str
    mass_gev: float
    beta_rad: float = 0.0
    form: str = "exact"
    charges: str = "consistent"

    def __post_init__(self):
        if self.model not in (*MODEL_NAMES, "e6"):
            raise ValueError(
                f"zprime model: '{self.model}' is not one of {', '.join(MODEL_NAMES)}"
                " or beta=DEG (an E6 angle in degrees)"
            )
        if not (self.mass_gev > 0.0 and math.isfinite(self.mass_gev)):
            raise ValueError(f"zprime mass: {self.mass_gev} GeV is not allowed; it must be > 0")
        if self.form not in FORMS:
            raise ValueError(f"zprime form: '{self.form}' is not one of {', '.join(FORMS)}")
        if self.charges not in CHARGES:
            raise ValueError(f"zprime charges: '{self.charges}' is not one of {', '.join(CHARGES)}")
        if self.model in E6_NAMED:
            c, s = E6_NAMED[self.model]
            object.__setattr__(self, "beta_rad", math.atan2(s, c))

    @property
    def gamma(self) -> float:
        """γ = M_Z²/M_Z′²."""
        return gamma_of_mass(self.mass_gev)

    def delta_g(self, rho: float, sin2w: float) -> tuple[float, float]:
        """(δg_L, δg_R) per unit γ for the coupling constants ρ and s²."""
        if self.model == "lr":
            return delta_g_lr(sin2w)
        return delta_g_e6(self.beta_rad, rho, sin2w, charges=self.charges)

    def label(self) -> str:
        name = self.model if self.model != "e6" else f"beta={math.degrees(self.beta_rad):g}"
        return f"{name}:{self.mass_gev:g}"


def gamma_of_mass(mass_gev):
    """γ = M_Z²/M_Z′² for a Z′ mass in GeV."""
    return (M_Z_GEV / mass_gev) ** 2


def mass_of_gamma(gamma):
    """Z′ mass [GeV] for γ = M_Z²/M_Z′²."""
    return M_Z_GEV / math.sqrt(gamma)


def e6_a(beta_rad: float) -> float:
    """The U(1)′ charge factor a = 3cosβ/(2√24) + √(5/8)·sinβ/6 of ν_L and e_L."""
    return (
        3.0 * math.cos(beta_rad) / (2.0 * math.sqrt(24.0))
        + math.sqrt(5.0 / 8.0) * math.sin(beta_rad) / 6.0
    )


def delta_g_e6(beta_rad: float, rho: float, sin2w: float, *, charges: str = "consistent"):
    """(δg_L, δg_R) of an E6 Z′ per unit γ (seed 000 eqs. 12–13, see module docstring)."""
    c, s = math.cos(beta_rad), math.sin(beta_rad)
    k = math.sqrt(5.0 / 8.0)
    div = 3.0 if charges == "consistent" else 1.0
    a = e6_a(beta_rad)
    dgl = 4.0 * rho * sin2w * a * (3.0 * c / math.sqrt(24.0) + k * s / div)
    dgr = 4.0 * rho * sin2w * a * (c / math.sqrt(24.0) - k * s / div)
    return dgl, dgr


def delta_g_lr(sin2w: float):
    """(δg_L, δg_R) of the left–right symmetric model per unit γ (seed 000 eqs. 10–11)."""
    c2 = 1.0 - sin2w
    r2 = 1.0 - 2.0 * sin2w
    gl, gr = -0.5 + sin2w, sin2w
    dgl = sin2w**2 / r2 * gl + sin2w * c2 / r2 * gr
    dgr = sin2w**2 / r2 * gr + sin2w * c2 / r2 * gl
    return dgl, dgr


def parse_zprime(text: str, *, form: str = "exact", charges: str = "consistent") -> ZPrime:
    """Parse ``MODEL:MASS_GEV`` (e.g. ``chi:330``, ``lr:390``, ``beta=37:500``)."""
    if ":" not in text:
        raise ValueError(
            f"--zprime: '{text}' is not MODEL:MASS_GEV (e.g. chi:330; models "
            f"{', '.join(MODEL_NAMES)} or beta=DEG)"
        )
    name, mass = text.rsplit(":", 1)
    try:
        mass_gev = float(mass)
    except ValueError:
        raise ValueError(f"--zprime: mass '{mass}' is not a number of GeV") from None
    beta = 0.0
    if name.startswith("beta="):
        try:
            beta = math.radians(float(name[5:]))
        except ValueError:
            raise ValueError(f"--zprime: '{name}' is not beta=DEGREES") from None
        name = "e6"
    return ZPrime(model=name, mass_gev=mass_gev, beta_rad=beta, form=form, charges=charges)
