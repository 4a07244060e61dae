"""The jobs the command line runs: each parses nothing and prints nothing.

A job takes plain values, calls the stages and returns a JSON-ready dict (and
writes files where that is its purpose).
"""

import math
import time
from pathlib import Path

import numpy as np

from .generator.flux_average import flux_averaged
from .generator.model import PhysicsModel
from .generator.neutrino_spectrum import from_source
from .generator.sources import SOURCE_NAMES, get_source


def sources_table() -> list[dict]:
    """The built-in sources (lines or β branches, half-lives, flavour, provenance)."""
    return [get_source(name).to_dict() for name in SOURCE_NAMES]


def build_model(
    source,
    *,
    couplings="radiative",
    sin2w=None,
    mu=0.0,
    zprime=None,
    zprime_form="exact",
    e6_charges="consistent",
) -> PhysicsModel:
    """The interaction model for a source's flavour and the command line's model options."""
    from .experiment import interaction_model

    try:
        return interaction_model(
            source.flavour,
            couplings=couplings,
            sin2w=sin2w,
            mu=mu,
            zprime=zprime,
            zprime_form=zprime_form,
            e6_charges=e6_charges,
        )
    except ValueError as exc:
        raise ValueError(str(exc).replace("mu_bohr:", "--mu:")) from None


def window_mev(spectrum, model, tmin_kev, tmax_kev) -> tuple[float, float]:
    """The recoil window [MeV] from the command line's options in keV, validated."""
    from .experiment import recoil_window

    return recoil_window(spectrum, model, tmin_kev, tmax_kev, keys=("--tmin-kev", "--tmax-kev"))


def xsec(
    source_name: str,
    *,
    tmin_kev=None,
    tmax_kev=None,
    endpoint_kev=None,
    fermi="relativistic",
    spectrum_file=None,
    **model_options,
) -> dict:
    """Flux-averaged cross section per electron of a source in a recoil window."""
    from .experiment import check_endpoint

    check_endpoint(source_name, endpoint_kev, key="--endpoint-kev")
    src = get_source(
        source_name, endpoint_kev=endpoint_kev, fermi=fermi, spectrum_file=spectrum_file
    )
    spectrum = from_source(src)
    model = build_model(src, **model_options)
    lo, hi = window_mev(spectrum, model, tmin_kev, tmax_kev)
    fa = flux_averaged(spectrum, model, lo, hi)
    return {
        "source": src.name,
        "flavour": src.flavour,
        "model": model.to_dict(),
        "tmin_kev": lo * 1e3,
        "tmax_kev": fa.tmax_mev * 1e3,
        "sigma_cm2": fa.total,
        "sigma_sm_cm2": fa.sm,
        "sigma_mu_cm2": fa.mu,
        "sigma_zprime_cm2": fa.zprime,
        "sigma_mag_per_mub2_cm2": fa.mag_unit,
        "sigma_zprime_per_gamma_cm2": fa.zlin_unit,
        "sigma_zprime_per_gamma2_cm2": fa.zquad_unit,
        "mean_enu_mev": spectrum.mean_energy(),
        "units": "cm^2 per electron, averaged over the source's neutrino spectrum",
    }


def sample(
    source_name: str,
    output,
    *,
    n=None,
    seed=0,
    mode="fixed",
    exposure=1.0,
    proposal_mu=None,
    chunk_size=1_000_000,
    tmin_kev=None,
    tmax_kev=None,
    endpoint_kev=None,
    fermi="relativistic",
    spectrum_file=None,
    command=None,
    progress=None,
    overwrite=False,
    **model_options,
) -> dict:
    """Sample events of a source (no geometry) and write them to ``output``."""
    from .components.signal import signal_metadata
    from .core.randomness import chunk_key, chunk_rng
    from .experiment import check_endpoint
    from .generator.signal import generate_signal_chunk, make_signal_spec
    from .io.provenance import provenance
    from .io.writer import EventWriter, check_output
    from .production.plan import chunk_sizes

    check_output(output, overwrite=overwrite)
    check_endpoint(source_name, endpoint_kev, key="--endpoint-kev")
    src = get_source(
        source_name, endpoint_kev=endpoint_kev, fermi=fermi, spectrum_file=spectrum_file
    )
    spectrum = from_source(src)
    model = build_model(src, **model_options)
    lo, hi = window_mev(spectrum, model, tmin_kev, tmax_kev)
    if mode != "exposure" and n is None:
        raise ValueError("-n is required (the number of events) unless --mode exposure")
    t0 = time.perf_counter()
    spec = make_signal_spec(
        spectrum,
        model,
        tmin_mev=lo,
        tmax_mev=hi,
        mode=mode,
        n_events=n,
        exposure=exposure,
        proposal_mu=proposal_mu,
        seed=seed,
    )
    sizes = chunk_sizes(spec.n_generated, chunk_size)
    meta = {
        **signal_metadata(spec, mode),
        "seed": seed,
        "chunk_keys": [chunk_key(seed, 0, k) for k in range(len(sizes))],
        "chunk_size": chunk_size,
        "n_events": int(spec.n_generated),
        "exposure_description": (
            "neutrinos × electrons per cm² (1: weights are cross sections in cm²)"
        ),
        "source": src.to_dict(),
        "provenance": provenance(command=command),
    }
    # chunk after chunk into the file (not gathered first): memory stays that of a
    # chunk, and Ctrl-C is taken between chunks; the file appears only when complete
    with EventWriter(output, meta, overwrite=overwrite, n_events=int(spec.n_generated)) as w:
        first = 0
        for k, m in enumerate(sizes):
            w.append(generate_signal_chunk(spec, chunk_rng(seed, 0, k), m, first_id=first))
            first += m
            if progress is not None:
                progress(m)
        if not sizes:
            w.append(generate_signal_chunk(spec, chunk_rng(seed, 0, 0), 0))
    return {
        "output": str(output),
        "events": int(spec.n_generated),
        "expected_events": spec.expected_events,
        "sigma_cm2": spec.xsec.total,
        "seconds": time.perf_counter() - t0,
    }


