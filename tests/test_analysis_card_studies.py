"""Analysis cards of the statistics studies: the study key and its optional sections."""

from pathlib import Path

import pytest

from nusource.analysis_card import load_analysis_card
from nusource.runcard import CardError

CARDS = Path(__file__).resolve().parents[1] / "configs" / "analysis"


@pytest.mark.parametrize(
    "name, study",
    [
        ("lxe_mu_bound", "mu_bound"),
        ("lxe_sterile", "sterile"),
        ("lama_zprime_reach", "zprime_reach"),
        ("lama_zprime", None),
        ("lxe_mu", None),
    ],
)
def test_cards_load(name, study):
    card = load_analysis_card(CARDS / f"{name}.toml")
    assert card.study == study
    if study == "sterile":
        assert card.sterile.grid == (100, 100) and card.sterile.bin_cm == 3.0
        assert card.sterile.signal_norm_sigma == "free"
    if study == "mu_bound":
        assert 2.0 in card.mu_bound.thresholds_kev and card.mu_bound.step_kev == 0.1
        assert card.coverage.truth == [0.0, "expected"]


def test_unknown_study_key_is_named(tmp_path):
    text = (CARDS / "lxe_sterile.toml").read_text().replace("bin_cm = 3.0", "bin_mm = 30.0")
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(CardError, match="bin_mm"):
        load_analysis_card(p)
