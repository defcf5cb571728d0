"""`sdmx-server export` and `import`: SQLite to PostgreSQL and back loses nothing (a full logical dump of every
table compares equal), both engines export the same bytes, and a country's export holds its own data only."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import func, select, text

from sdmx_server.app import create_app
from sdmx_server.cli import main
from sdmx_server.content.documents import DocumentFields, create_document, move_document
from sdmx_server.content.uploads import check_upload
from sdmx_server.identity.policy import load_policy
from sdmx_server.maintenance.backup import BackupError
from sdmx_server.maintenance.export import MIGRATION_ROWS, NOT_A_COUNTRYS, ExportError, export, import_, tables
from sdmx_server.settings import load_config
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.document_files import DocumentFiles
from sdmx_server.storage.document_store import DocumentStore
from sdmx_server.storage.user_store import UserStore
from sdmx_server.storage import metadata_tables  # noqa: F401 - the dump below covers the documentation tables
from sdmx_server.storage.database import make_engine

from .conftest import POSTGRES_URL, _pg_schema_url
from .content_files import MINIMAL_PDF, docx
from .db_dump import dump

pytestmark = pytest.mark.storage


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema's URL, dropped afterwards."""
    made = []
    admin = make_engine(POSTGRES_URL)

    def new() -> str:
        schema = f"x_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return _pg_schema_url(schema)

    yield new
    with admin.begin() as conn:
        for schema in made:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    runner = CliRunner()

    def run(url: str, *args: str):
        monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", url)
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory) -> str:
    """A SQLite database as `init` leaves it: seeds, demo accounts, released and pending figures, documentation;
    plus a grant and its audit record."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    os.environ.pop("SDMX_SERVER_CONFIG", None)
    r = CliRunner().invoke(main, ["init"], env={"SDMX_SERVER_DATABASE_URL": url}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    from sdmx_server.access.administration import Stores, grant_access
    from sdmx_server.identity.policy import load_policy
    from sdmx_server.settings import load_config
    from sdmx_server.storage.user_store import UserStore

    engine = make_engine(url)
    policy = load_policy(load_config(environ={}).path("auth/policy.toml"))
    flow = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
    with engine.begin() as conn:
        root = UserStore(conn, policy).actor_of(UserStore(conn, policy).get("admin"))
        grant_access(Stores.on(conn, policy), root, "KZ", flow, "MD")
    engine.dispose()
    return url


def full_dump(url: str) -> dict:
    engine = make_engine(url)
    try:
        out = dump(engine)
        with engine.connect() as conn:
            out["alembic_version"] = [tuple(conn.execute(text("SELECT version_num FROM alembic_version")).one())]
        return out
    finally:
        engine.dispose()


def test_sqlite_to_postgresql_and_back_loses_nothing(demo_sqlite, pg_schema, cli, tmp_path):
    source = full_dump(demo_sqlite)
    for name in ("artefact", "observation", "submission", "submission_payload", "submission_transition",
                 "user_account", "user_role", "data_grant", "audit_log", "metadata_set", "metadata_attribute_value"):
        assert source[name], f"the demo database has no {name} rows: the round trip would prove nothing for it"

    r = cli(demo_sqlite, "export", str(tmp_path / "from-sqlite"))
    assert r.exit_code == 0, r.output
    pg = pg_schema()
    r = cli(pg, "import", str(tmp_path / "from-sqlite"))
    assert r.exit_code == 0, r.output
    r = cli(pg, "export", str(tmp_path / "from-postgresql"))
    assert r.exit_code == 0, r.output
    for t in tables():  # both engines write the same bytes: the export is engine-neutral
        name = f"tables/{t.name}.jsonl"
        assert (tmp_path / "from-sqlite" / name).read_bytes() == (tmp_path / "from-postgresql" / name).read_bytes(), name
    back = f"sqlite:///{tmp_path / 'back.sqlite'}"
    r = cli(back, "import", str(tmp_path / "from-postgresql"))
    assert r.exit_code == 0, r.output
    assert full_dump(back) == source  # every row of every table, ids, times, history, stored messages

    # the PostgreSQL copy goes on numbering after the imported ids
    engine = make_engine(pg)
    with engine.begin() as conn:
        nextval = conn.execute(text("SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))")).scalar()
        assert nextval == max(r[0] for r in source["audit_log"]) + 1
    engine.dispose()

    manifest = json.loads((tmp_path / "from-sqlite" / "manifest.json").read_text())
    assert manifest["tables"]["observation"] == len(source["observation"]) and manifest["provider"] is None
    settings = json.loads((tmp_path / "from-sqlite" / "settings.json").read_text())
    assert "secret_key" not in settings and settings["database_url"].startswith("sqlite:///")
    data_files = sorted(p.name for p in (tmp_path / "from-sqlite" / "data").iterdir())
    assert "DSM_DF_STOCK_FOREIGNERS_1.0__KZ.csv" in data_files, data_files
    assert data_files == sorted(p.name for p in (tmp_path / "from-postgresql" / "data").iterdir())
    kz = (tmp_path / "from-sqlite" / "data" / "DSM_DF_STOCK_FOREIGNERS_1.0__KZ.csv").read_text().splitlines()
    assert kz[0].startswith("STRUCTURE,STRUCTURE_ID") and len(kz) > 1 and "OBS_VALUE" in kz[0]
    assert all(",KZ," in line for line in kz[1:]), kz[:3]
    structures = etree.parse(str(tmp_path / "from-sqlite" / "structures.xml"))
    assert structures.getroot().tag.endswith("Structure")
    assert len(structures.xpath("//*[local-name()='Dataflow']")) >= 1


def test_a_countrys_export_holds_its_own_data_only(demo_sqlite, cli, tmp_path):
    r = cli(demo_sqlite, "export", "--provider", "KZ", str(tmp_path / "kz"))
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "kz" / "manifest.json").read_text())
    assert manifest["provider"] == "KZ"
    assert not any((tmp_path / "kz" / "tables" / f"{n}.jsonl").exists() for n in NOT_A_COUNTRYS)

    def rows(name: str) -> list[dict]:
        lines = (tmp_path / "kz" / "tables" / f"{name}.jsonl").read_text().splitlines()
        columns = json.loads(lines[0])["columns"]
        return [dict(zip(columns, json.loads(line))) for line in lines[1:]]

    source = full_dump(demo_sqlite)
    assert rows("data_set") and {r["provider_id"] for r in rows("data_set")} == {"KZ"}
    assert {r["provider_id"] for r in rows("submission")} == {"KZ"}
    assert {r["country"] for r in rows("user_account")} == {"KZ"}
    assert {r["owner_provider"] for r in rows("data_grant")} == {"KZ"}
    assert all(r["country"] == "KZ" for r in rows("audit_log"))
    kz_series = {r["id"] for r in rows("series")}
    assert rows("observation") and all(r["series_id"] in kz_series for r in rows("observation"))
    assert len(rows("observation")) < len(source["observation"])  # KG's and MD's figures stayed behind
    assert len(rows("artefact")) == len(source["artefact"])  # the structures to read them with
    assert [p.name for p in (tmp_path / "kz" / "data").iterdir()] and \
        all(p.name.endswith("__KZ.csv") for p in (tmp_path / "kz" / "data").iterdir())
    with pytest.raises(ExportError, match="provider KZ's own data"):
        import_(make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}"), tmp_path / "kz")


def test_import_refuses_a_database_with_rows_a_newer_export_and_a_truncated_one(demo_sqlite, tmp_path):
    engine = make_engine(demo_sqlite)
    export(engine, tmp_path / "e")
    with pytest.raises(ExportError, match="not an empty folder"):
        export(engine, tmp_path / "e")
    with pytest.raises(ExportError, match="already holds rows"):
        import_(engine, tmp_path / "e")
    engine.dispose()

    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    (tmp_path / "e" / "manifest.json").write_text(json.dumps({**manifest, "schema_revision": "9999"}))
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    with pytest.raises(ExportError, match="9999 is newer than this server's"):
        import_(fresh, tmp_path / "e")
    (tmp_path / "e" / "manifest.json").write_text(json.dumps(manifest))
    path = tmp_path / "e" / "tables" / "observation.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # the last row lost
    with pytest.raises(ExportError, match="observation.jsonl: .* rows, the manifest says"):
        import_(fresh, tmp_path / "e")
    with fresh.connect() as conn:  # all or nothing: not one row stayed
        assert all(conn.execute(select(func.count()).select_from(t)).scalar() == 0
                   for t in tables() if t.name not in MIGRATION_ROWS)
    fresh.dispose()


FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def _copy_of(url: str, path: Path) -> str:
    """A private copy of a SQLite database (the module's demo stays as it is for the other tests)."""
    source, target = sqlite3.connect(url.split("///", 1)[1]), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


def _add_document(url: str, library: Path, country: str | None, data: bytes, name: str, title: str) -> tuple[int, str]:
    """What the portal's upload does (content/documents.py), as the system administrator; published, public."""
    engine = make_engine(url)
    policy = load_policy(load_config(environ={}).path("auth/policy.toml"))
    checked = check_upload(data, name, max_bytes=1 << 20, max_inflate_ratio=100)
    fields = DocumentFields(country, "legislation", date(2026, 3, 1), {"en": title}, {}, "public", False, (FLOW_URN,))
    try:
        with engine.begin() as conn:
            users = UserStore(conn, policy)
            admin = users.actor_of(users.get("admin"))
            store, audit = DocumentStore(conn), AuditStore(conn)
            doc_id, key = create_document(store, audit, DocumentFiles(library), admin, fields, checked, data, [FLOW_URN])
            move_document(store, audit, admin, doc_id, "published")
    finally:
        engine.dispose()
    return doc_id, key


def _download(url: str, library: Path, doc_id: int):
    cfg = load_config(overrides={"database_url": url, "secret_key": "test", "release_check_seconds": 0,
                                 "document_dir": str(library)})
    app = create_app(config=cfg)
    try:
        return app.test_client().get(f"/en/documents/{doc_id}/file")
    finally:
        app.extensions["sdmx_engine"].dispose()


def test_documents_move_with_their_rows_and_a_countrys_export_holds_its_own(demo_sqlite, pg_schema, tmp_path,
                                                                             monkeypatch):
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    source = _copy_of(demo_sqlite, tmp_path / "source.sqlite")
    library = tmp_path / "library"
    kz_id, kz_key = _add_document(source, library, "KZ", MINIMAL_PDF, "law.pdf", "Law on migration")
    plan = docx()
    region_id, region_key = _add_document(source, library, None, plan, "plan.docx", "Regional plan")
    later: list[tuple[int, str]] = []

    at_snapshot: list[dict] = []

    def during() -> None:  # committed after the snapshot: neither its row nor its file is exported
        at_snapshot.append(full_dump(source))
        later.append(_add_document(source, library, "KZ", MINIMAL_PDF + b"%later\n", "later.pdf", "Later"))

    engine = make_engine(source)
    manifest = export(engine, tmp_path / "e", document_dir=library, on_snapshot=during)
    engine.dispose()
    assert later and len(DocumentFiles(library).keys()) == 3
    assert sorted(p.name for p in (tmp_path / "e" / "documents").iterdir()) == sorted([kz_key, region_key])
    assert manifest["documents"][kz_key] == {"sha256": hashlib.sha256(MINIMAL_PDF).hexdigest(),
                                             "bytes": len(MINIMAL_PDF)}
    assert manifest["tables"]["document"] == 2 and manifest["tables"]["document_indicator"] == 2

    # a damaged file: the import refuses before writing anything, rows or files
    pg = pg_schema()
    pg_library = tmp_path / "pg-library"
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "e", damaged)
    (damaged / "documents" / region_key).write_bytes(b"PK\x03\x04 not the plan")
    with pytest.raises(BackupError, match=f"documents/{region_key} is damaged: its SHA-256"):
        import_(make_engine(pg), damaged, document_dir=pg_library)
    assert not pg_library.exists()
    probe = make_engine(pg)
    with probe.connect() as conn:
        assert not conn.dialect.has_table(conn, "alembic_version")
    probe.dispose()

    # SQLite to PostgreSQL by the commands: the portal serves the same bytes from the new server
    r = CliRunner().invoke(main, ["import", str(tmp_path / "e")], catch_exceptions=False,
                           env={"SDMX_SERVER_DATABASE_URL": pg, "SDMX_SERVER_DOCUMENT_DIR": str(pg_library)})
    assert r.exit_code == 0, r.output
    assert "2 document files" in r.output
    assert DocumentFiles(pg_library).keys() == {kz_key, region_key}
    # and back to SQLite: every row as of the snapshot (news, pages, documents' dates included), every file
    r = CliRunner().invoke(main, ["export", str(tmp_path / "from-pg")], catch_exceptions=False,
                           env={"SDMX_SERVER_DATABASE_URL": pg, "SDMX_SERVER_DOCUMENT_DIR": str(pg_library)})
    assert r.exit_code == 0 and "and 2 document files" in r.output, r.output
    back, back_library = f"sqlite:///{tmp_path / 'back.sqlite'}", tmp_path / "back-library"
    import_(make_engine(back), tmp_path / "from-pg", document_dir=back_library)
    assert at_snapshot[0]["document"] and full_dump(back) == at_snapshot[0]
    assert {k: DocumentFiles(back_library).path(k).read_bytes() for k in DocumentFiles(back_library).keys()} == \
        {kz_key: MINIMAL_PDF, region_key: plan}
    got = _download(pg, pg_library, kz_id)
    assert got.status_code == 200 and got.data == MINIMAL_PDF
    assert got.headers["Content-Disposition"] == "attachment; filename=law.pdf"
    assert _download(pg, pg_library, region_id).data == plan
    assert _download(pg, pg_library, later[0][0]).status_code == 404

    # a country's export: its documents and their files, not the regional ones
    r = CliRunner().invoke(main, ["export", "--provider", "KZ", str(tmp_path / "kz")], catch_exceptions=False,
                           env={"SDMX_SERVER_DATABASE_URL": source, "SDMX_SERVER_DOCUMENT_DIR": str(library)})
    assert r.exit_code == 0, r.output
    assert "and 2 document files" in r.output
    kz = json.loads((tmp_path / "kz" / "manifest.json").read_text())
    assert sorted(kz["documents"]) == sorted([kz_key, later[0][1]])
    assert sorted(p.name for p in (tmp_path / "kz" / "documents").iterdir()) == sorted([kz_key, later[0][1]])
    lines = (tmp_path / "kz" / "tables" / "document.jsonl").read_text().splitlines()
    columns = json.loads(lines[0])["columns"]
    rows = [dict(zip(columns, json.loads(line))) for line in lines[1:]]
    assert {r["country"] for r in rows} == {"KZ"} and {r["id"] for r in rows} == {kz_id, later[0][0]}
    links = (tmp_path / "kz" / "tables" / "document_indicator.jsonl").read_text().splitlines()[1:]
    assert sorted(json.loads(line)[0] for line in links) == sorted([kz_id, later[0][0]])