def rate(card_path, *, geometry_samples=None, overrides=None) -> dict:
    """Expected ν–e events in the card's recoil window, and what they multiply."""
    from .core.randomness import COUNT_CHUNK, chunk_rng
    from .experiment import exposure_per_cm2, geometric_factor, load_experiment
    from .generator.placement import make_placement, mean_survival
    from .generator.recoil_sampler import make_recoil_sampler

    exp, _ = load_experiment(card_path, overrides)
    lo, hi = exp.window_mev
    fa = flux_averaged(exp.spectrum, exp.model, lo, hi)
    g = geometric_factor(exp, samples=geometry_samples)
    exposure = exposure_per_cm2(exp, g)
    n = exposure * fa.total
    out = {
        "card": str(card_path),
        "title": exp.card.title,
        "signal_events": n,
        "signal_events_stat_error_from_g": n * g.error_cm / g.value_cm,
        "decays": exp.decays,
        "neutrinos": exp.neutrinos,
        "electrons": exp.electrons,
        "electron_density_cm3": exp.electron_density_cm3,
        "detector_mass_kg": exp.detector_mass_kg,
        "geometric_factor_cm": g.value_cm,
        "geometric_factor_error_cm": g.error_cm,
        "geometric_factor_method": g.method,
        "exposure_per_cm2": exposure,
        "sigma_cm2": fa.total,
        "sigma_sm_cm2": fa.sm,
        "sigma_mu_cm2": fa.mu,
        "sigma_zprime_cm2": fa.zprime,
        "window_kev": [lo * 1e3, fa.tmax_mev * 1e3],
        "formula": "signal_events = decays × ν/decay × n_e [cm⁻³] × G [cm] × σ̄ [cm²]",
    }
    if exp.oscillation is not None:
        pl = make_placement(
            exp.geo_source,
            exp.detector,
            exp.deployments,
            exp.nu_source.half_life_s,
            exp.oscillation,
        )
        sampler = make_recoil_sampler(exp.spectrum, exp.model, lo, hi)
        rng = chunk_rng(exp.card.seed, 0, COUNT_CHUNK - 1, "geometry")
        p, dp = mean_survival(pl, rng, sampler)
        out["mean_p_ee"], out["mean_p_ee_error"] = p, dp
        out["signal_events_oscillated"] = n * p
    out["generation_window_kev"] = [lo * 1e3, None if math.isinf(hi) else hi * 1e3]
    out["components"] = component_rates(exp, n)
    return out


def component_rates(exp, signal_events: float) -> dict:
    """Expected events of every component in the card's window (and decays, for decays)."""
    from .components import SIGNAL_INDEX, build_components

    days = sum(d.length_s for d in exp.deployments) / 86400.0
    rows = {"signal": {"index": SIGNAL_INDEX, "kind": "signal", "events": signal_events}}

    class _NoSignal:
        name, index = "signal", SIGNAL_INDEX

    built = build_components(exp, _NoSignal(), mode="fixed", n_events=0, seed=exp.card.seed)
    for c in built[1:]:
        row = {"index": c.index, "kind": c.kind, "events": c.expected_events}
        if hasattr(c, "decays"):
            row["decays"] = c.decays
        row["events_per_t_day"] = c.expected_events / (exp.detector_mass_kg * 1e-3) / days
        if hasattr(c, "rate_items"):  # (a component's own figures: source γ rates)
            row.update(c.rate_items())
        rows[c.name] = row
    return rows


def sample_card(
    card_path,
    output,
    *,
    n=None,
    seed=None,
    mode=None,
    chunk_size=None,
    command=None,
    progress=None,
    workers=1,
    overwrite=False,
    overrides=None,
) -> dict:
    """Generator truth of a run card's signal (vertices, flight, times) to a file.

    The same resumable, chunked production as `simulate`, without the detector.
    """
    from .production import plan, simulate

    prod = plan(
        card_path,
        output,
        n=n,
        mode=mode,
        seed=seed,
        chunk_size=chunk_size,
        overwrite=overwrite,
        detector=False,
        overrides=overrides,
    )
    t0 = time.perf_counter()
    r = simulate(prod, workers=workers, progress=progress, overwrite=overwrite)
    r["sigma_cm2"] = prod.components[0].spec.xsec.total
    r["seconds"] = time.perf_counter() - t0
    return r


LAMA_1T_OUTER_RADIUS_CM = 43.209489
"""Outer radius [cm] of 1 t of NaI (3.67 g/cm³) in a spherical shell from 25 cm (seed geometry)."""


def lama_seed_1t_card_text(text: str) -> str:
    """The LAMA seed card's text with the NaI shell holding 1 t instead of 400 kg.

    The same source and compact shield; only the shell's outer radius grows
    (:data:`LAMA_1T_OUTER_RADIUS_CM`), so G grows less than the mass.
    """
    import re

    out, n = re.subn(
        r"(?m)^outer_radius_cm = .*$", f"outer_radius_cm = {LAMA_1T_OUTER_RADIUS_CM}", text
    )
    if n != 1:
        raise ValueError("the LAMA seed card has no single detector outer_radius_cm to scale")
    return out.replace("400 kg", "1 t")


def reproduce_lama(
    *, files=None, n=2_000_000, seed=None, plots=None, workers=1, progress=None
) -> dict:
    """Seed 000 (LAMA) end to end: simulate the seed card (or read its files) and compare.

    Every number comes from the card's own exposure (no normalisation taken from
    the seed); the 1 t reach uses the same card with a 1 t NaI shell.
    """
    import tempfile

    from .analysis import lama
    from .experiment import build_experiment, detector_response, geometric_factor
    from .io.readers import read_events
    from .production import plan, simulate
    from .runcard import parse_card, shipped_card

    card_path = shipped_card("lama_seed000.toml")
    if files is None:
        with tempfile.TemporaryDirectory() as tmp:
            prod = plan(card_path, Path(tmp) / "lama_seed000.h5", n=n, seed=seed)
            simulate(prod, workers=workers, progress=progress)
            data = read_events(prod.output)
    else:
        data = read_events(files)
    meta = data.run  # the files combined: exposures add, gen_norm follows (nusource.io.runs)
    if meta.get("mode") not in ("fixed", "weighted"):
        raise ValueError(
            "reproduce lama needs files of a 'fixed' or 'weighted' run (weights are expected "
            f"events); these are mode '{meta.get('mode')}'"
        )
    text = meta["provenance"]["run_card"]
    exp = build_experiment(parse_card(text, "the files' run card"))
    response = detector_response(exp)
    sigma = (
        None if response is None or response.resolution is None else (response.resolution.sigma_mev)
    )
    exp_1t = build_experiment(parse_card(lama_seed_1t_card_text(text), "the 1 t seed card"))
    g400 = meta["geometric_factor_cm"]
    g1t = geometric_factor(exp_1t).value_cm
    exposure = float(meta["exposure_per_cm2"])
    result = lama.reproduce(
        data.events, meta, exp, sigma, exposure, exposure * g1t / g400, plots_dir=plots
    )
    result["files"] = [str(f) for f in data.files] if files is not None else None
    return result


