"""The analysis card (TOML) of `nusource analyze`: histogram, fit and sensitivity.

Like the run card, every key carries its unit and an unknown or bad key is
reported in one line naming it.
"""

import math
import tomllib
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

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
    background_norm_sigma: dict[str, float] | float = {}
    """Pull σ (fraction) of each background component's normalisation: by name (free if
    absent), or one number for every component."""

    @field_validator("background_norm_sigma", mode="before")
    @classmethod
    def _background_sigmas(cls, v):
        def sigma(x, where=""):  # (the message names the input; for the whole key pydantic does)
            if isinstance(x, bool) or not isinstance(x, int | float) or not (0 <= x < math.inf):
                raise ValueError(
                    f"{where}: must be a fraction ≥ 0 (got {x!r})"
                    if where
                    else "must be a fraction ≥ 0"
                )
            return float(x)

        if isinstance(v, dict):
            return {str(k): sigma(x, str(k)) for k, x in v.items()}
        if isinstance(v, int | float) and not isinstance(v, bool):
            return sigma(v)
        raise ValueError("must be one fraction for every component or a table { name = fraction }")

    def background_sigma(self, name: str, default: float | None = None) -> float | None:
        """The pull σ of component ``name``'s normalisation (``default`` if the card has none;
        None: free)."""
        b = self.background_norm_sigma
        return b.get(name, default) if isinstance(b, dict) else float(b)

    def unknown_backgrounds(self, names) -> list[str]:
        """The card's component names that are not among ``names``."""
        b = self.background_norm_sigma
        return sorted(set(b) - set(names)) if isinstance(b, dict) else []

    def check_backgrounds(self, names, of: str) -> None:
        """ValueError if the card names a component that is not among ``names`` (those ``of``
        the files or run card in question)."""
        unknown = self.unknown_backgrounds(names)
        if unknown:
            raise ValueError(
                f"fit.background_norm_sigma: {', '.join(unknown)} is not a background component "
                f"of {of}; allowed: {', '.join(names) or 'none (it has no backgrounds)'}"
            )


class SensitivityCard(_Model):
    """[sensitivity]: Asimov Z′ mass reach versus the systematic error per bin."""

    zprime_model: str = Field("chi", pattern=r"^(chi|psi|eta|lr|beta=-?[0-9.]+)$")
    form: Literal["poisson", "gaussian"] = "gaussian"
    delta_chi2: Annotated[float, Field(gt=0)] = 2.71
    systematic_percent: list[Annotated[float, Field(ge=0, lt=100)]] = [0.0, 1.0, 2.0, 5.0]
    signal_norm_sigma: Annotated[float, Field(ge=0)] = 0.0


class CoverageCard(_Model):
    """[coverage]: toys at true values of the parameter of interest (`nusource coverage`).

    Truth values are in the study's parameter: μν [μ_B] for mu_bound, γ = M_Z²/M_Z′² for
    zprime_reach; the word "expected" stands for the Asimov 95 % CL limit.  Toys are Poisson
    fluctuations of the exact expectation, seeded per (role, true point, block).
    """

    toys: Annotated[int, Field(gt=0)] = 2000
    truth: list[float | Literal["expected"]] = [0.0, "expected"]
    method: Literal["wilks", "fc", "both"] = "both"
    interval: Literal["upper", "two-sided"] = "upper"
    cl: Annotated[float, Field(gt=0, lt=1)] = 0.95
    level: Annotated[float, Field(gt=0)] | None = None
    critical_toys: Annotated[int, Field(gt=0)] | None = None
    block_size: Annotated[int, Field(gt=0)] = 500
    seed: Annotated[int, Field(ge=0)] = 1


class MuBoundCard(_Model):
    """[mu_bound]: the μν upper limit versus threshold, Poisson likelihood in fine bins."""

    thresholds_kev: list[Annotated[float, Field(ge=0)]] = [0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0]
    stop_kev: Annotated[float, Field(gt=0)] = 140.0
    step_kev: Annotated[float, Field(gt=0)] = 0.1
    signal_norm_sigma: Annotated[float, Field(ge=0)] = 0.01
    background_sigma: Annotated[float, Field(ge=0)] = 0.005
    delta_chi2: Annotated[float, Field(gt=0)] = 2.705543454095404
    toys: Annotated[int, Field(ge=0)] = 0


class SterileCard(_Model):
    """[sterile]: the (sin²2θ, Δm²) sensitivity from the reconstructed distance to the source."""

    bin_cm: Annotated[float, Field(gt=0)] = 3.0
    threshold_kev: Annotated[float, Field(ge=0)] = 5.0
    position_sigma_cm: Annotated[float, Field(ge=0)] = 1.0
    sin2_2theta_range: Annotated[
        tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]], Field(strict=False)
    ] = (1e-3, 1.0)
    dm2_range_ev2: Annotated[
        tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]], Field(strict=False)
    ] = (0.01, 100.0)
    grid: Annotated[
        tuple[Annotated[int, Field(gt=1)], Annotated[int, Field(gt=1)]], Field(strict=False)
    ] = (100, 100)
    signal_norm_sigma: Annotated[float, Field(ge=0)] | Literal["free"] = "free"
    background_sigma: Annotated[float, Field(ge=0)] = 0.005
    delta_chi2: Annotated[float, Field(gt=0)] = 5.991464547107979
    fc_grid: Annotated[
        tuple[Annotated[int, Field(gt=1)], Annotated[int, Field(gt=1)]], Field(strict=False)
    ] = (50, 50)
    fc_toys: Annotated[int, Field(gt=0)] = 1000
    report_dm2_ev2: list[Annotated[float, Field(gt=0)]] = [0.5, 1.0, 2.0, 5.0]


class AnalysisCard(_Model):
    title: str = "analysis"
    study: Literal["mu_bound", "sterile", "zprime_reach"] | None = None
    run_card: str | None = None
    """The run card the study is about (a file, or a shipped card's name), for `coverage`."""
    histogram: HistogramCard
    fit: FitCard = Field(default_factory=FitCard)
    sensitivity: SensitivityCard | None = None
    coverage: CoverageCard | None = None
    mu_bound: MuBoundCard | None = None
    sterile: SterileCard | None = None


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
