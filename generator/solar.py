"""Solar ν–e scattering as an event source: flavour parts, rates and exact sampling.

A solar component (pp, pep, ⁷Be, CNO, ⁸B, …) is the sum of two parts,
each drawn exactly with the project's recoil sampler
(:mod:`.recoil_sampler`) and cross-section code (:mod:`.xsec`):

- the νe part: spectrum × P_ee(E), scattered with the νe couplings;
- the νμ,τ part: spectrum × (1 − P_ee(E)), scattered with the νμ couplings,

both with the run's coupling scheme, μν and Z′, so that μν and Z′ act on
solar events exactly as on the source's and the per-event reweighting parts
(xs_sm, xs_mag, xs_zlin, xs_zquad, xs_gen) refer to each event's own flavour.
P_ee(E) is tabulated on the spectrum's grid (lines: at their energies), the
part spectra being piecewise linear between the grid points.

An event's part is chosen with its expected share; its neutrino arrives from
the Sun at the event's time (direction = −unit vector to the Sun in the local
frame x = east, y = north, z = up, :mod:`.sun`); the electron direction follows
from T and Eν with a uniform azimuth.  The flux at the event's time is
(1 AU/r)² times the 1 AU flux: the kernels return that factor per event, to
be used as an acceptance (:func:`draw_times` draws times with that density
exactly) or a weight.

Rates are per target electron and second at 1 AU (free electrons; with
atomic binding in the stepping approximation for a material of
:mod:`nusource.detsim.binding`).
"""

import math
from dataclasses import dataclass

import numpy as np

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import split_pair

from .alias import build_alias, pair_table
from .constants import M_E
from .flux_average import flux_averaged
from .kinematics import frame
from .model import PhysicsModel
from .neutrino_spectrum import NuSpectrum
from .recoil_sampler import (
    C_ALIAS,
    C_DE,
    C_DX,
    C_E0,
    C_H,
    C_L,
    C_PROB,
    C_X0,
    W_THI,
    W_TLO,
    RecoilSampler,
    _exact_accept,
    make_recoil_sampler,
)
from .solar_spectra import (
    SOLAR_GROUPS,
    check_probability,
    oscillation_parameters,
    solar_source,
    survival,
)
from .sun import (
    DEG,
    GRAN_SASSO,
    SECONDS_PER_DAY,
    check_site,
    julian_date,
    sun_ecliptic,
    sun_from_table,
    sun_table,
)
from .xsec import dsigma_parts

INV_DAY = 1.0 / SECONDS_PER_DAY

FLAVOUR_NUE, FLAVOUR_NUMU = 0, 1
"""Values of the per-event flavour output (νe; νμ,τ)."""


def _check_name(name: str) -> tuple[str, ...]:
    if name not in SOLAR_GROUPS:
        raise ValueError(f"solar component = {name!r}: unknown; allowed: {', '.join(SOLAR_GROUPS)}")
    return SOLAR_GROUPS[name]


def _check_scale(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v >= 0.0):
        raise ValueError(f"flux_scale = {value!r}: must be a finite number >= 0")
    return v


