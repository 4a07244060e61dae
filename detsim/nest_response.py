"""Liquid-xenon energy response from NEST (the ``nestpy`` package).

NEST (Szydagis et al., https://github.com/NESTCollaboration/nest) turns an
electron recoil of energy E into S1 and S2 signals of a given detector. The
reconstructed energy is the combined-energy scale

    erec = W · (S1c/g1 + S2c/g2),

with S1c, S2c the position-corrected signals [phd], g1 [phd/photon] and g2
[phd/electron] of the detector, and W the work function NEST returns for the
detector's liquid density. Two paths, chosen by :attr:`NestResolution.mode`:

- ``'full'``: nestpy simulates every event (``nestpy.array.runNESTvec``, one
  NEST calculation per event in C++), seeded with an integer from the run's
  seed tree (:func:`nest_seed`).
- ``'fast'``: the mean and the width of erec are tabulated once (per
  configuration, cached) on a log grid of energies from nestpy's own per-event
  output, then erec is drawn from a Gaussian with the interpolated mean and
  width in a numba kernel with the chunk's Generator.

Seeding: NEST's generator is one global in the C++ library (seeded from the
clock when nestpy is imported). ``runNESTvec(..., seed=s)`` calls
``RandomGen::rndm()->SetSeed(s)`` before its loop, so a call is reproducible
and independent of earlier calls (if another code has locked NEST's seed with
``RandomGen.rndm().lock_seed()``, nestpy raises a RuntimeError rather than
ignore the seed); nestpy holds the GIL during the call, so Python threads
cannot interleave inside it.

NEST's own detector geometry (mm, its frame) is not ours: every event is put
at one point of the NEST detector, on its axis at mid-drift by default, where
the position corrections are mild; S1c and S2c are the corrected signals.
nestpy is imported only when a NEST path runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nusource.core.jit import jit, jit_inline
from nusource.core.randomness import STREAMS

from .binding import BINDING_REMOVED

KEV_PER_MEV = 1000.0
NEST_DETECTORS = ("LZ_WS2024", "LZ_WS2022", "LUX_Run03", "DetectorExample_XENON10")
"""Detector classes of ``nestpy.detectors`` accepted by :class:`NestResolution`."""
NEST_INTERACTIONS = ("beta", "gammaRay")
"""NEST electron-recoil models accepted (``beta``: an electron track, the ν–e recoil)."""
NEST_MODES = ("fast", "full")


def _real(owner: str, name: str, value, allowed: str, ok) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and ok(v)):
        raise ValueError(f"{owner}.{name} = {value!r}: must be {allowed}")
    return v


def _integer(owner: str, name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ValueError(f"{owner}.{name} = {value!r}: must be an integer in [{lo}, {hi}]")
    return int(value)


@dataclass(frozen=True)
class NestResolution:
    """NEST electron-recoil response of a liquid-xenon TPC.

    Parameters
    ----------
    mode : {'fast', 'full'}
        ``'fast'``: Gaussian with NEST's tabulated mean and width;
        ``'full'``: nestpy per event.
    drift_field_v_cm : float
        Drift field [V/cm], in (0, 1e5]. Default 96.5 V/cm (LZ WS2024).
    detector : str
        A detector of ``nestpy.detectors`` (see :data:`NEST_DETECTORS`);
        default ``'LZ_WS2024'`` (seed 004's detector is LZ-like).
    interaction : {'beta', 'gammaRay'}
        NEST electron-recoil model; ``'beta'`` for an electron recoil.
    z_mm : float or None
        Height of the events in NEST's detector frame [mm]; None: mid-drift.
    grid_min_kev, grid_max_kev : float
        Energy range of the fast-path table [keV], 0 < min < max ≤ 1e4.
    grid_points : int
        Points of the log-spaced table grid, in [2, 1000].
    events_per_point : int
        nestpy events per grid point, in [100, 10**7].
    table_seed : int
        NEST seed of the table, in [0, 2**31 − 1] (part of the configuration:
        the same configuration gives the same table).
    """

    mode: str = "fast"
    drift_field_v_cm: float = 96.5
    detector: str = "LZ_WS2024"
    interaction: str = "beta"
    z_mm: float | None = None
    grid_min_kev: float = 0.5
    grid_max_kev: float = 3000.0
    grid_points: int = 60
    events_per_point: int = 4000
    table_seed: int = 0

    def __post_init__(self):
        own = "NestResolution"
        for name, allowed in (
            ("mode", NEST_MODES),
            ("detector", NEST_DETECTORS),
            ("interaction", NEST_INTERACTIONS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{own}.{name} = {getattr(self, name)!r}: allowed: {', '.join(allowed)}"
                )
        set_ = object.__setattr__
        set_(
            self,
            "drift_field_v_cm",
            _real(
                own,
                "drift_field_v_cm",
                self.drift_field_v_cm,
                "in (0, 1e5] [V/cm]",
                lambda v: 0.0 < v <= 1e5,
            ),
        )
        if self.z_mm is not None:
            set_(self, "z_mm", _real(own, "z_mm", self.z_mm, "finite or None [mm]", lambda v: True))
        lo = _real(
            own, "grid_min_kev", self.grid_min_kev, "in (0, 1e4) [keV]", lambda v: 0.0 < v < 1e4
        )
        hi = _real(
            own,
            "grid_max_kev",
            self.grid_max_kev,
            f"in (grid_min_kev = {lo}, 1e4] [keV]",
            lambda v: lo < v <= 1e4,
        )
        set_(self, "grid_min_kev", lo)
        set_(self, "grid_max_kev", hi)
        set_(self, "grid_points", _integer(own, "grid_points", self.grid_points, 2, 1000))
        set_(
            self,
            "events_per_point",
            _integer(own, "events_per_point", self.events_per_point, 100, 10**7),
        )
        set_(self, "table_seed", _integer(own, "table_seed", self.table_seed, 0, 2**31 - 1))


# --------------------------------------------------------------------------- seeding


def nest_seed(seed: int, component: int, chunk: int) -> int:
    """NEST's seed for one (component, chunk), from the run's seed tree.

    ``SeedSequence(seed, spawn_key=(component, chunk, STREAMS['nest']))``
    generates one 32-bit word; its top 31 bits are the seed (nestpy takes a C
    ``int``).

    Returns
    -------
    int
        In [0, 2**31 − 1].
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(component), int(chunk), STREAMS["nest"]))
    return int(ss.generate_state(1, dtype=np.uint32)[0] >> 1)


