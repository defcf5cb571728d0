"""SDMX-ML 2.1 Structure messages from canonical artefacts (shared machinery: ``sdmx_ml_structure_writing``)."""

from __future__ import annotations

from typing import Iterable

from ..artefacts import Artefact
from . import sdmx_ml_structure_writing

VERSION = "2.1"


def write_structure_message(artefacts: list[Artefact], header: dict | None = None, *,
                            languages: list[str] | None = None) -> bytes:
    """Every language is written: SDMX-ML carries them all, so ``languages`` is ignored."""
    return sdmx_ml_structure_writing.write(artefacts, VERSION, header)


def unsupported(artefacts: Iterable[Artefact]) -> list[str]:
    return sdmx_ml_structure_writing.unsupported(artefacts, VERSION)


def unsupported_reason(artefact: Artefact, index: dict | None = None) -> str | None:
    """``index`` (URN to artefact) is accepted for callers that have one; the reason needs only the artefact."""
    return sdmx_ml_structure_writing.unsupported_reason(artefact, VERSION)
