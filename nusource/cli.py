"""The ``nusource`` command line: parses, calls one job, prints the result."""

import argparse
import json
import sys
import time

from ._version import __version__


def _add_model_options(p: argparse.ArgumentParser, *, source_required: bool = True) -> None:
    g = p.add_argument_group("interaction model")
    g.add_argument(
        "--couplings",
        choices=["radiative", "tree"],
        default="radiative",
        help="electroweak couplings (default: radiative, Bahcall–Kamionkowski–Sirlin)",
    )
    g.add_argument(
        "--sin2w",
        type=float,
        default=None,
        help="sin²θ_W (tree default 0.23122; radiative default ŝ² = 0.2317)",
    )
    g.add_argument("--mu", type=float, default=0.0, help="neutrino magnetic moment [μ_B]")
    g.add_argument(
        "--zprime",
        default=None,
        metavar="MODEL:MASS_GEV",
        help="Z′: chi, psi, eta, lr or beta=DEG, and its mass in GeV (e.g. chi:330)",
    )
    g.add_argument(
        "--zprime-form",
        choices=["exact", "linear"],
        default="exact",
        help="Z′ with shifted couplings (exact) or to first order in γ (linear)",
    )
    g.add_argument(
        "--e6-charges",
        choices=["consistent", "printed"],
        default="consistent",
        help="E6 δg formula: charge-consistent, or as printed in the seeds",
    )
    s = p.add_argument_group("source and window")
    s.add_argument(
        "--source",
        required=source_required,
        default=None,
        help="built-in source (see `nusource sources`)",
    )
    s.add_argument(
        "--endpoint-kev",
        type=float,
        default=None,
        help="override the β endpoint Q [keV] (the seeds use 235 for pm147)",
    )
    s.add_argument("--fermi", choices=["relativistic", "nonrelativistic"], default="relativistic")
    s.add_argument(
        "--spectrum-file",
        default=None,
        help="two-column text file (energy keV, density) replacing the β spectrum",
    )
    s.add_argument("--tmin-kev", type=float, default=None, help="lower recoil limit T_lo [keV]")
    s.add_argument("--tmax-kev", type=float, default=None, help="upper recoil limit T_hi [keV]")


