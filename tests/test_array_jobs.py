"""Array jobs without Dask: chunk files made by ranges (--chunks), then checked and assembled."""

import json
import shutil
from pathlib import Path

import pytest

from nusource.cli import main
from nusource.io.readers import count_events
from nusource.production import plan, simulate
from nusource.runcard import card_path

LXE = str(Path(card_path("configs/lxe_cr51.toml")).absolute())
RUN = ["-n", "6000", "--chunk-size", "2000", "--seed", "3"]  # 7 components: 21 chunks


def cli(capsys, *args):
    """Run `nusource ARGS`: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The run made here, in one process: the reference."""
    out = tmp_path_factory.mktemp("local") / "run.h5"
    simulate(plan(LXE, out, n=6000, chunk_size=2000, seed=3))
    return out


@pytest.fixture(scope="module")
def chunk_files(tmp_path_factory):
    """Every chunk file of the run, made by three 'jobs' in reverse order (one with 2 workers)."""
    d = tmp_path_factory.mktemp("chunks")
    out = d / "run.h5"
    for rng, workers in (("8:21", 1), ("3:8", 2), ("0:3", 1)):
        code = main(
            ["simulate", LXE, "-o", str(out), *RUN, "--chunks", rng, "--workers", str(workers)]
        )
        assert code == 0
    return out.with_name("run.h5.chunks")


def copy_chunks(chunk_files, tmp_path):
    out = tmp_path / "run.h5"
    shutil.copytree(chunk_files, out.with_name("run.h5.chunks"))
    return out


def test_chunks_then_assemble_is_the_local_run(chunk_files, local_run, tmp_path, capsys, same_run):
    out = copy_chunks(chunk_files, tmp_path)
    assert len(list(out.with_name("run.h5.chunks").glob("chunk_*.h5"))) == 21
    code, stdout, err = cli(capsys, "simulate", LXE, "-o", out, *RUN, "--assemble")
    assert code == 0, err
    n = count_events(local_run)  # (rn222 and source_gamma keep only decays that deposit)
    assert 30_000 < n < 42_000 and f"wrote {n} events" in stdout
    same_run(out, local_run)
    assert not out.with_name("run.h5.chunks").exists()


def test_a_job_run_again_keeps_its_chunks(chunk_files, tmp_path, capsys):
    out = copy_chunks(chunk_files, tmp_path)
    before = (out.with_name("run.h5.chunks") / "chunk_000004.h5").stat().st_mtime_ns
    code, stdout, _ = cli(capsys, "simulate", LXE, "-o", out, *RUN, "--chunks", "3:8")
    assert code == 0 and "0 new" in stdout and "5 already there" in stdout
    assert (out.with_name("run.h5.chunks") / "chunk_000004.h5").stat().st_mtime_ns == before


def flip_bytes(path):
    """Damage a chunk's events: 64 bytes in the middle of its recoil energies' data (found
    in the file's layout: the middle of the file may be a dataset's unused index space)."""
    import h5py

    with h5py.File(path, "r") as f:
        d = f["events"]["te"]
        if d.chunks is None:
            start, size = d.id.get_offset(), d.id.get_storage_size()
        else:
            info = d.id.get_chunk_info(0)
            start, size = info.byte_offset, info.size
    data = bytearray(path.read_bytes())
    at = start + size // 2 - 32
    data[at : at + 64] = bytes(b ^ 0xFF for b in data[at : at + 64])
    path.write_bytes(bytes(data))


def other_run_chunk(tmp_path, *, card=LXE, seed=3):
    """Chunk 3 of another run (another card text or seed)."""
    out = tmp_path / "other" / "run.h5"
    out.parent.mkdir()
    args = ["-n", "6000", "--chunk-size", "2000", "--seed", seed]
    assert main(["simulate", card, "-o", str(out), *map(str, args), "--chunks", "3:4"]) == 0
    return out.with_name("run.h5.chunks") / "chunk_000003.h5"


