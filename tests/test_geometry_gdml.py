"""GDML of every run card: read back as plain XML, volume by volume, masses against the card's."""

import importlib.util
import json
import math
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nusource.cli import main as cli_main
from nusource.experiment import load_experiment
from nusource.geometry.elements import ELEMENTS
from nusource.geometry.gdml import NIST_NAMES
from nusource.jobs import geometry_gdml as write_gdml

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
CARDS = sorted(CONFIGS.glob("*.toml"))

# detector masses the cards' comments state [kg] (rounded there: 1 %)
NOMINAL_KG = {
    "borexino_cr51": 100e3,
    "hellaz_cr51": 6e3,
    "hellaz_sry": 6e3,
    "lama": 400.0,
    "lama_1t": 1000.0,
    "lama_seed000": 400.0,
    "lxe_cr51": 5.94e3,
    "lxe_cr51_5deploy": 5.94e3,
    "lxe_cr51_depleted": 5.94e3,
}


class Gdml:
    """A GDML file parsed independently of the writer: volumes [cm³] and masses [kg]."""

    def __init__(self, path):
        root = ET.parse(path).getroot()
        self.elements = {
            e.get("name"): (int(e.get("Z")), float(e.find("atom").get("value")))
            for e in root.find("materials").findall("element")
        }
        self.materials = {}
        for m in root.find("materials").findall("material"):
            d = m.find("D")
            assert d.get("unit") == "g/cm3"
            fractions = {f.get("ref"): float(f.get("n")) for f in m.findall("fraction")}
            self.materials[m.get("name")] = (float(d.get("value")), fractions)
        self.solids = {s.get("name"): s for s in root.find("solids")}
        self.volumes = {}
        for v in root.find("structure").findall("volume"):
            daughters = []
            for pv in v.findall("physvol"):
                pos = pv.find("position")
                assert pos.get("unit") == "cm"
                xyz = tuple(float(pos.get(c)) for c in "xyz")
                daughters.append((pv.find("volumeref").get("ref"), xyz))
            aux = {a.get("auxtype"): a.get("auxvalue") for a in v.findall("auxiliary")}
            self.volumes[v.get("name")] = {
                "material": v.find("materialref").get("ref"),
                "solid": self.solids[v.find("solidref").get("ref")],
                "daughters": daughters,
                "aux": aux,
            }
        self.world = root.find("setup").find("world").get("ref")

    @staticmethod
    def solid_volume(s) -> float:
        assert s.get("lunit") == "cm"
        a = {k: float(v) for k, v in s.attrib.items() if k not in ("name", "lunit", "aunit")}
        if s.tag == "tube":
            assert (a["startphi"], a["deltaphi"], s.get("aunit")) == (0, 360, "deg")
            return math.pi * (a["rmax"] ** 2 - a["rmin"] ** 2) * a["z"]
        if s.tag == "sphere":
            assert (a["deltaphi"], a["deltatheta"]) == (360, 180)
            return 4 / 3 * math.pi * (a["rmax"] ** 3 - a["rmin"] ** 3)
        assert s.tag == "box"
        return a["x"] * a["y"] * a["z"]

    def own_mass_kg(self, name) -> float:
        """Mass of the volume's own matter (its solid less its daughters' solids)."""
        v = self.volumes[name]
        own = self.solid_volume(v["solid"]) - sum(
            self.solid_volume(self.volumes[d]["solid"]) for d, _ in v["daughters"]
        )
        return own * self.materials[v["material"]][0] * 1e-3

    def mass_kg(self, name) -> float:
        """Mass of the volume with everything in it."""
        v = self.volumes[name]
        return self.own_mass_kg(name) + sum(self.mass_kg(d) for d, _ in v["daughters"])

    def position(self, name, mother=None, at=(0.0, 0.0, 0.0)):
        """Position of a volume in the world [cm] (its mothers' positions added)."""
        for d, p in self.volumes[mother or self.world]["daughters"]:
            here = tuple(a + b for a, b in zip(at, p, strict=True))
            if d == name:
                return here
            found = self.position(name, d, here)
            if found is not None:
                return found
        return None


def _write(card, tmp_path):
    out = tmp_path / f"{Path(card).stem}.gdml"
    assert cli_main(["geometry", str(card), "-o", str(out)]) == 0
    return Gdml(out)


