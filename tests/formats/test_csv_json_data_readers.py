"""SDMX-CSV and SDMX-JSON data readers against the SDMX 3.0 specimens, and sdmx1 as a second opinion."""

from __future__ import annotations

import csv
import gc
import glob
import io
import json
import os
import tempfile

import pytest
import sdmx

from sdmx_server.sdmx.data_structure import Component as C, DataStructureInfo
from sdmx_server.sdmx.errors import BadInput, SemanticError
from sdmx_server.sdmx.formats import sdmx_csv_data_reader, sdmx_json_data_reader
from sdmx_server.sdmx.formats.data_events import DataSetStart, KeyAttributes, Observation, ObservationRows

SPEC = "/work/shared/specimens"
CSV_DIR = f"{SPEC}/v3/csv"

# The CSV examples of the SDMX-CSV 2.0 spec use a made-up ESTAT:NA_MAIN structure with no DSD file:
# DIM_1, DIM_2, time DIM_3; ATTR_2 at series level, ATTR_3 at data set level, ATTR_1/UPDATED per observation.
NA_MAIN = DataStructureInfo(
    "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=ESTAT:NA_MAIN(1.6.0)",
    (C("DIM_1", mandatory=True), C("DIM_2", mandatory=True)), "DIM_3",
    (C("ATTR_1"), C("ATTR_2", attachment="series", attached_to=("DIM_1", "DIM_2")),
     C("ATTR_3", attachment="dataset"), C("UPDATED")),
    (C("OBS_VALUE"), C("OBS_VALUE1"), C("OBS_VALUE2"), C("MEAS_1")),
)

# Specimens this reader cannot read, with the reason (explicit expected failures).
CSV_EXPECTED_FAILURES = {
    # rows for two different structures (DF_A / DSD_B) with different dimensions: one DataStructureInfo
    # per read_data call cannot describe both
    "example-09B.csv": "columns of a second structure",
    # ATTR_1 reported at a partial key (DIM_2 only): needs a DSD attaching ATTR_1 to DIM_2,
    # with NA_MAIN (ATTR_1 per observation) a partial key with an observation value is bad input
    "example-12.csv": "observation attribute at a partial key",
    # COLLECTION.METHOD / CONTACT[].NAME: nested (complex) attribute columns of SDMX 3.0, not in NA_MAIN
    "example-14.csv": "nested attribute columns",
    # Deletes of single values ("-" in a value or attribute cell) are not supported yet
    "example-16.csv": "delete of single values",
    "example-17.csv": "delete of single values",
}


def _ecb_exr() -> DataStructureInfo:
    """ECB_EXR1 from its canonical DSD when a structure reader can read it; otherwise by hand."""
    try:
        from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

        with open(f"{SPEC}/v3/xml/ECB_EXR1.xml", "rb") as f:
            content = read_structure_message(f.read())
        return DataStructureInfo.from_artefact(
            next(a for a in content.artefacts if a["type"] == "datastructure"))
    except Exception:  # the ML readers are being written in parallel
        dims = ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX")
        return DataStructureInfo(
            "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=ECB:ECB_EXR1(1.0)",
            tuple(C(d, mandatory=True) for d in dims), "TIME_PERIOD",
            (C("OBS_STATUS"), C("TIME_FORMAT", attachment="series", attached_to=dims),
             C("TITLE", attachment="group", attached_to=dims[1:], group="Group")),
            (C("OBS_VALUE", mandatory=True),))


ECB = _ecb_exr()


def read_csv(data: bytes | str, structure: DataStructureInfo = NA_MAIN) -> list:
    """The events, with batches of plain rows expanded into the Observations they stand for."""
    if isinstance(data, str):
        data = data.encode()
    return list(expand_rows(sdmx_csv_data_reader.read_data(io.BytesIO(data), structure)))


def expand_rows(events):
    for e in events:
        if isinstance(e, ObservationRows):
            for n, row in enumerate(e.rows, e.first_row):
                obs = e.layout.to_observation(row, n)
                if obs is not None:
                    yield obs
        else:
            yield e


