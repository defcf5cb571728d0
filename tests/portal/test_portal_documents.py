"""The documents library through the Flask test client on SQLite and PostgreSQL: who sees a restricted document
(listing, page and file follow the owner's sharing), who manages documents, safe downloads, and every bad upload
refused with a plain message and nothing kept (no row, no file)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from sdmx_server.storage import content_tables  # noqa: F401 (its tables in the dump)
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.document_files import DocumentFiles
from sdmx_server.storage.document_store import DocumentStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.settings import load_config

from ..access_world import F, G
from ..content_files import EXECUTABLE, MINIMAL_PDF, docx, zip_bomb_docx
from ..db_dump import dump
from .conftest import csrf_token, sign_in
from .test_portal_admin import text_of

LIMIT = 300_000


@pytest.fixture
def config(database_url, tmp_path):
    """Reciprocity off, so a grant alone lets the grantee see (the rule itself is tested in test_visibility_matrix);
    a small file limit, under the body limit, so the library's own message is what refuses."""
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "max_body_bytes": 1_048_576,
                                  "release_check_seconds": 0, "reciprocity": False, "max_document_bytes": LIMIT,
                                  "document_dir": str(tmp_path / "documents")})


def files_of(app) -> set[str]:
    cfg = app.extensions["sdmx_config"]
    return DocumentFiles(cfg.path(cfg.document_dir)).keys()


def upload(client, data: bytes, name: str = "law.pdf", lang: str = "en", **fields):
    page = client.get(f"/{lang}/content/documents/new")
    assert page.status_code == 200, page.status_code
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "country": "KZ", "doc_type": "legislation",
            "published_on": "2026-03-01", "title_en": "Law on migration", "title_ru": "Закон о миграции",
            "summary_en": "The law every figure rests on.", "summary_ru": "Закон, на котором стоят все цифры.",
            "access": "restricted", "indicators": [F], **fields}
    form["file"] = (io.BytesIO(data), name)
    return client.post(f"/{lang}/content/documents/new", data=form, content_type="multipart/form-data")


def set_state(client, doc_id: int, state: str):
    page = client.get(f"/en/content/documents/{doc_id}/edit")
    return client.post(f"/en/content/documents/{doc_id}/state",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)), "state": state})


def only_document(app):
    with app.extensions["sdmx_engine"].connect() as conn:
        rows = DocumentStore(conn).list()
    assert len(rows) == 1, rows
    return rows[0]


def new_client(app, username: str | None):
    c = app.test_client()
    if username:
        assert sign_in(c, username).status_code == 302
    return c


