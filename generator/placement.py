"""Where and when events happen: emission points, vertices, times, oscillation.

A :class:`Placement` packs what the geometry and activity kernels need (built
once per run from the setup); :func:`place_events` fills a chunk's positions,
directions, flight lengths, times and P_ee with the chunk's Generator.  The
recoil (Eν, T) is independent of where the event happens (dσ/dT does not
depend on position), so it is drawn separately and the two are joined per
event; the flux's 1/(4πL²) and the detector's electron density are carried by
the vertex sampling.
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.geometry import sampling_plan
from nusource.geometry.vertices import sample_unweighted_columns

from .activity import Deployment, fill_times, time_tables
from .oscillation import fill_survival


@dataclass(frozen=True)
class Placement:
    """Packed geometry, activity and oscillation of a run.

    Attributes
    ----------
    src : float64[5]  source (cx, cy, cz, radius, half_height) [cm]
    kind : int        detector solid code
    det : float64[8]  detector parameters [cm]
    plan : float64[8] vertex sampling plan (bound M [cm] in plan[1])
    deployments : tuple of Deployment
    half_life_s : float
    oscillation : (sin²2θ, Δm² [eV²], 'weight' | 'accept') or None
    """

    src: np.ndarray
    kind: int
    det: np.ndarray
    plan: np.ndarray
    deployments: tuple[Deployment, ...]
    half_life_s: float
    oscillation: tuple | None = None
    times: tuple = ()
    """Tables of :func:`.activity.fill_times` (built once)."""


def make_placement(geo_source, detector, deployments, half_life_s, oscillation=None) -> Placement:
    """Build the placement of a run from geometry objects and the deployments."""
    return Placement(
        src=np.ascontiguousarray(geo_source.params, dtype=float),
        kind=int(detector.kind),
        det=np.ascontiguousarray(detector.params, dtype=float),
        plan=sampling_plan(geo_source, detector),
        deployments=tuple(deployments),
        half_life_s=float(half_life_s),
        oscillation=oscillation,
        times=time_tables(deployments, half_life_s),
    )


def place_events(placement: Placement, rng, n: int, cols: dict):
    """Fill the placement fields of n events (source point, ν direction, flight,
    vertex, time); returns the vertex tries.

    ``cols`` maps the truth field names (src_x…, vtx_x…, nu_dx…, flight, time)
    to arrays at least n long (contiguous columns, or any writable views).
    P_ee needs the neutrino energies: :func:`fill_p_ee` afterwards.
    """
    c = {k: cols[k][:n] for k in _PLACED}
    tries, over = sample_unweighted_columns(
        rng,
        placement.src,
        placement.kind,
        placement.det,
        placement.plan,
        c["src_x"],
        c["src_y"],
        c["src_z"],
        c["nu_dx"],
        c["nu_dy"],
        c["nu_dz"],
        c["flight"],
        c["vtx_x"],
        c["vtx_y"],
        c["vtx_z"],
    )
    if over:
        raise RuntimeError(f"vertex sampling bound exceeded in {over} tries: the plan is invalid")
    fill_times(rng, *placement.times, c["time"])
    return tries


def fill_p_ee(placement: Placement, e_mev, flight_cm, out) -> None:
    """νe survival probability per event (1 without oscillation)."""
    if placement.oscillation is None:
        out[:] = 1.0
    else:
        s2, dm2, _ = placement.oscillation
        fill_survival(flight_cm, e_mev, s2, dm2, out)


_PLACED = (
    "src_x",
    "src_y",
    "src_z",
    "vtx_x",
    "vtx_y",
    "vtx_z",
    "nu_dx",
    "nu_dy",
    "nu_dz",
    "flight",
    "time",
)


def mean_survival(placement: Placement, rng, spectrum_sampler, n: int = 1_000_000):
    """⟨P_ee⟩ over the run's events (MC) and its standard error."""
    if placement.oscillation is None:
        return 1.0, 0.0
    e, _ = spectrum_sampler.sample(rng, n)
    cols = {k: np.empty(n) for k in _PLACED}
    place_events(placement, rng, n, cols)
    p = np.empty(n)
    fill_p_ee(placement, e, cols["flight"], p)
    return float(p.mean()), float(p.std(ddof=1) / math.sqrt(n))
