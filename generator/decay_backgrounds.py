"""Where each radioactive-decay background can live, and its one-line input checks.

``xe136`` (¹³⁶Xe 2νββ) and ``kr85`` (krypton dissolved in xenon) are
properties of a xenon target: they need a material containing xenon.
``rn222`` (emanated radon and its ²¹⁴Pb) and ``beta`` (any β⁻ emitter
spread in the volume) can live in any material.
"""

from nusource.geometry.materials import MATERIAL_NAMES, get_material

DECAY_KINDS = ("xe136", "kr85", "rn222", "beta")
"""Kinds of decay background this package provides."""

NEEDS_ELEMENT = {"xe136": "Xe", "kr85": "Xe", "rn222": None, "beta": None}
"""Element a component's host material must contain (None: any material)."""


def components_for_material(material_name: str) -> tuple[str, ...]:
    """The decay-background kinds that can live in a registered material.

    Parameters
    ----------
    material_name : str
        One of :data:`nusource.geometry.materials.MATERIAL_NAMES` (e.g. ``"LXe"``).

    Returns
    -------
    tuple of str
        Subset of :data:`DECAY_KINDS`, in that order.
    """
    elements = get_material(material_name).mass_fractions
    return tuple(k for k in DECAY_KINDS if NEEDS_ELEMENT[k] is None or NEEDS_ELEMENT[k] in elements)


def check_component_material(kind: str, material_name: str) -> None:
    """Raise a one-line ValueError if ``kind`` cannot live in ``material_name``."""
    if kind not in DECAY_KINDS:
        raise ValueError(
            f"kind = {kind!r}: unknown decay background; allowed: {', '.join(DECAY_KINDS)}"
        )
    if material_name not in MATERIAL_NAMES:
        raise ValueError(
            f"material = {material_name!r}: unknown; allowed: {', '.join(MATERIAL_NAMES)}"
        )
    allowed = components_for_material(material_name)
    if kind not in allowed:
        hosts = [m for m in MATERIAL_NAMES if kind in components_for_material(m)]
        raise ValueError(
            f"{kind}: cannot live in material = {material_name!r} (needs {NEEDS_ELEMENT[kind]}: "
            f"allowed materials {', '.join(hosts)}; allowed here: {', '.join(allowed)})"
        )


__all__ = ["DECAY_KINDS", "NEEDS_ELEMENT", "check_component_material", "components_for_material"]
