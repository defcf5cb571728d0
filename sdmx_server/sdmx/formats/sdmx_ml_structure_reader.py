"""SDMX-ML 2.1 and 3.0/3.1 structure messages in, canonical artefacts out.

The XML is first parsed safely (no DTD, no entities, no network), checked to be a Structure
message and validated against the official XSD of its version (``sdmx_ml_schemas``), so what
is wrong is named with its line; sdmx1 then reads the model, and ``sdmx1_structures`` converts
it. Whatever still fails on the way (a valid message sdmx1 or the converter cannot take) is a
client's 400 or 422 naming it, never a server error.

sdmx1 (2.28) registers the SDMX-ML 3.0 reader's classes on first import; if it reads 2.1
structure-specific data before that, every later 3.0 structure read fails ("ObsLevelDim"), so
the 3.0 reader is imported here, up front, whatever the process reads first.
"""

from __future__ import annotations

import io

import sdmx
import sdmx.reader.xml.v30  # noqa: F401  (see the module docstring)
from lxml import etree

from ..errors import BadInput, SdmxError
from ..xml_safety import parse_xml
from .constraint_regions import restore_cube_regions
from .sdmx1_structures import convert_message
from .sdmx_ml_metadata_structures import take_out as take_out_metadata_structures
from .sdmx_ml_schemas import validate_message
from .sdmx_ml_structure_maps import take_out as take_out_structure_maps
from .structure_message import StructureMessageContent

NAMESPACES = {
    "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message": "2.1",
    "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message": "3.0",
    "http://www.sdmx.org/resources/sdmxml/schemas/v3_1/message": "3.1",
}


def read_structure_message(data: bytes) -> StructureMessageContent:
    root = parse_xml(data)
    qname = etree.QName(root)
    version = NAMESPACES.get(qname.namespace or "")
    if version is None or qname.localname != "Structure":
        raise BadInput(f"expected an SDMX-ML 2.1 or 3.0 Structure message, found <{qname.localname}> in namespace "
                       f"{qname.namespace or '(none)'}", line=root.sourceline)
    validate_message(root, version)
    key_sets = _data_key_sets(root)
    if key_sets:  # sdmx1 fails on a second DataKeySet in a constraint: it reads none, we read them all
        for ks in list(root.iter("{*}DataKeySet")):
            ks.getparent().remove(ks)
    metadata_structures = take_out_metadata_structures(root, version)  # sdmx1 fails on 3.0 Metadataflows
    maps = take_out_structure_maps(root) if version != "2.1" else []  # sdmx1 has no Structure/RepresentationMap
    if key_sets or metadata_structures or maps:
        data = etree.tostring(root)
    if version == "3.1":  # 3.1 only adds to 3.0; sdmx1 reads it as 3.0
        data = data.replace(b"/schemas/v3_1/", b"/schemas/v3_0/")
    try:
        msg = sdmx.read_sdmx(io.BytesIO(data))
    except SdmxError:
        raise
    except Exception as e:  # sdmx1 raises many kinds; the client needs to know what and where
        raise BadInput(f"the structure message could not be read: {type(e).__name__}: {e}") from None
    header = {}
    h = getattr(msg, "header", None)
    if h is not None:
        header = {k: str(v) for k, v in (("id", h.id), ("test", h.test), ("prepared", h.prepared),
                                          ("sender", getattr(h.sender, "id", None))) if v is not None}
    try:
        artefacts = convert_message(list(msg.iter_objects()), version != "2.1")
        artefacts += [a for a in metadata_structures + maps if not a.get("isExternalReference")]
        _restore_nested_order(root, artefacts)
        restore_cube_regions(root, artefacts)
        for a in artefacts:
            if a.get("type") == "dataconstraint" and key_sets.get((a["agencyID"], a["id"], a["version"])):
                a["dataKeySets"] = key_sets[(a["agencyID"], a["id"], a["version"])]
    except SdmxError:
        raise
    except Exception as e:  # a valid message with a construct the converter does not expect
        raise BadInput(f"the structure message could not be converted: {type(e).__name__}: {e}") from None
    return StructureMessageContent(header, artefacts)


def _data_key_sets(root: etree._Element) -> dict[tuple[str, str, str], list[dict]]:
    """Each constraint's DataKeySets as the message writes them, by (agency, id, version).

    sdmx1 keeps one set per constraint, fails on a second and reads ``isIncluded="false"`` as
    true, so the sets are read here and left out of what sdmx1 reads."""
    out: dict[tuple[str, str, str], list[dict]] = {}
    for ks in root.iter("{*}DataKeySet"):
        con = ks.getparent()
        keys = []
        for key in ks.iterfind("{*}Key"):
            keys.append({"keyValues": [{"id": kv.get("id", ""), "value": (kv.findtext("{*}Value") or "").strip()}
                                       for kv in key.iterfind("{*}KeyValue")]})
        ref = (con.get("agencyID", ""), con.get("id", ""), con.get("version", "1.0"))
        out.setdefault(ref, []).append({"isIncluded": ks.get("isIncluded") in ("true", "1"), "keys": keys})
    return out


_NESTED = {"CategoryScheme": ("categoryscheme", "Category", "categories"),
           "ReportingTaxonomy": ("reportingtaxonomy", "ReportingCategory", "reportingCategories")}


def _restore_nested_order(root: etree._Element, artefacts: list) -> None:
    """sdmx1 reverses the children of nested categories; put them back in the message's order."""
    order: dict[tuple[str, str, str], dict[tuple[str, ...], int]] = {}
    for scheme_tag, (_, item_tag, _) in _NESTED.items():
        for scheme in root.iter(f"{{*}}{scheme_tag}"):
            places: dict[tuple[str, ...], int] = {}
            for i, item in enumerate(scheme.iter(f"{{*}}{item_tag}")):
                path = [item.get("id")]
                parent = item.getparent()
                while parent is not None and etree.QName(parent).localname == item_tag:
                    path.insert(0, parent.get("id"))
                    parent = parent.getparent()
                places[tuple(path)] = i
            order[(scheme_tag, scheme.get("agencyID", ""), scheme.get("id", ""))] = places
    for a in artefacts:
        for scheme_tag, (type_, _, children) in _NESTED.items():
            places = order.get((scheme_tag, a.get("agencyID", ""), a.get("id", "")))
            if a.get("type") == type_ and places:
                _sort_children(a.get(children, []), children, places, ())


def _sort_children(items: list, children: str, places: dict, path: tuple[str, ...]) -> None:
    items.sort(key=lambda i: places.get(path + (i["id"],), len(places)))
    for i in items:
        _sort_children(i.get(children, []), children, places, path + (i["id"],))
