"""Backup and restore of the whole server, consistent while it runs, with the engine's own tools.

What the server keeps is in its database (artefacts, figures with their history, documentation, users, roles,
grants, submissions with their stored messages, jobs, audit records, news, country pages, the documents'
descriptions) except the documents library's files, which live in ``document_dir`` (uploaded messages are spooled
to temporary files only while a request runs). A backup is one copy of the database taken in one snapshot, the
files that snapshot's documents name (``documents/<key>``, maintenance/document_copies.py), and a manifest:

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step from a connection
  that holds a read transaction; in WAL mode writers go on meanwhile and the copy is the database as of the
  moment that transaction began.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``) and ``pg_dump
  --snapshot`` dumps exactly that snapshot (custom format, restored with ``pg_restore``), while the same
  transaction reads the schema revision and the snapshot's time for the manifest.

The file names are read in the same transaction, from the same snapshot, and the files copied right after
(before the database copy): they are written once under a key never reused, so the files and the rows agree.

The manifest (``manifest.json``) records the engine, the Alembic revision of the copied schema, the server's
version, the snapshot's time (the recovery point), the copy's SHA-256, and each document file's SHA-256 and
size. ``restore`` checks every digest and refuses a revision this server does not know (a backup of a newer
server) before touching anything, puts the files into ``document_dir``, restores the database, and upgrades an
older revision to the newest one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from sqlalchemy import Engine, inspect, make_url, text

from ..storage.database import MIGRATIONS, make_engine, upgrade_schema
from . import document_copies
from .backup_errors import BackupError

MANIFEST = "manifest.json"
FORMAT = 2  # 2: the documents library's files
READS = (1, 2)
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
TOOL_SECONDS = 6 * 3600  # pg_dump/pg_restore of a large database; a hung tool must still end


@dataclass(frozen=True)
class Manifest:
    format: int
    engine: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    server_version: str
    snapshot_at: str  # ISO 8601, UTC: the recovery point
    file: str
    sha256: str
    bytes: int
    pg_schema: str | None = None
    documents: dict = field(default_factory=dict)  # file key -> {"sha256", "bytes"}

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise BackupError(f"{path} is not valid JSON: {e}") from None
        if not isinstance(data, dict) or data.get("format") not in READS:
            raise BackupError(f"{path}: format {data.get('format') if isinstance(data, dict) else '?'} is not "
                              f"one this server reads ({', '.join(map(str, READS))})")
        try:
            return cls(**data)
        except TypeError as e:
            raise BackupError(f"{path}: {e}") from None


def server_version() -> str:
    try:
        return package_metadata.version("sdmx-server")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def known_revisions() -> tuple[list[str], str]:
    """Every Alembic revision this server's migrations hold (oldest first), and the newest."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    revisions = [r.revision for r in scripts.walk_revisions()][::-1]
    return revisions, scripts.get_current_head()


def backup(url: str, dest: Path, *, document_dir: Path | None = None,
           on_snapshot: Callable[[Manifest], None] | None = None) -> Manifest:
    """Copy the database at ``url`` and the document files its snapshot names (from ``document_dir``) into the
    new folder ``dest``; returns the manifest.

    ``on_snapshot`` is called once the snapshot is fixed and before the copy is made (what commits from then on
    is not in the backup): the CLI reports the recovery point there.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: name a new folder for the backup")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        engine_name = make_url(url).get_backend_name()
        if engine_name == "sqlite":
            manifest = _backup_sqlite(url, dest, document_dir, on_snapshot)
        elif engine_name == "postgresql":
            manifest = _backup_postgres(url, dest, document_dir, on_snapshot)
        else:
            raise BackupError(f"no backup for the {engine_name} engine: SQLite and PostgreSQL only")
        manifest.write(dest)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # no half backup that looks whole
        raise
    return manifest


def restore(src: Path, url: str, *, document_dir: Path | None = None, replace: bool = False) -> Manifest:
    """Restore the backup in ``src`` into the database at ``url`` (empty, unless ``replace``) and its document
    files into ``document_dir`` (a different file under the same name only with ``replace``), then upgrade the
    schema to this server's newest revision. Nothing is written when the backup is refused."""
    src = Path(src)
    manifest = Manifest.read(src)
    copy = src / manifest.file
    if Path(manifest.file).name != manifest.file or not copy.is_file():
        raise BackupError(f"{src}: the database copy {manifest.file!r} named by the manifest is missing")
    digest, size = _digest(copy)
    if digest != manifest.sha256 or size != manifest.bytes:
        raise BackupError(f"{copy} is damaged: its SHA-256 is {digest} ({size} bytes), the manifest records "
                          f"{manifest.sha256} ({manifest.bytes} bytes)")
    revisions, head = known_revisions()
    if manifest.schema_revision is not None and manifest.schema_revision not in revisions:
        raise BackupError(f"the backup's schema revision {manifest.schema_revision} is newer than this server's "
                          f"({head}, server {server_version()}; the backup was made by server "
                          f"{manifest.server_version}): restore it with that version or a later one")
    document_copies.check(src, manifest.documents)  # every file whole before anything is written
    target = make_url(url).get_backend_name()
    if target != manifest.engine:
        raise BackupError(f"the backup is of a {manifest.engine} database and the target is {target}: "
                          f"use `sdmx-server export` and `import` to move between engines")
    engine = make_engine(url)
    try:
        existing = _tables(engine)
        if existing and not replace:
            raise BackupError(f"the target database already holds {len(existing)} tables "
                              f"({', '.join(sorted(existing)[:5])}...): restore into an empty database, or pass "
                              f"--replace to overwrite it")
        engine.dispose()
        wanted = document_copies.conflicts(manifest.documents, document_dir, replace=replace)
        if manifest.engine == "postgresql":
            _check_postgres_schema(manifest, engine)
        written = document_copies.install(src, manifest.documents, wanted, document_dir) if wanted else []
        try:
            if manifest.engine == "sqlite":
                _restore_sqlite(copy, url)
            else:
                _restore_postgres(copy, url)
        except BaseException:
            document_copies.remove(document_dir, written)  # the database stayed as it was: so do the files
            raise
        if manifest.schema_revision != head:
            upgrade_schema(engine)
    finally:
        engine.dispose()
    return manifest


