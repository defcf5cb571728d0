"""SDMX-CSV 2.0 metadata sub-fields: several values and localised texts inside one CSV cell.

The field guide (sdmx-csv, metadata-message) separates the values of a repeated attribute, and the
languages of a text, with the sub-field separator announced in ``MDSTRUCTURE[;]``; a text is
``en:Value``; several texts ``"en:a;fr:b";"en:c"``; a value holding the separator or a quote is quoted
with its quotes doubled (``en:"a;b"``). The same rules write (writer) and read (reader) here.
"""

from __future__ import annotations

import re

LANG = re.compile(r"^([A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*):")


def quote(value: str, sep: str) -> str:
    """``value`` as one sub-field: quoted when it holds the separator or a quote (or would look quoted)."""
    if sep in value or '"' in value or (value and value != value.strip()):
        return '"' + value.replace('"', '""') + '"'
    return value


def texts_cell(texts: dict[str, str], sep: str) -> str:
    return sep.join(f"{lang}:{quote(text, sep)}" for lang, text in sorted(texts.items()))


def values_cell(values: list[str], sep: str) -> str:
    return sep.join(quote(v, sep) for v in values)


def many_texts_cell(many: list[dict[str, str]], sep: str) -> str:
    return sep.join('"' + texts_cell(t, sep).replace('"', '""') + '"' for t in many)


def split(cell: str, sep: str) -> list[str]:
    """The raw sub-fields of ``cell``: split at ``sep`` outside quotes; ValueError for an unclosed quote."""
    if '"' not in cell:
        return cell.split(sep)
    pieces = cell.split(sep)  # rejoin the pieces a quoted separator split: a piece ends quoted if its quotes are odd
    parts: list[str] = []
    current: str | None = None
    for piece in pieces:
        current = piece if current is None else current + sep + piece
        if current.count('"') % 2 == 0:
            parts.append(current)
            current = None
    if current is not None:
        raise ValueError("a quote opened in the cell is not closed")
    return parts


def unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == '"' and part[-1] == '"':
        return part[1:-1].replace('""', '"')
    if '"' in part:
        raise ValueError(f"{part[:60]!r} holds a quote but is not quoted (write it as \"...\" with quotes doubled)")
    return part


def read_texts(part: str, sep: str) -> dict[str, str]:
    """``en:a;ru:b`` -> {"en": "a", "ru": "b"}; ValueError naming a sub-field without its language."""
    out: dict[str, str] = {}
    for p in split(part, sep):
        if not p.strip():
            continue
        m = LANG.match(p)
        if m is None:
            raise ValueError(f"{p[:60]!r} does not start with its language (en:..., ru:...)")
        if m.group(1) in out:
            raise ValueError(f"language {m.group(1)} is given twice")
        out[m.group(1)] = unquote(p[m.end():])
    return out
