"""²¹⁴Pb decays with their γ cascades transported: energy, sites, and the multi-site veto."""

import math
import subprocess
import sys

import numpy as np
import pytest

from nusource import jobs
from nusource.components.transported import simulate_decays
from nusource.detsim.photons import PhotonGeometry, Region, TransportOptions
from nusource.generator.beta_spectrum import table_cdf
from nusource.generator.radon import Rn222Background
from nusource.geometry import Cylinder, SphericalShell
from nusource.runcard import shipped_card

BIG = SphericalShell(0.0, 400.0, (0.0, 0.0, 0.0))  # 4 m of LXe: every γ is absorbed
INNER = Cylinder(20.0, 20.0, (0.0, 0.0, 0.0))  # decays near the centre
BIG_GEOMETRY = PhotonGeometry([Region("detector", BIG, "LXe", sensitive=True)])


def _decays(n, options, seed=0):
    bg = Rn222Background(1.0, naked_only=False)
    rng = np.random.default_rng(seed)
    return bg, simulate_decays(rng, n, bg, BIG_GEOMETRY, options, INNER.kind, INNER.params)


def test_contained_decay_deposits_beta_plus_its_level():
    """In 4 m of LXe every cascade is absorbed: energy − β energy is a ²¹⁴Bi level energy."""
    bg, (_, te, ev) = _decays(20_000, TransportOptions())
    levels = np.unique([b.level_mev for b in bg.scheme.branches])
    extra = ev.energy_mev - te
    nearest = levels[np.argmin(np.abs(extra[:, None] - levels[None, :]), axis=1)]
    assert np.max(np.abs(extra - nearest)) < 1e-9
    # the level shares are the branch intensities (binomial errors)
    for level in levels:
        p = sum(b.intensity for b in bg.scheme.branches if b.level_mev == level)
        got = np.mean(nearest == level)
        assert abs(got - p) < 5 * math.sqrt(p * (1 - p) / te.size) + 1e-12, level


def test_gamma_directions_are_isotropic_and_start_at_their_decay():
    """Each γ of a cascade starts at its decay's vertex with its energy, in a direction
    uniform on the sphere (cos θ and φ uniform: Kolmogorov–Smirnov)."""
    from scipy import stats

    from nusource.detsim.photons.cascades import _photon_starts

    n = 100_000
    rng = np.random.default_rng(11)
    vertices = rng.normal(size=(n, 3))
    n_gamma = rng.integers(0, 3, n)
    gammas = rng.random((n, 2))
    starts = np.empty((int(n_gamma.sum()), 7))
    _photon_starts(vertices, gammas, n_gamma, np.random.default_rng(12), starts)
    owner = np.repeat(np.arange(n), n_gamma)
    which = np.arange(starts.shape[0]) - np.repeat(np.cumsum(n_gamma) - n_gamma, n_gamma)
    assert np.array_equal(starts[:, :3], vertices[owner])
    assert np.array_equal(starts[:, 6], gammas[owner, which])
    u, v, w = starts[:, 3:6].T
    assert np.allclose(u * u + v * v + w * w, 1.0, atol=1e-12)
    assert stats.kstest(w, stats.uniform(loc=-1.0, scale=2.0).cdf).pvalue > 1e-3
    phi = np.arctan2(v, u)
    assert stats.kstest(phi, stats.uniform(loc=-np.pi, scale=2 * np.pi).cdf).pvalue > 1e-3


def test_one_site_window_share_equals_the_spectra():
    """With sites merged (1 km separation), the share of decays in 2–140 keV is
    Σ_b I_b·[F_b(hi − L_b) − F_b(lo − L_b)] from the branch spectra (binomial errors)."""
    lo, hi = 0.002, 0.140
    options = TransportOptions(site_dz_cm=1e5, site_dr_cm=1e5)
    bg, (_, _, ev) = _decays(100_000, options, seed=1)
    assert np.all(ev.n_sites == 1)
    exact = 0.0
    for b in bg.scheme.branches:
        a, c = table_cdf(b.grid_mev, b.density, [lo - b.level_mev, hi - b.level_mev])
        exact += b.intensity * (c - a)
    got = np.mean((ev.energy_mev >= lo) & (ev.energy_mev <= hi))
    err = math.sqrt(exact * (1 - exact) / ev.energy_mev.size)
    print(f"\none site, 2–140 keV: {got:.5f} (spectra: {exact:.5f} ± {err:.5f})")
    assert abs(got - exact) < 5 * err


