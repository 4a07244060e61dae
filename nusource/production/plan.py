"""A production's plan: the run card validated, its components built and its chunks fixed.

Chunks are numbered 0, 1, ... across the run: first the signal's, then each
component's in the card's order.  Chunk j is chunk k of component c; its
events depend only on (card, seed, c, k) (the seed tree, :mod:`nusource.core.randomness`),
so adding or removing a component never changes another's events, and the
events are the same whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._version import __version__
from ..core.randomness import chunk_key
from ..io.formats import check_output
from ..io.provenance import provenance
from ..io.schema import choose_schema, schema_dtype
from ..runcard import MAX_CHUNK_SIZE

CHUNK_SUFFIX = ".h5"
"""Format of the chunk files of parallel runs (uncompressed HDF5)."""


def chunk_sizes(n_total: int, chunk_size: int) -> list[int]:
    """Split n_total events into chunks of chunk_size (the last may be smaller)."""
    if chunk_size <= 0:
        raise ValueError(f"--chunk-size: {chunk_size} is not allowed; it must be > 0")
    full, rest = divmod(n_total, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


@dataclass(frozen=True)
class Production:
    """Everything a chunk needs (picklable: workers receive it once).

    Attributes
    ----------
    components : tuple of Component
        The signal first, then the card's components.
    responses : tuple
        The detector response of each component (None: truth only).
    jobs : tuple of (int, int, int)
        Per chunk: (position in ``components``, chunk number within the
        component, first event id within the component).
    sizes : tuple of int
        Events planned per chunk.
    """

    output: Path
    seed: int
    mode: str
    chunk_size: int
    compression: str | None
    components: tuple
    responses: tuple
    jobs: tuple
    sizes: tuple
    metadata: dict
    run_key: str
    schema: str = "full"

    @property
    def chunk_dir(self) -> Path:
        return self.output.with_name(self.output.name + ".chunks")

    def chunk_path(self, j: int) -> Path:
        return self.chunk_dir / f"chunk_{j:06d}{CHUNK_SUFFIX}"

    @property
    def detected(self) -> bool:
        """Whether the events go through a detector response."""
        return self.responses[0] is not None

    @property
    def dtype(self) -> np.dtype:
        """The fields written: every field ('full') or the analyses' ('slim', see io.schema)."""
        return schema_dtype(self.schema, detected=self.detected)

    @property
    def thinned(self) -> bool:
        """Whether chunks may lose events as they are made (an acceptance, e.g. oscillation)."""
        return any(c.thinned for c in self.components)

    @property
    def n_events(self) -> int | None:
        """Events in the output, when known before the run (None for a thinned run)."""
        return None if self.thinned else sum(self.sizes)

    def possible(self, j: int, n: int) -> bool:
        """Whether chunk j can hold n events (all planned; fewer if its component thins)."""
        thins = self.components[self.jobs[j][0]].thinned
        return n == self.sizes[j] or (thins and n < self.sizes[j])

    def chunk_key(self, j: int) -> str:
        c, k, _ = self.jobs[j]
        return chunk_key(self.seed, self.components[c].index, k)

    @property
    def expected_events(self) -> dict:
        """Expected events of each component for the run's exposure, by name."""
        return {c.name: c.expected_events for c in self.components}


