"""Contract tests of the catalogues: every string of the sources is in every catalogue, every catalogue but
the source language's translates all of it (plural forms too, placeholders intact), and a language is added
by adding a catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from sdmx_server import web_portal
from sdmx_server.app import create_app
from sdmx_server.web_portal.languages import TRANSLATIONS, available_languages, language_converter
from sdmx_server.web_portal import message_catalogues
from sdmx_server.web_portal.message_catalogues import (SOURCE_LANGUAGE, compile_catalogues, compiled_translations,
                                                       extract_messages, is_translated, po_files, read_catalogue)

CATALOGUES = po_files()


def test_english_and_russian_are_there():
    assert {"en", "ru"} <= set(CATALOGUES)
    assert available_languages()[0] == "en"


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_catalogue_is_well_formed(lang):
    """A merge once dropped a msgstr: babel only warned and skipped the entry; here that fails."""
    with open(CATALOGUES[lang], "rb") as f:
        read_po(f, abort_invalid=True)
    ids = [line for line in Path(CATALOGUES[lang]).read_text().splitlines()
           if line.startswith("msgid ") and line != "msgid \"\""]  # a long id starts with msgid "" and goes on
    assert len(ids) == len(set(ids)), f"{lang}: an entry is in the catalogue twice"


@pytest.mark.parametrize("lang", sorted(set(CATALOGUES) - {SOURCE_LANGUAGE}))
def test_every_message_is_translated(lang):
    catalog = read_catalogue(CATALOGUES[lang])
    untranslated = [m.id for m in catalog if m.id and not is_translated(m)]
    assert not untranslated, f"{lang}: no translation (or only a fuzzy guess) for {untranslated}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{lang}: placeholders or plural forms do not match: {problems}"
    assert catalog.num_plurals == len(next(m for m in catalog if isinstance(m.id, tuple)).string)


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_string_of_the_sources_is_in_the_catalogue(lang):
    """`python -m sdmx_server.web_portal.message_catalogues update` brings a catalogue back in line."""
    extracted = {m.id for m in extract_messages() if m.id}
    catalogued = {m.id for m in read_catalogue(CATALOGUES[lang]) if m.id}
    assert not extracted - catalogued, f"{lang}: strings missing from the catalogue: {extracted - catalogued}"
    assert not catalogued - extracted, f"{lang}: strings the sources no longer use: {catalogued - extracted}"
    assert len(extracted) > 60  # the extraction did find the templates and the Python code


def test_extraction_sees_templates_and_code():
    files = {loc[0].split("/")[-1] for m in extract_messages() for loc in m.locations}
    assert {"base.html", "home.html", "catalogue.html", "indicator.html", "sign_in.html", "error.html",
            "forms.py", "views.py", "account.py", "page_context.py"} <= files


def test_compiled_catalogues_give_russian_plural_forms(tmp_path):
    shutil.copytree(TRANSLATIONS, tmp_path / "translations", ignore=shutil.ignore_patterns("*.mo"))
    written = compile_catalogues(tmp_path / "translations")
    assert {p.parent.parent.name for p in written} == set(CATALOGUES)
    assert compile_catalogues(tmp_path / "translations") == []  # unchanged .po: nothing rewritten
    ru = Translations.load(str(tmp_path / "translations"), ["ru"])
    forms = [ru.ngettext("%(num)s indicator", "%(num)s indicators", n) % {"num": n} for n in (1, 3, 5, 11, 21, 22)]
    assert forms == ["1 показатель", "3 показателя", "5 показателей", "11 показателей", "21 показатель",
                     "22 показателя"]
    assert ru.gettext("Sign in") == "Войти"


def test_a_read_only_install_serves_a_compiled_copy(tmp_path, monkeypatch):
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, source, ignore=shutil.ignore_patterns("*.mo"))
    real_mkstemp = message_catalogues.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # root ignores file modes: refuse as a read-only folder would
        if Path(dir).is_relative_to(source):
            raise PermissionError(13, "Permission denied", dir)
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(message_catalogues.tempfile, "mkstemp", mkstemp)
    served = compiled_translations(source)
    assert served != source and not list(source.glob("*/LC_MESSAGES/*.mo"))
    assert Translations.load(str(served), ["ru"]).gettext("Sign in") == "Войти"
    shutil.rmtree(served)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_third_language_is_a_new_catalogue(tmp_path, monkeypatch, app, engine):
    """Copy the English catalogue as Kazakh: the portal then offers /kk/ pages and a switch to them."""
    translations = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, translations, ignore=shutil.ignore_patterns("*.mo"))
    (translations / "kk" / "LC_MESSAGES").mkdir(parents=True)
    with open(translations / "en" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="kk")
    catalog.get("Sign in").string = "Кіру"
    with open(translations / "kk" / "LC_MESSAGES" / "messages.po", "wb") as f:
        write_po(f, catalog)
    assert available_languages(translations) == ("en", "kk", "ru")
    assert language_converter(("en", "kk", "ru")).regex == "en|kk|ru"
    monkeypatch.setattr(web_portal, "TRANSLATIONS", translations)
    kk_app = create_app(config=app.extensions["sdmx_config"])
    try:
        client = kk_app.test_client()
        html = client.get("/kk/sign-in").get_data(as_text=True)
        assert '<html lang="kk">' in html and "Кіру" in html
        assert 'hreflang="kk" lang="kk">Қазақ тілі</a>' in client.get("/en/").get_data(as_text=True)
        assert client.get("/", headers={"Accept-Language": "kk-KZ"}).headers["Location"] == "/kk/"
    finally:
        kk_app.extensions["sdmx_engine"].dispose()


def test_the_mapping_file_is_where_the_docs_say():
    assert (Path(__file__).resolve().parents[2] / "babel.cfg").is_file()
