"""Seed 001's BOREXINO Z′_χ reach: a ⁵¹Cr source 10 m from a 100 t fiducial sphere.

Miranda et al. (1999) quote 275 GeV (95 % CL, statistical error only) and
215 GeV (with the background) for the χ model, without the source's activity
or the background.  From the card (configs/borexino_cr51.toml) this module
gives:

- the reach of the card's own source (5 MCi, 100 days), statistics only and
  with the card's backgrounds (solar ν and a flat continuum);
- the activity [MCi] that gives 275 GeV with statistics only (everything
  else as in the card: the reach grows as (activity)^¼);
- the flat background [counts/(keV·100 t·day)] that then brings the reach
  down to 215 GeV: alone (standing for the seed's whole background), and on
  top of the solar ν where that is possible.

Conventions, stated in full (the seed gives none; these are seed 000's,
whose authors overlap, and which reproduce seed 000's LAMA numbers — see
analysis/lama.py): an Asimov data set (the SM expectation), Gaussian χ² with
the expected counts as variance, 50 keV bins of reconstructed energy in the
card's 250–800 keV window, signal and background normalisations fixed (the
source's activity known to ~1 %, the background measured without the
source), and Δχ² = 2.71 (one-sided 95 % CL: γ = M_Z²/M_Z′² ≥ 0).  The
signal's expectation is the quadrature of the card's physics (radiative
couplings, Gaussian resolution σ/E = 1.581/√(E/keV)); the backgrounds' are
the weighted histograms of the run's own simulated events.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from nusource.generator.zprime import gamma_of_mass

from .components_fit import component_templates
from .likelihood import BinnedModel
from .zprime_sensitivity import (
    DELTA_CHI2_95,
    DELTA_CHI2_95_ONE_SIDED,
    delta_chi2_of_mass,
    zprime_limit,
)

EDGES_KEV = np.arange(250.0, 800.1, 50.0)
"""Bins of reconstructed energy [keV]: the card's window in 50 keV steps."""
SEED_GEV = {"stat": 275.0, "bkg": 215.0}
"""Seed 001's 95 % CL reach on M_Z′χ [GeV]: statistics only, and with the background."""
DELTA_CHI2 = DELTA_CHI2_95_ONE_SIDED
FORM = "gaussian"
CONVENTION = (
    "Asimov, Gaussian χ² (variance = expected counts) in 50 keV bins of reconstructed energy, "
    "250–800 keV, signal and background normalisations fixed, Δχ² = 2.71 (one-sided 95 % CL)"
)


def reach_gev(signal: np.ndarray, background, edges_mev, *, level: float = DELTA_CHI2) -> float:
    """95 % CL lower limit on M_Z′χ [GeV] (module conventions).

    Parameters
    ----------
    signal : ndarray, shape (4, m)
        (SM, magnetic per μ_B², Z′ per γ, Z′ per γ²) [events per bin].
    background : ndarray, shape (m,) or None
        Background [events per bin].
    edges_mev : ndarray, shape (m + 1,)
    level : float
        Δχ² of the limit (2.71 default; see the module docstring).
    """
    m = signal.shape[1]
    bkg = np.zeros(m) if background is None else np.asarray(background, dtype=float)
    sig = np.array(signal, dtype=float)
    sig[1] = 0.0
    bm = BinnedModel(sig, bkg, np.asarray(edges_mev, dtype=float))
    return zprime_limit(bm, form=FORM, delta_chi2_level=level).mass_gev


def activity_for_reach(
    signal: np.ndarray,
    background,
    edges_mev,
    activity_ci: float,
    target_gev: float,
    *,
    level: float = DELTA_CHI2,
) -> float:
    """Source activity [Ci] whose reach is ``target_gev`` (the signal scales with it).

    ``signal`` is the expectation for ``activity_ci``.  The reach grows about as
    (activity)^¼; the root is bracketed from that guess and found with brentq
    in log(activity).
    """

    def h(log_scale):
        m = reach_gev(signal * math.exp(log_scale), background, edges_mev, level=level)
        return (m if math.isfinite(m) else 0.0) - target_gev

    m0 = reach_gev(signal, background, edges_mev, level=level)
    x0 = 4.0 * math.log(target_gev / m0) if math.isfinite(m0) and m0 > 0 else 0.0
    lo, hi = x0 - 0.2, x0 + 0.2
    for _ in range(60):
        if h(lo) < 0.0 < h(hi):
            break
        lo, hi = (lo - 0.5, hi) if h(lo) >= 0.0 else (lo, hi + 0.5)
    else:
        raise ValueError(f"no activity gives {target_gev} GeV")
    return activity_ci * math.exp(brentq(h, lo, hi, xtol=1e-10))


