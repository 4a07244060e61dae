"""nusource.detsim.photons: photon transport through the source, its shields and the detector.

Modules: :mod:`.cross_sections` (partial XCOM-based cross sections),
:mod:`.regions` (the geometry as ordered solids with materials and tags),
:mod:`.interactions` (Compton, Rayleigh and direction sampling),
:mod:`.transport` (the tracking kernel, deposits and sites),
:mod:`.biasing` (emission direction biasing and unweighting; the exponential
transform lives in the kernel), :mod:`.rates` (source-γ rates and event
columns), :mod:`.setups` (the geometry of a resolved run card).
No data is read and nothing is compiled at import.
"""

from .cross_sections import partial_mu_rho, total_mu_rho
from .rates import (
    EventColumns,
    SourceGammaRates,
    cascades_from_lines,
    gamma_event_columns,
    narrow_beam_transmission,
    seed004_figures,
    seed004_geometry,
    source_gamma_rates,
)
from .regions import PhotonGeometry, Region, source_regions
from .setups import geometry_from_experiment
from .transport import Histories, TransportOptions, transport

__all__ = [
    "EventColumns",
    "Histories",
    "PhotonGeometry",
    "Region",
    "SourceGammaRates",
    "TransportOptions",
    "cascades_from_lines",
    "gamma_event_columns",
    "geometry_from_experiment",
    "narrow_beam_transmission",
    "partial_mu_rho",
    "seed004_figures",
    "seed004_geometry",
    "source_gamma_rates",
    "source_regions",
    "total_mu_rho",
    "transport",
]
