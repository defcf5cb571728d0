"""SDMX multilingual texts shown in the page's language, or in English when a text lacks a translation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class LocalText:
    """A text and the language it is really in: a fallback is marked up with its own ``lang``."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text


def pick(texts: Mapping[str, str] | None, lang: str, fallback: str = "") -> LocalText:
    """The text in ``lang``, else English, else any language; ``fallback`` (an id) when there is none."""
    texts = texts or {}
    for candidate in (lang, FALLBACK_LANGUAGE):
        if texts.get(candidate):
            return LocalText(texts[candidate], candidate)
    for candidate, text in sorted(texts.items()):
        if text:
            return LocalText(text, candidate)
    return LocalText(fallback, FALLBACK_LANGUAGE)


def sort_key(text: LocalText) -> str:
    return text.text.casefold()