def part_spectra(name: str, p_ee=None, osc=None) -> tuple[NuSpectrum, NuSpectrum, float]:
    """The νe and νμ,τ part spectra of a component, per neutrino of the component.

    Parameters
    ----------
    name : str
        A key of :data:`.solar_spectra.SOLAR_GROUPS` (``'pp'``, ``'be7'``, ``'cno'``, …).
    p_ee : float, optional
        Constant survival probability (default: MSW-LMA at each source's n_e).
    osc : dict, optional
        MSW-LMA parameters (default :func:`.solar_spectra.oscillation_parameters`).

    Returns
    -------
    nue, numu : NuSpectrum
        Spectra weighted by P_ee and 1 − P_ee; together they sum to the
        component's spectrum normalised to one neutrino.
    flux : float
        Total flux of the component at 1 AU [cm⁻² s⁻¹].
    """
    sources = [solar_source(s) for s in _check_name(name)]
    if p_ee is not None:
        p_ee = check_probability(f"p_ee.{name}", p_ee)
    flux = sum(s.flux for s in sources)
    le, lpe, lpm = [], [], []
    grids = [s.cont_energy for s in sources if s.cont_energy.size]
    grid = np.unique(np.concatenate(grids)) if grids else np.zeros(0)
    de, dm = np.zeros_like(grid), np.zeros_like(grid)
    for s in sources:
        w = s.flux / flux
        if s.line_energy.size:
            p = survival(s, s.line_energy, p_ee, osc)
            le.append(s.line_energy)
            lpe.append(w * s.line_prob * p)
            lpm.append(w * s.line_prob * (1.0 - p))
        if s.cont_energy.size:
            f = w * np.interp(grid, s.cont_energy, s.cont_density, left=0.0, right=0.0)
            p = survival(s, grid, p_ee, osc)
            de += f * p
            dm += f * (1.0 - p)
    line_e = np.concatenate(le) if le else np.zeros(0)

    def spec(lp, d):
        return NuSpectrum(line_e, np.concatenate(lp) if lp else np.zeros(0), grid, d, 1.0, False)

    return spec(lpe, de), spec(lpm, dm), flux


def _spectrum_weight(sp: NuSpectrum) -> float:
    w = float(np.sum(sp.line_prob))
    if sp.cont_energy.size:
        w += float(np.trapezoid(sp.cont_density, sp.cont_energy))
    return w


