"""The detector response of one component's chunk: binding → energy → vertex → direction → cuts.

:func:`respond` fills the detected fields of an ``EVENT_DTYPE`` array in place
(generator/events.py) and never writes a truth field. Stages, in order, each
drawing a fixed number of random numbers per event from the chunk's detector
Generator (so a stage's draws do not depend on the outcome of an earlier one):

1. binding (:mod:`.binding`): edep = T, or 0 with the ``binding_removed`` flag;
2. energy resolution (:mod:`.resolution`, :mod:`.nest_response`): erec;
3. position resolution (:mod:`.smearing`): rec_x, rec_y, rec_z;
4. angular resolution (:mod:`.smearing`): rec_dx, rec_dy, rec_dz;
5. selection (:mod:`.selection`): threshold, window, fiducial, efficiency bits.

Binding applies to ν–e scattering; for a component that is not (a β decay, a
γ), use ``dataclasses.replace(response, binding=False)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nusource.geometry import Box, Cylinder, CylindricalShell, SphericalShell
from nusource.io.schema import DETECTED_FIELDS, EVENT_DTYPE, TRUTH_FLAGS

from .binding import _canonical, apply_binding, binding_steps, material_names
from .nest_response import NestResolution, nest_fast_smear, nest_full_smear, nest_table
from .resolution import DEFAULT_RESOLUTION, GaussianResolution, gaussian_smear
from .selection import NO_FIDUCIAL, select
from .smearing import copy_unless_removed, smear_directions, smear_positions

FIDUCIAL_ON = ("reconstructed", "true")
MAX_ANGULAR_SIGMA_RAD = 1.0
_SOLIDS = (Cylinder, SphericalShell, CylindricalShell, Box)
_OWNER = "DetectorResponse"


def _real(name: str, value, allowed: str, ok) -> float:
    """``value`` as a float, or a ValueError naming the field, the value and the range."""
    if isinstance(value, bool):
        v = math.nan
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
    if math.isnan(v) or not ok(v):
        raise ValueError(f"{_OWNER}.{name} = {value!r}: must be {allowed}")
    return v


@dataclass(frozen=True)
class DetectorResponse:
    """Validated, frozen configuration of a detector's response.

    Parameters
    ----------
    material : str
        Detector material with a shell table: ``'NaI'``, ``'LXe'`` (alias
        ``'Xe'``), ``'He'``, ``'pseudocumene'`` (alias ``'C9H12'``); stored
        under its registered name.
    binding : bool
        Apply atomic binding (stepping approximation).
    resolution : GaussianResolution or NestResolution or None
        Energy resolution; None: erec = edep. NEST only for ``'LXe'``.
    angular_sigma_rad : float
        Width σ of the 2-D Gaussian smearing the electron direction [rad],
        in [0, 1]; 0: none.
    position_sigma_cm : float
        Vertex resolution per coordinate [cm], finite and ≥ 0; 0: none.
    threshold_mev : float
        Energy threshold on erec [MeV], finite and ≥ 0; 0: none.
    window_mev : (float, float) or None
        Analysis window [lo, hi) on erec [MeV], 0 ≤ lo < hi ≤ inf; None: none.
    efficiency : float
        Detection efficiency (a constant probability), in [0, 1].
    fiducial : Cylinder, SphericalShell, CylindricalShell, Box or None
        Fiducial volume (nusource.geometry solid); None: no cut.
    fiducial_on : {'reconstructed', 'true'}
        Which vertex the fiducial cut tests.
    """

    material: str
    binding: bool = True
    resolution: GaussianResolution | NestResolution | None = None
    angular_sigma_rad: float = 0.0
    position_sigma_cm: float = 0.0
    threshold_mev: float = 0.0
    window_mev: tuple[float, float] | None = None
    efficiency: float = 1.0
    fiducial: Cylinder | SphericalShell | CylindricalShell | Box | None = None
    fiducial_on: str = "reconstructed"

    def __post_init__(self):
        set_ = object.__setattr__
        try:
            set_(self, "material", _canonical(self.material))
        except ValueError:
            raise ValueError(
                f"{_OWNER}.material = {self.material!r}: allowed: {', '.join(material_names())} "
                "(aliases 'Xe', 'C9H12')"
            ) from None
        if not isinstance(self.binding, bool | np.bool_):
            raise ValueError(f"{_OWNER}.binding = {self.binding!r}: must be True or False")
        set_(self, "binding", bool(self.binding))
        res = self.resolution
        if res is not None and not isinstance(res, GaussianResolution | NestResolution):
            raise ValueError(
                f"{_OWNER}.resolution = {res!r}: must be a GaussianResolution, a NestResolution "
                "or None"
            )
        if isinstance(res, NestResolution) and self.material != "LXe":
            raise ValueError(
                f"{_OWNER}.resolution = NestResolution(...) with material = {self.material!r}: "
                "NEST models liquid xenon only (material 'LXe')"
            )
        set_(
            self,
            "angular_sigma_rad",
            _real(
                "angular_sigma_rad",
                self.angular_sigma_rad,
                f"in [0, {MAX_ANGULAR_SIGMA_RAD:g}] [rad]",
                lambda v: 0.0 <= v <= MAX_ANGULAR_SIGMA_RAD,
            ),
        )
        set_(
            self,
            "position_sigma_cm",
            _real(
                "position_sigma_cm",
                self.position_sigma_cm,
                "finite and >= 0 [cm]",
                lambda v: 0.0 <= v < math.inf,
            ),
        )
        set_(
            self,
            "threshold_mev",
            _real(
                "threshold_mev",
                self.threshold_mev,
                "finite and >= 0 [MeV]",
                lambda v: 0.0 <= v < math.inf,
            ),
        )
        set_(self, "window_mev", self._check_window(self.window_mev))
        set_(
            self,
            "efficiency",
            _real("efficiency", self.efficiency, "in [0, 1]", lambda v: 0.0 <= v <= 1.0),
        )
        if self.fiducial is not None and not isinstance(self.fiducial, _SOLIDS):
            raise ValueError(
                f"{_OWNER}.fiducial = {self.fiducial!r}: must be a nusource.geometry solid "
                "(Cylinder, SphericalShell, CylindricalShell, Box) or None"
            )
        if self.fiducial_on not in FIDUCIAL_ON:
            raise ValueError(
                f"{_OWNER}.fiducial_on = {self.fiducial_on!r}: allowed: {', '.join(FIDUCIAL_ON)}"
            )

    @staticmethod
    def _check_window(window):
        if window is None:
            return None
        msg = f"{_OWNER}.window_mev = {window!r}: must be None or (lo, hi) with 0 <= lo < hi [MeV]"
        try:
            lo, hi = (float(v) for v in window)
        except (TypeError, ValueError):
            raise ValueError(msg) from None
        if not (math.isfinite(lo) and 0.0 <= lo < hi) or math.isnan(hi):
            raise ValueError(msg)
        return (lo, hi)


def default_response(material: str) -> DetectorResponse:
    """The docs/physics.md §5–6 defaults of a detector.

    ==============  ==========================================================
    material        defaults
    ==============  ==========================================================
    NaI (LAMA)      binding; σ/E = 0.448/√(E/keV) + 0.0091; threshold 2 keV
    LXe (seed 004)  binding; σ/E = 0.3171/√(E/keV) + 0.0015 (the NEST
                    alternative: ``resolution=NestResolution()``); vertex
                    σ = 1 cm per coordinate; threshold 2 keV
    He (HELLAZ)     binding; σ/E = 3% (a parameter: "a few %"); direction
                    σ = 35 mrad; threshold 100 keV
    pseudocumene    binding; σ/E = 1.581/√(E/keV) (400 p.e./MeV); no threshold
                    (none given in docs/physics.md)
    ==============  ==========================================================

    Windows and fiducial volumes are per analysis and run card: none here.

    Parameters
    ----------
    material : str
        ``'NaI'``, ``'LXe'`` (or ``'Xe'``), ``'He'``, ``'pseudocumene'`` (or ``'C9H12'``).
    """
    name = DetectorResponse(material).material
    extra = {
        "NaI": {"threshold_mev": 0.002},
        "LXe": {"threshold_mev": 0.002, "position_sigma_cm": 1.0},
        "He": {"threshold_mev": 0.1, "angular_sigma_rad": 0.035},
        "pseudocumene": {},
    }[name]
    return DetectorResponse(name, resolution=DEFAULT_RESOLUTION[name], **extra)


def _check_events(events) -> None:
    if isinstance(events, Mapping):
        missing = [n for n in EVENT_DTYPE.names if n not in events]
        if missing:
            raise ValueError(f"events: the columns lack fields {', '.join(missing)}")
        sizes = {len(events[n]) for n in EVENT_DTYPE.names}
        if len(sizes) != 1:
            raise ValueError(f"events: columns of different lengths {sorted(sizes)}")
        for name, typ, _, _ in DETECTED_FIELDS:
            if events[name].dtype != np.dtype(typ):
                raise ValueError(f"events: column {name!r} is {events[name].dtype}, not {typ}")
        return
    if not isinstance(events, np.ndarray) or events.dtype.names is None or events.ndim != 1:
        raise ValueError("events: must be a 1-D structured array of EVENT_DTYPE, or its columns")
    missing = [n for n in EVENT_DTYPE.names if n not in events.dtype.names]
    if missing:
        raise ValueError(
            f"events: missing fields {', '.join(missing)}; make it with "
            "empty_events(n, detected=True) (EVENT_DTYPE)"
        )
    for name, typ, _, _ in DETECTED_FIELDS:
        if events.dtype[name] != np.dtype(typ):
            raise ValueError(f"events: field {name!r} is {events.dtype[name]}, not {typ}")


def respond(
    rng,
    events,
    response: DetectorResponse,
    *,
    nest_seed: int | None = None,
    keep_truth_flags: bool = False,
    directions: bool = True,
) -> None:
    """Fill the detected fields of ``events`` in place; truth fields are only read.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream (``chunk_rng(seed, component, chunk, 'detector')``).
    events : ndarray of EVENT_DTYPE, shape (n,), or a mapping of its columns
        Events with their truth; ``edep``, ``erec``, ``rec_*`` and ``flags`` are
        overwritten (in place: columns may be contiguous buffers that the
        production reuses chunk after chunk).
    response : DetectorResponse
        The configuration.
    nest_seed : int or None
        Seed of NEST's generator for the full NEST path, in [0, 2**31 − 1]; use
        ``nest_response.nest_seed(seed, component, chunk)``. None: one integer
        is drawn from ``rng``. Ignored by the other paths.
    keep_truth_flags : bool
        Keep the bits of ``flags`` that the event's maker set
        (:data:`nusource.io.schema.TRUTH_FLAGS`: the photon transport's
        multi-site bit) instead of clearing them.
    directions : bool
        False: without angular smearing, leave ``rec_dx, rec_dy, rec_dz`` as
        they are (a caller that reads none of the directions); with it they
        are made all the same (the later stages' draws stay in place).

    Notes
    -----
    Events removed by binding get edep = erec = 0, a zero reconstructed
    vertex and direction, and only the ``binding_removed`` flag. An event
    with flags == 0 is selected.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: {rng!r} is not a numpy.random.Generator")
    if not isinstance(response, DetectorResponse):
        raise ValueError(f"response: {response!r} is not a DetectorResponse")
    _check_events(events)
    ev = events
    flags = ev["flags"]
    if keep_truth_flags:
        flags &= TRUTH_FLAGS
    else:
        flags[:] = 0

    # 1. binding
    if response.binding:
        edges, keep = binding_steps(response.material)
        apply_binding(rng, ev["te"], edges, keep, ev["edep"], flags)
    else:
        ev["edep"][:] = ev["te"]

    # 2. energy
    res = response.resolution
    if res is None:
        ev["erec"][:] = ev["edep"]
    elif isinstance(res, GaussianResolution):
        gaussian_smear(rng, ev["edep"], flags, res.a, res.b, ev["erec"])
    elif res.mode == "fast":
        log_e, mean_ratio, log_rel_sigma = nest_table(res)
        nest_fast_smear(rng, ev["edep"], flags, log_e, mean_ratio, log_rel_sigma, ev["erec"])
    else:
        if nest_seed is None:
            nest_seed = int(rng.integers(0, 2**31))
        elif isinstance(nest_seed, bool) or not (
            isinstance(nest_seed, int | np.integer) and 0 <= nest_seed < 2**31
        ):
            raise ValueError(f"nest_seed = {nest_seed!r}: must be an integer in [0, 2**31 - 1]")
        nest_full_smear(res, ev["edep"], flags, int(nest_seed), ev["erec"])

    # 3. vertex
    vtx = (ev["vtx_x"], ev["vtx_y"], ev["vtx_z"])
    rec = (ev["rec_x"], ev["rec_y"], ev["rec_z"])
    if response.position_sigma_cm > 0.0:
        smear_positions(rng, *vtx, flags, response.position_sigma_cm, *rec)
    else:
        copy_unless_removed(*vtx, flags, *rec)

    # 4. direction
    true_dir = (ev["e_dx"], ev["e_dy"], ev["e_dz"])
    rec_dir = (ev["rec_dx"], ev["rec_dy"], ev["rec_dz"])
    if response.angular_sigma_rad > 0.0:
        smear_directions(rng, *true_dir, flags, response.angular_sigma_rad, *rec_dir)
    elif directions:
        copy_unless_removed(*true_dir, flags, *rec_dir)

    # 5. selection
    lo, hi = response.window_mev if response.window_mev is not None else (-np.inf, np.inf)
    if response.fiducial is None:
        kind, params = NO_FIDUCIAL, np.zeros(8)
    else:
        kind, params = response.fiducial.kind, response.fiducial.params
    fid = rec if response.fiducial_on == "reconstructed" else vtx
    select(
        rng,
        ev["erec"],
        *fid,
        flags,
        response.threshold_mev,
        lo,
        hi,
        kind,
        params,
        response.efficiency,
    )