# -- SQLite ---------------------------------------------------------------------------------------------------

def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url}: an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def _backup_sqlite(url: str, dest: Path, document_dir: Path | None,
                   on_snapshot: Callable[[Manifest], None] | None) -> Manifest:
    path = _sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"the SQLite database {path} does not exist")
    out = dest / SQLITE_FILE
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        source.execute("BEGIN")  # the read transaction whose snapshot the copy is
        revision = _sqlite_revision(source)
        taken = datetime.now(timezone.utc)
        keys = _sqlite_document_keys(source)
        partial = Manifest(FORMAT, "sqlite", revision, server_version(), taken.isoformat(), SQLITE_FILE, "", 0)
        if on_snapshot:
            on_snapshot(partial)
        documents = document_copies.copy_out(keys, document_dir, dest)
        target = sqlite3.connect(out)
        try:
            source.backup(target)  # every page in one step, inside the read transaction: one snapshot
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        source.execute("COMMIT")
    finally:
        source.close()
    digest, size = _digest(out)
    return Manifest(**{**asdict(partial), "sha256": digest, "bytes": size, "documents": documents})


def _sqlite_document_keys(conn: sqlite3.Connection) -> list[str]:
    """The document files the snapshot names (none before the documents library's revision)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'document'").fetchone():
        return []
    return [k for (k,) in conn.execute("SELECT file_key FROM document")]


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _restore_sqlite(copy: Path, url: str) -> None:
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)  # page by page into the target, under its write lock: all or nothing
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# -- PostgreSQL -----------------------------------------------------------------------------------------------

def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore from a SQLAlchemy URL."""
    u = make_url(url)
    args = ["--dbname", u.database or "postgres"]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    options = u.query.get("options")
    if options:
        env["PGOPTIONS"] = unquote(options if isinstance(options, str) else options[0])
    return args, env


def _run(tool: str, args: list[str], env: dict[str, str]) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: PostgreSQL backups need PostgreSQL's client tools")
    try:
        done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=TOOL_SECONDS)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{tool} did not finish within {TOOL_SECONDS} seconds") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _backup_postgres(url: str, dest: Path, document_dir: Path | None,
                     on_snapshot: Callable[[Manifest], None] | None) -> Manifest:
    out = dest / PG_FILE
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot, taken, schema = conn.execute(
                text("SELECT pg_export_snapshot(), now(), current_schema()")).one()
            if schema is None:
                raise BackupError(f"{make_url(url).render_as_string(hide_password=True)}: the connection has no "
                                  f"schema to back up (search_path names none that exists)")
            has_version = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if has_version else None
            has_documents = conn.execute(text("SELECT to_regclass('document') IS NOT NULL")).scalar()
            keys = conn.execute(text("SELECT file_key FROM document")).scalars().all() if has_documents else []
            partial = Manifest(FORMAT, "postgresql", revision, server_version(),
                               taken.astimezone(timezone.utc).isoformat(), PG_FILE, "", 0, pg_schema=schema)
            if on_snapshot:
                on_snapshot(partial)
            documents = document_copies.copy_out(keys, document_dir, dest)
            args, env = _libpq(url)
            # the snapshot lives while this transaction does: pg_dump must run inside it
            _run("pg_dump", [*args, "--snapshot", snapshot, "--schema", schema, "--format", "custom",
                             "--no-owner", "--no-privileges", "--file", str(out)], env)
            conn.rollback()
    finally:
        engine.dispose()
    digest, size = _digest(out)
    return Manifest(**{**asdict(partial), "sha256": digest, "bytes": size, "documents": documents})


def _check_postgres_schema(manifest: Manifest, engine: Engine) -> None:
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        wanted = conn.execute(text("SELECT current_setting('search_path')")).scalar()
    engine.dispose()
    if schema is not None and schema != manifest.pg_schema:
        raise BackupError(f"the backup holds schema {manifest.pg_schema!r} and the target connection works in "
                          f"{schema!r}: restore into a database whose search_path ({wanted}) starts with "
                          f"{manifest.pg_schema!r}")


def _restore_postgres(copy: Path, url: str) -> None:
    args, env = _libpq(url)
    # one transaction: a failure leaves the target as it was; --clean drops what a replaced database held
    _run("pg_restore", [*args, "--single-transaction", "--exit-on-error", "--clean", "--if-exists",
                        "--no-owner", "--no-privileges", str(copy)], env)


# -- shared ---------------------------------------------------------------------------------------------------

def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _digest(path: Path) -> tuple[str, int]:
    return document_copies.digest_of(path)
