"""Sterile-neutrino (3+1) disappearance in the distance from the source: templates and grid fits.

Expectation in bins i of the reconstructed distance L_rec (docs/physics.md §2, §8;
seed 004):

    μ_i(sin²2θ, Δm²; n_s, b) = n_s·(A0_i − sin²2θ·A1_i(Δm²)) + b·B_i,

    A0_i = Σ_{events in i} w,    A1_i(Δm²) = Σ_{events in i} w·sin²(1.267·Δm²·L/E)

(L the true flight length from the event's emission point to its vertex [m],
E the line energy [MeV], w the expected events of the event), B_i the
background (flat in the fiducial volume: ¹³⁶Xe 2νββ, solar ν, ...).  L_rec is
the distance of the reconstructed vertex (vertex + 1 cm Gaussian per axis)
from the source *centre*, so the source's size and the position resolution
both smear L.

Nuisances: the signal normalisation n_s (free, or a Gaussian pull of σ_s,
e.g. 2 %) and the background normalisation b (pull σ_b = 0.5 %), profiled at
each grid point by Newton iterations on the 2×2 system (the model is linear in
(n_s, b), so a few steps from a warm start converge to machine precision).

Statistic: χ² = 2Σ[μ − n + n ln(n/μ)] + pulls; the Asimov data set is the
no-oscillation expectation n = A0 + B, for which Δχ² = χ² (its best fit is
the truth, χ² = 0).  The 95 % CL contour of Wilks's theorem for two
parameters is Δχ² = 5.99; the Feldman–Cousins critical values of
:func:`fc_grid_toys` replace it.
"""

import math

import numpy as np

from nusource.core.jit import jit

from .feldman_cousins import CHI2_2DOF_95

PHASE = 1.267
"""Δm²[eV²]·L[m]/E[MeV] → oscillation phase (1.26693…)."""


@jit
def _templates(bins, l_m, e_mev, w, dm2, nb, a0, a1):
    for i in range(bins.shape[0]):
        k = bins[i]
        if k < 0 or k >= nb:
            continue
        a0[k] += w[i]
        x = PHASE * l_m[i] / e_mev[i]
        for j in range(dm2.shape[0]):
            s = math.sin(x * dm2[j])
            a1[j, k] += w[i] * s * s


def sterile_templates(l_true_cm, l_rec_cm, e_mev, weight, edges_cm, dm2_ev2):
    """A0 (shape (nb,)) and A1 (shape (n_dm2, nb)) from weighted events.

    Parameters
    ----------
    l_true_cm : ndarray, shape (n,)
        True flight length emission point → vertex [cm].
    l_rec_cm : ndarray, shape (n,)
        Reconstructed distance [cm] (histogrammed).
    e_mev : ndarray, shape (n,)
        Neutrino energy [MeV].
    weight : ndarray, shape (n,)
        Expected events per event (no oscillation).
    edges_cm : ndarray, shape (nb + 1,)
        Bin edges of L_rec [cm].
    dm2_ev2 : ndarray, shape (n_dm2,)
        Δm² values [eV²].

    Returns
    -------
    (a0, a1) : ndarrays [events].
    """
    edges = np.asarray(edges_cm, dtype=float)
    nb = edges.size - 1
    bins = np.searchsorted(edges, np.asarray(l_rec_cm, dtype=float), side="right") - 1
    dm2 = np.atleast_1d(np.asarray(dm2_ev2, dtype=float))
    a0 = np.zeros(nb)
    a1 = np.zeros((dm2.size, nb))
    _templates(
        bins.astype(np.int64),
        np.asarray(l_true_cm, dtype=float) * 0.01,
        np.asarray(e_mev, dtype=float),
        np.asarray(weight, dtype=float),
        dm2,
        nb,
        a0,
        a1,
    )
    return a0, a1


def reconstructed_distance(events, rng: np.random.Generator, *, sigma_cm=1.0, centre_cm=(0, 0, 0)):
    """L_rec [cm]: distance from the source centre of the vertex smeared by N(0, σ) per axis."""
    v = np.stack([events["vtx_x"], events["vtx_y"], events["vtx_z"]], axis=1)
    v = v + rng.normal(0.0, sigma_cm, v.shape) - np.asarray(centre_cm, dtype=float)
    return np.sqrt(np.sum(v * v, axis=1))


def _cylinder_nodes(radius_cm, z_lo_cm, z_hi_cm, n_r, slab_cm, n_z):
    """Gauss–Legendre nodes (r, z) and volume weights 2πr·dr·dz of a cylinder on the z axis."""
    xr, wr = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius_cm * (xr + 1.0)
    wr = 0.5 * radius_cm * wr * 2.0 * math.pi * r
    nsl = max(1, int(math.ceil((z_hi_cm - z_lo_cm) / slab_cm)))
    xz, wz = np.polynomial.legendre.leggauss(n_z)
    zs = np.linspace(z_lo_cm, z_hi_cm, nsl + 1)
    h = 0.5 * np.diff(zs)
    z = (h[:, None] * xz[None, :] + 0.5 * (zs[1:] + zs[:-1])[:, None]).ravel()
    wzz = (h[:, None] * wz[None, :]).ravel()
    rr, zz = np.meshgrid(r, z, indexing="ij")
    return rr.ravel(), zz.ravel(), (wr[:, None] * wzz[None, :]).ravel()


