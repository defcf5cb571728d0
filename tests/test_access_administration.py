"""Delegated administration and sharing as plain functions: own country only, never more than one holds."""

from __future__ import annotations

import pytest

from sdmx_server.access import administration as admin
from sdmx_server.access.administration import RoleAssignment as R
from sdmx_server.sdmx.errors import Forbidden, NotFound, SemanticError
from sdmx_server.storage.user_store import DuplicateUser, UserError

from .access_world import F, G, PASSWORD, build_world

pytestmark = pytest.mark.storage


@pytest.fixture
def policy(app):
    return app.extensions["sdmx_policy"]


@pytest.fixture
def world(engine, policy):
    """Run ``fn(stores, actors)`` in one committed transaction; actors are the world's users as signed in."""
    ids = build_world(engine, policy)

    def run(fn):
        with engine.begin() as conn:
            s = admin.Stores.on(conn, policy)
            return fn(s, {name: s.users.actor(uid) for name, uid in ids.items()})

    return run


def test_country_administrators_create_users_of_their_own_country_only(world):
    def act(s, a):
        made = admin.create_user(s, a["kz_admin"], username="kz_new", password="long-enough-1",
                                 roles=[R("data_submitter", F), R("viewer")], display_name="New")
        assert (made.country, made.roles, made.is_active) == ("KZ", (("data_submitter", F), ("viewer", "")), True)
        with pytest.raises(Forbidden, match="of KZ only, not of KG"):
            admin.create_user(s, a["kz_admin"], username="kg_new", password="long-enough-1", roles=[R("viewer")],
                              country="KG")
        with pytest.raises(Forbidden, match="may not manage users"):
            admin.create_user(s, a["kz_viewer"], username="x1", password="long-enough-1", roles=[R("viewer")])
        with pytest.raises(DuplicateUser):
            admin.create_user(s, a["kz_admin"], username="kz_viewer", password="long-enough-1", roles=[R("viewer")])
        with pytest.raises(SemanticError, match="at least 10"):
            admin.create_user(s, a["kz_admin"], username="x2", password="short", roles=[R("viewer")])
        with pytest.raises(UserError, match="unknown role 'wizard'"):
            admin.create_user(s, a["kz_admin"], username="x3", password="long-enough-1", roles=[R("wizard")])
        with pytest.raises(SemanticError, match="no per-indicator privilege"):
            admin.create_user(s, a["kz_admin"], username="x4", password="long-enough-1", roles=[R("viewer", F)])
        with pytest.raises(NotFound, match="no dataflow"):
            admin.create_user(s, a["kz_admin"], username="x5", password="long-enough-1",
                              roles=[R("data_submitter", F.replace("ENTRIES", "NOPE"))])
        # system administrators create users of any known country, and other system administrators
        assert admin.create_user(s, a["root"], username="md_v", password="long-enough-1", roles=[R("viewer")],
                                 country="MD").country == "MD"
        with pytest.raises(SemanticError, match="'XX' is not a data provider"):
            admin.create_user(s, a["root"], username="xx_v", password="long-enough-1", roles=[R("viewer")],
                              country="XX")
        with pytest.raises(UserError, match="belong to no country"):
            admin.create_user(s, a["root"], username="odd", password="long-enough-1",
                              roles=[R("system_administrator")], country="KZ")
        assert admin.create_user(s, a["root"], username="root2", password="long-enough-1",
                                 roles=[R("system_administrator")]).country is None
        entries = s.audit.entries(country="KZ")
        assert [(e.actor, e.action, e.target) for e in entries] == [("kz_admin", "user.create", "kz_new")]
        assert entries[0].details["roles"] == [["data_submitter", F], ["viewer", ""]]
        assert not any(s.users.exists(n) for n in ("kg_new", "x1", "x2", "x3", "x4", "x5", "xx_v", "odd"))

    world(act)


