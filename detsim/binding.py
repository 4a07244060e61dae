"""Atomic binding in the stepping approximation (docs/physics.md §6, seed 000).

An electron of a shell with binding energy B scatters only when the energy
transfer q exceeds B, and then with the free-electron dσ/dT at T = q; the
whole transfer q is deposited (X-rays and Auger electrons are absorbed).
The cross section per formula unit is therefore Z_eff(q)·dσ_free/dT with

    Z_eff(q) = Σ_shells n_i · θ(q − B_i)

(Kopeikin, Mikaelyan, Sinev and Fayans; seed 000, hep-ph/9808297, §3).
The generator samples q from the free cross section on all Z electrons, so the
detector keeps an event with probability Z_eff(q)/Z and removes it otherwise
(edep = 0, flag ``binding_removed``).

Shell tables are data (``data/shells.toml``, with provenance), read on first
use and never at import.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.io.schema import FLAGS

BINDING_REMOVED = FLAGS["binding_removed"]
"""Flag bit of an event removed by binding."""

_KEV = 1e-3
"""MeV per keV."""


@lru_cache(maxsize=1)
def _shell_data() -> dict:
    """The parsed ``data/shells.toml`` (read once, on first use)."""
    text = resources.files("nusource.detsim").joinpath("data/shells.toml").read_text("utf-8")
    return tomllib.loads(text)


def material_names() -> tuple[str, ...]:
    """Names of the materials with a shell table (aliases not included)."""
    return tuple(_shell_data()["materials"])


def _canonical(material: str) -> str:
    """The registered name of ``material`` (an alias resolves to its material)."""
    mats = _shell_data()["materials"]
    if isinstance(material, str):
        if material in mats:
            return material
        for name, rec in mats.items():
            if material in rec.get("aliases", ()):
                return name
    allowed = ", ".join(
        f"{n} (or {', '.join(r['aliases'])})" if r["aliases"] else n for n, r in mats.items()
    )
    raise ValueError(f"material = {material!r}: no shell table; allowed: {allowed}")


@lru_cache(maxsize=16)
def _table(material: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    data = _shell_data()
    name = _canonical(material)
    binding, occupancy, labels = [], [], []
    for element, count in data["materials"][name]["formula"].items():
        rec = data["elements"][element]
        for shell in rec["shells"]:
            binding.extend([shell["binding_kev"] * _KEV] * count)
            occupancy.extend([shell["occupancy"]] * count)
            labels.extend([f"{element} {shell['name']}"] * count)
    b = np.array(binding, dtype=np.float64)
    n = np.array(occupancy, dtype=np.float64)
    b.setflags(write=False)
    n.setflags(write=False)
    return b, n, tuple(labels)


def shell_table(material: str) -> tuple[np.ndarray, np.ndarray]:
    """Shell binding energies and occupancies of one formula unit.

    Parameters
    ----------
    material : str
        ``'NaI'``, ``'LXe'`` (alias ``'Xe'``), ``'He'`` or ``'pseudocumene'``
        (alias ``'C9H12'``); see :func:`material_names`.

    Returns
    -------
    binding_mev : ndarray, shape (k,)
        Binding energy of each shell [MeV]; a shell of an element appearing
        m times in the formula appears m times.
    occupancy : ndarray, shape (k,)
        Electrons in each shell; ``occupancy.sum()`` is Z of the formula unit
        (NaI 64, Xe 54, He 2, C9H12 66).

    Raises
    ------
    ValueError
        If the material has no shell table.
    """
    b, n, _ = _table(material)
    return b.copy(), n.copy()


def shell_labels(material: str) -> tuple[str, ...]:
    """Element and shell name of each row of :func:`shell_table` (e.g. ``'I K'``)."""
    return _table(material)[2]


def z_total(material: str) -> float:
    """Electrons per formula unit, Z = Σ n_i."""
    return float(_table(material)[1].sum())


def binding_fraction(material: str, q_mev) -> np.ndarray:
    """Z_eff(q)/Z: the fraction of electrons that can take the energy transfer q.

    Parameters
    ----------
    material : str
        Material name (see :func:`shell_table`).
    q_mev : array_like
        Energy transfer q = T [MeV].

    Returns
    -------
    ndarray
        Σ n_i θ(q − B_i) / Σ n_i, same shape as ``q_mev``; θ is strict (an
        electron with B_i = q does not scatter). This is the factor that turns
        the free-electron spectrum into the bound one (exact expectations).
    """
    edges, keep = binding_steps(material)
    q = np.asarray(q_mev, dtype=np.float64)
    return keep[np.searchsorted(edges, q, side="left")]


def binding_steps(material: str) -> tuple[np.ndarray, np.ndarray]:
    """The step function Z_eff(q)/Z as arrays for :func:`apply_binding`.

    Returns
    -------
    edges_mev : ndarray, shape (m,)
        Distinct binding energies, ascending [MeV].
    keep : ndarray, shape (m + 1,)
        ``keep[k]`` = Z_eff/Z for ``edges[k-1] < q ≤ edges[k]`` (``keep[0] = 0``
        below the lowest binding, ``keep[m] = 1`` above the highest).
    """
    b, n, _ = _table(material)
    edges = np.unique(b)
    per_edge = np.array([n[b == e].sum() for e in edges])
    keep = np.concatenate(([0.0], np.cumsum(per_edge))) / n.sum()
    keep[-1] = 1.0
    return edges, keep


@jit
def apply_binding(rng, q_mev, edges_mev, keep, edep, flags):
    """Remove events by binding: keep each with probability Z_eff(q)/Z.

    One uniform is drawn per event (whatever the outcome), so later stages
    see the same random stream with binding on or off.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream.
    q_mev : float64[n]
        Energy transfer q = T of each event [MeV] (the truth field ``te``).
    edges_mev, keep : float64[m], float64[m + 1]
        From :func:`binding_steps`.
    edep : float64[n]
        Output: q for a kept event, 0 for a removed one [MeV].
    flags : uint32[n]
        Output: ``binding_removed`` is set for a removed event (other bits kept).
    """
    for i in range(q_mev.shape[0]):
        q = q_mev[i]
        p = keep[np.searchsorted(edges_mev, q)]
        if uniform(rng) < p:
            edep[i] = q
        else:
            edep[i] = 0.0
            flags[i] |= BINDING_REMOVED
