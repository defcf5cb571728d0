"""Structure query rules without HTTP: version queries, path/parameter parsing, references, detail."""

from __future__ import annotations

import pytest

from sdmx_server.retrieval.artefact_source import MemorySource
from sdmx_server.retrieval.structure_retrieval import retrieve_structures
from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.sdmx.errors import BadInput, NotImplementedQuery
from sdmx_server.sdmx.rest_query import parse_structure_query
from sdmx_server.sdmx.versions import parse_version_query, select

VERSIONS = ["0.9.0", "1.0", "1.0.0", "1.1.0", "1.2.0-draft", "1.10.0", "2.0.0", "2.1.0-draft"]


@pytest.mark.parametrize("query,expected", [
    ("+", ["2.0.0"]),
    ("~", ["2.1.0-draft"]),
    ("*", VERSIONS),
    ("1.+.0", ["1.10.0"]),
    ("1.~.0", ["1.10.0"]),
    ("1.1.~", ["1.1.0"]),
    ("1.*.0", ["1.0.0", "1.1.0", "1.2.0-draft", "1.10.0"]),
    ("*.0", ["1.0"]),
    ("~.0", ["1.0"]),
    ("1.2+.0", ["1.10.0"]),
    ("1.2*.0", ["1.2.0-draft", "1.10.0"]),
    ("2*.0.0", ["2.0.0", "2.1.0-draft"]),
    ("1.0", ["1.0"]),
    ("1.2.0-draft", ["1.2.0-draft"]),
    ("+,1.0", ["1.0", "2.0.0"]),
    ("3.0.0", []),
])
def test_version_queries_follow_the_spec(query, expected):
    assert select(parse_version_query(query), VERSIONS) == expected


@pytest.mark.parametrize("query", ["+.2.3", "1.+.3", "~.2", "*.2.3", "+.0", "2.3+", "~.0.*", "3.2+.1+", "x", "1..2"])
def test_unsupported_version_syntax_is_a_400(query):
    with pytest.raises(BadInput) as e:
        parse_version_query(query)
    assert query in str(e.value)


def test_v1_latest_and_all():
    assert select(parse_version_query("latest", "v1"), ["1.0", "1.1"]) == ["1.1"]
    assert select(parse_version_query("all", "v1"), ["1.0", "1.1"]) == ["1.0", "1.1"]


def path(spec: str) -> dict:
    return dict(zip(["structure_type", "agency_id", "resource_id", "version", "item_id"], spec.split("/")))


def test_v1_spellings_map_to_v2_types():
    q = parse_structure_query("v1", path("organisationscheme/all/all/latest"), {})
    assert q.types and {"agencyscheme", "dataproviderscheme"} <= q.types and q.agencies is None
    q = parse_structure_query("v1", path("allowedconstraint/DSM"), {})
    assert q.types == {"dataconstraint"} and q.constraint_role == "Allowed"
    q = parse_structure_query("v1", path("structure"), {"references": "contentconstraint"})
    assert q.types is None and q.references == ("dataconstraint",)


@pytest.mark.parametrize("api,spec,args,fragment", [
    ("v2", "codelists", {}, "unknown structure type"),
    ("v2", "codelist/1BAD", {}, "agencyID"),
    ("v2", "codelist/DSM/CL X", {}, "resourceID"),
    ("v2", "dataflow/DSM/DF/1.0/A", {}, "itemID is only valid"),
    ("v2", "codelist", {"detail": "everything"}, "detail"),
    ("v1", "codelist", {"detail": "raw"}, "detail"),
    ("v2", "codelist", {"references": "none,children"}, "none"),
    ("v1", "codelist", {"references": "parents,children"}, "one value"),
    ("v2", "codelist", {"refrences": "all"}, "refrences"),
])
def test_bad_queries_name_what_is_wrong(api, spec, args, fragment):
    with pytest.raises(BadInput) as e:
        parse_structure_query(api, path(spec), args)
    assert fragment in str(e.value)


def test_as_of_is_501():
    with pytest.raises(NotImplementedQuery):
        parse_structure_query("v2", path("codelist"), {"asOf": "2020-01-01T00:00:00Z"})


def _cl(id_: str, version: str = "1.0", codes=("F", "M")) -> dict:
    return {"type": "codelist", "id": id_, "agencyID": "DSM", "version": version, "isFinal": True,
            "names": {"en": id_}, "codes": [{"id": c, "names": {"en": c}} for c in codes]}


CS = {"type": "conceptscheme", "id": "CS", "agencyID": "DSM", "version": "1.0", "isFinal": True, "names": {"en": "C"},
      "concepts": [{"id": "SEX", "names": {"en": "Sex"}}, {"id": "AREA", "names": {"en": "Area"}}]}
DSD = {"type": "datastructure", "id": "DSD", "agencyID": "DSM", "version": "1.0", "isFinal": True, "names": {"en": "D"},
       "dataStructureComponents": {"dimensionList": {"dimensions": [
           {"id": "SEX", "conceptIdentity": urn_for("conceptscheme", "DSM", "CS", "1.0", "SEX"),
            "localRepresentation": {"enumeration": urn_for("codelist", "DSM", "CL_SEX", "1.0")}}]}}}
DF = {"type": "dataflow", "id": "DF", "agencyID": "DSM", "version": "1.0", "isFinal": True, "names": {"en": "F"},
      "structure": urn_for("datastructure", "DSM", "DSD", "1.0")}
CON = {"type": "dataconstraint", "id": "CON", "agencyID": "DSM", "version": "1.0", "isFinal": True,
       "names": {"en": "K"}, "role": "Allowed",
       "constraintAttachment": {"dataflows": [urn_for("dataflow", "DSM", "DF", "1.0")]},
       "cubeRegions": [{"include": True, "keyValues": [{"id": "SEX", "values": ["F"]}]}]}
