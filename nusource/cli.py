"""The ``nusource`` command line: parses, calls one job, prints the result."""

import argparse
import gc
import json
import math
import sys
import time
import warnings

from ._version import __version__

MODEL_DEFAULTS = {
    "couplings": "radiative",
    "mu": 0.0,
    "zprime_form": "exact",
    "e6_charges": "consistent",
    "fermi": "relativistic",
}
"""Defaults of the model options without a run card (with one, the card's values hold)."""

CARD_KEYS = {
    "source": "source.isotope",
    "couplings": "physics.couplings",
    "sin2w": "physics.sin2w",
    "mu": "physics.mu_bohr",
    "zprime": "physics.zprime",
    "zprime_form": "physics.zprime_form",
    "e6_charges": "physics.e6_charges",
    "endpoint_kev": "source.endpoint_kev",
    "fermi": "source.fermi",
    "spectrum_file": "source.spectrum_file",
    "tmin_kev": "window.tmin_kev",
    "tmax_kev": "window.tmax_kev",
}
"""Model and window options → the run-card keys they replace (rate, simulate, sample CARD)."""

INT_LIMITS = {
    "n": 1,
    "chunk_size": 1,
    "workers": 1,
    "seed": 0,
    "geometry_samples": 1000,
}
"""Smallest value of each integer option."""

REPRODUCE_N = {"lama": 2_000_000, "lxe": 200_000, "hellaz": 200_000, "borexino": 200_000}
"""Events ``reproduce STUDY`` simulates without -n (lama: in all; the others: per component)."""
INT_MAX = {"chunk_size": 2_000_000, "geometry_samples": 10**9, "workers": 1024, "n": 10**12}
"""Largest value of integer options (chunk_size, geometry_samples: see nusource.runcard)."""

POSITIVE = ("exposure",)
"""Float options that must be > 0 (every float option must be finite)."""


class _Parser(argparse.ArgumentParser):
    """argparse with errors in two lines (what is wrong; where help is), no usage dump."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n{self.prog}: see {self.prog} --help\n")
        sys.exit(2)


def _flag(dest: str) -> str:
    return "-n" if dest == "n" else "--" + dest.replace("_", "-")


def _add_model_options(
    p: argparse.ArgumentParser, *, source_required: bool = True, card: bool = True
) -> None:
    with_card = " (with a run card: they replace its keys)" if card else ""
    g = p.add_argument_group(f"interaction model{with_card}")
    g.add_argument(
        "--couplings",
        choices=["radiative", "tree"],
        default=None,
        help="electroweak couplings (default: radiative, Bahcall–Kamionkowski–Sirlin)",
    )
    g.add_argument(
        "--sin2w",
        type=float,
        default=None,
        help="sin²θ_W (tree default 0.23122; radiative default ŝ² = 0.2317)",
    )
    g.add_argument(
        "--mu", type=float, default=None, help="neutrino magnetic moment [μ_B] (default 0)"
    )
    g.add_argument(
        "--zprime",
        default=None,
        metavar="MODEL:MASS_GEV",
        help="Z′: chi, psi, eta, lr or beta=DEG, and its mass in GeV (e.g. chi:330)",
    )
    g.add_argument(
        "--zprime-form",
        choices=["exact", "linear"],
        default=None,
        help="Z′ with shifted couplings (exact) or to first order in γ (linear)",
    )
    g.add_argument(
        "--e6-charges",
        choices=["consistent", "printed"],
        default=None,
        help="E6 δg formula: charge-consistent, or as printed in the seeds",
    )
    s = p.add_argument_group(f"source and window{with_card}")
    s.add_argument(
        "--source",
        required=source_required,
        default=None,
        help="built-in source (see `nusource sources`); with a card, replaces source.isotope",
    )
    s.add_argument(
        "--endpoint-kev",
        type=float,
        default=None,
        help="override the β endpoint Q [keV] (the seeds use 235 for pm147)",
    )
    s.add_argument(
        "--fermi",
        choices=["relativistic", "nonrelativistic"],
        default=None,
        help="Fermi function of β spectra: relativistic (default) or nonrelativistic",
    )
    s.add_argument(
        "--spectrum-file",
        default=None,
        help="two-column text file (energy keV, density) replacing the β spectrum",
    )
    s.add_argument("--tmin-kev", type=float, default=None, help="lower recoil limit T_lo [keV]")
    s.add_argument("--tmax-kev", type=float, default=None, help="upper recoil limit T_hi [keV]")


def _model_kwargs(a) -> dict:
    """The model options without a run card: the given ones, else the defaults."""
    keys = [k for k in CARD_KEYS if k != "source"]
    return {k: MODEL_DEFAULTS.get(k) if getattr(a, k) is None else getattr(a, k) for k in keys}


def _overrides(a) -> dict:
    """The model and window options given with a run card, as card keys → values."""
    return {CARD_KEYS[k]: getattr(a, k) for k in CARD_KEYS if getattr(a, k, None) is not None}


def _check_numbers(a) -> None:
    """Every number on the command line: finite, and within its option's range."""
    for dest, value in vars(a).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{_flag(dest)}: {value} is not allowed; give a finite number")
        if dest in INT_LIMITS and value < INT_LIMITS[dest]:
            raise ValueError(
                f"{_flag(dest)}: {value} is not allowed; it must be ≥ {INT_LIMITS[dest]}"
            )
        if dest in INT_MAX and value > INT_MAX[dest]:
            raise ValueError(f"{_flag(dest)}: {value} is not allowed; it must be ≤ {INT_MAX[dest]}")
        if dest in POSITIVE and not value > 0:
            raise ValueError(f"{_flag(dest)}: {value:g} is not allowed; it must be > 0")


def _in_user_words(msg: str, given: dict) -> str:
    """Name the command-line option beside a card key it replaced."""
    for dest, key in CARD_KEYS.items():
        if dest in given and key.split(".")[-1] in msg:
            name = key.split(".")[-1]
            return msg.replace(name, f"{name} (given as {_flag(dest)})", 1)
    return msg


