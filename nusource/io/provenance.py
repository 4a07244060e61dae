"""How an output was made: recorded in every file the toolkit writes."""

import hashlib
import os
import platform
import re
import sys

from .._version import __version__


def card_hash(text: str) -> str:
    """SHA-256 of a run card's text (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


LIBRARIES = ("numpy", "numba", "scipy", "uproot", "awkward", "h5py", "nestpy", "iminuit")
"""Libraries whose versions every output records (installed or not)."""


def software_versions() -> dict:
    """Versions of the package, Python and the libraries that shape its numbers.

    Read from the installed distributions (nothing is imported), so the
    record does not depend on what a run happened to import.
    """
    versions = {"nusource": __version__, "python": platform.python_version()}
    versions.update(installed_versions(LIBRARIES))
    return versions


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(info: str) -> str | None:
    """The ``Version:`` header of a ``.dist-info``/``.egg-info`` directory's metadata."""
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, file), encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        break  # the headers end at the first empty line
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
        except OSError:
            continue
    return None


def installed_versions(names) -> dict:
    """``importlib.metadata.version`` of each name (None: not installed), found quickly.

    The same distribution as importlib's (the first ``NAME-VERSION.dist-info``
    or ``.egg-info`` directory along ``sys.path``; ``''`` is the working
    directory) and its ``Version`` header, read from one listing per path
    entry and a few header lines: ~1 ms for all, where importlib.metadata
    parses each whole metadata file (~10 ms at a command's start).  Names
    not found this way are asked of importlib.metadata.
    """
    wanted = {_normal(n): n for n in names}
    found = {}
    for entry in sys.path:
        if len(found) == len(wanted):
            break
        try:
            children = os.listdir(entry or ".")
        except (OSError, TypeError, ValueError):
            continue  # not a directory (a zip file, an import hook): importlib's turn below
        for child in children:
            stem, dot, suffix = child.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            key = _normal(stem.partition("-")[0])
            if key in wanted and key not in found:
                version = _metadata_version(os.path.join(entry or ".", child))
                found[key] = version if version is not None else _slow(wanted[key])
    return {n: found[_normal(n)] if _normal(n) in found else _slow(n) for n in names}


def _slow(name: str) -> str | None:
    from importlib import metadata  # (~0.01 s to import: only for what the listing misses)

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def provenance(*, command: list[str] | None = None, card_text: str | None = None, **extra) -> dict:
    """The provenance block of an output file.

    No time stamp is recorded: the same card and seed give the same file.
    """
    block = {"software": software_versions()}
    if command is not None:
        block["command"] = command
    if card_text is not None:
        block["run_card"] = card_text
        block["run_card_sha256"] = card_hash(card_text)
    block.update(extra)
    return block
