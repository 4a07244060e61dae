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
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from .generator.sources import SOURCE_NAMES

SourceName = Literal[SOURCE_NAMES]  # type: ignore[valid-type]
Num = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""A number as TOML writes it (an integer or a float; not a string, not a boolean, finite)."""
Vec3 = Annotated[tuple[Num, Num, Num], Field(strict=False)]
Pos = Annotated[Num, Field(gt=0)]
NonNeg = Annotated[Num, Field(ge=0)]

MAX_LENGTH_CM = 1.0e5
"""Longest length a card may give [cm] (1 km: larger than any detector or lab)."""
MAX_DENSITY_G_CM3 = 25.0
"""Densest material a card may give [g/cm³] (osmium is 22.6)."""
MAX_ACTIVITY_CI = 1.0e9
"""Largest source activity a card may give [Ci] (the strongest sources built are ~10 MCi)."""
MAX_DAYS = 1.0e5
"""Longest time a card may give [days] (≈ 270 years)."""
MAX_CHUNK_SIZE = 2_000_000
"""Largest chunk [events]: a chunk is made in one compiled call, which Ctrl-C cannot stop;
2×10⁶ events take well under a second."""
MAX_MC_SAMPLES = 10**9
"""Most geometry Monte Carlo samples (≈ 90 s)."""
Length = Annotated[Pos, Field(le=MAX_LENGTH_CM)]
Offset = Annotated[Num, Field(ge=-MAX_LENGTH_CM, le=MAX_LENGTH_CM)]
Days = Annotated[NonNeg, Field(le=MAX_DAYS)]
Activity = Annotated[Pos, Field(le=MAX_ACTIVITY_CI)]


class CardError(ValueError):
    """A run card that cannot be used (one line: file, key, value, what is allowed)."""


STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True)
"""Card models: unknown keys are errors, no type is coerced ("5e6" is not a number,
"yes" not a boolean), numbers are finite.  Each model's validator is built when it
first validates (a card's models once, inside the card's), not when it is defined."""


class CardWarning(UserWarning):
    """A card value that is allowed but unusual (printed as one line, the run goes on)."""


class _Model(BaseModel):
    model_config = STRICT


class Deployment(_Model):
    """One deployment of the source: start, length and activity at its start."""

    start_days: Days = 0.0
    length_days: Annotated[Pos, Field(le=MAX_DAYS)]
    activity_ci: Activity


class Shield(_Model):
    """A shield layer around the source (innermost first)."""

    material: str
    thickness_cm: Length


class SourceCard(_Model):
    """[source]: isotope, activity over time, shape and shields."""

    isotope: SourceName
    activity_ci: Activity | None = None
    run_days: Annotated[Pos, Field(le=MAX_DAYS)] | None = None
    start_days: Days = 0.0
    deployments: list[Deployment] | None = None
    endpoint_kev: Pos | None = None
    spectrum_file: str | None = None
    fermi: Literal["relativistic", "nonrelativistic"] = "relativistic"
    shape: Literal["cylinder", "point"] = "cylinder"
    diameter_cm: Length | None = None
    height_cm: Length | None = None
    center_cm: Vec3 = (0.0, 0.0, 0.0)
    shields: list[Shield] = []
    shield_shape: Literal["cylinder", "sphere"] = "cylinder"
    """'cylinder': each layer adds its thickness on every side of the cylinder inside it;
    'sphere': spherical layers about the source, the first from the sphere around the
    active cylinder (nusource.geometry.source)."""

    @model_validator(mode="after")
    def _check(self):
        if self.shield_shape == "sphere" and not self.shields:
            raise ValueError("shield_shape = 'sphere' needs shields (it is their shape)")
        if self.deployments is None and (self.activity_ci is None or self.run_days is None):
            raise ValueError(
                "give activity_ci and run_days, or a list of [[source.deployments]] "
                "(start_days, length_days, activity_ci)"
            )
        if self.deployments is not None and (
            self.activity_ci is not None or self.run_days is not None
        ):
            raise ValueError("give either activity_ci + run_days or deployments, not both")
        deps = self.deployments or []
        if self.deployments is not None and not deps:
            raise ValueError("deployments: give at least one [[source.deployments]]")
        for i in range(1, len(deps)):
            end = deps[i - 1].start_days + deps[i - 1].length_days
            if deps[i].start_days < end:
                raise ValueError(
                    f"deployments[{i}].start_days = {deps[i].start_days:g} days is before "
                    f"deployments[{i - 1}] ends (day {end:g}); deployments must be in time "
                    "order without overlap"
                )
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
    sin2w: Annotated[Num, Field(gt=0, lt=0.5)] | None = None
    mu_bohr: Annotated[NonNeg, Field(le=1e-6)] = 0.0
    zprime: str | None = None
    zprime_form: Literal["exact", "linear"] = "exact"
    e6_charges: Literal["consistent", "printed"] = "consistent"
    reference_zprime: Literal["chi", "psi", "eta", "lr"] = "chi"


class OscillationCard(_Model):
    """[oscillation]: 3+1 sterile oscillation of the source's νe / ν̄e."""

    sin2_2theta: Annotated[Num, Field(ge=0, le=1)]
    dm2_ev2: Annotated[NonNeg, Field(le=1e6)]
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
    radius_cm: Length | None = None
    inner_radius_cm: Annotated[NonNeg, Field(le=MAX_LENGTH_CM)] | None = None
    outer_radius_cm: Length | None = None
    height_cm: Length | None = None
    size_cm: Annotated[tuple[Length, Length, Length], Field(strict=False)] | None = None
    center_cm: Annotated[tuple[Offset, Offset, Offset], Field(strict=False)] = (0.0, 0.0, 0.0)

    def _check_shape_keys(self, what: str) -> None:
        missing = [k for k in _SHAPE_KEYS[self.shape] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.shape} {what} needs {', '.join(missing)}")
        unused = [
            k
            for k in ("radius_cm", "inner_radius_cm", "outer_radius_cm", "height_cm", "size_cm")
            if k not in _SHAPE_KEYS[self.shape] and getattr(self, k) is not None
        ]
        if unused:
            raise ValueError(
                f"a {self.shape} {what} takes {', '.join(_SHAPE_KEYS[self.shape])}, "
                f"not {', '.join(unused)}"
            )
        if self.shape in ("spherical_shell", "cylindrical_shell"):
            if not self.inner_radius_cm < self.outer_radius_cm:
                raise ValueError(
                    f"inner_radius_cm = {self.inner_radius_cm:g} must be below "
                    f"outer_radius_cm = {self.outer_radius_cm:g}"
                )


