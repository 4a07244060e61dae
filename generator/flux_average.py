"""Flux-averaged cross sections in a recoil window (exact quadrature).

σ̄ = Σ_lines P_k·σ_w(E_k) + ∫ f(E)·σ_w(E) dE  per neutrino [cm² per electron],
σ_w(E) = ∫_{T_lo}^{min(T_hi, T_max(E))} dσ/dT dT.

The weak parts are integrated over T by Gauss–Legendre (exact for tree-level
couplings, whose dσ/dT is quadratic in T; the radiative κ(T) is smooth), the
magnetic part in closed form, ∫(1/T − 1/E)dT = ln(b/a) − (b − a)/E.  Over E the
piecewise-linear spectrum is integrated interval by interval, split where
σ_w has kinks (E_min(T_lo) and E_min(T_hi)).
"""

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit

from .constants import SIGMA_MU
from .kinematics import e_min, t_max
from .model import P_LINEAR, P_MU2, PhysicsModel
from .neutrino_spectrum import NuSpectrum
from .xsec import dsigma_parts
from .zprime import ZPrime

_T_NODES, _T_WEIGHTS = np.polynomial.legendre.leggauss(48)
_E_NODES, _E_WEIGHTS = np.polynomial.legendre.leggauss(10)


@jit
def window_parts(e, tlo, thi, p, nodes, weights):
    """∫ of the reweighting parts of dσ/dT over [tlo, min(thi, T_max(e))].

    Returns (sm, mag_per_mu2, zlin_per_gamma, zquad_per_gamma2) in cm².
    """
    b = min(thi, t_max(e))
    if b <= tlo:
        return 0.0, 0.0, 0.0, 0.0
    half, mid = 0.5 * (b - tlo), 0.5 * (b + tlo)
    sm = zl = zq = 0.0
    for k in range(nodes.shape[0]):
        s, _, c1, c2 = dsigma_parts(mid + half * nodes[k], e, p)
        sm += weights[k] * s
        zl += weights[k] * c1
        zq += weights[k] * c2
    mag = 0.0
    if tlo > 0.0:
        mag = SIGMA_MU * (math.log(b / tlo) - (b - tlo) / e)
    return sm * half, mag, zl * half, zq * half


@jit
def _spectrum_parts(grid, dens, tlo, thi, p, tn, tw, en, ew, out):
    """Accumulate ∫f(E)·(parts of σ_w(E)) dE of a piecewise-linear f into out[0:4]."""
    k1, k2 = e_min(tlo) if tlo > 0.0 else 0.0, e_min(thi)
    for i in range(grid.shape[0] - 1):
        e0, e1 = grid[i], grid[i + 1]
        if e1 <= e0 or (dens[i] == 0.0 and dens[i + 1] == 0.0) or e1 <= k1:
            continue
        cuts = [e0]
        for k in (k1, k2):
            if e0 < k < e1:
                cuts.append(k)
        cuts.append(e1)
        slope = (dens[i + 1] - dens[i]) / (e1 - e0)
        for j in range(len(cuts) - 1):
            a, b = cuts[j], cuts[j + 1]
            half, mid = 0.5 * (b - a), 0.5 * (b + a)
            for m in range(en.shape[0]):
                e = mid + half * en[m]
                f = (dens[i] + slope * (e - e0)) * ew[m] * half
                s, mg, zl, zq = window_parts(e, tlo, thi, p, tn, tw)
                out[0] += f * s
                out[1] += f * mg
                out[2] += f * zl
                out[3] += f * zq


@dataclass(frozen=True)
class FluxAveraged:
    """Flux-averaged cross sections per neutrino [cm² per electron].

    Attributes
    ----------
    sm : SM weak part
    mag_unit : magnetic part per μ_B²
    zlin_unit, zquad_unit : Z′ change per γ and per γ² (model's E6 β / LR)
    total : the model's total (SM + Z′ + μ²·magnetic)
    zprime : the model's Z′ change (total weak − SM)
    mu : the model's magnetic part
    tmin_mev, tmax_mev : the window used (tmax clipped to T_max of the spectrum)
    """

    sm: float
    mag_unit: float
    zlin_unit: float
    zquad_unit: float
    total: float
    zprime: float
    mu: float
    tmin_mev: float
    tmax_mev: float


def flux_averaged(
    spectrum: NuSpectrum, model: PhysicsModel, tmin_mev: float = 0.0, tmax_mev: float = math.inf
) -> FluxAveraged:
    """Flux-averaged cross section of a spectrum in the recoil window [tmin, tmax] MeV."""
    from nusource.core.table_cache import cached_arrays

    p = model.params()
    arrays = (spectrum.line_energy, spectrum.line_prob, spectrum.cont_energy, spectrum.cont_density)
    inputs = [
        [
            hashlib.sha256(np.ascontiguousarray(a, dtype=float).tobytes()).hexdigest()
            for a in arrays
        ],
        [float(tmin_mev), float(tmax_mev)],
        hashlib.sha256(np.ascontiguousarray(p, dtype=float).tobytes()).hexdigest(),
    ]
    (parts,) = cached_arrays(
        "flux_averaged_parts",
        inputs,
        lambda: (_parts(spectrum, p, tmin_mev, tmax_mev),),
        modules=(__name__, "nusource.generator.xsec", "nusource.generator.kinematics"),
    )
    sm, mag, zl, zq = (float(x) for x in parts)
    zp = 0.0
    if model.zprime is not None:
        g = model.zprime.gamma
        zp = g * zl + (0.0 if p[P_LINEAR] else g * g * zq)
    mu = p[P_MU2] * mag
    return FluxAveraged(
        sm=sm,
        mag_unit=mag,
        zlin_unit=zl,
        zquad_unit=zq,
        total=sm + zp + mu,
        zprime=zp,
        mu=mu,
        tmin_mev=tmin_mev,
        tmax_mev=min(tmax_mev, float(getattr(t_max, "py_func", t_max)(spectrum.max_energy))),
    )


def _parts(spectrum: NuSpectrum, p: np.ndarray, tmin_mev: float, tmax_mev: float) -> np.ndarray:
    """The flux-averaged SM, magnetic, Z′-linear and Z′-quadratic parts [cm²], shape (4,)."""
    parts = np.zeros(4)
    for e, w in zip(spectrum.line_energy, spectrum.line_prob, strict=True):
        parts += w * np.array(window_parts(e, tmin_mev, tmax_mev, p, _T_NODES, _T_WEIGHTS))
    if spectrum.cont_energy.size:
        _spectrum_parts(
            spectrum.cont_energy,
            spectrum.cont_density,
            tmin_mev,
            tmax_mev,
            p,
            _T_NODES,
            _T_WEIGHTS,
            _E_NODES,
            _E_WEIGHTS,
            parts,
        )
    return parts


def zprime_change(fa: FluxAveraged, zprime: ZPrime) -> float:
    """The Z′ change of σ̄ for another mass of the same model (from the stored parts)."""
    g = zprime.gamma
    return g * fa.zlin_unit + (0.0 if zprime.form == "linear" else g * g * fa.zquad_unit)
