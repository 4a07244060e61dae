"""Source γ rays through the shields into the detector: component ``source_gamma``.

The emitters are the source's own γ lines (⁵¹Cr: 320.1 keV in 9.9 % of
decays, from its data file), following the source's activity, and the γ
emitters listed on the card (activated impurities: energy, emission per day
at the start of each deployment, half-life), each decaying with its own
half-life while the source is deployed.  Photons start uniformly in the
source's active volume and are transported (:mod:`nusource.detsim.photons`)
through the source matrix, each shield layer, the detector and the card's
outer regions, with the exponential transform and direction biasing toward
the detector (docs/physics.md §7b), and Russian roulette of photons that
fall, in the source or a shield, below an energy that the pilot chooses
(below).

Events and weights
------------------
A history is one emitted photon.  Histories pick emitter k with probability
q_k (from a pilot run: q_k ∝ the emitter's expected events, with a floor so
that every emitter is sampled), so a history with transport weight w stands
for u = D_k·w/q_k expected events, D_k the emitter's photons in the run.
Only histories with energy deposited in sensitive regions, in the generation
window, whose energy-weighted position lies in the detector volume make
events (the component is thinned): the detector is where every component's
events are, and deposits in an outer active layer count toward the energy
and the sites of an event, not as events of their own.

* fixed/weighted mode (``-n N``: N histories): weight = u/N per event
  (exact), or with ``unweighted = true`` events kept u/U_max times on
  average (as below), each of weight U_max/N;
* exposure mode: Poisson(U_max) histories, each kept u/U_max times on
  average (once with probability u/U_max below U_max, ⌊u/U_max⌋ or one more
  times above: :func:`rejection_bound`), so the events are a Poisson
  experiment (weight 1) of mean E = Σ_k D_k·P_k whatever U_max is.

The event's ``te`` is the deposited energy in sensitive regions (secondary
electrons deposit locally), its vertex the energy-weighted position, and its
``flags`` carry ``multi_site`` (more than one site with the card's site
separation, in any sensitive region); the detector response keeps that bit
and adds its own.  Photon events carry no neutrino: cross-section parts as decays
(``xs_gen`` = ``xs_sm`` = 1), ``src_*`` is the emission point, the electron
direction isotropic (a photon event has no single electron).

Russian roulette
----------------
A photon that Compton-scatters in the source or a shield to a lower energy
is much less likely to get out than the one that came in (behind 17 cm of
tungsten, a 0.75 MeV photon is attenuated e¹² times more than a 1.5 MeV
one), yet it is followed until it is absorbed: in the LXe card, 40 % of the
flights of a history.  Such a photon plays Russian roulette once
(:class:`~nusource.detsim.photons.TransportOptions`): it goes on with
probability p = ``ROULETTE_SURVIVAL``, its history's weight divided by p,
else its history ends without an event.  Every expectation stays exact.
The variance of a tally grows by (1/p − 1) times the share of its Σw² from
histories that play, so the pilot (run without roulette) chooses, per line
energy E, the highest energy E·k/20 at which that share is at most
``ROULETTE_VARIANCE``/(1/p − 1) for the events, the histories interacting
in the fiducial volume and the single-site ones alike (the variance grows by
≤ 1 %); none if no such energy.  ``roulette = false`` on the card turns it off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from nusource.generator.activity import Deployment, deployment_decays, fill_times, time_tables
from nusource.geometry.solids import inside_where_in
from nusource.io.schema import FLAGS
from nusource.runcard import PHOTON_MATERIALS

from .base import ComponentCard, metadata_head, register
from .decay import isotropic_electrons, no_neutrino

DAY_S = 86400.0
E_MIN_KEV, E_MAX_KEV = 10.0, 10_000.0
"""Photon energies the transport covers [keV]."""
MAX_EMISSION_PER_DAY = 1.0e25
"""Most γ per day an impurity may emit (10²⁵/day ≈ 3 MCi of γ: more than any source)."""
PILOT_SEED = 0
"""Seed of the pilot runs: a pilot depends on the card only, so every seed of a card has the
same expectation (and ``rate`` and the files agree); the run's events follow the run's seed."""
PILOT_HISTORIES = 1_000_000
"""Pilot histories per line energy (sampling shares, U_max, the rates of ``rate``)."""
Q_FLOOR = 0.02
"""Least share of the histories an emitter gets (its events stay sampled)."""
ROULETTE_SURVIVAL = 0.1
"""Survival probability of the Russian roulette (module notes)."""
ROULETTE_VARIANCE = 0.01
"""Largest relative growth of a tally's variance that the roulette's energy may cause."""
ROULETTE_STEPS = 20
"""The roulette's energy is a step E·k/ROULETTE_STEPS (0 < k < ROULETTE_STEPS) of the line's E."""
MULTI_SITE = FLAGS["multi_site"]
WEIGHT_FORMULA = "D_k*w/(q_k*N) per event (weighted); 1 (exposure); U_max/N (unweighted)"

Energy = Annotated[float, Field(ge=E_MIN_KEV, le=E_MAX_KEV, allow_inf_nan=False)]
Emission = Annotated[float, Field(ge=0, le=MAX_EMISSION_PER_DAY, allow_inf_nan=False)]
HalfLife = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]


class ImpurityCard(ComponentCard):
    """One γ emitter in the source: ``{ energy_kev, emission_per_day, half_life_days }``."""

    energy_kev: Energy
    """Photon energy [keV], 10–10,000."""
    emission_per_day: Emission
    """γ emitted per day (all directions) at the start of each deployment."""
    half_life_days: HalfLife
    """Half-life [days]: the emission decays with it during the run."""
    label: str = ""
    """What it stands for (e.g. "24Na-like")."""


class SourceGammaCard(ComponentCard):
    """[[components]] kind = "source_gamma": the source's γ rays (docs/physics.md §7b)."""

    source_lines: bool = True
    """Include the source's own γ lines (its data file's ``gammas``)."""
    source_material: Literal[PHOTON_MATERIALS + ("none",)] = "none"  # type: ignore[valid-type]
    """The source's active volume (self-absorption): "Cr" for chromium metal; "none": vacuum."""
    impurities: list[ImpurityCard] = []
    window_kev: Annotated[tuple[float, float], Field(strict=False)] | None = None
    """Window of ``rate``'s single-site rate [keV] (default: the response's selection)."""
    unweighted: bool = False
    """Fixed mode: events of equal weight by rejection (default: exact per-event weights)."""
    stretch: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.93
    """Exponential-transform parameter in the source and shields (0: analog)."""
    cone_fraction: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.9
    """Share of emission directions drawn toward the detector."""
    pilot_histories: Annotated[int, Field(ge=10_000, le=100_000_000)] = PILOT_HISTORIES
    """Histories of the pilot run per line energy (shares, U_max and ``rate``'s figures)."""
    roulette: bool = True
    """Russian roulette of photons scattered below the pilot's energy in the source and
    shields (module notes); false: every photon is followed to its end."""

    @model_validator(mode="after")
    def _check(self):
        if self.window_kev is not None:
            lo, hi = self.window_kev
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
                raise ValueError(f"window_kev = {list(self.window_kev)}: must be [lo, hi] keV")
        return self


