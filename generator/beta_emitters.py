"""β⁻ emitters as backgrounds: electron spectra, decay schemes from data files, rates.

The electron kinetic-energy spectrum of a β⁻ branch of endpoint Q is the
mirror of its antineutrino spectrum (:mod:`.beta_spectrum`, docs/physics.md §4):
with T the electron kinetic energy, W = T + mₑ, p = √(W² − mₑ²) and
q = Q − T the antineutrino energy,

    N(T) ∝ F(Z_d, W)·p·W·(Q − T)²·C,   C = 1 (allowed), C = p² + q² (unique1),

so ``electron_density(T) = beta_density(Q − T)`` exactly. Branches are
tabulated on the same grid (dense at both ends) and sampled exactly as
piecewise-linear densities (:mod:`.decay_sampler`).

A decay scheme is a TOML file in the sources' format (``generator/data/
sources/*.toml``: ``name``, ``nuclide``, ``decay = "beta-"``, ``half_life``,
``provenance``, ``[[branches]]`` with ``label``, ``q_kev``, ``z_daughter``,
``a_mass``, ``shape`` and ``nu_per_decay``, the branch intensity per decay)
with three optional additions:

- ``level_kev`` per branch: the daughter level it feeds (default 0);
- ``spectrum_file`` per branch: a two-column table (energy keV, density) of
  the *electron* kinetic-energy spectrum, path relative to the TOML file,
  replacing the computed shape;
- ``[[levels]]`` with ``energy_kev`` and ``transitions`` =
  [{``to_kev``, ``probability``, ``alpha``}]: the de-excitation of each
  daughter level (``alpha`` the total internal-conversion coefficient, so a
  transition emits a γ with probability 1/(1 + α), else a conversion electron
  and its X-rays/Auger electrons, counted as a local deposit).

Photon treatment (the one switch, ``naked_only``): until photon transport
exists, ``naked_only=True`` keeps only decays of branches that feed the
ground state, whose electron is alone (single site); decays through excited
levels are assumed vetoed by their γ cascade (multi-site or energy far above
the window). ``naked_only=False`` samples every branch and
:meth:`BetaEmitter.fill_cascades` draws each decay's γ energies (and the
locally deposited conversion energy) for a photon-transport stage.
"""

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform

from .beta_spectrum import (
    beta_density,
    beta_grid,
    check_shape,
    kev_to_mev,
    load_spectrum_file,
    normalise_table,
    table_cdf,
)
from .constants import SECONDS_PER_DAY
from .decay_sampler import LINEAR, DecayTables, linear_cells
from .fermi import check_kind
from .sources import HALF_LIFE_UNITS_S

DECAY_DATA_NAMES: tuple[str, ...] = ("kr85", "pb214")
"""Built-in decay schemes in ``generator/data/decays/``."""

MAX_CASCADE = 8
"""Most transitions in one de-excitation cascade (a longer one is a data error)."""


def electron_density(
    t_mev, q_mev: float, z_daughter: float, a_mass: float, *, shape="allowed", fermi="relativistic"
) -> np.ndarray:
    """Unnormalised electron kinetic-energy density of a β⁻ branch.

    Parameters
    ----------
    t_mev : float or array_like
        Electron kinetic energy T [MeV].
    q_mev, z_daughter, a_mass, shape, fermi
        As for :func:`~nusource.generator.beta_spectrum.beta_density`.

    Returns
    -------
    numpy.ndarray
        F·p·W·(Q − T)²·C (arbitrary scale), zero outside [0, Q].
    """
    t = np.asarray(t_mev, dtype=float)
    return beta_density(q_mev - t, q_mev, z_daughter, a_mass, shape=shape, fermi=fermi)


def tabulate_electron(q_mev, z_daughter, a_mass, *, shape="allowed", fermi="relativistic"):
    """Normalised electron spectrum of a branch on :func:`beta_grid` (grid [MeV], density /MeV)."""
    grid = beta_grid(q_mev)
    grid[-1] = q_mev
    dens = electron_density(grid, q_mev, z_daughter, a_mass, shape=shape, fermi=fermi)
    return grid, normalise_table(grid, dens)


# ---------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class BetaBranch:
    """One β⁻ branch of a decay scheme.

    Attributes
    ----------
    label : str
    q_mev : float
        Endpoint [MeV].
    intensity : float
        Branch probability per decay.
    level_mev : float
        Daughter level fed [MeV] (0: ground state, a lone electron).
    shape : str
        ``"allowed"``, ``"unique1"`` or ``"table"``.
    z_daughter, a_mass : int
    grid_mev, density : numpy.ndarray
        Electron kinetic-energy table [MeV], density per MeV (unit integral).
    origin : str
        ``"built-in"`` (computed shape) or the table file.
    """

    label: str
    q_mev: float
    intensity: float
    level_mev: float
    shape: str
    z_daughter: int
    a_mass: int
    grid_mev: np.ndarray
    density: np.ndarray
    origin: str = "built-in"


