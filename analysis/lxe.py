"""Seed 004 (a multi-tonne LXe TPC with a 5 MCi ⁵¹Cr source 1 m below it), from event files.

Inputs are the events of 'fixed' runs of the LXe cards (weights are expected
events) and the exact signal expectation; this module only histograms,
fits and draws (the application makes the runs).  Conventions, stated in
every result:

- μν: Poisson likelihood in 0.1 keV bins of reconstructed energy from the
  threshold to 140 keV, signal s·(SM + μν²·magnetic) with a 1 % pull on s, each
  background component from its template with a 0.5 % pull on its
  normalisation; the 95 % CL upper limit is one-sided, q(μν²) = 2.71 (Wilks;
  `nusource coverage` measures its coverage).
- sterile: distance L of the reconstructed vertex from the source centre in
  3 cm bins (1 cm resolution per axis, the source's size through the simulated
  emission points), reconstructed energy ≥ 5 keV; signal normalisation free
  (or with a 2 % pull), background normalisation with a 0.5 % pull, its L shape
  that of events uniform in the fiducial volume; Asimov Δχ² over a 100 × 100
  (sin²2θ, Δm²) grid, contour at Δχ² = 5.99 (two parameters, Wilks).
"""

from __future__ import annotations

import numpy as np

from .components_fit import component_templates
from .mu_bound import lxe_edges_kev, mu_bound_vs_threshold
from .sterile import flat_background, reconstructed_distance, sterile_sensitivity, sterile_templates

GEMMA_MU_BOUND = 2.9e-11
"""GEMMA's 90 % CL bound on μν [μ_B] (Beda et al. 2012), the seed's reference."""
XENONNT_MU_BOUND = 6.4e-12
"""XENONnT's 90 % CL bound on μν [μ_B] (Aprile et al. 2022), today's reference."""
GALLIUM_BEST_FIT = (0.34, 2.4)
"""(sin²2θ, Δm² [eV²]) best fit of the gallium anomaly (Barinov et al., BEST, 2022)."""
REACTOR_BEST_FIT = (0.14, 2.4)
"""(sin²2θ, Δm² [eV²]) best fit of the reactor anomaly (Mention et al. 2011)."""
SEED_BACKGROUND = {"total": 51_130, "xe136": 44_000}
"""Seed 004's background events per 100-day deployment (5–561 keV)."""

THRESHOLDS_KEV = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0)
S22 = np.logspace(-3, 0, 100)
DM2 = np.logspace(-2, 2, 100)
L_EDGES_CM = np.arange(95.0, 251.0, 3.0)


def selected(events):
    return events[events["flags"] == 0] if "flags" in events.dtype.names else events


def events_in(events, run, lo_kev, hi_kev) -> dict:
    """Expected events per component with erec in [lo, hi) keV (selected events)."""
    ev = selected(events)
    ev = ev[(ev["erec"] >= lo_kev * 1e-3) & (ev["erec"] < hi_kev * 1e-3)]
    out = {}
    for key, entry in sorted(run["components"].items(), key=lambda kv: int(kv[0])):
        out[entry.get("name", key)] = float(ev["weight"][ev["component"] == int(key)].sum())
    return out


def mu_bounds(sm, mag, events, run, edges_kev, *, n_toys=0, seed=0) -> dict:
    """μν 95 % CL bound versus threshold (see the module docstring)."""
    tpl = component_templates(events, run, "erec", edges_kev * 1e-3)
    bkg = np.array([v[0] for v in tpl.values()]) if tpl else np.zeros((0, len(sm)))
    thresholds = [t for t in THRESHOLDS_KEV if t >= edges_kev[0] - 1e-9]
    r = mu_bound_vs_threshold(
        sm,
        mag,
        bkg,
        edges_kev,
        thresholds,
        sig_norm_sigma=0.01,
        bkg_sigmas=0.005,
        n_toys=n_toys,
        seed=seed,
    )
    r["backgrounds"] = list(tpl)
    return r


STERILE_WINDOW_KEV = (5.0, 561.0)
"""Reconstructed-energy window of the sterile analysis: the threshold to ⁵¹Cr's T_max."""


def sterile_events(events, window_kev=STERILE_WINDOW_KEV):
    """Selected events with erec in the sterile analysis's window."""
    ev = selected(events)
    return ev[(ev["erec"] >= window_kev[0] * 1e-3) & (ev["erec"] < window_kev[1] * 1e-3)]