def test_never_more_than_the_administrator_holds(world, policy):
    def act(s, a):
        kz, kz_f = a["kz_admin"], a["kz_f_admin"]
        assert admin.can_give(kz, policy, [R("country_administrator"), R("data_approver", G)])
        assert not admin.can_give(kz, policy, [R("system_administrator")])
        # kz_f_admin holds submit, verify and release for F only
        assert admin.can_give(kz_f, policy, [R("data_submitter", F), R("viewer"), R("content_manager")])
        assert not admin.can_give(kz_f, policy, [R("data_submitter", G)])
        assert not admin.can_give(kz_f, policy, [R("data_submitter")])  # every indicator is more than F
        assert admin.ungivable(kz_f, policy, [R("data_verifier", G)]) == [
            f"role data_verifier for {G} needs verify_data, which kz_f_admin does not hold"]
        assert admin.can_give(a["root"], policy, [R("system_administrator"), R("data_submitter")])
        with pytest.raises(Forbidden, match="belongs to the hosting organisation"):
            admin.create_user(s, kz, username="kz_root", password="long-enough-1", roles=[R("system_administrator")])
        with pytest.raises(Forbidden, match="needs submit_data"):
            admin.create_user(s, kz_f, username="kz_g", password="long-enough-1", roles=[R("data_submitter", G)])
        made = admin.create_user(s, kz_f, username="kz_f", password="long-enough-1", roles=[R("data_submitter", F)])
        assert made.roles == (("data_submitter", F),)
        # and cannot widen an existing user's roles beyond that either
        with pytest.raises(Forbidden):
            admin.set_roles(s, kz_f, "kz_f", [R("data_submitter")])
        assert s.users.get("kz_f").roles == (("data_submitter", F),)

    world(act)


def test_who_may_manage_whom(world, policy):
    def act(s, a):
        kz, kz_f, root = a["kz_admin"], a["kz_f_admin"], a["root"]
        assert [u.username for u in admin.list_users(s, kz)] == ["kz_admin", "kz_f_admin", "kz_viewer"]
        assert {u.username for u in admin.list_users(s, root)} == {"root", "kz_admin", "kz_f_admin", "kz_viewer",
                                                                    "kg_admin", "kg_viewer"}
        assert [u.username for u in admin.list_users(s, root, "KG")] == ["kg_admin", "kg_viewer"]
        with pytest.raises(Forbidden, match="users of KZ only"):
            admin.list_users(s, kz, "KG")
        with pytest.raises(Forbidden):
            admin.list_users(s, a["kz_viewer"])
        # another country's users do not exist for a country administrator
        with pytest.raises(NotFound, match="no user 'kg_viewer' in KZ"):
            admin.get_user(s, kz, "kg_viewer")
        with pytest.raises(NotFound):
            admin.set_active(s, kz, "root", False)
        assert admin.can_manage_user(kz, policy, s.users.get("kz_f_admin"))
        assert not admin.can_manage_user(kz_f, policy, s.users.get("kz_admin"))  # holds more than kz_f_admin
        assert not admin.can_manage_user(kz, policy, s.users.get("kg_viewer"))
        assert admin.can_manage_user(root, policy, s.users.get("kg_viewer"))
        with pytest.raises(Forbidden, match="holds more"):
            admin.set_roles(s, kz_f, "kz_admin", [R("viewer")])
        changed = admin.set_roles(s, kz, "kz_viewer", [R("data_approver", G)])
        assert changed.roles == (("data_approver", G),)
        assert s.users.actor(changed.id).holds_for("release_data", G)
        assert not s.users.actor(changed.id).holds_for("release_data", F)
        before_after = s.audit.entries(country="KZ")[0].details
        assert before_after == {"before": [["viewer", ""]], "after": [["data_approver", G]]}

    world(act)


def test_deactivation_revokes_tokens_and_password_reset_replaces_the_password(world):
    def act(s, a):
        kz = a["kz_admin"]
        viewer = s.users.get("kz_viewer")
        token, _ = s.users.create_token("kz_viewer", days=5)
        assert s.users.actor_for_token(token).username == "kz_viewer"
        assert not admin.set_active(s, kz, "kz_viewer", False).is_active
        assert s.users.actor_for_token(token) is None
        assert s.users.actor_for_password("kz_viewer", PASSWORD) is None
        assert all(t.revoked_at is not None for t in s.users.tokens(viewer.id))
        assert admin.set_active(s, kz, "kz_viewer", True).is_active
        assert s.users.actor_for_token(token) is None  # reactivation brings no token back
        new = admin.reset_password(s, kz, "kz_viewer")
        assert len(new) >= 10 and new != PASSWORD
        assert s.users.actor_for_password("kz_viewer", PASSWORD) is None
        assert s.users.actor_for_password("kz_viewer", new).username == "kz_viewer"
        with pytest.raises(SemanticError, match="cannot deactivate yourself"):
            admin.set_active(s, kz, "kz_admin", False)
        assert admin.set_display_name(s, kz, "kz_viewer", "Aigul").display_name == "Aigul"
        actions = [e.action for e in s.audit.entries(country="KZ")]
        assert actions == ["user.rename", "user.reset_password", "user.activate", "user.deactivate"]

    world(act)


def test_sharing_is_decided_by_the_owner_country(world):
    def act(s, a):
        kz = a["kz_admin"]
        assert admin.grant_access(s, kz, "KZ", F, "KG") is True
        assert admin.grant_access(s, kz, "KZ", F, "KG") is False  # nothing to change, nothing logged
        assert admin.grant_access(s, kz, "KZ", F, "MD") is True
        assert admin.set_public(s, kz, "KZ", G, True) is True
        listing = {x.dataflow_urn: x for x in admin.sharing_of(s, kz, "KZ")}
        assert len(listing) == 6  # every seeded dataflow, shared or not
        assert listing[F].grantees == ("KG", "MD") and not listing[F].is_public
        assert listing[G].is_public and listing[G].grantees == ()
        assert admin.withdraw_access(s, kz, "KZ", F, "MD") is True
        assert admin.withdraw_access(s, kz, "KZ", F, "MD") is False
        assert admin.set_public(s, kz, "KZ", G, False) is True
        assert [g.grantee for g in s.grants.grants_of("KZ")] == ["KG"]
        for who in ("kg_admin", "kz_viewer"):
            with pytest.raises(Forbidden, match="may not decide who sees the data of KZ"):
                admin.grant_access(s, a[who], "KZ", F, "KG")
            with pytest.raises(Forbidden):
                admin.sharing_of(s, a[who], "KZ")
        with pytest.raises(SemanticError, match="grantee 'XX'"):
            admin.grant_access(s, kz, "KZ", F, "XX")
        with pytest.raises(SemanticError, match="always sees its own"):
            admin.grant_access(s, kz, "KZ", F, "KZ")
        with pytest.raises(NotFound, match="no dataflow"):
            admin.grant_access(s, kz, "KZ", F.replace("ENTRIES", "NOPE"), "KG")
        with pytest.raises(NotFound):  # a codelist is not a dataflow
            admin.set_public(s, kz, "KZ", "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_SEX(1.0)", True)
        assert admin.grant_access(s, a["root"], "KG", G, "KZ") is True  # system administrators: any owner
        kz_log = [(e.action, e.target, e.details) for e in s.audit.entries(country="KZ")]
        assert kz_log == [("sharing.unpublish", G, {}), ("sharing.withdraw", F, {"grantee": "MD"}),
                          ("sharing.publish", G, {}), ("sharing.grant", F, {"grantee": "MD"}),
                          ("sharing.grant", F, {"grantee": "KG"})]

    world(act)


def test_audit_log_is_read_by_country(world):
    def act(s, a):
        admin.grant_access(s, a["kz_admin"], "KZ", F, "KG")
        admin.grant_access(s, a["kg_admin"], "KG", F, "KZ")
        admin.create_my_token(s, a["kz_viewer"], days=3, label="excel")
        assert [(e.actor, e.action) for e in admin.audit_entries(s, a["kz_admin"])] == [
            ("kz_viewer", "token.create"), ("kz_admin", "sharing.grant")]
        assert [e.country for e in admin.audit_entries(s, a["kg_admin"])] == ["KG"]
        with pytest.raises(Forbidden, match="audit log of KG"):
            admin.audit_entries(s, a["kz_admin"], country="KG")
        with pytest.raises(Forbidden):
            admin.audit_entries(s, a["kz_viewer"])
        everything = admin.audit_entries(s, a["root"])
        assert [e.country for e in everything] == ["KZ", "KG", "KZ"]
        assert [e.id for e in admin.audit_entries(s, a["root"], before=everything[0].id, limit=1)] == [everything[1].id]
        assert [e.country for e in admin.audit_entries(s, a["root"], country="KG")] == ["KG"]

    world(act)


def test_tokens_are_ones_own(world):
    def act(s, a):
        token, row = admin.create_my_token(s, a["kz_viewer"], days=7, label="cron")
        assert token.startswith("dsm_") and row.label == "cron"
        assert s.users.actor_for_token(token).username == "kz_viewer"
        assert [t.id for t in admin.my_tokens(s, a["kz_viewer"])] == [row.id]
        assert admin.my_tokens(s, a["kz_admin"]) == []
        with pytest.raises(NotFound):  # nobody revokes another user's token, even their administrator
            admin.revoke_my_token(s, a["kz_admin"], row.id)
        with pytest.raises(SemanticError, match="1 to 366 days"):
            admin.create_my_token(s, a["kz_viewer"], days=0)
        admin.revoke_my_token(s, a["kz_viewer"], row.id)
        assert s.users.actor_for_token(token) is None
        with pytest.raises(NotFound):  # twice is once too many
            admin.revoke_my_token(s, a["kz_viewer"], row.id)

    world(act)


def test_migration_0003_creates_the_tables_tables_py_declares(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sdmx_server.storage.tables import metadata

    mine = {"data_grant", "data_publicity", "audit_log", "login_failure"}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    concerning = [d for d in diff if any(name in repr(d) for name in mine)]
    assert concerning == []
    assert mine <= set(metadata.tables)