def test_tpc_sites_split_cascades():
    """With a TPC's 3 mm / 1 cm sites most decays through excited levels are multi-site,
    and ground-state decays are single-site."""
    bg, (_, te, ev) = _decays(20_000, TransportOptions(site_dz_cm=0.3, site_dr_cm=1.0))
    extra = ev.energy_mev - te
    ground = extra < 1e-12
    assert np.all(ev.n_sites[ground] == 1)
    assert np.mean(ev.multi_site[~ground]) > 0.5


def test_lxe_rn222_transport_against_naked():
    """The shipped LXe card transports ²¹⁴Pb's cascades; the single-site share in 2–140 keV
    per decay is printed beside the naked-β share the `naked_only` treatment uses: close
    (the naked decays dominate), and not below it by more than its error."""
    r = jobs.rate("lxe_cr51.toml")["components"]["rn222"]
    assert r["transported"] is True
    ss, dss, naked = (
        r["single_site_in_window_per_decay"],
        r["single_site_in_window_per_decay_err"],
        r["naked_in_window_per_decay"],
    )
    print(
        f"\n214Pb: {ss:.4f} ± {dss:.4f} of decays single-site in 2–140 keV with γ transport, "
        f"{naked:.4f} naked β only"
    )
    assert r["single_site_window_kev"] == [2.0, 140.0]
    assert ss > naked - 3 * dss
    assert ss == pytest.approx(naked, rel=0.15)


def test_naked_only_contradicts_transport(tmp_path):
    """naked_only = true with transport = true is refused in one line naming the key."""
    card = tmp_path / "c.toml"
    src = shipped_card("lxe_cr51.toml").read_text()
    assert "transport = true" in src
    card.write_text(src.replace("transport = true", "transport = true\nnaked_only = true"))
    r = subprocess.run(
        [sys.executable, "-m", "nusource.cli", "rate", str(card)], capture_output=True, text=True
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "naked_only" in r.stderr.strip().splitlines()[-1]


def test_a_chunk_of_decays_made_in_blocks_is_one_sample(tmp_path, monkeypatch):
    """Decays are transported block by block (``DECAY_BLOCK``): the events of a chunk
    that spans blocks keep their decay numbers (ids increasing, each decay once) and the
    share of decays that make events equals the pilot's within the statistics."""
    import nusource.components.transported as transported
    from nusource.io.schema import empty_columns
    from nusource.production import plan

    monkeypatch.setattr(transported, "DECAY_BLOCK", 1_000)
    prod = plan(shipped_card("lxe_cr51.toml"), tmp_path / "x.h5", n=1_000, seed=5)
    (comp,) = [c for c in prod.components if c.kind == "rn222"]
    n = 20_000
    cols = empty_columns(n, detected=True)
    cols["flags"][:] = 0
    m = comp.fill(np.random.default_rng(7), cols, n, 100)
    ids = cols["event_id"][:m].astype(np.int64)
    assert np.all(np.diff(ids) > 0) and ids[0] >= 100 and ids[-1] < 100 + n
    assert np.any(ids >= 100 + 19_000)  # (the last block's decays are there)
    p = comp.pilot.p_event
    sigma = math.sqrt(p * (1 - p) / n + comp.pilot.p_event_err**2)
    assert abs(m / n - p) < 4 * sigma
    assert np.all(cols["te"][:m] > 0)
    assert set(np.unique(cols["flags"][:m])) <= {0, transported.MULTI_SITE}
