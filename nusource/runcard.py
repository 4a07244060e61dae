"""The run card: a TOML file, validated once into a typed, frozen configuration.

Every key has its unit in its name (``_cm``, ``_kev``, ``_days``, ``_ci``,
``_bohr``); an unknown key, a wrong type, a value out of range or an
inconsistent combination gives one line naming the key, the value and what is
allowed.  Kernels never see this object: :mod:`nusource.experiment` turns it into
plain parameters.
"""

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .generator.sources import SOURCE_NAMES

SourceName = Literal[SOURCE_NAMES]  # type: ignore[valid-type]
Vec3 = tuple[float, float, float]
Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]


class CardError(ValueError):
    """A run card that cannot be used (one line: file, key, value, what is allowed)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deployment(_Model):
    """One deployment of the source: start, length and activity at its start."""

    start_days: NonNeg = 0.0
    length_days: Pos
    activity_ci: Pos


class Shield(_Model):
    """A shield layer around the source (innermost first)."""

    material: str
    thickness_cm: Pos


class SourceCard(_Model):
    """[source]: isotope, activity over time, shape and shields."""

    isotope: SourceName
    activity_ci: Pos | None = None
    run_days: Pos | None = None
    start_days: NonNeg = 0.0
    deployments: list[Deployment] | None = None
    endpoint_kev: Pos | None = None
    spectrum_file: str | None = None
    fermi: Literal["relativistic", "nonrelativistic"] = "relativistic"
    shape: Literal["cylinder", "point"] = "cylinder"
    diameter_cm: Pos | None = None
    height_cm: Pos | None = None
    center_cm: Vec3 = (0.0, 0.0, 0.0)
    shields: list[Shield] = []

    @model_validator(mode="after")
    def _check(self):
        if self.deployments is None and (self.activity_ci is None or self.run_days is None):
            raise ValueError(
                "give activity_ci and run_days, or a list of [[source.deployments]] "
                "(start_days, length_days, activity_ci)"
            )
        if self.deployments is not None and (
            self.activity_ci is not None or self.run_days is not None
        ):
            raise ValueError("give either activity_ci + run_days or deployments, not both")
        if self.shape == "cylinder" and (self.diameter_cm is None or self.height_cm is None):
            raise ValueError(
                "a cylinder source needs diameter_cm and height_cm (or shape = 'point')"
            )
        if self.shape == "point" and (self.diameter_cm is not None or self.height_cm is not None):
            raise ValueError("a point source takes no diameter_cm or height_cm")
        return self


class PhysicsCard(_Model):
    """[physics]: the interaction model."""

    couplings: Literal["radiative", "tree"] = "radiative"
    sin2w: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    mu_bohr: NonNeg = 0.0
    zprime: str | None = None
    zprime_form: Literal["exact", "linear"] = "exact"
    e6_charges: Literal["consistent", "printed"] = "consistent"
    reference_zprime: Literal["chi", "psi", "eta", "lr"] = "chi"


class OscillationCard(_Model):
    """[oscillation]: 3+1 sterile oscillation of the source's νe / ν̄e."""

    sin2_2theta: Annotated[float, Field(ge=0, le=1)]
    dm2_ev2: NonNeg
    apply: Literal["weight", "accept"] = "weight"


DetectorShape = Literal["cylinder", "sphere", "spherical_shell", "cylindrical_shell", "box"]
_SHAPE_KEYS = {
    "cylinder": ("radius_cm", "height_cm"),
    "sphere": ("radius_cm",),
    "spherical_shell": ("inner_radius_cm", "outer_radius_cm"),
    "cylindrical_shell": ("inner_radius_cm", "outer_radius_cm", "height_cm"),
    "box": ("size_cm",),
}


class _SolidCard(_Model):
    """The keys of a solid; which of them a shape needs is in _SHAPE_KEYS."""

    shape: DetectorShape
    radius_cm: Pos | None = None
    inner_radius_cm: NonNeg | None = None
    outer_radius_cm: Pos | None = None
    height_cm: Pos | None = None
    size_cm: tuple[Pos, Pos, Pos] | None = None
    center_cm: Vec3 = (0.0, 0.0, 0.0)

    def _check_shape_keys(self, what: str) -> None:
        missing = [k for k in _SHAPE_KEYS[self.shape] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.shape} {what} needs {', '.join(missing)}")


class DetectorCard(_SolidCard):
    """[detector]: material and solid (the volume in which vertices are generated)."""

    name: str
    material: Literal["NaI", "LXe", "He", "pseudocumene"]
    density_g_cm3: Pos | None = None
    pressure_bar: Pos | None = None
    temperature_k: Pos | None = None
    source_inside: bool = False

    @model_validator(mode="after")
    def _check(self):
        self._check_shape_keys("detector")
        if self.material != "He" and (self.pressure_bar or self.temperature_k):
            raise ValueError("pressure_bar and temperature_k apply to the He gas detector only")
        return self


class WindowCard(_Model):
    """[window]: the recoil-energy window events are generated in."""

    tmin_kev: NonNeg = 0.0
    tmax_kev: Pos | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.tmax_kev is not None and self.tmin_kev >= self.tmax_kev:
            raise ValueError(f"tmin_kev = {self.tmin_kev} must be below tmax_kev = {self.tmax_kev}")
        return self


