"""An engine-neutral export of everything the server keeps, and its import: SQLite to PostgreSQL and back with
nothing lost, and a country's own data to take home (``provider``).

A backup (maintenance/backup.py) is the engine's own copy and restores into the same engine only. An export is
open files any tool reads:

- ``tables/<table>.jsonl``: every row of every table, one JSON array a line after a first line naming the
  columns; times as ISO 8601 in UTC, binary columns (stored messages) as base64. Figures keep their whole
  history (each observation row with its transaction-time interval), submissions their messages and
  transitions, users their roles (password hashes are argon2, never passwords), and the audit log every entry.
  This is what ``import`` reads: row for row, ids included, so the copy is exact.
- ``structures.xml``: every artefact as one SDMX-ML 3.0 Structure message, for SDMX tools.
- ``data/AGENCY_ID_VERSION__PROVIDER.csv``: each data set in SDMX-CSV 2.0 with its history (VALID_FROM/TO).
- ``documents/<key>``: the documents library's files, under the names the ``document`` rows give them
  (``file_key``), read from the same snapshot as the rows (maintenance/document_copies.py).
- ``settings.json``: the settings in force when exporting, secrets left out (settings live in the operator's
  files: import does not apply them).
- ``manifest.json``: format, server version, schema revision, time, the provider (for a country's export), the
  number of rows of each table, and each document file's SHA-256 and size.

The export reads in one snapshot (PostgreSQL REPEATABLE READ; SQLite one read transaction) while the server
runs. Import checks every document file's digest first, wants a database without rows, migrates it to the
export's schema revision, puts the files into ``document_dir``, inserts every row in one transaction (on failure
the files it added are removed again), sets PostgreSQL's sequences past the ids, then migrates to the newest
revision. A country's export holds that country's documents, not the regional ones.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import Column, Connection, Date, DateTime, Engine, LargeBinary, Table, func, select, text, true

from ..content.search_entries import rebuild as rebuild_search
from ..settings import Config
from ..storage import calendar_tables  # noqa: F401 - registers the release calendar's table
from ..storage import content_tables  # noqa: F401 - registers the portal's content tables (documents, news)
from ..storage import link_tables  # noqa: F401 - registers the links to national databases and their runs
from ..storage import metadata_tables  # noqa: F401 - registers the documentation tables on the shared metadata
from ..storage import search_tables  # noqa: F401 - registers document_text (the search index is rebuilt, not copied)
from ..storage import subscription_tables  # noqa: F401 - registers subscriptions, webhooks and harvest cursors
from ..storage.database import MIGRATIONS, begin_write
from ..storage.tables import metadata
from . import document_copies
from .backup import BackupError, known_revisions, server_version

FORMAT = 1
MANIFEST = "manifest.json"
BATCH = 5000
SECRET_SETTINGS = {"secret_key", "metrics_token"}
# a country's export leaves out what is no country's: credentials, throttling, caches' stamps, running jobs
NOT_A_COUNTRYS = {"api_token", "login_failure", "access_version", "change_log", "submission_job",
                  # webhook secrets are credentials; a harvest cursor belongs to this server's links
                  "subscription", "webhook_delivery", "webhook_attempt", "harvest_cursor"}
# whose rows a table holds, for a country's export: by a column naming the country, or through a parent's id
_COUNTRY_COLUMNS = ("provider_id", "owner_provider", "country")
_PARENTS = {"data_set_id": "data_set", "series_id": "series", "submission_id": "submission",
            "metadata_set_id": "metadata_set", "user_id": "user_account", "document_id": "document"}
_SHARED = {"artefact", "artefact_reference"}  # the structures every country's figures are read with
# tables whose rows the migrations themselves write (a fresh schema holds them) and triggers keep: the
# export's rows replace them once everything else is in
MIGRATION_ROWS = {"access_version"}


class ExportError(BackupError):
    """An export or import that cannot be made; the message says what and where."""


def tables() -> list[Table]:
    return list(metadata.sorted_tables)


def export(engine: Engine, dest: Path, cfg: Config | None = None, *, provider: str | None = None,
           document_dir: Path | None = None, on_snapshot: Callable[[], None] | None = None) -> dict:
    """Write everything (or ``provider``'s own) into the new folder ``dest``, the document files from
    ``document_dir`` (by default the one ``cfg`` names); returns the manifest. ``on_snapshot`` runs once the
    snapshot is fixed, before anything is copied: what commits from then on is not in the export."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExportError(f"{dest} exists and is not an empty folder: name a new folder for the export")
    if document_dir is None and cfg is not None:
        document_dir = cfg.path(cfg.document_dir)
    (dest / "tables").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        _snapshot(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conditions = _provider_conditions(provider) if provider else {t.name: true() for t in tables()}
        keys = _document_keys(conn, conditions.get("document"))
        if on_snapshot:
            on_snapshot()
        documents = document_copies.copy_out(keys, document_dir, dest)  # first: a replaced file is deleted soon
        for table in tables():
            where = conditions.get(table.name)
            if where is None:
                continue
            counts[table.name] = _write_table(conn, table, where, dest / "tables" / f"{table.name}.jsonl")
        _write_structures(conn, dest / "structures.xml")
        _write_data(conn, dest / "data", provider)
        conn.rollback()
    if cfg is not None:
        settings = {k: v for k, v in asdict(cfg).items() if k not in SECRET_SETTINGS}
        settings["database_url"] = _without_password(settings["database_url"])
        (dest / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    manifest = {"format": FORMAT, "server_version": server_version(), "schema_revision": revision,
                "exported_at": datetime.now(timezone.utc).isoformat(), "provider": provider, "tables": counts,
                "documents": documents}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def import_(engine: Engine, src: Path, *, document_dir: Path | None = None) -> dict:
    """Load an export into a database that holds no rows, its document files into ``document_dir``; returns
    its manifest."""
    src = Path(src)
    manifest = _read_manifest(src)
    if manifest.get("provider"):
        raise ExportError(f"{src} is the export of provider {manifest['provider']}'s own data, to take home: it "
                          f"is not a whole server and cannot be imported as one")
    revisions, head = known_revisions()
    revision = manifest.get("schema_revision")
    if revision not in revisions:
        raise ExportError(f"the export's schema revision {revision} is newer than this server's ({head}): "
                          f"import it with server {manifest.get('server_version')} or later")
    documents = document_copies.check(src, manifest.get("documents", {}))  # every file whole, before writing
    wanted = document_copies.conflicts(documents, document_dir, replace=False)
    with engine.connect() as conn:
        present = conn.dialect.has_table(conn, "alembic_version") and \
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.rollback()
    if present and present != revision:
        raise ExportError(f"the target database's schema is at revision {present} and the export's at {revision}: "
                          f"import into an empty database (do not run `sdmx-server init` on it first)")
    _upgrade(engine, revision)
    with engine.connect() as conn:
        busy = [t.name for t in tables()
                if t.name not in MIGRATION_ROWS and conn.execute(select(func.count()).select_from(t)).scalar()]
        conn.rollback()
        if busy:
            raise ExportError(f"the target database already holds rows in {', '.join(busy[:5])}: import into an "
                              f"empty database")
        written = document_copies.install(src, documents, wanted, document_dir) if wanted else []
        try:
            _insert_all(conn, src, manifest)
        except BaseException:
            document_copies.remove(document_dir, written)  # the rows were rolled back: so are the files
            raise
    if revision != head:
        _upgrade(engine, head)
    with engine.begin() as conn:  # the search index is derived: made again from what was imported
        rebuild_search(conn)
    return manifest


def _insert_all(conn: Connection, src: Path, manifest: dict) -> None:
    """Every row of the export, in one transaction."""
    with begin_write(conn):
        # last, the migrations' own rows: inserting the others moved them (access_version's triggers)
        ordered = [t for t in tables() if t.name not in MIGRATION_ROWS] + \
            [t for t in tables() if t.name in MIGRATION_ROWS]
        for table in ordered:
            if table.name in MIGRATION_ROWS and table.name in manifest["tables"]:
                conn.execute(table.delete())
            path = src / "tables" / f"{table.name}.jsonl"
            expected = manifest["tables"].get(table.name)
            if expected is None:
                continue  # a table newer than the export: the migrations fill it
            n = _read_table(conn, table, path)
            if n != expected:
                raise ExportError(f"{path}: {n} rows, the manifest says {expected}: the export is incomplete")
        _advance_sequences(conn)


# -- writing --------------------------------------------------------------------------------------------------

def _snapshot(conn: Connection) -> None:
    """Every read of the export in one snapshot."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    else:
        conn.exec_driver_sql("BEGIN")  # deferred: the first read fixes what this transaction sees


def _document_keys(conn: Connection, where: Any) -> list[str]:
    """The document files the exported ``document`` rows name (none when that table is left out)."""
    if where is None:
        return []
    document = metadata.tables["document"]
    return list(conn.execute(select(document.c.file_key).where(where)).scalars())


def _provider_conditions(provider: str) -> dict[str, Any]:
    """Table name to the condition selecting ``provider``'s rows (tables absent: left out)."""
    out: dict[str, Any] = {}
    for _ in range(4):  # a child may come before its parent where no foreign key orders them (observation)
        for table in tables():
            if table.name in out or table.name in NOT_A_COUNTRYS:
                continue
            if table.name in _SHARED:
                out[table.name] = true()
            elif (own := next((table.c[c] for c in _COUNTRY_COLUMNS if c in table.c), None)) is not None:
                out[table.name] = own == provider
            elif parent := next((c for c in _PARENTS if c in table.c and _PARENTS[c] in out), None):
                parent_table = metadata.tables[_PARENTS[parent]]
                out[table.name] = table.c[parent].in_(select(parent_table.c.id).where(out[parent_table.name]))
    return out


def _write_table(conn: Connection, table: Table, where: Any, path: Path) -> int:
    columns = list(table.columns)
    order = list(table.primary_key.columns) or columns
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"columns": [c.name for c in columns]}) + "\n")
        result = conn.execution_options(yield_per=BATCH).execute(select(table).where(where).order_by(*order))
        for row in result:
            f.write(json.dumps([_to_json(c, v) for c, v in zip(columns, row)], ensure_ascii=False) + "\n")
            n += 1
    return n


