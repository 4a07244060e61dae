"""Antineutrino spectrum of a β⁻ branch and tabulated spectra (docs/physics.md §4).

N(E) ∝ F(Z_d, W)·p·W·E²·C(E), with E the ν̄ energy, W = Q + mₑ − E the electron
total energy and p = √(W² − mₑ²) its momentum; C = 1 (``allowed``) or
C = q² + p², q = E (``unique1``, first-forbidden unique, λ₂ ≈ 1).

Energies in MeV; densities per MeV. Tables are piecewise-linear densities on an
increasing energy grid, normalised so that their trapezoid integral is 1.
"""

import math
from decimal import Decimal
from pathlib import Path

import numpy as np

from .constants import M_E
from .fermi import check_kind, fermi_times_momentum

SHAPES = ("allowed", "unique1")
"""Allowed values of a branch's spectral ``shape``."""

GRID_STEP = 2e-3
"""Relative grid step near the ends: spacing ≈ GRID_STEP·min(E, Q − E)."""
GRID_FLOOR = 1e-6
"""The geometric part of the grid starts at GRID_FLOOR·Q from each end."""


def kev_to_mev(value_kev: float) -> float:
    """keV → MeV giving the double nearest to the decimal value (545.9 → 0.5459 exactly)."""
    return float(Decimal(repr(float(value_kev))) / 1000)


def check_shape(shape: str) -> str:
    """Return ``shape`` if it is a known spectral shape, else raise ValueError."""
    if shape not in SHAPES:
        allowed = ", ".join(repr(s) for s in SHAPES)
        raise ValueError(f"shape must be one of {allowed}; got {shape!r}")
    return shape


def beta_density(
    energy_mev,
    q_mev: float,
    z_daughter: float,
    a_mass: float,
    *,
    shape: str = "allowed",
    fermi: str = "relativistic",
) -> np.ndarray:
    """Unnormalised ν̄ energy density of a β⁻ branch.

    Parameters
    ----------
    energy_mev : float or array_like
        Antineutrino energy E [MeV].
    q_mev : float
        Endpoint (Q value of the branch) [MeV].
    z_daughter : float
        Charge of the daughter nucleus (positive for β⁻).
    a_mass : float
        Mass number A.
    shape : {"allowed", "unique1"}
        Spectral shape factor C.
    fermi : {"relativistic", "nonrelativistic"}
        Form of the Fermi function (see :mod:`nusource.generator.fermi`).

    Returns
    -------
    numpy.ndarray
        F·p·W·E²·C with p, W, q in units of mₑ and E in MeV (arbitrary overall
        scale), for 0 ≤ E ≤ Q; the value at E = Q is the (finite) limit from
        below, where the electron momentum vanishes. Zero for E < 0 or E > Q.
    """
    check_shape(shape)
    check_kind(fermi)
    if not (q_mev > 0 and math.isfinite(q_mev)):
        raise ValueError(f"q_mev must be a positive finite energy, got {q_mev!r}")
    e = np.asarray(energy_mev, dtype=float)
    inside = (e >= 0.0) & (e <= q_mev)
    t = np.where(inside, (q_mev - e) / M_E, 0.0)  # electron kinetic energy / mₑ
    w = 1.0 + t
    p = np.sqrt(t * (t + 2.0))
    fp = fermi_times_momentum(z_daughter, w, a_mass, kind=fermi, p=p)
    c = 1.0 if shape == "allowed" else (e / M_E) ** 2 + p**2
    return np.where(inside, fp * w * e**2 * c, 0.0)


def beta_grid(q_mev: float, *, step: float = GRID_STEP, floor: float = GRID_FLOOR) -> np.ndarray:
    """Energy grid on [0, Q] for tabulating a β spectrum, dense at both ends.

    Spacing ≈ ``step``·min(E, Q − E) (geometric towards each end, from
    ``floor``·Q), so piecewise-linear interpolation of the E² rise at E → 0 and of
    the structure at E → Q keeps a relative error ≈ step²/6 in any bin.

    Parameters
    ----------
    q_mev : float
        Endpoint [MeV].
    step, floor : float
        Relative step and the start of the geometric part (fractions of Q).

    Returns
    -------
    numpy.ndarray
        Strictly increasing energies [MeV], first 0, last exactly ``q_mev``.
    """
    n_side = math.ceil(math.log(0.5 / floor) / math.log1p(step))
    half = q_mev * floor * np.exp(np.linspace(0.0, math.log(0.5 / floor), n_side + 1))
    half[-1] = 0.5 * q_mev
    left = np.concatenate(([0.0], half))
    right = q_mev - left[::-1]
    return np.concatenate((left, right[1:]))


def normalise_table(energy_mev, density) -> np.ndarray:
    """Return ``density`` scaled so that its trapezoid integral over ``energy_mev`` is 1."""
    energy_mev = np.asarray(energy_mev, dtype=float)
    density = np.asarray(density, dtype=float)
    total = float(np.sum(0.5 * (density[1:] + density[:-1]) * np.diff(energy_mev)))
    if not total > 0.0:
        raise ValueError("spectrum integrates to zero")
    return density / total


