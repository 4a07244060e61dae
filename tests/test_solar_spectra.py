"""Solar fluxes, spectra and P_ee against published tables and closed forms."""

import math
from pathlib import Path

import numpy as np
import pytest

from nusource.generator.beta_spectrum import beta_density
from nusource.generator.solar import make_solar_component, part_spectra
from nusource.generator.solar_spectra import (
    SOLAR_GROUPS,
    mean_survival,
    oscillation_parameters,
    p_ee_msw,
    solar_source,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_pp_allowed_shape_reproduces_bahcalls_table():
    """Bahcall's pp table is the allowed β⁺ shape (Z_d = 1, A = 2) with his 423.41 keV endpoint."""
    e, p = np.loadtxt(FIXTURES / "bahcall_pp_spectrum.txt").T
    ours = beta_density(e, 0.42341, -1, 2)
    grid = np.concatenate(([0.0], e))
    ours = ours / np.trapezoid(np.concatenate(([0.0], ours)), grid)
    table = p / np.trapezoid(np.concatenate(([0.0], p)), grid)
    bulk = (e > 0.03) & (e < 0.41)
    # the table has four digits: 0.2 % is its rounding at the smallest bulk value
    np.testing.assert_allclose(ours[bulk], table[bulk], rtol=2e-3)


def test_pp_default_endpoint_is_the_laboratory_value():
    src = solar_source("pp")
    assert src.cont_energy[-1] == pytest.approx(0.4202)
    assert np.trapezoid(src.cont_density, src.cont_energy) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", ["pp", "n13", "o15", "f17", "b8", "hep"])
def test_continua_normalised_to_one_neutrino(name):
    src = solar_source(name)
    assert np.trapezoid(src.cont_density, src.cont_energy) == pytest.approx(1.0, abs=1e-12)
    assert src.cont_density.min() >= 0.0 and src.cont_density[-1] == pytest.approx(0.0, abs=1e-9)


def test_b8_table_is_winters_spectrum():
    """The committed points integrate to 1 before renormalisation; mean energy 6.735 MeV."""
    src = solar_source("b8")
    raw = np.loadtxt(
        Path(__file__).parent.parent / "generator/data/solar/b8_winter2006.csv",
        delimiter=",",
        comments=("#", "energy"),
    )
    assert np.trapezoid(raw[:, 1], raw[:, 0]) == pytest.approx(1.0, abs=5e-5)
    mean = np.trapezoid(src.cont_density * src.cont_energy, src.cont_energy)
    assert mean == pytest.approx(6.735, abs=0.005)


def test_fluxes_and_lines_are_b16_gs98():
    fluxes = {s: solar_source(s).flux for s in ("pp", "pep", "be7", "b8", "n13", "o15", "f17")}
    assert fluxes == {
        "pp": 5.98e10,
        "pep": 1.44e8,
        "be7": 4.93e9,
        "b8": 5.46e6,
        "n13": 2.78e8,
        "o15": 2.05e8,
        "f17": 5.29e6,
    }
    be7 = solar_source("be7")
    np.testing.assert_allclose(be7.line_energy, [0.8618, 0.3843])
    np.testing.assert_allclose(be7.line_prob, [0.896, 0.104])
    assert solar_source("pep").line_energy[0] == pytest.approx(1.442)


def _p_ee_mixing_angle(e_mev, ne, s12, s13, dm2):
    """Independent form: P = c13⁴(cos²θ cos²θm + sin²θ sin²θm) + s13⁴, tan2θm from the MSW term."""
    theta = math.asin(math.sqrt(s12))
    v = 7.63e-14 * ne  # √2 G_F n_e [eV]
    a = 2.0 * v * e_mev * 1e6 * (1.0 - s13)  # 2√2 G_F n_e E cos²θ13 [eV²]
    theta_m = 0.5 * math.atan2(dm2 * math.sin(2 * theta), dm2 * math.cos(2 * theta) - a)
    c13 = 1.0 - s13
    return (
        c13**2
        * (
            math.cos(theta) ** 2 * math.cos(theta_m) ** 2
            + math.sin(theta) ** 2 * math.sin(theta_m) ** 2
        )
        + s13**2
    )


@pytest.mark.parametrize("e", [0.1, 0.4, 0.862, 1.44, 5.0, 10.0, 15.0])
@pytest.mark.parametrize("ne", [60.0, 100.0])
def test_p_ee_matches_mixing_angle_form(e, ne):
    o = oscillation_parameters()
    s12, s13, dm2 = o["sin2_theta12"], o["sin2_theta13"], o["dm2_21_ev2"]
    assert p_ee_msw(e, ne, s12, s13, dm2) == pytest.approx(
        _p_ee_mixing_angle(e, ne, s12, s13, dm2), abs=1e-12
    )


def test_p_ee_vacuum_limit_and_measured_values():
    o = oscillation_parameters()
    s12, s13 = o["sin2_theta12"], o["sin2_theta13"]
    vac = (1 - s13) ** 2 * (1 - 2 * s12 * (1 - s12)) + s13**2
    assert p_ee_msw(1e-9, 80.0, s12, s13, o["dm2_21_ev2"]) == pytest.approx(vac, abs=1e-9)
    # measured: ≈ 0.55 (pp), 0.53 (7Be), ≈ 0.3 (8B above 5 MeV; SNO ≈ 0.32 at 10 MeV)
    assert mean_survival(solar_source("pp")) == pytest.approx(0.55, abs=0.01)
    assert mean_survival(solar_source("be7")) == pytest.approx(0.53, abs=0.01)
    assert 0.30 <= mean_survival(solar_source("b8"), 5.0) <= 0.36


@pytest.mark.parametrize("name", ["be7", "cno"])
def test_part_spectra_sum_to_the_component(name):
    nue, numu, flux = part_spectra(name)
    sources = [solar_source(s) for s in SOLAR_GROUPS[name]]
    assert flux == pytest.approx(sum(s.flux for s in sources))
    w_e = nue.line_prob.sum() + np.trapezoid(nue.cont_density, nue.cont_energy)
    w_m = numu.line_prob.sum() + np.trapezoid(numu.cont_density, numu.cont_energy)
    assert w_e + w_m == pytest.approx(1.0, abs=1e-9)
    expected = sum(s.flux * mean_survival(s) for s in sources) / flux
    assert w_e == pytest.approx(expected, rel=1e-4)


def test_constant_p_ee():
    nue, numu, _ = part_spectra("be7", p_ee=0.53)
    np.testing.assert_allclose(nue.line_prob / (nue.line_prob + numu.line_prob), 0.53)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"p_ee": 1.2}, "p_ee.pp"),
        ({"p_ee": float("nan")}, "p_ee.pp"),
        ({"p_ee": -0.1}, "p_ee.pp"),
        ({"flux_scale": -1.0}, "flux_scale"),
        ({"flux_scale": float("inf")}, "flux_scale"),
        ({"site": (91.0, 13.57)}, "site.latitude"),
        ({"site": (-90.5, 0.0)}, "site.latitude"),
        ({"site": (42.45, 181.0)}, "site.longitude"),
        ({"site": (42.45, float("nan"))}, "site.longitude"),
        ({"epoch": "yesterday"}, "epoch"),
    ],
)
def test_bad_input_is_one_line_naming_the_key(kwargs, key):
    with pytest.raises(ValueError) as err:
        make_solar_component("pp", **kwargs)
    msg = str(err.value)
    assert msg.startswith(key) and "\n" not in msg


def test_unknown_component_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^solar component = 'be8': unknown; allowed: pp, pep"):
        make_solar_component("be8")
