"""Absolute rates: the bookkeeping of `nusource rate` against closed forms."""

import math

import pytest

from nusource.experiment import build_experiment, geometric_factor
from nusource.generator.flux_average import flux_averaged
from nusource.geometry import gf_spherical_shell
from nusource.jobs import rate
from nusource.runcard import load_card

from .support import CONFIGS

LAMA_SEED = [c for c in CONFIGS if c.endswith("lama_seed000.toml")][0]
BOREXINO = [c for c in CONFIGS if c.endswith("borexino_cr51.toml")][0]


def test_lama_seed_card_events_from_closed_forms():
    """N = decays × n_e × G × σ̄; decays, n_e and G checked independently.

    G of a point at the centre of a spherical shell is its thickness; averaged
    over the card's 10 cm cylinder it is the closed form for a point at distance
    ρ, ½[r + (r² − ρ²)/(2ρ)·ln((r + ρ)/(r − ρ))] between the shell's radii,
    integrated over the cylinder by scipy (the MC's 2e6 samples give it to 1e-5).
    """
    r = rate(LAMA_SEED, geometry_samples=2_000_000)
    # decays by hand: A₀τ(1 − e^{−t/τ}), 5 MCi of ¹⁴⁷Pm (T½ = 2.6234 y) for one year
    tau = 2.6234 * 365.25 * 86400 / math.log(2)
    decays = 5e6 * 3.7e10 * tau * -math.expm1(-365.25 * 86400 / tau)
    assert r["decays"] == pytest.approx(decays, rel=1e-12)
    assert r["electron_density_cm3"] == pytest.approx(3.67 * 2.571e23, rel=2e-3)
    g = _g_shell_over_cylinder(25.0, 34.662021, 5.0, 5.0)
    assert 34.662021 - 25.0 < g < 1.01 * (34.662021 - 25.0)
    assert r["geometric_factor_cm"] == pytest.approx(g, rel=1e-4)
    # σ̄ in 0-100 keV from an independent quadrature of the seed's ν̄e bracket (tree level)
    sigma = _pm147_sigma_by_quadrature(0.0, 0.1)
    assert r["sigma_cm2"] == pytest.approx(sigma, rel=1e-4)
    by_hand = decays * 3.67 * 2.571e23 * g * sigma
    assert r["signal_events"] == pytest.approx(by_hand, rel=2e-3)
    # Table 2 of seed 000 has 18,391 SM events in 0-100 keV: within 10 %
    assert r["signal_events"] == pytest.approx(18391.0, rel=0.10)


def _g_shell_over_cylinder(ri, ro, radius, half_height):
    """G [cm] of the shell ri ≤ r ≤ ro averaged over a uniform cylinder at its centre."""
    from scipy import integrate

    def g_ball(r, rho):
        if rho == 0.0:
            return r
        return 0.5 * (r + (r * r - rho * rho) / (2 * rho) * math.log((r + rho) / (r - rho)))

    def f(z, s):
        rho = math.hypot(s, z)
        return (g_ball(ro, rho) - g_ball(ri, rho)) * 2 * math.pi * s

    val, _ = integrate.dblquad(f, 0.0, radius, 0.0, half_height, epsabs=0, epsrel=1e-10)
    return val / (math.pi * radius**2 * half_height)


def _pm147_sigma_by_quadrature(tlo, thi):
    """Flux-averaged ν̄e–e σ̄ [cm²] of the LAMA seed card, by scipy (docs/physics.md §2, §4).

    The card's physics written out again: allowed ¹⁴⁷Pm spectrum with Q = 235 keV,
    Z_d = 62, the relativistic Fermi function with finite radius, tree couplings
    with s² = 0.2386, free electrons; integrated with scipy, independently of the
    project's spectrum and flux-average code.
    """
    from scipy import integrate, special

    me, q, z, a = 0.51099895, 0.235, 62, 147
    alpha, hbarc_fm = 1 / 137.035999, 197.3269804
    g = math.sqrt(1 - (alpha * z) ** 2)
    radius = 1.2 * a ** (1 / 3) / hbarc_fm  # in 1/MeV

    def fermi(w):
        p = math.sqrt(w * w - me * me)
        eta = alpha * z * w / p
        gam = abs(special.gamma(complex(g, eta))) ** 2
        return (
            2
            * (1 + g)
            * (2 * p * radius) ** (2 * g - 2)
            * math.exp(math.pi * eta)
            * gam
            / special.gamma(2 * g + 1) ** 2
        )

    def density(e):
        w = q + me - e
        if w <= me:
            return 0.0
        return fermi(w) * math.sqrt(w * w - me * me) * w * e * e

    s2 = 0.2386
    gl, gr = -0.5 + s2, s2
    g1, g2 = gr, gl + 1  # ν̄e
    s0 = 2 * 1.1663788e-11**2 * me / math.pi * 1.973269804e-11**2

    def dsdt(t, e):
        return s0 * (g1**2 + g2**2 * (1 - t / e) ** 2 - g1 * g2 * me * t / e**2)

    def sigma_of(e):
        tmax = 2 * e * e / (me + 2 * e)
        hi = min(thi, tmax)
        return integrate.quad(dsdt, tlo, hi, args=(e,))[0] if hi > tlo else 0.0

    norm = integrate.quad(density, 0, q, limit=200)[0]
    num = integrate.quad(lambda e: density(e) * sigma_of(e), 0, q, limit=200)[0]
    return num / norm


def test_borexino_geometric_factor_matches_a_point_at_ten_metres():
    card, _ = load_card(BOREXINO)
    exp = build_experiment(card, BOREXINO)
    g = geometric_factor(exp, samples=2_000_000)
    point = gf_spherical_shell(0.0, 300.476, 1000.0)
    # a 14 cm source at 10 m differs from a point by O((7/1000)²)
    assert abs(g.value_cm - point) < 4 * g.error_cm + 1e-4 * point


def test_rate_sigma_is_the_flux_average():
    card, _ = load_card(BOREXINO)
    exp = build_experiment(card, BOREXINO)
    r = rate(BOREXINO, geometry_samples=100_000)
    assert r["sigma_cm2"] == flux_averaged(exp.spectrum, exp.model, *exp.window_mev).total
    assert r["window_kev"][0] == 100.0
    assert r["window_kev"][1] == pytest.approx(2 * 0.7518**2 / (0.51099895 + 2 * 0.7518) * 1e3)
    assert math.isfinite(r["signal_events"])
