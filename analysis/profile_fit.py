"""One-parameter binned Poisson fits with profiled normalisations, in numba.

Model (per bin i; θ the parameter of interest, s the signal normalisation,
b_k the background normalisations):

    ν_i = s·(T0_i + θ·T1_i + θ²·T2_i) + Σ_k b_k·B_ki

- magnetic moment: θ = μν²/unit², T0 = SM, T1 = magnetic per unit², T2 = 0;
- Z′ reach: θ = γ = M_Z²/M_Z′², T1 = zlin, T2 = zquad.

Statistic (Baker–Cousins saturated Poisson form plus Gaussian pulls):

    χ²(θ, s, b) = 2Σ_i[ν_i − n_i + n_i ln(n_i/ν_i)] + ((s − s₀)/σ_s)² + Σ_k((b_k − b₀ₖ)/σ_k)²

with σ = 0 fixing a normalisation at its centre and σ = ∞ leaving it free.
The fits are full Newton iterations on the exact gradient and Hessian
(the bilinear s·θ term included), with step halving where a step would make
some ν_i ≤ 0; the physical region θ ≥ 0 is imposed by fixing θ = 0 when the
unconstrained fit goes below it.

The test statistic of a true θ is the profile-likelihood ratio

    q(θ) = min_{s,b} χ²(θ, s, b) − min_{θ'≥0, s, b} χ²(θ', s, b),

and the upper limit θ_up > θ̂ solves q(θ_up) = c (c = 2.71 for a one-sided
95 % CL limit: the Wilks value; see :mod:`.feldman_cousins` for FC).  It is
found by one joint Newton iteration on (θ, s, b) for the p equations
χ² − χ²_min − c = 0, ∂χ²/∂(s, b) = 0, started from the quadratic prediction.
"""

import math

import numpy as np

from nusource.core.jit import jit


@jit
def _solve(a, r, p, x):
    """x = a⁻¹ r for the leading p×p block (Gaussian elimination with partial pivoting).

    Returns False if singular.  ``a`` and ``r`` are overwritten.
    """
    for c in range(p):
        piv = c
        big = abs(a[c, c])
        for j in range(c + 1, p):
            if abs(a[j, c]) > big:
                big = abs(a[j, c])
                piv = j
        if big == 0.0 or not math.isfinite(big):
            return False
        if piv != c:
            for k in range(p):
                a[c, k], a[piv, k] = a[piv, k], a[c, k]
            r[c], r[piv] = r[piv], r[c]
        for j in range(c + 1, p):
            f = a[j, c] / a[c, c]
            if f != 0.0:
                for k in range(c, p):
                    a[j, k] -= f * a[c, k]
                r[j] -= f * r[c]
    for c in range(p - 1, -1, -1):
        v = r[c]
        for k in range(c + 1, p):
            v -= a[c, k] * x[k]
        x[c] = v / a[c, c]
    return True


def basis(t0, t1, t2, bk) -> tuple[np.ndarray, np.ndarray]:
    """The per-bin basis e = (T0, T1, T2, B_1..B_K) and its pair products, for :func:`chi2_eval`.

    Every derivative of ν is a combination of the basis templates with
    coefficients that depend on (θ, s) only, so each Hessian entry
    Σ_i w_i·∂aν_i·∂bν_i is a combination of the moments M_uv = Σ_i w_i·e_ui·e_vi,
    computed as one matrix–vector product with the precomputed products
    e_u·e_v (BLAS, vectorised): the pass over the bins costs the same for any
    number of nuisances.

    T2 is left out of the basis when it is zero (the magnetic moment), which
    saves a third of the moments.

    Returns
    -------
    eb : ndarray, shape (3 + K, m), or (2 + K, m) without T2
    pm : ndarray, shape (n_e(n_e + 1)/2, m)
        e_u·e_v for u ≤ v, in row-major order of the upper triangle.
    """
    rows = [t0, t1, t2] if np.any(np.asarray(t2) != 0) else [t0, t1]
    eb = np.ascontiguousarray(np.vstack([*rows, np.asarray(bk).reshape(-1, len(t0))]))
    nb = eb.shape[0]
    iu, iv = np.triu_indices(nb)
    return eb, np.ascontiguousarray(eb[iu] * eb[iv])


