"""Differential ν–e cross sections on a free electron at rest (docs/physics.md §2).

Weak part (SM, or SM with a Z′ through shifted couplings):

    dσ/dT = S₀·[g₁² + g₂²(1 − T/E)² − g₁g₂·mₑT/E²],   0 < T ≤ T_max(E),

S₀ = 2G_F²mₑ/π·(ħc)²; (g₁, g₂) = (g_L, g_R) for ν and (g_R, g_L) for ν̄
(g_L includes the +1 of the charged current for electron flavour).

Magnetic part (incoherent): dσ_μ/dT = πr_e²·μ²·(1/T − 1/E), μ in μ_B.

All functions take the model array ``p`` of :mod:`.model`; cross sections are
in cm² per electron per MeV of recoil energy.
"""

from nusource.core.jit import jit

from .constants import M_E, SIGMA0, SIGMA_MU
from .couplings import radiative_i
from .kinematics import t_max
from .model import P_ANTI, P_CL, P_DL, P_DL1, P_DR, P_DR1, P_K0, P_K1, P_LINEAR, P_MU2, P_RS2


@jit
def weak_bracket(g1, g2, t, e):
    """The bracket g₁² + g₂²(1 − y)² − g₁g₂·(mₑ/E)·y, y = T/E."""
    y = t / e
    w = 1.0 - y
    return g1 * g1 + g2 * g2 * w * w - g1 * g2 * M_E * y / e


@jit
def couplings_at(t, p):
    """(g₁, g₂) of the model's SM couplings at recoil T, without Z′ shifts."""
    kappa = p[P_K0]
    if p[P_K1] != 0.0:
        kappa += p[P_K1] * radiative_i(t)
    gr = p[P_RS2] * kappa
    gl = p[P_CL] + gr
    if p[P_ANTI] != 0.0:
        return gr, gl
    return gl, gr


@jit
def zprime_shifts(p, per_unit_gamma):
    """(δ₁, δ₂): the Z′ shifts of (g₁, g₂), for the model's γ or per unit γ."""
    dl = p[P_DL1] if per_unit_gamma else p[P_DL]
    dr = p[P_DR1] if per_unit_gamma else p[P_DR]
    if p[P_ANTI] != 0.0:
        return dr, dl
    return dl, dr


@jit
def zprime_coefficients(g1, g2, d1, d2, t, e):
    """Coefficients (c₁, c₂) of γ and γ² in the change of the bracket.

    bracket(g + γd) − bracket(g) = γ·c₁ + γ²·c₂ with
    c₁ = 2g₁d₁ + 2g₂d₂(1−y)² − (g₁d₂ + g₂d₁)(mₑ/E)y and c₂ = bracket(d).
    c₁ is the seeds' D + E·y(y−2) − F·(mₑ/E)y (seed 000 eq. 14, seed 001 eq. 2.3).
    """
    y = t / e
    w = 1.0 - y
    r = M_E * y / e
    c1 = 2.0 * g1 * d1 + 2.0 * g2 * d2 * w * w - (g1 * d2 + g2 * d1) * r
    c2 = d1 * d1 + d2 * d2 * w * w - d1 * d2 * r
    return c1, c2


@jit
def dsigma_weak(t, e, p):
    """Weak dσ/dT [cm²/MeV] (SM with the model's Z′), 0 outside 0 < T ≤ T_max."""
    if t <= 0.0 or t > t_max(e):
        return 0.0
    g1, g2 = couplings_at(t, p)
    d1, d2 = zprime_shifts(p, False)
    if p[P_LINEAR] != 0.0:
        c1, _ = zprime_coefficients(g1, g2, d1, d2, t, e)
        return SIGMA0 * (weak_bracket(g1, g2, t, e) + c1)
    return SIGMA0 * weak_bracket(g1 + d1, g2 + d2, t, e)


@jit
def dsigma_magnetic_unit(t, e):
    """Magnetic dσ/dT for μν = 1 μ_B [cm²/MeV]: πr_e²(1/T − 1/E), 0 outside 0 < T ≤ T_max."""
    if t <= 0.0 or t > t_max(e):
        return 0.0
    return SIGMA_MU * (1.0 / t - 1.0 / e)


@jit
def dsigma_dt(t, e, p):
    """Total dσ/dT [cm²/MeV] of the model: weak (SM + Z′) + μν² × magnetic."""
    return dsigma_weak(t, e, p) + p[P_MU2] * dsigma_magnetic_unit(t, e)


@jit
def dsigma_parts(t, e, p):
    """The parts a reweighting needs, each in cm²/MeV.

    Returns
    -------
    sm : SM weak dσ/dT
    mag : magnetic dσ/dT per μ_B² (multiply by μ²)
    zlin, zquad : coefficients of γ and γ² of the Z′ change (per the model's
        E6 β or LR; multiply by γ and γ²).  The 'linear' form keeps only zlin.
    """
    if t <= 0.0 or t > t_max(e):
        return 0.0, 0.0, 0.0, 0.0
    g1, g2 = couplings_at(t, p)
    d1, d2 = zprime_shifts(p, True)
    c1, c2 = zprime_coefficients(g1, g2, d1, d2, t, e)
    return (
        SIGMA0 * weak_bracket(g1, g2, t, e),
        SIGMA_MU * (1.0 / t - 1.0 / e),
        SIGMA0 * c1,
        SIGMA0 * c2,
    )


@jit
def dsigma_dt_array(t, e, p, out):
    """Fill ``out[i] = dσ/dT(t[i], e[i])`` [cm²/MeV]."""
    for i in range(t.shape[0]):
        out[i] = dsigma_dt(t[i], e[i], p)
    return out


@jit
def dsigma_parts_array(t, e, p, sm, mag, zlin, zquad):
    """Fill the reweighting parts (see :func:`dsigma_parts`) for arrays of (T, E)."""
    for i in range(t.shape[0]):
        sm[i], mag[i], zlin[i], zquad[i] = dsigma_parts(t[i], e[i], p)