def flat_rate_for_reach(
    signal: np.ndarray, other_background, flat_per_unit, edges_mev, target_gev: float
) -> float:
    """Flat background rate (in the unit of ``flat_per_unit``) that brings the reach to target.

    Parameters
    ----------
    signal : ndarray, shape (4, m)
    other_background : ndarray, shape (m,)
        The backgrounds that stay (solar ν) [events per bin].
    flat_per_unit : ndarray, shape (m,)
        Events per bin of the flat background at rate 1.
    target_gev : float
        Must lie below the reach with ``other_background`` alone.

    Returns
    -------
    float
        The rate (nan if even the other backgrounds alone bring the reach below target).
    """

    def h(rate):
        return reach_gev(signal, other_background + rate * flat_per_unit, edges_mev) - target_gev

    if h(0.0) <= 0.0:
        return math.nan
    hi = 1e-3
    while h(hi) > 0.0:
        hi *= 4.0
        if hi > 1e9:
            return math.nan
    return brentq(h, 0.0, hi, xtol=1e-12, rtol=1e-10)


def reproduce(
    events,
    run,
    signal,
    *,
    flat_rate: float,
    activity_ci: float,
    flat_name: str = "flat",
    plots_dir=None,
):
    """Seed 001's BOREXINO numbers from a 'fixed' or 'weighted' run of the card.

    Parameters
    ----------
    events : structured array
        The run's events (fields erec, weight, component, flags).
    run : dict
        The files' metadata (components).
    signal : ndarray, shape (4, m)
        Quadrature expectation of the source's signal in :data:`EDGES_KEV` [events].
    flat_rate : float
        The card's flat background [counts/(keV·t·day)].
    flat_name : str
        Its component's name in the run (the other components are solar ν).
    activity_ci : float
        The card's activity [Ci].
    plots_dir : path, optional
        Write the figures there (PNG and PDF).

    Returns
    -------
    dict
        JSON-ready; keys ``mzp_chi_stat_gev``, ``mzp_chi_bkg_gev``,
        ``activity_for_275_gev_mci`` and the rest (see the command's docs).
    """
    edges = EDGES_KEV * 1e-3
    tpl = component_templates(events, run, "erec", edges)
    bkg = {k: np.asarray(v[0]) for k, v in tpl.items()}
    if flat_name not in bkg:
        raise ValueError(f"reproduce borexino: the run has no '{flat_name}' background component")
    flat = bkg.pop(flat_name)
    solar = sum(bkg.values()) if bkg else np.zeros(len(edges) - 1)
    flat_unit = flat / flat_rate  # events per bin at 1 count/(keV·t·day)
    mc_signal = _signal_histogram(events, edges)

    stat = reach_gev(signal, None, edges)
    with_bkg = reach_gev(signal, solar + flat, edges)
    solar_only = reach_gev(signal, solar, edges)
    a275 = activity_for_reach(signal, None, edges, activity_ci, SEED_GEV["stat"])
    sig275 = signal * (a275 / activity_ci)
    zero = np.zeros_like(flat)
    rate215 = flat_rate_for_reach(sig275, zero, flat_unit, edges, SEED_GEV["bkg"])
    rate215_solar = flat_rate_for_reach(sig275, solar, flat_unit, edges, SEED_GEV["bkg"])
    at275_card_bkg = reach_gev(sig275, solar + flat, edges)
    out = {
        "mzp_chi_stat_gev": stat,
        "mzp_chi_bkg_gev": with_bkg,
        "activity_for_275_gev_mci": a275 * 1e-6,
        "activity_for_275_gev_mci_delta_chi2_3.84": activity_for_reach(
            signal, None, edges, activity_ci, SEED_GEV["stat"], level=DELTA_CHI2_95
        )
        * 1e-6,
        "flat_rate_for_215_gev_per_kev_100t_day": rate215 * 100.0,
        "flat_rate_for_215_gev_note": (
            "the flat background alone stands for the seed's whole background; on top of "
            "the solar ν: flat_rate_for_215_gev_with_solar (nan: the solar ν alone already "
            "bring the reach below 215 GeV)"
        ),
        "flat_rate_for_215_gev_with_solar_per_kev_100t_day": rate215_solar * 100.0,
        "seed_gev": SEED_GEV,
        "card": {
            "activity_mci": activity_ci * 1e-6,
            "flat_rate_per_kev_100t_day": flat_rate * 100.0,
            "mzp_chi_solar_only_gev": solar_only,
        },
        "at_activity_for_275": {
            "mzp_chi_card_bkg_gev": at275_card_bkg,
            "mzp_chi_solar_only_gev": reach_gev(sig275, solar, edges),
        },
        "bins_kev": EDGES_KEV.tolist(),
        "events_per_bin": {
            "signal_sm": signal[0].tolist(),
            "signal_sm_simulated": mc_signal[0].tolist(),
            "signal_sm_simulated_error": np.sqrt(mc_signal[1]).tolist(),
            "zprime_per_gamma": signal[2].tolist(),
            "zprime_per_gamma2": signal[3].tolist(),
            "solar": np.asarray(solar, dtype=float).tolist(),
            "flat": flat.tolist(),
        },
        "events_total": {
            "signal": float(signal[0].sum()),
            "solar": float(np.sum(solar)),
            "flat": float(flat.sum()),
        },
        "convention": CONVENTION,
    }
    if plots_dir is not None:
        out["plots"] = _plots(Path(plots_dir), signal, solar, flat_unit, flat_rate, out)
    return out