def _message(exc: BaseException) -> str:
    """An exception as one line for the user: no '[Errno N]', no Python names."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = exc.strerror[:1].lower() + exc.strerror[1:]
        return f"'{where}': {text}" if where else text
    return " ".join(str(exc).split("\n")[:1]) or type(exc).__name__


def _finite(obj):
    """JSON-ready copy: NaN and ±inf become null (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _check_compression(output, compression) -> None:
    """--compression against the output's format, before any work."""
    from .io.formats import codec, format_of

    if compression is not None:
        try:
            codec(format_of(output), compression)
        except ValueError as exc:
            raise ValueError(f"--{exc}") from None


def _json(r) -> None:
    print(json.dumps(_finite(r), indent=2, allow_nan=False))


def _compressions() -> str:
    from .io.formats import COMPRESSIONS

    names = {"root": "ROOT", "hdf5": "HDF5", "npz": "npz"}
    return "; ".join(
        f"{names[f]}: {c[0]} (default), {', '.join(c[1:])}" for f, c in COMPRESSIONS.items()
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nusource",
        description="Neutrino–electron scattering with artificial neutrino sources.",
    )
    p.add_argument("--version", action="version", version=f"nusource {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("sources", help="list the built-in neutrino sources")
    s.add_argument("--json", action="store_true", help="print JSON")

    x = sub.add_parser("xsec", help="flux-averaged cross section per electron [cm²]")
    _add_model_options(x, card=False)
    x.add_argument("--json", action="store_true", help="print JSON")

    r = sub.add_parser("rate", help="expected ν–e events of a run card, and their factors")
    r.add_argument("card", help="run card (TOML), e.g. configs/lxe_cr51.toml")
    r.add_argument(
        "--geometry-samples",
        type=int,
        default=None,
        help="Monte Carlo samples for the geometric factor, ≥ 1000 (default: the card's)",
    )
    _add_model_options(r, source_required=False)
    r.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser(
        "simulate", help="a run card's events through the detector to .root, .h5 or .npz"
    )
    s.add_argument("card", help="run card (TOML), e.g. configs/lxe_cr51.toml")
    s.add_argument("-o", "--output", required=True, help="output file (.root, .h5, .npz)")
    s.add_argument("-n", type=int, default=None, help="a fixed number of unweighted events")
    s.add_argument(
        "--exposure",
        action="store_true",
        help="a Poisson number of events for the card's exposure (one experiment)",
    )
    s.add_argument("--seed", type=int, default=None, help="master seed (default: the card's)")
    s.add_argument("--workers", type=int, default=1, help="local processes over chunks")
    s.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run the chunks on a dask.distributed scheduler ('local': a local cluster)",
    )
    s.add_argument("--chunk-size", type=int, default=None, help="events per chunk")
    s.add_argument(
        "--schema",
        choices=["auto", "full", "slim"],
        default=None,
        help="output fields: full (every field), slim (what the analyses read: 84 B/event "
        "against 272), auto (full up to 1e7 events); default: the card's, else auto",
    )
    s.add_argument(
        "--compression", default=None, help=f"{_compressions()}; NAME:LEVEL sets a level"
    )
    s.add_argument("--overwrite", action="store_true", help="replace an existing output")
    s.add_argument(
        "--keep-chunks",
        action="store_true",
        help="also keep each chunk as an event file in OUTPUT.chunks/ (each event written twice)",
    )
    _add_model_options(s, source_required=False)
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_cluster_options(s)

    pl = sub.add_parser(
        "plan", help="how a run card's production is cut into chunks, and each array job's range"
    )
    pl.add_argument("card", help="run card (TOML), e.g. configs/lxe_cr51.toml")
    pl.add_argument("-n", type=int, default=None, help="a fixed number of unweighted events")
    pl.add_argument("--exposure", action="store_true", help="a Poisson number of events")
    pl.add_argument("--seed", type=int, default=None, help="master seed (default: the card's)")
    pl.add_argument("--chunk-size", type=int, default=None, help="events per chunk")
    pl.add_argument("--jobs", type=int, default=1, help="array jobs to share the chunks")
    pl.add_argument("--json", action="store_true", help="print JSON")

    g = sub.add_parser("merge", help="join event files (e.g. chunk files) into one")
    g.add_argument("inputs", nargs="+", help="files or glob patterns")
    g.add_argument("-o", "--output", required=True, help="merged file (.root, .h5, .npz)")
    g.add_argument(
        "--allow-different-cards",
        action="store_true",
        help="merge files made from different run cards",
    )
    g.add_argument(
        "--compression", default=None, help=f"{_compressions()}; NAME:LEVEL sets a level"
    )
    g.add_argument("--overwrite", action="store_true", help="replace an existing output")
    g.add_argument("--json", action="store_true", help="print JSON")

    e = sub.add_parser("export", help="events of a file as HepMC3 (NuHepMC v1.0) for Geant4")
    e.add_argument("file", help="event file (.root, .h5, .npz)")
    e.add_argument("-o", "--output", required=True, help="HepMC3 ASCII file (.hepmc3)")
    e.add_argument("--overwrite", action="store_true", help="replace an existing output")
    e.add_argument("--json", action="store_true", help="print JSON")

    gd = sub.add_parser("geometry", help="a run card's geometry as GDML (for Geant4)")
    gd.add_argument("card", help="run card (TOML), e.g. configs/lxe_cr51.toml")
    gd.add_argument("-o", "--output", required=True, help="GDML file (.gdml)")
    gd.add_argument("--overwrite", action="store_true", help="replace an existing output")
    gd.add_argument("--json", action="store_true", help="print JSON")

    a = sub.add_parser("analyze", help="histogram, fit and Z′ reach of event files")
    a.add_argument("files", nargs="+", help="event files or glob patterns")
    a.add_argument("--card", required=True, help="analysis card (TOML), e.g. configs/analysis/")
    a.add_argument(
        "--templates",
        nargs="+",
        default=None,
        metavar="FILE",
        help="files of a 'fixed' run of the same card: the background components' shapes",
    )
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("--plots", default=None, metavar="DIR", help="write PNG and PDF figures here")

    cv = sub.add_parser("coverage", help="do the quoted intervals cover? toys, Wilks and FC")
    cv.add_argument("card", help="analysis card with study = mu_bound or zprime_reach")
    cv.add_argument("--run-card", default=None, help="run card (default: the analysis card's)")
    cv.add_argument("--toys", type=int, default=None, help="toys per true value")
    cv.add_argument(
        "--truth",
        nargs="+",
        default=None,
        metavar="VALUE",
        help="true values (μν in μ_B, or γ), or 'expected' (the Asimov limit)",
    )
    cv.add_argument("--method", choices=["wilks", "fc", "both"], default=None)
    cv.add_argument("--workers", type=int, default=1, help="local processes over toy blocks")
    cv.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="throw the toy blocks as tasks of a dask.distributed scheduler ('local': a local "
        "cluster)",
    )
    cv.add_argument(
        "--from-files",
        nargs="+",
        default=None,
        metavar="FILE",
        help="throw the toys around these simulated files (a fixed run of the run card) "
        "instead of the exact expectation",
    )
    cv.add_argument(
        "--state",
        default=None,
        metavar="DIR",
        help="keep finished toy blocks here: the same command run again goes on from them",
    )
    cv.add_argument("--seed", type=int, default=None, help="master seed of the toys")
    cv.add_argument(
        "--template-events",
        type=int,
        default=200_000,
        help="events per background component for its template (a fixed run of the card)",
    )
    cv.add_argument("--json", action="store_true", help="print JSON")
    cv.add_argument("--plots", default=None, metavar="DIR", help="write PNG and PDF figures here")

    p2 = sub.add_parser("reproduce", help="reproduce a seed paper's results end to end")
    p2.add_argument(
        "study",
        choices=["lama", "lxe", "hellaz", "borexino"],
        help="lama: seed 000 (Table 2, Z′χ reach); lxe: seed 004 (spectrum, μν bound, sterile); "
        "hellaz: seeds 001, 002 (Z′ γ sensitivity, μν in the (T, θ) plane, solar ν by "
        "direction); borexino: seed 001 (Z′χ reach, activity and background that give it)",
    )
    p2.add_argument(
        "--input",
        nargs="+",
        default=None,
        help="files of the seed card's run to read instead of simulating",
    )
    p2.add_argument(
        "-n",
        type=int,
        default=None,
        help="events to simulate (default lama: 2e6 in all; lxe, hellaz: 2e5 per component "
        "and run; borexino: 2e5 per component)",
    )
    p2.add_argument(
        "--keep",
        default=None,
        metavar="DIR",
        help="lxe, hellaz: keep the simulated runs there (read them back with --input DIR/*.h5)",
    )
    p2.add_argument("--seed", type=int, default=None, help="master seed (default: the card's)")
    p2.add_argument("--workers", type=int, default=1, help="local processes over chunks")
    p2.add_argument("--json", action="store_true", help="print JSON")
    p2.add_argument("--plots", default=None, metavar="DIR", help="write PNG and PDF figures here")

    m = sub.add_parser("sample", help="sample events (of a run card, or a source without geometry)")
    m.add_argument(
        "card",
        nargs="?",
        default=None,
        help="run card (TOML): events get vertices, source points, flight and times",
    )
    _add_model_options(m, source_required=False)
    m.add_argument("-n", type=int, default=None, help="number of events (modes fixed, weighted)")
    m.add_argument("--seed", type=int, default=None, help="master seed (default: the card's, or 0)")
    m.add_argument(
        "--mode",
        choices=["fixed", "exposure", "weighted"],
        default=None,
        help="default: the card's mode, or fixed",
    )
    m.add_argument(
        "--exposure",
        type=float,
        default=None,
        help="without a card: neutrinos × electrons per cm² the weights refer to (default 1; "
        "--mode exposure needs it)",
    )
    m.add_argument(
        "--proposal-mu",
        type=float,
        default=None,
        help="weighted mode: μν [μ_B] of the proposal density",
    )
    m.add_argument("--chunk-size", type=int, default=None, help="events per chunk")
    m.add_argument("-o", "--output", required=True, help="output file (.root, .h5, .npz)")
    m.add_argument("--overwrite", action="store_true", help="replace an existing output")
    m.add_argument("--workers", type=int, default=1, help="local processes over chunks (card)")
    m.add_argument("--json", action="store_true", help="print JSON")

    sv = sub.add_parser(
        "serve",
        help="keep a warm process that runs this installation's commands (faster starts)",
        description="Import the stages and load the kernels once, then run each nusource "
        "command of this installation in a copy of this warm process (same events, files "
        "and messages; a short simulate starts in ~0.13 s instead of ~0.4 s). In the "
        "foreground; Ctrl-C stops it. NUSOURCE_SERVE=off makes a command run in its own "
        "process.",
    )
    sv.add_argument(
        "--warm",
        nargs="*",
        default=["lxe_cr51.toml"],
        metavar="CARD",
        help="run cards whose kernels and tables to load now (default: lxe_cr51.toml)",
    )
    sv.add_argument(
        "--idle-minutes",
        type=float,
        default=60.0,
        help="stop after this many minutes without a command (default 60)",
    )
    return p


