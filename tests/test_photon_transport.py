"""Photon transport: narrow-beam transmission, Klein–Nishina, process fractions,
energy conservation, sites, and the exponential transform against analog."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from nusource.core.jit import jit
from nusource.detsim.photons.cross_sections import (
    build_tables,
    form_factor_parameters,
    partial_mu_rho,
)
from nusource.detsim.photons.interactions import (
    ME_MEV,
    compton,
    klein_nishina,
    rayleigh,
    rotate,
)
from nusource.detsim.photons.regions import PhotonGeometry, Region, source_regions
from nusource.detsim.photons.transport import TransportOptions, count_sites, transport
from nusource.geometry import Box, Cylinder, Source, SphericalShell, get_material


def pencil(n, energy, z0=0.0, direction=(0.0, 0.0, 1.0)):
    """n single-photon histories at (0, 0, z0) along ``direction``."""
    starts = np.zeros((n, 7))
    starts[:, 2] = z0
    starts[:, 3:6] = direction
    starts[:, 6] = energy
    return starts, np.arange(n + 1), np.ones(n)


def isotropic_at(n, energy, rng, point=(0.0, 0.0, 0.0)):
    starts = np.zeros((n, 7))
    starts[:, :3] = point
    w = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    s = np.sqrt(1 - w * w)
    starts[:, 3] = s * np.cos(phi)
    starts[:, 4] = s * np.sin(phi)
    starts[:, 5] = w
    starts[:, 6] = energy
    return starts, np.arange(n + 1), np.ones(n)


# --------------------------------------------------------------------------- narrow beam


@pytest.mark.parametrize("name", ["W", "Cu", "LXe", "NaI"])
@pytest.mark.parametrize("energy", [0.32, 0.75, 1.5])
def test_narrow_beam_transmission(name, energy):
    """Uncollided fraction through one mean free path vs e^{−μx} of the geometry's μ."""
    mu = get_material(name).mu_cm(energy)
    x = 1.0 / mu
    geo = PhotonGeometry([Region("slab", Box(500.0, 500.0, x / 2, (0, 0, x / 2)), name)])
    n = 40_000
    h = transport(geo, *pencil(n, energy, z0=-1.0), np.random.default_rng(11))
    t_mc = np.mean(h.first_process == -1)
    t_ref = math.exp(-mu * x)
    sigma = math.sqrt(t_ref * (1 - t_ref) / n)
    assert abs(t_mc - t_ref) < 4 * sigma  # 4σ = 2.6 % of T; the tables agree to 0.3 %
    assert abs(t_mc / t_ref - 1) <= max(0.01, 4 * sigma / t_ref)


# --------------------------------------------------------------------------- Klein–Nishina


def kn_dsigma_dt(t, e):
    """Klein–Nishina dσ/dT (unnormalised) of the electron kinetic energy T [MeV]."""
    k = e / ME_MEV
    eps = 1 - t / e
    one_minus_cos = (1 - eps) / (eps * k)
    sin2 = one_minus_cos * (2 - one_minus_cos)
    return (1 / eps + eps) * (1 - eps * sin2 / (1 + eps * eps))


def kn_expected(edges, e):
    pairs = zip(edges[:-1], edges[1:], strict=True)
    p = np.array([integrate.quad(kn_dsigma_dt, a, b, args=(e,))[0] for a, b in pairs])
    return p / p.sum()


@jit
def _kn_samples(rng, kappa, out):
    for i in range(out.size):
        eps, _ = klein_nishina(kappa, rng)
        out[i] = eps


@jit
def _rotated(rng, dirs, cos_t, out):
    for i in range(dirs.shape[0]):
        u, v, w = rotate(dirs[i, 0], dirs[i, 1], dirs[i, 2], cos_t[i], rng)
        out[i, 0] = u
        out[i, 1] = v
        out[i, 2] = w


