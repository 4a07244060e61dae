"""A source's neutrino energy distribution in the one form the kernels use.

Lines (energies, probabilities) plus one piecewise-linear continuum (grid,
density), jointly normalised to one neutrino: Σ line_prob + ∫ continuum = 1.
Several β branches are summed on the union of their grids, which keeps the
sum exactly piecewise linear.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NuSpectrum:
    """Neutrino energy distribution per emitted neutrino.

    Attributes
    ----------
    line_energy : ndarray, MeV
    line_prob : ndarray
        Probability per neutrino of each line.
    cont_energy : ndarray, MeV
        Increasing grid of the continuum (empty if none).
    cont_density : ndarray, 1/MeV
        Piecewise-linear density on the grid; its trapezoid integral is the
        continuum's probability per neutrino.
    nu_per_decay : float
        Neutrinos emitted per decay.
    antineutrino : bool
    """

    line_energy: np.ndarray
    line_prob: np.ndarray
    cont_energy: np.ndarray
    cont_density: np.ndarray
    nu_per_decay: float
    antineutrino: bool

    @property
    def max_energy(self) -> float:
        """Largest neutrino energy [MeV]."""
        e = [*self.line_energy, *(self.cont_energy[-1:] if self.cont_energy.size else [])]
        return float(max(e))

    def mean_energy(self) -> float:
        """Mean neutrino energy [MeV]."""
        m = float(np.sum(self.line_energy * self.line_prob))
        if self.cont_energy.size:
            e, d = self.cont_energy, self.cont_density
            # exact ∫E·f(E) for piecewise-linear f
            h = np.diff(e)
            m += float(
                np.sum(h / 6.0 * (d[:-1] * (2 * e[:-1] + e[1:]) + d[1:] * (e[:-1] + 2 * e[1:])))
            )
        return m


def from_source(source) -> NuSpectrum:
    """The :class:`NuSpectrum` of a :class:`~nusource.generator.sources.Source`."""
    nu = source.nu_per_decay
    line_e = np.array([ln.energy_mev for ln in source.lines], dtype=float)
    line_p = np.array([ln.intensity for ln in source.lines], dtype=float) / nu
    if source.spectra:
        # a branch that ends on a step (density > 0 at its endpoint) gets a point
        # one ulp beyond it, so that the sum keeps the step instead of a ramp
        ends = [np.nextafter(s.energy_mev[-1], np.inf) for s in source.spectra if s.density[-1] > 0]
        grid = np.unique(np.concatenate([*(s.energy_mev for s in source.spectra), ends]))
        dens = np.zeros_like(grid)
        for s in source.spectra:
            dens += (
                s.nu_per_decay / nu * np.interp(grid, s.energy_mev, s.density, left=0.0, right=0.0)
            )
    else:
        grid, dens = np.zeros(0), np.zeros(0)
    return NuSpectrum(
        line_energy=line_e,
        line_prob=line_p,
        cont_energy=grid,
        cont_density=dens,
        nu_per_decay=nu,
        antineutrino=source.flavour == "nuebar",
    )
