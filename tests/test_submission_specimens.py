"""Every data message among the specimens whose structure is there ingests over HTTP and stores what
an independent reader (sdmx1, or the csv module where sdmx1 cannot say) reads from the same file.

tests/test_data_submission.py covers ECB_EXR/1 and the ng-/sg- SDMX-ML 2.1 shapes; this file adds the
rg- shapes, sg-ts-gf-flat-ss, the SDMX-ML 3.0 messages of specimens/v3/xml, Eurostat's demography
cross-section and the SDMX-CSV 2.0 examples of specimens/v3/csv. The SDMX-JSON specimens are left to
the JSON reader's own tests.

Specimens left out, and why (no pytest skip: they are simply not data messages with a structure):
- ESTAT/NAMA_10_GDP-ss.xml names ESTAT:NAMA_10_GDP(32.1), whose structure is not among the specimens;
- ESTAT/footer.xml, footer2.xml are query responses holding only a footer (no data set, no structure);
- ESTAT/esms*.xml are reference metadata, not data; v21/xml/demography/demography_xs.xml is the same
  file as ESTAT/demography-xs.xml; v21/xml/query and the VTL samples are structure messages;
- v3/csv examples 08, 09-A, 09-B, 11, 12, 13 and 14 name structures other than ESTAT:NA_MAIN(1.6.0)
  (NA_MAIN(1.7.0), DF_NA_MAIN, DSD_A..., AGENCY:DF_ID, AGENCY:DPA_ID), none of which is published.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path
from unittest import mock

import pytest
import sdmx
import sdmx.reader.xml.v30  # imported early on purpose: see the note below the imports
from sqlalchemy import text

from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.seeding import load_structures, read_files
from sdmx_server.storage.artefact_store import ArtefactStore

from .db_dump import dump
from .test_data_submission import load, provision, sdmx1_reading, stored

logging.getLogger("sdmx").setLevel(logging.ERROR)  # sdmx1 logs every CSV column a DSD component lacks
# sdmx1 2.28 builds its SDMX-ML 3.0 parsers, on first import, from the 2.1 reader's table, where reading
# 2.1 structure-specific data has added entries in the data's own namespace (ECB_EXR_RG...:ObsLevelDim):
# imported after such a read, sdmx.reader.xml.v30 fails with ValueError. Importing it first avoids that.

# -- SDMX-ML: (structure files loaded in order, DSD id, agency, data file) ---------------------------------

RG = [f"ECB_EXR/rg-{shape}.xml" for shape in
      ("ts", "ts-ss", "ts-gf", "ts-gf-ss", "xs", "xs-ss", "flat", "flat-ss")]
XML_CASES = [
    *[(["ECB_EXR/rg-structure-full.xml"], "ECB_EXR_CG", "ECB", name) for name in RG],
    (["ECB_EXR/sg-structure-full.xml"], "ECB_EXR_SG", "ECB", "ECB_EXR/sg-ts-gf-flat-ss.xml"),
    # SDMX-ML 3.0: the DSD file holds no codelists; ECB_EXR/1 has ECB's (same URNs)
    (["ECB_EXR/1/structure-full.xml", "v3/xml/ECB_EXR1.xml"], "ECB_EXR", "ECB", "v3/xml/ECB_EXR0.xml"),
    # complex (multi-valued, multilingual) attribute values; sdmx1 reads the three observations
    (["ECB_EXR/1/structure-full.xml", "v3/xml/ECB_EXR_CA_DSD.xml"], "ECB_EXR_COMPLEX_ATTRIBUTES", "ECB",
     "v3/xml/ECB_EXR_CA.xml"),
    # Eurostat's explicit-measure cross-section: measure dimension DEMO enumerated by a concept scheme,
    # some observations carry OBS_STATUS="M" and no OBS_VALUE. The SDMX codelists the DSD refers to as
    # external references (structureURL ../common/common.xml) are in v21/xml/common/common.xml.
    (["v21/xml/common/common.xml", "ESTAT/demography-structure.xml"], "DEMOGRAPHY", "ESTAT",
     "ESTAT/demography-xs.xml"),
]

# Like sg-xs.xml (see tests/test_data_submission.py), ECB's rg- cross-section sample holds the section
# 2010-08 twice with different values: refused, naming the keys, storing nothing.
TWICE = {"ECB_EXR/rg-xs.xml"}


@pytest.mark.parametrize("structures,dsd_id,agency,name", XML_CASES, ids=[Path(c[3]).name for c in XML_CASES])
def test_sdmx_ml_specimens_store_what_sdmx1_reads(engine, admin, specimens, structures, dsd_id, agency, name):
    for structure in structures:
        load(engine, specimens / structure)
    url = provision(engine, agency, "F_" + dsd_id, urn_for("datastructure", agency, dsd_id, "1.0"), provider=agency)
    before = dump(engine)
    r = admin("POST", f"{url}?provider={agency}", (specimens / name).read_bytes(), Accept="application/problem+json")
    if name in TWICE:
        problem = r.get_json()
        assert r.status_code == 422 and {e["rule"] for e in problem["errors"]} == {"duplicate-key"}, problem
        assert {e["period"] for e in problem["errors"]} == {"2010-08"} and problem["errorCount"] == 4
        assert dump(engine) == before
        return
    assert r.status_code == 200, r.data[:3000].decode()
    expected = sdmx1_reading(specimens / structures[-1], specimens / name, dsd_id)
    assert expected and stored(engine) == expected
    receipt = r.get_json()["observations"]
    assert receipt["inserted"] == receipt["read"] >= len(expected) and receipt["updated"] == 0


# -- SDMX-CSV 2.0: the examples of the SDMX-CSV field guide (specimens/v3/csv) --------------------------
#
# They report ESTAT:NA_MAIN(1.6.0), whose structure was never published. sdmx1's own tests read them
# with a DSD made by hand (DIM_1, DIM_2, DIM_3, OBS_VALUE or OBS_VALUE1/OBS_VALUE2, ATTR_1..3); this one
# is the same, written as an SDMX-ML 3.0 structure message that both the server and sdmx1 read. DIM_3
# is the time dimension (example 5's timeFormat=normalized rewrites it, which only applies to time);
# the attributes are free text (examples 7, 8 and 15 give them lists, languages and XHTML); UPDATED
# is, as example 1 says, a custom column and no component.

def na_main_structure(measures: tuple[str, ...] = ("OBS_VALUE",)) -> bytes:
    cl = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=ESTAT:{}(1.0)"
    concept = "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=ESTAT:CS_NA_MAIN(1.0).{}"
    ids = ["DIM_1", "DIM_2", "DIM_3", *measures, "ATTR_1", "ATTR_2", "ATTR_3"]

    def dimension(position: int, cid: str) -> str:
        return (f'<str:Dimension id="{cid}" position="{position}"><str:ConceptIdentity>{concept.format(cid)}'
                f'</str:ConceptIdentity><str:LocalRepresentation><str:Enumeration>{cl.format("CL_" + cid)}'
                '</str:Enumeration></str:LocalRepresentation></str:Dimension>')

    def attribute(cid: str) -> str:
        return (f'<str:Attribute id="{cid}" usage="optional"><str:ConceptIdentity>{concept.format(cid)}'
                '</str:ConceptIdentity><str:LocalRepresentation><str:TextFormat textType="String"/>'
                '</str:LocalRepresentation><str:AttributeRelationship><str:Observation/>'
                '</str:AttributeRelationship></str:Attribute>')

    def measure(cid: str) -> str:
        return (f'<str:Measure id="{cid}" usage="mandatory"><str:ConceptIdentity>{concept.format(cid)}'
                '</str:ConceptIdentity><str:LocalRepresentation><str:TextFormat textType="Double"/>'
                '</str:LocalRepresentation></str:Measure>')

    def code(cid: str) -> str:
        return f'<str:Code id="{cid}"><com:Name xml:lang="en">Value {cid}</com:Name></str:Code>'

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
    xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
    xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
 <mes:Header><mes:ID>NA_MAIN</mes:ID><mes:Test>true</mes:Test><mes:Prepared>2024-01-01T00:00:00Z</mes:Prepared>
  <mes:Sender id="ESTAT"/></mes:Header>
 <mes:Structures>
  <str:Codelists>
   <str:Codelist agencyID="ESTAT" id="CL_DIM_1" version="1.0"><com:Name xml:lang="en">Dimension 1</com:Name>
    {code("A")}</str:Codelist>
   <str:Codelist agencyID="ESTAT" id="CL_DIM_2" version="1.0"><com:Name xml:lang="en">Dimension 2</com:Name>
    {code("A")}{code("B")}</str:Codelist>
  </str:Codelists>
  <str:ConceptSchemes><str:ConceptScheme agencyID="ESTAT" id="CS_NA_MAIN" version="1.0">
   <com:Name xml:lang="en">National accounts concepts</com:Name>
   {"".join(f'<str:Concept id="{c}"><com:Name xml:lang="en">{c}</com:Name></str:Concept>' for c in ids)}
  </str:ConceptScheme></str:ConceptSchemes>
  <str:DataStructures><str:DataStructure agencyID="ESTAT" id="DSD_NA_MAIN" version="1.6.0">
   <com:Name xml:lang="en">National Accounts Main Aggregates</com:Name>
   <str:DataStructureComponents>
    <str:DimensionList id="DimensionDescriptor">{dimension(1, "DIM_1")}{dimension(2, "DIM_2")}
     <str:TimeDimension id="DIM_3"><str:ConceptIdentity>{concept.format("DIM_3")}</str:ConceptIdentity>
      <str:LocalRepresentation><str:TextFormat textType="ObservationalTimePeriod"/></str:LocalRepresentation>
     </str:TimeDimension></str:DimensionList>
    <str:AttributeList id="AttributeDescriptor">{"".join(attribute(a) for a in ("ATTR_1", "ATTR_2", "ATTR_3"))}
    </str:AttributeList>
    <str:MeasureList id="MeasureDescriptor">{"".join(measure(m) for m in measures)}</str:MeasureList>
   </str:DataStructureComponents></str:DataStructure></str:DataStructures>
  <str:Dataflows><str:Dataflow agencyID="ESTAT" id="NA_MAIN" version="1.6.0">
   <com:Name xml:lang="en">National Accounts Main Aggregates</com:Name>
   <str:Structure>urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=ESTAT:DSD_NA_MAIN(1.6.0)</str:Structure>
  </str:Dataflow></str:Dataflows>
 </mes:Structures>
</mes:Structure>
""".encode()