@dataclass(frozen=True)
class Emitter:
    """One γ emitter: its photons, when, and how many.

    Attributes
    ----------
    label : str
    energy_mev : float
    periods : tuple of Deployment
        Emission rate [γ/s] at the start of each period.
    half_life_s : float
    photons : float
        γ emitted in the run.
    """

    label: str
    energy_mev: float
    periods: tuple
    half_life_s: float
    photons: float

    def rate_per_day_at_start(self) -> float:
        return self.periods[0].a0_bq * DAY_S


def emitters(exp, card: SourceGammaCard) -> tuple[Emitter, ...]:
    """The card's γ emitters over the run's deployments (the source's lines first)."""
    deps = exp.deployments
    out = []
    if card.source_lines:
        for g in exp.nu_source.gammas:
            periods = tuple(Deployment(d.start_s, d.length_s, d.a0_bq * g.intensity) for d in deps)
            hl = exp.nu_source.half_life_s
            out.append(
                Emitter(
                    f"{exp.nu_source.name} {g.energy_mev * 1e3:g} keV",
                    g.energy_mev,
                    periods,
                    hl,
                    float(deployment_decays(periods, hl).sum()),
                )
            )
    a_first = deps[0].a0_bq
    for i, imp in enumerate(card.impurities):
        hl = imp.half_life_days * DAY_S
        r0 = imp.emission_per_day / DAY_S
        # each deployment: a source whose impurities scale with its activity at its start
        periods = tuple(
            Deployment(d.start_s, d.length_s, r0 * d.a0_bq / a_first if a_first > 0 else r0)
            for d in deps
        )
        out.append(
            Emitter(
                imp.label or f"impurity {i} ({imp.energy_kev:g} keV)",
                imp.energy_kev * 1e-3,
                periods,
                hl,
                float(deployment_decays(periods, hl).sum()),
            )
        )
    return tuple(out)