@dataclass(frozen=True, eq=False)
class SolarComponent:
    """Everything a chunk of one solar component needs, built once per run.

    Build with :func:`make_solar_component`.

    Attributes
    ----------
    name : str
    flux : float
        Component flux at 1 AU [cm⁻² s⁻¹] (× ``flux_scale``).
    model : PhysicsModel
        The run's interaction model (its process is replaced per part).
    nue, numu : NuSpectrum
        Part spectra (per neutrino of the component).
    samplers : (RecoilSampler or None, RecoilSampler or None)
        Exact (Eν, T) samplers of the two parts (None for an empty part).
    xsec : (FluxAveraged or None, FluxAveraged or None)
        Flux-averaged cross sections of the two parts in the window [cm²
        per neutrino of the component].
    share_nue : float
        Expected fraction of the window's events in the νe part.
    cells : ndarray, shape (k, 8)
        One alias table over the cells of both parts' samplers (columns as in
        :mod:`.recoil_sampler`): both parts bound their densities in the same
        absolute units (per neutrino of the component), so one draw from the
        joint table picks the part with its expected share and the (Eν, T)
        cell in one go.
    cell_part : int8 ndarray, shape (k,)
        0 for a νe cell, 1 for a νμ,τ cell.
    win : ndarray
        (T_lo, T_hi, μ²πr_e²/S₀), common to both parts.
    tmin_mev, tmax_mev : float
        Recoil window [MeV].
    site_rad : (float, float)
        Latitude, longitude [rad].
    epoch : (float, float)
        Reference epoch as (days, fraction) from J2000 (:func:`.sun.julian_date`).
    p_ee : float or None
        Constant survival probability, or None for MSW-LMA.
    """

    name: str
    flux: float
    model: PhysicsModel
    nue: NuSpectrum
    numu: NuSpectrum
    samplers: tuple
    xsec: tuple
    share_nue: float
    cells: np.ndarray
    cell_part: np.ndarray
    win: np.ndarray
    tmin_mev: float
    tmax_mev: float
    site_rad: tuple
    epoch: tuple
    p_ee: float | None

    def part_models(self) -> tuple[PhysicsModel, PhysicsModel]:
        """The νe and νμ models (the run's couplings, μν and Z′)."""
        return self.model.replace(process="nue"), self.model.replace(process="numu")

    def events_per_electron_s(self, tmin_mev=None, tmax_mev=None, binding=None) -> float:
        """Expected events per target electron per second at 1 AU in a recoil window.

        Parameters
        ----------
        tmin_mev, tmax_mev : float, optional
            Window [MeV] (default: the component's).
        binding : str, optional
            Material of :mod:`nusource.detsim.binding` (e.g. ``'LXe'``): the
            rate with atomic binding in the stepping approximation, Σ over
            the steps of Z_eff(T)/Z × the free rate between the binding edges.
        """
        lo = self.tmin_mev if tmin_mev is None else float(tmin_mev)
        hi = self.tmax_mev if tmax_mev is None else float(tmax_mev)
        if binding is None:
            return self._free_rate(lo, hi)
        from nusource.detsim.binding import binding_steps

        edges, keep = binding_steps(binding)
        cuts = np.concatenate(([lo], edges[(edges > lo) & (edges < hi)], [hi]))
        total = 0.0
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            k = float(keep[np.searchsorted(edges, 0.5 * (a + b))])
            if k > 0.0:
                total += k * self._free_rate(float(a), float(b))
        return total

    def _free_rate(self, lo: float, hi: float) -> float:
        total = 0.0
        for sp, model in zip((self.nue, self.numu), self.part_models(), strict=True):
            if _spectrum_weight(sp) > 0.0:
                total += flux_averaged(sp, model, lo, hi).total
        return self.flux * total

    def expected_events(self, electrons: float, t0_s: float, t1_s: float, binding=None) -> float:
        """Expected events for a number of target electrons over [t0, t1] s from the epoch.

        events_per_electron_s × electrons × ∫(1 AU/r(t))² dt, in the component's window.
        """
        factor = mean_flux_factor(self.epoch, t0_s, t1_s)
        return self.events_per_electron_s(binding=binding) * electrons * (t1_s - t0_s) * factor

    def sun(self, times_s) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors to the Sun (east, north, up) and r [AU] at times [s from the epoch]."""
        from .sun import fill_sun_local

        t = np.ascontiguousarray(np.atleast_1d(times_s), dtype=float)
        x, y, z, r = (np.empty(t.size) for _ in range(4))
        fill_sun_local(t, *self.epoch, *self.site_rad, x, y, z, r)
        return np.stack([x, y, z], axis=1), r


def _cell_masses(sampler: RecoilSampler, spectrum: NuSpectrum) -> np.ndarray:
    """The alias masses of a sampler's cells (∝ the bound H times the cell's size).

    A continuum cell's mass is ΔE·Δu·H; a line cell's is P_line·ΔT·H (its H
    bounds dσ/dT alone), as built by :func:`.recoil_sampler.make_recoil_sampler`.
    """
    c = sampler.cells
    line = c[:, C_DE] == 0.0
    w = np.ones(c.shape[0])
    if np.any(line):
        order = np.argsort(spectrum.line_energy)
        idx = order[np.searchsorted(spectrum.line_energy, c[line, C_E0], sorter=order)]
        w[line] = spectrum.line_prob[idx]
    return w * np.where(line, 1.0, c[:, C_DE]) * c[:, C_DX] * c[:, C_H]


def joint_cells(samplers, spectra) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One alias table over the cells of the νe and νμ,τ samplers.

    Returns (cells, cell_part, win).  Both parts share the recoil window and
    the magnetic term (same spectrum support, same μν).
    """
    rows, parts, masses, win = [], [], [], None
    for k, (smp, sp) in enumerate(zip(samplers, spectra, strict=True)):
        if smp is None:
            continue
        if win is not None and not np.array_equal(win, smp.win):
            raise RuntimeError("solar parts with different recoil windows cannot share a table")
        win = smp.win
        rows.append(smp.cells)
        parts.append(np.full(smp.cells.shape[0], k, dtype=np.int8))
        masses.append(_cell_masses(smp, sp))
    cells = np.concatenate(rows).copy()
    prob, alias = build_alias(np.concatenate(masses))
    cells[:, C_PROB], cells[:, C_ALIAS] = prob, alias
    return cells, np.concatenate(parts), win.copy()


