"""HELLAZ with a ⁵¹Cr source: Asimov 95 % CL sensitivity to γ = M_Z²/M_Z′² (seed 001 Fig. 3).

Miranda, Semikoz, Valle (seed 001, after their PRD 58 (1998) 013007) give the
sensitivity of the 6 t helium TPC around a ⁵¹Cr source against "the total
error in the number of events per bin" for the χ, ψ, η and LR models in the
windows 100–250 and 100–560 keV.  Convention here, stated in every result:

- expected events per 10 keV bin of reconstructed energy from the card's exact
  expectation (quadrature with the card's response: He binding, 3 % Gaussian
  resolution, 100 keV threshold), SM plus γ·zlin + γ²·zquad of each model;
- the data are the SM expectation (Asimov), the signal normalisation is fixed
  (the activity is known to ~1 %), no background (the seed's figure has none;
  the card's solar and flat backgrounds are a separate line, from their
  simulated events);
- the "total error per bin" δ is an *uncorrelated fractional systematic per bin*
  added in quadrature to the statistical one: χ²(γ) = Σ (ν_i(γ) − ν_i(0))² /
  (ν_i(0) + δ²ν_i(γ)²) (the Gaussian form of ``likelihood.BinnedNLL``, Neyman
  variance; the multiplicative per-bin nuisance profiled out);
- 95 % CL: Δχ² = 2.71 (one-sided, γ ≥ 0), the convention that reproduces seed
  000's LAMA numbers with the same method (``analysis.lama``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nusource.generator.zprime import gamma_of_mass

from .expectation import binding_options, binned_expectation
from .likelihood import BinnedModel
from .zprime_sensitivity import DELTA_CHI2_95_ONE_SIDED, zprime_limit, zprime_physics_model

WINDOWS_KEV = {"100-250": (100.0, 250.0), "100-560": (100.0, 560.0)}
"""The seed's two windows of reconstructed energy [keV]."""
MODELS = ("chi", "psi", "eta", "lr")
"""The seed's four Z′ models."""
ERRORS_PERCENT = tuple(range(11))
"""Total (systematic) error per bin [%], the seed's 0–10 %."""
BIN_KEV = 10.0
"""Bin width [keV] (the seed does not give HELLAZ's; 10 keV ≈ 1.5σ of the 3 % resolution)."""

INDIRECT_CHI_MASS_GEV = 330.0
"""Z′_χ lower mass bound (95 % CL) from the global fit of electroweak data (Langacker 1995;
Cvetic and Langacker), the indirect bound of seeds 000 and 001."""
CDF_CHI_MASS_GEV = 595.0
"""Z′_χ lower mass bound (95 % CL) of the direct search by CDF (Abe et al. 1997)."""
GAMMA_MAX = 10.0
"""Largest γ searched (γ > 1 is M_Z′ < M_Z: the window cannot test that model); nan beyond."""
SEED_GAMMA_CHI_5PCT = 0.1
"""Seed 001 §2: reaching γ ≈ 0.1 in the χ model needs ≈ 5 % resolution (its Fig. 1 remark)."""


def window_edges_mev(window: str) -> np.ndarray:
    """Bin edges [MeV] of a window ('100-250' or '100-560'), ``BIN_KEV`` wide."""
    if window not in WINDOWS_KEV:
        raise ValueError(f"window: '{window}' is not one of {', '.join(WINDOWS_KEV)}")
    lo, hi = WINDOWS_KEV[window]
    n = int(round((hi - lo) / BIN_KEV))
    return np.linspace(lo, hi, n + 1) * 1e-3


def expectations(exp, response, exposure: float, *, models=MODELS, charges="consistent") -> dict:
    """``{window: {model: Expectation}}``: the card's exact events per bin with each model's
    Z′ parts, the response folded in (binding, Gaussian resolution, threshold, window).

    Parameters
    ----------
    exp : Experiment
        The ⁵¹Cr card's experiment (spectrum, couplings).
    response : DetectorResponse
        Its response (``experiment.detector_response``).
    exposure : float
        Neutrinos × electrons per cm² [cm⁻²].
    charges : str
        E6 charges, 'consistent' (default) or 'printed' (the seeds' δg; see docs/physics.md §2).
    """
    kw = binding_options(response)
    res = response.resolution
    out = {}
    for w in WINDOWS_KEV:
        out[w] = {}
        for m in models:
            out[w][m] = binned_expectation(
                exp.spectrum,
                zprime_physics_model(exp.model, m, charges=charges),
                window_edges_mev(w),
                exposure=exposure,
                sigma=None if res is None else res.sigma_mev,
                threshold_mev=response.threshold_mev,
                window_mev=response.window_mev,
                efficiency=response.efficiency,
                **kw,
            )
    return out