@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.stem)
def test_every_card_reads_back_volume_by_volume(card, tmp_path):
    g = _write(card, tmp_path)
    raw = tomllib.loads(card.read_text())
    exp, _ = load_experiment(card)
    src, det = raw["source"], raw["detector"]

    # the detector: the card's shape and size, at its centre, with the experiment's mass
    d = g.volumes["detector"]
    solid = d["solid"]
    shape = det["shape"]
    tag = {"cylinder": "tube", "cylindrical_shell": "tube", "sphere": "sphere"}
    assert solid.tag == tag.get(shape, {"spherical_shell": "sphere", "box": "box"}.get(shape))
    a = {k: float(v) for k, v in solid.attrib.items() if k not in ("name", "lunit", "aunit")}
    if shape == "cylinder":
        assert (a["rmin"], a["rmax"], a["z"]) == (0, det["radius_cm"], det["height_cm"])
    elif shape == "cylindrical_shell":
        want = (det["inner_radius_cm"], det["outer_radius_cm"], det["height_cm"])
        assert (a["rmin"], a["rmax"], a["z"]) == want
    elif shape == "sphere":
        assert (a["rmin"], a["rmax"]) == (0, det["radius_cm"])
    elif shape == "spherical_shell":
        assert (a["rmin"], a["rmax"]) == (det["inner_radius_cm"], det["outer_radius_cm"])
    assert g.position("detector") == tuple(det.get("center_cm", (0.0, 0.0, 0.0)))
    assert g.mass_kg("detector") == pytest.approx(exp.detector_mass_kg, rel=1e-12)
    assert g.mass_kg("detector") == pytest.approx(NOMINAL_KG[card.stem], rel=0.01)
    rho, fractions = g.materials[d["material"]]
    assert rho == exp.material.density_g_cm3
    assert {k.removesuffix("_element"): w for k, w in fractions.items()} == pytest.approx(
        exp.material.mass_fractions, rel=1e-15
    )
    for name, (z, a_weight) in g.elements.items():
        assert ELEMENTS[name.removesuffix("_element")] == (z, a_weight)
    if exp.material.name in NIST_NAMES:
        assert d["aux"]["G4NistMaterial"] == NIST_NAMES[exp.material.name]

    # the source: active cylinder inside its shields, layer by layer, masses from the card
    r, h = src["diameter_cm"] / 2, src["height_cm"] / 2
    inner = "source_active"
    assert g.solid_volume(g.volumes[inner]["solid"]) == pytest.approx(2 * math.pi * r * r * h)
    sphere = src.get("shield_shape", "cylinder") == "sphere"
    b, held = math.hypot(r, h), 2 * math.pi * r * r * h  # sphere around the source; volume inside
    for k, shield in enumerate(src["shields"]):
        name = f"shield_{k}_{shield['material']}"
        v = g.volumes[name]
        assert v["daughters"] == [(inner, (0.0, 0.0, 0.0))]
        t = shield["thickness_cm"]
        density = {"W": 19.3, "Cu": 8.96, "Pb": 11.35}[shield["material"]]
        if sphere:  # a ball of radius b + T_k holding what is inside it
            b += t
            assert v["solid"].tag == "sphere" and float(v["solid"].get("rmax")) == b
            can, held = 4 / 3 * math.pi * b**3 - held, 4 / 3 * math.pi * b**3
        else:
            can = 2 * math.pi * ((r + t) ** 2 * (h + t) - r * r * h)
        assert g.own_mass_kg(name) == pytest.approx(can * density * 1e-3, rel=1e-12)
        assert v["aux"]["G4NistMaterial"] == f"G4_{shield['material']}"
        r, h, inner = r + t, h + t, name
    assert g.position(inner) == tuple(src.get("center_cm", (0.0, 0.0, 0.0)))

    # the regions of [photons].outer: their material and size; one holds the detector
    holder = "detector"
    for o in raw.get("photons", {}).get("outer", []):
        name = f"outer_{o['name']}"
        v = g.volumes[name]
        assert g.position(name) == tuple(o["center_cm"])
        assert g.solid_volume(v["solid"]) == pytest.approx(
            math.pi * o["radius_cm"] ** 2 * o["height_cm"]
        )
        if v["daughters"]:
            assert [d for d, _ in v["daughters"]] == ["detector"]
            holder = name
            det_volume = g.solid_volume(d["solid"])
            own = (g.solid_volume(v["solid"]) - det_volume) * g.materials[v["material"]][0] * 1e-3
            assert g.own_mass_kg(name) == pytest.approx(own, rel=1e-12)

    # the world holds both (the detector, or the outer region around it) and nothing else
    world = g.volumes[g.world]
    assert sorted(n for n, _ in world["daughters"]) == sorted([holder, inner])
    half = [float(world["solid"].get(c)) / 2 for c in "xyz"]
    for name, pos in world["daughters"]:
        s = g.volumes[name]["solid"]
        reach = float(s.get("rmax")) if s.tag != "box" else 0.0
        zreach = float(s.get("z")) / 2 if s.tag == "tube" else reach
        assert abs(pos[0]) + reach < half[0] and abs(pos[1]) + reach < half[1]
        assert abs(pos[2]) + zreach < half[2]