def tabulate_beta(
    q_mev: float,
    z_daughter: float,
    a_mass: float,
    *,
    shape: str = "allowed",
    fermi: str = "relativistic",
) -> tuple[np.ndarray, np.ndarray]:
    """Tabulate the normalised ν̄ spectrum of a β⁻ branch for linear interpolation.

    The grid (:func:`beta_grid`) makes piecewise-linear interpolation of the table
    reproduce the exact spectrum's probability in any bin of width ≥ Q/200 to
    better than 1e-5 relative (tested against quadrature).

    Parameters
    ----------
    q_mev, z_daughter, a_mass, shape, fermi
        As for :func:`beta_density`.

    Returns
    -------
    energy_mev : numpy.ndarray
        Grid from 0 to ``q_mev`` [MeV].
    density : numpy.ndarray
        Density per MeV; trapezoid integral 1.
    """
    energy = beta_grid(q_mev)
    dens = beta_density(energy, q_mev, z_daughter, a_mass, shape=shape, fermi=fermi)
    return energy, normalise_table(energy, dens)


def table_cdf(energy_mev, density, x) -> np.ndarray:
    """Exact integral of a piecewise-linear density from its first energy to ``x``.

    Parameters
    ----------
    energy_mev, density : array_like
        Table (increasing energies [MeV], density per MeV), linear between points,
        zero outside.
    x : float or array_like
        Upper limit(s) [MeV].

    Returns
    -------
    numpy.ndarray
        ∫ density dE from energy_mev[0] to x (clipped to the table's range).
    """
    e = np.asarray(energy_mev, dtype=float)
    d = np.asarray(density, dtype=float)
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(e))))
    xc = np.clip(np.asarray(x, dtype=float), e[0], e[-1])
    i = np.clip(np.searchsorted(e, xc, side="right") - 1, 0, len(e) - 2)
    h = xc - e[i]
    slope = (d[i + 1] - d[i]) / (e[i + 1] - e[i])
    return cum[i] + h * (d[i] + 0.5 * slope * h)


def table_mean(energy_mev, density) -> float:
    """Exact mean energy [MeV] of a normalised piecewise-linear density."""
    e = np.asarray(energy_mev, dtype=float)
    d = np.asarray(density, dtype=float)
    h = np.diff(e)
    seg = h * (e[:-1] * (2 * d[:-1] + d[1:]) + e[1:] * (d[:-1] + 2 * d[1:])) / 6.0
    norm = np.sum(0.5 * (d[1:] + d[:-1]) * h)
    return float(np.sum(seg) / norm)


def load_spectrum_file(path) -> tuple[np.ndarray, np.ndarray]:
    """Load a user's tabulated spectrum (e.g. a BetaShape output).

    The file has two whitespace- (or comma-) separated columns: energy [keV] and
    density in any normalisation; text after ``#`` is a comment; blank lines are
    ignored. Energies must be finite, ≥ 0 and strictly increasing; densities
    finite and ≥ 0; at least two points with a positive integral.

    Parameters
    ----------
    path : str or os.PathLike
        The text file.

    Returns
    -------
    energy_mev : numpy.ndarray
        Energies [MeV].
    density : numpy.ndarray
        Density per MeV, trapezoid integral 1 (linear between points).

    Raises
    ------
    ValueError
        Naming the file, the line and the problem.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"spectrum file '{path}': cannot read it ({exc.strerror})") from exc
    energies: list[float] = []
    values: list[float] = []
    last_line = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].replace(",", " ").split()
        if not content:
            continue

        def fail(problem: str, lineno: int = lineno) -> ValueError:
            return ValueError(f"spectrum file '{path}', line {lineno}: {problem}")

        if len(content) != 2:
            raise fail(f"expected 2 columns (energy_keV density), found {len(content)}")
        try:
            e_kev, dens = float(content[0]), float(content[1])
        except ValueError:
            raise fail(f"not a pair of numbers: {raw.strip()!r}") from None
        if not (math.isfinite(e_kev) and math.isfinite(dens)):
            raise fail(f"non-finite value: {raw.strip()!r}")
        if e_kev < 0.0:
            raise fail(f"negative energy {e_kev!r} keV")
        if dens < 0.0:
            raise fail(f"negative density {dens!r}")
        if energies and e_kev <= energies[-1]:
            raise fail(
                f"energies must be strictly increasing: {e_kev!r} keV follows "
                f"{energies[-1]!r} keV (line {last_line})"
            )
        energies.append(e_kev)
        values.append(dens)
        last_line = lineno
    if len(energies) < 2:
        raise ValueError(
            f"spectrum file '{path}': needs at least 2 data lines, found {len(energies)}"
        )
    energy_mev = np.array([kev_to_mev(e) for e in energies])
    dens_arr = np.array(values)
    try:
        return energy_mev, normalise_table(energy_mev, dens_arr)
    except ValueError:
        raise ValueError(f"spectrum file '{path}': all densities are zero") from None


__all__ = [
    "GRID_FLOOR",
    "GRID_STEP",
    "SHAPES",
    "beta_density",
    "beta_grid",
    "check_shape",
    "kev_to_mev",
    "load_spectrum_file",
    "normalise_table",
    "table_cdf",
    "table_mean",
    "tabulate_beta",
]
