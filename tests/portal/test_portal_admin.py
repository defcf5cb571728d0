"""Country and system administration in the portal, through the Flask test client on SQLite and PostgreSQL:
the management API's rules (own country only, never more than one holds, system pages for system
administrators), nothing of another country shown, one-time secrets, and plain messages for bad input."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest

from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.user_store import UserStore

from ..access_world import F, G, PASSWORD
from .conftest import csrf_token, sign_in

CODELIST = """<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
 xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
 xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
<mes:Header><mes:ID>T1</mes:ID><mes:Test>false</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
<mes:Sender id="DSM"/></mes:Header>
<mes:Structures><str:Codelists><str:Codelist id="CL_PERMIT_KIND" agencyID="DSM" version="1.0" isFinal="false">
<com:Name xml:lang="en">Kind of permit</com:Name><com:Name xml:lang="ru">Вид разрешения</com:Name>
<str:Code id="W"><com:Name xml:lang="en">Work</com:Name></str:Code>
<str:Code id="S"><com:Name xml:lang="en">Study</com:Name></str:Code>
</str:Codelist></str:Codelists></mes:Structures></mes:Structure>""".encode()


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def post_form(client, page: str, action: str, data: dict, **kw):
    """Send a form as a browser would: the CSRF token (and a one-time key) taken from the page that shows it."""
    html = client.get(page).get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', html)
    return client.post(action, data={"csrf_token": csrf_token(html), **({"once": once.group(1)} if once else {}),
                                     **data}, **kw)


def users_of(app) -> dict:
    with app.extensions["sdmx_engine"].connect() as conn:
        return {u.username: u for u in UserStore(conn, app.extensions["sdmx_policy"]).list()}


def grants_of(app, owner: str) -> set[tuple[str, str]]:
    with app.extensions["sdmx_engine"].connect() as conn:
        return {(g.dataflow_urn, g.grantee) for g in GrantStore(conn).grants_of(owner)}


def public_of(app, owner: str) -> set[str]:
    with app.extensions["sdmx_engine"].connect() as conn:
        return {p.dataflow_urn for p in GrantStore(conn).publicity_of(owner) if p.is_public}


ADMIN_PAGES = ["/en/admin/users/", "/en/admin/users/new", "/en/admin/users/kz_viewer", "/en/admin/sharing"]
SYSTEM_PAGES = ["/en/system/countries", "/en/system/structures"]


def test_pages_need_sign_in_and_the_roles_the_api_asks_for(client, world):
    for path in ADMIN_PAGES + SYSTEM_PAGES + ["/en/system/audit", "/en/account/tokens"]:
        r = client.get(path)
        assert r.status_code == 302 and "/en/sign-in?next=" in r.headers["Location"], path
    sign_in(client, "kz_viewer")
    for path in ADMIN_PAGES + SYSTEM_PAGES + ["/en/system/audit"]:
        r = client.get(path)
        assert r.status_code == 403, path
        assert "You may not use this page" in text_of(r.get_data(as_text=True))
    assert client.get("/en/account/tokens").status_code == 200  # everyone signed in has their tokens
    nav = client.get("/en/").get_data(as_text=True)
    assert "API tokens" in nav and "Administration" not in nav

    client.post("/en/sign-out", data={"csrf_token": csrf_token(nav)})
    sign_in(client, "kz_admin")
    for path in ADMIN_PAGES + ["/en/system/audit"]:
        assert client.get(path).status_code == 200, path
    for path in SYSTEM_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.get("/en/admin/users/kg_viewer").status_code == 404  # another country's user: as if none
    assert client.get("/en/admin/users/?country=KG").status_code == 403
    assert client.get("/en/system/audit?country=KG").status_code == 403
    home = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/admin/users/">Administration</a>' in home
    menu = client.get("/en/admin/users/").get_data(as_text=True)
    assert "Sharing" in menu and "Audit log" in menu and "Structures" not in menu


def test_a_kz_administrator_never_sees_kg_users_grants_or_audit_entries(client, world, app):
    sign_in(client, "kg_admin")
    kg_sharing = "/en/admin/sharing"
    r = post_form(client, kg_sharing, kg_sharing, {"grants": [f"{F} KZ", f"{F} MD"], "public": [G]})
    assert r.status_code == 302
    assert grants_of(app, "KG") == {(F, "KZ"), (F, "MD")}
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client.get("/en/").get_data(as_text=True))})

    sign_in(client, "kz_admin")
    users = text_of(client.get("/en/admin/users/").get_data(as_text=True))
    assert "kz_viewer" in users and "kz_f_admin" in users
    assert "kg_viewer" not in users and "kg_admin" not in users and "root" not in users
    sharing = client.get("/en/admin/sharing?country=KG").get_data(as_text=True)  # the query cannot widen it
    assert "Who may see the data of Kazakhstan" in text_of(sharing)
    assert re.findall(r'<input type="checkbox" name="(?:grants|public)" value="[^"]+" checked>', sharing) == []
    audit = client.get("/en/system/audit").get_data(as_text=True)
    assert "Access granted" not in text_of(audit) and "kg_admin" not in audit


def test_creating_a_user_with_a_role_limited_to_one_indicator(client, world, app):
    sign_in(client, "kz_admin")
    form = client.get("/en/admin/users/new").get_data(as_text=True)
    assert 'name="country"' not in form  # a country administrator creates users of their own country only
    assert f'name="role_data_submitter" type="checkbox" value="{F}"' in form
    assert 'name="role_system_administrator"' not in form

    new = {"username": "kz_anna", "display_name": "Anna Akhmetova", "password": "short",
           "role_data_submitter": [F]}
    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new", new)
    page = text_of(r.get_data(as_text=True))
    assert r.status_code == 400 and "A password needs at least 10 characters." in page
    assert 'value="kz_anna"' in r.get_data(as_text=True)  # nothing typed is lost
    assert re.search(rf'checked[^>]*value="{re.escape(F)}"|value="{re.escape(F)}"[^>]*checked',
                     r.get_data(as_text=True))
    assert "kz_anna" not in users_of(app)

    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new", {**new, "password": "long-enough-1",
                                                                         "role_data_submitter": []})
    assert r.status_code == 400 and "Tick at least one role" in text_of(r.get_data(as_text=True))

    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new", {**new, "password": "long-enough-1"})
    assert r.status_code == 302 and r.headers["Location"] == "/en/admin/users/kz_anna"
    anna = users_of(app)["kz_anna"]
    assert anna.country == "KZ" and anna.roles == (("data_submitter", F),) and anna.display_name == "Anna Akhmetova"
    page = text_of(client.get("/en/admin/users/kz_anna").get_data(as_text=True))
    assert "The user is created." in page and "Data submitter: Foreigners entering the country" in page

    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new", {**new, "password": "long-enough-1"})
    assert r.status_code == 400 and "This username is taken already" in text_of(r.get_data(as_text=True))

    # a country administrator limited to F cannot give a role for every indicator, nor for G
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client.get("/en/").get_data(as_text=True))})
    sign_in(client, "kz_f_admin")
    for boxes in (["*"], [G]):
        r = post_form(client, "/en/admin/users/new", "/en/admin/users/new",
                      {**new, "username": "kz_boris", "password": "long-enough-1", "role_data_submitter": boxes})
        assert r.status_code == 400
        assert "you may give only privileges you hold yourself" in text_of(r.get_data(as_text=True))
    assert "kz_boris" not in users_of(app)
    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new",
                  {**new, "username": "kz_boris", "password": "long-enough-1", "role_data_submitter": ["nonsense"]})
    assert r.status_code == 400 and "Choose only among the boxes shown." in text_of(r.get_data(as_text=True))
    # and sees the unlimited administrator, but may not change them
    page = client.get("/en/admin/users/kz_admin").get_data(as_text=True)
    assert "holds privileges you do not have" in text_of(page) and "Reset the password" not in page
    r = post_form(client, "/en/admin/users/kz_viewer", "/en/admin/users/kz_admin/password", {})
    assert r.status_code == 403


def test_roles_deactivation_and_a_password_reset_shown_once(client, world, app):
    sign_in(client, "kz_admin")
    page = "/en/admin/users/kz_viewer"
    r = post_form(client, page, page + "/roles", {"role_viewer": ["*"], "role_data_verifier": [G]})
    assert r.status_code == 302
    assert set(users_of(app)["kz_viewer"].roles) == {("viewer", ""), ("data_verifier", G)}
    assert "The roles are saved." in text_of(client.get(page).get_data(as_text=True))

    r = post_form(client, page, page + "/password", {})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    new_password = re.search(r'<code class="big">([^<]+)</code>', html).group(1)
    assert len(new_password) >= 10 and new_password not in client.get(page).get_data(as_text=True)

    other = app.test_client()
    assert sign_in(other, "kz_viewer", PASSWORD).status_code == 200  # the old password is refused
    assert sign_in(other, "kz_viewer", new_password).status_code == 302

    r = post_form(client, page, page + "/active", {"active": "no"})
    assert r.status_code == 302
    assert users_of(app)["kz_viewer"].is_active is False
    assert "The user is deactivated" in text_of(client.get(page).get_data(as_text=True))
    assert other.get("/en/account/tokens").status_code == 302  # signed out at their next request

    me = "/en/admin/users/kz_admin"
    r = post_form(client, me, me + "/active", {"active": "no"})
    assert r.status_code == 422
    assert "You cannot deactivate your own account" in text_of(r.get_data(as_text=True))
    assert users_of(app)["kz_admin"].is_active


def test_the_sharing_matrix_grants_withdraws_and_publishes(client, world, app):
    sign_in(client, "kz_admin")
    page = client.get("/en/admin/sharing").get_data(as_text=True)
    assert text_of(page).count("Public: everyone may see the released figures") == 6  # one per indicator
    assert f'value="{G} KZ"' not in page  # a country needs no grant to see its own data
    r = post_form(client, "/en/admin/sharing", "/en/admin/sharing", {"grants": [f"{G} MD"], "public": [F]})
    assert r.status_code == 302 and r.headers["Location"] == "/en/admin/sharing"
    assert grants_of(app, "KZ") == {(G, "MD")} and public_of(app, "KZ") == {F}
    page = client.get("/en/admin/sharing").get_data(as_text=True)
    assert "The sharing settings are saved." in text_of(page)
    assert f'name="grants" value="{G} MD" checked' in page and f'name="public" value="{F}" checked' in page

    r = post_form(client, "/en/admin/sharing", "/en/admin/sharing", {"grants": [f"{G} MD"], "public": [F]})
    assert "Nothing was changed." in text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    post_form(client, "/en/admin/sharing", "/en/admin/sharing", {"public": []})
    assert grants_of(app, "KZ") == set() and public_of(app, "KZ") == set()
    r = post_form(client, "/en/admin/sharing", "/en/admin/sharing", {"grants": [f"{G} KZ"]})
    assert r.status_code == 400 and "Choose only among the boxes shown." in text_of(r.get_data(as_text=True))

    audit = text_of(client.get("/en/system/audit").get_data(as_text=True))
    assert "Access granted: Foreigners leaving the country · Kazakhstan" in audit and "country: Moldova" in audit
    assert "Made public: Foreigners entering the country" in audit and "Access withdrawn" in audit
    with app.extensions["sdmx_engine"].connect() as conn:
        actions = [e.action for e in AuditStore(conn).entries(country="KZ")]
    assert sorted(actions[:4]) == ["sharing.grant", "sharing.publish", "sharing.unpublish", "sharing.withdraw"]

    r = client.post("/en/admin/sharing", data={"grants": [f"{G} MD"]})  # no CSRF token: refused
    assert r.status_code == 400 and grants_of(app, "KZ") == set()


def test_api_tokens_are_shown_once_work_and_die_on_revocation(client, world, app):
    sign_in(client, "kz_viewer")
    r = post_form(client, "/en/account/tokens", "/en/account/tokens", {"label": "nightly", "days": "0"})
    assert r.status_code == 400 and "Enter a number of days from 1 to 366." in text_of(r.get_data(as_text=True))
    r = post_form(client, "/en/account/tokens", "/en/account/tokens", {"label": "nightly", "days": "30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code class="big" id="new-token">([^<]+)</code>', html).group(1)
    assert secret not in client.get("/en/account/tokens").get_data(as_text=True)
    sent = dict(re.findall(r'name="(csrf_token|once)" type="hidden" value="([^"]+)"', html))
    again = {"csrf_token": sent["csrf_token"], "once": "already-spent", "label": "nightly", "days": "30"}
    r = client.post("/en/account/tokens", data=again)  # a reloaded answer: no second token nobody saw
    assert r.status_code == 302 and "nothing more was done" in text_of(client.get(r.headers["Location"]).get_data(
        as_text=True))
    assert len(re.findall(r'name="token_id"', client.get("/en/account/tokens").get_data(as_text=True))) == 1

    api = app.test_client()
    me = api.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["username"] == "kz_viewer"
    token_id = int(re.search(r'name="token_id" value="(\d+)"', client.get("/en/account/tokens").get_data(
        as_text=True)).group(1))

    intruder = app.test_client()
    sign_in(intruder, "kz_admin")
    r = post_form(intruder, "/en/account/tokens", "/en/account/tokens/revoke", {"token_id": str(token_id)})
    assert r.status_code == 404  # nobody revokes another's token
    assert api.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    r = post_form(client, "/en/account/tokens", "/en/account/tokens/revoke", {"token_id": str(token_id)})
    assert r.status_code == 302
    assert "The API token is revoked" in text_of(client.get("/en/account/tokens").get_data(as_text=True))
    assert api.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_system_administrator_loads_structures_and_sees_what_was_loaded(client, world, app):
    sign_in(client, "root")
    page = "/en/system/structures"
    before = text_of(client.get(page).get_data(as_text=True))
    assert "CL_SEX" in before and "CL_PERMIT_KIND" not in before
    r = post_form(client, page, page, {"message": (io.BytesIO(CODELIST), "codelist.xml")},
                  content_type="multipart/form-data")
    text = text_of(r.get_data(as_text=True))
    assert r.status_code == 200, text
    assert "What was loaded Codelist DSM:CL_PERMIT_KIND(1.0) : created" in text
    assert "DSM:CL_PERMIT_KIND(1.0) Kind of permit 2 no" in text  # listed: name, items, not final
    assert client.get("/rest/codelist/DSM/CL_PERMIT_KIND/1.0").status_code == 200  # the REST API serves it

    r = post_form(client, page, page, {"message": (io.BytesIO(CODELIST), "codelist.xml")},
                  content_type="multipart/form-data")
    assert "unchanged (the same as the stored one)" in text_of(r.get_data(as_text=True))
    broken = CODELIST.replace(b"</str:Codelists>", b"</str:Codelist>", 1)
    r = post_form(client, page, page, {"message": (io.BytesIO(broken), "broken.xml")},
                  content_type="multipart/form-data")
    assert r.status_code == 422 and "The file could not be read" in text_of(r.get_data(as_text=True))
    r = post_form(client, page, page, {}, content_type="multipart/form-data")
    assert r.status_code == 400 and "Choose a file to upload." in text_of(r.get_data(as_text=True))
    ru = text_of(client.get("/ru/system/structures").get_data(as_text=True))
    assert "Вид разрешения" in ru
    audit = text_of(client.get("/en/system/audit").get_data(as_text=True))
    assert audit.count("Structure created") == 1 and "DSM:CL_PERMIT_KIND(1.0)" in audit  # unchanged: no entry
    assert "Структура создана" in text_of(client.get("/ru/system/audit").get_data(as_text=True))


def test_a_system_administrator_manages_countries_and_every_user(client, world, app):
    sign_in(client, "root")
    page = "/en/system/countries"
    text = text_of(client.get(page).get_data(as_text=True))
    assert "KZ Kazakhstan Казахстан 3" in text  # kz_admin, kz_f_admin, kz_viewer
    r = post_form(client, page, page, {"country_id": "mn", "name_en": "Mongolia", "name_ru": "Монголия"})
    assert r.status_code == 400 and "two capital Latin letters" in text_of(r.get_data(as_text=True))
    r = post_form(client, page, page, {"country_id": "MN", "name_en": "Mongolia", "name_ru": "Монголия"})
    assert r.status_code == 302
    assert "MN Mongolia Монголия 0" in text_of(client.get(page).get_data(as_text=True))

    form = client.get("/en/admin/users/new?country=MN").get_data(as_text=True)
    assert '<option selected value="MN">Mongolia</option>' in form
    r = post_form(client, "/en/admin/users/new", "/en/admin/users/new",
                  {"username": "mn_admin", "password": "long-enough-1", "country": "MN",
                   "role_country_administrator": ["*"]})
    assert r.status_code == 302 and users_of(app)["mn_admin"].country == "MN"
    every = text_of(client.get("/en/admin/users/").get_data(as_text=True))
    assert "kg_viewer" in every and "kz_viewer" in every and "mn_admin" in every
    assert "kg_viewer" not in text_of(client.get("/en/admin/users/?country=KZ").get_data(as_text=True))
    audit = text_of(client.get("/en/system/audit").get_data(as_text=True))
    assert "User created: mn_admin · Mongolia" in audit and "roles: Country administrator" in audit

    chooser = client.get("/en/admin/sharing").get_data(as_text=True)  # no country of their own: choose one
    assert "Choose a country" in chooser and 'name="grants"' not in chooser
    page = "/en/admin/sharing?country=KG"
    assert "Who may see the data of Kyrgyzstan" in text_of(client.get(page).get_data(as_text=True))
    r = post_form(client, page, page, {"grants": [f"{F} MD"]})
    assert r.status_code == 302 and r.headers["Location"] == page and grants_of(app, "KG") == {(F, "MD")}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_speak_russian(client, world):
    sign_in(client, "kz_admin", lang="ru")
    for path, heading in [("/ru/admin/users/", "Пользователи"), ("/ru/admin/users/new", "Создать пользователя"),
                          ("/ru/admin/sharing", "Доступ к данным: Казахстан"),
                          ("/ru/account/tokens", "Мои API-токены"), ("/ru/system/audit", "Журнал аудита")]:
        html = client.get(path).get_data(as_text=True)
        assert re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip().startswith(heading), path
        assert not re.search(r"\b(the|and|of|Users|Sharing|Roles)\b", text_of(html)), (path, text_of(html))
