"""Gaussian energy resolution, σ/E = a/√(E/keV) + b (docs/physics.md §6).

The reconstructed energy is erec = edep + N(0, σ(edep)); an event with no
deposit (removed by binding) gets erec = 0.

Defaults (:data:`DEFAULT_RESOLUTION`):

============  ======  ======  ==============================================
material      a       b       provenance
============  ======  ======  ==============================================
NaI           0.448   0.0091  docs/physics.md §6 (DAMA-type NaI(Tl))
LXe           0.3171  0.0015  docs/physics.md §6 (alternative to NEST)
He            0.0     0.03    docs/physics.md §6 says "a few %": a parameter
pseudocumene  1.581   0.0     photoelectron statistics, 400 detected p.e./MeV
                              (Borexino-like, σ/E ≈ 5% at 1 MeV): a = 1/√0.4
============  ======  ======  ==============================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit, jit_inline

from .binding import BINDING_REMOVED

KEV_PER_MEV = 1000.0


@dataclass(frozen=True)
class GaussianResolution:
    """Gaussian energy resolution σ/E = a/√(E/keV) + b.

    Parameters
    ----------
    a : float
        Stochastic term [√keV], finite and ≥ 0.
    b : float
        Constant term (dimensionless), finite and ≥ 0.
    """

    a: float
    b: float

    def __post_init__(self):
        for name in ("a", "b"):
            value = getattr(self, name)
            try:
                v = float(value)
            except (TypeError, ValueError):
                v = math.nan
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"GaussianResolution.{name} = {value!r}: must be finite and >= 0")
            object.__setattr__(self, name, v)

    def sigma_mev(self, e_mev):
        """σ(E) [MeV] at deposited energy ``e_mev`` [MeV] (0 for E ≤ 0).

        Parameters
        ----------
        e_mev : array_like
            Deposited energy [MeV].

        Returns
        -------
        ndarray
            σ = E·(a/√(E/keV) + b) = a·√(E/keV)·1e-3 MeV + b·E, same shape.
        """
        return gaussian_sigma_vec(np.asarray(e_mev, dtype=np.float64), self.a, self.b)


def gaussian_sigma_vec(e_mev: np.ndarray, a: float, b: float) -> np.ndarray:
    """Vectorised :func:`gaussian_sigma` [MeV]."""
    e = np.maximum(e_mev, 0.0)
    return a * np.sqrt(e * KEV_PER_MEV) / KEV_PER_MEV + b * e


@jit_inline
def gaussian_sigma(e_mev, a, b):
    """σ(E) [MeV] = a·√(E/keV)·(1 keV) + b·E for E > 0, else 0."""
    if not e_mev > 0.0:
        return 0.0
    return a * math.sqrt(e_mev * KEV_PER_MEV) / KEV_PER_MEV + b * e_mev


@jit
def gaussian_smear(rng, edep, flags, a, b, erec):
    """erec = edep + N(0, σ(edep)), one normal drawn per event.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream.
    edep : float64[n]
        Deposited energy [MeV].
    flags : uint32[n]
        Event flags; an event removed by binding gets erec = 0.
    a, b : float
        Resolution parameters (σ/E = a/√(E/keV) + b).
    erec : float64[n]
        Output: reconstructed energy [MeV].
    """
    for i in range(edep.shape[0]):
        z = rng.standard_normal()
        if flags[i] & BINDING_REMOVED:
            erec[i] = 0.0
        else:
            erec[i] = edep[i] + gaussian_sigma(edep[i], a, b) * z


DEFAULT_RESOLUTION = {
    "NaI": GaussianResolution(0.448, 0.0091),
    "LXe": GaussianResolution(0.3171, 0.0015),
    "He": GaussianResolution(0.0, 0.03),
    "pseudocumene": GaussianResolution(1.0 / math.sqrt(0.4), 0.0),
}
"""Default Gaussian resolution per material (see the module table)."""