def test_plain_csv_rows_come_in_batches():
    data = "DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE\n" + "".join(
        f"ESTAT:NA_MAIN(1.6.0),A,B,{2000 + i},{i}\n" for i in range(2500))
    events = list(sdmx_csv_data_reader.read_data(io.BytesIO(data.encode()), NA_MAIN))
    batches = [e for e in events if isinstance(e, ObservationRows)]
    assert [len(b.rows) for b in batches] == [1000, 1000, 500]
    assert [b.first_row for b in batches] == [2, 1002, 2002]
    assert batches[2].layout.to_observation(batches[2].rows[-1], 2501).where == "row 2501"


def test_csv_rows_leave_the_garbage_collector_nothing_to_keep():
    """Rows the cyclic garbage collector stops tracking once it has seen them (see ObservationRows)."""
    data = "DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE\n" + "".join(
        f"ESTAT:NA_MAIN(1.6.0),A,B,{2000 + i},{i}\n" for i in range(2500))
    events = sdmx_csv_data_reader.read_data(io.BytesIO(data.encode()), NA_MAIN)
    rows = [row for e in events if isinstance(e, ObservationRows) for row in e.rows]
    assert len(rows) == 2500
    gc.collect()
    assert not any(gc.is_tracked(row) for row in rows)


def read_json_file(path: str, structure: DataStructureInfo = ECB) -> list:
    with open(path, "rb") as f:
        return list(sdmx_json_data_reader.read_data(f, structure))


def flatten(events: list) -> list[tuple[tuple, str | None, dict]]:
    """Observations with every attribute in force (key attributes whose key the observation matches)."""
    out, above = [], []
    for e in events:
        if isinstance(e, DataSetStart):
            above = []
        elif isinstance(e, KeyAttributes):
            above.append(e)
        else:
            attrs = {}
            for ka in above:
                if all(e.key.get(k) == v for k, v in ka.key.items()):
                    attrs.update(ka.attributes)
            attrs.update(e.attributes)
            out.append((e.key, e.measures.get("OBS_VALUE"), attrs))
    return out


# --- SDMX-CSV ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(glob.glob(f"{CSV_DIR}/*.csv")), ids=os.path.basename)
def test_every_csv_specimen(path):
    name = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    if name in CSV_EXPECTED_FAILURES:
        with pytest.raises(BadInput):
            read_csv(data)
        return
    events = read_csv(data)
    assert isinstance(events[0], DataSetStart)
    assert events[0].structure and events[0].structure_kind in ("dataflow", "datastructure")
    obs = [e for e in events if isinstance(e, Observation)]
    assert obs, name
    for o in obs:
        assert o.where.startswith("row ")
        if o.action != "Delete":
            assert set(o.key) == set(NA_MAIN.key_ids)  # full key, time included
            assert all(o.key.values())


def test_example_01_values_and_attribute_levels():
    events = read_csv(open(f"{CSV_DIR}/example-01.csv", "rb").read())
    obs = [e for e in events if isinstance(e, Observation)]
    assert obs[0].key == {"DIM_1": "A", "DIM_2": "B", "DIM_3": "2014-01"}
    assert obs[0].measures == {"OBS_VALUE": "12.4"}
    assert obs[0].attributes == {"ATTR_1": "N", "UPDATED": "2021-01-22T13:15:41Z"}
    assert obs[0].action == "Information"
    kas = [e for e in events if isinstance(e, KeyAttributes)]
    # series and data set attributes once each, though every row repeats them
    assert [(k.level, k.key, k.attributes) for k in kas] == [
        ("series", {"DIM_1": "A", "DIM_2": "B"}, {"ATTR_2": "Y"}),
        ("dataset", {}, {"ATTR_3": "Normal, special and other values"}),
    ]
    assert kas[0].where == "row 2, column ATTR_2"


def test_labels_both_semicolon_and_bom():
    events = read_csv(open(f"{CSV_DIR}/example-04.csv", "rb").read())  # ';' delimiter, "ID: Name"
    obs = [e for e in events if isinstance(e, Observation)]
    assert obs[0].key == {"DIM_1": "A", "DIM_2": "B", "DIM_3": "2014-01"}
    assert events[0].structure == "ESTAT:NA_MAIN(1.6.0)"
    bom = "\ufeffDATAFLOW;DIM_1;DIM_2;DIM_3;OBS_VALUE\nESTAT:NA_MAIN(1.6.0);A;B;2020;1,5\n".encode()
    events = read_csv(bom)
    assert events[0].structure_kind == "dataflow" and events[0].structure == "ESTAT:NA_MAIN(1.6.0)"
    assert events[1].key == {"DIM_1": "A", "DIM_2": "B", "DIM_3": "2020"}
    assert events[1].measures == {"OBS_VALUE": "1,5"}


