"""The signal: ν–e scattering of the source's neutrinos (component 0)."""

from __future__ import annotations

from dataclasses import dataclass

from nusource.generator.signal import SignalSpec, fill_signal_chunk
from nusource.io.schema import WEIGHT_MODES

from .base import SIGNAL_INDEX

WEIGHT_FORMULA = "gen_norm*(xs_sm+mu^2*xs_mag+gamma*xs_zlin+gamma^2*xs_zquad)/xs_gen*p_ee"
"""How a ν–e event's weight follows from its stored cross-section parts (see io.schema)."""


@dataclass(frozen=True)
class SignalComponent:
    """The source's ν–e events (placed in the geometry when the spec has a placement)."""

    spec: SignalSpec
    name: str = "signal"
    kind: str = "signal"
    index: int = SIGNAL_INDEX
    binding: bool = True

    @property
    def n_generated(self) -> int:
        return int(self.spec.n_generated)

    @property
    def expected_events(self) -> float:
        return self.spec.expected_events

    @property
    def gen_norm(self) -> float:
        return self.spec.gen_norm

    @property
    def thinned(self) -> bool:
        pl = self.spec.placement
        return pl is not None and pl.oscillation is not None and pl.oscillation[2] == "accept"

    def fill(self, rng, cols: dict, n: int, first_id: int) -> int:
        return fill_signal_chunk(self.spec, rng, cols, n, first_id=first_id, component=self.index)

    def metadata(self) -> dict:
        return signal_metadata(self.spec, self.spec.mode)


def signal_metadata(spec: SignalSpec, mode: str) -> dict:
    """What a file records about its signal: mode, exposure, normalisation, cross sections."""
    return {
        "name": "signal",
        "kind": "signal",
        "mode": mode,
        "mode_description": WEIGHT_MODES[mode],
        "n_generated": int(spec.n_generated),
        "exposure_per_cm2": spec.exposure,
        "expected_events": spec.expected_events,
        "gen_norm": spec.gen_norm,
        "weight_formula": WEIGHT_FORMULA,
        "binding": True,
        "model": spec.model.to_dict(),
        "generating_model": spec.gen_model.to_dict(),
        "window_mev": [spec.sampler.tmin_mev, spec.xsec.tmax_mev],
        "flux_averaged_xsec_cm2": {
            "total": spec.xsec.total,
            "sm": spec.xsec.sm,
            "mu": spec.xsec.mu,
            "zprime": spec.xsec.zprime,
            "mag_per_mub2": spec.xsec.mag_unit,
            "zprime_per_gamma": spec.xsec.zlin_unit,
            "zprime_per_gamma2": spec.xsec.zquad_unit,
        },
    }
