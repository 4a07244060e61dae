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
from pydantic import Field

from nusource.generator.beta_emitters import BetaEmitter, load_decay_scheme
from nusource.generator.double_beta import (
    XE136_HALF_LIFE_Y,
    XE136_NATURAL_ABUNDANCE,
    Xe136DoubleBeta,
)
from nusource.generator.krypton import KR85_RATIO_DEFAULT, Kr85Background
from nusource.generator.radon import GROUND_STATE_FRACTION_DEFAULT, Rn222Background

from .base import ComponentCard, register
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


class Kr85Card(ComponentCard):
    """[[components]] kind = "kr85": ⁸⁵Kr in the xenon (natKr concentration × ⁸⁵Kr/Kr)."""

    natkr_mol_per_mol: Fraction
    """natKr concentration in mol/mol (1e-13 = 0.1 ppt)."""
    kr85_per_kr: Fraction = KR85_RATIO_DEFAULT
    naked_only: bool = True


@register("kr85", Kr85Card, materials=_hosts("kr85"))
def _kr85(card: Kr85Card, ctx):
    bg = Kr85Background(card.natkr_mol_per_mol, card.kr85_per_kr, naked_only=card.naked_only)
    return _decay_component(ctx, "kr85", bg, card.model_dump())


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


class BetaCard(ComponentCard):
    """[[components]] kind = "beta": any β⁻ emitter from a decay-scheme file."""

    scheme: str
    """A shipped scheme's name (``kr85``, ``pb214``, or a source such as ``h3``) or a TOML file."""
    activity_bq_per_kg: Strength
    naked_only: bool = False


@register("beta", BetaCard)
def _beta(card: BetaCard, ctx):
    scheme = card.scheme
    path = Path(ctx.experiment.card_dir or ".") / scheme
    if scheme.endswith(".toml") and not Path(scheme).is_absolute() and path.is_file():
        scheme = str(path)
    bg = BetaEmitter(load_decay_scheme(scheme), card.activity_bq_per_kg, naked_only=card.naked_only)
    return _decay_component(ctx, "beta", bg, card.model_dump())


__all__ = ["WINDOW_FRACTION_MIN", "WindowedSampler"]


@dataclass(frozen=True)
class FlatSpectrum:
    """A flat visible-energy spectrum on [lo, hi) [MeV]; ``spectrum(rng, te)`` fills te."""

    lo_mev: float
    hi_mev: float

    def __call__(self, rng, te) -> None:
        te[:] = self.lo_mev + (self.hi_mev - self.lo_mev) * rng.random(te.shape[0])


class FlatCard(ComponentCard):
    """[[components]] kind = "flat": a flat background in counts/(keV·t·day) over an energy range.

    For what a setup leaves unsaid (unidentified radioactivity, in the units
    experiments quote it); uniform in the detector, no binding, no neutrino.
    """

    rate_per_kev_t_day: Strength
    tmin_kev: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    tmax_kev: Annotated[float, Field(gt=0, allow_inf_nan=False)]


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