def test_labels_name_columns_are_skipped():
    events = read_csv(open(f"{CSV_DIR}/example-06.csv", "rb").read())
    obs = [e for e in events if isinstance(e, Observation)]
    assert obs[0].key == {"DIM_1": "A", "DIM_2": "B", "DIM_3": "2014-01"}
    assert obs[0].measures == {"OBS_VALUE": "12.4"}


def test_actions_per_row_and_multiline_quoted():
    events = read_csv(open(f"{CSV_DIR}/example-10.csv", "rb").read())
    assert [e.action for e in events if isinstance(e, Observation)] == ["Append", "Replace"]
    events = read_csv(open(f"{CSV_DIR}/example-15.csv", "rb").read())
    assert events[1].attributes["ATTR_1"] == '<p>This is some "xhtml" with a line\nbreak</p>'
    events = read_csv(open(f"{CSV_DIR}/example-18.csv", "rb").read())  # delete with wildcards
    assert [(e.action, e.key) for e in events[1:]] == [
        ("Delete", {"DIM_2": "A", "DIM_3": ""}), ("Delete", {"DIM_2": "B", "DIM_3": "C"})]


def test_one_data_set_start_per_structure():
    events = read_csv(open(f"{CSV_DIR}/example-08.csv", "rb").read())
    starts = [e.structure for e in events if isinstance(e, DataSetStart)]
    assert starts == ["ESTAT:NA_MAIN(1.6.0)", "ESTAT:NA_MAIN(1.7.0)"]
    events = read_csv(open(f"{CSV_DIR}/example-09A.csv", "rb").read())
    assert [e.structure_kind for e in events if isinstance(e, DataSetStart)] [:2] == ["dataflow", "datastructure"]


def test_missing_required_measure_column():
    required = DataStructureInfo(NA_MAIN.urn, NA_MAIN.dimensions, "DIM_3", (), (C("OBS_VALUE", mandatory=True),))
    with pytest.raises(BadInput, match="header row 1.*OBS_VALUE"):
        read_csv("DATAFLOW,DIM_1,DIM_2,DIM_3\nX:Y(1.0),A,B,2020\n", required)
    events = read_csv("STRUCTURE,STRUCTURE_ID,ACTION,DIM_1,DIM_2,DIM_3\ndataflow,X:Y(1.0),D,A,B,2020\n", required)
    assert events[1].action == "Delete" and events[1].measures == {}


def test_missing_dimension_column():
    with pytest.raises(SemanticError, match="header row 1.*DIM_2"):
        read_csv("DATAFLOW,DIM_1,DIM_3,OBS_VALUE\nESTAT:NA_MAIN(1.6.0),A,2020,1\n")


def test_missing_dimension_column_in_non_delete_row():
    with pytest.raises(SemanticError, match="row 3.*DIM_1"):
        read_csv("STRUCTURE,STRUCTURE_ID,ACTION,DIM_2,DIM_3,OBS_VALUE\n"
                 "dataflow,ESTAT:NA_MAIN(1.6.0),D,B,2020,\ndataflow,ESTAT:NA_MAIN(1.6.0),A,B,2020,1\n")


def test_wrong_field_count():
    with pytest.raises(BadInput, match="row 3 has 4 fields") as exc:
        read_csv("DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE\nX:Y(1.0),A,B,2020,1\nX:Y(1.0),A,B,2021\n")
    assert exc.value.line == 3


def test_not_csv():
    with pytest.raises(BadInput, match="DATAFLOW"):
        read_csv(b"<?xml version='1.0'?><message/>")
    with pytest.raises(BadInput):
        read_csv(b"\xff\xfe\x00garbage")
    with pytest.raises(BadInput, match="empty"):
        read_csv(b"")


