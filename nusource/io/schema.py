"""The event record: one structured dtype, defined once, shared by kernels, writers and readers.

Units: energies MeV, lengths cm, times s, cross sections cm² (per electron,
per MeV of recoil for the dσ/dT parts).  Directions are unit vectors in the
lab frame.  Fields are named to read well in ``TTree::Draw``.

Truth (filled by the generator, never changed afterwards) and detected
(filled by the detector simulation) fields are listed separately; a file
holds the truth fields and, after the detector simulation, the detected ones.

Weights and reweighting
-----------------------
Every event carries ``xs_gen``, the dσ/dT of the density it was drawn from,
and the parts ``xs_sm``, ``xs_mag``, ``xs_zlin``, ``xs_zquad``.  The file's
metadata gives ``gen_norm``, the expected events for the file's exposure per
generated event under the generating density.  The expected events an event
represents under any other model are

    w' = gen_norm · [xs_sm + μ²·xs_mag + γ·xs_zlin + γ²·xs_zquad] / xs_gen

(γ = M_Z²/M_Z′², μ in μ_B; the 'linear' Z′ form drops the γ² term), which
needs no regeneration.  The Z′ parts are those of the run's Z′ model, or of
the model's ``reference_zprime`` (χ by default) when the run has none.
``weight`` is w' for the run's own model (or 1 for a Poisson experiment, see
:data:`WEIGHT_MODES`).
"""

import numpy as np

TRUTH_FIELDS = [
    ("event_id", "u8", "", "event number within its component, from 0"),
    ("component", "i4", "", "component index (0: signal; backgrounds follow the run card)"),
    ("time", "f8", "s", "event time from the start of the first deployment"),
    ("src_x", "f8", "cm", "emission point in the source, x"),
    ("src_y", "f8", "cm", "emission point in the source, y"),
    ("src_z", "f8", "cm", "emission point in the source, z"),
    ("vtx_x", "f8", "cm", "interaction vertex, x"),
    ("vtx_y", "f8", "cm", "interaction vertex, y"),
    ("vtx_z", "f8", "cm", "interaction vertex, z"),
    ("flight", "f8", "cm", "neutrino flight length from emission point to vertex"),
    ("enu", "f8", "MeV", "neutrino energy"),
    ("nu_dx", "f8", "", "neutrino direction, x"),
    ("nu_dy", "f8", "", "neutrino direction, y"),
    ("nu_dz", "f8", "", "neutrino direction, z"),
    ("te", "f8", "MeV", "electron recoil kinetic energy T"),
    ("cos_theta", "f8", "", "cosine of the electron angle to the neutrino"),
    ("e_dx", "f8", "", "electron direction, x"),
    ("e_dy", "f8", "", "electron direction, y"),
    ("e_dz", "f8", "", "electron direction, z"),
    ("weight", "f8", "events", "expected events this event represents (see WEIGHT_MODES)"),
    ("xs_gen", "f8", "cm2/MeV", "dσ/dT of the density the event was drawn from"),
    ("xs_sm", "f8", "cm2/MeV", "SM weak dσ/dT"),
    ("xs_mag", "f8", "cm2/MeV", "magnetic dσ/dT per μ_B²"),
    ("xs_zlin", "f8", "cm2/MeV", "Z′ change of dσ/dT per γ"),
    ("xs_zquad", "f8", "cm2/MeV", "Z′ change of dσ/dT per γ²"),
    ("p_ee", "f8", "", "νe survival probability from emission point to vertex (1: none)"),
]

DETECTED_FIELDS = [
    ("edep", "f8", "MeV", "deposited energy (energy transfer q; 0 if the event is removed)"),
    ("erec", "f8", "MeV", "reconstructed energy"),
    ("rec_x", "f8", "cm", "reconstructed vertex, x"),
    ("rec_y", "f8", "cm", "reconstructed vertex, y"),
    ("rec_z", "f8", "cm", "reconstructed vertex, z"),
    ("rec_dx", "f8", "", "reconstructed electron direction, x"),
    ("rec_dy", "f8", "", "reconstructed electron direction, y"),
    ("rec_dz", "f8", "", "reconstructed electron direction, z"),
    ("flags", "u4", "", "bit mask: see FLAGS"),
]

