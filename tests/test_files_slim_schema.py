"""The slim output schema: its fields are the full file's, rounded as the schema states.

References: the full-schema file of the same run (same seed, same chunks) and
numpy's own float64 → float32 rounding (round to nearest), with the bounds
the schema module states (relative 2⁻²⁴; positions within 1 µm; p_ee within
6·10⁻⁸).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from nusource import jobs
from nusource.io.readers import read_events, read_metadata
from nusource.io.schema import SLIM_DTYPE, SLIM_FIELDS, require_fields
from nusource.production import plan, simulate

ROOT = Path(__file__).resolve().parent.parent
LXE = ROOT / "configs" / "lxe_cr51.toml"
MU_CARD = ROOT / "configs" / "analysis" / "lxe_mu.toml"
N, CHUNK = 6_000, 2_500  # per component (4 components: signal and three backgrounds)


def run(path, schema, *, workers=1, progress=None, n=N):
    prod = plan(LXE, path, n=n, chunk_size=CHUNK, seed=7, schema=schema)
    simulate(prod, workers=workers, progress=progress)
    return prod


@pytest.fixture(scope="module")
def full_h5(tmp_path_factory):
    return run(tmp_path_factory.mktemp("full") / "full.h5", "full").output


@pytest.mark.parametrize("ext", [".h5", ".root", ".npz"])
def test_slim_file_is_the_full_one_rounded_as_stated(tmp_path, full_h5, ext):
    prod = run(tmp_path / f"slim{ext}", "slim")
    slim = read_events(prod.output).events
    full = read_events(full_h5).events
    # signal and six backgrounds, two of them thinned (only decays that deposit energy)
    assert slim.dtype == SLIM_DTYPE and len(slim) == len(full) > 5 * N
    assert read_metadata(prod.output)["schema"] == "slim"
    for name, kind, _ in SLIM_FIELDS:
        want = full[name].astype(kind)  # numpy's round to nearest: the reference
        assert np.array_equal(slim[name], want), name
        if kind == "f4":
            exact = full[name]
            err = np.abs(slim[name].astype(float) - exact)
            assert np.all(err <= 2.0**-24 * np.abs(exact)), name
    for axis in "xyz":  # positions to 1 µm, as stated
        err = np.abs(slim[f"rec_{axis}"].astype(float) - full[f"rec_{axis}"])
        assert err.max() < 1e-4
    assert np.abs(slim["p_ee"].astype(float) - full["p_ee"]).max() <= 6e-8


@pytest.mark.parametrize("ext", [".h5", ".root"])
def test_workers_do_not_change_slim_events_and_an_interrupted_slim_run_resumes(tmp_path, ext):
    # (one worker writes a chunk's columns in the file's byte order as it digests them;
    # workers hand them over natively: the resume checks the digests of either)
    one = run(tmp_path / f"w1{ext}", "slim")
    two = run(tmp_path / f"w2{ext}", "slim", workers=2)
    a, b = read_events(one.output).events, read_events(two.output).events
    for name in a.dtype.names:
        assert np.array_equal(a[name], b[name]), name

    seen = []

    def stop_after_two(n):
        if n > 0:
            seen.append(n)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / f"part{ext}", "slim", progress=stop_after_two)
    prod = plan(LXE, tmp_path / f"part{ext}", n=N, chunk_size=CHUNK, seed=7, schema="slim")
    r = simulate(prod)
    assert r["chunks_resumed"] == 2 and r["notes"] == []
    c = read_events(prod.output).events
    for name in a.dtype.names:
        assert np.array_equal(a[name], c[name]), name


def _close(a, b, rtol, path=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], rtol, f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, rtol, f"{path}[{i}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=rtol, abs=1e-300), path
    else:
        assert a == b, path


def test_analysis_of_a_slim_file_equals_the_full_files(tmp_path, full_h5):
    slim = run(tmp_path / "slim.h5", "slim").output
    a = jobs.analyze([str(slim)], MU_CARD)
    b = jobs.analyze([str(full_h5)], MU_CARD)
    a["files"] = b["files"]
    # erec is rounded by ≤ 2⁻²⁴ relative: an event moves bin only if it lies that close to an
    # edge; count the weight of such events in the full file (the allowed difference per bin)
    ev = read_events(full_h5).events
    ev = ev[ev["flags"] == 0]
    edges = np.array(b["edges_kev"]) * 1e-3
    near = np.min(np.abs(ev["erec"][:, None] - edges[None, :]), axis=1) <= 2.0**-24 * ev["erec"]
    slack = ev["weight"][near].sum()
    obs_a, obs_b = np.array(a.pop("observed")), np.array(b.pop("observed"))
    assert np.all(np.abs(obs_a - obs_b) <= slack + 1e-12 * obs_b)
    if slack == 0:  # no event near an edge: the same histogram, so the same fit, to rounding
        _close(a, b, 1e-9)
    else:
        assert a["expected"] == b["expected"]


def test_what_a_slim_file_lacks_is_said_in_one_line(tmp_path):
    prod = run(tmp_path / "slim.h5", "slim", n=500)
    with pytest.raises(ValueError, match=r"has no field 'te' \(a slim-schema file") as err:
        read_events(prod.output, fields=["te", "erec"])
    assert "\n" not in str(err.value)
    events = read_events(prod.output).events
    with pytest.raises(
        ValueError, match=r"^reproduce lama: the events lack field\(s\) te \(a slim"
    ):
        from nusource.analysis import lama

        lama.reproduce(events, {"gen_norm": 1.0}, None, None, 1.0, 1.0)
    from nusource.analysis.histograms import histogram

    with pytest.raises(ValueError, match=r"histogram: the events lack field\(s\) cos_theta"):
        histogram(events, "cos_theta", 10, range=(0, 1))
    require_fields(events.dtype.names, ("erec", "weight", "flags"), "analyze")  # all there


def test_schema_from_the_card_and_the_command_line(tmp_path):
    card = tmp_path / "card.toml"
    card.write_text(
        LXE.read_text().replace("chunk_size = 1000000", 'chunk_size = 1000000\nschema = "slim"')
    )
    assert plan(card, tmp_path / "a.h5", n=10).schema == "slim"
    assert plan(card, tmp_path / "a.h5", n=10, schema="full").schema == "full"
    assert plan(LXE, tmp_path / "a.h5", n=10).schema == "full"  # auto: small runs keep every field
    assert plan(LXE, tmp_path / "a.h5", n=2_600_000).schema == "slim"  # 1.04e7 events in all
    bad = tmp_path / "bad.toml"
    bad.write_text(
        LXE.read_text().replace("chunk_size = 1000000", 'chunk_size = 1000000\nschema = "thin"')
    )
    with pytest.raises(ValueError, match="schema"):
        plan(bad, tmp_path / "b.h5", n=10)
    from nusource.cli import main

    out = tmp_path / "c.h5"
    assert (
        main(["simulate", str(LXE), "-n", "200", "-o", str(out), "--schema", "slim", "--json"]) == 0
    )
    assert read_events(out).events.dtype == SLIM_DTYPE
    assert json.loads(json.dumps(read_metadata(out)))["schema"] == "slim"


@pytest.mark.parametrize("half_draw", [False, True])
def test_skipped_electron_directions_leave_the_generator_where_drawing_them_does(half_draw):
    """A run that stores no electron direction skips its isotropic draws by a jump of the
    generator: the state after is the one after drawing them (with a buffered 32-bit
    half-draw too, where a jump would lose it: then they are drawn)."""
    from nusource.components.decay import isotropic_electrons
    from nusource.core.randomness import chunk_rng

    a, b = chunk_rng(5, 2, 3), chunk_rng(5, 2, 3)
    if half_draw:
        a.random(dtype=np.float32), b.random(dtype=np.float32)
        assert a.bit_generator.state["has_uint32"] == 1
    n = 1001
    cols = {name: np.zeros(n) for name in ("e_dx", "e_dy", "e_dz")}
    isotropic_electrons(a, cols, n)
    isotropic_electrons(b, {}, n)
    assert a.bit_generator.state == b.bit_generator.state
    assert np.allclose(cols["e_dx"] ** 2 + cols["e_dy"] ** 2 + cols["e_dz"] ** 2, 1.0)
    assert np.array_equal(a.random(5), b.random(5))