def check_writable(directory: Path) -> None:
    """Fail before any work if files cannot be created in the output's directory."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ValueError(
            f"output: cannot write in directory '{directory}' ({exc.strerror or exc})"
        ) from None


def _jobs(components, chunk_size):
    jobs, sizes = [], []
    for c, comp in enumerate(components):
        first = 0
        for k, m in enumerate(chunk_sizes(comp.n_generated, chunk_size)):
            jobs.append((c, k, first))
            sizes.append(m)
            first += m
    return tuple(jobs), tuple(sizes)


def plan(
    card_path,
    output,
    *,
    n=None,
    exposure=False,
    mode=None,
    seed=None,
    chunk_size=None,
    compression=None,
    overwrite=False,
    detector=True,
    overrides=None,
    schema=None,
) -> Production:
    """Validate everything and fix the chunks before any work is done.

    ``n`` asks for a fixed number of events per component, ``exposure`` for a
    Poisson number (one experiment); otherwise ``mode`` or the card's mode
    holds.  ``detector=False`` writes the generator's truth only (`nusource sample`).
    ``overrides`` replace card keys (``{'physics.mu_bohr': 1e-11}``); the output's
    provenance keeps the card as run.
    ``schema`` ('full', 'slim' or 'auto') overrides the card's ``schema``; 'auto'
    writes the full schema for up to ``io.schema.SLIM_AUTO_EVENTS`` events in all.
    """
    from ..components import build_components
    from ..components.signal import SignalComponent
    from ..experiment import detector_response, load_experiment, signal_spec

    output = Path(output)
    check_output(output, overwrite=overwrite)
    check_writable(output.parent if str(output.parent) else Path("."))
    exp, text = load_experiment(card_path, overrides)
    card = exp.card
    if n is not None and exposure:
        raise ValueError("give -n N (a fixed number of events) or --exposure, not both")
    if mode is None:
        mode = "fixed" if n is not None else ("exposure" if exposure else card.mode)
    n = card.n_events if n is None else n
    if mode != "exposure" and n is None:
        raise ValueError(f"mode '{mode}' needs a number of events: -n N or n_events in the card")
    seed = card.seed if seed is None else seed
    chunk_size = card.chunk_size if chunk_size is None else chunk_size
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(
            f"--chunk-size: {chunk_size} is not allowed; it must be 1 to {MAX_CHUNK_SIZE}"
        )
    response = detector_response(exp) if detector else None
    spec, g = signal_spec(exp, mode=mode, n_events=n, seed=seed)
    components = build_components(exp, SignalComponent(spec), mode=mode, n_events=n, seed=seed)
    responses = tuple(
        response if response is None or c.binding else replace(response, binding=False)
        for c in components
    )
    jobs, sizes = _jobs(components, chunk_size)
    card_schema = getattr(card, "output_schema", None) if detector else None  # (sample: truth)
    asked = card_schema if schema is None else schema
    schema = choose_schema(asked, sum(sizes) if response is not None else 0)
    schema_dtype(schema, detected=response is not None)  # (a slim truth-only run fails now)
    meta = {
        **components[0].metadata(),  # the signal's items, at the top level as in every file
        "seed": seed,
        "chunk_size": chunk_size,
        "components": {str(c.index): c.metadata() for c in components},
        "geometric_factor_cm": g.value_cm,
        "geometric_factor_error_cm": g.error_cm,
        "geometric_factor_method": g.method,
        "decays": exp.decays,
        "neutrinos": exp.neutrinos,
        "electrons": exp.electrons,
        "electron_density_cm3": exp.electron_density_cm3,
        "detector_mass_kg": exp.detector_mass_kg,
        "live_days": sum(d.length_s for d in exp.deployments) / 86400.0,
        "source": exp.nu_source.to_dict(),
        "response": None if response is None else repr(response),
        "schema": schema,
        "provenance": provenance(card_text=text),
    }
    key = json.dumps(
        [__version__, text, seed, mode, chunk_size, [int(c.n_generated) for c in components]]
    )
    if len(components) == 1:  # the key of a signal-only run is unchanged
        key = json.dumps(
            [__version__, text, seed, mode, chunk_size, int(components[0].n_generated)]
        )
    if schema != "full":  # the key of a full-schema run is unchanged
        key = json.dumps([key, schema])
    return Production(
        output=output,
        seed=seed,
        mode=mode,
        chunk_size=chunk_size,
        compression=compression,
        components=components,
        responses=responses,
        jobs=jobs,
        sizes=sizes,
        metadata=meta,
        run_key=hashlib.sha256(key.encode()).hexdigest(),
        schema=schema,
    )