class DetectorCard(_SolidCard):
    """[detector]: material and solid (the volume in which vertices are generated)."""

    name: str
    material: Literal["NaI", "LXe", "He", "pseudocumene"]
    density_g_cm3: Annotated[Pos, Field(le=MAX_DENSITY_G_CM3)] | None = None
    pressure_bar: Annotated[Pos, Field(le=1000)] | None = None
    temperature_k: Annotated[Pos, Field(le=1000)] | None = None
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
    resolution_a: Annotated[NonNeg, Field(le=100)] | None = None
    resolution_b: Annotated[NonNeg, Field(le=1)] | None = None
    nest_mode: Literal["fast", "full"] = "fast"
    nest_field_v_cm: Annotated[Pos, Field(le=1e5)] = 96.5
    angular_sigma_mrad: Annotated[NonNeg, Field(le=1e4)] = 0.0
    position_sigma_cm: Annotated[NonNeg, Field(le=MAX_LENGTH_CM)] = 0.0
    threshold_kev: NonNeg = 0.0
    window_kev: Annotated[tuple[NonNeg, Pos], Field(strict=False)] | None = None
    efficiency: Annotated[Num, Field(gt=0, le=1)] = 1.0
    fiducial: FiducialCard | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.window_kev is not None:
            lo, hi = self.window_kev
            if not lo < hi:
                raise ValueError(
                    f"window_kev = [{lo:g}, {hi:g}] keV: the lower edge must be below the upper"
                )
            if self.threshold_kev >= hi:
                raise ValueError(
                    f"threshold_kev = {self.threshold_kev:g} keV is at or above the upper edge "
                    f"of window_kev = [{lo:g}, {hi:g}] keV; no event could be selected"
                )
        return self


class SiteCard(_Model):
    """[site]: where the detector is and when the run starts (solar components use it)."""

    latitude_deg: Annotated[float, Field(ge=-90, le=90)] = 42.45
    """Latitude [° N] (default: Laboratori Nazionali del Gran Sasso)."""
    longitude_deg: Annotated[float, Field(ge=-180, le=180)] = 13.57
    """Longitude [° E]."""
    start_utc: str = "2025-01-01T00:00:00"
    """UTC date and time at which event time 0 (the first deployment's start) falls."""

    @model_validator(mode="after")
    def _check(self):
        from .generator.sun import julian_date

        try:
            julian_date(self.start_utc)
        except ValueError:
            raise ValueError(
                f"start_utc = {self.start_utc!r}: give an ISO 8601 date-time, "
                "e.g. '2025-01-01T00:00:00'"
            ) from None
        return self


