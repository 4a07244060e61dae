"""nusource: neutrino–electron scattering with artificial neutrino sources.

Stages (one way: geometry ← generator ← detsim ← analysis):

- :mod:`nusource.geometry`  solids, materials, setups, vertices
- :mod:`nusource.generator` sources, cross sections, kinematics, samplers
- :mod:`nusource.detsim`    detector response and event files
- :mod:`nusource.analysis`  readers, histograms, fits, sensitivities

This package itself holds what belongs to no stage: the command line,
the run card and provenance.
"""

from ._version import __version__

__all__ = ["__version__"]
