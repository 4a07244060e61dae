"""From a validated run card to the plain objects the stages use.

:func:`build_experiment` resolves the source (spectrum, activity over the
deployments, shape and shields), the interaction model, the detector (solid,
material, electrons) and checks the geometry: solids must not overlap, and a
source inside the detector's envelope must be stated in the card
(``detector.source_inside = true``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activity_bounds import DENSEST_G_CM3
from .generator.activity import Deployment, total_decays
from .generator.constants import CURIE_BQ
from .generator.model import PhysicsModel
from .generator.neutrino_spectrum import NuSpectrum, from_source
from .generator.sources import Source as NuSource
from .generator.sources import get_source
from .generator.zprime import parse_zprime
from .geometry import (
    Box,
    Cylinder,
    CylindricalShell,
    Material,
    SphericalShell,
    get_material,
    helium_gas,
)
from .geometry import Source as GeoSource
from .runcard import _SHAPE_KEYS, CardError, CardWarning, RunCard

ENDPOINT_RANGE = (0.5, 2.0)
"""endpoint_kev may be this range × the nuclide's Q (an endpoint is the nuclide's, to a few %)."""

DAY = 86400.0


@dataclass(frozen=True)
class Experiment:
    """Everything a run needs, resolved from its card (plain values and objects).

    Attributes
    ----------
    card : RunCard
    nu_source : generator Source (isotope data)
    spectrum : NuSpectrum (per neutrino)
    model : PhysicsModel
    deployments : tuple of activity Deployments (times in s, activity in Bq)
    geo_source : geometry Source (active cylinder or point, shields)
    detector : geometry solid
    material : geometry Material of the detector
    window_mev : (T_lo, T_hi) [MeV]
    """

    card: RunCard
    nu_source: NuSource
    spectrum: NuSpectrum
    model: PhysicsModel
    deployments: tuple[Deployment, ...]
    geo_source: GeoSource
    detector: object
    material: Material
    window_mev: tuple[float, float]
    card_dir: str | None = None
    """Directory of the card file (relative data files are found there)."""

    @property
    def components(self) -> tuple:
        """The card's validated [[components]] entries (the signal is not among them)."""
        return self.card.components

    @property
    def decays(self) -> float:
        """Source decays over all deployments."""
        return total_decays(self.deployments, self.nu_source.half_life_s)

    @property
    def neutrinos(self) -> float:
        """Neutrinos emitted over all deployments."""
        return self.decays * self.spectrum.nu_per_decay

    @property
    def electron_density_cm3(self) -> float:
        """Electrons per cm³ of the detector (all shells)."""
        return self.material.electron_density_cm3

    @property
    def detector_mass_kg(self) -> float:
        return self.detector.volume_cm3 * self.material.density_g_cm3 * 1e-3

    @property
    def electrons(self) -> float:
        """Electrons in the detector volume."""
        return self.electron_density_cm3 * self.detector.volume_cm3

    @property
    def oscillation(self):
        """(sin²2θ, Δm² [eV²], 'weight'|'accept') or None."""
        o = self.card.oscillation
        return None if o is None else (o.sin2_2theta, o.dm2_ev2, o.apply)


def _deployments(src_card, half_life_s) -> tuple[Deployment, ...]:
    if src_card.deployments is not None:
        deps = [
            Deployment(d.start_days * DAY, d.length_days * DAY, d.activity_ci * CURIE_BQ)
            for d in src_card.deployments
        ]
    else:
        # activity_ci is the activity at t = 0; the run starts at start_days
        tau = half_life_s / math.log(2.0)
        a_start = src_card.activity_ci * CURIE_BQ * math.exp(-src_card.start_days * DAY / tau)
        deps = [Deployment(src_card.start_days * DAY, src_card.run_days * DAY, a_start)]
    return tuple(deps)


def _material(det) -> Material:
    if det.material == "He":
        m = helium_gas(det.pressure_bar or 5.0, det.temperature_k or 77.0)
    else:
        m = get_material(det.material)
    if det.density_g_cm3 is not None:
        m = Material(m.name, det.density_g_cm3, m.composition)
    return m


