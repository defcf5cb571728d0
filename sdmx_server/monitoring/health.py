"""Readiness: the database answers and holds the schema revision this server's code was written for."""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


@cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from ..storage.database import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def readiness(engine: Engine) -> dict:
    """``{"status": "ready" | "not ready", "checks": {...}}``; the failure's detail goes to the log only (it may
    name hosts and users), the answer says which check failed."""
    head = head_revision()
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as e:
        log.warning("readiness: the database did not answer: %s", str(e).splitlines()[0][:500])
        return {"status": "not ready", "checks": {"database": "unreachable, or no schema (run sdmx-server init)",
                                                  "migrations": "unknown"}}
    if revision != head:
        return {"status": "not ready",
                "checks": {"database": "ok", "migrations": f"the database is at revision {revision}, this server "
                                                           f"needs {head}: run sdmx-server init"}}
    return {"status": "ready", "checks": {"database": "ok", "migrations": f"current ({head})"}}
