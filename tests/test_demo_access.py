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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_visitor_s_first_look_at_the_reports_shows_released_public_figures(app, engine, client, config):
    """Issue 19, item 2: the demo's only public indicator had no figures, so a visitor saw none at all."""
    from sdmx_server.seeding import create_demo_figures, load_structures, read_files, seed_files

    load_structures(engine, read_files(seed_files(config)))
    create_demo_accounts(engine, app.extensions["sdmx_policy"])
    create_demo_figures(engine)
    for lang, name in (("en", "Asylum applications"), ("ru", "Ходатайства об убежище")):
        listing = client.get(f"/{lang}/reports/").get_data(as_text=True)
        assert f">{name}</a>" in listing
        assert "There are no figures you may see yet." not in listing
        page = client.get(f"/{lang}/reports/DSM/DF_ASYLUM_APPLICATIONS/1.0")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert ("Moldova" if lang == "en" else "Молдова") in html
        assert ">326<" in html  # 2025-Q4, Afghanistan, women: the demo's newest figure
        assert "No country has made figures of this indicator public yet." not in html
    # and over the API, for anyone: Moldova's 2024-2025, 3 citizenships x 2 sexes x 8 quarters
    r = client.get("/rest/v2/data/dataflow/DSM/DF_ASYLUM_APPLICATIONS/1.0/Q.MD..",
                   headers={"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"})
    assert r.status_code == 200
    assert len(r.get_data(as_text=True).strip().splitlines()) == 1 + 3 * 2 * 8
