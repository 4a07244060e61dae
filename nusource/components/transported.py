"""β⁻ decays in the detector with their γ cascades transported (``transport = true``).

The decay kinds ``rn222`` (²¹⁴Pb), ``kr85`` and ``beta`` take ``transport =
true``: every branch is sampled (not only the ground-state, "naked" one), the
β electron and the conversion deposits stay at the vertex and the γ rays are
transported through the card's photon geometry (:mod:`nusource.detsim.
photons.cascades`; docs/physics.md §7b).  An event is a decay whose total
deposit in sensitive regions lies in the generation window with its
energy-weighted position in the detector; ``flags`` carry ``multi_site``
when the deposits form more than one site, so the analyses' selection
(flags == 0) applies the multi-site veto that ``naked_only`` assumed.

Decays are uniform in the detector and constant in time over the live
periods (as :class:`~nusource.components.decay.UniformDecays`).  Exposure
mode simulates Poisson(decays) decays and keeps those that make events
(weight 1); fixed mode simulates N decays, each kept event weighing
decays/N.  The expected events (and ``rate``'s figures) come from a pilot of
``PILOT_DECAYS`` decays on the run's own pilot stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nusource.generator.activity import fill_times, time_tables
from nusource.geometry.uniform import fill_uniform
from nusource.io.schema import FLAGS

from .base import metadata_head
from .decay import isotropic_electrons, live_periods, live_seconds, no_neutrino
from .source_gamma import PILOT_SEED, is_event, photon_geometry, site_options

PILOT_DECAYS = 200_000
"""Decays of the pilot run (expected events, single-site fractions)."""
MULTI_SITE = FLAGS["multi_site"]
DECAY_BLOCK = 1 << 17
"""Decays transported at a time: a chunk's decays in blocks run ~2× faster than in one go
(the deposits, sites and outputs of 10⁶ decays are far larger than the processor's cache)."""


def simulate_decays(rng, n, background, geometry, options, detector_kind, detector_params):
    """n decays uniform in the detector: (vertices float64[n, 3], β energy [MeV], events)."""
    from nusource.detsim.photons.cascades import decay_events
    from nusource.generator.beta_emitters import MAX_CASCADE

    vertices = np.empty((n, 3))
    fill_uniform(rng, detector_kind, detector_params, *vertices.T)
    te = np.empty(n)
    branch = np.empty(n, dtype=np.int64)
    background.fill(rng, n, te, branch)
    gammas = np.empty((n, MAX_CASCADE))
    n_gamma = np.empty(n, dtype=np.int64)
    local = np.empty(n)
    background.fill_cascades(rng, branch, gammas, n_gamma, local)
    ev = decay_events(rng, geometry, vertices, te + local, gammas, n_gamma, options)
    return vertices, te, ev


@dataclass(frozen=True)
class DecayPilot:
    """Per decay: P(event), P(single-site in the rate window), the naked-β share there."""

    p_event: float
    p_event_err: float
    p_single: float
    p_single_err: float
    n: int


def _pilot(exp, background, geometry, options, rate_window, seed, index) -> DecayPilot:
    from nusource.core.randomness import COUNT_CHUNK, chunk_rng

    rng = chunk_rng(seed, index, COUNT_CHUNK, "pilot")
    kind, params = int(exp.detector.kind), np.asarray(exp.detector.params, dtype=float)
    _, _, ev = simulate_decays(rng, PILOT_DECAYS, background, geometry, options, kind, params)
    event = is_event(ev, exp.window_mev, kind, params)
    lo, hi = rate_window
    single = event & (ev.n_sites <= 1) & (ev.energy_mev >= lo) & (ev.energy_mev <= hi)
    n = PILOT_DECAYS

    def frac(sel):
        p = float(sel.mean())
        return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)

    return DecayPilot(*frac(event), *frac(single), n)