class FiducialCard(_SolidCard):
    """[response.fiducial]: a fiducial volume inside the detector (a solid, as [detector])."""

    on: Literal["reconstructed", "true"] = "reconstructed"

    @model_validator(mode="after")
    def _check(self):
        self._check_shape_keys("fiducial volume")
        return self


class ResponseCard(_Model):
    """[response]: the detector response (see nusource.detsim)."""

    binding: bool = True
    resolution: Literal["gaussian", "nest", "none"] = "gaussian"
    resolution_a: NonNeg | None = None
    resolution_b: NonNeg | None = None
    nest_mode: Literal["fast", "full"] = "fast"
    nest_field_v_cm: Pos = 96.5
    angular_sigma_mrad: NonNeg = 0.0
    position_sigma_cm: NonNeg = 0.0
    threshold_kev: NonNeg = 0.0
    window_kev: tuple[NonNeg, Pos] | None = None
    efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0
    fiducial: FiducialCard | None = None


class RunCard(_Model):
    """A whole run card."""

    title: str
    seed: Annotated[int, Field(ge=0)] = 0
    mode: Literal["exposure", "fixed", "weighted"] = "exposure"
    n_events: Annotated[int, Field(ge=0)] | None = None
    chunk_size: Annotated[int, Field(gt=0)] = 1_000_000
    output_schema: Literal["auto", "full", "slim"] = Field("auto", alias="schema")
    """Output fields: every one ('full'), the analyses' ('slim', nusource.io.schema), or
    'auto' (full up to 10⁷ events in all, slim above)."""
    proposal_mu_bohr: NonNeg | None = None
    geometry_mc_samples: Annotated[int, Field(gt=0)] = 4_000_000
    source: SourceCard
    physics: PhysicsCard = PhysicsCard()
    detector: DetectorCard
    window: WindowCard = WindowCard()
    oscillation: OscillationCard | None = None
    response: ResponseCard | None = None
    background_only_days: NonNeg = 0.0
    """A source-free period after the last deployment [days]: backgrounds only."""
    components: tuple[Any, ...] = ()
    """[[components]]: the kinds of event besides the signal (see nusource.components)."""

    @field_validator("components", mode="before")
    @classmethod
    def _components(cls, value):
        from .components import validate_entries

        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of tables: [[components]] with a 'kind' key")
        return validate_entries(list(value))

    @model_validator(mode="after")
    def _check(self):
        if self.mode in ("fixed", "weighted") and self.n_events is None:
            raise ValueError(f"mode = '{self.mode}' needs n_events")
        return self


def _one_line(path, err: ValidationError) -> str:
    errors = err.errors()
    # an unknown key usually explains a "missing" one (a typo or a wrong unit): name it first
    errors = sorted(errors, key=lambda x: x["type"] != "extra_forbidden")
    e = errors[0]
    loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("function-"))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        msg = "unknown key (check its spelling and unit suffix)"
    got = e.get("input")
    shown = (
        "" if isinstance(got, dict | list | tuple) or e["type"] == "missing" else f" (got {got!r})"
    )
    where = f"{loc}: " if loc else ""
    more = f" [+{len(errors) - 1} more]" if len(errors) > 1 else ""
    return f"run card {path}: {where}{msg}{shown}{more}"


def parse_card(text: str, path: str = "<card>") -> RunCard:
    """Validate the text of a run card."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"run card {path}: not valid TOML: {exc}") from None
    try:
        return RunCard.model_validate(data)
    except ValidationError as exc:
        raise CardError(_one_line(path, exc)) from None


def shipped_card(name: str):
    """A card shipped with nusource (``'lxe_cr51.toml'``, ``'analysis/lxe_mu.toml'``).

    Returns a path-like resource of the installed package (package data
    ``nusource.configs``), readable whether nusource is installed from a
    wheel or from a checkout.
    """
    from importlib.resources import files

    res = files("nusource.configs").joinpath(*str(name).split("/"))
    if not res.is_file():
        shipped = sorted(
            p.name for p in files("nusource.configs").iterdir() if p.name.endswith(".toml")
        )
        raise CardError(f"no card '{name}' is shipped with nusource; shipped: {', '.join(shipped)}")
    return res


def card_path(path):
    """A card given on the command line: a file, or the name of a shipped card.

    ``configs/NAME.toml`` and ``NAME.toml`` name a shipped card when no such
    file exists here (so the README's commands work from any directory).
    """
    p = Path(path)
    if p.is_file():
        return p
    name = str(path).removeprefix("configs/")
    if p.is_dir():
        raise CardError(f"run card {path}: is a directory; give a .toml file")
    if not p.is_absolute() and name.endswith(".toml"):
        try:
            return shipped_card(name)
        except CardError:
            pass
    raise CardError(f"run card {path}: no such file")


def load_card(path) -> tuple[RunCard, str]:
    """Read and validate a run card (a file, or a shipped card's name); (card, its text)."""
    p = card_path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CardError(f"run card {path}: is not UTF-8 text") from None
    return parse_card(text, str(path)), text


__all__ = ["CardError", "RunCard", "card_path", "load_card", "parse_card", "shipped_card"]