def _bin_probabilities(edges_cm, l_cm, sigma_cm):
    """P(L_rec in bin | vertex at distance l): Gaussian σ along the radial direction (L ≫ σ)."""
    from scipy.special import ndtr

    return np.diff(ndtr((np.asarray(edges_cm)[None, :] - l_cm[:, None]) / sigma_cm), axis=1)


def flat_background(edges_cm, radius_cm, z_lo_cm, z_hi_cm, *, sigma_cm=1.0, n_r=32, n_z=8):
    """Share per L_rec bin of a background uniform in the fiducial cylinder (quadrature).

    L is measured from the source centre at the origin; the cylinder's axis is z.
    The shares sum to the fraction of the volume inside the bins (1 if they cover it).
    """
    r, z, w = _cylinder_nodes(radius_cm, z_lo_cm, z_hi_cm, n_r, 3.0, n_z)
    p = _bin_probabilities(edges_cm, np.sqrt(r * r + z * z), sigma_cm)
    return (w @ p) / np.sum(w)


def quadrature_templates(
    edges_cm,
    radius_cm,
    z_lo_cm,
    z_hi_cm,
    lines_mev,
    line_weights,
    dm2_ev2,
    *,
    sigma_cm=1.0,
    source_radius_cm=7.0,
    source_half_height_cm=7.0,
    n_r=24,
    n_z=6,
    n_s=4,
):
    """A0 and A1 shapes by quadrature (an independent route to :func:`sterile_templates`).

    The unoscillated signal density of vertices is n_e·dV/(4πL²) averaged over
    emission points uniform in the source cylinder (centred at the origin);
    each line k contributes line_weights[k]·sin²(1.267Δm²L/E_k) to A1.  The
    normalisation is arbitrary (compare shapes): A0 sums to Σ line_weights ×
    the contained fraction of ∫dV/(4πL²) / V_source-averaged.

    Returns
    -------
    (a0, a1) : ndarrays, shapes (nb,) and (n_dm2, nb).
    """
    dm2 = np.atleast_1d(np.asarray(dm2_ev2, dtype=float))
    r, z, w = _cylinder_nodes(radius_cm, z_lo_cm, z_hi_cm, n_r, 3.0, n_z)
    p = _bin_probabilities(edges_cm, np.sqrt(r * r + z * z), sigma_cm)
    xs, ws = np.polynomial.legendre.leggauss(n_s)
    sr = 0.5 * source_radius_cm * (xs + 1.0)
    wsr = 0.5 * source_radius_cm * ws * sr  # ∫ r dr (the 2π cancels in the average)
    sz = source_half_height_cm * xs
    wsz = source_half_height_cm * ws
    nphi = 4 * n_s
    phis = (np.arange(nphi) + 0.5) * math.pi / nphi  # φ ∈ (0, π): symmetric in ±y
    norm = np.sum(wsr) * np.sum(wsz) * nphi
    a0d = np.zeros(r.size)
    a1d = np.zeros((dm2.size, r.size))
    for a, wa in zip(sr, wsr, strict=True):
        for c, wc in zip(sz, wsz, strict=True):
            for ph in phis:
                dx = r - a * math.cos(ph)
                dy = a * math.sin(ph)
                d2 = dx * dx + dy * dy + (z - c) ** 2
                wt = w / (4.0 * math.pi * d2) * (wa * wc / norm)
                a0d += wt
                lt = np.sqrt(d2) * 0.01
                for e, lw in zip(lines_mev, line_weights, strict=True):
                    a1d += lw * wt * np.sin(PHASE * np.outer(dm2, lt) / e) ** 2
    return np.sum(line_weights) * (a0d @ p), a1d @ p


# -- profiled χ² at grid points ---------------------------------------------------------


