"""Figures of the HELLAZ reproduction (seeds 001, 002): exact curves with the run's events.

Every function returns a matplotlib Figure (no pyplot state); cross sections are
drawn in units of 10⁻⁴⁵ cm², energies in keV, angles in rad.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import hellaz_mm as mm

UNIT = 1e-45
"""Cross sections are drawn in units of 10⁻⁴⁵ cm²."""


def _fig(ncols=1, size=(6.4, 4.4)):
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(1, ncols)


def cr51_dsigma_dt_figure(p, mus=(6e-11, 1e-10)):
    """dσ/dT of the ⁵¹Cr 746.9 keV line: SM and the magnetic part (seed 002 Fig. 2, 001 Fig. 4)."""
    e = mm.CR_LINE_MEV
    t = np.linspace(0.005, 2 * e * e / (mm.M_E + 2 * e), 400)
    curves = mm.line_dsigma_dt(t, e, p, mus)
    fig, ax = _fig()
    for k, (label, y) in enumerate(curves.items()):
        name = "SM (weak)" if label == "SM" else f"magnetic, μν = {float(label):.1e} μ_B"
        ax.plot(t * 1e3, y / UNIT, color=f"C{k}", label=name)
    ax.axvline(100.0, color="grey", ls=":", lw=1, label="HELLAZ threshold 100 keV")
    ax.set_yscale("log")
    ax.set_xlabel("electron recoil T [keV]")
    ax.set_ylabel("dσ/dT [10⁻⁴⁵ cm²/MeV]")
    ax.set_title("⁵¹Cr 746.9 keV line: weak and magnetic dσ/dT (exact)", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def cr51_dsigma_dcos_figure(p, mus=(6e-11, 8e-11, 1e-10)):
    """dσ/dcosθ of the ⁵¹Cr 746.9 keV line (seed 002 Fig. 3)."""
    e = mm.CR_LINE_MEV
    c = np.linspace(0.02, 0.999, 500)
    curves = mm.line_dsigma_dcos(c, e, p, mus)
    c100 = float(mm.cos_theta_of(0.1, e))
    fig, ax = _fig()
    for k, (label, y) in enumerate(curves.items()):
        name = "SM (weak)" if label == "SM" else f"magnetic, μν = {float(label):.1e} μ_B"
        ax.plot(c, y / UNIT, color=f"C{k}", label=name)
    ax.axvline(c100, color="grey", ls=":", lw=1, label=f"T = 100 keV (cosθ = {c100:.3f})")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.1)
    ax.set_xlabel("cosθ (electron to neutrino direction)")
    ax.set_ylabel("dσ/dcosθ [10⁻⁴⁵ cm²]")
    ax.set_title("⁵¹Cr 746.9 keV line: dσ/dcosθ (exact)", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def _mc_hist(x, w, edges, scale):
    h = np.histogram(x, edges, weights=w)[0]
    v = np.histogram(x, edges, weights=w * w)[0]
    return h * scale, np.sqrt(v) * scale


def sry_t_figure(spectrum, p, events, gen_norm, exposure, mu=mm.MU_SEED):
    """⟨dσ/dT⟩ of ⁹⁰Sr–⁹⁰Y, SM and magnetic: exact curves and the run's events (seed 002 Fig. 4)."""
    t = np.linspace(0.1, 2.0, 300)
    ex = mm.spectrum_dsigma_dt(spectrum, p, t, [mu])
    edges = np.linspace(0.1, 2.0, 39)
    w_sm, w_mm = mm.event_weights(events, gen_norm, mu)
    scale = 1.0 / (exposure * np.diff(edges) * UNIT)
    c = 0.5 * (edges[1:] + edges[:-1]) * 1e3
    fig, ax = _fig()
    ax.plot(t * 1e3, ex["SM"] / UNIT, color="C0", label="SM, exact")
    ax.plot(t * 1e3, ex[f"{mu:g}"] / UNIT, color="C1", label=f"magnetic μν = {mu:.0e} μ_B, exact")
    for w, col, lab in ((w_sm, "C0", "SM"), (w_mm, "C1", "magnetic")):
        h, err = _mc_hist(events["te"], w, edges, scale)
        ax.errorbar(c, h, err, fmt="o", ms=3, color=col, label=f"{lab}, simulated events")
    ax.set_yscale("log")
    ax.set_xlabel("electron recoil T [keV]")
    ax.set_ylabel("⟨dσ/dT⟩ [10⁻⁴⁵ cm²/MeV per ν̄]")
    ax.set_title("⁹⁰Sr–⁹⁰Y: recoil spectrum, θ integrated", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def sry_theta_figure(spectrum, p, events, gen_norm, exposure, cos_rec, mu=mm.MU_SEED):
    """⟨dσ/dcosθ⟩ of ⁹⁰Sr–⁹⁰Y for 100 ≤ T ≤ 500 keV against θ (seed 002 Fig. 5): exact (true
    θ) and the run's events (reconstructed θ, 35 mrad)."""
    theta = np.linspace(0.005, 1.55, 400)
    ex = mm.spectrum_dsigma_dcos(spectrum, p, np.cos(theta), (0.1, 0.5), [mu])
    sel = (events["te"] >= 0.1) & (events["te"] <= 0.5)
    ev, cr = events[sel], cos_rec[sel]
    w_sm, w_mm = mm.event_weights(ev, gen_norm, mu)
    edges_th = np.linspace(0.0, 1.55, 32)
    edges_c = np.cos(edges_th)[::-1]
    scale = 1.0 / (exposure * np.diff(edges_c) * UNIT)
    centres = np.arccos(0.5 * (edges_c[1:] + edges_c[:-1]))
    fig, ax = _fig()
    ax.plot(theta, ex["SM"] / UNIT, color="C0", label="SM, exact")
    ax.plot(theta, ex[f"{mu:g}"] / UNIT, color="C1", label=f"magnetic μν = {mu:.0e} μ_B, exact")
    for w, col, lab in ((w_sm, "C0", "SM"), (w_mm, "C1", "magnetic")):
        h, err = _mc_hist(cr, w, edges_c, scale)
        ax.errorbar(centres, h, err, fmt="o", ms=3, color=col, label=f"{lab}, events (θ_rec)")
    ax.set_xlabel("θ, electron to neutrino direction [rad]")
    ax.set_ylabel("⟨dσ/dcosθ⟩ [10⁻⁴⁵ cm² per ν̄]")
    ax.set_title("⁹⁰Sr–⁹⁰Y: angular distribution, 100 keV ≤ T ≤ 500 keV", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def iso_c_figure(p_anti, p_nu, e_max, events=None, cos_rec=None, mu=mm.MU_ISO):
    """Curves of equal C = (dσ_μ/dT)/(dσ_W/dT) in the (T, θ) plane for ν̄e (⁹⁰Sr–⁹⁰Y phase space,
    E ≤ e_max) and νe (seed 002 Figs. 7, 8), with the run's events (reconstructed θ)."""
    t = np.linspace(0.02, 1.2, 400)
    th = np.linspace(0.0, 1.56, 400)
    tt, hh = np.meshgrid(t, th)
    e = mm.e_of_t_theta(tt, np.cos(hh))
    fig, axes = _fig(2, (11.0, 4.6))
    for ax, p, label, emax in (
        (axes[0], p_anti, "ν̄e (⁹⁰Sr–⁹⁰Y, E ≤ 2.28 MeV)", e_max),
        (axes[1], p_nu, "νe (E ≤ 2.28 MeV)", e_max),
    ):
        ok = np.isfinite(e) & (e <= emax)
        c = np.where(ok, mm.c_ratio(tt, np.where(ok, e, 1.0), p, mu), np.nan)
        ax.contourf(tt * 1e3, hh, np.where(ok, 0.0, 1.0), levels=[0.5, 1.5], colors=["0.9"])
        cs = ax.contour(tt * 1e3, hh, c, levels=list(mm.ISO_LEVELS), cmap="viridis")
        ax.clabel(cs, fmt="C=%g", fontsize=7)
        if events is not None and ax is axes[0]:
            sel = np.flatnonzero(events["te"] <= t[-1])[:4000]
            ax.plot(
                events["te"][sel] * 1e3,
                np.arccos(cos_rec[sel]),
                ".",
                ms=1.5,
                color="C3",
                alpha=0.4,
                label="simulated events (θ_rec)",
            )
            ax.legend(fontsize=7, loc="upper right")
        ax.set_xlim(t[0] * 1e3, t[-1] * 1e3)
        ax.set_xlabel("electron recoil T [keV]")
        ax.set_ylabel("θ [rad]")
        ax.set_title(f"iso-C, μν = {mu:.0e} μ_B: {label}; grey: no E", fontsize=9)
    return fig


def vs_c_figure(exact_fine, mc, exposure, mu=mm.MU_SEED):
    """Weak and magnetic cross sections integrated over C(T, θ) > c, T ≥ 100 keV
    (seed 002 Fig. 9): exact lines, the run's events as points."""
    fig, ax = _fig()
    x = np.asarray(exact_fine["cuts"])
    pos = x > 0
    ax.plot(x[pos], np.asarray(exact_fine["sm"])[pos] / UNIT, color="C0", label="weak, exact")
    ax.plot(x[pos], np.asarray(exact_fine["mm"])[pos] / UNIT, color="C1", label="magnetic, exact")
    xm = np.asarray(mc["cuts"])
    pm = xm > 0
    s = 1.0 / (exposure * UNIT)
    ax.errorbar(
        xm[pm],
        np.asarray(mc["sm"])[pm] * s,
        np.asarray(mc["sm_error"])[pm] * s,
        fmt="o",
        color="C0",
        label="weak, events (θ_rec)",
    )
    ax.plot(xm[pm], np.asarray(mc["mm"])[pm] * s, "s", color="C1", label="magnetic, events")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("C: region C(T, θ) > C")
    ax.set_ylabel("σ in the region [10⁻⁴⁵ cm² per ν̄]")
    ax.set_title(
        f"⁹⁰Sr–⁹⁰Y, T ≥ 100 keV, μν = {mu:.0e} μ_B: all T ≥ 100 keV: weak "
        f"{exact_fine['sm'][0] / UNIT:.3g}, magnetic {exact_fine['mm'][0] / UNIT:.3g}",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    return fig


def angle_energy_figure(events, run, cos_rec, band_mev):
    """Signal and solar events in (E_rec, cosθ_rec to the source direction), with the ⁵¹Cr
    lines' kinematic curves and the direction cut's band."""
    from matplotlib.colors import LogNorm

    from .hellaz import SOLAR_KINDS

    solar = [int(k) for k, v in run["components"].items() if v["kind"] in SOLAR_KINDS]
    ex = np.linspace(80.0, 800.0, 73)
    ey = np.linspace(-1.0, 1.0, 81)
    fig, axes = _fig(2, (11.0, 4.6))
    t = np.linspace(0.1, 0.8, 200)
    for ax, comps, title in (
        (axes[0], [0], "⁵¹Cr signal"),
        (axes[1], solar, "solar ν (pp, ⁷Be, pep, CNO)"),
    ):
        m = np.isin(events["component"], comps)
        h = np.histogram2d(
            events["erec"][m] * 1e3, cos_rec[m], [ex, ey], weights=events["weight"][m]
        )[0]
        im = ax.pcolormesh(ex, ey, np.where(h > 0, h, np.nan).T, norm=LogNorm(), cmap="viridis")
        fig.colorbar(im, ax=ax, label="events per bin (100 days)")
        for e_nu, ls in ((0.7469, "-"), (0.4268, "--")):
            ok = t <= 2 * e_nu**2 / (mm.M_E + 2 * e_nu)
            ax.plot(t[ok] * 1e3, mm.cos_theta_of(t[ok], e_nu), ls, color="red", lw=0.8)
        for e_nu in band_mev:
            ok = t <= 2 * e_nu**2 / (mm.M_E + 2 * e_nu)
            ax.plot(t[ok] * 1e3, mm.cos_theta_of(t[ok], e_nu), ":", color="black", lw=0.8)
        ax.set_xlabel("reconstructed energy [keV]")
        ax.set_ylabel("cosθ_rec to the source direction")
        ax.set_title(
            f"{title}; red: 747 (—), 427 keV (--) lines; dotted: E_ν band "
            f"{band_mev[0]:.2f}–{band_mev[1]:.2f} MeV",
            fontsize=8,
        )
    return fig


__all__ = [
    "angle_energy_figure",
    "cr51_dsigma_dcos_figure",
    "cr51_dsigma_dt_figure",
    "iso_c_figure",
    "sry_t_figure",
    "sry_theta_figure",
    "vs_c_figure",
]
