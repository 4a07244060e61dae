"""Figures of the statistics studies render with labelled axes and legends."""

import numpy as np

from nusource.analysis.plots import save
from nusource.analysis.stats_plots import (
    contour_figure,
    coverage_figure,
    critical_map_figure,
    mu_bound_figure,
)


def test_figures_render(tmp_path):
    pts = [
        {
            "theta_true": t,
            "method": m,
            "interval": "upper",
            "coverage": 0.95,
            "error": 0.005,
            "n": 2000,
        }
        for t in (0.0, 0.3)
        for m in ("wilks", "fc")
    ]
    dm2 = np.logspace(-2, 2, 20)
    s22 = np.logspace(-3, 0, 20)
    figs = {
        "cov": coverage_figure(pts),
        "contour": contour_figure(dm2, s22, {"Wilks": np.full(20, 0.1), "FC": np.full(20, 0.12)}),
        "crit": critical_map_figure(
            dm2, s22, 5.99 + np.random.default_rng(1).normal(0, 1, (20, 20))
        ),
        "mu": mu_bound_figure(
            [1, 2, 5], {"Asimov": [1e-12, 2e-12, 3e-12]}, references={"GEMMA": 2.9e-11}
        ),
    }
    for name, fig in figs.items():
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
        assert "[" in ax.get_xlabel() + ax.get_ylabel() or name == "contour"
        files = save(fig, tmp_path / name, formats=("png",))
        assert files[0].stat().st_size > 5000
