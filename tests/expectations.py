"""Exact binned expectations of sampled distributions, for χ² tests.

For a spectrum f(E) (lines + piecewise-linear continuum) and a model, the
probability of a bin in T, or in cosθ, is ∫dE f(E) ∫_bin dσ/dT dT / σ̄.
The T integral uses the package's Gauss–Legendre window integral (itself
checked against scipy in test_cross_sections.py); the E integral uses
2-point Gauss–Legendre on every interval of the spectrum's table (~10⁴
intervals), exact to far better than the statistical precision of the tests.
"""

import math

import numba
import numpy as np
from scipy import stats

from nusource.generator.constants import M_E
from nusource.generator.flux_average import _T_NODES, _T_WEIGHTS, window_parts
from nusource.generator.kinematics import t_max

EN, EW = np.polynomial.legendre.leggauss(2)
TN, TW = np.polynomial.legendre.leggauss(16)


@numba.njit
def _t_of_cos(c, e):
    """Recoil T at which the electron angle has cosine c (inverse of cosθ(T, E))."""
    k = (1.0 + M_E / e) ** 2
    if c <= 0.0:
        return 0.0
    if c * c >= k:
        return np.inf
    return 2.0 * M_E * c * c / (k - c * c)


@numba.njit
def _add_energy(e, w, edges, in_cos, tlo, thi, p, mu2, tn, tw, out):
    for j in range(edges.shape[0] - 1):
        lo, hi = edges[j], edges[j + 1]
        if in_cos:
            lo, hi = max(_t_of_cos(lo, e), tlo), min(_t_of_cos(hi, e), thi)
        if hi <= lo:
            continue
        s, mg, _, _ = window_parts(e, lo, hi, p, tn, tw)
        out[j] += w * (s + mu2 * mg)


@numba.njit
def _add_continuum(g, d, en, ew, edges, in_cos, tmin, tmax, p, mu2, tn, tw, out):
    for i in range(g.shape[0] - 1):
        if g[i + 1] <= g[i] or (d[i] == 0.0 and d[i + 1] == 0.0):
            continue
        half, mid = 0.5 * (g[i + 1] - g[i]), 0.5 * (g[i + 1] + g[i])
        for k in range(en.shape[0]):
            e = mid + half * en[k]
            f = d[i] + (d[i + 1] - d[i]) * (e - g[i]) / (g[i + 1] - g[i])
            _add_energy(
                e, f * ew[k] * half, edges, in_cos, tmin, min(tmax, t_max(e)), p, mu2, tn, tw, out
            )


def binned(spectrum, model, edges, *, variable="t", tmin=0.0, tmax=math.inf):
    """Probabilities of the bins of T [MeV] or cosθ for a spectrum and model (no Z′)."""
    if model.zprime is not None:
        raise ValueError("binned expectations here cover SM + μν models")
    p = model.params()
    mu2 = model.mu**2
    edges = np.asarray(edges, dtype=float)
    out = np.zeros(edges.size - 1)
    in_cos = variable == "cos"
    for e, w in zip(spectrum.line_energy, spectrum.line_prob, strict=True):
        _add_energy(
            e, w, edges, in_cos, tmin, min(tmax, t_max(e)), p, mu2, _T_NODES, _T_WEIGHTS, out
        )
    if spectrum.cont_energy.size:
        _add_continuum(
            spectrum.cont_energy,
            spectrum.cont_density,
            EN,
            EW,
            edges,
            in_cos,
            tmin,
            tmax,
            p,
            mu2,
            TN,
            TW,
            out,
        )
    return out


def chi2_pvalue(observed, expected_prob, *, min_expected=20.0):
    """p-value of Pearson's χ² of counts against probabilities (ndf = bins − 1)."""
    n = observed.sum()
    expected = expected_prob / expected_prob.sum() * n
    keep = expected >= min_expected
    chi2 = float(np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]))
    ndf = int(keep.sum()) - 1
    return stats.chi2.sf(chi2, ndf), chi2, ndf