FLAGS = {
    "binding_removed": 1 << 0,
    "below_threshold": 1 << 1,
    "outside_fiducial": 1 << 2,
    "outside_window": 1 << 3,
    "rejected_efficiency": 1 << 4,
    "multi_site": 1 << 5,
}
"""Bits of the ``flags`` field; an event with flags == 0 is selected.

``multi_site`` is set by the photon transport (component ``source_gamma``):
more than one site of deposited energy (the multi-site veto).  It is a
property of the true deposits, so the detector response keeps it
(:data:`TRUTH_FLAGS`) and adds its own bits."""

TRUTH_FLAGS = FLAGS["multi_site"]
"""Bits set when an event is made, which the detector response keeps."""

WEIGHT_MODES = {
    "fixed": "N unweighted events from the model; weight = expected events / N",
    "exposure": "Poisson number of events for the exposure (one simulated experiment); weight = 1",
    "weighted": "N events from a proposal density; weight = expected events each represents",
}

SLIM_FIELDS = [
    # (name, stored type, why that type is enough)
    ("component", "i4", "an index: exact"),
    (
        "time",
        "f8",
        "kept float64: a run of 10⁸ s would step by 8 s in float32, not far below the "
        "source's decay or a detector's timing",
    ),
    ("weight", "f8", "kept float64: weights are summed over 10⁸ events"),
    (
        "xs_gen",
        "f8",
        "kept float64: dσ/dT of ~10⁻⁴⁵ cm²/MeV is below float32's range (≥ 1.2·10⁻³⁸)",
    ),
    ("xs_sm", "f8", "as xs_gen"),
    ("xs_mag", "f8", "as xs_gen"),
    ("xs_zlin", "f8", "as xs_gen"),
    ("xs_zquad", "f8", "as xs_gen"),
    ("p_ee", "f4", "a probability in [0, 1]: step ≤ 6·10⁻⁸, far below its ~10⁻³ uncertainty"),
    (
        "erec",
        "f4",
        "relative step 6·10⁻⁸ (≤ 10⁻⁸ MeV below 0.2 MeV), against a resolution of ≥ 1 %",
    ),
    ("rec_x", "f4", "step ≤ 0.3 µm below 5 m (≤ 1 µm below 10 m), against ~1 cm resolution"),
    ("rec_y", "f4", "as rec_x"),
    ("rec_z", "f4", "as rec_x"),
    ("flags", "u4", "a bit mask: exact"),
]
"""The slim schema: the fields the analyses read, with the type each is stored in.

A production may write these instead of every field (``schema = "slim"`` in
the run card, ``simulate --schema slim``): 84 bytes per event against 272.
float32 is used only where its rounding (relative 2⁻²⁴ ≈ 6·10⁻⁸) is far below
the quantity's resolution: reconstructed positions to < 1 µm within 10 m,
energies to 10⁻⁸ MeV; the reason is given field by field.  Cross sections
stay float64 (their values, ~10⁻⁴⁵ cm²/MeV, are below float32's smallest
normal number) and so do times and weights.  Values are rounded to nearest
when written, so a slim file's fields equal the full file's after
``numpy.float32(x)``.

Of the truth, a slim file keeps only the component and time: analyses of the
true recoil (``te``), vertices, the neutrino or the electron direction need the
full schema (:func:`require_fields` says so).
"""

SCHEMAS = ("full", "slim")
"""Output schemas a production can write (see :data:`SLIM_FIELDS`)."""

SLIM_AUTO_EVENTS = 10_000_000
"""``schema = "auto"`` writes the full schema up to this many events, the slim one above."""

