"""The source: validation, shield layers and path lengths through them."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nusource.geometry import Cylinder, Source, get_material, shield_path_lengths
from nusource.geometry.source import nested_paths_kernel

LXE_SOURCE = Source(7.0, 7.0, shields=[("W", 17.0)])  # seed 004
LAMA_SOURCE = Source.point(shields=[("W", 20.0), ("Cu", 5.0)])  # seed 000


def test_source_basics():
    assert LXE_SOURCE.volume_cm3 == pytest.approx(math.pi * 49 * 14)
    assert LXE_SOURCE.shields[0][0] == get_material("W")
    assert LXE_SOURCE.outer_radius_cm == 24.0 and LXE_SOURCE.outer_half_height_cm == 24.0
    assert LAMA_SOURCE.is_point and not LXE_SOURCE.is_point
    assert [c.radius_cm for c in LAMA_SOURCE.layer_cylinders()] == [20.0, 25.0]
    assert LAMA_SOURCE.layer_cylinders()[1] == Cylinder(25.0, 25.0)
    assert LXE_SOURCE.contains((7.0, 0.0, -7.0)) and not LXE_SOURCE.contains((7.0, 0.1, 0.0))
    np.testing.assert_array_equal(LXE_SOURCE.params, [0, 0, 0, 7, 7])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"radius_cm": -1.0, "half_height_cm": 1.0}, "Source.radius_cm"),
        ({"radius_cm": 1.0, "half_height_cm": math.inf}, "Source.half_height_cm"),
        ({"radius_cm": 1.0, "half_height_cm": 1.0, "shields": [("W", 0.0)]}, r"shields\[0\]"),
        ({"radius_cm": 1.0, "half_height_cm": 1.0, "shields": [("W",)]}, r"shields\[0\]"),
        ({"radius_cm": 1.0, "half_height_cm": 1.0, "shields": [(3, 1.0)]}, "material"),
        ({"radius_cm": 1.0, "half_height_cm": 1.0, "shields": [("Au", 1.0)]}, "allowed"),
    ],
)
def test_bad_sources_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Source(**kwargs)


def test_known_shield_paths():
    # from the centre along the axis, sideways and towards a corner
    paths = shield_path_lengths(
        LXE_SOURCE, np.zeros((3, 3)), [[0, 0, 1], [1, 0, 0], [1, 0, 1]], include_source=True
    )
    np.testing.assert_allclose(paths, [[7, 17], [7, 17], [7 * 2**0.5, 17 * 2**0.5]], rtol=1e-12)
    np.testing.assert_allclose(shield_path_lengths(LAMA_SOURCE, [0, 0, 0], [0, 0, -1]), [20, 5])
    # from the edge of the source, going inwards: crosses the source, then the far shield
    np.testing.assert_allclose(
        shield_path_lengths(LXE_SOURCE, [-7, 0, 0], [1, 0, 0], include_source=True), [14, 17]
    )


def test_attenuation_through_the_lxe_shield():
    w = get_material("W")
    path = shield_path_lengths(LXE_SOURCE, [0, 0, 7], [0, 0, 1])[0]
    assert path == pytest.approx(17.0)
    assert math.exp(-w.mu_cm(0.32) * path) < 1e-40  # 320 keV γ of ⁵¹Cr: fully absorbed


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
    st.lists(st.floats(0.5, 20.0), min_size=1, max_size=3),
    st.integers(0, 2**32 - 1),
)
def test_layer_paths_add_up_to_the_outer_chord(radius, half_height, thicknesses, seed):
    src = Source(radius, half_height, (1.0, -2.0, 3.0), [("Cu", t) for t in thicknesses])
    rng = np.random.default_rng(seed)
    n = 20
    u = rng.uniform(-0.7, 0.7, (n, 3))
    origins = np.asarray(src.center) + u * [radius, radius, half_height]
    d = rng.normal(size=(n, 3))
    paths = shield_path_lengths(src, origins, d, include_source=True)
    assert paths.shape == (n, 1 + len(thicknesses))
    assert np.all(paths >= 0)
    outer = src.layer_cylinders()[-1]
    total = [
        sum(b - a for a, b in outer.intervals(o, di)) for o, di in zip(origins, d, strict=True)
    ]
    np.testing.assert_allclose(paths.sum(axis=1), total, rtol=1e-9, atol=1e-9)
    # each shield layer is crossed at least once by its thickness
    assert np.all(paths[:, 1:] >= np.array(thicknesses) * (1 - 1e-9))


def test_shield_kernel_py_func_matches_compiled():
    from nusource.geometry import Cylinder

    kinds = np.zeros(3, dtype=np.int64)
    params = np.array([Cylinder(r, r).params for r in (7.0, 24.0, 29.0)])
    rng = np.random.default_rng(3)
    o = rng.uniform(-5, 5, (10, 3))
    d = rng.normal(size=(10, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    a, b = np.empty((10, 3)), np.empty((10, 3))
    nested_paths_kernel(kinds, params, o, d, a)
    nested_paths_kernel.py_func(kinds, params, o, d, b)
    np.testing.assert_array_equal(a, b)
