"""Fits with iminuit: migrad, then hesse, into a small result record.

The costs here are −2 ln λ (or χ²), so errordef = 1 (``Minuit.LEAST_SQUARES``)
unless the cost says otherwise through its ``errordef`` attribute; a cost with
a ``grad`` method gives Minuit its analytic gradient.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from iminuit import Minuit

from .likelihood import PARAMETERS, BinnedNLL


@dataclass(frozen=True)
class FitResult:
    """Outcome of one fit.

    Attributes
    ----------
    values, errors : dict of str to float
        Best-fit values and their Hesse errors (0 for fixed parameters).
    fval : float
        Cost at the minimum.
    valid : bool
        Migrad converged (and Hesse gave a positive-definite covariance).
    covariance : ndarray, shape (k, k)
        Covariance of all parameters in ``names`` order (zero rows for fixed ones).
    names : tuple of str
        Parameter names.
    nfcn : int
        Cost evaluations.
    """

    values: dict[str, float]
    errors: dict[str, float]
    fval: float
    valid: bool
    covariance: np.ndarray
    names: tuple[str, ...]
    nfcn: int


def fit(
    cost,
    start: Mapping[str, float],
    *,
    fixed: Iterable[str] = (),
    limits: Mapping[str, tuple[float, float]] | None = None,
    steps: Mapping[str, float] | None = None,
    strategy: int = 1,
    hesse: bool = True,
) -> FitResult:
    """Minimise ``cost`` with Minuit (migrad, then hesse).

    Parameters
    ----------
    cost : callable
        Cost with named parameters (its ``errordef`` attribute, default 1).
    start : mapping
        Starting value of every parameter.
    fixed : iterable of str
        Parameters held at their start values.
    limits : mapping, optional
        (low, high) per parameter.
    steps : mapping, optional
        Initial step sizes (Minuit's starting errors).
    strategy : int
        Minuit strategy (0 fast, 1 default, 2 careful).
    hesse : bool
        Run Hesse after Migrad.

    Returns
    -------
    FitResult
    """
    grad = getattr(cost, "grad", None)
    m = Minuit(cost, **dict(start), grad=grad)
    if not hasattr(cost, "errordef"):
        m.errordef = Minuit.LEAST_SQUARES
    m.print_level = 0
    m.strategy = strategy
    for k, v in (steps or {}).items():
        m.errors[k] = v
    for k, v in (limits or {}).items():
        m.limits[k] = v
    for k in fixed:
        m.fixed[k] = True
    m.migrad()
    valid = bool(m.valid)
    if hesse and valid:
        m.hesse()
        valid = bool(m.valid and m.fmin.has_posdef_covar)
    names = tuple(m.parameters)
    cov = np.zeros((len(names), len(names)))
    if m.covariance is not None:
        cov = np.array(m.covariance, dtype=float)
    errors = {k: (0.0 if m.fixed[k] else float(m.errors[k])) for k in names}
    return FitResult(
        values={k: float(m.values[k]) for k in names},
        errors=errors,
        fval=float(m.fval),
        valid=valid,
        covariance=cov,
        names=names,
        nfcn=int(m.nfcn),
    )


def free_parameters(nll: BinnedNLL, pois: Iterable[str]) -> tuple[str, ...]:
    """Parameters :func:`fit_nll` frees: the parameters of interest and the
    normalisations the likelihood's configuration does not fix."""
    pois = tuple(pois)
    for p in pois:
        if p not in PARAMETERS:
            raise ValueError(f"pois: '{p}' is not one of {', '.join(PARAMETERS)}")
    if "mu2" in pois and not nll.model.magnetic:
        raise ValueError("pois: mu2 cannot be fitted, the model has no finite magnetic part")
    fixed = (set(nll.fixed) | {"mu2", "gamma"}) - set(pois)
    return tuple(p for p in PARAMETERS if p not in fixed)


def fit_nll(
    nll: BinnedNLL,
    *,
    pois: Iterable[str] = ("mu2",),
    start: Mapping[str, float] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    strategy: int = 1,
    hesse: bool = True,
) -> FitResult:
    """Fit a :class:`~.likelihood.BinnedNLL`: free the parameters of interest and the
    nuisances its configuration does not fix.

    Parameters
    ----------
    nll : BinnedNLL
    pois : iterable of str
        Parameters of interest to free among 'mu2', 'gamma' (and 's' for a
        free signal normalisation); the other two of mu2/gamma stay at start.
    start : mapping, optional
        Starting values (default s = b = 1, mu2 = gamma = 0).
    limits : mapping, optional
        Parameter limits (e.g. {'mu2': (0, None)} for the physical region).
    strategy : int
        Minuit strategy.
    hesse : bool
        Run Hesse.

    Returns
    -------
    FitResult
    """
    free = free_parameters(nll, pois)
    fixed = set(PARAMETERS) - set(free)
    st = {"s": 1.0, "b": 1.0, "mu2": 0.0, "gamma": 0.0}
    st.update(start or {})
    err = nll.fisher_errors(**st)
    steps = {k: float(e) for k, e in zip(PARAMETERS, err, strict=True) if k not in fixed}
    return fit(nll, st, fixed=fixed, limits=limits, steps=steps, strategy=strategy, hesse=hesse)