def route_agreement(events, sm_exact, edges_kev, *, lo_kev=2.0, hi_kev=140.0, rebin=10) -> dict:
    """The two routes side by side: the signal's weighted events against its exact expectation
    (quadrature), in bins of ``rebin`` × the fine bins from lo to hi keV: χ² and p-value."""
    from .mc_vs_exact import weighted_chi2

    i0 = int(np.argmin(np.abs(edges_kev - lo_kev)))
    i1 = int(np.argmin(np.abs(edges_kev - hi_kev)))
    coarse = edges_kev[i0 : i1 + 1 : rebin]
    exact = np.add.reduceat(np.asarray(sm_exact)[i0:i1], np.arange(0, i1 - i0, rebin))
    exact = exact[: coarse.size - 1]
    sig = selected(events)
    sig = sig[sig["component"] == 0]
    r = weighted_chi2(sig["erec"], sig["weight"], coarse * 1e-3, exact)
    return {
        "chi2": r["chi2"],
        "ndf": r["ndf"],
        "p_value": r["p_value"],
        "bins_kev": [float(coarse[0]), float(coarse[-1]), float(coarse[1] - coarse[0])],
    }


def sterile(events, run, detector, *, sig_s=np.inf, rng=None) -> dict:
    """Sterile-neutrino Asimov sensitivity from a run's events (see the module docstring)."""
    rng = np.random.default_rng(0) if rng is None else rng
    ev = sterile_events(events)
    sig = ev[ev["component"] == 0]
    lrec = reconstructed_distance(sig, rng, sigma_cm=1.0)
    a0, a1 = sterile_templates(sig["flight"], lrec, sig["enu"], sig["weight"], L_EDGES_CM, DM2)
    radius, z_lo, z_hi = detector
    total_bkg = float(ev["weight"][ev["component"] != 0].sum())
    bg = total_bkg * flat_background(L_EDGES_CM, radius, z_lo, z_hi, sigma_cm=1.0)
    r = sterile_sensitivity(a0, a1, bg, S22, DM2, sig_s=sig_s, sig_b=0.005)
    r["signal_events"] = float(a0.sum())
    r["background_events"] = float(bg.sum())
    return r


def stacked_spectrum_figure(events, run, sm_exact, edges_kev, *, title):
    """The recoil spectrum, signal and each background stacked (seed 004 Fig. 2 left).

    ``sm_exact`` is the signal's exact expectation per bin of ``edges_kev``; the
    backgrounds are the weighted histograms of their events.
    """
    from matplotlib.figure import Figure

    tpl = component_templates(events, run, "erec", edges_kev * 1e-3)
    widths = np.diff(edges_kev)
    parts = [(name, h / widths) for name, (h, _) in tpl.items()]
    parts.append(("⁵¹Cr signal", sm_exact / widths))
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(widths.size)
    for name, y in parts:
        ax.stairs(bottom + y, edges_kev, baseline=bottom, fill=True, label=name, alpha=0.85)
        bottom = bottom + y
    ax.set_yscale("log")
    first = parts[0][1]
    ax.set_ylim(max(1e-2, 0.5 * float(np.min(first[first > 0]))), 2.0 * float(bottom.max()))
    ax.set_xlim(edges_kev[0], edges_kev[-1])
    ax.set_xlabel("reconstructed energy [keV]")
    ax.set_ylabel("events / keV (one 100-day deployment)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title, fontsize=10)
    return fig


def l_over_e_figure(events, examples=((0.3, 2.0), (0.3, 0.5)), *, title):
    """The signal's L/E distribution (L from the source centre to the reconstructed vertex),
    without oscillation and oscillated for a few (sin²2θ, Δm² [eV²]) (seed 004's L/E plot)."""
    from matplotlib.figure import Figure

    ev = selected(events)
    sig = ev[(ev["component"] == 0) & (ev["erec"] >= 0.005)]
    lrec = reconstructed_distance(sig, np.random.default_rng(0), sigma_cm=1.0)
    x = lrec * 1e-2 / sig["enu"]  # m / MeV
    edges = np.linspace(1.2, 3.6, 49)
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    h0 = np.histogram(x, edges, weights=sig["weight"])[0]
    ax.stairs(h0, edges, label="no oscillation", color="black")
    for s22, dm2 in examples:
        p = 1 - s22 * np.sin(1.267 * dm2 * sig["flight"] * 1e-2 / sig["enu"]) ** 2
        h = np.histogram(x, edges, weights=sig["weight"] * p)[0]
        ax.stairs(h, edges, label=f"sin²2θ = {s22:g}, Δm² = {dm2:g} eV²")
    ax.set_xlabel("L / E [m/MeV] (reconstructed vertex)")
    ax.set_ylabel("signal events per bin (one deployment)")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return fig


__all__ = [
    "l_over_e_figure",
    "GEMMA_MU_BOUND",
    "SEED_BACKGROUND",
    "events_in",
    "lxe_edges_kev",
    "mu_bounds",
    "stacked_spectrum_figure",
    "sterile",
]