def _add_cluster_options(s: argparse.ArgumentParser) -> None:
    c = s.add_argument_group(
        "batch clusters",
        "Dask workers as batch jobs (--cluster), or array jobs without Dask (--chunks, --assemble)",
    )
    c.add_argument(
        "--cluster",
        default=None,
        metavar="SYSTEM",
        help="slurm, pbs, htcondor, lsf or sge: a scheduler here, dask workers as batch jobs "
        "(site defaults from dask's jobqueue.yaml)",
    )
    c.add_argument("--jobs", type=int, default=None, help="worker jobs to submit (--cluster)")
    c.add_argument("--queue", default=None, help="queue or partition of the worker jobs")
    c.add_argument("--walltime", default=None, metavar="HH:MM:SS", help="time limit per job")
    c.add_argument("--cores", type=int, default=None, help="cores per worker job (default 1)")
    c.add_argument("--memory", default=None, help="memory per worker job, e.g. 4GB")
    c.add_argument(
        "--chunks",
        default=None,
        metavar="A:B",
        help="make only chunks A … B−1 as chunk files in OUTPUT.chunks/ (one array job)",
    )
    c.add_argument(
        "--assemble",
        action="store_true",
        help="check every chunk file of the run in OUTPUT.chunks/ and write the output",
    )


def _cluster_spec(args):
    """The batch-cluster request of `simulate`, checked (None: no --cluster)."""
    given = {
        f"--{k}": getattr(args, k)
        for k in ("jobs", "queue", "walltime", "cores", "memory")
        if getattr(args, k) is not None
    }
    if args.cluster is None:
        if given:
            flag, value = next(iter(given.items()))
            raise ValueError(f"{flag}: {value} is not allowed without --cluster SYSTEM")
        return None
    from .production.clusters import ClusterSpec

    if args.dask is not None:
        raise ValueError(f"--cluster: '{args.cluster}' is not allowed with --dask; give one")
    if args.workers != 1:
        raise ValueError(
            f"--workers: {args.workers} is not allowed with --cluster; give --jobs (and --cores)"
        )
    if args.jobs is None:
        raise ValueError(f"--cluster: '{args.cluster}' needs --jobs N (worker jobs to submit)")
    return ClusterSpec(
        args.cluster,
        args.jobs,
        queue=args.queue,
        walltime=args.walltime,
        cores=args.cores,
        memory=args.memory,
    )


def _check_array_options(args) -> None:
    """--chunks and --assemble: one at a time, without a Dask cluster."""
    if args.chunks is not None and args.assemble:
        raise ValueError(f"--assemble is not allowed with --chunks {args.chunks}; give one")
    flag = f"--chunks {args.chunks}" if args.chunks is not None else "--assemble"
    if args.chunks is not None or args.assemble:
        for other in ("dask", "cluster"):
            value = getattr(args, other)
            if value is not None:
                raise ValueError(f"--{other}: '{value}' is not allowed with {flag}; give one")
        if args.assemble and args.workers != 1:
            raise ValueError(
                f"--workers: {args.workers} is not allowed with --assemble (it reads the chunks)"
            )


def _plan(args) -> None:
    import tempfile
    from pathlib import Path

    from .production import chunk_plan, plan

    with tempfile.TemporaryDirectory() as tmp:  # the plan writes nothing
        prod = plan(
            args.card,
            Path(tmp) / "plan.h5",
            n=args.n,
            exposure=args.exposure,
            seed=args.seed,
            chunk_size=args.chunk_size,
        )
    r = {"card": args.card, **chunk_plan(prod, args.jobs)}
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(
        f"{args.card}: {r['events']} events ({', '.join(r['components'])}; seed {r['seed']}, "
        f"{r['mode']} mode) in {r['chunks']} chunks of at most {r['chunk_size']}"
    )
    if r["thinned"]:
        print(
            f"  (for {', '.join(r['thinned'])}: decays or photons simulated, of which only "
            "those that deposit energy in the detector are written)"
        )
    for i, (rng, n) in enumerate(zip(r["ranges"], r["events_per_job"], strict=True)):
        print(f"  job {i}: --chunks {rng}  ({n} events)")


def _refuse_chunk_directory(inputs) -> None:
    """`merge OUT.chunks`: chunk files of a production are assembled with their run card."""
    from pathlib import Path

    for item in inputs:
        d = Path(item)
        if d.is_dir() and d.name.endswith(".chunks") and any(d.glob("chunk_*.h5")):
            raise ValueError(
                f"'{d}' holds a production's chunk files; assemble them with `nusource simulate "
                f"CARD -o {d.name[: -len('.chunks')]} --assemble` (the card tells which chunks "
                "the run has)"
            )


