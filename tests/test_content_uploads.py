"""What an uploaded document is, judged by its bytes (content/uploads.py): real formats pass with their canonical
type and a clean name; executables, damaged zips, bombs and macros are refused with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from sdmx_server.content.uploads import DOCX, ODT, PDF, XLSX, RefusedFile, check_upload, clean_name

from .content_files import EXECUTABLE, MINIMAL_PDF, docx, odt, ooxml, zip_bomb_docx

LIMIT = 1 << 20


def check(data: bytes, name: str = "x.pdf"):
    return check_upload(data, name, max_bytes=LIMIT, max_inflate_ratio=100)


@pytest.mark.parametrize("data, media_type, name", [
    (MINIMAL_PDF, PDF, "report.pdf"), (docx(), DOCX, "report.docx"), (ooxml("xl/workbook.xml"), XLSX, "report.xlsx"),
    (odt(), ODT, "report.odt")])
def test_real_documents_get_their_canonical_type_whatever_their_name(data, media_type, name):
    checked = check(data, "report.pdf")  # every one named .pdf: the content decides
    assert (checked.media_type, checked.file_name, checked.size) == (media_type, name, len(data))


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (EXECUTABLE, "unknown_type"), (b"<html><script>alert(1)</script>", "unknown_type"),
    (b"PK\x03\x04 not really a zip", "damaged"), (zip_bomb_docx(), "bomb"), (MINIMAL_PDF + b"0" * LIMIT, "too_large")])
def test_hostile_or_broken_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(RefusedFile) as e:
        check(data, "innocent.pdf")
    assert e.value.reason == reason


def test_a_plain_zip_is_not_a_document_and_macros_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(RefusedFile) as e:
        check(buf.getvalue())
    assert e.value.reason == "unknown_type"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", b"\x00" * 10)
    with pytest.raises(RefusedFile) as e:
        check(buf.getvalue())
    assert e.value.reason == "macros"


def test_the_bomb_is_judged_without_inflating_it():
    bomb = zip_bomb_docx()
    assert len(bomb) < 1 << 20  # small on the wire ...
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:
        assert sum(i.file_size for i in z.infolist()) > 64 << 20  # ... past 64 MiB once inflated


@pytest.mark.parametrize("name, cleaned", [
    ("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\win.ini", "win.pdf"), ("C:\\Users\\a\\b.PDF", "b.pdf"),
    ("rep\x00ort\r\n.pdf", "rep_ort.pdf"), ('a"; filename=evil.exe', "a__ filename=evil.pdf"),
    ("Закон о миграции.pdf", "Закон о миграции.pdf"), ("...", "document.pdf"), ("", "document.pdf"),
    (".bashrc", "bashrc.pdf"), ("x" * 500 + ".pdf", "x" * 120 + ".pdf"), ("report.exe", "report.pdf")])
def test_file_names_lose_folders_control_characters_and_their_claimed_type(name, cleaned):
    assert clean_name(name, "pdf") == cleaned