def _model_kwargs(a) -> dict:
    return dict(
        couplings=a.couplings,
        sin2w=a.sin2w,
        mu=a.mu,
        zprime=a.zprime,
        zprime_form=a.zprime_form,
        e6_charges=a.e6_charges,
        tmin_kev=a.tmin_kev,
        tmax_kev=a.tmax_kev,
        endpoint_kev=a.endpoint_kev,
        fermi=a.fermi,
        spectrum_file=a.spectrum_file,
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nusource",
        description="Neutrino–electron scattering with artificial neutrino sources.",
    )
    p.add_argument("--version", action="version", version=f"nusource {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sources", help="list the built-in neutrino sources")
    s.add_argument("--json", action="store_true", help="print JSON")

    x = sub.add_parser("xsec", help="flux-averaged cross section per electron [cm²]")
    _add_model_options(x)
    x.add_argument("--json", action="store_true", help="print JSON")

    r = sub.add_parser("rate", help="expected ν–e events of a run card, and their factors")
    r.add_argument("card", help="run card (TOML), e.g. configs/lxe_cr51.toml")
    r.add_argument(
        "--geometry-samples",
        type=int,
        default=None,
        help="Monte Carlo samples for the geometric factor (default: the card's)",
    )
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
        "--compression",
        default=None,
        help="ROOT: lz4 (default), zstd, zlib, none; HDF5: none (default), gzip, lzf",
    )
    s.add_argument("--overwrite", action="store_true", help="replace an existing output")
    s.add_argument(
        "--keep-chunks",
        action="store_true",
        help="also keep each chunk as an event file in OUTPUT.chunks/ (each event written twice)",
    )
    s.add_argument("--json", action="store_true", help="print the summary as JSON")

    g = sub.add_parser("merge", help="join event files (e.g. chunk files) into one")
    g.add_argument("inputs", nargs="+", help="files or glob patterns")
    g.add_argument("-o", "--output", required=True)
    g.add_argument(
        "--allow-different-cards",
        action="store_true",
        help="merge files made from different run cards",
    )
    g.add_argument("--compression", default=None)
    g.add_argument("--overwrite", action="store_true")

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
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("--plots", default=None, metavar="DIR", help="write PNG and PDF figures here")

    p2 = sub.add_parser("reproduce", help="reproduce a seed paper's results end to end")
    p2.add_argument("study", choices=["lama"], help="lama: seed 000 (Table 2, Z′χ reach)")
    p2.add_argument(
        "--input",
        nargs="+",
        default=None,
        help="files of the seed card's run to read instead of simulating",
    )
    p2.add_argument("-n", type=int, default=2_000_000, help="events to simulate (default 2e6)")
    p2.add_argument("--seed", type=int, default=None)
    p2.add_argument("--workers", type=int, default=1)
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
        default=1.0,
        help="neutrinos × electrons per cm² the weights refer to (default 1)",
    )
    m.add_argument(
        "--proposal-mu",
        type=float,
        default=None,
        help="weighted mode: μν [μ_B] of the proposal density",
    )
    m.add_argument("--chunk-size", type=int, default=None)
    m.add_argument("-o", "--output", required=True, help="output file (.root, .h5, .npz)")
    m.add_argument("--overwrite", action="store_true", help="replace an existing output")
    m.add_argument("--workers", type=int, default=1, help="local processes over chunks (card)")
    m.add_argument("--json", action="store_true", help="print JSON")
    return p


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
            f"  weighted events vs quadrature: χ² = {r['template_vs_quadrature_chi2']:.1f} "
            f"for {r['template_vs_quadrature_ndf']} bins"
        )
    if "fit" in r:
        f = r["fit"]
        p = f["parameter"]
        print(
            f"  fit ({f['data']}): {p} = {f['values'][p]:.4g} ± {f['errors'][p]:.2g}, "
            f"s = {f['values']['s']:.4f} ± {f['errors']['s']:.2g}"
        )
    if "zprime_sensitivity" in r:
        z = r["zprime_sensitivity"]
        row = ", ".join(f"{k} %: {v:.0f} GeV" for k, v in z["mass_gev"].items())
        print(f"  M_Z′ {z['model']} reach (Δχ² = {z['delta_chi2']}): {row}")


def _print_lama(r) -> None:
    print("Seed 000 (LAMA), Table 2: expected events per 20 keV recoil bin (this geometry)")
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
    print(f"  M_Z′χ reach, 95 % CL [GeV] ({r['sensitivity_convention']}):")
    for label, key in (
        ("this geometry", "mzp_sensitivity_gev"),
        ("seed's normalisation", "mzp_sensitivity_gev_seed_normalisation"),
    ):
        for mass, row in r[key].items():
            cells = ", ".join(f"{s} %: {v:.0f}" for s, v in row.items())
            print(f"    {label:21s} {mass:6s} {cells}")
    print(
        f"    seed 000: 400 kg ≈ 500, 1 t ≈ 625; 1 t / 400 kg here {r['ratio_1t_over_400kg']:.3f}"
    )
    for p in r.get("plots", []):
        print(f"  wrote {p}")


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
        w = r["window_kev"]
        print(f"  expected events per component in [{w[0]:.4g}, {w[1]:.4g}] keV (true energy):")
        print(f"    {'component':12s} {'kind':8s} {'events':>12s} {'decays':>12s}")
        for name, c in comps.items():
            decays = f"{c['decays']:12.5g}" if "decays" in c else f"{'':12s}"
            print(f"    {name:12s} {c['kind']:8s} {c['events']:12.5g} {decays}")


