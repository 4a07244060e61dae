"""The Sun's direction and distance against astropy; the annual-modulation time density."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from nusource.core.jit import jit
from nusource.generator.solar import draw_times, flux_factor, mean_flux_factor
from nusource.generator.sun import (
    DEG,
    GRAN_SASSO,
    julian_date,
    sun_direction,
    sun_from_table,
    sun_local,
    sun_table,
)

EPOCH = "2024-01-01T00:00:00"
# 14 instants across 2024 at different hours (days from the epoch)
DAYS = np.array(
    [
        0.1,
        20.37,
        45.6,
        79.14,
        100.9,
        135.5,
        171.25,
        200.71,
        233.0,
        266.6,
        290.3,
        320.8,
        350.45,
        365.9,
    ]
)


def _astropy_sun(days, site):
    """Unit vectors (east, north, up) and r [AU] from astropy's ephemeris (no refraction)."""
    astropy = pytest.importorskip("astropy")  # noqa: F841
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = Time(EPOCH, scale="utc") + days * u.day
        loc = EarthLocation(lat=site[0] * u.deg, lon=site[1] * u.deg, height=985 * u.m)
        sun = get_sun(t)
        aa = sun.transform_to(AltAz(obstime=t, location=loc, pressure=0 * u.hPa))
        alt, az = aa.alt.rad, aa.az.rad
        r = sun.distance.to(u.au).value
    vec = np.stack([np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)], axis=1)
    return vec, r


@pytest.mark.parametrize("site", [GRAN_SASSO, (-33.0, -70.0), (63.5, 26.0)])
def test_sun_direction_agrees_with_astropy(site):
    ours, r = sun_direction(DAYS * 86400.0, EPOCH, site)
    ref, r_ref = _astropy_sun(DAYS, site)
    angle = np.degrees(np.arccos(np.clip(np.sum(ours * ref, axis=1), -1, 1)))
    assert angle.max() < 0.1, angle
    # the Almanac's formulae are good to ≈ 0.01°: a larger error would mean a wrong term
    assert angle.max() < 0.03, angle
    np.testing.assert_allclose(r, r_ref, atol=2e-4)


def test_frame_convention_noon_and_midnight():
    """Local frame x = east, y = north, z = up: at Gran Sasso the Sun culminates due south."""
    # 2024-06-20, local apparent noon near 11:06 UTC (13.57° E, equation of time ≈ −1.5 min)
    t = np.arange(10.8, 11.4, 0.001) * 3600.0 + 171 * 86400.0
    d, _ = sun_direction(t, EPOCH)
    top = np.argmax(d[:, 2])
    assert d[top, 1] < 0 and abs(d[top, 0]) < 2e-3  # south, on the meridian
    # elevation at the solstice noon: 90° − 42.45° + 23.44°
    assert math.degrees(math.asin(d[top, 2])) == pytest.approx(90 - 42.45 + 23.44, abs=0.05)
    d, _ = sun_direction(np.array([171 * 86400.0 + 23.1 * 3600.0]), EPOCH)
    assert d[0, 2] < 0  # below the horizon near local midnight


@jit
def _table_path(times, d0, f0, lat, n_first, step, table, out):
    sp, cp = math.sin(lat), math.cos(lat)
    for i in range(times.shape[0]):
        n = d0 + (f0 + times[i] / 86400.0)
        x, y, z, r = sun_from_table(n, n_first, step, 1.0 / step, table, sp, cp)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = x, y, z, r


def test_fast_table_path_matches_exact_formulae():
    rng = np.random.default_rng(5)
    times = np.sort(rng.uniform(0.0, 400 * 86400.0, 20000))
    d0, f0 = julian_date(EPOCH)
    lat, lon = GRAN_SASSO[0] * DEG, GRAN_SASSO[1] * DEG
    n_first, step, table = sun_table(d0, f0, times[0], times[-1], lon)
    fast = np.empty((times.size, 4))
    _table_path(times, d0, f0, lat, n_first, step, table, fast)
    exact = np.array([sun_local(d0 + (f0 + t / 86400.0), lat, lon) for t in times[::50]])
    cosang = np.sum(fast[::50, :3] * exact[:, :3], axis=1)
    assert np.degrees(np.arccos(np.clip(cosang, -1, 1))).max() < 1e-5
    np.testing.assert_allclose(fast[::50, 3], exact[:, 3], atol=1e-8)


def test_distance_variation_over_a_year():
    d0, f0 = julian_date(EPOCH)
    f = np.array([flux_factor(d0 + f0 + day) for day in np.arange(0.0, 366.0, 0.25)])
    # perihelion in early January, aphelion in early July: (1 AU/r)² = 1 ± 3.4 %
    assert f.max() == pytest.approx(1 / (1 - 0.01671) ** 2, rel=1e-3)
    assert f.min() == pytest.approx(1 / (1 + 0.01671) ** 2, rel=1e-3)
    assert np.argmax(f) < 10 * 4 and 170 * 4 < np.argmin(f) < 195 * 4
    # over a year, ⟨1/r²⟩ = 1/(a²√(1 − e²)) with a ≈ 1 AU
    year = 365.25636 * 86400.0
    assert mean_flux_factor((d0, f0), 0.0, year) == pytest.approx(1.0, abs=3e-4)


def test_draw_times_follow_the_flux():
    d0, f0 = julian_date(EPOCH)
    year = 365.25 * 86400.0
    out = np.empty(200_000)
    draw_times(np.random.default_rng(11), 0.0, year, d0, f0, out)
    edges = np.linspace(0.0, year, 13)
    counts, _ = np.histogram(out, edges)
    expect = np.array(
        [mean_flux_factor((d0, f0), a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    expect = out.size * expect / expect.sum()
    chi2 = float(np.sum((counts - expect) ** 2 / expect))
    assert stats.chi2.sf(chi2, 11) > 1e-3
    # and the modulation is visible: January holds ≈ 6.6 % more than July
    assert counts[0] / counts[6] == pytest.approx(expect[0] / expect[6], abs=0.02)


def test_julian_date_of_j2000():
    d0, f0 = julian_date("2000-01-01T12:00:00")
    assert d0 + f0 == 0.0
    d0, f0 = julian_date("2024-01-01T06:00:00+00:00")
    assert d0 + f0 == pytest.approx(2460310.75 - 2451545.0)
