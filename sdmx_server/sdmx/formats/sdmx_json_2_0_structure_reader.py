"""SDMX-JSON 2.0 structure messages in: nearly the canonical form already (see ``artefacts``).

What changes on the way in: ``"type"`` from the collection key, ``"isFinal"`` (kept when an
early-draft message carries it, else from the version), single-language ``name``/``description``/
annotation ``text`` become maps in the message's first content language, and self ``links`` go
(writers make their own); annotation links stay, they are the annotation URL. Positions become
0-based. Early drafts with 2.1 spellings (``contentConstraints``, ``primaryMeasure``, ``textType``...)
are normalised (see docs/canonical-notes.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..artefacts import TYPES, Artefact
from ..errors import BadInput, UnsupportedArtefact
from .structure_message import StructureMessageContent

_BY_KEY = {t.json_key: t.rest for t in TYPES.values()} | {"contentConstraints": "dataconstraint"}  # early 2.0 drafts
_NOT_STORED = {"geographicCodelists", "geoGridCodelists"}
# what a URN can hold (artefacts.parse_urn): the identifiers of a maintainable name it in every URN
_IDENTIFIERS = {"id": re.compile(r"[A-Za-z0-9_@$\-]+"), "agencyID": re.compile(r"[A-Za-z0-9_.@\-]+"),
                "version": re.compile(r"[0-9A-Za-z.+*\-]+")}


def read_structure_message(data: bytes) -> StructureMessageContent:
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as e:
        raise BadInput(f"the message is not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None
    except UnicodeDecodeError as e:
        raise BadInput(f"the message is not UTF-8: {e}") from None
    except RecursionError:
        raise BadInput("the message nests too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise BadInput("an SDMX-JSON structure message needs a top-level object with a \"data\" object")
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    langs = meta.get("contentLanguages")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else "en"
    artefacts = []
    for key, items in doc["data"].items():
        t = _BY_KEY.get(key)
        if key in _NOT_STORED:
            raise UnsupportedArtefact(f"data.{key}: geographic codelists cannot be stored by this server")
        if t is None:
            raise BadInput(f"data.{key} is not a collection of SDMX-JSON 2.0 structures")
        if not isinstance(items, list):
            raise BadInput(f"data.{key} must be an array")
        for i, a in enumerate(items):
            if not isinstance(a, dict) or not all(isinstance(a.get(k), str) for k in ("id", "agencyID")):
                raise BadInput(f"data.{key}[{i}] needs at least id and agencyID (strings)")
            for k, pattern in _IDENTIFIERS.items():
                if k in a and not (isinstance(a[k], str) and pattern.fullmatch(a[k])):
                    raise BadInput(f"data.{key}[{i}].{k} {a[k]!r} is not a valid SDMX {k}")
            _check_items(a, TYPES[t].items_key, f"data.{key}[{i}]")
            try:
                artefacts.append(_artefact(a, t, key, lang))
            except RecursionError:
                raise BadInput(f"data.{key}[{i}] nests too deeply") from None
    header = {k: meta[k] for k in ("id", "test", "prepared") if k in meta}
    if isinstance(meta.get("sender"), dict) and meta["sender"].get("id"):
        header["sender"] = meta["sender"]["id"]
    return StructureMessageContent(header, artefacts)


def _check_items(node: dict, items_key: str | None, path: str) -> None:
    """Item lists must be arrays of objects with a string id (nested categories too)."""
    if not items_key or items_key not in node:
        return
    items = node[items_key]
    if not isinstance(items, list):
        raise BadInput(f"{path}.{items_key} must be an array")
    for j, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise BadInput(f"{path}.{items_key}[{j}] needs an id (string)")
        if items_key in ("categories", "reportingCategories"):
            _check_items(item, items_key, f"{path}.{items_key}[{j}]")


def _artefact(a: dict, t: str, key: str, lang: str) -> Artefact:
    draft = key == "contentConstraints"  # early 2.0 draft: 2.1 names for role and include
    out = _canonical(a, lang, draft=draft)
    out.pop("urn", None)  # ours follows from type, agency, id and version (urn_of)
    if draft and a.get("type") in ("Allowed", "Actual"):
        out.setdefault("role", a["type"])
    comps = out.get("dataStructureComponents") if t == "datastructure" else None
    if isinstance(comps, dict) and "primaryMeasure" in (comps.get("measureList") or {}):
        _draft_components(out["dataStructureComponents"])
    if isinstance(out.get("dataStructureComponents"), dict):
        _zero_based(out["dataStructureComponents"])
    out["type"] = t
    if not isinstance(out.get("version"), str):
        out["version"] = "1.0"
    explicit = a.get("isFinal")
    out["isFinal"] = explicit if isinstance(explicit, bool) else "-" not in out["version"]
    return out


def _canonical(node: Any, lang: str, *, draft: bool = False, in_annotation: bool = False) -> Any:
    """Single-language texts become maps; self links are dropped, annotation links kept."""
    if isinstance(node, list):
        return [_canonical(v, lang, draft=draft, in_annotation=in_annotation) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("name", "description", "text") or (k == "links" and not in_annotation):
            continue
        if draft and k == "isIncluded":
            out.setdefault("include", v)
            continue
        out[k] = _canonical(v, lang, draft=draft, in_annotation=(k == "annotations"))
    for single, plural in (("name", "names"), ("description", "descriptions"), ("text", "texts")):
        if isinstance(node.get(single), str) and not isinstance(node.get(plural), dict):
            out[plural] = {lang: node[single]}
    return out


def _draft_components(comps: dict) -> None:
    """Early 2.0 drafts (and JSON 1.0-style messages labelled 2.0) use 2.1 spellings: normalise them."""
    ml = comps.get("measureList")
    if isinstance(ml, dict) and isinstance(ml.get("primaryMeasure"), dict) and "measures" not in ml:
        ml["measures"] = [ml.pop("primaryMeasure")]
    dl = comps.get("dimensionList") or {}
    tds = dl.pop("timeDimensions", None)
    if isinstance(tds, list) and tds and "timeDimension" not in dl:
        dl["timeDimension"] = tds[0]
    for d in [*dl.get("dimensions", []), *([dl["timeDimension"]] if "timeDimension" in dl else [])]:
        if isinstance(d, dict) and d.get("type") in ("Dimension", "TimeDimension", "MeasureDimension"):
            if d.pop("type") == "MeasureDimension":
                d["isMeasureDimension"] = True
    for a in (comps.get("attributeList") or {}).get("attributes", []):
        if isinstance(a, dict) and "assignmentStatus" in a and "usage" not in a:
            a["usage"] = "mandatory" if a.pop("assignmentStatus") == "Mandatory" else "optional"
        rel = a.get("attributeRelationship") if isinstance(a, dict) else None
        if isinstance(rel, dict) and "primaryMeasure" in rel:
            a["attributeRelationship"] = {"observation": {}}
    _text_type(comps)


def _text_type(node: Any) -> None:
    """2.1 ``textFormat``/``textType`` become the 2.0 ``format``/``dataType``."""
    if isinstance(node, list):
        for v in node:
            _text_type(v)
    elif isinstance(node, dict):
        for k in list(node):
            if k in ("localRepresentation", "coreRepresentation") and isinstance(node[k], dict):
                rep = node[k]
                if "textFormat" in rep and "format" not in rep:
                    rep["format"] = rep.pop("textFormat")
                if isinstance(rep.get("format"), dict) and "textType" in rep["format"]:
                    rep["format"].setdefault("dataType", rep["format"].pop("textType"))
            _text_type(node[k])


def _zero_based(comps: dict) -> None:
    """SDMX positions are 1-based, canonical ones 0-based; a message already counting from 0 is kept."""
    dl = comps.get("dimensionList")
    if not isinstance(dl, dict):
        return
    dims = [d for d in [*(dl.get("dimensions") or []), dl.get("timeDimension")] if isinstance(d, dict)]
    positions = [d["position"] for d in dims if isinstance(d.get("position"), int)]
    if positions and min(positions) >= 1:
        for d in dims:
            if isinstance(d.get("position"), int):
                d["position"] -= 1