@dataclass(frozen=True, eq=False)
class DecayScheme:
    """A β⁻ emitter's branches and its daughter's de-excitation.

    Attributes
    ----------
    name, nuclide : str
    half_life_s : float
    branches : tuple of BetaBranch
    level_mev : numpy.ndarray
        float64[n_levels] daughter level energies [MeV] (index 0 is the ground state).
    trans_prob, trans_to, trans_alpha : numpy.ndarray
        [n_levels, width] probability, destination level index and
        conversion coefficient of each level's transitions (rows of the ground
        state and unused slots are 0).
    provenance, notes : str
    """

    name: str
    nuclide: str
    half_life_s: float
    branches: tuple[BetaBranch, ...]
    level_mev: np.ndarray
    trans_prob: np.ndarray
    trans_to: np.ndarray
    trans_alpha: np.ndarray
    provenance: str
    notes: str = ""

    @property
    def ground_state_fraction(self) -> float:
        """Probability per decay of the branches feeding the ground state."""
        return float(sum(b.intensity for b in self.branches if b.level_mev == 0.0))

    def branch_level_index(self) -> np.ndarray:
        """int64[n_branches]: index in :attr:`level_mev` of each branch's level."""
        return np.array(
            [int(np.argmin(np.abs(self.level_mev - b.level_mev))) for b in self.branches],
            dtype=np.int64,
        )

    def gamma_lines(self) -> list[tuple[float, float]]:
        """(energy MeV, γ emissions per decay) of every transition, from the scheme."""
        n = self.level_mev.size
        feed = np.zeros(n)
        for b, li in zip(self.branches, self.branch_level_index(), strict=True):
            feed[li] += b.intensity
        out = []
        for li in range(n - 1, 0, -1):  # levels sorted by energy: feed flows downwards
            for j in range(self.trans_prob.shape[1]):
                p = self.trans_prob[li, j]
                if p <= 0:
                    continue
                to = self.trans_to[li, j]
                flow = feed[li] * p
                feed[to] += flow
                e = self.level_mev[li] - self.level_mev[to]
                out.append((float(e), float(flow / (1.0 + self.trans_alpha[li, j]))))
        return out


def _error(where: str, problem: str) -> ValueError:
    return ValueError(f"decay data file '{where}': {problem}")


def _get(where, table, key, kind, prefix="", default=None):
    if key not in table:
        if default is not None:
            return default
        raise _error(where, f"missing field '{prefix}{key}'")
    v = table[key]
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, kind) or isinstance(v, bool):
        raise _error(where, f"field '{prefix}{key}' must be {kind.__name__}, got {v!r}")
    return v


def _finite(where, key, v, lo, hi=math.inf, lo_open=False):
    ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi
    if not ok:
        rng = f"{'>' if lo_open else '>='} {lo}" + (f" and <= {hi}" if hi < math.inf else "")
        raise _error(where, f"field '{key}' = {v!r}: must be finite and {rng}")
    return v


