"""The orchestration: DetectorResponse validation, defaults, respond() on an event array."""

import dataclasses
import math

import numpy as np
import pytest

from nusource.core.randomness import chunk_rng
from nusource.detsim.binding import BINDING_REMOVED, binding_fraction
from nusource.detsim.nest_response import NestResolution
from nusource.detsim.resolution import DEFAULT_RESOLUTION, GaussianResolution
from nusource.detsim.response import DetectorResponse, default_response, respond
from nusource.detsim.selection import BELOW_THRESHOLD, OUTSIDE_FIDUCIAL, OUTSIDE_WINDOW
from nusource.geometry import Cylinder
from nusource.io.schema import TRUTH_DTYPE, empty_events

KEV = 1e-3


def _events(n, seed=0, *, t_max_mev=0.1):
    rng = np.random.default_rng(seed)
    ev = empty_events(n, detected=True)
    ev["event_id"] = np.arange(n)
    ev["te"] = rng.uniform(0.0, t_max_mev, n)
    ev["vtx_x"], ev["vtx_y"] = rng.uniform(-60, 60, (2, n))
    ev["vtx_z"] = rng.uniform(100, 220, n)
    d = rng.standard_normal((n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    ev["e_dx"], ev["e_dy"], ev["e_dz"] = d.T
    ev["weight"] = rng.random(n)
    # stale detected values must be overwritten
    ev["flags"] = 0xFFFF
    ev["erec"] = -7.0
    return ev


FULL = DetectorResponse(
    "LXe",
    resolution=GaussianResolution(0.3171, 0.0015),
    angular_sigma_rad=0.035,
    position_sigma_cm=1.0,
    threshold_mev=2 * KEV,
    window_mev=(2 * KEV, 50 * KEV),
    efficiency=0.9,
    fiducial=Cylinder(50.0, 50.0, (0.0, 0.0, 160.0)),
)


@pytest.mark.parametrize("response", [FULL, default_response("NaI"), default_response("He")])
def test_truth_is_never_changed(response):
    ev = _events(20_000)
    truth = {name: ev[name].copy() for name in TRUTH_DTYPE.names}
    respond(chunk_rng(1, 0, 0, "detector"), ev, response)
    for name, before in truth.items():
        assert ev[name].tobytes() == before.tobytes(), name  # bit for bit


def test_flags_and_fields():
    ev = _events(50_000)
    respond(np.random.default_rng(3), ev, FULL)
    removed = (ev["flags"] & BINDING_REMOVED) != 0
    assert np.all(ev["flags"][removed] == BINDING_REMOVED)
    assert np.all(ev["edep"][removed] == 0) and np.all(ev["erec"][removed] == 0)
    assert np.all(ev["rec_x"][removed] == 0) and np.all(ev["rec_dz"][removed] == 0)
    np.testing.assert_array_equal(ev["edep"][~removed], ev["te"][~removed])
    live = ev[~removed]
    sel = live["flags"] == 0
    assert np.all((live["erec"][sel] >= 2 * KEV) & (live["erec"][sel] < 50 * KEV))
    assert np.all(((live["flags"] & BELOW_THRESHOLD) != 0) == (live["erec"] < 2 * KEV))
    win = (live["erec"] >= 2 * KEV) & (live["erec"] < 50 * KEV)
    assert np.all(((live["flags"] & OUTSIDE_WINDOW) != 0) == ~win)
    r2 = live["rec_x"] ** 2 + live["rec_y"] ** 2
    fid = (r2 <= 50.0**2) & (np.abs(live["rec_z"] - 160.0) <= 50.0)
    assert np.all(((live["flags"] & OUTSIDE_FIDUCIAL) != 0) == ~fid)
    norm = np.sqrt(live["rec_dx"] ** 2 + live["rec_dy"] ** 2 + live["rec_dz"] ** 2)
    np.testing.assert_allclose(norm, 1.0, atol=1e-12)
    # binding removed ≈ Σ (1 − Z_eff/Z) over the events
    expected = np.sum(1 - binding_fraction("LXe", ev["te"]))
    assert abs(removed.sum() - expected) < 5 * math.sqrt(expected)


def test_fiducial_on_true_vertex():
    fv = Cylinder(50.0, 50.0, (0.0, 0.0, 160.0))
    r = dataclasses.replace(FULL, fiducial=fv, fiducial_on="true", binding=False)
    ev = _events(20_000)
    respond(np.random.default_rng(3), ev, r)
    inside_true = (ev["vtx_x"] ** 2 + ev["vtx_y"] ** 2 <= 2500.0) & (
        np.abs(ev["vtx_z"] - 160.0) <= 50.0
    )
    assert np.all(((ev["flags"] & OUTSIDE_FIDUCIAL) != 0) == ~inside_true)


def test_perfect_detector_copies_truth():
    ev = _events(1000)
    respond(np.random.default_rng(0), ev, DetectorResponse("NaI", binding=False))
    np.testing.assert_array_equal(ev["edep"], ev["te"])
    np.testing.assert_array_equal(ev["erec"], ev["te"])
    for a, b in (("rec_x", "vtx_x"), ("rec_y", "vtx_y"), ("rec_z", "vtx_z"), ("rec_dx", "e_dx")):
        np.testing.assert_array_equal(ev[a], ev[b])
    assert np.all(ev["flags"] == 0)


def test_same_seed_same_events():
    a, b = _events(5000), _events(5000)
    respond(chunk_rng(7, 0, 3, "detector"), a, FULL)
    respond(chunk_rng(7, 0, 3, "detector"), b, FULL)
    assert a.tobytes() == b.tobytes()
    c = _events(5000)
    respond(chunk_rng(7, 0, 4, "detector"), c, FULL)
    assert not np.array_equal(a["erec"], c["erec"])


def test_binding_does_not_shift_later_draws():
    """Kept events get the same erec with binding on or off (one draw per event per stage).

    Binding draws one uniform per event; with binding off none is drawn, so the
    comparison stream skips n uniforms first.
    """
    n = 5000
    r = DetectorResponse("NaI", resolution=DEFAULT_RESOLUTION["NaI"])
    on = _events(n)
    respond(np.random.default_rng(2), on, r)
    rng = np.random.default_rng(2)
    rng.random(n)
    off = _events(n)
    respond(rng, off, dataclasses.replace(r, binding=False))
    kept = on["flags"] & BINDING_REMOVED == 0
    assert 0 < kept.sum() < n
    np.testing.assert_array_equal(on["erec"][kept], off["erec"][kept])


def test_default_responses():
    nai = default_response("NaI")
    assert nai.resolution == GaussianResolution(0.448, 0.0091)
    assert nai.threshold_mev == pytest.approx(2 * KEV) and nai.binding
    lxe = default_response("Xe")
    assert lxe.material == "LXe" and lxe.position_sigma_cm == 1.0
    assert lxe.resolution == GaussianResolution(0.3171, 0.0015)
    he = default_response("He")
    assert he.angular_sigma_rad == pytest.approx(0.035) and he.threshold_mev == pytest.approx(0.1)
    assert default_response("C9H12").material == "pseudocumene"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("material", "Ge", r"DetectorResponse\.material = 'Ge': allowed: NaI"),
        ("binding", 1, r"DetectorResponse\.binding = 1: must be True or False"),
        ("resolution", (0.4, 0.01), r"DetectorResponse\.resolution = \(0\.4, 0\.01\): must be a"),
        ("angular_sigma_rad", -0.1, r"DetectorResponse\.angular_sigma_rad = -0\.1: .*\[0, 1\]"),
        ("angular_sigma_rad", math.nan, r"DetectorResponse\.angular_sigma_rad = nan"),
        ("position_sigma_cm", math.inf, r"DetectorResponse\.position_sigma_cm = inf: .*>= 0"),
        ("threshold_mev", -1.0, r"DetectorResponse\.threshold_mev = -1\.0: .*>= 0 \[MeV\]"),
        ("threshold_mev", "2 keV", r"DetectorResponse\.threshold_mev = '2 keV'"),
        ("window_mev", (0.03, 0.002), r"DetectorResponse\.window_mev = .*0 <= lo < hi"),
        ("window_mev", (0.002,), r"DetectorResponse\.window_mev = \(0\.002,\)"),
        ("efficiency", 1.5, r"DetectorResponse\.efficiency = 1\.5: must be in \[0, 1\]"),
        ("fiducial", (0, 1, 2), r"DetectorResponse\.fiducial = \(0, 1, 2\): must be a"),
        ("fiducial_on", "rec", r"DetectorResponse\.fiducial_on = 'rec': allowed: reconstructed"),
    ],
)
def test_bad_configuration_is_one_clear_error(field, value, message):
    with pytest.raises(ValueError, match=message):
        DetectorResponse(**{"material": "NaI", field: value})