def _solid(det):
    c = tuple(det.center_cm)
    if det.shape == "cylinder":
        return Cylinder(det.radius_cm, det.height_cm / 2, c)
    if det.shape == "sphere":
        return SphericalShell(0.0, det.radius_cm, c)
    if det.shape == "spherical_shell":
        return SphericalShell(det.inner_radius_cm, det.outer_radius_cm, c)
    if det.shape == "cylindrical_shell":
        return CylindricalShell(det.inner_radius_cm, det.outer_radius_cm, det.height_cm / 2, c)
    return Box(*(s / 2 for s in det.size_cm), c)


def _envelope_contains(det, point) -> bool:
    """Is the point inside the detector's outer envelope (material or hollow)?"""
    x, y, z = (p - c for p, c in zip(point, det.center_cm, strict=True))
    if det.shape in ("sphere", "spherical_shell"):
        r = det.radius_cm if det.shape == "sphere" else det.outer_radius_cm
        return x * x + y * y + z * z < r * r
    if det.shape in ("cylinder", "cylindrical_shell"):
        r = det.radius_cm if det.shape == "cylinder" else det.outer_radius_cm
        return x * x + y * y < r * r and abs(z) < det.height_cm / 2
    return all(abs(v) < s / 2 for v, s in zip((x, y, z), det.size_cm, strict=True))


def _check_geometry(path, card: RunCard, geo_source: GeoSource, solid) -> None:
    from .runcard import CardError

    # points on and in the outermost cylinder of the source with its shields
    r, h = geo_source.outer_radius_cm, geo_source.outer_half_height_cm
    cx, cy, cz = geo_source.center
    if geo_source.shield_shape == "sphere" and geo_source.shields:
        # points in the outermost ball; its surface may touch the detector (a detector
        # that starts at the shield), so the outermost points sit 1e-9 of r inside
        rr, th, ph = np.meshgrid(
            np.linspace(0, r * (1.0 - 1e-9), 9),
            np.linspace(0, math.pi, 13),
            np.linspace(0, 2 * math.pi, 24, endpoint=False),
        )
        st = np.sin(th)
        pts = np.stack(
            [cx + rr * st * np.cos(ph), cy + rr * st * np.sin(ph), cz + rr * np.cos(th)], axis=-1
        ).reshape(-1, 3)
        what = f"a ball of radius {r:g} cm"
    else:
        rr, pp, zz = np.meshgrid(
            np.linspace(0, r, 9),
            np.linspace(0, 2 * math.pi, 24, endpoint=False),
            np.linspace(-h, h, 17),
        )
        pts = np.stack([cx + rr * np.cos(pp), cy + rr * np.sin(pp), cz + zz], axis=-1).reshape(
            -1, 3
        )
        what = f"radius {r:g} cm, height {2 * h:g} cm"
    centre, radius = solid.bounding_sphere  # points beyond it cannot be inside (~10 ms saved)
    near = np.sum((pts - centre) ** 2, axis=1) <= (radius * (1.0 + 1e-9)) ** 2
    near |= not math.isfinite(radius)
    if any(solid.contains(p) for p in pts[near]):
        raise CardError(
            f"run card {path}: detector: the source with its shields ({what} "
            f"at {tuple(geo_source.center)}) overlaps the detector volume; "
            "move the detector (detector.center_cm, source.center_cm) or change its size "
            f"({', '.join(f'detector.{k}' for k in _SHAPE_KEYS[card.detector.shape])}, "
            "source.diameter_cm, height_cm, shields, shield_shape)"
        )
    inside = _envelope_contains(card.detector, geo_source.center)
    if inside and not card.detector.source_inside:
        raise CardError(
            f"run card {path}: detector.source_inside: the source (source.center_cm) sits inside "
            "the detector's envelope (detector.center_cm and size); state it with "
            "source_inside = true"
        )
    if card.detector.source_inside and not inside:
        raise CardError(
            f"run card {path}: detector.source_inside = true, but the source at "
            f"source.center_cm = {list(geo_source.center)} is outside the detector's envelope "
            "(detector.center_cm and size)"
        )


