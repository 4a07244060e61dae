"""The analysis card (TOML) of `nusource analyze`: histogram, fit and sensitivity.

Like the run card, every key carries its unit and an unknown or bad key is
reported in one line naming it.
"""

import tomllib
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from .runcard import STRICT, CardError, _one_line, card_path


class _Model(BaseModel):
    model_config = STRICT


class HistogramCard(_Model):
    """[histogram]: reconstructed (erec) or true (te) electron energy, in keV bins."""

    field: Literal["erec", "te"] = "erec"
    start_kev: Annotated[float, Field(ge=0)]
    stop_kev: Annotated[float, Field(gt=0)]
    step_kev: Annotated[float, Field(gt=0)]
    selected_only: bool = True

    @model_validator(mode="after")
    def _check(self):
        if self.stop_kev <= self.start_kev:
            raise ValueError(f"stop_kev = {self.stop_kev} must exceed start_kev = {self.start_kev}")
        if (self.stop_kev - self.start_kev) / self.step_kev > 100_000:
            raise ValueError("more than 100000 bins: make step_kev larger")
        return self


class FitCard(_Model):
    """[fit]: a fit of the files' histogram."""

    parameter: Literal["mu", "zprime", "none"] = "mu"
    form: Literal["poisson", "gaussian"] = "poisson"
    signal_norm_sigma: Annotated[float, Field(ge=0)] | None = 0.01
    systematic_per_bin: Annotated[float, Field(ge=0, lt=1)] = 0.0


class SensitivityCard(_Model):
    """[sensitivity]: Asimov Z′ mass reach versus the systematic error per bin."""

    zprime_model: str = Field("chi", pattern=r"^(chi|psi|eta|lr|beta=-?[0-9.]+)$")
    form: Literal["poisson", "gaussian"] = "gaussian"
    delta_chi2: Annotated[float, Field(gt=0)] = 2.71
    systematic_percent: list[Annotated[float, Field(ge=0, lt=100)]] = [0.0, 1.0, 2.0, 5.0]
    signal_norm_sigma: Annotated[float, Field(ge=0)] = 0.0


class AnalysisCard(_Model):
    title: str = "analysis"
    histogram: HistogramCard
    fit: FitCard = FitCard()
    sensitivity: SensitivityCard | None = None


def load_analysis_card(path) -> AnalysisCard:
    try:
        p = card_path(path)
    except CardError as exc:
        raise CardError(str(exc).replace("run card", "analysis card", 1)) from None
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"analysis card {path}: not valid TOML: {exc}") from None
    try:
        return AnalysisCard.model_validate(data)
    except ValidationError as exc:
        raise CardError(_one_line(path, exc).replace("run card", "analysis card", 1)) from None
