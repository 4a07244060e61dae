"""nusource.detsim.photons: photon transport through the source, its shields and the detector.

Modules: :mod:`.cross_sections` (partial XCOM-based cross sections),
:mod:`.regions` (the geometry as nested solids with materials),
:mod:`.interactions` (Compton, Rayleigh and pair sampling),
:mod:`.transport` (the tracking kernel, deposits and sites),
:mod:`.biasing` (emission direction biasing and the exponential transform),
:mod:`.rates` (source-γ rates and event columns).
"""
