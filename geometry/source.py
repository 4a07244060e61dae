"""The neutrino source: a uniformly active cylinder (or a point) inside its shields.

The active volume is a cylinder with its axis along z (radius 0 and half
height 0 make a point). Shields are concentric cylindrical layers, innermost
first: layer k adds its thickness on every side (radius *and* both caps) of
the cylinder inside it, so layer k is the can between the cylinders

    (R + T_{k-1}, h + T_{k-1})  and  (R + T_k, h + T_k),   T_k = t_0 + … + t_k.

Packed source parameters for kernels: float64[5] = (cx, cy, cz, radius,
half_height) [cm].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nusource.core.jit import jit

from .materials import Material, get_material
from .solids import CYLINDER, Cylinder, _check_center, _check_length, chord_length


@dataclass(frozen=True)
class Source:
    """A cylinder of uniform activity, axis along z, with cylindrical shield layers.

    Parameters
    ----------
    radius_cm : float
        Radius of the active volume [cm], ≥ 0 (0 with half_height_cm = 0: a point).
    half_height_cm : float
        Half of the active height [cm], ≥ 0.
    center : (float, float, float)
        Centre of the active volume [cm].
    shields : sequence of (Material or str, float)
        Shield layers, innermost first: (material or registered name,
        thickness [cm] > 0). Names are resolved with :func:`get_material`.
    """

    radius_cm: float
    half_height_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    shields: tuple[tuple[Material, float], ...] = ()

    def __post_init__(self):
        r = _check_length("Source", "radius_cm", self.radius_cm, allow_zero=True)
        h = _check_length("Source", "half_height_cm", self.half_height_cm, allow_zero=True)
        object.__setattr__(self, "radius_cm", r)
        object.__setattr__(self, "half_height_cm", h)
        object.__setattr__(self, "center", _check_center("Source", self.center))
        layers = []
        for i, layer in enumerate(self.shields):
            try:
                material, thickness = layer
            except (TypeError, ValueError):
                raise ValueError(
                    f"Source.shields[{i}] = {layer!r}: must be a (material, thickness_cm) pair"
                ) from None
            if isinstance(material, str):
                material = get_material(material)
            elif not isinstance(material, Material):
                raise ValueError(
                    f"Source.shields[{i}] material = {material!r}: must be a Material or a name"
                )
            t = _check_length("Source", f"shields[{i}] thickness_cm", thickness)
            layers.append((material, t))
        object.__setattr__(self, "shields", tuple(layers))

    @classmethod
    def point(cls, center=(0.0, 0.0, 0.0), shields=()) -> Source:
        """A point source at ``center`` [cm] with optional shield layers."""
        return cls(0.0, 0.0, center, shields)

    @property
    def is_point(self) -> bool:
        """True if the active volume is a single point."""
        return self.radius_cm == 0.0 and self.half_height_cm == 0.0

    @property
    def params(self) -> np.ndarray:
        """Packed parameters float64[5]: cx, cy, cz, radius, half_height [cm]."""
        return np.array([*self.center, self.radius_cm, self.half_height_cm])

    @property
    def volume_cm3(self) -> float:
        """Active volume [cm³] (0 for a point)."""
        return 2.0 * math.pi * self.radius_cm**2 * self.half_height_cm

    @property
    def outer_radius_cm(self) -> float:
        """Radius of the outermost shield surface [cm]."""
        return self.radius_cm + sum(t for _, t in self.shields)

    @property
    def outer_half_height_cm(self) -> float:
        """Half height of the outermost shield surface [cm]."""
        return self.half_height_cm + sum(t for _, t in self.shields)

    def layer_cylinders(self) -> tuple[Cylinder, ...]:
        """Outer boundary of each shield layer, innermost first."""
        out = []
        r, h = self.radius_cm, self.half_height_cm
        for _, t in self.shields:
            r, h = r + t, h + t
            out.append(Cylinder(r, h, self.center))
        return tuple(out)

    def contains(self, point) -> bool:
        """True if ``point`` [cm] is in the active volume (surface included)."""
        x, y, z = (float(v) - c for v, c in zip(point, self.center, strict=True))
        return x * x + y * y <= self.radius_cm**2 and abs(z) <= self.half_height_cm


def shield_path_lengths(source: Source, origins, directions, *, include_source: bool = False):
    """Path length through each shield layer along rays (for γ attenuation).

    Parameters
    ----------
    source : Source
        Source and its shields.
    origins : array_like, shape (n, 3) or (3,)
        Ray starts [cm], normally points of the active volume.
    directions : array_like, same shape
        Ray directions (normalised here).
    include_source : bool, keyword-only
        Also return, as column 0, the path inside the active volume.

    Returns
    -------
    ndarray, shape (n, n_layers) or (n, 1 + n_layers); (n_layers,) … for one ray
        Lengths [cm] along t ≥ 0, innermost layer first. The attenuation
        along a ray is ``exp(-Σ μ_k · length_k)``.
    """
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(directions, dtype=np.float64)
    single = o.ndim == 1
    o2 = np.atleast_2d(o)
    d2 = np.atleast_2d(d)
    if o2.shape[1] != 3 or d2.shape != o2.shape:
        raise ValueError(
            f"origins shape {o.shape} and directions shape {d.shape}: must both be (n, 3) or (3,)"
        )
    norm = np.sqrt(np.einsum("ij,ij->i", d2, d2))
    if not np.all(norm > 0.0):
        raise ValueError("directions: every direction must be a nonzero vector")
    d2 = d2 / norm[:, None]
    radii = np.array([source.radius_cm] + [c.radius_cm for c in source.layer_cylinders()])
    halves = np.array(
        [source.half_height_cm] + [c.half_height_cm for c in source.layer_cylinders()]
    )
    out = np.empty((o2.shape[0], radii.size))
    shield_paths_kernel(radii, halves, np.array(source.center), o2, d2, out)
    if not include_source:
        out = out[:, 1:]
    return out[0] if single else out


@jit
def shield_paths_kernel(radii, half_heights, center, origins, directions, out):
    """Fill ``out[i, k]`` with the path [cm] of ray i in layer k (k = 0: active volume).

    Parameters
    ----------
    radii, half_heights : float64[m]
        Nested cylinders, innermost (the active volume) first [cm].
    center : float64[3]
        Common centre [cm].
    origins, directions : float64[n, 3]
        Ray starts [cm] and unit directions.
    out : float64[n, m]
        Output; layer k is the can between cylinders k − 1 and k.
    """
    params = np.zeros(8)
    params[0] = center[0]
    params[1] = center[1]
    params[2] = center[2]
    for i in range(origins.shape[0]):
        inner = 0.0
        for k in range(radii.size):
            length = 0.0
            if radii[k] > 0.0 and half_heights[k] > 0.0:
                params[3] = radii[k]
                params[4] = half_heights[k]
                length = chord_length(
                    CYLINDER,
                    params,
                    origins[i, 0],
                    origins[i, 1],
                    origins[i, 2],
                    directions[i, 0],
                    directions[i, 1],
                    directions[i, 2],
                )
            out[i, k] = max(length - inner, 0.0)
            inner = length


__all__ = ["Source", "shield_path_lengths", "shield_paths_kernel"]