def check_endpoint(isotope: str, endpoint_kev, *, key: str) -> None:
    """Refuse an endpoint Q [keV] far from the nuclide's own; warn (one line) beyond 10 %."""
    if endpoint_kev is None:
        return
    branches = get_source(isotope).to_dict().get("branches", [])
    if len(branches) != 1:
        return  # get_source says why the option does not apply
    q = float(branches[0]["q_mev"]) * 1e3
    lo, hi = ENDPOINT_RANGE
    e = float(endpoint_kev)
    if not (math.isfinite(e) and lo * q <= e <= hi * q):
        raise ValueError(
            f"{key}: {endpoint_kev:g} keV is not an endpoint of {isotope} (Q = {q:.5g} keV); "
            f"allowed: {lo * q:.4g} to {hi * q:.4g} keV"
        )
    if abs(e / q - 1) > 0.1:
        warnings.warn(
            f"{key} = {e:g} keV differs from {isotope}'s Q = {q:.5g} keV by "
            f"{100 * (e / q - 1):+.0f} %",
            CardWarning,
            stacklevel=2,
        )


def _check_source_activity(path, src_card, nu_source) -> None:
    """Refuse an activity a source of the card's size cannot hold (its volume of pure
    isotope at osmium's density); warn beyond the isotope at its element's usual density."""
    from .activity_bounds import source_activity_limits_ci

    if src_card.shape != "cylinder":
        return  # a point has no volume to bound it by
    volume = math.pi * (src_card.diameter_cm / 2) ** 2 * src_card.height_cm
    most, usual, form = source_activity_limits_ci(nu_source.half_life_s, nu_source.nuclide, volume)
    if src_card.deployments is None:
        given = [("source.activity_ci", src_card.activity_ci)]
    else:
        given = [
            (f"source.deployments[{i}].activity_ci", d.activity_ci)
            for i, d in enumerate(src_card.deployments)
        ]
    size = f"{src_card.diameter_cm:g} × {src_card.height_cm:g} cm, {volume:.4g} cm³"
    for key, ci in given:
        if ci > most:
            raise CardError(
                f"run card {path}: {key}: {ci:g} Ci is more than the source ({size}) could hold "
                f"even as pure {nu_source.nuclide} at {DENSEST_G_CM3} g/cm³ (osmium, the densest "
                f"material); allowed: up to {most:.3g} Ci"
            )
        if usual is not None and ci > usual:
            warnings.warn(
                f"{key} = {ci:g} Ci needs the source ({size}) denser in {nu_source.nuclide} "
                f"than pure {form} ({usual:.3g} Ci)",
                CardWarning,
                stacklevel=3,
            )


def _check_response(path, card: RunCard, spectrum, window, solid) -> None:
    """Thresholds and windows against kinematics, the fiducial volume against the detector."""
    from .generator.kinematics import t_max

    top_kev = float(getattr(t_max, "py_func", t_max)(spectrum.max_energy)) * 1e3
    if card.window.tmax_kev is not None and card.window.tmax_kev > top_kev and not card.components:
        warnings.warn(
            f"window.tmax_kev = {card.window.tmax_kev:g} keV is above T_max = {top_kev:.4g} keV "
            "of the source's highest neutrino energy; the window ends there",
            CardWarning,
            stacklevel=3,
        )
    r = card.response
    if r is None:
        return
    # events are generated in [window]; with components, up to their own energies
    hi_kev = math.inf if card.components else min(window[1] * 1e3, top_kev)
    if r.threshold_kev >= hi_kev:
        raise CardError(
            f"run card {path}: response.threshold_kev: {r.threshold_kev:g} keV is at or above "
            f"the highest recoil energy of the run ({hi_kev:.4g} keV: the window and T_max); "
            "no event could be selected"
        )
    if r.window_kev is not None and r.window_kev[0] >= hi_kev:
        raise CardError(
            f"run card {path}: response.window_kev: [{r.window_kev[0]:g}, {r.window_kev[1]:g}] "
            f"keV starts at or above the highest recoil energy of the run ({hi_kev:.4g} keV); "
            "no event could be selected"
        )
    if r.fiducial is not None:
        _check_fiducial(path, r.fiducial, solid)


def _check_fiducial(path, fid_card, solid) -> None:
    """Refuse a fiducial volume outside the detector; warn if part of it is outside."""
    from .geometry.uniform import uniform_points

    try:
        fid = _solid(fid_card)
    except ValueError as exc:
        raise CardError(f"run card {path}: response.fiducial: {exc}") from None
    pts = uniform_points(fid, 4000, np.random.default_rng(0))  # a check, not a run stream
    inside = np.array([solid.contains(p) for p in pts])
    share = float(inside.mean())
    if share == 0.0:
        raise CardError(
            f"run card {path}: response.fiducial: the fiducial volume lies entirely outside the "
            "detector; move it (center_cm) or change its size"
        )
    if share < 0.999:
        warnings.warn(
            f"response.fiducial: about {100 * (1 - share):.0f} % of the fiducial volume lies "
            "outside the detector (no events come from there)",
            CardWarning,
            stacklevel=3,
        )


