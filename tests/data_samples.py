"""Real data messages as the writers' input, and any data message as comparable observations.

``message_from_events`` turns what a data reader yields (any format) into a DataMessage packaged
as asked, so a writer can be tested on the ECB and Eurostat specimens; ``resolved`` turns what a
reader yields back into {full key: (value, attributes resolved onto the observation)}, so a
written message read back can be compared with its source.
"""

from __future__ import annotations

import io
from itertools import groupby
from pathlib import Path
from typing import Iterable

from sdmx_server.sdmx.data_message import DataMessage, DataSetOut, GroupOut, SeriesOut, StructureLabels, packaging
from sdmx_server.sdmx.data_structure import DataStructureInfo
from sdmx_server.sdmx.formats.data_events import DataEvent, DataSetStart, KeyAttributes, Observation
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

SPEC = Path("/work/shared/specimens")
ECB = SPEC / "ECB_EXR"


def structure_info(structure_file: Path) -> DataStructureInfo:
    arts = read_structure_message(structure_file.read_bytes()).artefacts
    return DataStructureInfo.from_artefact(next(a for a in arts if a.get("type") == "datastructure"))


def resolved(events: Iterable[DataEvent], info: DataStructureInfo) -> dict[tuple, tuple[str | None, dict]]:
    """{full key in DSD order: (primary measure, every attribute that applies, whatever its level)}."""
    out: dict[tuple, tuple[str | None, dict]] = {}
    dataset: dict = {}
    groups: list[tuple[dict, dict]] = []
    series: list[tuple[dict, dict]] = []
    primary = info.measures[0].id if info.measures else "OBS_VALUE"
    for ev in events:
        if isinstance(ev, DataSetStart):
            dataset, groups, series = {}, [], []
        elif isinstance(ev, KeyAttributes):
            if ev.level == "dataset":
                dataset.update(ev.attributes)
            elif ev.level == "group":
                groups.append((ev.key, ev.attributes))
            else:
                series.append((ev.key, ev.attributes))
        elif isinstance(ev, Observation):
            attrs = dict(dataset)
            for keys in (groups, series):
                for k, a in keys:
                    if all(ev.key.get(d) == v for d, v in k.items()):
                        attrs.update(a)
            attrs.update(ev.attributes)
            attrs.update({m: v for m, v in ev.measures.items() if m != primary})
            out[tuple(ev.key[k] for k in info.key_ids)] = (ev.measures.get(primary), attrs)
        else:  # ObservationRows
            for i, row in enumerate(ev.rows):
                obs = ev.layout.to_observation(row, ev.first_row + i)
                attrs = dict(dataset)
                attrs.update(obs.attributes)
                out[tuple(obs.key[k] for k in info.key_ids)] = (obs.measures.get(primary), attrs)
    return out


def message_from_events(events: Iterable[DataEvent], info: DataStructureInfo, dataflow: dict, *,
                        dimension_at_observation: str | None = None, labels: StructureLabels | None = None,
                        **options) -> DataMessage:
    """A DataMessage holding the same observations, with attributes at the level the DSD attaches them."""
    obs = resolved(events, info)
    dao, series_dims, obs_dims = packaging(info, dimension_at_observation)
    key_ids = info.key_ids
    pos = {d: i for i, d in enumerate(key_ids)}
    levels = {a.id: a.attachment for a in info.attributes}
    # a series- or group-level attribute is constant within a series only if the series key holds every
    # dimension it relates to; otherwise (cross-sections, AllDimensions) it goes on each observation
    in_series = {a.id for a in info.attributes if set(a.attached_to) <= set(series_dims)}

    def split(attrs: dict) -> tuple[dict, dict, dict]:
        ds, ser, own = {}, {}, {}
        for k, v in attrs.items():
            level = levels.get(k, "observation")
            (ds if level == "dataset" else ser if level in ("series", "group") and k in in_series else own)[k] = v
        return ds, ser, own

    rows = sorted(obs.items(), key=lambda kv: (tuple(kv[0][pos[d]] for d in series_dims), kv[0]))
    dataset_attrs: dict = {}
    series_out: list[SeriesOut] = []
    for skey, group in groupby(rows, key=lambda kv: tuple(kv[0][pos[d]] for d in series_dims)):
        group = list(group)
        ser_attrs: dict = {}
        observations = []
        for key, (value, attrs) in group:
            ds, ser, own = split(attrs)
            dataset_attrs.update(ds)
            ser_attrs.update(ser)
            observations.append((tuple(key[pos[d]] for d in obs_dims), value, own or None))
        if dao == "AllDimensions":
            for i in range(0, len(observations), 1000):
                series_out.append(SeriesOut((), ser_attrs, observations[i:i + 1000]))
        else:
            series_out.append(SeriesOut(skey, ser_attrs, observations))
    urn = (f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={dataflow['agencyID']}:{dataflow['id']}"
           f"({dataflow['version']})")
    data_set = DataSetOut(urn, "TEST", iter(series_out), attributes=dataset_attrs, groups=_groups(obs, info))
    return DataMessage(info, dataflow, dao, series_dims, obs_dims, iter([data_set]),
                       labels or StructureLabels(["en"]), **options)


def _groups(obs: dict[tuple, tuple[str | None, dict]], info: DataStructureInfo) -> list[GroupOut]:
    """The DSD groups' attribute values, per group key, as retrieval gathers them."""
    out: dict[tuple[str, tuple], GroupOut] = {}
    for a in info.attributes:
        if a.attachment != "group" or a.group not in info.groups:
            continue
        dims = info.groups[a.group]
        for key, (_, attrs) in obs.items():
            if a.id in attrs:
                gkey = {d: key[info.key_ids.index(d)] for d in dims}
                g = out.setdefault((a.group, tuple(gkey.values())), GroupOut(a.group, gkey, {}))
                g.attributes[a.id] = attrs[a.id]
    return list(out.values())


def specimen_message(data_file: Path, structure_file: Path, **kw) -> tuple[DataMessage, dict]:
    """A specimen as a DataMessage, and its observations as ``resolved`` gives them."""
    from sdmx_server.sdmx.formats import sdmx_ml_2_1_data_reader

    info = structure_info(structure_file)
    events = list(sdmx_ml_2_1_data_reader.read_data(io.BytesIO(data_file.read_bytes()), info))
    dataflow = {"agencyID": "ECB", "id": info.urn.split("=")[1].split(":")[1].split("(")[0], "version": "1.0",
                "names": {"en": "Specimen"}}
    return message_from_events(events, info, dataflow, **kw), resolved(events, info)