def _card_with(tmp_path, text) -> Path:
    card = tmp_path / "card.toml"
    card.write_text((CONFIGS / "lxe_cr51.toml").read_text() + text)
    return card


def test_fiducial_volume_is_a_daughter_of_the_detector(tmp_path):
    card = _card_with(
        tmp_path,
        '\n[response.fiducial]\nshape = "cylinder"\nradius_cm = 50.0\nheight_cm = 100.0\n'
        "center_cm = [0.0, 0.0, 170.0]\n",
    )
    g = _write(card, tmp_path)
    exp, _ = load_experiment(card)
    assert g.volumes["detector"]["daughters"] == [("fiducial", (0.0, 0.0, 1.5))]
    assert g.mass_kg("detector") == pytest.approx(exp.detector_mass_kg, rel=1e-12)
    assert g.mass_kg("fiducial") == pytest.approx(math.pi * 50**2 * 100 * 2.94e-3, rel=1e-12)


def test_fiducial_volume_outside_the_detector_is_refused(tmp_path):
    card = _card_with(
        tmp_path,
        '\n[response.fiducial]\nshape = "cylinder"\nradius_cm = 80.0\nheight_cm = 100.0\n'
        "center_cm = [0.0, 0.0, 168.5]\n",
    )
    from nusource.runcard import CardWarning

    with (
        pytest.warns(CardWarning, match="outside the detector"),
        pytest.raises(ValueError, match="not inside the detector"),
    ):
        write_gdml(card, tmp_path / "x.gdml")


def test_refuses_to_replace_an_output(tmp_path):
    out = tmp_path / "x.gdml"
    out.write_text("")
    with pytest.raises(FileExistsError, match="exists"):
        write_gdml(CONFIGS / "lxe_cr51.toml", out)


def _geant4(path, tmp_path) -> dict:
    """What Geant4's G4GDMLParser reads from a GDML file (in a subprocess)."""
    client = Path(__file__).parent / "geant4_client" / "read_gdml.py"
    data = tmp_path / "g4data"  # geometry needs no physics data sets
    data.mkdir(exist_ok=True)
    env = {**os.environ, "GEANT4_DATA_DIR": str(data)}
    r = subprocess.run(
        [sys.executable, str(client), str(path)], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    assert "G4Exception" not in r.stdout + r.stderr, r.stdout + r.stderr
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    return json.loads(line)["volumes"]


@pytest.mark.skipif(
    importlib.util.find_spec("geant4_pybind") is None, reason="geant4_pybind is not installed"
)
@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.stem)
def test_geant4_reads_every_card_with_its_masses_and_no_overlaps(card, tmp_path):
    out = tmp_path / f"{card.stem}.gdml"
    write_gdml(card, out)
    g4 = _geant4(out, tmp_path)
    exp, _ = load_experiment(card)
    src = tomllib.loads(card.read_text())["source"]
    assert g4["detector"]["mass"] == pytest.approx(exp.detector_mass_kg, rel=1e-12)
    assert g4["detector"]["density"] == pytest.approx(exp.material.density_g_cm3, rel=1e-15)
    r, h = src["diameter_cm"] / 2, src["height_cm"] / 2
    sphere = src.get("shield_shape", "cylinder") == "sphere"
    b, held = math.hypot(r, h), 2 * math.pi * r * r * h
    for k, shield in enumerate(src["shields"]):
        t = shield["thickness_cm"]
        density = {"W": 19.3, "Cu": 8.96, "Pb": 11.35}[shield["material"]]
        if sphere:  # a ball of radius b + T_k minus what it holds
            b += t
            can, held = (4 / 3 * math.pi * b**3 - held) * density * 1e-3, 4 / 3 * math.pi * b**3
        else:
            can = 2 * math.pi * ((r + t) ** 2 * (h + t) - r * r * h) * density * 1e-3
        assert g4[f"shield_{k}_{shield['material']}"]["own_mass"] == pytest.approx(can, rel=1e-12)
        r, h = r + t, h + t
    assert [name for name, v in g4.items() if v["overlaps"]] == []
    outer = f"shield_{len(src['shields']) - 1}_{src['shields'][-1]['material']}"
    around = [
        o["name"] for o in tomllib.loads(card.read_text()).get("photons", {}).get("outer", [])
    ]
    holder = f"outer_{around[0]}" if around else "detector"
    assert set(g4["world"]["daughters"]) == {holder, outer}
