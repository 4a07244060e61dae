"""A run card's geometry as GDML, for a full detector simulation (Geant4, ROOT's TGeo).

Volumes (lengths in cm, angles in degrees, densities in g/cm³, as written):

``world``
    a box of vacuum (``G4_Galactic``-like: hydrogen at 10⁻²⁵ g/cm³) around
    everything, centred on the origin, with a margin of 10 % (at least 10 cm).
``shield_<k>_<material>``
    shield layer k (0 innermost) of the source: a full cylinder (tube) of its
    material, axis along z, or a full sphere (``shield_shape = "sphere"``), that
    holds layer k − 1 (or the active volume); its own matter is what lies
    between the two (see ``nusource.geometry.source``).
``source_active``
    the source's active cylinder (absent for a point source).  The toolkit
    does not model the source's own matter; it is vacuum unless
    ``source_material`` is given.
``detector``
    the detector solid (tube for ``cylinder`` and ``cylindrical_shell``,
    sphere for ``sphere`` and ``spherical_shell``, box) of its material, and
    in it ``fiducial``, the ``[response.fiducial]`` solid of the same
    material, when the card has one.
``outer_<name>``
    each region of the card's ``[photons].outer`` (the xenon around an LXe
    fiducial volume, a cryostat): placed in the world, or holding the
    detector when its solid holds the whole detector.

Materials are written with the toolkit's densities and mass fractions (each
element with Z and its standard atomic weight), named as in the toolkit;
each volume carries an ``auxiliary`` ``G4NistMaterial`` naming the Geant4
NIST material it corresponds to where one exists (:data:`NIST_NAMES`;
densities may differ slightly: the GDML's are the toolkit's).

Geant4 reads the file with ``G4GDMLParser::Read(file, false)`` (``false``: no
schema validation, which would fetch the schema over the network); the tests
read every card's file with Geant4 (geant4_pybind) and compare its masses
and overlap checks with the card's.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from .elements import element
from .materials import Material
from .solids import Box, Cylinder, CylindricalShell, SphericalShell

NIST_NAMES = {
    "LXe": "G4_lXe",
    "NaI": "G4_SODIUM_IODIDE",
    "He": "G4_He",
    "W": "G4_W",
    "Cu": "G4_Cu",
    "Pb": "G4_Pb",
    "steel": "G4_STAINLESS-STEEL",
    "Vacuum": "G4_Galactic",
}
"""Toolkit material name → Geant4 NIST material (pseudocumene has none)."""

VACUUM = Material("Vacuum", 1e-25, "H")
"""World (and by default source) material: hydrogen at 10⁻²⁵ g/cm³, as G4_Galactic."""

_STATES = {"LXe": "liquid", "pseudocumene": "liquid", "He": "gas", "Vacuum": "gas"}


def _fmt(x: float) -> str:
    return repr(float(x))


def _solid_xml(solids, name: str, solid) -> None:
    """Append the GDML solid of a toolkit solid (tube, sphere or box; lengths in cm)."""
    common = {"name": name, "lunit": "cm"}
    if isinstance(solid, Cylinder | CylindricalShell):
        rmin = solid.r_inner_cm if isinstance(solid, CylindricalShell) else 0.0
        rmax = solid.r_outer_cm if isinstance(solid, CylindricalShell) else solid.radius_cm
        attrs = {"rmin": rmin, "rmax": rmax, "z": 2 * solid.half_height_cm}
        attrs |= {"startphi": 0, "deltaphi": 360}
        ET.SubElement(solids, "tube", common | {k: _fmt(v) for k, v in attrs.items()}, aunit="deg")
    elif isinstance(solid, SphericalShell):
        attrs = {"rmin": solid.r_inner_cm, "rmax": solid.r_outer_cm, "startphi": 0}
        attrs |= {"deltaphi": 360, "starttheta": 0, "deltatheta": 180}
        ET.SubElement(
            solids, "sphere", common | {k: _fmt(v) for k, v in attrs.items()}, aunit="deg"
        )
    elif isinstance(solid, Box):
        sizes = {"x": 2 * solid.half_x_cm, "y": 2 * solid.half_y_cm, "z": 2 * solid.half_z_cm}
        ET.SubElement(solids, "box", common | {k: _fmt(v) for k, v in sizes.items()})
    else:
        raise ValueError(f"no GDML solid for {type(solid).__name__}")


def _surface_points(solid, n: int = 24) -> list[tuple[float, float, float]]:
    """Points on and inside the outer envelope of a solid (for containment checks) [cm]."""
    cx, cy, cz = solid.center
    pts = []
    if isinstance(solid, Box):
        signs = (-1.0, 0.0, 1.0)
        for sx in signs:
            for sy in signs:
                for sz in signs:
                    pts.append(
                        (
                            cx + sx * solid.half_x_cm,
                            cy + sy * solid.half_y_cm,
                            cz + sz * solid.half_z_cm,
                        )
                    )
        return pts
    if isinstance(solid, SphericalShell):
        r = solid.r_outer_cm
        for i in range(n):
            th = math.pi * (i + 0.5) / n
            for j in range(n):
                ph = 2 * math.pi * j / n
                st = r * math.sin(th)
                pts.append((cx + st * math.cos(ph), cy + st * math.sin(ph), cz + r * math.cos(th)))
        return pts
    r = solid.r_outer_cm if isinstance(solid, CylindricalShell) else solid.radius_cm
    h = solid.half_height_cm
    for rr in (0.5 * r, r):
        for j in range(n):
            ph = 2 * math.pi * j / n
            for z in (-h, 0.0, h):
                pts.append((cx + rr * math.cos(ph), cy + rr * math.sin(ph), cz + z))
    return pts


def _extent(solid) -> tuple[float, float, float]:
    """Largest |x|, |y|, |z| of a solid's envelope [cm] (for the world box)."""
    centre, radius = solid.bounding_sphere
    return tuple(abs(float(c)) + float(radius) for c in centre)


