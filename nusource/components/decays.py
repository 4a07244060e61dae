"""Radioactive backgrounds in the detector's active volume: ¹³⁶Xe 2νββ, ⁸⁵Kr, ²²²Rn (²¹⁴Pb), β⁻.

Each kind reads its strength in the unit physicists quote (docs/physics.md §7)
and becomes a :class:`~nusource.components.decay.UniformDecays`: decays uniform
in the detector, constant in time over the live periods, with the visible
energy drawn exactly from the kind's spectrum restricted to the card's
generation window (rejection of exact draws outside it).

The one photon switch is ``naked_only`` (²¹⁴Pb, ⁸⁵Kr, β⁻ emitters): until γ
rays are transported, decays through excited levels are assumed vetoed by
their γ cascades (multi-site), and only ground-state ("naked") β decays make
events; ``naked_only = false`` keeps every branch with its β energy alone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import Field, field_validator

from nusource.generator.beta_emitters import BetaEmitter, load_decay_scheme
from nusource.generator.double_beta import (
    XE136_HALF_LIFE_Y,
    XE136_NATURAL_ABUNDANCE,
    Xe136DoubleBeta,
)
from nusource.generator.krypton import KR85_RATIO_DEFAULT, Kr85Background
from nusource.generator.radon import GROUND_STATE_FRACTION_DEFAULT, Rn222Background

from .base import ComponentCard, at_most, register
from .decay import live_seconds, uniform_decays

Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Strength = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Window = Annotated[tuple[float, float], Field(strict=False)]


def _hosts(kind: str) -> tuple[str, ...]:
    """The detector materials a decay background can live in (the rule is the generator's)."""
    from nusource.generator.decay_backgrounds import components_for_material
    from nusource.geometry.materials import MATERIAL_NAMES

    return tuple(m for m in MATERIAL_NAMES if kind in components_for_material(m))


XENON = _hosts("xe136")

WINDOW_FRACTION_MIN = 1e-7
"""Below this share of the spectrum in the generation window, rejection is refused."""


@dataclass(frozen=True)
class WindowedSampler:
    """``sampler(rng, te)``: exact draws from a spectrum restricted to [lo, hi) [MeV].

    ``fill(rng, n, out)`` of the background draws n exact values from its whole
    spectrum; values outside the window are rejected, in order, so the result
    is a pure function of the Generator.  Picklable (workers receive it).
    """

    background: object
    lo_mev: float
    hi_mev: float
    fraction: float

    def __call__(self, rng, te) -> None:
        if self.fraction >= 1.0 - 1e-15:
            self.background.fill(rng, te.shape[0], te)
            return
        n, got = te.shape[0], 0
        size = max(1024, int(1.05 * n / max(self.fraction, 1e-300)) + 64)
        buf = np.empty(min(size, 1 << 22))
        while got < n:
            self.background.fill(rng, buf.shape[0], buf)
            keep = buf[(buf >= self.lo_mev) & (buf < self.hi_mev)]
            take = min(n - got, keep.shape[0])
            te[got : got + take] = keep[:take]
            got += take


def _decay_component(ctx, kind: str, background, parameters: dict):
    exp = ctx.experiment
    lo, hi = exp.window_mev
    fraction = background.spectrum_fraction(lo, min(hi, 1e9))
    kept = background.events_per_kg_day() / max(background.decays_per_kg_day(), 1e-300)
    if 0 < fraction < WINDOW_FRACTION_MIN:
        raise ValueError(
            f"components ('{ctx.name}'): only {fraction:.3g} of its spectrum lies in the "
            f"generation window [{lo * 1e3:g}, {hi * 1e3:g}] keV; widen [window] or drop it"
        )
    days = live_seconds(exp) / 86400.0
    decays = background.decays_per_kg_day() * exp.detector_mass_kg * days
    return uniform_decays(
        ctx,
        kind=kind,
        decays=decays,
        window_fraction=kept * fraction,
        sample_te=WindowedSampler(background, lo, hi, fraction),
        parameters={
            **parameters,
            "decays_per_kg_day": background.decays_per_kg_day(),
            "events_per_kg_day": background.events_per_kg_day(),
            "spectrum_fraction_in_window": fraction,
        },
    )


class Xe136Card(ComponentCard):
    """[[components]] kind = "xe136": ¹³⁶Xe 2νββ of the xenon itself."""

    abundance: Fraction = XE136_NATURAL_ABUNDANCE
    """¹³⁶Xe atom fraction (natural 0.08857); or give ``depletion``."""
    depletion: Fraction | None = None
    """Fraction of the natural ¹³⁶Xe removed (0.9: "90 % depleted")."""
    half_life_y: Annotated[float, Field(gt=0, allow_inf_nan=False)] = XE136_HALF_LIFE_Y


@register("xe136", Xe136Card, materials=XENON)
def _xe136(card: Xe136Card, ctx):
    if card.depletion is not None:
        if "abundance" in card.model_fields_set:
            raise ValueError(f"components ('{ctx.name}'): give abundance or depletion, not both")
        bg = Xe136DoubleBeta.depleted(card.depletion, half_life_y=card.half_life_y)
    else:
        bg = Xe136DoubleBeta(abundance=card.abundance, half_life_y=card.half_life_y)
    return _decay_component(ctx, "xe136", bg, {**card.model_dump(), "abundance": bg.abundance})


NATKR_MAX_MOL_PER_MOL = 1.0e-3
"""Most natKr in xenon [mol/mol]: the poorest commercial xenon (99.9 %) holds at most 10⁻³
of all other gases together."""
NATKR_AIR_MOL_PER_MOL = 1.14e-6
"""natKr in air [mol/mol] (1.14 ppm): xenon with more is unpurified (warned); detectors
distil theirs to below 10⁻⁹."""
KR85_PER_KR_MAX = 1.0e-9
"""Most ⁸⁵Kr/Kr [atoms/atom]: fifty times today's atmosphere (~2×10⁻¹¹, from fuel
reprocessing), where the krypton in xenon comes from."""
KR85_PER_KR_ATMOSPHERE_MAX = 1.0e-10
"""⁸⁵Kr/Kr above five times today's atmosphere is warned."""


class Kr85Card(ComponentCard):
    """[[components]] kind = "kr85": ⁸⁵Kr in the xenon (natKr concentration × ⁸⁵Kr/Kr)."""

    natkr_mol_per_mol: Fraction
    """natKr concentration in mol/mol (1e-13 = 0.1 ppt)."""
    kr85_per_kr: Fraction = KR85_RATIO_DEFAULT
    naked_only: bool = True

    @field_validator("natkr_mol_per_mol")
    @classmethod
    def _natkr(cls, v):
        why = "more krypton than the poorest commercial xenon (99.9 %) holds"
        return at_most(v, NATKR_MAX_MOL_PER_MOL, "mol/mol", why)

    @field_validator("kr85_per_kr")
    @classmethod
    def _kr85(cls, v):
        why = "more than 50 times the ⁸⁵Kr/Kr of today's atmosphere (~2e-11)"
        return at_most(v, KR85_PER_KR_MAX, "(⁸⁵Kr/Kr)", why)

    def unusual(self) -> list[str]:
        out = []
        if self.natkr_mol_per_mol > NATKR_AIR_MOL_PER_MOL:
            out.append(
                f"natkr_mol_per_mol = {self.natkr_mol_per_mol:g} mol/mol is more krypton than "
                "air holds (1.14e-06): unpurified xenon"
            )
        if self.kr85_per_kr > KR85_PER_KR_ATMOSPHERE_MAX:
            out.append(
                f"kr85_per_kr = {self.kr85_per_kr:g} is more than 5 times the ⁸⁵Kr/Kr of "
                "today's atmosphere (~2e-11)"
            )
        return out


@register("kr85", Kr85Card, materials=_hosts("kr85"))
def _kr85(card: Kr85Card, ctx):
    bg = Kr85Background(card.natkr_mol_per_mol, card.kr85_per_kr, naked_only=card.naked_only)
    return _decay_component(ctx, "kr85", bg, card.model_dump())


RN222_MAX_UBQ_PER_KG = 1.0e6
"""Most ²²²Rn in a detector medium [μBq/kg] (1 Bq/kg): a tenth of the radon of outdoor air
(~10 Bq/m³), a thousand times the most measured in a low-background detector."""
RN222_MEASURED_UBQ_PER_KG = 1.0e3
"""²²²Rn above 1 mBq/kg is warned: the detectors measured hold ~1–1000 μBq/kg (liquid
xenon ~1–100, the early ones up to ~1000)."""


class Rn222Card(ComponentCard):
    """[[components]] kind = "rn222": ²²²Rn in equilibrium with ²¹⁴Pb, per mass."""

    activity_ubq_per_kg: Strength
    naked_only: bool = True
    ground_state_fraction: Fraction = GROUND_STATE_FRACTION_DEFAULT
    transport: bool = False
    """Transport the γ cascades (every branch; the multi-site flag vetoes) instead of
    keeping only naked decays (docs/physics.md §7b)."""
    window_kev: Window | None = None
    """With ``transport``: the window of ``rate``'s single-site share [keV]."""

    @field_validator("activity_ubq_per_kg")
    @classmethod
    def _activity(cls, v):
        why = "a thousand times the radon measured in any low-background detector"
        return at_most(v, RN222_MAX_UBQ_PER_KG, "μBq/kg", why)

    def unusual(self) -> list[str]:
        if self.activity_ubq_per_kg <= RN222_MEASURED_UBQ_PER_KG:
            return []
        return [
            f"activity_ubq_per_kg = {self.activity_ubq_per_kg:g} μBq/kg is above the radon "
            "of every low-background detector measured (~1–1000 μBq/kg)"
        ]


def _transport_keys(card, ctx) -> None:
    if card.transport and "naked_only" in card.model_fields_set and card.naked_only:
        raise ValueError(
            f"components ('{ctx.name}').naked_only: true contradicts transport = true "
            "(transport samples every branch and vetoes by sites); drop one"
        )
    if not card.transport and card.window_kev is not None:
        raise ValueError(f"components ('{ctx.name}').window_kev: applies with transport = true")


@register("rn222", Rn222Card)
def _rn222(card: Rn222Card, ctx):
    _transport_keys(card, ctx)

    def background(naked_only):
        return functools.partial(
            Rn222Background,
            card.activity_ubq_per_kg,
            naked_only=naked_only,
            ground_state_fraction=card.ground_state_fraction,
        )

    if card.transport:
        from .transported import transported_decays

        return transported_decays(
            ctx,
            kind="rn222",
            factory=background(False),
            naked=background(True)(),
            parameters=card.model_dump(),
            window_kev=card.window_kev,
        )
    return _decay_component(ctx, "rn222", background(card.naked_only)(), card.model_dump())


BETA_MEDIUM_MAX_BQ_PER_KG = 1.0
"""β⁻ activity above 1 Bq/kg is warned: ³⁹Ar in atmospheric argon (1.0 Bq/kg) is the most
radioactive medium a rare-event detector has used.  The refusal bound is the emitter's
pure specific activity (every nucleus of the medium the emitter)."""


class BetaCard(ComponentCard):
    """[[components]] kind = "beta": any β⁻ emitter from a decay-scheme file."""

    scheme: str
    """A shipped scheme's name (``kr85``, ``pb214``, or a source such as ``h3``) or a TOML file."""
    activity_bq_per_kg: Strength
    naked_only: bool = False

    def unusual(self) -> list[str]:
        if self.activity_bq_per_kg <= BETA_MEDIUM_MAX_BQ_PER_KG:
            return []
        return [
            f"activity_bq_per_kg = {self.activity_bq_per_kg:g} Bq/kg is more than the ³⁹Ar of "
            "atmospheric argon (1 Bq/kg), the most radioactive detector medium used"
        ]


@register("beta", BetaCard)
def _beta(card: BetaCard, ctx):
    from nusource.activity_bounds import specific_activity_bq_per_g

    scheme = card.scheme
    path = Path(ctx.experiment.card_dir or ".") / scheme
    if scheme.endswith(".toml") and not Path(scheme).is_absolute() and path.is_file():
        scheme = str(path)
    decay = load_decay_scheme(scheme)
    pure = 1e3 * specific_activity_bq_per_g(decay.half_life_s, decay.branches[0].a_mass)
    if card.activity_bq_per_kg > pure:
        raise ValueError(
            f"components ('{ctx.name}').activity_bq_per_kg: {card.activity_bq_per_kg:g} Bq/kg "
            f"is more than pure {decay.nuclide} would give (every nucleus of the medium the "
            f"emitter); allowed: up to {pure:.3g} Bq/kg"
        )
    bg = BetaEmitter(decay, card.activity_bq_per_kg, naked_only=card.naked_only)
    return _decay_component(ctx, "beta", bg, card.model_dump())


__all__ = ["WINDOW_FRACTION_MIN", "WindowedSampler"]


@dataclass(frozen=True)
class FlatSpectrum:
    """A flat visible-energy spectrum on [lo, hi) [MeV]; ``spectrum(rng, te)`` fills te."""

    lo_mev: float
    hi_mev: float

    def __call__(self, rng, te) -> None:
        te[:] = self.lo_mev + (self.hi_mev - self.lo_mev) * rng.random(te.shape[0])


FLAT_MAX_PER_KEV_T_DAY = 1.0e9
"""Most flat background [counts/(keV·t·day)]: ~40 times an unshielded NaI crystal in the
open at sea level (~2×10⁷, from the ground's γ rays and cosmic rays)."""
FLAT_UNDERGROUND_PER_KEV_T_DAY = 1.0e4
"""A flat rate above 10 counts/(keV·kg·day) is warned: shielded detectors underground
see ≲ 1 (DAMA/LIBRA's NaI ~1, liquid xenon ~10⁻⁴)."""


class FlatCard(ComponentCard):
    """[[components]] kind = "flat": a flat background in counts/(keV·t·day) over an energy range.

    For what a setup leaves unsaid (unidentified radioactivity, in the units
    experiments quote it); uniform in the detector, no binding, no neutrino.
    """

    rate_per_kev_t_day: Strength
    tmin_kev: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    tmax_kev: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    @field_validator("rate_per_kev_t_day")
    @classmethod
    def _rate(cls, v):
        why = "more than an unshielded detector in the open sees (~2e7)"
        return at_most(v, FLAT_MAX_PER_KEV_T_DAY, "counts/(keV·t·day)", why)

    def unusual(self) -> list[str]:
        if self.rate_per_kev_t_day <= FLAT_UNDERGROUND_PER_KEV_T_DAY:
            return []
        return [
            f"rate_per_kev_t_day = {self.rate_per_kev_t_day:g} counts/(keV·t·day) is above "
            "any shielded detector underground (≲ 1000)"
        ]


@register("flat", FlatCard)
def _flat(card: FlatCard, ctx):
    if card.tmax_kev <= card.tmin_kev:
        raise ValueError(
            f"components ('{ctx.name}'): tmax_kev = {card.tmax_kev} must exceed "
            f"tmin_kev = {card.tmin_kev} [keV]"
        )
    exp = ctx.experiment
    w_lo, w_hi = exp.window_mev
    lo, hi = max(card.tmin_kev * 1e-3, w_lo), min(card.tmax_kev * 1e-3, w_hi)
    width_kev = card.tmax_kev - card.tmin_kev
    days = live_seconds(exp) / 86400.0
    total = card.rate_per_kev_t_day * width_kev * exp.detector_mass_kg * 1e-3 * days
    return uniform_decays(
        ctx,
        kind="flat",
        decays=total,
        window_fraction=max(hi - lo, 0.0) * 1e3 / width_kev,
        sample_te=FlatSpectrum(lo, max(hi, lo)),
        parameters=card.model_dump(),
    )
