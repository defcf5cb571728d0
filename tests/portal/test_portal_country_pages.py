"""Country pages through the Flask test client on SQLite and PostgreSQL: the country decides whether the public
sees its page, signed-in participants always do; what it lists of its releases follows the data's sharing (never
revealing confidential figures); its content managers edit it, others may not; texts are escaped and audited."""

from __future__ import annotations

from sdmx_server.seeding import create_demo_figures
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.grant_store import GrantStore

from .conftest import csrf_token
from .test_portal_admin import text_of
from .test_portal_documents import new_client

STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def save_page(client, code: str, **fields):
    page = client.get(f"/en/content/countries/{code}")
    if page.status_code != 200:
        return page
    return client.post(f"/en/content/countries/{code}", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                              **fields})


def test_a_country_page_is_public_when_the_country_says_so(app, world):
    create_demo_figures(app.extensions["sdmx_engine"])  # stock of foreigners of KZ, KG, MD released, 2024-S1..2025-S2
    visitor = new_client(app, None)
    hidden = visitor.get("/en/countries/KZ")
    assert hidden.status_code == 302 and "/en/sign-in" in hidden.headers["Location"]
    assert "page for signed-in participants" in text_of(visitor.get("/en/countries/").get_data(as_text=True))
    kg = new_client(app, "kg_viewer")
    page = text_of(kg.get("/en/countries/KZ").get_data(as_text=True))  # participants always see it ...
    assert "No released figures you may see." in page  # ... but not Kazakhstan's unshared figures
    with app.extensions["sdmx_engine"].begin() as conn:
        GrantStore(conn).grant("KZ", STOCK, "KG", by="test")
    page = text_of(new_client(app, "kg_viewer").get("/en/countries/KZ").get_data(as_text=True))
    assert "Stock of foreigners 2024-S1 – 2025-S2 32" in page and "Latest releases" in page

    kz = new_client(app, "kz_admin")
    assert kz.get("/en/content/countries/KG").status_code == 403
    assert new_client(app, "kz_viewer").get("/en/content/countries/KZ").status_code == 403
    answer = save_page(kz, "KZ", about_en="The <b>Bureau</b> of National Statistics.", about_ru="",
                       institutions_en="Bureau of National Statistics\nMinistry of Labour",
                       contacts_en="stat@example.kz", is_public="y")
    assert answer.status_code == 302
    html = visitor.get("/ru/countries/KZ").get_data(as_text=True)
    assert "&lt;b&gt;Bureau&lt;/b&gt;" in html and "<b>Bureau" not in html
    page = text_of(html)
    assert "The <b>Bureau</b> of National Statistics. (English: не переведено)" in page
    assert "Bureau of National Statistics Ministry of Labour" in page and "stat@example.kz" in page
    assert "Опубликованных данных, доступных вам, нет." in page  # public page, confidential figures still hidden
    with app.extensions["sdmx_engine"].connect() as conn:
        assert [e.action for e in AuditStore(conn).entries(country="KZ")][0] == "country_page.update"
    assert new_client(app, None).get("/en/countries/XX").status_code == 404
