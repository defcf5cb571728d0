"""Small SDMX-ML messages the REST layer answers with: Error and SubmitStructureResponse (2.1 and 3.0).

Both versions share the element shapes; only namespaces and the reference form differ
(2.1 a Ref element, 3.0 a URN), so one module with a version switch beats two near-copies.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Iterable

from lxml import etree

from ..artefacts import parse_urn
from ..xml_safety import xml_text

_NS = {
    "2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/",
    "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _ns(version: str) -> tuple[str, str, str]:
    base = _NS[version]
    return base + "message", base + "common", base + "registry"


def _header(parent: etree._Element, mes: str, *, receiver: bool) -> None:
    h = etree.SubElement(parent, f"{{{mes}}}Header")
    etree.SubElement(h, f"{{{mes}}}ID").text = "IREF" + uuid.uuid4().hex[:12].upper()
    etree.SubElement(h, f"{{{mes}}}Test").text = "false"
    etree.SubElement(h, f"{{{mes}}}Prepared").text = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(h, f"{{{mes}}}Sender", id="DSM")
    if receiver:
        etree.SubElement(h, f"{{{mes}}}Receiver", id="not_supplied")


def _text(parent: etree._Element, com: str, text: str) -> None:
    t = etree.SubElement(parent, f"{{{com}}}Text")
    t.set(XML_LANG, "en")
    t.text = xml_text(text)


def write_error(version: str, code: int, messages: Iterable[str]) -> bytes:
    mes, com, _ = _ns(version)
    root = etree.Element(f"{{{mes}}}Error", nsmap={"mes": mes, "com": com})
    for text in messages:
        em = etree.SubElement(root, f"{{{mes}}}ErrorMessage", code=str(code))
        _text(em, com, text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_submit_structure_response(version: str, results: Iterable) -> bytes:
    """``results`` are maintenance Result objects (urn, action, status, code, message)."""
    mes, com, reg = _ns(version)
    root = etree.Element(f"{{{mes}}}RegistryInterface", nsmap={"mes": mes, "com": com, "reg": reg})
    _header(root, mes, receiver=True)
    body = etree.SubElement(root, f"{{{mes}}}SubmitStructureResponse")
    for r in results:
        sr = etree.SubElement(body, f"{{{reg}}}SubmissionResult")
        ss = etree.SubElement(sr, f"{{{reg}}}SubmittedStructure", action=r.action)
        mo = etree.SubElement(ss, f"{{{reg}}}MaintainableObject")
        if version == "2.1":
            u = parse_urn(r.urn)
            package, cls = u.urn_class.split(".")
            cls = {"DataConstraint": "ContentConstraint", "Hierarchy": "HierarchicalCodelist"}.get(cls, cls)  # 2.1 names
            etree.SubElement(mo, "Ref", agencyID=u.agency_id, id=u.id, version=u.version,
                             package=package, **{"class": cls})
        else:
            mo.text = r.urn
        sm = etree.SubElement(sr, f"{{{reg}}}StatusMessage", status=r.status)
        mt = etree.SubElement(sm, f"{{{reg}}}MessageText", code=str(r.code))
        _text(mt, com, r.message)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
