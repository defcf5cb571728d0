"""Demo data documentation that ``init`` seeds once (issue 17, point 7): the stock of foreigners as
Kazakhstan, Kyrgyzstan and Moldova document it, in English and Russian, released.

Two countries differ from the regional definition (metadata/regional_definition.toml), so the portal's
side-by-side comparison has something to show: Moldova's "foreigner" counts stateless persons apart, where
the others include them, and its stock is taken on the first day of the period; Kyrgyzstan counts residence
permits (cases), not persons. Moldova describes its source in English only (the Russian page shows it marked
as English). Moldova makes this documentation public although its figures are not, so a visitor reads it
at once; Kazakhstan's and Kyrgyzstan's are seen by those who may see their figures. The sets go through the same
checks as a submission (validation.check_sets), so the demo cannot drift from the MSD.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine

from ..sdmx.metadata_set import AttributeValue, MetadataSet
from ..storage.artefact_store import ArtefactStore
from ..storage.audit_store import AuditStore
from ..storage.metadata_store import MetadataStore
from .structure import MetadataflowInfo
from .submission import provision_providers
from .validation import check_sets

MDF = "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"

FOREIGNER = {"en": "A person who is not a citizen of the country, including stateless persons.",
             "ru": "Лицо, не являющееся гражданином страны, включая лиц без гражданства."}
FOREIGNER_MD = {"en": "A person who holds the citizenship of another state; stateless persons are counted apart.",
                "ru": "Лицо, имеющее гражданство другого государства; лица без гражданства учитываются отдельно."}
COUNTRIES = {
    "KZ": ({"en": "Kazakhstan", "ru": "Казахстан"}, FOREIGNER,
           {"en": "Law on the legal status of foreigners", "ru": "Закон о правовом положении иностранцев"},
           ("POP_REGISTER", "RES_PERMIT"), "LAST_DAY"),
    "KG": ({"en": "Kyrgyzstan", "ru": "Кыргызстан"}, FOREIGNER,
           {"en": "Law on external migration", "ru": "Закон о внешней миграции"},
           ("RES_PERMIT", "BORDER"), "LAST_DAY"),
    "MD": ({"en": "Moldova", "ru": "Молдова"}, FOREIGNER_MD,
           {"en": "Law on the regime of foreigners", "ru": "Закон о режиме иностранцев"},
           ("POP_REGISTER", "CENSUS"), "FIRST_DAY"),
}


def text(en: str, ru: str) -> dict[str, str]:
    return {"en": en, "ru": ru}


def demo_sets() -> list[MetadataSet]:
    out = []
    for code, (country, foreigner, law, sources, ref_date) in COUNTRIES.items():
        values = [
            AttributeValue("DEF_FOREIGNER", texts=foreigner),
            AttributeValue("DEF_FOREIGNER_LAW", texts=law),
            AttributeValue("AVAILABILITY", "ELECTRONIC"),
            AttributeValue("COLLECTING_INSTITUTIONS", texts=text("Migration service and national statistical office",
                                                                 "Миграционная служба и национальный статистический орган")),
            AttributeValue("COLLECTION_CHANNEL", "TERRITORIAL"),
            *[AttributeValue("DATA_SOURCE", s) for s in sources],
            *([AttributeValue("DATA_SOURCE_TEXT", texts={"en": "Register of foreigners of the General Inspectorate "
                                                                "for Migration, matched with the 2024 census"})]
              if code == "MD" else []),
            AttributeValue("COMPILATION_FREQ", "S"),
            AttributeValue("REFERENCE_DATE", ref_date),
            AttributeValue("DEF_CHILD", texts=text("A person under 18 years of age.", "Лицо в возрасте до 18 лет.")),
            AttributeValue("COUNTING_UNIT", "CASES" if code == "KG" else "PERSONS"),
            AttributeValue("CHILDREN_INCLUDED", "Y"),
            AttributeValue("CHILDREN_SEPARATE", "N" if code == "KG" else "Y"),
            AttributeValue("ASYLUM_SEEKERS", "N"),
            *[AttributeValue("BREAKDOWNS", b) for b in ("CITIZENSHIP", "SEX")],
            AttributeValue("SHARED_INTERNATIONAL", "Y"),
            AttributeValue("SHARED_INTERNATIONAL_WITH", texts=text("UN DESA, IOM", "ДЭСВ ООН, МОМ")),
            AttributeValue("PUBLIC", "Y"),
            AttributeValue("RELEASE_TIMING", texts=text("90 days after the end of the half-year",
                                                        "Через 90 дней после окончания полугодия")),
            AttributeValue("REVISION_POLICY", "END_OF_PERIOD"),
            AttributeValue("FOCAL_POINT", texts=text(f"National statistical office of {country['en']}",
                                                     f"Национальный статистический орган ({country['ru']})")),
            AttributeValue("INFORMATION_PROVIDER", texts=text("Demo focal point", "Демонстрационный координатор")),
            AttributeValue("AS_OF_DATE", "2026-01-15"),
        ]
        out.append(MetadataSet(
            set_id="DOC_DF_STOCK_FOREIGNERS", metadataflow_urn=MDF, dataflow_urn=STOCK, provider_id=code,
            names=text(f"Stock of foreigners: data documentation of {country['en']}",
                       f"Численность иностранцев: документация данных ({country['ru']})"),
            values=tuple(values), valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    return out


PUBLIC_DOCUMENTATION = ("MD",)  # documentation open to everyone although the figures are not


def create_demo_documentation(engine: Engine, flows: dict[str, MetadataflowInfo]) -> int:
    """Store the demo sets released (checked first) and open Moldova's to the public, as its administrator
    would (audited); returns how many sets. ``init`` calls it once."""
    sets = demo_sets()
    with engine.begin() as conn:
        artefacts = ArtefactStore(conn)
        check_sets(sets, flows, artefacts.get, lambda f: provision_providers(artefacts, f), None)
        store = MetadataStore(conn)
        for s in sets:
            store.add(s, state="released", actor="init")
        audit = AuditStore(conn)
        for owner in PUBLIC_DOCUMENTATION:
            store.set_public(owner, STOCK, True, by="init")
            audit.record("init", "documentation.publish", STOCK, country=owner)
    return len(sets)