def photon_material(name: str):
    """A card's material name as a Material ("Cr": chromium metal; "none": vacuum, None)."""
    if name == "none":
        return None
    if name == "Cr":
        from nusource.detsim.photons.rates import CHROMIUM

        return CHROMIUM
    from nusource.geometry.materials import get_material

    return get_material(name)


def photon_geometry(exp, source_material: str = "none"):
    """The run's photon geometry: the fiducial volume (if the response has one), the
    detector, the source and its shields, then the card's [photons].outer regions."""
    from nusource.detsim.photons import Region, geometry_from_experiment
    from nusource.experiment import _solid

    outer = [
        Region(
            o.name, _solid(o), photon_material(o.material), sensitive=o.sensitive, biased=o.biased
        )
        for o in exp.card.photons.outer
    ]
    r = exp.card.response
    fiducial = None if r is None or r.fiducial is None else _solid(r.fiducial)
    return geometry_from_experiment(
        exp, fiducial=fiducial, source_material=photon_material(source_material), outer=outer
    )


def site_options(exp) -> dict:
    """The card's [photons] site keys as :class:`TransportOptions` arguments."""
    p = exp.card.photons
    return {"site_mode": p.site_mode, "site_dz_cm": p.site_dz_cm, "site_dr_cm": p.site_dr_cm}


@dataclass(frozen=True)
class Pilot:
    """What a pilot run tells about each emitter (per emitted photon, window-restricted)."""

    p_event: np.ndarray
    """Expected events (deposit in the window) per emitted photon, per emitter."""
    p_event_err: np.ndarray
    p_fiducial: np.ndarray
    p_fiducial_err: np.ndarray
    p_single: np.ndarray
    p_single_err: np.ndarray
    event_w: np.ndarray
    """Transport weights of the pilot's events, every line energy's in turn."""
    event_energy: np.ndarray
    """The line energy [MeV] of each of ``event_w``."""
    event_emin: np.ndarray
    """Each of ``event_w``'s lowest photon energy after a scattering in the source or a
    shield [MeV] (inf: none; ``Histories.min_passive_energy``)."""
    roulette_mev: np.ndarray
    """The roulette's energy per emitter [MeV] (0: none; module notes)."""
    n: int


PER_EMITTER = ("p_event", "p_event_err", "p_fiducial", "p_fiducial_err", "p_single", "p_single_err")
PILOT_ARRAYS = PER_EMITTER + ("event_w", "event_energy", "event_emin", "roulette_mev")


def is_event(cols, window_mev, detector_kind, detector_params) -> np.ndarray:
    """Histories that make events: deposited energy in the generation window [MeV] and
    its energy-weighted position inside the detector solid (bool[n]).

    ``cols``: per-history arrays ``energy_mev``, ``x_cm``, ``y_cm``, ``z_cm``
    (:class:`~nusource.detsim.photons.EventColumns`, ``CascadeEvents``)."""
    lo, hi = window_mev
    return inside_where_in(
        detector_kind, detector_params, cols.x_cm, cols.y_cm, cols.z_cm, cols.energy_mev, lo, hi
    )


