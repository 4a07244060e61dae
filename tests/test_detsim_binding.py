"""Atomic binding (stepping approximation): shell tables, Z_eff(q)/Z, the removal kernel."""

import numpy as np
import pytest
from scipy import stats

from nusource.detsim.binding import (
    BINDING_REMOVED,
    apply_binding,
    binding_fraction,
    binding_steps,
    material_names,
    shell_labels,
    shell_table,
)

KEV = 1e-3

Z = {"NaI": 64, "LXe": 54, "He": 2, "pseudocumene": 66}

# docs/physics.md §6, keV (occupancy)
PHYSICS_SHELLS = {
    "I": {
        "K": (33.169, 2),
        "L1": (5.188, 2),
        "L2": (4.852, 2),
        "L3": (4.557, 4),
        "M1": (1.072, 2),
        "M2": (0.931, 2),
        "M3": (0.875, 4),
        "M4": (0.631, 4),
        "M5": (0.619, 6),
    },
    "Xe": {
        "K": (34.561, 2),
        "L1": (5.453, 2),
        "L2": (5.107, 2),
        "L3": (4.786, 4),
        "M1": (1.149, 2),
        "M2": (1.002, 2),
        "M3": (0.941, 4),
        "M4": (0.689, 4),
        "M5": (0.676, 6),
        "N1": (0.213, 2),
        "N2,3": (0.147, 6),
    },
    "Na": {"K": (1.071, 2)},
    "He": {"K": (0.0246, 2)},
    "C": {"K": (0.2842, 2)},
    "H": {"K": (0.0136, 1)},
}


def _shells(material):
    b, n = shell_table(material)
    return {
        label: (bk / KEV, nk) for label, bk, nk in zip(shell_labels(material), b, n, strict=True)
    }


@pytest.mark.parametrize("material", list(Z))
def test_occupancies_sum_to_z(material):
    b, n = shell_table(material)
    assert n.sum() == Z[material]
    assert np.all(b > 0) and np.all(n > 0)
    assert binding_fraction(material, 1.0) == 1.0  # every shell scatters above all edges
    assert binding_fraction(material, 0.0) == 0.0


def test_aliases_and_names():
    assert set(material_names()) == set(Z)
    for alias, name in (("Xe", "LXe"), ("C9H12", "pseudocumene")):
        for a, b in zip(shell_table(alias), shell_table(name), strict=True):
            np.testing.assert_array_equal(a, b)


def test_unknown_material_is_one_clear_error():
    with pytest.raises(ValueError, match=r"material = 'Ge'.*allowed: NaI"):
        shell_table("Ge")


@pytest.mark.parametrize("material", ["NaI", "LXe", "He", "pseudocumene"])
def test_shell_values_are_physics_md(material):
    shells = _shells(material)
    for element, table in PHYSICS_SHELLS.items():
        for shell, (b_kev, occ) in table.items():
            key = f"{element} {shell}"
            if key in shells:
                assert shells[key] == pytest.approx((b_kev, occ), rel=1e-12)
    # docs/physics.md: iodine N and O shells < 0.19 keV, sodium L ≤ 0.064 keV
    for key, (b_kev, _) in shells.items():
        el, shell = key.split()
        if el == "I" and shell[0] in "NO":
            assert b_kev < 0.19
        if el == "Na" and shell[0] in "LM":
            assert b_kev <= 0.064


def test_pseudocumene_counts_each_atom():
    shells = shell_labels("pseudocumene")
    assert shells.count("C K") == 9 and shells.count("H K") == 12


def test_theta_is_strict_at_an_edge():
    # at q = B the shell does not scatter; just above it does
    b_k = 33.169 * KEV
    assert binding_fraction("NaI", b_k) == pytest.approx(62 / 64)
    assert binding_fraction("NaI", np.nextafter(b_k, 1.0)) == 1.0


def test_step_function_against_direct_sum():
    q = np.geomspace(1e-6, 0.1, 2001)
    for material in Z:
        b, n = shell_table(material)
        direct = (n[None, :] * (q[:, None] > b[None, :])).sum(axis=1) / n.sum()
        np.testing.assert_allclose(binding_fraction(material, q), direct, rtol=0, atol=1e-15)
        edges, keep = binding_steps(material)
        assert np.all(np.diff(edges) > 0) and np.all(np.diff(keep) > 0)


