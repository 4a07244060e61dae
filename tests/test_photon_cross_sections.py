"""Partial photon cross sections: sum = the geometry's total μ/ρ, published values, KN limit."""

import math

import numpy as np
import pytest
from scipy import integrate

from nusource.detsim.photons.cross_sections import (
    COH,
    INCOH,
    PAIR,
    PHOTO,
    build_tables,
    grid_energies,
    partial_mu_rho,
    total_mu_rho,
)
from nusource.geometry import MATERIAL_NAMES, get_material
from nusource.geometry.elements import AVOGADRO, element

R_E = 2.8179403262e-13  # classical electron radius [cm] (CODATA 2018)
ME = 0.51099895  # electron mass [MeV]

# μ/ρ with coherent [cm²/g] at 0.32 / 0.75 / 1.5 MeV (NIST XCOM, as quoted in docs/physics.md)
PUBLISHED = {
    "W": (0.286, 0.0859, 0.0500),
    "Cu": (0.107, 0.0682, 0.0480),
    "LXe": (0.163, 0.0700, 0.0459),
    "NaI": (0.152, 0.0704, 0.0470),
}


@pytest.mark.parametrize("name", MATERIAL_NAMES)
def test_partials_add_up_to_the_geometry_total(name):
    e = np.geomspace(0.01, 3.0, 997)
    ours = total_mu_rho(name, e)
    geometry = get_material(name).mu_rho(e)
    assert np.max(np.abs(ours / geometry - 1.0)) <= 0.01


@pytest.mark.parametrize("name", PUBLISHED)
def test_total_matches_published_xcom(name):
    ours = total_mu_rho(name, [0.32, 0.75, 1.5])
    assert np.all(np.abs(ours / np.array(PUBLISHED[name]) - 1.0) <= 0.01)


def klein_nishina_total(e_mev):
    """σ_KN per electron [cm²] (closed form)."""
    k = e_mev / ME
    a = (1 + k) / k**2 * (2 * (1 + k) / (1 + 2 * k) - math.log(1 + 2 * k) / k)
    return (
        2 * math.pi * R_E**2 * (a + math.log(1 + 2 * k) / (2 * k) - (1 + 3 * k) / (1 + 2 * k) ** 2)
    )


@pytest.mark.parametrize("symbol", ["Xe", "W", "Cu", "Na"])
@pytest.mark.parametrize("e", [1.0, 3.0, 10.0])
def test_incoherent_is_klein_nishina_at_mev(symbol, e):
    """Binding is negligible at MeV energies: σ_incoh → Z·σ_KN (within 1 %)."""
    z, a = element(symbol)
    from nusource.geometry import Material

    m = Material(symbol, 1.0, symbol)
    sigma_atom = partial_mu_rho(m, e)[INCOH] * a / AVOGADRO
    assert sigma_atom / (z * klein_nishina_total(e)) == pytest.approx(1.0, abs=0.01)


def test_pair_threshold_and_photo_dominance():
    p = partial_mu_rho("LXe", [0.02, 0.5, 1.0, 1.5, 10.0])
    assert p[PAIR, 0] == 0.0 and p[PAIR, 1] == 0.0 and p[PAIR, 2] == 0.0
    assert p[PAIR, 3] > 0.0 and p[PAIR, 4] > p[INCOH, 4] * 0.5
    assert p[PHOTO, 0] > 10 * (p[INCOH, 0] + p[COH, 0])


def test_kernel_grid_reproduces_the_partials():
    t = build_tables(["W", "LXe"])
    e = grid_energies()
    for j, name in enumerate(["W", "LXe"]):
        p = partial_mu_rho(name, e) * get_material(name).density_g_cm3
        assert np.allclose(t.mu[j, :, 1:], p.T, rtol=1e-12, atol=0)
        assert np.allclose(t.mu[j, :, 0], p.sum(axis=0), rtol=1e-12)
    # between nodes (away from edges) linear interpolation on the grid is within 1e-4
    rng = np.random.default_rng(3)
    x = np.exp(rng.uniform(math.log(0.1), math.log(10.0), 2000))
    g = (np.log(x) - math.log(0.01)) / (math.log(1000.0) / (e.size - 1))
    i = np.minimum(g.astype(int), e.size - 2)
    f = g - i
    lin = t.mu[1, i, 0] * (1 - f) + t.mu[1, i + 1, 0] * f
    exact = partial_mu_rho("LXe", x).sum(axis=0) * 2.94
    assert np.max(np.abs(lin / exact - 1)) < 1e-4


@pytest.mark.parametrize("bad", [0.005, 12.0, -1.0, math.nan])
def test_energy_outside_range_is_one_line_error(bad):
    with pytest.raises(ValueError, match=r"energy_mev = .*\[0\.01, 10\.0\] MeV") as err:
        partial_mu_rho("W", bad)
    assert "\n" not in str(err.value)


def test_unknown_material_is_one_line_error():
    with pytest.raises(ValueError, match=r"material = 'Unobtainium': .*allowed: NaI") as err:
        partial_mu_rho("Unobtainium", 1.0)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("symbol", ["Xe", "W", "I", "Cu"])
@pytest.mark.parametrize("e", [1.0, 2.0, 6.0])
def test_rayleigh_form_factor_reproduces_xcom_coherent(symbol, e):
    """(r_e²/2)∫(1 + cos²θ) F² dΩ with the fitted F = Z/(1 + βy)² vs XCOM's coherent (3 %)."""
    from nusource.detsim.photons.cross_sections import form_factor_parameters
    from nusource.geometry import Material

    z, a = element(symbol)
    beta, _ = form_factor_parameters()[symbol]
    k = e / ME

    def f(y):  # y = κ²(1 − cos θ), dΩ = 2π dy/κ²
        c = 1 - y / (k * k)
        return (1 + c * c) * z * z / (1 + beta * y) ** 4

    ymax = 2 * k * k
    cuts = [0.0] + [10.0**j / beta for j in range(-2, 12) if 10.0**j / beta < ymax] + [ymax]
    val = sum(integrate.quad(f, a, b)[0] for a, b in zip(cuts[:-1], cuts[1:], strict=True))
    sigma = 0.5 * R_E**2 * 2 * math.pi / (k * k) * val
    xcom = partial_mu_rho(Material(symbol, 1.0, symbol), e)[COH] * a / AVOGADRO
    assert sigma / xcom == pytest.approx(1.0, abs=0.03)