PHOTON_MATERIALS = ("NaI", "LXe", "He", "pseudocumene", "W", "Cu", "Pb", "steel", "Cr")
"""Materials a photon region may be made of ("Cr": chromium metal, a ⁵¹Cr source's matrix)."""


class OuterRegionCard(_SolidCard):
    """One of [photons].outer: a solid around the detector and what fills it."""

    name: str
    material: Literal[PHOTON_MATERIALS]  # type: ignore[valid-type]
    sensitive: bool = False
    """Energy deposited here counts toward events (an active layer: its sites veto)."""
    biased: bool = True
    """Apply the exponential transform here (thick layers between a source and the
    detector need it; it changes the weights, never the expectation)."""

    @model_validator(mode="after")
    def _check(self):
        self._check_shape_keys("outer region")
        return self


class PhotonsCard(_Model):
    """[photons]: what photon transport needs besides [source] and [detector] (physics.md §7b)."""

    site_mode: Literal["tpc", "volume"] = "tpc"
    """"tpc": deposits closer than (site_dz_cm, site_dr_cm) are one site; "volume": one
    site per sensitive region (a crystal)."""
    site_dz_cm: Annotated[NonNeg, Field(le=100)] = 0.3
    """Site separation along z [cm] (a TPC's drift direction)."""
    site_dr_cm: Annotated[NonNeg, Field(le=100)] = 1.0
    """Site separation across z [cm]."""
    outer: list[OuterRegionCard] = []
    """Regions around the detector (inactive or active medium, cryostat), in priority order
    after the detector and the source."""


class RunCard(_Model):
    """A whole run card."""

    title: str
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    mode: Literal["exposure", "fixed", "weighted"] = "exposure"
    n_events: Annotated[int, Field(ge=0, le=10**12)] | None = None
    chunk_size: Annotated[int, Field(gt=0, le=MAX_CHUNK_SIZE)] = 1_000_000
    output_schema: Literal["auto", "full", "slim"] = Field("auto", alias="schema")
    """Output fields: every one ('full'), the analyses' ('slim', nusource.io.schema), or
    'auto' (full up to 10⁷ events in all, slim above)."""
    proposal_mu_bohr: Annotated[NonNeg, Field(le=1e-6)] | None = None
    geometry_mc_samples: Annotated[int, Field(ge=1000, le=MAX_MC_SAMPLES)] = 4_000_000
    source: SourceCard
    physics: PhysicsCard = Field(default_factory=PhysicsCard)
    detector: DetectorCard
    window: WindowCard = Field(default_factory=WindowCard)
    oscillation: OscillationCard | None = None
    response: ResponseCard | None = None
    site: SiteCard = Field(default_factory=SiteCard)
    photons: PhotonsCard = Field(default_factory=PhotonsCard)
    background_only_days: Days = 0.0
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


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "greater than or equal to",
    "less_than": "less than",
    "less_than_equal": "less than or equal to",
}
_TYPES = {
    "float_type": "must be a number (not a string or a boolean)",
    "float_parsing": "must be a number (not a string or a boolean)",
    "int_type": "must be an integer (not a string, a boolean or a float)",
    "int_parsing": "must be an integer (not a string, a boolean or a float)",
    "int_from_float": "must be an integer (not a float)",
    "bool_type": "must be true or false (not a string or a number)",
    "bool_parsing": "must be true or false (not a string or a number)",
    "string_type": "must be a string",
    "finite_number": "must be a finite number",
    "tuple_type": "must be a list of numbers",
    "list_type": "must be a list",
    "model_type": "must be a table",
    "dict_type": "must be a table",
}


