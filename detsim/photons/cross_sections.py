"""Partial photon cross sections of elements and materials, 10 keV – 10 MeV.

Per element, ``data/photon_partials.csv`` (made by
``data/make_photon_partials.py`` from the XCOM-based MUCOEFF tables of Boone &
Chavez 1996, the same source as the geometry's total μ/ρ) gives the mass
attenuation coefficients [cm²/g] of

==========  ============================================================
``photo``   photoelectric absorption
``incoh``   incoherent (Compton) scattering, with the incoherent scattering
            function (as tabulated by XCOM)
``coh``     coherent (Rayleigh) scattering
``pair``    pair production, nuclear plus electron field (triplet)
==========  ============================================================

interpolated log-log between the element's nodes (an edge is a repeated node)
and mixed by mass fraction, μ/ρ = Σ wᵢ (μ/ρ)ᵢ. Their sum is the total μ/ρ
*with* coherent scattering of :meth:`nusource.geometry.Material.mu_rho`.

For compiled transport, :func:`build_tables` samples the linear coefficients
μ [1/cm] of each material on one uniform grid in ln E (:data:`N_GRID` nodes
from 10 keV to 10 MeV, spacing 0.0017 in ln E): a kernel finds its cell with
one multiplication and interpolates linearly. Inside a cell holding an
absorption edge this smears the edge over 0.17 % of its energy; elsewhere the
difference from log-log interpolation is below 10⁻⁵.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from nusource.geometry import Material, get_material
from nusource.geometry.elements import AVOGADRO, element

E_MIN_MEV = 0.01
"""Lowest photon energy of the tables [MeV]."""
E_MAX_MEV = 10.0
"""Highest photon energy of the tables [MeV]."""
PROCESSES = ("photo", "incoh", "coh", "pair")
"""Process order of every partial array (index 0–3)."""
PHOTO, INCOH, COH, PAIR = 0, 1, 2, 3
N_GRID = 4097
"""Nodes of the uniform ln E grid of :func:`build_tables`."""
LN_E_MIN = math.log(E_MIN_MEV)
LN_E_MAX = math.log(E_MAX_MEV)
MAX_ELEMENTS = 8
"""Most elements a material of the transport tables may have."""


@lru_cache(maxsize=1)
def element_partials() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """symbol → (energy [MeV] shape (k,), partial μ/ρ [cm²/g] shape (4, k)).

    Read from ``data/photon_partials.csv`` on first use (pair = nuclear + electron field).
    """
    text = (
        resources.files("nusource.detsim.photons").joinpath("data/photon_partials.csv").read_text()
    )
    rows: dict[str, list[list[float]]] = {}
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for line in lines[1:]:
        symbol, _, e, photo, incoh, coh, pn, pe = line.split(",")
        rows.setdefault(symbol, []).append(
            [float(e), float(photo), float(incoh), float(coh), float(pn) + float(pe)]
        )
    out = {}
    for s, v in rows.items():
        a = np.array(v)
        out[s] = (a[:, 0], a[:, 1:].T.copy())
    return out


@lru_cache(maxsize=1)
def form_factor_parameters() -> dict[str, tuple[float, float]]:
    """symbol → (β, γ) of the Rayleigh form factor and incoherent scattering function.

    F(y) = Z/(1 + βy)², S(y)/Z = 1 − (1 + γy)⁻⁴ with y = κ²(1 − cos θ),
    κ = E/(mₑc²); both fitted to the XCOM columns (see ``data/make_photon_partials.py``).
    """
    text = (
        resources.files("nusource.detsim.photons")
        .joinpath("data/photon_form_factors.csv")
        .read_text()
    )
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out = {}
    for line in lines[1:]:
        symbol, _, beta, _, gamma, _ = line.split(",")
        out[symbol] = (float(beta), float(gamma))
    return out


def check_energy(energy_mev, name: str = "energy_mev") -> np.ndarray:
    """``energy_mev`` as float64 array, or a one-line ValueError naming ``name``."""
    try:
        e = np.asarray(energy_mev, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {energy_mev!r}: must be a number [MeV]") from None
    bad = ~((e >= E_MIN_MEV) & (e <= E_MAX_MEV))
    if np.any(bad):
        value = e.flat[int(np.argmax(bad.ravel()))]
        raise ValueError(
            f"{name} = {value!r}: photon energy must lie in [{E_MIN_MEV}, {E_MAX_MEV}] MeV"
        )
    return e


def resolve_material(material, name: str = "material") -> Material:
    """A :class:`Material` from itself or a registered name, else a one-line ValueError."""
    if isinstance(material, Material):
        composition = material.composition
    elif isinstance(material, str):
        try:
            material = get_material(material)
        except ValueError as err:
            raise ValueError(f"{name} = {material!r}: {err}") from None
        composition = material.composition
    else:
        raise ValueError(f"{name} = {material!r}: must be a Material or a registered name")
    tables = element_partials()
    for s, _ in composition:
        if s not in tables:
            raise ValueError(
                f"{name} = {material.name!r}: element {s!r} has no photon table; "
                f"allowed: {', '.join(tables)}"
            )
    return material


def _interp_partial(energy: np.ndarray, values: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Log-log interpolation (linear in ln E where a value is zero); edges: value above."""
    i = np.clip(np.searchsorted(energy, e, side="right") - 1, 0, energy.size - 2)
    lx0, lx1 = np.log(energy[i]), np.log(energy[i + 1])
    t = (np.log(e) - lx0) / (lx1 - lx0)
    y0, y1 = values[i], values[i + 1]
    positive = (y0 > 0.0) & (y1 > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglog = np.exp(np.log(y0) + (np.log(y1) - np.log(y0)) * t)
    return np.where(positive, loglog, y0 + (y1 - y0) * t)


def partial_mu_rho(material, energy_mev) -> np.ndarray:
    """Partial mass attenuation coefficients of a material [cm²/g].

    Parameters
    ----------
    material : Material or str
        The material (or a registered name, see ``nusource.geometry.get_material``).
    energy_mev : float or array_like, shape (n,)
        Photon energy [MeV], within [0.01, 10] MeV.

    Returns
    -------
    ndarray, shape (4,) or (4, n)
        μ/ρ of photoelectric, incoherent, coherent, pair (see :data:`PROCESSES`).
    """
    m = resolve_material(material)
    e = check_energy(energy_mev)
    tables = element_partials()
    ee = np.atleast_1d(e)
    out = np.zeros((4, ee.size))
    for s, w in m.composition:
        energy, values = tables[s]
        for k in range(4):
            out[k] += w * _interp_partial(energy, values[k], ee)
    return out[:, 0] if e.ndim == 0 else out


def total_mu_rho(material, energy_mev):
    """Sum of the partial μ/ρ [cm²/g] (total with coherent) at ``energy_mev`` [MeV]."""
    out = partial_mu_rho(material, energy_mev).sum(axis=0)
    return float(out) if np.ndim(energy_mev) == 0 else out


@dataclass(frozen=True)
class PhotonTables:
    """Arrays of the transport kernel for a list of materials.

    Attributes
    ----------
    mu : float64[M, N_GRID, 5]
        Linear attenuation coefficients [1/cm] on the uniform ln E grid:
        total, photoelectric, incoherent, coherent, pair.
    elements : float64[M, MAX_ELEMENTS, 4]
        Per element of each material: (atoms per gram of material, Z, β, γ)
        (form-factor parameters, see :func:`form_factor_parameters`); unused rows 0.
    n_elements : int64[M]
        Elements of each material.
    names : tuple of str
        Material names, index = material number of the kernel.
    """

    mu: np.ndarray
    elements: np.ndarray
    n_elements: np.ndarray
    names: tuple[str, ...]


def grid_energies() -> np.ndarray:
    """Energies of the uniform ln E grid [MeV], shape (N_GRID,)."""
    return np.clip(np.exp(np.linspace(LN_E_MIN, LN_E_MAX, N_GRID)), E_MIN_MEV, E_MAX_MEV)


def build_tables(materials) -> PhotonTables:
    """Kernel tables for ``materials`` (sequence of Material or registered names)."""
    mats = [resolve_material(m, f"materials[{i}]") for i, m in enumerate(materials)]
    e = grid_energies()
    mu = np.zeros((len(mats), N_GRID, 5))
    elements = np.zeros((len(mats), MAX_ELEMENTS, 4))
    n_el = np.zeros(len(mats), dtype=np.int64)
    ff = form_factor_parameters()
    for j, m in enumerate(mats):
        if len(m.composition) > MAX_ELEMENTS:
            raise ValueError(
                f"materials[{j}] = {m.name!r}: {len(m.composition)} elements, "
                f"at most {MAX_ELEMENTS} allowed"
            )
        p = partial_mu_rho(m, e) * m.density_g_cm3
        mu[j, :, 1:] = p.T
        mu[j, :, 0] = p.sum(axis=0)
        n_el[j] = len(m.composition)
        for k, (s, w) in enumerate(m.composition):
            z, a = element(s)
            elements[j, k] = (w * AVOGADRO / a, z, ff[s][0], ff[s][1])
    return PhotonTables(mu, elements, n_el, tuple(m.name for m in mats))


__all__ = [
    "COH",
    "E_MAX_MEV",
    "E_MIN_MEV",
    "INCOH",
    "LN_E_MAX",
    "LN_E_MIN",
    "MAX_ELEMENTS",
    "N_GRID",
    "PAIR",
    "PHOTO",
    "PROCESSES",
    "PhotonTables",
    "build_tables",
    "check_energy",
    "element_partials",
    "form_factor_parameters",
    "grid_energies",
    "partial_mu_rho",
    "resolve_material",
    "total_mu_rho",
]
