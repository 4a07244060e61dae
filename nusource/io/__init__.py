"""The I/O layer: the event schema, the file formats, the writer and its sinks, readers, merge.

Every format holds the same columns, one per field of :mod:`.schema`, with
the run's metadata (:mod:`.provenance`, :mod:`.runs`).  Users read files with
:func:`read_events` (or stream them with :func:`iter_columns`) and join them
with :func:`merge_files`; productions write them with :class:`EventWriter`.
"""

from .formats import COMPRESSIONS, FORMATS, RUN_SCALARS, check_output, format_of, metadata_json
from .merge import merge_files
from .readers import (
    EventSet,
    count_events,
    expand_paths,
    iter_columns,
    iter_events,
    read_events,
    read_metadata,
)
from .schema import DESCRIPTIONS, EVENT_DTYPE, FLAGS, TRUTH_DTYPE, UNITS, WEIGHT_MODES
from .writer import BUFFER_EVENTS, EventWriter, write_events

__all__ = [
    "BUFFER_EVENTS",
    "COMPRESSIONS",
    "DESCRIPTIONS",
    "EVENT_DTYPE",
    "FLAGS",
    "FORMATS",
    "RUN_SCALARS",
    "TRUTH_DTYPE",
    "UNITS",
    "WEIGHT_MODES",
    "EventSet",
    "EventWriter",
    "check_output",
    "count_events",
    "expand_paths",
    "format_of",
    "iter_columns",
    "iter_events",
    "merge_files",
    "metadata_json",
    "read_events",
    "read_metadata",
    "write_events",
]
