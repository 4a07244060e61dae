"""Histograms of event fields: weights, selection, components, units."""

import hist
import numpy as np
import pytest

from nusource.analysis.histograms import histogram, selected
from nusource.io.schema import EVENT_DTYPE, TRUTH_DTYPE


@pytest.fixture
def events():
    rng = np.random.default_rng(11)
    ev = np.zeros(1000, dtype=EVENT_DTYPE)
    ev["te"] = rng.uniform(0.0, 0.1, ev.size)
    ev["erec"] = ev["te"]
    ev["weight"] = rng.uniform(0.5, 1.5, ev.size)
    ev["component"] = rng.integers(0, 3, ev.size)
    ev["flags"][rng.random(ev.size) < 0.2] = 2
    return ev


def test_weighted_selected_in_kev(events):
    h = histogram(events, "te", 10, range=(0.0, 100.0), unit="keV")
    sel = events["flags"] == 0
    want, _ = np.histogram(events["te"][sel] * 1e3, 10, (0.0, 100.0), weights=events["weight"][sel])
    w2, _ = np.histogram(
        events["te"][sel] * 1e3, 10, (0.0, 100.0), weights=events["weight"][sel] ** 2
    )
    np.testing.assert_allclose(h.values(), want)
    np.testing.assert_allclose(h.variances(), w2)
    assert h.axes[0].label == "te [keV]"


def test_unweighted_all_events_with_edges(events):
    edges = [0.0, 0.02, 0.05, 0.1]
    h = histogram(events, "erec", edges, weight=None, selected_only=False)
    want, _ = np.histogram(events["erec"], edges)
    np.testing.assert_array_equal(h.values(), want)
    assert h.axes[0].label == "erec [MeV]"


def test_per_component(events):
    h = histogram(events, "te", 5, range=(0.0, 0.1), by_component=True)
    sel = events["flags"] == 0
    for c in range(3):
        m = sel & (events["component"] == c)
        want, _ = np.histogram(events["te"][m], 5, (0.0, 0.1), weights=events["weight"][m])
        np.testing.assert_allclose(h[{"component": hist.loc(c)}].values(), want)


def test_truth_only_events_are_all_selected():
    ev = np.zeros(4, dtype=TRUTH_DTYPE)
    assert selected(ev).all()


def test_errors_name_the_problem(events):
    with pytest.raises(ValueError, match="field"):
        histogram(events, "nope", 3, range=(0, 1))
    with pytest.raises(ValueError, match="range"):
        histogram(events, "te", 3)
    with pytest.raises(ValueError, match="unit"):
        histogram(events, "cos_theta", 3, range=(-1, 1), unit="keV")
