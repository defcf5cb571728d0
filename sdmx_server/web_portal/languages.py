"""Which languages the portal speaks, and which one a request gets.

The list is read from the catalogues in ``translations/``: adding a language is adding its
``<lang>/LC_MESSAGES/messages.po``, with no code to change.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel import Locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.routing import BaseConverter, Map

TRANSLATIONS = Path(__file__).parent / "translations"


def available_languages(translations: Path = TRANSLATIONS, default: str = "en") -> tuple[str, ...]:
    """Every language with a catalogue: the default first (it is the fallback), then alphabetically."""
    found = {p.parent.parent.name for p in translations.glob("*/LC_MESSAGES/messages.po")}
    if not found:
        raise RuntimeError(f"no message catalogues under {translations}")
    return tuple(sorted(found, key=lambda lang: (lang != default, lang)))


def best_language(accept: LanguageAccept, languages: tuple[str, ...]) -> str:
    """The client's preferred language among ours ("ru-RU" counts as "ru"), else the first (default) one."""
    return accept.best_match(languages, default=languages[0]) or languages[0]


def language_name(lang: str) -> str:
    """A language's name in itself ("English", "Русский"), so everyone recognises their own."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def language_converter(languages: tuple[str, ...]) -> type[BaseConverter]:
    """A URL converter matching only our language codes, so /rest/... never looks like a portal page."""

    class LanguageConverter(BaseConverter):
        regex = "|".join(re.escape(lang) for lang in languages)

        def __init__(self, url_map: Map) -> None:
            super().__init__(url_map)

    return LanguageConverter
