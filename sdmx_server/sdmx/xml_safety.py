"""The one way this server parses XML: no DTDs, no entities, no network.

A DOCTYPE is refused outright rather than ignored, so that a billion-laughs or
external-entity message gets a clear error instead of a silently different
document.
"""

from __future__ import annotations

import re
from typing import IO

from lxml import etree

from .errors import BadInput

# characters XML 1.0 forbids (its Char production): lxml refuses them and no parser reads them back
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 forbids written as an escape (``\\x00``), for messages that quote
    what a client sent (an error naming a bad value must itself be well-formed)."""
    return XML_FORBIDDEN.sub(lambda m: repr(m.group())[1:-1], text) if XML_FORBIDDEN.search(text) else text


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes | IO[bytes]) -> etree._Element:
    """Parse a whole XML document safely; BadInput says what is wrong and where."""
    if not isinstance(data, (bytes, bytearray)):
        data = data.read()
    if not data.strip():
        raise BadInput("the message body is empty")
    try:
        tree = etree.fromstring(bytes(data), safe_parser())
    except etree.XMLSyntaxError as e:
        line, col = (e.position if e.position else (None, None))
        raise BadInput(f"the message is not well-formed XML: {e.msg}", line=line, column=col) from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BadInput("DTDs and entity declarations are not accepted in SDMX messages", line=1)
    return tree


def check_no_doctype(head: bytes) -> None:
    """Refuse a DOCTYPE seen in the first bytes of a streamed document."""
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise BadInput("DTDs and entity declarations are not accepted in SDMX messages", line=1)
