"""¹³⁶Xe two-neutrino double-β decay: summed-electron spectrum and rate.

Spectrum of the summed kinetic energy K of the two electrons (K, Q in units
of mₑ), in the Primakoff–Rosen approximation (Primakoff & Rosen, Rep. Prog.
Phys. 22 (1959) 121: non-relativistic Coulomb factor F ∝ W/p, lepton
momenta neglected against the nuclear recoil):

    dN/dK ∝ K (K⁴ + 10K³ + 40K² + 60K + 30) (Q − K)⁵.

Constants (defaults):

- Q = 2457.8 keV (Redshaw et al., PRL 98 (2007) 053003: 2457.83 ± 0.37 keV);
- T½ = 2.165 × 10²¹ y (EXO-200, Albert et al., PRC 89 (2014) 015502);
- natural abundance 8.857 % (atom fraction; IUPAC isotopic composition,
  Meija et al., Pure Appl. Chem. 88 (2016) 293);
- molar masses: natural xenon 131.293 g/mol (IUPAC standard atomic weight),
  ¹³⁶Xe 135.907214 g/mol (AME2020); N_A = 6.02214076 × 10²³ mol⁻¹ (exact);
  a year is 365.25 days.

Rate per mass: N_A / M(x) · x · ln 2 / T½ for a ¹³⁶Xe atom fraction x, with
M(x) = x·M₁₃₆ + (1 − x)·M_rest and M_rest the mean molar mass of the other
isotopes in their natural proportions (so depletion changes M slightly).
Natural xenon: 356 decays per (t·day).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import Polynomial

from .constants import M_E, SECONDS_PER_DAY, SECONDS_PER_YEAR
from .decay_sampler import DNBB, DecayTables, dnbb_cells

AVOGADRO = 6.02214076e23
"""Avogadro constant [1/mol] (exact, SI 2019)."""
MOLAR_MASS_XE = 131.293
"""Molar mass of natural xenon [g/mol] (IUPAC standard atomic weight)."""
MOLAR_MASS_XE136 = 135.907214
"""Molar mass of ¹³⁶Xe [g/mol] (AME2020)."""
XE136_NATURAL_ABUNDANCE = 0.08857
"""Atom fraction of ¹³⁶Xe in natural xenon."""
XE136_Q_KEV = 2457.8
"""Q value of ¹³⁶Xe ββ decay [keV]."""
XE136_HALF_LIFE_Y = 2.165e21
"""2νββ half-life of ¹³⁶Xe [y] (EXO-200 2014)."""

DAYS_PER_YEAR = SECONDS_PER_YEAR / SECONDS_PER_DAY


def _check_fraction(key: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ValueError(f"{key} = {value!r}: must be a finite fraction in [0, 1]")
    return v


def _check_positive(key: str, value, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{key} = {value!r}: must be finite and > 0 [{unit}]")
    return v


def dnbb_polynomial(q: float) -> Polynomial:
    """K(K⁴ + 10K³ + 40K² + 60K + 30)(Q − K)⁵ as a polynomial in K (K, Q in units of mₑ)."""
    return Polynomial([0.0, 30.0, 60.0, 40.0, 10.0, 1.0]) * Polynomial([q, -1.0]) ** 5


def dnbb_density(t_mev, q_mev: float = XE136_Q_KEV / 1000.0) -> np.ndarray:
    """Normalised summed-electron density dN/dT [1/MeV] of 2νββ decay.

    Parameters
    ----------
    t_mev : float or array_like
        Summed kinetic energy of the two electrons T [MeV].
    q_mev : float
        Q value [MeV].

    Returns
    -------
    numpy.ndarray
        Density per MeV, ∫₀^Q dT = 1; zero outside [0, Q].
    """
    q = q_mev / M_E
    poly = dnbb_polynomial(q)
    anti = poly.integ()
    norm = (anti(q) - anti(0.0)) * M_E
    k = np.asarray(t_mev, dtype=float) / M_E
    inside = (k >= 0.0) & (k <= q)
    return np.where(inside, poly(np.clip(k, 0.0, q)), 0.0) / norm


def dnbb_fraction(lo_mev: float, hi_mev: float, q_mev: float = XE136_Q_KEV / 1000.0) -> float:
    """Fraction of 2νββ decays with summed electron energy in [lo, hi] [MeV] (exact)."""
    q = q_mev / M_E
    anti = dnbb_polynomial(q).integ()
    a = min(max(lo_mev / M_E, 0.0), q)
    b = min(max(hi_mev / M_E, 0.0), q)
    if b <= a:
        return 0.0
    return float((anti(b) - anti(a)) / (anti(q) - anti(0.0)))


def xenon_molar_mass(abundance: float) -> float:
    """Molar mass [g/mol] of xenon with ¹³⁶Xe atom fraction ``abundance``.

    The other isotopes keep their natural proportions; natural abundance gives
    :data:`MOLAR_MASS_XE`.
    """
    a = _check_fraction("abundance", abundance)
    rest = (MOLAR_MASS_XE - XE136_NATURAL_ABUNDANCE * MOLAR_MASS_XE136) / (
        1.0 - XE136_NATURAL_ABUNDANCE
    )
    return a * MOLAR_MASS_XE136 + (1.0 - a) * rest


@dataclass(frozen=True, eq=False)
class Xe136DoubleBeta:
    """¹³⁶Xe 2νββ background of a xenon target.

    Parameters
    ----------
    abundance : float
        ¹³⁶Xe atom fraction of the xenon, in [0, 1] (natural 0.08857).
    q_kev : float
        Q value [keV].
    half_life_y : float
        2νββ half-life [y].
    n_cells : int
        Sampling cells (speed only; the draws are exact for any value).

    Notes
    -----
    Decays carry no neutrino: an event's ``te`` is the summed kinetic energy of
    the two electrons (deposited at one point, an approximation good for the
    mm-scale electron ranges in liquid xenon), its direction isotropic.
    """

    abundance: float = XE136_NATURAL_ABUNDANCE
    q_kev: float = XE136_Q_KEV
    half_life_y: float = XE136_HALF_LIFE_Y
    n_cells: int = 1024
    tables: DecayTables = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "abundance", _check_fraction("abundance", self.abundance))
        object.__setattr__(self, "q_kev", _check_positive("q_kev", self.q_kev, "keV"))
        object.__setattr__(
            self, "half_life_y", _check_positive("half_life_y", self.half_life_y, "y")
        )
        if not (isinstance(self.n_cells, int) and self.n_cells >= 1):
            raise ValueError(f"n_cells = {self.n_cells!r}: must be an integer >= 1")
        cells, branch = dnbb_cells(self.q_mev, self.n_cells)
        par = np.array([self.q_mev / M_E, 1.0 / M_E])
        object.__setattr__(self, "tables", DecayTables(cells, DNBB, par, branch))

    @classmethod
    def depleted(cls, fraction_removed: float, **kwargs) -> "Xe136DoubleBeta":
        """Xenon with a fraction ``fraction_removed`` of its natural ¹³⁶Xe taken out.

        E.g. 0.9 ("90 % depleted") leaves an atom fraction 0.1 × 8.857 %.
        """
        f = _check_fraction("depletion", fraction_removed)
        return cls(abundance=XE136_NATURAL_ABUNDANCE * (1.0 - f), **kwargs)

    @property
    def q_mev(self) -> float:
        """Q value [MeV]."""
        return self.q_kev / 1000.0

    @property
    def molar_mass_g(self) -> float:
        """Molar mass of the xenon [g/mol]."""
        return xenon_molar_mass(self.abundance)

    def decays_per_kg_day(self) -> float:
        """¹³⁶Xe decays per (kg·day) of xenon: N_A/M · x · ln2/T½."""
        atoms = 1000.0 / self.molar_mass_g * AVOGADRO * self.abundance
        return atoms * math.log(2.0) / (self.half_life_y * DAYS_PER_YEAR)

    def decays_per_t_day(self) -> float:
        """¹³⁶Xe decays per (t·day) of xenon."""
        return 1000.0 * self.decays_per_kg_day()

    def events_per_kg_day(self) -> float:
        """Sampled events per (kg·day): every decay is an event."""
        return self.decays_per_kg_day()

    def spectrum_fraction(self, lo_mev: float, hi_mev: float) -> float:
        """Fraction of decays with summed electron energy in [lo, hi] [MeV] (exact)."""
        return dnbb_fraction(lo_mev, hi_mev, self.q_mev)

    def density(self, t_mev) -> np.ndarray:
        """Normalised density dN/dT [1/MeV] of the summed electron energy."""
        return dnbb_density(t_mev, self.q_mev)

    def fill(self, rng, n: int, te_out: np.ndarray) -> int:
        """Fill ``te_out[:n]`` with summed electron energies [MeV]; returns the trials."""
        return self.tables.fill(rng, n, te_out)

    def fill_events(self, rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz) -> int:
        """Fill n full events (see :meth:`DecayTables.fill_events`); returns the trials."""
        return self.tables.fill_events(
            rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz
        )

    def to_dict(self) -> dict:
        """Parameters and rate (JSON-friendly)."""
        return {
            "kind": "xe136",
            "abundance": self.abundance,
            "q_kev": self.q_kev,
            "half_life_y": self.half_life_y,
            "molar_mass_g_mol": self.molar_mass_g,
            "decays_per_kg_day": self.decays_per_kg_day(),
        }


__all__ = [
    "AVOGADRO",
    "MOLAR_MASS_XE",
    "MOLAR_MASS_XE136",
    "XE136_HALF_LIFE_Y",
    "XE136_NATURAL_ABUNDANCE",
    "XE136_Q_KEV",
    "Xe136DoubleBeta",
    "dnbb_density",
    "dnbb_fraction",
    "dnbb_polynomial",
    "xenon_molar_mass",
]