def interaction_model(
    flavour,
    *,
    couplings="radiative",
    sin2w=None,
    mu=0.0,
    zprime=None,
    zprime_form="exact",
    e6_charges="consistent",
    reference_zprime="chi",
) -> PhysicsModel:
    """The interaction model of a flavour: the one place run cards and `xsec` build it."""
    mu = 0.0 if mu is None else mu
    if not (math.isfinite(mu) and 0 <= mu <= 1e-6):
        raise ValueError(f"mu_bohr: {mu} μ_B is not allowed; it must be 0 to 1e-6")
    zp = parse_zprime(zprime, form=zprime_form, charges=e6_charges) if zprime else None
    return PhysicsModel(flavour, couplings, sin2w, mu, zp, reference_zprime)


def recoil_window(
    spectrum, model, tmin_kev, tmax_kev, *, keys=("window.tmin_kev", "window.tmax_kev")
) -> tuple[float, float]:
    """The recoil window [MeV] from limits in keV: the one place its rules live.

    T_lo ≥ 0 and finite, T_lo < T_hi, T_lo below T_max of the source's highest
    neutrino energy, and T_lo > 0 with a magnetic moment (dσ_μ/dT ∝ 1/T: its
    integral needs a lower limit).  ``keys`` name the limits in messages
    (card keys, or the command line's flags).
    """
    from .generator.kinematics import t_max

    k_lo, k_hi = keys
    lo = 0.0 if tmin_kev is None else float(tmin_kev) * 1e-3
    hi = math.inf if tmax_kev is None else float(tmax_kev) * 1e-3
    if not (math.isfinite(lo) and lo >= 0):
        raise ValueError(f"{k_lo}: {tmin_kev} keV is not allowed; it must be a number ≥ 0")
    if math.isnan(hi) or hi <= 0:
        raise ValueError(f"{k_hi}: {tmax_kev} keV is not allowed; it must be a number > 0")
    if lo >= hi:
        raise ValueError(
            f"{k_lo} = {tmin_kev} keV must be below {k_hi} = {tmax_kev} keV (T_lo < T_hi)"
        )
    if model.mu > 0 and not lo > 0:
        raise ValueError(
            f"{k_lo} > 0 is required with a magnetic moment: dσ_μ/dT ∝ 1/T diverges as T → 0, "
            f"so its integral needs a lower limit (e.g. {k_lo} = 2)"
        )
    top = float(getattr(t_max, "py_func", t_max)(spectrum.max_energy))  # (no kernel loading)
    if lo >= top:
        raise ValueError(
            f"{k_lo}: {tmin_kev} keV is at or beyond T_max = {top * 1e3:.4g} keV of the "
            "source's highest neutrino energy; no recoil is possible"
        )
    return lo, hi