TRUTH_DTYPE = np.dtype([(n, t) for n, t, _, _ in TRUTH_FIELDS])
EVENT_DTYPE = np.dtype([(n, t) for n, t, _, _ in TRUTH_FIELDS + DETECTED_FIELDS])
SLIM_DTYPE = np.dtype([(n, t) for n, t, _ in SLIM_FIELDS])
SLIM_TYPES = {n: np.dtype(t) for n, t, _ in SLIM_FIELDS}
"""Field → its type in the slim schema (where that differs from EVENT_DTYPE, float32)."""
UNITS = {n: u for n, _, u, _ in TRUTH_FIELDS + DETECTED_FIELDS}
DESCRIPTIONS = {n: d for n, _, _, d in TRUTH_FIELDS + DETECTED_FIELDS}


def empty_events(n: int, *, detected: bool = False) -> np.ndarray:
    """A zero-filled event array of length n (truth fields, plus detected ones if asked)."""
    return np.zeros(n, dtype=EVENT_DTYPE if detected else TRUTH_DTYPE)


def empty_columns(n: int, *, detected: bool = False) -> dict:
    """Contiguous column buffers of length n, one per field, in the dtype's order.

    The production path fills these in place and reuses them chunk after
    chunk (freshly allocated memory is slow to touch; structured-array
    columns are strided); :func:`to_array` gives the structured array.
    """
    dtype = EVENT_DTYPE if detected else TRUTH_DTYPE
    return {name: np.empty(n, dtype=dtype[name]) for name in dtype.names}


def to_array(columns: dict, n: int | None = None) -> np.ndarray:
    """The structured array (TRUTH_DTYPE or EVENT_DTYPE) of the first n rows of columns."""
    names = list(columns)
    dtype = EVENT_DTYPE if len(names) == len(EVENT_DTYPE.names) else TRUTH_DTYPE
    n = len(columns[names[0]]) if n is None else n
    out = np.empty(n, dtype=dtype)
    for name in dtype.names:
        out[name] = columns[name][:n]
    return out


def schema_dtype(schema: str, *, detected: bool = True) -> np.dtype:
    """The fields a file of ``schema`` ('full' or 'slim') holds.

    The slim schema needs detected events (its energy and position are the
    reconstructed ones): ValueError for truth-only runs.
    """
    if schema == "full":
        return EVENT_DTYPE if detected else TRUTH_DTYPE
    if schema == "slim":
        if not detected:
            raise ValueError(
                "schema 'slim' keeps reconstructed fields; a run without a detector "
                "response (truth only) needs schema 'full'"
            )
        return SLIM_DTYPE
    raise ValueError(f"schema: '{schema}' unknown; allowed: {', '.join(SCHEMAS)}, auto")


def choose_schema(schema: str | None, n_events: int | None) -> str:
    """The schema of a run: 'full' or 'slim' as asked, or by size for None/'auto'.

    'auto' (the default) keeps the full schema for runs of up to
    :data:`SLIM_AUTO_EVENTS` events and writes the slim one above.
    """
    if schema in SCHEMAS:
        return schema
    if schema not in (None, "auto"):
        raise ValueError(f"schema: '{schema}' unknown; allowed: {', '.join(SCHEMAS)}, auto")
    return "slim" if n_events is not None and n_events > SLIM_AUTO_EVENTS else "full"


def require_fields(names, needed, what: str) -> None:
    """Raise a one-line ValueError if an analysis needs fields a file lacks.

    Parameters
    ----------
    names : iterable of str
        The fields the events have.
    needed : iterable of str
        The fields ``what`` reads.
    what : str
        The analysis, for the message (e.g. ``'analyze'``).
    """
    have = set(names)
    missing = [n for n in needed if n not in have]
    if not missing:
        return
    hint = ""
    if have <= set(SLIM_DTYPE.names):
        hint = " (a slim-schema file: simulate with --schema full for the truth fields)"
    elif "erec" not in have:
        hint = " (a truth-only file: simulate with a detector response)"
    raise ValueError(f"{what}: the events lack field(s) {', '.join(missing)}{hint}")
