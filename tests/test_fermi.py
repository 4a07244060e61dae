"""Fermi function: against an independent high-precision implementation and its limits."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nusource.generator.constants import ALPHA, HBARC, M_E
from nusource.generator.fermi import (
    FERMI_KINDS,
    fermi_function,
    fermi_nonrelativistic,
    fermi_relativistic,
    fermi_times_momentum,
    nuclear_radius,
)

mpmath = pytest.importorskip("mpmath")

HBAR_OVER_MEC_FM = 386.15926796
"""Reduced electron Compton wavelength ħ/(mₑc) [fm] (CODATA 2018)."""


def reference_relativistic(z, w, a_mass):
    """F = 2(1+γ)(2pR)^{2γ−2} e^{πη}|Γ(γ+iη)|²/Γ(2γ+1)², evaluated with 40 digits."""
    with mpmath.workdps(40):
        w = mpmath.mpf(w)
        p = mpmath.sqrt(w * w - 1)
        gam = mpmath.sqrt(1 - (mpmath.mpf(ALPHA) * z) ** 2)
        eta = mpmath.mpf(ALPHA) * z * w / p
        r = mpmath.mpf("1.2e-13") * mpmath.cbrt(a_mass) * mpmath.mpf(M_E) / mpmath.mpf(HBARC)
        val = (
            2
            * (1 + gam)
            * (2 * p * r) ** (2 * gam - 2)
            * mpmath.exp(mpmath.pi * eta)
            * abs(mpmath.gamma(gam + 1j * eta)) ** 2
            / mpmath.gamma(2 * gam + 1) ** 2
        )
        return float(val)


@pytest.mark.parametrize(("z", "a_mass"), [(2, 3), (39, 90), (40, 90), (62, 147), (92, 238)])
@pytest.mark.parametrize("w", [1 + 1e-12, 1 + 1e-7, 1.0001, 1.01, 1.1, 1.44, 2.0, 5.5])
def test_relativistic_matches_independent_mpmath(z, a_mass, w):
    # Covers both internal branches (loggamma for η ≤ 20, Stirling form beyond).
    assert fermi_relativistic(z, w, a_mass) == pytest.approx(
        reference_relativistic(z, w, a_mass), rel=1e-12
    )


def test_nuclear_radius_in_electron_compton_units():
    for a in (3, 90, 147):
        expected = 1.2 * a ** (1 / 3) / HBAR_OVER_MEC_FM
        assert nuclear_radius(a) == pytest.approx(expected, rel=1e-8)


def test_nonrelativistic_formula():
    w = np.array([1.001, 1.1, 1.5, 3.0])
    p = np.sqrt(w**2 - 1)
    for z in (2, 39, 62):
        eta = ALPHA * z * w / p
        expected = 2 * np.pi * eta / (1 - np.exp(-2 * np.pi * eta))
        np.testing.assert_allclose(fermi_nonrelativistic(z, w), expected, rtol=1e-12)


@pytest.mark.parametrize("z", [1e-3, 1e-2, 0.1])
def test_relativistic_tends_to_nonrelativistic_for_small_alpha_z(z):
    # At fixed η = αZW/p, γ → 1 makes the relativistic form 2πη/(1 − e^{−2πη}).
    eta = np.array([0.05, 0.3, 1.0, 3.0, 10.0])
    p = ALPHA * z / eta  # W ≈ 1 at these momenta; use the exact W below
    w = np.sqrt(1 + p**2)
    rel = fermi_relativistic(z, w, 100)
    nonrel = fermi_nonrelativistic(z, w)
    # The difference is O((αZ)²·ln(2pR)): it must vanish quadratically in αZ.
    bound = 3 * (ALPHA * z) ** 2 * (1 + np.max(np.abs(np.log(2 * p * nuclear_radius(100)))))
    assert np.max(np.abs(rel / nonrel - 1)) < bound


@pytest.mark.parametrize("kind", FERMI_KINDS)
def test_no_charge_gives_one(kind):
    w = np.array([1.0, 1.0 + 1e-9, 1.3, 4.0])
    np.testing.assert_allclose(fermi_function(0, w, 50, kind=kind), 1.0, rtol=1e-15)
    np.testing.assert_allclose(fermi_function(1e-7, w[1:], 50, kind=kind), 1.0, rtol=1e-3)
    np.testing.assert_allclose(fermi_function(1e-7, w[2:], 50, kind=kind), 1.0, rtol=1e-6)


@pytest.mark.parametrize("kind", FERMI_KINDS)
def test_f_times_p_is_continuous_at_the_endpoint(kind):
    for z, a in ((2, 3), (62, 147), (40, 90)):
        at_zero = fermi_times_momentum(z, 1.0, a, kind=kind, p=0.0)
        near = fermi_times_momentum(z, 1 + 1e-14, a, kind=kind, p=math.sqrt(2e-14))
        assert np.isfinite(at_zero) and at_zero > 0
        assert near == pytest.approx(at_zero, rel=1e-6)
    assert fermi_function(62, 1.0, 147, kind=kind) == np.inf
    assert fermi_times_momentum(-20, 1.0, 40, kind=kind, p=0.0) == 0.0


@pytest.mark.parametrize("kind", FERMI_KINDS)
def test_attractive_enhances_repulsive_suppresses(kind):
    w = np.linspace(1.01, 8.0, 50)
    assert np.all(fermi_function(30, w, 70, kind=kind) > 1.0)
    f_minus = fermi_function(-30, w, 70, kind=kind)
    assert np.all((f_minus < 1.0) & (f_minus > 0.0))


def test_beta_plus_relativistic_matches_reference():
    for w in (1.05, 1.5, 3.0):
        assert fermi_relativistic(-30, w, 70) == pytest.approx(
            reference_relativistic(-30, w, 70), rel=1e-12
        )


@settings(max_examples=60, deadline=None)
@given(
    z=st.integers(min_value=1, max_value=100),
    w1=st.floats(min_value=1.0 + 1e-9, max_value=30.0),
    dw=st.floats(min_value=1e-6, max_value=10.0),
    kind=st.sampled_from(FERMI_KINDS),
)
def test_beta_minus_fermi_decreases_with_energy(z, w1, dw, kind):
    f1, f2 = fermi_function(z, [w1, w1 + dw], 2.5 * z, kind=kind)
    assert np.isfinite(f1) and f2 < f1


def test_errors_name_the_option():
    with pytest.raises(ValueError, match=r"fermi must be one of 'relativistic', 'nonrelativistic'"):
        fermi_function(2, 1.5, 3, kind="bogus")
    with pytest.raises(ValueError, match="a_mass"):
        fermi_function(2, 1.5)
    with pytest.raises(ValueError, match="w"):
        fermi_function(2, 0.5, 3)
    with pytest.raises(ValueError, match="αZ"):
        fermi_relativistic(140, 1.5, 300)