def test_unknown_column_and_bad_action():
    with pytest.raises(BadInput, match="column FOO"):
        read_csv("DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE,FOO\nX:Y(1.0),A,B,2020,1,2\n")
    with pytest.raises(BadInput, match="row 2, column ACTION"):
        read_csv("STRUCTURE,STRUCTURE_ID,ACTION,DIM_1,DIM_2,DIM_3,OBS_VALUE\ndataflow,X:Y(1.0),Z,A,B,2020,1\n")


def test_csv_reader_streams():
    """The reader yields the first event before the stream is exhausted."""
    class Endless(io.RawIOBase):
        def __init__(self):
            self.sent = 0
            self.head = b"DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE\n"

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self.head if self.sent == 0 else b"X:Y(1.0),A,B,2020,1\n" * 100
            self.sent += 1
            b[:len(chunk)] = chunk
            return len(chunk)

    it = expand_rows(sdmx_csv_data_reader.read_data(io.BufferedReader(Endless()), NA_MAIN))
    assert isinstance(next(it), DataSetStart)
    assert [next(it).key["DIM_3"] for _ in range(1000)][-1] == "2020"


def _csv_module_blocks(text, delimiter, _max_token=None):
    """Every row as the csv module reads it, and its errors at their row: what the reader's own splitting
    must agree with."""
    row_no = 1
    try:
        for row in csv.reader(text, delimiter=delimiter):
            row_no += 1
            yield [row]
    except csv.Error as e:
        raise BadInput(f"row {row_no + 1}: not readable as CSV: {e}", line=row_no + 1) from None


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("late", ["late", '"1,5"', '"a\nb"', "a\rb", "a\0b", "y" * 140_000],
                         ids=["plain", "quoted", "quoted-line-end", "lone-cr", "nul", "too-long"])
def test_rows_are_read_as_the_csv_module_reads_them(monkeypatch, ending, late):
    """The reader splits blocks of plain lines itself and hands the rest of the message to the csv module
    from the first quote, lone carriage return, NUL or overlong line on (here past the first block):
    events, row numbers and errors are the csv module's either way. The last line has no line end."""
    lines = ["DATAFLOW,DIM_1,DIM_2,DIM_3,OBS_VALUE,ATTR_1"]
    lines += [f"ESTAT:NA_MAIN(1.6.0),A,B{i % 7},{2000 + i},{i},x" for i in range(5000)]
    lines[3000:3000] = ["", f"ESTAT:NA_MAIN(1.6.0),A,C,2000,7,{late}", ""]
    data = ending.join(lines)
    assert len(data.partition(late)[0]) > sdmx_csv_data_reader._READ

    def outcome():
        """Batches of plain rows as their cells, which validation reads as they are; other events as such."""
        try:
            return [("rows", e.first_row, [list(row) for row in e.rows]) if isinstance(e, ObservationRows) else
                    (type(e).__name__, getattr(e, "key", None), getattr(e, "attributes", None), e.where)
                    for e in sdmx_csv_data_reader.read_data(io.BytesIO(data.encode()), NA_MAIN)]
        except BadInput as e:
            return str(e)

    ours = outcome()
    monkeypatch.setattr(sdmx_csv_data_reader, "_row_blocks", _csv_module_blocks)
    assert ours == outcome()
    if late == '"a\nb"':
        rows = {n: row for _, first, batch in ours[1:] for n, row in enumerate(batch, first)}
        assert rows[3002] == ["ESTAT:NA_MAIN(1.6.0)", "A", "C", "2000", "7", "a\nb"]
        assert rows[5004] == ["ESTAT:NA_MAIN(1.6.0)", "A", "B1", "6999", "4999", "x"] and len(rows) == 5001
    elif late == "a\rb":  # a lone carriage return ends a row, for the csv module
        assert ours == "row 3003 has 1 fields; the header row 1 has 6 (line 3003)"
    elif len(late) > 1000:
        assert ours.startswith("row 3002: not readable as CSV: field larger than field limit")


# --- SDMX-JSON -----------------------------------------------------------------------------------

