"""The questionnaire of one indicator's documentation for one country, as people fill it in.

Built from the stored MSD (its attributes, in order), the concept names that label them, and the stored
codelists of the coded ones, in one language; prefilled from the current version (the newest one that
was not returned). The Excel template and the portal's form both ask exactly these questions, and what
they send back goes through the same checks as an SDMX message (validation.check_sets).
"""

from __future__ import annotations

from ..identity.actor import Actor
from ..sdmx.artefacts import Artefact, parse_urn, urn_for
from ..sdmx.errors import Forbidden, NotFound
from ..sdmx.formats.excel_documentation_template import Question, Target, write_documentation_template
from ..sdmx.metadata_set import MetadataSet
from ..storage.artefact_store import ArtefactStore
from ..storage.metadata_store import MetadataStore
from .structure import AttributeSpec, MetadataflowInfo, stored_definitions
from .submission import provision_providers
from .workflow import may_document

DOCUMENTATION = urn_for("metadataflow", "DSM", "MDF_DATA_DOCUMENTATION", "1.0")
MAX_TEXT_ROWS = 3  # rows the template offers a repeatable text or date (a coded one: one per code)


def pick(names: dict[str, str] | None, language: str, default: str = "") -> str:
    names = names or {}
    return names.get(language) or names.get("en") or next(iter(names.values()), default)


def documentation_flow(store: ArtefactStore) -> MetadataflowInfo:
    """The newest stored version of the documentation metadataflow (with its MSD): what people are asked."""
    flows = stored_definitions(store)
    mine = [f for urn, f in flows.items() if urn.startswith(DOCUMENTATION.rsplit("(", 1)[0] + "(")]
    if not mine:
        raise NotFound(f"the data documentation metadataflow {DOCUMENTATION} or its MSD is not stored")
    return max(mine, key=lambda f: _version(parse_urn(f.urn).version))


def _version(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("-")[0].split("."))


def dataflow(store: ArtefactStore, agency: str, resource: str, version: str) -> Artefact:
    found = store.get(urn_for("dataflow", agency, resource, version))
    if found is None:
        raise NotFound(f"dataflow {agency}:{resource}({version}) does not exist")
    return found


def documenting_as(store: ArtefactStore, who: Actor, flow_urn: str, provider: str | None) -> str:
    """Which country the caller documents this dataflow for: their own (country-bound users), or the one
    they name (system administrators); 403 if they may not document it, 404 for a country without a
    provision agreement for it."""
    if not may_document(who, flow_urn):
        raise Forbidden(f"user {who.username} may not document {flow_urn}")
    chosen = who.country or provider
    if who.country is not None and provider not in (None, who.country):
        raise Forbidden(f"user {who.username} documents {who.country}, not {provider}")
    if not chosen or chosen not in provision_providers(store, flow_urn):
        raise NotFound(f"no country {chosen!r} reports {flow_urn}")
    return chosen


def current(conn, flow_urn: str, provider: str) -> MetadataSet | None:
    """The version to start from: the newest one that was not returned (under any metadataflow version)."""
    return MetadataStore(conn).newest(None, flow_urn, provider)


def country_names(store: ArtefactStore, provider: str) -> dict[str, str]:
    for scheme in store.candidates({"dataproviderscheme"}, None, None):
        for p in scheme.get("dataProviders", []):
            if p.get("id") == provider and p.get("names"):
                return p["names"]
    return {"en": provider}


def set_id_of(flow: Artefact) -> str:
    return f"DOC_{flow['id']}"


def set_names(flow: Artefact, country: dict[str, str], languages: tuple[str, ...] = ("en", "ru")) -> dict[str, str]:
    words = {"en": "{i}: data documentation of {c}", "ru": "{i}: документация данных ({c})"}
    return {lang: words.get(lang, words["en"]).format(i=pick(flow.get("names"), lang, flow["id"]),
                                                       c=pick(country, lang)) for lang in languages}


def _label(store: ArtefactStore, spec: AttributeSpec, language: str, schemes: dict) -> str:
    if not spec.concept:
        return spec.id
    u = parse_urn(spec.concept)
    if u.maintainable not in schemes:
        schemes[u.maintainable] = store.get(u.maintainable) or {}
    concept = next((c for c in schemes[u.maintainable].get("concepts", []) if c.get("id") == u.item_id), None)
    return pick((concept or {}).get("names"), language, spec.id)


def questions(store: ArtefactStore, flow: MetadataflowInfo, language: str,
              filled: MetadataSet | None = None) -> list[Question]:
    schemes: dict[str, dict] = {}
    out = []
    for spec in flow.attributes.values():
        given = filled.values_of(spec.id) if filled else []
        codes = None
        if spec.codelist:
            cl = store.get(parse_urn(spec.codelist).maintainable) or {}
            codes = [(c["id"], pick(c.get("names"), language)) for c in cl.get("codes", [])]
            kind = "code"
            most = len(codes) if spec.max_occurs is None else min(spec.max_occurs, max(len(codes), 1))
        else:
            kind = "text" if spec.multilingual else "value"
            most = spec.max_occurs or MAX_TEXT_ROWS
        rows = max(1, most, len(given))
        out.append(Question(spec.id, _label(store, spec, language, schemes), kind, spec.min_occurs > 0, rows, codes,
                            spec.text_type == "GregorianDay",
                            [v.value for v in given if v.value is not None],
                            [v.texts for v in given if v.texts is not None]))
    return out


def target_of(store: ArtefactStore, flow: Artefact, provider: str, language: str,
              metadataflow: str = DOCUMENTATION) -> Target:
    country = country_names(store, provider)
    return Target(metadataflow, urn_for("dataflow", flow["agencyID"], flow["id"], flow["version"]), provider,
                  set_id_of(flow), set_names(flow, country), pick(flow.get("names"), language, flow["id"]),
                  pick(country, language, provider))


def documentation_template(conn, flow: Artefact, provider: str, language: str) -> bytes:
    """The Excel template, prefilled with the current documentation (if any)."""
    store = ArtefactStore(conn)
    info = documentation_flow(store)
    target = target_of(store, flow, provider, language, info.urn)
    return write_documentation_template(target, questions(store, info, language, current(conn, target.dataflow,
                                                                                         provider)), language)
