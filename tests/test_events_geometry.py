"""Events with geometry: vertices, source points, flight, directions and times are consistent."""

import numpy as np
import pytest

from nusource.experiment import build_experiment, signal_spec
from nusource.generator.signal import generate_signal_chunk
from nusource.geometry import inside
from nusource.runcard import load_card

from .support import CONFIGS


@pytest.mark.parametrize(
    "name", ["lxe_cr51_5deploy.toml", "lama.toml", "hellaz_cr51.toml", "borexino_cr51.toml"]
)
def test_event_geometry_is_consistent(name):
    path = [c for c in CONFIGS if c.endswith("/" + name)][0]
    card, _ = load_card(path)
    exp = build_experiment(card, path)
    spec, g = signal_spec(exp, mode="fixed", n_events=20_000, seed=2)
    ev = generate_signal_chunk(spec, np.random.default_rng(2), 20_000)
    det = exp.detector
    vtx = np.stack([ev["vtx_x"], ev["vtx_y"], ev["vtx_z"]], axis=1)
    src = np.stack([ev["src_x"], ev["src_y"], ev["src_z"]], axis=1)
    nu = np.stack([ev["nu_dx"], ev["nu_dy"], ev["nu_dz"]], axis=1)
    el = np.stack([ev["e_dx"], ev["e_dy"], ev["e_dz"]], axis=1)
    assert all(inside(det.kind, det.params, *v) for v in vtx[:2000])
    assert all(exp.geo_source.contains(s) for s in src[:2000])
    d = vtx - src
    assert np.allclose(np.linalg.norm(d, axis=1), ev["flight"], rtol=1e-9)
    assert np.allclose(d / ev["flight"][:, None], nu, atol=1e-9)
    assert np.allclose(np.sum(el * nu, axis=1), ev["cos_theta"], atol=1e-9)
    # times inside the deployments
    t = ev["time"]
    ok = np.zeros(t.size, bool)
    for dep in exp.deployments:
        ok |= (t >= dep.start_s) & (t <= dep.start_s + dep.length_s)
    assert ok.all()
    assert spec.expected_events == pytest.approx(spec.exposure * spec.xsec.total)


def test_five_deployments_share_the_events_by_their_decays():
    path = [c for c in CONFIGS if c.endswith("lxe_cr51_5deploy.toml")][0]
    card, _ = load_card(path)
    exp = build_experiment(card, path)
    spec, _ = signal_spec(exp, mode="fixed", n_events=50_000, seed=4)
    ev = generate_signal_chunk(spec, np.random.default_rng(4), 50_000)
    counts = [
        np.sum((ev["time"] >= d.start_s) & (ev["time"] <= d.start_s + d.length_s))
        for d in exp.deployments
    ]
    assert np.all(np.abs(np.array(counts) - 10_000) < 4 * np.sqrt(10_000 * 0.8))