JSON_SPECIMENS = sorted(glob.glob(f"{SPEC}/v3/json/data/*.json") + glob.glob(f"{SPEC}/ECB_EXR/*.json"))
JSON_EXPECTED_FAILURES = {
    # observation [40.3426, 0, 1]: attribute index 1 for OBS_STATUS, whose value list has one entry
    "exr-action-delete.json": "index 1 is out of range",
    # a schema-fuzzer message: attribute "indices" are objects, not positions
    "generated-sample.json": "is out of range",
}


@pytest.mark.parametrize("path", JSON_SPECIMENS, ids=lambda p: p.split("specimens/")[1])
def test_every_json_specimen(path):
    name = os.path.basename(path)
    if name in JSON_EXPECTED_FAILURES:
        with pytest.raises(BadInput, match=JSON_EXPECTED_FAILURES[name]):
            read_json_file(path)
        return
    events = read_json_file(path)
    assert isinstance(events[0], DataSetStart) and events[0].structure
    obs = [e for e in events if isinstance(e, Observation)]
    assert obs
    for o in obs:
        if o.measures:  # every position of the key resolved to a value
            assert len(o.key) >= 2 and all(isinstance(v, str) and v for v in o.key.values())


def _sdmx1_obs(path: str) -> list[tuple[dict, float, dict]]:
    msg = sdmx.read_sdmx(path)
    out = []
    for ds in msg.data:
        for o in ds.obs:
            key = {k: str(v.value) for k, v in o.key.values.items()}
            attrs = {}
            if o.series_key is not None:
                key.update({k: str(v.value) for k, v in o.series_key.values.items()})
                attrs.update({k: str(getattr(v.value, "id", v.value)) for k, v in o.series_key.attrib.items()})
            attrs.update({k: str(getattr(v.value, "id", v.value)) for k, v in o.attached_attribute.items()})
            out.append((key, o.value, attrs))
    return out


def _num(v) -> str:
    """Values compared as numbers; a missing value (None or NaN, as in a Delete) as ''."""
    return "" if v is None or v != v else repr(float(v))


@pytest.mark.parametrize("name", ["ts.json", "xs.json", "flat.json", "action-delete.json"])
def test_json_1_0_agrees_with_sdmx1(name):
    path = f"{SPEC}/ECB_EXR/{name}"
    ours = flatten(read_json_file(path))
    theirs = _sdmx1_obs(path)
    assert len(ours) == len(theirs) and ours
    as_set = lambda rows: sorted((tuple(sorted(k.items())), _num(v), tuple(sorted(a.items()))) for k, v, a in rows)
    assert [r[:2] for r in as_set(ours)] == [r[:2] for r in as_set(theirs)]
    # every attribute sdmx1 sees is ours too, same value
    for (k1, _, a1), (k2, _, a2) in zip(as_set(ours), as_set(theirs)):
        assert dict(a2).items() <= dict(a1).items()


def test_json_actions_and_data_sets():
    events = read_json_file(f"{SPEC}/ECB_EXR/action-delete.json")
    assert [e.action for e in events if isinstance(e, DataSetStart)] == ["Replace", "Delete"]
    assert events[0].extra["validFrom"].startswith("2012-03-20")


def test_json_2_0_time_series_matches_flat():
    ts = flatten(read_json_file(f"{SPEC}/v3/json/data/exr-time-series.json"))
    flat = flatten(read_json_file(f"{SPEC}/v3/json/data/exr-flat.json"))
    xs = flatten(read_json_file(f"{SPEC}/v3/json/data/exr-cross-section.json"))
    key = lambda rows: sorted((tuple(sorted(k.items())), v) for k, v, _ in rows)
    assert key(ts) == key(flat) == key(xs)
    assert len(ts) == 4 and ts[0][0]["CURRENCY"] == "NZD" and ts[0][1] == "1.5931"
    # TITLE is a group attribute in ECB_EXR1: lifted out of the observation into KeyAttributes
    events = read_json_file(f"{SPEC}/v3/json/data/exr-flat.json")
    assert any(isinstance(e, KeyAttributes) and "TITLE" in e.attributes for e in events)
    assert all("TITLE" not in e.attributes for e in events if isinstance(e, Observation))


