"""The Sun's direction at a detector site and the Earth–Sun distance.

Low-precision solar coordinates of the Astronomical Almanac (section C, "Low
precision formulas for the Sun"; also J. Meeus, *Astronomical Algorithms*,
2nd ed. 1998, ch. 25), good to 0.01° in 1950–2050, with n = JD − 2451545.0:

    L = 280.460° + 0.9856474°·n          mean longitude
    g = 357.528° + 0.9856003°·n          mean anomaly
    λ = L + 1.915°·sin g + 0.020°·sin 2g  ecliptic longitude (β = 0)
    ε = 23.439° − 0.0000004°·n           obliquity of the ecliptic
    r = 1.00014 − 0.01671·cos g − 0.00014·cos 2g   [AU]

The equatorial unit vector (cos λ, cos ε sin λ, sin ε sin λ) is turned to the
site by the local mean sidereal time θ = GMST + longitude, GMST = 280.46061837°
+ 360.98564736629°·n (IAU 1982 expression, T² term < 0.0003° until 2100),
with UT1 ≈ UTC (|UT1 − UTC| < 0.9 s, i.e. < 0.004°).  Nutation (< 0.005°),
diurnal parallax (0.0024°) and refraction are neglected.

Local frame (right-handed, the project's lab frame with z vertical):
x = east, y = north, z = up (zenith).  A detector placed above its source
along +z therefore has the Sun at z > 0 by day.

Times are seconds from a reference epoch, a UTC date-time turned into a
Julian date split in two parts (integer-day and fraction, for precision).
"""

import math
from datetime import UTC, datetime

import numpy as np

from nusource.core.jit import jit, jit_inline

DEG = math.pi / 180.0
J2000 = 2451545.0
"""Julian date of 2000 January 1, 12h."""
SECONDS_PER_DAY = 86400.0

GRAN_SASSO = (42.45, 13.57)
"""Default site: Laboratori Nazionali del Gran Sasso (latitude °N, longitude °E)."""


def check_site(latitude_deg: float, longitude_deg: float) -> tuple[float, float]:
    """Validate a site; returns (latitude, longitude) in degrees."""
    for key, value, limit in (
        ("latitude", latitude_deg, 90.0),
        ("longitude", longitude_deg, 180.0),
    ):
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
        if not (math.isfinite(v) and -limit <= v <= limit):
            raise ValueError(
                f"site.{key} = {value!r}: must be a finite angle in [-{limit:g}, {limit:g}] degrees"
            )
    return float(latitude_deg), float(longitude_deg)


def julian_date(epoch) -> tuple[float, float]:
    """Julian date of a UTC date-time, as (days since J2000 at 0h UTC, fraction of day).

    Parameters
    ----------
    epoch : datetime or str
        A timezone-aware datetime, a naive one taken as UTC, or an ISO 8601
        string (e.g. ``"2025-03-20T09:01:00"``).

    Returns
    -------
    (d0, f) : float, float
        JD − 2451545.0 = d0 + f with d0 = whole days (a 0h UTC boundary minus
        0.5) and 0 ≤ f < 1 the fraction of the UTC day.
    """
    if isinstance(epoch, str):
        try:
            epoch = datetime.fromisoformat(epoch)
        except ValueError:
            raise ValueError(
                f"epoch = {epoch!r}: not an ISO 8601 UTC date-time (e.g. '2025-01-01T00:00:00')"
            ) from None
    if not isinstance(epoch, datetime):
        raise ValueError(f"epoch = {epoch!r}: must be a UTC datetime or an ISO 8601 string")
    if epoch.tzinfo is not None:
        epoch = epoch.astimezone(UTC).replace(tzinfo=None)
    midnight = datetime(epoch.year, epoch.month, epoch.day)
    days = (midnight - datetime(2000, 1, 1)).days  # J2000 is 2000-01-01 12:00 = day 0 + 0.5
    frac = (epoch - midnight).total_seconds() / SECONDS_PER_DAY
    return float(days) - 0.5, frac


