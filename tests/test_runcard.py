"""Run cards: every shipped card loads; bad cards give one line naming the key."""

from pathlib import Path

import pytest

from nusource.experiment import build_experiment
from nusource.runcard import CardError, load_card, parse_card

from .support import BASE, CONFIGS, NAMES


def test_every_card_the_issue_names_is_shipped():
    for name in [
        "lama.toml",
        "lama_1t.toml",
        "lama_seed000.toml",
        "lxe_cr51.toml",
        "lxe_cr51_5deploy.toml",
        "hellaz_cr51.toml",
        "hellaz_sry.toml",
        "borexino_cr51.toml",
    ]:
        assert name in NAMES


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: Path(p).name)
def test_shipped_cards_load(path):
    card, text = load_card(path)
    exp = build_experiment(card, path)
    assert exp.decays > 0 and exp.electrons > 0


def test_detector_masses_are_the_setups():
    masses = {}
    for path in CONFIGS:
        card, _ = load_card(path)
        masses[Path(path).name] = build_experiment(card, path).detector_mass_kg
    assert masses["lama.toml"] == pytest.approx(400, rel=1e-4)
    assert masses["lama_1t.toml"] == pytest.approx(1000, rel=1e-4)
    assert masses["hellaz_cr51.toml"] == pytest.approx(6000, rel=1e-3)
    assert masses["borexino_cr51.toml"] == pytest.approx(100_000, rel=1e-4)
    assert 5000 < masses["lxe_cr51.toml"] < 6000


def card_with(old: str, new: str) -> str:
    text = BASE.read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    "old,new,words",
    [
        ("radius_cm = 68.5", "radius_m = 0.685", ["detector.radius_m", "unknown key"]),
        ("radius_cm = 68.5", "radius_cm = -5.0", ["detector.radius_cm", "greater than 0", "-5.0"]),
        ('isotope = "cr51"', 'isotope = "co60"', ["source.isotope", "co60"]),
        ("activity_ci = 5.0e6\n", "", ["source", "activity_ci"]),
        ("center_cm = [0.0, 0.0, 168.5]", "center_cm = [0.0, 0.0, 50.0]", ["overlaps"]),
        ("center_cm = [0.0, 0.0, 168.5]", "center_cm = [0.0, 0.0, 0.0]", ["overlaps"]),
        ("[window]\ntmin_kev = 1.0", "[window]\ntmin_kev = 900.0", ["window.tmin_kev", "T_max"]),
        ('couplings = "radiative"', 'couplings = "radiative"\nmu_bohr = 1e-10\n', ["tmin_kev"]),
        ('couplings = "radiative"', 'couplings = "loop"', ["physics.couplings", "loop"]),
    ],
)
def test_bad_cards_name_the_key(old, new, words):
    text = card_with(old, new)
    if "mu_bohr" in new:
        text = text.replace("[window]\ntmin_kev = 1.0", "[window]\ntmin_kev = 0.0")
    with pytest.raises(CardError) as info:
        build_experiment(parse_card(text, "x.toml"), "x.toml")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("run card x.toml")
    for w in words:
        assert w in msg


def test_source_inside_must_be_stated():
    lama = (Path(CONFIGS[0]).parent / "lama.toml").read_text()
    text = lama.replace("source_inside = true", "source_inside = false")
    with pytest.raises(CardError, match="source_inside"):
        build_experiment(parse_card(text, "x.toml"), "x.toml")
    lxe = BASE.read_text().replace(
        "center_cm = [0.0, 0.0, 168.5]", "center_cm = [0.0, 0.0, 168.5]\nsource_inside = true"
    )
    with pytest.raises(CardError, match="outside the detector"):
        build_experiment(parse_card(lxe, "x.toml"), "x.toml")


def test_fiducial_volume_from_the_card_flags_events_outside_it():
    """A fiducial cylinder 10 cm inside the LXe volume: events outside it carry the flag."""
    import numpy as np

    from nusource.io.schema import FLAGS
    from nusource.production import chunk_events, plan
    from nusource.runcard import load_card

    text = BASE.read_text() + (
        '\n[response.fiducial]\nshape = "cylinder"\nradius_cm = 58.5\nheight_cm = 117.0\n'
        'center_cm = [0.0, 0.0, 168.5]\non = "true"\n'
    )
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        card = Path(d) / "fid.toml"
        card.write_text(text)
        load_card(card)
        prod = plan(card, Path(d) / "x.h5", n=20_000, seed=4)
        ev = chunk_events(prod, 0)
    r = np.hypot(ev["vtx_x"], ev["vtx_y"])
    outside = (r > 58.5) | (np.abs(ev["vtx_z"] - 168.5) > 58.5)
    flagged = (ev["flags"] & FLAGS["outside_fiducial"]) != 0
    kept = ev["flags"] & FLAGS["binding_removed"] == 0
    assert np.array_equal(flagged[kept], outside[kept])
    assert 0.2 < outside.mean() < 0.6


def test_a_shipped_card_is_found_by_its_bare_name_and_an_unknown_name_lists_them(
    tmp_path, monkeypatch
):
    from nusource.runcard import card_path

    monkeypatch.chdir(tmp_path)  # (no card here)
    bare = card_path("lama").read_text()
    assert bare == card_path("lama.toml").read_text() == card_path("configs/lama.toml").read_text()
    assert (
        card_path("analysis/lxe_mu").read_text()
        == (BASE.parent / "analysis" / "lxe_mu.toml").read_text()
    )
    (tmp_path / "lama").mkdir()
    with pytest.raises(CardError, match="is a directory"):
        card_path("lama")
    with pytest.raises(CardError) as err:
        card_path("lamma")
    words = str(err.value)
    assert words.startswith("run card lamma: no such file; shipped run cards")
    assert all(name.removesuffix(".toml") in words for name in NAMES)  # each one named
    assert "analysis/lxe_mu" in words
    with pytest.raises(CardError, match=r"^run card /nowhere/lama.toml: no such file$"):
        card_path("/nowhere/lama.toml")  # (a path is a path)
