"""Solar ν–e scattering as components: pp, pep, ⁷Be, CNO and ⁸B neutrinos (docs/physics.md §7a).

Each kind is one solar source with its B16-GS98 flux and spectrum and a νe
and a νμ,τ part (P_ee from MSW-LMA, or a constant from the card), scattered
with the run's couplings, μν and Z′ (atomic binding applies, as for the
signal).  Vertices are uniform in the detector (the flux is uniform over it),
times follow the live periods with the flux's (1 AU/r)² modulation, and each
neutrino arrives from the Sun's position at its event's time at the card's
site ([site]; frame x = east, y = north, z = up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field, field_validator

from nusource.generator.solar import (
    SolarComponent,
    draw_times,
    fill_solar,
    make_solar_component,
    mean_flux_factor,
)
from nusource.geometry.uniform import fill_uniform

from .base import ComponentCard, at_most, metadata_head, register
from .decay import live_periods
from .signal import WEIGHT_FORMULA

SOURCES = {
    "solar_pp": "pp",
    "solar_pep": "pep",
    "solar_be7": "be7",
    "solar_cno": "cno",
    "solar_b8": "b8",
}
"""Component kind → solar source of the generator's data."""


FLUX_SCALE_MAX = 100.0
"""Largest solar flux scale: a hundred times the standard solar model."""
FLUX_SCALE_MEASURED = 2.0
"""Solar flux scales above 2 are warned: measured fluxes (pp, ⁷Be, pep, CNO, ⁸B) agree
with B16-GS98 within ~50 % (CNO, the least known)."""


class SolarCard(ComponentCard):
    """[[components]] kind = "solar_pp" | "solar_pep" | "solar_be7" | "solar_cno" | "solar_b8"."""

    p_ee: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    """Constant νe survival probability (seed 004: 0.55 pp, 0.53 ⁷Be); default MSW-LMA P_ee(E)."""
    flux_scale: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    """Multiplies the B16-GS98 flux."""

    @field_validator("flux_scale")
    @classmethod
    def _scale(cls, v):
        why = "far beyond any solar model or measurement (the fluxes are known to ≲ 50 %)"
        return at_most(v, FLUX_SCALE_MAX, "(× B16-GS98)", why)

    def unusual(self) -> list[str]:
        if self.flux_scale <= FLUX_SCALE_MEASURED:
            return []
        return [
            f"flux_scale = {self.flux_scale:g} is more than twice the B16-GS98 flux "
            "(measured fluxes agree with it within ~50 %)"
        ]


@dataclass(frozen=True)
class SolarEvents:
    """A solar component of a run: the generator's SolarComponent placed in the detector."""

    name: str
    kind: str
    index: int
    solar: SolarComponent
    expected_events: float
    n_generated: int
    mode: str
    detector_kind: int
    detector_params: np.ndarray
    periods: tuple
    period_shares: np.ndarray
    parameters: dict
    binding: bool = True
    thinned: bool = False

    @property
    def gen_norm(self) -> float:
        return self.expected_events / max(self.n_generated, 1)

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        c = {k: v[:n] for k, v in cols.items()}
        c["event_id"][:] = np.arange(first_id, first_id + n, dtype=np.uint64)
        c["component"][:] = self.index
        counts = rng.multinomial(n, self.period_shares)
        times, at = np.empty(n), 0
        origin = self.periods[0].start_s  # event time 0: the first deployment's start
        for d, m in zip(self.periods, counts, strict=True):
            t0 = d.start_s - origin
            draw_times(rng, t0, t0 + d.length_s, *self.solar.epoch, times[at : at + m])
            at += m
        fill_uniform(
            rng, self.detector_kind, self.detector_params, c["vtx_x"], c["vtx_y"], c["vtx_z"]
        )
        fill_solar(
            self.solar,
            rng,
            n,
            times,
            cols,
            gen_norm=self.gen_norm,
            unit_weight=self.mode == "exposure",
            modulation="accept",
        )
        for name in ("src_x", "src_y", "src_z", "flight"):
            c[name][:] = 0.0
        return n

    def metadata(self) -> dict:
        return {
            **metadata_head(self),
            "expected_events": self.expected_events,
            "gen_norm": self.gen_norm,
            "weight_formula": WEIGHT_FORMULA + " (p_ee = 1: each event's flavour is drawn)",
            "binding": True,
            "placement": "uniform in the detector volume; ν from the Sun at the event's time",
            "flux_cm2_s": self.solar.flux,
            "share_nue": self.solar.share_nue,
            "window_mev": [self.solar.tmin_mev, self.solar.tmax_mev],
            "parameters": self.parameters,
        }


def _build(kind: str):
    def build(card: SolarCard, ctx):
        exp = ctx.experiment
        site = exp.card.site
        lo, hi = exp.window_mev
        solar = make_solar_component(
            SOURCES[kind],
            exp.model,
            tmin_mev=lo,
            tmax_mev=hi,
            p_ee=card.p_ee,
            flux_scale=card.flux_scale,
            site=(site.latitude_deg, site.longitude_deg),
            epoch=site.start_utc,
        )
        periods = live_periods(exp)
        origin = periods[0].start_s
        exposures = np.array(
            [
                d.length_s * mean_flux_factor(solar, t0, t0 + d.length_s)
                for d, t0 in ((d, d.start_s - origin) for d in periods)
            ]
        )
        rate = solar.events_per_electron_s()
        expected = rate * exp.electrons * float(exposures.sum())
        if not math.isfinite(expected):
            raise ValueError(f"components ('{ctx.name}'): expected events are not finite")
        return SolarEvents(
            name=ctx.name,
            kind=kind,
            index=ctx.index,
            solar=solar,
            expected_events=expected,
            n_generated=ctx.n_to_generate(expected),
            mode=ctx.mode,
            detector_kind=int(exp.detector.kind),
            detector_params=np.ascontiguousarray(exp.detector.params, dtype=float),
            periods=periods,
            period_shares=exposures / exposures.sum(),
            parameters={
                **card.model_dump(),
                "source": SOURCES[kind],
                "events_per_electron_s": rate,
                "site": [site.latitude_deg, site.longitude_deg],
                "start_utc": site.start_utc,
            },
        )

    return build


for _kind in SOURCES:
    register(_kind, SolarCard)(_build(_kind))
