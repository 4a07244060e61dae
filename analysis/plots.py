"""Figures (matplotlib, Agg canvas; no pyplot state): spectra with a Z′ excess
panel, and Z′ mass sensitivity against the systematic error per bin.

Energies are given in MeV and drawn in keV; every axis carries its unit.
:func:`save` writes PNG and PDF atomically (temporary name, then rename).
"""

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

KEV_PER_MEV = 1e3


def _figure(**kw) -> Figure:
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def spectrum_figure(
    edges_mev: Sequence[float],
    sm: Sequence[float],
    zprime: Sequence[float] | None = None,
    *,
    zprime_label: str = "SM + Z′",
    sm_label: str = "SM",
    data: Sequence[float] | None = None,
    title: str | None = None,
    per_kev: bool = False,
) -> Figure:
    """Expected events per bin (SM and SM + Z′) with the Z′ excess in a lower panel.

    Parameters
    ----------
    edges_mev : sequence of float
        Bin edges [MeV] (drawn in keV).
    sm : sequence of float
        SM events per bin.
    zprime : sequence of float, optional
        SM + Z′ events per bin; adds the excess panel.
    zprime_label : str
        Legend of the Z′ curve (e.g. "χ model, 330 GeV").
    sm_label : str
        Legend of the SM curve (e.g. "signal (SM) + backgrounds").
    data : sequence of float, optional
        Observed counts, drawn with Poisson error bars.
    title : str, optional
    per_kev : bool
        Divide by the bin width (events/keV) instead of events per bin.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(edges_mev, dtype=float) * KEV_PER_MEV
    div = np.diff(x) if per_kev else np.ones(x.size - 1)
    width = np.diff(x)
    unit = "events / keV" if per_kev else f"events / {_fmt(width)} keV"
    fig = _figure(figsize=(6.4, 5.6 if zprime is not None else 4.2), layout="constrained")
    if zprime is not None:
        ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
    else:
        ax, ax2 = fig.subplots(1, 1), None
    sm = np.asarray(sm, dtype=float)
    ax.stairs(sm / div, x, label=sm_label, color="k")
    if zprime is not None:
        zp = np.asarray(zprime, dtype=float)
        ax.stairs(zp / div, x, label=zprime_label, color="C3", linestyle="--")
        ax2.stairs((zp - sm) / div, x, color="C3", fill=True, alpha=0.4)
        ax2.axhline(0.0, color="k", linewidth=0.6)
        ax2.set_ylabel(f"Z′ excess [{unit}]")
        ax2.set_xlabel("reconstructed electron energy [keV]")
    else:
        ax.set_xlabel("reconstructed electron energy [keV]")
    if data is not None:
        n = np.asarray(data, dtype=float)
        c = 0.5 * (x[1:] + x[:-1])
        ax.errorbar(c, n / div, yerr=np.sqrt(n) / div, fmt="o", ms=3, color="C0", label="data")
    ax.set_ylabel(f"expected events [{unit}]")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(bottom=0.0)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


def _fmt(width) -> str:
    w = np.unique(np.round(width, 9))
    return f"{w[0]:g}" if w.size == 1 else "bin"


def sensitivity_figure(
    syst_percent: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    *,
    references: Mapping[str, float] | None = None,
    title: str | None = None,
    cl_label: str = "95 % CL",
) -> Figure:
    """Attainable lower limit on M_Z′ against the systematic error per bin.

    Parameters
    ----------
    syst_percent : sequence of float
        Systematic error per bin [%].
    curves : mapping of str to sequence of float
        Label (e.g. "400 kg") → mass limit [GeV] at each systematic error.
    references : mapping of str to float, optional
        Horizontal reference lines, label → mass [GeV] (e.g. seed values).
    title : str, optional
    cl_label : str
        Confidence level shown on the y axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(figsize=(6.0, 4.4), layout="constrained")
    ax = fig.subplots()
    x = np.asarray(syst_percent, dtype=float)
    for k, (label, masses) in enumerate(curves.items()):
        ax.plot(x, np.asarray(masses, dtype=float), "o-", color=f"C{k}", label=label)
    for k, (label, mass) in enumerate((references or {}).items()):
        ax.axhline(mass, color=f"C{k}", linestyle=":", linewidth=1, label=label)
    ax.set_xlabel("systematic error per bin [%]")
    ax.set_ylabel(f"M$_{{Z'}}$ sensitivity, {cl_label} [GeV]")
    ax.set_xlim(left=min(0.0, float(x.min())))
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(fig: Figure, path_stem, formats: Iterable[str] = ("png", "pdf"), dpi: int = 150):
    """Write ``fig`` as ``path_stem.png`` and ``path_stem.pdf`` (atomically).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
        try:
            # mkstemp makes the file 0600: give it the usual mode, as event files have
            os.chmod(tmp, 0o666 & ~_umask())
            fig.savefig(tmp, format=fmt, dpi=dpi)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        out.append(target)
    return out
