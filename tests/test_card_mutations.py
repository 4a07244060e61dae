"""Every shipped run card, mutated one key at a time, through `rate` and `simulate -n 1000`.

A mutation deletes a key (or table, or list item), or puts in its place NaN, ±inf,
zero, its negative, 10³⁰, a string, a list, a boolean, or renames it with a wrong
unit suffix.  Every outcome must be exit 0 with a sensible result (finite
numbers; the events written) or exit 2 with at most two lines, the error line
naming the key; never a traceback, never a hang (a time limit per command), and
nothing left beside the output.  The cards' geometry Monte Carlo is cut to 20 000
samples before mutating, so that an example takes about a second.
"""

import contextlib
import copy
import io
import json
import math
import signal
import tomllib
from importlib.resources import files

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nusource.cli import main
from nusource.runcard import to_toml

CARDS = {
    p.name: tomllib.loads(p.read_text(encoding="utf-8"))
    for p in sorted(files("nusource.configs").iterdir(), key=lambda p: p.name)
    if p.name.endswith(".toml")
}
MUTATIONS = (
    "delete",
    "nan",
    "inf",
    "-inf",
    "zero",
    "negative",
    "1e30",
    "string",
    "list",
    "bool",
    "suffix",
)
TIME_LIMIT_S = 60


def _paths(node, prefix=()):
    """Every key, table and list item of a card, as a path of keys and indices."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        yield (*prefix, k)
        if isinstance(v, dict | list):
            yield from _paths(v, (*prefix, k))


PATHS = [(name, path) for name, data in CARDS.items() for path in _paths(data)]


def _negative(v):
    if isinstance(v, bool) or not isinstance(v, int | float):
        return -1.0
    return -v if v else -1.0


def mutate(data: dict, path: tuple, how: str) -> tuple[dict, str]:
    """(mutated copy, the key its messages must name)."""
    data = copy.deepcopy(data)
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    key = last if isinstance(last, str) else next(k for k in reversed(path) if isinstance(k, str))
    if how == "delete":
        del parent[last]
        return data, key
    if how == "suffix":
        if not isinstance(last, str):
            del parent[last]
            return data, key
        stem, _, unit = last.rpartition("_")
        new = f"{stem}_mm" if stem and unit in ("cm", "kev", "days", "ci", "bohr") else f"{last}_m"
        parent[new] = parent.pop(last)
        return data, new
    value = {
        "nan": math.nan,
        "inf": math.inf,
        "-inf": -math.inf,
        "zero": 0,
        "negative": _negative(parent[last]),
        "1e30": 1e30,
        "string": "5e6",
        "list": [1, 2],
        "bool": True,
    }[how]
    parent[last] = value
    return data, key


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def run(argv) -> tuple[int, str, str]:
    """nusource.cli.main in this process, with a time limit: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except Hang:
        pytest.fail(f"nusource {' '.join(argv)}: no answer within {TIME_LIMIT_S} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, out.getvalue(), err.getvalue()


def check_refusal(what, code, err, key):
    errors = [ln for ln in err.splitlines() if ": warning: " not in ln]
    assert code == 2, f"{what}: exit {code}\n{err}"
    assert 1 <= len(errors) <= 2, f"{what}: {len(errors)} lines\n{err}"
    assert key in errors[0], f"{what}: the message does not name '{key}': {errors[0]}"


def check_mutation(tmp, name, path, how) -> str:
    """Run one mutation through rate and simulate; the outcome ('accepted'/'refused')."""
    base = copy.deepcopy(CARDS[name])
    base["geometry_mc_samples"] = 20_000
    data, key = mutate(base, path, how)
    card = tmp / "card.toml"
    card.write_text(to_toml(data), encoding="utf-8")
    what = f"{name}: {'.'.join(map(str, path))} → {how}"

    code, out, err = run(["rate", str(card), "--json"])
    if code == 0:
        r = json.loads(out)  # JSON without bare NaN
        for k in ("signal_events", "electrons", "geometric_factor_cm", "sigma_cm2"):
            assert r[k] is not None and math.isfinite(r[k]) and r[k] >= 0, (what, k, r[k])
    else:
        check_refusal(f"rate: {what}", code, err, key)

    output = tmp / "events.h5"
    code2, out2, err2 = run(["simulate", str(card), "-n", "1000", "-o", str(output), "--overwrite"])
    if code2 == 0:
        assert output.is_file() and out2.startswith("wrote "), (what, out2)
    else:
        check_refusal(f"simulate: {what}", code2, err2, key)
    leftovers = sorted(p.name for p in tmp.iterdir() if p.name not in ("card.toml", "events.h5"))
    assert not leftovers, (what, leftovers)
    output.unlink(missing_ok=True)
    return "accepted" if code == 0 and code2 == 0 else "refused"


def _run_mutations(tmp_path_factory, summary, examples: int):
    tmp = tmp_path_factory.mktemp("mutations")
    outcomes = {"accepted": 0, "refused": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.sampled_from(PATHS), st.sampled_from(MUTATIONS))
    def one(where, how):
        name, path = where
        outcomes[check_mutation(tmp, name, path, how)] += 1

    one()
    n = sum(outcomes.values())
    line = (
        f"{n} mutations of {len(CARDS)} cards ({len(PATHS)} keys × {len(MUTATIONS)} kinds) "
        f"through rate and simulate: {outcomes['accepted']} accepted, "
        f"{outcomes['refused']} refused in one line naming the key"
    )
    summary.append(line)
    print(line)
    assert n > 0


def test_card_mutations_are_run_or_refused_naming_the_key(tmp_path_factory, mutation_summary):
    _run_mutations(tmp_path_factory, mutation_summary, examples=300)


@pytest.mark.slow
def test_every_card_mutation(tmp_path_factory, mutation_summary):
    """Every key of every card with every kind of mutation (a few minutes)."""
    tmp = tmp_path_factory.mktemp("all_mutations")
    outcomes = {"accepted": 0, "refused": 0}
    for name, path in PATHS:
        for how in MUTATIONS:
            outcomes[check_mutation(tmp, name, path, how)] += 1
    line = (
        f"all {sum(outcomes.values())} mutations of {len(CARDS)} cards through rate and "
        f"simulate: {outcomes['accepted']} accepted, {outcomes['refused']} refused"
    )
    mutation_summary.append(line)
    print(line)
