"""How an output was made: recorded in every file the toolkit writes."""

import hashlib
import platform
from importlib import metadata

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
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


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
