"""Events as HepMC3 ASCII following the NuHepMC v1.0 conventions (Gardiner et al. 2023).

One ``GenEvent`` per event of an event file, for a full detector simulation
(e.g. a Geant4 HepMC3 primary generator):

units
    HepMC3 ``MEV`` and ``MM``: momenta and energies in MeV; the vertex
    four-position (x, y, z, c·t) in mm, so t [s] = position.t [mm] / c with
    c = 299 792 458 000 mm/s.  The event file's cm become mm (× 10).
vertex
    one, status 1 (NuHepMC primary vertex), at the interaction vertex
    (``vtx_x``, ``vtx_y``, ``vtx_z``) and the event time ``time``.  The
    ``LabPos`` attribute repeats (x, y, z) [mm] and t [s] (NuHepMC E.R.5,
    E.C.5).
particles
    in: the neutrino (PDG ±12, ±14, ±16 by the source's flavour; four-momentum
    Eν·(nu_dx, nu_dy, nu_dz, 1); status 4, incoming beam particle) and the
    target electron at rest (PDG 11, status 11, target particle); out: the
    recoil electron (PDG 11, status 1, kinetic energy T along
    (e_dx, e_dy, e_dz): |p| = √(T(T + 2mₑ)), E = T + mₑ) and the scattered
    neutrino (status 1, four-momentum conservation: p_ν − p_e).  A component
    with γ rays adds them as further status-1 particles (none written yet).
weight
    one, ``CV`` (NuHepMC G.R.7): the event's ``weight``, the expected events it
    represents for the file's exposure (see ``nusource.io.schema``).
run information
    the tool (nusource and its version), the NuHepMC version (1.0.0), the
    conventions followed, the process (ν–e elastic scattering: ID 700 with
    the charged current for νₑ and ν̄ₑ, 750 neutral current only for other
    flavours), vertex and particle status descriptions, the file exposure
    (``NuHepMC.Exposure.NEvents``), the flux-averaged total cross section in
    the recoil window (``NuHepMC.FluxAveragedTotalCrossSection``, in pb per
    target electron: σ̄ [cm²] × 10³⁶), the run card, its SHA-256 and seed
    (``NuHepMC.Provenance.*``) and the whole run metadata as JSON
    (``nusource.metadata``).

The expected events in a selection are Σ CV; σ̄ × (file exposure
``exposure_per_cm2``) is the expected number for the whole window.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nusource import __version__
from nusource.generator.constants import M_E
from nusource.io.readers import iter_events, read_metadata
from nusource.io.schema import require_fields

C_MM_PER_S = 299_792_458_000.0
"""Speed of light [mm/s] (HepMC3 vertex times are c·t in mm)."""
MM_PER_CM = 10.0
PB_PER_CM2 = 1e36
"""Picobarn per cm² (NuHepMC cross sections are in pb)."""

PDG = {"nue": 12, "nuebar": -12, "numu": 14, "numubar": -14, "nutau": 16, "nutaubar": -16}
"""Neutrino flavour name (as in the source data) → PDG code."""
ELECTRON = 11

STATUS_FINAL, STATUS_BEAM, STATUS_TARGET = 1, 4, 11
VERTEX_PRIMARY = 1
PROCESS_CC_NC, PROCESS_NC = 700, 750
NUHEPMC_VERSION = (1, 0, 0)
CONVENTIONS = ["G.C.1", "G.C.2", "G.C.4", "G.C.5", "E.C.1", "E.C.5"]

_PROCESS_INFO = {
    PROCESS_CC_NC: (
        "nu-e elastic (CC+NC)",
        "neutrino-electron elastic scattering, charged and neutral current (electron "
        "(anti)neutrinos); Standard Model couplings with radiative corrections after Bahcall, "
        "Kamionkowski and Sirlin 1995, neutrino magnetic moment and Z' terms per the run card",
    ),
    PROCESS_NC: (
        "nu-e elastic (NC)",
        "neutrino-electron elastic scattering, neutral current only (muon and tau "
        "(anti)neutrinos); couplings as for process 700",
    ),
}
_PARTICLE_STATUS = {
    STATUS_FINAL: ("UndecayedPhysical", "final-state particle: hand it to the detector simulation"),
    STATUS_BEAM: ("IncomingBeamParticle", "the incoming neutrino from the source"),
    STATUS_TARGET: ("TargetParticle", "the target electron, at rest in the lab"),
}
_VERTEX_STATUS = {VERTEX_PRIMARY: ("PrimaryVertex", "the neutrino-electron scattering vertex")}


def process_id(flavour: str) -> int:
    """NuHepMC process ID of ν–e elastic scattering for a flavour (700 with CC, 750 NC only)."""
    if flavour not in PDG:
        raise ValueError(f"flavour {flavour!r}: unknown; allowed: {', '.join(PDG)}")
    return PROCESS_CC_NC if flavour in ("nue", "nuebar") else PROCESS_NC


def four_momenta(events: np.ndarray) -> dict[str, np.ndarray]:
    """Lab-frame four-momenta (px, py, pz, E) [MeV] of the particles of each event.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with ``enu``, ``nu_dx..nu_dz``, ``te``, ``e_dx..e_dz``
        (shape (n,)).

    Returns
    -------
    dict
        ``'nu_in'``, ``'e_in'``, ``'e_out'``, ``'nu_out'``: float64 arrays (n, 4).
        The electron at rest has (0, 0, 0, mₑ); the outgoing neutrino is
        ν_in + e_in − e_out (conservation).
    """
    n = len(events)
    enu = events["enu"].astype(np.float64)
    te = events["te"].astype(np.float64)
    nu_dir = np.stack([events["nu_dx"], events["nu_dy"], events["nu_dz"]], axis=1)
    e_dir = np.stack([events["e_dx"], events["e_dy"], events["e_dz"]], axis=1)
    pe = np.sqrt(te * (te + 2.0 * M_E))
    nu_in = np.column_stack([enu[:, None] * nu_dir, enu])
    e_in = np.zeros((n, 4))
    e_in[:, 3] = M_E
    e_out = np.column_stack([pe[:, None] * e_dir, te + M_E])
    return {"nu_in": nu_in, "e_in": e_in, "e_out": e_out, "nu_out": nu_in + e_in - e_out}


def run_info(metadata: dict):
    """The NuHepMC ``GenRunInfo`` of an event file's metadata (see the module docstring)."""
    import pyhepmc

    ri = pyhepmc.GenRunInfo()
    ri.tools = [("nusource", __version__, "neutrino-electron scattering with artificial sources")]
    ri.weight_names = ["CV"]
    a = ri.attributes
    for part, value in zip(("Major", "Minor", "Patch"), NUHEPMC_VERSION, strict=True):
        a[f"NuHepMC.Version.{part}"] = value
    a["NuHepMC.Conventions"] = CONVENTIONS
    for kind, table in (
        ("Process", _PROCESS_INFO),
        ("VertexStatus", _VERTEX_STATUS),
        ("ParticleStatus", _PARTICLE_STATUS),
    ):
        a[f"NuHepMC.{kind}IDs"] = sorted(table)
        for code, (name, description) in table.items():
            a[f"NuHepMC.{kind}Info[{code}].Name"] = name
            a[f"NuHepMC.{kind}Info[{code}].Description"] = description
    if "n_events" in metadata:
        a["NuHepMC.Exposure.NEvents"] = int(metadata["n_events"])
    fatx = metadata.get("flux_averaged_xsec_cm2", {}).get("total")
    if fatx is not None:
        a["NuHepMC.FluxAveragedTotalCrossSection"] = float(fatx) * PB_PER_CM2
        a["NuHepMC.Units.CrossSection.Unit"] = "pb"
        a["NuHepMC.Units.CrossSection.TargetScale"] = "PerTarget"
    prov = metadata.get("provenance")
    if isinstance(prov, dict):
        if "run_card" in prov:
            a["NuHepMC.Provenance.RunCard"] = str(prov["run_card"])
        if "run_card_sha256" in prov:
            a["NuHepMC.Provenance.RunCardSHA256"] = str(prov["run_card_sha256"])
    if "seed" in metadata:
        a["NuHepMC.Provenance.RNGState"] = str(metadata["seed"])
    if "exposure_per_cm2" in metadata:
        a["nusource.exposure_per_cm2"] = float(metadata["exposure_per_cm2"])
    a["nusource.metadata"] = json.dumps(metadata, sort_keys=True)
    return ri


