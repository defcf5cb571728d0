"""Where structure retrieval reads artefacts from: the database, or a list in memory (tests, seeding)."""

from __future__ import annotations

from typing import Iterable, Protocol

from ..sdmx.artefacts import Artefact, maintainable_references, urn_of


class ArtefactSource(Protocol):
    def candidates(self, types: set[str] | None, agencies: list[str] | None,
                   ids: list[str] | None) -> list[Artefact]: ...

    def by_urns(self, urns: Iterable[str]) -> list[Artefact]: ...

    def referencing(self, urns: Iterable[str]) -> list[Artefact]: ...


class MemorySource:
    """An ArtefactSource over a list, so retrieval can be tested and reused without a database."""

    def __init__(self, artefacts: Iterable[Artefact]):
        self.artefacts = {urn_of(a): a for a in artefacts}

    def candidates(self, types, agencies, ids):
        return [a for a in self.artefacts.values()
                if (types is None or a["type"] in types)
                and (not agencies or a["agencyID"] in agencies) and (not ids or a["id"] in ids)]

    def by_urns(self, urns):
        return [self.artefacts[u] for u in sorted(set(urns)) if u in self.artefacts]

    def referencing(self, urns):
        targets = set(urns)
        return [a for a in self.artefacts.values() if maintainable_references(a) & targets]
