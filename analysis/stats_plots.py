"""Figures of the statistics studies (matplotlib, Agg canvas; no pyplot state).

Coverage versus the true value with binomial error bars; the FC and Wilks
95 % CL contours in (sin²2θ, Δm²); the map of FC critical values against
5.99; the μν bound versus threshold.  Save them with :func:`.plots.save`.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .feldman_cousins import CHI2_2DOF_95


def _figure(**kw) -> Figure:
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def coverage_figure(
    points: Sequence[Mapping],
    *,
    cl=0.95,
    x_label="true μν² [(1e-11 μ_B)²]",
    x_scale=1.0,
    title=None,
) -> Figure:
    """Coverage (with its binomial error) versus the true value, one series per method.

    Parameters
    ----------
    points : sequence of dict
        :func:`~.coverage.coverage_at` results (keys theta_true, method, interval,
        coverage, error).
    x_scale : float
        Multiplies theta_true on the x axis.
    """
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    series = {}
    for p in points:
        key = "Feldman–Cousins" if p["method"] == "fc" else f"Wilks ({p['interval']})"
        series.setdefault(key, []).append(p)
    for (name, ps), mk, dx in zip(series.items(), "os^D", (-0.01, 0.01, 0.0, 0.02), strict=False):
        x = np.array([p["theta_true"] for p in ps]) * x_scale
        span = (x.max() - x.min()) or 1.0
        ax.errorbar(
            x + dx * span,
            [p["coverage"] for p in ps],
            [p["error"] for p in ps],
            fmt=mk,
            capsize=3,
            label=f"{name}, {ps[0]['n']} toys",
        )
    ax.axhline(cl, color="k", lw=1, ls="--", label=f"nominal {cl:.0%}")
    ax.set_xlabel(x_label)
    ax.set_ylabel("coverage (fraction of toys)")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def contour_figure(
    dm2,
    s22,
    contours: Mapping[str, np.ndarray],
    *,
    title=None,
    regions: Mapping[str, tuple] | None = None,
) -> Figure:
    """95 % CL exclusion contours sin²2θ(Δm²) on log axes.

    Parameters
    ----------
    dm2 : ndarray
        Δm² [eV²] of each contour point.
    s22 : ndarray
        The grid's sin²2θ axis (sets the x range).
    contours : mapping of label → ndarray
        sin²2θ at the contour per Δm² (nan: no exclusion).
    regions : mapping of label → (sin²2θ, Δm²), optional
        Best-fit points to mark.
    """
    fig = _figure(figsize=(5.6, 5.0), layout="constrained")
    ax = fig.add_subplot()
    for (lab, c), ls in zip(contours.items(), ("-", "--", "-.", ":", "-"), strict=False):
        ax.plot(c, dm2, ls, lw=1.8, label=lab)
    for lab, (x, y) in (regions or {}).items():
        ax.plot([x], [y], "*", ms=10, label=lab)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(float(np.min(s22)), 1.0)
    ax.set_ylim(float(np.min(dm2)), float(np.max(dm2)))
    ax.set_xlabel("sin²2θ")
    ax.set_ylabel("Δm² [eV²]")
    ax.legend(loc="lower left", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def critical_map_figure(dm2, s22, critical, *, title=None) -> Figure:
    """FC critical values over (sin²2θ, Δm²), coloured about the Wilks value 5.99."""
    fig = _figure(figsize=(6.2, 5.0), layout="constrained")
    ax = fig.add_subplot()
    c = np.asarray(critical)
    norm = TwoSlopeNorm(vcenter=CHI2_2DOF_95, vmin=min(c.min(), 5.0), vmax=max(c.max(), 7.0))
    m = ax.pcolormesh(s22, dm2, c, shading="nearest", cmap="RdBu_r", norm=norm)
    fig.colorbar(m, ax=ax, label="FC critical Δχ² (95 % CL); Wilks: 5.99")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sin²2θ (true)")
    ax.set_ylabel("Δm² (true) [eV²]")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def mu_bound_figure(
    thresholds_kev,
    bounds: Mapping[str, Sequence[float]],
    *,
    bands=None,
    references: Mapping[str, float] | None = None,
    title=None,
) -> Figure:
    """95 % CL μν upper limit [μ_B] versus threshold [keV], log y axis.

    Parameters
    ----------
    bounds : mapping label → limits per threshold
    bands : mapping label → (low, high) sequences (e.g. the toys' 68 % band), optional
    references : mapping label → μν [μ_B] drawn as horizontal lines (e.g. GEMMA 2.9e-11)
    """
    fig = _figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    x = np.asarray(thresholds_kev, dtype=float)
    for lab, (lo, hi) in (bands or {}).items():
        ax.fill_between(x, lo, hi, alpha=0.25, label=lab)
    for lab, y in bounds.items():
        ax.plot(x, y, "o-", label=lab)
    for lab, y in (references or {}).items():
        ax.axhline(y, ls=":", color="gray")
        ax.text(x.max(), y, lab, ha="right", va="bottom", fontsize=8, color="gray")
    ax.set_yscale("log")
    ax.set_xlabel("threshold [keV]")
    ax.set_ylabel("95 % CL upper limit on μν [μ_B]")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
