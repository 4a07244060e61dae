"""Photon transport speed on one core: analog γ histories per second.

1 MeV photons start isotropically at the centre of a liquid-xenon cylinder of
1.4 m diameter and height and are tracked to absorption or escape with their
deposits grouped into TPC sites (3 mm along z, 1 cm across). The timed run
covers drawing the start directions, the tracking and the site grouping.
Prints the pinned (one core) figure, its ratio to the target, and the
unpinned figure beside it; best of several runs (the machine is shared).

    python benchmarks/photon_speed.py [--json] [--n 200000]
"""

import argparse
import json
import os
import time

import numba
import numpy as np

from nusource.core.jit import jit
from nusource.detsim.photons.regions import PhotonGeometry, Region
from nusource.detsim.photons.transport import TransportOptions, transport
from nusource.geometry import Cylinder

TARGET = 2e6


@jit
def _isotropic_starts(rng, energy, starts):
    for i in range(starts.shape[0]):
        w = 2.0 * rng.random() - 1.0
        phi = 2.0 * np.pi * rng.random()
        s = np.sqrt(1.0 - w * w)
        starts[i, 0] = 0.0
        starts[i, 1] = 0.0
        starts[i, 2] = 0.0
        starts[i, 3] = s * np.cos(phi)
        starts[i, 4] = s * np.sin(phi)
        starts[i, 5] = w
        starts[i, 6] = energy


def rate(n, repeats):
    geo = PhotonGeometry([Region("LXe", Cylinder(70.0, 70.0), "LXe", sensitive=True)])
    opts = TransportOptions(site_mode="tpc", site_dz_cm=0.3, site_dr_cm=1.0)
    rng = np.random.default_rng(2024)
    starts = np.empty((n, 7))
    offsets = np.arange(n + 1, dtype=np.int64)
    weights = np.ones(n)

    def run():
        _isotropic_starts(rng, 1.0, starts)
        return transport(geo, starts, offsets, weights, rng, opts)

    h = run()  # compile
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        h = run()
        best = min(best, time.perf_counter() - t0)
    return n / best, h


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=200_000, help="histories per timed run")
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args(argv)
    numba.set_num_threads(1)
    unpinned, _ = rate(a.n, a.repeats)
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        pinned, h = rate(a.n, a.repeats)
    finally:
        os.sched_setaffinity(0, allowed)
    res = {
        "gamma_histories_per_s": pinned,
        "gamma_histories_per_s_target": TARGET,
        "gamma_histories_target_ratio": pinned / TARGET,
        "gamma_histories_per_s_unpinned": unpinned,
        "mean_deposited_mev": float(h.energy.mean()),
        "mean_sites": float(h.n_sites.mean()),
    }
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"gamma_histories_per_s {pinned:.3e} /s (one core)   target {TARGET:.0e} "
            f"(ratio {pinned / TARGET:.2f});  unpinned {unpinned:.3e} /s"
        )
        print(
            f"  1 MeV in LXe D = H = 1.4 m: mean deposit {res['mean_deposited_mev']:.4f} MeV, "
            f"mean sites {res['mean_sites']:.2f}"
        )


if __name__ == "__main__":
    main()
