"""The Excel template of a dataflow, with labels in the asked language (codes and component names)."""

from __future__ import annotations

from ..sdmx.artefacts import Artefact, concepts_of, parse_urn, urn_of
from ..sdmx.formats.excel_template import TemplateColumn, columns, write_template
from ..storage.artefact_store import ArtefactStore
from .intake import PERIODICITY, DataflowContext, Provisional, frequencies  # noqa: F401 (PERIODICITY: for callers)


def pick(names: dict[str, str] | None, language: str) -> str:
    """The text in ``language``, else English, else any: names always show something."""
    names = names or {}
    return names.get(language) or names.get("en") or next(iter(names.values()), "")


FREQUENCY = "FREQ"


def excel_template(store: ArtefactStore, ctx: DataflowContext, language: str, provider: str | None = None,
                   provisional: Provisional | None = None) -> bytes:
    """The template's code lists offer what the dataflow's constraints allow (FREQ: also only the frequency its
    PERIODICITY annotation names), narrowed by the provider's own (its provision agreements'): a country's template offers its own REF_AREA
    only. With ``provisional`` (the server's rule), its attribute may stay empty for the years it covers."""
    filled = provisional if provisional is not None and provisional.applies_to(ctx) else None
    allowed = ctx.allowed_for(provider)
    collected = frequencies(ctx.dataflow)
    if collected is not None:
        allowed[FREQUENCY] = allowed[FREQUENCY] & collected if FREQUENCY in allowed else collected
    dsd = store.get(ctx.structure.urn) or {}
    concept_of = concepts_of(dsd)
    schemes: dict[str, Artefact | None] = {}
    cols = []
    for cid in columns(ctx.structure):
        comp = ctx.structure.component(cid)
        label = cid
        urn = concept_of.get(cid)
        if urn:
            u = parse_urn(urn)
            scheme = schemes.setdefault(u.maintainable, store.get(u.maintainable))
            concept = next((c for c in (scheme or {}).get("concepts", []) if c["id"] == u.item_id), None)
            label = pick(concept.get("names"), language) if concept else cid
        codes = None
        if comp is not None and comp.codelist:
            cl = store.get(parse_urn(comp.codelist).maintainable) or {}
            codes = [(c["id"], pick(c.get("names"), language)) for c in cl.get("codes", [])]
            codes = [c for c in codes if allowed.get(cid) is None or c[0] in allowed[cid]]
        mandatory = comp is None or comp.mandatory or cid in ctx.structure.key_ids
        cols.append(TemplateColumn(cid, label, codes, mandatory,
                                   (filled.year, filled.code) if filled and cid == filled.attribute else None))
    flow = ctx.dataflow
    return write_template(urn_of(flow), pick(flow.get("names"), language), cols, language)