NA_MAIN = "/rest/v2/data/dataflow/ESTAT/NA_MAIN/1.6.0?provider=ESTAT"
TWO_MEASURES = ("OBS_VALUE1", "OBS_VALUE2")


def na_main(engine, tmp_path: Path, measures: tuple[str, ...]) -> bytes:
    """Store the NA_MAIN structure and an agreement letting provider ESTAT report it."""
    structure = na_main_structure(measures)
    (tmp_path / "na_main.xml").write_bytes(structure)
    # the SDMX-CSV 2.0 examples' time dimension is DIM_3, which the SDMX-ML 3.0 XSD fixes to TIME_PERIOD:
    # the model allows it, so this structure is read without the intake's XSD check
    with mock.patch("sdmx_server.sdmx.formats.sdmx_ml_structure_reader.validate_message"):
        load_structures(engine, read_files([tmp_path / "na_main.xml"]))
    flow = urn_for("dataflow", "ESTAT", "NA_MAIN", "1.6.0")
    providers = {"type": "dataproviderscheme", "agencyID": "ESTAT", "id": "DATA_PROVIDERS", "version": "1.0",
                 "isFinal": True, "names": {"en": "Providers"}, "dataProviders": [{"id": "ESTAT", "names": {"en": "ESTAT"}}]}
    agreement = {"type": "provisionagreement", "agencyID": "ESTAT", "id": "PA_NA_MAIN_ESTAT", "version": "1.0",
                 "isFinal": True, "names": {"en": "ESTAT reports NA_MAIN"}, "dataflow": flow,
                 "dataProvider": urn_for("dataproviderscheme", "ESTAT", "DATA_PROVIDERS", "1.0", "ESTAT")}
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        store.put(providers)
        store.put(agreement)
    return structure


