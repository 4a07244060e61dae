"""How much activity a given mass or volume of a nuclide can hold: the bounds on run cards.

The specific activity of a pure nuclide, A/m = ln 2 · N_A / (T½ · M), caps
every activity a card may give: a source cannot hold more than its volume
filled with the pure isotope at the density of the densest material known
(osmium, 22.6 g/cm³), nor a detector medium more β⁻ activity per kilogram than
if every nucleus were the emitter.  Cards beyond are refused; a source that
would need more of the isotope than its element's densest usual form holds
(the metal; the oxide for strontium; liquid argon; titanium tritide) is
warned about.  The bounds on background strengths that come from
measurements (krypton, radon, flat rates, solar fluxes) are beside their
cards in :mod:`nusource.components`.
"""

from __future__ import annotations

import math
import re

from nusource.generator.constants import CURIE_BQ
from nusource.geometry.elements import AVOGADRO

DENSEST_G_CM3 = 22.59
"""Osmium, the densest material [g/cm³]: no source packs any isotope more densely."""

ELEMENT_FORM_G_CM3 = {
    "Cr": (7.19, "chromium metal"),
    "Ar": (1.40, "liquid argon"),
    "V": (6.11, "vanadium metal"),
    "Sm": (7.52, "samarium metal"),
    "Pm": (7.26, "promethium metal"),
    "Sr": (3.98, "strontium in SrO (4.70 g/cm³)"),
    "H": (0.43, "tritium in titanium tritide TiT₂ (3.9 g/cm³)"),
}
"""Mass of the element per cm³ in the densest form a source of it is made of [g/cm³]."""


def mass_number(nuclide: str) -> int:
    """The mass number of a nuclide written ``'Cr-51'`` (or ``'Sr-90/Y-90'``: the parent's)."""
    m = re.match(r"\s*([A-Z][a-z]?)-(\d+)", nuclide)
    if m is None:
        raise ValueError(f"nuclide {nuclide!r}: expected a name such as 'Cr-51'")
    return int(m.group(2))


def element(nuclide: str) -> str:
    """The element symbol of a nuclide written ``'Cr-51'``."""
    return re.match(r"\s*([A-Z][a-z]?)", nuclide).group(1)


def specific_activity_bq_per_g(half_life_s: float, a_mass: int) -> float:
    """Activity per gram of the pure nuclide [Bq/g]: ln 2 · N_A / (T½ · A).

    Parameters
    ----------
    half_life_s : float
        Half-life [s].
    a_mass : int
        Mass number (the molar mass in g/mol to 0.1 %, enough for a bound).
    """
    return math.log(2.0) / half_life_s * AVOGADRO / a_mass


def source_activity_limits_ci(half_life_s: float, nuclide: str, volume_cm3: float):
    """(most, usual, form): the activity [Ci] of a source volume filled with the pure
    nuclide at osmium's density (``most``: no source can hold more) and at the
    density of its element's densest usual form (``usual``, or None if that form is
    not tabulated; ``form`` names it)."""
    per_g = specific_activity_bq_per_g(half_life_s, mass_number(nuclide)) / CURIE_BQ
    most = per_g * DENSEST_G_CM3 * volume_cm3
    density, form = ELEMENT_FORM_G_CM3.get(element(nuclide), (None, None))
    usual = None if density is None else per_g * density * volume_cm3
    return most, usual, form
