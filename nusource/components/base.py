"""The component protocol, its registry, and how a run card's entries become components."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from nusource.io.schema import WEIGHT_MODES
from nusource.runcard import STRICT

SIGNAL_INDEX = 0
"""The signal (the source's ν–e scattering) is component 0; card entries follow from 1."""


@runtime_checkable
class Component(Protocol):
    """What a production needs of a kind of event.

    Attributes
    ----------
    name : str
        Unique in the run (``'signal'``, ``'xe136'``, ...); names the events in files.
    kind : str
        The registry key it was built from.
    index : int
        The value of the events' ``component`` field and the seed tree's component key.
    binding : bool
        Whether atomic binding (stepping approximation) applies: True for ν–e
        scattering, False for decays and γ rays.
    n_generated : int
        Events generated in the run (before any thinning).
    expected_events : float
        Expected events of the run's exposure in the card's generation window.
    gen_norm : float
        Expected events per generated event (the weight of an unweighted event).
    thinned : bool
        Whether :meth:`fill` may return fewer events than asked (an acceptance).

    Optional: ``isotropic_electrons`` (True: the events have no neutrino; their
    electron direction is an isotropic draw,
    :func:`~nusource.components.decay.isotropic_electrons`, which :meth:`fill`
    skips when ``cols`` lacks ``e_dx``, and their ν fields are the constants of
    :func:`~nusource.components.decay.no_neutrino`, which it sets only where
    ``cols`` has them: a run that does not store them); ``sets_flags`` (True:
    :meth:`fill` sets truth bits of ``flags``).
    """

    name: str
    kind: str
    index: int
    binding: bool
    n_generated: int
    expected_events: float
    gen_norm: float
    thinned: bool

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        """Draw n events' truth fields into the first n rows of ``cols``; the rows kept."""

    def metadata(self) -> dict:
        """JSON-ready description: parameters, rate, exposure, weight convention."""


def metadata_head(comp) -> dict:
    """The keys every background component's metadata starts with: name, kind, weight mode
    (with its meaning) and the number generated."""
    return {
        "name": comp.name,
        "kind": comp.kind,
        "mode": comp.mode,
        "mode_description": WEIGHT_MODES[comp.mode],
        "n_generated": int(comp.n_generated),
    }


@dataclass(frozen=True)
class BuildContext:
    """What a kind's builder gets besides its own card entry.

    Attributes
    ----------
    experiment : nusource.experiment.Experiment
        The resolved run card (detector, material, deployments, window, model).
    mode : {'fixed', 'exposure', 'weighted'}
    n_events : int or None
        Events to generate in the fixed and weighted modes (per component).
    seed : int
        Master seed (the exposure mode draws its Poisson count from the
        component's count stream, ``chunk_rng(seed, index, COUNT_CHUNK, 'count')``).
    index : int
        The component's index.
    name : str
        The component's name.
    """

    experiment: Any
    mode: str
    n_events: int | None
    seed: int
    index: int
    name: str

    def n_to_generate(self, expected: float) -> int:
        """The number of events: n_events (fixed, weighted), or Poisson(expected) (exposure)."""
        if self.mode == "exposure":
            from nusource.core.randomness import COUNT_CHUNK, chunk_rng

            lam = float(expected)
            if not (math.isfinite(lam) and lam >= 0):
                raise ValueError(f"component '{self.name}': expected events {lam} are not finite")
            if lam > 1e10:
                raise ValueError(
                    f"component '{self.name}': {lam:.3g} expected events, more than the 1e+10 "
                    "one run can make; check its activity or concentration, or use -n N"
                )
            return int(chunk_rng(self.seed, self.index, COUNT_CHUNK, "count").poisson(lam))
        if self.n_events is None:
            raise ValueError(f"mode '{self.mode}' needs a number of events: -n N or n_events")
        return int(self.n_events)


class ComponentCard(BaseModel):
    """Base of the card models of component kinds: unknown keys are errors, values frozen."""

    model_config = STRICT  # (the card's: validators built at first use)

    def unusual(self) -> list[str]:
        """Allowed but unusual values, one ``key = value unit ...`` sentence each (warned)."""
        return []


def at_most(value: float, limit: float, unit: str, why: str) -> float:
    """A card value checked against its physical upper bound (ValueError: value, unit, why)."""
    if value > limit:
        raise ValueError(f"{value:g} {unit} is {why}; allowed: up to {limit:g} {unit}")
    return value


@dataclass(frozen=True)
class _Kind:
    card: type[BaseModel]
    build: Callable[[BaseModel, BuildContext], Component]
    materials: tuple[str, ...] | None


KINDS: dict[str, _Kind] = {}
"""Registered kinds: ``kind`` → (card model, builder, detector materials it can live in)."""


def register(kind: str, card: type[BaseModel], *, materials: tuple[str, ...] | None = None):
    """Register a builder ``build(card, ctx) -> Component`` for run-card entries of ``kind``.

    ``card`` is the pydantic model of the entry's keys (besides ``kind`` and
    ``name``); ``materials`` the detector materials the component can live in
    (None: any).
    """

    def decorator(build):
        if kind in KINDS or kind == "signal":
            raise ValueError(f"component kind '{kind}' is already registered")
        KINDS[kind] = _Kind(card, build, None if materials is None else tuple(materials))
        return build

    return decorator


@dataclass(frozen=True)
class Entry:
    """A validated ``[[components]]`` entry: its kind, name and card."""

    kind: str
    name: str
    card: BaseModel


def _first_error(err: ValidationError) -> str:
    from nusource.runcard import describe_error

    return describe_error(sorted(err.errors(), key=lambda x: x["type"] != "extra_forbidden")[0])


def validate_entries(entries: list) -> tuple[Entry, ...]:
    """Validate a run card's ``[[components]]`` list (ValueError naming ``components[i].key``)."""
    out, names = [], {"signal"}
    for i, raw in enumerate(entries):
        where = f"components[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a table with a 'kind' key (got {raw!r})")
        data = dict(raw)
        kind = data.pop("kind", None)
        if kind is None:
            keys = f"; the entry has {', '.join(map(str, data))}" if data else ""
            raise ValueError(f"{where}.kind: missing; allowed: {', '.join(sorted(KINDS))}{keys}")
        if not isinstance(kind, str) or kind not in KINDS:
            allowed = ", ".join(sorted(KINDS)) or "none registered"
            raise ValueError(f"{where}.kind: unknown component kind {kind!r}; allowed: {allowed}")
        name = data.pop("name", kind)
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{where}.name: {name!r} must be a word (letters, digits, _)")
        if name in names:
            raise ValueError(f"{where}.name: '{name}' is already used; give each entry a name")
        names.add(name)
        try:
            card = KINDS[kind].card.model_validate(data)
        except ValidationError as err:
            raise ValueError(f"{where}.{_first_error(err)}") from None
        for text in getattr(card, "unusual", lambda: [])():
            from nusource.runcard import CardWarning

            warnings.warn(f"{where}.{text}", CardWarning, stacklevel=2)
        out.append(Entry(kind, name, card))
    return tuple(out)


def component_names(entries) -> dict[str, str]:
    """Index (as text) → name of every component of a run: the signal first."""
    return {"0": "signal", **{str(i + 1): e.name for i, e in enumerate(entries)}}


def build_components(experiment, signal: Component, *, mode: str, n_events, seed: int):
    """The run's components: the signal, then each card entry in order (index 1, 2, ...)."""
    out = [signal]
    material = experiment.card.detector.material
    for i, entry in enumerate(experiment.components):
        allowed = KINDS[entry.kind].materials
        if allowed is not None and material not in allowed:
            raise ValueError(
                f"components[{i}] ('{entry.name}', kind '{entry.kind}'): cannot live in a "
                f"{material} detector; allowed detector materials: {', '.join(allowed)}"
            )
        ctx = BuildContext(experiment, mode, n_events, seed, i + 1, entry.name)
        out.append(KINDS[entry.kind].build(entry.card, ctx))
    return tuple(out)
