"""Test configuration shared by the whole suite."""

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests are derandomised (the same examples every run: no test that
# "fails occasionally") and have no deadline (the first call of a kernel
# includes numba's compilation).
settings.register_profile("nusource", deadline=None, derandomize=True, max_examples=100)
settings.load_profile("nusource")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def lxe_mu_parts():
    """SM and magnetic expectation (quadrature) of configs/lxe_cr51.toml, 0.1 keV bins 2–140 keV."""
    from nusource.analysis.mu_bound import card_expectation, lxe_edges_kev

    return card_expectation(
        REPO / "configs" / "lxe_cr51.toml", lxe_edges_kev(2.0), geometry_samples=200_000
    )


@pytest.fixture(scope="session")
def lxe_signal_events(tmp_path_factory):
    """60,000 'fixed'-mode signal events of configs/lxe_cr51.toml (generator truth), seed 11."""
    from nusource.analysis.readers import read_events
    from nusource.jobs import sample_card

    out = tmp_path_factory.mktemp("lxe") / "signal.h5"
    sample_card(REPO / "configs" / "lxe_cr51.toml", out, n=60_000, seed=11)
    return read_events(out).events
