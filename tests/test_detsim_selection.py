"""Selection flags: threshold, window, fiducial volume (reconstructed or true), efficiency."""

import math

import numpy as np
import pytest

from nusource.detsim.binding import BINDING_REMOVED
from nusource.detsim.selection import (
    BELOW_THRESHOLD,
    NO_FIDUCIAL,
    OUTSIDE_FIDUCIAL,
    OUTSIDE_WINDOW,
    REJECTED_EFFICIENCY,
    select,
)
from nusource.geometry import Cylinder
from nusource.io.schema import FLAGS

NO_PARAMS = np.zeros(8)


def _select(
    erec, xyz=None, flags=None, *, thr=0.0, lo=-np.inf, hi=np.inf, solid=None, eff=1.0, seed=0
):
    erec = np.asarray(erec, dtype=np.float64)
    n = erec.size
    xyz = np.zeros((3, n)) if xyz is None else np.asarray(xyz, dtype=np.float64)
    flags = np.zeros(n, np.uint32) if flags is None else np.asarray(flags, np.uint32).copy()
    kind, params = (NO_FIDUCIAL, NO_PARAMS) if solid is None else (solid.kind, solid.params)
    select(
        np.random.default_rng(seed),
        erec,
        xyz[0],
        xyz[1],
        xyz[2],
        flags,
        thr,
        lo,
        hi,
        kind,
        params,
        eff,
    )
    return flags


def test_bits_are_the_event_dtype_flags():
    assert BELOW_THRESHOLD == FLAGS["below_threshold"]
    assert OUTSIDE_WINDOW == FLAGS["outside_window"]
    assert OUTSIDE_FIDUCIAL == FLAGS["outside_fiducial"]
    assert REJECTED_EFFICIENCY == FLAGS["rejected_efficiency"]


def test_threshold_and_window():
    erec = [0.0005, 0.002, 0.0025, 0.030, 0.031, -0.001]
    f = _select(erec, thr=0.002, lo=0.002, hi=0.030)
    assert list(f) == [
        BELOW_THRESHOLD | OUTSIDE_WINDOW,
        0,  # threshold and window lower edge included
        0,
        OUTSIDE_WINDOW,  # window is [lo, hi)
        OUTSIDE_WINDOW,
        BELOW_THRESHOLD | OUTSIDE_WINDOW,
    ]
    # no threshold, no window: nothing is flagged, even a negative erec
    assert np.all(_select(erec) == 0)


def test_fiducial_volume():
    fv = Cylinder(10.0, 5.0, (0.0, 0.0, 100.0))
    xyz = np.array([[0, 0, 100], [10, 0, 105], [10.1, 0, 100], [0, 0, 94.9]], float).T
    f = _select(np.full(4, 0.01), xyz, solid=fv)
    assert list(f) == [0, 0, OUTSIDE_FIDUCIAL, OUTSIDE_FIDUCIAL]


def test_binding_removed_keeps_only_its_bit():
    f = _select(
        [0.0, 0.0],
        flags=[BINDING_REMOVED, 0],
        thr=0.002,
        lo=0.002,
        hi=0.03,
        solid=Cylinder(1.0, 1.0, (50.0, 0.0, 0.0)),
        eff=0.0,
    )
    assert f[0] == BINDING_REMOVED
    assert f[1] == BELOW_THRESHOLD | OUTSIDE_WINDOW | OUTSIDE_FIDUCIAL | REJECTED_EFFICIENCY


@pytest.mark.parametrize("eff", [0.0, 0.3, 0.9, 1.0])
def test_efficiency_is_binomial(eff):
    n = 100_000
    f = _select(np.full(n, 0.01), eff=eff, seed=4)
    kept = np.mean(f == 0)
    assert np.all((f == 0) | (f == REJECTED_EFFICIENCY))
    assert abs(kept - eff) <= 5 * math.sqrt(eff * (1 - eff) / n)


def test_efficiency_one_draws_nothing():
    rng = np.random.default_rng(8)
    state = rng.bit_generator.state
    select(
        rng,
        np.ones(10),
        np.zeros(10),
        np.zeros(10),
        np.zeros(10),
        np.zeros(10, np.uint32),
        0.0,
        -np.inf,
        np.inf,
        NO_FIDUCIAL,
        NO_PARAMS,
        1.0,
    )
    assert rng.bit_generator.state == state


def test_kernel_matches_py_func():
    rng = np.random.default_rng(1)
    n = 300
    erec = rng.uniform(-0.001, 0.04, n)
    xyz = rng.uniform(-12, 12, (3, n))
    flags = np.where(rng.random(n) < 0.1, BINDING_REMOVED, 0).astype(np.uint32)
    fv = Cylinder(10.0, 10.0)
    out = []
    for f in (select, select.py_func):
        fl = flags.copy()
        f(
            np.random.default_rng(6),
            erec,
            xyz[0],
            xyz[1],
            xyz[2],
            fl,
            0.002,
            0.002,
            0.03,
            fv.kind,
            fv.params,
            0.8,
        )
        out.append(fl)
    np.testing.assert_array_equal(out[0], out[1])
    assert len(np.unique(out[0])) > 5