def describe_error(e: dict) -> str:
    """One pydantic error as ``key: what is allowed (got value)``, in the card's words."""
    loc = ""
    for x in e["loc"]:  # list items as the card's words: shields[0].material
        if isinstance(x, int):
            loc += f"[{x}]"
        elif not str(x).startswith("function-"):
            loc += f".{x}" if loc else str(x)
    kind = e["type"]
    ctx = e.get("ctx") or {}
    if kind == "extra_forbidden":
        msg = "unknown key (check its spelling and unit suffix)"
    elif kind in _BOUNDS:
        bound = next(iter(ctx.values()), None)
        msg = f"must be {_BOUNDS[kind]} {bound:g}" if isinstance(bound, int | float) else e["msg"]
    elif kind in _TYPES:
        msg = _TYPES[kind]
    elif kind == "missing":
        msg = "is required (missing)"
    else:
        msg = e["msg"].removeprefix("Value error, ")
    got = e.get("input")
    shown = (
        ""
        if isinstance(got, dict) or kind == "missing" or (isinstance(got, list | tuple) and loc)
        else f" (got {got!r})"
    )
    if loc and msg.startswith((f"{loc}[", f"{loc}.")):
        return f"{msg}{shown}"  # the message names the key already (e.g. components[1].kind)
    return f"{loc}: {msg}{shown}" if loc else f"{msg}{shown}"


def _one_line(path, err: ValidationError) -> str:
    errors = err.errors()
    # an unknown key usually explains a "missing" one (a typo or a wrong unit): name it first
    errors = sorted(errors, key=lambda x: x["type"] != "extra_forbidden")
    more = f" [+{len(errors) - 1} more]" if len(errors) > 1 else ""
    return f"run card {path}: {describe_error(errors[0])}{more}"


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
        raise CardError(f"no card '{name}' is shipped with nusource; {shipped_cards()}")
    return res


def shipped_cards() -> str:
    """The shipped cards' names, as a message says them."""
    from importlib.resources import files

    def names(folder, prefix=""):
        return ", ".join(
            prefix + p.name.removesuffix(".toml")
            for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".toml")
        )

    top = files("nusource.configs")
    return (
        f"shipped run cards (found by name from any directory): {names(top)}; "
        f"analysis cards: {names(top.joinpath('analysis'), 'analysis/')}"
    )


def card_path(path):
    """A card given on the command line: a file, or the name of a shipped card.

    ``NAME``, ``NAME.toml`` and ``configs/NAME.toml`` (``analysis/NAME`` for an
    analysis card) name a shipped card when no such file exists here (so the
    README's commands work from any directory); a name that is neither says
    which cards are shipped.
    """
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        raise CardError(f"run card {path}: is a directory; give a .toml file")
    name = str(path).removeprefix("configs/")
    if not p.is_absolute() and p.suffix in ("", ".toml"):
        try:
            return shipped_card(name if p.suffix else name + ".toml")
        except CardError:
            pass
        raise CardError(f"run card {path}: no such file; {shipped_cards()}")
    raise CardError(f"run card {path}: no such file")


def load_card(path, overrides: dict | None = None) -> tuple[RunCard, str]:
    """Read and validate a run card (a file, or a shipped card's name); (card, its text).

    ``overrides`` maps dotted card keys (``'physics.mu_bohr'``) to values given
    on the command line: they replace the card's, and the text returned (what
    the output's provenance keeps) is the card as run.
    """
    p = card_path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CardError(f"run card {path}: is not UTF-8 text") from None
    except OSError as exc:
        raise CardError(f"run card {path}: cannot be read ({exc.strerror or exc})") from None
    if overrides:
        text = override_text(text, str(path), overrides)
    return parse_card(text, str(path)), text


def override_text(text: str, path: str, overrides: dict) -> str:
    """The card's text with keys replaced (``{'physics.mu_bohr': 1e-11}``), as TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"run card {path}: not valid TOML: {exc}") from None
    for key, value in overrides.items():
        *tables, name = key.split(".")
        where = data
        for t in tables:
            where = where.setdefault(t, {})
            if not isinstance(where, dict):
                raise CardError(f"run card {path}: {t} must be a table")
        where[name] = value
    given = ", ".join(f"{k} = {_toml_value(v)}" for k, v in overrides.items())
    return f"# {Path(path).name} with {given} from the command line\n" + to_toml(data)


def _toml_value(v) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"{type(v).__name__} has no TOML form")


def _toml_key(k: str) -> str:
    import json

    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def to_toml(data: dict, prefix: str = "") -> str:
    """A card's data (nested dicts of TOML values) as TOML text: tables after plain keys."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if not _is_table(v)]
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in data.items():
        if _is_table(v):
            name = f"{prefix}{_toml_key(k)}"
            out += f"\n[{name}]\n" + to_toml(v, name + ".")
    return out


def _is_table(v) -> bool:
    return isinstance(v, dict)


__all__ = [
    "CardError",
    "CardWarning",
    "RunCard",
    "card_path",
    "load_card",
    "override_text",
    "parse_card",
    "shipped_card",
    "to_toml",
]