def build_experiment(card: RunCard, path="<card>") -> Experiment:
    """Resolve a validated run card (errors name the card's key)."""
    from .runcard import CardError

    s = card.source
    spectrum_file = s.spectrum_file
    if spectrum_file is not None and not Path(spectrum_file).is_absolute() and path != "<card>":
        spectrum_file = str(Path(path).parent / spectrum_file)
    try:
        check_endpoint(s.isotope, s.endpoint_kev, key="source.endpoint_kev")
        nu_source = get_source(
            s.isotope, endpoint_kev=s.endpoint_kev, fermi=s.fermi, spectrum_file=spectrum_file
        )
    except ValueError as exc:
        raise CardError(f"run card {path}: source: {exc}") from None
    _check_source_activity(path, s, nu_source)
    spectrum = from_source(nu_source)
    p = card.physics
    try:
        model = interaction_model(
            nu_source.flavour,
            couplings=p.couplings,
            sin2w=p.sin2w,
            mu=p.mu_bohr,
            zprime=p.zprime,
            zprime_form=p.zprime_form,
            e6_charges=p.e6_charges,
            reference_zprime=p.reference_zprime,
        )
    except ValueError as exc:
        raise CardError(f"run card {path}: physics: {exc}") from None
    shields = tuple((sh.material, sh.thickness_cm) for sh in s.shields)
    for i, (name, _) in enumerate(shields):
        try:
            get_material(name)
        except ValueError as exc:
            raise CardError(f"run card {path}: source.shields[{i}].material: {exc}") from None
    try:
        if s.shape == "point":
            geo_source = GeoSource.point(tuple(s.center_cm), shields, s.shield_shape)
        else:
            geo_source = GeoSource(
                s.diameter_cm / 2, s.height_cm / 2, tuple(s.center_cm), shields, s.shield_shape
            )
        solid = _solid(card.detector)
        material = _material(card.detector)
    except ValueError as exc:
        raise CardError(f"run card {path}: {exc}") from None
    _check_geometry(path, card, geo_source, solid)
    try:
        window = recoil_window(spectrum, model, card.window.tmin_kev, card.window.tmax_kev)
    except ValueError as exc:
        raise CardError(f"run card {path}: {exc}") from None
    _check_response(path, card, spectrum, window, solid)
    return Experiment(
        card=card,
        nu_source=nu_source,
        spectrum=spectrum,
        model=model,
        deployments=_deployments(s, nu_source.half_life_s),
        geo_source=geo_source,
        detector=solid,
        material=material,
        window_mev=window,
        card_dir=None if path == "<card>" else str(Path(str(path)).parent),
    )


def load_experiment(card_path, overrides: dict | None = None):
    """Read, validate and resolve a run card: (experiment, card text as run).

    ``overrides``: dotted card keys → values that replace the card's (see
    :func:`nusource.runcard.load_card`).
    """
    from .runcard import load_card

    card, text = load_card(card_path, overrides)
    return build_experiment(card, str(card_path)), text


@dataclass(frozen=True)
class GeometricFactor:
    """G = ⟨∫ dV/(4πL²)⟩ over the source [cm], with its MC error (0 if analytic)."""

    value_cm: float
    error_cm: float
    method: str


def geometric_factor(exp: Experiment, *, samples: int | None = None) -> GeometricFactor:
    """Analytic where a closed form exists (point sources), else Monte Carlo.

    The MC stream is the run's own (seed, component 0, 'geometry'), so the
    value is reproducible.
    """
    from .core.randomness import COUNT_CHUNK, chunk_rng
    from .geometry import geometric_factor_exact, geometric_factor_mc

    exact = geometric_factor_exact(exp.geo_source, exp.detector)
    if exact is not None:
        return GeometricFactor(float(exact), 0.0, "analytic")
    from .core.table_cache import cached_arrays

    n = samples or exp.card.geometry_mc_samples
    src, det = exp.geo_source, exp.detector
    inputs = [
        [float(x) for x in np.ravel(src.params)],
        [int(det.kind), [float(x) for x in det.params]],
        int(n),
        int(exp.card.seed),
    ]

    def mc():
        rng = chunk_rng(exp.card.seed, 0, COUNT_CHUNK, "geometry")
        return np.array(geometric_factor_mc(src, det, n, rng))

    (value, error) = cached_arrays(
        "geometric_factor",
        inputs,
        lambda: (mc(),),
        modules=("nusource.geometry.vertices", "nusource.geometry.geometric_factor"),
    )[0]
    return GeometricFactor(float(value), float(error), f"Monte Carlo ({n} samples)")


def exposure_per_cm2(exp: Experiment, g: GeometricFactor) -> float:
    """Neutrinos × electron density × geometric factor [cm⁻²]: events = exposure × σ̄."""
    return exp.neutrinos * exp.electron_density_cm3 * g.value_cm


def signal_spec(exp: Experiment, *, mode=None, n_events=None, seed=None, exposure=None):
    """The generator spec of a run's signal (geometry, activity and oscillation placed).

    Returns (spec, geometric factor).  Defaults come from the card; ``exposure``
    [cm⁻²] overrides neutrinos × n_e × G (tests use it to scale a run).
    """
    from .generator.placement import make_placement
    from .generator.signal import make_signal_spec

    card = exp.card
    g = geometric_factor(exp)
    placement = make_placement(
        exp.geo_source, exp.detector, exp.deployments, exp.nu_source.half_life_s, exp.oscillation
    )
    lo, hi = exp.window_mev
    spec = make_signal_spec(
        exp.spectrum,
        exp.model,
        tmin_mev=lo,
        tmax_mev=hi,
        mode=card.mode if mode is None else mode,
        n_events=card.n_events if n_events is None else n_events,
        exposure=exposure_per_cm2(exp, g) if exposure is None else exposure,
        proposal_mu=card.proposal_mu_bohr,
        seed=card.seed if seed is None else seed,
        placement=placement,
    )
    return spec, g