CATS = {"type": "categoryscheme", "id": "CAT", "agencyID": "DSM", "version": "1.0", "isFinal": True,
        "names": {"en": "Cat"}, "categories": [
            {"id": "A", "names": {"en": "A"}, "categories": [
                {"id": "A1", "names": {"en": "A1"}, "categories": [{"id": "A1x", "names": {"en": "x"}}]},
                {"id": "A2", "names": {"en": "A2"}}]},
            {"id": "B", "names": {"en": "B"}}]}
SOURCE = MemorySource([_cl("CL_SEX"), _cl("CL_SEX", "1.1", ("F", "M", "_T")), _cl("CL_AREA", codes=("KZ",)),
                       CS, DSD, DF, CON, CATS])


def ask(api: str, spec: str, **args: str) -> list[tuple]:
    result = retrieve_structures(parse_structure_query(api, path(spec), args), SOURCE)
    return [(a["type"], a["id"], a["version"]) for a in result.artefacts]


def test_version_selection_per_artefact():
    assert ask("v2", "codelist/DSM/*/~") == [("codelist", "CL_AREA", "1.0"), ("codelist", "CL_SEX", "1.1")]
    assert ask("v2", "codelist/DSM/CL_SEX/*") == [("codelist", "CL_SEX", "1.0"), ("codelist", "CL_SEX", "1.1")]
    assert ask("v1", "codelist/DSM/CL_SEX,CL_AREA/1.0") == [("codelist", "CL_AREA", "1.0"), ("codelist", "CL_SEX", "1.0")]
    assert ask("v2", "codelist/OTHER") == []
    assert ask("v1", "codelist/DSM/CL_SEX/1.0+1.1") == [("codelist", "CL_SEX", "1.0"), ("codelist", "CL_SEX", "1.1")]


def test_references():
    assert set(ask("v2", "dataflow/DSM/DF/~", references="children")) == {
        ("dataflow", "DF", "1.0"), ("datastructure", "DSD", "1.0")}
    assert set(ask("v2", "dataflow/DSM/DF/~", references="descendants")) == {
        ("dataflow", "DF", "1.0"), ("datastructure", "DSD", "1.0"), ("conceptscheme", "CS", "1.0"),
        ("codelist", "CL_SEX", "1.0")}
    assert set(ask("v2", "codelist/DSM/CL_SEX/1.0", references="parents")) == {
        ("codelist", "CL_SEX", "1.0"), ("datastructure", "DSD", "1.0")}
    assert set(ask("v2", "codelist/DSM/CL_SEX/1.0", references="ancestors")) == {
        ("codelist", "CL_SEX", "1.0"), ("datastructure", "DSD", "1.0"), ("dataflow", "DF", "1.0"),
        ("dataconstraint", "CON", "1.0")}
    # a concrete type: one step up or down only (the dataflow is two steps away)
    assert ask("v2", "codelist/DSM/CL_SEX/1.0", references="dataflow") == [("codelist", "CL_SEX", "1.0")]
    assert ask("v2", "codelist/DSM/CL_SEX/1.0", references="datastructure") == [
        ("codelist", "CL_SEX", "1.0"), ("datastructure", "DSD", "1.0")]
    assert ask("v2", "datastructure/DSM/DSD/1.0", references="codelist") == [
        ("datastructure", "DSD", "1.0"), ("codelist", "CL_SEX", "1.0")]
    assert ask("v1", "dataflow/DSM/DF/1.0", references="allowedconstraint") == [
        ("dataflow", "DF", "1.0"), ("dataconstraint", "CON", "1.0")]
    assert ask("v1", "dataflow/DSM/DF/1.0", references="actualconstraint") == [("dataflow", "DF", "1.0")]
    assert set(ask("v2", "datastructure/DSM/DSD/1.0", references="parentsandsiblings")) == {
        ("datastructure", "DSD", "1.0"), ("dataflow", "DF", "1.0")}


def test_item_queries_flat_and_nested():
    r = retrieve_structures(parse_structure_query("v2", path("codelist/DSM/CL_SEX/1.1/_T,F"), {}), SOURCE).artefacts
    assert [c["id"] for c in r[0]["codes"]] == ["F", "_T"] and r[0]["isPartial"] is True
    r = retrieve_structures(parse_structure_query("v2", path("categoryscheme/DSM/CAT/1.0/A.A1"), {}), SOURCE).artefacts
    (a,) = r[0]["categories"]
    assert a["id"] == "A" and [c["id"] for c in a["categories"]] == ["A1"] and "categories" not in a["categories"][0]
    assert ask("v2", "codelist/DSM/CL_SEX/1.1/NOPE") == []


def test_detail_levels():
    q = parse_structure_query("v2", path("dataflow/DSM/DF/~"), {"references": "descendants", "detail": "referencestubs"})
    arts = retrieve_structures(q, SOURCE).artefacts
    assert "structure" in arts[0] and "isExternalReference" not in arts[0]
    assert all(a["isExternalReference"] and "codes" not in a and "dataStructureComponents" not in a for a in arts[1:])
    q = parse_structure_query("v2", path("dataflow/DSM/DF/~"), {"references": "all", "detail": "referencepartial"})
    by_id = {a["id"]: a for a in retrieve_structures(q, SOURCE).artefacts}
    assert [c["id"] for c in by_id["CS"]["concepts"]] == ["SEX"] and by_id["CS"]["isPartial"]
    assert [c["id"] for c in by_id["CL_SEX"]["codes"]] == ["F"]  # the constraint allows only F
