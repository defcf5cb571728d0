"""SDMX-ML 3.0 generic reference metadata messages (``GenericMetadata``), out and in.

Writer: metadata sets -> message (the REST metadataset queries answer with it). Reader: message ->
metadata sets, with every element it cannot read named with its line; whether the content fits
the metadata structure is the caller's check (sdmx_server.metadata.validation), since that needs
the stored codelists.

A set's target is written as two Target URNs, the dataflow and the data provider; a provision
agreement URN (which names both) is read as well.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from lxml import etree

from ..artefacts import parse_urn
from ..errors import BadInput
from ..metadata_set import AttributeValue, MetadataSet
from ..xml_safety import parse_xml

MES = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
MD = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/metadata/generic"
COM = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {"mes": MES, "md": MD, "com": COM}
PROVIDER_URN = "urn:sdmx:org.sdmx.infomodel.base.DataProvider={agency}:DATA_PROVIDERS(1.0).{id}"
MEDIA_TYPE = "application/vnd.sdmx.metadata+xml;version=3.0.0"


def provider_urn(provider_id: str, agency: str = "DSM") -> str:
    return PROVIDER_URN.format(agency=agency, id=provider_id)


# -- writing -------------------------------------------------------------------------------------------
def _e(parent, ns: str, tag: str, text: str | None = None, **attrib: str):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrib.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _day(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") if value else None


def write_metadata_message(sets: Iterable[MetadataSet], *, message_id: str, prepared: datetime,
                           sender: str = "DSM", provider_agency: str = "DSM") -> bytes:
    """One GenericMetadata message holding ``sets`` (the header names the metadataflow of the first)."""
    sets = list(sets)
    root = etree.Element(f"{{{MES}}}GenericMetadata", nsmap=NSMAP)
    h = _e(root, MES, "Header")
    _e(h, MES, "ID", message_id)
    _e(h, MES, "Test", "false")
    _e(h, MES, "Prepared", prepared.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _e(h, MES, "Sender", id=sender)
    for flow in dict.fromkeys(s.metadataflow_urn for s in sets) or [
            "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"]:
        st = _e(h, MES, "Structure", structureID=parse_urn(flow).id)
        _e(st, COM, "StructureUsage", flow)
    for s in sets:
        ms = _e(root, MES, "MetadataSet", id=s.set_id, agencyID=provider_id_agency(s, provider_agency),
                version=f"{s.version or 1}.0", validFrom=_day(s.valid_from), validTo=_day(s.valid_to),
                action="Information")
        for lang, text in sorted(s.names.items()):
            _e(ms, COM, "Name", text, **{XML_LANG: lang})
        if not s.values:
            continue  # a stub (detail=allstubs): the XSD takes Metadataflow, Target and Attribute together or none
        _e(ms, MD, "Metadataflow", s.metadataflow_urn)
        _e(ms, MD, "Target", s.dataflow_urn)
        _e(ms, MD, "Target", provider_urn(s.provider_id, provider_agency))
        _write_values(ms, s)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_values(ms, s: MetadataSet) -> None:
    """Attributes in message order: a nested one (``PARENT.CHILD``) inside the newest element of its parent; the
    values of a repeated coded attribute, one after the other, in one element."""
    last: dict[str, etree._Element] = {}  # path -> the newest element written for it
    previous: tuple[str, str] | None = None
    for v in s.values:
        kind = "texts" if v.texts is not None else "values"
        if kind == "values" and previous == (v.attribute, "values"):
            el = last[v.attribute]
        else:
            parts = v.attribute.split(".")
            parent = ms
            for depth in range(1, len(parts)):
                path = ".".join(parts[:depth])
                if path not in last:
                    last[path] = _e(parent, MD, "Attribute", id=parts[depth - 1])
                parent = last[path]
            el = last[v.attribute] = _e(parent, MD, "Attribute", id=parts[-1])
            for child in [p for p in last if p.startswith(v.attribute + ".")]:
                del last[child]  # children that follow belong to the new element
        if v.texts is not None:
            for lang, text in sorted(v.texts.items()):
                _e(el, COM, "Text", text, **{XML_LANG: lang})
        elif v.value is not None:
            _e(el, MD, "Value", v.value)
        previous = (v.attribute, kind)


def provider_id_agency(s: MetadataSet, default: str) -> str:
    """The set is maintained by its provider (a country): its id serves as the agency id."""
    return s.provider_id or default


# -- reading -------------------------------------------------------------------------------------------
def _where(el) -> str:
    return f"line {el.sourceline}"


def _date(value: str | None, el, name: str) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name}={value!r} is not a date", line=el.sourceline) from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def read_metadata_message(data: bytes) -> list[MetadataSet]:
    """The metadata sets of a GenericMetadata message. BadInput (400) for what is not one."""
    root = parse_xml(data)
    if root.tag != f"{{{MES}}}GenericMetadata":
        raise BadInput(f"expected an SDMX-ML 3.0 GenericMetadata message, found <{etree.QName(root).localname}> "
                       f"in namespace {etree.QName(root).namespace or '(none)'}", line=root.sourceline)
    header_flow = None
    header = root.find(f"{{{MES}}}Header")
    if header is not None:
        for st in header.findall(f"{{{MES}}}Structure"):
            usage = st.find(f"{{{COM}}}StructureUsage")
            if usage is not None and (usage.text or "").strip():
                header_flow = usage.text.strip()
    sets = [_read_set(el, header_flow) for el in root.findall(f"{{{MES}}}MetadataSet")]
    if not sets:
        raise BadInput("the message holds no MetadataSet", line=root.sourceline)
    return sets


def _read_set(el, header_flow: str | None) -> MetadataSet:
    set_id = el.get("id")
    if not set_id:
        raise BadInput("a MetadataSet has no id", line=el.sourceline)
    names = {n.get(XML_LANG, "en"): (n.text or "").strip() for n in el.findall(f"{{{COM}}}Name")}
    flow_el = el.find(f"{{{MD}}}Metadataflow")
    flow = (flow_el.text or "").strip() if flow_el is not None else header_flow
    if not flow:
        raise BadInput(f"metadata set {set_id} names no metadataflow (Metadataflow, or Header/Structure/StructureUsage)",
                       line=el.sourceline)
    dataflow, provider, targets = "", "", []
    for t in el.findall(f"{{{MD}}}Target"):
        text = (t.text or "").strip()
        targets.append((text, _where(t)))
        try:
            urn = parse_urn(text)
        except ValueError:
            raise BadInput(f"metadata set {set_id}: Target {text!r} is not an SDMX URN", line=t.sourceline) from None
        if urn.urn_class == "datastructure.Dataflow":
            dataflow = urn.maintainable
        elif urn.urn_class == "base.DataProvider":
            provider = urn.item_id or ""
    values: list[AttributeValue] = []
    for a in el.findall(f"{{{MD}}}Attribute"):
        _read_attribute(a, "", values)
    return MetadataSet(set_id=set_id, metadataflow_urn=flow, dataflow_urn=dataflow, provider_id=provider,
                       names=names, values=tuple(values), valid_from=_date(el.get("validFrom"), el, "validFrom"),
                       valid_to=_date(el.get("validTo"), el, "validTo"),
                       extra={"targets": targets, "where": _where(el)})


def _read_attribute(a, prefix: str, out: list[AttributeValue]) -> None:
    aid = a.get("id")
    if not aid:
        raise BadInput("an Attribute has no id", line=a.sourceline)
    path = f"{prefix}{aid}"
    texts = {t.get(XML_LANG, "en"): (t.text or "").strip() for t in a.findall(f"{{{COM}}}Text")}
    if texts:
        out.append(AttributeValue(path, texts=texts, where=_where(a)))
    for v in a.findall(f"{{{MD}}}Value"):
        out.append(AttributeValue(path, value=(v.text or "").strip(), where=_where(v)))
    for child in a.findall(f"{{{MD}}}Attribute"):
        _read_attribute(child, f"{path}.", out)