@jit
def chi2_eval(n, eb, pm, x, sig, cen, want, g, h):
    """χ² of the model at the parameters x = (θ, s, b_1..b_K), its gradient and Hessian.

    Parameters
    ----------
    n : ndarray, shape (m,)
        Counts.
    eb, pm : ndarray
        The basis (T0, T1, T2, B_1..B_K) and its pair products (:func:`basis`).
    x : ndarray, shape (2 + K,)
        Parameters.
    sig, cen : ndarray, shape (2 + K,)
        Pull widths and centres (sig[0] unused; σ ≤ 0 or ∞: no pull term).
    want : bool
        Compute the value (needs a logarithm per bin) or only g and h.
    g : ndarray, shape (2 + K,)
    h : ndarray, shape (2 + K, 2 + K)

    Returns
    -------
    float
        χ² (0.0 when ``want`` is False), or inf where some ν_i ≤ 0.
    """
    nb = eb.shape[0]
    p = x.shape[0]
    o = nb - p  # 1 with T2 in the basis, 0 without
    th = x[0]
    s = x[1]
    coef = np.empty(nb)
    coef[0] = s
    coef[1] = s * th
    if o == 1:
        coef[2] = s * th * th
    for k in range(2, p):
        coef[k + o] = x[k]
    nu = np.dot(coef, eb)
    m = n.shape[0]
    w = np.empty(m)
    om = np.empty(m)
    bad = 0
    for i in range(m):
        r = n[i] / nu[i]
        w[i] = r / nu[i]
        om[i] = 1.0 - r
        bad += nu[i] <= 0.0
    if bad > 0:
        return math.inf
    val = 0.0
    if want:
        for i in range(m):
            val += nu[i] - n[i]
            if n[i] > 0.0:
                val += n[i] * math.log(n[i] / nu[i])
        val *= 2.0
    mom = np.dot(pm, w)
    gb = np.dot(eb, om)
    mm = np.empty((nb, nb))
    q = 0
    for u in range(nb):
        for v in range(u, nb):
            mm[u, v] = mom[q]
            mm[v, u] = mom[q]
            q += 1
    c = np.zeros((p, nb))
    c[0, 1] = s
    c[1, 0] = 1.0
    c[1, 1] = th
    if o == 1:
        c[0, 2] = 2.0 * s * th
        c[1, 2] = th * th
    for k in range(2, p):
        c[k, k + o] = 1.0
    cm = np.zeros((p, nb))
    for a in range(p):
        ga = 0.0
        for u in range(nb):
            if c[a, u] != 0.0:
                ga += c[a, u] * gb[u]
                for v in range(nb):
                    cm[a, v] += c[a, u] * mm[u, v]
        g[a] = 2.0 * ga
    for a in range(p):
        for b in range(a + 1):
            t = 0.0
            for v in range(nb):
                t += cm[a, v] * c[b, v]
            h[a, b] = 2.0 * t
    h[1, 0] += 2.0 * gb[1]
    if o == 1:
        h[0, 0] += 4.0 * s * gb[2]
        h[1, 0] += 4.0 * th * gb[2]
    for a in range(p):
        for b in range(a):
            h[b, a] = h[a, b]
    for a in range(1, p):
        sa = sig[a]
        if sa > 0.0 and math.isfinite(sa):
            z = (x[a] - cen[a]) / sa
            if want:
                val += z * z
            g[a] += 2.0 * z / sa
            h[a, a] += 2.0 / (sa * sa)
    return val


