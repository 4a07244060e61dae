"""Event selection: threshold, analysis window, fiducial volume and efficiency.

Each failed cut sets its bit of the ``flags`` field (generator/events.py
:data:`FLAGS`); an event with flags == 0 is selected. Every cut an event fails
is recorded (a cut-flow can be read off the bits), except that an event
removed by binding carries only the binding bit: it never reached the
detector.

Cuts, on the reconstructed energy erec [MeV]:

- threshold: erec < threshold → ``below_threshold`` (no cut when threshold = 0);
- window [lo, hi): erec < lo or erec ≥ hi → ``outside_window``;
- fiducial volume: the vertex (reconstructed or true) not inside the solid
  (surface included) → ``outside_fiducial``;
- efficiency ε: one uniform u per event (drawn only when ε < 1, for every
  event), u ≥ ε → ``rejected_efficiency``.
"""

from __future__ import annotations

from nusource.core.jit import jit
from nusource.core.pcg64 import uniform
from nusource.geometry.solids import inside_at
from nusource.io.schema import FLAGS

from .binding import BINDING_REMOVED

BELOW_THRESHOLD = FLAGS["below_threshold"]
OUTSIDE_FIDUCIAL = FLAGS["outside_fiducial"]
OUTSIDE_WINDOW = FLAGS["outside_window"]
REJECTED_EFFICIENCY = FLAGS["rejected_efficiency"]
NO_FIDUCIAL = -1
"""Solid kind that means "no fiducial cut"."""


@jit
def select(
    rng,
    erec,
    x,
    y,
    z,
    flags,
    threshold_mev,
    window_lo_mev,
    window_hi_mev,
    fiducial_kind,
    fiducial_params,
    efficiency,
):
    """Set the selection bits of ``flags`` in place.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's detector stream (used only when ``efficiency < 1``).
    erec : float64[n]
        Reconstructed energy [MeV].
    x, y, z : float64[n]
        Vertex tested against the fiducial volume [cm].
    flags : uint32[n]
        In: the binding bit; out: every failed cut's bit added.
    threshold_mev : float
        Threshold [MeV]; 0 means none.
    window_lo_mev, window_hi_mev : float
        Analysis window [lo, hi) [MeV]; (-inf, inf) means none.
    fiducial_kind : int
        Solid kind (nusource.geometry), or :data:`NO_FIDUCIAL`.
    fiducial_params : float64[8]
        Packed solid parameters [cm] (not read with :data:`NO_FIDUCIAL`).
    efficiency : float
        Probability to keep an event (independent of the other cuts), in [0, 1].
    """
    draw = efficiency < 1.0
    f0 = f1 = f2 = f3 = f4 = f5 = 0.0  # (read once, before the loop: see inside_at)
    if fiducial_kind != NO_FIDUCIAL:
        f = fiducial_params
        f0, f1, f2, f3, f4, f5 = f[0], f[1], f[2], f[3], f[4], f[5]
    for i in range(erec.shape[0]):
        u = uniform(rng) if draw else 0.0
        if flags[i] & BINDING_REMOVED:
            continue
        e = erec[i]
        bits = 0
        if threshold_mev > 0.0 and e < threshold_mev:
            bits |= BELOW_THRESHOLD
        if not (window_lo_mev <= e < window_hi_mev):
            bits |= OUTSIDE_WINDOW
        if fiducial_kind != NO_FIDUCIAL and not inside_at(
            fiducial_kind, f0, f1, f2, f3, f4, f5, x[i], y[i], z[i]
        ):
            bits |= OUTSIDE_FIDUCIAL
        if u >= efficiency:
            bits |= REJECTED_EFFICIENCY
        flags[i] |= bits
