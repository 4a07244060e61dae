"""Figures: files written in both formats, units on the axes."""

import numpy as np

from nusource.analysis.plots import save, sensitivity_figure, spectrum_figure

EDGES = np.arange(0.002, 0.0301, 0.002)


def test_spectrum_with_excess_panel(tmp_path):
    sm = np.linspace(1000, 500, EDGES.size - 1)
    fig = spectrum_figure(EDGES, sm, 1.03 * sm, zprime_label="χ, 330 GeV", data=np.round(sm))
    top, bottom = fig.axes
    assert "events / 2 keV" in top.get_ylabel()
    assert bottom.get_xlabel() == "reconstructed electron energy [keV]"
    assert top.get_xlim() == (2.0, 30.0)
    files = save(fig, tmp_path / "sub" / "lama_spectrum")
    assert [f.suffix for f in files] == [".png", ".pdf"]
    assert files[0].read_bytes()[:4] == b"\x89PNG" and files[1].read_bytes()[:4] == b"%PDF"
    assert not list(tmp_path.glob("sub/.*part"))  # no temporary left behind


def test_spectrum_alone_per_kev():
    fig = spectrum_figure([0.0, 0.01, 0.03], [10.0, 40.0], per_kev=True)
    (ax,) = fig.axes
    assert "events / keV" in ax.get_ylabel() and "[keV]" in ax.get_xlabel()


def test_sensitivity_curves(tmp_path):
    fig = sensitivity_figure(
        [0, 1, 2, 5],
        {"400 kg": [500, 490, 467, 380], "1 t": [629, 601, 545, 404]},
        references={"seed 000, 400 kg": 500.0},
    )
    (ax,) = fig.axes
    assert ax.get_xlabel() == "systematic error per bin [%]"
    assert "[GeV]" in ax.get_ylabel()
    assert len(ax.get_lines()) == 3
    assert all(f.stat().st_size > 0 for f in save(fig, tmp_path / "sens", formats=("png",)))
