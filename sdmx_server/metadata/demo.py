"""Demo data documentation that ``init`` seeds once (issue 17, point 7): the stock of foreigners as
Kazakhstan, Kyrgyzstan and Moldova document it, in English and Russian, released.

Moldova's "foreigner" differs: it counts stateless persons apart, where the others include them, so
the portal's side-by-side comparison has something to show. The sets go through the same checks as a
submission (validation.check_sets), so the demo cannot drift from the MSD.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine

from ..sdmx.metadata_set import AttributeValue, MetadataSet
from ..storage.artefact_store import ArtefactStore
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
    "KG": ({"en": "Kyrgyzstan", "ru": "Киргизия"}, FOREIGNER,
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
            AttributeValue("COMPILATION_FREQ", "S"),
            AttributeValue("REFERENCE_DATE", ref_date),
            AttributeValue("COUNTING_UNIT", "PERSONS"),
            AttributeValue("CHILDREN_INCLUDED", "Y"),
            AttributeValue("CHILDREN_SEPARATE", "N" if code == "KG" else "Y"),
            AttributeValue("ASYLUM_SEEKERS", "N"),
            *[AttributeValue("BREAKDOWNS", b) for b in ("CITIZENSHIP", "SEX")],
            AttributeValue("PUBLIC", "Y"),
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


def create_demo_documentation(engine: Engine, flows: dict[str, MetadataflowInfo]) -> int:
    """Store the demo sets released (checked first); returns how many. ``init`` calls it once."""
    sets = demo_sets()
    with engine.begin() as conn:
        artefacts = ArtefactStore(conn)
        check_sets(sets, flows, artefacts.get, lambda f: provision_providers(artefacts, f), None)
        store = MetadataStore(conn)
        for s in sets:
            store.add(s, state="released", actor="init")
    return len(sets)
