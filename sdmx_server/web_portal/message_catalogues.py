"""Message catalogues: compiled from the .po files at start, extracted from the sources for maintainers.

The .po files are the only source of truth (the compiled .mo files are git-ignored): ``compile_catalogues``
runs when the app starts, so a fresh clone, a changed .po file or a new language needs no build step.

Maintainers refresh the catalogues after changing user-facing text with
``.venv/bin/python -m sdmx_server.web_portal.message_catalogues update`` (extracts with ``babel.cfg``, then
updates every .po file, keeping existing translations) and translate what is new, in the .po file or with
``... message_catalogues apply ru FILE.json`` (``{"English": "translation"}``; a plural entry maps its singular
to the list of forms), which updates first. Both hold a lock, so several people may run them at once.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ..settings import PROJECT_ROOT
from .languages import TRANSLATIONS

PORTAL_DIR = Path(__file__).parent
MAPPING_FILE = PROJECT_ROOT / "babel.cfg"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # msgids are English: its catalogue needs no translations, every other one does
# lazy_gettext (alias _l) marks form labels and other texts translated when rendered, not at import
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def po_files(translations: Path = TRANSLATIONS) -> dict[str, Path]:
    return {p.parent.parent.name: p for p in sorted(translations.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


def read_catalogue(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=path.parent.parent.name)


def is_translated(message: Message) -> bool:
    """Whether every form of the message (each plural form) has a translation that is not a guess."""
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(strings) and not message.fuzzy


def compile_catalogues(translations: Path = TRANSLATIONS) -> list[Path]:
    """Write each catalogue's .mo next to its .po when it differs; returns the files written.

    Every worker process runs this at start, so the write is atomic (a temporary file renamed into place).
    """
    written = []
    for po in po_files(translations).values():
        buf = io.BytesIO()
        write_mo(buf, read_catalogue(po))  # fuzzy entries are left out: an unchecked guess is never shown
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.read_bytes() == buf.getvalue():
            continue
        fd, tmp = tempfile.mkstemp(dir=po.parent, prefix=".messages-", suffix=".mo")
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, mo)
        written.append(mo)
    return written


def compiled_translations(translations: Path = TRANSLATIONS) -> Path:
    """The folder to serve translations from: the catalogues' own, or a compiled temporary copy when that
    folder is read-only (an installed package owned by another user)."""
    try:
        compile_catalogues(translations)
        return translations
    except OSError:
        copy = Path(tempfile.mkdtemp(prefix="sdmx-portal-translations-"))
        shutil.copytree(translations, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.mo"))
        compile_catalogues(copy)
        return copy


def extract_messages(source: Path = PORTAL_DIR, mapping_file: Path = MAPPING_FILE) -> Catalog:
    """Every translatable string of the portal's code and templates, as ``pybabel extract`` finds them."""
    with open(mapping_file) as f:
        method_map, options_map = parse_mapping_cfg(f, str(mapping_file))
    catalog = Catalog(project="sdmx-server", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(source), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(os.path.join(source.name, filename), lineno)], auto_comments=comments,
                    context=context)
    return catalog


def update_catalogues(translations: Path = TRANSLATIONS) -> None:
    """Bring every .po file in line with the sources (new strings added untranslated, gone ones dropped)."""
    template = extract_messages()
    for lang, po in po_files(translations).items():
        catalog = read_catalogue(po)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        with open(po, "wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
        untranslated = 0 if lang == SOURCE_LANGUAGE else sum(1 for m in catalog if m.id and not is_translated(m))
        print(f"{po.relative_to(PROJECT_ROOT)}: {len(catalog)} messages, {untranslated} to translate")


@contextmanager
def catalogue_lock(translations: Path = TRANSLATIONS) -> Iterator[None]:
    """One writer of the .po files at a time: each rewrites whole files."""
    with open(translations / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def apply_translations(lang: str, translations_file: Path, translations: Path = TRANSLATIONS) -> int:
    """Fill in ``lang``'s catalogue from a JSON object of msgid → translation; returns how many were set."""
    given = json.loads(translations_file.read_text(encoding="utf-8"))
    po = po_files(translations)[lang]
    catalog = read_catalogue(po)
    applied = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in given:
            value = given[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            applied += 1
    with open(po, "wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    return applied


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        with catalogue_lock():
            update_catalogues()
    elif command == "apply" and len(argv) == 3:
        with catalogue_lock():
            update_catalogues()
            print(f"{apply_translations(argv[1], Path(argv[2]))} translations applied")
    elif command == "compile":
        for mo in compile_catalogues():
            print(f"wrote {mo.relative_to(PROJECT_ROOT)}")
    else:
        print("usage: python -m sdmx_server.web_portal.message_catalogues update | compile | apply LANG FILE.json", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
