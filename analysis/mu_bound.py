"""Upper limits of a one-parameter binned analysis, and the LXe magnetic-moment bound.

A :class:`OneParameterModel` holds the templates of :mod:`.profile_fit`
(signal parts T0, T1, T2 and background templates, all in events per bin)
with the pulls of the normalisations.  :func:`fit_block` fits a block of toys
(or real data) in numba: the best fit θ̂ ≥ 0, the upper limit θ_up with
q(θ_up) = level, and q at a list of true values.

The LXe μν analysis (seed 004; docs/physics.md §8): Poisson likelihood in 0.1 keV
bins of reconstructed energy from the threshold to 140 keV, signal
s·(SM + μ²·magnetic), backgrounds with pulls, θ = (μν/unit)², unit = 1e-11 μ_B.

Convention: the quoted 95 % CL limit is one-sided, q(θ_up) = 2.71 (the 90 %
quantile of χ²₁; Wilks with the boundary θ ≥ 0 taken into account by fitting
θ̂ ≥ 0); ``level = 3.84`` gives the two-sided convention of seed 000.
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit

from .feldman_cousins import CHI2_1DOF_90
from .profile_fit import basis, chi2_eval, newton_fit, upper_limit

MU_UNIT = 1e-11
"""Unit of μν [μ_B] in θ = (μν/MU_UNIT)² of the LXe bound."""


@dataclass(frozen=True)
class OneParameterModel:
    """Templates of ν_i = s·(T0 + θ·T1 + θ²·T2) + Σ_k b_k·B_k (events per bin).

    Attributes
    ----------
    t0, t1, t2 : ndarray, shape (m,)
        Signal parts.
    backgrounds : ndarray, shape (K, m)
        Background templates at b_k = 1 (K may be 0).
    sig_norm_sigma : float
        Pull σ of s (fraction; 0 fixes s; inf leaves it free).
    bkg_sigmas : ndarray, shape (K,)
        Pull σ of each b_k (likewise).
    """

    t0: np.ndarray
    t1: np.ndarray
    t2: np.ndarray
    backgrounds: np.ndarray
    sig_norm_sigma: float = 0.01
    bkg_sigmas: np.ndarray = None

    def __post_init__(self):
        m = np.asarray(self.t0).size
        for name in ("t0", "t1", "t2"):
            a = np.ascontiguousarray(getattr(self, name), dtype=float)
            if a.shape != (m,):
                raise ValueError(f"{name}: need shape ({m},), got {a.shape}")
            object.__setattr__(self, name, a)
        bk = np.ascontiguousarray(self.backgrounds, dtype=float).reshape(-1, m)
        object.__setattr__(self, "backgrounds", bk)
        sb = np.zeros(bk.shape[0]) if self.bkg_sigmas is None else self.bkg_sigmas
        sb = np.broadcast_to(np.asarray(sb, dtype=float), (bk.shape[0],)).copy()
        if np.any(~(sb >= 0)) or not self.sig_norm_sigma >= 0:
            raise ValueError("pull widths must be ≥ 0 (0 fixes, inf frees)")
        object.__setattr__(self, "bkg_sigmas", sb)
        eb, pm = basis(self.t0, self.t1, self.t2, bk)
        object.__setattr__(self, "_eb", eb)
        object.__setattr__(self, "_pm", pm)

    @classmethod
    def magnetic(cls, sm, mag_per_mub2, backgrounds=(), *, mu_unit=MU_UNIT, **pulls):
        """The μν model: T0 = SM, T1 = magnetic per mu_unit², T2 = 0 (θ = (μν/mu_unit)²)."""
        sm = np.asarray(sm, dtype=float)
        bk = np.asarray(backgrounds, dtype=float).reshape(-1, sm.size)
        t1 = np.asarray(mag_per_mub2, dtype=float) * mu_unit**2
        return cls(sm, t1, np.zeros_like(sm), bk, **pulls)

    @property
    def n_par(self) -> int:
        return 2 + self.backgrounds.shape[0]

    @property
    def sig(self) -> np.ndarray:
        """Pull widths per parameter (θ first: unused)."""
        return np.concatenate([[1.0, self.sig_norm_sigma], self.bkg_sigmas])

    def expected(self, theta: float = 0.0, s: float = 1.0, b=None) -> np.ndarray:
        """ν_i at (θ, s, b) (b defaults to ones)."""
        b = np.ones(self.backgrounds.shape[0]) if b is None else np.asarray(b, dtype=float)
        return s * (self.t0 + theta * (self.t1 + theta * self.t2)) + b @ self.backgrounds

    def draw_aux(self, rng: np.random.Generator, n_toys: int) -> np.ndarray:
        """Pull centres of toys, shape (n_toys, n_par): N(1, σ) for each pulled normalisation.

        The true nuisances are 1; column 0 is unused.
        """
        sig = self.sig
        cen = np.ones((n_toys, self.n_par))
        pulled = (sig > 0) & np.isfinite(sig)
        pulled[0] = False
        z = rng.standard_normal((n_toys, int(pulled.sum())))
        cen[:, pulled] += z * sig[pulled]
        return cen


@jit
def fit_block(
    n, eb, pm, sig, aux, thetas, level, theta_min, out_hat, out_min, out_up, out_q, out_ok
):
    """Fit toys: θ̂ (≥ theta_min), χ²_min, θ_up (q = level) and q(θ_j) for each θ_j.

    Parameters
    ----------
    n : ndarray, shape (n_toys, m)
        Counts.
    eb, pm : the model's basis and its products (:func:`~.profile_fit.basis`).
    sig : ndarray, shape (n_par,)
        Pull widths (see :class:`OneParameterModel`).
    aux : ndarray, shape (n_toys, n_par)
        Pull centres of each toy.
    thetas : ndarray, shape (J,)
        True values at which q is wanted.
    level : float
        Critical q of the upper limit (≤ 0: no upper limit).
    theta_min : float
        Physical bound of θ.
    out_hat, out_min, out_up : ndarray, shape (n_toys,)
    out_q : ndarray, shape (n_toys, J)
    out_ok : ndarray of bool, shape (n_toys,)
        All fits of the toy converged.
    """
    p = sig.shape[0]
    x = np.empty(p)
    y = np.empty(p)
    g = np.empty(p)
    h = np.empty((p, p))
    g2 = np.empty(p)
    h2 = np.empty((p, p))
    for t in range(n.shape[0]):
        cen = aux[t]
        for j in range(p):
            x[j] = 1.0
        x[0] = max(thetas[0] if thetas.shape[0] > 0 else 0.0, theta_min)
        v, ok, _b = newton_fit(n[t], eb, pm, x, sig, cen, False, theta_min, 60, 1e-9, g, h)
        out_hat[t] = x[0]
        out_min[t] = v
        okall = ok
        if level > 0.0:
            out_up[t] = upper_limit(n[t], eb, pm, x, v, h, sig, cen, level, 30, 1e-5)
            okall = okall and math.isfinite(out_up[t])
        for j in range(thetas.shape[0]):
            for k in range(p):
                y[k] = x[k]
            y[0] = thetas[j]
            vj, okj, _b = newton_fit(n[t], eb, pm, y, sig, cen, True, theta_min, 60, 1e-9, g2, h2)
            out_q[t, j] = max(vj - v, 0.0)
            okall = okall and okj
        out_ok[t] = okall


def fit_counts(
    model: OneParameterModel, counts, aux=None, *, thetas=(), level=CHI2_1DOF_90, theta_min=0.0
) -> dict:
    """Fit a block of toys (or one data set) with :func:`fit_block`.

    Parameters
    ----------
    model : OneParameterModel
    counts : ndarray, shape (n_toys, m) or (m,)
    aux : ndarray, shape (n_toys, n_par), optional
        Pull centres (default 1: real data or Asimov).
    thetas : sequence of float
        True values where q(θ) is returned.
    level : float
        Critical value of the upper limit (2.71: one-sided 95 %; ≤ 0: none).
    theta_min : float
        Physical bound of θ (−inf: none).

    Returns
    -------
    dict
        ``theta_hat``, ``chi2_min``, ``theta_up`` (n_toys,), ``q`` (n_toys, J), ``ok``.
    """
    n = np.atleast_2d(np.asarray(counts, dtype=float))
    nt = n.shape[0]
    aux = np.ones((nt, model.n_par)) if aux is None else np.asarray(aux, dtype=float)
    th = np.asarray(thetas, dtype=float).reshape(-1)
    out = {
        "theta_hat": np.empty(nt),
        "chi2_min": np.empty(nt),
        "theta_up": np.full(nt, np.nan),
        "q": np.empty((nt, th.size)),
        "ok": np.zeros(nt, dtype=bool),
    }
    fit_block(
        n,
        model._eb,
        model._pm,
        model.sig,
        aux,
        th,
        float(level),
        float(theta_min),
        out["theta_hat"],
        out["chi2_min"],
        out["theta_up"],
        out["q"],
        out["ok"],
    )
    return out


def asimov_upper_limit(model: OneParameterModel, *, level=CHI2_1DOF_90, theta_true=0.0) -> float:
    """θ_up of the Asimov data set ν(θ_true) (the median expected limit, asymptotically)."""
    r = fit_counts(model, model.expected(theta_true), level=level)
    return float(r["theta_up"][0])


def profile_q(model: OneParameterModel, counts, thetas, aux=None) -> np.ndarray:
    """q(θ) of one data set on a scan of θ (profiled nuisances), shape (J,)."""
    return fit_counts(model, counts, aux, thetas=thetas, level=0.0)["q"][0]


def chi2_at(model: OneParameterModel, counts, x, aux=None) -> float:
    """χ² of one data set at parameters x = (θ, s, b…) (no fit; for cross-checks)."""
    p = model.n_par
    g, h = np.empty(p), np.empty((p, p))
    cen = np.ones(p) if aux is None else np.asarray(aux, dtype=float)
    n = np.asarray(counts, dtype=float)
    return chi2_eval(
        n, model._eb, model._pm, np.asarray(x, dtype=float), model.sig, cen, True, g, h
    )


def mu_of_theta(theta, mu_unit=MU_UNIT):
    """μν [μ_B] of θ = (μν/mu_unit)² (nan for θ < 0)."""
    th = np.asarray(theta, dtype=float)
    with np.errstate(invalid="ignore"):
        return mu_unit * np.sqrt(th)


def lxe_edges_kev(threshold_kev: float, stop_kev: float = 140.0, step_kev: float = 0.1):
    """Bin edges [keV] from the threshold to ``stop_kev`` in ``step_kev`` bins (last bin may be
    shorter)."""
    n = int(math.ceil((stop_kev - threshold_kev) / step_kev - 1e-9))
    e = threshold_kev + step_kev * np.arange(n + 1)
    e[-1] = min(e[-1], stop_kev)
    return e


def card_expectation(card_path, edges_kev, *, geometry_samples=None):
    """SM and magnetic (per μ_B²) expected events per bin of reconstructed energy for a run card.

    The quadrature of :mod:`.expectation` with the card's binding, Gaussian
    resolution and threshold (:func:`~.run_analysis.expectation_for`), for the
    card's exposure.

    Parameters
    ----------
    card_path : path
        Run card (e.g. ``configs/lxe_cr51.toml``).
    edges_kev : ndarray
        Bin edges [keV].
    geometry_samples : int, optional
        Monte Carlo samples of the geometric factor (default: the card's).

    Returns
    -------
    dict
        ``sm``, ``mag`` (events per bin, mag per μ_B²), ``edges_kev``, ``exposure_per_cm2``.
    """
    from pathlib import Path

    from nusource.experiment import (
        build_experiment,
        detector_response,
        exposure_per_cm2,
        geometric_factor,
    )
    from nusource.runcard import parse_card

    from .run_analysis import expectation_for

    exp = build_experiment(parse_card(Path(card_path).read_text(), str(card_path)))
    g = geometric_factor(exp, samples=geometry_samples)
    x = exposure_per_cm2(exp, g)
    edges = np.asarray(edges_kev, dtype=float)
    ex = expectation_for(exp, detector_response(exp), edges * 1e-3, field="erec", exposure=x)
    return {"sm": ex.sm, "mag": ex.mag, "edges_kev": edges, "exposure_per_cm2": x}


def mu_bound_vs_threshold(
    sm,
    mag,
    backgrounds,
    edges_kev,
    thresholds_kev,
    *,
    sig_norm_sigma=0.01,
    bkg_sigmas=0.005,
    level=CHI2_1DOF_90,
    mu_unit=MU_UNIT,
    n_toys=0,
    seed=0,
    workers=1,
) -> dict:
    """The 95 % CL μν upper limit versus threshold (job-level: plain arrays in, dict out).

    Parameters
    ----------
    sm, mag : ndarray, shape (m,)
        SM events and magnetic events per μ_B² in bins starting at or below the
        lowest threshold (0.1 keV bins for seed 004).
    backgrounds : ndarray, shape (K, m)
        Background events per bin, one row per component.
    edges_kev : ndarray, shape (m + 1,)
        Bin edges [keV]; each threshold must be one of them (the fit uses the
        bins above it).
    thresholds_kev : sequence of float
    sig_norm_sigma, bkg_sigmas : float
        Pulls of the signal and background normalisations.
    level : float
        q at the limit (2.71: one-sided 95 % CL; 3.84: the two-sided convention).
    mu_unit : float
        Unit of θ = (μν/mu_unit)² [μ_B] (numerical scaling only).
    n_toys : int
        Toys (no signal) per threshold for the median and 68 % band of the limit; 0: Asimov only.
    seed, workers : int

    Returns
    -------
    dict
        ``mu_bound_95`` {threshold string: Asimov limit [μ_B]} and, with toys,
        ``toys`` {threshold: {median, q16, q84, n}}; ``convention``.
    """
    from .coverage import run_blocks

    edges = np.asarray(edges_kev, dtype=float)
    bk = np.asarray(backgrounds, dtype=float).reshape(-1, len(sm))
    out = {"mu_bound_95": {}, "convention": f"one parameter, q(mu2_up) = {level:.4g}"}
    if n_toys:
        out["toys"] = {}
    for j, thr in enumerate(thresholds_kev):
        i0 = int(np.argmin(np.abs(edges - thr)))
        if abs(edges[i0] - thr) > 1e-6 * max(1.0, thr):
            raise ValueError(f"threshold {thr} keV is not a bin edge")
        model = OneParameterModel.magnetic(
            np.asarray(sm)[i0:],
            np.asarray(mag)[i0:],
            bk[:, i0:],
            mu_unit=mu_unit,
            sig_norm_sigma=sig_norm_sigma,
            bkg_sigmas=bkg_sigmas,
        )
        key = f"{thr:g}"
        out["mu_bound_95"][key] = float(
            mu_of_theta(asimov_upper_limit(model, level=level), mu_unit)
        )
        if n_toys:
            r = run_blocks(model, 0.0, n_toys, seed=seed, point=j, level=level, workers=workers)
            mu = mu_of_theta(r["theta_up"][r["ok"]], mu_unit)
            out["toys"][key] = {
                "median": float(np.median(mu)),
                "q16": float(np.quantile(mu, 0.16)),
                "q84": float(np.quantile(mu, 0.84)),
                "n": int(mu.size),
            }
    return out
