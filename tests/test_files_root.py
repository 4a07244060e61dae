"""Event files read with real ROOT (PyROOT and a C++ macro) equal what uproot reads, bit for bit.

ROOT runs from its own virtual environment (``.ci/root-env``) in
subprocesses; these tests skip in one line without it.  Every kind of ROOT
file the toolkit writes is read: each compression ``simulate`` accepts, a
run made by two local workers, a ``nusource merge`` of two runs, every card
in ``configs/`` and the back-compatibility fixture.  For each file, PyROOT
(RDataFrame) dumps every branch of the ``events`` and ``run`` trees and the
C++ macro ``root_client/digest.C`` (TTree::GetEntry, no PyROOT) prints an
order-sensitive digest of each branch's bit patterns; both are compared
with uproot, and the JSON strings ROOT reads are parsed and compared with
the reader's metadata.  The README's C++ and Python snippets are run on a
simulated file.

A file above 2 GiB (slow) keeps its metadata readable in ROOT (the strings'
streamer is written while the file is small), and a ``hadd`` of two runs reads
as ``nusource merge`` of them (one metadata cycle per run, combined).
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import uproot

from nusource.cli import main as cli_main
from nusource.io import COMPRESSIONS
from nusource.io.readers import read_events, read_metadata
from nusource.io.schema import DESCRIPTIONS, UNITS
from nusource.production import plan, simulate

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[1]
CLIENT = Path(__file__).parent / "root_client"
LXE = REPO / "configs" / "lxe_cr51.toml"
CARDS = sorted(p.stem for p in (REPO / "configs").glob("*.toml"))
STRINGS = ("metadata", "units", "descriptions")
N_SMALL = 400  # events per small file


def _simulate(card, out, *, n=N_SMALL, seed=None, workers=1, **kw):
    prod = plan(card, out, n=n, seed=seed, overwrite=True, **kw)
    simulate(prod, workers=workers, overwrite=True)
    return out


@pytest.fixture(scope="module")
def files(root_env, tmp_path_factory):
    """label → ROOT file: every kind the toolkit writes (small; made only when ROOT is there)."""
    d = tmp_path_factory.mktemp("rootfiles")
    out = {}
    for comp in COMPRESSIONS["root"]:
        out[f"compression-{comp}"] = _simulate(LXE, d / f"lxe_{comp}.root", compression=comp)
    out["compression-zstd:9"] = _simulate(LXE, d / "lxe_zstd9.root", compression="zstd:9")
    out["workers-2"] = _simulate(
        LXE, d / "lxe_workers.root", n=3 * N_SMALL, chunk_size=N_SMALL, workers=2
    )
    seed2 = out["seed-2"] = _simulate(LXE, d / "lxe_seed2.root", seed=2)
    merged = d / "lxe_merged.root"
    assert cli_main(["merge", str(out["compression-lz4"]), str(seed2), "-o", str(merged)]) == 0
    out["merged"] = merged
    for card in CARDS:
        out[f"card-{card}"] = _simulate(REPO / "configs" / f"{card}.toml", d / f"{card}.root")
    out["fixture-v0.1.0"] = Path(__file__).parent / "fixtures" / "lxe_v0.1.0.root"
    return out


def _clean(stderr: str) -> list[str]:
    """ROOT's warnings and errors in a subprocess's output."""
    return [ln for ln in stderr.splitlines() if re.match(r"(Warning|Error|Fatal) in <", ln)]


@pytest.fixture(scope="module")
def pyroot(files, root_env, tmp_path_factory):
    """label → (arrays ROOT read, what ROOT says of the file), from one PyROOT process."""
    d = tmp_path_factory.mktemp("pyroot")
    manifest = d / "manifest.json"
    labels = list(files)
    manifest.write_text(
        json.dumps([[str(files[k]), str(d / f"{i}")] for i, k in enumerate(labels)])
    )
    r = root_env.run(["python", CLIENT / "read_pyroot.py", manifest])
    assert r.returncode == 0, r.stderr[-2000:]
    assert _clean(r.stderr + r.stdout) == []
    out = {}
    for i, k in enumerate(labels):
        with np.load(d / f"{i}.npz") as z:
            arrays = {name: z[name] for name in z.files}
        out[k] = (arrays, json.loads((d / f"{i}.json").read_text()))
    return out


@pytest.fixture(scope="module")
def macro(files, root_env, tmp_path_factory):
    """label → (branch digests, strings) from one `root -l -b -q digest.C` process."""
    d = tmp_path_factory.mktemp("macro")
    labels = list(files)
    (d / "list.txt").write_text("".join(f"{files[k]}\n" for k in labels))
    r = root_env.run(["root", "-l", "-b", "-q", f'{CLIENT / "digest.C"}("list.txt", ".")'], cwd=d)
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    assert _clean(r.stderr + r.stdout) == []
    out = {}
    for i, k in enumerate(labels):
        digests = {}
        for line in (d / f"{i}.digest").read_text().splitlines():
            tree, branch, typ, n, value = line.split("\t")
            digests[f"{tree}/{branch}"] = (typ, int(n), int(value))
        strings = {s: (d / f"{i}.{s}").read_text() for s in STRINGS if (d / f"{i}.{s}").exists()}
        out[k] = (digests, strings)
    return out


def _uproot(path):
    """uproot's view: tree/branch → native array, and the TObjStrings."""
    with uproot.open(path) as f:
        arrays = {}
        for tree in ("events", "run"):
            if tree in f:
                for name, a in f[tree].arrays(library="np").items():
                    arrays[f"{tree}/{name}"] = a.astype(a.dtype.newbyteorder("="))
        strings = {s: str(f[s]) for s in STRINGS if s in f}
        keys = sorted(f.keys())
    return arrays, strings, keys