def make_solar_component(
    name: str,
    model: PhysicsModel | None = None,
    *,
    tmin_mev: float = 0.0,
    tmax_mev: float = math.inf,
    p_ee: float | None = None,
    flux_scale: float = 1.0,
    site=GRAN_SASSO,
    epoch="2025-01-01T00:00:00",
    osc: dict | None = None,
) -> SolarComponent:
    """Build a solar component.

    Parameters
    ----------
    name : str
        ``'pp'``, ``'pep'``, ``'be7'``, ``'cno'`` (¹³N + ¹⁵O + ¹⁷F), ``'b8'``,
        ``'hep'``, or one CNO source (``'n13'``, ``'o15'``, ``'f17'``).
    model : PhysicsModel, optional
        Couplings, μν, Z′ of the run (default: radiative SM).
    tmin_mev, tmax_mev : float
        Recoil window [MeV].
    p_ee : float, optional
        Constant survival probability in [0, 1] (seed 004: 0.55 pp, 0.53 ⁷Be);
        default: MSW-LMA P_ee(E).
    flux_scale : float
        Multiplies the B16-GS98 flux (≥ 0).
    site : (latitude °N, longitude °E)
    epoch : datetime or str
        UTC date-time that event times count from.
    osc : dict, optional
        MSW-LMA parameters (sin2_theta12, sin2_theta13, dm2_21_ev2).
    """
    _check_name(name)
    scale = _check_scale(flux_scale)
    lat, lon = check_site(*site)
    model = PhysicsModel() if model is None else model
    o = oscillation_parameters() if osc is None else osc
    nue, numu, flux = part_spectra(name, p_ee, o)
    m_e, m_m = model.replace(process="nue"), model.replace(process="numu")
    samplers, xsecs, rates = [], [], []
    for sp, m in ((nue, m_e), (numu, m_m)):
        if _spectrum_weight(sp) > 0.0:
            xs = flux_averaged(sp, m, tmin_mev, tmax_mev)
            samplers.append(
                make_recoil_sampler(sp, m, tmin_mev, tmax_mev) if xs.total > 0 else None
            )
            xsecs.append(xs)
            rates.append(xs.total)
        else:
            samplers.append(None)
            xsecs.append(None)
            rates.append(0.0)
    if rates[0] + rates[1] <= 0.0:
        raise ValueError(f"recoil window: no {name} neutrino can give a recoil in it")
    cells, cell_part, win = joint_cells(samplers, (nue, numu))
    return SolarComponent(
        name=name,
        flux=flux * scale,
        model=model,
        nue=nue,
        numu=numu,
        samplers=tuple(samplers),
        xsec=tuple(xsecs),
        share_nue=rates[0] / (rates[0] + rates[1]),
        cells=cells,
        cell_part=cell_part,
        win=win,
        tmin_mev=float(tmin_mev),
        tmax_mev=float(min(tmax_mev, max(s.tmax_mev for s in samplers if s is not None))),
        site_rad=(lat * DEG, lon * DEG),
        epoch=julian_date(epoch),
        p_ee=None if p_ee is None else float(p_ee),
    )


# --------------------------------------------------------------- time density


@jit
def flux_factor(n):
    """(1 AU / r)² at n days from J2000."""
    _, _, r = sun_ecliptic(n)
    return 1.0 / (r * r)


R_MIN_AU = 1.00014 - 0.01671 - 0.00014
"""Smallest r of the ephemeris's distance series [AU] (bound for the acceptance)."""
R_MAX_AU = 1.00014 + 0.01671 + 0.00014
"""Largest r [AU]: below (r_min/r_max)² a draw is accepted without evaluating r."""


@jit
def draw_times(rng, t0_s, t1_s, d0, f0, out):
    """Event times on [t0, t1) [s from the epoch] with density ∝ (1 AU/r(t))², exactly.

    Uniform proposals accepted with probability (r_min/r)² (≥ 0.93; below
    (r_min/r_max)² without evaluating the ephemeris).
    Returns the number of trials.
    """
    bound = R_MIN_AU * R_MIN_AU
    squeeze = bound / (R_MAX_AU * R_MAX_AU)
    span = t1_s - t0_s
    trials = 0
    for i in range(out.shape[0]):
        while True:
            trials += 1
            t = t0_s + uniform(rng) * span
            y = uniform(rng)
            if y <= squeeze or y <= bound * flux_factor(d0 + (f0 + t / SECONDS_PER_DAY)):
                out[i] = t
                break
    return trials


