"""Geant4 client: read GDML files with G4GDMLParser and print what Geant4 sees, as JSON.

    GEANT4_DATA_DIR=EMPTY_DIR python read_gdml.py FILE.gdml...

(An empty GEANT4_DATA_DIR: reading geometry needs no physics data sets.)
For each file, one JSON line: {volume name: {material, density [g/cm3],
own mass [kg] (the volume less its daughters), mass [kg] (with daughters),
volume [cm3] (of its solid), overlaps (bool, Geant4's CheckOverlaps of its
placement), daughters (names)}}.  Schema validation is off (it would fetch
the schema over the network).
"""

import json
import sys

import geant4_pybind as g4


def walk(pv, out, check):
    lv = pv.GetLogicalVolume()
    m = lv.GetMaterial()
    daughters = [lv.GetDaughter(i) for i in range(lv.GetNoDaughters())]
    out[lv.GetName()] = {
        "material": m.GetName(),
        "density": m.GetDensity() / (g4.g / g4.cm3),
        "own_mass": lv.GetMass(True, False) / g4.kg,
        "mass": lv.GetMass(True, True) / g4.kg,
        "volume": lv.GetSolid().GetCubicVolume() / g4.cm3,
        "overlaps": bool(pv.CheckOverlaps(2000, 0.0, False)) if check else False,
        "daughters": [d.GetLogicalVolume().GetName() for d in daughters],
    }
    for d in daughters:
        walk(d, out, True)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        parser = g4.G4GDMLParser()
        parser.Read(path, False)
        volumes = {}
        walk(parser.GetWorldVolume(), volumes, False)
        print(json.dumps({"file": path, "volumes": volumes}), flush=True)
        parser.Clear()
