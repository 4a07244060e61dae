"""A benchmark whose timed process fails says why (its stderr), not only that it failed."""

import subprocess
import sys
from pathlib import Path


def main_or_why(main, script: str) -> None:
    """Run ``main()``; a failed child process ends the benchmark with its stderr."""
    try:
        main()
    except subprocess.CalledProcessError as err:
        text = err.stderr or ""
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        tail = text.strip()[-3000:]
        what = " ".join(str(a) for a in err.cmd[:4] if len(str(a)) < 200)
        sys.exit(
            f"{Path(script).name}: a timed process failed (exit {err.returncode}): "
            f"{what} ...\n{tail}"
        )