def mean_flux_factor(comp_or_epoch, t0_s: float, t1_s: float) -> float:
    """⟨(1 AU/r)²⟩ over [t0, t1] s from the epoch (Gauss–Legendre on daily panels)."""
    d0, f0 = comp_or_epoch.epoch if hasattr(comp_or_epoch, "epoch") else comp_or_epoch
    if not t1_s > t0_s:
        raise ValueError(f"time window: [{t0_s}, {t1_s}] s must have t0 < t1")
    panels = max(1, int(math.ceil((t1_s - t0_s) / SECONDS_PER_DAY)))
    x, w = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(t0_s, t1_s, panels + 1)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        t = 0.5 * (a + b) + 0.5 * (b - a) * x
        total += (
            0.5
            * (b - a)
            * sum(
                wk * flux_factor(d0 + (f0 + tk / SECONDS_PER_DAY))
                for tk, wk in zip(t, w, strict=True)
            )
        )
    return total / (t1_s - t0_s)


# ------------------------------------------------------------------ the kernel


@jit
def solar_events(
    rng,
    cells,
    cell_part,
    win,
    p_e,
    grid_e,
    dens_e,
    p_m,
    grid_m,
    dens_m,
    times,
    d0,
    f0,
    lat,
    n_first,
    step,
    table,
    out_e,
    out_t,
    out_cos,
    out_nux,
    out_nuy,
    out_nuz,
    out_ex,
    out_ey,
    out_ez,
    out_scale,
    out_flavour,
):
    """Draw solar ν–e events at given times (the hot loop of :func:`fill_solar`).

    For each event i: (part, Eν, T) exactly from the joint cell table of both
    flavour parts (:func:`joint_cells`; a cell's part is its flavour), the ν
    direction = −(unit vector to the Sun at times[i]) in the local frame
    (east, north, up), cosθ and the electron direction (uniform azimuth), and
    the flux factor (1 AU/r)².  The Sun's equatorial vector and r are
    interpolated linearly in hourly knots (``table``, :func:`.sun.sun_table`;
    error < 1e-7 rad) and the Earth's rotation from the knot by series
    (:func:`.sun.sun_from_table`).

    Parameters
    ----------
    rng : numpy.random.Generator
    cells, cell_part, win : the joint table of :func:`joint_cells`.
    p_e, grid_e, dens_e, p_m, grid_m, dens_m : model arrays and part spectra
        (continuum tables) of the νe and νμ,τ parts, for the exact test.
    times : float64[n]
        Event times [s from the epoch].
    d0, f0 : float
        Epoch (days, fraction) from J2000.
    lat : float
        Site latitude [rad] (the longitude is in the knots).
    n_first, step, table : the knots of :func:`.sun.sun_table` covering the times.
    out_e, out_t : float64[n]
        Eν, T [MeV].
    out_cos : float64[n]
        cosθ of the electron to the neutrino.
    out_nux, out_nuy, out_nuz, out_ex, out_ey, out_ez : float64[n]
        Neutrino and electron directions (local frame).
    out_scale : float64[n]
        (1 AU/r)².
    out_flavour : int8[n]
        0 νe, 1 νμ,τ.

    Returns
    -------
    int
        Number of νe events.
    """
    sp, cp = math.sin(lat), math.cos(lat)
    inv_step = 1.0 / step
    a, t_hi = win[W_TLO], win[W_THI]
    nc = cells.shape[0]
    pair = pair_table(cells[:, C_ALIAS])
    n_nue = 0
    for i in range(out_e.shape[0]):
        # one exact (part, Eν, T) draw, written out as in
        # recoil_sampler.sample_events_along (no per-event function returning a
        # tuple, no array variables rebound per event: both compile to slow loops)
        while True:
            x = uniform(rng) * nc
            k = min(int(x), nc - 1)
            f = x - k
            pk = cells[k, C_PROB]
            aliased = f >= pk  # (no branch: see alias.pair_table)
            s = (f - (pk if aliased else 0.0)) / ((1.0 - pk) if aliased else pk)
            k = pair[2 * k + aliased]
            de = cells[k, C_DE]
            line = de == 0.0
            if line:
                e = cells[k, C_E0]
                jac = 1.0
                t = cells[k, C_X0] + s * cells[k, C_DX]
            else:
                e = cells[k, C_E0] + s * de
                jac = min(t_hi, 2.0 * e * e / (M_E + 2.0 * e)) - a
                t = a + (cells[k, C_X0] + uniform(rng) * cells[k, C_DX]) * jac
            y = uniform(rng) * cells[k, C_H]
            if y <= cells[k, C_L]:
                break
            if cell_part[k] == 0:
                if _exact_accept(y, e, t, jac, line, win, p_e, grid_e, dens_e):
                    break
            elif _exact_accept(y, e, t, jac, line, win, p_m, grid_m, dens_m):
                break
        part = cell_part[k]
        out_flavour[i] = part
        if part == 0:
            n_nue += 1
        out_e[i] = e
        out_t[i] = t
        # the neutrino travels away from the Sun
        sx, sy, sz, r = sun_from_table(
            d0 + (f0 + times[i] * INV_DAY), n_first, step, inv_step, table, sp, cp
        )
        ux, uy, uz = -sx, -sy, -sz
        out_nux[i], out_nuy[i], out_nuz[i] = ux, uy, uz
        out_scale[i] = 1.0 / (r * r)
        # electron: cos²θ = T(E + mₑ)²/(E²(T + 2mₑ)), azimuth by rejection in the unit disc
        c2 = min(t * (e + M_E) * (e + M_E) / (e * e * (t + 2.0 * M_E)), 1.0)
        while True:
            px, py = split_pair(rng)
            r2 = px * px + py * py
            if 0.0 < r2 <= 1.0:
                break
        c = math.sqrt(c2)
        q = math.sqrt(1.0 - c2) / r2
        px, py = (px * px - py * py) * q, 2.0 * px * py * q
        fa, fb = frame(ux, uy, uz)
        out_cos[i] = c
        out_ex[i] = px * fa[0] + py * fb[0] + c * ux
        out_ey[i] = px * fa[1] + py * fb[1] + c * uy
        out_ez[i] = px * fa[2] + py * fb[2] + c * uz
    return n_nue