def _bits(a):
    return a.view(f"u{a.dtype.itemsize}")


def _digest(a) -> int:
    """Σ_j bits_j·(2j + 1) mod 2⁶⁴, as digest.C computes it."""
    j = np.arange(len(a), dtype=np.uint64)
    return int(np.sum(_bits(a).astype(np.uint64) * (2 * j + np.uint64(1)), dtype=np.uint64))


ROOT_TYPES = {
    "f8": "Double_t",
    "f4": "Float_t",
    "i8": "Long64_t",
    "u8": "ULong64_t",
    "i4": "Int_t",
    "u4": "UInt_t",
}


def test_pyroot_reads_every_branch_as_uproot(files, pyroot, root_summary):
    n_files = n_branches = n_values = 0
    for label, path in files.items():
        ref, _, keys = _uproot(path)
        arrays, info = pyroot[label]
        assert sorted(arrays) == sorted(ref), label
        for name, want in ref.items():
            got = arrays[name]
            assert got.dtype == want.dtype, (label, name, got.dtype, want.dtype)
            assert np.array_equal(_bits(got), _bits(want)), (label, name)
            tree, branch = name.split("/")
            assert info[tree]["branches"][branch] == ROOT_TYPES[want.dtype.str[1:]]
            n_values += len(want)
        # one cycle of each object, the same objects uproot sees
        assert sorted(f"{k};{c}" for k, c, _ in info["keys"]) == keys, label
        assert info["events"]["entries"] == len(ref["events/te"])
        n_files += 1
        n_branches += len(ref)
    root_summary.append(
        f"PyROOT (RDataFrame) = uproot bit for bit: {n_files} files, {n_branches} branches, "
        f"{n_values} values"
    )


def test_cpp_macro_reads_every_branch_as_uproot(files, macro, root_summary):
    n_branches = 0
    for label, path in files.items():
        ref, ref_strings, _ = _uproot(path)
        digests, strings = macro[label]
        assert sorted(digests) == sorted(ref), label
        for name, want in ref.items():
            typ, n, value = digests[name]
            assert (typ, n) == (ROOT_TYPES[want.dtype.str[1:]], len(want)), (label, name)
            assert value == _digest(want), (label, name)
        assert strings == ref_strings, label
        n_branches += len(ref)
    root_summary.append(
        f"C++ macro (TTree::GetEntry) = uproot, digest of every branch's bits: "
        f"{len(files)} files, {n_branches} branches"
    )


