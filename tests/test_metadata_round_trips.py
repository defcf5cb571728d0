"""Data documentation in every format, through the real server: each format in (POST), each format out (GET),
the same content every time; answers valid against the official SDMX-ML 3.0 XSD and SDMX-JSON 2.0 schema; and
pysdmx (1.21) writing what we accept and reading what we answer."""

from __future__ import annotations

import json
from dataclasses import replace
from io import BytesIO

import pytest

from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_reader import read_metadata_csv
from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_writer import write_metadata_csv
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_reader import read_metadata_json
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_writer import write_metadata_json
from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message
from sdmx_server.sdmx.metadata_set import AttributeValue
from tests.formats.test_metadata_readers_writers import content, validate_json_metadata
from tests.test_metadata_api import MDF, POST, STOCK, config, message, world  # noqa: F401 (fixtures)
from tests.xsd import validate_sdmx_ml

from .db_dump import dump

KZ = "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).KZ"
QUERY = "/rest/v2/metadata/metadataset/KZ/DOC_STOCK/~"
TYPES = {"xml": "application/vnd.sdmx.metadata+xml;version=3.0.0",
         "json": "application/vnd.sdmx.metadata+json;version=2.0.0",
         "csv": "application/vnd.sdmx.metadata+csv;version=2.0.0"}
READERS = {"xml": read_metadata_message, "json": read_metadata_json, "csv": read_metadata_csv}


def documentation():
    """The documentation submitted: text with separators, quotes, a line break and Cyrillic; repeated codes."""
    (s,) = read_metadata_message(message())
    values = [v for v in s.values if v.attribute != "DEF_FOREIGNER"]
    values.insert(0, AttributeValue("DEF_FOREIGNER", texts={"en": 'A person; not a "citizen",\nnor stateless',
                                                            "ru": "Лицо, не являющееся гражданином; «иностранец»"}))
    values.append(AttributeValue("DEF_FOREIGNER_LAW", texts={"en": "Law 1"}))
    return replace(s, values=tuple(values), names={"en": "Stock; \"foreigners\"", "ru": "Численность"})


def bodies() -> dict[str, bytes]:
    doc = documentation()
    from datetime import datetime, timezone

    from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import write_metadata_message
    return {"xml": write_metadata_message([doc], message_id="M1", prepared=datetime(2026, 7, 1, tzinfo=timezone.utc)),
            "json": write_metadata_json([doc], ["en"]), "csv": write_metadata_csv([doc])}


def test_the_documentation_fits_the_msd_attributes_used():
    """DEF_FOREIGNER_LAW must be an attribute of the MSD, or the round trips below would be refused."""
    from pathlib import Path

    from lxml import etree

    msd = etree.parse(str(Path(__file__).resolve().parent.parent / "structures/MSD_DATA_DOCUMENTATION.xml"))
    ids = {a.get("id") for a in msd.iter("{*}MetadataAttribute")}
    assert {v.attribute for v in documentation().values} <= ids and len(ids) >= 40


@pytest.mark.parametrize("fmt_in", ["xml", "json", "csv"])
def test_each_format_in_each_format_out_same_content(world, fmt_in):
    expected = content(documentation())
    r = world("POST", POST + "?release=now", "kz_admin", bodies()[fmt_in], **{"Content-Type": TYPES[fmt_in]})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["metadataSets"][0]["attributeValues"] == len(documentation().values)
    for fmt_out, media in TYPES.items():
        r = world("GET", QUERY, "kz_sub", Accept=media)
        assert r.status_code == 200 and r.content_type.startswith(media), (fmt_out, r.status_code)
        if fmt_out == "xml":
            validate_sdmx_ml(r.data, "3.0")
        elif fmt_out == "json":
            validate_json_metadata(json.loads(r.data))
        (got,) = READERS[fmt_out](r.data)
        assert content(got) == expected, (fmt_in, fmt_out)


