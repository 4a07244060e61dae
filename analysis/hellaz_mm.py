"""HELLAZ and a neutrino magnetic moment: exact (T, θ) curves of seeds 001 (§4) and 002.

Exact curves come from the generator's cross sections (``generator.xsec``:
weak dσ_W/dT with the card's couplings, magnetic dσ_μ/dT = πr_e²μ²(1/T − 1/E))
on free electrons, and the kinematics E(T, θ) = mₑT/(p·cosθ − T) with
|∂E/∂cosθ| = mₑpT/(p·cosθ − T)² (seed 002 eqs. 4, 6, 7):

- a line (⁵¹Cr 746.9 keV): dσ/dT, and dσ/dcosθ = dσ/dT·dT/dcosθ (seed 002 eq. 5);
- a spectrum f(E) per neutrino (⁹⁰Sr–⁹⁰Y): ⟨dσ/dT⟩ = ∫f(E)dσ/dT dE and
  ⟨dσ/dcosθ⟩ = ∫ f(E(T, θ)) dσ/dT |∂E/∂cosθ| dT over a T range (seed 002 eq. 7);
- C(T, θ) = (dσ_μ/dT)/(dσ_W/dT) at E(T, θ) (seed 002 eq. 8) and the weak and
  magnetic cross sections integrated over the region C(T, θ) > c, T ≥ 100 keV
  (seed 002 Fig. 9), by Gauss–Legendre quadrature in (E, T) (a change of
  variables of the (T, θ) integral with the same region).

Events of a run are compared as the experiment would see them: the electron
direction reconstructed (35 mrad), the neutrino direction taken from the source
centre to the reconstructed vertex, C evaluated at E(T, θ_rec).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from nusource.generator.constants import M_E
from nusource.generator.kinematics import t_max
from nusource.generator.xsec import dsigma_parts_array

CR_LINE_MEV = 0.7469
"""The main ⁵¹Cr line [MeV] (81.6 % of decays), the seeds' 746 keV."""
MU_SEED = 6e-11
"""μν [μ_B] of seed 002's abstract and Figs. 4, 9 (and ``mm_over_sm_sry_t100``)."""
MU_ISO = 1e-10
"""μν [μ_B] of the iso-C curves (seed 002 Figs. 7, 8)."""
C_CUTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 2.0, 4.0)
"""Cuts C(T, θ) > c of the integrated-signal table (c = 0: all of T ≥ 100 keV)."""
ISO_LEVELS = (1.0, 2.0, 4.0, 8.0, 32.0, 64.0)
"""Iso-C levels of seed 002 Fig. 7."""


def parts(t, e, p) -> tuple[np.ndarray, np.ndarray]:
    """(dσ_W/dT, dσ_μ/dT per μ_B²) [cm²/MeV] at T, E [MeV] (broadcast; 0 outside kinematics)."""
    t, e = np.broadcast_arrays(np.asarray(t, float), np.asarray(e, float))
    shape = t.shape
    t, e = np.ascontiguousarray(t.ravel()), np.ascontiguousarray(e.ravel())
    sm, mag, zl, zq = (np.zeros(t.size) for _ in range(4))
    dsigma_parts_array(t, e, p, sm, mag, zl, zq)
    return sm.reshape(shape), mag.reshape(shape)


def e_of_t_theta(t, cos_theta) -> np.ndarray:
    """Neutrino energy E(T, θ) = mₑT/(p·cosθ − T) [MeV]; inf where p·cosθ ≤ T."""
    t, c = np.broadcast_arrays(np.asarray(t, float), np.asarray(cos_theta, float))
    p = np.sqrt(t * t + 2.0 * M_E * t)
    d = p * c - t
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0.0, M_E * t / np.where(d > 0.0, d, 1.0), np.inf)


def cos_theta_of(t, e) -> np.ndarray:
    """cosθ = (1 + mₑ/E)·√(T/(T + 2mₑ)) (seed 002 eq. 4)."""
    t = np.asarray(t, float)
    return (1.0 + M_E / np.asarray(e, float)) * np.sqrt(t / (t + 2.0 * M_E))


