"""The targets of a data documentation set, as the metadata readers and writers spell them.

A set documents one dataflow for one data provider: two target URNs (``...datastructure.Dataflow=...``
and ``...base.DataProvider=...``), or one provision agreement URN naming both is not accepted, since the
agreement does not say which provider it binds without a lookup. SDMX-CSV 2.0 writes a target as its
structure query resource name and ``AGENCY:ID(VERSION)`` (``dataflow``, ``DSM:DF_X(1.0)``), an item
target with its item id after the scheme (``dataproviderscheme``, ``DSM:DATA_PROVIDERS(1.0).KZ``).
"""

from __future__ import annotations

import re

from ..artefacts import TYPES, parse_urn
from ..errors import BadInput

_REF = re.compile(r"^(?P<agency>[A-Za-z0-9_.@\-]+):(?P<id>[A-Za-z0-9_@$\-]+)\((?P<version>[^)]+)\)(?:\.(?P<item>.+))?$")


def read_targets(set_id: str, targets: list[tuple[str, str]]) -> tuple[str, str, list[tuple[str, str]]]:
    """(dataflow URN, provider id, the targets) from (URN, where) pairs; BadInput naming where for the others."""
    dataflow, provider = "", ""
    for text, where in targets:
        try:
            urn = parse_urn(text)
        except ValueError:
            raise BadInput(f"{where}: metadata set {set_id}: target {text[:200]!r} is not an SDMX URN") from None
        if urn.urn_class == "datastructure.Dataflow" and urn.item_id is None:
            dataflow = urn.maintainable
        elif urn.urn_class == "base.DataProvider" and urn.item_id:
            provider = urn.item_id
        else:
            raise BadInput(f"{where}: metadata set {set_id}: target {text[:200]!r} is neither a dataflow nor a data "
                           "provider; data documentation targets one dataflow and one data provider")
    return dataflow, provider, list(targets)


def csv_target(urn: str) -> tuple[str, str]:
    """(TARGET_TYPES entry, TARGET_IDS entry) of a target URN."""
    u = parse_urn(urn)
    ref = f"{u.agency_id}:{u.id}({u.version})"
    return u.type or u.urn_class, ref + (f".{u.item_id}" if u.item_id else "")


def urn_of_csv_target(kind: str, ref: str) -> str:
    """The URN of a TARGET_TYPES / TARGET_IDS pair; a full URN in TARGET_IDS is taken as it is. ValueError if
    neither."""
    if ref.startswith("urn:sdmx:"):
        parse_urn(ref)
        return ref
    m = _REF.match(ref)
    t = TYPES.get(kind)
    if m is None or t is None:
        raise ValueError(f"target {kind!r} {ref!r} is not a structure type and AGENCY:ID(VERSION)")
    if m["item"]:
        if t.item_class is None:
            raise ValueError(f"target {kind} {ref!r}: a {kind} has no items")
        return f"urn:sdmx:org.sdmx.infomodel.{t.item_class}={m['agency']}:{m['id']}({m['version']}).{m['item']}"
    return f"{t.urn_prefix}{m['agency']}:{m['id']}({m['version']})"