def test_bad_json_has_line_and_column():
    with pytest.raises(BadInput) as exc:
        list(sdmx_json_data_reader.read_data(io.BytesIO(b'{"data": {\n  "dataSets": [,]}}'), ECB))
    assert exc.value.line == 2 and exc.value.column == 16
    with pytest.raises(BadInput, match="dataSets"):
        list(sdmx_json_data_reader.read_data(io.BytesIO(b'{"data": {}}'), ECB))


# --- SDMX-JSON streaming -----------------------------------------------------------------------

def _read_json(data: bytes | dict, structure: DataStructureInfo = ECB) -> list:
    if isinstance(data, dict):
        data = json.dumps(data).encode()
    return list(sdmx_json_data_reader.read_data(io.BytesIO(data), structure))


@pytest.fixture
def temp_files(monkeypatch) -> list:
    """Every temporary file the JSON reader opens (its buffering to disk)."""
    opened = []
    real = tempfile.TemporaryFile

    def counting(*args, **kwargs):
        f = real(*args, **kwargs)
        opened.append(f)
        return f

    monkeypatch.setattr(sdmx_json_data_reader.tempfile, "TemporaryFile", counting)
    return opened


def _ts() -> dict:
    with open(f"{SPEC}/ECB_EXR/ts.json", "rb") as f:
        return json.load(f)


def test_json_reader_streams():
    """Events come out while the body is still arriving: nothing waits for the end of the message."""
    msg = _ts()
    head = json.dumps({"header": msg["header"], "structure": msg["structure"]})[:-1].encode()
    head += b', "dataSets": [{"action": "Replace", "series": {'

    class Endless(io.RawIOBase):
        def __init__(self):
            self.sent = 0

        def readable(self):
            return True

        def readinto(self, b):
            chunk = head if self.sent == 0 else b'"0": {"observations": {"0": [1.5, 0], "1": [2.5, 0]}},' * 50
            self.sent += 1
            b[:len(chunk)] = chunk
            return len(chunk)

    it = sdmx_json_data_reader.read_data(io.BufferedReader(Endless()), ECB)
    start = next(it)
    assert isinstance(start, DataSetStart) and start.action == "Replace"
    obs = [e for e in (next(it) for _ in range(3000)) if isinstance(e, Observation)]
    assert len(obs) > 2000 and obs[-1].key["CURRENCY"] == "NZD" and obs[-1].measures["OBS_VALUE"] in ("1.5", "2.5")
    it.close()


def test_json_structure_first_needs_no_temporary_file(temp_files):
    events = read_json_file(f"{SPEC}/ECB_EXR/ts.json")
    assert len([e for e in events if isinstance(e, Observation)]) == 4
    assert temp_files == []


def test_json_data_sets_before_structure_are_buffered_to_disk(temp_files):
    msg = _ts()
    expected = _read_json(msg)
    late = {"dataSets": msg["dataSets"], "header": msg["header"], "structure": msg["structure"]}
    assert _read_json(late) == expected
    assert len(temp_files) == 1 and temp_files[0].closed
    # SDMX-JSON 2.0 layout, two data sets, several structures: each data set uses its own
    with open(f"{SPEC}/v3/json/data/exr-time-series.json", "rb") as f:
        v2 = json.load(f)
    other = json.loads(json.dumps(v2["data"]["structures"][0]))
    other["dimensions"]["series"][0]["values"].reverse()  # RUB first in structure 1
    data_sets = [v2["data"]["dataSets"][0], {**v2["data"]["dataSets"][0], "structure": 1, "action": "Delete"}]
    events = _read_json({"data": {"dataSets": data_sets, "structures": [v2["data"]["structures"][0], other]}})
    starts = [e for e in events if isinstance(e, DataSetStart)]
    assert [(s.action, s.where) for s in starts] == [("Information", "dataSets[0]"), ("Delete", "dataSets[1]")]
    obs = [e for e in events if isinstance(e, Observation)]
    assert [o.key["CURRENCY"] for o in obs] == ["NZD", "NZD", "RUB", "RUB", "RUB", "RUB", "NZD", "NZD"]