def _delimiter(first_line: str) -> str:
    # SDMX-CSV 2.0: the first header field is STRUCTURE, or STRUCTURE[x] announcing the sub-field
    # separator x; the character after it is the field delimiter (example 4 uses ';')
    return re.match(r"STRUCTURE(?:\[[^\]]*\])?(.)", first_line).group(1)


def csv_reading(path: Path, measures: tuple[str, ...]) -> dict[tuple[str, str], dict[str, str]]:
    """(DIM_1.DIM_2, DIM_3) -> measure values as written, read with nothing but the csv module."""
    body = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=_delimiter(body)))
    # "ID: Name" headers and values (labels=both) count by their id; "ATTR[]" by the part before "["
    header = [h.split(": ")[0].split("[")[0] for h in rows[0]]
    out = {}
    for row in rows[1:]:
        cells = dict(zip(header, row))  # labels=name's name columns come after, under their own titles
        code = {c: cells[c].split(": ")[0] for c in ("DIM_1", "DIM_2", "DIM_3")}
        out[(f"{code['DIM_1']}.{code['DIM_2']}", code["DIM_3"])] = {m: cells[m] for m in measures if cells.get(m)}
    return out


def as_numbers(reading: dict, decimal_comma: bool) -> dict[tuple[str, str], dict[str, float]]:
    return {k: {m: float(v.replace(",", ".") if decimal_comma else v) for m, v in values.items()}
            for k, values in reading.items()}