def test_a_restricted_document_follows_the_owners_sharing(app, world):
    manager = new_client(app, "kz_admin")
    answer = upload(manager, MINIMAL_PDF)
    assert answer.status_code == 302
    doc = only_document(app)
    assert (doc.country, doc.state, doc.access, doc.indicators, doc.file_name) == ("KZ", "draft", "restricted", (F,),
                                                                                   "law.pdf")
    page = text_of(manager.get(answer.headers["Location"]).get_data(as_text=True))
    assert "The document is saved as a draft" in page and "Not published" in page
    visitor, kg, kz = new_client(app, None), new_client(app, "kg_viewer"), new_client(app, "kz_viewer")
    for c in (visitor, kg, kz):  # a draft: only its managers
        assert c.get(f"/en/documents/{doc.id}").status_code == 404
    assert set_state(manager, doc.id, "published").status_code == 302

    def sees(c) -> bool:
        listed = "Law on migration" in c.get("/en/documents/").get_data(as_text=True)
        page, file = c.get(f"/en/documents/{doc.id}").status_code, c.get(f"/en/documents/{doc.id}/file").status_code
        assert listed == (page == 200) == (file == 200), (listed, page, file)
        assert page in (200, 404) and file in (200, 404)  # never 403: a hidden document looks like none
        return listed

    assert (sees(visitor), sees(kg), sees(kz)) == (False, False, True)
    with app.extensions["sdmx_engine"].begin() as conn:
        GrantStore(conn).grant("KZ", G, "KG", by="test")  # another indicator than the linked one: still hidden
    assert not sees(new_client(app, "kg_viewer"))
    with app.extensions["sdmx_engine"].begin() as conn:
        GrantStore(conn).grant("KZ", F, "KG", by="test")
    kg = new_client(app, "kg_viewer")
    assert sees(kg) and not sees(visitor)
    got = kg.get(f"/en/documents/{doc.id}/file")
    assert got.data == MINIMAL_PDF and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == "attachment; filename=law.pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in got.headers["Cache-Control"]
    # the owner makes it public: the visitor finds it, in both languages
    edit = manager.get(f"/en/content/documents/{doc.id}/edit").get_data(as_text=True)
    answer = manager.post(f"/en/content/documents/{doc.id}/edit", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(edit), "country": "KZ", "doc_type": "legislation", "published_on": "2026-03-01",
        "title_en": "Law on migration", "title_ru": "Закон о миграции", "access": "public", "indicators": [F]})
    assert answer.status_code == 302
    assert sees(visitor)
    assert "Закон о миграции" in text_of(visitor.get("/ru/documents/").get_data(as_text=True))
    # withdrawn: gone for everyone but its managers
    assert set_state(manager, doc.id, "withdrawn").status_code == 302
    assert not sees(visitor) and not sees(kg) and manager.get(f"/en/documents/{doc.id}").status_code == 200
    with app.extensions["sdmx_engine"].connect() as conn:
        actions = [e.action for e in AuditStore(conn).entries(country="KZ") if e.target == f"document:{doc.id}"]
    assert actions == ["document.withdraw", "document.update", "document.publish", "document.create"]
    audit = text_of(manager.get("/en/system/audit").get_data(as_text=True))
    assert "Document withdrawn" in audit and "Document added" in audit


def test_participants_may_see_when_the_owner_says_so(app, world):
    manager = new_client(app, "kz_admin")
    assert upload(manager, MINIMAL_PDF, participants="y", indicators=[]).status_code == 302
    doc = only_document(app)
    assert doc.participants and doc.indicators == ()
    set_state(manager, doc.id, "published")
    assert new_client(app, "kg_viewer").get(f"/en/documents/{doc.id}").status_code == 200
    assert new_client(app, None).get(f"/en/documents/{doc.id}").status_code == 404


def test_regional_documents_are_the_system_administrators(app, world):
    kz = new_client(app, "kz_admin")
    before = dump(app.extensions["sdmx_engine"])
    answer = upload(kz, MINIMAL_PDF, country="")  # the regional choice is not offered to a country
    assert answer.status_code == 400 and "Not a valid choice" in text_of(answer.get_data(as_text=True))
    assert dump(app.extensions["sdmx_engine"]) == before and not files_of(app)
    root = new_client(app, "root")
    assert upload(root, MINIMAL_PDF, country="", title_ru="", summary_ru="").status_code == 302
    doc = only_document(app)
    assert doc.country is None
    assert kz.get(f"/en/content/documents/{doc.id}/edit").status_code == 403
    set_state(root, doc.id, "published")
    # restricted regional documents: every signed-in user of a participating country
    assert new_client(app, "kg_viewer").get(f"/en/documents/{doc.id}").status_code == 200
    assert new_client(app, None).get(f"/en/documents/{doc.id}").status_code == 404
    # the Russian page shows the English title, marked as not translated
    ru = text_of(new_client(app, "kg_viewer").get(f"/ru/documents/{doc.id}").get_data(as_text=True))
    assert "Law on migration (English: не переведено)" in ru and "Региональный" in ru


def test_content_screens_are_for_content_managers_of_the_country(app, world):
    assert new_client(app, "kz_viewer").get("/en/content/documents/").status_code == 403
    anon = new_client(app, None).get("/en/content/documents/new")
    assert anon.status_code == 302 and "/en/sign-in" in anon.headers["Location"]
    assert upload(new_client(app, "kz_admin"), MINIMAL_PDF).status_code == 302
    doc = only_document(app)
    kg = new_client(app, "kg_admin")
    assert kg.get(f"/en/content/documents/{doc.id}/edit").status_code == 403
    assert "Law on migration" not in kg.get("/en/content/documents/").get_data(as_text=True)
    page = kg.get("/en/content/documents/new").get_data(as_text=True)
    answer = kg.post(f"/en/content/documents/{doc.id}/state", data={"csrf_token": csrf_token(page),
                                                                   "state": "published"})
    assert answer.status_code == 403 and only_document(app).state == "draft"
    no_csrf = new_client(app, "kz_admin").post(f"/en/content/documents/{doc.id}/state", data={"state": "published"})
    assert no_csrf.status_code == 400 and only_document(app).state == "draft"