@jit
def sun_ecliptic(n):
    """Geocentric ecliptic longitude λ [rad], obliquity ε [rad] and distance r [AU].

    Parameters
    ----------
    n : float
        Days from J2000 (JD − 2451545.0), in TT ≈ UTC + 69 s (the difference
        moves the Sun by 0.0008°, below the formulae's accuracy).
    """
    g = (357.528 + 0.9856003 * n) * DEG
    sg, cg = math.sin(g), math.cos(g)
    lam = (280.460 + 0.9856474 * n) * DEG + (1.915 * sg + 0.040 * sg * cg) * DEG
    eps = (23.439 - 0.0000004 * n) * DEG
    r = 1.00014 - 0.01671 * cg - 0.00014 * (cg * cg - sg * sg)
    return lam, eps, r


@jit
def gmst_rad(n):
    """Greenwich mean sidereal time [rad] at n days from J2000 (UT1 ≈ UTC)."""
    return ((280.46061837 + 360.98564736629 * n) % 360.0) * DEG


@jit
def sun_local(n, lat_rad, lon_rad):
    """Unit vector to the Sun in the local frame (east, north, up) and r [AU].

    Parameters
    ----------
    n : float
        Days from J2000 (JD − 2451545.0, UTC).
    lat_rad, lon_rad : float
        Site latitude (north > 0) and longitude (east > 0) [rad].

    Returns
    -------
    (e, n, u, r) : unit vector to the Sun (x = east, y = north, z = up) and
        the Earth–Sun distance [AU].
    """
    lam, eps, r = sun_ecliptic(n)
    sl, cl = math.sin(lam), math.cos(lam)
    x, y, z = cl, math.cos(eps) * sl, math.sin(eps) * sl
    th = gmst_rad(n) + lon_rad
    st, ct = math.sin(th), math.cos(th)
    # hour-angle frame: xh = cos δ cos H, yh = −cos δ sin H (east), z = sin δ
    xh = ct * x + st * y
    yh = ct * y - st * x
    sp, cp = math.sin(lat_rad), math.cos(lat_rad)
    return yh, cp * z - sp * xh, sp * z + cp * xh, r


@jit
def fill_sun_local(times_s, d0, f0, lat_rad, lon_rad, out_x, out_y, out_z, out_r):
    """Fill the unit vector to the Sun (east, north, up) and r [AU] for event times.

    Parameters
    ----------
    times_s : float64[n]
        Seconds from the epoch.
    d0, f0 : float
        The epoch from :func:`julian_date`.
    lat_rad, lon_rad : float
        Site [rad].
    out_x, out_y, out_z, out_r : float64[n]
        Outputs.
    """
    for i in range(times_s.shape[0]):
        n = d0 + (f0 + times_s[i] / SECONDS_PER_DAY)
        out_x[i], out_y[i], out_z[i], out_r[i] = sun_local(n, lat_rad, lon_rad)


def sun_direction(times_s, epoch="2025-01-01T00:00:00", site=GRAN_SASSO):
    """Unit vectors to the Sun in the local frame and the Earth–Sun distance.

    Parameters
    ----------
    times_s : array_like
        Seconds from ``epoch``.
    epoch : datetime or str
        Reference UTC date-time.
    site : (latitude °N, longitude °E)

    Returns
    -------
    direction : ndarray, shape (n, 3)
        (east, north, up) unit vectors to the Sun.
    r_au : ndarray, shape (n,)
        Earth–Sun distance [AU].
    """
    lat, lon = check_site(*site)
    d0, f0 = julian_date(epoch)
    t = np.ascontiguousarray(np.atleast_1d(times_s), dtype=float)
    x, y, z, r = (np.empty(t.size) for _ in range(4))
    fill_sun_local(t, d0, f0, lat * DEG, lon * DEG, x, y, z, r)
    return np.stack([x, y, z], axis=1), r


# ------------------------------------------------------------------ fast table


OMEGA_EARTH_RAD_PER_DAY = 360.98564736629 * DEG
"""Rate of the mean sidereal time [rad per UT1 day]."""

