"""Seed 000 (LAMA) Table 2: energy shares per 20 keV bin and the χ-model excess.

Inputs of the seed: ν̄e from ¹⁴⁷Pm with the 235 keV endpoint, tree-level
couplings, free electrons.  s² = 0.2386 (the low-Q² value) reproduces the
table; docs/physics.md §2.
"""

import numpy as np
import pytest

from nusource.generator.flux_average import flux_averaged
from nusource.generator.model import PhysicsModel
from nusource.generator.neutrino_spectrum import from_source
from nusource.generator.sources import get_source
from nusource.generator.zprime import parse_zprime

TABLE2 = {
    "SM": [8472, 5207, 2899, 1359, 454],
    "chi330": [8790, 5402, 3007, 1409, 470],
    "chi600": [8570, 5267, 2931, 1374, 458],
    "chi700": [8543, 5251, 2923, 1370, 457],
    "chi1000": [8507, 5228, 2910, 1365, 455],
}
EDGES_MEV = np.linspace(0.0, 0.1, 6)


def binned(model):
    sp = from_source(get_source("pm147", endpoint_kev=235))
    return np.array(
        [
            flux_averaged(sp, model, a, b).total
            for a, b in zip(EDGES_MEV[:-1], EDGES_MEV[1:], strict=True)
        ]
    )


@pytest.fixture(scope="module")
def sm():
    return binned(PhysicsModel("nuebar", "tree", 0.2386))


def test_energy_shares_per_20_kev_bin(sm):
    seed = np.array(TABLE2["SM"], dtype=float)
    assert sm / sm.sum() == pytest.approx(seed / seed.sum(), abs=0.005)


def test_chi_330_gev_excess(sm):
    z = binned(PhysicsModel("nuebar", "tree", 0.2386, zprime=parse_zprime("chi:330")))
    excess = z.sum() / sm.sum() - 1.0
    seed = np.array(TABLE2["chi330"]).sum() / np.array(TABLE2["SM"]).sum() - 1.0
    assert excess == pytest.approx(seed, rel=0.05)


@pytest.mark.parametrize("mass", [600, 700, 1000])
def test_chi_excess_scales_like_the_table(sm, mass):
    """The table's excess at heavier masses follows γ ∝ M⁻² (within its rounding)."""
    z = binned(PhysicsModel("nuebar", "tree", 0.2386, zprime=parse_zprime(f"chi:{mass}")))
    excess = z.sum() / sm.sum() - 1.0
    seed = np.array(TABLE2[f"chi{mass}"]).sum() / np.array(TABLE2["SM"]).sum() - 1.0
    assert excess == pytest.approx(seed, rel=0.08)