@jit
def _profile(n, a0, a1, bg, s22, sig_s, cen_s, sig_b, cen_b, x, max_iter):
    """min over (n_s, b) of χ²; x = [n_s, b] is the start and receives the solution.

    Newton on the 2×2 system (the model is linear in n_s and b); a pull with
    σ = 0 fixes that normalisation, σ = inf leaves it free.  Each pass over the
    bins gives χ², its gradient g and Hessian H at x; when the Newton
    decrement d = gᵀH⁻¹g falls below 1e-7 the minimum is χ² − d/2 (exact to
    O(d^{3/2}) ≈ 1e-11, the quadratic model being exact up to third order).
    Returns the profiled χ².
    """
    m = n.shape[0]
    free_s = sig_s != 0.0
    free_b = sig_b != 0.0
    ps = sig_s > 0.0 and math.isfinite(sig_s)
    pb = sig_b > 0.0 and math.isfinite(sig_b)
    v = math.inf
    for _ in range(max_iter):
        gs = gb = hss = hsb = hbb = 0.0
        v = 0.0
        ok = True
        for i in range(m):
            sv = a0[i] - s22 * a1[i]
            mu = x[0] * sv + x[1] * bg[i]
            if mu <= 0.0:
                ok = False
                break
            ni = n[i]
            r = ni / mu
            w = r / mu
            v += mu - ni
            if ni > 0.0:
                v -= ni * math.log(mu)
            gs += (1.0 - r) * sv
            gb += (1.0 - r) * bg[i]
            hss += w * sv * sv
            hsb += w * sv * bg[i]
            hbb += w * bg[i] * bg[i]
        if not ok:
            x[0] = 0.5 * (x[0] + 1.0)
            x[1] = 0.5 * (x[1] + 1.0)
            v = math.inf
            continue
        v *= 2.0
        gs *= 2.0
        gb *= 2.0
        hss *= 2.0
        hsb *= 2.0
        hbb *= 2.0
        if ps:
            z = (x[0] - cen_s) / sig_s
            v += z * z
            gs += 2.0 * z / sig_s
            hss += 2.0 / (sig_s * sig_s)
        if pb:
            z = (x[1] - cen_b) / sig_b
            v += z * z
            gb += 2.0 * z / sig_b
            hbb += 2.0 / (sig_b * sig_b)
        if free_s and free_b:
            det = hss * hbb - hsb * hsb
            ds = -(hbb * gs - hsb * gb) / det
            db = -(hss * gb - hsb * gs) / det
        elif free_s:
            ds, db = -gs / hss, 0.0
        elif free_b:
            ds, db = 0.0, -gb / hbb
        else:
            break
        dec = -(ds * gs + db * gb)
        x[0] += ds
        x[1] += db
        if dec < 1e-7:
            v -= 0.5 * dec
            break
    return v


@jit
def _null_constant(n):
    """Σ 2(n ln n) (the n-only part of the saturated Poisson χ², kept out of the passes)."""
    c = 0.0
    for i in range(n.shape[0]):
        if n[i] > 0.0:
            c += n[i] * math.log(n[i])
    return 2.0 * c


@jit
def chi2_grid(n, a0, a1, bg, s22, sig_s, cen_s, sig_b, cen_b, out):
    """Profiled χ² at every grid point (Δm² index j of a1, sin²2θ index k); returns χ²(null).

    Parameters
    ----------
    n : ndarray, shape (nb,)
        Data (toy or Asimov).
    a0 : ndarray, shape (nb,)
    a1 : ndarray, shape (n_dm2, nb)
    bg : ndarray, shape (nb,)
    s22 : ndarray, shape (n_s,)
        sin²2θ values, increasing.  Each fit starts from the linear
        extrapolation of its two neighbours' solutions along sin²2θ.
    sig_s, cen_s, sig_b, cen_b : float
        Pull widths and centres of n_s and b.
    out : ndarray, shape (n_dm2, n_s)

    Returns
    -------
    float
        χ² of the no-oscillation hypothesis (sin²2θ = 0), profiled likewise.
    """
    c = _null_constant(n)
    x0 = np.ones(2)
    null = _profile(n, a0, a1[0], bg, 0.0, sig_s, cen_s, sig_b, cen_b, x0, 50) + c
    x = np.empty(2)
    xp = np.empty(2)
    for j in range(a1.shape[0]):
        x[0] = x0[0]
        x[1] = x0[1]
        xp[0] = x0[0]
        xp[1] = x0[1]
        sp = 0.0
        for k in range(s22.shape[0]):
            if k > 0:  # extrapolate the solution from the last two points
                f = (s22[k] - s22[k - 1]) / (s22[k - 1] - sp)
                t0, t1 = x[0], x[1]
                x[0] += f * (x[0] - xp[0])
                x[1] += f * (x[1] - xp[1])
                xp[0], xp[1] = t0, t1
                sp = s22[k - 1]
            out[j, k] = _profile(n, a0, a1[j], bg, s22[k], sig_s, cen_s, sig_b, cen_b, x, 50) + c
    return null


def asimov_grid(a0, a1, bg, s22, *, sig_s=math.inf, sig_b=0.005) -> np.ndarray:
    """Asimov Δχ² (no-oscillation data) over the grid, shape (n_dm2, n_s)."""
    n = np.asarray(a0, dtype=float) + np.asarray(bg, dtype=float)
    out = np.empty((np.shape(a1)[0], len(s22)))
    null = chi2_grid(
        n,
        np.asarray(a0, float),
        np.ascontiguousarray(a1, dtype=float),
        np.asarray(bg, float),
        np.asarray(s22, float),
        float(sig_s),
        1.0,
        float(sig_b),
        1.0,
        out,
    )
    return out - null