def _print_sources(rows) -> None:
    for r in rows:
        hl = r.get("half_life_days")
        print(
            f"{r['name']:6s} {r['nuclide']:10s} {r['decay']:6s} {r['flavour']:7s} T½ = {hl:.5g} d"
        )
        for ln in r.get("lines", []):
            print(f"         line {ln['energy_mev'] * 1e3:9.3f} keV  {ln['intensity']:.4f} ν/decay")
        for b in r.get("branches", []):
            print(
                f"         β⁻ {b['label']}: Q = {b['q_mev'] * 1e3:.5g} keV, "
                f"Z_d = {b['z_daughter']}, "
                f"{b['shape']}, {b['nu_per_decay']:g} ν̄/decay, ⟨E⟩ = "
                f"{b['mean_energy_mev'] * 1e3:.4g} keV"
            )
        for g in r.get("gammas", []):
            print(f"         γ    {g['energy_mev'] * 1e3:9.3f} keV  {g['intensity']:.4f} per decay")


def _print_xsec(r) -> None:
    print(
        f"{r['source']} ({r['flavour']}), T in [{r['tmin_kev']:.4g}, {r['tmax_kev']:.4g}] keV, "
        f"couplings {r['model']['couplings']} (s² = {r['model']['sin2w']:.5g})"
    )
    print(f"  σ̄ total   = {r['sigma_cm2']:.6e} cm² per electron")
    print(f"  σ̄ SM      = {r['sigma_sm_cm2']:.6e} cm²")
    print(f"  σ̄ μν part = {r['sigma_mu_cm2']:.6e} cm²")
    print(f"  σ̄ Z′ part = {r['sigma_zprime_cm2']:.6e} cm²")


def _print_analysis(r) -> None:
    print(r["title"])
    print(f"  files: {', '.join(r['files'])} ({r['mode']} mode)")
    print(
        f"  {r['field']} in [{r['edges_kev'][0]:g}, {r['edges_kev'][-1]:g}] keV: "
        f"observed {r['observed_total']:.6g}, expected {r['expected_total']:.6g}"
    )
    if "template_vs_quadrature_chi2" in r:
        print(
            f"  the signal's weighted events vs quadrature: "
            f"χ² = {r['template_vs_quadrature_chi2']:.1f} "
            f"for {r['template_vs_quadrature_ndf']} bins"
        )
    if "fit" in r:
        _print_fit(r["fit"])
    poor = {k: t for k, t in r.get("template_statistics", {}).items() if not t["enough"]}
    if poor:
        rows = ", ".join(
            f"{k} {t['template_events']:.0f} for {t['expected_events']:.0f}"
            for k, t in poor.items()
        )
        needed = [t["n_for_enough"] for t in poor.values() if t["n_for_enough"]]
        hint = f"; a template run with -n {_round_up(max(needed))} gives 10" if needed else ""
        print(
            "  templates with fewer than 10 simulated events per expected event (their "
            f"fluctuations are not in the fit; simulated for expected): {rows}{hint}"
        )
    if "zprime_sensitivity" in r:
        z = r["zprime_sensitivity"]
        row = ", ".join(f"{k} %: {v:.0f} GeV" for k, v in z["mass_gev"].items())
        print(f"  M_Z′ {z['model']} reach (Δχ² = {z['delta_chi2']}): {row}")
    for p in r.get("plots", []):
        print(f"  wrote {p}")


