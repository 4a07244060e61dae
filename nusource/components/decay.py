"""Decays uniform in the detector's active volume: what every radioactive background shares.

A kind supplies its rate and an exact sampler of the visible electron energy;
:class:`UniformDecays` places the decays uniformly in the detector solid,
uniformly in time over the live periods (a constant rate: the background's
half-life is long against the run, or it is in equilibrium with a long-lived
parent), with an isotropic electron direction.

Decay events carry no neutrino: ``enu`` = 0, the ν direction, source point and
flight are 0, ``cos_theta`` = 0, ``p_ee`` = 1.  Their cross-section parts are
set so that the ν–e weight formula leaves them unchanged: ``xs_gen`` =
``xs_sm`` = 1, ``xs_mag`` = ``xs_zlin`` = ``xs_zquad`` = 0 (μν and Z′ do not act on
a decay), so ``weight`` = ``gen_norm`` (fixed mode) or 1 (exposure mode).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nusource.generator.activity import Deployment, fill_times, time_tables
from nusource.geometry.uniform import fill_isotropic, fill_uniform

from .base import metadata_head

DAY_S = 86400.0

DECAY_WEIGHT_FORMULA = "gen_norm (μν and Z′ do not act on decays: xs_gen = xs_sm = 1)"


NO_NEUTRINO_ZERO = (
    "src_x",
    "src_y",
    "src_z",
    "flight",
    "enu",
    "nu_dx",
    "nu_dy",
    "nu_dz",
    "cos_theta",
    "xs_mag",
    "xs_zlin",
    "xs_zquad",
)
"""Fields an event without a neutrino has at 0 (no source point, flight, ν, μν or Z′ part)."""
NO_NEUTRINO_ONE = ("xs_gen", "xs_sm", "p_ee")
"""Fields it has at 1, so the ν–e weight formula leaves its weight as it is."""


def no_neutrino(c: dict) -> None:
    """Set the ν fields of events without a neutrino (decays, γ rays): see the module notes.

    Fields that ``c`` lacks (a run that does not store them,
    :func:`nusource.production.fill_chunk`) are left out."""
    for name in NO_NEUTRINO_ZERO:
        if name in c:
            c[name][:] = 0.0
    for name in NO_NEUTRINO_ONE:
        if name in c:
            c[name][:] = 1.0


ELECTRON_DIRECTION = ("e_dx", "e_dy", "e_dz")


def isotropic_electrons(rng, c: dict, n: int) -> None:
    """The electron direction of n events that have no single electron (decays, γ rays):
    isotropic ``e_dx, e_dy, e_dz``.  Columns without them (a run that does not
    store them, :func:`nusource.production.fill_chunk`) get none, and the
    generator is moved past their draws (two uniforms an event, a jump of the
    PCG64 state), so every other field is what it is in a run that stores them.
    """
    if ELECTRON_DIRECTION[0] in c:
        fill_isotropic(rng, *(c[name][:n] for name in ELECTRON_DIRECTION))
    elif n and rng.bit_generator.state.get("has_uint32", 0):  # (a buffered half-draw)
        fill_isotropic(rng, *np.empty((3, n)))
    elif n:
        rng.bit_generator.advance(2 * n)


def live_periods(experiment) -> tuple[Deployment, ...]:
    """The run's live periods as deployments of unit activity (constant-rate components).

    Every deployment of the source, then the card's source-free period
    (``background_only_days``) right after the last one.
    """
    periods = [Deployment(d.start_s, d.length_s, 1.0) for d in experiment.deployments]
    extra = float(getattr(experiment.card, "background_only_days", 0.0)) * DAY_S
    if extra > 0:
        last = max(experiment.deployments, key=lambda d: d.start_s + d.length_s)
        periods.append(Deployment(last.start_s + last.length_s, extra, 1.0))
    return tuple(periods)


def live_seconds(experiment) -> float:
    """Total live time of the run (deployments and source-free period) [s]."""
    return float(sum(d.length_s for d in live_periods(experiment)))


@dataclass(frozen=True)
class UniformDecays:
    """A constant-rate decay component uniform in the detector.

    Attributes
    ----------
    name, kind, index : see :class:`~nusource.components.base.Component`.
    decays : float
        Decays in the detector over the live periods.
    window_fraction : float
        Share of the visible-energy spectrum inside the generation window.
    n_generated : int
    mode : {'fixed', 'exposure', 'weighted'}
    sample_te : callable
        ``sample_te(rng, te)`` fills te (float64[n]) with visible energies [MeV]
        drawn exactly from the spectrum restricted to the window.
    detector_kind, detector_params : the detector solid (geometry code, float64[8]).
    periods : tuple of Deployment
        Live periods (unit activity).
    parameters : dict
        The kind's parameters for the metadata (strengths in the card's units, rate).
    """

    name: str
    kind: str
    index: int
    decays: float
    window_fraction: float
    n_generated: int
    mode: str
    sample_te: Callable
    detector_kind: int
    detector_params: np.ndarray
    periods: tuple
    parameters: dict = field(default_factory=dict)
    binding: bool = False
    thinned: bool = False
    isotropic_electrons: bool = True

    @property
    def expected_events(self) -> float:
        return self.decays * self.window_fraction

    @property
    def gen_norm(self) -> float:
        return self.expected_events / max(self.n_generated, 1)

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        c = {k: v[:n] for k, v in cols.items()}
        c["event_id"][:] = np.arange(first_id, first_id + n, dtype=np.uint64)
        c["component"][:] = self.index
        fill_times(rng, *time_tables(self.periods, math.inf), c["time"])
        fill_uniform(
            rng, self.detector_kind, self.detector_params, c["vtx_x"], c["vtx_y"], c["vtx_z"]
        )
        self.sample_te(rng, c["te"])
        isotropic_electrons(rng, c, n)
        no_neutrino(c)
        c["weight"][:] = 1.0 if self.mode == "exposure" else self.gen_norm
        return n

    def metadata(self) -> dict:
        return {
            **metadata_head(self),
            "decays": self.decays,
            "window_fraction": self.window_fraction,
            "expected_events": self.expected_events,
            "gen_norm": self.gen_norm,
            "weight_formula": DECAY_WEIGHT_FORMULA,
            "binding": False,
            "placement": "uniform in the detector volume, constant rate over the live periods",
            "parameters": self.parameters,
        }


def uniform_decays(
    ctx, *, kind: str, decays: float, window_fraction: float, sample_te, parameters: dict
) -> UniformDecays:
    """Build a :class:`UniformDecays` for a builder's context (counts drawn per the mode)."""
    exp = ctx.experiment
    if not (math.isfinite(decays) and decays >= 0):
        raise ValueError(f"component '{ctx.name}': {decays} decays in the run is not allowed")
    expected = decays * window_fraction
    return UniformDecays(
        name=ctx.name,
        kind=kind,
        index=ctx.index,
        decays=float(decays),
        window_fraction=float(window_fraction),
        n_generated=ctx.n_to_generate(expected),
        mode=ctx.mode,
        sample_te=sample_te,
        detector_kind=int(exp.detector.kind),
        detector_params=np.ascontiguousarray(exp.detector.params, dtype=float),
        periods=live_periods(exp),
        parameters=parameters,
    )