def test_nest_only_for_xenon():
    with pytest.raises(ValueError, match=r"NEST models liquid xenon only"):
        DetectorResponse("NaI", resolution=NestResolution())
    DetectorResponse("Xe", resolution=NestResolution())  # no nestpy call at construction


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"mode": "slow"}, r"NestResolution\.mode = 'slow': allowed: fast, full"),
        ({"drift_field_v_cm": 0}, r"NestResolution\.drift_field_v_cm = 0: must be in \(0, 1e5\]"),
        ({"detector": "XENONnT"}, r"NestResolution\.detector = 'XENONnT': allowed: LZ_WS2024"),
        ({"grid_min_kev": 10, "grid_max_kev": 5}, r"NestResolution\.grid_max_kev = 5"),
        ({"grid_points": 1}, r"NestResolution\.grid_points = 1: must be an integer in \[2"),
        ({"table_seed": -1}, r"NestResolution\.table_seed = -1"),
    ],
)
def test_bad_nest_configuration(kw, message):
    with pytest.raises(ValueError, match=message):
        NestResolution(**kw)


def test_bad_arguments():
    ev = _events(3)
    with pytest.raises(ValueError, match="rng"):
        respond(np.random.RandomState(0), ev, FULL)
    with pytest.raises(ValueError, match="missing fields edep"):
        respond(np.random.default_rng(0), np.zeros(3, TRUTH_DTYPE), FULL)
    with pytest.raises(ValueError, match="response"):
        respond(np.random.default_rng(0), ev, {"material": "NaI"})
