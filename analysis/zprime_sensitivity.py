"""Asimov sensitivity to a Z′ mass (seed 000 §4; docs/physics.md §8).

The data are the SM expectation (the Asimov data set: s = b = 1, μν = 0,
γ = 0).  For a Z′ of the chosen family (E6 angle β, the named χ, ψ, η, or the
left–right model) and mass M, γ = M_Z²/M² enters every bin as
ν_i = s·(sm_i + γ·zlin_i + γ²·zquad_i) + b·B_i, so the test statistic

    Δχ²(γ) = min over nuisances of −2 ln λ(data | γ)  (−2 ln λ(data | 0) = 0)

needs no new expectation per mass.  The limit is the γ where Δχ² crosses
``delta_chi2`` (found with brentq after bracketing from the Fisher estimate),
and M_lim = M_Z/√γ_lim: masses below M_lim would be excluded.

Convention.  ``delta_chi2 = 3.84`` (default) is the 95 % quantile of χ² with
one degree of freedom: the two-sided 95 % CL interval of the single
parameter γ.  A Z′ only increases γ from 0 (γ = M_Z²/M² > 0), and the mass
limit uses the upper end of that interval only, so strictly it is a one-sided
97.5 % CL limit; the one-sided 95 % CL limit is ``delta_chi2 = 2.71``.  The
default follows seed 000 and Miranda–Semikoz–Valle (one parameter, Δχ² = 3.84
at 95 % CL); tests/test_analysis_lama.py shows which convention reproduces
the seed's numbers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from nusource.generator.model import PhysicsModel
from nusource.generator.zprime import E6_NAMED, ZPrime, gamma_of_mass, mass_of_gamma

from .fit import fit
from .likelihood import BinnedModel, BinnedNLL

DELTA_CHI2_95 = 3.841458820694124
"""95 % quantile of χ² with 1 d.o.f. (two-sided 95 % CL for one parameter)."""
DELTA_CHI2_95_ONE_SIDED = 2.705543454095404
"""90 % quantile of χ² with 1 d.o.f. (one-sided 95 % CL for one parameter)."""


def zprime_physics_model(
    base: PhysicsModel,
    zprime: str | float,
    *,
    form: str = "exact",
    charges: str = "consistent",
) -> PhysicsModel:
    """``base`` with a Z′ of the given family, for the zlin/zquad parts of an expectation.

    Parameters
    ----------
    base : PhysicsModel
        Process and couplings.
    zprime : str or float
        'chi', 'psi', 'eta', 'lr', or an E6 angle β [rad].
    form, charges : str
        See :class:`~nusource.generator.zprime.ZPrime`.

    Returns
    -------
    PhysicsModel
        With a Z′ of mass 1 TeV (the mass does not enter the parts).
    """
    if isinstance(zprime, str):
        if zprime not in (*E6_NAMED, "lr"):
            raise ValueError(f"zprime: '{zprime}' is not chi, psi, eta, lr or an angle in rad")
        z = ZPrime(zprime, 1000.0, form=form, charges=charges)
    else:
        z = ZPrime("e6", 1000.0, beta_rad=float(zprime), form=form, charges=charges)
    return base.replace(zprime=z)


@dataclass(frozen=True)
class ZPrimeLimit:
    """One Asimov sensitivity.

    Attributes
    ----------
    gamma : float
        Upper limit on γ = M_Z²/M_Z′² (nan if Δχ² stays below the level up to gamma_max).
    mass_gev : float
        Lower limit on M_Z′ [GeV] (nan likewise).
    syst : float
        Fractional systematic error per bin used.
    delta_chi2 : float
        Level of Δχ² that defines the limit.
    form : str
        'poisson' or 'gaussian'.
    """

    gamma: float
    mass_gev: float
    syst: float
    delta_chi2: float
    form: str


def asimov_nll(
    model: BinnedModel,
    *,
    form: str = "poisson",
    syst=0.0,
    sig_norm_sigma: float | None = 0.0,
    bkg_norm_sigma: float | None = 0.0,
    variance: str = "data",
) -> BinnedNLL:
    """The likelihood of the Asimov (SM) data set of ``model``."""
    return BinnedNLL(
        model,
        model.expected(),
        form=form,
        syst=syst,
        sig_norm_sigma=sig_norm_sigma,
        bkg_norm_sigma=bkg_norm_sigma,
        variance=variance,
    )


def delta_chi2(nll: BinnedNLL, gamma: float) -> float:
    """Δχ²(γ): −2 ln λ profiled over the free nuisances (s, b) at fixed γ, μν = 0."""
    free = [p for p in ("s", "b") if p not in nll.fixed]
    if not free:
        return float(nll(1.0, 1.0, 0.0, gamma))
    r = fit(
        nll,
        {"s": 1.0, "b": 1.0, "mu2": 0.0, "gamma": gamma},
        fixed=("mu2", "gamma", *nll.fixed),
        steps={p: 0.01 for p in free},
        strategy=0,
        hesse=False,
    )
    return r.fval


def _fisher_gamma(nll: BinnedNLL, level: float) -> float:
    """γ where Δχ² ≈ level by the curvature at γ = 0 (no nuisances but the per-bin ones)."""
    mdl = nll.model
    nu = np.maximum(mdl.expected(), 1e-12)
    var = nu + (nll.syst * nu) ** 2
    f = float(np.sum(mdl.signal[2] ** 2 / var))
    return math.sqrt(level / f) if f > 0 else math.nan


def zprime_limit(
    model: BinnedModel,
    *,
    syst=0.0,
    sig_norm_sigma: float | None = 0.0,
    bkg_norm_sigma: float | None = 0.0,
    form: str = "poisson",
    variance: str = "data",
    delta_chi2_level: float = DELTA_CHI2_95,
    gamma_max: float = 1.0,
) -> ZPrimeLimit:
    """Asimov 95 % CL sensitivity to γ and the Z′ mass.

    Parameters
    ----------
    model : BinnedModel
        Signal parts of the Z′ family (see :func:`zprime_physics_model`) and background.
    syst : float or sequence of float
        Fractional uncorrelated systematic error per bin.
    sig_norm_sigma, bkg_norm_sigma : float or None
        Pulls of the signal and background normalisations (0 fixed, None free).
    form, variance : str
        Likelihood form (see :class:`~.likelihood.BinnedNLL`).
    delta_chi2_level : float
        Δχ² defining the limit (3.84 default; see the module docstring).
    gamma_max : float
        Largest γ searched (1: M_Z′ = M_Z).

    Returns
    -------
    ZPrimeLimit
    """
    nll = asimov_nll(
        model,
        form=form,
        syst=syst,
        sig_norm_sigma=sig_norm_sigma,
        bkg_norm_sigma=bkg_norm_sigma,
        variance=variance,
    )
    syst_value = float(np.max(nll.syst)) if nll.syst.size else 0.0

    def h(g):
        return delta_chi2(nll, g) - delta_chi2_level

    g_hi = _fisher_gamma(nll, delta_chi2_level)
    if not math.isfinite(g_hi):
        return ZPrimeLimit(math.nan, math.nan, syst_value, delta_chi2_level, form)
    g_hi = min(g_hi, gamma_max)
    g_lo = 0.0
    while h(g_hi) < 0.0:
        if g_hi >= gamma_max:
            return ZPrimeLimit(math.nan, math.nan, syst_value, delta_chi2_level, form)
        g_lo, g_hi = g_hi, min(2.0 * g_hi, gamma_max)
    g = brentq(h, g_lo, g_hi, xtol=1e-10 * g_hi, rtol=1e-10)
    return ZPrimeLimit(g, mass_of_gamma(g), syst_value, delta_chi2_level, form)


def limits_vs_syst(
    model: BinnedModel, systs: Sequence[float] = (0.0, 0.01, 0.02, 0.05), **options
) -> list[ZPrimeLimit]:
    """:func:`zprime_limit` for each fractional systematic error per bin (options passed on)."""
    return [zprime_limit(model, syst=s, **options) for s in systs]


def delta_chi2_of_mass(model: BinnedModel, masses_gev: Sequence[float], **options) -> np.ndarray:
    """Asimov Δχ² for each Z′ mass [GeV] (options as :func:`asimov_nll`)."""
    nll = asimov_nll(model, **options)
    g = gamma_of_mass(np.asarray(masses_gev, dtype=float))
    return np.array([delta_chi2(nll, x) for x in g])
