"""HepMC3 export (NuHepMC v1.0): read back with pyhepmc, every event equal to the event file's."""

import json

import numpy as np
import pytest

from nusource.cli import main as cli_main
from nusource.exchange.hepmc3 import C_MM_PER_S, export_hepmc3
from nusource.generator.constants import M_E
from nusource.io.readers import read_events
from nusource.production import plan, simulate

pyhepmc = pytest.importorskip("pyhepmc")

N = 3000


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from pathlib import Path

    d = tmp_path_factory.mktemp("hepmc3")
    card = Path(__file__).resolve().parents[1] / "configs" / "lxe_cr51.toml"
    events = d / "lxe.h5"
    simulate(plan(card, events, n=N, seed=7))
    out = d / "lxe.hepmc3"
    assert cli_main(["export", str(events), "-o", str(out)]) == 0
    data = read_events(events)  # the LXe card with its backgrounds: the signal is exported
    return data, out


def _read(path):
    with pyhepmc.open(path) as f:
        return list(f)


def test_every_event_is_the_event_files(exported):
    data, out = exported
    ev = data.events[data.events["component"] == 0]
    read = _read(out)
    assert len(read) == len(ev) == N
    ulp = np.finfo(np.float64).eps
    for k, (e, row) in enumerate(zip(read, ev, strict=True)):
        assert e.event_number == k
        assert e.momentum_unit == pyhepmc.Units.MEV and e.length_unit == pyhepmc.Units.MM
        assert e.weights == [row["weight"]]  # the CV weight, exactly
        (v,) = e.vertices
        assert v.status == 1
        x, y, z, ct = v.position
        assert (x, y, z) == (row["vtx_x"] * 10, row["vtx_y"] * 10, row["vtx_z"] * 10)
        assert ct / C_MM_PER_S == pytest.approx(row["time"], rel=4 * ulp)
        labpos = [float(s) for s in str(e.attributes["LabPos"].astype(str)).split()]
        assert labpos[:3] == pytest.approx([x, y, z], abs=1e-6)  # printed with 6 decimals
        assert labpos[3] == pytest.approx(row["time"], abs=1e-6)
        assert int(e.attributes["signal_process_id"].astype(int)) == 700
        nu, target = v.particles_in
        e_out, nu_out = v.particles_out
        assert (nu.pid, nu.status, target.pid, target.status) == (12, 4, 11, 11)
        assert (e_out.pid, e_out.status, nu_out.pid, nu_out.status) == (11, 1, 12, 1)
        # incoming neutrino: Eν along its direction
        pnu = np.array(nu.momentum)
        assert pnu[3] == row["enu"]
        assert pnu[:3] == pytest.approx(row["enu"] * np.array([row[f"nu_d{c}"] for c in "xyz"]))
        assert tuple(target.momentum) == (0.0, 0.0, 0.0, M_E)
        # recoil electron: kinetic energy T, along the electron direction, on shell
        pe = np.array(e_out.momentum)
        assert pe[3] - M_E == pytest.approx(row["te"], rel=16 * ulp, abs=4 * ulp * M_E)
        p = np.linalg.norm(pe[:3])
        assert pe[:3] / p == pytest.approx([row[f"e_d{c}"] for c in "xyz"], abs=8 * ulp)
        assert pe[3] ** 2 - p**2 == pytest.approx(M_E**2, abs=64 * ulp)
        # the angle between ν and e⁻ is the file's cosθ, and the scattered ν is massless
        # (elastic kinematics: cosθ = (1 + mₑ/Eν)·√(T/(T + 2mₑ)))
        cos = np.dot(pnu[:3], pe[:3]) / (pnu[3] * p)
        assert cos == pytest.approx(row["cos_theta"], abs=64 * ulp)
        po = np.array(nu_out.momentum)
        assert po == pytest.approx(pnu + np.array(target.momentum) - pe, abs=8 * ulp)
        assert po[3] ** 2 - np.dot(po[:3], po[:3]) == pytest.approx(0.0, abs=1e-12)


def test_run_info_follows_nuhepmc(exported):
    data, out = exported
    meta = data.metadata[0]
    ri = _read(out)[0].run_info
    assert ri.weight_names == ["CV"]
    assert ri.tools[0].name == "nusource" and ri.tools[0].version
    a = {k: str(v.astype(str)) for k, v in ri.attributes.items()}
    assert [a[f"NuHepMC.Version.{p}"] for p in ("Major", "Minor", "Patch")] == ["1", "0", "0"]
    for code_list in ("ProcessIDs", "VertexStatusIDs", "ParticleStatusIDs"):
        kind = code_list[:-3]
        for code in a[f"NuHepMC.{code_list}"].split():
            assert a[f"NuHepMC.{kind}Info[{code}].Name"]
            assert a[f"NuHepMC.{kind}Info[{code}].Description"]
    assert a["NuHepMC.ParticleStatusIDs"].split() == ["1", "4", "11"]
    assert "G.C.4" in a["NuHepMC.Conventions"].split()
    assert int(a["NuHepMC.Exposure.NEvents"]) == N
    fatx_pb = float(a["NuHepMC.FluxAveragedTotalCrossSection"])
    assert a["NuHepMC.Units.CrossSection.Unit"] == "pb"
    # σ̄ in pb = cm² × 1e36 (printed with 15 significant digits)
    assert fatx_pb == pytest.approx(meta["flux_averaged_xsec_cm2"]["total"] * 1e36, rel=1e-14)
    # the expected events: exposure × σ̄ = Σ CV for a fixed-N run
    expected = float(a["nusource.exposure_per_cm2"]) * fatx_pb * 1e-36
    signal = data.events["component"] == 0
    assert expected == pytest.approx(np.sum(data.events["weight"][signal]), rel=1e-12)
    left_out = "not exported: kr85, rn222, solar_be7, solar_pp, source_gamma, xe136"
    assert left_out in a["nusource.metadata"]
    assert a["NuHepMC.Provenance.RunCard"] == meta["provenance"]["run_card"]
    assert a["NuHepMC.Provenance.RNGState"] == "7"
    written = json.loads(a["nusource.metadata"])
    assert written.pop("exported_components").startswith("signal (component 0)")
    assert written == {**meta, "n_events": N}


def test_the_command_says_which_components_it_leaves_out(exported, tmp_path, capsys):
    data, out = exported
    events = out.with_name("lxe.h5")
    assert cli_main(["export", str(events), "-o", str(tmp_path / "a.hepmc3")]) == 0
    said = capsys.readouterr().out.strip()
    n = int(np.sum(data.events["component"] == 0))
    assert said == (
        f"wrote {n} events to {tmp_path / 'a.hepmc3'} (the signal's ν–e events; not exported: "
        "kr85, rn222, solar_be7, solar_pp, source_gamma, xe136)"
    )
    assert cli_main(["export", str(events), "-o", str(tmp_path / "b.hepmc3"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["events"] == n and "xe136" in r["not_exported"]


def test_refuses_to_replace_an_output(exported, tmp_path):
    data, out = exported
    with pytest.raises(FileExistsError, match="exists"):
        export_hepmc3(data.files[0], out)
