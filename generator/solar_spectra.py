"""Solar neutrino fluxes, spectra and the MSW-LMA survival probability (docs/physics_solar.md).

Data with provenance live in ``generator/data/solar/`` (read on first use):
B16-GS98 fluxes at 1 AU (Vinyoles et al. 2017), line energies and
branchings, allowed β⁺ shapes (pp, ¹³N, ¹⁵O, ¹⁷F, hep) and the measured ⁸B
spectrum of Winter et al. (2006).

P_ee(E) is the adiabatic MSW-LMA expression (Parke 1986; with θ₁₃ as in
e.g. Goswami & Smirnov 2005):

    P_ee = cos⁴θ₁₃·(½ + ½·cos2θ₁₂·cos2θ₁₂ᵐ) + sin⁴θ₁₃,
    cos2θ₁₂ᵐ = (cos2θ₁₂ − β)/√((cos2θ₁₂ − β)² + sin²2θ₁₂),
    β = 2√2·G_F·n_e·E·cos²θ₁₃/Δm²₂₁,

n_e the electron density where the component is produced.  The Earth's
matter (day–night) effect is neglected (< 1 % below 5 MeV).
"""

import csv
import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from nusource.core.jit import jit
from nusource.core.table_cache import cached_arrays

from .beta_spectrum import beta_density, beta_grid, normalise_table

SQRT2_GF_NE_EV = 7.63e-14
"""√2·G_F·n_e [eV] for n_e = 1 N_A cm⁻³ (√2·G_F·N_A·(ħc)³ = 7.63e-14 eV cm³/N_A)."""

GRID_STEP, GRID_FLOOR = 0.01, 1e-4
"""Grid of the allowed shapes (:func:`.beta_spectrum.beta_grid`): relative step
1 % near both ends, so linear interpolation errs by ≈ 2e-5 in any bin."""

SOLAR_SOURCES: tuple[str, ...] = ("pp", "pep", "hep", "be7", "b8", "n13", "o15", "f17")
"""Names of the solar neutrino sources with data."""

SOLAR_GROUPS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in SOLAR_SOURCES},
    "cno": ("n13", "o15", "f17"),
}
"""Component names a solar component may be built from (a source or the CNO sum)."""


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    text = resources.files("nusource.generator").joinpath("data/solar/solar.toml").read_text()
    return tomllib.loads(text)


def oscillation_parameters() -> dict:
    """Default MSW-LMA parameters: sin2_theta12, sin2_theta13, dm2_21_ev2."""
    return dict(_data()["oscillation"])


@dataclass(frozen=True, eq=False)
class SolarSource:
    """One solar neutrino source.

    Attributes
    ----------
    name : str
    flux : float
        Flux at 1 AU [cm⁻² s⁻¹] (B16-GS98).
    ne_production : float
        Electron density where it is produced [N_A cm⁻³].
    line_energy, line_prob : ndarray
        Lines [MeV] and their probability per neutrino.
    cont_energy, cont_density : ndarray
        Piecewise-linear continuum [MeV, 1/MeV] (empty if none); lines and
        continuum together are normalised to one neutrino.
    """

    name: str
    flux: float
    ne_production: float
    line_energy: np.ndarray
    line_prob: np.ndarray
    cont_energy: np.ndarray
    cont_density: np.ndarray


def _read_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    text = resources.files("nusource.generator").joinpath(f"data/solar/{name}").read_text()
    rows = [r for r in csv.reader(line for line in text.splitlines() if not line.startswith("#"))]
    values = np.array([[float(x) for x in r] for r in rows[1:] if r], dtype=float)
    e, d = values[:, 0], values[:, 1]
    return e, normalise_table(e, d)


