"""Bounds on the pieces of a data message, so that a hostile one is refused early, in little memory.

A body limit alone does not do: one 512 MB CSV line, XML attribute or JSON string is held whole by the
parser before any check can see it, and a gzip body of half a megabyte may inflate to gigabytes. Every
reader therefore refuses a token (a line, a start tag, a run of text, a string or number) longer than
``max_token`` bytes as soon as it has read that much of it, naming the place and the setting.
"""

from __future__ import annotations

from ..errors import TooLarge
from ..xml_safety import XML_FORBIDDEN

MAX_TOKEN = 1 << 20  # default of the max_token_bytes setting
MAX_INFLATE_RATIO = 100  # default of max_inflate_ratio: real messages compress 8-50 times (gzip -9)
INFLATE_FLOOR = 16 << 20  # bodies inflating to less than this are never refused for their ratio
MAX_BLANK_LINES = 1000  # empty lines an SDMX-CSV message may hold: each costs a loop turn and carries nothing
SETTING = "max_token_bytes"


def token_too_long(what: str, limit: int, *, line: int | None = None, column: int | None = None,
                   where: str = "") -> TooLarge:
    """The 413 for a token over ``limit`` bytes: what it is, where it starts, which setting bounds it."""
    at = f"{where}: " if where else ""
    return TooLarge(f"{at}{what} is longer than this server accepts ({limit} bytes, setting {SETTING})",
                    line=line, column=column)


def forbidden_character(text: str) -> str | None:
    """How to name the first character of ``text`` that XML 1.0 forbids (``U+0000``), if any."""
    m = XML_FORBIDDEN.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def inflates_too_much(inflated: int, compressed: int, ratio: int) -> bool:
    """Whether ``compressed`` bytes inflating to ``inflated`` look like a compression bomb."""
    return inflated > INFLATE_FLOOR and inflated > ratio * max(compressed, 1)


def inflate_error(what: str, ratio: int) -> TooLarge:
    """The 413 for a compression bomb, naming the setting."""
    return TooLarge(f"{what} inflate to more than {ratio} times their compressed size, which no real data message "
                    f"does (setting max_inflate_ratio); nothing was stored")
