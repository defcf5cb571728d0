"""SDMX version query strings (``1.0``, ``1.2.3-draft``, ``+``, ``~``, ``*``, ``1.2+.0``, ``latest``...).

The rules are the REST specification's ``querying_versions.md``: a query names one
version exactly, the latest stable semantic version (``+``), the latest possibly
unstable one (``~``), or all versions (``*``), optionally from a minimum and
within a fixed major or minor part; alternatives are separated by ``,``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Literal

from .errors import BadInput

Mode = Literal["exact", "+", "~", "*"]

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([A-Za-z0-9_.-]+))?$")
# SDMX 2.1 (and SDMX-JSON 1.0) VersionType: numbers separated by dots
VERSION_2_1 = re.compile(r"[0-9]+(\.[0-9]+)*")
_PART = re.compile(r"^(\d*)([+~*]?)$")


@dataclass(frozen=True)
class VersionQuery:
    mode: Mode
    text: str
    fixed: tuple[int, ...] = ()  # parts before the wildcard, matched exactly
    minimum: tuple[int, ...] = ()  # the wildcard part and those after it: candidate tail >= minimum
    parts: int = 0  # how many numeric parts a candidate must have (0: any form)

    def matches(self, version: str) -> bool:
        if self.mode == "exact":
            return version == self.text
        parsed = parse_version(version)
        if parsed is None:
            return False
        nums, ext = parsed
        if self.mode == "+" and ext is not None:
            return False
        if self.parts and len(nums) != self.parts:
            return False
        if self.mode == "+" and len(nums) != 3:
            return False
        k = len(self.fixed)
        return nums[:k] == self.fixed and nums[k:] >= self.minimum


def parse_version(version: str) -> tuple[tuple[int, ...], str | None] | None:
    """Numeric parts and extension of a stored version, or None if it is not numeric."""
    m = _VERSION.match(version)
    if not m:
        return None
    return tuple(int(p) for p in m.groups()[:3] if p is not None), m.group(4)


def sort_key(version: str) -> tuple:
    """Orders versions as semantic versioning does: 1.2.0-draft < 1.2.0 < 1.10.0."""
    parsed = parse_version(version)
    if parsed is None:
        return (0, (), 0, version)
    nums, ext = parsed
    return (1, nums + (0,) * (3 - len(nums)), 0 if ext else 1, ext or "", len(nums))


def parse_version_query(text: str, api: str = "v2") -> list[VersionQuery]:
    """Parse a version path parameter into its alternatives; BadInput names what is wrong.

    v1 has no wildcard operators, and separates alternatives with ``+`` (REST 1.3+) as well as ``,``.
    """
    out = []
    for alt in (re.split(r"[+,]", text) if api == "v1" else text.split(",")):
        alt = alt.strip()
        if api == "v1" and alt == "latest":
            alt = "~"
        elif api == "v1" and alt == "all":
            alt = "*"
        out.append(_parse_one(alt))
    return out


def _parse_one(text: str) -> VersionQuery:
    if not text:
        raise BadInput("empty version in the query")
    if text in ("+", "~", "*"):
        if text == "+":
            return VersionQuery("+", text, (), (1, 0, 0), 3)
        return VersionQuery(text, text)  # type: ignore[arg-type]
    if not any(c in text for c in "+~*"):
        if not _VERSION.match(text):
            raise BadInput(f"version {text!r} is not a version (X.Y, X.Y.Z or X.Y.Z-EXT) nor a version query")
        return VersionQuery("exact", text)
    parts = text.split(".")
    if not 2 <= len(parts) <= 3:
        raise BadInput(f"version query {text!r} must have two or three parts")
    fixed: list[int] = []
    minimum: list[int] = []
    mode: str | None = None
    bare = False
    for part in parts:
        m = _PART.match(part)
        if not m or (not m.group(1) and not m.group(2)):
            raise BadInput(f"version query {text!r}: part {part!r} is not a number or a wildcard")
        number, op = m.groups()
        if op:
            if mode is not None:
                raise BadInput(f"version query {text!r} uses more than one of the wildcards +, ~, *")
            mode = op
            bare = not number
            minimum.append(int(number) if number else 0)
        elif mode is None:
            fixed.append(int(number))
        else:
            if not m.group(1):
                raise BadInput(f"version query {text!r}: part {part!r} is not a number")
            if bare and int(number) != 0:
                raise BadInput(f"version query {text!r} is not supported: after a bare wildcard every "
                               "part must be 0 (e.g. 1.+.0, ~.0.0)")
            minimum.append(int(number))
    if mode == "+" and len(parts) != 3:
        raise BadInput(f"version query {text!r} is not supported: '+' needs three parts (e.g. {text}.0)")
    if mode == "+" and not fixed and minimum[0] == 0:
        minimum[0] = 1  # '+' is '1+.0.0': stable versions start at 1
    return VersionQuery(mode, text, tuple(fixed), tuple(minimum), len(parts))  # type: ignore[arg-type]


def select(queries: Iterable[VersionQuery], versions: Iterable[str]) -> list[str]:
    """The versions (of one artefact) that any of the queries asks for, in version order."""
    versions = sorted(set(versions), key=sort_key)
    chosen: set[str] = set()
    for q in queries:
        hits = [v for v in versions if q.matches(v)]
        if q.mode in ("exact", "*"):
            chosen.update(hits)
        elif hits:
            chosen.add(hits[-1])
    return [v for v in versions if v in chosen]