def test_json_action_after_the_data_is_honoured(temp_files):
    msg = _ts()
    ds = msg["dataSets"][0]
    msg["dataSets"] = [{"series": ds["series"], "validFrom": "2024-01-01", "action": "Delete"},
                       {"series": ds["series"]}]  # no action at all: Information, known at the end
    events = _read_json(msg)
    starts = [i for i, e in enumerate(events) if isinstance(e, DataSetStart)]
    assert [events[i].action for i in starts] == ["Delete", "Information"]
    assert events[starts[0]].extra == {"validFrom": "2024-01-01"}
    assert starts[0] == 0 and len(events) == 2 * (1 + 2 + 4)  # start, 2 series attributes, 4 observations
    assert len(temp_files) == 2 and all(f.closed for f in temp_files)


def test_json_values_attributes_and_nulls():
    msg = _ts()
    st = msg["structure"]
    st["attributes"]["dataSet"] = [{"id": "UNIT_MULT", "values": [{"id": "0"}, {"id": "3"}]},
                                   {"id": "SOURCE_PUB", "values": []}]  # no value list: values inline
    st["attributes"]["observation"].append({"id": "OBS_COM", "values": []})
    st["attributes"]["series"].append({"id": "COVERAGE", "values": []})
    msg["dataSets"] = [{"action": "Append", "attributes": [1, "ECB bulletin"], "series": {
        "0": {"attributes": [None, "all days"], "observations": {
            "0": ["NUMBER", 0, "a comment", 7],  # trailing annotation index: not an attribute
            "1": [None, None]}},
        "1": {"observations": {"0": ["EXPONENT"], "1": [12]}}}}]
    events = _read_json(json.dumps(msg).replace('"NUMBER"', "1.59310").replace('"EXPONENT"', "1e5").encode())
    kas = [(e.level, e.key, e.attributes) for e in events if isinstance(e, KeyAttributes)]
    assert kas[0] == ("dataset", {}, {"UNIT_MULT": "3", "SOURCE_PUB": "ECB bulletin"})
    assert kas[1][0] == "series" and kas[1][2] == {"COVERAGE": "all days"} and kas[1][1]["CURRENCY"] == "NZD"
    obs = [e for e in events if isinstance(e, Observation)]
    assert [(o.measures, o.attributes) for o in obs] == [
        ({"OBS_VALUE": "1.59310"}, {"OBS_STATUS": "A", "OBS_COM": "a comment"}),  # numbers stay as written
        ({}, {}),  # a null value is no value; a null index no attribute
        ({"OBS_VALUE": "1E+5"}, {}),
        ({"OBS_VALUE": "12"}, {}),
    ]
    assert obs[1].where == "dataSets[0].series['0'].observations['1']"
    assert obs[2].key == {"FREQ": "D", "CURRENCY_DENOM": "EUR", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A",
                          "CURRENCY": "RUB", "TIME_PERIOD": "2013-01-18"}


def test_json_flat_observations_and_where():
    events = read_json_file(f"{SPEC}/ECB_EXR/flat.json")
    assert events[0].dimension_at_observation == "AllDimensions"
    obs = [e for e in events if isinstance(e, Observation)]
    assert [o.where for o in obs] == [f"dataSets[0].observations['{k}']" for k in ("0:0", "0:1", "1:0", "1:1")]
    assert [o.key["CURRENCY"] + " " + o.key["TIME_PERIOD"] for o in obs] == [
        "NZD 2013-01-18", "NZD 2013-01-21", "RUB 2013-01-18", "RUB 2013-01-21"]


@pytest.mark.parametrize("change,fragment", [
    (lambda m: m["dataSets"][0]["series"].update({"0:1": {}}), "key '0:1' has 2 positions, the structure has 1"),
    (lambda m: m["dataSets"][0]["series"].update({"x": {}}), "key 'x' is not made of indices"),
    (lambda m: m["dataSets"][0]["series"].update({"5": {}}), "index 5 is out of range for CURRENCY"),
    (lambda m: m["dataSets"][0]["series"]["0"]["observations"].update({"0": [1, 3]}),
     r"observations\['0'\]: index 3 is out of range for OBS_STATUS"),
    (lambda m: m["dataSets"][0].update({"action": "Destroy"}), "dataSets\\[0\\].action: 'Destroy' is not one of"),
    (lambda m: m["dataSets"].insert(0, {"structure": 2, **m["dataSets"].pop()}), "there is no structure 2"),
    (lambda m: m["dataSets"][0].update({"structure": 2}), "structure 2 comes after its data"),
    (lambda m: m["dataSets"][0].update({"series": [1, 2]}), "series is not an object"),
    (lambda m: m["dataSets"].append(3), "dataSets\\[1\\] is not an object"),
])
def test_json_bad_messages_are_bad_input(change, fragment):
    msg = _ts()
    change(msg)
    with pytest.raises(BadInput, match=fragment):
        _read_json(msg)