def other_card(tmp_path):
    text = Path(LXE).read_text() + "\n# the same card, another text\n"
    path = tmp_path / "other_card.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "damage,words",
    [
        ("missing", ["chunk 3 of 21 is missing", "chunk_000003.h5", "--chunks 3:4"]),
        ("missing-many", ["3 of 21 chunks are missing", "--chunks 0:1, --chunks 3:5"]),
        ("seed", ["chunk_000003.h5", "seed 4, not 3"]),
        ("card", ["chunk_000003.h5", "another run card"]),
        ("twice", ["chunk 3 is there twice", "copy.h5"]),
        ("bytes", ["chunk_000005.h5", "damaged", "digest", "--chunks 5:6"]),
        ("truncated", ["chunk_000005.h5", "damaged", "cannot be read"]),
    ],
)
def test_assemble_refuses_in_one_line_and_leaves_the_output(
    chunk_files, tmp_path, capsys, damage, words
):
    out = copy_chunks(chunk_files, tmp_path)
    d = out.with_name("run.h5.chunks")
    out.write_bytes(b"an earlier output")  # replaced only by a good assembly (--overwrite)
    if damage == "missing":
        (d / "chunk_000003.h5").unlink()
    elif damage == "missing-many":
        for j in (0, 3, 4):
            (d / f"chunk_{j:06d}.h5").unlink()
    elif damage in ("seed", "card"):
        kw = {"seed": 4} if damage == "seed" else {"card": other_card(tmp_path)}
        shutil.copy(other_run_chunk(tmp_path, **kw), d / "chunk_000003.h5")
    elif damage == "twice":
        shutil.copy(d / "chunk_000003.h5", d / "chunk_000003 copy.h5")
    elif damage == "bytes":
        flip_bytes(d / "chunk_000005.h5")
    elif damage == "truncated":
        data = (d / "chunk_000005.h5").read_bytes()
        (d / "chunk_000005.h5").write_bytes(data[: len(data) // 3])
    code, _, err = cli(capsys, "simulate", LXE, "-o", out, *RUN, "--assemble", "--overwrite")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err
    assert out.read_bytes() == b"an earlier output"


def test_a_damaged_chunk_made_again_completes_the_assembly(
    chunk_files, local_run, tmp_path, capsys, same_run
):
    """Refused at chunk 5 (after 5 chunks were written), then chunk 5 made again: it resumes."""
    out = copy_chunks(chunk_files, tmp_path)
    flip_bytes(out.with_name("run.h5.chunks") / "chunk_000005.h5")
    assert cli(capsys, "simulate", LXE, "-o", out, *RUN, "--assemble")[0] == 2
    (out.with_name("run.h5.chunks") / "chunk_000005.h5").unlink()
    assert cli(capsys, "simulate", LXE, "-o", out, *RUN, "--chunks", "5:6")[0] == 0
    code, stdout, err = cli(capsys, "simulate", LXE, "-o", out, *RUN, "--assemble")
    assert code == 0 and "5 resumed" in stdout, err
    same_run(out, local_run)


def test_plan_gives_each_job_its_range(capsys):
    code, stdout, _ = cli(capsys, "plan", LXE, *RUN, "--jobs", 5, "--json")
    r = json.loads(stdout)
    assert code == 0 and r["chunks"] == 21 and r["events"] == 42_000
    bounds = [tuple(map(int, x.split(":"))) for x in r["ranges"]]
    assert bounds[0][0] == 0 and bounds[-1][1] == 21
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    assert {b - a for a, b in bounds} == {4, 5}  # 21 chunks over 5 jobs
    assert sum(r["events_per_job"]) == 42_000
    code, stdout, _ = cli(capsys, "plan", LXE, *RUN, "--jobs", 2)
    assert code == 0 and "--chunks 0:10" in stdout and "--chunks 10:21" in stdout


@pytest.mark.parametrize(
    "args,words",
    [
        (["--chunks", "5:3"], ["--chunks", "'5:3'", "0 ≤ A < B ≤ 21"]),
        (["--chunks", "0:22"], ["--chunks", "'0:22'", "21 chunks"]),
        (["--chunks", "two"], ["--chunks", "'two'", "A:B"]),
        (["--assemble", "--chunks", "0:2"], ["--assemble", "--chunks 0:2"]),
        (["--chunks", "0:2", "--dask", "local"], ["--dask", "--chunks 0:2"]),
        (["--cluster", "foo", "--jobs", "2"], ["--cluster", "'foo'", "slurm, pbs"]),
        (["--cluster", "slurm", "--jobs", "0"], ["--jobs", "0", "≥ 1"]),
        (["--cluster", "slurm"], ["--cluster", "--jobs N"]),
        (["--jobs", "2"], ["--jobs", "2", "without --cluster"]),
        (["--cluster", "slurm", "--jobs", "1", "--walltime", "1h"], ["--walltime", "HH:MM:SS"]),
        (["--cluster", "slurm", "--jobs", "1", "--memory", "lots"], ["--memory", "'lots'"]),
        (["--cluster", "htcondor", "--jobs", "1", "--queue", "q"], ["--queue", "htcondor"]),
        (["--cluster", "slurm", "--jobs", "1", "--dask", "local"], ["--cluster", "--dask"]),
    ],
)
def test_bad_cluster_and_array_input(tmp_path, capsys, args, words):
    code, _, err = cli(capsys, "simulate", LXE, "-o", tmp_path / "x.h5", *RUN, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("jobs,words", [(0, ["--jobs", "0", "≥ 1"]), (22, ["--jobs", "22", "21"])])
def test_plan_bad_jobs(capsys, jobs, words):
    code, _, err = cli(capsys, "plan", LXE, *RUN, "--jobs", jobs)
    assert code == 2 and len(err.strip().splitlines()) == 1
    for w in words:
        assert w in err


def test_worker_jobs_follow_dask_config_and_this_python(monkeypatch):
    """jobqueue.yaml's site defaults hold unless the command line says otherwise."""
    import sys

    import dask
    from dask_jobqueue.slurm import SLURMJob

    from nusource.production.clusters import ClusterSpec, job_options

    site = {
        "jobqueue.slurm.queue": "site-q",
        "jobqueue.slurm.cores": 4,
        "jobqueue.slurm.memory": "7GB",
    }
    with dask.config.set(site):
        kw = job_options(ClusterSpec("slurm", 2))
        assert kw["cores"] == 4 and "memory" not in kw and "queue" not in kw
        script = SLURMJob(scheduler="tcp://127.0.0.1:1", name="w", **kw).job_script()
        assert "#SBATCH -p site-q" in script and "#SBATCH --mem=7G" in script
        assert f"{sys.executable} -m distributed.cli.dask_worker" in script
        kw = job_options(ClusterSpec("slurm", 2, queue="mine", cores=1, memory="3GB"))
        script = SLURMJob(scheduler="tcp://127.0.0.1:1", name="w", **kw).job_script()
        assert "#SBATCH -p mine" in script and "#SBATCH --mem=3G" in script
    kw = job_options(ClusterSpec("slurm", 1))
    assert kw["cores"] == 1 and kw["memory"] == "2.00GiB"


def test_merge_of_a_chunk_directory_points_to_assemble(chunk_files, tmp_path, capsys):
    out = copy_chunks(chunk_files, tmp_path)
    code, _, err = cli(capsys, "merge", out.with_name("run.h5.chunks"), "-o", out)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--assemble" in err and "run.h5" in err and not out.exists()
