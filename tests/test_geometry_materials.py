"""Materials: electron densities, helium gas density, photon attenuation (docs/physics.md §5 §7)."""

import math

import numpy as np
import pytest

from nusource.geometry import MATERIAL_NAMES, Material, get_material, helium_gas, loglog_interp
from nusource.geometry.elements import AVOGADRO, parse_formula
from nusource.geometry.materials import _element_tables, _interp


@pytest.mark.parametrize(
    ("name", "per_kg", "per_molecule", "formula"),
    [
        ("NaI", 2.571e26, 64, "NaI"),
        ("LXe", 2.477e26, 54, "Xe"),
        ("He", 3.009e26, 2, "He"),
        ("pseudocumene", 3.307e26, 66, "C9H12"),
    ],
)
def test_electron_densities_match_physics_md(name, per_kg, per_molecule, formula):
    m = get_material(name)
    assert m.electrons_per_kg == pytest.approx(per_kg, rel=5e-4)
    counts = parse_formula(formula)
    from nusource.geometry.elements import ELEMENTS

    assert sum(n * ELEMENTS[s][0] for s, n in counts.items()) == per_molecule
    assert m.electron_density_cm3 == pytest.approx(m.electrons_per_gram * m.density_g_cm3)


def test_densities_of_registered_materials():
    expected = {"NaI": 3.67, "LXe": 2.94, "pseudocumene": 0.88, "W": 19.3, "Cu": 8.96, "Pb": 11.35}
    for name, rho in expected.items():
        assert get_material(name).density_g_cm3 == rho
    for name in MATERIAL_NAMES:
        m = get_material(name)
        assert sum(w for _, w in m.composition) == pytest.approx(1.0, abs=1e-12)


def test_helium_gas_is_ideal():
    he = helium_gas(5.0, 77.0)
    assert he.density_g_cm3 == pytest.approx(3.1e-3, rel=0.02)  # docs/physics.md §5
    assert get_material("He").density_g_cm3 == he.density_g_cm3
    assert helium_gas(10.0, 77.0).density_g_cm3 == pytest.approx(2 * he.density_g_cm3)
    assert helium_gas(5.0, 154.0).density_g_cm3 == pytest.approx(he.density_g_cm3 / 2)
    with pytest.raises(ValueError, match="pressure_bar"):
        helium_gas(-1.0, 77.0)


# docs/physics.md §7: μ/ρ [cm²/g] with coherent at 0.32 / 0.75 / 1.5 MeV
XCOM_CHECKS = {
    "W": (0.286, 0.0859, 0.0500),
    "Cu": (0.107, 0.0682, 0.0480),
    "LXe": (0.163, 0.0700, 0.0459),
    "NaI": (0.152, 0.0704, 0.0470),
}


@pytest.mark.parametrize("name", sorted(XCOM_CHECKS))
def test_mass_attenuation_matches_xcom_to_two_percent(name):
    got = get_material(name).mu_rho([0.32, 0.75, 1.5])
    np.testing.assert_allclose(got, XCOM_CHECKS[name], rtol=0.02)


def test_gamma_through_tungsten_and_xenon():
    # docs/physics.md §7: a 1.5 MeV γ through 17 cm W + 70 cm LXe survives with ≈ 6e-12
    w, xe = get_material("W"), get_material("LXe")
    p = math.exp(-(w.mu_cm(1.5) * 17.0 + xe.mu_cm(1.5) * 70.0))
    assert 4e-12 < p < 9e-12


def test_absorption_edge_is_a_step():
    iodine = Material("I", 4.93, "I")
    below, above = iodine.mu_rho([0.03316, 0.03317])
    assert above > 4 * below  # K edge at 33.17 keV
    energies, mu = iodine.attenuation_table()
    k = np.flatnonzero(np.diff(energies) == 0)
    assert energies[k] == pytest.approx([0.033164])
    assert mu[k + 1] > 4 * mu[k]


def test_mixture_rule_and_node_table():
    nai = get_material("NaI")
    e = np.geomspace(0.0101, 2.99, 57)
    f = nai.mass_fractions
    na, i = Material("Na", 1.0, "Na"), Material("I", 1.0, "I")
    np.testing.assert_allclose(
        nai.mu_rho(e), f["Na"] * na.mu_rho(e) + f["I"] * i.mu_rho(e), rtol=1e-12
    )
    energies, mu = nai.attenuation_table()
    assert np.all(np.diff(energies) >= 0)
    nodes = (energies >= 0.01) & (energies <= 3.0)
    step = np.r_[np.diff(energies) == 0, False]
    np.testing.assert_allclose(mu[nodes & ~step], nai.mu_rho(energies[nodes & ~step]), rtol=1e-12)


def test_loglog_interp_kernel_matches_table_interpolation():
    energy, mu = _element_tables()["Xe"]
    lx, ly = np.log(energy), np.log(mu)
    for e in np.geomspace(0.0102, 2.95, 41):
        expected = float(_interp(energy, mu, np.array([e]), "right")[0])
        assert loglog_interp(lx, ly, e) == pytest.approx(expected, rel=1e-13)
        assert loglog_interp.py_func(lx, ly, e) == pytest.approx(
            loglog_interp(lx, ly, e), rel=1e-15
        )


def test_avogadro_and_formula_parsing():
    assert AVOGADRO == 6.02214076e23
    assert parse_formula("C9H12") == {"C": 9.0, "H": 12.0}
    assert parse_formula("NaI") == {"Na": 1.0, "I": 1.0}
    for bad in ("", "nai", "NaX", "C9-H12"):
        with pytest.raises(ValueError):
            parse_formula(bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"density_g_cm3": -1.0, "composition": "NaI"}, "density_g_cm3"),
        ({"density_g_cm3": 1.0, "composition": {"Fe": 0.5, "Cr": 0.2}}, "sum to"),
        ({"density_g_cm3": 1.0, "composition": {"Fe": 1.0, "Zz": 0.0}}, "Zz"),
        ({"density_g_cm3": 1.0, "composition": {"Fe": -1.0}}, "mass fraction"),
        ({"density_g_cm3": 1.0, "composition": 3}, "composition"),
    ],
)
def test_bad_materials_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Material("x", **kwargs)


def test_registry_and_energy_range_errors():
    with pytest.raises(ValueError, match="allowed: NaI, LXe"):
        get_material("water")
    with pytest.raises(ValueError, match=r"\[0.01, 3.0\] MeV"):
        get_material("W").mu_rho(5.0)
