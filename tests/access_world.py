"""A small world for access tests: the seeded DSM structures and a few users of KZ and KG, on a real database."""

from __future__ import annotations

from functools import cache

from sdmx_server.identity.passwords import hash_password
from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.settings import load_config
from sdmx_server.storage.user_store import UserStore

PASSWORD = "password-123"
F = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)"
G = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_EXITS(1.0)"

# username: (roles, country, dataflow the roles are limited to)
USERS = {
    "root": (["system_administrator"], None, None),
    "kz_admin": (["country_administrator"], "KZ", None),
    "kz_f_admin": (["country_administrator"], "KZ", F),  # submits, verifies, releases F only
    "kz_viewer": (["viewer"], "KZ", None),
    "kg_admin": (["country_administrator"], "KG", None),
    "kg_viewer": (["viewer"], "KG", None),
}


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the shared password once


@cache
def _seed_artefacts() -> tuple:
    return tuple(read_files(seed_files(load_config(environ={}))))


def build_world(engine, policy) -> dict[str, int]:
    """Load the seed structures and create USERS; returns username -> user id."""
    load_structures(engine, list(_seed_artefacts()))
    ids = {}
    with engine.begin() as conn:
        users = UserStore(conn, policy)
        for name, (roles, country, flow) in USERS.items():
            ids[name] = users.add(name, PASSWORD, roles=roles, country=country, indicators=[flow] if flow else None,
                                  password_hash=_password_hash())
    return ids