def test_digest_tells_apart_swapped_and_flipped_values():
    a = np.array([1.0, 2.0, 3.0])
    assert _digest(a) != _digest(a[::-1])
    b = a.copy()
    _bits(b)[1] ^= np.uint64(1)
    assert _digest(a) != _digest(b)


def test_root_reads_the_json_metadata(files, pyroot):
    for label, path in files.items():
        _, info = pyroot[label]
        meta = json.loads(info["metadata"])
        assert meta == read_metadata(path), label
        units, descriptions = json.loads(info["units"]), json.loads(info["descriptions"])
        assert units == {k: UNITS[k] for k in units}, label
        assert descriptions == {k: DESCRIPTIONS[k] for k in descriptions}, label
        assert set(units) == set(read_events(path).events.dtype.names), label
        arrays, _ = pyroot[label]
        for key in ("seed", "n_events", "gen_norm", "exposure_per_cm2", "expected_events"):
            if f"run/{key}" in arrays and key in meta:
                assert arrays[f"run/{key}"][0] == meta[key], (label, key)


def test_root_files_of_every_compression_and_card_are_among_those_read(files, pyroot):
    for comp in COMPRESSIONS["root"]:
        _, info = pyroot[f"compression-{comp}"]
        # ROOT's algorithm × 100 + level: 0 none, 1 zlib, 2 lzma, 4 lz4, 5 zstd
        # (level 0: stored uncompressed, whatever the algorithm)
        settings = info["compression"]
        if comp == "none":
            assert settings % 100 == 0, settings
        else:
            algo = {"zlib": 1, "lzma": 2, "lz4": 4, "zstd": 5}[comp]
            assert settings // 100 == algo and settings % 100 > 0, (comp, settings)
    assert pyroot["compression-zstd:9"][1]["compression"] == 509
    assert {f"card-{c}" for c in CARDS} <= set(files)
    merged = read_metadata(files["merged"])
    one = read_metadata(files["compression-lz4"])["n_events"]
    two = read_metadata(files["seed-2"])["n_events"]
    # signal + 6 backgrounds (rn222 and source_gamma keep only decays that deposit), 2 runs
    assert merged["n_events"] == one + two and 5 * N_SMALL < one <= 7 * N_SMALL


