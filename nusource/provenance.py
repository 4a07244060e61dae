"""How an output was made: recorded in every file the toolkit writes."""

import hashlib
import platform
import sys

from ._version import __version__


def card_hash(text: str) -> str:
    """SHA-256 of a run card's text (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


def software_versions() -> dict:
    """Versions of the package and of the libraries that shape its numbers."""
    import numba
    import numpy

    versions = {
        "nusource": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
    }
    for name in ("scipy", "uproot", "h5py", "awkward", "nestpy"):
        mod = sys.modules.get(name)
        if mod is not None:
            versions[name] = getattr(mod, "__version__", "unknown")
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