def reproduce_borexino(
    *, files=None, n=200_000, seed=None, plots=None, workers=1, progress=None
) -> dict:
    """Seed 001 (BOREXINO + ⁵¹Cr at 10 m): the Z′χ reach, statistics only and with background.

    Simulates configs/borexino_cr51.toml as a 'fixed' run (n events per
    component) or reads its files; the signal's expectation is the quadrature
    of the files' card, the backgrounds' the run's weighted events (see
    :mod:`nusource.analysis.borexino`).
    """
    import tempfile

    from .analysis import borexino
    from .analysis.run_analysis import expectation_for
    from .experiment import build_experiment, detector_response
    from .io.readers import read_events
    from .production import plan, simulate
    from .runcard import parse_card, shipped_card

    if n <= 0:
        raise ValueError(f"-n: {n} is not allowed; give the events per component (> 0)")
    t0 = time.perf_counter()
    if files is None:
        with tempfile.TemporaryDirectory() as tmp:
            card_path = shipped_card("borexino_cr51.toml")
            prod = plan(card_path, Path(tmp) / "borexino_cr51.h5", n=n, seed=seed)
            simulate(prod, workers=workers, progress=progress)
            data = read_events(prod.output)
    else:
        data = read_events(files)
    meta = data.run
    if meta.get("mode") not in ("fixed", "weighted"):
        raise ValueError(
            "reproduce borexino needs files of a 'fixed' or 'weighted' run (weights are expected "
            f"events); these are mode '{meta.get('mode')}'"
        )
    exp = build_experiment(parse_card(meta["provenance"]["run_card"], "the files' run card"))
    flats = [c for c in exp.card.components if getattr(c, "kind", None) == "flat"]
    if len(flats) != 1:
        raise ValueError("reproduce borexino: the files' card needs one [[components]] kind 'flat'")
    exposure = float(meta["exposure_per_cm2"])
    ex = expectation_for(
        exp, detector_response(exp), borexino.EDGES_KEV * 1e-3, field="erec", exposure=exposure
    )
    signal = np.array([ex.sm, np.zeros_like(ex.sm), ex.zlin, ex.zquad])
    activity = exp.card.source.activity_ci
    if activity is None:
        raise ValueError("reproduce borexino: the files' card gives deployments, not activity_ci")
    out = borexino.reproduce(
        data.events,
        meta,
        signal,
        flat_rate=float(flats[0].card.rate_per_kev_t_day),
        flat_name=flats[0].name,
        activity_ci=float(activity),
        plots_dir=plots,
    )
    out["card_assumptions"] = {
        "source": "⁵¹Cr, activity_ci at the start, decaying (T½ = 27.7 d) over run_days",
        "activity_mci": activity * 1e-6,
        "run_days": exp.card.source.run_days,
        "distance_cm": float(
            np.linalg.norm(np.subtract(exp.detector.center, exp.geo_source.center))
        ),
        "detector": f"{exp.card.detector.name}: {exp.detector_mass_kg / 1e3:.4g} t pseudocumene",
        "geometric_factor_cm": float(meta["geometric_factor_cm"]),
        "couplings": exp.card.physics.couplings,
        "backgrounds": [c.kind for c in exp.card.components],
    }
    out["events_per_component_simulated"] = n if files is None else None
    out["files"] = [str(f) for f in data.files] if files is not None else None
    out["seconds"] = time.perf_counter() - t0
    return out


def analyze(files, card_path, *, plots=None, templates=None) -> dict:
    """Histogram, expectation, fit and sensitivity of event files (see analysis.run_analysis)."""
    from .analysis.run_analysis import analyze as run
    from .analysis_card import load_analysis_card
    from .experiment import build_experiment, detector_response, fiducial_acceptance
    from .io.readers import read_events
    from .runcard import parse_card

    card = load_analysis_card(card_path)
    data = read_events(files)
    hashes = {m.get("provenance", {}).get("run_card_sha256") for m in data.metadata}
    if len(hashes) > 1:
        raise ValueError("analyze: the files come from different run cards; analyse them apart")
    text = data.metadata[0].get("provenance", {}).get("run_card")
    if text is None:
        raise ValueError("analyze: the files carry no run card (made by `sample --source`?)")
    exp = build_experiment(parse_card(text, "the files' run card"))
    _warn_of_another_setup(card, card_path, exp.card)
    response = detector_response(exp)
    if len(data.events) == 0:
        raise ValueError("analyze: the files hold no events; nothing to analyse")
    return run(
        data,
        card,
        exp,
        response,
        plots_dir=plots,
        templates=None if templates is None else read_events(templates),
        fiducial_acceptance=fiducial_acceptance(exp, response),
    )


def _warn_of_another_setup(card, card_path, files_card) -> None:
    """A warning when the analysis card is about a run card (``run_card``) of another detector
    material or source than the files' own run card (a LAMA analysis of LXe events)."""
    import warnings

    from .runcard import CardError, load_card

    if card.run_card is None:
        return
    try:
        theirs, _ = load_card(card.run_card)
    except CardError:
        return  # (coverage, which runs it, says what is wrong with it)
    about = (theirs.detector.material, theirs.source.isotope)
    made = (files_card.detector.material, files_card.source.isotope)
    if about != made:
        warnings.warn(
            f"analysis card {card_path} is about run card {card.run_card} ({about[0]} detector, "
            f"{about[1]} source), but the files were made with a {made[0]} detector and a "
            f"{made[1]} source: check that this is the analysis you mean",
            stacklevel=2,
        )


def geometry_gdml(card_path, output, *, overwrite: bool = False) -> dict:
    """A run card's geometry as GDML (source, shields, detector, fiducial volume, the regions of
    [photons].outer), atomically."""
    import os

    from .experiment import detector_response, load_experiment
    from .geometry.gdml import experiment_gdml
    from .io.formats import check_output_path

    output = Path(output)
    check_output_path(output, overwrite=overwrite, suffixes=(".gdml",))
    exp, _ = load_experiment(card_path)
    fiducial = None
    if exp.card.response is not None and exp.card.response.fiducial is not None:
        fiducial = detector_response(exp).fiducial
    from .components.source_gamma import photon_material
    from .experiment import _solid

    # [photons].outer: the regions around the detector
    outer = [(o.name, _solid(o), photon_material(o.material)) for o in exp.card.photons.outer]
    text = experiment_gdml(exp, fiducial=fiducial, outer=outer)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
    tmp.write_text(text)
    tmp.chmod(0o666 & ~_umask())
    tmp.replace(output)
    return {"output": str(output), "detector_mass_kg": exp.detector_mass_kg}