# --------------------------------------------------------------------------- nestpy calls


def _nestpy():
    try:
        import nestpy
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the NEST response needs nestpy (pip install 'nestpy>=2.1'); "
            "use GaussianResolution otherwise"
        ) from err
    if not hasattr(getattr(nestpy, "array", None), "runNESTvec"):  # pragma: no cover
        raise ImportError(
            "the NEST response needs nestpy >= 2.1 (nestpy.array.runNESTvec with a seed); "
            "pip install 'nestpy>=2.1'"
        )
    return nestpy


@lru_cache(maxsize=8)
def nest_constants(detector: str) -> dict[str, float]:
    """g1, g2, W, density and drift length of a NEST detector (cached).

    Returns
    -------
    dict
        ``g1`` [phd/photon], ``g2`` [phd/electron] (NEST's ``CalculateG2()[3]``),
        ``w_ev`` [eV] (``WorkFunction(density).Wq_eV``), ``density`` [g/cm³]
        (from the detector's temperature and pressure), ``top_drift_mm`` [mm].
    """
    nestpy = _nestpy()
    det = getattr(nestpy.detectors, detector)()
    calc = nestpy.NESTcalc(det)
    density = calc.GetDensity(det.get_T_Kelvin(), det.get_p_bar())
    return {
        "g1": float(det.get_g1()),
        "g2": float(calc.CalculateG2(0)[3]),
        "w_ev": float(calc.WorkFunction(density).Wq_eV),
        "density": float(density),
        "top_drift_mm": float(det.get_TopDrift()),
    }


def nest_erec_kev(config: NestResolution, e_kev, seed: int) -> np.ndarray:
    """NEST's reconstructed energy of each event, erec = W·(S1c/g1 + S2c/g2).

    Parameters
    ----------
    config : NestResolution
        Detector, field, model and position.
    e_kev : array_like, shape (n,)
        Deposited energies [keV], > 0.
    seed : int
        NEST seed, in [0, 2**31 − 1].

    Returns
    -------
    ndarray, shape (n,)
        Reconstructed energies [keV].
    """
    nestpy = _nestpy()
    e = np.ascontiguousarray(e_kev, dtype=np.float64)
    if e.size == 0:
        return np.zeros(0)
    const = nest_constants(config.detector)
    z = 0.5 * const["top_drift_mm"] if config.z_mm is None else config.z_mm
    pos = np.zeros((e.size, 3))
    pos[:, 2] = z
    det = getattr(nestpy.detectors, config.detector)()
    out = nestpy.array.runNESTvec(
        det,
        getattr(nestpy.interactions, config.interaction),
        e,
        pos,
        inField=config.drift_field_v_cm,
        seed=int(seed),
    )
    s1 = np.asarray(out["s1c_phd"], dtype=np.float64)
    s2 = np.asarray(out["s2c_phd"], dtype=np.float64)
    return 1e-3 * const["w_ev"] * (s1 / const["g1"] + s2 / const["g2"])