def line_dsigma_dt(t, e, p, mus: Sequence[float]) -> dict:
    """dσ/dT [cm²/MeV] of one line E [MeV]: 'SM' and the magnetic part for each μ [μ_B]."""
    sm, mag = parts(np.asarray(t, float), np.full(np.size(t), float(e)), p)
    return {"SM": sm, **{f"{m:g}": m * m * mag for m in mus}}


def line_dsigma_dcos(cos_theta, e, p, mus: Sequence[float]) -> dict:
    """dσ/dcosθ [cm²] of one line E [MeV] at cosθ: dσ/dT·dT/dcosθ.

    T(c) = 2mₑc²/(k² − c²), dT/dc = 4mₑk²c/(k² − c²)², k = 1 + mₑ/E; cosθ ranges over
    (0, cosθ(T_max)] (0 where no recoil has that angle).
    """
    c = np.asarray(cos_theta, float)
    k = 1.0 + M_E / e
    ok = (c > 0.0) & (c < k * np.sqrt(t_max(e) / (t_max(e) + 2.0 * M_E)) + 1e-15)
    den = np.where(ok, k * k - c * c, 1.0)
    t = np.where(ok, 2.0 * M_E * c * c / den, 0.0)
    dt_dc = np.where(ok, 4.0 * M_E * k * k * c / den**2, 0.0)
    curves = line_dsigma_dt(np.minimum(t, t_max(e)), e, p, mus)
    return {key: np.where(ok, v * dt_dc, 0.0) for key, v in curves.items()}


def spectrum_density(spectrum, e) -> np.ndarray:
    """Continuum density f(E) [1/MeV] per neutrino (piecewise linear, 0 outside)."""
    return np.interp(
        np.asarray(e, float), spectrum.cont_energy, spectrum.cont_density, left=0.0, right=0.0
    )


@lru_cache(maxsize=16)
def _leggauss(n):
    return np.polynomial.legendre.leggauss(n)


def _gl(lo, hi, n):
    x, w = _leggauss(n)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    half = 0.5 * (hi - lo)
    return (0.5 * (hi + lo))[..., None] + half[..., None] * x, half[..., None] * w