def _without_numba_extensions() -> None:
    """Skip loading numba's extension entry points in this process.

    The commands' kernels use no numba extension; the one installed beside
    uproot (awkward's) imports awkward whole at the first compiled call, ~0.2 s
    of every command's start.  Library users keep numba's default.
    """
    try:
        from numba.core import entrypoints

        entrypoints._already_initialized = True
    except (ImportError, AttributeError):  # another numba: its default
        pass


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command not in ("sources", "merge"):
        _without_numba_extensions()
    from . import jobs

    command = ["nusource", *(argv if argv is not None else sys.argv[1:])]
    try:
        if args.command == "sources":
            rows = jobs.sources_table()
            print(json.dumps(rows, indent=2)) if args.json else _print_sources(rows)
        elif args.command == "xsec":
            r = jobs.xsec(args.source, **_model_kwargs(args))
            print(json.dumps(r, indent=2)) if args.json else _print_xsec(r)
        elif args.command == "rate":
            r = jobs.rate(args.card, geometry_samples=args.geometry_samples)
            print(json.dumps(r, indent=2)) if args.json else _print_rate(r)
        elif args.command == "sample":
            _sample(args, command, jobs)
        elif args.command == "simulate":
            _simulate(args)
        elif args.command == "analyze":
            r = jobs.analyze(args.files, args.card, plots=args.plots)
            print(json.dumps(r, indent=2)) if args.json else _print_analysis(r)
        elif args.command == "reproduce":
            from .progress import progress_bar

            with progress_bar(args.n, "simulating") as tick:
                r = jobs.reproduce_lama(
                    files=args.input,
                    n=args.n,
                    seed=args.seed,
                    plots=args.plots,
                    workers=args.workers,
                    progress=tick,
                )
            print(json.dumps(r, indent=2)) if args.json else _print_lama(r)
        elif args.command == "export":
            r = jobs.export_hepmc3(args.file, args.output, overwrite=args.overwrite)
            print(json.dumps(r, indent=2)) if args.json else print(
                f"wrote {r['events']} events to {r['output']}"
            )
        elif args.command == "geometry":
            r = jobs.geometry_gdml(args.card, args.output, overwrite=args.overwrite)
            print(json.dumps(r, indent=2)) if args.json else print(
                f"wrote {r['output']} (detector {r['detector_mass_kg']:.6g} kg)"
            )
        elif args.command == "merge":
            from .io.merge import merge_files

            out = merge_files(
                args.inputs,
                args.output,
                compression=args.compression,
                allow_different_cards=args.allow_different_cards,
                overwrite=args.overwrite,
            )
            print(f"merged into {out}")
    except (ValueError, FileNotFoundError, FileExistsError, PermissionError, OSError) as exc:
        print(f"nusource {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resumable = args.command in ("simulate", "sample") and getattr(args, "card", None)
        hint = "; what was written is kept: run the same command again to go on from there"
        hint = hint if resumable else ""
        print(f"nusource {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    return 0


def _simulate(args) -> None:
    from .production import plan, simulate
    from .progress import progress_bar

    t0 = time.perf_counter()
    prod = plan(
        args.card,
        args.output,
        n=args.n,
        exposure=args.exposure,
        seed=args.seed,
        chunk_size=args.chunk_size,
        compression=args.compression,
        overwrite=args.overwrite,
        schema=args.schema,
    )
    with progress_bar(sum(prod.sizes), "simulating") as tick:
        r = simulate(
            prod,
            workers=args.workers,
            progress=tick,
            keep_chunks=args.keep_chunks,
            overwrite=args.overwrite,
            dask=args.dask,
        )
    r["seconds"] = time.perf_counter() - t0
    for note in r["notes"]:
        print(f"nusource simulate: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(
            f"wrote {r['events']} events to {r['output']} (expected {r['expected_events']:.6g} "
            f"in the card's exposure; {r['chunks']} chunks, {r['chunks_resumed']} resumed; "
            f"{r['seconds']:.1f} s)"
        )


def _sample(args, command, jobs) -> None:
    from .progress import progress_bar

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
            )
        else:
            if args.source is None:
                raise ValueError("give a run card or --source NAME")
            r = jobs.sample(
                args.source,
                args.output,
                n=args.n,
                seed=args.seed or 0,
                mode=args.mode or "fixed",
                exposure=args.exposure,
                proposal_mu=args.proposal_mu,
                chunk_size=args.chunk_size or 1_000_000,
                command=command,
                progress=tick,
                overwrite=args.overwrite,
                **_model_kwargs(args),
            )
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(
            f"wrote {r['events']} events to {r['output']} "
            f"(σ̄ = {r['sigma_cm2']:.4e} cm², {r['seconds']:.2f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
