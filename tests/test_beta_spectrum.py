"""β⁻ antineutrino spectra: exact density, tabulation accuracy, user tables."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from nusource.generator.beta_spectrum import (
    beta_density,
    beta_grid,
    load_spectrum_file,
    table_cdf,
    table_mean,
    tabulate_beta,
)
from nusource.generator.constants import M_E
from nusource.generator.fermi import fermi_function

# (Q [MeV], Z_daughter, A, shape, fermi): the built-in branches, the seeds' ¹⁴⁷Pm
# endpoint, the non-relativistic option, and Z = 0 (a √(Q−E) cusp at the endpoint).
CASES = [
    (0.2241, 62, 147, "allowed", "relativistic"),
    (0.235, 62, 147, "allowed", "nonrelativistic"),
    (0.5459, 39, 90, "unique1", "relativistic"),
    (2.2785, 40, 90, "unique1", "relativistic"),
    (0.018591, 2, 3, "allowed", "relativistic"),
    (0.2241, 0, 147, "allowed", "nonrelativistic"),
]


def _exact(q, z, a, shape, fermi):
    return lambda e: float(beta_density(e, q, z, a, shape=shape, fermi=fermi))


def _quad(f, lo, hi):
    return quad(f, lo, hi, epsabs=0.0, epsrel=1e-12, limit=200)[0]


def test_density_formula_by_hand():
    q, z, a = 0.5459, 39, 90
    e = np.array([0.05, 0.2, 0.4, 0.5])
    w = (q + M_E - e) / M_E
    p = np.sqrt(w**2 - 1)
    f = fermi_function(z, w, a)
    allowed = f * p * w * e**2
    np.testing.assert_allclose(beta_density(e, q, z, a), allowed, rtol=1e-12)
    unique = allowed * ((e / M_E) ** 2 + p**2)
    np.testing.assert_allclose(beta_density(e, q, z, a, shape="unique1"), unique, rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_density_support_and_endpoint(case):
    q, z, a, shape, fermi = case
    e = np.array([-0.1, -1e-12, 0.0, 0.5 * q, q, q * (1 + 1e-12), 2 * q])
    d = beta_density(e, q, z, a, shape=shape, fermi=fermi)
    assert d[0] == d[1] == d[2] == d[5] == d[6] == 0.0
    assert d[3] > 0.0 and np.isfinite(d[4])
    # The value at E = Q is the limit from below (finite for Z > 0, zero for Z = 0).
    below = beta_density(q * (1 - 1e-13), q, z, a, shape=shape, fermi=fermi)
    assert d[4] == pytest.approx(float(below), rel=1e-5, abs=1e-5 * d[3])
    assert (d[4] > 1e-3 * d[3]) == (z > 0)


@pytest.mark.parametrize("case", CASES)
def test_table_grid_and_normalisation(case):
    q, z, a, shape, fermi = case
    e, d = tabulate_beta(q, z, a, shape=shape, fermi=fermi)
    assert e[0] == 0.0 and e[-1] == q
    assert np.all(np.diff(e) > 0)
    assert np.all(d >= 0) and np.all(np.isfinite(d))
    assert np.trapezoid(d, e) == pytest.approx(1.0, abs=1e-13)
    assert table_cdf(e, d, q) == pytest.approx(1.0, abs=1e-13)


@pytest.mark.parametrize("case", CASES)
def test_linear_table_matches_quad_in_every_bin(case):
    """Claim: any bin of width ≥ Q/200 has probability correct to < 1e-5 relative."""
    q, z, a, shape, fermi = case
    e, d = tabulate_beta(q, z, a, shape=shape, fermi=fermi)
    f = _exact(q, z, a, shape, fermi)
    width = q / 200
    edges = np.linspace(0.0, q, 201)
    aligned = np.array([_quad(f, lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)])
    total = aligned.sum()
    starts = np.random.default_rng(20240611).uniform(0.0, q - width, 60)
    shifted = np.array([_quad(f, s, s + width) for s in starts])
    exact = np.concatenate([aligned, shifted]) / total
    lo = np.concatenate([edges[:-1], starts])
    linear = table_cdf(e, d, lo + width) - table_cdf(e, d, lo)
    assert np.max(np.abs(linear / exact - 1.0)) < 1e-5
    # The same in wider bins (the claim is for width ≥ Q/200).
    wide = np.add.reduceat(aligned, np.arange(0, 200, 10)) / total
    lin_wide = np.diff(table_cdf(e, d, edges[::10]))
    assert np.max(np.abs(lin_wide / wide - 1.0)) < 1e-5


@pytest.mark.parametrize("case", CASES)
def test_mean_energy_matches_quad(case):
    q, z, a, shape, fermi = case
    e, d = tabulate_beta(q, z, a, shape=shape, fermi=fermi)
    f = _exact(q, z, a, shape, fermi)
    mean = _quad(lambda x: x * f(x), 0.0, q) / _quad(f, 0.0, q)
    assert table_mean(e, d) == pytest.approx(mean, rel=1e-6)


@pytest.mark.parametrize(
    ("q", "z", "a", "shape", "mean_beta_kev", "rel"),
    [
        # Approximate published mean β energies (ENSDF/NNDC); the spec's simple shape
        # (no screening, λ₂ = 1) is expected within ~0.5% (allowed), ~2.5% (unique).
        (0.018591, 2, 3, "allowed", 5.68, 0.005),
        (0.2241, 62, 147, "allowed", 61.96, 0.005),
        (0.5459, 39, 90, "unique1", 195.8, 0.025),
        (2.2785, 40, 90, "unique1", 926.7, 0.025),
    ],
)
def test_mean_antineutrino_energy_near_published(q, z, a, shape, mean_beta_kev, rel):
    e, d = tabulate_beta(q, z, a, shape=shape)
    assert table_mean(e, d) * 1e3 == pytest.approx(q * 1e3 - mean_beta_kev, rel=rel)


def test_unique_shape_is_allowed_times_shape_factor():
    q, z, a = 2.2785, 40, 90
    e = np.linspace(0.01, q - 0.01, 37)
    p = np.sqrt(((q - e) / M_E + 1) ** 2 - 1)
    ratio = beta_density(e, q, z, a, shape="unique1") / beta_density(e, q, z, a)
    np.testing.assert_allclose(ratio, (e / M_E) ** 2 + p**2, rtol=1e-13)


def test_grid_is_dense_at_both_ends():
    e = beta_grid(1.0)
    h = np.diff(e)
    assert h[1] < 1e-8 and h[-2] < 1e-8 and h.max() < 2e-3


def test_bad_options():
    with pytest.raises(ValueError, match="shape must be one of 'allowed', 'unique1'"):
        beta_density(0.1, 0.2, 62, 147, shape="unique2")
    with pytest.raises(ValueError, match="fermi must be one of"):
        beta_density(0.1, 0.2, 62, 147, fermi="none")
    with pytest.raises(ValueError, match="q_mev"):
        beta_density(0.1, -0.2, 62, 147)


@settings(max_examples=50, deadline=None)
@given(x=st.lists(st.floats(min_value=-0.05, max_value=0.3), min_size=2, max_size=20))
def test_table_cdf_is_monotone_and_bounded(x):
    e, d = tabulate_beta(0.2241, 62, 147)
    xs = np.sort(np.array(x))
    c = table_cdf(e, d, xs)
    assert np.all(np.diff(c) >= -1e-15)
    assert np.all((c >= 0.0) & (c <= 1.0 + 1e-13))


# --- user tables ------------------------------------------------------------------


def test_load_spectrum_file(tmp_path):
    path = tmp_path / "betashape.txt"
    path.write_text("# BetaShape-like output\n# E(keV)  dN/dE\n\n0 0\n100 2.0   # peak\n200, 0\n")
    e, d = load_spectrum_file(path)
    np.testing.assert_array_equal(e, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(d, [0.0, 10.0, 0.0])  # per MeV, area 1
    assert np.trapezoid(d, e) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("0 0\n10 1\n10 2\n", 3, "strictly increasing"),
        ("0 0\n10 1\n5 2\n", 3, "strictly increasing"),
        ("# c\n0 0\n10 -1\n20 0\n", 3, "negative density"),
        ("-1 0\n10 1\n", 1, "negative energy"),
        ("0 0\n10 1 3\n", 2, "expected 2 columns"),
        ("0 0\n10\n", 2, "expected 2 columns"),
        ("0 0\nten 1\n", 2, "not a pair of numbers"),
        ("0 0\n10 nan\n", 2, "non-finite"),
    ],
)
def test_load_spectrum_file_errors_name_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "bad_spectrum.txt"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_spectrum_file(path)
    msg = str(info.value)
    assert "bad_spectrum.txt" in msg and f"line {line}:" in msg and problem in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("text", "problem"),
    [("# nothing\n", "at least 2 data lines"), ("5 1\n", "at least 2"), ("0 0\n1 0\n", "zero")],
)
def test_load_spectrum_file_whole_file_errors(tmp_path, text, problem):
    path = tmp_path / "s.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_spectrum_file(path)


def test_load_spectrum_file_missing(tmp_path):
    with pytest.raises(ValueError, match="missing.txt"):
        load_spectrum_file(tmp_path / "missing.txt")