def gamma_total_error_only(ex, delta: float, level: float = DELTA_CHI2_95_ONE_SIDED) -> float:
    """γ at Δχ² = ``level`` when δ is the *whole* error per bin (statistics ignored):
    χ²(γ) = Σ ((γ·zlin_i + γ²·zquad_i)/(δ·sm_i))² — the other reading of the seed's axis,
    independent of activity and mass.  0 for δ = 0; nan beyond γ = 100."""
    from scipy.optimize import brentq

    if delta <= 0:
        return 0.0

    def h(g):
        return float(np.sum(((g * ex.zlin + g * g * ex.zquad) / (delta * ex.sm)) ** 2)) - level

    hi = 1e-4
    while h(hi) < 0:
        hi *= 2
        if hi > 100:
            return float("nan")
    return brentq(h, 0.0, hi, xtol=1e-12, rtol=1e-10)


def gamma_sensitivity(
    expectations: dict,
    *,
    errors_percent: Sequence[float] = ERRORS_PERCENT,
    background: dict | None = None,
) -> dict:
    """γ at 95 % CL per window, model and total error per bin.

    Parameters
    ----------
    expectations : dict
        ``{window: {model: Expectation}}``, events per bin of each window (the
        zlin/zquad parts of each model).
    errors_percent : sequence of float
        Fractional systematic error per bin [%].
    background : dict, optional
        ``{window: ndarray}``, background events per bin (fixed normalisation).

    Returns
    -------
    dict
        ``{window: {model: {"0": γ, "1": γ, ...}}}`` (keys the error in percent).
    """
    out = {}
    for window, per_model in expectations.items():
        out[window] = {}
        bkg = None if background is None else background[window]
        for model, ex in per_model.items():
            bm = BinnedModel.from_parts(ex, background=bkg)
            out[window][model] = {
                f"{e:g}": zprime_limit(
                    bm,
                    syst=e / 100.0,
                    form="gaussian",
                    variance="data",
                    delta_chi2_level=DELTA_CHI2_95_ONE_SIDED,
                    gamma_max=GAMMA_MAX,
                ).gamma
                for e in errors_percent
            }
    return out


def sensitivity_figure(
    gamma: dict, total_only: dict, *, title: str, with_background: dict | None = None
):
    """γ sensitivity against the error per bin, two readings of the seed's axis side by side:
    δ a systematic added to the statistical error (left; the card's exposure), δ the whole
    error (right; no statistics).  One colour per model, solid 100–250 keV, dashed 100–560 keV;
    the indirect (electroweak global fit) and CDF χ bounds as horizontal lines."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 6.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    styles = {"100-250": "-", "100-560": "--"}
    names = {"chi": "χ", "psi": "ψ", "eta": "η", "lr": "LR"}
    for ax, data in ((axes[0], gamma), (axes[1], total_only)):
        for w, per_model in data.items():
            for k, (m, vals) in enumerate(per_model.items()):
                pts = [(float(e), g) for e, g in vals.items() if g > 0]  # δ = 0 alone: γ = 0
                ax.plot(
                    [e for e, _ in pts],
                    [g for _, g in pts],
                    styles[w],
                    color=f"C{k}",
                    marker="o",
                    ms=3,
                    label=f"{names[m]}, {w.replace('-', '–')} keV",
                )
        g_ind = gamma_of_mass(INDIRECT_CHI_MASS_GEV)
        g_cdf = gamma_of_mass(CDF_CHI_MASS_GEV)
        ax.axhline(g_ind, color="black", lw=1.2, label=f"χ indirect (EW fit, 330 GeV): {g_ind:.3f}")
        ax.axhline(g_cdf, color="grey", lw=1.0, ls="-.", label=f"χ CDF 1997 (595 GeV): {g_cdf:.3f}")
        ax.set_yscale("log")
        ax.set_xlim(0, max(float(e) for e in next(iter(data.values()))["chi"]))
    if with_background:
        vals = with_background["100-250"]["chi"]
        x = [float(e) for e in vals]
        axes[0].plot(x, list(vals.values()), ":", color="C0", lw=2, label="χ, 100–250 keV, + bkg")
    axes[0].set_xlabel("systematic error per bin δ [%] (⊕ the statistical error)")
    axes[1].set_xlabel("total error per bin δ [%] (statistics ignored)")
    axes[0].set_ylabel("γ = M$_Z^2$/M$_{Z'}^2$ sensitivity, 95 % CL")
    axes[0].set_title("statistical ⊕ δ, the card's exposure", fontsize=9)
    axes[1].set_title("δ alone: independent of activity and mass", fontsize=9)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


__all__ = [
    "BIN_KEV",
    "CDF_CHI_MASS_GEV",
    "ERRORS_PERCENT",
    "INDIRECT_CHI_MASS_GEV",
    "MODELS",
    "WINDOWS_KEV",
    "expectations",
    "gamma_sensitivity",
    "gamma_total_error_only",
    "sensitivity_figure",
    "window_edges_mev",
]