@lru_cache(maxsize=8)
def nest_table(config: NestResolution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fast path's table: NEST's mean and width of erec on a log energy grid.

    ``config.events_per_point`` events at each of ``config.grid_points``
    energies, one nestpy call seeded with ``config.table_seed``; cached per
    configuration.

    Returns
    -------
    log_e : ndarray, shape (g,)
        ln(E/keV) of the grid.
    mean_ratio : ndarray, shape (g,)
        ⟨erec⟩/E.
    log_rel_sigma : ndarray, shape (g,)
        ln(std(erec)/E).
    """
    grid = np.geomspace(config.grid_min_kev, config.grid_max_kev, config.grid_points)
    m = config.events_per_point
    erec = nest_erec_kev(config, np.repeat(grid, m), config.table_seed).reshape(grid.size, m)
    mean_ratio = erec.mean(axis=1) / grid
    rel_sigma = erec.std(axis=1, ddof=1) / grid
    tables = (np.log(grid), mean_ratio, np.log(rel_sigma))
    for t in tables:
        t.setflags(write=False)
    return tables


# --------------------------------------------------------------------------- kernels


@jit_inline
def nest_moments(e_kev, log_e, mean_ratio, log_rel_sigma):
    """Interpolated mean and σ of erec [keV] at deposited energy ``e_kev`` [keV].

    Linear in ln E for the mean ratio and for ln(σ/E). Outside the grid the
    edge mean ratio is kept; below it σ ∝ √E (counting statistics), above it
    σ/E is constant.
    """
    n = log_e.shape[0]
    x = math.log(e_kev)
    if x <= log_e[0]:
        return e_kev * mean_ratio[0], math.exp(log_rel_sigma[0]) * math.sqrt(
            e_kev * math.exp(log_e[0])
        )
    if x >= log_e[n - 1]:
        return e_kev * mean_ratio[n - 1], e_kev * math.exp(log_rel_sigma[n - 1])
    k = np.searchsorted(log_e, x) - 1
    f = (x - log_e[k]) / (log_e[k + 1] - log_e[k])
    mean = mean_ratio[k] + f * (mean_ratio[k + 1] - mean_ratio[k])
    lrs = log_rel_sigma[k] + f * (log_rel_sigma[k + 1] - log_rel_sigma[k])
    return e_kev * mean, e_kev * math.exp(lrs)


@jit
def nest_fast_smear(rng, edep, flags, log_e, mean_ratio, log_rel_sigma, erec):
    """erec from NEST's tabulated mean and width, one normal drawn per event.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream.
    edep : float64[n]
        Deposited energy [MeV].
    flags : uint32[n]
        Event flags; an event removed by binding (or with edep ≤ 0) gets erec = 0.
    log_e, mean_ratio, log_rel_sigma : float64[g]
        From :func:`nest_table`.
    erec : float64[n]
        Output: reconstructed energy [MeV].
    """
    for i in range(edep.shape[0]):
        z = rng.standard_normal()
        if flags[i] & BINDING_REMOVED or not edep[i] > 0.0:
            erec[i] = 0.0
        else:
            mean, sigma = nest_moments(edep[i] * KEV_PER_MEV, log_e, mean_ratio, log_rel_sigma)
            erec[i] = (mean + sigma * z) / KEV_PER_MEV


def nest_full_smear(config: NestResolution, edep, flags, seed: int, erec) -> None:
    """erec from nestpy per event (the full path); fills ``erec`` in place.

    Parameters
    ----------
    config : NestResolution
        NEST configuration.
    edep : float64[n]
        Deposited energy [MeV].
    flags : uint32[n]
        Event flags; an event removed by binding (or with edep ≤ 0) gets erec = 0.
    seed : int
        NEST seed (:func:`nest_seed`), in [0, 2**31 − 1].
    erec : float64[n]
        Output: reconstructed energy [MeV].
    """
    live = ((np.asarray(flags) & BINDING_REMOVED) == 0) & (np.asarray(edep) > 0.0)
    erec[:] = 0.0
    erec[live] = nest_erec_kev(config, np.asarray(edep)[live] * KEV_PER_MEV, seed) / KEV_PER_MEV
