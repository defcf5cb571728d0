"""Bad SDMX-JSON 2.0 and SDMX-CSV 2.0 documentation, through the real server: each refused with its place named
(JSON pointer; CSV line and column) and the database exactly as before."""

from __future__ import annotations

import csv
import io
import json

import pytest

from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_writer import write_metadata_csv
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_writer import write_metadata_json
from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message
from tests.test_metadata_api import POST, config, message, world  # noqa: F401 (fixtures)

from .db_dump import dump

JSON = "application/vnd.sdmx.metadata+json;version=2.0.0"
CSV = "application/vnd.sdmx.metadata+csv;version=2.0.0"
CATEGORY = "urn:sdmx:org.sdmx.infomodel.categoryscheme.Category=DSM:CATS(1.0).MIGRATION"
MANDATORY = {"DEF_FOREIGNER", "COLLECTING_INSTITUTIONS", "DATA_SOURCE", "COUNTING_UNIT", "FOCAL_POINT",
             "INFORMATION_PROVIDER", "AS_OF_DATE"}


def json_doc() -> dict:
    return json.loads(write_metadata_json(read_metadata_message(message()), ["en"]))


def csv_rows() -> list[str]:
    return write_metadata_csv(read_metadata_message(message())).decode().split("\r\n")


def csv_body(rows: list[str]) -> bytes:
    return "\r\n".join(rows).encode()


def send(world, body: bytes, media: str):
    return world("POST", POST, "kz_admin", body, **{"Content-Type": media, "Accept": "application/problem+json"})


def _attrs(doc: dict) -> list:
    return doc["data"]["metadataSets"][0]["attributes"]


def _set(doc: dict, path: str, value) -> dict:
    node = doc
    keys = path.split("/")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return doc


def _json_case(name: str) -> tuple[bytes, int, str]:
    """(body, status, words the answer must hold naming the place)."""
    doc = json_doc()
    n = len(_attrs(doc))
    if name == "wrong target":
        return json.dumps(_set(doc, "data/metadataSets/0/targets/0", CATEGORY)).encode(), 400, \
            "/data/metadataSets/0/targets/0: metadata set DOC_STOCK: target"
    if name == "unknown attribute":
        _attrs(doc).append({"id": "NOT_IN_MSD", "value": "x"})
        return json.dumps(doc).encode(), 422, f"unknown-attribute@/data/metadataSets/0/attributes/{n}"
    if name == "code outside its codelist":
        i = next(i for i, a in enumerate(_attrs(doc)) if a["id"] == "COUNTING_UNIT")
        _attrs(doc)[i]["value"] = "HEADS"
        return json.dumps(doc).encode(), 422, f"unknown-code@/data/metadataSets/0/attributes/{i}"
    if name == "missing mandatory answers":
        doc["data"]["metadataSets"][0]["attributes"] = []
        return json.dumps(doc).encode(), 422, "missing-attribute@/data/metadataSets/0"
    if name == "malformed JSON":
        return json.dumps(doc).encode()[:-40], 400, "not valid JSON"
    if name == "a value of the wrong type":
        _attrs(doc)[0]["value"] = ["a", "b"]
        return json.dumps(doc).encode(), 400, "/data/metadataSets/0/attributes/0/value: DEF_FOREIGNER: a value is"
    if name == "a language that is not one":
        _attrs(doc)[0]["value"] = {"en glish": "x"}
        return json.dumps(doc).encode(), 400, "/data/metadataSets/0/attributes/0/value/en glish"
    if name == "deep attribute nesting":
        node: dict = {"id": "DEF_FOREIGNER"}
        top = node
        for _ in range(40):
            node["attributes"] = [{"id": "X"}]
            node = node["attributes"][0]
        _attrs(doc).append(top)
        return json.dumps(doc).encode(), 400, f"/data/metadataSets/0/attributes/{n}" + "/attributes/0" * 16 + \
            ": metadata attributes nest deeper than 16 levels"
    if name == "a character XML forbids":
        _attrs(doc)[0]["value"]["en"] = "A person\u0000"
        return json.dumps(doc).encode(), 400, "/data/metadataSets/0/attributes/0/value/en: holds the character U+0000"
    if name == "deep JSON nesting":
        return b'{"data": {"metadataSets": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}", 400, "nests too deeply"
    if name == "oversized body":
        _attrs(doc)[0]["value"] = {"en": "x" * 1_100_000}
        return json.dumps(doc).encode(), 413, "larger than this server accepts"
    raise AssertionError(name)


