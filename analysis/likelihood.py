"""Binned likelihood of a spectrum with signal parts, background and nuisances.

Prediction per bin (parameters s, b, mu2, gamma):

    ν_i = s·(sm_i + mu2·mag_i + γ·zlin_i + γ²·zquad_i) + b·B_i,

mag in events per ``mu_unit``² (so mu2 = (μν/mu_unit)², default unit
1e-10 μ_B), γ = M_Z²/M_Z′², s the signal normalisation (source activity ×
exposure), b the background normalisation.  The 'linear' Z′ form drops γ².

Statistic: −2 ln λ (errordef 1), one of

- ``'poisson'`` (default), the saturated-model form
  2Σ[μ_i − n_i + n_i ln(n_i/μ_i)] (0 for a perfect fit; 2μ_i where n_i = 0);
- ``'gaussian'``, Σ (n_i − ν_i)²/V_i with V_i = n_i (``variance='data'``,
  Neyman; 1 where n_i ≤ 0) or V_i = ν_i (``variance='model'``, Pearson).

Nuisance parameters:

- signal normalisation with a Gaussian pull ((s − s₀)/σ_s)², σ_s = 1 % by
  default (the activity of a source is known to ~1 %, seed 000);
  ``sig_norm_sigma=0`` fixes s, ``None`` leaves it free without a pull;
- background normalisation likewise (default fixed);
- an uncorrelated systematic error per bin, fractional δ_i: a multiplicative
  nuisance β_i per bin, μ_i = β_i·ν_i, with pull ((β_i − a_i)/δ_i)².  The β_i
  are profiled *analytically*, so a fit only sees (s, b, mu2, gamma):

  * Poisson: ∂/∂β_i = 0 is β² + (ν δ² − a)β − n δ² = 0, whose positive root
    is taken in a cancellation-free form;
  * Gaussian: min_β (n − βν)²/V + (β − a)²/δ² = (n − aν)²/(V + δ²ν²), the
    familiar statistical and systematic errors added in quadrature (the
    treatment of Miranda, Semikoz, Valle, PRD 58 (1998) 013007, used by seed 000).

The centres s₀, b₀, a_i of the pulls (auxiliary measurements) are 1 for real
data and an Asimov data set, and are drawn anew for each toy experiment.
The gradient follows from the envelope theorem (∂/∂β_i = 0 at the profile).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit

PARAMETERS = ("s", "b", "mu2", "gamma")
"""Parameters of :class:`BinnedNLL`, in call order."""

FORMS = {"poisson": 0, "gaussian": 1}
VARIANCES = {"data": 0, "model": 1}


@jit
def neg2lnl(n, sig, bkg, s, b, mu2, gamma, linear, syst, aux_beta, form, var_model, grad, beta):
    """−2 ln λ of the bins, profiled over the per-bin nuisances β_i.

    Parameters
    ----------
    n : ndarray, shape (m,)
        Observed counts.
    sig : ndarray, shape (4, m)
        Signal parts (sm, mag per mu_unit², zlin, zquad) [events].
    bkg : ndarray, shape (m,)
        Background [events].
    s, b, mu2, gamma : float
        Parameters (see module docstring).
    linear : bool
        Drop the γ² part.
    syst : ndarray, shape (m,)
        Fractional systematic error per bin (0: no β_i).
    aux_beta : ndarray, shape (m,)
        Centres a_i of the β_i pulls.
    form : int
        0 Poisson, 1 Gaussian.
    var_model : bool
        Gaussian variance from the model (True) or the data (False).
    grad : ndarray, shape (4,)
        Filled with ∂/∂(s, b, mu2, gamma).
    beta : ndarray, shape (m,)
        Filled with the profiled β_i (a_i-weighted value for the Gaussian form).

    Returns
    -------
    float
    """
    g2 = 0.0 if linear else gamma * gamma
    dg2 = 0.0 if linear else 2.0 * gamma
    total = 0.0
    for k in range(4):
        grad[k] = 0.0
    for i in range(n.shape[0]):
        si = sig[0, i] + mu2 * sig[1, i] + gamma * sig[2, i] + g2 * sig[3, i]
        nu = s * si + b * bkg[i]
        ni = n[i]
        d = syst[i]
        d2 = d * d
        a = aux_beta[i] if d > 0.0 else 1.0
        if form == 0:
            nu = max(nu, 1e-300)
            if d > 0.0:
                c = a - nu * d2
                r = math.sqrt(c * c + 4.0 * ni * d2)
                be = 0.5 * (c + r) if c >= 0.0 else 2.0 * ni * d2 / (r - c)
            else:
                be = 1.0
            mu = be * nu
            t = mu - ni
            if ni > 0.0:
                t += ni * math.log(ni / mu)
            t *= 2.0
            if d > 0.0:
                t += (be - a) * (be - a) / d2
            dnu = 2.0 * be - 2.0 * ni / nu
        else:
            v = nu if var_model else (ni if ni > 0.0 else 1.0)
            den = v + d2 * nu * nu
            r = ni - a * nu
            t = r * r / den
            dv = 1.0 if var_model else 0.0
            dnu = -2.0 * a * r / den - r * r * (dv + 2.0 * d2 * nu) / (den * den)
            be = (ni * nu * d2 + a * v) / (nu * nu * d2 + v) if d > 0.0 else 1.0
        beta[i] = be
        total += t
        grad[0] += dnu * si
        grad[1] += dnu * bkg[i]
        grad[2] += dnu * s * sig[1, i]
        grad[3] += dnu * s * (sig[2, i] + dg2 * sig[3, i])
    return total


@dataclass(frozen=True)
class BinnedModel:
    """Signal parts and background per bin.

    Attributes
    ----------
    signal : ndarray, shape (4, m)
        (sm, mag per mu_unit², zlin per γ, zquad per γ²) [events].
    background : ndarray, shape (m,)
        Background [events] at b = 1.
    edges_mev : ndarray, shape (m + 1,)
        Bin edges [MeV].
    mu_unit : float
        Unit of μν in the parameter mu2 = (μν/mu_unit)² [μ_B].
    linear : bool
        Z′ to first order in γ only.
    magnetic : bool
        False when the magnetic part is infinite (bins reached from T → 0)
        and was set to 0: then mu2 cannot be fitted.
    """

    signal: np.ndarray
    background: np.ndarray
    edges_mev: np.ndarray
    mu_unit: float = 1e-10
    linear: bool = False
    magnetic: bool = True

    @classmethod
    def from_parts(
        cls,
        parts,
        *,
        background: Sequence[float] | None = None,
        mu_unit: float = 1e-10,
        linear: bool = False,
    ) -> "BinnedModel":
        """From an :class:`~.expectation.Expectation` or :class:`~.templates.Template`.

        Parameters
        ----------
        parts : Expectation or Template
            Its ``parts`` (mag per μ_B²) and ``edges_mev``.
        background : sequence of float, optional
            Background events per bin (default none).
        mu_unit : float
            Unit of μν for the parameter mu2 [μ_B].
        linear : bool
            Z′ to first order in γ.
        """
        sig = np.array(parts.parts, dtype=float)
        sig[1] *= mu_unit * mu_unit
        magnetic = bool(np.all(np.isfinite(sig[1])))
        if not magnetic:  # bins reached from T → 0: ∫dT/T diverges
            sig[1] = 0.0
        m = sig.shape[1]
        bkg = np.zeros(m) if background is None else np.asarray(background, dtype=float)
        if bkg.shape != (m,):
            raise ValueError(f"background: need {m} bins, got shape {bkg.shape}")
        return cls(sig, bkg, np.asarray(parts.edges_mev, dtype=float), mu_unit, linear, magnetic)

    @property
    def n_bins(self) -> int:
        return self.signal.shape[1]

    def expected(
        self, *, s: float = 1.0, b: float = 1.0, mu2: float = 0.0, gamma: float = 0.0
    ) -> np.ndarray:
        """Expected events per bin ν_i."""
        g2 = 0.0 if self.linear else gamma * gamma
        sig = self.signal
        return s * (sig[0] + mu2 * sig[1] + gamma * sig[2] + g2 * sig[3]) + b * self.background

    def scaled(self, factor: float) -> "BinnedModel":
        """The same model for an exposure ``factor`` times larger (signal and background)."""
        return BinnedModel(
            factor * self.signal,
            factor * self.background,
            self.edges_mev,
            self.mu_unit,
            self.linear,
            self.magnetic,
        )


def _sigma_ok(value, name):
    if value is None:
        return None
    value = float(value)
    if not value >= 0.0:
        raise ValueError(f"{name}: {value} is not allowed; give σ ≥ 0 (0 fixes it) or None (free)")
    return None if math.isinf(value) else value


class BinnedNLL:
    """−2 ln λ of binned data as a function of (s, b, mu2, gamma), for iminuit.

    Parameters
    ----------
    model : BinnedModel
    data : sequence of float, shape (m,)
        Observed counts (or an Asimov data set).
    form : {'poisson', 'gaussian'}
    sig_norm_sigma : float or None
        Pull σ of the signal normalisation (fraction; 0 fixes s; None: free).
    bkg_norm_sigma : float or None
        Pull σ of the background normalisation (0 fixes b; None: free).
    syst : float or sequence of float
        Fractional uncorrelated systematic error per bin (0: none).
    variance : {'data', 'model'}
        Statistical variance of the Gaussian form.
    sig_aux, bkg_aux : float
        Centres of the normalisation pulls (1 for data; drawn for toys).
    beta_aux : sequence of float, optional
        Centres of the per-bin pulls (default 1).

    Notes
    -----
    Its configuration is fixed at construction (``with_data`` makes a copy for
    other data); ``errordef = 1`` (a −2 ln λ).  ``grad`` gives the analytic
    gradient, ``profiled_beta`` the per-bin nuisances at a point.  A call
    writes into small scratch buffers of the instance: use one instance per
    thread.  The parameter of interest for a magnetic moment is mu2 =
    (μν/mu_unit)², allowed negative in fits (unbiased pulls); μν =
    mu_unit·√mu2 in the physical region.
    """

    errordef = 1.0

    def __init__(
        self,
        model: BinnedModel,
        data,
        *,
        form: str = "poisson",
        sig_norm_sigma: float | None = 0.01,
        bkg_norm_sigma: float | None = 0.0,
        syst=0.0,
        variance: str = "data",
        sig_aux: float = 1.0,
        bkg_aux: float = 1.0,
        beta_aux=None,
    ):
        if form not in FORMS:
            raise ValueError(f"form: '{form}' is not one of {', '.join(FORMS)}")
        if variance not in VARIANCES:
            raise ValueError(f"variance: '{variance}' is not one of {', '.join(VARIANCES)}")
        m = model.n_bins
        n = np.asarray(data, dtype=float)
        if n.shape != (m,):
            raise ValueError(f"data: need {m} bins, got shape {n.shape}")
        sy = np.broadcast_to(np.asarray(syst, dtype=float), (m,)).copy()
        if np.any(~(sy >= 0.0)):
            raise ValueError("syst: the fractional error per bin must be ≥ 0")
        ba = np.ones(m) if beta_aux is None else np.asarray(beta_aux, dtype=float).copy()
        self.model = model
        self.data = n
        self.form = form
        self.variance = variance
        self.sig_norm_sigma = _sigma_ok(sig_norm_sigma, "sig_norm_sigma")
        self.bkg_norm_sigma = _sigma_ok(bkg_norm_sigma, "bkg_norm_sigma")
        self.syst = sy
        self.sig_aux = float(sig_aux)
        self.bkg_aux = float(bkg_aux)
        self.beta_aux = ba
        self._grad = np.zeros(4)
        self._beta = np.zeros(m)

    @property
    def fixed(self) -> tuple[str, ...]:
        """Parameters the configuration fixes: s if σ_s = 0; b if σ_b = 0 or no background."""
        out = []
        if self.sig_norm_sigma == 0.0:
            out.append("s")
        if self.bkg_norm_sigma == 0.0 or not np.any(self.model.background):
            out.append("b")
        return tuple(out)

    def with_data(self, data, *, sig_aux=1.0, bkg_aux=1.0, beta_aux=None) -> "BinnedNLL":
        """The same likelihood for other data and pull centres (toys)."""
        return BinnedNLL(
            self.model,
            data,
            form=self.form,
            sig_norm_sigma=self.sig_norm_sigma,
            bkg_norm_sigma=self.bkg_norm_sigma,
            syst=self.syst,
            variance=self.variance,
            sig_aux=sig_aux,
            bkg_aux=bkg_aux,
            beta_aux=beta_aux,
        )

    def _eval(self, s, b, mu2, gamma, grad, beta):
        v = neg2lnl(
            self.data,
            self.model.signal,
            self.model.background,
            s,
            b,
            mu2,
            gamma,
            self.model.linear,
            self.syst,
            self.beta_aux,
            FORMS[self.form],
            self.variance == "model",
            grad,
            beta,
        )
        if self.sig_norm_sigma:
            z = (s - self.sig_aux) / self.sig_norm_sigma
            v += z * z
            grad[0] += 2.0 * z / self.sig_norm_sigma
        if self.bkg_norm_sigma:
            z = (b - self.bkg_aux) / self.bkg_norm_sigma
            v += z * z
            grad[1] += 2.0 * z / self.bkg_norm_sigma
        return v

    def __call__(self, s, b, mu2, gamma):
        """−2 ln λ at (s, b, mu2, gamma)."""
        return self._eval(s, b, mu2, gamma, self._grad, self._beta)

    def grad(self, s, b, mu2, gamma):
        """Gradient of −2 ln λ with respect to (s, b, mu2, gamma)."""
        g = np.zeros(4)
        self._eval(s, b, mu2, gamma, g, np.zeros(self.model.n_bins))
        return g

    def profiled_beta(self, s=1.0, b=1.0, mu2=0.0, gamma=0.0) -> np.ndarray:
        """The per-bin nuisances β_i at the profile for these parameters."""
        beta = np.zeros(self.model.n_bins)
        self._eval(s, b, mu2, gamma, np.zeros(4), beta)
        return beta

    def fisher_errors(self, s=1.0, b=1.0, mu2=0.0, gamma=0.0) -> np.ndarray:
        """Rough errors 1/sqrt(F_kk) of (s, b, mu2, gamma) (Poisson Fisher diagonal, no
        nuisances), for Minuit's first steps."""
        mdl = self.model
        nu = np.maximum(mdl.expected(s=s, b=b, mu2=mu2, gamma=gamma), 1e-12)
        sig = mdl.signal
        g2 = 0.0 if mdl.linear else 2.0 * gamma
        d = np.stack(
            [
                sig[0]
                + mu2 * sig[1]
                + gamma * sig[2]
                + (0.0 if mdl.linear else gamma) * gamma * sig[3],
                mdl.background,
                s * sig[1],
                s * (sig[2] + g2 * sig[3]),
            ]
        )
        f = np.sum(d * d / nu, axis=1)
        with np.errstate(divide="ignore"):
            return np.where(f > 0, 1.0 / np.sqrt(f), 1.0)