def _round_up(n: int) -> int:
    """n rounded up to two significant digits (a number of events to ask for)."""
    step = 10 ** max(len(str(int(n))) - 2, 0)
    return -(-int(n) // step) * step


def _print_fit(f) -> None:
    """The fit of ``analyze``: the parameter of interest, s, the background normalisations, χ²,
    and whether the minimum is valid (an invalid one is said to be no result)."""
    p, v, e = f["parameter"], f["values"], f["errors"]
    unit = ""
    if p == "mu2":
        unit = f" × ({math.sqrt(f['mu2_unit_bohr2']):.0e} μB)²".replace("e-", "e−")
    poi = f"{v[p]:.4g} ± {e[p]:.2g}"
    if f.get("poi_at_limit"):  # (the error: where the profile rises by 1 above the limit)
        poi = f"{v[p]:.4g} (at its lower limit), +{e[p]:.2g}"
    print(f"  fit ({f['data']}): {p} = {poi}{unit}, s = {v['s']:.4f} ± {e['s']:.2g}")
    fixed = set(f.get("fixed", ()))
    empty = set(f.get("empty_templates", ()))
    parts = []
    for name in (q for q in f.get("parameters", f["values"]) if q.startswith("b_")):
        k = name.removeprefix("b_")
        if k in empty:
            parts.append(f"{k} fixed at 1 (no events in the range)")
        elif name in fixed:
            parts.append(f"{k} fixed at {v[name]:.4g}")
        else:
            parts.append(f"{k} {v[name]:.3g} ± {e[name]:.2g}")
    if parts:
        print("  background normalisations: " + ", ".join(parts))
    if "chi2" in f:
        chi2 = max(f["chi2"], 0.0)  # (a deviance: ≥ 0, but an Asimov fit's rounds to −1e−12)
        print(f"  χ² = {chi2:.1f} for {f['ndf']} degrees of freedom")
    if not f["valid"]:
        print(
            "  the minimiser did not reach a valid minimum (iminuit): these values and "
            "errors are not a result"
        )


def _print_lama(r) -> None:
    print("Seed 000 (LAMA), Table 2: expected events per 20 keV recoil bin (the seed card)")
    print(
        "  bin [keV]      " + "".join(f"{a:>5.0f}-{b:<4.0f}" for a, b in r["bins_kev"]) + "   total"
    )
    for k, row in r["events"].items():
        print(f"  {k:14s} " + "".join(f"{x:>10.1f}" for x in row) + f"{sum(row):>10.1f}")
        print(
            f"  {'  seed':14s} "
            + "".join(f"{x:>10d}" for x in r["seed_table2"][k])
            + f"{sum(r['seed_table2'][k]):>10d}"
        )
    print(
        "  shares (this / seed): "
        + ", ".join(f"{a:.4f}/{b:.4f}" for a, b in zip(r["shares"], r["seed_shares"], strict=True))
    )
    for k, v in r["excess_percent"].items():
        print(f"  χ excess {k:8s} {v:6.3f} %   (seed {r['seed_excess_percent'][k]:6.3f} %)")
    print(
        f"  SM total 0–100 keV: {sum(r['events']['SM']):.0f} (seed 18391; ratio "
        f"{r['events_total_SM_over_seed']:.3f})"
    )
    print(f"  M_Z′χ reach, 95 % CL [GeV] ({r['sensitivity_convention']}):")
    for label, key in (
        ("card's own events", "mzp_sensitivity_gev"),
        ("cf. seed's total", "mzp_sensitivity_gev_seed_normalisation_comparison"),
    ):
        for mass, row in r[key].items():
            cells = ", ".join(f"{s} %: {v:.0f}" for s, v in row.items())
            print(f"    {label:18s} {mass:15s} {cells}")
    print(
        "    seed 000: 400 kg ≈ 500, 1 t ≈ 625 (1t: a 1 t shell on the same shield; "
        "1t_mass_scaled: 2.5 × 400 kg, as the seed)"
    )
    for p in r.get("plots", []):
        print(f"  wrote {p}")


def _print_borexino(r) -> None:
    c, a = r["card"], r["card_assumptions"]
    print(
        f"Seed 001 (BOREXINO): ⁵¹Cr {c['activity_mci']:g} MCi for {a['run_days']:g} days, "
        f"{a['distance_cm'] / 100:g} m from {a['detector']}"
    )
    t = r["events_total"]
    print(
        f"  events in 250–800 keV: signal {t['signal']:.0f}, solar ν {t['solar']:.0f}, "
        f"flat {t['flat']:.0f} ({c['flat_rate_per_kev_100t_day']:g} /(keV·100 t·day))"
    )
    print(f"  M_Z′χ reach, 95 % CL [GeV] ({r['convention']}):")
    print(f"    statistics only        {r['mzp_chi_stat_gev']:6.1f}   (seed 275)")
    print(f"    with solar ν + flat    {r['mzp_chi_bkg_gev']:6.1f}   (seed 215)")
    print(f"    with solar ν only      {c['mzp_chi_solar_only_gev']:6.1f}")
    print(
        f"  activity for 275 GeV (statistics only): {r['activity_for_275_gev_mci']:.3f} MCi; "
        f"there the card's backgrounds give {r['at_activity_for_275']['mzp_chi_card_bkg_gev']:.1f}"
        " GeV"
    )
    print(
        "    (with Δχ² = 3.84, two-sided: "
        f"{r['activity_for_275_gev_mci_delta_chi2_3.84']:.3f} MCi; GALLEX's source had 1.67 MCi)"
    )
    with_solar = r["flat_rate_for_215_gev_with_solar_per_kev_100t_day"]
    solar_only = r["at_activity_for_275"]["mzp_chi_solar_only_gev"]
    on_top = (
        f"{with_solar:.4g} on top of the solar ν (solar ν alone: {solar_only:.1f} GeV)"
        if math.isfinite(with_solar)
        else f"none on top of the solar ν, which alone give {solar_only:.1f} GeV"
    )
    print(
        "  flat background for 215 GeV at that activity: "
        f"{r['flat_rate_for_215_gev_per_kev_100t_day']:.4g} counts/(keV·100 t·day) alone; " + on_top
    )
    for p in r.get("plots", []):
        print(f"  wrote {p}")


def _truth(text: str):
    if text == "expected":
        return text
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--truth: '{text}' is not a number or 'expected'") from None
    if not (value >= 0 and value < float("inf")):
        raise ValueError(f"--truth: {text} is not allowed; it must be a finite number ≥ 0")
    return value


def _print_coverage(r) -> None:
    print(f"{r['title']}: coverage of the {r['cl']:.0%} CL intervals ({r['n_toys']} toys each)")
    print(
        f"  backgrounds: {', '.join(r['backgrounds']) or 'none'}; "
        f"expected limit {r['expected_limit']:.4g} {r['unit']}"
    )
    for p in r["points"]:
        print(
            f"  truth {p['truth']:10.4g} {r['unit']:6s} {p['method']:6s} "
            f"coverage {p['coverage']:.4f} ± {p['error']:.4f} (critical {p['critical']:.3f})"
        )
    for f in r.get("plots", []):
        print(f"  wrote {f}")


def _print_runs(r) -> None:
    """Which runs a reproduction read (--input) and which it simulated, when it read any."""
    runs = r.get("runs") or {}
    read = [f"{k} ({v})" for k, v in runs.items() if v != "simulated"]
    made = [k for k, v in runs.items() if v == "simulated"]
    if read:
        line = "  runs read: " + ", ".join(read)
        if made:
            n = r["events_per_component_simulated"]
            line += f"; simulated ({n} per component): " + ", ".join(made)
        print(line)


def _print_lxe(r) -> None:
    ev = r["events"]
    print("Seed 004 (LXe + ⁵¹Cr 5 MCi, 1 m below the fiducial volume)")
    _print_runs(r)
    print(
        f"  one deployment, 5–561 keV: signal {ev['signal']:.0f}; background "
        f"{ev['background']:.0f} (seed ≈{ev['seed']['total']}), of which ¹³⁶Xe "
        f"{ev['xe136']:.0f} (seed ≈{ev['seed']['xe136']})"
    )
    a = r["signal_mc_vs_quadrature"]
    print(
        f"  signal events vs exact quadrature, {a['bins_kev'][0]:g}–{a['bins_kev'][1]:g} keV: "
        f"χ² = {a['chi2']:.1f} for {a['ndf']} bins (p = {a['p_value']:.2f})"
    )
    print(f"  μν 95 % CL bound [μ_B] ({r['mu_bound_convention']}):")
    for deploy, row in r["mu_bound_95"].items():
        cells = ", ".join(f"{k} keV: {v:.3g}" for k, v in row.items())
        print(f"    {deploy} deployment(s): {cells}")
    print("  sterile sin²2θ at the 95 % CL boundary (Asimov, Wilks):")
    for key, row in r["sterile_s22_95"].items():
        cells = ", ".join(f"{k} eV²: {v:.3g}" if v else f"{k} eV²: none" for k, v in row.items())
        print(f"    {key:18s} {cells}")
    for p in r.get("plots", []):
        print(f"  wrote {p}")


def _print_hellaz(r) -> None:
    names = {"chi": "χ", "psi": "ψ", "eta": "η", "lr": "LR"}
    print("Seeds 001, 002 (HELLAZ 6 t He TPC; ⁵¹Cr 5 MCi 100 d, ⁹⁰Sr–⁹⁰Y 1 MCi 1 y)")
    _print_runs(r)
    ev = r["zprime_events"]
    print(
        "  ⁵¹Cr events (exact): "
        + ", ".join(
            f"{w} keV: signal {v['signal']:.0f}, bkg {v['background']:.0f}" for w, v in ev.items()
        )
    )
    a = r["signal_mc_vs_quadrature"]
    print(
        f"  signal events vs exact quadrature, 100–560 keV: χ² = {a['chi2']:.1f} for "
        f"{a['ndf']} bins (p = {a['p_value']:.2f})"
    )
    print("  Z′ γ = M_Z²/M_Z′² at 95 % CL (Asimov, Δχ² = 2.71; stat ⊕ δ per bin, signal only):")
    for w, per in r["gamma_sensitivity"].items():
        for m, row in per.items():
            cells = ", ".join(
                f"{k} %: {v:.3g}" for k, v in row.items() if k in ("0", "1", "5", "10")
            )
            bg = r["gamma_sensitivity_with_background"][w][m]["0"]
            print(f"    {w} keV {names[m]:3s} {cells}   (with backgrounds, 0 %: {bg:.3g})")
    print("  the same with δ the whole error per bin (statistics ignored), δ = 1, 5, 10 %:")
    for w, per in r["gamma_sensitivity_total_error_only"].items():
        cells = "; ".join(
            f"{names[m]} " + "/".join(f"{row[k]:.3g}" for k in ("1", "5", "10"))
            for m, row in per.items()
        )
        print(f"    {w} keV: {cells}")
    pc = r["gamma_sensitivity_printed_charges"]
    print(
        "  the seeds' printed E6 charges, 0 %: "
        + "; ".join(f"{w} keV ψ {v['psi']['0']:.3g}, η {v['eta']['0']:.3g}" for w, v in pc.items())
    )
    refs = ", ".join(f"{k}: γ = {v:.3g}" for k, v in r["zprime_references_gamma"].items())
    print(f"  Z′χ bounds: {refs}")
    a = r["sry_t_mc_vs_exact"]
    print(
        f"  ⁹⁰Sr–⁹⁰Y signal events (true T) vs exact ⟨dσ/dT⟩, {a['bins_kev'][0]:g}–"
        f"{a['bins_kev'][1]:g} keV: χ² = {a['chi2']:.1f} for {a['ndf']} bins "
        f"(p = {a['p_value']:.2f})"
    )
    print("  μν = 6e-11 μ_B, ⁹⁰Sr–⁹⁰Y, T ≥ 100 keV (exact; seed 002 in brackets):")
    s = r["seed_comparison_mm"]
    print(
        f"    magnetic/SM events {s['mm_over_sm_t100'][0]:.3f}, magnetic share of all "
        f"{s['mm_share_of_total_t100'][0]:.3f} [seed: 30 % enhancement]"
    )
    print(
        f"    C > 0.7: magnetic/SM {s['c07_mm_over_sm'][0]:.2f} [comparable], share of SM events "
        f"{s['c07_share_sm'][0]:.3f}, of all {s['c07_share_of_total'][0]:.3f} [30 %]"
    )
    ex, mc = r["c_cuts_exact"], r["c_cuts_events"]
    print("    C cut    SM share exact / events     magnetic/SM exact / events")
    for i, c in enumerate(ex["cuts"]):
        print(
            f"    {c:5.2f}    {ex['share_sm'][i]:.4f} / {mc['share_sm'][i]:.4f}"
            f"           {ex['mm_over_sm'][i]:.3f} / {mc['mm_over_sm'][i]:.3f}"
        )
    c = r["cr51_mm_over_sm_at_100kev"]
    print(
        f"  ⁵¹Cr 746.9 keV at T = 100 keV: magnetic/SM {c['6e-11']:.2f} (6e-11), "
        f"{c['1e-10']:.2f} (1e-10); equal at μν = {r['cr51_mu_equal_at_100kev']:.2e} μ_B "
        "[seed: same order for 0.6–1e-10]"
    )
    d = r["direction_separation"]
    print(
        f"  direction cut E_ν(E_rec, θ_rec) in {d['band_mev'][0]}–{d['band_mev'][1]} MeV, "
        f"100–560 keV: signal kept {d['by_component']['signal']['kept']:.3f}, solar kept "
        f"{d['solar']['kept']:.4f}; signal/solar {d['signal_over_solar']['window']:.2f} → "
        f"{d['signal_over_solar']['after_cut']:.1f}"
    )
    print(f"  {r['seconds']:.1f} s")
    for p in r.get("plots", []):
        print(f"  wrote {p}")


def _print_sterile_coverage(r) -> None:
    print(
        f"{r['title']}: Feldman–Cousins, {r['n_toys']} toys per true point "
        f"({r['fc_grid'][0]} × {r['fc_grid'][1]} grid, {r['fc_seconds']:.0f} s)"
    )
    crit = [c for row in r["critical"]["values"] for c in row]
    print(f"  critical Δχ² from {min(crit):.2f} to {max(crit):.2f} (Wilks: {r['wilks_level']:.2f})")
    for m in ("wilks", "fc"):
        cells = ", ".join(
            f"{k} eV²: {v:.3g}" if v else f"{k} eV²: none"
            for k, v in r["contour_s22_95"][m].items()
        )
        print(f"  {m:6s} contour sin²2θ: {cells}")
    for p in r["points"]:
        print(
            f"  true ({p['s22_true']:g}, {p['dm2_true']:g} eV²): Wilks "
            f"{p['wilks']['coverage']:.3f} ± {p['wilks']['error']:.3f}, FC "
            f"{p['fc']['coverage']:.3f} ± {p['fc']['error']:.3f} (critical {p['critical']:.2f})"
        )
    for f in r.get("plots", []):
        print(f"  wrote {f}")


def _print_rate(r) -> None:
    print(f"{r['title']}")
    print(f"  decays               {r['decays']:.4e}")
    print(f"  neutrinos            {r['neutrinos']:.4e}")
    print(f"  electrons            {r['electrons']:.4e}  ({r['detector_mass_kg']:.6g} kg)")
    print(
        f"  geometric factor     {r['geometric_factor_cm']:.6g} ± "
        f"{r['geometric_factor_error_cm']:.2g} cm  ({r['geometric_factor_method']})"
    )
    print(
        f"  σ̄ in [{r['window_kev'][0]:.4g}, {r['window_kev'][1]:.4g}] keV  {r['sigma_cm2']:.4e} cm²"
    )
    print(f"  signal events        {r['signal_events']:.6g}")
    if "signal_events_oscillated" in r:
        print(
            f"  with oscillation     {r['signal_events_oscillated']:.6g} "
            f"(⟨P_ee⟩ = {r['mean_p_ee']:.5f} ± {r['mean_p_ee_error']:.1g})"
        )
    comps = r.get("components", {})
    if len(comps) > 1:
        lo, hi = r["generation_window_kev"]
        span = f"T ≥ {lo:.4g} keV" if hi is None else f"{lo:.4g} ≤ T < {hi:.4g} keV"
        print(f"  expected events per component, true energy {span} (the card's [window]):")
        print(f"    {'component':12s} {'kind':8s} {'events':>12s} {'decays':>12s}")
        for name, c in comps.items():
            decays = f"{c['decays']:12.5g}" if "decays" in c else f"{'':12s}"
            print(f"    {name:12s} {c['kind']:8s} {c['events']:12.5g} {decays}")
        for name, c in comps.items():
            if "single_site_in_window_per_decay" in c:
                lo, hi = c["single_site_window_kev"]
                print(
                    f"  {name} with γ transport: {c['single_site_in_window_per_decay']:.4g} ± "
                    f"{c['single_site_in_window_per_decay_err']:.2g} of decays single-site in "
                    f"{lo:g}–{hi:g} keV (naked β only: {c['naked_in_window_per_decay']:.4g})"
                )
            if "emitted_per_day" in c:
                lo, hi = c["single_site_window_kev"]
                print(
                    f"  {name} at the start: {c['emitted_per_day']:.3g} γ/day emitted, "
                    f"{c['interacting_in_fiducial_per_day']:.3g} ± "
                    f"{c['interacting_in_fiducial_per_day_err']:.2g} /day interact in the "
                    f"fiducial volume, {c['single_site_in_window_per_day']:.3g} ± "
                    f"{c['single_site_in_window_per_day_err']:.2g} /day single-site in "
                    f"{lo:g}–{hi:g} keV"
                )


def main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
    except KeyboardInterrupt:
        print("nusource: interrupted", file=sys.stderr)
        return 130
    given = {k for k in CARD_KEYS if getattr(args, k, None) is not None}
    if args.command not in ("sources", "merge"):
        from . import lean_start

        try:  # (numba's import: a Ctrl-C in the first few tenths of a second lands here)
            lean_start.dataclasses_compiled_once()
            lean_start.numba()
            lean_start.pydantic()
        except KeyboardInterrupt:
            print(f"nusource {args.command}: interrupted", file=sys.stderr)
            return 130

    def one_line(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"nusource {args.command}: warning: {_in_user_words(text, given)}", file=sys.stderr)

    hook = sys.unraisablehook
    lost = []
    sys.unraisablehook = _ctrl_c_is_never_lost(hook, lost)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = one_line
            code = _run(args, argv, given)
    except Exception as err:
        if not lost and not _caused_by_ctrl_c(err):
            raise
        return _interrupted_after(args.command, lost)
    finally:
        sys.unraisablehook = hook
    return code


def _caused_by_ctrl_c(err: BaseException) -> bool:
    """Whether an error came from a Ctrl-C: a compiled function's dispatcher that returns
    while the interrupt is pending (it landed in the Python code of numba's call, e.g.
    loading the kernel from its cache) makes CPython raise SystemError "returned a result
    with an exception set", caused by the KeyboardInterrupt."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def _interrupted_after(command: str, lost: list) -> int:
    """A command that failed right after a Ctrl-C was lost in a callback (numba's
    compilation left half done) was interrupted: say so, exit 130."""
    try:
        for again in lost:
            again.cancel()
        time.sleep(0.05)  # (a delivery already under way lands here)
    except KeyboardInterrupt:
        pass
    print(f"nusource {command}: interrupted", file=sys.stderr)
    return 130


def _ctrl_c_is_never_lost(default, lost=None):
    """An unraisable-exception hook that raises a lost Ctrl-C again in the main program.

    Python runs weakref callbacks, ``__del__`` methods (the garbage collector's,
    at any moment) and ctypes callbacks (LLVM's, while numba compiles) with their
    exceptions "ignored": a KeyboardInterrupt raised there was printed as a
    traceback and lost, and the command went on to its end.  The signal is
    delivered again 20 ms later, from another thread (delivered at once it would
    land in this hook and be lost again), until it lands in the program itself.
    Each such delivery is appended to ``lost`` (a list), so that an error the lost
    interrupt caused before it (numba's "no compiled object yet" for the kernel it
    was compiling) can be told from a failure.
    """

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            import _thread
            import threading

            again = threading.Timer(0.02, _thread.interrupt_main)
            again.daemon = True
            again.start()
            if lost is not None:
                lost.append(again)
            return
        default(unraisable)

    return hook


def _exit_now(code: int) -> int:
    """The program (:func:`run`) ends at once when its command is done.

    Its files are closed and its state kept or removed by then (interrupted or
    not); what is left is the interpreter's own shutdown, freeing every module
    and numba's compiled code one object at a time (~0.02 s after a run; an
    interrupted one can take 0.3–0.5 s).  The exit handlers registered with
    :mod:`atexit` run first (logging, h5py, temporary directories), then the
    standard streams are flushed and the process ends.  Nothing is skipped
    while a child process or a thread still has to be waited for, nor where
    Python keeps its exit handlers elsewhere.
    """
    import atexit
    import os
    import threading

    processes = sys.modules.get("multiprocessing")
    if (
        not hasattr(atexit, "_run_exitfuncs")
        or (processes is not None and processes.active_children())
        or any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate())
    ):
        return code
    finish_as_at_exit()
    os._exit(code)


def finish_as_at_exit() -> None:
    """What the interpreter does at exit before freeing its modules: the :mod:`atexit`
    handlers, then the standard streams flushed (nothing where Python keeps its exit
    handlers elsewhere)."""
    import atexit

    getattr(atexit, "_run_exitfuncs", lambda: None)()
    sys.stdout.flush()
    sys.stderr.flush()


def program_environment() -> None:
    """The program's defaults in its environment (:func:`run`, and a command that
    ``nusource serve`` runs): pydantic's plugins off unless ``PYDANTIC_DISABLE_PLUGINS``
    says otherwise (see :func:`run`)."""
    import os

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _run(args, argv, given) -> int:
    command = ["nusource", *(argv if argv is not None else sys.argv[1:])]
    try:
        from . import jobs  # (inside: Ctrl-C while the stages load is an interruption too)

        _check_numbers(args)
        if args.command == "sources":
            rows = jobs.sources_table()
            _json(rows) if args.json else _print_sources(rows)
        elif args.command == "xsec":
            r = jobs.xsec(args.source, **_model_kwargs(args))
            _json(r) if args.json else _print_xsec(r)
        elif args.command == "rate":
            r = jobs.rate(
                args.card, geometry_samples=args.geometry_samples, overrides=_overrides(args)
            )
            _json(r) if args.json else _print_rate(r)
        elif args.command == "sample":
            _sample(args, command, jobs)
        elif args.command == "simulate":
            _simulate(args)
        elif args.command == "plan":
            _plan(args)
        elif args.command == "analyze":
            r = jobs.analyze(args.files, args.card, plots=args.plots, templates=args.templates)
            _json(r) if args.json else _print_analysis(r)
        elif args.command == "reproduce":
            from .progress import progress_bar

            n = REPRODUCE_N[args.study] if args.n is None else args.n
            if args.study == "lxe":
                r = jobs.reproduce_lxe(
                    files=args.input,
                    keep=args.keep,
                    n=n,
                    seed=args.seed,
                    plots=args.plots,
                    workers=args.workers,
                )
                print(json.dumps(r, indent=2)) if args.json else _print_lxe(r)
                return 0
            if args.study == "hellaz":
                r = jobs.reproduce_hellaz(
                    files=args.input,
                    keep=args.keep,
                    n=n,
                    seed=args.seed,
                    plots=args.plots,
                    workers=args.workers,
                )
                _json(r) if args.json else _print_hellaz(r)
                return 0
            if args.study == "borexino":
                r = jobs.reproduce_borexino(
                    files=args.input,
                    n=n,
                    seed=args.seed,
                    plots=args.plots,
                    workers=args.workers,
                )
                _json(r) if args.json else _print_borexino(r)
                return 0
            with progress_bar(n, "simulating") as tick:
                r = jobs.reproduce_lama(
                    files=args.input,
                    n=n,
                    seed=args.seed,
                    plots=args.plots,
                    workers=args.workers,
                    progress=tick,
                )
            _json(r) if args.json else _print_lama(r)
        elif args.command == "coverage":
            truth = None if args.truth is None else [_truth(v) for v in args.truth]
            r = jobs.coverage(
                args.card,
                run_card=args.run_card,
                toys=args.toys,
                truth=truth,
                method=args.method,
                seed=args.seed,
                workers=args.workers,
                template_events=args.template_events,
                plots=args.plots,
                dask=args.dask,
                state=args.state,
                from_files=args.from_files,
            )
            if args.json:
                _json(r)
            elif r.get("study") == "sterile":
                _print_sterile_coverage(r)
            else:
                _print_coverage(r)
        elif args.command == "export":
            r = jobs.export_hepmc3(args.file, args.output, overwrite=args.overwrite)
            skipped = r["not_exported"]
            which = (
                f" (the signal's ν–e events; not exported: {', '.join(skipped)})" if skipped else ""
            )
            _json(r) if args.json else print(f"wrote {r['events']} events to {r['output']}{which}")
        elif args.command == "geometry":
            r = jobs.geometry_gdml(args.card, args.output, overwrite=args.overwrite)
            _json(r) if args.json else print(
                f"wrote {r['output']} (detector {r['detector_mass_kg']:.6g} kg)"
            )
        elif args.command == "serve":
            from . import serve

            if not 0 < args.idle_minutes <= 10_080:
                raise ValueError(
                    f"--idle-minutes: {args.idle_minutes:g} must be in (0, 10080] (a week)"
                )
            from .runcard import card_path

            cards = [card_path(c).resolve() for c in args.warm]
            return serve.serve(warm_cards=cards, idle_minutes=args.idle_minutes)
        elif args.command == "merge":
            from .io.merge import merge_files

            _refuse_chunk_directory(args.inputs)
            _check_compression(args.output, args.compression)
            r = merge_files(
                args.inputs,
                args.output,
                compression=args.compression,
                allow_different_cards=args.allow_different_cards,
                overwrite=args.overwrite,
            )
            k = len(r["inputs"])
            _json(r) if args.json else print(
                f"merged {k} file{'s' if k != 1 else ''} ({r['events']} events) into {r['output']}"
            )
    except BrokenPipeError:  # the output's reader went away (`| head`): stop quietly
        _stdout_to_devnull()
        return 141  # (128 + SIGPIPE, as a shell reports a Unix tool stopped so)
    except (ValueError, OSError) as exc:
        msg = _in_user_words(_message(exc), given)
        print(f"nusource {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resumable = args.command in ("simulate", "sample") and getattr(args, "card", None)
        hint = "; what was written is kept: run the same command again to go on from there"
        hint = hint if resumable else ""
        print(f"nusource {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    return 0


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of a
    closed pipe raises nothing."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _simulate(args) -> None:
    from .production import simulate
    from .progress import progress_bar

    t0 = time.perf_counter()
    cluster = _cluster_spec(args)
    _check_array_options(args)
    if args.chunks is not None:
        _simulate_chunks(args)
        return
    _check_compression(args.output, args.compression)
    prod = _simulate_plan(args)
    with progress_bar(sum(prod.sizes), "simulating") as tick:
        r = simulate(
            prod,
            workers=args.workers,
            progress=tick,
            keep_chunks=args.keep_chunks,
            overwrite=args.overwrite,
            dask=args.dask,
            cluster=cluster,
            assemble=args.assemble,
        )
    r["seconds"] = time.perf_counter() - t0
    for note in r["notes"]:
        print(f"nusource simulate: note: {note}", file=sys.stderr)
    if args.json:
        _json(r)
    else:
        print(
            f"wrote {r['events']} events to {r['output']} (expected {r['expected_events']:.6g} "
            f"in the card's exposure; {r['chunks']} chunks, {r['chunks_resumed']} resumed; "
            f"{r['seconds']:.1f} s)"
        )


def _simulate_plan(args):
    """The production `simulate` asks for (whole runs, --chunks and --assemble alike: one key)."""
    from .production import plan

    return plan(
        args.card,
        args.output,
        n=args.n,
        exposure=args.exposure,
        seed=args.seed,
        chunk_size=args.chunk_size,
        compression=args.compression,
        overwrite=args.overwrite,
        overrides=_overrides(args),
        schema=args.schema,
    )


def _simulate_chunks(args) -> None:
    """`simulate --chunks A:B`: chunk files of one array job."""
    from .production import make_chunks
    from .production.arrays import parse_chunks

    prod = _simulate_plan(args)
    a, b = parse_chunks(args.chunks, len(prod.sizes))
    r = make_chunks(prod, a, b, workers=args.workers, overwrite=args.overwrite)
    r["total_chunks"] = len(prod.sizes)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(
            f"made chunks {r['chunks']} of {r['total_chunks']} in {r['directory']}: "
            f"{r['made']} new ({r['events']} events), {r['kept']} already there; "
            f"{r['seconds']:.1f} s"
        )


def _sample(args, command, jobs) -> None:
    from .progress import progress_bar

    if args.card is not None:
        for dest in ("exposure", "proposal_mu"):
            if getattr(args, dest) is not None:
                raise ValueError(
                    f"{_flag(dest)} applies without a run card (with one, the card's exposure "
                    "and proposal_mu_bohr hold)"
                )
    elif args.source is None:
        raise ValueError("give a run card or --source NAME")
    elif (args.mode or "fixed") == "exposure" and args.exposure is None:
        raise ValueError(
            "--mode exposure needs --exposure X (neutrinos × electrons per cm²): the number of "
            "events is Poisson(X × σ̄), and the default X = 1 gives none"
        )
    with progress_bar(args.n, "sampling") as tick:
        if args.card is not None:
            r = jobs.sample_card(
                args.card,
                args.output,
                n=args.n,
                seed=args.seed,
                mode=args.mode,
                chunk_size=args.chunk_size,
                command=command,
                progress=tick,
                workers=args.workers,
                overwrite=args.overwrite,
                overrides=_overrides(args),
            )
        else:
            r = jobs.sample(
                args.source,
                args.output,
                n=args.n,
                seed=args.seed or 0,
                mode=args.mode or "fixed",
                exposure=1.0 if args.exposure is None else args.exposure,
                proposal_mu=args.proposal_mu,
                chunk_size=1_000_000 if args.chunk_size is None else args.chunk_size,
                command=command,
                progress=tick,
                overwrite=args.overwrite,
                **_model_kwargs(args),
            )
    if args.json:
        _json(r)
    else:
        print(
            f"wrote {r['events']} events to {r['output']} "
            f"(σ̄ = {r['sigma_cm2']:.4e} cm², {r['seconds']:.2f} s)"
        )


GC_FIRST_THRESHOLD = 50_000
"""Allocations between the collector's young-generation passes in a command (Python: 700)."""


