"""Coverage of one-parameter intervals by toys: Wilks upper limits and Feldman–Cousins.

At a true θ_t, toys are Poisson fluctuations of the exact expectation
ν(θ_t, s = 1, b = 1) with the pull centres drawn around the true nuisances
(:meth:`~.mu_bound.OneParameterModel.draw_aux`); each is fitted
(:func:`~.mu_bound.fit_counts`) and the fraction of toys whose interval
contains θ_t is the coverage, with its binomial error √(p(1 − p)/N).

Intervals:

- ``'wilks'``, ``interval='upper'``: the one-sided upper limit θ_up with
  q(θ_up) = level (2.71 for 95 % CL); it contains θ_t when θ_t ≤ θ_up.  At
  θ_t on the boundary (θ_t = 0) it always does (coverage 1): the limit is
  conservative there by construction;
- ``'wilks'``, ``interval='two-sided'``: {θ ≥ 0 : q(θ) ≤ level} (3.84 for
  95 % CL) contains θ_t when q(θ_t) ≤ level;
- ``'fc'``: {θ ≥ 0 : q(θ) ≤ t_c(θ)} with t_c(θ_t) the cl-quantile of q(θ_t)
  over *independent* toys at θ_t (role key ``CRITICAL_COMPONENT``); it
  contains θ_t when q(θ_t) ≤ t_c(θ_t).

Toy block k at true point j of a role is ``block_rng(seed, role, j, k)``: a
block is a pure function of (seed, role, j, k), so the blocks of a study can
be computed in any order, on any worker, and a study resumes from its last
finished block.
"""

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from .feldman_cousins import CHI2_1DOF_90, CHI2_1DOF_95, critical_value_error, critical_values
from .mu_bound import OneParameterModel, fit_counts
from .poisson_toys import (
    COVERAGE_COMPONENT,
    CRITICAL_COMPONENT,
    block_rng,
    cdf_tables,
    poisson_block,
)

BLOCK_SIZE = 500
"""Toys per block."""


def as_model(templates) -> OneParameterModel:
    """A :class:`OneParameterModel` from itself or from a dict of its fields (plain arrays)."""
    if isinstance(templates, OneParameterModel):
        return templates
    t = dict(templates)
    t0 = np.asarray(t["t0"], dtype=float)
    return OneParameterModel(
        t0,
        np.asarray(t.get("t1", np.zeros_like(t0)), dtype=float),
        np.asarray(t.get("t2", np.zeros_like(t0)), dtype=float),
        np.asarray(t.get("backgrounds", np.zeros((0, t0.size))), dtype=float),
        sig_norm_sigma=float(t.get("sig_norm_sigma", 0.01)),
        bkg_sigmas=t.get("bkg_sigmas"),
    )


def run_block(model, theta_true, seed, component, point, block, n_toys, level, mean=None) -> dict:
    """Fit one block of toys thrown at θ_true; a pure function of (seed, component, point, block).

    The toys are Poisson fluctuations of the model's expectation at θ_true, or of
    ``mean`` (events per bin) when given: e.g. simulated events' histograms, so
    that their Monte Carlo statistics enter.

    Returns
    -------
    dict
        ``theta_hat``, ``theta_up``, ``q`` (q at θ_true), ``ok``; arrays of length n_toys.
    """
    model = as_model(model)
    rng = block_rng(seed, component, point, block)
    tables = cdf_tables(model.expected(theta_true) if mean is None else np.asarray(mean, float))
    n = poisson_block(tables, rng, n_toys)
    aux = model.draw_aux(rng, n_toys)
    r = fit_counts(model, n, aux, thetas=[theta_true], level=level)
    return {
        "theta_hat": r["theta_hat"],
        "theta_up": r["theta_up"],
        "q": r["q"][:, 0],
        "ok": r["ok"],
    }


def _run_block_args(args):
    return run_block(*args)


def map_blocks(fn, args, workers):
    """[fn(a) for a in args]: in this process, on ``workers`` local processes (an int), or
    through a runner with a ``map_blocks(fn, args)`` method (e.g. dask tasks, a resumable
    store of finished blocks); every block is a pure function of its arguments, so the
    result is the same on any of them."""
    if hasattr(workers, "map_blocks"):
        return workers.map_blocks(fn, args)
    if workers > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            return list(ex.map(fn, args))
    return [fn(a) for a in args]