def roulette_energy(energy_mev, w, emin, tallies) -> float:
    """The roulette's energy for a line of ``energy_mev`` from its pilot [MeV] (0: none).

    ``w``, ``emin``: the pilot histories' weights and ``min_passive_energy``;
    ``tallies``: bool masks of the histories each tally counts.  The highest
    E·k/ROULETTE_STEPS at which, in every tally, the histories with emin below it
    hold at most ROULETTE_VARIANCE/(1/p − 1) of Σw² (module notes).
    """
    bound = ROULETTE_VARIANCE / (1.0 / ROULETTE_SURVIVAL - 1.0)
    w2 = w * w
    for k in range(ROULETTE_STEPS - 1, 0, -1):
        e_r = energy_mev * k / ROULETTE_STEPS
        below = emin < e_r
        if all(w2[t & below].sum() <= bound * w2[t].sum() for t in tallies):
            return e_r
    return 0.0


def _pilot(geometry, ems, options, card, window_mev, rate_window_mev, seed, index, det):
    from nusource.core.randomness import COUNT_CHUNK, chunk_rng
    from nusource.detsim.photons.rates import fiducial_tallies, gamma_histories

    rng = chunk_rng(seed, index, COUNT_CHUNK, "pilot")
    k = len(ems)
    out = {name: np.zeros(k) for name in PER_EMITTER}
    event_w, event_energy, event_emin = [], [], []
    out["roulette_mev"] = np.zeros(k)
    detector_kind, detector_params = det
    energies = sorted({em.energy_mev for em in ems})
    for energy in energies:  # one pilot per line energy, shared by its emitters
        cols, h, _ = gamma_histories(
            rng,
            card.pilot_histories,
            geometry,
            [(1.0, (energy,))],
            "source",
            options=options,
            cone_fraction=card.cone_fraction,
        )
        w = cols.weight
        event = is_event(cols, window_mev, detector_kind, detector_params)
        fid, single = fiducial_tallies(geometry, cols, rate_window_mev)
        mine = [i for i, em in enumerate(ems) if em.energy_mev == energy]
        for name, sel in (("p_event", event), ("p_fiducial", fid), ("p_single", single)):
            x = np.where(sel, w, 0.0)
            out[name][mine] = x.mean()
            out[name + "_err"][mine] = x.std(ddof=1) / math.sqrt(x.size)
        out["roulette_mev"][mine] = roulette_energy(
            energy, w, h.min_passive_energy, (event, fid, single)
        )
        event_w.append(w[event])
        event_energy.append(np.full(int(event.sum()), energy))
        event_emin.append(h.min_passive_energy[event])
    out["event_w"], out["event_energy"] = np.concatenate(event_w), np.concatenate(event_energy)
    out["event_emin"] = np.concatenate(event_emin)
    return Pilot(**out, n=card.pilot_histories)


