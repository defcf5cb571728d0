"""The data documentation MSD (issue 17): SDMX-ML 3.0 seeds, valid, bilingual, reproducible, loaded by init."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from lxml import etree

from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.storage.artefact_store import ArtefactStore
from tests.xsd import validate_sdmx_ml

ROOT = Path(__file__).resolve().parent.parent
MSD_FILE = ROOT / "structures/MSD_DATA_DOCUMENTATION.xml"
MDF_FILE = ROOT / "dataflows/MDF_DATA_DOCUMENTATION.xml"


@cache
def tool():
    spec = importlib.util.spec_from_file_location("make_metadata_structure", ROOT / "tools/make_metadata_structure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_reproduces_committed_files():
    for path, body in tool().render().items():
        assert (ROOT / path).read_bytes() == body, f"{path} differs: run tools/make_metadata_structure.py"


def test_msd_and_metadataflow_valid_sdmx_ml_3_0():
    for path in (MSD_FILE, MDF_FILE):
        validate_sdmx_ml(path.read_bytes(), "3.0")


def test_every_name_in_english_and_russian():
    root = etree.parse(str(MSD_FILE)).getroot()
    owners = [e for e in root.iter() if e.find("{*}Name") is not None]
    assert len(owners) > 70
    for e in owners:
        langs = [n.get("{http://www.w3.org/XML/1998/namespace}lang") for n in e.findall("{*}Name")]
        assert sorted(langs) == ["en", "ru"], (e.get("id"), langs)
        assert all((n.text or "").strip() for n in e.findall("{*}Name"))


def test_msd_attributes_coded_where_answers_are_closed():
    root = etree.parse(str(MSD_FILE)).getroot()
    atts = {a.get("id"): a for a in root.iter("{*}MetadataAttribute")}
    assert len(atts) >= 40
    enum = {k: a.findtext(".//{*}Enumeration") for k, a in atts.items()}
    assert enum["DATA_SOURCE"].endswith("Codelist=DSM:CL_DATA_SOURCE(1.0)")
    assert atts["DATA_SOURCE"].get("maxOccurs") == "unbounded"
    assert enum["CHILDREN_INCLUDED"].endswith("CL_YES_NO(1.0)")
    assert enum["COMPILATION_FREQ"].endswith("CL_FREQ(1.0)")
    assert enum["DEF_FOREIGNER"] is None and atts["DEF_FOREIGNER"].find(".//{*}TextFormat").get("isMultiLingual") == "true"


def test_init_loads_the_msd_and_its_codelists(config, engine):
    files = seed_files(config)
    assert MSD_FILE.resolve() in [f.resolve() for f in files]
    load_structures(engine, read_files(files))
    with engine.connect() as conn:
        store = ArtefactStore(conn)
        msd = store.get(urn_for("metadatastructure", "DSM", "MSD_DATA_DOCUMENTATION", "1.0"))
        assert msd is not None and msd["names"]["ru"] == "Документация данных"
        cl = store.get(urn_for("codelist", "DSM", "CL_DATA_SOURCE", "1.0"))
        assert [c["id"] for c in cl["codes"]] == ["CENSUS", "POP_REGISTER", "SURVEY", "BORDER", "RES_PERMIT", "OTHER"]


def test_init_stores_the_metadataflow_and_the_structure_api_serves_it_with_its_targets(config, engine, app):
    """Its targets are wildcards (any DSM dataflow, any provider): patterns, not references that must exist."""
    load_structures(engine, read_files(seed_files(config)))
    client = app.test_client()
    r = client.get("/rest/v2/structure/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0",
                   headers={"Accept": "application/vnd.sdmx.structure+xml;version=3.0.0"})
    assert r.status_code == 200, r.data[:500]
    validate_sdmx_ml(r.data, "3.0")
    flow = etree.fromstring(r.data).find(".//{*}Metadataflow")
    assert flow.findtext("{*}Structure").endswith("MetadataStructure=DSM:MSD_DATA_DOCUMENTATION(1.0)")
    assert [t.text for t in flow.findall("{*}Target")] == [
        "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:*(*)",
        "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(*).*"]
    r = client.get("/rest/v2/structure/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0",
                   headers={"Accept": "application/vnd.sdmx.structure+json;version=2.0.0"})
    assert r.status_code == 200 and r.json["data"]["metadataflows"][0]["id"] == "MDF_DATA_DOCUMENTATION"
