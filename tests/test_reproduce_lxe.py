"""`nusource reproduce lxe`: seed 004's results from simulated files, with their JSON keys.

The fits themselves are checked against scipy in test_mu_bound.py and
test_sterile.py; here the seed's statements: the 2 keV bound beats GEMMA's
2.9e-11 μ_B by ≥ 5, five deployments do better, ¹³⁶Xe is the dominant
background (about 44,000 events per deployment in 5–561 keV), depletion
strengthens the sterile contour.
"""

import json

import pytest

from nusource.cli import main


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    d = tmp_path_factory.mktemp("lxe")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["reproduce", "lxe", "-n", "60000", "--json", "--plots", str(d)])
    assert code == 0
    return json.loads(buf.getvalue())


def test_json_keys(result):
    assert set(result["mu_bound_95"]) == {"1", "5"}
    assert "2" in result["mu_bound_95"]["1"] and "0.5" in result["mu_bound_95"]["1"]
    assert set(result["sterile_s22_95"]) == {
        "natural_1",
        "depleted_1",
        "natural_5",
        "depleted_5",
        "depleted_5_norm2",
    }
    for row in result["sterile_s22_95"].values():
        assert {"0.5", "1", "2", "5"} <= set(row)
    assert {"signal", "background", "xe136"} <= set(result["events"])
    assert len(result["plots"]) == 8


def test_the_two_routes_agree(result):
    """The signal's simulated events against its exact expectation in the μν window."""
    r = result["signal_mc_vs_quadrature"]
    assert r["ndf"] > 100 and r["p_value"] > 1e-3, r


def test_seed_statements(result):
    mu2 = result["mu_bound_95"]["1"]["2"]
    assert mu2 < 2.9e-11 / 5
    assert result["mu_bound_95"]["5"]["2"] < mu2
    ev = result["events"]
    assert 40_000 < ev["xe136"] < 48_000 and ev["xe136"] / ev["background"] > 0.9
    s = result["sterile_s22_95"]
    assert s["depleted_1"]["2"] < s["natural_1"]["2"]  # less ¹³⁶Xe: a stronger contour
    assert s["depleted_5_norm2"]["1"] <= s["depleted_5"]["1"] * 1.01
