"""Photon geometries from a resolved run card (``nusource.experiment.Experiment``).

Reads only the experiment's plain objects (``geo_source``, ``detector``,
``material``, the response's fiducial solid): the card itself is not parsed
here.
"""

from __future__ import annotations

from .regions import PhotonGeometry, Region, source_regions


def geometry_from_experiment(
    experiment,
    *,
    fiducial=None,
    source_material=None,
    outer=(),
    world=None,
) -> PhotonGeometry:
    """The photon geometry of an experiment.

    Parameters
    ----------
    experiment : nusource.experiment.Experiment
        Uses ``geo_source`` (active cylinder and shields), ``detector`` (a
        solid) and ``material``.
    fiducial : solid, optional
        Fiducial volume inside the detector (the card's ``[response.fiducial]``);
        None makes the whole detector the fiducial volume.
    source_material : Material, str or None
        Filling of the source's active volume (None: vacuum).
    outer : sequence of Region
        Further regions (an inactive xenon layer, a cryostat), after the
        detector and the source in priority.
    world : Material, str or None
        Outside every region.

    Returns
    -------
    PhotonGeometry
        Regions ``fiducial`` (if given), ``detector``, ``source``,
        ``shield0`` …, then ``outer``.
    """
    regions = []
    if fiducial is not None:
        regions.append(Region("fiducial", fiducial, experiment.material, fiducial=True))
    regions.append(
        Region(
            "detector",
            experiment.detector,
            experiment.material,
            sensitive=True,
            fiducial=fiducial is None,
        )
    )
    regions += source_regions(experiment.geo_source, source_material)
    regions += list(outer)
    return PhotonGeometry(regions, world)


__all__ = ["geometry_from_experiment"]
