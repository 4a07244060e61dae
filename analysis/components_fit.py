"""Templates per event component and a fit with a normalisation per component.

The signal's expectation is exact (quadrature, :mod:`.expectation`).  Every
other component (a background) enters as a template: the weighted histogram
of its events in files of a 'fixed' or 'weighted' run of the same card, which
is itself an expectation (weights are expected events), scaled to the
analysed exposure.  The fit is a binned Poisson likelihood
ν_i = s·S_i(poi) + Σ_k b_k·B_ki with a Gaussian pull on s and on each b_k
(σ from the analysis card; free where none is given).  A template without
events in the histogram's range (the source γ's single-site events in a
low-energy window, say) has no bearing on the likelihood: its b_k is fixed at
1 and named in ``empty_templates``, instead of leaving the fit a direction of
zero curvature (an invalid minimum with no errors).
"""

from __future__ import annotations

import math

import numpy as np


def component_templates(
    events, run: dict, field: str, edges_mev, *, scale: float = 1.0, selected_only: bool = True
) -> dict:
    """Weighted histograms of every non-signal component: name → (template, variance).

    ``events`` and ``run`` come from files of a fixed or weighted run (weights
    are expected events); ``scale`` multiplies them (analysed exposure /
    template exposure).
    """
    comps = run.get("components") or {}
    out = {}
    ev = events[events["flags"] == 0] if selected_only and "flags" in events.dtype.names else events
    for key, entry in sorted(comps.items(), key=lambda kv: int(kv[0])):
        if key == "0" or not isinstance(entry, dict):
            continue
        sel = ev[ev["component"] == int(key)]
        w = sel["weight"] * scale
        hist = np.histogram(sel[field], edges_mev, weights=w)[0]
        var = np.histogram(sel[field], edges_mev, weights=w * w)[0]
        out[entry.get("name", key)] = (hist, var)
    return out


def profile_upper(fcn, m, i: int, rise: float = 1.0) -> float:
    """Where, above the best fit, parameter ``i``'s profile (the other free parameters at
    their best values for each of its values) rises by ``rise`` (in ``fcn``'s units).

    Bracketed from the rise with the others held at the best fit (steeper: its crossing is
    a lower bound), then bisected to 10⁻⁶ relative.
    """
    from iminuit import Minuit

    best, fmin = list(m.values), m.fval

    def held(x):
        v = best.copy()
        v[i] = x
        return fcn(*v) - fmin

    def profile(x):
        p = Minuit(fcn, *best, name=m.parameters)
        p.errordef = m.errordef
        for name in m.parameters:
            p.limits[name] = m.limits[name]
            p.fixed[name] = m.fixed[name]
        p.values[i] = x
        p.fixed[i] = True
        p.migrad()
        return p.fval - fmin

    x0 = best[i]
    step = max(abs(x0), 1.0) * 1e-12
    while held(x0 + step) < rise and step < 1e300:
        step *= 2.0
    lo, hi = x0, x0 + step
    for _ in range(200):  # (a direction the likelihood does not see: no rise, no error)
        if profile(hi) >= rise:
            break
        lo, hi = hi, x0 + 2.0 * (hi - x0)
    else:
        return math.inf
    while hi - lo > 1e-6 * (hi - x0):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if profile(mid) < rise else (lo, mid)
    return float(0.5 * (lo + hi) - x0)


def fit_components(
    observed,
    signal_parts,
    templates: dict,
    *,
    poi: str = "mu2",
    mu_unit: float = 1e-10,
    sig_norm_sigma=0.01,
    bkg_norm_sigmas=None,
) -> dict:
    """Poisson fit of s, the parameter of interest and one normalisation per template.

    Parameters
    ----------
    observed : ndarray (m,)
    signal_parts : ndarray (4, m)
        (sm, mag per μ_B², zlin per γ, zquad per γ²) [events].
    templates : dict name → ndarray (m,)
    poi : {'mu2', 'gamma', 'none'}
        mu2 = (μν/mu_unit)² ≥ 0, or γ = M_Z²/M_Z′² ≥ 0.
    sig_norm_sigma : float or None
        Pull σ of s (None: free).
    bkg_norm_sigmas : dict name → σ or None (free), optional
    """
    from iminuit import Minuit

    n = np.asarray(observed, dtype=float)
    sig = np.asarray(signal_parts, dtype=float).copy()
    sig[1] = np.where(np.isfinite(sig[1]), sig[1] * mu_unit * mu_unit, 0.0)
    names = list(templates)
    bk = np.array([np.asarray(templates[k], dtype=float) for k in names]).reshape(-1, n.size)
    sigmas = [None if bkg_norm_sigmas is None else bkg_norm_sigmas.get(k) for k in names]
    seen = n > 0  # (empty bins add ν only: their n·ln(n/ν) is 0, not computed)
    n_seen, n_total = n[seen], float(n.sum())

    def nll(*p):
        s, x, bs = p[0], p[1], np.asarray(p[2:])
        lin = sig[0] + (x * sig[1] if poi == "mu2" else x * sig[2] + x * x * sig[3])
        nu = s * lin + bs @ bk if bk.size else s * lin
        nu = np.maximum(nu, 1e-300)
        val = 2.0 * (np.sum(nu) - n_total + np.sum(n_seen * np.log(n_seen / nu[seen])))
        if sig_norm_sigma:
            val += ((s - 1.0) / sig_norm_sigma) ** 2
        for b, sg in zip(bs, sigmas, strict=True):
            if sg:
                val += ((b - 1.0) / sg) ** 2
        return val

    params = ["s", poi if poi != "none" else "x"] + [f"b_{k}" for k in names]
    m = Minuit(nll, *([1.0, 0.0] + [1.0] * len(names)), name=params)
    m.errordef = Minuit.LEAST_SQUARES
    m.limits[params[1]] = (0.0, None)
    if poi == "none":
        m.fixed[params[1]] = True
    if sig_norm_sigma == 0:
        m.fixed["s"] = True
    empty = [k for k, row in zip(names, bk, strict=True) if not np.any(row > 0)]
    for k, sg in zip(names, sigmas, strict=True):
        if sg == 0 or k in empty:
            m.fixed[f"b_{k}"] = True
        m.limits[f"b_{k}"] = (0.0, None)
    m.migrad()
    m.hesse()
    fixed = [p for p in params if m.fixed[p]]
    errors = {p: 0.0 if m.fixed[p] else float(m.errors[p]) for p in params}
    i_poi = 1  # (params: s, the parameter of interest, the normalisations)
    poi_name = params[i_poi]
    at_limit = not m.fixed[poi_name] and m.values[poi_name] <= 1e-3 * m.errors[poi_name]
    if at_limit and m.valid:
        # At its limit (0) a bounded parameter's parabolic error means nothing (HESSE gave
        # 0.6–4 where the profile rises by 1 at 0.0015, and MINOS fails to start there):
        # its error is where the profile of the others rises by 1 above the limit.
        errors[poi_name] = profile_upper(nll, m, i_poi)
    return {
        "parameters": params,
        "values": {p: float(m.values[p]) for p in params},
        "errors": errors,
        "poi_at_limit": bool(at_limit),
        "fixed": fixed,
        "empty_templates": empty,
        "valid": bool(m.valid),
        "chi2": float(m.fval),
        "ndf": int(n.size - (len(params) - len(fixed))),
        "mu2_unit_bohr2": mu_unit * mu_unit,
    }
