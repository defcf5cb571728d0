"""What a metadataflow's metadata sets must hold: its MSD's attributes, read from SDMX-ML 3.0.

Read here, with lxml, from the SDMX-ML 3.0 files of the seed directories (tools/make_metadata_structure.py),
the same files `init` stores: the metadata layer does not yet read MSDs submitted later through the structure
API from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..sdmx.xml_safety import parse_xml

STR = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"


@dataclass(frozen=True)
class AttributeSpec:
    id: str
    min_occurs: int
    max_occurs: int | None  # None: unbounded
    codelist: str | None  # codelist URN of a coded attribute
    text_type: str | None  # e.g. String, GregorianDay
    multilingual: bool


@dataclass(frozen=True)
class MetadataflowInfo:
    urn: str
    structure_urn: str
    attributes: dict[str, AttributeSpec]  # by id (dotted path when nested)


def read_definitions(bodies: Iterable[bytes]) -> dict[str, MetadataflowInfo]:
    """Metadataflows by URN, each with its MSD's attributes (flows whose MSD is missing are left out)."""
    msds: dict[str, dict[str, AttributeSpec]] = {}
    flows: list[tuple[str, str]] = []
    for body in bodies:
        root = parse_xml(body)
        for msd in root.iter(f"{{{STR}}}MetadataStructure"):
            urn = msd.get("urn") or (f"urn:sdmx:org.sdmx.infomodel.metadatastructure.MetadataStructure="
                                     f"{msd.get('agencyID')}:{msd.get('id')}({msd.get('version', '1.0')})")
            specs: dict[str, AttributeSpec] = {}
            for lst in msd.iter(f"{{{STR}}}MetadataAttributeList"):
                for a in lst.findall(f"{{{STR}}}MetadataAttribute"):
                    _spec(a, "", specs)
            msds[urn] = specs
        for mf in root.iter(f"{{{STR}}}Metadataflow"):
            s = mf.find(f"{{{STR}}}Structure")
            if mf.get("urn") and s is not None and s.text:
                flows.append((mf.get("urn"), s.text.strip()))
    return {urn: MetadataflowInfo(urn, msd, msds[msd]) for urn, msd in flows if msd in msds}


def _spec(a, prefix: str, out: dict[str, AttributeSpec]) -> None:
    path = f"{prefix}{a.get('id')}"
    rep = a.find(f"{{{STR}}}LocalRepresentation")
    enum = rep.find(f"{{{STR}}}Enumeration") if rep is not None else None
    fmt = rep.find(f"{{{STR}}}TextFormat") if rep is not None else None
    hi = a.get("maxOccurs", "1")
    out[path] = AttributeSpec(
        path, int(a.get("minOccurs", "1")), None if hi == "unbounded" else int(hi),
        enum.text.strip() if enum is not None and enum.text else None,
        fmt.get("textType", "String") if fmt is not None else (None if enum is not None else "String"),
        enum is None and (fmt is None or fmt.get("isMultiLingual", "true") == "true"))
    for child in a.findall(f"{{{STR}}}MetadataAttribute"):
        _spec(child, f"{path}.", out)


def definition_files(cfg) -> list[Path]:
    """The SDMX-ML 3.0 structure files that may hold MSDs and metadataflows."""
    files: list[Path] = []
    for d in cfg.seed_dirs:
        files += [p for p in sorted(cfg.path(d).glob("*.xml")) if b"/schemas/v3_0/" in _head(p)]
    return files


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(1000)


def definitions(cfg) -> dict[str, MetadataflowInfo]:
    files = definition_files(cfg)
    return _cached(tuple((str(p), p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=4)
def _cached(files: tuple[tuple[str, int], ...]) -> dict[str, MetadataflowInfo]:
    return read_definitions(Path(p).read_bytes() for p, _ in files)
