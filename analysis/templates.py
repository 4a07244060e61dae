"""Expected spectra from weighted Monte Carlo events, for any μν and γ.

Every event stores the parts of dσ/dT and the density it was drawn from, so
the expected events it represents under (μ, γ) are (generator/events.py)

    w(μ, γ) = gen_norm · p_ee · [xs_sm + μ²·xs_mag + γ·xs_zlin + γ²·xs_zquad] / xs_gen.

A :class:`Template` holds, per bin, the sums of the four part weights w_q and
their second moments Σ w_q·w_r, so both the expected counts and their Monte
Carlo error sqrt(Σ w²) follow for any (μ, γ) without reading the events again:
Σ w(μ, γ)² = vᵀ·S·v with v = (1, μ², γ, γ²).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nusource.io.schema import require_fields

from .histograms import selected

PART_FIELDS = ("xs_sm", "xs_mag", "xs_zlin", "xs_zquad")


@dataclass(frozen=True)
class Template:
    """Binned sums of the reweighting parts of Monte Carlo events.

    Attributes
    ----------
    edges_mev : ndarray, shape (m + 1,)
        Bin edges [MeV] of the histogrammed field.
    field : str
        Event field histogrammed (``'erec'`` or ``'te'``).
    parts : ndarray, shape (4, m)
        Σ w_q per bin for q = (sm, mag per μ_B², zlin per γ, zquad per γ²) [events].
    moments : ndarray, shape (m, 4, 4)
        Σ w_q·w_r per bin [events²].
    n_events : ndarray, shape (m,)
        Monte Carlo events per bin.
    """

    edges_mev: np.ndarray
    field: str
    parts: np.ndarray
    moments: np.ndarray
    n_events: np.ndarray

    @staticmethod
    def _v(mu, gamma, linear):
        return np.array([1.0, mu * mu, gamma, 0.0 if linear else gamma * gamma])

    def counts(self, *, mu: float = 0.0, gamma: float = 0.0, linear: bool = False) -> np.ndarray:
        """Expected events per bin for μν = mu [μ_B] and γ (linear: drop γ²)."""
        return self._v(mu, gamma, linear) @ self.parts

    def errors(self, *, mu: float = 0.0, gamma: float = 0.0, linear: bool = False) -> np.ndarray:
        """Monte Carlo statistical error per bin, sqrt(Σ w(μ, γ)²) [events]."""
        v = self._v(mu, gamma, linear)
        return np.sqrt(np.maximum(np.einsum("q,bqr,r->b", v, self.moments, v), 0.0))

    def scaled(self, factor: float) -> "Template":
        """The same template for an exposure ``factor`` times larger."""
        return Template(
            self.edges_mev,
            self.field,
            factor * self.parts,
            factor * factor * self.moments,
            self.n_events,
        )


def part_weights(events: np.ndarray, gen_norm) -> np.ndarray:
    """Per-event weights of the four parts, shape (4, n) [events] (gen_norm: float or (n,))."""
    scale = gen_norm * events["p_ee"] / events["xs_gen"]
    return np.stack([events[f] * scale for f in PART_FIELDS])


def make_template(
    events: np.ndarray,
    gen_norm: float,
    edges_mev: Sequence[float],
    *,
    field: str | None = None,
    selected_only: bool = True,
    component: int | None = None,
) -> Template:
    """Histogram the reweighting parts of weighted events.

    Parameters
    ----------
    events : structured ndarray
        Events with ``xs_gen``, ``xs_sm``, ``xs_mag``, ``xs_zlin``, ``xs_zquad``,
        ``p_ee`` and the histogrammed field.
    gen_norm : float or ndarray, shape (n,)
        The file's expected events per generated event (its metadata
        ``gen_norm``); per event when the events come from several files.
    edges_mev : sequence of float
        Bin edges [MeV].
    field : str, optional
        ``'erec'`` if the events have it, else ``'te'`` (default); or any energy field.
    selected_only : bool
        Keep only events with ``flags == 0`` (when the field exists).
    component : int, optional
        Keep only this component.

    Returns
    -------
    Template
    """
    names = events.dtype.names
    if field is None:
        field = "erec" if "erec" in names else "te"
    require_fields(names, (field, "xs_gen", *PART_FIELDS, "p_ee"), "make_template")
    edges = np.asarray(edges_mev, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges_mev: need at least two strictly increasing edges [MeV]")
    keep = selected(events) if selected_only else np.ones(len(events), dtype=bool)
    if component is not None:
        keep &= events["component"] == component
    norm = np.broadcast_to(np.asarray(gen_norm, dtype=float), keep.shape)
    ev = events[keep]
    x = ev[field]
    nb = edges.size - 1
    idx = np.searchsorted(edges, x, side="right") - 1
    inside = (idx >= 0) & (idx < nb)
    idx, ev = idx[inside], ev[inside]
    w = part_weights(ev, norm[keep][inside])
    parts = np.stack([np.bincount(idx, weights=w[q], minlength=nb) for q in range(4)])
    moments = np.empty((nb, 4, 4))
    for q in range(4):
        for r in range(q, 4):
            s = np.bincount(idx, weights=w[q] * w[r], minlength=nb)
            moments[:, q, r] = s
            moments[:, r, q] = s
    return Template(edges, field, parts, moments, np.bincount(idx, minlength=nb))
