"""nusource.geometry: solids, materials, the source, vertices and geometric factors.

Nothing here knows about cross sections. Kernels (``inside``, ``chord``,
``sample_weighted``, ``sample_unweighted``, …) are numba functions of plain
arrays with an explicit ``numpy.random.Generator``; the dataclasses only pack
their parameters. No data is read at import.
"""

from .geometric_factor import (
    geometric_factor_exact,
    geometric_factor_mc,
    gf_cylinder_axis,
    gf_spherical_shell,
)
from .materials import MATERIAL_NAMES, Material, get_material, helium_gas, loglog_interp
from .solids import (
    BOX,
    CYLINDER,
    CYLINDRICAL_SHELL,
    SPHERICAL_SHELL,
    Box,
    Cylinder,
    CylindricalShell,
    Solid,
    SphericalShell,
    bounding_sphere,
    chord,
    chord_length,
    inside,
)
from .source import Source, shield_path_lengths
from .vertices import (
    AXIAL,
    CONE,
    Vertices,
    chord_bound,
    geometric_factor_from_acceptance,
    rejection_bound,
    sample_unweighted,
    sample_vertices,
    sample_weighted,
    sampling_plan,
    solid_angle_fraction_max,
    weight_moments,
)

__all__ = [
    "AXIAL",
    "BOX",
    "CONE",
    "CYLINDER",
    "CYLINDRICAL_SHELL",
    "MATERIAL_NAMES",
    "SPHERICAL_SHELL",
    "Box",
    "Cylinder",
    "CylindricalShell",
    "Material",
    "Solid",
    "Source",
    "SphericalShell",
    "Vertices",
    "bounding_sphere",
    "chord",
    "chord_bound",
    "chord_length",
    "geometric_factor_exact",
    "geometric_factor_from_acceptance",
    "geometric_factor_mc",
    "get_material",
    "gf_cylinder_axis",
    "gf_spherical_shell",
    "helium_gas",
    "inside",
    "loglog_interp",
    "rejection_bound",
    "sample_unweighted",
    "sample_vertices",
    "sample_weighted",
    "sampling_plan",
    "shield_path_lengths",
    "solid_angle_fraction_max",
    "weight_moments",
]
