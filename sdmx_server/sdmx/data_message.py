"""What every data writer consumes, whatever the format: a message of data sets, each a stream of series.

Retrieval builds these from database cursors and writers turn them into text chunks, so neither
side holds a whole answer in memory. Writers are generators
``write_data_message(message: DataMessage) -> Iterator[str]`` yielding chunks of a few kilobytes
or more (a series, a batch of flat observations); the HTTP layer encodes, compresses and streams
them.

Observations are plain tuples, not objects: a million of them are written in about a second,
and one object per observation would double that. ``Obs = (obs_values, value, attributes)``:

- ``obs_values``: the values of ``message.obs_dimensions`` in that order: ``("2024-Q1",)`` for
  time series, ``("DE",)`` for a cross-section on REF_AREA, every dimension for AllDimensions;
- ``value``: the primary measure (``structure.measures[0]``) as stored (a string), or None;
- ``attributes``: observation-level attributes and any further measures, by component id, or None.
  Values are strings, or SDMX 3.0 complex values (see ``formats.data_events.AttributeValue``).
  A writer tells measures from attributes with ``structure.measures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator

from .data_structure import DataStructureInfo
from .formats.data_events import AttributeValue

Obs = tuple[tuple[str, ...], str | None, dict[str, AttributeValue] | None]
Names = dict[str, str]  # {language: text}


@dataclass(slots=True)
class SeriesOut:
    """One series (or, for a cross-section, one section) and its observations.

    ``key`` holds the values of ``message.series_dimensions``, in that order. For AllDimensions
    the key is empty and a data set's observations arrive as several SeriesOut of up to a few
    thousand observations each, which writers of flat formats write without any series wrapper.
    ``attributes`` are the series- and group-level attribute values that apply to this series: to
    every one of its observations, so in a cross-section or AllDimensions those that vary within it
    (those relating to an observation dimension) travel with each observation instead.
    ``observations`` is empty for ``detail=serieskeysonly`` and ``detail=nodata``.
    """

    key: tuple[str, ...]
    attributes: dict[str, AttributeValue]
    observations: list[Obs]


@dataclass(frozen=True, slots=True)
class GroupOut:
    """Attribute values attached to a group of the DSD (``structure.groups``), for one group key.

    The same values are also in the ``attributes`` of each series the group holds, for writers whose
    format has no groups (SDMX-CSV, SDMX-JSON); SDMX-ML writers write them once, in a ``<Group>``,
    and leave attributes with a group relationship off the series, as the generated schemas require.
    """

    id: str
    key: dict[str, str]  # the group's dimensions and their values
    attributes: dict[str, AttributeValue]


@dataclass(slots=True)
class DataSetOut:
    """One data set of the answer: the data one provider reported for one dataflow, or one version of it.

    ``action`` is "Information" for an ordinary query; with ``updatedAfter`` or ``includeHistory``
    it is "Replace" for what became current at ``valid_from`` and "Delete" for what stopped being
    current at ``valid_to`` (data.md, includeHistory example).
    """

    dataflow_urn: str
    provider: str | None
    series: Iterable[SeriesOut]
    attributes: dict[str, AttributeValue] = field(default_factory=dict)  # data-set-level attributes
    action: str = "Information"
    groups: list[GroupOut] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(slots=True)
class StructureLabels:
    """Names for labels (SDMX-CSV ``labels=name|both``) and for SDMX-JSON's structure section.

    ``languages`` is the caller's preference, best first; ``pick`` applies it with a fallback to
    English and then to any language, so a code always gets some name.
    """

    languages: list[str]
    dataflow_name: Names = field(default_factory=dict)
    component_names: dict[str, Names] = field(default_factory=dict)  # component id -> names (from its concept)
    code_names: dict[str, dict[str, Names]] = field(default_factory=dict)  # component id -> code -> names

    def pick(self, names: Names | None) -> str | None:
        if not names:
            return None
        for lang in (*self.languages, "en"):
            if lang in names:
                return names[lang]
        return next(iter(names.values()))

    def code_name(self, component_id: str, code: str) -> str | None:
        return self.pick(self.code_names.get(component_id, {}).get(code))

    def component_name(self, component_id: str) -> str | None:
        return self.pick(self.component_names.get(component_id))


@dataclass(slots=True)
class DataMessage:
    """A whole answer. ``data_sets`` is consumed once, in order, by exactly one writer.

    ``dimension_at_observation`` is "TIME_PERIOD" (or the DSD's time dimension id), another
    dimension id (cross-section), or "AllDimensions" (flat). ``series_dimensions`` and
    ``obs_dimensions`` spell out what that means for the key and the observation tuples.
    """

    structure: DataStructureInfo
    dataflow: dict  # the canonical dataflow artefact (agencyID, id, version, names...)
    dimension_at_observation: str
    series_dimensions: tuple[str, ...]
    obs_dimensions: tuple[str, ...]
    data_sets: Iterator[DataSetOut] | Iterable[DataSetOut]
    labels: StructureLabels
    id: str = "IREF000000"
    prepared: datetime | None = None
    sender: str = "DSM"
    # SDMX-CSV media-type options (labels=id|name|both, timeFormat=original|normalized, keys=none|obs|series|both)
    csv_labels: str = "id"
    csv_time_format: str = "original"
    csv_keys: str = "none"
    with_attributes: bool = True  # False for detail=dataonly: writers omit every attribute
    extra: dict[str, str] = field(default_factory=dict)


def packaging(structure: DataStructureInfo, dimension_at_observation: str | None) -> tuple[str, tuple[str, ...],
                                                                                         tuple[str, ...]]:
    """(dimensionAtObservation, series dimensions, observation dimensions) for a DSD and the asked value.

    The default is the time dimension, or AllDimensions for a DSD without one (data.md).
    """
    all_dims = structure.key_ids
    dao = dimension_at_observation or structure.time_dimension or "AllDimensions"
    if dao == "AllDimensions":
        return dao, (), all_dims
    if dao not in all_dims:
        from .errors import BadInput

        raise BadInput(f"dimensionAtObservation={dao!r} is not a dimension of {structure.urn} "
                       f"(dimensions: {', '.join(all_dims)}, or AllDimensions)")
    return dao, tuple(d for d in all_dims if d != dao), (dao,)
