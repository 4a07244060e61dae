"""Fermi function F(Z, W) for β decay (docs/physics.md §4).

Natural units: the electron total energy ``w`` and momentum ``p`` are in units
of mₑ (mₑc² and mₑc), the nuclear radius in units of ħ/(mₑc). ``z`` is the charge
of the daughter nucleus, positive for β⁻ (attractive Coulomb field); pass −Z for
β⁺.

- ``relativistic``: point-nucleus Dirac solution evaluated at the nuclear radius,

  F = 2(1 + γ)(2pR)^{2γ−2} e^{πη} |Γ(γ + iη)|² / Γ(2γ + 1)²,

  γ = √(1 − (αZ)²), η = αZW/p, R = 1.2·A^{1/3} fm.
- ``nonrelativistic``: F = 2πη / (1 − e^{−2πη}) (seed 001, eq. 3.1's F(Z, p)).

F diverges as 1/p at the β⁻ endpoint (p → 0) but F·p stays finite;
:func:`fermi_times_momentum` returns that product with the exact limit at p = 0.
"""

import numpy as np

from .constants import ALPHA, HBARC, M_E

FERMI_KINDS = ("relativistic", "nonrelativistic")
"""Allowed values of the ``kind`` (``fermi``) option."""

R0_FM = 1.2
"""Nuclear radius parameter r₀ in R = r₀·A^{1/3} [fm]."""

_ETA_STIRLING = 20.0
"""Above this η, e^{πη}|Γ(γ+iη)|² is evaluated by a cancellation-free Stirling series."""


def check_kind(kind: str) -> str:
    """Return ``kind`` if it is a known Fermi-function form, else raise ValueError."""
    if kind not in FERMI_KINDS:
        allowed = ", ".join(repr(k) for k in FERMI_KINDS)
        raise ValueError(f"fermi must be one of {allowed}; got {kind!r}")
    return kind


def nuclear_radius(a_mass: float) -> float:
    """Nuclear radius R = 1.2·A^{1/3} fm in units of ħ/(mₑc).

    Parameters
    ----------
    a_mass : float
        Mass number A (> 0).

    Returns
    -------
    float
        R in units of the reduced electron Compton wavelength ħ/(mₑc) = 386.16 fm.
    """
    if not a_mass > 0:
        raise ValueError(f"a_mass must be > 0, got {a_mass!r}")
    r_cm = R0_FM * a_mass ** (1.0 / 3.0) * 1e-13
    return r_cm * M_E / HBARC


def _gamma_of(z):
    az2 = (ALPHA * np.asarray(z, dtype=float)) ** 2
    if np.any(az2 >= 1.0):
        raise ValueError("|αZ| must be < 1 for the relativistic Fermi function")
    return np.sqrt(1.0 - az2)


def _momentum(w, p):
    w = np.asarray(w, dtype=float)
    if np.any(w < 1.0):
        raise ValueError("w (electron total energy in units of mₑ) must be ≥ 1")
    if p is None:
        return w, np.sqrt((w - 1.0) * (w + 1.0))
    p = np.asarray(p, dtype=float)
    if np.any(p < 0.0):
        raise ValueError("p (electron momentum in units of mₑ) must be ≥ 0")
    return w, p


def _log_coulomb_gamma(gam, eta):
    """ln(e^{πη}|Γ(γ + iη)|²) for η ≥ 0 finite, without cancellation at large η."""
    from scipy.special import loggamma  # (here: most commands never need it)

    gam, eta = np.broadcast_arrays(np.asarray(gam, float), np.asarray(eta, float))
    out = np.empty(gam.shape)
    small = eta <= _ETA_STIRLING
    out[small] = np.pi * eta[small] + 2.0 * loggamma(gam[small] + 1j * eta[small]).real
    g, e = gam[~small], eta[~small]
    z = g + 1j * e
    # Stirling: ln Γ(z) = (z − ½)ln z − z + ½ln 2π + Σ B₂ₖ/(2k(2k−1)z^{2k−1}); with
    # arg z = π/2 − atan(γ/η), πη − 2η·arg z = 2η·atan(γ/η) is free of cancellation.
    series = 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5) - 1 / (1680 * z**7)
    out[~small] = (
        (2.0 * g - 1.0) * np.log(np.abs(z))
        + 2.0 * e * np.arctan(g / e)
        - 2.0 * g
        + np.log(2.0 * np.pi)
        + 2.0 * series.real
    )
    return out


def _log_fermi_times_p_rel(z, w, p, a_mass):
    """ln(F·p) for Z > 0 and p > 0 (relativistic form)."""
    from scipy.special import gammaln

    gam = _gamma_of(z)
    r = nuclear_radius(a_mass)
    eta = ALPHA * z * w / p
    return (
        np.log(2.0 * (1.0 + gam))
        + (2.0 * gam - 2.0) * np.log(2.0 * r)
        + (2.0 * gam - 1.0) * np.log(p)
        + _log_coulomb_gamma(gam, eta)
        - 2.0 * gammaln(2.0 * gam + 1.0)
    )


