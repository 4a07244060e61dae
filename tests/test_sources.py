"""Built-in sources: the docs/physics.md §4 data, options and the JSON summary."""

import json
import math
from importlib import resources

import numpy as np
import pytest

from nusource.generator.constants import SECONDS_PER_DAY, SECONDS_PER_YEAR
from nusource.generator.sources import SOURCE_NAMES, Line, Source, Spectrum, get_source

DAY, YEAR = SECONDS_PER_DAY, SECONDS_PER_YEAR


def _kev(lines):
    return [(round(ln.energy_mev * 1e3, 6), ln.intensity) for ln in lines]


def test_names_and_data_files_agree():
    assert SOURCE_NAMES == ("cr51", "ar37", "v49", "sm145", "pm147", "sr90y", "h3")
    folder = resources.files("nusource.generator").joinpath("data", "sources")
    files = {p.name for p in folder.iterdir() if p.name.endswith(".toml")}
    assert files == {f"{n}.toml" for n in SOURCE_NAMES}


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_every_source_is_consistent(name):
    src = get_source(name)
    assert isinstance(src, Source) and src.name == name
    assert (src.decay, src.flavour) in {("EC", "nue"), ("beta-", "nuebar")}
    assert bool(src.lines) == (src.decay == "EC") != bool(src.spectra)
    assert src.provenance and "docs/physics.md" in src.provenance
    assert src.mean_lifetime_s == pytest.approx(src.half_life_s / math.log(2), rel=1e-15)
    for spec in src.spectra:
        assert isinstance(spec, Spectrum)
        assert spec.energy_mev[0] == 0.0 and spec.energy_mev[-1] == spec.q_mev
        assert np.trapezoid(spec.density, spec.energy_mev) == pytest.approx(1.0, abs=1e-13)
        assert not spec.energy_mev.flags.writeable and not spec.density.flags.writeable
    json.dumps(src.to_dict())


def test_cr51():
    src = get_source("cr51")
    assert _kev(src.lines) == [(746.9, 0.8163), (751.8, 0.0849), (426.8, 0.0895), (431.7, 0.0093)]
    assert src.nu_per_decay == pytest.approx(1.0, abs=1e-12)
    assert src.half_life_s == pytest.approx(27.70 * DAY, rel=1e-12)
    assert src.mean_lifetime_s / DAY == pytest.approx(39.96, abs=0.005)
    assert src.gammas == (Line(0.3201, 0.099),)
    assert src.max_energy_mev == pytest.approx(0.7518, rel=1e-12)


def test_ec_line_sources():
    ar = get_source("ar37")
    assert _kev(ar.lines) == [(811.0, 0.902), (813.6, 0.098)]
    assert ar.half_life_s == pytest.approx(35.04 * DAY, rel=1e-12)
    v = get_source("v49")
    assert _kev(v.lines) == [(596.9, 0.9), (601.3, 0.1)]
    assert v.half_life_s == pytest.approx(330 * DAY, rel=1e-12)
    sm = get_source("sm145")
    assert _kev(sm.lines) == [(554.0, 1.0)]
    assert sm.half_life_s == pytest.approx(340 * DAY, rel=1e-12)
    assert "uncertain" in sm.notes.lower()
    for src in (ar, v, sm):
        assert src.nu_per_decay == pytest.approx(1.0, abs=1e-12)
        assert src.flavour == "nue" and not src.spectra


def test_pm147_endpoint_and_override():
    src = get_source("pm147")
    (spec,) = src.spectra
    assert spec.q_mev == 0.2241 and spec.energy_mev[-1] == 0.2241
    assert (spec.z_daughter, spec.a_mass, spec.shape) == (62, 147, "allowed")
    assert src.half_life_s == pytest.approx(2.6234 * YEAR, rel=1e-12)
    assert src.nu_per_decay == 1.0 and src.flavour == "nuebar"
    seeds = get_source("pm147", endpoint_kev=235)
    assert seeds.spectra[0].q_mev == 0.235 and seeds.max_energy_mev == 0.235
    assert seeds.spectra[0].mean_energy_mev > spec.mean_energy_mev
    assert [imp.nuclide for imp in src.impurities] == ["Pm-146"]
    assert src.impurities[0].gamma_energies_mev == (0.747,)


