"""SDMX-JSON 2.0 reference metadata messages in: bytes -> the metadata sets the SDMX-ML 3.0 reader makes.

The message is ``{"meta": ..., "data": {"metadataSets": [...]}}`` (SDMX-JSON 2.0 metadata schema). Each
set names its ``metadataflow`` (URN) and ``targets`` (URNs: the dataflow and the data provider, or a
provision agreement); ``attributes`` nest (``{"id", "value", "attributes"}``), nested ones are kept under
their dotted path. A value is a string or number (a code or a plain value) or a localised object
(``{"en": "...", "ru": "..."}``, multilingual text); an attribute given twice is a repeated attribute.

Every place is named by its JSON pointer (``/data/metadataSets/0/attributes/3``): in the BadInput of a
message this reader cannot read, and in each value's ``where`` for the MSD checks that follow.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..errors import BadInput
from ..metadata_set import AttributeValue, MetadataSet
from .input_limits import forbidden_character
from .metadata_targets import read_targets

MAX_NESTING = 16  # attribute levels: real MSDs nest 3 or 4; a deeper message is refused before it is walked
LANG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _fail(pointer: str, message: str) -> BadInput:
    return BadInput(f"{pointer or '/'}: {message}")


def _xml_safe(text: str, pointer: str) -> str:
    """Text every answer format can carry: XML 1.0 forbids NUL and most control characters."""
    if (bad := forbidden_character(text)) is not None:
        raise _fail(pointer, f"holds the character {bad}, which SDMX-ML cannot carry")
    return text


def read_metadata_json(data: bytes) -> list[MetadataSet]:
    """The metadata sets of an SDMX-JSON 2.0 metadata message; BadInput (400) naming the place otherwise."""
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as e:
        raise BadInput(f"the message is not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None
    except UnicodeDecodeError as e:
        raise BadInput(f"the message is not UTF-8 ({e.reason} at byte {e.start})") from None
    except RecursionError:
        raise BadInput("the message nests too deeply to be an SDMX-JSON metadata message") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise _fail("", 'an SDMX-JSON 2.0 metadata message is an object with a "data" object')
    meta = doc.get("meta")
    langs = meta.get("contentLanguages") if isinstance(meta, dict) else None
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else "en"
    sets = doc["data"].get("metadataSets")
    if not isinstance(sets, list):
        raise _fail("/data/metadataSets", "missing or not an array: the message holds no metadata set")
    if not sets:
        raise _fail("/data/metadataSets", "the message holds no metadata set")
    return [_read_set(s, f"/data/metadataSets/{i}", lang) for i, s in enumerate(sets)]


def _string(obj: dict, key: str, pointer: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problem = "missing" if value is None else f"must be a non-empty string, not {value!r}"[:200]
        raise _fail(f"{pointer}/{key}", problem)
    return _xml_safe(value.strip(), f"{pointer}/{key}")


def _localised(value: Any, pointer: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise _fail(pointer, "must be an object of texts by language, e.g. {\"en\": \"...\"}")
    out = {}
    for lang, text in value.items():
        if not lang or not set(lang) <= LANG_CHARS:
            raise _fail(f"{pointer}/{lang}", f"{lang!r} is not a language code")
        if not isinstance(text, str):
            raise _fail(f"{pointer}/{lang}", f"the {lang} text must be a string, not {type(text).__name__}")
        out[lang] = _xml_safe(text.strip(), f"{pointer}/{lang}")
    return out


def _date(obj: dict, key: str, pointer: str) -> datetime | None:
    value = _string(obj, key, pointer)
    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"{pointer}/{key}", f"{value!r} is not a date-time") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _read_set(s: Any, pointer: str, lang: str) -> MetadataSet:
    if not isinstance(s, dict):
        raise _fail(pointer, "a metadata set must be an object")
    set_id = _string(s, "id", pointer, required=True) or ""
    flow = _string(s, "metadataflow", pointer)
    if flow is None:
        raise _fail(f"{pointer}/metadataflow", f"metadata set {set_id} names no metadataflow (its URN)"
                    + ("; metadata provision agreements are not supported" if "metadataProvisionAgreement" in s else ""))
    names = _localised(s["names"], f"{pointer}/names") if "names" in s else {}
    if not names and (name := _string(s, "name", pointer)):
        names = {lang: name}
    targets = s.get("targets")
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise _fail(f"{pointer}/targets", f"metadata set {set_id}: targets must be an array of URN strings")
    dataflow, provider, named = read_targets(set_id, [(t.strip(), f"{pointer}/targets/{i}")
                                                      for i, t in enumerate(targets)])
    values: list[AttributeValue] = []
    attributes = s.get("attributes", [])
    if not isinstance(attributes, list):
        raise _fail(f"{pointer}/attributes", "must be an array of metadata attributes")
    for i, a in enumerate(attributes):
        _read_attribute(a, f"{pointer}/attributes/{i}", "", values, 1)
    return MetadataSet(set_id=set_id, metadataflow_urn=flow, dataflow_urn=dataflow, provider_id=provider,
                       names=names, values=tuple(values), valid_from=_date(s, "validFrom", pointer),
                       valid_to=_date(s, "validTo", pointer), extra={"targets": named, "where": pointer})


def _read_attribute(a: Any, pointer: str, prefix: str, out: list[AttributeValue], depth: int) -> None:
    if depth > MAX_NESTING:
        raise _fail(pointer, f"metadata attributes nest deeper than {MAX_NESTING} levels")
    if not isinstance(a, dict):
        raise _fail(pointer, "a metadata attribute must be an object with an id")
    aid = _string(a, "id", pointer, required=True) or ""
    path = f"{prefix}{aid}"
    value = a.get("value")
    if isinstance(value, dict):
        out.append(AttributeValue(path, texts=_localised(value, f"{pointer}/value"), where=pointer))
    elif isinstance(value, bool):
        out.append(AttributeValue(path, value="true" if value else "false", where=pointer))
    elif isinstance(value, (str, int, float)):
        out.append(AttributeValue(path, value=_xml_safe(str(value).strip(), f"{pointer}/value"), where=pointer))
    elif value is not None:
        raise _fail(f"{pointer}/value", f"{path}: a value is a string, a number or texts by language, "
                    f"not {type(value).__name__}")
    children = a.get("attributes", [])
    if not isinstance(children, list):
        raise _fail(f"{pointer}/attributes", "must be an array of metadata attributes")
    for i, child in enumerate(children):
        _read_attribute(child, f"{pointer}/attributes/{i}", f"{path}.", out, depth + 1)
