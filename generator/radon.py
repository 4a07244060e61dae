"""²²²Rn in the detector, in secular equilibrium with its progeny ²¹⁴Pb.

Strength: the ²²²Rn activity per mass A [μBq/kg]; in equilibrium every
²²²Rn decay is followed by one ²¹⁴Pb decay (through ²¹⁸Po, α branch
99.98 %), so ²¹⁴Pb decays per (kg·day) = A · 10⁻⁶ · 86400.

²¹⁴Pb decays by β⁻ to ²¹⁴Bi through the branches of ``data/decays/
pb214.toml``. The ground-state ("naked") branch gives a lone electron; the
others come with γ cascades. Photon switch ``naked_only`` (default True):
only ground-state decays make events, the others are assumed vetoed by their
γ rays (multi-site, or above the low-energy window); False samples every
branch and leaves the γ rays to a photon-transport stage
(:meth:`~nusource.generator.beta_emitters.BetaEmitter.fill_cascades`).
The approximation misses decays whose whole cascade converts (e.g. 295 keV
level → 242 + 53 keV, both converted): their electrons deposit the β energy
plus ≥ 53 keV at one site (:meth:`Rn222Background.all_converted_fraction`).
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .beta_emitters import MAX_CASCADE, BetaEmitter, check_strength, load_decay_scheme
from .constants import SECONDS_PER_DAY

GROUND_STATE_FRACTION_DEFAULT = 0.11
"""Default ²¹⁴Pb ground-state branch (docs/physics.md §7; see the data file's provenance)."""


def _with_ground_state_fraction(scheme, f):
    """The scheme with its ground-state branch set to f and the others scaled to 1 − f."""
    g = scheme.ground_state_fraction
    rest = sum(b.intensity for b in scheme.branches) - g
    branches = tuple(
        replace(
            b,
            intensity=(f * b.intensity / g if b.level_mev == 0.0 else (1 - f) * b.intensity / rest),
        )
        for b in scheme.branches
    )
    return replace(scheme, branches=branches)


@dataclass(frozen=True, eq=False)
class Rn222Background:
    """²²²Rn (→ ²¹⁴Pb β⁻) decays uniform in the detector.

    Parameters
    ----------
    activity_ubq_per_kg : float
        ²²²Rn activity per mass [μBq/kg], ≥ 0.
    naked_only : bool
        Photon switch (see the module docstring).
    ground_state_fraction : float or None
        ²¹⁴Pb ground-state branch in [0, 1] (other branches rescaled); None
        keeps the data file's evaluation (6.2 %).
    """

    activity_ubq_per_kg: float
    naked_only: bool = True
    ground_state_fraction: float | None = GROUND_STATE_FRACTION_DEFAULT
    emitter: BetaEmitter = field(init=False, repr=False)

    def __post_init__(self):
        a = check_strength("activity_ubq_per_kg", self.activity_ubq_per_kg, "uBq/kg")
        object.__setattr__(self, "activity_ubq_per_kg", a)
        scheme = load_decay_scheme("pb214")
        f = self.ground_state_fraction
        if f is not None:
            f = check_strength("ground_state_fraction", f, "fraction")
            if f > 1.0:
                raise ValueError(f"ground_state_fraction = {f!r}: must be in [0, 1] [fraction]")
            object.__setattr__(self, "ground_state_fraction", f)
            scheme = _with_ground_state_fraction(scheme, f)
        emitter = BetaEmitter(scheme, a * 1e-6, naked_only=self.naked_only)
        object.__setattr__(self, "emitter", emitter)

    @property
    def tables(self):
        """The sampling tables (:class:`~nusource.generator.decay_sampler.DecayTables`)."""
        return self.emitter.tables

    @property
    def scheme(self):
        """The ²¹⁴Pb decay scheme in use."""
        return self.emitter.scheme

    def decays_per_kg_day(self) -> float:
        """²¹⁴Pb decays per (kg·day) (= ²²²Rn decays in equilibrium)."""
        return self.activity_ubq_per_kg * 1e-6 * SECONDS_PER_DAY

    def events_per_kg_day(self) -> float:
        """Sampled events per (kg·day) (decays × selected branch fraction)."""
        return self.emitter.events_per_kg_day()

    def spectrum_fraction(self, lo_mev: float, hi_mev: float) -> float:
        """Fraction of sampled events with electron energy in [lo, hi] [MeV]."""
        return self.emitter.spectrum_fraction(lo_mev, hi_mev)

    def fill(self, rng, n, te_out, branch_out=None) -> int:
        """Fill ``te_out[:n]`` with β electron kinetic energies [MeV]; returns the trials."""
        return self.emitter.fill(rng, n, te_out, branch_out)

    def fill_events(
        self, rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz, branch_out=None
    ) -> int:
        """Fill n full events (β electron only; γ rays via ``fill_cascades``)."""
        return self.emitter.fill_events(
            rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz, branch_out
        )

    def fill_cascades(self, rng, branch, gammas, n_gamma, local) -> None:
        """γ energies [MeV] and local conversion deposit of decays of the given branches."""
        self.emitter.fill_cascades(rng, branch, gammas, n_gamma, local)

    def all_converted_fraction(self, rng, n: int = 200_000) -> float:
        """MC estimate of the fraction of decays through excited levels that emit no γ."""
        s = self.scheme
        p = np.array([b.intensity if b.level_mev > 0 else 0.0 for b in s.branches])
        branch = rng.choice(p.size, size=n, p=p / p.sum()).astype(np.int64)
        g = np.empty((n, MAX_CASCADE))
        ng = np.empty(n, dtype=np.int64)
        loc = np.empty(n)
        self.fill_cascades(rng, branch, g, ng, loc)
        return float(np.mean(ng == 0))

    def to_dict(self) -> dict:
        """Parameters and rates (JSON-friendly)."""
        return {
            "kind": "rn222",
            "activity_ubq_per_kg": self.activity_ubq_per_kg,
            "naked_only": self.naked_only,
            "ground_state_fraction": self.scheme.ground_state_fraction,
            "decays_per_kg_day": self.decays_per_kg_day(),
            "events_per_kg_day": self.events_per_kg_day(),
            "provenance": self.scheme.provenance,
        }


__all__ = ["GROUND_STATE_FRACTION_DEFAULT", "Rn222Background"]
