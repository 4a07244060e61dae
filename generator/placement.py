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

from nusource.geometry import sample_unweighted, sampling_plan

from .activity import Deployment, sample_times
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
    )


@dataclass
class PlacementBuffers:
    """Per-chunk work arrays (reused across chunks of the same size)."""

    source: np.ndarray
    direction: np.ndarray
    vertex: np.ndarray
    length: np.ndarray
    p_ee: np.ndarray

    @classmethod
    def empty(cls, n: int) -> "PlacementBuffers":
        return cls(np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 3)), np.empty(n), np.empty(n))


def place_events(placement: Placement, rng, e_mev, buffers: PlacementBuffers):
    """Fill the buffers for len(e_mev) events; returns (times [s], n_tries).

    ``p_ee`` is filled with the survival probability (1 without oscillation).
    """
    n = e_mev.shape[0]
    tries, over = sample_unweighted(
        rng, placement.src, placement.kind, placement.det, placement.plan,
        buffers.source[:n], buffers.direction[:n], buffers.length[:n], buffers.vertex[:n],
    )  # fmt: skip
    if over:
        raise RuntimeError(f"vertex sampling bound exceeded in {over} tries: the plan is invalid")
    times = sample_times(rng, n, placement.deployments, placement.half_life_s)
    if placement.oscillation is None:
        buffers.p_ee[:n] = 1.0
    else:
        s2, dm2, _ = placement.oscillation
        fill_survival(buffers.length[:n], e_mev, s2, dm2, buffers.p_ee[:n])
    return times, tries


def mean_survival(placement: Placement, rng, spectrum_sampler, n: int = 1_000_000):
    """⟨P_ee⟩ over the run's events (MC) and its standard error."""
    if placement.oscillation is None:
        return 1.0, 0.0
    e, _ = spectrum_sampler.sample(rng, n)
    buf = PlacementBuffers.empty(n)
    place_events(placement, rng, e, buf)
    p = buf.p_ee[:n]
    return float(p.mean()), float(p.std(ddof=1) / math.sqrt(n))
