"""`sdmx-server backup` and `restore` on SQLite and PostgreSQL: a backup taken while an ingest, a release and a
grant change commit restores to exactly the database as of its snapshot; refused backups write nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from click.testing import CliRunner
from sqlalchemy import make_url, text

from sdmx_server.app import create_app
from sdmx_server.cli import main
from sdmx_server.maintenance.backup import MANIFEST, BackupError, backup, known_revisions, restore
from sdmx_server.settings import load_config
from sdmx_server.storage.database import MIGRATIONS, make_engine, upgrade_schema
from sdmx_server.storage.document_files import DocumentFiles
from sdmx_server.storage.user_store import UserStore

from .access_world import _password_hash, _seed_artefacts
from .content_files import MINIMAL_PDF, docx
from .portal.conftest import sign_in
from .portal.test_portal_documents import set_state, upload
from .conftest import POSTGRES_URL
from .db_dump import dump
from sdmx_server.seeding import load_structures

pytestmark = pytest.mark.storage

FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"
SUBMIT = f"/rest/v2/data/dataflow/{FLOW}"
CSV = {"Content-Type": "text/csv", "Accept": "application/json"}
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
USERS = {"kz_admin": ("country_administrator", "KZ"), "kz_submitter": ("data_submitter", "KZ")}


def csv(values: dict[str, str]) -> bytes:
    rows = [HEAD] + [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,{k.split('.')[0]},{k.split('.')[1]},"
                     f"{k.split('.')[2]},{v},PS,A" for k, v in values.items()]
    return "\n".join(rows).encode()


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path: Path):
    """A source and an empty target database URL of one engine (PostgreSQL: two fresh databases)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite'}", f"sqlite:///{tmp_path / 'restored' / 'target.sqlite'}"
        return
    names = [f"bk_{os.getpid()}_{uuid.uuid4().hex[:8]}_{n}" for n in ("src", "dst")]
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for n in names:
            conn.execute(text(f'CREATE DATABASE "{n}"'))
    base = make_url(POSTGRES_URL)
    try:
        yield tuple(base.set(database=n).render_as_string(hide_password=False) for n in names)
    finally:
        with admin.connect() as conn:
            for n in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(databases, tmp_path: Path):
    """The seeded source with two KZ users, a client per user, and one submission waiting for release."""
    source, _ = databases
    engine = make_engine(source)
    upgrade_schema(engine)
    load_structures(engine, list(_seed_artefacts()))
    cfg = load_config(overrides={"database_url": source, "secret_key": "test", "release_check_seconds": 0,
                                 "four_eyes_waived": ["KZ"], "document_dir": str(tmp_path / "documents")})
    app = create_app(config=cfg)
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, (role, country) in USERS.items():
            users.add(name, "unused-password", roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def call(user: str, method: str, path: str, body=None, json=None, **headers):
        return client.open(path, method=method, data=body, json=json,
                           headers={"Authorization": f"Bearer {tokens[user]}", **headers})

    r = call("kz_submitter", "POST", SUBMIT, csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 202, r.data
    sid = r.get_json()["submission"]
    assert call("kz_admin", "POST", f"/api/submissions/{sid}/verify", json={}).status_code == 200
    yield engine, call, sid, app
    app.extensions["sdmx_engine"].dispose()
    engine.dispose()


def changes_while_backing_up(call, sid: int) -> None:
    """An ingest, a release and a grant change, each committed."""
    r = call("kz_admin", "POST", SUBMIT + "?release=now", csv({"UZ.M.2023-S1": "7", "RU.M.2023-S1": "8"}), **CSV)
    assert r.status_code == 200 and r.get_json()["state"] == "released", r.data
    r = call("kz_admin", "POST", f"/api/submissions/{sid}/release", json={})
    assert r.status_code == 200 and r.get_json()["state"] == "released", r.data
    r = call("kz_admin", "PUT", f"/api/providers/KZ/sharing/{FLOW}/grantees/KG")
    assert r.status_code == 200 and r.get_json(), r.data


def revision(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_backup_during_writes_restores_the_snapshot_exactly(world, databases, tmp_path):
    engine, call, sid, _ = world
    source, target = databases
    at_snapshot = dump(engine)
    seen = []

    def during(manifest) -> None:  # the snapshot is fixed: these commit while the copy is being made
        seen.append(manifest.snapshot_at)
        changes_while_backing_up(call, sid)

    manifest = backup(source, tmp_path / "bk", on_snapshot=during)
    after = dump(engine)
    assert seen and after != at_snapshot
    assert len(after["submission"]) == len(at_snapshot["submission"]) + 1
    assert len(after["data_grant"]) == len(at_snapshot["data_grant"]) + 1
    assert sorted(p.name for p in (tmp_path / "bk").iterdir()) == sorted([MANIFEST, manifest.file])
    written = json.loads((tmp_path / "bk" / MANIFEST).read_text())
    assert written["schema_revision"] == known_revisions()[1] and written["server_version"]
    assert written["engine"] == make_url(source).get_backend_name()

    restored = restore(tmp_path / "bk", target)
    assert restored == manifest
    target_engine = make_engine(target)
    try:
        assert dump(target_engine) == at_snapshot  # every table, every row, as of the snapshot: nothing torn
    finally:
        target_engine.dispose()
    assert revision(target) == known_revisions()[1]


def test_cli_backup_while_a_writer_runs_restores_one_committed_state(world, databases, tmp_path, monkeypatch):
    """Without a hook: the writer commits on its own thread while the command copies; the restored database is
    one of the states the writer committed, whole."""
    engine, call, _, _ = world
    source, target = databases
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    runner = CliRunner()
    states = [dump(engine)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set() and n < 40:
                n += 1
                r = call("kz_admin", "POST", SUBMIT + "?release=now", csv({"RU.F.2020-S1": str(n)}), **CSV)
                assert r.status_code == 200, r.data
                states.append(dump(engine))
        except BaseException as e:  # noqa: BLE001 - reported by the test's thread
            errors.append(e)

    thread = threading.Thread(target=writer)
    monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", source)
    thread.start()
    try:
        while len(states) < 3 and thread.is_alive():
            stop.wait(0.05)
        r = runner.invoke(main, ["backup", str(tmp_path / "bk")], catch_exceptions=False)
    finally:
        stop.set()
        thread.join(120)
    assert not errors, errors
    assert r.exit_code == 0, r.output
    assert "snapshot taken at" in r.output and "sha256" in r.output
    monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", target)
    r = runner.invoke(main, ["restore", str(tmp_path / "bk")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    target_engine = make_engine(target)
    try:
        restored = dump(target_engine)
    finally:
        target_engine.dispose()
    assert restored in states, "the restored database is no state the writer committed"
    assert restored != states[0]  # the backup came after the writer had begun

    # again into the same database: refused, unless --replace
    r = runner.invoke(main, ["restore", str(tmp_path / "bk")])
    assert r.exit_code != 0 and "already holds" in r.output and "--replace" in r.output
    r = runner.invoke(main, ["restore", "--replace", str(tmp_path / "bk")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    target_engine = make_engine(target)
    try:
        assert dump(target_engine) == restored
    finally:
        target_engine.dispose()


def _at_revision(url: str, rev: str) -> None:
    engine = make_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, rev)
    engine.dispose()


def test_an_older_schema_is_migrated_and_a_newer_one_refused(databases, tmp_path):
    source, target = databases
    revisions, head = known_revisions()
    older = revisions[-2]
    _at_revision(source, older)
    manifest = backup(source, tmp_path / "old")
    assert manifest.schema_revision == older
    # as a server before the documents library wrote it (format 1, no documents): still restored
    data = json.loads((tmp_path / "old" / MANIFEST).read_text())
    assert data.pop("documents") == {} and data["format"] == 2
    (tmp_path / "old" / MANIFEST).write_text(json.dumps({**data, "format": 1}))
    restore(tmp_path / "old", target)
    assert revision(target) == head  # restored, then upgraded

    # a backup of a newer server: refused before anything is written
    newer = tmp_path / "newer"
    backup(source, newer)
    data = json.loads((newer / MANIFEST).read_text())
    (newer / MANIFEST).write_text(json.dumps({**data, "schema_revision": "9999_from_the_future"}))
    target_engine = make_engine(target)
    before = dump(target_engine)
    with pytest.raises(BackupError, match="9999_from_the_future is newer than this server's"):
        restore(newer, target, replace=True)
    assert dump(target_engine) == before
    target_engine.dispose()


def test_damaged_or_incomplete_backups_are_refused(databases, tmp_path):
    source, target = databases
    upgrade_schema(make_engine(source))
    manifest = backup(source, tmp_path / "bk")
    with pytest.raises(BackupError, match="not an empty folder"):
        backup(source, tmp_path / "bk")
    copy = tmp_path / "bk" / manifest.file
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="is damaged: its SHA-256"):
        restore(tmp_path / "bk", target)
    copy.unlink()
    with pytest.raises(BackupError, match="is missing"):
        restore(tmp_path / "bk", target)
    with pytest.raises(BackupError, match="has no manifest.json"):
        restore(tmp_path, target)
    other = "postgresql+psycopg://nobody@127.0.0.1/none" if manifest.engine == "sqlite" \
        else f"sqlite:///{tmp_path / 'x.sqlite'}"
    (tmp_path / "bk2").mkdir()
    backup(source, tmp_path / "bk2" / "b")
    with pytest.raises(BackupError, match="use `sdmx-server export`"):
        restore(tmp_path / "bk2" / "b", other)
    target_engine = make_engine(target)
    try:
        with target_engine.connect() as conn:  # nothing was restored
            assert not conn.dialect.has_table(conn, "alembic_version")
    finally:
        target_engine.dispose()


def _portal(url: str, document_dir: Path):
    cfg = load_config(overrides={"database_url": url, "secret_key": "test", "release_check_seconds": 0,
                                 "document_dir": str(document_dir)})
    return create_app(config=cfg)


def _upload_public(app, data: bytes, name: str, title: str) -> int:
    """Through the portal's own form, as KZ's administrator: a public document, published; its id."""
    manager = app.test_client()
    assert sign_in(manager, "kz_admin").status_code == 302
    answer = upload(manager, data, name=name, access="public", title_en=title)
    assert answer.status_code == 302, answer.data
    doc_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    assert set_state(manager, doc_id, "published").status_code == 302
    return doc_id


def test_a_backup_holds_the_documents_its_snapshot_names(world, databases, tmp_path):
    engine, _, _, app = world
    source, target = databases
    library = tmp_path / "documents"
    first = _upload_public(app, MINIMAL_PDF, "law.pdf", "Law on migration")
    (key,) = DocumentFiles(library).keys()
    later: list[int] = []

    def during(_manifest) -> None:  # committed after the snapshot: neither its row nor its file is backed up
        later.append(_upload_public(app, docx(), "later.docx", "Later"))

    manifest = backup(source, tmp_path / "bk", document_dir=library, on_snapshot=during)
    assert len(DocumentFiles(library).keys()) == 2 and later
    assert sorted(p.name for p in (tmp_path / "bk" / "documents").iterdir()) == [key]
    assert manifest.documents == {key: {"sha256": hashlib.sha256(MINIMAL_PDF).hexdigest(), "bytes": len(MINIMAL_PDF)}}
    assert json.loads((tmp_path / "bk" / MANIFEST).read_text())["documents"] == manifest.documents

    target_engine = make_engine(target)
    try:
        # a damaged file: refused before anything is written, database and folder alike
        damaged = tmp_path / "damaged"
        shutil.copytree(tmp_path / "bk", damaged)
        (damaged / "documents" / key).write_bytes(MINIMAL_PDF.replace(b"Catalog", b"Catalox"))
        with pytest.raises(BackupError, match=f"documents/{key} is damaged: its SHA-256"):
            restore(damaged, target, document_dir=tmp_path / "restored-documents")
        # another file already under that name: refused unless --replace
        taken = DocumentFiles(tmp_path / "taken")
        taken.root.mkdir()
        taken.path(key).write_bytes(b"other bytes")
        with pytest.raises(BackupError, match="under the same names with other contents.*--replace"):
            restore(tmp_path / "bk", target, document_dir=taken.root)
        assert taken.path(key).read_bytes() == b"other bytes"
        with target_engine.connect() as conn:
            assert not conn.dialect.has_table(conn, "alembic_version")
        assert not (tmp_path / "restored-documents").exists()

        restored = restore(tmp_path / "bk", target, document_dir=tmp_path / "restored-documents")
        assert restored == manifest
        assert DocumentFiles(tmp_path / "restored-documents").keys() == {key}
        server = _portal(target, tmp_path / "restored-documents")
        visitor = server.test_client()
        got = visitor.get(f"/en/documents/{first}/file")
        assert got.status_code == 200 and got.data == MINIMAL_PDF
        assert got.headers["Content-Disposition"] == "attachment; filename=law.pdf"
        assert visitor.get(f"/en/documents/{later[0]}/file").status_code == 404  # not in the snapshot
        assert "Law on migration" in visitor.get("/en/documents/").get_data(as_text=True)
        server.extensions["sdmx_engine"].dispose()
    finally:
        target_engine.dispose()


def test_a_file_deleted_after_the_snapshot_fails_the_backup_and_leaves_none(world, databases, tmp_path):
    """A document's file replaced while the backup runs (the old file is deleted once the change commits): the
    backup says so and leaves no half backup that looks whole."""
    _, _, _, app = world
    source, _ = databases
    library = tmp_path / "documents"
    _upload_public(app, MINIMAL_PDF, "law.pdf", "Law on migration")
    (key,) = DocumentFiles(library).keys()

    def replaced(_manifest) -> None:
        DocumentFiles(library).path(key).rename(tmp_path / "moved")

    with pytest.raises(BackupError, match=f"the file {key} of a document in the snapshot is missing.*run again"):
        backup(source, tmp_path / "bk", document_dir=library, on_snapshot=replaced)
    assert not (tmp_path / "bk").exists()
    with pytest.raises(BackupError, match="names 1 document files and no document_dir"):
        backup(source, tmp_path / "bk")
