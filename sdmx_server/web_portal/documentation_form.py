"""The portal's documentation form as plain functions: its fields from the questionnaire, the posted form read
back into a metadata set, and the checks' errors put next to their fields.

Field names: ``v-ATTR`` for codes and dates (repeated for several answers), ``t-ATTR-N-LANG`` for the N-th
text of an attribute in one language. Only the questionnaire's names are read; every text is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from ..metadata.questionnaire import Question
from ..sdmx.formats.excel_documentation_template import TEXT_LANGUAGES
from ..sdmx.metadata_set import AttributeValue, MetadataSet

MAX_TEXT = 20_000  # characters of one answer (a definition with its legal reference fits many times over)


@dataclass
class Outcome:
    """What the form sent: the set to check, the problems found before the checks, the values to show again."""

    values: list[AttributeValue]
    problems: dict[str, list[str]] = field(default_factory=dict)  # attribute -> messages (not yet translated)


def read_form(form: MultiDict, questions: list[Question]) -> Outcome:
    out = Outcome([])
    for q in questions:
        if q.kind == "text":
            for n in range(q.rows):
                texts = {}
                for lang in TEXT_LANGUAGES:
                    text = (form.get(f"t-{q.attribute}-{n}-{lang}") or "").replace("\r\n", "\n").strip()
                    if len(text) > MAX_TEXT:
                        out.problems.setdefault(q.attribute, []).append("too-long")
                        text = text[:MAX_TEXT]
                    if "\x00" in text:
                        text = text.replace("\x00", "")
                    if text:
                        texts[lang] = text
                if texts:
                    out.values.append(AttributeValue(q.attribute, texts=texts, where=q.attribute))
        else:
            given = [v.strip() for v in form.getlist(f"v-{q.attribute}")[:q.rows] if v and v.strip()]
            for v in given:
                out.values.append(AttributeValue(q.attribute, v[:200], where=q.attribute))
    return out


def as_set(values: list[AttributeValue], *, metadataflow: str, dataflow: str, provider: str, set_id: str,
           names: dict[str, str]) -> MetadataSet:
    s = MetadataSet(set_id=set_id, metadataflow_urn=metadataflow, dataflow_urn=dataflow, provider_id=provider,
                    names=names, values=tuple(values))
    s.extra["where"] = ""
    return s


def shown(questions: list[Question], values: list[AttributeValue]) -> list[Question]:
    """The questions with the answers to show (what was sent, when the form comes back with errors)."""
    by: dict[str, list[AttributeValue]] = {}
    for v in values:
        by.setdefault(v.attribute, []).append(v)
    return [Question(q.attribute, q.label, q.kind, q.required, q.rows, q.codes, q.day,
                     [v.value for v in by.get(q.attribute, []) if v.value is not None],
                     [v.texts for v in by.get(q.attribute, []) if v.texts is not None]) for q in questions]


def errors_by_field(errors: list[dict]) -> tuple[dict[str, list[str]], list[str]]:
    """The checks' errors by attribute, as their rules (the page words them next to the field), and the others'
    messages (shown above the form)."""
    by: dict[str, list[str]] = {}
    other = []
    for e in errors:
        if e.get("attribute"):
            by.setdefault(e["attribute"], []).append(e["rule"])
        else:
            other.append(e["message"])
    return by, other