@dataclass(frozen=True)
class TransportedDecays:
    """A decay component with γ transport (see the module notes)."""

    name: str
    kind: str
    index: int
    decays: float
    n_generated: int
    mode: str
    factory: object = field(repr=False)
    geometry: object = field(repr=False)
    options: object = field(repr=False)
    window_mev: tuple
    rate_window_mev: tuple
    naked_in_window: float
    pilot: DecayPilot
    detector_kind: int
    detector_params: np.ndarray = field(repr=False)
    periods: tuple
    parameters: dict = field(default_factory=dict)
    binding: bool = False
    thinned: bool = True
    sets_flags: bool = True
    isotropic_electrons: bool = True

    @property
    def background(self):
        """The emitter (every branch), built once per process from :attr:`factory`
        (a picklable callable: workers receive the recipe, not megabytes of tables)."""
        return built(self.factory)

    @property
    def expected_events(self) -> float:
        return self.decays * self.pilot.p_event

    @property
    def gen_norm(self) -> float:
        return self.expected_events / max(self.n_generated, 1)

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        m = 0
        for a in range(0, n, DECAY_BLOCK):  # (blocks: the transport's arrays stay in the cache)
            b = min(a + DECAY_BLOCK, n)
            _, _, ev = simulate_decays(
                rng,
                b - a,
                self.background,
                self.geometry,
                self.options,
                self.detector_kind,
                self.detector_params,
            )
            keep = is_event(ev, self.window_mev, self.detector_kind, self.detector_params)
            k = int(keep.sum())
            rows = slice(m, m + k)
            cols["event_id"][rows] = first_id + a + np.flatnonzero(keep)
            cols["te"][rows] = ev.energy_mev[keep]
            cols["vtx_x"][rows] = ev.x_cm[keep]
            cols["vtx_y"][rows] = ev.y_cm[keep]
            cols["vtx_z"][rows] = ev.z_cm[keep]
            if "flags" in cols:
                cols["flags"][rows] = np.where(ev.multi_site[keep], MULTI_SITE, 0)
            m += k
        c = {k: v[:m] for k, v in cols.items()}
        c["component"][:] = self.index
        fill_times(rng, *time_tables(self.periods, math.inf), c["time"])
        isotropic_electrons(rng, c, m)
        no_neutrino(c)
        c["weight"][:] = 1.0 if self.mode == "exposure" else self.decays / max(self.n_generated, 1)
        return m

    def rate_items(self) -> dict:
        """Single-site shares per decay in the rate window, with γ transport and naked."""
        p = self.pilot
        lo, hi = self.rate_window_mev
        return {
            "events_error": self.decays * p.p_event_err,
            "transported": True,
            "single_site_window_kev": [lo * 1e3, hi * 1e3],
            "single_site_in_window_per_decay": p.p_single,
            "single_site_in_window_per_decay_err": p.p_single_err,
            "naked_in_window_per_decay": self.naked_in_window,
            "pilot_decays": p.n,
        }

    def metadata(self) -> dict:
        return {
            **metadata_head(self),
            "n_generated_means": "decays simulated (every branch, γ cascades transported)",
            "decays": self.decays,
            "expected_events": self.expected_events,
            "expected_events_error": self.decays * self.pilot.p_event_err,
            "gen_norm": self.gen_norm,
            "weight_formula": "decays/N (fixed), 1 (exposure)",
            "binding": False,
            "placement": "uniform in the detector volume, constant rate over the live periods; "
            "γ rays transported",
            "parameters": self.parameters,
            **self.rate_items(),
        }


_BUILT: dict = {}
"""Emitters built in this process, by the repr of their factory."""


def built(factory):
    """``factory()``, once per process (keyed by ``repr(factory)``: a functools.partial)."""
    key = repr(factory)
    if key not in _BUILT:
        _BUILT[key] = factory()
    return _BUILT[key]


def transported_decays(ctx, *, kind, factory, naked, parameters, window_kev=None):
    """Build a :class:`TransportedDecays` for a decay kind's builder.

    ``factory()`` makes the emitter sampling every branch (``naked_only =
    False``; a functools.partial, so that workers rebuild it); ``naked`` is the
    same emitter with ``naked_only = True`` (for the naked-β share that
    ``rate`` prints beside the transported one).
    """
    background = built(factory)
    from nusource.core.table_cache import cached_arrays
    from nusource.detsim.photons import TransportOptions

    from .source_gamma import rate_window

    exp = ctx.experiment
    geometry = photon_geometry(exp)
    options = TransportOptions(**site_options(exp))
    rwin = rate_window(exp, window_kev)
    kind_, params = geometry.arrays()[:2]
    inputs = {
        "kind": kind,
        "parameters": parameters,
        "geometry": [kind_.tolist(), params.tolist()],
        "materials": [repr(m) for m in geometry.materials()],
        "options": repr(options),
        "window": list(exp.window_mev),
        "rate_window": list(rwin),
        "detector": [int(exp.detector.kind), list(map(float, exp.detector.params))],
        "seed": PILOT_SEED,
        "index": int(ctx.index),
        "n": PILOT_DECAYS,
    }

    def build():
        p = _pilot(exp, background, geometry, options, rwin, PILOT_SEED, ctx.index)
        return (np.array([p.p_event, p.p_event_err, p.p_single, p.p_single_err]),)

    (a,) = cached_arrays(
        "decay_cascade_pilot",
        inputs,
        build,
        modules=(
            __name__,
            "nusource.detsim.photons.cascades",
            "nusource.detsim.photons.transport",
            "nusource.detsim.photons.interactions",
            "nusource.generator.beta_emitters",
            "nusource.generator.decay_sampler",
            "nusource.geometry.uniform",
        ),
    )
    pilot = DecayPilot(*map(float, a), PILOT_DECAYS)
    decays = background.decays_per_kg_day() * exp.detector_mass_kg * live_seconds(exp) / 86400.0
    lo, hi = rwin
    naked_share = naked.events_per_kg_day() / max(naked.decays_per_kg_day(), 1e-300)
    expected = decays * pilot.p_event
    n = ctx.n_to_generate(decays) if ctx.mode == "exposure" else ctx.n_to_generate(expected)
    return TransportedDecays(
        name=ctx.name,
        kind=kind,
        index=ctx.index,
        decays=float(decays),
        n_generated=n,
        mode=ctx.mode,
        factory=factory,
        geometry=geometry,
        options=options,
        window_mev=tuple(exp.window_mev),
        rate_window_mev=rwin,
        naked_in_window=naked_share * naked.spectrum_fraction(lo, hi),
        pilot=pilot,
        detector_kind=int(exp.detector.kind),
        detector_params=np.ascontiguousarray(exp.detector.params, dtype=float),
        periods=live_periods(exp),
        parameters=parameters,
    )
