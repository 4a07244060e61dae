"""One rule for combining runs: what the metadata of several files say together.

Files are grouped into runs: files with the same ``run_key`` (or, in files
that have none, the same run card, seed and mode) are pieces of one run
(chunk files, or a file split by hand); their event counts add and their
chunk keys join.  Different runs of one card (e.g. other seeds) are
independent experiments on the same setup, and combine as one longer run:

- exposures add: ``exposure_per_cm2``, ``expected_events``, ``decays``,
  ``neutrinos``, ``n_generated``, ``live_days`` and ``n_events`` are summed,
  and so are each component's under ``components``;
- weights follow: every event keeps the weight of its own run, so the summed
  weights are the expected events of the summed exposure; ``gen_norm`` becomes
  Σ gen_normᵣ·nᵣ / Σ nᵣ (nᵣ the events each run generated), the expected
  events per generated event of the combination;
- ``seed`` is the first run's; every run's seed, run key, card hash, events and
  exposure are listed under ``runs``;
- the same chunk (a chunk key) twice is refused: a file given twice, or two
  copies of one run, would count its events twice.

:func:`combine_runs` is used by ``read_events`` (``EventSet.run``), ``merge``,
``analyze`` and ``reproduce``.
"""

from __future__ import annotations

import copy
import json

ADDITIVE = (
    "exposure_per_cm2",
    "exposure",
    "expected_events",
    "decays",
    "neutrinos",
    "live_days",
)
"""Items that add when runs combine (besides n_events and n_generated)."""


def run_identity(meta: dict) -> str:
    """What makes files pieces of one run: the run key, or (card hash, seed, mode)."""
    if meta.get("run_key"):
        return str(meta["run_key"])
    prov = meta.get("provenance") if isinstance(meta.get("provenance"), dict) else {}
    return json.dumps([prov.get("run_card_sha256"), meta.get("seed"), meta.get("mode")])


def card_hash(meta: dict):
    prov = meta.get("provenance")
    return prov.get("run_card_sha256") if isinstance(prov, dict) else None


def check_chunks_once(names, metas) -> None:
    """Refuse inputs that hold the same chunk of one card twice (ValueError naming the files).

    A chunk is named by its key (seed/component/chunk) and its run card's hash.
    """
    seen = {}
    for name, meta in zip(names, metas, strict=True):
        for key in meta.get("chunk_keys", []):
            chunk = (card_hash(meta), key)
            if chunk in seen:
                other = seen[chunk]
                cards = set(meta.get("merged_card_hashes") or [])
                if other == name and len(cards) > 1:  # chunk keys of different cards collide
                    raise ValueError(
                        f"'{name}' joins runs of {len(cards)} run cards (merge "
                        "--allow-different-cards); their events and exposures do not add up "
                        "to one experiment: give each card's files apart"
                    )
                what = "hold" if other != name else "holds"
                where = f"'{name}' and '{other}'" if other != name else f"'{name}'"
                raise ValueError(
                    f"{where} {what} the same chunk of one run twice (chunk key {key}); "
                    "a file given twice would count its events twice"
                )
            seen[chunk] = name


def _check_same_run(first: dict, meta: dict, first_name: str, name: str) -> None:
    """Pieces of one run describe the same run: refuse pieces whose run items differ."""
    for key in ADDITIVE + ("gen_norm",):
        a, b = first.get(key), meta.get(key)
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"'{name}' claims to be a piece of the same run as '{first_name}' (same run "
                f"card, seed and mode) but its {key} is {b!r}, not {a!r}; the files disagree"
            )


def _events(meta: dict, rows: int | None) -> int:
    n = meta.get("n_events")
    return int(n) if isinstance(n, int) else int(rows or 0)


def combine_runs(metas, *, rows=None, names=None) -> dict:
    """The metadata of the combination of files (see the module docstring).

    Parameters
    ----------
    metas : list of dict
        Each file's metadata, in order.
    rows : list of int, optional
        Each file's number of events (for files whose metadata lack n_events).
    names : list of str, optional
        File names for messages.
    """
    metas = list(metas)
    if not metas:
        raise ValueError("no files to combine")
    rows = list(rows) if rows is not None else [None] * len(metas)
    names = list(names) if names is not None else [f"input {i}" for i in range(len(metas))]
    check_chunks_once(names, metas)
    runs: dict[str, dict] = {}
    for meta, n, name in zip(metas, rows, names, strict=True):
        rid = run_identity(meta)
        if rid not in runs:
            runs[rid] = {"meta": copy.deepcopy(meta), "events": 0, "chunk_keys": []}
        run = runs[rid]
        _check_same_run(run["meta"], meta, names[0], name)
        run["events"] += _events(meta, n)
        run["chunk_keys"] += list(meta.get("chunk_keys", []))
        if "exposure_per_cm2" not in run["meta"] and "exposure_per_cm2" in meta:
            run["meta"] = copy.deepcopy(meta)  # a piece with the run's full metadata
    parts = list(runs.values())
    out = copy.deepcopy(parts[0]["meta"])
    out["n_events"] = sum(p["events"] for p in parts)
    if any(p["chunk_keys"] for p in parts):
        out["chunk_keys"] = [k for p in parts for k in p["chunk_keys"]]
    if len(parts) == 1:
        return out
    run_metas = [p["meta"] for p in parts]
    _add(out, run_metas, [p["events"] for p in parts])
    comps = [m.get("components") for m in run_metas]
    if all(isinstance(c, dict) for c in comps):
        for key, entry in out["components"].items():
            if isinstance(entry, dict):
                same = [c.get(key, {}) for c in comps]
                _add(entry, same, [s.get("n_generated", 0) for s in same])
    out["runs"] = [
        {
            "run_key": m.get("run_key"),
            "seed": m.get("seed"),
            "run_card_sha256": card_hash(m),
            "n_events": p["events"],
            "exposure_per_cm2": m.get("exposure_per_cm2"),
        }
        for m, p in zip(run_metas, parts, strict=True)
    ]
    out.pop("run_key", None)
    return out


def _add(out: dict, metas: list, events: list) -> None:
    """Sum the additive items of metas into out; gen_norm as the event-weighted mean."""
    for key in ADDITIVE + ("n_generated",):
        values = [m.get(key) for m in metas]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            out[key] = sum(values)
    gens = [m.get("n_generated", n) for m, n in zip(metas, events, strict=True)]
    norms = [m.get("gen_norm") for m in metas]
    if all(isinstance(v, int | float) for v in norms) and sum(gens) > 0:
        out["gen_norm"] = sum(g * n for g, n in zip(norms, gens, strict=True)) / sum(gens)
