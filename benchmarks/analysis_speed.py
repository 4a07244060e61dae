"""Analysis speed on one core: one Asimov Z′ sensitivity, and toy fits per second.

``asimov_s``: the LAMA case of seed 000 (¹⁴⁷Pm, χ model, 2–30 keV in 2 keV
bins) with a NaI-like response (Gaussian resolution, stepped binding, 2 keV
threshold): the quadrature expectation of all four parts plus the 95 % CL
limit with a 2 % systematic error per bin and a 1 % signal-normalisation pull
(Poisson form, profiled).  ``toy_fits_per_s``: toys of the same spectrum, each
drawn with its own Generator and fitted for (s, μν²) with Minuit.
Best of several runs (the machine is shared: the best is the least disturbed),
pinned to one core (``os.sched_setaffinity(0, {0})``), the unpinned figures beside.

Coverage and sterile figures (measured pinned to one core, the unpinned figure beside):

- ``mu_toys_per_s``: LXe μν toys (configs/lxe_cr51.toml quadrature expectation in 0.1 keV
  bins from 2 to 140 keV, 1380 bins; two background templates with 0.5 % and 5 % pulls, the
  signal normalisation with a 1 % pull): Poisson generation + profiled fit + the 95 % CL upper
  limit, per second;
- ``sterile_grid_s``: the 100 × 100 (sin²2θ, Δm²) Asimov grid, A1 built from 100,000 events
  plus every grid point profiled over (n_s, b) (``sterile_templates_s`` + ``sterile_fits_s``);
- ``sterile_toy_grid_fits_per_s``: Feldman–Cousins toys, each fitted at every point of a
  50 × 50 grid with (n_s, b) profiled (one toy = 2,500 fits);
- ``sterile_fc_profiled_toys_per_s``: Feldman–Cousins toys with sin²2θ profiled continuously
  and Δm² on 400 rows (the construction without the grid's bias), toys per second.

    python benchmarks/analysis_speed.py [--json] [--toys 500]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

# one BLAS thread: the per-bin passes of the μν fits are small matrix–vector products, which
# lose to thread start-up (and fight for the one pinned core) when OpenBLAS threads them
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numba  # noqa: E402
import numpy as np  # noqa: E402

from nusource.analysis.expectation import binned_expectation  # noqa: E402
from nusource.analysis.likelihood import BinnedModel, BinnedNLL  # noqa: E402
from nusource.analysis.toys import run_toys  # noqa: E402
from nusource.analysis.zprime_sensitivity import zprime_limit, zprime_physics_model  # noqa: E402
from nusource.generator.model import PhysicsModel  # noqa: E402
from nusource.generator.neutrino_spectrum import from_source  # noqa: E402
from nusource.generator.sources import get_source  # noqa: E402

TARGETS = {
    "asimov_s": 1.0,
    "toy_fits_per_s": 100.0,
    "mu_toys_per_s": 1e4,
    "sterile_grid_s": 10.0,
    "sterile_toy_grid_fits_per_s": 5e5,
}
REPO = Path(__file__).resolve().parents[1]
EDGES_MEV = np.arange(0.002, 0.0301, 0.002)
SHELLS_MEV = np.array([0.0011, 0.00456, 0.00485, 0.00519, 0.03317])
KEEP = np.array([0.0, 0.06, 0.14, 0.25, 0.47, 1.0])


def nai_sigma(t_mev):
    """σ [MeV] of σ/E = 0.448/√(E/keV) + 0.0091 (docs/physics.md §6)."""
    t = np.asarray(t_mev, dtype=float)
    return 0.448e-3 * np.sqrt(t * 1e3) + 0.0091 * t


def step_binding(q_mev):
    """A stepped Z_eff(q)/Z with NaI-like edges (only its shape matters here)."""
    return KEEP[np.searchsorted(SHELLS_MEV, np.asarray(q_mev, dtype=float), side="left")]


def best_time(fn, repeats=5):
    fn()  # compile and warm caches
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def stats_inputs():
    """LXe μν model and sterile-neutrino events (built once, outside the timings)."""
    from nusource.analysis.mu_bound import OneParameterModel, card_expectation, lxe_edges_kev
    from nusource.io.readers import read_events
    from nusource.jobs import sample_card

    card = REPO / "configs" / "lxe_cr51.toml"
    e = card_expectation(card, lxe_edges_kev(2.0), geometry_samples=200_000)
    m = e["sm"].size
    bk = np.vstack([np.full(m, 2.0), np.linspace(1.5, 0.5, m)])
    mu_model = OneParameterModel.magnetic(
        e["sm"], e["mag"], bk, sig_norm_sigma=0.01, bkg_sigmas=[0.005, 0.05]
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lxe.h5"
        sample_card(card, out, n=100_000, seed=3)
        ev = read_events(out).events
    return mu_model, ev[ev["te"] >= 0.005]


def stats_figures(mu_model, events, n_mu_toys=4000, n_grid_toys=40) -> dict:
    """The coverage and sterile figures (see the module docstring)."""
    from nusource.analysis.coverage import run_blocks
    from nusource.analysis.sterile import (
        asimov_grid,
        fc_grid_toys,
        fc_profiled_toys,
        flat_background,
        reconstructed_distance,
        sterile_templates,
    )

    def mu_toys():
        return run_blocks(mu_model, 0.0, n_mu_toys, seed=1, block_size=1000)

    edges = np.arange(90.0, 258.0, 3.0)
    lrec = reconstructed_distance(events, np.random.default_rng(1))
    bg = 51_130.0 * flat_background(edges, 68.5, 100.0, 237.0)
    dm2 = np.logspace(-2, 2, 100)
    s22 = np.logspace(-3, 0, 100)

    def templates():
        return sterile_templates(
            events["flight"], lrec, events["enu"], events["weight"], edges, dm2
        )

    a0, a1 = templates()

    def grid():
        return asimov_grid(a0, a1, bg, s22)

    a0c, a1c = sterile_templates(
        events["flight"], lrec, events["enu"], events["weight"], edges, np.logspace(-2, 2, 50)
    )
    s22c = np.logspace(-3, 0, 50)
    rng = np.random.default_rng(2)

    def toys():
        return fc_grid_toys(a0c, a1c, bg, s22c, 30, 30, n_grid_toys, rng)

    a0f, a1f = sterile_templates(
        events["flight"], lrec, events["enu"], events["weight"], edges, np.logspace(-2, 2, 400)
    )

    def profiled():
        return fc_profiled_toys(a0f, a1f, bg, a1f[200], 0.1, n_grid_toys, rng)

    t_tpl, t_grid = best_time(templates, 3), best_time(grid, 5)
    return {
        "mu_toys_per_s": n_mu_toys / best_time(mu_toys, 3),
        "sterile_templates_s": t_tpl,
        "sterile_fits_s": t_grid,
        "sterile_grid_s": t_tpl + t_grid,
        "sterile_toy_grid_fits_per_s": n_grid_toys * 2500 / best_time(toys, 3),
        "sterile_fc_profiled_toys_per_s": n_grid_toys / best_time(profiled, 3),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--toys", type=int, default=500, help="toys per timed run")
    a = ap.parse_args(argv)
    numba.set_num_threads(1)
    sp = from_source(get_source("pm147", endpoint_kev=235))
    model = zprime_physics_model(PhysicsModel("nuebar", "tree", 0.2386), "chi")
    norm = 18391.0 / binned_expectation(sp, model, [0.0, 0.1]).sm[0]

    def expectation():
        return binned_expectation(
            sp,
            model,
            EDGES_MEV,
            sigma=nai_sigma,
            binding=step_binding,
            binding_steps_mev=SHELLS_MEV,
            threshold_mev=0.002,
        ).scaled(norm)

    bm = BinnedModel.from_parts(expectation(), mu_unit=1e-11)

    def limit():
        return zprime_limit(bm, syst=0.02, sig_norm_sigma=0.01)

    def asimov():
        return zprime_limit(BinnedModel.from_parts(expectation()), syst=0.02, sig_norm_sigma=0.01)

    nll = BinnedNLL(bm, bm.expected(), syst=0.02, sig_norm_sigma=0.01)

    def toys():
        return run_toys(nll, {"mu2": 1.0}, a.toys, seed=1, pois=("mu2",))

    res = {
        "asimov_s_unpinned": best_time(asimov),
        "toy_fits_per_s_unpinned": a.toys / best_time(toys, repeats=3),
    }
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        res.update(
            {
                "asimov_s": best_time(asimov),
                "expectation_s": best_time(expectation),
                "limit_only_s": best_time(limit),
                "toy_fits_per_s": a.toys / best_time(toys, repeats=3),
                "limit_mass_gev": limit().mass_gev,
            }
        )
    finally:
        os.sched_setaffinity(0, allowed)
    res["asimov_target_ratio"] = TARGETS["asimov_s"] / res["asimov_s"]
    res["toy_fits_target_ratio"] = res["toy_fits_per_s"] / TARGETS["toy_fits_per_s"]
    mu_model, events = stats_inputs()
    unpinned = stats_figures(mu_model, events)
    try:
        os.sched_setaffinity(0, {0})
        pinned = stats_figures(mu_model, events)
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    for k, v in pinned.items():
        res[k] = v
        res[k + "_unpinned"] = unpinned[k]
    res["mu_toys_target_ratio"] = res["mu_toys_per_s"] / TARGETS["mu_toys_per_s"]
    res["sterile_grid_target_ratio"] = TARGETS["sterile_grid_s"] / res["sterile_grid_s"]
    res["sterile_toy_grid_fits_target_ratio"] = (
        res["sterile_toy_grid_fits_per_s"] / TARGETS["sterile_toy_grid_fits_per_s"]
    )
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"one Asimov Z′ sensitivity: {res['asimov_s']:.4f} s (expectation "
            f"{res['expectation_s']:.4f} s + limit {res['limit_only_s']:.4f} s); target ≤ 1 s "
            f"(ratio {res['asimov_target_ratio']:.1f}× faster); pinned to one core, "
            f"unpinned {res['asimov_s_unpinned']:.4f} s"
        )
        print(
            f"toy fits: {res['toy_fits_per_s']:.0f} /s; target ≥ 100 /s "
            f"(ratio {res['toy_fits_target_ratio']:.1f}); pinned, unpinned "
            f"{res['toy_fits_per_s_unpinned']:.0f} /s"
        )
        print(
            f"μν toys (generation + fit + upper limit, 1380 bins): {res['mu_toys_per_s']:.0f} /s "
            f"pinned ({res['mu_toys_per_s_unpinned']:.0f} unpinned); target ≥ 1e4 "
            f"(ratio {res['mu_toys_target_ratio']:.2f})"
        )
        print(
            f"sterile Asimov grid 100 × 100: {res['sterile_grid_s']:.3f} s pinned (templates "
            f"{res['sterile_templates_s']:.3f} s + fits {res['sterile_fits_s']:.3f} s; "
            f"{res['sterile_grid_s_unpinned']:.3f} s unpinned); target ≤ 10 s "
            f"(ratio {res['sterile_grid_target_ratio']:.0f}× faster)"
        )
        print(
            f"sterile FC toy grid fits: {res['sterile_toy_grid_fits_per_s']:.3g} /s pinned "
            f"({res['sterile_toy_grid_fits_per_s_unpinned']:.3g} unpinned); target ≥ 5e5 "
            f"(ratio {res['sterile_toy_grid_fits_target_ratio']:.2f})"
        )
        print(
            f"sterile FC toys, sin²2θ profiled, 400 Δm² rows: "
            f"{res['sterile_fc_profiled_toys_per_s']:.0f} /s pinned "
            f"({res['sterile_fc_profiled_toys_per_s_unpinned']:.0f} unpinned)"
        )


if __name__ == "__main__":
    main()
