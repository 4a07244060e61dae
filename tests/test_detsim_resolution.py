"""Gaussian energy resolution: σ(E), the width of erec − edep per energy bin, the kernel."""

import math

import numpy as np
import pytest
from scipy import stats

from nusource.detsim.binding import BINDING_REMOVED
from nusource.detsim.resolution import DEFAULT_RESOLUTION, GaussianResolution, gaussian_smear

KEV = 1e-3


def test_sigma_formula():
    res = GaussianResolution(0.448, 0.0091)
    # σ/E = a/√(E/keV) + b at 10 keV and at 100 keV
    for e_kev in (10.0, 100.0):
        assert res.sigma_mev(e_kev * KEV) / (e_kev * KEV) == pytest.approx(
            0.448 / math.sqrt(e_kev) + 0.0091, rel=1e-12
        )
    np.testing.assert_array_equal(res.sigma_mev([0.0, -1.0]), [0.0, 0.0])
    assert res.sigma_mev(np.ones((2, 3))).shape == (2, 3)


def test_defaults():
    assert DEFAULT_RESOLUTION["NaI"] == GaussianResolution(0.448, 0.0091)
    assert DEFAULT_RESOLUTION["LXe"] == GaussianResolution(0.3171, 0.0015)
    assert DEFAULT_RESOLUTION["He"] == GaussianResolution(0.0, 0.03)
    pc = DEFAULT_RESOLUTION["pseudocumene"]
    assert pc.sigma_mev(1.0) == pytest.approx(0.05, rel=0.02)  # ≈5% at 1 MeV


@pytest.mark.parametrize("field", ["a", "b"])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "x", None])
def test_bad_parameters(field, bad):
    kw = {"a": 0.3, "b": 0.01, field: bad}
    with pytest.raises(ValueError, match=rf"GaussianResolution\.{field} = .*finite and >= 0"):
        GaussianResolution(**kw)


@pytest.mark.parametrize("material", ["NaI", "LXe", "He"])
def test_width_per_energy_bin(material):
    """Var(erec − edep) per bin vs ⟨σ²(edep)⟩: χ² with SE √(2/(n−1)) per bin."""
    res = DEFAULT_RESOLUTION[material]
    rng = np.random.default_rng(42)
    n = 300_000
    edep = rng.uniform(2 * KEV, 200 * KEV, n)
    flags = np.zeros(n, np.uint32)
    erec = np.empty(n)
    gaussian_smear(rng, edep, flags, res.a, res.b, erec)
    d = erec - edep
    bins = np.linspace(2 * KEV, 200 * KEV, 21)
    idx = np.digitize(edep, bins) - 1
    chi2 = 0.0
    for k in range(bins.size - 1):
        sel = idx == k
        m = int(sel.sum())
        expected_var = np.mean(res.sigma_mev(edep[sel]) ** 2)
        observed_var = np.var(d[sel], ddof=1)
        # Var(d) for a mixture of zero-mean Gaussians: ⟨σ²⟩; its SE ≈ ⟨σ²⟩·√(2/(m−1))
        chi2 += ((observed_var - expected_var) / (expected_var * math.sqrt(2 / (m - 1)))) ** 2
        # the mean is zero within 5 standard errors
        assert abs(np.mean(d[sel])) < 5 * math.sqrt(expected_var / m)
    assert stats.chi2.sf(chi2, bins.size - 1) > 1e-3, chi2


def test_standardised_residuals_are_normal():
    res = DEFAULT_RESOLUTION["NaI"]
    rng = np.random.default_rng(1)
    edep = rng.uniform(2 * KEV, 100 * KEV, 50_000)
    erec = np.empty_like(edep)
    gaussian_smear(rng, edep, np.zeros(edep.size, np.uint32), res.a, res.b, erec)
    z = (erec - edep) / res.sigma_mev(edep)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_removed_events_get_zero():
    edep = np.array([0.0, 0.01, 0.0])
    flags = np.array([BINDING_REMOVED, 0, BINDING_REMOVED], np.uint32)
    erec = np.full(3, -1.0)
    gaussian_smear(np.random.default_rng(0), edep, flags, 0.4, 0.01, erec)
    assert erec[0] == 0.0 and erec[2] == 0.0 and erec[1] != 0.01


def test_kernel_matches_py_func():
    edep = np.random.default_rng(3).uniform(0, 0.1, 100)
    flags = np.zeros(100, np.uint32)
    flags[::7] = BINDING_REMOVED
    a, b = np.empty(100), np.empty(100)
    gaussian_smear(np.random.default_rng(9), edep, flags, 0.448, 0.0091, a)
    gaussian_smear.py_func(np.random.default_rng(9), edep, flags, 0.448, 0.0091, b)
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=0)
