"""Histograms of event fields (hist / boost-histogram), weighted or not, per component.

Energies are stored in MeV; ``unit="keV"`` histograms them in keV (the axis
label says which).  Only selected events (``flags == 0``) enter by default.
"""

from collections.abc import Sequence

import hist
import numpy as np

from nusource.io.schema import UNITS, require_fields

_SCALE = {("MeV", "keV"): 1e3, ("MeV", "MeV"): 1.0, ("cm", "cm"): 1.0, ("cm", "m"): 1e-2}


def selected(events: np.ndarray) -> np.ndarray:
    """Boolean mask of the selected events: ``flags == 0``, or all if there is no ``flags``."""
    if "flags" in events.dtype.names:
        return events["flags"] == 0
    return np.ones(len(events), dtype=bool)


def _unit_scale(field: str, unit: str | None) -> tuple[float, str]:
    native = UNITS.get(field, "")
    if unit is None or unit == native:
        return 1.0, native
    try:
        return _SCALE[(native, unit)], unit
    except KeyError:
        raise ValueError(f"unit: cannot show field '{field}' [{native or '1'}] in {unit}") from None


def histogram(
    events: np.ndarray,
    field: str,
    bins: int | Sequence[float],
    *,
    range: tuple[float, float] | None = None,
    weight: str | np.ndarray | None = "weight",
    unit: str | None = None,
    selected_only: bool = True,
    by_component: bool = False,
) -> hist.Hist:
    """Histogram one event field.

    Parameters
    ----------
    events : structured ndarray
        Events (dtype of :mod:`nusource.io.schema`).
    field : str
        Field to histogram (e.g. ``'te'``, ``'erec'``, ``'cos_theta'``).
    bins : int or sequence of float
        Number of regular bins (then ``range`` is required) or the edges, in
        the displayed unit.
    range : (float, float), optional
        Limits of regular bins, in the displayed unit.
    weight : str, ndarray or None
        Field holding the weights (default ``'weight'``: expected events), an
        array of per-event weights, or None to count events.
    unit : str, optional
        Displayed unit (``'keV'`` for an MeV field); default the field's own.
    selected_only : bool
        Keep only events with ``flags == 0`` (when the field exists).
    by_component : bool
        Add an integer category axis ``component`` (field ``component``).

    Returns
    -------
    hist.Hist
        Weight storage (sum of weights and of their squares) when weighted,
        Double storage when counting.
    """
    require_fields(events.dtype.names, (field,), "histogram")
    scale, shown = _unit_scale(field, unit)
    label = f"{field} [{shown}]" if shown else field
    if np.ndim(bins) == 0:
        if range is None:
            raise ValueError("range: needed with a number of bins")
        axis = hist.axis.Regular(int(bins), range[0], range[1], name=field, label=label)
    else:
        axis = hist.axis.Variable(np.asarray(bins, dtype=float), name=field, label=label)
    keep = selected(events) if selected_only else np.ones(len(events), dtype=bool)
    ev = events[keep]
    axes = [axis]
    if by_component:
        axes.insert(0, hist.axis.IntCategory([], growth=True, name="component", label="component"))
    if weight is None:
        h = hist.Hist(*axes, storage=hist.storage.Double())
        w = None
    else:
        h = hist.Hist(*axes, storage=hist.storage.Weight())
        w = ev[weight] if isinstance(weight, str) else np.asarray(weight, dtype=float)[keep]
    data = {field: ev[field] * scale}
    if by_component:
        data["component"] = ev["component"]
    if w is None:
        h.fill(**data)
    else:
        h.fill(**data, weight=w)
    return h
