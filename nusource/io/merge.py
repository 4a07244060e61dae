"""Merge event files into one, streaming (memory flat in the number of events).

The merged metadata follow the one rule for combining runs
(:func:`nusource.io.runs.combine_runs`): pieces of one run (its chunk files)
add their events and chunk keys; different runs of one card add their
exposures (weights unchanged, ``gen_norm`` the event-weighted mean) and are
listed under ``runs``.  ``merged_from`` lists the input file names, in order.

Inputs whose ``provenance.run_card_sha256`` differ (an input without one
differs from one with one) are refused unless ``allow_different_cards``
(then ``merged_card_hashes`` lists them); inputs holding the same chunk twice
are refused.
"""

from pathlib import Path

from .formats import check_output
from .readers import count_events, expand_paths, field_types, iter_columns, read_metadata
from .runs import card_hash, combine_runs
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
    rows = [count_events(f, format=format) for f in files]
    with EventWriter(
        output, merged_metadata(files, metas, rows), compression=compression, overwrite=overwrite
    ) as w:
        for f in files:
            for columns in iter_columns(f, fields=list(types), format=format):
                w.append_columns(columns)
    return {
        "output": str(output),
        "inputs": [f.name for f in files],
        "events": w.n_written,
        "n_events": w.metadata["n_events"],
    }


def merged_metadata(files, metas, rows=None) -> dict:
    """The merged metadata of inputs (see the module docstring)."""
    merged = combine_runs(metas, rows=rows, names=[str(f) for f in files])
    merged["merged_from"] = [Path(f).name for f in files]
    hashes = [card_hash(m) for m in metas]
    if len(set(hashes)) > 1:
        merged["merged_card_hashes"] = hashes
    return merged


def _check_cards(files, metas, allow):
    hashes = [card_hash(m) for m in metas]
    for f, h in zip(files, hashes, strict=True):
        if h != hashes[0] and not allow:
            raise ValueError(
                f"'{f}' was made from a different run card (sha256 {h}) than '{files[0]}' "
                f"(sha256 {hashes[0]}); give --allow-different-cards to merge anyway"
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
