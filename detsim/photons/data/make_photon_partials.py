"""Write ``photon_partials.csv`` and ``photon_form_factors.csv``.

Run once by hand (``python detsim/photons/data/make_photon_partials.py``);
the package reads only the CSV files, so runtime does not need ``mucoeff``
or ``scipy``.

Source: the ``mucoeff`` package (PyPI, version recorded in the file headers),
a Python port of MUCOEFF (Boone & Chavez, Med. Phys. 23 (1996) 1997,
doi:10.1118/1.597899), whose photon cross sections follow NIST XCOM (Berger &
Hubbell). It is the same source as ``geometry/data/attenuation.csv``, so the
partial cross sections written here add up to the geometry's total μ/ρ.

``photon_partials.csv``: per element, at mucoeff's own energy nodes from the
last node ≤ 10 keV to the first node ≥ 10 MeV (absorption edges appear twice,
value below the edge first), the partial mass attenuation coefficients
[cm²/g]: photoelectric, incoherent (Compton, with the incoherent scattering
function, as in XCOM), coherent (Rayleigh), pair production in the nuclear
field and in the electron field (triplet).

``photon_form_factors.csv``: one parameter per element for each of two
one-parameter approximations used to sample scattering angles (the
interaction *rates* always come from the XCOM columns):

- Rayleigh: atomic form factor F(y) = Z / (1 + β·y)², with
  y = κ²(1 − cos θ), κ = E/(mₑc²). β is fixed so that the coherent cross
  section (r_e²/2)∫(1 + cos²θ) F² dΩ equals XCOM's at the nodes
  1–10 MeV (median of the per-node solutions; their spread is written too).
- Incoherent scattering function S(y)/Z = 1 − 1/(1 + γ·y)⁴ (the single-orbital
  form S = Z − F²/Z with the same shape), γ fixed so that Z∫(dσ_KN/dΩ)(S/Z)dΩ
  equals XCOM's incoherent cross section at the nodes 10–100 keV (median).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

SYMBOLS = {
    "H": 1,
    "He": 2,
    "C": 6,
    "N": 7,
    "O": 8,
    "Na": 11,
    "Cr": 24,
    "Mn": 25,
    "Fe": 26,
    "Ni": 28,
    "Cu": 29,
    "I": 53,
    "Xe": 54,
    "W": 74,
    "Tl": 81,
    "Pb": 82,
}
E_MIN_KEV = 10.0
E_MAX_KEV = 10000.0
ME_KEV = 510.99895
R_E_CM = 2.8179403262e-13
AVOGADRO = 6.02214076e23


def table(z: int) -> np.ndarray:
    """Rows (energy [MeV], photo, incoh, coh, pair_nuc, pair_el [cm²/g]) of element z."""
    from mucoeff.io.load import get_table

    t = get_table(z)
    energy_kev = t[:, 0].astype(np.float32).astype(float)  # nodes are stored as float32
    lo = np.flatnonzero(energy_kev <= E_MIN_KEV)[-1]
    hi = np.flatnonzero(energy_kev >= E_MAX_KEV)[0]
    sel = slice(lo, hi + 1)
    # mucoeff columns: 1 total, 2 photoelectric, 3 Rayleigh, 4 Compton, 5 pair, 6 triplet
    return np.column_stack(
        [energy_kev[sel] / 1000.0, t[sel, 2], t[sel, 4], t[sel, 3], t[sel, 5], t[sel, 6]]
    )


def _sigma_coh(beta: float, kappa: float, z: int) -> float:
    """Coherent cross section per atom [cm²] with F = Z/(1 + βy)²."""
    from scipy.integrate import quad

    ymax = 2.0 * kappa * kappa

    def f(y):
        c = 1.0 - y / (kappa * kappa)
        return (1.0 + c * c) * z * z / (1.0 + beta * y) ** 4

    val, _ = quad(f, 0.0, ymax, points=[1.0 / beta, 10.0 / beta], limit=400)
    return 0.5 * R_E_CM**2 * 2.0 * math.pi / (kappa * kappa) * val


def _sigma_incoh(gamma: float, kappa: float, z: int) -> float:
    """Incoherent cross section per atom [cm²]: Klein–Nishina × S(y), S/Z = 1 − (1+γy)⁻⁴."""
    from scipy.integrate import quad

    def f(c):
        ratio = 1.0 / (1.0 + kappa * (1.0 - c))
        kn = 0.5 * R_E_CM**2 * ratio * ratio * (ratio + 1.0 / ratio - (1.0 - c * c))
        y = kappa * kappa * (1.0 - c)
        return kn * (1.0 - 1.0 / (1.0 + gamma * y) ** 4)

    val, _ = quad(f, -1.0, 1.0, points=[1.0 - 1.0 / (gamma * kappa * kappa)], limit=400)
    return z * 2.0 * math.pi * val


def form_factor_parameters(z: int, atomic_weight: float, rows: np.ndarray):
    """(β, relative spread of β, γ, relative spread of γ) for element z."""
    from scipy.optimize import brentq

    per_atom = atomic_weight / AVOGADRO
    betas = []
    for e, coh in zip(rows[:, 0], rows[:, 3], strict=True):
        if 1.0 <= e <= 10.0:
            kappa = e * 1000.0 / ME_KEV
            target = coh * per_atom
            betas.append(
                brentq(lambda b, k=kappa, s=target: _sigma_coh(b, k, z) - s, 1e-3, 1e12, rtol=1e-8)
            )
    gammas = []
    for e, inc in zip(rows[:, 0], rows[:, 2], strict=True):
        if 0.01 <= e <= 0.1:
            kappa = e * 1000.0 / ME_KEV
            target = inc * per_atom
            if _sigma_incoh(1e12, kappa, z) <= target:
                continue
            gammas.append(
                brentq(
                    lambda g, k=kappa, s=target: _sigma_incoh(g, k, z) - s, 1e-2, 1e12, rtol=1e-8
                )
            )
    b = float(np.median(betas))
    g = float(np.median(gammas))
    return b, float(np.ptp(betas) / b), g, float(np.ptp(gammas) / g)


def main(folder: Path) -> None:
    import mucoeff

    from nusource.geometry.elements import ELEMENTS

    version = mucoeff.__version__
    header = [
        "# Partial photon mass attenuation coefficients [cm2/g] (XCOM-based).",
        f"# Generated by detsim/photons/data/make_photon_partials.py from mucoeff {version}",
        "# (Boone & Chavez, Med. Phys. 23 (1996) 1997). Edges: repeated energy, value below",
        "# the edge first. Interpolate log-log between rows of the same element.",
        "symbol,Z,energy_MeV,photo,incoh,coh,pair_nuc,pair_el",
    ]
    lines = list(header)
    ff = [
        "# Scattering-angle form parameters fitted to the XCOM coherent/incoherent columns.",
        f"# Generated by detsim/photons/data/make_photon_partials.py from mucoeff {version}.",
        "# Rayleigh F = Z/(1+beta*y)^2, incoherent S/Z = 1-(1+gamma*y)^-4, y = kappa^2(1-cos).",
        "# *_spread: (max - min)/median of the per-node solutions.",
        "symbol,Z,beta,beta_spread,gamma,gamma_spread",
    ]
    for s, z in SYMBOLS.items():
        rows = table(z)
        for r in rows:
            lines.append(f"{s},{z}," + ",".join(f"{v:.6g}" for v in r))
        b, bs, g, gs = form_factor_parameters(z, ELEMENTS[s][1], rows)
        ff.append(f"{s},{z},{b:.6g},{bs:.3g},{g:.6g},{gs:.3g}")
        print(f"{s:2s} beta={b:.4g} (spread {bs:.2g})  gamma={g:.4g} (spread {gs:.2g})")
    (folder / "photon_partials.csv").write_text("\n".join(lines) + "\n")
    (folder / "photon_form_factors.csv").write_text("\n".join(ff) + "\n")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    main(out)
    print(f"wrote {out}/photon_partials.csv, {out}/photon_form_factors.csv")
