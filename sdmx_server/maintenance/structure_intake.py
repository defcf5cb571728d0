"""Turn a submitted structure message, in whichever format, into canonical artefacts."""

from __future__ import annotations

import importlib
import re

from ..sdmx.artefacts import TYPES, Artefact
from ..sdmx.errors import BadInput, UnsupportedArtefact

_NS = re.compile(rb"xmlns(?::\w+)?=[\"']http://www\.sdmx\.org/resources/sdmxml/schemas/(v\d_\d)/message[\"']")
_READERS = {  # one module reads every SDMX-ML version sdmx1 knows (it checks the root itself)
    b"v2_1": "sdmx_ml_structure_reader",
    b"v3_0": "sdmx_ml_structure_reader",
    b"v3_1": "sdmx_ml_structure_reader",
}


def detect_reader(data: bytes, content_type: str | None = None) -> str:
    """Name of the reader module for this body, from its content (Content-Type only breaks ties)."""
    head = data[:4096].lstrip()
    if head.startswith(b"{"):
        return "sdmx_json_2_0_structure_reader"
    if not head.startswith(b"<"):
        raise BadInput("the body is neither SDMX-ML (XML) nor SDMX-JSON", line=1, column=1)
    m = _NS.search(head)
    if not m:
        if content_type and "version=2.1" in content_type:
            return _READERS[b"v2_1"]
        if content_type and "version=3" in content_type:
            return _READERS[b"v3_0"]
        # let the 3.0 reader parse it: it names the root element and namespace it found
        return _READERS[b"v3_0"]
    reader = _READERS.get(m.group(1))
    if reader is None:
        raise BadInput(f"SDMX-ML {m.group(1).decode()} messages are not accepted; send SDMX-ML 2.1 or 3.0")
    return reader


# SDMX 2.1 classes with no SDMX 3.0 counterpart: no 3.0 URN can name them (not even in a
# SubmitStructureResponse), so a message carrying one is refused whole, naming it
_NO_3_0_CLASS = frozenset({"structureset", "process"})


def read_structures(data: bytes, content_type: str | None = None) -> list[Artefact]:
    module = importlib.import_module(f"sdmx_server.sdmx.formats.{detect_reader(data, content_type)}")
    artefacts = module.read_structure_message(data).artefacts
    legacy = [a for a in artefacts if a["type"] in _NO_3_0_CLASS]
    if legacy:
        names = ", ".join(f"{TYPES[a['type']].urn_class.split('.')[-1]} {a['agencyID']}:{a['id']}({a['version']})"
                          for a in legacy)
        raise UnsupportedArtefact(f"{names}: an SDMX 2.1 class with no SDMX 3.0 counterpart, which this server does "
                                  "not store; leave it out of the message (SDMX 3.0 maps with StructureMap and "
                                  "RepresentationMap)")
    return artefacts
