"""Files written by nusource 0.1.0 still read, and read the same (tests/fixtures/)."""

import json
from pathlib import Path

import numpy as np
import pytest

from nusource.io.readers import read_events, read_metadata

FIXTURES = Path(__file__).parent / "fixtures"
SUMS = json.loads((FIXTURES / "lxe_v0.1.0.json").read_text())


@pytest.mark.parametrize("ext", ["root", "h5"])
def test_old_files_read_the_same(ext):
    data = read_events(FIXTURES / f"lxe_v0.1.0.{ext}")
    ev = data.events
    assert len(ev) == 40
    assert set(ev.dtype.names) == set(SUMS)
    for name, total in SUMS.items():
        assert float(np.sum(ev[name].astype(float))) == pytest.approx(total, rel=1e-12, abs=1e-300)
    meta = read_metadata(FIXTURES / f"lxe_v0.1.0.{ext}")
    assert meta["seed"] == 3 and meta["provenance"]["software"]["nusource"] == "0.1.0"