def test_rotation_keeps_the_polar_angle_and_draws_a_uniform_azimuth():
    """rotate(): a unit vector at exactly the asked polar angle from the input, at an
    azimuth about it uniform on [0, 2π) (χ² against flat, 36 bins), at and near the poles
    too (within 4.5 mrad of ±z a direction is rotated about ±z: not tested there)."""
    rng = np.random.default_rng(11)
    n = 200_000
    dirs = isotropic_at(n, 1.0, rng)[0][:, 3:6]
    dirs[: n // 20] = [0.0, 0.0, 1.0]  # (the poles take their own branch)
    dirs[n // 20 : n // 10] = [0.0, 0.0, -1.0]
    dirs[n // 10 : n // 5] = [0.0, 0.014, -math.sqrt(1.0 - 0.014**2)]  # (just outside it)
    cos_t = rng.uniform(-1.0, 1.0, n)
    out = np.empty((n, 3))
    _rotated(np.random.default_rng(12), dirs, cos_t, out)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, rtol=0, atol=1e-12)
    cap = np.abs(dirs[:, 2]) > 0.99999  # (rotated about ±z itself)
    axis = np.where(cap[:, None], [[0.0, 0.0, 1.0]] * np.sign(dirs[:, 2:3]), dirs)
    assert np.allclose(np.einsum("ij,ij->i", out, axis), cos_t, rtol=0, atol=1e-12)
    # the azimuth about each input, in a frame fixed by the input alone
    ref = np.where(np.abs(dirs[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(ref, dirs)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(dirs, e1)
    phi = np.arctan2(np.einsum("ij,ij->i", out, e2), np.einsum("ij,ij->i", out, e1))
    for part in (slice(0, n // 10), slice(n // 10, n // 5), slice(n // 5, n)):
        counts = np.histogram(phi[part], bins=36, range=(-math.pi, math.pi))[0]
        assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("energy", [0.05, 0.32, 1.5, 6.0])
def test_klein_nishina_sampler_chi2(energy):
    rng = np.random.default_rng(5)
    eps = np.empty(200_000)
    _kn_samples(rng, energy / ME_MEV, eps)
    t = energy * (1 - eps)
    tmax = energy * 2 * (energy / ME_MEV) / (1 + 2 * energy / ME_MEV)
    edges = np.linspace(0, tmax, 41)
    obs, _ = np.histogram(t, edges)
    exp = kn_expected(edges, energy) * eps.size
    assert stats.chisquare(obs, exp).pvalue > 0.001


def test_single_compton_energy_in_thin_slab_chi2():
    """Deposits of single Compton scatters in a thin LXe slab follow Klein–Nishina."""
    energy = 1.0
    geo = PhotonGeometry(
        [Region("slab", Box(500.0, 500.0, 0.025, (0, 0, 0.025)), "LXe", fiducial=True)]
    )
    h = transport(geo, *pencil(1_500_000, energy, z0=-1.0), np.random.default_rng(7))
    sel = (h.first_process == 1) & (h.n_fiducial == 1)
    t = h.energy[sel]
    assert t.size > 8000
    tmax = energy * 2 * (energy / ME_MEV) / (1 + 2 * energy / ME_MEV)
    edges = np.linspace(0, tmax, 26)
    obs, _ = np.histogram(t, edges)
    exp = kn_expected(edges, energy) * t.size
    assert stats.chisquare(obs, exp).pvalue > 0.001


# --------------------------------------------------------------------------- process fractions


@pytest.mark.parametrize("name", ["LXe", "W", "NaI"])
@pytest.mark.parametrize("energy", [0.03, 0.32, 1.5, 6.0])
def test_first_interaction_fractions_match_partials(name, energy):
    geo = PhotonGeometry([Region("ball", SphericalShell(0.0, 1e4), name)])
    n = 20_000
    h = transport(geo, *pencil(n, energy), np.random.default_rng(13))
    obs = np.bincount(h.first_process, minlength=4)
    p = partial_mu_rho(name, energy)
    p = p / p.sum()
    keep = p * n > 0
    assert obs[~keep].sum() == 0  # no pair below threshold
    if keep.sum() > 1:
        assert stats.chisquare(obs[keep], p[keep] * n).pvalue > 0.001


# --------------------------------------------------------------------------- energy and sites


def shielded_detector(stretch_region=True):
    src = Source(3.0, 3.0, (0.0, 0.0, 0.0), shields=(("W", 2.0), ("Cu", 1.0)))
    return PhotonGeometry(
        [
            Region("fiducial", Cylinder(10.0, 10.0, (0, 0, 30.0)), "LXe", fiducial=True),
            *source_regions(src, "steel"),
            Region(
                "lxe",
                Cylinder(15.0, 20.0, (0, 0, 28.0)),
                "LXe",
                sensitive=True,
                biased=stretch_region,
            ),
        ],
    )


@pytest.mark.parametrize("stretch", [0.0, 0.8])
@pytest.mark.parametrize("energy", [0.32, 5.0])
def test_energy_conserved_in_every_history(stretch, energy):
    geo = shielded_detector()
    rng = np.random.default_rng(17)
    opts = TransportOptions(stretch=stretch, incoherent_sf=True)
    h = transport(geo, *isotropic_at(5000, energy, rng), rng, opts)
    total = h.energy + h.energy_passive + h.energy_escaped
    assert np.max(np.abs(total - energy)) < 1e-9
    assert np.all(h.energy_fiducial <= h.energy + 1e-12)
    assert not h.overflow.any()


def test_cascade_energy_conserved_with_world_material():
    """Two photons per history; a world of LXe around a W block (photons never escape)."""
    geo = PhotonGeometry([Region("w", Box(5.0, 5.0, 5.0), "W")], world="LXe")
    rng = np.random.default_rng(19)
    s1, _, _ = isotropic_at(3000, 2.5, rng, point=(0, 0, 20.0))
    s2, _, _ = isotropic_at(3000, 0.6, rng, point=(0, 0, 20.0))
    starts = np.empty((6000, 7))
    starts[0::2] = s1
    starts[1::2] = s2
    h = transport(geo, starts, np.arange(0, 6001, 2), np.ones(3000), rng)
    assert np.max(np.abs(h.energy_passive + h.energy_escaped - 3.1)) < 1e-9
    assert np.all(h.energy_escaped == 0.0)


def test_sites_linkage_and_volume_mode():
    dep = np.array(
        [
            [0.1, 0.0, 0.0, 0.0, 0],
            [0.1, 0.0, 0.0, 0.2, 0],  # 2 mm above: same site
            [0.1, 0.0, 0.0, 0.4, 0],  # linked through the previous one
            [0.1, 0.0, 0.0, 1.0, 1],  # 6 mm above: a new site
            [0.1, 2.0, 0.0, 0.0, 1],  # same z, 2 cm across: a new site
            [0.001, 9.0, 9.0, 9.0, 1],  # below a 5 keV site threshold
        ]
    )
    labels = np.empty(6, dtype=np.int64)
    site_e = np.empty(6)
    assert count_sites(dep, 6, 0, 0.3, 1.0, 0.0, labels, site_e) == 4
    assert count_sites(dep, 6, 0, 0.3, 1.0, 0.005, labels, site_e) == 3
    assert count_sites(dep, 6, 1, 0.3, 1.0, 0.0, labels, site_e) == 2
    assert count_sites(dep, 6, 0, 20.0, 20.0, 0.0, labels, site_e) == 1


def test_single_deposit_position_and_sites_in_detector():
    """A 30 keV photon is absorbed at once in LXe: one site at the entry point."""
    geo = PhotonGeometry([Region("d", Box(50.0, 50.0, 50.0), "LXe", sensitive=True)])
    h = transport(geo, *pencil(1000, 0.03, z0=-49.999), np.random.default_rng(1))
    assert np.all(h.n_sites == 1)
    assert np.all(np.abs(h.position[:, :2]) < 0.5)  # mean free path 0.35 mm
    assert np.all(h.position[:, 2] < -48.0)
    assert np.allclose(h.energy + h.energy_escaped, 0.03, rtol=1e-12)


# --------------------------------------------------------------------------- variance reduction


def test_exponential_transform_agrees_with_analog():
    """Thin shield: weighted transport (stretch + direction biasing) vs analog, within errors."""
    from nusource.detsim.photons.rates import gamma_event_columns

    geo = shielded_detector()
    casc = [(1.0, (1.2,))]
    rng = np.random.default_rng(23)
    a = gamma_event_columns(rng, 150_000, geo, casc, "source")
    opts = TransportOptions(stretch=0.6, bias_direction=(0, 0, 1))
    b = gamma_event_columns(rng, 60_000, geo, casc, "source", options=opts, cone_fraction=0.8)
    for sel in (
        lambda c: c.energy_fiducial_mev > 0,
        lambda c: (c.n_sites == 1) & (c.energy_mev > 0.002) & (c.energy_mev < 0.4),
        lambda c: c.multi_site,
    ):
        xa = sel(a) * a.weight
        xb = sel(b) * b.weight
        ma, sa = xa.mean(), xa.std(ddof=1) / math.sqrt(xa.size)
        mb, sb = xb.mean(), xb.std(ddof=1) / math.sqrt(xb.size)
        assert ma > 5 * sa  # analog has statistics
        assert abs(ma - mb) < 4 * math.hypot(sa, sb)
    assert a.weight.min() == a.weight.max() == 1.0


def test_russian_roulette_agrees_with_analog():
    """Roulette below 0.9 MeV in the source and shields (survival 0.25), alone and with the
    transform, vs analog: the same expectations (deposits in the detector; photons escaping
    below 0.9 MeV, of which the histories that play hold so much that survivors without
    their weight 1/p would be far off)."""
    from nusource.detsim.photons.rates import gamma_histories

    geo = shielded_detector()
    casc = [(1.0, (1.2,))]
    rng = np.random.default_rng(29)
    e_r, p = 0.9, 0.25

    def run(n, cone, **options):
        opts = TransportOptions(**options)
        c, h, _ = gamma_histories(rng, n, geo, casc, "source", options=opts, cone_fraction=cone)
        return c, h

    a = run(150_000, 0.0)
    roulette = {"roulette_below_mev": e_r, "roulette_survival": p}
    b = run(100_000, 0.0, **roulette)
    c = run(100_000, 0.8, stretch=0.6, bias_direction=(0, 0, 1), **roulette)
    for cols, h in (b, c):
        killed = h.weight == 0.0
        assert killed.mean() > 0.1  # the roulette is played
        assert np.all(cols.energy_mev[killed] == 0.0)
        assert np.all(h.min_passive_energy[killed] < e_r)
    tallies = (
        lambda c, h: c.energy_fiducial_mev > 0,
        lambda c, h: (c.n_sites == 1) & (c.energy_mev > 0.002) & (c.energy_mev < 0.4),
        lambda c, h: c.multi_site,
        lambda c, h: (h.energy_escaped > 0) & (h.energy_escaped < e_r),
    )

    def mean(run, sel, survivors=1.0):
        cols, h = run
        x = sel(cols, h) * cols.weight
        x = np.where((h.weight > 0) & (h.min_passive_energy < e_r), x * survivors, x)
        return x.mean(), x.std(ddof=1) / math.sqrt(x.size)

    for sel in tallies:
        ma, sa = mean(a, sel)
        assert ma > 5 * sa
        for other in (b, c):
            mb, sb = mean(other, sel)
            assert abs(ma - mb) < 4 * math.hypot(sa, sb)
    ma, sa = mean(a, tallies[3])
    wrong, sw = mean(b, tallies[3], survivors=p)
    assert abs(ma - wrong) > 6 * math.hypot(sa, sw)
    # the analog histories' lowest energies after a scattering in the source or a shield
    cols, h = a
    played = h.min_passive_energy < e_r
    assert 0.2 < played.mean() < 0.9 and np.all(cols.weight == 1.0)


def test_roulette_off_draws_nothing_and_changes_nothing():
    """roulette_below_mev = 0 (the default): the same histories and generator state."""
    geo = shielded_detector()
    out = []
    for survival in (0.1, 0.5):
        opts = TransportOptions(stretch=0.6, roulette_survival=survival)
        rng = np.random.default_rng(31)
        h = transport(geo, *isotropic_at(3000, 1.2, rng), rng, opts)
        out.append((h.energy, h.weight, h.min_passive_energy, rng.random()))
    for x, y in zip(*out, strict=True):
        assert np.array_equal(x, y)


# --------------------------------------------------------------------------- options and kernels


@jit
def _compton_cos(rng, kappa, elements, n_el, out):
    for i in range(out.size):
        _, c = compton(kappa, elements, 0, n_el, True, rng)
        out[i] = c


def test_incoherent_scattering_function_angles_chi2():
    """With S(y): cos θ density ∝ KN(cos θ)·S(y)/Z (scipy quadrature of the same form)."""
    t = build_tables(["LXe"])
    beta, gamma = form_factor_parameters()["Xe"]
    energy = 0.05
    k = energy / ME_MEV
    out = np.empty(100_000)
    _compton_cos(np.random.default_rng(53), k, t.elements, 1, out)

    def density(c):
        r = 1 / (1 + k * (1 - c))
        kn = r * r * (r + 1 / r - (1 - c * c))
        return kn * (1 - (1 + gamma * k * k * (1 - c)) ** -4)

    edges = np.linspace(-1, 1, 41)
    p = np.array(
        [integrate.quad(density, a, b)[0] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    obs, _ = np.histogram(out, edges)
    assert stats.chisquare(obs, p / p.sum() * out.size).pvalue > 0.001
    assert beta > 0


def test_rayleigh_form_factor_narrows_the_angles():
    """Rayleigh with the form factor at 1 MeV in W: cos θ > 0.98 mostly; Thomson: symmetric."""
    t = build_tables(["W"])
    rng = np.random.default_rng(59)
    k = 1.0 / ME_MEV
    ff = np.array([rayleigh(k, t.elements, 0, 1, True, rng) for _ in range(4000)])
    th = np.array([rayleigh(k, t.elements, 0, 1, False, rng) for _ in range(4000)])
    assert np.median(ff) > 0.98
    assert abs(np.mean(th)) < 4 * np.std(th) / math.sqrt(th.size)


@pytest.mark.parametrize(
    "solid",
    [Cylinder(3.0, 2.0, (1, 0, 0)), SphericalShell(1.0, 3.0, (0, 1, 0)), Box(1.0, 2.0, 3.0)],
)
def test_region_lookup_matches_geometry_inside(solid):
    from nusource.geometry import CylindricalShell
    from nusource.geometry.solids import inside_row as _inside_row

    solids = [solid, CylindricalShell(1.0, 2.0, 3.0)]
    params = np.array([s.params for s in solids])
    rng = np.random.default_rng(61)
    pts = rng.uniform(-4, 4, (3000, 3))
    for r, s in enumerate(solids):
        ours = [_inside_row.py_func(s.kind, params, r, *p) for p in pts]
        assert ours == [s.contains(p) for p in pts]


def test_recorded_deposits_add_up_and_do_not_change_the_histories():
    """5 MeV in 1 m of LXe (> 4 deposits per history: the buffer is regrown and rerun)."""
    geo = PhotonGeometry([Region("d", Cylinder(50.0, 50.0), "LXe", sensitive=True)])
    args = isotropic_at(2000, 5.0, np.random.default_rng(67))
    a = transport(geo, *args, np.random.default_rng(71))
    b = transport(geo, *args, np.random.default_rng(71), record_deposits=True)
    assert a.deposits is None
    assert np.array_equal(a.energy, b.energy) and np.array_equal(a.n_sites, b.n_sites)
    off = b.deposit_offsets
    assert off[-1] > 4 * 2000
    hist = np.repeat(np.arange(2000), np.diff(off))
    e = b.deposits[:, 0]
    sums = np.bincount(hist, e, minlength=2000)
    assert np.allclose(sums, b.energy, rtol=1e-12, atol=0)
    seen = sums > 0
    for k in range(3):
        pos = np.bincount(hist, e * b.deposits[:, 1 + k], minlength=2000)[seen] / sums[seen]
        assert np.allclose(pos, b.position[seen, k], rtol=1e-9, atol=1e-9)


def test_a_first_deposit_counts_as_the_photons_deposits_do():
    """A decay's vertex deposit given to the transport gives the events one gets by
    adding it to the photons' recorded deposits afterwards: the same energy (bit for
    bit), position and sites (single linkage over all of them)."""
    geo = PhotonGeometry([Region("d", Cylinder(50.0, 50.0), "LXe", fiducial=True)])
    n = 3000
    rng = np.random.default_rng(83)
    starts, offsets, weights = isotropic_at(n, 0.35, rng, point=(10.0, -5.0, 20.0))
    first = np.zeros((n, 5))
    first[:, 0] = rng.uniform(0.0, 0.3, n) * (rng.random(n) < 0.9)  # none in ~10 %
    first[:, 1:4] = (10.0, -5.0, 20.0)
    opts = TransportOptions(site_dz_cm=0.3, site_dr_cm=1.0)
    got = transport(
        geo, starts, offsets, weights, np.random.default_rng(89), opts, first_deposits=first
    )
    rec = transport(
        geo, starts, offsets, weights, np.random.default_rng(89), opts, record_deposits=True
    )
    labels, site_e = np.empty(64, dtype=np.int64), np.empty(64)
    for h in range(n):
        own = rec.deposits[rec.deposit_offsets[h] : rec.deposit_offsets[h + 1]]
        dep = np.vstack([first[h : h + 1], own]) if first[h, 0] > 0 else own
        e = 0.0
        for row in dep:
            e += row[0]
        assert got.energy[h] == e
        if e > 0:
            centre = (dep[:, 0] @ dep[:, 1:4]) / e  # (summed in another order: to rounding)
            assert np.allclose(got.position[h], centre, rtol=1e-12, atol=1e-12)
        sites = count_sites(np.ascontiguousarray(dep), len(dep), 0, 0.3, 1.0, 0.0, labels, site_e)
        assert got.n_sites[h] == sites
    assert np.array_equal(got.weight, rec.weight)
    assert np.array_equal(got.n_fiducial, rec.n_fiducial)  # (photon interactions only)
    assert np.mean(got.n_sites > rec.n_sites) > 0.3  # the vertex is a site of its own often
    with pytest.raises(ValueError, match="first_deposits shape"):
        transport(geo, starts, offsets, weights, rng, opts, first_deposits=first[:10])


def test_radial_transform_agrees_with_analog():
    """A source inside a NaI shell (LAMA-like, thin W): radial stretching vs analog."""
    from nusource.detsim.photons.rates import gamma_event_columns

    src = Source(1.0, 1.0, shields=(("W", 1.0),))
    geo = PhotonGeometry(
        [Region("nai", SphericalShell(5.0, 9.0), "NaI", fiducial=True), *source_regions(src)]
    )
    casc = [(1.0, (0.747,))]
    a = gamma_event_columns(np.random.default_rng(73), 60_000, geo, casc, "source")
    opts = TransportOptions(stretch=0.5, bias_center=(0.0, 0.0, 0.0), site_mode="volume")
    b = gamma_event_columns(np.random.default_rng(79), 30_000, geo, casc, "source", options=opts)
    assert b.weight.std() > 0.01
    for sel in (
        lambda c: c.energy_mev > 0,
        lambda c: (c.energy_mev > 0.002) & (c.energy_mev < 0.1),
        lambda c: np.isclose(c.energy_mev, 0.747),
    ):
        xa = sel(a) * a.weight
        xb = sel(b) * b.weight
        ma, sa = xa.mean(), xa.std(ddof=1) / math.sqrt(xa.size)
        mb, sb = xb.mean(), xb.std(ddof=1) / math.sqrt(xb.size)
        assert ma > 5 * sa
        assert abs(ma - mb) < 4 * math.hypot(sa, sb)


@pytest.mark.parametrize(
    "solid",
    [
        Cylinder(3.0, 2.0, (1, 0, 0)),
        SphericalShell(1.0, 3.0, (0, 1, 0)),
        SphericalShell(0.0, 2.0),
        Box(1.0, 2.0, 3.0),
    ],
)
def test_safety_is_a_lower_bound_of_the_distance_to_the_surface(solid):
    """No ray from a point reaches a surface closer than the safety distance."""
    from nusource.detsim.photons.transport import _nearer_surface, _safety
    from nusource.geometry import CylindricalShell

    for s in (solid, CylindricalShell(1.0, 2.0, 3.0)):
        kind = np.array([s.kind])
        params = s.params[None, :].copy()
        rng = np.random.default_rng(83)
        for p in rng.uniform(-4, 4, (400, 3)):
            saf = _safety.py_func(kind, params, ALL_OF_ONE, 0, *p)
            assert saf >= 0.0
            d = rng.normal(size=(50, 3))
            d /= np.linalg.norm(d, axis=1)[:, None]
            tb = min(_nearer_surface(math.inf, s.kind, *s.params[:6], *p, *di) for di in d)
            assert tb >= saf - 1e-12


ALL_OF_ONE = np.array([[0, 1]])
"""Surface candidates of a one-region geometry (row 0: region 0, one region)."""


def test_surface_candidates_are_the_region_and_the_earlier_regions_it_meets():
    geo = shielded_detector()
    # fiducial, source, shield0 (W), shield1 (Cu), lxe: each region's own surface,
    # then those of the earlier regions whose bounding boxes meet its own
    cand = geo.surface_candidates()
    rows = [sorted(cand[k, : cand[k, -1]].tolist()) for k in range(cand.shape[0])]
    assert rows == [[0, 1, 2, 3, 4], [0], [1], [1, 2], [1, 2, 3], [0, 4]]


@pytest.mark.parametrize("stretch", [0.0, 0.8])
def test_checking_only_the_candidate_surfaces_changes_no_history(stretch):
    """The surfaces left out cannot end a flight: the histories are the same, draw for draw."""
    geo = shielded_detector()
    args = isotropic_at(20_000, 1.5, np.random.default_rng(5), point=(0.0, 0.0, 1.0))
    opts = TransportOptions(stretch=stretch, bias_direction=(0.0, 0.0, 1.0))
    pruned = transport(geo, *args, np.random.default_rng(9), opts, record_deposits=True)
    n = len(geo.regions)
    every = np.zeros((n + 1, n + 1), dtype=np.int64)
    every[:, :n] = np.arange(n)
    every[:, -1] = n
    geo._cache["candidates"] = every
    full = transport(geo, *args, np.random.default_rng(9), opts, record_deposits=True)
    assert (pruned.n_sites > 0).sum() > 200  # (photons do reach the xenon: 402 at p = 0)
    for name in ("energy", "weight", "n_sites", "energy_passive", "energy_escaped"):
        assert np.array_equal(getattr(pruned, name), getattr(full, name)), name
    assert np.array_equal(pruned.deposits, full.deposits)
