"""A full dump of every table, to prove a rejected request changed nothing."""

from __future__ import annotations

from sqlalchemy import Engine, select

from sdmx_server.storage.tables import metadata


def dump(engine: Engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