def run_blocks(
    model,
    theta_true,
    n_toys,
    *,
    seed,
    component=COVERAGE_COMPONENT,
    point=0,
    level=CHI2_1DOF_90,
    block_size=BLOCK_SIZE,
    first_block=0,
    workers=1,
    mean=None,
) -> dict:
    """``n_toys`` toys at θ_true in blocks, optionally on a process pool of ``workers``.

    The result does not depend on ``workers``: block k is always the same toys.

    Returns
    -------
    dict
        Arrays of :func:`run_block` concatenated in block order, and ``blocks``
        (the block numbers used).
    """
    model = as_model(model)
    nblk = max(1, math.ceil(n_toys / block_size))
    sizes = [min(block_size, n_toys - k * block_size) for k in range(nblk)]
    args = [
        (
            model,
            float(theta_true),
            int(seed),
            int(component),
            int(point),
            first_block + k,
            sizes[k],
            float(level),
            mean,
        )
        for k in range(nblk)
    ]
    parts = map_blocks(_run_block_args, args, workers)
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out["blocks"] = list(range(first_block, first_block + nblk))
    return out


def binomial(k: int, n: int) -> tuple[float, float]:
    """Fraction k/n and its binomial error √(p(1 − p)/n) (½/n when p is 0 or 1 exactly)."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    err = math.sqrt(p * (1.0 - p) / n)
    return p, (err if err > 0 else 0.5 / n)


def coverage_at(
    model,
    theta_true,
    n_toys,
    *,
    method="wilks",
    interval="upper",
    level=None,
    cl=0.95,
    seed=0,
    point=0,
    workers=1,
    n_crit_toys=None,
    block_size=BLOCK_SIZE,
    mean=None,
) -> dict:
    """Coverage of one interval construction at one true value.

    Parameters
    ----------
    model : OneParameterModel or dict
    theta_true : float
        True θ (≥ 0).
    n_toys : int
        Toys whose intervals are checked.
    method : {'wilks', 'fc'}
    interval : {'upper', 'two-sided'}
        For 'wilks' (FC intervals are two-sided by construction, with the boundary).
    level : float, optional
        Wilks critical q (default 2.71 for 'upper', 3.84 for 'two-sided': 95 % CL).
    cl : float
        Confidence level of the FC construction.
    seed, point : int
        Master seed and the index of this true point (its toy streams).
    workers : int
    n_crit_toys : int, optional
        Toys for the FC critical value (default n_toys).
    mean : ndarray, optional
        Throw the toys whose intervals are checked around this expectation
        instead of the model's (e.g. from simulated files); the FC critical
        value still comes from the model.

    Returns
    -------
    dict
        JSON-ready: ``coverage``, ``error``, ``n``, ``n_failed``, the critical
        value used, the median and 16/84 % quantiles of θ_up.
    """
    if method not in ("wilks", "fc"):
        raise ValueError(f"method: '{method}' is not 'wilks' or 'fc'")
    if interval not in ("upper", "two-sided"):
        raise ValueError(f"interval: '{interval}' is not 'upper' or 'two-sided'")
    if level is None:
        level = CHI2_1DOF_90 if interval == "upper" else CHI2_1DOF_95
    r = run_blocks(
        model,
        theta_true,
        n_toys,
        seed=seed,
        component=COVERAGE_COMPONENT,
        mean=mean,
        point=point,
        level=level,
        workers=workers,
        block_size=block_size,
    )
    ok = r["ok"]
    out = {
        "theta_true": float(theta_true),
        "method": method,
        "n": int(ok.sum()),
        "n_failed": int((~ok).sum()),
        "seed": int(seed),
        "point": int(point),
        "blocks": r["blocks"],
    }
    if method == "wilks":
        if interval == "upper":
            covered = theta_true <= r["theta_up"][ok] * (1 + 1e-9) + 1e-300
        else:
            covered = r["q"][ok] <= level
        out.update(interval=interval, critical=float(level))
    else:
        c = run_blocks(
            model,
            theta_true,
            n_crit_toys or n_toys,
            seed=seed,
            component=CRITICAL_COMPONENT,
            point=point,
            level=0.0,
            workers=workers,
            block_size=block_size,
        )
        qc = c["q"][c["ok"]]
        tc = float(critical_values(qc, cl))
        covered = r["q"][ok] <= tc
        out.update(
            interval="fc",
            critical=tc,
            critical_error=critical_value_error(qc, cl),
            cl=cl,
            n_crit=int(qc.size),
        )
    p, e = binomial(int(covered.sum()), int(ok.sum()))
    up = r["theta_up"][ok]
    out.update(
        coverage=p,
        error=e,
        theta_up_median=float(np.median(up)),
        theta_up_16=float(np.quantile(up, 0.16)),
        theta_up_84=float(np.quantile(up, 0.84)),
    )
    return out


def coverage_study(
    templates,
    truth_values,
    n_toys,
    method="wilks",
    seed=0,
    workers=1,
    *,
    interval="upper",
    level=None,
    cl=0.95,
    n_crit_toys=None,
    means=None,
) -> dict:
    """Coverage at several true values (job-level: plain arrays in, JSON-ready dict out).

    Parameters
    ----------
    templates : dict or OneParameterModel
        ``t0``, ``t1``, ``t2`` (signal parts), ``backgrounds`` (K, m),
        ``sig_norm_sigma``, ``bkg_sigmas`` (see :class:`~.mu_bound.OneParameterModel`).
    truth_values : sequence of float
        True θ values; point j uses the toy streams of index j.
    n_toys : int
    method : {'wilks', 'fc', 'both'}
    seed, workers : int

    Returns
    -------
    dict
        ``points``: one :func:`coverage_at` result per true value (and method).
    """
    model = as_model(templates)
    methods = ("wilks", "fc") if method == "both" else (method,)
    pts = []
    for j, th in enumerate(truth_values):
        for m in methods:
            pts.append(
                coverage_at(
                    model,
                    float(th),
                    n_toys,
                    method=m,
                    interval=interval,
                    level=level,
                    cl=cl,
                    seed=seed,
                    point=j,
                    workers=workers,
                    n_crit_toys=n_crit_toys,
                    mean=None if means is None else means[j],
                )
            )
    return {"n_toys": int(n_toys), "seed": int(seed), "method": method, "cl": cl, "points": pts}


def fc_critical_scan(model, thetas, n_toys, *, cl=0.95, seed=0, workers=1) -> dict:
    """FC critical values t_c(θ) on a scan of true θ (toys of role ``CRITICAL_COMPONENT``).

    Returns
    -------
    dict
        ``theta``, ``critical``, ``error`` (lists).
    """
    crit, err = [], []
    for j, th in enumerate(thetas):
        c = run_blocks(
            model,
            float(th),
            n_toys,
            seed=seed,
            component=CRITICAL_COMPONENT,
            point=1000 + j,
            level=0.0,
            workers=workers,
        )
        q = c["q"][c["ok"]]
        crit.append(float(critical_values(q, cl)))
        err.append(critical_value_error(q, cl))
    return {"theta": [float(t) for t in thetas], "critical": crit, "error": err, "cl": cl}


def fc_interval(model, counts, thetas, critical, aux=None) -> tuple[float, float]:
    """The Feldman–Cousins interval of one data set: {θ : q(θ) ≤ t_c(θ)} on a scan.

    Parameters
    ----------
    model : OneParameterModel or dict
    counts : ndarray, shape (m,)
    thetas : ndarray, shape (J,)
        Increasing θ ≥ 0 (θ[0] = 0 for the boundary).
    critical : ndarray, shape (J,)
        t_c(θ) (e.g. from :func:`fc_critical_scan`, interpolated).

    Returns
    -------
    (float, float)
    """
    from .feldman_cousins import interval_from_scan
    from .mu_bound import profile_q

    q = profile_q(as_model(model), counts, thetas, aux)
    return interval_from_scan(thetas, q, critical)
