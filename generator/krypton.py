"""⁸⁵Kr in xenon: strength from the krypton concentration, spectrum from its decay scheme.

Decays per (kg·day) of xenon:

    R = (1000 g / M_Xe) · N_A · c_Kr · r₈₅ · ln 2 / T½(⁸⁵Kr) · 86400 s/day,

with c_Kr the natural-krypton concentration in mol/mol (1 ppt = 1e-12),
r₈₅ the ⁸⁵Kr/natKr atom ratio (default 2 × 10⁻¹¹), M_Xe = 131.293 g/mol
(natural xenon) and T½ = 10.76 y. The natural-krypton molar mass
(83.798 g/mol) enters only to convert a g/g concentration:
c_mol = c_g · M_Xe / M_Kr. Natural xenon with 0.1 ppt natKr and 2e-11 gives
1.62e-3 decays per (kg·day).
"""

from dataclasses import dataclass, field

from .beta_emitters import BetaEmitter, check_strength, load_decay_scheme
from .constants import SECONDS_PER_YEAR
from .double_beta import AVOGADRO, MOLAR_MASS_XE

MOLAR_MASS_KR = 83.798
"""Molar mass of natural krypton [g/mol] (IUPAC)."""
KR85_RATIO_DEFAULT = 2e-11
"""Default ⁸⁵Kr/natKr atom ratio (present-day atmospheric value, order of magnitude)."""


def kr_mol_per_mol_from_g_per_g(c_g_per_g: float) -> float:
    """natKr concentration in mol/mol of xenon from one in g/g."""
    c = check_strength("kr_g_per_g", c_g_per_g, "g/g")
    return c * MOLAR_MASS_XE / MOLAR_MASS_KR


@dataclass(frozen=True, eq=False)
class Kr85Background:
    """⁸⁵Kr β⁻ decays in xenon.

    Parameters
    ----------
    kr_mol_per_mol : float
        natKr concentration in xenon [mol/mol] (e.g. 1e-13 for 0.1 ppt), ≥ 0.
    kr85_ratio : float
        ⁸⁵Kr/natKr atom ratio, in [0, 1].
    naked_only : bool
        The photon switch of :class:`~nusource.generator.beta_emitters.BetaEmitter`
        (True: the 0.43 % branch with a 514 keV γ makes no events).
    """

    kr_mol_per_mol: float
    kr85_ratio: float = KR85_RATIO_DEFAULT
    naked_only: bool = True
    emitter: BetaEmitter = field(init=False, repr=False)

    def __post_init__(self):
        c = check_strength("kr_mol_per_mol", self.kr_mol_per_mol, "mol/mol")
        if c > 1.0:
            raise ValueError(
                f"kr_mol_per_mol = {self.kr_mol_per_mol!r}: must be in [0, 1] [mol/mol]"
            )
        r = check_strength("kr85_ratio", self.kr85_ratio, "atom ratio")
        if r > 1.0:
            raise ValueError(f"kr85_ratio = {self.kr85_ratio!r}: must be in [0, 1] [atom ratio]")
        object.__setattr__(self, "kr_mol_per_mol", c)
        object.__setattr__(self, "kr85_ratio", r)
        scheme = load_decay_scheme("kr85")
        atoms_per_kg = 1000.0 / MOLAR_MASS_XE * AVOGADRO * c * r
        activity = atoms_per_kg * 0.6931471805599453 / scheme.half_life_s
        emitter = BetaEmitter(scheme, activity, naked_only=self.naked_only)
        object.__setattr__(self, "emitter", emitter)

    @property
    def tables(self):
        """The sampling tables (:class:`~nusource.generator.decay_sampler.DecayTables`)."""
        return self.emitter.tables

    @property
    def half_life_y(self) -> float:
        """⁸⁵Kr half-life [y]."""
        return self.emitter.scheme.half_life_s / SECONDS_PER_YEAR

    def decays_per_kg_day(self) -> float:
        """⁸⁵Kr decays per (kg·day) of xenon."""
        return self.emitter.decays_per_kg_day()

    def events_per_kg_day(self) -> float:
        """Sampled events per (kg·day) (decays × selected branch fraction)."""
        return self.emitter.events_per_kg_day()

    def spectrum_fraction(self, lo_mev: float, hi_mev: float) -> float:
        """Fraction of sampled events with electron energy in [lo, hi] [MeV]."""
        return self.emitter.spectrum_fraction(lo_mev, hi_mev)

    def fill(self, rng, n, te_out, branch_out=None) -> int:
        """Fill ``te_out[:n]`` with electron kinetic energies [MeV]; returns the trials."""
        return self.emitter.fill(rng, n, te_out, branch_out)

    def fill_events(self, rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz) -> int:
        """Fill n full events; returns the trials."""
        return self.emitter.fill_events(
            rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz
        )

    def to_dict(self) -> dict:
        """Parameters and rates (JSON-friendly)."""
        return {
            "kind": "kr85",
            "kr_mol_per_mol": self.kr_mol_per_mol,
            "kr85_ratio": self.kr85_ratio,
            "naked_only": self.naked_only,
            "half_life_y": self.half_life_y,
            "molar_mass_xe_g_mol": MOLAR_MASS_XE,
            "decays_per_kg_day": self.decays_per_kg_day(),
            "events_per_kg_day": self.events_per_kg_day(),
        }


__all__ = ["KR85_RATIO_DEFAULT", "MOLAR_MASS_KR", "Kr85Background", "kr_mol_per_mol_from_g_per_g"]