def export_hepmc3(path, output, *, overwrite: bool = False) -> dict:
    """Events of a file as HepMC3 ASCII following NuHepMC v1.0 (for Geant4 and other tools)."""
    from .exchange.hepmc3 import export_hepmc3 as export
    from .exchange.hepmc3 import not_exported
    from .io.readers import read_metadata

    n = export(path, output, overwrite=overwrite)
    return {"output": str(output), "events": n, "not_exported": not_exported(read_metadata(path))}


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def coverage(
    card_path,
    *,
    run_card=None,
    toys=None,
    truth=None,
    method=None,
    seed=None,
    workers=1,
    template_events=200_000,
    progress=None,
    plots=None,
    dask=None,
    state=None,
    from_files=None,
) -> dict:
    """Coverage of a one-parameter analysis's intervals (Wilks and Feldman–Cousins) from toys.

    The analysis card says the study (``mu_bound``: θ = (μν/10⁻¹¹ μ_B)²;
    ``zprime_reach``: θ = γ = M_Z²/M_Z′²), its bins, pulls and [coverage]
    settings, and the run card it is about.  The signal's expectation is exact
    (quadrature with the card's response); each background component enters
    with its template from a 'fixed' production of the run card
    (``template_events`` per component, made in a temporary directory).  Toys
    are Poisson fluctuations of that expectation, seeded from the seed tree
    per (role, true point, block): a study is reproducible and splits over
    workers.  ``from_files`` (files of a 'fixed' run of the run card) throws the
    toys around the files' histograms instead (the signal reweighted to each
    true value), so that their Monte Carlo statistics enter; the fits stay exact.
    """
    import tempfile

    from .analysis.components_fit import component_templates
    from .analysis.coverage import coverage_study
    from .analysis.mu_bound import MU_UNIT, OneParameterModel, asimov_upper_limit, mu_of_theta
    from .analysis.run_analysis import expectation_for
    from .analysis_card import CoverageCard, load_analysis_card
    from .experiment import (
        detector_response,
        exposure_per_cm2,
        fiducial_acceptance,
        geometric_factor,
        load_experiment,
    )
    from .io.readers import read_events
    from .production import plan, simulate
    from .toy_runner import BlockRunner

    runner = BlockRunner(workers=workers, dask=dask, state=state)
    card = load_analysis_card(card_path)
    if card.study == "sterile":
        r = sterile_coverage(
            card,
            card_path,
            run_card=run_card,
            toys=toys,
            seed=seed,
            workers=runner,
            template_events=template_events,
            plots=plots,
        )
        r["blocks"] = {"made": runner.made, "read_from_state": runner.reused}
        return r
    if card.study not in ("mu_bound", "zprime_reach"):
        raise ValueError(
            f"coverage: analysis card {card_path} has study = {card.study!r}; allowed: "
            "mu_bound, zprime_reach, sterile"
        )
    run_card = run_card or card.run_card
    if run_card is None:
        raise ValueError(f"coverage: analysis card {card_path} names no run_card; give --run-card")
    cov = card.coverage or CoverageCard()
    n_toys = cov.toys if toys is None else int(toys)
    if n_toys <= 0:
        raise ValueError(f"--toys: {n_toys} is not allowed; it must be > 0")
    method = method or cov.method
    seed = cov.seed if seed is None else int(seed)
    exp, _ = load_experiment(run_card)
    response = detector_response(exp)
    h = card.histogram
    start = h.start_kev
    if response is not None and response.threshold_mev * 1e3 > start:
        start = response.threshold_mev * 1e3  # no events below the run's threshold
    edges = np.arange(start, h.stop_kev + 0.5 * h.step_kev, h.step_kev) * 1e-3
    exposure = exposure_per_cm2(exp, geometric_factor(exp))
    ex = expectation_for(
        exp,
        response,
        edges,
        field=h.field,
        exposure=exposure,
        fiducial_acceptance=fiducial_acceptance(exp, response)[0],
    )
    backgrounds = np.zeros((0, edges.size - 1))
    names = [e.name for e in exp.components]
    card.fit.check_backgrounds(names, f"run card {run_card}")  # (before any template is made)
    if exp.components:
        with tempfile.TemporaryDirectory() as tmp:
            prod = plan(run_card, Path(tmp) / "templates.h5", n=template_events, seed=seed)
            simulate(prod, progress=progress)
            data = read_events(prod.output)
            tpl = component_templates(data.events, data.run, h.field, edges)
        names = list(tpl)
        backgrounds = np.array([v[0] for v in tpl.values()])
    free = card.fit.signal_norm_sigma is None
    pulls = dict(
        sig_norm_sigma=math.inf if free else card.fit.signal_norm_sigma,
        bkg_sigmas=[card.fit.background_sigma(k, 0.005) for k in names],
    )
    if card.study == "mu_bound":
        model = OneParameterModel.magnetic(
            ex.sm, np.nan_to_num(ex.mag, posinf=0.0), backgrounds, mu_unit=MU_UNIT, **pulls
        )
        to_theta = lambda v: (float(v) / MU_UNIT) ** 2  # noqa: E731
        to_user = lambda th: float(mu_of_theta(th))  # noqa: E731
        unit = "μ_B"
    else:
        model = OneParameterModel(ex.sm, ex.zlin, ex.zquad, backgrounds, **pulls)
        to_theta = to_user = float
        unit = "γ = M_Z²/M_Z′²"
    expected = asimov_upper_limit(model)
    truths = cov.truth if truth is None else truth
    thetas = [expected if v == "expected" else to_theta(v) for v in truths]
    means = None
    if from_files is not None:
        means = _toy_means_from_files(
            from_files, run_card, card.study, h.field, edges, names, thetas, exposure
        )
    r = coverage_study(
        model,
        thetas,
        n_toys,
        method,
        seed,
        runner,
        means=means,
        interval=cov.interval,
        level=cov.level,
        cl=cov.cl,
        n_crit_toys=cov.critical_toys,
    )
    for pt in r["points"]:
        pt["truth"] = to_user(pt["theta_true"])
    r["blocks"] = {"made": runner.made, "read_from_state": runner.reused}
    r.update(
        study=card.study,
        unit=unit,
        run_card=str(run_card),
        backgrounds=names,
        expected_limit=to_user(expected),
        title=card.title,
    )
    if plots is not None:
        from .analysis.plots import save
        from .analysis.stats_plots import coverage_figure

        label = "true μν² [(1e-11 μ_B)²]" if card.study == "mu_bound" else "true γ"
        fig = coverage_figure(r["points"], cl=cov.cl, x_label=label, title=card.title)
        Path(plots).mkdir(parents=True, exist_ok=True)
        r["plots"] = [str(f) for f in save(fig, Path(plots) / f"coverage_{card.study}")]
    return r


LXE_VARIANTS = {
    "natural_1": ("lxe_cr51.toml", None),
    "natural_5": ("lxe_cr51_5deploy.toml", None),
    "depleted_1": ("lxe_cr51_depleted.toml", None),
    "depleted_5": ("lxe_cr51_5deploy.toml", "depleted"),
}
"""The four LXe setups of seed 004's Fig. 3: shipped card and how it is changed."""