def _fermi_times_p_rel(z, w, p, a_mass):
    """F·p (relativistic) for any sign of Z, with the exact p → 0 limit."""
    from scipy.special import gammaln

    z, w, p = np.broadcast_arrays(np.asarray(z, float), w, p)
    out = np.zeros(z.shape)
    zero_z = z == 0.0
    out[zero_z] = p[zero_z]
    # Z > 0, p = 0: e^{πη}|Γ(γ+iη)|² → 2πη^{2γ−1}, so
    # F·p → 2(1+γ)(2R)^{2γ−2}·2π(αZW)^{2γ−1}/Γ(2γ+1)².
    lim = (z > 0.0) & (p == 0.0)
    if np.any(lim):
        gam = _gamma_of(z[lim])
        r = nuclear_radius(a_mass)
        out[lim] = np.exp(
            np.log(2.0 * (1.0 + gam))
            + (2.0 * gam - 2.0) * np.log(2.0 * r)
            + np.log(2.0 * np.pi)
            + (2.0 * gam - 1.0) * np.log(ALPHA * z[lim] * w[lim])
            - 2.0 * gammaln(2.0 * gam + 1.0)
        )
    pos = (z > 0.0) & (p > 0.0)
    if np.any(pos):
        out[pos] = np.exp(_log_fermi_times_p_rel(z[pos], w[pos], p[pos], a_mass))
    neg = (z < 0.0) & (p > 0.0)
    if np.any(neg):
        # η < 0: e^{πη}|Γ(γ+iη)|² = e^{2πη}·e^{π|η|}|Γ(γ+i|η|)|²; F·p → 0 at p = 0.
        gam = _gamma_of(z[neg])
        r = nuclear_radius(a_mass)
        eta = ALPHA * z[neg] * w[neg] / p[neg]
        out[neg] = np.exp(
            np.log(2.0 * (1.0 + gam))
            + (2.0 * gam - 2.0) * np.log(2.0 * r * p[neg])
            + np.log(p[neg])
            + 2.0 * np.pi * eta
            + _log_coulomb_gamma(gam, -eta)
            - 2.0 * gammaln(2.0 * gam + 1.0)
        )
    return out


def _fermi_times_p_nonrel(z, w, p):
    """F·p = 2παZW/(1 − e^{−2πη}) for Z ≠ 0 (p for Z = 0), exact at p = 0."""
    z, w, p = np.broadcast_arrays(np.asarray(z, float), w, p)
    out = p.astype(float, copy=True)
    nz = z != 0.0
    with np.errstate(divide="ignore", over="ignore"):
        eta = ALPHA * z[nz] * w[nz] / p[nz]  # ±inf at p = 0
        out[nz] = 2.0 * np.pi * ALPHA * z[nz] * w[nz] / -np.expm1(-2.0 * np.pi * eta)
    return np.maximum(out, 0.0)


def fermi_times_momentum(z, w, a_mass=None, *, kind="relativistic", p=None) -> np.ndarray:
    """F(Z, W)·p, finite at the β⁻ endpoint p → 0 (exact limit there).

    Parameters
    ----------
    z : float or array_like
        Daughter nuclear charge (positive for β⁻, negative for β⁺).
    w : float or array_like
        Electron total energy in units of mₑ (≥ 1).
    a_mass : float, optional
        Mass number A of the daughter (required for ``kind="relativistic"``).
    kind : {"relativistic", "nonrelativistic"}
        Form of the Fermi function.
    p : float or array_like, optional
        Electron momentum in units of mₑ. Computed as √(w² − 1) if omitted; pass
        it (e.g. √(t(t+2)) from the kinetic energy t) to avoid cancellation near w = 1.

    Returns
    -------
    numpy.ndarray
        F·p (p in units of mₑ), broadcast shape of the inputs.
    """
    check_kind(kind)
    w, p = _momentum(w, p)
    if kind == "nonrelativistic":
        return _fermi_times_p_nonrel(z, w, p)
    if a_mass is None:
        raise ValueError("a_mass is required for the relativistic Fermi function")
    return _fermi_times_p_rel(z, w, p, a_mass)


def fermi_function(z, w, a_mass=None, *, kind="relativistic", p=None) -> np.ndarray:
    """Fermi function F(Z, W).

    Parameters
    ----------
    z : float or array_like
        Daughter nuclear charge (positive for β⁻, negative for β⁺).
    w : float or array_like
        Electron total energy in units of mₑ (≥ 1).
    a_mass : float, optional
        Mass number A of the daughter (required for ``kind="relativistic"``).
    kind : {"relativistic", "nonrelativistic"}
        Form of the Fermi function.
    p : float or array_like, optional
        Electron momentum in units of mₑ (computed from ``w`` if omitted).

    Returns
    -------
    numpy.ndarray
        F (dimensionless). At p = 0: +inf for Z > 0, 1 for Z = 0, 0 for Z < 0.
    """
    check_kind(kind)
    w, p = _momentum(w, p)
    fp = fermi_times_momentum(z, w, a_mass, kind=kind, p=p)
    z_b, fp, p = np.broadcast_arrays(np.asarray(z, float), fp, p)
    at_zero = np.where(z_b > 0.0, np.inf, np.where(z_b == 0.0, 1.0, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0.0, fp / np.where(p > 0.0, p, 1.0), at_zero)


def fermi_relativistic(z, w, a_mass) -> np.ndarray:
    """Relativistic Fermi function with finite-radius factor; see :func:`fermi_function`."""
    return fermi_function(z, w, a_mass, kind="relativistic")


def fermi_nonrelativistic(z, w) -> np.ndarray:
    """Non-relativistic Fermi function 2πη/(1 − e^{−2πη}); see :func:`fermi_function`."""
    return fermi_function(z, w, kind="nonrelativistic")


__all__ = [
    "FERMI_KINDS",
    "R0_FM",
    "check_kind",
    "fermi_function",
    "fermi_nonrelativistic",
    "fermi_relativistic",
    "fermi_times_momentum",
    "nuclear_radius",
]