def test_sr90y_has_two_antineutrinos_per_decay():
    src = get_source("sr90y")
    assert src.nu_per_decay == 2.0
    sr, y = src.spectra
    assert (sr.label, sr.q_mev, sr.z_daughter, sr.a_mass, sr.shape) == (
        "Sr-90",
        0.5459,
        39,
        90,
        "unique1",
    )
    assert (y.label, y.q_mev, y.z_daughter, y.a_mass, y.shape) == (
        "Y-90",
        2.2785,
        40,
        90,
        "unique1",
    )
    assert sr.nu_per_decay == y.nu_per_decay == 1.0
    assert src.half_life_s == pytest.approx(28.79 * YEAR, rel=1e-12)
    assert src.max_energy_mev == 2.2785


def test_h3():
    src = get_source("h3")
    (spec,) = src.spectra
    assert spec.q_mev == 0.018591 and spec.energy_mev[-1] == 0.018591
    assert (spec.z_daughter, spec.a_mass, spec.shape) == (2, 3, "allowed")
    assert src.half_life_s == pytest.approx(12.32 * YEAR, rel=1e-12)


def test_tabulation_is_cached_and_fermi_option_changes_it():
    a, b = get_source("sr90y"), get_source("sr90y")
    assert a.spectra[1].density is b.spectra[1].density
    nonrel = get_source("sr90y", fermi="nonrelativistic")
    assert nonrel.spectra[1].fermi == "nonrelativistic"
    assert nonrel.spectra[1].mean_energy_mev != pytest.approx(a.spectra[1].mean_energy_mev)


def test_unknown_source_message():
    with pytest.raises(ValueError) as info:
        get_source("xyz")
    assert str(info.value) == (
        "unknown source 'xyz'; known sources: cr51, ar37, v49, sm145, pm147, sr90y, h3"
    )


def test_bad_fermi_names_option_and_values():
    with pytest.raises(ValueError, match="fermi must be one of 'relativistic', 'nonrelativistic'"):
        get_source("h3", fermi="classical")


@pytest.mark.parametrize("name", ["cr51", "sr90y"])
def test_endpoint_override_only_for_single_branch(name):
    with pytest.raises(ValueError, match="endpoint_kev applies only to a single-branch"):
        get_source(name, endpoint_kev=500)


@pytest.mark.parametrize("bad", [0, -235, math.nan, math.inf, "235x"])
def test_endpoint_override_must_be_positive(bad):
    with pytest.raises(ValueError, match="endpoint_kev"):
        get_source("pm147", endpoint_kev=bad)


def test_spectrum_file_replaces_single_branch(tmp_path):
    path = tmp_path / "h3_table.txt"
    path.write_text("# E keV, density\n0 0\n9 1\n18.6 0\n")
    src = get_source("h3", spectrum_file=str(path))
    (spec,) = src.spectra
    assert spec.q_mev == pytest.approx(0.0186) and spec.shape == "table"
    assert spec.origin == str(path)
    assert spec.mean_energy_mev == pytest.approx((0.009 + 0.0186) / 3, rel=1e-12)
    assert np.trapezoid(spec.density, spec.energy_mev) == pytest.approx(1.0, abs=1e-13)
    for name in ("cr51", "sr90y"):
        with pytest.raises(ValueError, match="spectrum_file applies only"):
            get_source(name, spectrum_file=str(path))
    with pytest.raises(ValueError, match="not both"):
        get_source("h3", spectrum_file=str(path), endpoint_kev=18)


def test_to_dict_summary():
    d = get_source("sr90y").to_dict()
    assert d["half_life_days"] == pytest.approx(28.79 * YEAR / DAY)
    assert d["nu_per_decay"] == 2.0 and d["flavour"] == "nuebar"
    assert [(b["label"], b["q_mev"], b["shape"], b["z_daughter"]) for b in d["branches"]] == [
        ("Sr-90", 0.5459, "unique1", 39),
        ("Y-90", 2.2785, "unique1", 40),
    ]
    text = json.dumps(d)
    assert len(text) < 5000  # no arrays
    cr = get_source("cr51").to_dict()
    assert cr["lines"][0] == {"energy_mev": 0.7469, "intensity": 0.8163}
    assert cr["gammas"] == [{"energy_mev": 0.3201, "intensity": 0.099}]
