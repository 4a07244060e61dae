"""Decay backgrounds: rates by hand, spectrum fractions by quadrature, data files, bad input."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from nusource.generator.beta_emitters import (
    MAX_CASCADE,
    BetaEmitter,
    load_decay_scheme,
)
from nusource.generator.decay_backgrounds import (
    check_component_material,
    components_for_material,
)
from nusource.generator.double_beta import Xe136DoubleBeta
from nusource.generator.krypton import Kr85Background, kr_mol_per_mol_from_g_per_g
from nusource.generator.radon import Rn222Background

N_A = 6.02214076e23
DAY_PER_YEAR = 365.25


def _dnbb(t_kev, q_kev=2457.8):
    k, q = t_kev / 510.99895, q_kev / 510.99895
    return k * (k**4 + 10 * k**3 + 40 * k**2 + 60 * k + 30) * (q - k) ** 5


# ---------------------------------------------------------------- rates by hand


def test_xe136_natural_rate_is_356_per_tonne_day():
    hand = 1e6 / 131.293 * N_A * 0.08857 * math.log(2) / (2.165e21 * DAY_PER_YEAR)
    bkg = Xe136DoubleBeta()
    assert bkg.decays_per_t_day() == pytest.approx(hand, rel=1e-12)
    assert bkg.decays_per_t_day() == pytest.approx(356.0, rel=0.005)


def test_xe136_depleted_rate_by_hand():
    # 90 % of the 136Xe removed; the other isotopes keep their proportions
    x = 0.08857 * 0.1
    m_rest = (131.293 - 0.08857 * 135.907214) / (1 - 0.08857)
    m = x * 135.907214 + (1 - x) * m_rest
    hand = 1e6 / m * N_A * x * math.log(2) / (2.165e21 * DAY_PER_YEAR)
    bkg = Xe136DoubleBeta.depleted(0.9)
    assert bkg.abundance == pytest.approx(x, rel=1e-15)
    assert bkg.decays_per_t_day() == pytest.approx(hand, rel=1e-12)
    assert 35.0 < bkg.decays_per_t_day() < 36.0


@pytest.mark.parametrize(("lo_kev", "hi_kev"), [(2.0, 140.0), (5.0, 561.0), (0.0, 2457.8)])
def test_xe136_spectrum_fraction_against_quad(lo_kev, hi_kev):
    total = quad(_dnbb, 0.0, 2457.8, epsrel=1e-12)[0]
    part = quad(_dnbb, lo_kev, hi_kev, epsrel=1e-12)[0]
    frac = Xe136DoubleBeta().spectrum_fraction(lo_kev / 1e3, hi_kev / 1e3)
    assert frac == pytest.approx(part / total, rel=1e-9)


def test_xe136_window_fractions_values():
    """The numbers quoted in the physics notes (2–140 keV: 1.058 %; 5–561 keV: 20.67 %)."""
    bkg = Xe136DoubleBeta()
    assert bkg.spectrum_fraction(0.002, 0.140) == pytest.approx(0.010576, rel=1e-4)
    assert bkg.spectrum_fraction(0.005, 0.561) == pytest.approx(0.20670, rel=1e-4)


def test_kr85_rate_by_hand():
    # 0.1 ppt natKr (mol/mol) in natural xenon, 85Kr/Kr = 2e-11, T1/2 = 10.76 y
    atoms = 1000 / 131.293 * N_A * 1e-13 * 2e-11
    hand = atoms * math.log(2) / (10.76 * DAY_PER_YEAR)
    bkg = Kr85Background(1e-13, 2e-11)
    assert bkg.decays_per_kg_day() == pytest.approx(hand, rel=1e-12)
    assert bkg.decays_per_kg_day() == pytest.approx(1.618e-3, rel=1e-3)
    # naked: the 514 keV branch (0.434 %) makes no events
    assert bkg.events_per_kg_day() == pytest.approx(hand * 0.99566, rel=1e-12)
    assert Kr85Background(1e-13, naked_only=False).events_per_kg_day() == pytest.approx(hand)


def test_kr_g_per_g_conversion():
    assert kr_mol_per_mol_from_g_per_g(1e-12) == pytest.approx(1e-12 * 131.293 / 83.798)


def test_rn222_rate_by_hand():
    bkg = Rn222Background(0.1)
    assert bkg.decays_per_kg_day() == pytest.approx(0.1e-6 * 86400.0, rel=1e-15)
    assert bkg.events_per_kg_day() == pytest.approx(0.11 * 0.1e-6 * 86400.0, rel=1e-12)
    everything = Rn222Background(0.1, naked_only=False)
    assert everything.events_per_kg_day() == pytest.approx(bkg.decays_per_kg_day(), rel=1e-12)


def test_kr85_spectrum_fraction_against_quad():
    from nusource.generator.fermi import fermi_function

    def f(t):
        w = 1 + t / 0.51099895
        p = math.sqrt(w * w - 1)
        q = (0.687 - t) / 0.51099895
        return float(fermi_function(37, w, 85)) * p * w * q * q * (p * p + q * q)

    total = quad(f, 0.0, 0.687, epsrel=1e-10, limit=200)[0]
    part = quad(f, 0.002, 0.140, epsrel=1e-10, limit=200)[0]
    frac = Kr85Background(1e-13).spectrum_fraction(0.002, 0.140)
    assert frac == pytest.approx(part / total, rel=1e-5)  # table vs exact: ≲ 1e-5


def test_kr85_mean_energy_near_published():
    # ENSDF mean β energy of the main branch: 251.4 keV; the simple unique shape (no
    # screening or exchange) is expected within 2.5 % (as for 90Sr/90Y)
    br = Kr85Background(1e-13).emitter.scheme.branches[0]
    e, d = br.grid_mev, br.density
    mean = np.sum(np.diff(e) * (e[:-1] * d[:-1] + e[1:] * d[1:]) / 2)
    assert mean * 1e3 == pytest.approx(251.4, rel=0.025)


# ---------------------------------------------------------------- 214Pb scheme


def test_pb214_gamma_intensities_near_evaluated():
    """γ per decay from the scheme vs the evaluated emission intensities (ENSDF)."""
    lines = dict((round(e * 1e3, 1), i) for e, i in Rn222Background(0.1).scheme.gamma_lines())
    for e_kev, published in ((351.9, 0.3560), (295.2, 0.1841), (242.0, 0.0727)):
        assert lines[e_kev] == pytest.approx(published, rel=0.06)


def test_pb214_cascades_sampled_as_the_scheme_says():
    bkg = Rn222Background(0.1, naked_only=False)
    rng = np.random.default_rng(9)
    n = 200_000
    te, br = np.empty(n), np.empty(n, dtype=np.int64)
    bkg.fill(rng, n, te, br)
    g = np.zeros((n, MAX_CASCADE))
    ng = np.empty(n, dtype=np.int64)
    loc = np.empty(n)
    bkg.fill_cascades(rng, br, g, ng, loc)
    # ground-state decays: no γ, no conversion energy
    gs = br == 0
    assert np.all(ng[gs] == 0) and np.all(loc[gs] == 0.0)
    # energy conservation: γ + conversion = level energy of the branch
    level = np.array([b.level_mev for b in bkg.scheme.branches])[br]
    total = g.sum(axis=1) + loc
    np.testing.assert_allclose(total, level, atol=1e-9)
    # 351.9 keV γ per decay, MC vs the scheme's flow calculation
    expect = dict((round(e * 1e3, 1), i) for e, i in bkg.scheme.gamma_lines())[351.9]
    seen = np.sum(np.isclose(g, 0.351932, atol=1e-6)) / n
    assert abs(seen - expect) < 5 * math.sqrt(expect * (1 - expect) / n)


def test_ground_state_fraction_none_keeps_the_evaluation():
    assert Rn222Background(1.0, ground_state_fraction=None).scheme.ground_state_fraction == (
        pytest.approx(0.06213)
    )
    s = Rn222Background(1.0, ground_state_fraction=0.098).scheme
    assert s.ground_state_fraction == pytest.approx(0.098)
    assert sum(b.intensity for b in s.branches) == pytest.approx(1.0)


# ---------------------------------------------------------------- any β⁻ emitter


def test_builtin_source_file_is_a_beta_emitter():
    bkg = BetaEmitter(load_decay_scheme("h3"), activity_bq_per_kg=2.0)
    assert bkg.decays_per_kg_day() == pytest.approx(2.0 * 86400)
    assert bkg.spectrum_fraction(0.0, 1.0) == pytest.approx(1.0, rel=1e-12)
    te = np.empty(1000)
    bkg.fill(np.random.default_rng(1), 1000, te)
    assert te.max() <= 0.018591


def test_user_file_with_tabulated_spectrum(tmp_path):
    (tmp_path / "spec.txt").write_text("0 0\n50 1\n100 0\n")
    (tmp_path / "x.toml").write_text(
        'name = "x"\nnuclide = "X-1"\ndecay = "beta-"\nhalf_life = { value = 1.0, unit = "d" }\n'
        'provenance = "test"\n[[branches]]\nlabel = "b"\nq_kev = 100.0\nz_daughter = 10\n'
        'a_mass = 20\nshape = "allowed"\nnu_per_decay = 1.0\nspectrum_file = "spec.txt"\n'
    )
    bkg = BetaEmitter(load_decay_scheme(tmp_path / "x.toml"), 1.0)
    assert bkg.spectrum_fraction(0.0, 0.05) == pytest.approx(0.5, rel=1e-12)
    assert bkg.spectrum_fraction(0.025, 0.075) == pytest.approx(0.75, rel=1e-12)
    te = np.empty(100_000)
    bkg.fill(np.random.default_rng(4), te.size, te)
    assert abs(np.mean(te < 0.05) - 0.5) < 5 * math.sqrt(0.25 / te.size)


# ---------------------------------------------------------------- bad input


def _one_line(exc_info, *words):
    msg = str(exc_info.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "lots"])
def test_bad_strengths_name_the_key(bad):
    with pytest.raises(ValueError) as e:
        Kr85Background(bad)
    _one_line(e, "kr_mol_per_mol", repr(bad))
    with pytest.raises(ValueError) as e:
        Kr85Background(1e-13, kr85_ratio=bad)
    _one_line(e, "kr85_ratio", repr(bad))
    with pytest.raises(ValueError) as e:
        Rn222Background(bad)
    _one_line(e, "activity_ubq_per_kg", repr(bad), ">= 0")
    with pytest.raises(ValueError) as e:
        BetaEmitter(load_decay_scheme("kr85"), bad)
    _one_line(e, "activity_bq_per_kg", repr(bad))


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, math.inf])
def test_abundance_outside_0_1(bad):
    with pytest.raises(ValueError) as e:
        Xe136DoubleBeta(abundance=bad)
    _one_line(e, "abundance", repr(bad), "[0, 1]")
    with pytest.raises(ValueError) as e:
        Xe136DoubleBeta.depleted(bad)
    _one_line(e, "depletion", repr(bad), "[0, 1]")
    with pytest.raises(ValueError) as e:
        Rn222Background(0.1, ground_state_fraction=bad)
    _one_line(e, "ground_state_fraction", repr(bad))


def test_bad_half_life_and_q():
    with pytest.raises(ValueError) as e:
        Xe136DoubleBeta(half_life_y=-1.0)
    _one_line(e, "half_life_y", "-1.0")
    with pytest.raises(ValueError) as e:
        Xe136DoubleBeta(q_kev=math.nan)
    _one_line(e, "q_kev", "nan")


def test_components_by_material():
    assert components_for_material("LXe") == ("xe136", "kr85", "rn222", "beta")
    for m in ("NaI", "He", "pseudocumene"):
        assert components_for_material(m) == ("rn222", "beta")


@pytest.mark.parametrize("kind", ["xe136", "kr85"])
def test_xenon_components_cannot_live_in_nai(kind):
    with pytest.raises(ValueError) as e:
        check_component_material(kind, "NaI")
    _one_line(e, kind, "'NaI'", "LXe")
    check_component_material(kind, "LXe")
    check_component_material("rn222", "NaI")


def test_unknown_kind_or_material():
    with pytest.raises(ValueError) as e:
        check_component_material("co60", "LXe")
    _one_line(e, "kind", "'co60'", "xe136")
    with pytest.raises(ValueError) as e:
        check_component_material("xe136", "water")
    _one_line(e, "material", "'water'", "LXe")


def test_naked_only_needs_a_ground_state_branch(tmp_path):
    (tmp_path / "y.toml").write_text(
        'name = "y"\nnuclide = "Y-1"\ndecay = "beta-"\nhalf_life = { value = 1.0, unit = "d" }\n'
        'provenance = "test"\n[[branches]]\nlabel = "b"\nq_kev = 100.0\nz_daughter = 10\n'
        'a_mass = 20\nshape = "allowed"\nnu_per_decay = 1.0\nlevel_kev = 50.0\n'
        "[[levels]]\nenergy_kev = 50.0\ntransitions = [{ to_kev = 0.0, probability = 1.0 }]\n"
    )
    scheme = load_decay_scheme(tmp_path / "y.toml")
    with pytest.raises(ValueError) as e:
        BetaEmitter(scheme, 1.0, naked_only=True)
    _one_line(e, "naked_only", "ground-state")
    assert BetaEmitter(scheme, 1.0).selected_fraction == 1.0


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (("nu_per_decay = 1.0", "nu_per_decay = 1.5"), ["branches[0].nu_per_decay", "1.5"]),
        (("q_kev = 100.0", "q_kev = -3.0"), ["branches[0].q_kev", "-3.0"]),
        (('shape = "allowed"', 'shape = "weird"'), ["shape", "weird"]),
        (('decay = "beta-"', 'decay = "EC"'), ["decay", "EC"]),
        (("level_kev = 0.0", "level_kev = 10.0"), ["10 keV", "[[levels]]"]),
        (('unit = "d"', 'unit = "fortnight"'), ["half_life.unit", "fortnight"]),
    ],
)
def test_bad_decay_files_name_file_and_field(tmp_path, edit, words):
    text = (
        'name = "z"\nnuclide = "Z-1"\ndecay = "beta-"\nhalf_life = { value = 1.0, unit = "d" }\n'
        'provenance = "test"\n[[branches]]\nlabel = "b"\nq_kev = 100.0\nz_daughter = 10\n'
        'a_mass = 20\nshape = "allowed"\nnu_per_decay = 1.0\nlevel_kev = 0.0\n'
    )
    (tmp_path / "z.toml").write_text(text.replace(*edit))
    with pytest.raises(ValueError) as e:
        load_decay_scheme(tmp_path / "z.toml")
    _one_line(e, "z.toml", *words)


def test_unknown_scheme_name():
    with pytest.raises(ValueError) as e:
        load_decay_scheme("no_such_nuclide")
    _one_line(e, "no_such_nuclide", "kr85")
