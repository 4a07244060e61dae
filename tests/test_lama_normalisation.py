"""LAMA's absolute normalisation (seed 000 Table 2: 18,391 SM events in 0–100 keV).

The seed card puts the source in a W ball of 20 cm radius and 5 cm of Cu, with
the NaI starting at the Cu's surface (`shield_shape = "sphere"`).  Guarded here:
the spherical shield's paths against the closed form of a ray leaving a ball,
its card validation, and the count against Table 2 with both readings of the
year's activity (the count by hand, n_e × G × decays × σ̄, is in test_rate.py).
"""

import math

import numpy as np
import pytest

from nusource.experiment import build_experiment, geometric_factor
from nusource.geometry import Source, shield_path_lengths
from nusource.geometry.solids import SphericalShell
from nusource.jobs import lama_seed_1t_card_text, rate
from nusource.runcard import CardError, parse_card, shipped_card

SEED_TOTAL = 18391.0
CARD = shipped_card("lama_seed000.toml")


def _exit_length(p, d, radius):
    """Distance from p (inside) along unit d to the sphere of the given radius about 0."""
    b = p @ d
    return -b + math.sqrt(b * b - p @ p + radius * radius)


def test_spherical_shield_paths_match_the_closed_form():
    """Rays from points of the active cylinder: W and Cu paths by the ball's exit distance."""
    src = Source(5.0, 5.0, (0.0, 0.0, 0.0), (("W", 12.928932188), ("Cu", 5.0)), "sphere")
    assert src.outer_radius_cm == pytest.approx(25.0, abs=1e-8)
    rng = np.random.default_rng(11)
    n = 500
    rho = 5.0 * np.sqrt(rng.random(n))
    phi = 2 * math.pi * rng.random(n)
    origins = np.stack([rho * np.cos(phi), rho * np.sin(phi), rng.uniform(-5, 5, n)], axis=1)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    paths = shield_path_lengths(src, origins, d, include_source=True)
    for p, u, (own, w, cu) in zip(origins, d, paths, strict=True):
        r_w = math.hypot(5.0, 5.0) + 12.928932188
        # inside the cylinder: to its wall or its cap, whichever comes first
        a = u[0] ** 2 + u[1] ** 2
        bq = p[0] * u[0] + p[1] * u[1]
        t_wall = (-bq + math.sqrt(bq * bq - a * (p[0] ** 2 + p[1] ** 2 - 25.0))) / a
        t_cap = (5.0 - p[2]) / u[2] if u[2] > 0 else (-5.0 - p[2]) / u[2]
        assert own == pytest.approx(min(t_wall, t_cap), rel=1e-9)
        assert own + w == pytest.approx(_exit_length(p, u, r_w), rel=1e-9)
        assert cu == pytest.approx(_exit_length(p, u, r_w + 5.0) - _exit_length(p, u, r_w))
    # a point source: the thicknesses in every direction
    pt = Source.point(shields=(("W", 20.0), ("Cu", 5.0)), shield_shape="sphere")
    np.testing.assert_allclose(shield_path_lengths(pt, np.zeros((3, 3)), np.eye(3)), [[20, 5]] * 3)


def test_spherical_shield_solids_and_card_validation():
    exp = build_experiment(parse_card(CARD.read_text(), "card"), "card")
    layers = exp.geo_source.layer_solids()
    assert all(isinstance(s, SphericalShell) for s in layers)
    assert [s.r_outer_cm for s in layers] == pytest.approx([20.0, 25.0], abs=1e-8)
    with pytest.raises(ValueError, match="layer_solids"):
        exp.geo_source.layer_cylinders()
    text = CARD.read_text()
    bad = {
        ('shield_shape = "sphere"', 'shield_shape = "cube"'): "shield_shape",
        ("inner_radius_cm = 25.0", "inner_radius_cm = 24.9"): "overlaps",
        (
            'shield_shape = "sphere"\nshields = [',
            'shield_shape = "sphere"\nxshields = [',
        ): "source.xshields",
    }
    for (old, new), word in bad.items():
        assert old in text
        with pytest.raises(CardError) as info:
            build_experiment(parse_card(text.replace(old, new), "x.toml"), "x.toml")
        msg = str(info.value)
        assert "\n" not in msg and msg.startswith("run card x.toml") and word in msg
    no_shields = text[: text.index("shields = [")] + text[text.index("[physics]") :]
    with pytest.raises(CardError, match="shield_shape = 'sphere' needs shields"):
        parse_card(no_shields, "x.toml")


def test_seed_count_lies_between_constant_and_decaying_activity():
    """The card (5 MCi at the start, decaying) is within 10 % of Table 2, below it; a constant
    5 MCi over the year (× t / (τ(1 − e^{−t/τ})) = 1/0.879) is within 10 % above it."""
    r = rate(CARD)
    n = r["signal_events"]
    tau = 2.6234 * 365.25 * 86400 / math.log(2)
    t = 365.25 * 86400
    constant = n * t / (tau * -math.expm1(-t / tau))
    assert constant / n == pytest.approx(1 / 0.8788, rel=1e-3)
    assert 0.90 * SEED_TOTAL < n < SEED_TOTAL < constant < 1.10 * SEED_TOTAL
    # the toolkit's conservative geometry (lama.toml) keeps only a 4.34 cm shell
    old = rate(shipped_card("lama.toml"))
    assert old["geometric_factor_cm"] == pytest.approx(46.8429 - 42.5, rel=5e-3)


def test_one_tonne_card_grows_the_shell_only():
    text = lama_seed_1t_card_text(CARD.read_text())
    exp = build_experiment(parse_card(text, "1t"), "1t")
    assert exp.detector_mass_kg == pytest.approx(1000.0, rel=1e-6)
    assert exp.detector.r_inner_cm == 25.0
    g = geometric_factor(exp).value_cm
    assert g == pytest.approx(43.209489 - 25.0, rel=0.01)  # ≈ the thickness (point source)
