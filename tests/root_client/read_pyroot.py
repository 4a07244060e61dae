"""PyROOT client: read event files as a ROOT user would and dump what ROOT sees.

Runs in ROOT's own environment (never in the package's):

    python read_pyroot.py MANIFEST.json

MANIFEST is a JSON list of [event file, output prefix].  For each file this
writes PREFIX.npz (every branch of the ``events`` and ``run`` trees, as
``events/NAME`` and ``run/NAME``, read with RDataFrame.AsNumpy) and
PREFIX.json (the TObjStrings ``metadata``, ``units``, ``descriptions`` as
ROOT reads them, the keys with their cycles, each tree's entries and
branches with their leaf types).  Warnings and errors of ROOT go to stderr.
"""

import json
import sys

import numpy as np
import ROOT

STRINGS = ("metadata", "units", "descriptions")


def tree_info(tree):
    return {
        "entries": int(tree.GetEntries()),
        "branches": {
            b.GetName(): b.GetLeaf(b.GetName()).GetTypeName() for b in tree.GetListOfBranches()
        },
    }


def dump(path, prefix):
    f = ROOT.TFile.Open(path)
    if not f or f.IsZombie():
        raise SystemExit(f"ROOT cannot open {path}")
    info = {
        "keys": sorted([k.GetName(), k.GetCycle(), k.GetClassName()] for k in f.GetListOfKeys())
    }
    info["compression"] = int(f.GetCompressionSettings())
    for name in STRINGS:
        obj = f.Get(name)
        info[name] = None if not obj else str(obj.GetString())
    arrays = {}
    for tname in ("events", "run"):
        tree = f.Get(tname)
        if not tree:
            continue
        info[tname] = tree_info(tree)
        if tree.GetEntries():
            columns = list(info[tname]["branches"])
            data = ROOT.RDataFrame(tname, path).AsNumpy(columns)
            arrays.update({f"{tname}/{k}": np.asarray(v) for k, v in data.items()})
    f.Close()
    np.savez(prefix + ".npz", **arrays)
    with open(prefix + ".json", "w") as out:
        json.dump(info, out)


if __name__ == "__main__":
    ROOT.gROOT.SetBatch(True)
    with open(sys.argv[1]) as m:
        for path, prefix in json.load(m):
            dump(path, prefix)