@jit
def solar_weights(
    e,
    t,
    flavour,
    p_e,
    p_m,
    mix_model,
    mix_gen,
    gen_norm,
    unit_weight,
    scale,
    use_scale,
    weight,
    xs_gen,
    sm,
    mag,
    zlin,
    zquad,
):
    """Per-event reweighting parts and weights, each event with its own flavour's couplings.

    As :func:`.signal.fill_weights`: dσ = sm + μ²·mag + γ·zlin + γ²·zquad with
    ``mix = (μ², γ, γ² or 0)``; weight = gen_norm·dσ_model/dσ_gen (× (1 AU/r)²
    when ``use_scale``), or 1 when ``unit_weight``.
    """
    for i in range(e.shape[0]):
        # (one call per flavour: an array variable rebound per event, p = p_e or p_m,
        # is reference-counted at every turn, a quarter of this loop's time)
        if flavour[i] == 0:
            s, m, zl, zq = dsigma_parts(t[i], e[i], p_e)
        else:
            s, m, zl, zq = dsigma_parts(t[i], e[i], p_m)
        sm[i], mag[i], zlin[i], zquad[i] = s, m, zl, zq
        g = s + mix_gen[0] * m + mix_gen[1] * zl + mix_gen[2] * zq
        xs_gen[i] = g
        if unit_weight:
            weight[i] = 1.0
        else:
            w = gen_norm * (s + mix_model[0] * m + mix_model[1] * zl + mix_model[2] * zq) / g
            weight[i] = w * scale[i] if use_scale else w


_NO_MODEL = np.zeros(11)
_EMPTY = np.zeros(0)