def _energy_nodes(spectrum, lo, n_per_piece=24):
    """GL nodes and weights in E over the continuum from ``lo`` [MeV] (pieces at its kinks)."""
    grid = spectrum.cont_energy
    kinks = np.unique(np.concatenate([[lo], grid[(grid > lo)]]))
    # the tabulated grid is fine: group it into ≈ 60 pieces
    step = max(1, kinks.size // 60)
    edges = np.unique(np.concatenate([kinks[::step], kinks[-1:]]))
    e, w = _gl(edges[:-1], edges[1:], n_per_piece)
    return e.ravel(), w.ravel()


def spectrum_dsigma_dt(spectrum, p, t, mus: Sequence[float], *, n_e=24) -> dict:
    """⟨dσ/dT⟩ [cm²/MeV per neutrino] over the continuum: SM and magnetic per μ (seed 002 eq. 6)."""
    t = np.asarray(t, float)
    sm_out, mag_out = np.zeros(t.size), np.zeros(t.size)
    for i, ti in enumerate(t):
        emin = 0.5 * (ti + np.sqrt(ti * ti + 2.0 * M_E * ti))
        if emin >= spectrum.cont_energy[-1]:
            continue
        e, w = _energy_nodes(spectrum, emin, n_e)
        sm, mag = parts(np.full(e.size, ti), e, p)
        f = spectrum_density(spectrum, e) * w
        sm_out[i], mag_out[i] = f @ sm, f @ mag
    return {"SM": sm_out, **{f"{m:g}": m * m * mag_out for m in mus}}


def spectrum_steps(spectrum) -> np.ndarray:
    """Energies [MeV] where the continuum density steps (a β branch ending with density > 0)."""
    e = spectrum.cont_energy
    return e[1:][np.diff(e) < 1e-9]


def _t_of_cos(c, e):
    """Recoil T [MeV] of a neutrino of energy E scattered at cosθ = c (inverse of eq. 4)."""
    k = 1.0 + M_E / e
    return 2.0 * M_E * c * c / (k * k - c * c)


def spectrum_dsigma_dcos(spectrum, p, cos_theta, t_range, mus: Sequence[float], *, n_t=256):
    """⟨dσ/dcosθ⟩ [cm² per neutrino] for T in ``t_range`` [MeV] (seed 002 eq. 7).

    ∫ f(E(T, θ))·dσ/dT·|∂E/∂cosθ| dT by Gauss–Legendre in T, split where E(T, θ) crosses a
    step of the density (the ⁹⁰Sr endpoint), ``n_t`` nodes per piece in 4 sub-pieces.
    """
    c_all = np.atleast_1d(np.asarray(cos_theta, float))
    steps = spectrum_steps(spectrum)
    sm_out, mag_out = np.zeros(c_all.size), np.zeros(c_all.size)
    for i, c in enumerate(c_all):
        cuts = [_t_of_cos(c, e) for e in steps] if c > 0 else []
        b = np.unique([t_range[0], t_range[1], *[t for t in cuts if t_range[0] < t < t_range[1]]])
        sub = np.concatenate(
            [np.linspace(lo, hi, 5)[:-1] for lo, hi in zip(b[:-1], b[1:], strict=True)]
        )
        sub = np.append(sub, b[-1])
        t, w = _gl(sub[:-1], sub[1:], max(1, n_t // 4))
        t, w = t.ravel(), w.ravel()
        e = e_of_t_theta(t, np.full(t.size, c))
        fin = np.isfinite(e)
        e_safe = np.where(fin, e, 1e9)
        pp = np.sqrt(t * t + 2.0 * M_E * t)
        d = np.where(fin, pp * c - t, 1.0)
        f = spectrum_density(spectrum, e_safe) * np.where(fin, M_E * pp * t / d**2, 0.0) * w
        sm, mag = parts(t, e_safe, p)
        sm_out[i], mag_out[i] = f @ sm, f @ mag
    return {"SM": sm_out, **{f"{m:g}": m * m * mag_out for m in mus}}


def c_ratio(t, e, p, mu: float) -> np.ndarray:
    """C = (dσ_μ/dT)/(dσ_W/dT) at (T, E) for μ [μ_B] (inf where the weak part vanishes)."""
    sm, mag = parts(t, e, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sm > 0.0, mu * mu * mag / np.where(sm > 0, sm, 1.0), np.inf)


def integrated_vs_c(spectrum, p, cuts=C_CUTS, *, mu=MU_SEED, tmin=0.1, n_t=96, n_e=24) -> dict:
    """Weak and magnetic cross sections [cm² per neutrino] integrated over C(T, θ) > c, T ≥ tmin.

    Quadrature in (E, T): E over the continuum (GL per piece), T over [tmin, T_max(E)]
    (GL, n_t nodes); the region is the set of nodes with C > c (first-order accurate at its
    boundary, exact for c = 0).  Returns ``{"cuts", "sm", "mm", "share_sm", "share_mm",
    "mm_over_sm"}``.
    """
    emin = 0.5 * (tmin + np.sqrt(tmin * tmin + 2.0 * M_E * tmin))
    e, we = _energy_nodes(spectrum, emin, n_e)
    tm = 2.0 * e * e / (M_E + 2.0 * e)
    t, wt = _gl(np.full(e.size, tmin), tm, n_t)  # (n_E, n_t)
    ee = np.broadcast_to(e[:, None], t.shape)
    sm, mag = parts(t, ee, p)
    w = spectrum_density(spectrum, e)[:, None] * we[:, None] * wt
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(sm > 0, mu * mu * mag / np.where(sm > 0, sm, 1.0), np.inf)
    a_sm, a_mm = [], []
    for cut in cuts:
        m = c > cut if cut > 0 else np.ones(c.shape, bool)
        a_sm.append(float(np.sum(w * sm * m)))
        a_mm.append(float(np.sum(w * mu * mu * mag * m)))
    return _shares(list(cuts), a_sm, a_mm)


def _shares(cuts, a_sm, a_mm) -> dict:
    a_sm, a_mm = np.asarray(a_sm), np.asarray(a_mm)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a_sm > 0, a_mm / np.where(a_sm > 0, a_sm, 1.0), np.nan)
    return {
        "cuts": [float(x) for x in cuts],
        "sm": [float(x) for x in a_sm],
        "mm": [float(x) for x in a_mm],
        "share_sm": [float(x) for x in a_sm / a_sm[0]],
        "share_mm": [float(x) for x in a_mm / a_mm[0]],
        "mm_over_sm": [float(x) for x in ratio],
    }


def reconstructed_cos(events, source_center=(0.0, 0.0, 0.0)) -> np.ndarray:
    """cos of the reconstructed electron direction to the source-centre → reconstructed-vertex
    direction (what the experiment measures; the true angle is ``cos_theta``)."""
    d = np.stack(
        [events[f"rec_{a}"] - c for a, c in zip("xyz", source_center, strict=True)], axis=1
    )
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    u = np.stack([events["rec_dx"], events["rec_dy"], events["rec_dz"]], axis=1)
    return np.clip(np.sum(d * u, axis=1), -1.0, 1.0)


def event_weights(events, gen_norm: float, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """(SM, magnetic at μ) expected events per event, from the stored dσ/dT parts."""
    base = gen_norm / events["xs_gen"] * events["p_ee"]
    return base * events["xs_sm"], base * mu * mu * events["xs_mag"]


def events_vs_c(events, gen_norm, p, cuts=C_CUTS, *, mu=MU_SEED, tmin=0.1, source_center=(0, 0, 0)):
    """The table of :func:`integrated_vs_c` from a run's signal events [expected events].

    T is the true recoil (the run starts at the threshold, so a smeared energy would lose
    the inflow from below it); θ is reconstructed (the card's angular resolution).
    """
    ev = events[events["te"] >= tmin]
    c_rec = reconstructed_cos(ev, source_center)
    e = e_of_t_theta(ev["te"], c_rec)
    c = c_ratio(ev["te"], np.where(np.isfinite(e), e, 1e6), p, mu)
    w_sm, w_mm = event_weights(ev, gen_norm, mu)
    a_sm = [float(w_sm[c > cut].sum()) if cut > 0 else float(w_sm.sum()) for cut in cuts]
    a_mm = [float(w_mm[c > cut].sum()) if cut > 0 else float(w_mm.sum()) for cut in cuts]
    out = _shares(list(cuts), a_sm, a_mm)
    out["sm_error"] = [float(np.sqrt(np.sum(w_sm[c > cut] ** 2))) for cut in cuts]
    return out


def t_spectrum_vs_exact(events, gen_norm, spectrum, p, exposure, edges_mev, *, n_t=8) -> dict:
    """The signal events' true-T histogram (SM weights) against the exact ⟨dσ/dT⟩ × exposure
    integrated over each bin (Gauss–Legendre, n_t nodes per bin): χ² and p-value."""
    from .mc_vs_exact import weighted_chi2

    edges = np.asarray(edges_mev, float)
    t, w = _gl(edges[:-1], edges[1:], n_t)
    exact = (spectrum_dsigma_dt(spectrum, p, t.ravel(), [])["SM"].reshape(t.shape) * w).sum(1)
    exact = exact * exposure
    w_sm, _ = event_weights(events, gen_norm, 0.0)
    r = weighted_chi2(events["te"], w_sm, edges, exact)
    return {
        "chi2": r["chi2"],
        "ndf": r["ndf"],
        "p_value": r["p_value"],
        "bins_kev": [float(edges[0] * 1e3), float(edges[-1] * 1e3), int(edges.size - 1)],
    }


__all__ = [
    "C_CUTS",
    "ISO_LEVELS",
    "MU_ISO",
    "MU_SEED",
    "c_ratio",
    "cos_theta_of",
    "e_of_t_theta",
    "event_weights",
    "events_vs_c",
    "integrated_vs_c",
    "line_dsigma_dcos",
    "line_dsigma_dt",
    "parts",
    "reconstructed_cos",
    "spectrum_density",
    "spectrum_dsigma_dcos",
    "spectrum_dsigma_dt",
    "t_spectrum_vs_exact",
]