def parse_decay_scheme(rec: dict, where: str, base: Path | None = None, *, fermi="relativistic"):
    """Build a :class:`DecayScheme` from a parsed TOML record (see the module docstring)."""
    check_kind(fermi)
    name = _get(where, rec, "name", str)
    nuclide = _get(where, rec, "nuclide", str)
    provenance = _get(where, rec, "provenance", str)
    if _get(where, rec, "decay", str) != "beta-":
        raise _error(where, f"field 'decay' must be 'beta-', got {rec['decay']!r}")
    hl = _get(where, rec, "half_life", dict)
    hl_value = _finite(
        where, "half_life.value", _get(where, hl, "value", float, "half_life."), 0, lo_open=True
    )
    unit = _get(where, hl, "unit", str, "half_life.")
    if unit not in HALF_LIFE_UNITS_S:
        raise _error(where, f"half_life.unit = {unit!r}: allowed {list(HALF_LIFE_UNITS_S)}")
    raw_branches = _get(where, rec, "branches", list)
    if not raw_branches:
        raise _error(where, "needs at least one [[branches]] entry")
    branches = []
    for i, br in enumerate(raw_branches):
        pre = f"branches[{i}]."
        label = _get(where, br, "label", str, pre)
        q_kev = _finite(where, pre + "q_kev", _get(where, br, "q_kev", float, pre), 0, lo_open=True)
        z = _get(where, br, "z_daughter", int, pre)
        a = _get(where, br, "a_mass", int, pre)
        key = "intensity" if "intensity" in br else "nu_per_decay"
        inten = _finite(where, pre + key, _get(where, br, key, float, pre), 0.0, 1.0)
        level = _finite(
            where, pre + "level_kev", _get(where, br, "level_kev", float, pre, 0.0), 0.0
        )
        shape = _get(where, br, "shape", str, pre)
        try:
            check_shape(shape)
        except ValueError as exc:
            raise _error(where, f"{pre}{exc}") from None
        q_mev = kev_to_mev(q_kev)
        if "spectrum_file" in br:
            path = Path(_get(where, br, "spectrum_file", str, pre))
            if base is not None and not path.is_absolute():
                path = base / path
            grid, dens = load_spectrum_file(path)
            q_mev, shape_used, origin = float(grid[-1]), "table", str(path)
        else:
            grid, dens = _electron_table(q_kev, z, a, shape, fermi)
            shape_used, origin = shape, "built-in"
        branches.append(
            BetaBranch(label, q_mev, inten, kev_to_mev(level), shape_used, z, a, grid, dens, origin)
        )
    total = sum(b.intensity for b in branches)
    if not 0.0 < total <= 1.0 + 1e-6:
        raise _error(where, f"branch intensities sum to {total!r}: must be in (0, 1]")
    levels, prob, to, alpha = _parse_levels(rec, where, branches)
    return DecayScheme(
        name=name,
        nuclide=nuclide,
        half_life_s=hl_value * HALF_LIFE_UNITS_S[unit],
        branches=tuple(branches),
        level_mev=levels,
        trans_prob=prob,
        trans_to=to,
        trans_alpha=alpha,
        provenance=provenance.strip(),
        notes=str(rec.get("notes", "")).strip(),
    )


def _parse_levels(rec, where, branches):
    raw = rec.get("levels", [])
    energies = {0.0}
    for i, lv in enumerate(raw):
        e = _finite(
            where,
            f"levels[{i}].energy_kev",
            _get(where, lv, "energy_kev", float, f"levels[{i}]."),
            0,
            lo_open=True,
        )
        energies.add(e)
    levels_kev = np.array(sorted(energies))
    for b in branches:
        if not np.any(np.isclose(levels_kev / 1000.0, b.level_mev, rtol=0, atol=1e-9)):
            raise _error(
                where,
                f"branch '{b.label}' feeds level {b.level_mev * 1e3:g} keV, "
                "which has no [[levels]] entry",
            )
    width = max([len(lv.get("transitions", [])) for lv in raw] + [1])
    n = levels_kev.size
    prob = np.zeros((n, width))
    to = np.zeros((n, width), dtype=np.int64)
    alpha = np.zeros((n, width))
    for i, lv in enumerate(raw):
        e = float(lv["energy_kev"])
        li = int(np.searchsorted(levels_kev, e))
        trs = _get(where, lv, "transitions", list, f"levels[{i}].")
        if not trs:
            raise _error(where, f"levels[{i}] ({e:g} keV) has no transitions")
        for j, tr in enumerate(trs):
            pre = f"levels[{i}].transitions[{j}]."
            dest = _finite(where, pre + "to_kev", _get(where, tr, "to_kev", float, pre), 0.0)
            hits = np.nonzero(np.isclose(levels_kev, dest, rtol=0, atol=1e-6))[0]
            if hits.size != 1 or dest >= e:
                raise _error(where, f"{pre}to_kev = {dest!r}: must be a lower listed level")
            prob[li, j] = _finite(
                where, pre + "probability", _get(where, tr, "probability", float, pre), 0.0, 1.0
            )
            to[li, j] = hits[0]
            alpha[li, j] = _finite(
                where, pre + "alpha", _get(where, tr, "alpha", float, pre, 0.0), 0.0
            )
        s = prob[li].sum()
        if abs(s - 1.0) > 1e-3:
            raise _error(
                where, f"levels[{i}] ({e:g} keV): transition probabilities sum to {s!r}, not 1"
            )
        prob[li] /= s
    return levels_kev / 1000.0, prob, to, alpha