def test_csv_answer_follows_the_msd_column_order_and_stubs_have_no_attribute_columns(world):
    assert world("POST", POST + "?release=now", "kz_admin", bodies()["csv"],
                 **{"Content-Type": "text/csv"}).status_code == 200
    r = world("GET", QUERY, "kz_sub", Accept="text/csv")
    header = r.data.split(b"\r\n", 1)[0].decode().split(",")
    assert header[:6] == ["MDSTRUCTURE[;]", "MDSTRUCTURE_ID", "METADATASET_ID", "ACTION", "TARGET_TYPES", "TARGET_IDS"]
    assert header.index("DEF_FOREIGNER[en;ru]") < header.index("DATA_SOURCE[]") < header.index("AS_OF_DATE")
    assert "COUNTING_UNIT[]" not in header and "COUNTING_UNIT" in header  # maxOccurs 1: no []
    stubs = world("GET", QUERY + "?detail=allstubs", "kz_sub", Accept="text/csv")
    assert stubs.status_code == 200
    assert stubs.data.split(b"\r\n", 1)[0] == (b"MDSTRUCTURE[;],MDSTRUCTURE_ID,METADATASET_ID,ACTION,TARGET_TYPES,"
                                               b"TARGET_IDS,metadataSetName[en;ru],validFrom")


# -- pysdmx ----------------------------------------------------------------------------------------------
def _report(version: str, *, texts: bool = True):
    from pysdmx.model.metadata import MetadataAttribute, MetadataReport

    text = (lambda en, ru: {"en": en, "ru": ru}) if texts else (lambda en, ru: en)
    return MetadataReport(
        id="DOC_STOCK", agency="KZ", version=version, name="Stock of foreigners", metadataflow=MDF,
        targets=[STOCK, KZ], attributes=[
            MetadataAttribute(id="DEF_FOREIGNER", value=text("A person who is not a citizen", "Лицо")),
            MetadataAttribute(id="COLLECTING_INSTITUTIONS", value=text("Migration service", "Миграционная служба")),
            MetadataAttribute(id="DATA_SOURCE", value="POP_REGISTER"),
            MetadataAttribute(id="DATA_SOURCE", value="RES_PERMIT"),
            MetadataAttribute(id="COUNTING_UNIT", value="PERSONS"),
            MetadataAttribute(id="FOCAL_POINT", value=text("Bureau of statistics", "Бюро")),
            MetadataAttribute(id="INFORMATION_PROVIDER", value=text("A. Analyst", "А. Аналитик")),
            MetadataAttribute(id="AS_OF_DATE", value="2026-06-30")])


def test_pysdmx_json_is_accepted_and_pysdmx_reads_our_answers_back(world):
    from pysdmx.io import read_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.writer import write_sdmx

    sent = _report("1.0.0")
    body = write_sdmx([sent], Format.REFMETA_SDMX_JSON_2_0_0).encode()
    r = world("POST", POST + "?release=now", "kz_admin", body, **{"Content-Type": TYPES["json"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    for fmt in ("json", "xml"):
        answer = world("GET", QUERY, "kz_sub", Accept=TYPES[fmt])
        msg = read_sdmx(BytesIO(answer.data), validate=True)
        (got,) = msg.reports if hasattr(msg, "reports") else msg.get_reports()
        assert (got.id, got.agency, got.metadataflow, tuple(got.targets)) == ("DOC_STOCK", "KZ", MDF, (STOCK, KZ))
        by_id = {a.id: a.value for a in got.attributes}
        assert tuple(by_id["DATA_SOURCE"]) == ("POP_REGISTER", "RES_PERMIT")
        assert (by_id["COUNTING_UNIT"], by_id["AS_OF_DATE"]) == ("PERSONS", "2026-06-30")
        if fmt == "json":
            assert by_id == {a.id: a.value for a in sent.attributes if a.id != "DATA_SOURCE"} | {
                "DATA_SOURCE": by_id["DATA_SOURCE"]}
        else:  # pysdmx 1.21 reads md:Value only, not com:Text: multilingual text comes back empty
            assert by_id["DEF_FOREIGNER"] is None


def test_pysdmx_sdmx_ml_is_read_but_its_texts_are_values_so_the_msd_check_names_each(world, engine):
    """pysdmx 1.21 writes every value as md:Value (no com:Text): the MSD's multilingual attributes get plain
    values, and the 422 names each of them; nothing is stored."""
    from pysdmx.io.format import Format
    from pysdmx.io.writer import write_sdmx

    body = write_sdmx([_report("1.0", texts=False)], Format.REFMETA_SDMX_ML_3_0).encode()
    before = dump(engine)
    r = world("POST", POST, "kz_admin", body, Accept="application/problem+json")
    assert r.status_code == 422, r.get_data(as_text=True)
    assert {e["attribute"] for e in r.get_json()["errors"] if e["rule"] == "missing-text"} == {
        "DEF_FOREIGNER", "COLLECTING_INSTITUTIONS", "FOCAL_POINT", "INFORMATION_PROVIDER"}
    assert dump(engine) == before
