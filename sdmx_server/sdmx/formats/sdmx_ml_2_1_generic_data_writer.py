"""SDMX-ML 2.1 GenericData and GenericTimeSeriesData from a DataMessage, streamed.

The generic format names every component in ``<generic:Value id value/>`` elements, so it needs no
data-structure-specific schema and any client can read it; it is the REST v1 default. The machinery
(header, escaping, chunking, which values may need escaping) is the structure-specific writer's,
reused explicitly; only the element shapes differ.

Generic data has a single observation value, ``ObsValue``: the primary measure is written there and
further measures (SDMX 3.0 DSDs) are left out, as are values beyond the first of a complex attribute
(see the structure-specific writer's notes, which apply here too). Attributes attached to a DSD group
are written once per group key, in ``<generic:Group>`` elements before the series, and left off series
and observations, as in structure-specific data.
"""

from __future__ import annotations

from typing import Iterator

from ..data_message import DataMessage, DataSetOut, GroupOut, SeriesOut
from . import sdmx_ml_2_1_structure_specific_data_writer as ss
from .sdmx_ml_2_1_structure_specific_data_writer import Chunks, SeriesWriter, safe, timestamp


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """GenericData, or GenericTimeSeriesData for ``variant`` "timeseries" (time series only)."""
    if variant == "timeseries":
        ss.require_time_series(message, "GenericTimeSeriesData")
        return _write(message, "GenericTimeSeriesData")
    return _write(message, "GenericData")


def _write(message: DataMessage, root: str) -> Iterator[str]:
    sid = ss.structure_id(message)
    base = ss.SDMX_21
    structure = (f'<message:Structure structureID="{sid}" dimensionAtObservation="{message.dimension_at_observation}">'
                 f"<common:StructureUsage>{ss.ref_21(message)}</common:StructureUsage></message:Structure>")
    out = Chunks()
    out.parts.append(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<message:{root} xmlns:message="{base}message" '
        f'xmlns:common="{base}common" xmlns:generic="{base}data/generic" xmlns:xsi="{ss.XSI}">\n'
        f'{ss.header(message, "message", structure)}')
    writer = GenericSeriesWriter(message, False)
    for ds in message.data_sets:
        out.parts.append(_dataset_start(message, ds, sid, writer))
        if message.with_attributes:
            out.parts.extend(writer.group(g) for g in ds.groups)
        yield from writer.write(ds, out)
        out.parts.append("</message:DataSet>\n")
    out.parts.append(f"</message:{root}>\n")
    yield out.take()


def _dataset_start(message: DataMessage, ds: DataSetOut, sid: str, writer: GenericSeriesWriter) -> str:
    valid = ""
    if ds.valid_from:
        valid += f' validFromDate="{timestamp(ds.valid_from)}"'
    if ds.valid_to:
        valid += f' validToDate="{timestamp(ds.valid_to)}"'
    values = writer.values(ds.attributes) if message.with_attributes else ""
    attributes = f"<generic:Attributes>{values}</generic:Attributes>" if values else ""
    return (f'<message:DataSet structureRef="{sid}" action="{ss.action_21(ds.action)}"{valid}>'
            f"{attributes}\n")


class GenericSeriesWriter(SeriesWriter):
    """Series and observations as generic text; what to escape and what to leave out as in SeriesWriter."""

    def values(self, attrs: dict | None, in_group: bool = False) -> str:
        """``<generic:Value>``s of the attributes (never further measures: generic 2.1 has no place for them);
        group attributes only ``in_group``."""
        if not attrs or not self.with_attributes:
            return ""
        extra, trusted, needs = self.extra_measures, self.trusted, ss.needs_escape
        group_only = frozenset() if in_group else self.group_only
        text = ""
        for k, v in attrs.items():
            if k in extra or k in group_only:
                continue
            if v.__class__ is not str:
                v = ss.first_value(v, self.pick)
            text += (f'<generic:Value id="{k}" value="{v}"/>' if k in trusted or not needs(v)
                     else f'<generic:Value id="{k}" value="{ss.escape(v)}"/>')
        return text

    def group(self, g: GroupOut) -> str:
        """One ``<generic:Group>``: the group's id, key and attribute values (none: no element, Attributes is
        required)."""
        values = self.values(g.attributes, in_group=True)
        if not values:
            return ""
        return (f'<generic:Group type="{g.id}"><generic:GroupKey>{self.key_values(tuple(g.key), tuple(g.key.values()))}'
                f"</generic:GroupKey><generic:Attributes>{values}</generic:Attributes></generic:Group>\n")

    def key_values(self, dims: tuple[str, ...], values: tuple[str, ...]) -> str:
        trusted = self.trusted
        return "".join(f'<generic:Value id="{d}" value="{v if d in trusted else safe(v)}"/>'
                       for d, v in zip(dims, values))

    def series(self, series: SeriesOut, parts: list[str]) -> None:
        values = self.values(series.attributes)
        attributes = f"<generic:Attributes>{values}</generic:Attributes>" if values else ""
        head = (f"<generic:Series><generic:SeriesKey>{self.key_values(self.series_dims, series.key)}"
                f"</generic:SeriesKey>{attributes}")
        if not series.observations:
            parts.append(f"{head}</generic:Series>\n")
            return
        parts.append(f"{head}\n")
        obs_dim = self.obs_dims[0]
        trusted_dim = obs_dim in self.trusted
        # the time dimension's id is fixed by the schema, any other is named
        pre = ("<generic:Obs><generic:ObsDimension value=\"" if obs_dim == self.message.structure.time_dimension
               else f"<generic:Obs><generic:ObsDimension id=\"{obs_dim}\" value=\"")
        mid = '"/><generic:ObsValue value="'
        value_trusted = self.value_trusted
        values_of = self.values
        append = parts.append
        for ov, value, attrs in series.observations:
            at = ov[0] if trusted_dim else safe(ov[0])
            if value is not None and not value_trusted:
                value = safe(value)
            text = values_of(attrs) if attrs else ""
            if text:
                if value is None:
                    append(f'{pre}{at}"/><generic:Attributes>{text}</generic:Attributes></generic:Obs>\n')
                else:
                    append(f'{pre}{at}{mid}{value}"/><generic:Attributes>{text}</generic:Attributes></generic:Obs>\n')
            elif value is None:
                append(f'{pre}{at}"/></generic:Obs>\n')
            else:
                append(f'{pre}{at}{mid}{value}"/></generic:Obs>\n')
        append("</generic:Series>\n")

    def flat(self, series: SeriesOut, parts: list[str]) -> None:
        """AllDimensions: ObsKey with every dimension; the SeriesOut's attributes on each observation."""
        shared = series.attributes if self.with_attributes else None
        shared_text = self.values(shared)
        dims, value_trusted, values_of = self.obs_dims, self.value_trusted, self.values
        key, key_trusted = self.key_template(dims, '<generic:Value id="{d}" value="{{}}"/>')
        append = parts.append
        for ov, value, attrs in series.observations:
            if not attrs:
                text = shared_text
            elif shared and not shared.keys().isdisjoint(attrs):
                text = values_of({**shared, **attrs})
            else:
                text = shared_text + values_of(attrs)
            obs_value = ""
            if value is not None:
                obs_value = f'<generic:ObsValue value="{value if value_trusted else safe(value)}"/>'
            attributes = f"<generic:Attributes>{text}</generic:Attributes>" if text else ""
            append(f"<generic:Obs><generic:ObsKey>{key.format(*ov) if key_trusted else self.key_values(dims, ov)}"
                   f"</generic:ObsKey>{obs_value}{attributes}</generic:Obs>\n")