def test_json_syntax_errors_far_into_the_body():
    msg = _ts()
    msg["header"]["padding"] = [{"n": i, "text": "é" * (i % 4)} for i in range(30000)]  # > 1 MB before the data
    body = json.dumps(msg, indent=1, ensure_ascii=False).encode()
    at = body.index(b'"attributes": [\n      1\n')
    broken = body[:at] + b"," + body[at:]
    with pytest.raises(BadInput, match="not JSON") as exc:
        _read_json(broken)
    line = body[:at].count(b"\n") + 1
    try:
        json.loads(broken)
    except json.JSONDecodeError as e:
        assert (exc.value.line, exc.value.column) == (e.lineno, e.colno) and e.lineno == line
    with pytest.raises(BadInput, match="premature EOF") as exc:
        _read_json(body[:-3])
    assert exc.value.line == body[:-3].count(b"\n") + 1
    with pytest.raises(BadInput, match="trailing garbage"):
        _read_json(body + b" {}")


def test_json_not_an_object_empty_and_encodings():
    with pytest.raises(BadInput, match="is a JSON object"):
        _read_json(b"[1, 2]")
    with pytest.raises(BadInput, match="empty"):
        _read_json(b"")
    body = json.dumps(_ts()).encode()
    expected = _read_json(body)
    assert _read_json(b"\xef\xbb\xbf" + body) == expected
    assert _read_json(body.decode().encode("utf-16")) == expected  # json.load read UTF-16 too
    with pytest.raises(BadInput):
        _read_json(body.replace(b"Daily", b"D\xffaily"))


def test_json_delete_of_an_empty_series_deletes_the_series():
    msg = _ts()
    msg["dataSets"] = [{"action": "Delete", "series": {"0": {}, "1": {"attributes": [0]}}},
                       {"action": "Information", "series": {"0": {}}}]
    events = _read_json(msg)
    deletes = [e for e in events if isinstance(e, Observation)]
    assert len(deletes) == 1 and deletes[0].measures == {} and deletes[0].attributes == {}
    assert deletes[0].key == {"FREQ": "D", "CURRENCY_DENOM": "EUR", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A",
                              "CURRENCY": "NZD"}  # no TIME_PERIOD: every period
    assert deletes[0].where == "dataSets[0].series['0']"
    # RUB names an attribute: that attribute is deleted, not the series
    assert [(e.level, e.attributes) for e in events if isinstance(e, KeyAttributes)] == [
        ("series", {"TITLE": "New Zealand dollar (NZD)"})]


def test_json_lifted_attributes_go_out_together_once_per_attachment():
    """TITLE and COVERAGE (group attributes in ECB_EXR1) written on each observation of a flat message."""
    with open(f"{SPEC}/ECB_EXR/flat.json", "rb") as f:
        msg = json.load(f)
    msg["structure"]["attributes"]["observation"].append({"id": "COVERAGE", "values": [{"id": "all"}]})
    obs = msg["dataSets"][0]["observations"]
    for k in obs:
        obs[k].append(0)
    events = _read_json(msg)
    lifted = [(e.level, e.key, e.attributes) for e in events if isinstance(e, KeyAttributes)]
    group = {"CURRENCY_DENOM": "EUR", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A"}
    assert lifted == [
        ("group", {"CURRENCY": "NZD", **group}, {"TITLE": "New Zealand dollar (NZD)", "COVERAGE": "all"}),
        ("group", {"CURRENCY": "RUB", **group}, {"TITLE": "Russian rouble (RUB)", "COVERAGE": "all"}),
    ]
    assert [e.attributes for e in events if isinstance(e, Observation)] == [{"OBS_STATUS": "A"}] * 4