def detector_response(exp: Experiment):
    """The card's [response] as a detsim DetectorResponse (None: no response section).

    Unset resolution parameters take the material's defaults (docs/physics.md §6).
    """
    from .detsim.resolution import GaussianResolution
    from .detsim.response import DetectorResponse, default_response
    from .runcard import CardError

    r = exp.card.response
    if r is None:
        return None
    material = exp.card.detector.material
    if r.resolution == "none":
        res = None
    elif r.resolution == "nest":
        from .detsim.nest_response import NestResolution

        if material != "LXe":
            raise CardError(
                f"run card: response.resolution = 'nest' needs detector.material = 'LXe' "
                f"(got '{material}')"
            )
        res = NestResolution(mode=r.nest_mode, drift_field_v_cm=r.nest_field_v_cm)
    else:
        base = default_response(material).resolution
        res = GaussianResolution(
            base.a if r.resolution_a is None else r.resolution_a,
            base.b if r.resolution_b is None else r.resolution_b,
        )
    window = None if r.window_kev is None else (r.window_kev[0] * 1e-3, r.window_kev[1] * 1e-3)
    try:
        fiducial = None if r.fiducial is None else _solid(r.fiducial)
        return DetectorResponse(
            material,
            binding=r.binding,
            resolution=res,
            angular_sigma_rad=r.angular_sigma_mrad * 1e-3,
            position_sigma_cm=r.position_sigma_cm,
            threshold_mev=r.threshold_kev * 1e-3,
            window_mev=window,
            efficiency=r.efficiency,
            fiducial=fiducial,
            fiducial_on="reconstructed" if r.fiducial is None else r.fiducial.on,
        )
    except ValueError as exc:
        raise CardError(f"run card: response: {exc}") from None


def fiducial_acceptance(exp: Experiment, response, *, samples: int = 1_000_000):
    """Share of the signal's vertices that pass the response's fiducial cut: (value, error).

    The vertices are drawn as the signal's are (∝ n_e dV/(4πL²) from the
    source volume), smeared by the position resolution when the cut tests the
    reconstructed vertex, and tested against the fiducial solid; the error is
    binomial.  The share does not depend on the recoil energy (dσ/dT does not
    depend on position), so it multiplies the exact expectation.  (1, 0)
    without a fiducial cut.  The stream is the run's own (seed, component 0,
    'fiducial'), so the value is reproducible.
    """
    if response is None or response.fiducial is None:
        return 1.0, 0.0
    from .core.randomness import COUNT_CHUNK, chunk_rng
    from .detsim.selection import OUTSIDE_FIDUCIAL, select
    from .detsim.smearing import smear_positions
    from .generator.placement import make_placement, place_events
    from .io.schema import empty_columns

    placement = make_placement(
        exp.geo_source, exp.detector, exp.deployments, exp.nu_source.half_life_s
    )
    rng = chunk_rng(exp.card.seed, 0, COUNT_CHUNK, "fiducial")
    cols = empty_columns(samples)
    place_events(placement, rng, samples, cols)
    x, y, z = cols["vtx_x"], cols["vtx_y"], cols["vtx_z"]
    flags = np.zeros(samples, dtype=np.uint32)
    if response.fiducial_on == "reconstructed" and response.position_sigma_cm > 0:
        rx, ry, rz = np.empty(samples), np.empty(samples), np.empty(samples)
        smear_positions(rng, x, y, z, flags, response.position_sigma_cm, rx, ry, rz)
        x, y, z = rx, ry, rz
    fid = response.fiducial
    select(
        rng,
        np.ones(samples),
        x,
        y,
        z,
        flags,
        0.0,
        -np.inf,
        np.inf,
        int(fid.kind),
        np.ascontiguousarray(fid.params, dtype=float),
        1.0,
    )
    p = float(np.mean((flags & OUTSIDE_FIDUCIAL) == 0))
    return p, math.sqrt(p * (1 - p) / samples)
