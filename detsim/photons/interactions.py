"""Sampling of photon interactions: Compton, Rayleigh, directions (numba kernels).

Compton scattering on free electrons at rest follows Klein & Nishina (1929),

    dσ/dε ∝ (1/ε + ε) (1 − ε sin²θ/(1 + ε²)),   ε = E′/E = 1/(1 + κ(1 − cos θ)),

sampled with the composition–rejection method of Butcher & Messel (1960) as in
EGS and Geant4. With ``incoherent_sf`` the Klein–Nishina distribution is
further thinned by the incoherent scattering function S(y)/Z (binding:
fewer forward scatters at low energy); the one-parameter form
S/Z = 1 − (1 + γy)⁻⁴, y = κ²(1 − cos θ), fitted per element to XCOM's
incoherent cross section at 10–100 keV, is a rough approximation of the shape
of Hubbell's tables (the per-energy fits of γ scatter by a factor of ~2, see
``data/photon_form_factors.csv``); the rate of incoherent scattering is
XCOM's in both cases, so the option only moves angles at low energy. Doppler
broadening is neglected.

Rayleigh scattering follows dσ/dΩ ∝ (1 + cos²θ) F²(y), with the atomic form
factor approximated by F = Z/(1 + βy)², β fitted per element so that the
integral reproduces XCOM's coherent cross section at 1–10 MeV. The
approximation sets the width of the forward peak (a few degrees at 1 MeV in
tungsten); the rate of Rayleigh scattering is XCOM's. Without
``rayleigh_ff`` the angle follows the Thomson distribution (1 + cos²θ)
(overestimates large angles).
"""

from __future__ import annotations

import math

from nusource.core.jit import jit_inline
from nusource.core.pcg64 import uniform
from nusource.core.rng_kernels import disc_point

ME_MEV = 0.51099895
"""Electron mass [MeV]."""


@jit_inline
def rotate(u, v, w, cos_t, rng):
    """Direction at polar angle acos(cos_t) from (u, v, w), azimuth uniform.

    Returns the new unit vector (u′, v′, w′); ``(u, v, w)`` must be a unit vector.
    The azimuth's (cos φ, sin φ) come from a point in the unit disc, scaled by
    sin θ in one division (two divisions and two square roots in all; the
    result is a unit vector to rounding, as its input, and is not renormalised).
    A direction within 4.5 mrad of ±z (|w| > 0.99999) is rotated about ±z itself.
    """
    a, b, r2 = disc_point(rng)
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    k = sin_t / r2
    scp = (a * a - b * b) * k  # sin θ cos φ
    ssp = 2.0 * a * b * k  # sin θ sin φ
    if abs(w) > 0.99999:
        sgn = 1.0 if w > 0.0 else -1.0
        return scp, ssp, sgn * cos_t
    tmp = math.sqrt(1.0 - w * w)
    inv = 1.0 / tmp
    un = u * cos_t + (u * w * scp - v * ssp) * inv
    vn = v * cos_t + (v * w * scp + u * ssp) * inv
    wn = w * cos_t - tmp * scp
    return un, vn, wn


@jit_inline
def klein_nishina(kappa, rng):
    """Sample ε = E′/E and cos θ of Compton scattering (Klein–Nishina).

    Parameters
    ----------
    kappa : float
        Photon energy in electron masses, E/(mₑc²).
    rng : numpy.random.Generator

    Returns
    -------
    eps, cos_t : float
        Energy fraction kept by the photon and cosine of the scattering angle.
    """
    eps0 = 1.0 / (1.0 + 2.0 * kappa)
    eps0sq = eps0 * eps0
    alpha1 = -math.log(eps0)
    alpha2 = 0.5 * (1.0 - eps0sq)
    p1 = alpha1 / (alpha1 + alpha2)
    while True:
        if p1 > uniform(rng):
            eps = math.exp(-alpha1 * uniform(rng))
            epssq = eps * eps
        else:
            epssq = eps0sq + (1.0 - eps0sq) * uniform(rng)
            eps = math.sqrt(epssq)
        onecost = (1.0 - eps) / (eps * kappa)
        sint2 = onecost * (2.0 - onecost)
        greject = 1.0 - eps * sint2 / (1.0 + epssq)
        if greject >= uniform(rng):
            return eps, 1.0 - onecost


@jit_inline
def compton(kappa, elements, m, n_el, incoherent_sf, rng):
    """Sample a Compton scatter; optional thinning by the incoherent scattering function.

    Parameters
    ----------
    kappa : float
        E/(mₑc²).
    elements : float64[M, MAX_ELEMENTS, 4]
        (atoms per gram, Z, β, γ) of each material's elements.
    m : int
        Material number.
    n_el : int
        Elements of material m.
    incoherent_sf : bool
        Thin Klein–Nishina by S(y)/Z (mixture: electron-weighted mean of S/Z).
    rng : numpy.random.Generator

    Returns
    -------
    eps, cos_t : float
    """
    while True:
        eps, cos_t = klein_nishina(kappa, rng)
        if not incoherent_sf:
            return eps, cos_t
        y = kappa * kappa * (1.0 - cos_t)
        num = 0.0
        den = 0.0
        for k in range(n_el):
            ne = elements[m, k, 0] * elements[m, k, 1]
            t = 1.0 + elements[m, k, 3] * y
            t2 = t * t
            num += ne * (1.0 - 1.0 / (t2 * t2))
            den += ne
        if num >= uniform(rng) * den:
            return eps, cos_t


@jit_inline
def rayleigh(kappa, elements, m, n_el, form_factor, rng):
    """Sample cos θ of Rayleigh scattering.

    With ``form_factor``: choose an element with probability ∝ nᵢ∫F²dy up to
    y_max = 2κ², draw y from F² = Z²/(1 + βy)⁴ by inversion, accept with
    (1 + cos²θ)/2. Without: the Thomson distribution (1 + cos²θ).

    Parameters
    ----------
    kappa : float
        E/(mₑc²).
    elements : float64[M, MAX_ELEMENTS, 4]
        (atoms per gram, Z, β, γ) of each material's elements.
    m : int
        Material number.
    n_el : int
        Elements of material m.
    form_factor : bool
    rng : numpy.random.Generator

    Returns
    -------
    float
        cos θ.
    """
    k2 = kappa * kappa
    ymax = 2.0 * k2
    while True:
        if form_factor:
            total = 0.0
            for k in range(n_el):
                b = elements[m, k, 2]
                z = elements[m, k, 1]
                total += elements[m, k, 0] * z * z / b * (1.0 - (1.0 + b * ymax) ** -3.0)
            r = uniform(rng) * total
            j = n_el - 1
            acc = 0.0
            for k in range(n_el):
                b = elements[m, k, 2]
                z = elements[m, k, 1]
                acc += elements[m, k, 0] * z * z / b * (1.0 - (1.0 + b * ymax) ** -3.0)
                if r < acc:
                    j = k
                    break
            b = elements[m, j, 2]
            a = 1.0 - (1.0 + b * ymax) ** -3.0
            y = ((1.0 - uniform(rng) * a) ** (-1.0 / 3.0) - 1.0) / b
            cos_t = max(-1.0, 1.0 - y / k2)
        else:
            cos_t = 2.0 * uniform(rng) - 1.0
        if 2.0 * uniform(rng) <= 1.0 + cos_t * cos_t:
            return cos_t


__all__ = ["ME_MEV", "compton", "klein_nishina", "rayleigh", "rotate"]