def test_nai_removal_quoted_in_physics_md():
    """docs/physics.md §6: ~16% removed in 2–4.5 keV, ~3% in 5–33 keV (flat q: exact averages)."""

    # Flat q: the average of 1 − Z_eff/Z over a window is ∫(1 − Z_eff/Z) dq / width,
    # computed exactly from the steps (no sampling).
    def removed(lo, hi):
        edges, keep = binding_steps("NaI")
        pts = np.concatenate(([lo], edges[(edges > lo) & (edges < hi)], [hi])) / KEV
        mids = 0.5 * (pts[1:] + pts[:-1]) * KEV
        return float(
            np.sum((1 - binding_fraction("NaI", mids)) * np.diff(pts)) / (pts[-1] - pts[0])
        )

    low = removed(2 * KEV, 4.5 * KEV)
    high = removed(5 * KEV, 33 * KEV)
    assert low == pytest.approx(10 / 64)  # I K, L1, L2, L3 = 10 of 64 electrons: 15.6%
    assert high == pytest.approx(2 / 64 + 2 / 64 * 0.188 / 28, rel=1e-9)  # I K (+ L1 to 5.188)
    assert 0.15 < low < 0.17 and 0.028 < high < 0.035


@pytest.mark.parametrize("material", ["NaI", "LXe"])
def test_removal_fraction_matches_zeff(material):
    """Fraction kept per q bin vs Z_eff(q)/Z: binomial χ² with a fixed seed."""
    rng = np.random.default_rng(20240401)
    n = 400_000
    q = rng.uniform(0.0, 40 * KEV, n)
    edep = np.empty(n)
    flags = np.zeros(n, np.uint32)
    edges, keep = binding_steps(material)
    apply_binding(np.random.default_rng(7), q, edges, keep, edep, flags)

    removed = (flags & BINDING_REMOVED) != 0
    np.testing.assert_array_equal(edep[~removed], q[~removed])
    assert np.all(edep[removed] == 0.0)

    # bins that do not straddle an edge: p is constant inside each
    bins = np.unique(np.concatenate((np.linspace(0, 40 * KEV, 41), edges[edges < 40 * KEV])))
    idx = np.digitize(q, bins) - 1
    chi2, ndf = 0.0, 0
    for k in range(bins.size - 1):
        sel = idx == k
        m = int(sel.sum())
        p = float(binding_fraction(material, 0.5 * (bins[k] + bins[k + 1])))
        kept = int((~removed[sel]).sum())
        if p in (0.0, 1.0):
            assert kept == round(p * m)
            continue
        if m < 50:
            continue
        chi2 += (kept - m * p) ** 2 / (m * p * (1 - p))
        ndf += 1
    assert ndf >= 10
    assert stats.chi2.sf(chi2, ndf) > 1e-3, (chi2, ndf)


def test_removal_fraction_nai_windows_sampled():
    """The sampled removal in the two docs/physics.md windows (flat q), binomial tolerance."""
    rng = np.random.default_rng(11)
    edges, keep = binding_steps("NaI")
    for lo, hi, expect in ((2.0, 4.5, 10 / 64), (5.0, 33.0, 2 / 64 + 2 / 64 * 0.188 / 28)):
        n = 200_000
        q = rng.uniform(lo * KEV, hi * KEV, n)
        flags = np.zeros(n, np.uint32)
        apply_binding(rng, q, edges, keep, np.empty(n), flags)
        frac = np.mean(flags & BINDING_REMOVED != 0)
        assert abs(frac - expect) < 5 * np.sqrt(expect * (1 - expect) / n)


def test_kernel_matches_py_func():
    q = np.random.default_rng(3).uniform(0, 40 * KEV, 200)
    edges, keep = binding_steps("NaI")
    out = []
    for f in (apply_binding, apply_binding.py_func):
        edep = np.empty(200)
        flags = np.full(200, 1 << 3, np.uint32)  # other bits are kept
        f(np.random.default_rng(5), q, edges, keep, edep, flags)
        out.append((edep, flags))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    assert np.all(out[0][1] & (1 << 3))
    assert 0 < np.sum(out[0][1] & BINDING_REMOVED) < 200
