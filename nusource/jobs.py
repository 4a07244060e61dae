"""The jobs the command line runs: each parses nothing and prints nothing.

A job takes plain values, calls the stages and returns a JSON-ready dict (and
writes files where that is its purpose).
"""

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
    from .io.writer import check_output, write_events
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
    chunks, first = [], 0
    for k, m in enumerate(sizes):
        chunks.append(generate_signal_chunk(spec, chunk_rng(seed, 0, k), m, first_id=first))
        first += m
        if progress is not None:
            progress(m)
    events = (
        np.concatenate(chunks) if chunks else generate_signal_chunk(spec, chunk_rng(seed, 0, 0), 0)
    )
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
    write_events(output, events, meta, overwrite=overwrite)
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


def reproduce_lama(
    *, files=None, n=2_000_000, seed=None, plots=None, workers=1, progress=None
) -> dict:
    """Seed 000 (LAMA) end to end: simulate the seed card (or read its files) and compare."""
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
    exp_1t = build_experiment(parse_card(shipped_card("lama_1t.toml").read_text()))
    g400 = meta["geometric_factor_cm"]
    g1t = geometric_factor(exp_1t).value_cm
    exposure = float(meta["exposure_per_cm2"])
    result = lama.reproduce(
        data.events, meta, exp, sigma, exposure, exposure * g1t / g400, plots_dir=plots
    )
    result["files"] = [str(f) for f in data.files] if files is not None else None
    return result


def analyze(files, card_path, *, plots=None) -> dict:
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
    response = detector_response(exp)
    if len(data.events) == 0:
        raise ValueError("analyze: the files hold no events; nothing to analyse")
    return run(
        data,
        card,
        exp,
        response,
        plots_dir=plots,
        fiducial_acceptance=fiducial_acceptance(exp, response),
    )


def geometry_gdml(card_path, output, *, overwrite: bool = False) -> dict:
    """A run card's geometry as GDML (source, shields, detector, fiducial volume), atomically."""
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
    text = experiment_gdml(exp, fiducial=fiducial)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
    tmp.write_text(text)
    tmp.chmod(0o666 & ~_umask())
    tmp.replace(output)
    return {"output": str(output), "detector_mass_kg": exp.detector_mass_kg}


def export_hepmc3(path, output, *, overwrite: bool = False) -> dict:
    """Events of a file as HepMC3 ASCII following NuHepMC v1.0 (for Geant4 and other tools)."""
    from .exchange.hepmc3 import export_hepmc3 as export

    n = export(path, output, overwrite=overwrite)
    return {"output": str(output), "events": n}


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
