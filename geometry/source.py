"""The neutrino source: a uniformly active cylinder (or a point) inside its shields.

The active volume is a cylinder with its axis along z (radius 0 and half
height 0 make a point). Shields are concentric layers, innermost first, of
one of two shapes (``shield_shape``):

- ``"cylinder"`` (default): layer k adds its thickness on every side (radius
  *and* both caps) of the cylinder inside it, so layer k is the can between
  the cylinders

      (R + T_{k-1}, h + T_{k-1})  and  (R + T_k, h + T_k),   T_k = t_0 + … + t_k;

- ``"sphere"``: compact spherical layers about the source's centre; layer k
  is the region between the spheres of radius b + T_{k-1} and b + T_k, where
  b = √(R² + h²) is the radius of the sphere around the active cylinder (0
  for a point) and layer 0 fills everything between the active cylinder and
  the sphere b + t_0.  So the outermost surface is a sphere of radius b + T
  and a detector may start right at it (LAMA as seed 000 describes it: the
  source within a W ball of 20 cm radius and 5 cm of Cu, Miranda et al. 1999).

Packed source parameters for kernels: float64[5] = (cx, cy, cz, radius,
half_height) [cm].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nusource.core.jit import jit

from .materials import Material, get_material
from .solids import (
    CYLINDER,
    Cylinder,
    SphericalShell,
    _check_center,
    _check_length,
    chord_length,
)

SHIELD_SHAPES = ("cylinder", "sphere")
"""Shapes of the shield layers (see the module docstring)."""


@dataclass(frozen=True)
class Source:
    """A cylinder of uniform activity, axis along z, with cylindrical or spherical shield layers.

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
    shield_shape : {'cylinder', 'sphere'}
        Shape of the shield layers (see the module docstring).
    """

    radius_cm: float
    half_height_cm: float
    center: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    shields: tuple[tuple[Material, float], ...] = ()
    shield_shape: str = "cylinder"

    def __post_init__(self):
        if self.shield_shape not in SHIELD_SHAPES:
            raise ValueError(
                f"Source.shield_shape = {self.shield_shape!r}: must be 'cylinder' or 'sphere'"
            )
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
    def point(cls, center=(0.0, 0.0, 0.0), shields=(), shield_shape="cylinder") -> Source:
        """A point source at ``center`` [cm] with optional shield layers."""
        return cls(0.0, 0.0, center, shields, shield_shape)

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
    def bounding_radius_cm(self) -> float:
        """Radius of the sphere about the centre around the active cylinder [cm]."""
        return math.hypot(self.radius_cm, self.half_height_cm)

    @property
    def outer_radius_cm(self) -> float:
        """Radius of the outermost shield surface [cm]."""
        if self.shield_shape == "sphere" and self.shields:
            return self.bounding_radius_cm + sum(t for _, t in self.shields)
        return self.radius_cm + sum(t for _, t in self.shields)

    @property
    def outer_half_height_cm(self) -> float:
        """Half height (z extent from the centre) of the outermost shield surface [cm]."""
        if self.shield_shape == "sphere" and self.shields:
            return self.outer_radius_cm
        return self.half_height_cm + sum(t for _, t in self.shields)

    def layer_solids(self) -> tuple[Cylinder | SphericalShell, ...]:
        """Outer boundary of each shield layer, innermost first (full solids, nested).

        Cylinders for ``shield_shape = 'cylinder'``, balls (``SphericalShell(0, r)``)
        for ``'sphere'``; layer k's matter is its solid minus solid k − 1 (or minus
        the active volume for k = 0).
        """
        if self.shield_shape == "cylinder":
            return self.layer_cylinders()
        r, out = self.bounding_radius_cm, []
        for _, t in self.shields:
            r += t
            out.append(SphericalShell(0.0, r, self.center))
        return tuple(out)

    def layer_cylinders(self) -> tuple[Cylinder, ...]:
        """Outer boundary of each cylindrical shield layer, innermost first."""
        if self.shield_shape != "cylinder":
            raise ValueError(
                f"Source.layer_cylinders: the shields are '{self.shield_shape}' layers; "
                "use layer_solids()"
            )
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
    layers = list(source.layer_solids())  # cylinders or balls, innermost first
    kinds = np.array([-1] + [s.kind for s in layers], dtype=np.int64)  # -1: no active volume
    params = np.zeros((kinds.size, 8))
    for k, layer in enumerate(layers, 1):
        params[k] = layer.params
    if source.radius_cm > 0.0 and source.half_height_cm > 0.0:
        kinds[0] = CYLINDER
        params[0] = Cylinder(source.radius_cm, source.half_height_cm, source.center).params
    out = np.empty((o2.shape[0], kinds.size))
    nested_paths_kernel(kinds, params, o2, d2, out)
    if not include_source:
        out = out[:, 1:]
    return out[0] if single else out


@jit
def nested_paths_kernel(kinds, params, origins, directions, out):
    """Fill ``out[i, k]`` with the path [cm] of ray i in the matter of nested solid k.

    Parameters
    ----------
    kinds : int64[m]
        Solid codes (``nusource.geometry.solids``), innermost first; −1: empty.
    params : float64[m, 8]
        Packed parameters [cm]; solid k contains solid k − 1.
    origins, directions : float64[n, 3]
        Ray starts [cm] (inside the innermost solid) and unit directions.
    out : float64[n, m]
        Output; layer k's matter is solid k minus solid k − 1, so its path is
        the difference of the two chord lengths (convex solids, rays from inside).
    """
    for i in range(origins.shape[0]):
        inner = 0.0
        for k in range(kinds.size):
            length = 0.0
            if kinds[k] >= 0:
                length = chord_length(
                    kinds[k],
                    params[k],
                    origins[i, 0],
                    origins[i, 1],
                    origins[i, 2],
                    directions[i, 0],
                    directions[i, 1],
                    directions[i, 2],
                )
            out[i, k] = max(length - inner, 0.0)
            inner = max(length, inner)


__all__ = [
    "SHIELD_SHAPES",
    "Source",
    "nested_paths_kernel",
    "shield_path_lengths",
]
