"""Progress display for long work (tqdm on a terminal, silent otherwise)."""

import sys
from contextlib import contextmanager


@contextmanager
def progress_bar(total, desc: str, unit: str = "ev"):
    """Yield a function ``tick(n)`` that advances a bar of ``total`` units.

    The bar is shown on standard error when it is a terminal (or when
    NUSOURCE_PROGRESS=1), so logs and CI output stay clean.
    """
    import os

    show = sys.stderr.isatty() or os.environ.get("NUSOURCE_PROGRESS") == "1"
    if not show:
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr) as bar:
        yield bar.update
