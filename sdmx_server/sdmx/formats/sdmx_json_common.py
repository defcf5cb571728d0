"""What the SDMX-JSON structure writers (1.0 and 2.0) share: the message envelope and text choice."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from ..artefacts import Artefact


def pick(texts: dict[str, str] | None, languages: list[str]) -> str | None:
    """The text in the first wanted language, else English, else any (names always show something)."""
    if not texts:
        return None
    for lang in languages:
        if lang in texts:
            return texts[lang]
        base = lang.split("-")[0]
        if base in texts:
            return texts[base]
    return texts.get("en") or next(iter(texts.values()))


def single_texts(obj: dict, languages: list[str], out: dict) -> None:
    """name/names and description/descriptions: the best match next to the full map."""
    names = obj.get("names") or ({"en": obj["id"]} if "id" in obj else None)
    if names:
        out["name"] = pick(names, languages)
        out["names"] = names
    if obj.get("descriptions"):
        out["description"] = pick(obj["descriptions"], languages)
        out["descriptions"] = obj["descriptions"]


def annotations(obj: dict, languages: list[str]) -> list[dict] | None:
    anns = obj.get("annotations")
    if not anns:
        return None
    out = []
    for a in anns:
        b = {k: v for k, v in a.items() if k != "texts"}
        if a.get("texts"):
            b["text"] = pick(a["texts"], languages)
            b["texts"] = a["texts"]
        out.append(b)
    return out


def languages_used(artefacts: list[Artefact]) -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("names", "descriptions", "texts") and isinstance(v, dict):
                    found.update(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(artefacts)
    return sorted(found)


def envelope(data: dict, languages: list[str], schema: str, header: dict | None) -> bytes:
    header = header or {}
    meta = {
        "schema": schema,
        "id": header.get("id") or "IREF" + uuid.uuid4().hex[:12].upper(),
        "test": header.get("test") in (True, "true"),
        "prepared": header.get("prepared") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "contentLanguages": languages,
        "sender": {"id": header.get("sender") or "DSM"},
    }
    return json.dumps({"meta": meta, "data": data}, ensure_ascii=False, separators=(",", ":")).encode()