def sdmx1_csv_reading(path: Path, structure: bytes) -> dict[tuple[str, str], str]:
    """sdmx1's reading of a one-measure example: (DIM_1.DIM_2, DIM_3) -> value as written."""
    flow = sdmx.read_sdmx(io.BytesIO(structure)).dataflow["NA_MAIN"]
    msg = sdmx.read_sdmx(path, structure=flow, delimiter=_delimiter(path.read_text(encoding="utf-8")))
    out = {}
    for ds in msg.data:
        for obs in ds.obs:
            key = {k: str(v.value).split(": ")[0] for k, v in obs.key.values.items()}  # labels=both
            out[(f"{key['DIM_1']}.{key['DIM_2']}", key["DIM_3"])] = obs.value
    return out


def stored_measures(engine, measures: tuple[str, ...]) -> dict[tuple[str, str], dict[str, float]]:
    """Current observations: the first measure is the value column, further measures sit with the attributes."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    out = {}
    for key, period, value, attributes in rows:
        extra = json.loads(attributes or "{}")
        values = {measures[0]: value, **{m: extra.get(m) for m in measures[1:]}}
        out[(key, period)] = {m: float(v) for m, v in values.items() if v not in (None, "")}
    return out


CSV_INGEST = ["01", "02", "03", "04", "05", "06", "07", "10", "15"]


@pytest.mark.parametrize("example", CSV_INGEST)
def test_sdmx_csv_examples_store_what_they_hold(engine, admin, specimens, tmp_path, example):
    path = specimens / "v3" / "csv" / f"example-{example}.csv"
    measures = TWO_MEASURES if example in ("02", "03") else ("OBS_VALUE",)
    structure = na_main(engine, tmp_path, measures)
    expected_text = csv_reading(path, measures)
    if len(measures) == 1:
        # sdmx1 keeps one value per observation, so it can vouch for the one-measure examples only
        assert sdmx1_csv_reading(path, structure) == {k: v["OBS_VALUE"] for k, v in expected_text.items()}
    # example 4 is the fr-FR rendering: ';' between fields and, as its note says, ',' before decimals
    expected = as_numbers(expected_text, decimal_comma=example == "04")
    r = admin("POST", NA_MAIN, path.read_bytes(), Accept="application/problem+json", **{"Content-Type": "text/csv"})
    assert r.status_code == 200, r.data[:2000].decode()
    assert len(expected) == 2 and stored_measures(engine, measures) == expected
    assert r.get_json()["observations"] == {"read": 2, "inserted": 2, "updated": 0, "deleted": 0}


# Deletions (examples 16-19), applied to this data: DIM_2 A and B, two months each, every attribute.
BASE = """STRUCTURE,STRUCTURE_ID,ACTION,DIM_1,DIM_2,DIM_3,OBS_VALUE,ATTR_1,ATTR_2,ATTR_3
dataflow,ESTAT:NA_MAIN(1.6.0),I,A,A,2014-01,1.5,a1,a2,a3
dataflow,ESTAT:NA_MAIN(1.6.0),I,A,A,2014-02,2.5,a1,a2,a3
dataflow,ESTAT:NA_MAIN(1.6.0),I,A,B,2014-01,12.4,b1,b2,b3
dataflow,ESTAT:NA_MAIN(1.6.0),I,A,B,2014-02,10.8,b1,b2,b3
"""
# Examples 19A and 19B delete everything of the data structure: a Delete row whose dimensions are
# empty (or absent) is a wildcard. Examples 16 and 17 mark single values and attributes to delete
# ("-"): the field guide deletes only those components; that is not supported yet, so they are
# refused, naming the cell, and nothing changes.
def current(engine) -> dict[tuple[str, str], tuple[str | None, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): (v, json.loads(a or "{}")) for k, p, v, a in rows}


@pytest.mark.parametrize("example", ["19A", "19B"])
def test_sdmx_csv_wildcard_deletes_remove_everything_they_match(engine, admin, specimens, tmp_path, example):
    na_main(engine, tmp_path, ("OBS_VALUE",))
    r = admin("POST", NA_MAIN, BASE.encode(), **{"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["observations"]["inserted"] == 4
    path = specimens / "v3" / "csv" / f"example-{example}.csv"
    r = admin("POST", NA_MAIN, path.read_bytes(), Accept="application/problem+json", **{"Content-Type": "text/csv"})
    assert r.status_code == 200, r.data[:2000].decode()
    assert r.get_json()["observations"]["deleted"] == 4
    assert current(engine) == {}


def test_sdmx_csv_wildcard_delete_of_one_period(engine, admin, tmp_path):
    na_main(engine, tmp_path, ("OBS_VALUE",))
    admin("POST", NA_MAIN, BASE.encode(), **{"Content-Type": "text/csv"})
    body = "STRUCTURE,STRUCTURE_ID,ACTION,DIM_2,DIM_3\ndataflow,ESTAT:NA_MAIN(1.6.0),D,,2014-02\n"
    r = admin("POST", NA_MAIN, body.encode(), **{"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["observations"]["deleted"] == 2
    assert sorted(current(engine)) == [("A.A", "2014-01"), ("A.B", "2014-01")]


@pytest.mark.parametrize("example", ["16", "17"])
def test_sdmx_csv_deletes_of_single_values_are_refused(engine, admin, specimens, tmp_path, example):
    na_main(engine, tmp_path, ("OBS_VALUE",))
    admin("POST", NA_MAIN, BASE.encode(), **{"Content-Type": "text/csv"})
    before = dump(engine)
    path = specimens / "v3" / "csv" / f"example-{example}.csv"
    r = admin("POST", NA_MAIN, path.read_bytes(), Accept="application/problem+json", **{"Content-Type": "text/csv"})
    assert r.status_code == 400
    assert r.get_json()["detail"].startswith(
        "row 2, column OBS_VALUE: deleting a single value or attribute ('-') is not supported yet")
    assert dump(engine) == before


def test_sdmx_csv_delete_with_a_period_that_is_none_is_refused(engine, admin, specimens, tmp_path):
    """Example 18 deletes DIM_2=A (all periods) and DIM_2=B at DIM_3=C; C is no period of the time dimension."""
    na_main(engine, tmp_path, ("OBS_VALUE",))
    admin("POST", NA_MAIN, BASE.encode(), **{"Content-Type": "text/csv"})
    before = dump(engine)
    r = admin("POST", NA_MAIN, (specimens / "v3/csv/example-18.csv").read_bytes(), Accept="application/problem+json",
              **{"Content-Type": "text/csv"})
    problem = r.get_json()
    assert r.status_code == 422, problem
    assert [(e["rule"], e["where"], e.get("component"), e.get("value")) for e in problem["errors"]] == [
        ("period-format", "row 3, column DIM_3", "DIM_3", "C")]
    assert dump(engine) == before


# -- SDMX-ML 3.0 complex attribute values ------------------------------------------------------------------

CA_STRUCTURES = ["ECB_EXR/1/structure-full.xml", "v3/xml/ECB_EXR_CA_DSD.xml"]


def _submit_ca(engine, admin, specimens, data: bytes):
    for structure in CA_STRUCTURES:
        load(engine, specimens / structure)
    url = provision(engine, "ECB", "F_ECB_EXR_COMPLEX_ATTRIBUTES",
                    urn_for("datastructure", "ECB", "ECB_EXR_COMPLEX_ATTRIBUTES", "1.0"), provider="ECB")
    return admin("POST", f"{url}?provider=ECB", data, Accept="application/problem+json")


def test_complex_attribute_values_are_stored_as_lists(engine, admin, specimens):
    r = _submit_ca(engine, admin, specimens, (specimens / "v3/xml/ECB_EXR_CA.xml").read_bytes())
    assert r.status_code == 200, r.data[:3000].decode()
    with engine.connect() as conn:
        keyed = conn.execute(text("SELECT level, key, attributes FROM key_attribute WHERE valid_to IS NULL")).all()
        obs = dict(conn.execute(text("SELECT time_period, attributes FROM observation WHERE valid_to IS NULL")).all())
    assert [(level, key) for level, key, _ in keyed] == [("series", "A.CAD.EUR.SP00.A")]
    series = json.loads(keyed[0][2])
    assert series["TITLE"] == [
        {"en": "Some English Text", "fr": "Quelques textes en anglais"},
        {"en": "Additional English Text where lang defaults to en", "fr": "Texte anglais supplémentaire"}]
    assert series["SOURCE_AGENCY"] == ["4F0", "4D0", "CZ2"]
    assert series["SOURCE_PUB"] == ["First publication source", "Second publication source"]
    assert series["UNIT"] == "CAD" and series["DECIMALS"] == "4"
    assert {p: json.loads(a) for p, a in obs.items()} == {
        "2017": {"OBS_STATUS": ["A", "F"]}, "2018": {"OBS_STATUS": ["J", "U", "N"]}, "2019": {"OBS_STATUS": ["A"]}}


def test_an_unknown_code_in_a_complex_value_is_refused(engine, admin, specimens):
    data = (specimens / "v3/xml/ECB_EXR_CA.xml").read_bytes()
    data = data.replace(b"<Value>U</Value>", b"<Value>QQ</Value>").replace(b"<Value>4D0</Value>", b"<Value>Q9Q</Value>")
    r = _submit_ca(engine, admin, specimens, data)
    problem = r.get_json()
    assert r.status_code == 422, problem
    errors = {e["component"]: e for e in problem["errors"]}
    assert set(errors) == {"OBS_STATUS", "SOURCE_AGENCY"} and problem["errorCount"] == 2, problem
    status, agency = errors["OBS_STATUS"], errors["SOURCE_AGENCY"]
    assert status["rule"] == "unknown-code" and status["value"] == "QQ"
    assert status["where"] == "line 46, column 4, value 2 of 3" and status["period"] == "2018"
    assert status["series_key"] == "A.CAD.EUR.SP00.A"
    assert agency["rule"] == "unknown-code" and agency["value"] == "Q9Q"
    assert agency["where"] == "line 18, column 3, value 2 of 3"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM observation")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM key_attribute")).scalar() == 0