def _flavour(metadata: dict) -> str:
    source = metadata.get("source")
    if isinstance(source, dict) and "flavour" in source:
        return source["flavour"]
    model = metadata.get("model")
    if isinstance(model, dict) and model.get("process") in PDG:
        return model["process"]
    raise ValueError("the event file's metadata names no neutrino flavour (source.flavour)")


def export_hepmc3(path, output, *, overwrite: bool = False, step_events: int = 1 << 16) -> int:
    """Write the events of an event file as HepMC3 ASCII (NuHepMC v1.0 conventions).

    Parameters
    ----------
    path : str or os.PathLike
        An event file of ``nusource simulate`` or ``sample`` (ROOT, HDF5, npz)
        with vertices and times.
    output : str or os.PathLike
        The HepMC3 file (``.hepmc3``); written to a temporary name beside it
        and renamed when complete.
    overwrite : bool
        Replace an existing output.
    step_events : int
        Events read per piece (memory flat in the file size).

    Returns
    -------
    int
        Events written.

    Raises
    ------
    FileExistsError
        The output exists and ``overwrite`` is false.
    ValueError
        The file has no vertices or times, or no flavour in its metadata.
    """
    import pyhepmc

    output = Path(output)
    if output.exists() and not overwrite:
        raise FileExistsError(f"output '{output}' exists; remove it or pass overwrite=True")
    metadata = dict(read_metadata(path))
    comps = metadata.get("components") or {}
    skipped = not_exported(metadata)
    if skipped:  # the source's ν–e events (component 0) only; the run info says so
        signal = comps.get("0", {})
        metadata["n_events"] = int(signal.get("n_generated", metadata.get("n_events", 0)))
        metadata["exported_components"] = "signal (component 0); not exported: " + ", ".join(
            skipped
        )
    pid = PDG[_flavour(metadata)]
    proc = process_id(_flavour(metadata))
    ri = run_info(metadata)
    tmp = output.with_name(f".{output.name}.part")
    n = 0
    try:
        with pyhepmc.open(tmp, "w") as out:
            for events in iter_events(path, step_events=step_events):
                require_fields(
                    events.dtype.names,
                    ("vtx_x", "time", "enu", "te", "e_dx"),
                    f"export '{path}'",
                )
                events = events[events["component"] == 0] if skipped else events
                p = four_momenta(events)
                pos = np.column_stack(
                    [
                        events["vtx_x"] * MM_PER_CM,
                        events["vtx_y"] * MM_PER_CM,
                        events["vtx_z"] * MM_PER_CM,
                        events["time"] * C_MM_PER_S,
                    ]
                )
                for i in range(len(events)):
                    args = (
                        n,
                        pid,
                        proc,
                        pos[i],
                        events["time"][i],
                        p,
                        i,
                        float(events["weight"][i]),
                    )
                    out.write(_event(pyhepmc, ri, *args))
                    n += 1
        tmp.replace(output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


def not_exported(metadata) -> list[str]:
    """The kinds of a file's components that are not written (all but the signal, component 0:
    their events are no ν–e scattering with a neutrino in and out)."""
    comps = metadata.get("components") or {}
    return sorted({c.get("kind", k) for k, c in comps.items() if isinstance(c, dict) and k != "0"})


def _event(pyhepmc, ri, number, pid, proc, pos, time_s, p, i, weight):
    e = pyhepmc.GenEvent(pyhepmc.Units.MEV, pyhepmc.Units.MM)
    e.run_info = ri
    e.event_number = number
    v = pyhepmc.GenVertex(tuple(pos))
    v.status = VERTEX_PRIMARY
    nu = pyhepmc.GenParticle(tuple(p["nu_in"][i]), pid, STATUS_BEAM)
    nu.generated_mass = 0.0
    target = pyhepmc.GenParticle(tuple(p["e_in"][i]), ELECTRON, STATUS_TARGET)
    target.generated_mass = M_E
    electron = pyhepmc.GenParticle(tuple(p["e_out"][i]), ELECTRON, STATUS_FINAL)
    electron.generated_mass = M_E
    nu_out = pyhepmc.GenParticle(tuple(p["nu_out"][i]), pid, STATUS_FINAL)
    nu_out.generated_mass = 0.0
    v.add_particle_in(nu)
    v.add_particle_in(target)
    v.add_particle_out(electron)
    v.add_particle_out(nu_out)
    e.add_vertex(v)
    e.weights = [weight]
    e.attributes["signal_process_id"] = proc
    e.attributes["ProcID"] = proc
    e.attributes["LabPos"] = [float(pos[0]), float(pos[1]), float(pos[2]), float(time_s)]
    return e
