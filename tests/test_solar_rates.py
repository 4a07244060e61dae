"""Solar ν–e rates in xenon against an independent scipy quadrature.

The reference writes out dσ/dT with the radiative couplings of Bahcall,
Kamionkowski & Sirlin (1995) (docs/physics.md §2), the allowed β⁺ shape of the pp
spectrum as a continuous function, and integrates flux × [P_ee·dσ_νe +
(1 − P_ee)·dσ_νμ] × electrons per tonne with scipy's adaptive quadrature.
"""

import math

import pytest
from scipy import integrate

from nusource.detsim.binding import binding_fraction, binding_steps
from nusource.generator.beta_spectrum import beta_density
from nusource.generator.model import PhysicsModel
from nusource.generator.solar import make_solar_component
from nusource.generator.solar_spectra import oscillation_parameters, p_ee_msw, solar_source

G_F, M_E, HBARC, ALPHA = 1.1663788e-11, 0.51099895, 1.973269804e-11, 1 / 137.035999
S0 = 2 * G_F**2 * M_E / math.pi * HBARC**2
PI_RE2 = math.pi * ALPHA**2 / M_E**2 * HBARC**2
ELECTRONS_PER_TONNE_XE = 54 * 6.02214076e23 / 131.293 * 1e6
DAY = 86400.0
NE_PP, NE_BE7 = solar_source("pp").ne_production, solar_source("be7").ne_production
OSC = oscillation_parameters()


def _i(t):
    x = math.sqrt(1 + 2 * M_E / t)
    return (1 / 3 + (3 - x * x) * (0.5 * x * math.log((x + 1) / (x - 1)) - 1)) / 6


def _dsigma(t, e, flavour, mu=0.0):
    """dσ/dT [cm²/MeV], radiative couplings, free electron."""
    if t <= 0 or t > 2 * e * e / (M_E + 2 * e):
        return 0.0
    rho, s2 = 1.0126, 0.2317
    if flavour == "e":
        k = 0.9791 + 0.0097 * _i(t)
        g1, g2 = 1 - rho * (0.5 - k * s2), rho * k * s2
    else:
        k = 0.9970 - 0.00037 * _i(t)
        g1, g2 = rho * (-0.5 + k * s2), rho * k * s2
    y = t / e
    weak = S0 * (g1 * g1 + g2 * g2 * (1 - y) ** 2 - g1 * g2 * M_E * t / e**2)
    return weak + PI_RE2 * mu * mu * (1 / t - 1 / e)


def _mixed(t, e, ne, p_const=None, mu=0.0):
    if p_const is not None:
        p = p_const
    else:
        p = p_ee_msw(e, ne, OSC["sin2_theta12"], OSC["sin2_theta13"], OSC["dm2_21_ev2"])
    return p * _dsigma(t, e, "e", mu) + (1 - p) * _dsigma(t, e, "m", mu)


def _line_rate(lines, flux, ne, tlo=0.0, p_const=None, mu=0.0, material=None):
    total = 0.0
    for e, b in lines:
        tm = 2 * e * e / (M_E + 2 * e)

        def f(t, e=e):
            w = 1.0 if material is None else float(binding_fraction(material, t))
            return w * _mixed(t, e, ne, p_const, mu)

        pts = None
        if material is not None:
            edges, _ = binding_steps(material)
            pts = [x for x in edges if tlo < x < tm]
        total += b * integrate.quad(f, tlo, tm, points=pts, epsabs=0, epsrel=1e-9, limit=200)[0]
    return flux * total * ELECTRONS_PER_TONNE_XE * DAY


Q_PP = 0.4202
NORM_PP = integrate.quad(lambda e: float(beta_density(e, Q_PP, -1, 2)), 0, Q_PP, epsrel=1e-10)[0]


def _pp_spectrum(e):
    return float(beta_density(e, Q_PP, -1, 2)) / NORM_PP


def _pp_rate(material=None, p_const=None):
    ne, flux = NE_PP, 5.98e10
    if material is None:

        def inner(e):
            tm = 2 * e * e / (M_E + 2 * e)
            return (
                _pp_spectrum(e)
                * integrate.quad(lambda t: _mixed(t, e, ne, p_const), 0, tm, epsrel=1e-9)[0]
            )

        total = integrate.quad(inner, 0, Q_PP, epsrel=1e-8, limit=200)[0]
    else:
        edges, _ = binding_steps(material)
        t_top = 2 * Q_PP**2 / (M_E + 2 * Q_PP)

        def dr_dt(t):
            e_min = 0.5 * (t + math.sqrt(t * t + 2 * M_E * t))
            g = integrate.quad(
                lambda e: _pp_spectrum(e) * _mixed(t, e, ne, p_const), e_min, Q_PP, epsrel=1e-9
            )[0]
            return float(binding_fraction(material, t)) * g

        pts = [x for x in edges if x < t_top]
        total = integrate.quad(dr_dt, 0, t_top, points=pts, epsrel=1e-8, limit=200)[0]
    return flux * total * ELECTRONS_PER_TONNE_XE * DAY


def _ours(name, **kw):
    binding = kw.pop("binding", None)
    c = make_solar_component(name, **kw)
    return c.events_per_electron_s(binding=binding) * ELECTRONS_PER_TONNE_XE * DAY


BE7_LINES = [(0.8618, 0.896), (0.3843, 0.104)]


def test_be7_rate_free_and_bound():
    ref = _line_rate(BE7_LINES, 4.93e9, NE_BE7)
    assert _ours("be7") == pytest.approx(ref, rel=1e-6)
    ref_b = _line_rate(BE7_LINES, 4.93e9, NE_BE7, material="LXe")
    assert _ours("be7", binding="LXe") == pytest.approx(ref_b, rel=1e-6)
    # seed 004's P_ee = 0.53
    assert _ours("be7", p_ee=0.53) == pytest.approx(
        _line_rate(BE7_LINES, 4.93e9, 0, p_const=0.53), rel=1e-6
    )


def test_pp_rate_free_and_bound():
    # the spectrum is tabulated (piecewise linear, 1 % relative steps at the ends)
    # and P_ee·f is linear between grid points: a few 1e-5 from the continuous form
    assert _ours("pp") == pytest.approx(_pp_rate(), rel=1e-4)
    assert _ours("pp", binding="LXe") == pytest.approx(_pp_rate("LXe"), rel=1e-4)


def test_magnetic_moment_acts_on_both_flavours():
    mu = 1e-10
    model = PhysicsModel(mu=mu)
    ours = _ours("be7", model=model, tmin_mev=0.001)
    ref = _line_rate(BE7_LINES, 4.93e9, NE_BE7, tlo=0.001, mu=mu)
    assert ours == pytest.approx(ref, rel=1e-6)
    sm = _line_rate(BE7_LINES, 4.93e9, NE_BE7, tlo=0.001)
    assert (ours - sm) / sm > 0.05  # the μν term is there, and matters at this μ
