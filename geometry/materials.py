"""Materials: composition and density → electron density and photon attenuation.

Electron densities count every electron of every atom (all shells; docs/physics.md
§5). Photon mass attenuation μ/ρ [cm²/g] (total, with coherent scattering) is
interpolated log-log in the element tables of ``data/attenuation.csv``
(XCOM-based, 0.01–3 MeV; made by ``data/make_attenuation.py``) and mixed by
mass fraction. The table is read on first use, never at import.

Registered materials (:func:`get_material`): ``'NaI'``, ``'LXe'``, ``'He'``,
``'pseudocumene'``, ``'W'``, ``'Cu'``, ``'Pb'``, ``'steel'``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from nusource.core.jit import jit

from .elements import AVOGADRO, element, mass_fractions

GAS_CONSTANT = 8.314462618
"""Molar gas constant R [J/(mol·K)] (exact, SI 2019)."""
E_MIN_MEV = 0.01
"""Lowest tabulated photon energy [MeV]."""
E_MAX_MEV = 3.0
"""Highest photon energy the attenuation table is guaranteed to cover [MeV]."""


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Parameters
    ----------
    name : str
        Label (free text).
    density_g_cm3 : float
        Density [g/cm³], > 0.
    composition : str or Mapping[str, float]
        A chemical formula (``'NaI'``, ``'C9H12'``) or mass fractions by element
        symbol (``{'Fe': 0.695, 'Cr': 0.19, ...}``; must sum to 1 within 1e-3,
        then renormalised). Stored as a tuple of (symbol, mass fraction).
    """

    name: str
    density_g_cm3: float
    composition: str | Mapping[str, float] | tuple[tuple[str, float], ...]

    def __post_init__(self):
        rho = self.density_g_cm3
        try:
            rho = float(rho)
        except (TypeError, ValueError):
            rho = math.nan
        if not (math.isfinite(rho) and rho > 0.0):
            raise ValueError(
                f"Material.density_g_cm3 = {self.density_g_cm3!r}: must be finite and > 0 [g/cm³]"
            )
        object.__setattr__(self, "density_g_cm3", rho)
        object.__setattr__(self, "composition", _normalise(self.composition))

    @property
    def mass_fractions(self) -> dict[str, float]:
        """Mass fraction by element symbol."""
        return dict(self.composition)

    @property
    def electrons_per_gram(self) -> float:
        """Electrons per gram, all shells [e⁻/g] = N_A Σ wᵢ Zᵢ/Aᵢ."""
        return AVOGADRO * sum(w * element(s)[0] / element(s)[1] for s, w in self.composition)

    @property
    def electrons_per_kg(self) -> float:
        """Electrons per kilogram, all shells [e⁻/kg]."""
        return 1000.0 * self.electrons_per_gram

    @property
    def electron_density_cm3(self) -> float:
        """Electron number density, all shells [e⁻/cm³]."""
        return self.electrons_per_gram * self.density_g_cm3

    def mu_rho(self, energy_mev):
        """Mass attenuation coefficient μ/ρ [cm²/g] (total, with coherent).

        Parameters
        ----------
        energy_mev : float or array_like
            Photon energy [MeV], within [0.01, 3] MeV.

        Returns
        -------
        float or ndarray
            μ/ρ [cm²/g], same shape as ``energy_mev``.
        """
        e = _check_energy(energy_mev)
        tables = _element_tables()
        out = sum(w * _interp(*tables[s], e, "right") for s, w in self.composition)
        return float(out) if np.ndim(energy_mev) == 0 else out

    def mu_cm(self, energy_mev):
        """Linear attenuation coefficient μ [1/cm] = μ/ρ · ρ at ``energy_mev`` [MeV]."""
        return self.mu_rho(energy_mev) * self.density_g_cm3

    def attenuation_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Node table of μ/ρ for compiled code: (energy [MeV], μ/ρ [cm²/g]).

        The nodes are the union of the constituents' nodes; at an absorption
        edge the energy appears twice (value below the edge first), so
        :func:`loglog_interp` on ``(log E, log μ/ρ)`` reproduces :meth:`mu_rho`
        at every node and interpolates log-log in between.
        """
        tables = [_element_tables()[s] for s, _ in self.composition]
        energies = np.unique(np.concatenate([t[0] for t in tables]))
        edges = np.unique(np.concatenate([t[0][:-1][np.diff(t[0]) == 0] for t in tables]))
        e = np.sort(np.concatenate([energies, edges]))
        side_left = np.zeros(e.size, dtype=bool)
        first = np.flatnonzero(np.diff(e) == 0)
        side_left[first] = True
        mu = np.zeros(e.size)
        for (_, w), t in zip(self.composition, tables, strict=True):
            mu += w * np.where(side_left, _interp(*t, e, "left"), _interp(*t, e, "right"))
        return e, mu


# --------------------------------------------------------------------------- registry


def helium_gas(pressure_bar: float = 5.0, temperature_k: float = 77.0) -> Material:
    """Helium gas as an ideal gas, ρ = P·M/(R·T).

    Parameters
    ----------
    pressure_bar : float
        Absolute pressure [bar], > 0.
    temperature_k : float
        Temperature [K], > 0.

    Returns
    -------
    Material
        Named ``'He'``; 5 bar and 77 K give ρ ≈ 3.13e-3 g/cm³ (the real gas
        deviates from ideal by < 1% there).
    """
    for name, value in (("pressure_bar", pressure_bar), ("temperature_k", temperature_k)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"helium_gas {name} = {value!r}: must be finite and > 0")
    molar_mass_kg = element("He")[1] * 1e-3
    rho_kg_m3 = pressure_bar * 1e5 * molar_mass_kg / (GAS_CONSTANT * temperature_k)
    return Material("He", rho_kg_m3 * 1e-3, "He")


def _registry():
    return {
        "NaI": lambda: Material("NaI", 3.67, "NaI"),  # NaI(Tl): the ~1e-3 Tl activator is neglected
        "LXe": lambda: Material("LXe", 2.94, "Xe"),
        "He": helium_gas,
        "pseudocumene": lambda: Material("pseudocumene", 0.88, "C9H12"),
        "W": lambda: Material("W", 19.3, "W"),
        "Cu": lambda: Material("Cu", 8.96, "Cu"),
        "Pb": lambda: Material("Pb", 11.35, "Pb"),
        # stainless steel 304 (nominal composition)
        "steel": lambda: Material(
            "steel", 8.00, {"Fe": 0.695, "Cr": 0.19, "Ni": 0.095, "Mn": 0.02}
        ),
    }


MATERIAL_NAMES = ("NaI", "LXe", "He", "pseudocumene", "W", "Cu", "Pb", "steel")
"""Names :func:`get_material` knows."""


def get_material(name: str) -> Material:
    """A registered material by name (``'He'`` is the 5 bar, 77 K gas)."""
    factories = _registry()
    if name not in factories:
        raise ValueError(f"material {name!r}: unknown; allowed: {', '.join(MATERIAL_NAMES)}")
    return factories[name]()


# --------------------------------------------------------------------------- tables


@jit
def loglog_interp(log_x, log_y, x):
    """Log-log interpolation of a node table at ``x``.

    Parameters
    ----------
    log_x : float64[n]
        log of the nodes, nondecreasing; a repeated node is a step (edge).
    log_y : float64[n]
        log of the values.
    x : float
        Where to interpolate (same unit as the nodes, > 0). Outside the
        nodes the end segments are extended.

    Returns
    -------
    float
        Interpolated value; at a repeated node the value above it.
    """
    lx = math.log(x)
    n = log_x.size
    i = np.searchsorted(log_x, lx, side="right") - 1
    if i < 0:
        i = 0
    if i > n - 2:
        i = n - 2
    x0 = log_x[i]
    return math.exp(log_y[i] + (log_y[i + 1] - log_y[i]) * (lx - x0) / (log_x[i + 1] - x0))


@lru_cache(maxsize=1)
def _element_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """symbol → (energy [MeV], μ/ρ [cm²/g]) read from ``data/attenuation.csv``."""
    text = resources.files("nusource.geometry").joinpath("data/attenuation.csv").read_text()
    rows: dict[str, list[tuple[float, float]]] = {}
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for line in lines[1:]:
        symbol, _, energy, mu = line.split(",")
        rows.setdefault(symbol, []).append((float(energy), float(mu)))
    return {s: (np.array([r[0] for r in v]), np.array([r[1] for r in v])) for s, v in rows.items()}


def _interp(energy: np.ndarray, mu: np.ndarray, e: np.ndarray, side: str) -> np.ndarray:
    """Vectorised log-log interpolation; at an edge ``side`` picks the left or right limit."""
    i = np.clip(np.searchsorted(energy, e, side=side) - 1, 0, energy.size - 2)
    lx0, lx1 = np.log(energy[i]), np.log(energy[i + 1])
    ly0, ly1 = np.log(mu[i]), np.log(mu[i + 1])
    return np.exp(ly0 + (ly1 - ly0) * (np.log(e) - lx0) / (lx1 - lx0))


def _check_energy(energy_mev) -> np.ndarray:
    e = np.asarray(energy_mev, dtype=np.float64)
    if not np.all((e >= E_MIN_MEV) & (e <= E_MAX_MEV)):
        raise ValueError(f"energy_mev = {energy_mev!r}: must lie in [{E_MIN_MEV}, {E_MAX_MEV}] MeV")
    return e


def _normalise(composition) -> tuple[tuple[str, float], ...]:
    """Formula or mass-fraction mapping → sorted tuple of (symbol, fraction)."""
    if isinstance(composition, str):
        fractions = mass_fractions(composition)
    elif isinstance(composition, Mapping):
        fractions = dict(composition)
    else:
        try:
            fractions = dict(composition)
        except (TypeError, ValueError):
            raise ValueError(
                f"Material.composition = {composition!r}: must be a formula string "
                "or a mapping of element symbol to mass fraction"
            ) from None
    for s, w in fractions.items():
        element(s)
        if not (isinstance(w, int | float) and math.isfinite(w) and w > 0):
            raise ValueError(f"Material.composition[{s!r}] = {w!r}: mass fraction must be > 0")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-3:
        raise ValueError(
            f"Material.composition = {composition!r}: mass fractions sum to {total:.6g}, "
            "must be 1 within 1e-3"
        )
    return tuple(sorted((s, float(w) / total) for s, w in fractions.items()))


__all__ = [
    "E_MAX_MEV",
    "E_MIN_MEV",
    "GAS_CONSTANT",
    "MATERIAL_NAMES",
    "Material",
    "get_material",
    "helium_gas",
    "loglog_interp",
]
