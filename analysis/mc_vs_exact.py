"""Simulated events against an exact expectation: the χ² of a weighted histogram."""

from __future__ import annotations

import numpy as np


def weighted_chi2(values, weights, edges, exact) -> dict:
    """χ² of the weighted histogram of ``values`` against ``exact``, bin by bin.

    Each bin's variance is the sum of its squared weights; bins without events
    are left out.

    Parameters
    ----------
    values, weights : numpy.ndarray, shape (n,)
        The histogrammed field and the events' weights (expected events each).
    edges : numpy.ndarray, shape (k + 1,)
        Bin edges, in the unit of ``values``.
    exact : numpy.ndarray, shape (k,)
        The exact expected events per bin.

    Returns
    -------
    dict
        ``chi2``, ``ndf`` (bins with events), ``p_value``, and ``mc`` (the
        weighted histogram).
    """
    from scipy.stats import chi2

    mc = np.histogram(values, edges, weights=weights)[0]
    var = np.histogram(values, edges, weights=weights * weights)[0]
    ok = var > 0
    c2 = float(np.sum((mc - exact)[ok] ** 2 / var[ok]))
    ndf = int(ok.sum())
    return {"chi2": c2, "ndf": ndf, "p_value": float(chi2.sf(c2, ndf)), "mc": mc}
