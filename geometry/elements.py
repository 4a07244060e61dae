"""Elements the materials are made of: atomic number and standard atomic weight.

Atomic weights [g/mol]: IUPAC 2021 standard values (conventional values for
H, C, N, O). Only the elements the registered materials need are listed; add
a row to support another.
"""

from __future__ import annotations

import re

AVOGADRO = 6.02214076e23
"""Avogadro constant [1/mol] (exact, SI 2019)."""

ELEMENTS: dict[str, tuple[int, float]] = {
    "H": (1, 1.008),
    "He": (2, 4.002602),
    "C": (6, 12.011),
    "N": (7, 14.007),
    "O": (8, 15.999),
    "Na": (11, 22.98976928),
    "Cr": (24, 51.9961),
    "Mn": (25, 54.938043),
    "Fe": (26, 55.845),
    "Ni": (28, 58.6934),
    "Cu": (29, 63.546),
    "I": (53, 126.90447),
    "Xe": (54, 131.293),
    "W": (74, 183.84),
    "Tl": (81, 204.38),
    "Pb": (82, 207.2),
}
"""symbol → (Z, standard atomic weight [g/mol])."""

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*(?:\.\d+)?)")


def element(symbol: str) -> tuple[int, float]:
    """(Z, atomic weight [g/mol]) of an element, or a ValueError naming the allowed symbols."""
    try:
        return ELEMENTS[symbol]
    except KeyError:
        raise ValueError(f"element {symbol!r}: unknown; allowed: {', '.join(ELEMENTS)}") from None


def parse_formula(formula: str) -> dict[str, float]:
    """Atoms per formula unit, e.g. ``'C9H12'`` → ``{'C': 9, 'H': 12}``.

    Raises
    ------
    ValueError
        If the formula is empty, has characters outside element tokens, or
        names an unknown element.
    """
    if not isinstance(formula, str) or not formula:
        raise ValueError(f"formula = {formula!r}: must be a nonempty chemical formula like 'C9H12'")
    counts: dict[str, float] = {}
    pos = 0
    for m in _TOKEN.finditer(formula):
        if m.start() != pos:
            break
        symbol, number = m.group(1), m.group(2)
        element(symbol)
        counts[symbol] = counts.get(symbol, 0.0) + (float(number) if number else 1.0)
        pos = m.end()
    if pos != len(formula) or not counts:
        raise ValueError(
            f"formula = {formula!r}: cannot parse at position {pos}; "
            "use element symbols followed by counts, like 'NaI' or 'C9H12'"
        )
    return counts


def mass_fractions(formula: str) -> dict[str, float]:
    """Mass fraction of each element of a chemical formula (sums to 1)."""
    counts = parse_formula(formula)
    masses = {s: n * element(s)[1] for s, n in counts.items()}
    total = sum(masses.values())
    return {s: m / total for s, m in masses.items()}


__all__ = ["AVOGADRO", "ELEMENTS", "element", "mass_fractions", "parse_formula"]
