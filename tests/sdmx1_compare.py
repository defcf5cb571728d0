"""A neutral summary of what sdmx1 parses from a structure message, to compare two messages.

The issue's yardstick for "reads back equal": same artefacts, items, names in every language
and annotations, as sdmx1 (an independent implementation) sees them.
"""

from __future__ import annotations

import io
from typing import Any

import sdmx
from sdmx.model import common


# sdmx1 names some classes differently for SDMX 2.1 and 3.0
_SAME_CLASS = {"DataflowDefinition": "Dataflow", "ContentConstraint": "DataConstraint",
               "MetadataflowDefinition": "Metadataflow"}


def _text(s: Any) -> dict[str, str]:
    return dict(getattr(s, "localizations", {}) or {})


def _annotations(obj: Any) -> list[tuple]:
    return sorted((a.id or "", a.title or "", a.type or "", str(a.url or ""), tuple(sorted(_text(a.text).items())))
                  for a in getattr(obj, "annotations", []))


def _item(item: Any) -> dict:
    parent = getattr(item, "parent", None)
    return {"names": _text(item.name), "descriptions": _text(item.description),
            "annotations": _annotations(item),
            "parent": getattr(parent, "id", None) if isinstance(parent, common.Item) else None}


def _components(dsd: Any) -> dict:
    out = {}
    for name in ("dimensions", "attributes", "measures"):
        cl = getattr(dsd, name, None)
        if cl is not None:
            ids = [c.id for c in cl.components]
            if name == "dimensions":  # the time dimension's place is not kept by the 3.0 model
                ids = [i for i in ids if i != "TIME_PERIOD"] + [i for i in ids if i == "TIME_PERIOD"]
            out[name] = ids
    return out


def summarize(data: bytes | str) -> dict[tuple, dict]:
    """(class, agency, id, version) -> names, descriptions, annotations, items, components."""
    msg = sdmx.read_sdmx(io.BytesIO(data) if isinstance(data, bytes) else data)
    out: dict[tuple, dict] = {}
    for obj in msg.iter_objects():
        if not isinstance(obj, common.MaintainableArtefact) or obj.is_external_reference:
            continue
        cls = _SAME_CLASS.get(type(obj).__name__, type(obj).__name__)
        key = (cls, getattr(obj.maintainer, "id", None), obj.id, str(obj.version or "1.0"))
        entry: dict[str, Any] = {"names": _text(obj.name), "descriptions": _text(obj.description),
                                 "annotations": _annotations(obj)}
        if isinstance(obj, common.ItemScheme):
            items: dict[str, dict] = {}
            stack = list(obj.items.values())
            while stack:
                it = stack.pop()
                items.setdefault(it.id, _item(it))
                stack.extend(getattr(it, "child", []))
            entry["items"] = items
        if isinstance(obj, common.BaseDataStructureDefinition):
            entry["components"] = _components(obj)
        out[key] = entry
    return out
