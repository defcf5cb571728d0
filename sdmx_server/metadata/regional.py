"""The regional definition: the agreed answers of the data documentation, per indicator (issue 17, point 6).

Held as data in ``regional_definition.toml`` (reviewable, no code): the portal's comparison marks the countries'
answers that differ from it. A coded answer is a set of codes; a text agrees when its English wording is the
same, case and spacing aside (:func:`answer_key`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..sdmx.artefacts import parse_urn
from ..sdmx.metadata_set import AttributeValue

FILE = Path(__file__).with_name("regional_definition.toml")


@dataclass(frozen=True)
class RegionalAnswer:
    attribute: str
    codes: tuple[str, ...] = ()  # a coded answer
    texts: dict[str, str] | None = None  # a text answer {lang: text}

    def values(self) -> list[AttributeValue]:
        """As the attribute values of a metadata set (one per code), so it is shown like a country's answer."""
        if self.texts is not None:
            return [AttributeValue(self.attribute, texts=self.texts)]
        return [AttributeValue(self.attribute, c) for c in self.codes]


def answer_key(values: list[AttributeValue]) -> tuple:
    """What two answers must share to agree: the set of codes or plain values, or the English text normalised
    (the wording every country writes; other languages are translations of it)."""
    texts = [v.texts for v in values if v.texts]
    if texts:
        return ("text", tuple(" ".join((t.get("en") or next(iter(t.values()), "")).split()).casefold()
                              for t in texts))
    return ("codes", tuple(sorted({v.value or "" for v in values})))


def regional_answers(dataflow_urn: str, path: Path = FILE) -> dict[str, RegionalAnswer]:
    """The regional answers for an indicator: [all], then the indicator's own section over it."""
    all_, indicators = _read(path)
    u = parse_urn(dataflow_urn)
    return {**all_, **indicators.get(f"{u.agency_id}:{u.id}({u.version})", {})}


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[dict[str, RegionalAnswer], dict[str, dict[str, RegionalAnswer]]]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    return (_section(data.get("all", {}), "all"),
            {ref: _section(s, ref) for ref, s in data.get("indicators", {}).items()})


def _section(raw: dict, where: str) -> dict[str, RegionalAnswer]:
    out = {}
    for attr, value in raw.items():
        if isinstance(value, dict):
            out[attr] = RegionalAnswer(attr, texts={str(k): str(v) for k, v in value.items()})
        elif isinstance(value, list) and all(isinstance(c, str) for c in value):
            out[attr] = RegionalAnswer(attr, codes=tuple(value))
        elif isinstance(value, str):
            out[attr] = RegionalAnswer(attr, codes=(value,))
        else:
            raise ValueError(f"{FILE.name} [{where}] {attr}: a list of codes or {{en = ..., ru = ...}}, not {value!r}")
    return out