@dataclass(frozen=True)
class SourceGamma:
    """The ``source_gamma`` component (see the module notes)."""

    name: str
    index: int
    mode: str
    unweighted: bool
    n_generated: int
    ems: tuple
    q: np.ndarray
    u_max: float
    duplicate_share: float
    expected_events: float
    expected_events_err: float
    geometry: object = field(repr=False)
    options: object = field(repr=False)
    roulette_mev: np.ndarray
    """The roulette's energy per emitter [MeV] (0: none)."""
    cone_fraction: float
    window_mev: tuple
    pilot: Pilot = field(repr=False)
    rate_window_mev: tuple
    detector_kind: int
    detector_params: np.ndarray = field(repr=False)
    parameters: dict = field(default_factory=dict)
    kind: str = "source_gamma"
    binding: bool = False
    thinned: bool = True
    sets_flags: bool = True
    isotropic_electrons: bool = True

    @property
    def gen_norm(self) -> float:
        return self.expected_events / max(self.n_generated, 1)

    @property
    def rejection(self) -> bool:
        return self.mode == "exposure" or self.unweighted

    def emitter_options(self, k: int):
        """The transport options of emitter k's histories (its roulette energy)."""
        return replace(
            self.options,
            roulette_below_mev=float(self.roulette_mev[k]),
            roulette_survival=ROULETTE_SURVIVAL,
        )

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        from nusource.detsim.photons.rates import gamma_histories
        from nusource.generator.alias import draw_indices

        which = draw_indices(rng, self.q, n)
        kept = 0
        for k, em in enumerate(self.ems):
            ids = np.flatnonzero(which == k)
            if ids.size == 0:
                continue
            ev, _, points = gamma_histories(
                rng,
                ids.size,
                self.geometry,
                [(1.0, (em.energy_mev,))],
                "source",
                options=self.emitter_options(k),
                cone_fraction=self.cone_fraction,
            )
            u = em.photons * ev.weight / self.q[k]
            event = is_event(ev, self.window_mev, self.detector_kind, self.detector_params)
            if self.rejection:  # u/U_max expected copies: 0 or 1 below U_max, more above
                r = np.where(event, u / self.u_max, 0.0)
                copies = np.floor(r).astype(np.int64) + (rng.random(ids.size) < r % 1.0)
            else:
                copies = event.astype(np.int64)
            keep = np.repeat(np.arange(ids.size), copies)  # rows (a history's copies together)
            m = keep.size
            if m == 0:
                continue
            if kept + m > next(iter(cols.values())).shape[0]:
                raise ValueError(
                    f"component '{self.name}': more events than the chunk holds; "
                    "run with a larger --chunk-size"
                )
            sl = slice(kept, kept + m)
            c = {name: col[sl] for name, col in cols.items()}
            c["event_id"][:] = first_id + ids[keep]
            c["component"][:] = self.index
            fill_times(rng, *time_tables(em.periods, em.half_life_s), c["time"])
            c["te"][:] = ev.energy_mev[keep]
            c["vtx_x"][:] = ev.x_cm[keep]
            c["vtx_y"][:] = ev.y_cm[keep]
            c["vtx_z"][:] = ev.z_cm[keep]
            isotropic_electrons(rng, c, m)
            no_neutrino(c)
            if "src_x" in c:  # (the emission point, unless the run does not store it)
                c["src_x"][:] = points[keep, 0]
                c["src_y"][:] = points[keep, 1]
                c["src_z"][:] = points[keep, 2]
            if self.mode == "exposure":
                c["weight"][:] = 1.0
            elif self.unweighted:
                c["weight"][:] = self.u_max / self.n_generated
            else:
                c["weight"][:] = u[keep] / self.n_generated
            if "flags" in c:
                c["flags"][:] = np.where(ev.multi_site[keep], MULTI_SITE, 0)
            kept += m
        if kept:  # rows in history order, as the other components' are
            order = np.argsort(cols["event_id"][:kept], kind="stable")
            for col in cols.values():
                col[:kept] = col[:kept][order]
        return kept

    def rate_items(self) -> dict:
        """What ``rate`` reports besides the run's expected events (per day at the start)."""
        return {
            **gamma_rates(self.ems, self.pilot, self.rate_window_mev),
            "events_error": self.expected_events_err,
        }

    def metadata(self) -> dict:
        return {
            **metadata_head(self),
            "n_generated_means": "photon histories (emitted γ rays) simulated",
            "expected_events": self.expected_events,
            "expected_events_error": self.expected_events_err,
            "gen_norm": self.gen_norm,
            "weight_formula": WEIGHT_FORMULA,
            "unweighted": self.rejection,
            "u_max": self.u_max,
            "duplicate_share": self.duplicate_share,
            "roulette_survival": ROULETTE_SURVIVAL,
            "binding": False,
            "placement": "photons from the source's active volume, transported",
            "emitters": [
                {
                    "label": em.label,
                    "energy_mev": em.energy_mev,
                    "half_life_s": em.half_life_s,
                    "photons_in_run": em.photons,
                    "emitted_per_day_at_start": em.rate_per_day_at_start(),
                    "history_share": float(self.q[k]),
                    "roulette_below_mev": float(self.roulette_mev[k]),
                }
                for k, em in enumerate(self.ems)
            ],
            "parameters": self.parameters,
        }


