"""Built-in neutrino sources as data with provenance (docs/physics.md §4).

Each source is a TOML file in ``generator/data/sources/`` (read lazily on first
use): electron-capture sources carry ν lines, β⁻ sources carry branches whose
antineutrino spectra are tabulated by :mod:`nusource.generator.beta_spectrum`.
Energies in MeV, times in s (the TOML files speak keV and the half-life's own unit).
"""

import functools
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .beta_spectrum import (
    check_shape,
    kev_to_mev,
    load_spectrum_file,
    table_mean,
    tabulate_beta,
)
from .constants import SECONDS_PER_DAY, SECONDS_PER_YEAR
from .fermi import check_kind

SOURCE_NAMES: tuple[str, ...] = ("cr51", "ar37", "v49", "sm145", "pm147", "sr90y", "h3")
"""Names of the built-in sources (one TOML file each)."""

HALF_LIFE_UNITS_S = {
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": SECONDS_PER_DAY,
    "y": SECONDS_PER_YEAR,  # Julian year, 365.25 d
}
"""Seconds per half-life unit accepted in the TOML files."""

_FLAVOUR_OF_DECAY = {"EC": "nue", "beta-": "nuebar"}


@dataclass(frozen=True)
class Line:
    """A monoenergetic ν (or γ) line.

    Attributes
    ----------
    energy_mev : float
        Energy [MeV].
    intensity : float
        Emissions per decay of the source nuclide.
    """

    energy_mev: float
    intensity: float


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A continuous ν̄ spectrum: piecewise-linear density on an increasing grid.

    Attributes
    ----------
    energy_mev : numpy.ndarray
        Increasing energies [MeV], from 0 to ``q_mev`` for built-in spectra (a
        user's table may start above 0). Read-only.
    density : numpy.ndarray
        Density per MeV, linear between grid points; trapezoid integral 1. Read-only.
    nu_per_decay : float
        Antineutrinos of this branch per decay of the source (activity) nuclide.
    label : str
        Branch name, e.g. ``"Y-90"``.
    q_mev : float
        Endpoint [MeV] (last grid energy).
    shape : str
        ``"allowed"``, ``"unique1"`` or ``"table"`` (user file).
    z_daughter, a_mass : int or None
        Daughter charge and mass number (None for a user table).
    fermi : str or None
        Fermi-function form used (None for a user table).
    origin : str
        ``"built-in"`` or the path of the user's file.
    """

    energy_mev: np.ndarray
    density: np.ndarray
    nu_per_decay: float
    label: str
    q_mev: float
    shape: str = "table"
    z_daughter: int | None = None
    a_mass: int | None = None
    fermi: str | None = None
    origin: str = "built-in"

    @property
    def mean_energy_mev(self) -> float:
        """Mean ν̄ energy [MeV] of the piecewise-linear density (exact)."""
        return table_mean(self.energy_mev, self.density)


@dataclass(frozen=True)
class Impurity:
    """A radioactive impurity of a source, recorded for background stages.

    Attributes
    ----------
    nuclide : str
        E.g. ``"Pm-146"``.
    relative_amount : float
        Approximate amount relative to the source nuclide (basis in ``note``).
    gamma_energies_mev : tuple of float
        Energies [MeV] of its notable γ lines.
    note : str
        Provenance and caveats.
    """

    nuclide: str
    relative_amount: float
    gamma_energies_mev: tuple[float, ...]
    note: str


@dataclass(frozen=True)
class Source:
    """A radioactive neutrino source.

    Attributes
    ----------
    name : str
        Short name (one of :data:`SOURCE_NAMES`).
    nuclide : str
        Nuclide(s), e.g. ``"Cr-51"``, ``"Sr-90/Y-90"``.
    decay : str
        ``"EC"`` or ``"beta-"``.
    flavour : str
        ``"nue"`` (EC) or ``"nuebar"`` (β⁻).
    half_life_s : float
        Half-life of the activity nuclide [s].
    lines : tuple of Line
        ν lines (EC sources); intensities per decay.
    spectra : tuple of Spectrum
        ν̄ spectra (β⁻ sources), one per branch.
    gammas : tuple of Line
        γ lines of the source's own decay, per decay (for background stages).
    provenance : str
        Where the numbers come from.
    notes : str
        Caveats (e.g. uncertain line structure).
    impurities : tuple of Impurity
        Known impurities that matter for backgrounds.
    """

    name: str
    nuclide: str
    decay: str
    flavour: str
    half_life_s: float
    lines: tuple[Line, ...]
    spectra: tuple[Spectrum, ...]
    gammas: tuple[Line, ...]
    provenance: str
    notes: str = ""
    impurities: tuple[Impurity, ...] = field(default=())

    @property
    def nu_per_decay(self) -> float:
        """Neutrinos (or antineutrinos) emitted per decay of the activity nuclide."""
        return float(
            sum(ln.intensity for ln in self.lines) + sum(s.nu_per_decay for s in self.spectra)
        )

    @property
    def max_energy_mev(self) -> float:
        """Highest ν energy [MeV] (largest line or endpoint)."""
        return float(max([ln.energy_mev for ln in self.lines] + [s.q_mev for s in self.spectra]))

    @property
    def mean_lifetime_s(self) -> float:
        """Mean lifetime τ = T½/ln 2 [s]."""
        return self.half_life_s / math.log(2.0)

    def to_dict(self) -> dict:
        """JSON-friendly summary (no spectrum arrays) for ``nusource sources --json``."""
        return {
            "name": self.name,
            "nuclide": self.nuclide,
            "decay": self.decay,
            "flavour": self.flavour,
            "half_life_s": self.half_life_s,
            "half_life_days": self.half_life_s / SECONDS_PER_DAY,
            "mean_lifetime_s": self.mean_lifetime_s,
            "nu_per_decay": self.nu_per_decay,
            "max_energy_mev": self.max_energy_mev,
            "lines": [
                {"energy_mev": ln.energy_mev, "intensity": ln.intensity} for ln in self.lines
            ],
            "branches": [
                {
                    "label": s.label,
                    "q_mev": s.q_mev,
                    "nu_per_decay": s.nu_per_decay,
                    "shape": s.shape,
                    "z_daughter": s.z_daughter,
                    "a_mass": s.a_mass,
                    "fermi": s.fermi,
                    "origin": s.origin,
                    "mean_energy_mev": s.mean_energy_mev,
                    "n_points": int(s.energy_mev.size),
                }
                for s in self.spectra
            ],
            "gammas": [{"energy_mev": g.energy_mev, "intensity": g.intensity} for g in self.gammas],
            "impurities": [
                {
                    "nuclide": imp.nuclide,
                    "relative_amount": imp.relative_amount,
                    "gamma_energies_mev": list(imp.gamma_energies_mev),
                    "note": imp.note,
                }
                for imp in self.impurities
            ],
            "provenance": self.provenance,
            "notes": self.notes,
        }


def _check_name(name: str) -> str:
    if name not in SOURCE_NAMES:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(SOURCE_NAMES)}")
    return name


def _data_error(name: str, problem: str) -> ValueError:
    return ValueError(f"source data file '{name}.toml': {problem}")


def _require(name: str, table: dict, key: str, kind, where: str = ""):
    if key not in table:
        raise _data_error(name, f"missing field '{where}{key}'")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _data_error(name, f"field '{where}{key}' must be {kind.__name__}, got {value!r}")
    return value


@functools.cache
def _load_record(name: str) -> dict:
    """Read and validate ``data/sources/<name>.toml`` (cached)."""
    ref = resources.files(__package__).joinpath("data", "sources", f"{name}.toml")
    rec = tomllib.loads(ref.read_text(encoding="utf-8"))
    if _require(name, rec, "name", str) != name:
        raise _data_error(name, f"field 'name' is {rec['name']!r}, expected {name!r}")
    _require(name, rec, "nuclide", str)
    _require(name, rec, "provenance", str)
    decay = _require(name, rec, "decay", str)
    if decay not in _FLAVOUR_OF_DECAY:
        raise _data_error(name, f"field 'decay' must be 'EC' or 'beta-', got {decay!r}")
    if _require(name, rec, "flavour", str) != _FLAVOUR_OF_DECAY[decay]:
        raise _data_error(
            name, f"field 'flavour' must be {_FLAVOUR_OF_DECAY[decay]!r} for decay {decay!r}"
        )
    hl = _require(name, rec, "half_life", dict)
    value = _require(name, hl, "value", float, "half_life.")
    unit = _require(name, hl, "unit", str, "half_life.")
    if unit not in HALF_LIFE_UNITS_S:
        raise _data_error(name, f"half_life.unit must be one of {list(HALF_LIFE_UNITS_S)}")
    if not (value > 0 and math.isfinite(value)):
        raise _data_error(name, f"half_life.value must be > 0, got {value!r}")
    for key in ("lines", "gammas"):
        for i, ln in enumerate(rec.get(key, [])):
            where = f"{key}[{i}]."
            e = _require(name, ln, "energy_kev", float, where)
            inten = _require(name, ln, "intensity", float, where)
            if not (e > 0 and 0.0 <= inten <= 1.0):
                raise _data_error(name, f"{where} needs energy_kev > 0 and 0 <= intensity <= 1")
    for i, br in enumerate(rec.get("branches", [])):
        where = f"branches[{i}]."
        _require(name, br, "label", str, where)
        if not _require(name, br, "q_kev", float, where) > 0:
            raise _data_error(name, f"{where}q_kev must be > 0")
        _require(name, br, "z_daughter", int, where)
        _require(name, br, "a_mass", int, where)
        _require(name, br, "nu_per_decay", float, where)
        try:
            check_shape(_require(name, br, "shape", str, where))
        except ValueError as exc:
            raise _data_error(name, f"{where}{exc}") from None
    has_lines, has_branches = bool(rec.get("lines")), bool(rec.get("branches"))
    if decay == "EC" and (not has_lines or has_branches):
        raise _data_error(name, "an EC source needs 'lines' and no 'branches'")
    if decay == "beta-" and (not has_branches or has_lines):
        raise _data_error(name, "a beta- source needs 'branches' and no 'lines'")
    return rec


@functools.lru_cache(maxsize=64)
def _tabulated(q_kev: float, z: int, a: int, shape: str, fermi: str):
    """Cached read-only (energy_mev, density) table of one β⁻ branch."""
    energy, density = tabulate_beta(kev_to_mev(q_kev), z, a, shape=shape, fermi=fermi)
    energy.flags.writeable = False
    density.flags.writeable = False
    return energy, density


def _lines(rec: dict, key: str) -> tuple[Line, ...]:
    return tuple(
        Line(energy_mev=kev_to_mev(ln["energy_kev"]), intensity=float(ln["intensity"]))
        for ln in rec.get(key, [])
    )


def get_source(
    name: str,
    *,
    endpoint_kev: float | None = None,
    fermi: str = "relativistic",
    spectrum_file: str | None = None,
) -> Source:
    """Build a built-in source.

    Parameters
    ----------
    name : str
        One of :data:`SOURCE_NAMES`.
    endpoint_kev : float, optional
        Replace the endpoint Q [keV] of a single-branch β⁻ source (e.g. 235 for
        ``pm147`` as in seeds 000/001). An error for line or multi-branch sources.
    fermi : {"relativistic", "nonrelativistic"}
        Fermi-function form for β⁻ spectra.
    spectrum_file : str, optional
        Two-column text file (energy keV, density) replacing the spectrum of a
        single-branch β⁻ source (see
        :func:`~nusource.generator.beta_spectrum.load_spectrum_file`).

    Returns
    -------
    Source

    Raises
    ------
    ValueError
        Unknown name, bad ``fermi``, or an option that does not apply to the source.
    """
    _check_name(name)
    check_kind(fermi)
    rec = _load_record(name)
    branches = rec.get("branches", [])
    for opt, val in (("endpoint_kev", endpoint_kev), ("spectrum_file", spectrum_file)):
        if val is None:
            continue
        if len(branches) != 1:
            what = "a line source" if not branches else f"{len(branches)} β⁻ branches"
            raise ValueError(
                f"{opt} applies only to a single-branch β⁻ source; {name!r} has {what}"
            )
    if endpoint_kev is not None and spectrum_file is not None:
        raise ValueError("give either endpoint_kev or spectrum_file, not both")
    if endpoint_kev is not None:
        try:
            ok = math.isfinite(float(endpoint_kev)) and float(endpoint_kev) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"endpoint_kev must be a positive number of keV, got {endpoint_kev!r}")

    spectra = []
    for br in branches:
        nu = float(br["nu_per_decay"])
        if spectrum_file is not None:
            energy, density = load_spectrum_file(spectrum_file)
            energy.flags.writeable = False
            density.flags.writeable = False
            spectra.append(
                Spectrum(
                    energy,
                    density,
                    nu,
                    f"{br['label']} (file)",
                    float(energy[-1]),
                    origin=str(Path(spectrum_file)),
                )
            )
            continue
        q_kev = float(endpoint_kev) if endpoint_kev is not None else float(br["q_kev"])
        energy, density = _tabulated(q_kev, br["z_daughter"], br["a_mass"], br["shape"], fermi)
        spectra.append(
            Spectrum(
                energy,
                density,
                nu,
                br["label"],
                float(energy[-1]),
                shape=br["shape"],
                z_daughter=br["z_daughter"],
                a_mass=br["a_mass"],
                fermi=fermi,
            )
        )

    hl = rec["half_life"]
    impurities = tuple(
        Impurity(
            nuclide=str(imp["nuclide"]),
            relative_amount=float(imp["relative_amount"]),
            gamma_energies_mev=tuple(kev_to_mev(e) for e in imp.get("gamma_kev", [])),
            note=str(imp.get("note", "")),
        )
        for imp in rec.get("impurities", [])
    )
    return Source(
        name=name,
        nuclide=rec["nuclide"],
        decay=rec["decay"],
        flavour=rec["flavour"],
        half_life_s=float(hl["value"]) * HALF_LIFE_UNITS_S[hl["unit"]],
        lines=_lines(rec, "lines"),
        spectra=tuple(spectra),
        gammas=_lines(rec, "gammas"),
        provenance=rec["provenance"].strip(),
        notes=str(rec.get("notes", "")).strip(),
        impurities=impurities,
    )


__all__ = [
    "HALF_LIFE_UNITS_S",
    "SOURCE_NAMES",
    "Impurity",
    "Line",
    "Source",
    "Spectrum",
    "get_source",
]