def _blocks(language: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def readme_dir(files, tmp_path_factory):
    """A directory with the files the README's snippets name (a simulated LXe run)."""
    d = tmp_path_factory.mktemp("readme")
    text = "\n".join(_blocks("cpp") + _blocks("python"))
    for name in set(re.findall(r'"([\w.]+\.root)"', text)):
        shutil.copy(files["compression-lz4"], d / name)
    return d


def test_readme_cpp_snippet_runs_in_root(readme_dir, root_env, files):
    blocks = _blocks("cpp")
    assert blocks, "README.md has no C++ snippet"
    selected = int(np.count_nonzero(read_events(files["compression-lz4"]).events["flags"] == 0))
    for i, code in enumerate(blocks):
        macro = readme_dir / f"snippet{i}.C"
        check = (
            'auto h_ = (TH1*)gPad->GetPrimitive("htemp");\n'
            '(void)printf("HTEMP %g\\n", h_ ? h_->GetEntries() : -1.);\n'
        )
        macro.write_text("{\n" + code + ("\n" + check if "->Draw(" in code else "") + "}\n")
        r = root_env.run(["root", "-l", "-b", "-q", macro.name], cwd=readme_dir)
        assert r.returncode == 0 and not _clean(r.stdout + r.stderr), r.stdout + r.stderr
        if "->Draw(" in code:
            # the README's draws select flags == 0
            assert f"HTEMP {selected}" in r.stdout, r.stdout


def test_readme_python_snippets_run(readme_dir, root_env):
    blocks = _blocks("python")
    assert blocks, "README.md has no Python snippet"
    for i, code in enumerate(blocks):
        script = readme_dir / f"snippet{i}.py"
        script.write_text(code)
        if re.search(r"^\s*import ROOT|^\s*from ROOT", code, flags=re.M):
            r = root_env.run(["python", script.name], cwd=readme_dir)
        else:
            r = subprocess.run(
                [sys.executable, script.name], cwd=readme_dir, capture_output=True, text=True
            )
        assert r.returncode == 0, r.stdout + r.stderr


def _pyroot_strings(root_env, path) -> tuple[dict, str]:
    code = (
        "import json, sys, ROOT\n"
        "f = ROOT.TFile.Open(sys.argv[1])\n"
        "keys = f.GetListOfKeys()\n"
        "out = {k: str(f.Get(k).GetString()) if keys.FindObject(k) else None\n"
        "       for k in sys.argv[2:]}\n"
        "print(json.dumps(out))\n"
    )
    r = root_env.run(["python", "-c", code, path, *STRINGS])
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stdout + r.stderr


@pytest.mark.slow
def test_root_reads_the_metadata_of_a_file_above_2_gib(root_env, tmp_path):
    path = _simulate(LXE, tmp_path / "big.root", n=10_000_000)
    assert path.stat().st_size > 2**31
    strings, output = _pyroot_strings(root_env, path)
    assert not _clean(output), _clean(output)
    with uproot.open(path) as f:
        for s in STRINGS:
            assert strings[s] == str(f[s]), s
    assert json.loads(strings["metadata"]) == read_metadata(path)


def _run_tree(root_env, path) -> dict:
    code = (
        "import json, sys, ROOT\n"
        "d = ROOT.RDataFrame('run', sys.argv[1]).AsNumpy()\n"
        "print(json.dumps({k: [v.item() for v in a] for k, a in d.items()}))\n"
    )
    r = root_env.run(["python", "-c", code, path])
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_hadd_of_two_runs_reads_as_nusource_merge(root_env, tmp_path, capsys):
    card = tmp_path / "lxe_signal.toml"  # the signal alone: analyze needs no templates
    card.write_text(Path(LXE).read_text().split("\n[[components]]")[0] + "\n")
    runs = [
        _simulate(card, tmp_path / f"run{s}.root", n=None, seed=s, exposure=True) for s in (1, 2)
    ]
    metas = [read_metadata(p) for p in runs]
    hadded = tmp_path / "hadd.root"
    r = root_env.run(["hadd", "-f", hadded, *runs])
    assert r.returncode == 0, r.stdout + r.stderr
    merged = tmp_path / "merged.root"
    assert cli_main(["merge", *map(str, runs), "-o", str(merged)]) == 0

    # ROOT itself: one run-tree entry per run
    assert sorted(_run_tree(root_env, hadded)["seed"]) == [1, 2]

    data = read_events(hadded)
    assert len(data.events) == sum(m["n_events"] for m in metas)
    run = data.run  # the runs combined by the one rule: exposures add, each run listed
    assert sorted(r["seed"] for r in run["runs"]) == [1, 2]
    assert sorted(run["chunk_keys"]) == sorted(k for m in metas for k in m["chunk_keys"])
    total = sum(m["exposure_per_cm2"] for m in metas)
    assert run["exposure_per_cm2"] == pytest.approx(total, rel=1e-12)
    assert run["n_events"] == len(data.events)

    card = REPO / "configs" / "analysis" / "lxe_mu.toml"
    results = []
    for f in (hadded, merged, runs[0]):
        capsys.readouterr()
        assert cli_main(["analyze", str(f), "--card", str(card), "--json"]) == 0
        results.append(json.loads(capsys.readouterr().out))
    a, b, one = results
    for key in ("observed", "expected", "observed_total", "expected_total"):
        assert a[key] == pytest.approx(b[key], rel=1e-12), key
    # two runs of one card: twice one run's exposure
    assert a["expected_total"] == pytest.approx(2 * one["expected_total"], rel=1e-12)