def _to_json(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite keeps UTC without zone
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(column.type, Date):  # a calendar day (a document's publication, an event's dates)
        return value.isoformat()
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _write_structures(conn: Connection, path: Path) -> None:
    from ..sdmx.formats import sdmx_ml_3_0_structure_writer as writer
    from ..storage.artefact_store import ArtefactStore

    artefacts = ArtefactStore(conn).candidates(None, None, None)
    writable = [a for a in artefacts if writer.unsupported_reason(a) is None]
    path.write_bytes(writer.write_structure_message(writable) if writable else b"")


def _write_data(conn: Connection, folder: Path, provider: str | None) -> None:
    """Each data set (a dataflow's figures of one provider) as SDMX-CSV 2.0 with its history, as the data API
    answers ``includeHistory=true`` to someone who may see it: ``data/AGENCY_ID_VERSION__PROVIDER.csv``."""
    from ..retrieval.data_retrieval import prepare_data_query, read_data
    from ..sdmx.artefacts import parse_urn
    from ..sdmx.data_query import parse_data_query_v2
    from ..sdmx.formats import sdmx_csv_2_0_data_writer as writer
    from ..storage.artefact_store import ArtefactStore
    from ..storage.tables import data_set

    folder.mkdir()
    store = ArtefactStore(conn)
    q = select(data_set.c.dataflow_urn, data_set.c.provider_id).order_by(data_set.c.dataflow_urn, data_set.c.provider_id)
    for flow_urn, owner in conn.execute(q.where(data_set.c.provider_id == provider) if provider else q).all():
        ref = parse_urn(flow_urn)
        query = parse_data_query_v2("dataflow", ref.agency_id, ref.id, ref.version, None, {"includeHistory": "true"})
        prepared = prepare_data_query(conn, store, query, visible=lambda _urn, owner=owner: frozenset({owner}))
        message = read_data(conn, store, prepared, languages=["en"], max_observations=1 << 62, need_labels=False)
        if message is None:
            continue
        with open(folder / f"{ref.agency_id}_{ref.id}_{ref.version}__{owner}.csv", "w", encoding="utf-8") as f:
            for chunk in writer.write_data_message(message):
                f.write(chunk)


def _without_password(url: str) -> str:
    from sqlalchemy import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL: say nothing of it
        return "?"


# -- reading --------------------------------------------------------------------------------------------------

def _read_manifest(src: Path) -> dict:
    path = src / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ExportError(f"{src} is not an export: it has no {MANIFEST}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ExportError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("tables"), dict):
        raise ExportError(f"{path}: not an export of format {FORMAT}")
    return manifest


def _rows(path: Path, table: Table) -> Iterator[dict]:
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        raise ExportError(f"{path} is missing: the export is incomplete") from None
    with f:
        try:
            names = json.loads(f.readline())["columns"]
        except (ValueError, KeyError, TypeError):
            raise ExportError(f"{path}, line 1: not a line naming the columns") from None
        unknown = [n for n in names if n not in table.c]
        if unknown:
            raise ExportError(f"{path}: columns {', '.join(unknown)} are not columns of table {table.name}")
        columns = [table.c[n] for n in names]
        for number, line in enumerate(f, start=2):
            try:
                values = json.loads(line)
                if not isinstance(values, list) or len(values) != len(columns):
                    raise ValueError(f"{len(columns)} values expected")
                yield {c.name: _from_json(c, v) for c, v in zip(columns, values)}
            except (ValueError, TypeError) as e:
                raise ExportError(f"{path}, line {number}: {e}") from None


def _from_json(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value, validate=True)
    return value


def _read_table(conn: Connection, table: Table, path: Path) -> int:
    n, batch = 0, []
    for row in _rows(path, table):
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            n, batch = n + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
        n += len(batch)
    return n


def _advance_sequences(conn: Connection) -> None:
    """PostgreSQL: each serial id's sequence continues after the largest id imported (SQLite's rowids do)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                conn.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT max({column.name}) FROM "
                                  f"{table.name}), 0) + 1, false)"))


def _upgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