def contour(dchi2, s22, level=CHI2_2DOF_95) -> np.ndarray:
    """sin²2θ where Δχ² first reaches ``level`` along each Δm² row (log-interpolated).

    Returns nan where Δχ² stays below ``level`` up to the largest sin²2θ.
    """
    s = np.asarray(s22, dtype=float)
    out = np.full(dchi2.shape[0], np.nan)
    lev = np.broadcast_to(np.asarray(level, dtype=float), dchi2.shape)
    for j in range(dchi2.shape[0]):
        d = dchi2[j] - lev[j]
        above = np.flatnonzero(d >= 0)
        if above.size == 0:
            continue
        k = above[0]
        if k == 0:
            out[j] = s[0]
            continue
        f = -d[k - 1] / (d[k] - d[k - 1])
        out[j] = math.exp(math.log(s[k - 1]) + f * (math.log(s[k]) - math.log(s[k - 1])))
    return out


# -- Feldman–Cousins toys over the grid -----------------------------------------------------


@jit
def toy_grid_dchi2(counts, cen, a0, a1, bg, s22, sig_s, sig_b, jt, kt, work, out):
    """Δχ² of the true point (jt, kt) for each toy: χ²(truth) − min(grid ∪ null).

    Parameters
    ----------
    counts : ndarray, shape (n_toys, nb)
        Toy data (drawn beforehand from the toys' Generator).
    cen : ndarray, shape (n_toys, 2)
        Pull centres of (n_s, b) of each toy.
    jt, kt : int
        Grid indices of the truth (Δm², sin²2θ).
    work : ndarray, shape (n_dm2, n_s)
        Scratch for the grid of one toy.
    out : ndarray, shape (n_toys,)
    """
    for t in range(counts.shape[0]):
        null = chi2_grid(counts[t], a0, a1, bg, s22, sig_s, cen[t, 0], sig_b, cen[t, 1], work)
        best = null
        for j in range(work.shape[0]):
            for k in range(work.shape[1]):
                if work[j, k] < best:
                    best = work[j, k]
        out[t] = work[jt, kt] - best


def throw_toys(a0, a1_true, bg, s22_true, rng, n_toys, *, sig_s=math.inf, sig_b=0.005):
    """Poisson toys of the expectation at the truth and their pull centres.

    Returns
    -------
    counts : ndarray, shape (n_toys, nb)
    cen : ndarray, shape (n_toys, 2)
        N(1, σ) for a pulled normalisation, 1 otherwise.
    """
    mu = np.asarray(a0) - s22_true * np.asarray(a1_true) + np.asarray(bg)
    counts = rng.poisson(np.maximum(mu, 0.0), size=(n_toys, mu.size)).astype(float)
    cen = np.ones((n_toys, 2))
    for c, sg in enumerate((sig_s, sig_b)):
        if sg > 0 and math.isfinite(sg):
            cen[:, c] += sg * rng.standard_normal(n_toys)
    return counts, cen


def fc_grid_toys(a0, a1, bg, s22, jt, kt, n_toys, rng, *, sig_s=math.inf, sig_b=0.005):
    """Δχ² of ``n_toys`` toys thrown at grid point (jt, kt), each fitted over the whole grid."""
    a1 = np.ascontiguousarray(a1, dtype=float)
    counts, cen = throw_toys(a0, a1[jt], bg, s22[kt], rng, n_toys, sig_s=sig_s, sig_b=sig_b)
    out = np.empty(n_toys)
    work = np.empty((a1.shape[0], len(s22)))
    fixed = (np.asarray(a0, float), a1, np.asarray(bg, float), np.asarray(s22, float))
    fixed += (float(sig_s), float(sig_b), int(jt), int(kt), work)
    _by_rows(toy_grid_dchi2, counts, cen, fixed, out, a1.size * len(s22))
    return out


TOY_CELLS_PER_CALL = 5_000_000
"""Toys × fit-grid cells × bins per compiled call (~0.1 s): Ctrl-C is taken between calls."""


