"""Event components: the kinds of event that share one production (signal, backgrounds, γ).

Every kind implements one small protocol, :class:`Component`, and is found in
a registry by the run card's ``kind``.  A production holds a list of
components and knows none by name: each fills its own chunks from its own
Generator (the seed tree's component key keeps its events independent of the
others), says which detector-response steps apply to it, how many events it
expects for the run's exposure and what its file metadata are.

Adding a kind of event is one module::

    from pydantic import BaseModel
    from nusource.components import register

    class FlatCard(BaseModel):           # the keys of its [[components]] entry
        decays_per_kg_day: float

    @register("flat", FlatCard)
    def build(card: FlatCard, ctx: BuildContext) -> Component:
        ...

and an import of that module (built-in kinds are imported below; a user's
module is imported before the run card is read).  Run cards then ask for it::

    [[components]]
    kind = "flat"
    decays_per_kg_day = 12.0

See ``docs/architecture.md`` for the whole recipe.
"""

from . import decays, solar, source_gamma  # noqa: E402,F401  (register the built-in kinds)
from .base import (
    KINDS,
    SIGNAL_INDEX,
    BuildContext,
    Component,
    ComponentCard,
    build_components,
    component_names,
    register,
    validate_entries,
)

__all__ = [
    "KINDS",
    "SIGNAL_INDEX",
    "BuildContext",
    "Component",
    "ComponentCard",
    "build_components",
    "component_names",
    "register",
    "validate_entries",
]