def rate_window(exp, window_kev=None) -> tuple[float, float]:
    """The window of ``rate``'s single-site figures [MeV]: ``window_kev`` (a card entry's),
    else the response's selection window, else its threshold to the generation window's top."""
    if window_kev is not None:
        return window_kev[0] * 1e-3, window_kev[1] * 1e-3
    r = exp.card.response
    if r is not None and r.window_kev is not None:
        return r.window_kev[0] * 1e-3, r.window_kev[1] * 1e-3
    lo = r.threshold_kev * 1e-3 if r is not None else exp.window_mev[0]
    return max(lo, exp.window_mev[0]), exp.window_mev[1]


def build_pilot(exp, card: SourceGammaCard, seed: int, index: int):
    """(emitters, geometry, options, pilot) of a card entry; the pilot from the disk cache."""
    from nusource.core.table_cache import cached_arrays
    from nusource.detsim.photons.rates import biased_options

    ems = emitters(exp, card)
    if not ems:
        raise ValueError(
            "components ('source_gamma'): no γ emitter: the source has no γ lines "
            "and the entry lists no impurities"
        )
    if exp.geo_source.is_point:
        raise ValueError(
            "components ('source_gamma'): needs a source with a volume "
            "(source.shape = 'cylinder'), not a point"
        )
    geometry = photon_geometry(exp, card.source_material)
    options = biased_options(geometry, "source", card.stretch, **site_options(exp))
    rwin = rate_window(exp, card.window_kev)
    kind, params, mat, flags, world, _ = geometry.arrays()
    inputs = {
        "energies": [em.energy_mev for em in ems],
        "geometry": [kind.tolist(), params.tolist(), mat.tolist(), flags.tolist(), int(world)],
        "materials": [repr(m) for m in geometry.materials()],
        "options": repr(options),
        "cone": card.cone_fraction,
        "window": list(exp.window_mev),
        "rate_window": list(rwin),
        "seed": int(seed),
        "index": int(index),
        "n": card.pilot_histories,
    }

    def build():
        det = (int(exp.detector.kind), np.asarray(exp.detector.params, dtype=float))
        p = _pilot(geometry, ems, options, card, exp.window_mev, rwin, seed, index, det)
        return tuple(getattr(p, name) for name in PILOT_ARRAYS)

    arrays = cached_arrays(
        "source_gamma_pilot",
        inputs,
        build,
        modules=(
            __name__,
            "nusource.detsim.photons.transport",
            "nusource.detsim.photons.rates",
            "nusource.detsim.photons.cross_sections",
            "nusource.detsim.photons.biasing",
            "nusource.detsim.photons.interactions",
            "nusource.geometry.uniform",
            "nusource.generator.alias",
        ),
    )
    pilot = Pilot(**dict(zip(PILOT_ARRAYS, arrays, strict=True)), n=card.pilot_histories)
    return ems, geometry, options, pilot


@register("source_gamma", SourceGammaCard)
def _source_gamma(card: SourceGammaCard, ctx):
    exp = ctx.experiment
    ems, geometry, options, pilot = build_pilot(exp, card, PILOT_SEED, ctx.index)
    photons = np.array([em.photons for em in ems])
    per_emitter = photons * pilot.p_event
    expected, err = summed(ems, photons, pilot.p_event, pilot.p_event_err)
    total = per_emitter.sum()
    share = per_emitter / total if total > 0 else np.full(len(ems), 1.0 / len(ems))
    q = np.where(photons > 0, np.maximum(share, Q_FLOOR), 0.0)
    if not q.sum() > 0:
        raise ValueError(f"components ('{ctx.name}'): its emitters emit no γ in the run")
    q /= q.sum()
    roulette = pilot.roulette_mev if card.roulette else np.zeros(len(ems))
    u_max, duplicates = rejection_bound(ems, q, pilot, roulette)
    if ctx.mode == "exposure":
        n = ctx.n_to_generate(u_max) if u_max > 0 else 0
    else:
        n = ctx.n_to_generate(expected)
    return SourceGamma(
        name=ctx.name,
        index=ctx.index,
        mode=ctx.mode,
        unweighted=card.unweighted,
        n_generated=n,
        ems=ems,
        q=q,
        u_max=u_max,
        duplicate_share=duplicates,
        expected_events=expected,
        expected_events_err=err,
        geometry=geometry,
        options=options,
        roulette_mev=roulette,
        cone_fraction=card.cone_fraction,
        window_mev=tuple(exp.window_mev),
        pilot=pilot,
        rate_window_mev=rate_window(exp, card.window_kev),
        detector_kind=int(exp.detector.kind),
        detector_params=np.ascontiguousarray(exp.detector.params, dtype=float),
        parameters=card.model_dump(),
    )


