"""Toy experiments: reproducibility and the pulls of the fitted parameters."""

import math

import numpy as np
import pytest

from nusource.analysis.expectation import binned_expectation
from nusource.analysis.likelihood import BinnedModel, BinnedNLL
from nusource.analysis.toys import draw_toy, run_toys, toy_rng
from nusource.analysis.zprime_sensitivity import zprime_physics_model
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.sources import get_source

EDGES = np.arange(0.002, 0.0301, 0.002)


@pytest.fixture(scope="module")
def lama_model():
    """Seed 000's 2–30 keV spectrum (≈10,400 SM events), μν in units of 1e-11 μ_B,
    a flat background of 100 events per bin."""
    sp = from_source(get_source("pm147", endpoint_kev=235))
    model = zprime_physics_model(PhysicsModel("nuebar", "tree", 0.2386), "chi")
    norm = 18391.0 / binned_expectation(sp, model, [0.0, 0.1]).sm[0]
    ex = binned_expectation(sp, model, EDGES).scaled(norm)
    return BinnedModel.from_parts(ex, background=np.full(EDGES.size - 1, 100.0), mu_unit=1e-11)


CASES = {
    # name: (likelihood options, truth, parameters of interest)
    "mu2": ({"syst": 0.02, "sig_norm_sigma": 0.01}, {"mu2": 1.0}, ("mu2",)),
    "gamma": (
        {"sig_norm_sigma": 0.01, "bkg_norm_sigma": 0.05, "syst": 0.01},
        {"gamma": 0.03},
        ("gamma",),
    ),
}


def _check_pulls(res, names, n_sigma=None, tol=None):
    """Pull mean 0 and width 1: within n_sigma statistical errors of the toy count, or tol."""
    assert res.valid.mean() > 0.99
    for name in names:
        s = res.pull_summary(name)
        if tol is None:
            tol_mean = n_sigma / math.sqrt(s["n"])
            tol_width = n_sigma / math.sqrt(2 * (s["n"] - 1))
        else:
            tol_mean = tol_width = tol
        assert abs(s["mean"]) < tol_mean, (name, s)
        assert abs(s["width"] - 1.0) < tol_width, (name, s)


@pytest.mark.parametrize("case", list(CASES))
def test_pulls_200_toys(lama_model, case):
    """200 toys: |mean| < 4/√N, |width − 1| < 4/√(2(N−1)) (N = 200: 0.28 and 0.20)."""
    opts, truth, pois = CASES[case]
    nll = BinnedNLL(lama_model, lama_model.expected(), **opts)
    res = run_toys(nll, truth, 200, seed=2024, pois=pois)
    names = ("s", *pois) + (("b",) if "bkg_norm_sigma" in opts else ())
    assert res.free == ("s",) + (("b",) if "bkg_norm_sigma" in opts else ()) + pois
    _check_pulls(res, names, n_sigma=4.0)


@pytest.mark.parametrize("case", list(CASES))
def test_pulls_1000_toys_issue_requirement(lama_model, case):
    """The issue's requirement on ≥ 500 toys: pull mean 0 ± 0.1 and width 1 ± 0.1
    (1000 toys: the statistical errors are 0.03 and 0.02, so a pass is not luck)."""
    opts, truth, pois = CASES[case]
    nll = BinnedNLL(lama_model, lama_model.expected(), **opts)
    res = run_toys(nll, truth, 1000, seed=99, pois=pois)
    _check_pulls(res, ("s", *pois), tol=0.1)


def test_pulls_gaussian_form_all_free_4000_toys(lama_model):
    """Gaussian χ² with model variance, s, b, mu2 and γ all fitted: 4000 toys, 4σ."""
    nll = BinnedNLL(
        lama_model,
        lama_model.expected(),
        form="gaussian",
        variance="model",
        syst=0.02,
        sig_norm_sigma=0.01,
        bkg_norm_sigma=0.05,
    )
    res = run_toys(nll, {"mu2": 1.0, "gamma": 0.03}, 4000, seed=7, pois=("mu2", "gamma"))
    _check_pulls(res, ("s", "b", "mu2", "gamma"), n_sigma=4.0)


def test_toys_are_reproducible_and_independent_of_order(lama_model):
    nll = BinnedNLL(lama_model, lama_model.expected(), syst=0.02)
    a = run_toys(nll, {"mu2": 1.0}, 6, seed=5)
    b = run_toys(nll, {"mu2": 1.0}, 6, seed=5)
    c = run_toys(nll, {"mu2": 1.0}, 3, seed=5, first=3)
    np.testing.assert_array_equal(a.values["mu2"], b.values["mu2"])
    np.testing.assert_array_equal(a.values["mu2"][3:], c.values["mu2"])
    assert not np.array_equal(run_toys(nll, {"mu2": 1.0}, 3, seed=6).values["mu2"], c.values["mu2"])


def test_draw_toy_fluctuates_data_and_pull_centres(lama_model):
    nll = BinnedNLL(lama_model, lama_model.expected(), syst=0.02, sig_norm_sigma=0.01)
    toy = draw_toy(nll, {}, toy_rng(1, 0))
    assert np.all(toy.data == np.round(toy.data))
    assert toy.sig_aux != 1.0 and toy.bkg_aux == 1.0
    assert np.std(toy.beta_aux - 1.0) == pytest.approx(0.02, rel=0.6)
    same = draw_toy(nll, {}, toy_rng(1, 0))
    np.testing.assert_array_equal(toy.data, same.data)
