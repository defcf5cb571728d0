"""Links from a national database (issue 20, items 2-3): a national SQLite table with national codes and
Cyrillic labels is translated through stored StructureMap/RepresentationMaps into DF_STOCK_FOREIGNERS and
submitted through the workflow, on SQLite and PostgreSQL; dry runs name the unmapped code, its row and its map;
failing sources are recorded as failed with nothing stored; passwords never show."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from sdmx_server.cli import main
from sdmx_server.storage.artefact_store import utcnow
from sdmx_server.storage.link_store import LinkStore
from sdmx_server.storage.link_tables import data_link, data_link_run
from sdmx_server.storage.tables import submission

from .db_dump import dump
from .national_tables import FLOW, QUERY, RM, SM_URN, maps_message, national_db, seed


@pytest.fixture
def world(engine, config, tmp_path):
    seed(engine, config)
    return national_db(tmp_path / "national.sqlite")


@pytest.fixture
def cli(monkeypatch, database_url):
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", database_url)
    monkeypatch.setenv("SDMX_SERVER_SECRET_KEY", "test")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)
    return run


def add_sql(cli, name: str, url: str, query: str = QUERY, *extra: str):
    r = cli("link", "add", name, "--provider", "KZ", "--dataflow", FLOW, "--kind", "sql", "--url", url,
            "--query", query, "--map", SM_URN, *extra)
    assert r.exit_code == 0, r.output
    return r


def stored_figures(engine) -> dict[tuple[str, str], float]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): float(v) for k, p, v in rows}


def runs(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(data_link_run).order_by(data_link_run.c.id)).all()


def without_runs(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "data_link_run"}


def test_a_national_table_enters_as_a_pending_submission_then_released(engine, config, cli, tmp_path):
    """The maps loaded as an SDMX-JSON 2.0 structure message, as a national officer would."""
    seed(engine, config, with_maps=False)
    world = national_db(tmp_path / "national.sqlite")
    (tmp_path / "maps.json").write_bytes(maps_message())
    r = cli("load", str(tmp_path / "maps.json"))
    assert r.exit_code == 0 and r.output.count("created") == 4, r.output
    add_sql(cli, "kz-register", f"sqlite:///{world}")
    r = cli("link", "run", "kz-register")
    assert r.exit_code == 0, r.output
    assert "6 rows read, 6 figures, submission" in r.output and "pending" in r.output
    with engine.connect() as conn:
        sub = conn.execute(select(submission)).one()
    assert (sub.state, sub.provider_id, sub.submitted_by, sub.observations_read) == ("pending", "KZ",
                                                                                    "link:kz-register", 6)
    assert stored_figures(engine) == {}  # pending: nothing released yet, the country verifies and releases
    (run,) = runs(engine)
    assert (run.state, run.rows_read, run.figures_submitted, run.submission_id) == ("succeeded", 6, 6, sub.id)

    add_sql(cli, "kz-register", f"sqlite:///{world}", QUERY, "--auto-release")  # the country waives it
    r = cli("link", "run", "kz-register")
    assert r.exit_code == 0 and "released" in r.output, r.output
    assert stored_figures(engine) == {
        ("S.KZ.RU.M", "2023-S1"): 1500, ("S.KZ.RU.F", "2023-S1"): 1234, ("S.KZ.CN.M", "2023-S1"): 310,
        ("S.KZ.CN.F", "2023-S2"): 295, ("S.KZ.UZ.M", "2023-S2"): 800, ("S.KZ.UZ.F", "2023-S2"): 770}
    with engine.connect() as conn:
        states = conn.execute(text("SELECT to_state FROM submission_transition t JOIN submission s "
                                   "ON s.id = t.submission_id WHERE s.state = 'released' ORDER BY t.id")).scalars()
        assert list(states) == ["pending", "validated", "released"]


def test_a_dry_run_names_the_unmapped_code_its_row_and_its_map(engine, world, cli, tmp_path):
    import sqlite3
    with sqlite3.connect(world) as db:
        db.execute("INSERT INTO inostrantsy VALUES ('ж', 'Атлантида', '2023-1', 5)")  # the 7th row
        db.execute("INSERT INTO inostrantsy VALUES ('x', 'Китай', '2023-1', 6)")  # the 8th
    add_sql(cli, "kz-register", f"sqlite:///{world}")
    before = dump(engine)
    r = cli("link", "run", "kz-register", "--dry-run")
    assert r.exit_code == 1
    assert "row 7: national code 'Атлантида' (column GRAZHDANSTVO) has no mapping valid on " in r.output
    assert f" in RepresentationMap {RM.format('RM_GRAZHDANSTVO')} (unmapped-code)" in r.output
    assert f"row 8: national code 'x' (column POL) has no mapping valid on " in r.output
    assert f" in RepresentationMap {RM.format('RM_POL')} (unmapped-code)" in r.output
    # the SDMX it would submit: the six good rows, in SDMX-CSV 2.0
    lines = [ln for ln in r.output.splitlines() if ln.startswith(("STRUCTURE,", "dataflow,"))]
    assert lines[0] == ("STRUCTURE,STRUCTURE_ID,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,"
                        "OBS_STATUS,OBS_COMMENT")
    assert lines[1] == "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),S,KZ,RU,M,2023-S1,1500,PS,A,"
    assert len(lines) == 7
    assert without_runs(dump(engine)) == without_runs(before)
    (run,) = runs(engine)
    assert run.state == "failed" and run.dry_run and run.submission_id is None
    errors = json.loads(run.errors)
    assert errors[0] == {"row": 7, "rule": "unmapped-code", "map": RM.format("RM_GRAZHDANSTVO"),
                         "message": errors[0]["message"]}
    # a real run with an unmapped code submits nothing
    r = cli("link", "run", "kz-register")
    assert r.exit_code == 1 and without_runs(dump(engine)) == without_runs(before)


def test_a_dry_run_reports_validation_problems_by_source_row(engine, world, cli):
    import sqlite3
    with sqlite3.connect(world) as db:
        db.execute("INSERT INTO inostrantsy VALUES ('ж', 'Марс', '2023-1', 1)")  # the 7th row: not translated
        db.execute("INSERT INTO inostrantsy VALUES ('м', 'Китай', '2023-1', 310)")  # the 8th: row 3's figure again
        db.execute("INSERT INTO inostrantsy VALUES ('ж', 'Китай', '2023-1', 'много')")  # the 9th
    add_sql(cli, "kz-register", f"sqlite:///{world}")
    r = cli("link", "run", "kz-register", "--dry-run")
    assert r.exit_code == 1
    assert "row 7: national code 'Марс' (column GRAZHDANSTVO)" in r.output
    assert "row 9: OBS_VALUE: OBS_VALUE must be a number" in r.output and "(not-a-number)" in r.output
    with sqlite3.connect(world) as db:
        db.execute("DELETE FROM inostrantsy WHERE численность = 'много'")
    r = cli("link", "run", "kz-register", "--dry-run")  # the repeated figure is found once the rest is valid
    assert "row 8: " in r.output and "(duplicate" in r.output, r.output
    clean = cli("link", "run", "kz-register", "--dry-run")  # and still nothing stored
    assert clean.exit_code == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submission)).scalar_one() == 0


@pytest.mark.parametrize("case", ["missing file", "not a URL", "missing table", "timeout", "too many rows"])
def test_a_failing_source_is_recorded_failed_with_nothing_stored(engine, world, cli, monkeypatch, tmp_path, case):
    url, query = f"sqlite:///{world}", QUERY
    if case == "missing file":
        url = f"sqlite:///{tmp_path / 'nowhere.sqlite'}"
    elif case == "not a URL":
        url = "nosuchdialect://x/y"
    elif case == "missing table":
        query = "SELECT * FROM registr"
    elif case == "timeout":
        monkeypatch.setenv("SDMX_SERVER_LINK_QUERY_SECONDS", "0.5")
        query = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                 "SELECT 'м' AS POL, 'Россия' AS GRAZHDANSTVO, '2023-1' AS PERIOD, count(*) AS CHISLENNOST FROM n")
    elif case == "too many rows":
        monkeypatch.setenv("SDMX_SERVER_LINK_MAX_ROWS", "5")
    add_sql(cli, "kz-register", url, query)
    before = dump(engine)
    r = cli("link", "run", "kz-register")
    assert r.exit_code == 1
    expected = {"missing file": "nowhere.sqlite' does not exist", "not a URL": "no driver for nosuchdialect",
                "missing table": "no such table: registr", "timeout": "longer than 0.5 s",
                "too many rows": "more than 5 rows (setting link_max_rows)"}[case]
    assert expected in r.output, r.output
    (run,) = runs(engine)
    assert run.state == "failed" and run.finished_at is not None and run.submission_id is None
    assert expected in json.loads(run.errors)[0]["message"]
    assert without_runs(dump(engine)) == without_runs(before)


def test_passwords_never_show_and_a_literal_one_is_refused(engine, world, cli, monkeypatch, client, admin, caplog):
    r = cli("link", "add", "kz-pg", "--provider", "KZ", "--dataflow", FLOW, "--kind", "sql", "--url",
            "postgresql+psycopg://stat:hunter2@127.0.0.1:9/nat", "--query", QUERY, "--map", SM_URN)
    assert r.exit_code == 1 and "password in clear" in r.output and "hunter2" not in r.output
    add_sql(cli, "kz-pg", "postgresql+psycopg://stat:${KZ_DB_PASSWORD}@127.0.0.1:9/nat")
    monkeypatch.setenv("KZ_DB_PASSWORD", "s3cret-Пароль")
    outputs = [cli("link", "list").output, cli("link", "show", "kz-pg").output, cli("link", "run", "kz-pg").output]
    assert "stat:***@127.0.0.1:9/nat" in outputs[0] and "stat:***@127.0.0.1:9/nat" in outputs[1]
    assert "refused" in outputs[2]  # nothing listens on port 9
    api = [admin("GET", "/api/links").get_data(as_text=True), admin("GET", "/api/links/kz-pg").get_data(as_text=True),
           admin("GET", "/api/links/kz-pg/runs").get_data(as_text=True)]
    for out in outputs + api + [caplog.text, json.dumps(without_runs(dump(engine)), default=str, ensure_ascii=False),
                                json.dumps([tuple(r) for r in runs(engine)], default=str, ensure_ascii=False)]:
        assert "s3cret" not in out and "hunter2" not in out
    assert "stat:***@" in api[0] and json.loads(api[2])["runs"][0]["state"] == "failed"


def test_csv_and_excel_files_with_national_columns(engine, world, cli, tmp_path):
    from openpyxl import Workbook

    (tmp_path / "reg.csv").write_text("POL;GRAZHDANSTVO;PERIOD;CHISLENNOST\nм;Россия;2024-1;10\nж;Китай;2024-1;11\n",
                                      encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.append(["POL", "GRAZHDANSTVO", "PERIOD", "CHISLENNOST"])
    ws.append(["ж", "Россия", "2024-2", 12.0])
    ws.append([None, None, None, None])
    ws.append(["м", "Узбекистан", "2024-2", 13])
    wb.save(tmp_path / "reg.xlsx")
    for kind, name in (("csv", "reg.csv"), ("excel", "reg.xlsx")):
        r = cli("link", "add", f"kz-{kind}", "--provider", "KZ", "--dataflow", FLOW, "--kind", kind, "--path",
                str(tmp_path / name), "--map", SM_URN, "--auto-release")
        assert r.exit_code == 0, r.output
        r = cli("link", "run", f"kz-{kind}")
        assert r.exit_code == 0 and "2 rows read, 2 figures" in r.output, r.output
    figures = stored_figures(engine)
    assert {k: v for k, v in figures.items() if k[1].startswith("2024")} == {
        ("S.KZ.RU.M", "2024-S1"): 10, ("S.KZ.CN.F", "2024-S1"): 11, ("S.KZ.RU.F", "2024-S2"): 12,
        ("S.KZ.UZ.M", "2024-S2"): 13}
    # a row the file gets wrong is named by its line
    (tmp_path / "reg.csv").write_text("POL;GRAZHDANSTVO;PERIOD;CHISLENNOST\nм;Россия;2024-1;10\n\nж;Китай;2024\n",
                                      encoding="utf-8")
    r = cli("link", "run", "kz-csv", "--dry-run")
    assert "line 4: 3 fields where the header has 4" in r.output, r.output
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SDMX_SERVER_LINK_MAX_FILE_BYTES", "20")
        r = cli("link", "run", "kz-csv")
    assert r.exit_code == 1 and "is larger than 20 bytes (setting link_max_file_bytes)" in r.output, r.output


def test_bad_definitions_are_refused_naming_what(engine, world, cli):
    cases = [(["--dataflow", "DSM:DF_NOPE(1.0)"], "DF_NOPE"),
             (["--provider", "XX"], "data provider XX has no provision agreement"),
             (["--map", SM_URN.replace("SM_STOCK", "SM_NONE")], "SM_NONE(1.0) is not stored"),
             (["--every", "5"], "at most every 60 seconds")]
    for extra, expected in cases:
        args = {"--provider": "KZ", "--dataflow": FLOW, "--map": SM_URN}
        args.update(dict(zip(extra[::2], extra[1::2])))
        flat = [x for kv in args.items() for x in kv]
        r = cli("link", "add", "kz", "--kind", "sql", "--url", f"sqlite:///{world}", "--query", QUERY, *flat)
        assert r.exit_code == 1 and expected in r.output, (extra, r.output)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(data_link)).scalar_one() == 0


def test_a_scheduled_link_runs_exactly_once_across_processes(engine, world, cli):
    from sdmx_server.interlink.schedule import claim_due, run_due
    from sdmx_server.interlink.sources import SourceLimits
    from sdmx_server.storage.database import make_engine
    from sdmx_server.submission.workflow import IngestOptions

    add_sql(cli, "kz-register", f"sqlite:///{world}", QUERY, "--every", "3600")
    with engine.begin() as conn:
        assert claim_due(engine) == []  # not due yet
        conn.execute(update(data_link).values(next_run_at=utcnow() - timedelta(seconds=1)))
    engines = [make_engine(str(engine.url.render_as_string(hide_password=False))) for _ in range(4)]
    won: list[list[str]] = []
    barrier = threading.Barrier(len(engines))

    def check(e):
        barrier.wait()
        won.append(claim_due(e))
    threads = [threading.Thread(target=check, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert sorted(map(len, won)) == [0, 0, 0, 1]
    with engine.connect() as conn:
        link = LinkStore(conn).get("kz-register")
    assert link.next_run_at > utcnow() + timedelta(seconds=3500)
    # once due again, run_due claims and runs it, recorded as a scheduled run
    with engine.begin() as conn:
        conn.execute(update(data_link).values(next_run_at=utcnow() - timedelta(seconds=1)))
    (outcome,) = run_due(engine, IngestOptions(), SourceLimits())
    assert outcome.state == "succeeded" and runs(engine)[-1].trigger == "schedule"
    assert run_due(engine, IngestOptions(), SourceLimits()) == []


def test_the_api_shows_a_country_its_own_links_and_fits_its_documentation(app, engine, world, cli, client, admin):
    from sdmx_server.storage.user_store import UserStore

    from .test_openapi import check

    add_sql(cli, "kz-register", f"sqlite:///{world}")
    assert cli("link", "run", "kz-register").exit_code == 0
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, country, role in (("kz_v", "KZ", "data_verifier"), ("kg_a", "KG", "country_administrator"),
                                    ("kz_viewer", "KZ", "viewer")):
            users.add(name, "pw-long-enough-1", roles=[role], country=country)
            tokens[name], _ = users.create_token(name, days=1)

    def get(user: str, path: str):
        return client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})

    doc = client.get("/api/openapi/management.json").get_json()
    r = get("kz_v", "/api/links")
    check(doc, "/api/links", "get", r)
    (link,) = r.get_json()
    assert (link["name"], link["provider"], link["lastRun"]["state"], link["lastRun"]["figuresSubmitted"]) == (
        "kz-register", "KZ", "succeeded", 6)
    check(doc, "/api/links/{linkName}", "get", get("kz_v", "/api/links/kz-register"))
    runs_answer = get("kz_v", "/api/links/kz-register/runs")
    check(doc, "/api/links/{linkName}/runs", "get", runs_answer)
    assert runs_answer.get_json()["runs"][0]["submission"] is not None
    assert get("kg_a", "/api/links").get_json() == [] and get("kz_viewer", "/api/links").get_json() == []
    for user in ("kg_a", "kz_viewer"):
        assert get(user, "/api/links/kz-register").status_code == 404
        assert get(user, "/api/links/kz-register/runs").status_code == 404
    assert client.get("/api/links").status_code == 401
    assert get("kz_v", "/api/links/kz-register/runs?limit=0").status_code == 400


def test_a_run_whose_process_died_is_marked_failed_by_the_next(engine, world, cli):
    add_sql(cli, "kz-register", f"sqlite:///{world}")
    with engine.begin() as conn:
        link = LinkStore(conn).get("kz-register")
        dead = LinkStore(conn).start_run(link.id, dry_run=False, trigger="cli",
                                         owner=f"{__import__('socket').gethostname()} 999999999 1")
    assert cli("link", "run", "kz-register").exit_code == 0
    first, second = runs(engine)
    assert (first.id, first.state, json.loads(first.errors)[0]["rule"]) == (dead, "failed", "died")
    assert second.state == "succeeded"


def test_the_portal_page_lists_a_country_its_links_and_runs(app, engine, world, cli, client, monkeypatch):
    from sdmx_server.storage.user_store import UserStore

    from .portal.conftest import sign_in

    add_sql(cli, "kz-register", f"sqlite:///{world}")
    add_sql(cli, "kz-pg", "postgresql+psycopg://stat:${KZ_DB_PASSWORD}@127.0.0.1:9/nat")
    monkeypatch.setenv("KZ_DB_PASSWORD", "s3cret")
    assert cli("link", "run", "kz-register").exit_code == 0
    assert cli("link", "run", "kz-pg").exit_code == 1
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, country, role in (("kz_a", "KZ", "country_administrator"), ("kg_a", "KG", "country_administrator"),
                                    ("kz_s", "KZ", "data_submitter")):
            users.add(name, "pw-long-enough-1", roles=[role], country=country)

    def page(user: str, lang: str = "en"):
        c = app.test_client()
        assert sign_in(c, user, "pw-long-enough-1", lang).status_code == 302
        return c.get(f"/{lang}/system/links")

    r = page("kz_a")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "kz-register" in html and "kz-pg" in html
    assert "6 rows read, 6 figures submitted" in html and "stat:***@127.0.0.1:9/nat" in html
    assert "s3cret" not in html and 'href="/en/submissions/1"' in html and "refused" in html
    assert ">Links</a>" in page("kz_a").get_data(as_text=True)  # in the administration menu
    ru = page("kz_a", "ru").get_data(as_text=True)
    assert "Связи с национальными базами данных" in ru and "прочитано строк: 6, передано показателей: 6" in ru
    other = page("kg_a").get_data(as_text=True)
    assert "kz-register" not in other and "No links." in other
    assert page("kz_s").status_code == 403
    assert client.get("/en/system/links").status_code == 302  # to sign in


@pytest.fixture
def national_pg():
    """A national PostgreSQL database (a schema of the test server) holding the register, with Cyrillic labels."""
    import os
    import uuid

    from sdmx_server.storage.database import make_engine

    from .conftest import POSTGRES_URL
    from .national_tables import NATIONAL

    schema = f"nat_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    eng = make_engine(POSTGRES_URL)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}".inostrantsy (пол text, гражданство text, период text, '
                          f'численность integer)'))
        conn.execute(text(f'CREATE SEQUENCE "{schema}".nomer'))
        conn.execute(text(f'INSERT INTO "{schema}".inostrantsy VALUES (:a, :b, :c, :d)'),
                     [dict(zip("abcd", r)) for r in NATIONAL])
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with eng.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        eng.dispose()


def test_a_national_postgresql_database_read_only_and_bounded_in_time(engine, config, cli, national_pg, monkeypatch):
    seed(engine, config)
    add_sql(cli, "kz-pg", national_pg, QUERY.replace("ORDER BY rowid", "ORDER BY численность DESC"), "--auto-release")
    r = cli("link", "run", "kz-pg")
    assert r.exit_code == 0 and "6 rows read, 6 figures" in r.output, r.output
    assert stored_figures(engine)[("S.KZ.RU.M", "2023-S1")] == 1500
    before = dump(engine)
    add_sql(cli, "kz-pg", national_pg, "SELECT nextval('nomer') AS POL")  # a read-only session: no writes
    r = cli("link", "run", "kz-pg")
    assert r.exit_code == 1 and "read-only transaction" in r.output, r.output
    monkeypatch.setenv("SDMX_SERVER_LINK_QUERY_SECONDS", "0.5")
    add_sql(cli, "kz-pg", national_pg, "SELECT pg_sleep(5) AS POL")
    r = cli("link", "run", "kz-pg")
    assert r.exit_code == 1 and "statement timeout" in r.output and "longer than 0.5 s" in r.output, r.output
    unchanged = [t for t in before if t not in ("data_link", "data_link_run", "audit_log")]  # links redefined
    assert {t: dump(engine)[t] for t in unchanged} == {t: before[t] for t in unchanged}
    assert [run.state for run in runs(engine)] == ["succeeded", "failed", "failed"]


def test_the_server_runs_a_due_link_from_its_release_checks(engine, config, world, cli):
    import time
    from dataclasses import replace

    from sdmx_server.app import create_app

    add_sql(cli, "kz-register", f"sqlite:///{world}", QUERY, "--every", "3600")
    with engine.begin() as conn:
        conn.execute(update(data_link).values(next_run_at=utcnow() - timedelta(seconds=1)))
    app = create_app(config=replace(config, release_check_seconds=0.2))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [r for r in runs(engine) if r.state != "running"]:
            time.sleep(0.2)
    finally:
        app.extensions["sdmx_release_checks"].stop()
        app.extensions["sdmx_engine"].dispose()
    (run,) = runs(engine)
    assert (run.trigger, run.state, run.figures_submitted) == ("schedule", "succeeded", 6)


def test_a_hostile_excel_file_is_refused_before_inflating(engine, world, cli, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (64 << 20) + b"</sst>")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    for name, expected in (("bomb.xlsx", "would inflate to"), ("broken.xlsx", "is not an Excel workbook")):
        r = cli("link", "add", f"kz-{name[:4]}", "--provider", "KZ", "--dataflow", FLOW, "--kind", "excel", "--path",
                str(tmp_path / name), "--map", SM_URN)
        assert r.exit_code == 0, r.output
        r = cli("link", "run", f"kz-{name[:4]}")
        assert r.exit_code == 1 and expected in r.output, r.output
    assert [run.state for run in runs(engine)] == ["failed", "failed"]


def test_urls_show_no_password_and_literal_ones_are_told_apart():
    from sdmx_server.interlink.sources import literal_password, masked_settings, masked_url

    assert masked_url("postgresql+psycopg://stat:pw@db/nat") == "postgresql+psycopg://stat:***@db/nat"
    assert masked_url("https://nsi:${NSI_PW}@stat.kz/rest/data") == "https://nsi:***@stat.kz/rest/data"
    assert masked_url("https://stat.kz/rest") == "https://stat.kz/rest"
    assert literal_password("mysql+pymysql://u:pw@h/d") and literal_password("https://u:pw@h/")
    assert not literal_password("mysql+pymysql://u:${PW}@h/d") and not literal_password("https://u:${PW}@h/")
    assert not literal_password("sqlite:////srv/nat.sqlite")
    assert masked_settings("sql", {"url": "postgresql://u:x@h/d", "api_token": "t"}) == {
        "url": "postgresql://u:***@h/d", "api_token": "***"}
