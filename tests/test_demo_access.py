"""The demo accounts of `init`: every role in three countries, a few grants, one public indicator."""

from __future__ import annotations

import pytest

from sdmx_server.access.visibility import visibility_for
from sdmx_server.seeding import DEMO_COUNTRIES, DEMO_PASSWORD, DEMO_ROLES, DEMO_SHARING, create_demo_accounts
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.user_store import UserStore


pytestmark = pytest.mark.storage
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
ASYLUM = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ASYLUM_APPLICATIONS(1.0)"


def test_demo_accounts_share_a_little_and_a_second_init_undoes_nothing(app, engine, config):
    policy = app.extensions["sdmx_policy"]
    created = create_demo_accounts(engine, policy)
    assert len(created) == 1 + len(DEMO_COUNTRIES) * len(DEMO_ROLES)
    assert {a.role for a in created} == set(policy.roles)  # every role
    with engine.begin() as conn:
        users = UserStore(conn, policy)
        kg_viewer = users.actor_for_password("kg_viewer", DEMO_PASSWORD)
        assert kg_viewer.country == "KG"
        grants = GrantStore(conn)
        assert len(grants.grants_of()) == sum(1 for *_, g in DEMO_SHARING if g) >= 3
        v = visibility_for(kg_viewer, grants, config)
        assert v.providers(ASYLUM) == {"KG", "MD"}  # MD made it public
        assert v.providers(STOCK) == {"KG"}  # KZ granted it, but KG has released nothing of its own yet
        assert {e.actor for e in AuditStore(conn).entries(all_countries=True)} == {"init"}
        GrantStore(conn).withdraw("KZ", STOCK, "KG")  # someone changes the demo sharing
    assert create_demo_accounts(engine, policy) == []
    with engine.connect() as conn:
        assert ("KZ", STOCK, "KG") not in {(g.owner, g.dataflow_urn, g.grantee) for g in GrantStore(conn).grants_of()}
