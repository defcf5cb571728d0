"""Series keys in REST paths: ``M.USD+JPY.EUR..A`` (v1) or ``M.USD,JPY.EUR.*.A`` (v2).

Each dimension position holds a wildcard (empty or ``*``) or a set of alternatives. A key may
stop early: missing trailing positions are wildcards (data.md).
"""

from __future__ import annotations

from .errors import BadInput

KeyFilter = list[frozenset[str] | None]  # per dimension, in DSD order; None = any value


def parse_key(text: str | None, dimension_ids: tuple[str, ...]) -> KeyFilter:
    if text in (None, "", "all", "*"):
        return [None] * len(dimension_ids)
    parts = text.split(".")
    if len(parts) > len(dimension_ids):
        raise BadInput(f"key {text!r} has {len(parts)} dimensions; the structure has {len(dimension_ids)} "
                       f"({'.'.join(dimension_ids)})")
    out: KeyFilter = []
    for part in parts + [""] * (len(dimension_ids) - len(parts)):
        if part in ("", "*"):
            out.append(None)
        else:
            values = frozenset(v for v in part.replace(",", "+").split("+") if v)
            if not values or "*" in values:
                raise BadInput(f"key {text!r}: {part!r} mixes a wildcard with values")
            out.append(values)
    return out
