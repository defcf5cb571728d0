#!/usr/bin/env python3
"""Write the seed SDMX-ML 2.1 artefacts of the migration Data Sharing Mechanism (DESIGN.md sections 1-2).

    .venv/bin/python tools/make_seed_artefacts.py

The artefacts are built here as canonical dicts (names in English and Russian everywhere) and
written with the server's own SDMX-ML 2.1 writer into codelists/, structures/ and dataflows/.
Output is deterministic: running it again reproduces the committed files byte for byte (a test
checks this). Country names come from Babel's CLDR data, except where CLDR's two languages follow different
conventions (OFFICIAL_NAMES): there both give the country's official short name, as the participating countries
and the UN write it ("Кыргызстан", not CLDR's "Киргизия").
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdmx_server.sdmx.artefacts import urn_for  # noqa: E402
from sdmx_server.sdmx.formats.sdmx_ml_2_1_structure_writer import write_structure_message  # noqa: E402

AGENCY = "DSM"
VERSION = "1.0"
PREPARED = "2026-01-01T00:00:00Z"
EN, RU = Locale("en").territories, Locale("ru").territories
# CLDR codes that ISO 3166-1 only reserves, and its non-country groupings
NOT_ISO_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "IC", "TA", "EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"}
# Official short names where CLDR's English and Russian disagree in kind (an informal name, an abbreviation,
# an older or a historical one): (English, Russian), both in the form the country itself and the UN use
OFFICIAL_NAMES = {
    "KG": ("Kyrgyzstan", "Кыргызстан"),
    "KP": ("Democratic People's Republic of Korea", "Корейская Народно-Демократическая Республика"),
    "KR": ("Republic of Korea", "Республика Корея"),
    "CV": ("Cabo Verde", "Кабо-Верде"),
    "TL": ("Timor-Leste", "Тимор-Лешти"),
    "MM": ("Myanmar", "Мьянма"),
    "FM": ("Micronesia (Federated States of)", "Микронезия (Федеративные Штаты)"),
    "HK": ("Hong Kong, China", "Гонконг, Китай"),
    "MO": ("Macao, China", "Макао, Китай"),
    "US": ("United States", "Соединённые Штаты"),
}
PROVIDERS = ["AM", "AZ", "BY", "GE", "KZ", "KG", "MD", "RU", "TJ", "TM", "UA", "UZ"]
# UN M49 geographic regions (the subregions; Sub-Saharan Africa and Latin America by their intermediate regions),
# with the UN's names, and the CL_AREA countries in each: the grouping of CL_AREA_REGION, which reports use to
# group a long list of citizenships. Antarctica and the non-country codes (STLS, _U, _T) belong to none.
M49_REGIONS = {
    "015": (("Northern Africa", "Северная Африка"), "DZ EG EH LY MA SD TN"),
    "014": (("Eastern Africa", "Восточная Африка"),
            "BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW"),
    "017": (("Middle Africa", "Центральная Африка"), "AO CD CF CG CM GA GQ ST TD"),
    "018": (("Southern Africa", "Южная Африка"), "BW LS NA SZ ZA"),
    "011": (("Western Africa", "Западная Африка"), "BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG"),
    "029": (("Caribbean", "Карибский бассейн"),
            "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI"),
    "013": (("Central America", "Центральная Америка"), "BZ CR GT HN MX NI PA SV"),
    "005": (("South America", "Южная Америка"), "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE"),
    "021": (("Northern America", "Северная Америка"), "BM CA GL PM US"),
    "143": (("Central Asia", "Центральная Азия"), "KG KZ TJ TM UZ"),
    "030": (("Eastern Asia", "Восточная Азия"), "CN HK JP KP KR MN MO TW"),
    "035": (("South-eastern Asia", "Юго-Восточная Азия"), "BN ID KH LA MM MY PH SG TH TL VN"),
    "034": (("Southern Asia", "Южная Азия"), "AF BD BT IN IR LK MV NP PK"),
    "145": (("Western Asia", "Западная Азия"), "AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE"),
    "151": (("Eastern Europe", "Восточная Европа"), "BG BY CZ HU MD PL RO RU SK UA"),
    "154": (("Northern Europe", "Северная Европа"), "AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ"),
    "039": (("Southern Europe", "Южная Европа"), "AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA"),
    "155": (("Western Europe", "Западная Европа"), "AT BE CH DE FR LI LU MC NL"),
    "053": (("Australia and New Zealand", "Австралия и Новая Зеландия"), "AU CC CX HM NF NZ"),
    "054": (("Melanesia", "Меланезия"), "FJ NC PG SB VU"),
    "057": (("Micronesia", "Микронезия"), "FM GU KI MH MP NR PW UM"),
    "061": (("Polynesia", "Полинезия"), "AS CK NU PF PN TK TO TV WF WS"),
}


def t(en: str, ru: str) -> dict[str, str]:
    return {"en": en, "ru": ru}


def country(code: str) -> dict[str, str]:
    return t(*OFFICIAL_NAMES.get(code, (EN[code], RU[code])))


def maintainable(type_: str, id_: str, names: dict, descriptions: dict | None = None, *,
                 agency: str = AGENCY, **body) -> dict:
    a = {"type": type_, "id": id_, "agencyID": agency, "version": VERSION, "isFinal": True, "names": names}
    if descriptions:
        a["descriptions"] = descriptions
    return {**a, **body}


def item(id_: str, names: dict, descriptions: dict | None = None, **extra) -> dict:
    out = {"id": id_, "names": names}
    if descriptions:
        out["descriptions"] = descriptions
    return {**out, **extra}


# -- organisations ---------------------------------------------------------------------------------
def organisations() -> list[dict]:
    agencies = maintainable("agencyscheme", "AGENCIES", t("SDMX agency scheme", "Схема агентств SDMX"),
                            agency="SDMX", isFinal=False, agencies=[
                                item("DSM", t("Regional Data Sharing Mechanism on migration statistics",
                                              "Региональный механизм обмена данными по статистике миграции"))])
    providers = maintainable(
        "dataproviderscheme", "DATA_PROVIDERS", t("Participating countries", "Страны-участницы"),
        t("The national authorities that provide migration statistics to the mechanism.",
          "Национальные органы, предоставляющие механизму статистику миграции."),
        dataProviders=[item(c, country(c)) for c in PROVIDERS])
    consumers = maintainable(
        "dataconsumerscheme", "DATA_CONSUMERS", t("Data consumers", "Потребители данных"),
        t("Countries and bodies that receive data shared through the mechanism.",
          "Страны и организации, получающие данные через механизм."),
        dataConsumers=[item(c, country(c)) for c in PROVIDERS])
    for a in (providers, consumers):
        a["isFinal"] = False
    return [agencies, providers, consumers]


# -- codelists -----------------------------------------------------------------------------------------
def codelists() -> list[dict]:
    iso = sorted(c for c in EN if len(c) == 2 and c.isalpha() and c not in NOT_ISO_COUNTRIES)
    area = [item(c, country(c)) for c in iso] + [
        item("STLS", t("Stateless", "Лица без гражданства")),
        item("_U", t("Unknown", "Неизвестно")),
        item("_T", t("Total", "Всего"))]
    return [
        maintainable("codelist", "CL_FREQ", t("Frequency", "Периодичность"), codes=[
            item("A", t("Annual", "Годовая")), item("S", t("Half-yearly", "Полугодовая")),
            item("Q", t("Quarterly", "Квартальная")), item("M", t("Monthly", "Месячная"))]),
        maintainable("codelist", "CL_AREA", t("Countries and areas", "Страны и территории"),
                     t("ISO 3166-1 countries, with stateless persons, unknown and total; used for citizenship "
                       "and for the reporting country.",
                       "Страны по ISO 3166-1, а также лица без гражданства, неизвестно и всего; используется для "
                       "гражданства и для страны, представляющей данные."), codes=area,
                     annotations=[{"id": "REGIONS", "type": "CODELIST_REGIONS",
                                   "title": urn_for("codelist", AGENCY, "CL_AREA_REGION", VERSION),
                                   "texts": t("The countries grouped by UN M49 region: CL_AREA_REGION.",
                                              "Страны по регионам ООН (M49): CL_AREA_REGION.")}]),
        area_regions(iso),
        maintainable("codelist", "CL_SEX", t("Sex", "Пол"), codes=[
            item("F", t("Female", "Женщины")), item("M", t("Male", "Мужчины")),
            item("_T", t("Total", "Всего")), item("_U", t("Unknown", "Неизвестно"))]),
        maintainable("codelist", "CL_OBS_STATUS", t("Observation status", "Статус значения"), codes=[
            item("A", t("Normal value", "Обычное значение")),
            item("P", t("Provisional value", "Предварительное значение"),
                 t("Figures for a calendar year that has not ended yet.",
                   "Данные за ещё не завершившийся календарный год.")),
            item("E", t("Estimated value", "Оценочное значение")),
            item("B", t("Break in time series", "Разрыв временного ряда")),
            item("M", t("Missing value", "Значение отсутствует"))]),
        maintainable("codelist", "CL_UNIT_MEASURE", t("Unit of measure", "Единица измерения"), codes=[
            item("PS", t("Persons", "Человек")), item("CASES", t("Cases", "Случаев"))]),
        maintainable("codelist", "CL_APPLICATION_TYPE", t("Type of application", "Вид заявления"), codes=[
            item("FIRST", t("First-time application", "Первичное заявление")),
            item("EXT", t("Application for extension", "Заявление о продлении")),
            item("_T", t("Total", "Всего"))]),
        maintainable("codelist", "CL_DECISION", t("Decision", "Решение"), codes=[
            item("LODGED", t("Applications lodged", "Подано заявлений")),
            item("GRANTED", t("Granted", "Удовлетворено")),
            item("REFUGEE", t("Refugee status granted", "Предоставлен статус беженца")),
            item("COMPL", t("Complementary protection granted", "Предоставлена дополнительная защита")),
            item("HUMAN", t("Humanitarian status granted", "Предоставлен гуманитарный статус")),
            item("REJECTED", t("Rejected", "Отказано")),
            item("CLOSED", t("Otherwise closed", "Прекращено по иным основаниям")),
            item("_T", t("Total", "Всего"))]),
    ]


def area_regions(iso: list[str]) -> dict:
    """CL_AREA's countries under their UN M49 region (codes with a parent): a grouping for people choosing among
    hundreds of citizenships. A codelist of its own, so CL_AREA (what figures are coded in) holds no region."""
    parent = {c: region for region, (_names, codes) in M49_REGIONS.items() for c in codes.split()}
    unknown = sorted(set(parent) - set(iso))
    assert not unknown, f"M49_REGIONS names codes CL_AREA lacks: {unknown}"
    # "M49_015", not "015": SDMX-ML 3.0 writes a parent as an NCName-like id, which starts with a letter
    codes = [item(f"M49_{region}", t(*names)) for region, (names, _codes) in M49_REGIONS.items()]
    codes += [item(c, country(c), parent=f"M49_{parent[c]}") for c in iso if c in parent]
    return maintainable("codelist", "CL_AREA_REGION", t("Countries by UN M49 region", "Страны по регионам ООН (M49)"),
                        t("The countries of CL_AREA under the UN M49 geographic regions (Sub-Saharan Africa and "
                          "Latin America by their intermediate regions); for grouping, not for coding figures.",
                          "Страны из CL_AREA по географическим регионам ООН (M49; Африка южнее Сахары и Латинская "
                          "Америка по промежуточным регионам); для группировки, а не для кодирования данных."),
                        codes=codes)


# -- concepts and data structures ------------------------------------------------------------------------
CONCEPTS = [
    ("FREQ", t("Frequency", "Периодичность"), "CL_FREQ"),
    ("REF_AREA", t("Reporting country", "Страна, представляющая данные"), "CL_AREA"),
    ("CITIZENSHIP", t("Citizenship", "Гражданство"), "CL_AREA"),
    ("SEX", t("Sex", "Пол"), "CL_SEX"),
    ("APPLICATION_TYPE", t("Type of application", "Вид заявления"), "CL_APPLICATION_TYPE"),
    ("DECISION", t("Decision", "Решение"), "CL_DECISION"),
    ("TIME_PERIOD", t("Time period", "Период"), None),
    ("OBS_VALUE", t("Observation value", "Значение"), None),
    ("OBS_STATUS", t("Observation status", "Статус значения"), "CL_OBS_STATUS"),
    ("UNIT_MEASURE", t("Unit of measure", "Единица измерения"), "CL_UNIT_MEASURE"),
    ("OBS_COMMENT", t("Footnote", "Примечание"), None),
]


def concept_urn(cid: str) -> str:
    return urn_for("conceptscheme", AGENCY, "CS_MIGRATION", VERSION, cid)


def codelist_urn(cl: str) -> str:
    return urn_for("codelist", AGENCY, cl, VERSION)


def concept_scheme() -> dict:
    concepts = []
    for cid, names, cl in CONCEPTS:
        c = item(cid, names)
        if cl:
            c["coreRepresentation"] = {"enumeration": codelist_urn(cl)}
        concepts.append(c)
    return maintainable("conceptscheme", "CS_MIGRATION", t("Migration statistics concepts",
                                                         "Понятия статистики миграции"), concepts=concepts)


def dsd(id_: str, names: dict, descriptions: dict, extra_dims: list[str]) -> dict:
    dims = ["FREQ", "REF_AREA", "CITIZENSHIP", "SEX", *extra_dims]
    cl_of = {cid: cl for cid, _, cl in CONCEPTS}
    dimensions = [{"id": d, "position": i, "conceptIdentity": concept_urn(d),
                   "localRepresentation": {"enumeration": codelist_urn(cl_of[d])}} for i, d in enumerate(dims)]
    attributes = [
        {"id": "UNIT_MEASURE", "usage": "mandatory", "attributeRelationship": {"dimensions": dims},
         "conceptIdentity": concept_urn("UNIT_MEASURE"),
         "localRepresentation": {"enumeration": codelist_urn("CL_UNIT_MEASURE")}},
        {"id": "OBS_STATUS", "usage": "mandatory", "attributeRelationship": {"observation": {}},
         "conceptIdentity": concept_urn("OBS_STATUS"),
         "localRepresentation": {"enumeration": codelist_urn("CL_OBS_STATUS")}},
        {"id": "OBS_COMMENT", "usage": "optional", "attributeRelationship": {"observation": {}},
         "conceptIdentity": concept_urn("OBS_COMMENT"),
         "localRepresentation": {"format": {"dataType": "String", "maxLength": 1000}}},
    ]
    return maintainable("datastructure", id_, names, descriptions, dataStructureComponents={
        "dimensionList": {"id": "DimensionDescriptor", "dimensions": dimensions,
                          "timeDimension": {"id": "TIME_PERIOD", "conceptIdentity": concept_urn("TIME_PERIOD"),
                                            "localRepresentation": {"format": {"dataType": "ObservationalTimePeriod"}}}},
        "attributeList": {"id": "AttributeDescriptor", "attributes": attributes},
        "measureList": {"id": "MeasureDescriptor", "measures": [
            {"id": "OBS_VALUE", "conceptIdentity": concept_urn("OBS_VALUE"),
             "localRepresentation": {"format": {"dataType": "Double"}}}]},
    })


def structures() -> list[dict]:
    return [
        dsd("DSD_MIGRATION", t("Migration: persons by citizenship and sex", "Миграция: лица по гражданству и полу"),
            t("Counts of foreigners by reporting country, citizenship and sex.",
              "Численность иностранцев по стране, гражданству и полу."), []),
        dsd("DSD_WORK_PERMITS", t("Work permits", "Разрешения на работу"),
            t("Applications for work permits and extensions, and decisions on them.",
              "Заявления на выдачу и продление разрешений на работу и решения по ним."),
            ["APPLICATION_TYPE", "DECISION"]),
        dsd("DSD_ASYLUM_DECISIONS", t("Decisions on asylum applications", "Решения по ходатайствам об убежище"),
            t("Decisions on asylum applications by type of decision.",
              "Решения по ходатайствам о предоставлении убежища по видам решений."), ["DECISION"]),
    ]


# -- dataflows, categories, provision agreements ----------------------------------------------------
SEMI_ANNUAL = t("Semi-annual (by calendar half-year)", "Полугодовая (по календарным полугодиям)")
QUARTERLY = t("Quarterly", "Квартальная")
THREE_MONTHS = t("About three months after the end of the reference period",
                 "Примерно через три месяца после окончания отчётного периода")
FLOWS = [  # id, names, descriptions, DSD, periodicity, area
    ("DF_STOCK_FOREIGNERS", t("Stock of foreigners", "Численность иностранцев"),
     t("Number of foreigners in the country on the reference date, by citizenship and sex.",
       "Численность иностранцев в стране на отчётную дату по гражданству и полу."),
     "DSD_MIGRATION", SEMI_ANNUAL, "STOCK"),
    ("DF_ENTRIES", t("Foreigners entering the country", "Въезд иностранцев"),
     t("Number of foreigners entering the country, by citizenship and sex.",
       "Число въехавших в страну иностранцев по гражданству и полу."), "DSD_MIGRATION", QUARTERLY, "FLOWS"),
    ("DF_EXITS", t("Foreigners leaving the country", "Выезд иностранцев"),
     t("Number of foreigners leaving the country, by citizenship and sex.",
       "Число выехавших из страны иностранцев по гражданству и полу."), "DSD_MIGRATION", QUARTERLY, "FLOWS"),
    ("DF_WORK_PERMITS", t("Work permits", "Разрешения на работу"),
     t("Applications for work permits and for extensions, and decisions on them, by citizenship and sex.",
       "Заявления на выдачу и продление разрешений на работу и решения по ним по гражданству и полу."),
     "DSD_WORK_PERMITS", SEMI_ANNUAL, "LABOUR"),
    ("DF_ASYLUM_APPLICATIONS", t("Asylum applications", "Ходатайства об убежище"),
     t("Number of asylum applications, by citizenship and sex.",
       "Число ходатайств о предоставлении убежища по гражданству и полу."), "DSD_MIGRATION", QUARTERLY,
     "ASYLUM"),
    ("DF_ASYLUM_DECISIONS", t("Decisions on asylum applications", "Решения по ходатайствам об убежище"),
     t("Number of decisions on asylum applications, by type of decision, citizenship and sex.",
       "Число решений по ходатайствам об убежище по видам решений, гражданству и полу."),
     "DSD_ASYLUM_DECISIONS", QUARTERLY, "RSD"),
]
AREAS = [
    ("STOCK", t("Stock of foreigners", "Численность иностранцев")),
    ("FLOWS", t("Flows of foreigners", "Потоки иностранцев")),
    ("LABOUR", t("Foreign labour", "Иностранная рабочая сила")),
    ("ASYLUM", t("Asylum", "Убежище")),
    ("RSD", t("Refugee status determination", "Определение статуса беженца")),
]


def frequency(periodicity: dict[str, str]) -> str:
    """The FREQ code of a periodicity: the PERIODICITY annotation's title, for programs (its text is for people);
    the Excel template offers only that frequency."""
    return {id(SEMI_ANNUAL): "S", id(QUARTERLY): "Q"}[id(periodicity)]


# The largest change of a figure, in per cent against the previous period or the same period a year before, that
# verifiers take as plausible (submission/changes.py marks larger ones): a stock moves slowly; entries and exits
# follow the seasons (the year before is the fair comparison, but the previous quarter is compared too); asylum
# figures are small and jump by nature.
PLAUSIBLE_CHANGE = {"DF_STOCK_FOREIGNERS": 20, "DF_ENTRIES": 60, "DF_EXITS": 60, "DF_WORK_PERMITS": 40,
                    "DF_ASYLUM_APPLICATIONS": 100, "DF_ASYLUM_DECISIONS": 100}


def plausible_change(fid: str) -> dict:
    pct = PLAUSIBLE_CHANGE[fid]
    return {"id": "PLAUSIBLE_CHANGE", "type": "PLAUSIBLE_CHANGE", "title": str(pct),
            "texts": t(f"A figure that moves by more than {pct}% against the previous period or the same period a "
                       "year before is marked for the verifier to check.",
                       f"Значение, изменившееся более чем на {pct}% к предыдущему периоду или к тому же периоду "
                       "годом ранее, отмечается для проверки.")}


def dataflows() -> list[dict]:
    out = []
    for fid, names, desc, dsd_id, periodicity, _area in FLOWS:
        out.append(maintainable("dataflow", fid, names, desc, annotations=[
            {"id": "PERIODICITY", "type": "PERIODICITY", "title": frequency(periodicity), "texts": periodicity},
            {"id": "TIMELINESS", "type": "TIMELINESS", "texts": THREE_MONTHS},
            plausible_change(fid),
        ], structure=urn_for("datastructure", AGENCY, dsd_id, VERSION)))
    return out


def categories() -> list[dict]:
    scheme = maintainable("categoryscheme", "CAT_MIGRATION", t("Areas of migration statistics",
                                                              "Разделы статистики миграции"),
                          categories=[item(i, n) for i, n in AREAS])
    cats = [maintainable("categorisation", f"CAT_{fid}", t(f"{names['en']} in {area}", f"{names['ru']}: {area}"),
                         source=urn_for("dataflow", AGENCY, fid, VERSION),
                         target=urn_for("categoryscheme", AGENCY, "CAT_MIGRATION", VERSION, area))
            for fid, names, _d, _s, _p, area in FLOWS]
    return [scheme, *cats]


def provision_agreements() -> list[dict]:
    return [maintainable("provisionagreement", f"PA_{c}_{fid}",
                         t(f"{country(c)['en']} provides {names['en']}", f"{country(c)['ru']}: {names['ru']}"),
                         dataflow=urn_for("dataflow", AGENCY, fid, VERSION),
                         dataProvider=urn_for("dataproviderscheme", AGENCY, "DATA_PROVIDERS", VERSION, c))
            for c in PROVIDERS for fid, names, *_ in FLOWS]


def constraints() -> list[dict]:
    """One Allowed content constraint per country, attached to its provision agreements: it reports figures of
    its own REF_AREA only (DESIGN.md section 3: a provider submits only inside its agreements' constraints)."""
    return [maintainable("dataconstraint", f"CC_{c}_OWN_AREA",
                         t(f"{country(c)['en']} reports its own figures",
                           f"{country(c)['ru']}: только собственные данные"),
                         role="Allowed",
                         constraintAttachment={"provisionAgreements": sorted(
                             urn_for("provisionagreement", AGENCY, f"PA_{c}_{fid}", VERSION) for fid, *_ in FLOWS)},
                         cubeRegions=[{"include": True, "keyValues": [{"id": "REF_AREA", "values": [c]}]}])
            for c in PROVIDERS]


def files() -> dict[str, list[dict]]:
    out = {f"codelists/{cl['id']}.xml": [cl] for cl in codelists()}
    orgs = organisations()
    out["structures/agencies.xml"] = orgs[:1]
    out["structures/data_providers.xml"] = orgs[1:2]
    out["structures/data_consumers.xml"] = orgs[2:]
    out["structures/concepts.xml"] = [concept_scheme()]
    for s in structures():
        out[f"structures/{s['id']}.xml"] = [s]
    out["dataflows/dataflows.xml"] = dataflows()
    out["dataflows/categories.xml"] = categories()
    out["dataflows/provision_agreements.xml"] = provision_agreements()
    out["dataflows/constraints.xml"] = constraints()
    return out


def render() -> dict[str, bytes]:
    return {path: write_structure_message(arts, {"id": "DSM_SEED_" + Path(path).stem.upper(), "test": False,
                                                 "prepared": PREPARED, "sender": AGENCY})
            for path, arts in files().items()}


def main() -> None:
    for path, body in render().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
