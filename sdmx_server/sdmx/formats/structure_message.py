"""What every structure reader returns: the message header and the canonical artefacts it carried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..artefacts import Artefact


@dataclass
class StructureMessageContent:
    header: dict[str, Any] = field(default_factory=dict)
    artefacts: list[Artefact] = field(default_factory=list)
