"""Metadata sets stored and read back (SQLite and PostgreSQL): versions per target, states, multilingual values."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sdmx_server.sdmx.metadata_set import AttributeValue, MetadataSet
from sdmx_server.storage.metadata_store import MetadataStore

MDF = "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"
FLOW = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def doc(provider: str, foreigner: str, **kw) -> MetadataSet:
    return MetadataSet(set_id=f"DOC_{provider}", metadataflow_urn=MDF, dataflow_urn=FLOW, provider_id=provider,
                       names={"en": "Documentation", "ru": "Документация"},
                       values=(AttributeValue("DEF_FOREIGNER", texts={"en": foreigner, "ru": "Иностранец"}),
                               AttributeValue("DATA_SOURCE", "CENSUS"), AttributeValue("DATA_SOURCE", "BORDER"),
                               AttributeValue("AS_OF_DATE", "2026-06-30")), **kw)


def test_sets_round_trip_with_versions_and_states(engine):
    valid = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        store = MetadataStore(conn)
        first = store.add(doc("KZ", "Not a citizen", valid_from=valid), state="released", actor="kz_submitter")
        second = store.add(doc("KZ", "Not a citizen of Kazakhstan"), state="pending", actor="kz_submitter")
        store.add(doc("KG", "Без гражданства"), state="released", actor="kg_submitter")
    assert (first.version, second.version) == (1, 2)
    with engine.connect() as conn:
        store = MetadataStore(conn)
        released = {s.provider_id: s for s in store.latest(dataflow_urn=FLOW)}
        assert sorted(released) == ["KG", "KZ"]
        kz = released["KZ"]
        assert kz.version == 1 and kz.state == "released" and kz.valid_from == valid
        assert kz.values_of("DEF_FOREIGNER")[0].texts == {"en": "Not a citizen", "ru": "Иностранец"}
        assert [v.value for v in kz.values_of("DATA_SOURCE")] == ["CENSUS", "BORDER"]
        assert kz.names["ru"] == "Документация"
        newest = store.latest(dataflow_urn=FLOW, provider_ids=["KZ"], states=("pending", "validated", "released"))
        assert [(s.version, s.state) for s in newest] == [(2, "pending")]
        assert store.latest(dataflow_urn=FLOW, provider_ids=["MD"]) == []


def test_workflow_moves_forward_only_and_records_who(engine):
    with engine.begin() as conn:
        store = MetadataStore(conn)
        s = store.add(doc("MD", "x"), state="pending", actor="md_submitter")
        with pytest.raises(ValueError, match="pending; it cannot become released"):
            store.transition(s.id, "released", actor="md_data_approver")
        store.transition(s.id, "validated", actor="md_data_verifier", comment="checked")
        done = store.transition(s.id, "released", actor="md_data_approver")
        assert done.state == "released" and done.released_at is not None
        assert [(a, f, t) for _, a, f, t, _ in store.transitions(s.id)] == [
            ("md_submitter", None, "pending"), ("md_data_verifier", "pending", "validated"),
            ("md_data_approver", "validated", "released")]


def test_migration_creates_the_tables_metadata_tables_declares(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sdmx_server.storage.tables import metadata

    mine = {"metadata_set", "metadata_attribute_value", "metadata_set_transition", "metadata_publicity"}
    assert mine <= set(metadata.tables)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []
