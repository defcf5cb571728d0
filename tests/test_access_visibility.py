"""The visibility rule (DESIGN.md section 3) as Visibility.providers answers it, over roles and relations.

Callers of Kyrgyzstan (KG) look at Kazakhstan's (KZ) data on dataflow F, on both databases, with
real users and roles from auth/policy.toml and real grant, publicity and data rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from sdmx_server.identity.actor import ANONYMOUS, Actor, actor_from_roles
from sdmx_server.access.visibility import visibility_for
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.tables import data_set, observation, series
from sdmx_server.storage.user_store import UserStore

pytestmark = pytest.mark.storage

F = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)"
G = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_EXITS(1.0)"
DSD = "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD_MIGRATION(1.0)"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
COUNTRY_ROLES = ("viewer", "data_submitter", "data_verifier", "data_approver", "content_manager",
                 "country_administrator")
PENDING_ROLES = {"data_submitter", "data_verifier", "data_approver", "country_administrator"}


def store_data(conn, flow: str, provider: str, *, current: bool = True) -> None:
    """A data set with one observation: current (released), or closed by a later deletion."""
    ds = conn.execute(insert(data_set).values(dataflow_urn=flow, provider_id=provider, structure_urn=DSD)
                      ).inserted_primary_key[0]
    sid = conn.execute(insert(series).values(data_set_id=ds, series_key="S.KG.KZ.F")).inserted_primary_key[0]
    conn.execute(insert(observation).values(series_id=sid, time_period="2024-S1", period_start=T0, period_end=T0,
                                            value="5", valid_from=T0, valid_to=None if current else T0,
                                            submission_id=0))


# relation of the caller's country KG to KZ's data on F -> (setup, reciprocity, KZ visible to KG users?)
def _granted(conn):
    GrantStore(conn).grant("KZ", F, "KG", by="kz_admin")


def _granted_kg_released(conn):
    _granted(conn)
    store_data(conn, F, "KG")


def _granted_kg_released_elsewhere(conn):
    _granted(conn)
    store_data(conn, G, "KG")  # its own data on another dataflow does not count


def _granted_kg_data_deleted(conn):
    _granted(conn)
    store_data(conn, F, "KG", current=False)  # history only: nothing released now


def _granted_then_withdrawn(conn):
    _granted_kg_released(conn)
    GrantStore(conn).withdraw("KZ", F, "KG")


def _granted_to_another(conn):
    GrantStore(conn).grant("KZ", F, "MD", by="kz_admin")
    store_data(conn, F, "KG")


def _public(conn):
    GrantStore(conn).set_public("KZ", F, True, by="kz_admin")


def _public_then_not(conn):
    _public(conn)
    GrantStore(conn).set_public("KZ", F, False, by="kz_admin")
    store_data(conn, F, "KG")


def _public_on_other_flow(conn):
    GrantStore(conn).set_public("KZ", G, True, by="kz_admin")


def _nothing(conn):
    store_data(conn, F, "KZ")
    store_data(conn, F, "KG")


RELATIONS = {
    # name: (setup, reciprocity, KG users see KZ on F, anonymous sees KZ on F)
    "not granted": (_nothing, True, False, False),
    "granted, KG released on F": (_granted_kg_released, True, True, False),
    "granted, KG released nothing (reciprocity on)": (_granted, True, False, False),
    "granted, KG released nothing (reciprocity off)": (_granted, False, True, False),
    "granted, KG released only on G": (_granted_kg_released_elsewhere, True, False, False),
    "granted, KG data on F deleted since": (_granted_kg_data_deleted, True, False, False),
    "granted, then withdrawn": (_granted_then_withdrawn, True, False, False),
    "granted to MD, not to KG": (_granted_to_another, False, False, False),
    "public, reciprocity on": (_public, True, True, True),
    "made public, then not": (_public_then_not, True, False, False),
    "public on G only": (_public_on_other_flow, True, False, False),
}


@pytest.fixture
def policy(app):
    return app.extensions["sdmx_policy"]


def actor_with(conn, policy, username: str, role: str, country: str | None, indicators=None) -> Actor:
    """The caller as UserStore.actor makes it (the same function), without paying argon2 for each account."""
    return actor_from_roles(policy, hash(username) % 10**6 + 1, username, country,
                            [(role, d) for d in indicators or [""]])


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_matrix_of_roles_and_relations(engine, config, policy, relation):
    setup, reciprocity, kg_sees_kz, public_sees_kz = RELATIONS[relation]
    settings = replace(config, reciprocity=reciprocity)
    with engine.begin() as conn:
        setup(conn)
        grants = GrantStore(conn)
        for role in COUNTRY_ROLES:
            kg = visibility_for(actor_with(conn, policy, f"kg_{role}", role, "KG"), grants, settings)
            assert kg.providers(F) == ({"KG", "KZ"} if kg_sees_kz else {"KG"}), role
            assert kg.providers(G) == ({"KG", "KZ"} if relation == "public on G only" else {"KG"}), role
            assert kg.pending_providers(F) == ({"KG"} if role in PENDING_ROLES else set()), role
            kz = visibility_for(actor_with(conn, policy, f"kz_{role}", role, "KZ"), grants, settings)
            assert kz.providers(F) == {"KZ"}, role  # the owner sees its own; KG granted it nothing
            md = visibility_for(actor_with(conn, policy, f"md_{role}", role, "MD"), grants, settings)
            md_sees_kz = public_sees_kz or relation == "granted to MD, not to KG"
            assert md.providers(F) == ({"MD", "KZ"} if md_sees_kz else {"MD"}), role
        anonymous = visibility_for(ANONYMOUS, grants, settings)
        assert anonymous.providers(F) == ({"KZ"} if public_sees_kz else set())
        assert anonymous.pending_providers(F) == set()
        admin = visibility_for(actor_with(conn, policy, "root", "system_administrator", None), grants, settings)
        assert admin.providers(F) is None and admin.pending_providers(F) is None


def test_public_on_g_shows_kz_on_g_only(engine, config, policy):
    with engine.begin() as conn:
        _public_on_other_flow(conn)
        v = visibility_for(actor_with(conn, policy, "kg", "viewer", "KG"), GrantStore(conn), config)
        assert (v.providers(F), v.providers(G)) == ({"KG"}, {"KG", "KZ"})
        assert visibility_for(ANONYMOUS, GrantStore(conn), config).providers(G) == {"KZ"}


def test_per_indicator_privileges_limit_pending_data(engine, config, policy):
    with engine.begin() as conn:
        submitter = actor_with(conn, policy, "kz_f", "data_submitter", "KZ", indicators=[F])
        v = visibility_for(submitter, GrantStore(conn), config)
        assert v.pending_providers(F) == {"KZ"} and v.pending_providers(G) == set()
        assert v.providers(G) == {"KZ"}  # released data of its country: every indicator


def test_without_view_data_a_user_sees_what_the_public_sees(engine, config, policy):
    with engine.begin() as conn:
        _granted_kg_released(conn)
        _public_on_other_flow(conn)
        viewer = actor_with(conn, policy, "kg", "viewer", "KG")
        blind = replace(viewer, privileges=frozenset(), indicator_privileges={})
        v = visibility_for(blind, GrantStore(conn), config)
        assert (v.providers(F), v.providers(G)) == (set(), {"KZ"})


def test_visibility_is_compiled_once_per_request(app, engine, policy):
    from sdmx_server.request_context import visibility

    with engine.begin() as conn:
        users = UserStore(conn, policy)
        users.add("kg", "password-123", roles=["viewer"], country="KG")
        token, _ = users.create_token("kg", days=1)
        _granted_kg_released(conn)
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        first = visibility()
        with engine.begin() as conn:  # a change during the request shows in the next one, not this one
            GrantStore(conn).withdraw("KZ", F, "KG")
        assert visibility() is first and first.providers(F) == {"KG", "KZ"}
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        assert visibility().providers(F) == {"KG"}
    with app.test_request_context():
        assert visibility().providers(F) == set()


def test_the_app_reads_reciprocity_from_its_settings(config, engine, policy):
    from sdmx_server.app import create_app
    from sdmx_server.request_context import visibility

    assert config.reciprocity is True  # the default
    with engine.begin() as conn:
        users = UserStore(conn, policy)
        users.add("kg", "password-123", roles=["viewer"], country="KG")
        token, _ = users.create_token("kg", days=1)
        _granted(conn)  # KG has released nothing of its own on F
    for reciprocity, expected in ((True, {"KG"}), (False, {"KG", "KZ"})):
        app = create_app(config=replace(config, reciprocity=reciprocity))
        with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
            assert visibility().providers(F) == expected
        app.extensions["sdmx_engine"].dispose()
