"""Signal events without geometry: (Eν, T, directions, weights) for one chunk.

A :class:`SignalSpec` is built once per run (tables, normalisations); then
each chunk is a pure function of the spec, its size, its first event id and
its own Generator.  The geometry stage adds source points, vertices and
flight lengths on top of the same spec.
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.io.schema import WEIGHT_MODES, empty_columns, to_array

from .flux_average import FluxAveraged, flux_averaged
from .model import PhysicsModel
from .neutrino_spectrum import NuSpectrum
from .placement import Placement, fill_p_ee, place_events
from .recoil_sampler import RecoilSampler, make_recoil_sampler
from .xsec import dsigma_parts

MAX_EXPOSURE_EVENTS = 1e10
"""Most expected events an exposure-mode run may draw (10¹⁰ events ≈ 1 TB)."""


@jit
def fill_weights(
    e, t, p_model, mix_model, mix_gen, gen_norm, unit_weight, weight, xs_gen, sm, mag, zlin, zquad
):
    """Per-event cross-section parts and weights (see :mod:`.events`).

    The parts are evaluated once per event; the model's and the generating
    density's dσ/dT are their mixtures ``mix = (μ², γ, γ² or 0)``:
    dσ = sm + μ²·mag + γ·zlin + γ²·zquad.
    """
    for i in range(e.shape[0]):
        s, m, zl, zq = dsigma_parts(t[i], e[i], p_model)
        sm[i], mag[i], zlin[i], zquad[i] = s, m, zl, zq
        g = s + mix_gen[0] * m + mix_gen[1] * zl + mix_gen[2] * zq
        xs_gen[i] = g
        if unit_weight:
            weight[i] = 1.0
        else:
            weight[i] = (
                gen_norm * (s + mix_model[0] * m + mix_model[1] * zl + mix_model[2] * zq) / g
            )


def mixture(model: PhysicsModel) -> np.ndarray:
    """(μ², γ, γ² or 0 for the linear form) of a model: dσ = sm + μ²·mag + γ·zlin + γ²·zquad."""
    z = model.zprime
    if z is None:
        return np.array([model.mu**2, 0.0, 0.0])
    g = z.gamma
    return np.array([model.mu**2, g, 0.0 if z.form == "linear" else g * g])


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
        from nusource.core.randomness import COUNT_CHUNK, chunk_rng

        lam = exposure * xsec.total
        if not lam <= MAX_EXPOSURE_EVENTS:
            raise ValueError(
                f"the card's exposure gives {lam:.3g} expected events, more than the "
                f"{MAX_EXPOSURE_EVENTS:.0e} one run can make; check its activity and sizes, or use "
                "mode = 'fixed' (-n N) or 'weighted'"
            )
        n = int(chunk_rng(seed, component, COUNT_CHUNK, "count").poisson(lam))
    else:
        if n_events is None or n_events < 0:
            raise ValueError(f"n: {n_events} events is not allowed; give a number ≥ 0")
        n = int(n_events)
    return SignalSpec(
        spectrum, model, gen_model, sampler, xsec, xsec_gen, mode, exposure, n, placement
    )


def fill_signal_chunk(
    spec: SignalSpec,
    rng: np.random.Generator,
    cols: dict,
    n: int,
    *,
    first_id: int = 0,
    component: int = 0,
    nu_direction=(0.0, 0.0, 1.0),
) -> int:
    """Draw n truth events of the spec into the first n rows of column buffers.

    ``cols`` holds one contiguous array per truth field (see
    :func:`.events.empty_columns`), at least n long; every truth field is
    written.  With a placement, every event gets its emission point, vertex,
    flight length, ν direction, time and P_ee; with oscillation applied as an
    acceptance, events are kept with probability P_ee and compacted to the
    front.  Without a placement every neutrino travels along
    ``nu_direction`` from the origin; positions, flight and time are 0.

    Returns the number of events written (n, or fewer after thinning).
    """
    c = {k: v[:n] for k, v in cols.items()}
    c["event_id"][:] = np.arange(first_id, first_id + n, dtype=np.uint64)
    c["component"][:] = component
    e, t = c["enu"], c["te"]
    pl = spec.placement
    if pl is None:
        spec.sampler.fill_along(
            rng, nu_direction, e, t, c["cos_theta"], c["e_dx"], c["e_dy"], c["e_dz"]
        )
        u = np.asarray(nu_direction, dtype=float)
        u = u / np.linalg.norm(u)
        for k, name in enumerate(("nu_dx", "nu_dy", "nu_dz")):
            c[name][:] = u[k]
        for name in ("src_x", "src_y", "src_z", "vtx_x", "vtx_y", "vtx_z", "flight", "time"):
            c[name][:] = 0.0
        c["p_ee"][:] = 1.0
    else:
        place_events(pl, rng, n, c)
        spec.sampler.fill_about(
            rng,
            c["nu_dx"],
            c["nu_dy"],
            c["nu_dz"],
            e,
            t,
            c["cos_theta"],
            c["e_dx"],
            c["e_dy"],
            c["e_dz"],
        )
        fill_p_ee(pl, e, c["flight"], c["p_ee"])
    fill_weights(
        e,
        t,
        spec.model.params(),
        mixture(spec.model),
        mixture(spec.gen_model),
        spec.gen_norm,
        spec.mode == "exposure",
        c["weight"],
        c["xs_gen"],
        c["xs_sm"],
        c["xs_mag"],
        c["xs_zlin"],
        c["xs_zquad"],
    )
    if pl is not None and pl.oscillation is not None and pl.oscillation[2] == "accept":
        keep = np.nonzero(rng.random(n) < c["p_ee"])[0]
        for v in c.values():
            v[: keep.size] = v[keep]
        return int(keep.size)
    if pl is not None and pl.oscillation is not None:
        c["weight"] *= c["p_ee"]
    return n


def generate_signal_chunk(
    spec: SignalSpec,
    rng: np.random.Generator,
    n: int,
    *,
    first_id: int = 0,
    component: int = 0,
    nu_direction=(0.0, 0.0, 1.0),
) -> np.ndarray:
    """n truth events of the spec as a structured array (see :func:`fill_signal_chunk`)."""
    cols = empty_columns(n)
    m = fill_signal_chunk(
        spec, rng, cols, n, first_id=first_id, component=component, nu_direction=nu_direction
    )
    return to_array(cols, m)


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