@functools.cache
def solar_source(name: str) -> SolarSource:
    """The :class:`SolarSource` of a name in :data:`SOLAR_SOURCES`."""
    if name not in SOLAR_SOURCES:
        raise ValueError(f"solar source = {name!r}: unknown; allowed: {', '.join(SOLAR_SOURCES)}")
    rec = next(c for c in _data()["components"] if c["name"] == name)
    empty = np.zeros(0)
    le, lp, ce, cd = empty, empty, empty, empty
    if rec["spectrum"] == "line":
        le = np.array(rec["lines_kev"], dtype=float) * 1e-3
        lp = np.array(rec["branching"], dtype=float)
        lp = lp / lp.sum()
    elif rec["spectrum"] == "allowed":
        q = rec["endpoint_kev"] * 1e-3

        def table():
            grid = beta_grid(q, step=GRID_STEP, floor=GRID_FLOOR)
            return grid, normalise_table(
                grid, beta_density(grid, q, -rec["z_daughter"], rec["a_daughter"])
            )

        # the Fermi function needs scipy's log-Γ: computed once, then read from the disk cache
        ce, cd = cached_arrays(
            "solar_beta_plus",
            [q, rec["z_daughter"], rec["a_daughter"], GRID_STEP, GRID_FLOOR],
            table,
            modules=(__name__, "nusource.generator.beta_spectrum", "nusource.generator.fermi"),
        )
    else:
        ce, cd = _read_table(rec["table"])
    return SolarSource(name, float(rec["flux"]), float(rec["ne_production"]), le, lp, ce, cd)


@jit
def p_ee_msw(e_mev, ne_na, s12, s13, dm2_ev2):
    """Adiabatic MSW-LMA νe survival probability of a neutrino made at density n_e.

    Parameters
    ----------
    e_mev : float
        Neutrino energy [MeV].
    ne_na : float
        Electron density at production [N_A cm⁻³].
    s12, s13 : float
        sin²θ₁₂, sin²θ₁₃.
    dm2_ev2 : float
        Δm²₂₁ [eV²].
    """
    c13 = 1.0 - s13
    c2 = 1.0 - 2.0 * s12
    sin2_2 = 4.0 * s12 * (1.0 - s12)
    beta = 2.0 * SQRT2_GF_NE_EV * ne_na * e_mev * 1e6 * c13 / dm2_ev2
    d = c2 - beta
    c2m = d / math.sqrt(d * d + sin2_2)
    return c13 * c13 * (0.5 + 0.5 * c2 * c2m) + s13 * s13


def survival(source: SolarSource, e_mev, p_ee=None, osc=None) -> np.ndarray:
    """P_ee at energies [MeV]: a constant ``p_ee`` if given, else MSW-LMA at the source's n_e."""
    e = np.asarray(e_mev, dtype=float)
    if p_ee is not None:
        return np.full(e.shape, float(p_ee))
    o = oscillation_parameters() if osc is None else osc
    f = np.vectorize(
        lambda x: p_ee_msw(
            x, source.ne_production, o["sin2_theta12"], o["sin2_theta13"], o["dm2_21_ev2"]
        )
    )
    return f(e) if e.size else e.copy()


def check_probability(key: str, value) -> float:
    """A P_ee given by a user: a finite number in [0, 1], else one-line ValueError."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ValueError(f"{key} = {value!r}: a survival probability must be a number in [0, 1]")
    return v


def mean_survival(source: SolarSource, emin_mev: float = 0.0, p_ee=None, osc=None) -> float:
    """Flux-weighted ⟨P_ee⟩ of a source over E ≥ emin [MeV] (lines and continuum)."""
    num = den = 0.0
    keep = source.line_energy >= emin_mev
    if np.any(keep):
        p = survival(source, source.line_energy[keep], p_ee, osc)
        num += float(np.sum(source.line_prob[keep] * p))
        den += float(np.sum(source.line_prob[keep]))
    if source.cont_energy.size:
        e = source.cont_energy
        grid = np.union1d(e[e >= emin_mev], [emin_mev]) if emin_mev > e[0] else e
        f = np.interp(grid, e, source.cont_density, left=0.0, right=0.0)
        num += float(np.trapezoid(f * survival(source, grid, p_ee, osc), grid))
        den += float(np.trapezoid(f, grid))
    return num / den