def _csv_case(name: str) -> tuple[bytes, int, str]:
    rows = csv_rows()
    header = rows[0].split(",")
    if name == "wrong target":
        return csv_body([rows[0], rows[1].replace("dataflow;dataproviderscheme,DSM:DF_STOCK_FOREIGNERS(1.0)",
                                                  "categoryscheme;dataproviderscheme,DSM:CATS(1.0).MIGRATION")]), 400, \
            "line 2, column 6 (TARGET_IDS): metadata set DOC_STOCK: target"
    if name == "unknown attribute":
        return csv_body([rows[0] + ",NOT_IN_MSD", rows[1] + ",x"]), 422, \
            f"unknown-attribute@line 2, column {len(header) + 1} (NOT_IN_MSD)"
    if name == "code outside its codelist":
        col = header.index("DATA_SOURCE[]")
        return csv_body([rows[0], rows[1].replace("POP_REGISTER;RES_PERMIT", "POP_REGISTER;GUESS")]), 422, \
            f"unknown-code@line 2, column {col + 1} (DATA_SOURCE[])"
    if name == "missing mandatory answers":
        return csv_body([",".join(header[:6]), ",".join(rows[1].split(",")[:6])]), 422, "missing-attribute@line 2"
    if name == "malformed CSV":
        return csv_body([rows[0], rows[1] + ',"unclosed', ""]), 400, "line 2"
    if name == "a row with too many fields":
        return csv_body([rows[0], rows[1] + ",extra"]), 400, "the row has"
    if name == "a text without its language":
        col = header.index("COLLECTING_INSTITUTIONS[en]")
        cells = next(csv.reader([rows[1]]))
        cells[col] = "Migration service"
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return csv_body([rows[0], out.getvalue()]), 400, \
            f"COLLECTING_INSTITUTIONS[en]: 'Migration service' does not start with its language (en:..., ru:...) " \
            f"(line 2, column {col + 1})"
    if name == "an action that does not apply":
        return csv_body([rows[0], rows[1].replace("(1.0),I,dataflow", "(1.0),D,dataflow")]), 400, \
            "ACTION: 'D': only I (Information) and R (Replace)"
    if name == "a character XML forbids":
        return csv_body([rows[0], rows[1].replace("Migration service", "Migration\x01service")]), 400, \
            "holds the character U+0001"
    if name == "not SDMX-CSV":
        return b"STRUCTURE,STRUCTURE_ID\r\ndataflow,DSM:X(1.0)\r\n", 400, "starts with the header MDSTRUCTURE"
    if name == "deep attribute nesting":
        path = ".".join(["DEF_FOREIGNER"] + ["X"] * 40)
        return csv_body([rows[0] + "," + path, rows[1] + ",x"]), 422, \
            f"unknown-attribute@line 2, column {len(header) + 1} ({path[:30]}"
    if name == "oversized body":
        return csv_body([rows[0], rows[1], *["" for _ in range(2)], "x" * 1_100_000]), 413, \
            "larger than this server accepts"
    raise AssertionError(name)


JSON_CASES = ["wrong target", "unknown attribute", "code outside its codelist", "missing mandatory answers",
              "malformed JSON", "a value of the wrong type", "a language that is not one", "a character XML forbids",
              "deep attribute nesting", "deep JSON nesting", "oversized body"]
CSV_CASES = ["wrong target", "unknown attribute", "code outside its codelist", "missing mandatory answers",
             "malformed CSV", "a row with too many fields", "a text without its language",
             "an action that does not apply", "a character XML forbids", "not SDMX-CSV", "deep attribute nesting", "oversized body"]


def _check(world, engine, body: bytes, media: str, status: int, words: str) -> None:
    before = dump(engine)
    r = send(world, body, media)
    text = r.get_data(as_text=True)
    assert r.status_code == status, (r.status_code, text[:800])
    if "@" in words and status == 422:
        rule, where = words.split("@", 1)
        errors = r.get_json()["errors"]
        assert any(e["rule"] == rule and e["where"].startswith(where) for e in errors), errors
        if rule == "missing-attribute":
            assert {e["attribute"] for e in errors if e["rule"] == rule} == MANDATORY
    else:
        assert words in text, text[:800]
    assert dump(engine) == before


@pytest.mark.parametrize("case", JSON_CASES)
def test_bad_sdmx_json_documentation_is_refused_naming_its_place(world, engine, case):
    body, status, words = _json_case(case)
    _check(world, engine, body, JSON, status, words)


@pytest.mark.parametrize("case", CSV_CASES)
def test_bad_sdmx_csv_documentation_is_refused_naming_its_place(world, engine, case):
    body, status, words = _csv_case(case)
    _check(world, engine, body, CSV, status, words)


def test_the_unchanged_messages_are_accepted(world):
    """The bad cases above differ from these by the one fault they name."""
    assert send(world, json.dumps(json_doc()).encode(), JSON).status_code == 202
    assert send(world, csv_body(csv_rows()), CSV).status_code == 202
