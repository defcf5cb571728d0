"""Long code lists in the report form, without script: names sorted as the page's language sorts them, a find
box that narrows what is shown (GET ``filter_{DIM}``) while the chosen codes stay in the form, citizenships
grouped by UN M49 region (the codelist's CODELIST_REGIONS annotation names the grouping codelist), and "tick
all / untick all" as submit buttons (GET ``pick``) that the view turns into the plain report URL.

Plain functions: the report view passes what it read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Mapping

from ..sdmx.artefacts import Artefact, parse_urn
from .texts import LocalText, pick

FIND_FROM = 20  # a list of more choices than this gets a find box, and is grouped by region when it can be
MAX_FILTER = 60  # characters of a find box kept (longer text is cut)
REGIONS_ANNOTATION = "CODELIST_REGIONS"
PICK = "pick"
LONG_LIST = 100


def name_key(text: str) -> str:
    """A name's place in an alphabetical list in English or Russian: accents on Latin letters ignored (Åland
    among the A), Ё as Е (as Russian dictionaries order them), case ignored; й stays its own letter."""
    out = []
    for ch in unicodedata.normalize("NFD", text.casefold().replace("ё", "е")):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def filter_name(dim: str) -> str:
    """The query parameter of a list's find box."""
    return f"filter_{dim}"


def filter_text(args: Mapping[str, list[str]], dim: str) -> str:
    return " ".join(((args.get(filter_name(dim)) or [""])[0]).split())[:MAX_FILTER]


def matches(code: str, label: LocalText, text: str) -> bool:
    """Whether a choice answers the find box: its name or code holds the text (case and accents ignored)."""
    if not text:
        return True
    wanted = name_key(text)
    return wanted in name_key(label.text) or wanted in code.casefold()


def region_codelist(store, codelist_urn: str | None) -> Artefact | None:
    """The codelist grouping ``codelist_urn``'s codes by region, named by its CODELIST_REGIONS annotation."""
    if not codelist_urn:
        return None
    codelist = store.get(parse_urn(codelist_urn).maintainable) or {}
    for a in codelist.get("annotations", []):
        if a.get("type") == REGIONS_ANNOTATION and a.get("title"):
            try:
                return store.get(parse_urn(a["title"]).maintainable)
            except ValueError:
                return None
    return None


def regions_of(grouping: Artefact | None, lang: str) -> dict[str, tuple[str, LocalText]]:
    """code -> (region code, region name) from a grouping codelist (codes with a parent)."""
    if not grouping:
        return {}
    codes = grouping.get("codes", [])
    names = {c["id"]: pick(c.get("names"), lang, c["id"]) for c in codes if not c.get("parent")}
    return {c["id"]: (c["parent"], names[c["parent"]]) for c in codes if c.get("parent") in names}


def parse_pick(value: str) -> tuple[bool, str, str] | None:
    """``all:DIM[:REGION]`` or ``none:DIM[:REGION]`` as (tick, dimension, region); None when malformed."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in ("all", "none") or not parts[1]:
        return None
    return parts[0] == "all", parts[1], parts[2] if len(parts) == 3 else ""


def picked_args(args: Mapping[str, list[str]], tick: bool, param: str, shown: list[str], every: list[str],
                region_of: Mapping[str, str], region: str) -> dict[str, list[str]]:
    """The query string after "tick all" (``tick``) or "untick all" on a list: the ``shown`` codes (those the
    find box lets through, in ``region`` when one is named) added to or taken from the list's chosen codes.
    Ticking every code of a list longer than LONG_LIST is the same as ticking none (all figures): the list is
    emptied, which keeps the URL within what servers take (gunicorn reads request lines up to 4 KB)."""
    out = {k: list(v) for k, v in args.items() if k != PICK}
    concerned = [c for c in shown if not region or region_of.get(c) == region]
    chosen = out.get(param, [])
    if tick:
        chosen = chosen + [c for c in concerned if c not in chosen]
        if len(chosen) > LONG_LIST and set(chosen) >= set(every):
            chosen = []
    else:
        chosen = [c for c in chosen if c not in concerned]
    out[param] = chosen
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Group:
    """A region's choices in a long list (``code`` empty: the codes in no region)."""

    code: str
    label: LocalText
    choices: list
    chosen: int