@pytest.mark.parametrize("data, name, message", [
    (EXECUTABLE, "report.pdf", "is not a PDF, DOCX, XLSX or ODT document (judged by its content, not its name)"),
    (MINIMAL_PDF + b"0" * LIMIT, "big.pdf", "larger than 0.3 MB, the most this library accepts"),
    (zip_bomb_docx(), "report.docx", "a compression bomb"),
    (b"PK\x03\x04broken", "report.docx", "is damaged"),
    (b"", "empty.pdf", "The file is empty"),
])
def test_a_bad_file_is_refused_with_a_message_and_nothing_kept(app, world, data, name, message):
    manager = new_client(app, "kz_admin")
    before = dump(app.extensions["sdmx_engine"])
    answer = upload(manager, data, name)
    assert answer.status_code == 400
    page = text_of(answer.get_data(as_text=True))
    assert message in page and "Nothing was kept" in page or message == "The file is empty"
    assert dump(app.extensions["sdmx_engine"]) == before and not files_of(app)


def test_the_russian_page_says_why_in_russian(app, world):
    answer = upload(new_client(app, "kz_admin"), EXECUTABLE, "отчёт.pdf", lang="ru")
    assert answer.status_code == 400
    assert "не документ PDF, DOCX, XLSX или ODT" in text_of(answer.get_data(as_text=True))


def test_markup_in_titles_is_shown_escaped_and_names_are_cleaned(app, world):
    manager = new_client(app, "kz_admin")
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = upload(manager, docx(), "../../etc/Закон.pdf", title_en=script, summary_en=script, access="public")
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))
    doc = only_document(app)
    set_state(manager, doc.id, "published")
    for path in ("/en/documents/", f"/en/documents/{doc.id}"):
        html = new_client(app, None).get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    got = new_client(app, None).get(f"/en/documents/{doc.id}/file")
    assert got.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=.docx; filename*=UTF-8''%D0%97%D0%B0%D0%BA%D0%BE%D0%BD.docx")
    assert doc.file_name == "Закон.docx" and doc.published_on == date(2026, 3, 1)


def test_replacing_the_file_keeps_one_file_and_a_bad_replacement_changes_nothing(app, world):
    manager = new_client(app, "kz_admin")
    assert upload(manager, MINIMAL_PDF).status_code == 302
    doc = only_document(app)
    first = files_of(app)
    assert first == {doc.file_key}

    def replace(data: bytes, name: str):
        edit = manager.get(f"/en/content/documents/{doc.id}/edit").get_data(as_text=True)
        return manager.post(f"/en/content/documents/{doc.id}/edit", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(edit), "country": "KZ", "doc_type": "methodology", "published_on": "2026-03-02",
            "title_en": "Law on migration", "access": "restricted", "indicators": [F],
            "file": (io.BytesIO(data), name)})

    before = dump(app.extensions["sdmx_engine"])
    answer = replace(EXECUTABLE, "new.docx")
    assert answer.status_code == 400 and "Nothing was kept" in text_of(answer.get_data(as_text=True))
    assert dump(app.extensions["sdmx_engine"]) == before and files_of(app) == first
    new_file = docx()
    assert replace(new_file, "methods.docx").status_code == 302
    after = only_document(app)
    assert (after.file_name, after.doc_type, after.titles) == ("methods.docx", "methodology", {"en": "Law on migration"})
    assert files_of(app) == {after.file_key} != first  # the old file is gone with its row's reference
    got = manager.get(f"/en/documents/{doc.id}/file")
    assert got.data == new_file and got.mimetype.endswith("wordprocessingml.document")
