"""Merge chunk files of one run into one file, streaming (memory flat in the number of events).

The merged metadata is the first input's (sorted by name), with:

``n_events``
    the sum over the inputs (an input without it counts its rows);
``chunk_keys``
    the inputs' lists concatenated in file order (absent if no input has one);
``merged_from``
    the input file names, in order;
``expected_events``, ``gen_norm``, ``exposure``, ``exposure_per_cm2``, ``seed``
    kept when equal in every input (chunks of one run all describe the same
    run); when they differ the item is removed and its values are listed
    under ``<item>_per_input``.  Nothing is summed but ``n_events``: the
    event weights are not changed;
``merged_card_hashes``
    only with ``allow_different_cards``: each input's run-card hash.

Inputs whose ``provenance.run_card_sha256`` differ (an input without one
differs from one with one) are refused unless ``allow_different_cards``.
"""

import copy
from pathlib import Path

from .formats import RUN_SCALARS, check_output
from .readers import expand_paths, field_types, iter_columns, read_metadata
from .writer import EventWriter


def merge_files(
    inputs,
    output,
    *,
    allow_different_cards: bool = False,
    compression: str | None = None,
    overwrite: bool = False,
    format: str | None = None,
) -> dict:
    """Join event files into one, file by file and piece by piece.

    Parameters
    ----------
    inputs : str, os.PathLike or list
        Files or glob patterns (see :func:`~nusource.io.readers.expand_paths`);
        joined in sorted order of their names.
    output : str or os.PathLike
        The merged file (any format, by extension); written atomically.
    allow_different_cards : bool
        Merge inputs made from different run cards.
    compression : str, optional
        Compression of the output (see ``nusource.io.COMPRESSIONS``).
    overwrite : bool
        Replace an existing output.
    format : {'root', 'hdf5', 'npz'}, optional
        Read the inputs as this format instead of by extension.

    Returns
    -------
    dict
        ``output``, ``inputs`` (names), ``events`` (rows written), ``n_events``.

    Raises
    ------
    ValueError
        Different run cards, different fields (naming the files), or the output among the inputs.
    FileExistsError
        The output exists and ``overwrite`` is false.
    """
    files = expand_paths(inputs)
    output = Path(output)
    check_output(output, overwrite=overwrite)
    if output.exists() and any(output.resolve() == f.resolve() for f in files):
        raise ValueError(f"output '{output}' is one of the inputs")
    metas = [read_metadata(f, format=format) for f in files]
    _check_cards(files, metas, allow_different_cards)
    types = _common_fields(files, format)
    counts = []
    with EventWriter(
        output, merged_metadata(files, metas), compression=compression, overwrite=overwrite
    ) as w:
        for f in files:
            before = w.n_written
            for columns in iter_columns(f, fields=list(types), format=format):
                w.append_columns(columns)
            counts.append(w.n_written - before)
        if any("n_events" not in m for m in metas):
            w.metadata["n_events"] = sum(
                m.get("n_events", n) for m, n in zip(metas, counts, strict=True)
            )
    return {
        "output": str(output),
        "inputs": [f.name for f in files],
        "events": w.n_written,
        "n_events": w.metadata["n_events"],
    }


def merged_metadata(files, metas) -> dict:
    """The merged metadata of inputs (see the module docstring); n_events counts metadata only."""
    merged = copy.deepcopy(metas[0])
    merged["n_events"] = sum(m.get("n_events", 0) for m in metas)
    keys = [k for m in metas for k in m.get("chunk_keys", [])]
    if any("chunk_keys" in m for m in metas):
        merged["chunk_keys"] = keys
    merged["merged_from"] = [Path(f).name for f in files]
    for key in RUN_SCALARS:
        if key == "n_events":
            continue
        values = [m.get(key) for m in metas]
        if any(v != values[0] for v in values):
            merged.pop(key, None)
            merged[f"{key}_per_input"] = values
    hashes = [_card_hash(m) for m in metas]
    if len(set(hashes)) > 1:
        merged["merged_card_hashes"] = hashes
    return merged


def _card_hash(meta):
    prov = meta.get("provenance")
    return prov.get("run_card_sha256") if isinstance(prov, dict) else None


def _check_cards(files, metas, allow):
    hashes = [_card_hash(m) for m in metas]
    for f, h in zip(files, hashes, strict=True):
        if h != hashes[0] and not allow:
            raise ValueError(
                f"'{f}' was made from a different run card (sha256 {h}) than '{files[0]}' "
                f"(sha256 {hashes[0]}); pass allow_different_cards=True to merge anyway"
            )


def _common_fields(files, format):
    first = field_types(files[0], format=format)
    for f in files[1:]:
        types = field_types(f, format=format)
        if types != first:
            # (not dict.get: numpy takes dtype(None) for float64)
            extra = sorted(k for k in types if k not in first or first[k] != types[k])
            lacking = sorted(k for k in first if k not in types or types[k] != first[k])
            raise ValueError(
                f"cannot merge files with different fields: '{f}' has {extra or 'no others'}, "
                f"'{files[0]}' has {lacking or 'no others'}"
            )
    return first