def run() -> int:
    """The program (``nusource``, ``python -m nusource.cli``): :func:`main`, short-lived.

    Starting makes ~10⁵ objects that live as long as the process (numba's
    types and registries, pydantic's models); with Python's default threshold
    the collector walks them some 300 times (~0.1 s), and again while the
    interpreter shuts down (~0.2 s).  Here the young generation is collected
    every :data:`GC_FIRST_THRESHOLD` allocations, and at the end every object
    is frozen, so shutting down frees memory without searching it for cycles
    (the operating system takes the process's memory back at once).  When
    the command is done, the process ends without the interpreter's shutdown
    (:func:`_exit_now`).  ``main`` itself, called from Python, leaves the
    collector alone and returns.

    pydantic's plugins (observers of validation, found by reading the
    metadata of every installed distribution, ~0.01 s) are off in this
    process unless ``PYDANTIC_DISABLE_PLUGINS`` says otherwise: a card's
    validation is the program's own.
    """

    from . import serve  # (the standard library only)

    if sys.argv[1:2] != ["serve"]:
        code = serve.forward(sys.argv[1:])
        if code is not None:  # run by this installation's server
            return code
    program_environment()
    gc.set_threshold(GC_FIRST_THRESHOLD, *gc.get_threshold()[1:])
    try:
        code = main()
    finally:
        gc.freeze()
    return _exit_now(code)


if __name__ == "__main__":
    sys.exit(run())