def _tables(s: RecoilSampler | None):
    """(grid, dens) of a part's sampler (empty for an absent part)."""
    return (_EMPTY, _EMPTY) if s is None else (s.grid, s.dens)


def fill_solar(
    comp: SolarComponent,
    rng: np.random.Generator,
    n: int,
    times_s: np.ndarray,
    cols: dict,
    *,
    gen_norm: float = 1.0,
    unit_weight: bool = False,
    modulation: str = "accept",
    flavour: np.ndarray | None = None,
    flux_factor_out: np.ndarray | None = None,
) -> int:
    """Draw n solar events at the given times into the first n rows of column buffers.

    Parameters
    ----------
    comp : SolarComponent
    rng : numpy.random.Generator
        The chunk's stream.
    n : int
    times_s : float64[n]
        Event times [s from the component's epoch]; written to ``cols['time']``.
    cols : dict
        Truth columns (:func:`.events.empty_columns`), at least n long.  Written:
        enu, te, cos_theta, nu_d*, e_d*, time, weight, xs_gen, xs_sm, xs_mag,
        xs_zlin, xs_zquad, p_ee (= 1: the flavour is already drawn, so the
        signal's reweighting formula applies unchanged).  Positions, flight,
        event_id and component are the caller's.
    gen_norm, unit_weight : as :func:`.signal.fill_weights` (expected events per
        generated event at 1 AU; 1 for a Poisson experiment).
    modulation : {'accept', 'weight'}
        'accept': the times already follow (1 AU/r)² (:func:`draw_times`);
        'weight': weights are multiplied by (1 AU/r(t))².
    flavour : int8[n], optional
        Output: 0 νe, 1 νμ,τ per event.
    flux_factor_out : float64[n], optional
        Output: (1 AU/r)² per event.

    Returns
    -------
    int
        The number of νe events.
    """
    if modulation not in ("accept", "weight"):
        raise ValueError(f"modulation = {modulation!r}: allowed: accept, weight")
    c = {k: v[:n] for k, v in cols.items()}
    t = np.ascontiguousarray(times_s[:n], dtype=float)
    if t.size != n:
        raise ValueError(f"times: {t.size} given for {n} events")
    c["time"][:] = t
    fl = np.empty(n, dtype=np.int8) if flavour is None else flavour[:n]
    sc = np.empty(n) if flux_factor_out is None else flux_factor_out[:n]
    d0, f0 = comp.epoch
    lat, lon = comp.site_rad
    lo, hi = (float(t.min()), float(t.max())) if n else (0.0, 0.0)
    n_first, step, table = sun_table(d0, f0, lo, hi, lon)
    se, sm_ = comp.samplers
    pe = se.p if se is not None else _NO_MODEL
    pm = sm_.p if sm_ is not None else _NO_MODEL
    n_nue = solar_events(
        rng,
        comp.cells,
        comp.cell_part,
        comp.win,
        pe,
        *_tables(se),
        pm,
        *_tables(sm_),
        t,
        d0,
        f0,
        lat,
        n_first,
        step,
        table,
        c["enu"],
        c["te"],
        c["cos_theta"],
        c["nu_dx"],
        c["nu_dy"],
        c["nu_dz"],
        c["e_dx"],
        c["e_dy"],
        c["e_dz"],
        sc,
        fl,
    )
    from .signal import mixture

    mix = mixture(comp.model)
    solar_weights(
        c["enu"],
        c["te"],
        fl,
        pe,
        pm,
        mix,
        mix,
        gen_norm,
        unit_weight,
        sc,
        modulation == "weight",
        c["weight"],
        c["xs_gen"],
        c["xs_sm"],
        c["xs_mag"],
        c["xs_zlin"],
        c["xs_zquad"],
    )
    c["p_ee"][:] = 1.0
    return int(n_nue)


def events_per_tonne_day(comp: SolarComponent, electrons_per_tonne: float, **kw) -> float:
    """Expected events per tonne per day at 1 AU (:meth:`SolarComponent.events_per_electron_s`)."""
    return comp.events_per_electron_s(**kw) * electrons_per_tonne * SECONDS_PER_DAY
