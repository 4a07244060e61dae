"""Toy experiments: Poisson data and auxiliary measurements, fits, pulls.

Toy k of a study with seed S draws from its own Generator,
``Generator(PCG64(SeedSequence(S, spawn_key=(k,))))``, so a toy does not
depend on how many toys run before it or in parallel.

A frequentist toy keeps the true nuisance values fixed (s = b = β_i = 1 at
the truth) and fluctuates what measures them: the counts
n_i ~ Poisson(ν_i(truth)) and the centres of the pulls, s₀ ~ N(s_true, σ_s),
b₀ ~ N(b_true, σ_b), a_i ~ N(1, δ_i).  Then every fitted parameter, nuisance
or not, has pulls (fit − truth)/error of mean 0 and width 1 in the
asymptotic regime.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .fit import fit_nll, free_parameters
from .likelihood import PARAMETERS, BinnedNLL


def toy_rng(seed: int, index: int) -> np.random.Generator:
    """The Generator of toy ``index`` of the study with master ``seed``."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return np.random.Generator(np.random.PCG64(ss))


def draw_toy(nll: BinnedNLL, truth: Mapping[str, float], rng: np.random.Generator) -> BinnedNLL:
    """One toy experiment: ``nll`` with Poisson data and fluctuated pull centres.

    Parameters
    ----------
    nll : BinnedNLL
        The likelihood configuration (its data are ignored).
    truth : mapping
        True (s, b, mu2, gamma); missing ones default to 1, 1, 0, 0.
    rng : numpy.random.Generator

    Returns
    -------
    BinnedNLL
        The toy's likelihood.
    """
    t = {"s": 1.0, "b": 1.0, "mu2": 0.0, "gamma": 0.0, **truth}
    nu = nll.model.expected(**t)
    n = rng.poisson(np.maximum(nu, 0.0)).astype(float)
    s0 = t["s"] + (rng.normal(0.0, nll.sig_norm_sigma) if nll.sig_norm_sigma else 0.0)
    b0 = t["b"] + (rng.normal(0.0, nll.bkg_norm_sigma) if nll.bkg_norm_sigma else 0.0)
    a = 1.0 + nll.syst * rng.standard_normal(nll.model.n_bins)
    return nll.with_data(n, sig_aux=s0, bkg_aux=b0, beta_aux=a)


@dataclass(frozen=True)
class ToyResults:
    """Fits of a series of toys.

    Attributes
    ----------
    truth : dict of str to float
        True parameter values.
    free : tuple of str
        Parameters fitted.
    values, errors : dict of str to ndarray, shape (n_toys,)
        Fitted values and Hesse errors of the free parameters.
    valid : ndarray of bool, shape (n_toys,)
        Fit converged with a positive-definite covariance.
    fval : ndarray, shape (n_toys,)
        −2 ln λ at the minimum.
    seed : int
        Master seed; toy k used :func:`toy_rng` (seed, first + k).
    first : int
        Index of the first toy.
    """

    truth: dict[str, float]
    free: tuple[str, ...]
    values: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    valid: np.ndarray
    fval: np.ndarray
    seed: int
    first: int

    def pulls(self, name: str) -> np.ndarray:
        """(fit − truth)/error of parameter ``name`` over the valid toys."""
        v = self.valid
        return (self.values[name][v] - self.truth[name]) / self.errors[name][v]

    def pull_summary(self, name: str) -> dict[str, float]:
        """Mean and width (standard deviation) of the pulls, with their statistical errors."""
        p = self.pulls(name)
        n = int(p.size)
        if n < 2:
            raise ValueError(f"pulls of '{name}': {n} valid toys, need at least 2")
        mean, width = float(np.mean(p)), float(np.std(p, ddof=1))
        return {
            "mean": mean,
            "mean_error": width / float(np.sqrt(n)),
            "width": width,
            "width_error": width / float(np.sqrt(2.0 * (n - 1))),
            "n": n,
        }


def run_toys(
    nll: BinnedNLL,
    truth: Mapping[str, float],
    n_toys: int,
    *,
    seed: int,
    pois: Iterable[str] = ("mu2",),
    first: int = 0,
    limits: Mapping[str, tuple[float, float]] | None = None,
) -> ToyResults:
    """Draw and fit ``n_toys`` toy experiments.

    Parameters
    ----------
    nll : BinnedNLL
        Likelihood configuration (model, form, pulls, per-bin systematics).
    truth : mapping
        True parameters (s, b, mu2, gamma; defaults 1, 1, 0, 0).
    n_toys : int
        Number of toys.
    seed : int
        Master seed of the study.
    pois : iterable of str
        Parameters of interest (as :func:`~.fit.fit_nll`).
    first : int
        Index of the first toy (to continue a study in another process).
    limits : mapping, optional
        Parameter limits of the fits.

    Returns
    -------
    ToyResults
        Each fit starts from the truth.
    """
    t = {"s": 1.0, "b": 1.0, "mu2": 0.0, "gamma": 0.0, **truth}
    pois = tuple(pois)
    values = {k: np.full(n_toys, np.nan) for k in PARAMETERS}
    errors = {k: np.full(n_toys, np.nan) for k in PARAMETERS}
    valid = np.zeros(n_toys, dtype=bool)
    fval = np.full(n_toys, np.nan)
    free = free_parameters(nll, pois)
    for k in range(n_toys):
        toy = draw_toy(nll, t, toy_rng(seed, first + k))
        r = fit_nll(toy, pois=pois, start=t, limits=limits)
        for p in PARAMETERS:
            values[p][k] = r.values[p]
            errors[p][k] = r.errors[p]
        valid[k] = r.valid
        fval[k] = r.fval
    return ToyResults(
        truth=t,
        free=free,
        values={p: values[p] for p in PARAMETERS},
        errors={p: errors[p] for p in PARAMETERS},
        valid=valid,
        fval=fval,
        seed=int(seed),
        first=int(first),
    )