TABLE_STEP_DAYS = 1.0 / 24.0
"""Knot spacing of the fast path.  Linear interpolation of the equatorial vector
over one hour errs by < 1e-7 rad (the Sun moves 0.04° per hour); the Earth's
rotation from a knot (≤ 0.2625 rad) is evaluated by series to 1e-14."""

T_X, T_Y, T_Z, T_R, T_COS, T_SIN = range(6)
"""Columns of the knot table: equatorial unit vector, r [AU], cos and sin of the
local mean sidereal time at the knot."""


@jit
def fill_sun_table(n0, step_days, lon_rad, out):
    """Knots n0 + k·step (k < len(out)) of the Sun for :func:`sun_from_table`."""
    for k in range(out.shape[0]):
        n = n0 + k * step_days
        lam, eps, r = sun_ecliptic(n)
        sl = math.sin(lam)
        th = gmst_rad(n) + lon_rad
        out[k, T_X] = math.cos(lam)
        out[k, T_Y] = math.cos(eps) * sl
        out[k, T_Z] = math.sin(eps) * sl
        out[k, T_R] = r
        out[k, T_COS] = math.cos(th)
        out[k, T_SIN] = math.sin(th)


def sun_table(d0, f0, t_lo_s, t_hi_s, lon_rad, step_days=TABLE_STEP_DAYS):
    """Knots of the Sun covering [t_lo, t_hi] s from the epoch (d0, f0).

    Returns (n_first, step_days, table float64[m, 6]) for :func:`sun_from_table`.
    """
    n_lo = d0 + (f0 + t_lo_s / SECONDS_PER_DAY)
    n_hi = d0 + (f0 + t_hi_s / SECONDS_PER_DAY)
    m = int(math.ceil((n_hi - n_lo) / step_days)) + 2
    table = np.empty((m, 6))
    fill_sun_table(n_lo, step_days, lon_rad, table)
    return n_lo, step_days, table


@jit_inline
def sun_from_table(n, n_first, step, inv_step, table, sin_lat, cos_lat):
    """Unit vector to the Sun (east, north, up) and r [AU] at n days from J2000, from knots.

    The equatorial vector and r are interpolated linearly between the knots
    (``step`` [day] apart, ``inv_step`` = 1/step); the chord's norm, short of 1 by
    < 1e-7, is restored by one Newton step (to < 1e-14).  The sidereal angle
    from the knot, ω·(n − n_k) ≤ 0.27 rad, is turned by its sine and cosine
    series (no library call).
    """
    dn = n - n_first
    u = dn * inv_step
    k = min(max(int(u), 0), table.shape[0] - 2)
    w = u - k
    x = table[k, T_X] + w * (table[k + 1, T_X] - table[k, T_X])
    y = table[k, T_Y] + w * (table[k + 1, T_Y] - table[k, T_Y])
    z = table[k, T_Z] + w * (table[k + 1, T_Z] - table[k, T_Z])
    r = table[k, T_R] + w * (table[k + 1, T_R] - table[k, T_R])
    q = 1.5 - 0.5 * (x * x + y * y + z * z)
    x, y, z = x * q, y * q, z * q
    a = OMEGA_EARTH_RAD_PER_DAY * (dn - k * step)
    a2 = a * a
    sd = a * (1.0 - a2 / 6.0 * (1.0 - a2 / 20.0 * (1.0 - a2 / 42.0 * (1.0 - a2 / 72.0))))
    c4 = 1.0 - a2 / 30.0 * (1.0 - a2 / 56.0 * (1.0 - a2 / 90.0))
    cd = 1.0 - a2 / 2.0 * (1.0 - a2 / 12.0 * c4)
    ct = table[k, T_COS] * cd - table[k, T_SIN] * sd
    st = table[k, T_SIN] * cd + table[k, T_COS] * sd
    xh = ct * x + st * y
    return ct * y - st * x, cos_lat * z - sin_lat * xh, sin_lat * z + cos_lat * xh, r