def _signal_histogram(events, edges):
    ev = events[events["flags"] == 0] if "flags" in events.dtype.names else events
    ev = ev[ev["component"] == 0]
    w = ev["weight"]
    return (
        np.histogram(ev["erec"], edges, weights=w)[0],
        np.histogram(ev["erec"], edges, weights=w * w)[0],
    )


def _plots(d: Path, signal, solar, flat_unit, flat_rate, out) -> list[str]:
    from .plots import _figure, save

    d.mkdir(parents=True, exist_ok=True)
    edges = EDGES_KEV * 1e-3
    files = []
    x = EDGES_KEV
    g275 = gamma_of_mass(SEED_GEV["stat"])

    # 1. the spectrum: signal, solar ν and flat background, and the Z′ excess at 275 GeV
    fig = _figure(figsize=(6.4, 5.2), layout="constrained")
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    flat = flat_unit * flat_rate
    ax.stairs(signal[0], x, label="⁵¹Cr signal (SM), card's 5 MCi", color="C0", lw=1.6)
    ax.stairs(solar, x, label="solar ν (pp, ⁷Be, pep, CNO, ⁸B)", color="C1")
    ax.stairs(flat, x, label=f"flat {flat_rate * 100:g} /(keV·100 t·day)", color="C2")
    ax.stairs(signal[0] + solar + flat, x, label="total", color="k", lw=1.0)
    err = out["events_per_bin"]["signal_sm_simulated_error"]
    mids = 0.5 * (x[1:] + x[:-1])
    ax.errorbar(
        mids,
        out["events_per_bin"]["signal_sm_simulated"],
        yerr=err,
        fmt="o",
        ms=3,
        color="C0",
        label="signal, simulated events",
    )
    ax.set_ylabel("events per 50 keV (100 t, 100 days)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Seed 001: BOREXINO, ⁵¹Cr at 10 m, 250–800 keV")
    excess = g275 * signal[2] + g275 * g275 * signal[3]
    ax2.stairs(100 * excess / np.maximum(signal[0], 1e-300), x, color="C3", label="Z′χ 275 GeV")
    ax2.set_ylabel("Z′χ excess [%]")
    ax2.set_xlabel("reconstructed energy [keV]")
    ax2.legend(fontsize=8, frameon=False)
    files += save(fig, d / "borexino_spectrum")

    # 2. Δχ² against the Z′ mass: statistics only and with the background
    masses = np.linspace(120.0, 500.0, 77)
    s0 = np.array(signal, dtype=float)
    s0[1] = 0.0
    curves = {
        "statistics only, card's 5 MCi": (s0, np.zeros_like(solar)),
        "with solar ν + flat, card's 5 MCi": (s0, solar + flat),
        f"statistics only, {out['activity_for_275_gev_mci']:.3g} MCi": (
            s0 * out["activity_for_275_gev_mci"] / out["card"]["activity_mci"],
            np.zeros_like(solar),
        ),
    }
    fig = _figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for k, (label, (sig, b)) in enumerate(curves.items()):
        bm = BinnedModel(sig, np.asarray(b, dtype=float), edges)
        dchi = delta_chi2_of_mass(bm, masses, form=FORM)
        ax.plot(masses, dchi, color=f"C{k}", label=label)
    ax.axhline(DELTA_CHI2, color="gray", ls="--", lw=1, label="Δχ² = 2.71 (one-sided 95 % CL)")
    for lab, m in (("seed 275 GeV (stat.)", 275.0), ("seed 215 GeV (bkg.)", 215.0)):
        ax.axvline(m, color="gray", ls=":", lw=1)
        ax.text(m, 0.2, lab, rotation=90, fontsize=8, color="gray", ha="right", va="bottom")
    ax.set_yscale("log")
    ax.set_xlabel("M$_{Z'}$ (χ model) [GeV]")
    ax.set_ylabel("Asimov Δχ²")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Seed 001: BOREXINO Z′χ, Δχ² of the SM expectation")
    files += save(fig, d / "borexino_delta_chi2")

    # 3. reach against the activity, and 4. against the flat background rate
    acts = np.geomspace(0.5, 50.0, 25)
    a_card = out["card"]["activity_mci"]
    stat = [reach_gev(s0 * a / a_card, None, edges) for a in acts]
    bk = [reach_gev(s0 * a / a_card, solar + flat, edges) for a in acts]
    fig = _figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(acts, stat, "o-", ms=3, label="statistics only")
    ax.plot(acts, bk, "s-", ms=3, label=f"solar ν + flat {flat_rate * 100:g} /(keV·100 t·day)")
    ax.axhline(275.0, color="C0", ls=":", lw=1, label="seed 001: 275 GeV (stat.)")
    ax.axhline(215.0, color="C1", ls=":", lw=1, label="seed 001: 215 GeV (bkg.)")
    a275 = out["activity_for_275_gev_mci"]
    ax.axvline(a275, color="gray", ls="--", lw=1, label=f"{a275:.3g} MCi: 275 GeV (stat.)")
    ax.axvline(1.67, color="gray", ls="-.", lw=1, label="GALLEX source, 1.67 MCi")
    ax.set_xscale("log")
    ax.set_xlabel("⁵¹Cr activity at the start [MCi] (100 days)")
    ax.set_ylabel("M$_{Z'χ}$ sensitivity, 95 % CL [GeV]")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Seed 001: BOREXINO Z′χ reach vs source activity")
    files += save(fig, d / "borexino_reach_vs_activity")

    rates = np.concatenate([[0.0], np.geomspace(1e-3, 10.0, 25)])  # per (keV·100 t·day)
    a_scale = out["activity_for_275_gev_mci"] / a_card
    reach = [reach_gev(s0 * a_scale, solar + r / 100 * flat_unit, edges) for r in rates]
    alone = [reach_gev(s0 * a_scale, r / 100 * flat_unit, edges) for r in rates]
    fig = _figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(rates[1:], alone[1:], "o-", ms=3, color="C3", label="flat background alone")
    ax.plot(rates[1:], reach[1:], "s-", ms=3, label="solar ν + flat background")
    ax.axhline(reach[0], color="C0", ls="--", lw=1, label="solar ν only")
    ax.axhline(215.0, color="C1", ls=":", lw=1, label="seed 001: 215 GeV")
    ax.axhline(275.0, color="C2", ls=":", lw=1, label="seed 001: 275 GeV (stat. only)")
    r215 = out["flat_rate_for_215_gev_per_kev_100t_day"]
    if math.isfinite(r215):
        ax.axvline(r215, color="gray", ls="--", lw=1, label=f"{r215:.3g} /(keV·100 t·day)")
    ax.set_xscale("log")
    ax.set_xlabel("flat background [counts/(keV·100 t·day)]")
    ax.set_ylabel("M$_{Z'χ}$ sensitivity, 95 % CL [GeV]")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"Seed 001: BOREXINO reach at {out['activity_for_275_gev_mci']:.3g} MCi")
    files += save(fig, d / "borexino_reach_vs_background")
    return [str(f) for f in files]


__all__ = [
    "CONVENTION",
    "EDGES_KEV",
    "SEED_GEV",
    "activity_for_reach",
    "flat_rate_for_reach",
    "reach_gev",
    "reproduce",
]