@jit
def newton_fit(n, eb, pm, x, sig, cen, fix_theta, theta_min, max_iter, tol, g, h):
    """Minimise χ² over the free parameters, from and into x (Newton, step halving).

    Parameters
    ----------
    fix_theta : bool
        Hold θ = x[0] (a profile at fixed θ).
    theta_min : float
        Lower bound of θ (−inf: none); reaching it fixes θ there.
    max_iter : int
    tol : float
        Stop after a full Newton step whose predicted decrease gᵀH⁻¹g of χ² is below tol.
    g, h : ndarray, shape (p,) and (p, p)
        Work arrays; on return the gradient and Hessian at the result.

    Returns
    -------
    (float, bool, bool)
        χ² at the result, converged, and whether θ ended on its bound.
    """
    p = x.shape[0]
    g2 = np.empty(p)
    h2 = np.empty((p, p))
    a = np.empty((p, p))
    r = np.empty(p)
    st = np.empty(p)
    idx = np.empty(p, dtype=np.int64)
    xt = np.empty(p)
    at_bound = False
    fixed = fix_theta
    converged = False
    v = chi2_eval(n, eb, pm, x, sig, cen, False, g, h)
    if not math.isfinite(v):
        return math.inf, False, at_bound
    for _ in range(max_iter):
        q = 0
        for j in range(p):
            if (j == 0 and not fixed) or (j > 0 and sig[j] != 0.0):
                idx[q] = j
                q += 1
        if q == 0:
            converged = True
            break
        for j in range(q):
            r[j] = -g[idx[j]]
            for k in range(q):
                a[j, k] = h[idx[j], idx[k]]
        if not _solve(a, r, q, st):
            return math.inf, False, at_bound
        dec = 0.0
        for j in range(q):
            dec -= st[j] * g[idx[j]]
        lam = 1.0
        hit = False
        ok = False
        for _h in range(40):
            for j in range(p):
                xt[j] = x[j]
            for j in range(q):
                xt[idx[j]] += lam * st[j]
            hit = False
            if not fixed and xt[0] <= theta_min:
                xt[0] = theta_min
                hit = True
            vv = chi2_eval(n, eb, pm, xt, sig, cen, False, g2, h2)
            if math.isfinite(vv):
                ok = True
                break
            lam *= 0.5
        if not ok:
            return math.inf, False, at_bound
        for j in range(p):
            x[j] = xt[j]
            g[j] = g2[j]
            for k in range(p):
                h[j, k] = h2[j, k]
        if hit:
            fixed = True
            at_bound = True
            continue
        if lam == 1.0 and abs(dec) < tol:
            converged = True
            break
    v = chi2_eval(n, eb, pm, x, sig, cen, True, g, h)
    if at_bound and g[0] < 0.0 and not fix_theta:
        # the bound is not a minimum after all (θ was fixed on an early step): release it
        return newton_fit(n, eb, pm, x, sig, cen, False, -math.inf, max_iter, tol, g, h)
    return v, converged, at_bound


@jit
def upper_limit(n, eb, pm, xhat, chi2min, hhat, sig, cen, level, max_iter, tol):
    """θ_up > θ̂ with q(θ_up) = level, by joint Newton on (θ, free nuisances).

    Parameters
    ----------
    xhat : ndarray, shape (2 + K,)
        The best fit (θ̂ ≥ bound); not modified.
    chi2min : float
        χ² at the best fit.
    hhat : ndarray, shape (2 + K, 2 + K)
        Hessian of χ² at the best fit (from :func:`newton_fit`).
    level : float
        Critical value of q (2.71: one-sided 95 % CL with Wilks).
    tol : float
        Stop after a step smaller than tol·(1 + |x|) in every parameter (the
        error left is of order tol², Newton converging quadratically).

    Returns
    -------
    float
        θ_up (nan if the iteration fails).
    """
    p = xhat.shape[0]
    g = np.empty(p)
    h = np.empty((p, p))
    a = np.empty((p, p))
    r = np.empty(p)
    st = np.empty(p)
    idx = np.empty(p, dtype=np.int64)
    x = xhat.copy()
    q = 0
    for j in range(p):
        if j == 0 or sig[j] != 0.0:
            idx[q] = j
            q += 1
    # quadratic start: Δθ = sqrt(2c·(H⁻¹)_θθ), nuisances along the column of H⁻¹
    for j in range(q):
        r[j] = 1.0 if j == 0 else 0.0
        for k in range(q):
            a[j, k] = hhat[idx[j], idx[k]]
    if not _solve(a, r, q, st):
        return math.nan
    cth = st[0]
    if not cth > 0.0:
        return math.nan
    dth = math.sqrt(2.0 * level * cth)
    for j in range(q):
        x[idx[j]] += st[j] / cth * dth
    for _ in range(max_iter):
        v = chi2_eval(n, eb, pm, x, sig, cen, True, g, h)
        if not math.isfinite(v):
            return math.nan
        f0 = v - chi2min - level
        # rows: [g_θ, g_nuis] for f0; Hessian rows of the nuisances for g_nuis = 0
        for k in range(q):
            a[0, k] = g[idx[k]]
        r[0] = -f0
        for j in range(1, q):
            r[j] = -g[idx[j]]
            for k in range(q):
                a[j, k] = h[idx[j], idx[k]]
        if not _solve(a, r, q, st):
            return math.nan
        small = True  # Newton converges quadratically: a step below tol leaves ~tol² behind
        for j in range(q):
            x[idx[j]] += st[j]
            if abs(st[j]) > tol * (1.0 + abs(x[idx[j]])):
                small = False
        if small:
            return x[0]
    return math.nan
