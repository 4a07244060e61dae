"""Print seed 004's source-γ figures as JSON: ``python -m nusource.detsim.photons``."""

import json

from .rates import seed004_figures

print(json.dumps(seed004_figures(), indent=2))
