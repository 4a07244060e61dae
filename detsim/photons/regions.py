"""The transport geometry: an ordered list of solids, each with a material and tags.

A point belongs to the *first* region (in list order) whose solid contains it,
so nested solids need no holes: the fiducial cylinder goes before the
detector, the source's active cylinder before its first shield, each shield
layer's outer solid (:meth:`nusource.geometry.Source.layer_solids`)
before the next one. Outside every region is the world: vacuum, or a
material (then a photon there never escapes: give the world a solid instead).

Tags (bit flags of :attr:`Region.flags`):

============  ===  ===========================================================
SENSITIVE     1    energy deposited here is recorded and grouped into sites
FIDUCIAL      2    the fiducial volume (a tag: sensitive too)
BIASED        4    distances are sampled with the exponential transform
============  ===  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nusource.geometry import Cylinder, Material, Source
from nusource.geometry.solids import N_PARAMS

from .biasing import solid_box
from .cross_sections import PhotonTables, build_tables, resolve_material

SENSITIVE = 1
FIDUCIAL = 2
BIASED = 4


@dataclass(frozen=True)
class Region:
    """One region: a solid of ``nusource.geometry.solids`` filled with a material.

    Parameters
    ----------
    name : str
        Label.
    solid : Cylinder, SphericalShell, CylindricalShell or Box
        Its boundary.
    material : Material, str or None
        Filling (a registered name is resolved); None is vacuum.
    sensitive, fiducial, biased : bool
        Tags (see the module table); ``fiducial`` implies ``sensitive``.
    """

    name: str
    solid: object
    material: Material | str | None
    sensitive: bool = False
    fiducial: bool = False
    biased: bool = False

    def __post_init__(self):
        if self.material is not None:
            object.__setattr__(
                self, "material", resolve_material(self.material, f"{self.name}.material")
            )
        if not hasattr(self.solid, "kind") or not hasattr(self.solid, "params"):
            raise ValueError(f"{self.name}.solid = {self.solid!r}: must be a geometry solid")

    @property
    def flags(self) -> int:
        """Bit flags SENSITIVE | FIDUCIAL | BIASED."""
        return (
            (SENSITIVE if self.sensitive or self.fiducial else 0)
            | (FIDUCIAL if self.fiducial else 0)
            | (BIASED if self.biased else 0)
        )


@dataclass(frozen=True)
class PhotonGeometry:
    """Regions in priority order plus the world material.

    Parameters
    ----------
    regions : sequence of Region
        First match wins (put inner solids first).
    world : Material, str or None
        Material outside every region (None: vacuum).
    """

    regions: tuple[Region, ...]
    world: Material | str | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "regions", tuple(self.regions))
        if not self.regions:
            raise ValueError("PhotonGeometry.regions = (): at least one region is required")
        if self.world is not None:
            object.__setattr__(self, "world", resolve_material(self.world, "world"))

    def __getstate__(self):
        # the kernel arrays are rebuilt where they are used (a few ms, tables are cached):
        # workers receive the regions, not the tables
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def materials(self) -> list[Material]:
        """Distinct materials, in the order of the kernel's material numbers."""
        out: list[Material] = []
        for m in [r.material for r in self.regions] + [self.world]:
            if m is not None and m not in out:
                out.append(m)
        return out

    def arrays(self):
        """Kernel arrays: (kind int64[R], params float64[R, 8], material int64[R],
        flags int64[R], world material int, PhotonTables).

        Material −1 is vacuum.
        """
        if "arrays" not in self._cache:
            mats = self.materials()
            kind = np.array([r.solid.kind for r in self.regions], dtype=np.int64)
            params = np.zeros((len(self.regions), N_PARAMS))
            for i, r in enumerate(self.regions):
                params[i] = r.solid.params
            mat = np.array(
                [-1 if r.material is None else mats.index(r.material) for r in self.regions],
                dtype=np.int64,
            )
            flags = np.array([r.flags for r in self.regions], dtype=np.int64)
            world = -1 if self.world is None else mats.index(self.world)
            tables = build_tables(mats) if mats else build_tables(["LXe"])
            self._cache["arrays"] = (kind, params, mat, flags, world, tables)
        return self._cache["arrays"]

    def surface_candidates(self) -> np.ndarray:
        """The regions whose surfaces a photon may meet before it leaves its region.

        int64[R + 1, R + 1]: row 0 is the world, row r + 1 region r; row k's
        regions are ``cand[k, :cand[k, -1]]`` (its last column counts them).

        A photon in region r (the first containing it) flies inside r's solid
        until it leaves it, so only r's own surface and those of regions before
        r (which take precedence) whose bounding boxes meet r's can end its
        flight in r; crossing a later region's surface inside r changes
        nothing.  In the world every surface counts.  Tracking then computes
        the chords of 1–2 solids per step instead of all of them.
        """
        if "candidates" not in self._cache:
            n = len(self.regions)
            boxes = [solid_box(r.solid) for r in self.regions]
            cand = np.zeros((n + 1, n + 1), dtype=np.int64)
            cand[0, :n] = np.arange(n)
            cand[0, -1] = n
            for r in range(n):
                mine = [r] + [b for b in range(r) if _boxes_meet(boxes[r], boxes[b])]
                cand[r + 1, : len(mine)] = mine
                cand[r + 1, -1] = len(mine)
            self._cache["candidates"] = cand
        return self._cache["candidates"]

    @property
    def tables(self) -> PhotonTables:
        """Cross-section tables of :meth:`materials`."""
        return self.arrays()[5]

    def index(self, name: str) -> int:
        """Region number of the region called ``name``."""
        for i, r in enumerate(self.regions):
            if r.name == name:
                return i
        raise ValueError(
            f"region {name!r}: unknown; allowed: {', '.join(r.name for r in self.regions)}"
        )


def _boxes_meet(a, b, slack_cm: float = 1e-6) -> bool:
    """Whether two bounding boxes overlap or touch (within ``slack_cm``)."""
    return bool(np.all(np.abs(a[0] - b[0]) <= a[1] + b[1] + slack_cm))


def source_regions(source: Source, source_material=None, *, biased: bool = True) -> list[Region]:
    """Regions of a neutrino source: its active cylinder, then each shield layer.

    Parameters
    ----------
    source : nusource.geometry.Source
        Active cylinder (not a point) and its shield layers.
    source_material : Material, str or None
        Filling of the active volume (None: vacuum, no self-absorption).
    biased : bool
        Tag the active volume and the shields for the exponential transform.
    """
    out = []
    if not source.is_point:
        out.append(
            Region(
                "source",
                Cylinder(source.radius_cm, source.half_height_cm, source.center),
                source_material,
                biased=biased,
            )
        )
    for k, ((material, _), outer) in enumerate(
        zip(source.shields, source.layer_solids(), strict=True)
    ):
        out.append(Region(f"shield{k}", outer, material, biased=biased))
    return out


__all__ = [
    "BIASED",
    "FIDUCIAL",
    "SENSITIVE",
    "PhotonGeometry",
    "Region",
    "source_regions",
]