class _Writer:
    def __init__(self):
        self.root = ET.Element("gdml")
        self.root.set("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
        self.root.set(
            "xsi:noNamespaceSchemaLocation",
            "http://service-spi.web.cern.ch/service-spi/app/releases/GDML/schema/gdml.xsd",
        )
        ET.SubElement(self.root, "define")
        self.materials = ET.SubElement(self.root, "materials")
        self.solids = ET.SubElement(self.root, "solids")
        self.structure = ET.SubElement(self.root, "structure")
        self._elements: set[str] = set()
        self._materials: dict[str, Material] = {}

    def material(self, m: Material) -> str:
        """Define a material (once per name) and return its name."""
        if m.name in self._materials:
            if self._materials[m.name] != m:
                raise ValueError(f"two different materials are named {m.name!r}")
            return m.name
        for symbol, _ in m.composition:
            if symbol not in self._elements:
                z, a = element(symbol)
                e = ET.SubElement(
                    self.materials, "element", name=f"{symbol}_element", formula=symbol, Z=str(z)
                )
                ET.SubElement(e, "atom", unit="g/mole", value=_fmt(a))
                self._elements.add(symbol)
        x = ET.SubElement(
            self.materials, "material", name=m.name, state=_STATES.get(m.name, "solid")
        )
        ET.SubElement(x, "D", unit="g/cm3", value=_fmt(m.density_g_cm3))
        for symbol, w in m.composition:
            ET.SubElement(x, "fraction", n=_fmt(w), ref=f"{symbol}_element")
        self._materials[m.name] = m
        return m.name

    def volume(self, name: str, solid, material: Material, daughters=()) -> str:
        """A logical volume with daughters [(physvol name, volume name, (x, y, z) cm)]."""
        _solid_xml(self.solids, f"{name}_solid", solid)
        v = ET.SubElement(self.structure, "volume", name=name)
        ET.SubElement(v, "materialref", ref=self.material(material))
        ET.SubElement(v, "solidref", ref=f"{name}_solid")
        for pv_name, ref, pos in daughters:
            pv = ET.SubElement(v, "physvol", name=pv_name)
            ET.SubElement(pv, "volumeref", ref=ref)
            ET.SubElement(
                pv,
                "position",
                name=f"{pv_name}_position",
                unit="cm",
                x=_fmt(pos[0]),
                y=_fmt(pos[1]),
                z=_fmt(pos[2]),
            )
        if material.name in NIST_NAMES:
            ET.SubElement(
                v, "auxiliary", auxtype="G4NistMaterial", auxvalue=NIST_NAMES[material.name]
            )
        return name

    def text(self, world: str) -> str:
        setup = ET.SubElement(self.root, "setup", name="Default", version="1.0")
        ET.SubElement(setup, "world", ref=world)
        ET.indent(self.root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(self.root, "unicode") + "\n"


def experiment_gdml(
    exp, *, fiducial=None, source_material: Material | None = None, outer=()
) -> str:
    """The GDML text of an experiment's geometry (see the module docstring).

    Parameters
    ----------
    exp : nusource.experiment.Experiment
        The resolved run card (source with shields, detector solid and material).
    fiducial : solid, optional
        The fiducial volume (a solid of ``nusource.geometry``, lab coordinates
        [cm]); it must lie inside the detector.
    source_material : Material, optional
        What fills the source's active volume (default: vacuum).
    outer : sequence of (str, solid, Material)
        Regions around the detector (a run card's ``[photons].outer``), each
        written as ``outer_<name>``: one that holds the whole detector becomes
        its mother volume (the detector's matter replaces its own there); the
        others are placed in the world.

    Returns
    -------
    str
        GDML (XML) text.

    Raises
    ------
    ValueError
        A fiducial volume that pokes out of the detector.
    """
    outer = list(outer)
    w = _Writer()
    src = exp.geo_source
    child = None
    if not src.is_point:
        active = Cylinder(src.radius_cm, src.half_height_cm)
        child = w.volume("source_active", active, source_material or VACUUM)
    for k, (material, layer_solid) in enumerate(
        zip((m for m, _ in src.shields), src.layer_solids(), strict=True)
    ):
        layer = _centred(layer_solid)
        daughters = [] if child is None else [(f"{child}_pv", child, (0.0, 0.0, 0.0))]
        child = w.volume(f"shield_{k}_{material.name}", layer, material, daughters)
    det = exp.detector
    daughters = []
    if fiducial is not None:
        outside = [p for p in _surface_points(fiducial) if not det.contains(p)]
        if outside:
            raise ValueError(
                f"the fiducial volume is not inside the detector (e.g. the point {outside[0]} cm)"
            )
        offset = tuple(f - d for f, d in zip(fiducial.center, det.center, strict=True))
        fid = w.volume("fiducial", _centred(fiducial), exp.material)
        daughters.append(("fiducial_pv", fid, offset))
    w.volume("detector", _centred(det), exp.material, daughters)
    holder = next(
        (
            i
            for i, (_, solid, _) in enumerate(outer)
            if all(map(solid.contains, _surface_points(det)))
        ),
        None,
    )
    world_daughters = [] if holder is not None else [("detector_pv", "detector", det.center)]
    for i, (name, solid, material) in enumerate(outer):
        inside = []
        if i == holder:
            offset = tuple(d - o for d, o in zip(det.center, solid.center, strict=True))
            inside.append(("detector_pv", "detector", offset))
        vol = w.volume(f"outer_{name}", _centred(solid), material, inside)
        world_daughters.append((f"{vol}_pv", vol, solid.center))
    extents = [
        *(_extent(solid) for _, solid, _ in outer),
        _extent(det),
        _extent(
            src.layer_solids()[-1]
            if src.shields
            else Cylinder(max(src.radius_cm, 1e-3), max(src.half_height_cm, 1e-3), src.center)
        ),
    ]
    half = [max(e[i] for e in extents) for i in range(3)]
    half = [h + max(0.1 * h, 10.0) for h in half]
    if child is not None:
        world_daughters.append((f"{child}_pv", child, src.center))
    w.volume("world", Box(*half), VACUUM, world_daughters)
    return w.text("world")


def _centred(solid):
    """The same solid centred on the origin (GDML places it with its physvol)."""
    from dataclasses import replace

    return replace(solid, center=(0.0, 0.0, 0.0))
