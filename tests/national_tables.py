"""A national SQLite table of Kazakhstan's foreigners (national codes, Cyrillic labels) and the SDMX maps that
translate it into DF_STOCK_FOREIGNERS, stored as StructureMap and RepresentationMap artefacts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.maintenance.structure_intake import read_structures
from sdmx_server.storage.artefact_store import ArtefactStore

RM = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap=KZ_STAT:{}(1.0)"
SM_URN = "urn:sdmx:org.sdmx.infomodel.structuremapping.StructureMap=KZ_STAT:SM_STOCK(1.0)"
CL = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:{}(1.0)"
FLOW = "DSM:DF_STOCK_FOREIGNERS(1.0)"
FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
NATIONAL_DSD_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=KZ_STAT:DSD_REGISTER(1.0)"
_CONCEPT = "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=KZ_STAT:CS_REGISTER(1.0).{}"


def _national_structure() -> bytes:
    """The national register's table described as a data structure (SDMX-ML 3.0): the source of the
    StructureMap, whose source components must be this structure's components (its columns)."""
    dims = [("POL", "String"), ("GRAZHDANSTVO", "String"), ("PERIOD", "String")]
    concepts = "".join(f'<str:Concept urn="{_CONCEPT.format(c)}" id="{c}"><com:Name xml:lang="en">{c}</com:Name>'
                       f'</str:Concept>' for c in [*(d for d, _ in dims), "CHISLENNOST"])
    dimensions = "".join(
        f'<str:Dimension id="{d}" position="{i}"><str:ConceptIdentity>{_CONCEPT.format(d)}</str:ConceptIdentity>'
        f'<str:LocalRepresentation><str:TextFormat textType="{t}"/></str:LocalRepresentation></str:Dimension>'
        for i, (d, t) in enumerate(dims, 1))
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
 xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
 xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
<mes:Header><mes:ID>KZ_REGISTER</mes:ID><mes:Test>false</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
<mes:Sender id="KZ_STAT"/></mes:Header>
<mes:Structures>
<str:ConceptSchemes><str:ConceptScheme urn="urn:sdmx:org.sdmx.infomodel.conceptscheme.ConceptScheme=KZ_STAT:CS_REGISTER(1.0)"
 agencyID="KZ_STAT" id="CS_REGISTER" version="1.0"><com:Name xml:lang="en">Register columns</com:Name>{concepts}
</str:ConceptScheme></str:ConceptSchemes>
<str:DataStructures><str:DataStructure urn="{NATIONAL_DSD_URN}" agencyID="KZ_STAT" id="DSD_REGISTER" version="1.0">
<com:Name xml:lang="en">Register of foreigners (national table)</com:Name><str:DataStructureComponents>
<str:DimensionList id="DimensionDescriptor">{dimensions}</str:DimensionList>
<str:MeasureList id="MeasureDescriptor"><str:Measure id="CHISLENNOST"><str:ConceptIdentity>{_CONCEPT.format("CHISLENNOST")}</str:ConceptIdentity>
<str:LocalRepresentation><str:TextFormat textType="Integer"/></str:LocalRepresentation></str:Measure>
</str:MeasureList></str:DataStructureComponents></str:DataStructure></str:DataStructures>
</mes:Structures></mes:Structure>""".encode()

# (ПОЛ, ГРАЖДАНСТВО, ПЕРИОД, ЧИСЛЕННОСТЬ) as the national register keeps them
NATIONAL = [("м", "Россия", "2023-1", 1500), ("ж", "Россия", "2023-1", 1234), ("м", "Китай", "2023-1", 310),
            ("ж", "Китай", "2023-2", 295), ("м", "Узбекистан", "2023-2", 800), ("ж", "Узбекистан", "2023-2", 770)]


def _map(id_: str, codelist: str | None, mappings: list[dict]) -> dict:
    target = {"codelist": CL.format(codelist)} if codelist else {"dataType": "ObservationalTimePeriod"}
    return {"type": "representationmap", "agencyID": "KZ_STAT", "id": id_, "version": "1.0", "isFinal": True,
            "names": {"en": id_}, "source": [{"dataType": "String"}], "target": [target],
            "representationMappings": mappings}


def maps() -> list[dict]:
    def exact(pairs):
        return [{"sourceValues": [{"value": s, "isRegEx": False}], "targetValues": [t]} for s, t in pairs]

    return [
        _map("RM_POL", "CL_SEX", exact([("м", "M"), ("ж", "F")])),
        _map("RM_GRAZHDANSTVO", "CL_AREA", exact([("Россия", "RU"), ("Китай", "CN"), ("Узбекистан", "UZ")])),
        _map("RM_PERIOD", None, [{"sourceValues": [{"value": r"(\d{4})-([12])", "isRegEx": True}],
                                       "targetValues": [r"\1-S\2"]}]),
        {"type": "structuremap", "agencyID": "KZ_STAT", "id": "SM_STOCK", "version": "1.0", "isFinal": True,
         "names": {"en": "Register of foreigners to the stock of foreigners"},
         "source": NATIONAL_DSD_URN, "target": FLOW_URN,
         "componentMaps": [{"source": ["POL"], "target": ["SEX"], "representationMap": RM.format("RM_POL")},
                           {"source": ["GRAZHDANSTVO"], "target": ["CITIZENSHIP"],
                            "representationMap": RM.format("RM_GRAZHDANSTVO")},
                           {"source": ["PERIOD"], "target": ["TIME_PERIOD"],
                            "representationMap": RM.format("RM_PERIOD")},
                           {"source": ["CHISLENNOST"], "target": ["OBS_VALUE"]}],
         "fixedValueMaps": [{"target": "FREQ", "values": ["S"]}, {"target": "REF_AREA", "values": ["KZ"]},
                            {"target": "UNIT_MEASURE", "values": ["PS"]}, {"target": "OBS_STATUS", "values": ["A"]}]},
    ]


def maps_message() -> bytes:
    """The maps as an SDMX-JSON 2.0 structure message, as a national officer loads them (sdmx-server load)."""
    import json

    data: dict[str, list] = {"representationMaps": [], "structureMaps": []}
    for a in maps():
        body = {k: v for k, v in a.items() if k != "type"}
        body["name"] = a["names"]["en"]
        data["representationMaps" if a["type"] == "representationmap" else "structureMaps"].append(body)
    meta = {"id": "KZ_MAPS", "prepared": "2026-12-01T00:00:00Z", "test": False, "sender": {"id": "KZ"},
            "schema": "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/develop/structure-message/tools/"
                      "schemas/2.0.0/sdmx-json-structure-schema.json"}
    return json.dumps({"meta": meta, "data": data}, ensure_ascii=False).encode()


def seed(engine, config, with_maps: bool = True) -> None:
    load_structures(engine, read_files(seed_files(config)) + read_structures(_national_structure()))
    if not with_maps:
        return
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        for a in maps():
            store.put(a)


def national_db(path: Path, rows=NATIONAL) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE inostrantsy (пол TEXT, гражданство TEXT, период TEXT, численность INTEGER)")
        db.executemany("INSERT INTO inostrantsy VALUES (?, ?, ?, ?)", rows)
    return path


QUERY = ("SELECT пол AS POL, гражданство AS GRAZHDANSTVO, период AS PERIOD, численность AS CHISLENNOST "
         "FROM inostrantsy ORDER BY rowid")