DUPLICATE_SHARE = 0.01
"""Exposure mode: the share of the expected events that may be copies of a history."""


def rejection_bound(ems, q, pilot: Pilot, roulette_mev, share: float = DUPLICATE_SHARE):
    """U_max of the rejection and the pilot's share of expected events made as copies.

    A history standing for u expected events is kept u/U_max times on average
    (once with probability u/U_max below U_max; ⌊u/U_max⌋ or one more times
    above), so any U_max is exact; a small one costs fewer histories
    (Poisson(U_max) of them) but makes more copies of the rare heavy
    histories.  U_max is the smallest bound whose copies beyond the first are
    at most ``share`` of the pilot's expectation (the largest u if that is
    smaller).  A pilot history that would play the roulette (``roulette_mev`` per
    emitter) stands for its survivors, of 1/p times its u.
    """
    us, cs = [], []
    for k, em in enumerate(ems):
        mine = pilot.event_energy == em.energy_mev
        w = pilot.event_w[mine]
        if q[k] > 0 and w.size:
            played = pilot.event_emin[mine] < roulette_mev[k]
            us.append(em.photons * np.where(played, w / ROULETTE_SURVIVAL, w) / q[k])
            cs.append(np.full(w.size, em.photons / pilot.n) * w)
    if not us:
        return 0.0, 0.0
    u, c = np.concatenate(us), np.concatenate(cs)
    total = float(c.sum())

    def extra(bound):  # expected copies beyond the first, as a share of the expectation
        over = u > bound
        return float(np.sum(c[over] * (1.0 - bound / u[over]))) / total

    lo, hi = float(u.min()), float(u.max())
    if extra(lo) <= share:
        return lo, extra(lo)
    for _ in range(60):  # bisection in log U
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if extra(mid) <= share else (mid, hi)
    return hi, extra(hi)


def summed(ems, scale: np.ndarray, p: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Σ scale_k·p_k and its error: emitters of one energy share a pilot (errors add
    linearly within an energy, in quadrature across energies)."""
    var = 0.0
    for energy in {em.energy_mev for em in ems}:
        mine = [i for i, em in enumerate(ems) if em.energy_mev == energy]
        var += float(np.sum(scale[mine] * err[mine])) ** 2
    return float(np.sum(scale * p)), math.sqrt(var)


def gamma_rates(ems, pilot: Pilot, window_mev) -> dict:
    """``rate --json``'s ``components.source_gamma`` items: per day at the start, with errors."""
    r0 = np.array([em.rate_per_day_at_start() for em in ems])

    def total(p, e):
        return summed(ems, r0, p, e)

    fid, fid_err = total(pilot.p_fiducial, pilot.p_fiducial_err)
    ss, ss_err = total(pilot.p_single, pilot.p_single_err)
    return {
        "emitted_per_day": float(r0.sum()),
        "interacting_in_fiducial_per_day": fid,
        "interacting_in_fiducial_per_day_err": fid_err,
        "single_site_in_window_per_day": ss,
        "single_site_in_window_per_day_err": ss_err,
        "single_site_window_kev": [window_mev[0] * 1e3, window_mev[1] * 1e3],
        "rates_at": "the start of the first deployment (Monte Carlo, 1σ statistical errors)",
        "per_emitter": [
            {
                "label": em.label,
                "energy_kev": em.energy_mev * 1e3,
                "half_life_days": em.half_life_s / DAY_S,
                "emitted_per_day": float(r0[k]),
                "interacting_in_fiducial_per_day": float(r0[k] * pilot.p_fiducial[k]),
                "single_site_in_window_per_day": float(r0[k] * pilot.p_single[k]),
            }
            for k, em in enumerate(ems)
        ],
        "pilot_histories_per_energy": pilot.n,
    }