@functools.lru_cache(maxsize=64)
def _electron_table(q_kev, z, a, shape, fermi):
    from nusource.core.table_cache import cached_arrays

    grid, dens = cached_arrays(
        "beta_electron",
        [float(q_kev), float(z), float(a), shape, fermi],
        lambda: tabulate_electron(kev_to_mev(q_kev), z, a, shape=shape, fermi=fermi),
        modules=(__name__, "nusource.generator.beta_spectrum", "nusource.generator.fermi"),
    )
    grid.flags.writeable = False
    dens.flags.writeable = False
    return grid, dens


def load_decay_scheme(name_or_path, *, fermi: str = "relativistic") -> DecayScheme:
    """Read a decay scheme: a built-in name, a built-in β⁻ source name, or a TOML path.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        One of :data:`DECAY_DATA_NAMES` (``generator/data/decays/``), the name of
        a built-in β⁻ source (``generator/data/sources/``, e.g. ``"h3"``), or the
        path of a TOML file in the same format.
    fermi : {"relativistic", "nonrelativistic"}
        Fermi-function form for computed shapes.
    """
    key = str(name_or_path)
    if key in DECAY_DATA_NAMES:
        ref = resources.files(__package__).joinpath("data", "decays", f"{key}.toml")
        return parse_decay_scheme(tomllib.loads(ref.read_text("utf-8")), f"{key}.toml", fermi=fermi)
    src = resources.files(__package__).joinpath("data", "sources", f"{key}.toml")
    if "/" not in key and not key.endswith(".toml") and src.is_file():
        return parse_decay_scheme(tomllib.loads(src.read_text("utf-8")), f"{key}.toml", fermi=fermi)
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(
            f"decay scheme {key!r}: not a built-in name ({', '.join(DECAY_DATA_NAMES)}, or a "
            f"built-in beta- source) and not a readable file ({exc.strerror})"
        ) from None
    try:
        rec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(str(path), f"not valid TOML ({exc})") from None
    return parse_decay_scheme(rec, str(path), path.parent, fermi=fermi)


# ---------------------------------------------------------------- strength checks