def _by_rows(kernel, counts, cen, fixed, out, cells_per_toy):
    """``kernel(counts, cen, *fixed, out)`` over blocks of toys (rows), which it fits one by
    one: the same results as one call, in calls short enough to be interrupted."""
    rows = max(1, TOY_CELLS_PER_CALL // max(1, cells_per_toy))
    for a in range(0, counts.shape[0], rows):
        b = min(a + rows, counts.shape[0])
        kernel(counts[a:b], cen[a:b], *fixed, out[a:b])


# -- job level ----------------------------------------------------------------------------


def templates_from_events(
    events,
    edges_cm,
    dm2_ev2,
    *,
    threshold_kev=5.0,
    sigma_cm=1.0,
    rng=None,
    centre_cm=(0.0, 0.0, 0.0),
):
    """A0, A1 from signal events (fields flight, enu, weight, te, vtx_*): the recoil threshold
    on the true T, the vertex smeared by ``sigma_cm`` per axis.  Only the source's events
    (component 0) enter: backgrounds do not oscillate with L."""
    if "component" in events.dtype.names:
        events = events[events["component"] == 0]
    ev = events[events["te"] >= threshold_kev * 1e-3]
    if rng is None:
        rng = np.random.default_rng(0)
    lrec = reconstructed_distance(ev, rng, sigma_cm=sigma_cm, centre_cm=centre_cm)
    return sterile_templates(ev["flight"], lrec, ev["enu"], ev["weight"], edges_cm, dm2_ev2)


def sterile_sensitivity(
    a0,
    a1,
    bg,
    s22,
    dm2,
    *,
    sig_s=math.inf,
    sig_b=0.005,
    level=CHI2_2DOF_95,
    report_dm2=(0.5, 1.0, 2.0, 5.0),
) -> dict:
    """Asimov 95 % CL sensitivity contour (job-level: plain arrays in, JSON-ready dict out).

    Parameters
    ----------
    a0, a1, bg : ndarray
        Templates (events) of :func:`sterile_templates` and the background per bin.
    s22, dm2 : ndarray
        Grid axes: sin²2θ (increasing) and Δm² [eV²] (the rows of a1).
    sig_s : float
        Pull of the signal normalisation (inf: free; 0.02 the constrained case).
    sig_b : float
        Pull of the background normalisation.
    level : float
        Δχ² of the contour (5.99: two parameters, Wilks).
    report_dm2 : sequence of float
        Δm² values [eV²] at which the contour is reported (log-interpolated).

    Returns
    -------
    dict
        ``s22_95`` {Δm² string: sin²2θ}, ``contour`` (per grid Δm²), ``dm2``, ``s22``,
        ``level``, ``signal``, ``background``.
    """
    d = asimov_grid(a0, a1, bg, s22, sig_s=sig_s, sig_b=sig_b)
    c = contour(d, s22, level)
    ldm = np.log(np.asarray(dm2, dtype=float))
    lc = np.log(np.where(np.isfinite(c), c, np.nan))
    rep = {}
    for x in report_dm2:
        v = float(np.exp(np.interp(math.log(x), ldm, lc)))
        rep[f"{x:g}"] = v if math.isfinite(v) else None
    return {
        "s22_95": rep,
        "contour": [None if not math.isfinite(v) else float(v) for v in c],
        "dm2": [float(v) for v in dm2],
        "s22": [float(v) for v in s22],
        "level": float(level),
        "signal": float(np.sum(a0)),
        "background": float(np.sum(bg)),
        "dchi2": d,
    }


def fc_critical_grid(
    a0,
    a1,
    bg,
    s22,
    points,
    n_toys,
    *,
    seed=0,
    cl=0.95,
    sig_s=math.inf,
    sig_b=0.005,
    block=0,
    workers=1,
) -> dict:
    """FC critical values at true grid points, each toy fitted over the whole grid.

    Toys of point (j, k) draw from ``block_rng(seed, STERILE_COMPONENT, j·n_s + k, block)``.

    Parameters
    ----------
    points : sequence of (int, int)
        Grid indices (Δm² row j, sin²2θ column k) of the true points.
    n_toys : int
        Toys per point (one block).

    Returns
    -------
    dict
        ``points``: [{j, k, critical, error, n}], ``cl``.
    """
    from concurrent.futures import ProcessPoolExecutor

    from .feldman_cousins import critical_value_error, critical_values

    args = [(a0, a1, bg, s22, int(j), int(k), n_toys, seed, block, sig_s, sig_b) for j, k in points]
    if workers > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            res = list(ex.map(_fc_point, args))
    else:
        res = [_fc_point(a) for a in args]
    out = []
    for (j, k), t in zip(points, res, strict=True):
        out.append(
            {
                "j": int(j),
                "k": int(k),
                "critical": float(critical_values(t, cl)),
                "error": critical_value_error(t, cl),
                "n": int(t.size),
            }
        )
    return {"points": out, "cl": cl}


def _fc_point(args):
    from .poisson_toys import STERILE_COMPONENT, block_rng

    a0, a1, bg, s22, j, k, n_toys, seed, block, sig_s, sig_b = args
    rng = block_rng(seed, STERILE_COMPONENT, j * len(s22) + k, block)
    return fc_grid_toys(a0, a1, bg, s22, j, k, n_toys, rng, sig_s=sig_s, sig_b=sig_b)


def fc_critical_map(
    a0, a1, bg, s22, n_toys, *, stride=1, seed=0, cl=0.95, sig_s=math.inf, sig_b=0.005, workers=1
) -> dict:
    """FC critical values on a sub-grid of true points (every ``stride``-th of the fit grid).

    Each toy is fitted over the whole (fine) grid; the truth grid can be
    coarser, and the map is interpolated back (bilinear in the grid indices)
    for the FC contour, {Δχ²_Asimov(θ) = t_c(θ)}.

    Returns
    -------
    dict
        ``j``, ``k`` (truth indices on the fit grid), ``critical``, ``error`` (arrays
        (len(j), len(k))), ``critical_full`` (n_dm2, n_s), ``n_toys``, ``cl``.
    """
    nj, nk = np.shape(a1)[0], len(s22)
    jj = np.unique(np.r_[np.arange(0, nj, stride), nj - 1])
    kk = np.unique(np.r_[np.arange(0, nk, stride), nk - 1])
    pts = [(j, k) for j in jj for k in kk]
    r = fc_critical_grid(
        a0, a1, bg, s22, pts, n_toys, seed=seed, cl=cl, sig_s=sig_s, sig_b=sig_b, workers=workers
    )
    crit = np.array([p["critical"] for p in r["points"]]).reshape(jj.size, kk.size)
    err = np.array([p["error"] for p in r["points"]]).reshape(jj.size, kk.size)
    rows = np.array([np.interp(np.arange(nk), kk, crit[a]) for a in range(jj.size)])
    full = np.array([np.interp(np.arange(nj), jj, rows[:, b]) for b in range(nk)]).T
    return {
        "j": jj,
        "k": kk,
        "critical": crit,
        "error": err,
        "critical_full": full,
        "n_toys": int(n_toys),
        "cl": cl,
    }


# -- the best fit with sin²2θ profiled continuously --------------------------------------


@jit
def _profile3(n, a0, a1, bg, sig_s, cen_s, sig_b, cen_b, x, max_iter):
    """min over (α, β, b) of χ² for μ = α·A0 − β·A1 + b·B without constraints (x in/out).

    α = n_s and β = n_s·sin²2θ: the model is linear, so χ² is convex and Newton
    converges from any start where μ > 0.  Returns (χ², converged); the caller
    checks 0 ≤ β ≤ α (0 ≤ sin²2θ ≤ 1) and falls back on the faces otherwise.
    """
    m = n.shape[0]
    ps = sig_s > 0.0 and math.isfinite(sig_s)
    pb = sig_b > 0.0 and math.isfinite(sig_b)
    hh = np.empty((3, 3))
    g = np.empty(3)
    st = np.empty(3)
    xt = np.empty(3)
    v = math.inf
    for _ in range(max_iter):
        for a in range(3):
            g[a] = 0.0
            for b in range(3):
                hh[a, b] = 0.0
        v = 0.0
        for i in range(m):
            mu = x[0] * a0[i] - x[1] * a1[i] + x[2] * bg[i]
            if mu <= 0.0:
                return math.inf, False
            ni = n[i]
            r = ni / mu
            w = r / mu
            v += mu - ni
            if ni > 0.0:
                v -= ni * math.log(mu)
            d0, d1, d2 = a0[i], -a1[i], bg[i]
            om = 1.0 - r
            g[0] += om * d0
            g[1] += om * d1
            g[2] += om * d2
            hh[0, 0] += w * d0 * d0
            hh[0, 1] += w * d0 * d1
            hh[0, 2] += w * d0 * d2
            hh[1, 1] += w * d1 * d1
            hh[1, 2] += w * d1 * d2
            hh[2, 2] += w * d2 * d2
        v *= 2.0
        for a in range(3):
            g[a] *= 2.0
            for b in range(a, 3):
                hh[a, b] *= 2.0
                hh[b, a] = hh[a, b]
        if ps:
            z = (x[0] - cen_s) / sig_s
            v += z * z
            g[0] += 2.0 * z / sig_s
            hh[0, 0] += 2.0 / (sig_s * sig_s)
        if pb:
            z = (x[2] - cen_b) / sig_b
            v += z * z
            g[2] += 2.0 * z / sig_b
            hh[2, 2] += 2.0 / (sig_b * sig_b)
        for a in range(3):
            st[a] = -g[a]
        if not _solve3(hh, st):
            return math.inf, False
        dec = -(st[0] * g[0] + st[1] * g[1] + st[2] * g[2])
        if not dec >= 0.0:
            return math.inf, False
        lam = 1.0
        for _h in range(30):  # keep μ > 0
            ok = True
            for a in range(3):
                xt[a] = x[a] + lam * st[a]
            for i in range(m):
                if xt[0] * a0[i] - xt[1] * a1[i] + xt[2] * bg[i] <= 0.0:
                    ok = False
                    break
            if ok:
                break
            lam *= 0.5
        for a in range(3):
            x[a] = xt[a]
        if dec < 1e-7 and lam == 1.0:
            return v - 0.5 * dec, True
    return v, False


@jit
def _solve3(h, r):
    """r ← h⁻¹r for a symmetric 3×3 h by Cramer's rule; False if (nearly) singular."""
    c00 = h[1, 1] * h[2, 2] - h[1, 2] * h[2, 1]
    c01 = h[1, 2] * h[2, 0] - h[1, 0] * h[2, 2]
    c02 = h[1, 0] * h[2, 1] - h[1, 1] * h[2, 0]
    det = h[0, 0] * c00 + h[0, 1] * c01 + h[0, 2] * c02
    scale = h[0, 0] * h[1, 1] * h[2, 2]
    if not abs(det) > 1e-12 * abs(scale):
        return False
    c11 = h[0, 0] * h[2, 2] - h[0, 2] * h[2, 0]
    c12 = h[0, 2] * h[1, 0] - h[0, 0] * h[1, 2]
    c22 = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
    r0, r1, r2 = r[0], r[1], r[2]
    r[0] = (c00 * r0 + c01 * r1 + c02 * r2) / det
    r[1] = (c01 * r0 + c11 * r1 + c12 * r2) / det
    r[2] = (c02 * r0 + c12 * r1 + c22 * r2) / det
    return True


@jit
def best_fit_profiled(n, a0, a1, bg, sig_s, cen_s, sig_b, cen_b, out_s22):
    """min over Δm² rows of a1 and over 0 ≤ sin²2θ ≤ 1 (continuous), n_s, b of χ².

    For each Δm² row the unconstrained convex fit in (α, β, b) is taken when
    0 ≤ β ≤ α; otherwise the minimum lies on a face, sin²2θ = 0 (the
    no-oscillation fit, the same for every row) or sin²2θ = 1.

    Parameters
    ----------
    out_s22 : ndarray, shape (n_dm2,)
        Filled with the best sin²2θ per Δm² row.

    Returns
    -------
    (float, int)
        The minimum χ² and its Δm² row (−1: the no-oscillation fit).
    """
    c = _null_constant(n)
    x2 = np.ones(2)
    null = _profile(n, a0, a1[0], bg, 0.0, sig_s, cen_s, sig_b, cen_b, x2, 50) + c
    best = null
    jbest = -1
    x = np.empty(3)
    y = np.empty(2)
    for j in range(a1.shape[0]):
        x[0] = x2[0]
        x[1] = 0.0
        x[2] = x2[1]
        v, ok = _profile3(n, a0, a1[j], bg, sig_s, cen_s, sig_b, cen_b, x, 50)
        if ok and 0.0 <= x[1] <= x[0]:
            v += c
            out_s22[j] = x[1] / x[0]
        else:  # on a face: s22 = 0 (null) or 1
            y[0] = x2[0]
            y[1] = x2[1]
            v1 = _profile(n, a0, a1[j], bg, 1.0, sig_s, cen_s, sig_b, cen_b, y, 50) + c
            if v1 < null:
                v = v1
                out_s22[j] = 1.0
            else:
                v = null
                out_s22[j] = 0.0
        if v < best:
            best = v
            jbest = j
    return best, jbest


@jit
def toy_profiled_dchi2(counts, cen, a0, a1, bg, a1_true, s22_true, sig_s, sig_b, out):
    """FC statistic of each toy with sin²2θ profiled continuously and Δm² on the rows of a1.

    t = χ²(truth; n_s, b profiled) − min over (Δm² rows, 0 ≤ sin²2θ ≤ 1, n_s, b).
    The truth (a1_true, s22_true) need not lie on the fit grid.
    """
    s22b = np.empty(a1.shape[0])
    x = np.empty(2)
    for t in range(counts.shape[0]):
        n = counts[t]
        best, _j = best_fit_profiled(n, a0, a1, bg, sig_s, cen[t, 0], sig_b, cen[t, 1], s22b)
        x[0] = 1.0
        x[1] = 1.0
        vt = _profile(n, a0, a1_true, bg, s22_true, sig_s, cen[t, 0], sig_b, cen[t, 1], x, 50)
        out[t] = vt + _null_constant(n) - best


def fc_profiled_toys(
    a0, a1_fit, bg, a1_true, s22_true, n_toys, rng, *, sig_s=math.inf, sig_b=0.005
):
    """Δχ² of toys thrown at (s22_true, a1_true), fitted with sin²2θ profiled continuously
    and Δm² over the rows of ``a1_fit`` (use a fine Δm² grid: the χ² valley is narrow in Δm²
    where oscillations are resolved)."""
    a1_fit = np.ascontiguousarray(a1_fit, dtype=float)
    a1_true = np.ascontiguousarray(a1_true, dtype=float)
    counts, cen = throw_toys(a0, a1_true, bg, s22_true, rng, n_toys, sig_s=sig_s, sig_b=sig_b)
    out = np.empty(n_toys)
    fixed = (np.asarray(a0, float), a1_fit, np.asarray(bg, float), a1_true, float(s22_true))
    fixed += (float(sig_s), float(sig_b))
    _by_rows(toy_profiled_dchi2, counts, cen, fixed, out, 50 * a1_fit.size)
    return out


def _fc_profiled_point(args):
    from .poisson_toys import STERILE_COMPONENT, block_rng

    a0, a1_fit, bg, a1_true, s22_true, n_toys, seed, point, block, sig_s, sig_b = args
    rng = block_rng(seed, STERILE_COMPONENT, point, block)
    return fc_profiled_toys(
        a0, a1_fit, bg, a1_true, s22_true, n_toys, rng, sig_s=sig_s, sig_b=sig_b
    )


def fc_profiled_map(
    a0,
    a1_fit,
    bg,
    a1_truth,
    s22_truth,
    n_toys,
    *,
    seed=0,
    cl=0.95,
    sig_s=math.inf,
    sig_b=0.005,
    block=0,
    workers=1,
) -> dict:
    """FC critical values on a grid of true points (job level), sin²2θ profiled in the fits.

    Parameters
    ----------
    a0, bg : ndarray, shape (nb,)
    a1_fit : ndarray, shape (n_fit, nb)
        A1 on the Δm² rows of the fits (fine: ~100 per decade).
    a1_truth : ndarray, shape (n_dm2_true, nb)
        A1 at the true Δm² values.
    s22_truth : ndarray, shape (n_s22_true,)
    n_toys : int
        Toys per true point; point (j, k) uses
        ``block_rng(seed, STERILE_COMPONENT, j·n_s22_true + k, block)``.

    Returns
    -------
    dict
        ``critical`` and ``error`` (n_dm2_true, n_s22_true), ``n_toys``, ``cl``, ``seconds``.
    """
    import time

    from .feldman_cousins import critical_value_error, critical_values

    t0 = time.perf_counter()
    nj, nk = np.shape(a1_truth)[0], len(s22_truth)
    args = [
        (
            a0,
            a1_fit,
            bg,
            np.asarray(a1_truth)[j],
            float(s22_truth[k]),
            n_toys,
            seed,
            j * nk + k,
            block,
            sig_s,
            sig_b,
        )
        for j in range(nj)
        for k in range(nk)
    ]
    from .coverage import map_blocks

    res = map_blocks(_fc_profiled_point, args, workers)
    crit = np.array([critical_values(t, cl) for t in res]).reshape(nj, nk)
    err = np.array([critical_value_error(t, cl) for t in res]).reshape(nj, nk)
    return {
        "critical": crit,
        "error": err,
        "n_toys": int(n_toys),
        "cl": cl,
        "seconds": time.perf_counter() - t0,
    }


def interpolate_map(values, dm2_from, s22_from, dm2_to, s22_to) -> np.ndarray:
    """Bilinear interpolation in (log Δm², log sin²2θ) of a map onto another grid (clamped)."""
    ld, ls = np.log(dm2_from), np.log(s22_from)
    rows = np.array([np.interp(np.log(s22_to), ls, v) for v in np.asarray(values)])
    return np.array([np.interp(np.log(dm2_to), ld, rows[:, b]) for b in range(len(s22_to))]).T


def sterile_coverage_at(
    a0,
    a1_fit,
    bg,
    a1_true,
    s22_true,
    n_toys,
    *,
    seed=0,
    point=0,
    n_crit_toys=None,
    cl=0.95,
    level=CHI2_2DOF_95,
    sig_s=math.inf,
    sig_b=0.005,
) -> dict:
    """Coverage of the Wilks (Δχ² ≤ level) and FC regions at one true point (job level).

    The FC critical value comes from toys of block 1 of the point's stream, the
    coverage from independent toys of block 0 (sin²2θ profiled, Δm² on the rows
    of ``a1_fit``).

    Returns
    -------
    dict
        ``wilks`` and ``fc``: {coverage, error}; ``critical``, ``critical_error``, ``n``.
    """
    from .coverage import binomial
    from .feldman_cousins import critical_value_error, critical_values
    from .poisson_toys import STERILE_COMPONENT, block_rng

    kw = dict(sig_s=sig_s, sig_b=sig_b)
    t = fc_profiled_toys(
        a0,
        a1_fit,
        bg,
        a1_true,
        s22_true,
        n_toys,
        block_rng(seed, STERILE_COMPONENT, point, 0),
        **kw,
    )
    tc_toys = fc_profiled_toys(
        a0,
        a1_fit,
        bg,
        a1_true,
        s22_true,
        n_crit_toys or n_toys,
        block_rng(seed, STERILE_COMPONENT, point, 1),
        **kw,
    )
    tc = float(critical_values(tc_toys, cl))
    w = binomial(int(np.sum(t <= level)), t.size)
    f = binomial(int(np.sum(t <= tc)), t.size)
    return {
        "s22_true": float(s22_true),
        "wilks": {"coverage": w[0], "error": w[1]},
        "fc": {"coverage": f[0], "error": f[1]},
        "critical": tc,
        "critical_error": critical_value_error(tc_toys, cl),
        "n": int(t.size),
        "level": float(level),
    }
