"""Signal events without geometry: (Eν, T, directions, weights) for one chunk.

A :class:`SignalSpec` is built once per run (tables, normalisations); then
each chunk is a pure function of the spec, its size, its first event id and
its own Generator.  The geometry stage adds source points, vertices and
flight lengths on top of the same spec.
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.jit import jit

from .directions import fill_directions
from .events import TRUTH_DTYPE, WEIGHT_MODES
from .flux_average import FluxAveraged, flux_averaged
from .model import PhysicsModel
from .neutrino_spectrum import NuSpectrum
from .placement import Placement, PlacementBuffers, place_events
from .recoil_sampler import RecoilSampler, make_recoil_sampler
from .xsec import dsigma_dt, dsigma_parts


@jit
def fill_weights(e, t, p_model, p_gen, gen_norm, unit_weight, weight, xs_gen, sm, mag, zlin, zquad):
    """Per-event cross-section parts and weights (see :mod:`.events`)."""
    for i in range(e.shape[0]):
        s, m, zl, zq = dsigma_parts(t[i], e[i], p_model)
        sm[i], mag[i], zlin[i], zquad[i] = s, m, zl, zq
        g = dsigma_dt(t[i], e[i], p_gen)
        xs_gen[i] = g
        weight[i] = 1.0 if unit_weight else gen_norm * dsigma_dt(t[i], e[i], p_model) / g


@dataclass(frozen=True)
class SignalSpec:
    """Everything a chunk of signal events needs, built once per run.

    Attributes
    ----------
    spectrum : NuSpectrum
    model : PhysicsModel
        The run's model (the weights and parts refer to it).
    gen_model : PhysicsModel
        The density events are drawn from (= model, except in weighted mode).
    sampler : RecoilSampler
    xsec : FluxAveraged
        Flux-averaged cross sections of the model in the window.
    xsec_gen : FluxAveraged
        The same for the generating density.
    mode : {'fixed', 'exposure', 'weighted'}
    exposure : float
        Neutrinos × electrons / area [cm⁻²] the expected events refer to.
    n_generated : int
        Events generated in the run (for gen_norm); in the exposure mode with
        oscillation applied as an acceptance, the number before thinning.
    placement : Placement or None
        Geometry, activity and oscillation; None: no geometry (neutrinos along
        one axis from the origin, no times).
    """

    spectrum: NuSpectrum
    model: PhysicsModel
    gen_model: PhysicsModel
    sampler: RecoilSampler
    xsec: FluxAveraged
    xsec_gen: FluxAveraged
    mode: str
    exposure: float
    n_generated: int
    placement: Placement | None = None

    @property
    def expected_events(self) -> float:
        """Expected events of the model in the window for the exposure."""
        return self.exposure * self.xsec.total

    @property
    def gen_norm(self) -> float:
        """Expected events per generated event under the generating density."""
        return self.exposure * self.xsec_gen.total / max(self.n_generated, 1)


def make_signal_spec(
    spectrum: NuSpectrum,
    model: PhysicsModel,
    *,
    tmin_mev: float = 0.0,
    tmax_mev: float = math.inf,
    mode: str = "fixed",
    n_events: int | None = None,
    exposure: float = 1.0,
    proposal_mu: float | None = None,
    seed: int = 0,
    component: int = 0,
    placement: Placement | None = None,
) -> SignalSpec:
    """Build the spec of a signal run.

    Parameters
    ----------
    spectrum, model : the source's spectrum and the interaction model.
    tmin_mev, tmax_mev : recoil window [MeV].
    mode : 'fixed' (n_events unweighted), 'exposure' (Poisson number for the
        exposure) or 'weighted' (n_events from the model with μν = proposal_mu).
    n_events : events to generate ('fixed', 'weighted').
    exposure : ν × e⁻ / cm² [cm⁻²]; 1 makes the weights cross sections in cm².
    proposal_mu : μν [μ_B] of the weighted mode's proposal density (default:
        the model's μν).
    seed, component : draw the Poisson count of the 'exposure' mode from this
        component's count stream.
    placement : geometry, activity and oscillation of the run (optional).
    """
    if mode not in WEIGHT_MODES:
        raise ValueError(f"mode: '{mode}' is not one of {', '.join(WEIGHT_MODES)}")
    if placement is not None and placement.oscillation is not None:
        if placement.oscillation[2] == "accept" and mode != "exposure":
            raise ValueError(
                f"oscillation.apply = 'accept' thins a simulated experiment and needs "
                f"mode = 'exposure' (got '{mode}'); use apply = 'weight'"
            )
    if not (exposure > 0 and math.isfinite(exposure)):
        raise ValueError(f"exposure: {exposure} cm⁻² is not allowed; it must be > 0")
    gen_model = model
    if mode == "weighted" and proposal_mu is not None:
        if proposal_mu < 0:
            raise ValueError(f"proposal_mu: {proposal_mu} μ_B is not allowed; it must be ≥ 0")
        gen_model = model.replace(mu=proposal_mu)
    sampler = make_recoil_sampler(spectrum, gen_model, tmin_mev, tmax_mev)
    xsec = flux_averaged(spectrum, model, tmin_mev, tmax_mev)
    xsec_gen = (
        xsec if gen_model is model else flux_averaged(spectrum, gen_model, tmin_mev, tmax_mev)
    )
    if mode == "exposure":
        from nusource.randomness import COUNT_CHUNK, chunk_rng

        n = int(chunk_rng(seed, component, COUNT_CHUNK, "count").poisson(exposure * xsec.total))
    else:
        if n_events is None or n_events < 0:
            raise ValueError(f"n: {n_events} events is not allowed; give a number ≥ 0")
        n = int(n_events)
    return SignalSpec(
        spectrum, model, gen_model, sampler, xsec, xsec_gen, mode, exposure, n, placement
    )


def chunk_sizes(n_total: int, chunk_size: int) -> list[int]:
    """Split n_total events into chunks of chunk_size (the last may be smaller)."""
    if chunk_size <= 0:
        raise ValueError(f"chunk-size: {chunk_size} is not allowed; it must be > 0")
    full, rest = divmod(n_total, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def generate_signal_chunk(
    spec: SignalSpec,
    rng: np.random.Generator,
    n: int,
    *,
    first_id: int = 0,
    component: int = 0,
    nu_direction=(0.0, 0.0, 1.0),
) -> np.ndarray:
    """n truth events of the spec, drawn with rng.

    With a placement, every event gets its emission point, vertex, flight
    length, ν direction, time and P_ee; with oscillation applied as an
    acceptance, events are kept with probability P_ee (the chunk may then be
    shorter than n).  Without a placement every neutrino travels along
    ``nu_direction`` from the origin; positions, flight and time stay 0.
    """
    ev = np.zeros(n, dtype=TRUTH_DTYPE)
    ev["event_id"] = np.arange(first_id, first_id + n, dtype=np.uint64)
    ev["component"] = component
    e, t = np.empty(n), np.empty(n)
    c, dx, dy, dz = (np.empty(n) for _ in range(4))
    pl = spec.placement
    if pl is None:
        spec.sampler.fill_along(rng, nu_direction, e, t, c, dx, dy, dz)
        u = np.asarray(nu_direction, dtype=float)
        ev["nu_dx"], ev["nu_dy"], ev["nu_dz"] = u / np.linalg.norm(u)
        p_ee = np.ones(n)
    else:
        spec.sampler.fill(rng, e, t)
        buf = PlacementBuffers.empty(n)
        times, _ = place_events(pl, rng, e, buf)
        nu = buf.direction
        fill_directions(rng, e, t, nu[:, 0], nu[:, 1], nu[:, 2], c, dx, dy, dz)
        ev["src_x"], ev["src_y"], ev["src_z"] = buf.source.T
        ev["vtx_x"], ev["vtx_y"], ev["vtx_z"] = buf.vertex.T
        ev["nu_dx"], ev["nu_dy"], ev["nu_dz"] = nu.T
        ev["flight"] = buf.length
        ev["time"] = times
        p_ee = buf.p_ee
    ev["enu"], ev["te"] = e, t
    ev["cos_theta"], ev["e_dx"], ev["e_dy"], ev["e_dz"] = c, dx, dy, dz
    w, xg, sm, mag, zl, zq = (np.empty(n) for _ in range(6))
    fill_weights(
        e, t, spec.model.params(), spec.gen_model.params(), spec.gen_norm,
        spec.mode == "exposure", w, xg, sm, mag, zl, zq,
    )  # fmt: skip
    ev["xs_gen"], ev["xs_sm"], ev["xs_mag"] = xg, sm, mag
    ev["xs_zlin"], ev["xs_zquad"] = zl, zq
    ev["p_ee"] = p_ee
    if pl is not None and pl.oscillation is not None and pl.oscillation[2] == "accept":
        ev["weight"] = w
        return ev[rng.random(n) < p_ee]
    ev["weight"] = w * p_ee
    return ev


def reweight(
    events: np.ndarray,
    gen_norm: float,
    *,
    mu: float = 0.0,
    gamma: float = 0.0,
    linear: bool = False,
) -> np.ndarray:
    """Expected events each event represents under another μν [μ_B] and Z′ γ."""
    xs = events["xs_sm"] + mu * mu * events["xs_mag"] + gamma * events["xs_zlin"]
    if not linear:
        xs = xs + gamma * gamma * events["xs_zquad"]
    return gen_norm * xs / events["xs_gen"] * events["p_ee"]
