#!/usr/bin/env python3
"""Write the SDMX-ML 3.0 seed artefacts of the data documentation (issue 17, DESIGN.md section 4a).

    .venv/bin/python tools/make_metadata_structure.py

One MetadataStructureDefinition ``DSM:MSD_DATA_DOCUMENTATION`` (with its concept scheme and the codelists
of its closed answers) in structures/, and one metadataflow ``DSM:MDF_DATA_DOCUMENTATION`` in dataflows/.
SDMX-ML 3.0 because 2.1 has no metadata attribute lists of this shape (report structures and metadata
targets instead). The attributes follow the regional data documentation table countries fill in per
indicator. Output is deterministic; a test checks the committed files are what this script writes.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
AGENCY, VERSION, PREPARED = "DSM", "1.0", "2026-01-01T00:00:00Z"
NS = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message",
      "str": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure",
      "com": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PKG = "urn:sdmx:org.sdmx.infomodel"


def t(en: str, ru: str) -> dict[str, str]:
    return {"en": en, "ru": ru}


YES_NO = "CL_YES_NO"
CODELISTS = {
    YES_NO: (t("Yes or no", "Да или нет"), [("Y", t("Yes", "Да")), ("N", t("No", "Нет"))]),
    "CL_DATA_SOURCE": (t("Source of the data", "Источник данных"), [
        ("CENSUS", t("Population census", "Перепись населения")),
        ("POP_REGISTER", t("Population register", "Регистр населения")),
        ("SURVEY", t("Surveys", "Обследования")),
        ("BORDER", t("Border statistics", "Пограничная статистика")),
        ("RES_PERMIT", t("Residence permits", "Виды на жительство")),
        ("OTHER", t("Other source", "Другой источник"))]),
    "CL_DOC_AVAILABILITY": (t("Availability of the data", "Доступность данных"), [
        ("ELECTRONIC", t("Electronic", "В электронном виде")),
        ("HARD_COPY", t("Hard copy", "На бумажном носителе"))]),
    "CL_COLLECTION_CHANNEL": (t("Collection channel", "Порядок сбора"), [
        ("CENTRAL", t("Directly by the central authority", "Непосредственно центральным органом")),
        ("TERRITORIAL", t("Through territorial authorities", "Через территориальные органы"))]),
    "CL_REFERENCE_DATE": (t("Reference date within the period", "Дата учёта в периоде"), [
        ("FIRST_DAY", t("First day of the period", "Первый день периода")),
        ("LAST_DAY", t("Last day of the period", "Последний день периода"))]),
    "CL_COUNTING_UNIT": (t("Counting unit", "Единица учёта"), [
        ("PERSONS", t("Persons", "Лица")), ("CASES", t("Cases", "Случаи"))]),
    "CL_BREAKDOWN": (t("Breakdowns available", "Доступные разбивки"), [
        ("CITIZENSHIP", t("Citizenship", "Гражданство")), ("SEX", t("Sex", "Пол")),
        ("AGE", t("Age", "Возраст"))]),
    "CL_REVISION_POLICY": (t("Revision practice", "Порядок пересмотра"), [
        ("CONTINUOUS", t("Revised continuously", "Пересматриваются постоянно")),
        ("END_OF_PERIOD", t("Revised at the end of the period", "Пересматриваются по окончании периода")),
        ("NONE", t("Not revised", "Не пересматриваются"))]),
}

# (id, names, representation, minOccurs, maxOccurs); representation: a codelist id (coded, maxOccurs
# repeats codes), "TEXT" (multilingual text), "DATE" (a day).
ATTRIBUTES = [
    ("DEF_CITIZEN", t("National definition of citizen", "Национальное определение гражданина"), "TEXT", 0, 1),
    ("DEF_CITIZEN_LAW", t("Legislative act defining citizen", "Законодательный акт, определяющий гражданина"),
     "TEXT", 0, 1),
    ("DEF_FOREIGNER", t("National definition of foreigner", "Национальное определение иностранца"), "TEXT", 1, 1),
    ("DEF_FOREIGNER_LAW", t("Legislative act defining foreigner",
                            "Законодательный акт, определяющий иностранца"), "TEXT", 0, 1),
    ("DEF_TOTAL_POPULATION", t("National definition of total population",
                               "Национальное определение общей численности населения"), "TEXT", 0, 1),
    ("DEF_TOTAL_POPULATION_LAW", t("Legislative act defining total population",
                                   "Законодательный акт, определяющий общую численность населения"), "TEXT", 0, 1),
    ("DEF_CHILD", t("National definition of child", "Национальное определение ребёнка"), "TEXT", 0, 1),
    ("DEF_CHILD_LAW", t("Legislative act defining child", "Законодательный акт, определяющий ребёнка"),
     "TEXT", 0, 1),
    ("AVAILABILITY", t("Availability of the data", "Доступность данных"), "CL_DOC_AVAILABILITY", 0, None),
    ("COLLECTING_INSTITUTIONS", t("Institutions responsible for collection", "Учреждения, отвечающие за сбор"),
     "TEXT", 1, 1),
    ("COLLECTION_CHANNEL", t("Collected by the central authority or through territorial authorities",
                             "Сбор центральным органом или через территориальные органы"),
     "CL_COLLECTION_CHANNEL", 0, None),
    ("COMPILATION_LAW", t("Legislation for compilation", "Законодательство о составлении данных"), "TEXT", 0, 1),
    ("DATA_SOURCE", t("Source of the data", "Источник данных"), "CL_DATA_SOURCE", 1, None),
    ("DATA_SOURCE_TEXT", t("Source of the data, described", "Описание источника данных"), "TEXT", 0, 1),
    ("STORAGE_LOCATION", t("Where the data are stored", "Место хранения данных"), "TEXT", 0, 1),
    ("LAST_CENSUS_DATE", t("Date of the last census", "Дата последней переписи"), "DATE", 0, 1),
    ("CENSUS_PERIODICITY", t("Periodicity of the census", "Периодичность переписи"), "TEXT", 0, 1),
    ("NATIONALS_ABROAD", t("Nationals residing abroad included", "Включены граждане, проживающие за рубежом"),
     YES_NO, 0, 1),
    ("COMPILATION_FREQ", t("Frequency of compilation", "Периодичность составления"), "CL_FREQ", 0, 1),
    ("REFERENCE_DATE", t("Reference date", "Дата учёта"), "CL_REFERENCE_DATE", 0, 1),
    ("COUNTING_UNIT", t("Counted as persons or cases", "Учёт лиц или случаев"), "CL_COUNTING_UNIT", 1, 1),
    ("CHILDREN_INCLUDED", t("Children included", "Дети включены"), YES_NO, 0, 1),
    ("CHILDREN_SEPARATE", t("Children counted separately", "Дети учитываются отдельно"), YES_NO, 0, 1),
    ("RES_PERMIT_TYPES", t("Types of residence permits", "Виды разрешений на проживание"), "TEXT", 0, 1),
    ("RES_PERMITS_INCLUDED", t("Residence permits included", "Включённые разрешения на проживание"), "TEXT", 0, 1),
    ("MIN_STAY", t("Minimum duration of stay", "Минимальный срок пребывания"), "TEXT", 0, 1),
    ("VISA_HOLDERS", t("Visa holders without a residence permit included",
                       "Включены владельцы виз без разрешения на проживание"), YES_NO, 0, 1),
    ("ASYLUM_SEEKERS", t("Asylum seekers included", "Включены лица, ищущие убежища"), YES_NO, 0, 1),
    ("BREAKDOWNS", t("Breakdowns available", "Доступные разбивки"), "CL_BREAKDOWN", 0, None),
    ("BIRTH_CITIZENSHIP", t("Children born in the country automatically citizens",
                            "Дети, родившиеся в стране, автоматически становятся гражданами"), YES_NO, 0, 1),
    ("SHARED_NATIONAL", t("Shared with national authorities", "Передаются национальным органам"), YES_NO, 0, 1),
    ("SHARED_NATIONAL_WITH", t("National authorities shared with", "Каким национальным органам"), "TEXT", 0, 1),
    ("SHARED_COUNTRIES", t("Shared with other countries", "Передаются другим странам"), YES_NO, 0, 1),
    ("SHARED_COUNTRIES_WITH", t("Countries shared with", "Каким странам"), "TEXT", 0, 1),
    ("SHARED_INTERNATIONAL", t("Shared with international organisations",
                               "Передаются международным организациям"), YES_NO, 0, 1),
    ("SHARED_INTERNATIONAL_WITH", t("International organisations shared with", "Каким международным организациям"),
     "TEXT", 0, 1),
    ("PUBLIC", t("Disseminated to the public", "Распространяются публично"), YES_NO, 0, 1),
    ("RELEASE_TIMING", t("When the data are released", "Когда данные публикуются"), "TEXT", 0, 1),
    ("PROVISIONAL", t("Provisional for the current period", "Предварительные за текущий период"), YES_NO, 0, 1),
    ("REVISION_POLICY", t("Revision practice", "Порядок пересмотра"), "CL_REVISION_POLICY", 0, 1),
    ("FOCAL_POINT", t("National focal point", "Национальный координатор"), "TEXT", 1, 1),
    ("INFORMATION_PROVIDER", t("Information provided by", "Информацию предоставил"), "TEXT", 1, 1),
    ("AS_OF_DATE", t("Information as of", "Информация по состоянию на"), "DATE", 1, 1),
]


def urn(cls: str, id_: str, item: str | None = None) -> str:
    return f"{PKG}.{cls}={AGENCY}:{id_}({VERSION})" + (f".{item}" if item else "")


def _el(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    prefix, local = tag.split(":")
    e = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", attrib or {})
    if text is not None:
        e.text = text
    return e


def _names(parent, names: dict[str, str]) -> None:
    for lang, value in names.items():
        _el(parent, "com:Name", {XML_LANG: lang}, value)


def _maintainable(parent, tag: str, cls: str, id_: str, names: dict, **extra):
    e = _el(parent, tag, {"urn": urn(cls, id_), "agencyID": AGENCY, "id": id_, "version": VERSION, **extra})
    _names(e, names)
    return e


def _message(msg_id: str):
    root = etree.Element(f"{{{NS['mes']}}}Structure", nsmap=NS)
    h = _el(root, "mes:Header")
    _el(h, "mes:ID", text=msg_id)
    _el(h, "mes:Test", text="false")
    _el(h, "mes:Prepared", text=PREPARED)
    _el(h, "mes:Sender", {"id": AGENCY})
    return root, _el(root, "mes:Structures")


def msd_message() -> etree._Element:
    root, structures = _message("MSD_DATA_DOCUMENTATION")
    cls = _el(structures, "str:Codelists")
    for cid, (names, codes) in CODELISTS.items():
        cl = _maintainable(cls, "str:Codelist", "codelist.Codelist", cid, names)
        for code, cnames in codes:
            c = _el(cl, "str:Code", {"urn": urn("codelist.Code", cid, code), "id": code})
            _names(c, cnames)
    css = _el(structures, "str:ConceptSchemes")
    cs = _maintainable(css, "str:ConceptScheme", "conceptscheme.ConceptScheme", "CS_DATA_DOCUMENTATION",
                       t("Data documentation concepts", "Понятия документации данных"))
    for aid, names, *_ in ATTRIBUTES:
        c = _el(cs, "str:Concept", {"urn": urn("conceptscheme.Concept", "CS_DATA_DOCUMENTATION", aid), "id": aid})
        _names(c, names)
    msds = _el(structures, "str:MetadataStructures")
    msd = _maintainable(msds, "str:MetadataStructure", "metadatastructure.MetadataStructure",
                        "MSD_DATA_DOCUMENTATION", t("Data documentation", "Документация данных"))
    comps = _el(msd, "str:MetadataStructureComponents")
    lst = _el(comps, "str:MetadataAttributeList", {"id": "MetadataAttributeDescriptor"})
    for aid, _names_, rep, lo, hi in ATTRIBUTES:
        a = _el(lst, "str:MetadataAttribute", {
            "urn": urn("metadatastructure.MetadataAttribute", "MSD_DATA_DOCUMENTATION", aid), "id": aid,
            "minOccurs": str(lo), "maxOccurs": "unbounded" if hi is None else str(hi)})
        _el(a, "str:ConceptIdentity", text=urn("conceptscheme.Concept", "CS_DATA_DOCUMENTATION", aid))
        r = _el(a, "str:LocalRepresentation")
        if rep == "TEXT":
            _el(r, "str:TextFormat", {"textType": "String", "isMultiLingual": "true"})
        elif rep == "DATE":
            _el(r, "str:TextFormat", {"textType": "GregorianDay", "isMultiLingual": "false"})
        else:
            _el(r, "str:Enumeration", text=urn("codelist.Codelist", rep))
    return root


def metadataflow_message() -> etree._Element:
    root, structures = _message("MDF_DATA_DOCUMENTATION")
    flows = _el(structures, "str:Metadataflows")
    mf = _maintainable(flows, "str:Metadataflow", "metadatastructure.Metadataflow", "MDF_DATA_DOCUMENTATION",
                       t("Data documentation of the indicators", "Документация данных по показателям"))
    _el(mf, "str:Structure", text=urn("metadatastructure.MetadataStructure", "MSD_DATA_DOCUMENTATION"))
    # every indicator of the mechanism, as each country reports it (the set names dataflow and provider)
    _el(mf, "str:Target", text=f"{PKG}.datastructure.Dataflow={AGENCY}:*(*)")
    _el(mf, "str:Target", text=f"{PKG}.base.DataProvider={AGENCY}:DATA_PROVIDERS(*).*")
    return root


def render() -> dict[str, bytes]:
    return {path: etree.tostring(build(), xml_declaration=True, encoding="UTF-8", pretty_print=True)
            for path, build in (("structures/MSD_DATA_DOCUMENTATION.xml", msd_message),
                                ("dataflows/MDF_DATA_DOCUMENTATION.xml", metadataflow_message))}


if __name__ == "__main__":
    for path, body in render().items():
        (ROOT / path).write_bytes(body)
        print(path, len(body))