def _lxe_card_text(name: str, change, *, threshold_kev=None) -> str:
    from .runcard import shipped_card

    text = shipped_card(name).read_text()
    # backgrounds generated up to 600 keV (all the analyses use), where their templates need
    # statistics; the signal's recoils end at 561 keV anyway
    text = text.replace("tmin_kev = 1.0", "tmin_kev = 1.0\ntmax_kev = 600.0", 1)
    if change == "depleted":
        text = text.replace('kind = "xe136"', 'kind = "xe136"\ndepletion = 0.9', 1)
    if threshold_kev is not None:  # the μν scan starts below the card's 2 keV threshold
        text = text.replace("threshold_kev = 2.0", f"threshold_kev = {threshold_kev}", 1)
        text = text.replace("tmin_kev = 1.0\n", f"tmin_kev = {threshold_kev * 0.5}\n", 1)
    return text


def reproduce_lxe(
    *, files=None, keep=None, n=200_000, seed=None, plots=None, workers=1, mu_toys=0, progress=None
) -> dict:
    """Seed 004 end to end: the LXe cards simulated ('fixed' runs, n events per component),
    the recoil spectrum, the μν bound versus threshold and the sterile sensitivity.

    The six runs are named natural_1, natural_5, depleted_1, depleted_5 (the
    cards of Fig. 3) and mu_1, mu_5 (the cards with a 0.5 keV threshold for
    the μν scan).  ``keep`` (a directory) keeps them as NAME.h5; ``files``
    reads such files instead of simulating (a run without its file is made).
    """
    import tempfile

    from .analysis import lxe
    from .analysis.mu_bound import lxe_edges_kev
    from .analysis.run_analysis import expectation_for
    from .experiment import detector_response, exposure_per_cm2, geometric_factor
    from .experiment import load_experiment as load
    from .io.readers import read_events
    from .production import plan, simulate

    if n <= 0:
        raise ValueError(f"-n: {n} is not allowed; give the events per component (> 0)")
    out = {
        "conventions": lxe.__doc__.split("Conventions, stated in")[1].strip(),
        "events_per_component_simulated": n,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        given = {Path(f).stem: Path(f) for f in (files or [])}
        unknown = sorted(set(given) - set(LXE_VARIANTS) - {"mu_1", "mu_5"})
        if unknown:
            raise ValueError(
                f"--input: {', '.join(unknown)} is not a run of reproduce lxe; name the files "
                "natural_1, natural_5, depleted_1, depleted_5, mu_1, mu_5 (.h5 or .root)"
            )
        where = Path(keep) if keep is not None else tmp
        where.mkdir(parents=True, exist_ok=True)

        out["runs"] = {}  # label → the file read, or "simulated"

        def run(label, text):
            out["runs"][label] = str(given[label]) if label in given else "simulated"
            if label in given:
                data = read_events(given[label])
                text = data.run["provenance"]["run_card"]
                card = tmp / f"{label}.toml"
                card.write_text(text)
                return load(card)[0], data
            card = tmp / f"{label}.toml"
            card.write_text(text)
            prod = plan(card, where / f"{label}.h5", n=n, seed=seed, overwrite=True)
            simulate(prod, workers=workers, progress=progress, overwrite=True)
            data = read_events(prod.output)
            exp, _ = load(card)
            return exp, data

        runs = {k: run(k, _lxe_card_text(*v)) for k, v in LXE_VARIANTS.items()}
        exp1, data1 = runs["natural_1"]
        counts = lxe.events_in(data1.events, data1.run, 5.0, 561.0)
        out["events"] = {
            "window_kev": [5.0, 561.0],
            "signal": counts["signal"],
            "background": sum(v for k, v in counts.items() if k != "signal"),
            "xe136": counts["xe136"],
            "by_component": counts,
            "seed": lxe.SEED_BACKGROUND,
        }
        # μν bound vs threshold: the cards with a 0.5 keV threshold
        edges = lxe_edges_kev(0.5)
        out["mu_bound_95"], bands = {}, {}
        for deploy, name in (("1", "lxe_cr51.toml"), ("5", "lxe_cr51_5deploy.toml")):
            exp, data = run(f"mu_{deploy}", _lxe_card_text(name, None, threshold_kev=0.5))
            x = exposure_per_cm2(exp, geometric_factor(exp))
            ex = expectation_for(
                exp, detector_response(exp), edges * 1e-3, field="erec", exposure=x
            )
            r = lxe.mu_bounds(
                ex.sm,
                np.nan_to_num(ex.mag, posinf=0.0),
                data.events,
                data.run,
                edges,
                n_toys=mu_toys,
                seed=seed or 0,
            )
            out["mu_bound_95"][deploy] = r["mu_bound_95"]
            if "toys" in r:
                bands[deploy] = r["toys"]
            if deploy == "1":
                spectrum = (data, ex.sm)
                out["signal_mc_vs_quadrature"] = lxe.route_agreement(data.events, ex.sm, edges)
        out["mu_bound_convention"] = "one-sided 95 % CL, q(μν²) = 2.71 (Wilks)"
        if bands:
            out["mu_bound_toys"] = bands
        out["mu_bound_references"] = {
            "GEMMA 2012 (90 % CL)": lxe.GEMMA_MU_BOUND,
            "XENONnT 2022 (90 % CL)": lxe.XENONNT_MU_BOUND,
        }
        # sterile sensitivity
        det = exp1.detector
        radius, half, cz = det.params[3], det.params[4], det.params[2]
        geometry = (radius, cz - half, cz + half)
        out["sterile_s22_95"], contours = {}, {}
        for key, (_exp, data) in runs.items():
            r = lxe.sterile(data.events, data.run, geometry)
            out["sterile_s22_95"][key] = r["s22_95"]
            contours[key.replace("_", ", ") + " deployment(s)"] = np.asarray(r["contour"])
        exp, data = runs["depleted_5"]
        r = lxe.sterile(data.events, data.run, geometry, sig_s=0.02)
        out["sterile_s22_95"]["depleted_5_norm2"] = r["s22_95"]
        contours["depleted, 5, 2 % norm."] = np.asarray(r["contour"])
        out["sterile_convention"] = "Asimov Δχ² = 5.99 (two parameters, Wilks), 100 × 100 grid"
        if plots is not None:
            out["plots"] = _lxe_plots(Path(plots), lxe, spectrum, edges, out, contours)
            fig = lxe.l_over_e_figure(data1.events, title="Seed 004: L/E of the ⁵¹Cr signal")
            from .analysis.plots import save

            out["plots"] += [str(f) for f in save(fig, Path(plots) / "lxe_l_over_e")]
    return out


def _lxe_plots(d: Path, lxe, spectrum, edges, out, contours) -> list[str]:
    from .analysis.plots import save
    from .analysis.stats_plots import contour_figure, mu_bound_figure

    d.mkdir(parents=True, exist_ok=True)
    files = []
    data, sm = spectrum
    i0 = int(np.argmin(np.abs(edges - 2.0)))
    coarse = edges[i0 : i0 + 1381 : 20]  # 2 keV bins, 2–140 keV
    sm_coarse = np.add.reduceat(sm[i0 : i0 + 1380], np.arange(0, 1380, 20))
    fig = lxe.stacked_spectrum_figure(
        data.events, data.run, sm_coarse, coarse, title="Seed 004: LXe + ⁵¹Cr 5 MCi, one deployment"
    )
    files += save(fig, d / "lxe_spectrum")
    thr = [float(k) for k in out["mu_bound_95"]["1"]]
    bounds = {f"{k} deployment(s)": list(v.values()) for k, v in out["mu_bound_95"].items()}
    fig = mu_bound_figure(
        thr,
        bounds,
        references={"GEMMA 2.9e-11": lxe.GEMMA_MU_BOUND, "XENONnT 6.4e-12": lxe.XENONNT_MU_BOUND},
        title="Seed 004: μν 95 % CL bound vs threshold",
    )
    files += save(fig, d / "lxe_mu_bound")
    fig = contour_figure(
        lxe.DM2,
        lxe.S22,
        contours,
        regions={
            "gallium (BEST 2022)": lxe.GALLIUM_BEST_FIT,
            "reactor (Mention 2011)": lxe.REACTOR_BEST_FIT,
        },
        title="Seed 004: sterile ν, 95 % CL (Asimov)",
    )
    files += save(fig, d / "lxe_sterile")
    return [str(f) for f in files]


HELLAZ_RUNS = {"cr51": "hellaz_cr51.toml", "sry": "hellaz_sry.toml"}
"""The runs of `reproduce hellaz`: the ⁵¹Cr card (signal, solar, flat) and the ⁹⁰Sr–⁹⁰Y card
(its signal only: the μν study needs no background events)."""


def _hellaz_card_text(label: str) -> str:
    from .runcard import shipped_card

    text = shipped_card(HELLAZ_RUNS[label]).read_text()
    # recoils generated from 80 keV (≈ 7σ of the 3 % resolution below the 100 keV threshold),
    # so that the reconstructed energy just above the threshold gets its inflow from below
    text = text.replace("[window]\ntmin_kev = 100.0", "[window]\ntmin_kev = 80.0", 1)
    if label == "sry":
        text = text[: text.index("[[components]]")].rstrip() + "\n"
    return text


def reproduce_hellaz(
    *, files=None, keep=None, n=200_000, seed=None, plots=None, workers=1, progress=None
) -> dict:
    """Seeds 001 and 002 (HELLAZ) end to end: the two HELLAZ cards simulated ('fixed' runs, n
    events per component) or read from ``files`` (named cr51.h5, sry.h5), the Z′ γ
    sensitivity, the μν curves and C-cut shares beside the events, and the solar
    background in the angle–energy plane.  ``keep`` (a directory) keeps the runs.
    """
    import tempfile

    from .analysis import hellaz, hellaz_mm, hellaz_zprime
    from .experiment import detector_response, exposure_per_cm2, geometric_factor
    from .experiment import load_experiment as load
    from .io.readers import read_events
    from .production import plan, simulate

    if n <= 0:
        raise ValueError(f"-n: {n} is not allowed; give the events per component (> 0)")
    given = {Path(f).stem: Path(f) for f in (files or [])}
    unknown = sorted(set(given) - set(HELLAZ_RUNS))
    if unknown:
        raise ValueError(
            f"--input: {', '.join(unknown)} is not a run of reproduce hellaz; name the files "
            "cr51 and sry (.h5 or .root)"
        )
    out = {
        "conventions": hellaz.__doc__.split("Conventions, stated in every result:")[1].strip(),
        "events_per_component_simulated": n,
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        where = Path(keep) if keep is not None else tmp
        where.mkdir(parents=True, exist_ok=True)

        out["runs"] = {}  # label → the file read, or "simulated"

        def run(label):
            card = tmp / f"{label}.toml"
            out["runs"][label] = str(given[label]) if label in given else "simulated"
            if label in given:
                data = read_events(given[label])
                if data.run.get("mode") not in ("fixed", "weighted"):
                    raise ValueError(
                        f"--input: {given[label]} is a '{data.run.get('mode')}' run; reproduce "
                        "hellaz needs 'fixed' or 'weighted' runs (weights are expected events)"
                    )
                card.write_text(data.run["provenance"]["run_card"])
            else:
                card.write_text(_hellaz_card_text(label))
                prod = plan(card, where / f"{label}.h5", n=n, seed=seed, overwrite=True)
                simulate(prod, workers=workers, progress=progress, overwrite=True)
                data = read_events(prod.output)
            return load(card)[0], data

        exp_cr, cr = run("cr51")
        exp_sy, sy = run("sry")
    out["seconds_simulation"] = time.perf_counter() - t0

    # Z′: exact expectation of the ⁵¹Cr card, γ at 95 % CL per window, model, error
    resp = detector_response(exp_cr)
    x_cr = exposure_per_cm2(exp_cr, geometric_factor(exp_cr))
    ex = hellaz_zprime.expectations(exp_cr, resp, x_cr)
    edges = {w: hellaz_zprime.window_edges_mev(w) for w in hellaz_zprime.WINDOWS_KEV}
    out["gamma_sensitivity"] = hellaz_zprime.gamma_sensitivity(ex)
    bkg = hellaz.background_templates(cr.events, cr.run, edges)
    out["gamma_sensitivity_with_background"] = hellaz_zprime.gamma_sensitivity(ex, background=bkg)
    ex_printed = hellaz_zprime.expectations(
        exp_cr, resp, x_cr, models=("psi", "eta"), charges="printed"
    )
    out["gamma_sensitivity_printed_charges"] = hellaz_zprime.gamma_sensitivity(ex_printed)
    out["gamma_sensitivity_total_error_only"] = {
        w: {
            m: {
                f"{e:g}": hellaz_zprime.gamma_total_error_only(e_m, e / 100.0)
                for e in hellaz_zprime.ERRORS_PERCENT
            }
            for m, e_m in per.items()
        }
        for w, per in ex.items()
    }
    out["zprime_events"] = {
        w: {"signal": float(per["chi"].sm.sum()), "background": float(bkg[w].sum())}
        for w, per in ex.items()
    }
    out["zprime_references_gamma"] = {
        "chi indirect, EW global fit (Langacker 1995), 330 GeV": hellaz_zprime.gamma_of_mass(
            hellaz_zprime.INDIRECT_CHI_MASS_GEV
        ),
        "chi direct, CDF (Abe et al. 1997), 595 GeV": hellaz_zprime.gamma_of_mass(
            hellaz_zprime.CDF_CHI_MASS_GEV
        ),
    }
    out["signal_mc_vs_quadrature"] = hellaz.signal_vs_exact(
        cr.events, ex["100-560"]["chi"].sm, edges["100-560"]
    )
    # the solar background in the angle–energy plane
    centre = tuple(exp_cr.card.source.center_cm)
    out["direction_separation"] = hellaz.direction_separation(cr.events, cr.run, centre)

    # μν: exact curves (free electrons, the card's couplings) and the ⁹⁰Sr–⁹⁰Y run's events
    p_sy, p_cr = exp_sy.model.params(), exp_cr.model.params()
    exact = hellaz_mm.integrated_vs_c(exp_sy.spectrum, p_sy)
    sig = sy.events[sy.events["component"] == 0]
    gen_norm = float(sy.run["components"]["0"]["gen_norm"])
    exposure_sy = float(sy.run["components"]["0"]["exposure_per_cm2"])
    mc = hellaz_mm.events_vs_c(
        sig, gen_norm, p_sy, source_center=tuple(exp_sy.card.source.center_cm)
    )
    out["sry_t_mc_vs_exact"] = hellaz_mm.t_spectrum_vs_exact(
        sig, gen_norm, exp_sy.spectrum, p_sy, exposure_sy, np.linspace(0.1, 2.1, 41)
    )
    out["mm_over_sm_sry_t100"] = exact["mm_over_sm"][0]
    out["mm_share_of_total_sry_t100"] = exact["mm"][0] / (exact["mm"][0] + exact["sm"][0])
    out["c_cuts_exact"] = exact
    out["c_cuts_events"] = mc
    out["sry_events_t100"] = {"sm": mc["sm"][0], "mm": mc["mm"][0], "mu_bohr": hellaz_mm.MU_SEED}
    i07 = exact["cuts"].index(0.7)
    tot = np.asarray(exact["sm"]) + np.asarray(exact["mm"])
    out["seed_comparison_mm"] = {
        "mm_over_sm_t100": [exact["mm_over_sm"][0], hellaz.SEED_MM["mm_over_sm_t100"]],
        "mm_share_of_total_t100": [out["mm_share_of_total_sry_t100"], 0.30],
        "c07_mm_over_sm": [exact["mm_over_sm"][i07], hellaz.SEED_MM["c07_mm_over_sm"]],
        "c07_share_sm": [exact["share_sm"][i07], hellaz.SEED_MM["c07_share_of_total"]],
        "c07_share_of_total": [float(tot[i07] / tot[0]), hellaz.SEED_MM["c07_share_of_total"]],
    }
    t100 = np.array([0.1])
    cr_line = hellaz_mm.line_dsigma_dt(t100, hellaz_mm.CR_LINE_MEV, p_cr, (6e-11, 1e-10))
    out["cr51_mm_over_sm_at_100kev"] = {
        k: float(v[0] / cr_line["SM"][0]) for k, v in cr_line.items() if k != "SM"
    }
    out["cr51_mu_equal_at_100kev"] = 1e-10 / math.sqrt(out["cr51_mm_over_sm_at_100kev"]["1e-10"])
    out["seconds"] = time.perf_counter() - t0
    if plots is not None:
        out["plots"] = _hellaz_plots(
            Path(plots), exp_cr, exp_sy, cr, sig, gen_norm, exposure_sy, out
        )
    return out


def _hellaz_plots(d: Path, exp_cr, exp_sy, cr, sig, gen_norm, exposure_sy, out) -> list[str]:
    from .analysis import hellaz, hellaz_mm, hellaz_zprime
    from .analysis import hellaz_plots as hp
    from .analysis.plots import save

    d.mkdir(parents=True, exist_ok=True)
    p_sy, p_cr = exp_sy.model.params(), exp_cr.model.params()
    cos_sy = hellaz_mm.reconstructed_cos(sig, tuple(exp_sy.card.source.center_cm))
    fine = hellaz_mm.integrated_vs_c(
        exp_sy.spectrum, p_sy, tuple(np.concatenate([[0.0], np.logspace(-2, 1.3, 60)]))
    )
    ev = hellaz.selected(cr.events)
    figs = {
        "hellaz_zprime_gamma": hellaz_zprime.sensitivity_figure(
            out["gamma_sensitivity"],
            out["gamma_sensitivity_total_error_only"],
            with_background=out["gamma_sensitivity_with_background"],
            title="HELLAZ + ⁵¹Cr 5 MCi, 100 d: 95 % CL γ sensitivity (Asimov, Δχ² = 2.71)",
        ),
        "hellaz_cr51_dsigma_dt": hp.cr51_dsigma_dt_figure(p_cr),
        "hellaz_cr51_dsigma_dcos": hp.cr51_dsigma_dcos_figure(p_cr),
        "hellaz_sry_t": hp.sry_t_figure(exp_sy.spectrum, p_sy, sig, gen_norm, exposure_sy),
        "hellaz_sry_theta": hp.sry_theta_figure(
            exp_sy.spectrum, p_sy, sig, gen_norm, exposure_sy, cos_sy
        ),
        "hellaz_iso_c": hp.iso_c_figure(
            p_sy, p_cr, float(exp_sy.spectrum.cont_energy[-1]), sig, cos_sy
        ),
        "hellaz_sry_vs_c": hp.vs_c_figure(fine, out["c_cuts_events"], exposure_sy),
        "hellaz_solar_angle_energy": hp.angle_energy_figure(
            ev,
            cr.run,
            hellaz_mm.reconstructed_cos(ev, tuple(exp_cr.card.source.center_cm)),
            hellaz.CR_BAND_MEV,
        ),
    }
    files = []
    for name, fig in figs.items():
        files += [str(f) for f in save(fig, d / name)]
    return files


STERILE_TRUE_POINTS = ((0.0, 1.0), (0.1, 1.0), (0.3, 2.0), (0.05, 20.0))
"""(sin²2θ, Δm² [eV²]) where `coverage` measures the sterile regions' coverage."""


def sterile_coverage(
    card,
    card_path,
    *,
    run_card=None,
    toys=None,
    seed=None,
    workers=1,
    template_events=200_000,
    plots=None,
) -> dict:
    """Feldman–Cousins for the sterile contour: critical Δχ² from toys on the card's coarse
    grid of true points (sin²2θ profiled in every fit), the FC contour beside the Wilks one
    (5.99), and the coverage of both at a few true points.  Signal templates in L from a
    'fixed' run of the run card; the background in L uniform in the fiducial volume."""
    import tempfile

    from .analysis import lxe
    from .analysis.sterile import (
        asimov_grid,
        contour,
        fc_profiled_map,
        interpolate_map,
        sterile_coverage_at,
        sterile_templates,
    )
    from .analysis_card import CoverageCard, SterileCard
    from .experiment import load_experiment
    from .io.readers import read_events
    from .production import plan, simulate

    run_card = run_card or card.run_card
    if run_card is None:
        raise ValueError(f"coverage: analysis card {card_path} names no run_card; give --run-card")
    st = card.sterile or SterileCard()
    cov = card.coverage or CoverageCard()
    n_toys = st.fc_toys if toys is None else int(toys)
    if n_toys <= 0:
        raise ValueError(f"--toys: {n_toys} is not allowed; it must be > 0")
    seed = cov.seed if seed is None else int(seed)
    exp, _ = load_experiment(run_card)
    with tempfile.TemporaryDirectory() as tmp:
        prod = plan(run_card, Path(tmp) / "templates.h5", n=template_events, seed=seed)
        simulate(prod)
        data = read_events(prod.output)
    det = exp.detector
    geometry = (det.params[3], det.params[2] - det.params[4], det.params[2] + det.params[4])
    sig_s = math.inf if st.signal_norm_sigma == "free" else float(st.signal_norm_sigma)
    ev = lxe.sterile_events(data.events, (st.threshold_kev, lxe.STERILE_WINDOW_KEV[1]))
    sig = ev[ev["component"] == 0]
    lrec = lxe.reconstructed_distance(sig, np.random.default_rng(0), sigma_cm=st.position_sigma_cm)
    dm2_fit = np.logspace(-2, 2, 400)
    a0, a1_fit = sterile_templates(
        sig["flight"], lrec, sig["enu"], sig["weight"], lxe.L_EDGES_CM, dm2_fit
    )
    from .analysis.sterile import flat_background

    total_bkg = float(ev["weight"][ev["component"] != 0].sum())
    bg = total_bkg * flat_background(lxe.L_EDGES_CM, *geometry, sigma_cm=st.position_sigma_cm)
    nj, nk = st.fc_grid
    dm2_true = np.logspace(math.log10(st.dm2_range_ev2[0]), math.log10(st.dm2_range_ev2[1]), nj)
    s22_true = np.logspace(math.log10(st.sin2_2theta_range[0]), 0.0, nk)
    _, a1_true = sterile_templates(
        sig["flight"], lrec, sig["enu"], sig["weight"], lxe.L_EDGES_CM, dm2_true
    )
    fc = fc_profiled_map(
        a0,
        a1_fit,
        bg,
        a1_true,
        s22_true,
        n_toys,
        seed=seed,
        cl=cov.cl,
        sig_s=sig_s,
        sig_b=st.background_sigma,
        workers=workers,
    )
    d = asimov_grid(a0, a1_fit, bg, lxe.S22, sig_s=sig_s, sig_b=st.background_sigma)
    crit = interpolate_map(fc["critical"], dm2_true, s22_true, dm2_fit, lxe.S22)
    wilks_c, fc_c = contour(d, lxe.S22, st.delta_chi2), contour(d, lxe.S22, crit)
    points = []
    for i, (s22, dm2) in enumerate(STERILE_TRUE_POINTS):
        _, a1_pt = sterile_templates(
            sig["flight"], lrec, sig["enu"], sig["weight"], lxe.L_EDGES_CM, np.array([dm2])
        )
        r = sterile_coverage_at(
            a0,
            a1_fit,
            bg,
            a1_pt[0],
            s22,
            n_toys,
            seed=seed,
            point=i,
            cl=cov.cl,
            level=st.delta_chi2,
            sig_s=sig_s,
            sig_b=st.background_sigma,
        )
        r["dm2_true"] = dm2
        points.append(r)

    def at(c, x):
        v = float(np.exp(np.interp(math.log(x), np.log(dm2_fit), np.log(c))))
        return v if math.isfinite(v) else None

    out = {
        "study": "sterile",
        "title": card.title,
        "run_card": str(run_card),
        "n_toys": n_toys,
        "seed": seed,
        "cl": cov.cl,
        "fc_grid": [nj, nk],
        "fc_seconds": fc["seconds"],
        "critical": {
            "dm2_ev2": dm2_true.tolist(),
            "sin2_2theta": s22_true.tolist(),
            "values": fc["critical"].tolist(),
            "errors": fc["error"].tolist(),
        },
        "wilks_level": st.delta_chi2,
        "contour_s22_95": {
            "wilks": {f"{x:g}": at(wilks_c, x) for x in st.report_dm2_ev2},
            "fc": {f"{x:g}": at(fc_c, x) for x in st.report_dm2_ev2},
        },
        "points": points,
    }
    if plots is not None:
        from .analysis.plots import save
        from .analysis.stats_plots import contour_figure, critical_map_figure

        Path(plots).mkdir(parents=True, exist_ok=True)
        files = save(
            contour_figure(
                dm2_fit,
                lxe.S22,
                {"Wilks (Δχ² = 5.99)": wilks_c, "Feldman–Cousins": fc_c},
                title=card.title,
            ),
            Path(plots) / "sterile_fc_contour",
        )
        files += save(
            critical_map_figure(dm2_true, s22_true, fc["critical"], title=card.title),
            Path(plots) / "sterile_fc_critical",
        )
        out["plots"] = [str(f) for f in files]
    return out


def _toy_means_from_files(files, run_card, study, field, edges, names, thetas, exposure):
    """Expected events per bin at each true θ from simulated files (signal reweighted)."""
    import hashlib

    from .analysis.components_fit import component_templates
    from .analysis.mu_bound import MU_UNIT
    from .generator.signal import reweight
    from .io.readers import read_events
    from .runcard import card_path

    data = read_events(files)
    run = data.run
    if run.get("mode") not in ("fixed", "weighted"):
        raise ValueError("--from-files: give files of a 'fixed' or 'weighted' run (simulate -n N)")
    text = card_path(run_card).read_text(encoding="utf-8")
    if run["provenance"].get("run_card_sha256") != hashlib.sha256(text.encode()).hexdigest():
        raise ValueError(f"--from-files: the files were not made from the run card {run_card}")
    scale = exposure / float(run["exposure_per_cm2"])
    tpl = component_templates(data.events, run, field, edges, scale=scale)
    if list(tpl) != list(names):
        raise ValueError(f"--from-files: the files' components {list(tpl)} are not {names}")
    background = sum(v[0] for v in tpl.values()) if tpl else 0.0
    ev = data.events
    sig = ev[(ev["component"] == 0) & (ev["flags"] == 0)] if "flags" in ev.dtype.names else ev
    gen_norm = float(run["components"]["0"]["gen_norm"])
    means = []
    for th in thetas:
        if study == "mu_bound":
            w = reweight(sig, gen_norm, mu=MU_UNIT * math.sqrt(max(th, 0.0)))
        else:
            w = reweight(sig, gen_norm, gamma=th)
        means.append(np.histogram(sig[field], edges, weights=w * scale)[0] + background)
    return means
