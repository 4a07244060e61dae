"""Physical constants (docs/physics.md §1).

Energies in MeV, lengths in cm, cross sections in cm².
"""

import math

G_F = 1.1663788e-11
"""Fermi constant [MeV⁻²]."""
M_E = 0.51099895
"""Electron mass [MeV]."""
ALPHA = 1.0 / 137.035999
"""Fine-structure constant."""
HBARC = 1.973269804e-11
"""ħc [MeV·cm]."""
M_Z_GEV = 91.1876
"""Z mass [GeV]."""
CURIE_BQ = 3.7e10
"""1 Ci in Bq (exact)."""

SIGMA0 = 2.0 * G_F**2 * M_E / math.pi * HBARC**2
"""Weak cross-section scale 2G_F²mₑ/π·(ħc)² [cm²/MeV] ≈ 1.7233e-44."""
SIGMA_MU = math.pi * ALPHA**2 / M_E**2 * HBARC**2
"""Magnetic-moment scale πα²/mₑ²·(ħc)² = πr_e² [cm²] ≈ 2.4947e-25."""

SIN2W_MSBAR = 0.23122
"""sin²θ_W, MS-bar at M_Z."""
SIN2W_LOWQ2 = 0.2386
"""sin²θ_W at low Q² (matches seed 000 Table 2)."""

SECONDS_PER_DAY = 86400.0
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
