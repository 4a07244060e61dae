"""Activities and concentrations are bounded by physics: a card beyond what a source's
mass or a detector medium could hold, or than anything measured, is refused in one line
naming the key, the value in the card's unit and what is allowed; merely unusual values
are warned about in one line."""

import math
from importlib.resources import files

import pytest

from nusource.activity_bounds import source_activity_limits_ci, specific_activity_bq_per_g
from nusource.cli import main
from nusource.generator.sources import get_source

LXE = files("nusource.configs").joinpath("lxe_cr51.toml").read_text(encoding="utf-8")
LAMA = files("nusource.configs").joinpath("lama.toml").read_text(encoding="utf-8")
BX = files("nusource.configs").joinpath("borexino_cr51.toml").read_text(encoding="utf-8")
BETA = '\n[[components]]\nkind = "beta"\nscheme = "h3"\nactivity_bq_per_kg = {}\n'
SOLAR = '[[components]]\nkind = "solar_pp"\np_ee = 0.55\n'


def rate(tmp_path, capsys, text, old, new):
    assert old in text, old
    p = tmp_path / "card.toml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    code = main(["rate", str(p)])
    return code, capsys.readouterr().err


def test_specific_activities_match_the_tabulated_ones():
    """Pure ³H: 357 TBq/g (9.65 kCi/g); pure ⁵¹Cr: 3.42×10¹⁵ Bq/g (tabulated specific
    activities; the mass number for the molar mass is good to the 1 % allowed)."""
    h3, cr51 = get_source("h3"), get_source("cr51")
    assert specific_activity_bq_per_g(h3.half_life_s, 3) == pytest.approx(3.57e14, rel=0.01)
    assert specific_activity_bq_per_g(cr51.half_life_s, 51) == pytest.approx(3.42e15, rel=0.01)
    most, usual, _ = source_activity_limits_ci(h3.half_life_s, h3.nuclide, 1.0)
    assert most == pytest.approx(3.57e14 * 22.59 / 3.7e10, rel=0.01)
    assert usual / most == pytest.approx(0.43 / 22.59)


@pytest.mark.parametrize(
    ("text", "old", "new", "words"),
    [
        (
            LXE,
            "natkr_mol_per_mol = 1.0e-13",
            "natkr_mol_per_mol = 0.01",
            ["natkr_mol_per_mol", "0.01 mol/mol", "up to 0.001 mol/mol"],
        ),
        (LXE, "kr85_per_kr = 2.0e-11", "kr85_per_kr = 1e-6", ["kr85_per_kr", "1e-06", "1e-09"]),
        (
            LXE,
            "activity_ubq_per_kg = 0.1",
            "activity_ubq_per_kg = 1e7",
            ["activity_ubq_per_kg", "1e+07 μBq/kg", "up to 1e+06 μBq/kg"],
        ),
        (
            BX,
            "rate_per_kev_t_day = 1.0e-3",
            "rate_per_kev_t_day = 1e12",
            ["rate_per_kev_t_day", "1e+12 counts/(keV·t·day)", "up to 1e+09"],
        ),
        (LXE, SOLAR, SOLAR + "flux_scale = 1e4\n", ["flux_scale", "10000", "up to 100"]),
        (
            LXE,
            "[[components]]",
            BETA.format("1e19") + "\n[[components]]",
            ["activity_bq_per_kg", "1e+19 Bq/kg", "H-3", "up to 3.58e+17 Bq/kg"],
        ),
        (
            LAMA,
            "activity_ci = 5.0e6",
            "activity_ci = 5.0e7",
            ["source.activity_ci", "5e+07 Ci", "Pm-147", "up to 1.64e+07 Ci"],
        ),
    ],
    ids=["natkr", "kr85_per_kr", "rn222", "flat", "flux_scale", "beta", "source"],
)
def test_activities_beyond_physics_are_refused(tmp_path, capsys, text, old, new, words):
    code, err = rate(tmp_path, capsys, text, old, new)
    lines = [ln for ln in err.splitlines() if ": warning: " not in ln]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.parametrize(
    ("text", "old", "new", "words"),
    [
        (LXE, "natkr_mol_per_mol = 1.0e-13", "natkr_mol_per_mol = 1e-5", ["natkr", "air"]),
        (LXE, "kr85_per_kr = 2.0e-11", "kr85_per_kr = 3e-10", ["kr85_per_kr", "atmosphere"]),
        (LXE, "activity_ubq_per_kg = 0.1", "activity_ubq_per_kg = 5e3", ["5000 μBq/kg"]),
        (BX, "rate_per_kev_t_day = 1.0e-3", "rate_per_kev_t_day = 1e5", ["underground"]),
        (LXE, SOLAR, SOLAR + "flux_scale = 3.0\n", ["flux_scale = 3", "B16-GS98"]),
        (LXE, "[[components]]", BETA.format("10.0") + "\n[[components]]", ["³⁹Ar", "10 Bq/kg"]),
        (LAMA, "activity_ci = 5.0e6", "activity_ci = 1.0e7", ["source.activity_ci", "metal"]),
    ],
    ids=["natkr", "kr85_per_kr", "rn222", "flat", "flux_scale", "beta", "source"],
)
def test_unusual_activities_are_warned_in_one_line(tmp_path, capsys, text, old, new, words):
    code, err = rate(tmp_path, capsys, text, old, new)
    warnings = [ln for ln in err.splitlines() if ": warning: " in ln]
    assert code == 0 and len(warnings) == 1 and len(err.splitlines()) == 1, err
    for w in words:
        assert w in warnings[0], (w, warnings[0])


def test_shipped_cards_are_within_the_bounds(tmp_path, capsys):
    """The bounds leave the physics of the shipped cards alone (no refusal, no warning)."""
    for name in ("lama.toml", "lxe_cr51.toml", "hellaz_sry.toml", "borexino_cr51.toml"):
        assert main(["rate", name, "--geometry-samples", "20000"]) == 0, name
        assert "warning" not in capsys.readouterr().err, name
    assert math.isfinite(source_activity_limits_ci(get_source("sr90y").half_life_s, "Sr-90", 1)[1])