def check_strength(key: str, value, unit: str, *, allow_zero: bool = True) -> float:
    """``value`` as a finite float ≥ 0 (> 0 if not ``allow_zero``), else a one-line ValueError."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    ok = math.isfinite(v) and (v >= 0.0 if allow_zero else v > 0.0)
    if not ok:
        allowed = "finite and >= 0" if allow_zero else "finite and > 0"
        raise ValueError(f"{key} = {value!r}: must be {allowed} [{unit}]")
    return v


# ---------------------------------------------------------------- cascades


@jit
def fill_cascades(rng, branch, branch_level, prob, to, alpha, level_mev, gammas, n_gamma, local):
    """Draw each decay's de-excitation cascade from its branch's level.

    Parameters
    ----------
    rng : numpy.random.Generator
    branch : int64[n]
        Branch index of each decay.
    branch_level : int64[n_branches]
        Level index fed by each branch.
    prob, to, alpha : [n_levels, width]
        Transitions (see :class:`DecayScheme`).
    level_mev : float64[n_levels]
    gammas : float64[n, MAX_CASCADE]
        γ energies [MeV] of decay i in gammas[i, :n_gamma[i]] (filled).
    n_gamma : int64[n]
        Number of γ of each decay (filled).
    local : float64[n]
        Energy of converted transitions [MeV] (conversion electron plus its
        X-rays/Auger electrons, taken as deposited at the vertex) (filled).
    """
    width = prob.shape[1]
    for i in range(branch.shape[0]):
        lv = branch_level[branch[i]]
        ng = 0
        dep = 0.0
        steps = 0
        while lv > 0 and steps < MAX_CASCADE:
            steps += 1
            u = uniform(rng)
            j = 0
            acc = prob[lv, 0]
            while u >= acc and j < width - 1:
                j += 1
                acc += prob[lv, j]
            dest = to[lv, j]
            e = level_mev[lv] - level_mev[dest]
            if uniform(rng) * (1.0 + alpha[lv, j]) < 1.0:
                gammas[i, ng] = e
                ng += 1
            else:
                dep += e
            lv = dest
        n_gamma[i] = ng
        local[i] = dep


# ---------------------------------------------------------------- the background


@dataclass(frozen=True, eq=False)
class BetaEmitter:
    """A β⁻ emitter spread uniformly in the detector, from a decay scheme.

    Parameters
    ----------
    scheme : DecayScheme
        From :func:`load_decay_scheme`.
    activity_bq_per_kg : float
        Decays per second per kg of detector material (≥ 0).
    naked_only : bool
        True: only decays of ground-state branches make events (the others
        are assumed vetoed by their γ rays); False: every branch.

    Notes
    -----
    ``events_per_kg_day()`` is the rate of sampled events (decays × the
    selected branches' probability); :meth:`spectrum_fraction` is the
    fraction of those events with T in a window, so expected events in a
    window = events_per_kg_day × kg × days × spectrum_fraction.
    """

    scheme: DecayScheme
    activity_bq_per_kg: float
    naked_only: bool = False

    def __post_init__(self):
        a = check_strength("activity_bq_per_kg", self.activity_bq_per_kg, "Bq/kg")
        object.__setattr__(self, "activity_bq_per_kg", a)
        if not isinstance(self.naked_only, bool):
            raise ValueError(f"naked_only = {self.naked_only!r}: must be true or false")
        if not self.selected_branches():
            raise ValueError(
                f"naked_only = true: decay scheme '{self.scheme.name}' has no ground-state branch"
            )

    @functools.cached_property
    def tables(self) -> DecayTables:
        """The sampling tables of the selected branches, built when first used (an
        emitter asked only for its rates, as ``rate``'s naked-β share, builds none)."""
        br = self.scheme.branches
        cells, cell_branch, nodes = linear_cells(
            [(br[i].grid_mev, br[i].density, br[i].intensity, i) for i in self.selected_branches()]
        )
        return DecayTables(cells, LINEAR, nodes, cell_branch)

    def selected_branches(self) -> list[int]:
        """Indices of the branches that make events."""
        return [
            i
            for i, b in enumerate(self.scheme.branches)
            if b.intensity > 0 and (b.level_mev == 0.0 or not self.naked_only)
        ]

    @property
    def selected_fraction(self) -> float:
        """Probability per decay that the decay makes an event."""
        return float(sum(self.scheme.branches[i].intensity for i in self.selected_branches()))

    def decays_per_kg_day(self) -> float:
        """Decays per (kg·day)."""
        return self.activity_bq_per_kg * SECONDS_PER_DAY

    def events_per_kg_day(self) -> float:
        """Sampled events per (kg·day): decays × :attr:`selected_fraction`."""
        return self.decays_per_kg_day() * self.selected_fraction

    def spectrum_fraction(self, lo_mev: float, hi_mev: float) -> float:
        """Fraction of sampled events with electron kinetic energy in [lo, hi] [MeV]."""
        br = self.scheme.branches
        sel = self.selected_branches()
        tot = sum(br[i].intensity for i in sel)
        frac = 0.0
        for i in sel:
            b = br[i]
            c = table_cdf(b.grid_mev, b.density, [lo_mev, hi_mev])
            frac += b.intensity * max(float(c[1] - c[0]), 0.0)
        return frac / tot

    def fill(self, rng, n: int, te_out: np.ndarray, branch_out=None) -> int:
        """Fill ``te_out[:n]`` [MeV] (and ``branch_out[:n]``); returns the trials."""
        return self.tables.fill(rng, n, te_out, branch_out)

    def fill_events(
        self, rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz, branch_out=None
    ) -> int:
        """Fill n full events (see :meth:`DecayTables.fill_events`); returns the trials."""
        return self.tables.fill_events(
            rng, n, solid, t0_s, t_len_s, te, vx, vy, vz, time, dx, dy, dz, branch_out
        )

    def fill_cascades(self, rng, branch, gammas, n_gamma, local) -> None:
        """γ energies and local conversion deposit of decays of the given branches.

        ``gammas`` is float64[n, MAX_CASCADE]; see :func:`fill_cascades`.
        """
        s = self.scheme
        fill_cascades(
            rng,
            branch,
            s.branch_level_index(),
            s.trans_prob,
            s.trans_to,
            s.trans_alpha,
            s.level_mev,
            gammas,
            n_gamma,
            local,
        )

    def to_dict(self) -> dict:
        """Parameters and rates (JSON-friendly)."""
        return {
            "kind": "beta",
            "scheme": self.scheme.name,
            "nuclide": self.scheme.nuclide,
            "activity_bq_per_kg": self.activity_bq_per_kg,
            "naked_only": self.naked_only,
            "selected_fraction": self.selected_fraction,
            "decays_per_kg_day": self.decays_per_kg_day(),
            "events_per_kg_day": self.events_per_kg_day(),
            "provenance": self.scheme.provenance,
        }


__all__ = [
    "DECAY_DATA_NAMES",
    "MAX_CASCADE",
    "BetaBranch",
    "BetaEmitter",
    "DecayScheme",
    "check_strength",
    "electron_density",
    "fill_cascades",
    "load_decay_scheme",
    "parse_decay_scheme",
    "tabulate_electron",
]
