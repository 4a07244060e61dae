"""The ``nusource`` command line: parses, calls one job, prints the result."""

import argparse
import json
import sys

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
    m.add_argument("-o", "--output", required=True, help="output file (.npz, .h5)")
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


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
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
    except (ValueError, FileNotFoundError, FileExistsError, PermissionError) as exc:
        print(f"nusource {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


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
