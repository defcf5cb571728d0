"""The documents library: the public listing, a document's page and its file, and the content managers' screens.

Thin views: parse the form, check the file (content/uploads.py), call content/documents.py with the signed-in
user as actor, render. A document the caller may not see answers 404 everywhere, as if it did not exist. A refused
upload keeps nothing: the file is checked before it is written, and deleted again if the row is not committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..content import documents as docs
from ..content.document_text import extract_text
from ..content.uploads import KINDS, RefusedFile, check_upload
from ..identity.actor import Actor
from ..request_context import actor, db, visibility, write_transaction
from ..sdmx.errors import SdmxError
from ..storage.artefact_store import ArtefactStore
from ..storage.audit_store import AuditStore
from ..storage.document_files import DocumentFiles
from ..storage.document_store import DocumentRow, DocumentStore
from . import admin_system, page_context
from .admin_forms import choices
from .content_actions import change_state, refused
from .content_forms import DOC_TYPE_LABELS, DocumentForm, StateForm
from .languages import language_name
from .page_context import signed_in
from .statistics_catalogue import countries, indicator_of
from .texts import LocalText, pick, sort_key
from .views import bp

page_context.NOTICES.update({
    "document_created": _l("The document is saved as a draft. Publish it when it is ready."),
    "document_saved": _l("The document is saved."),
    "document_published": _l("The document is published."),
    "document_withdrawn": _l("The document is withdrawn: only its managers see it now."),
    "document_draft": _l("The document is a draft again."),
})
admin_system.ACTIONS.update({
    "document.create": _l("Document added"),
    "document.update": _l("Document changed"),
    "document.publish": _l("Document published"),
    "document.withdraw": _l("Document withdrawn"),
    "document.draft": _l("Document returned to draft"),
})
STATE_LABELS = {"draft": _l("draft"), "published": _l("published"), "withdrawn": _l("withdrawn")}
ACCESS_LABELS = {"public": _l("public"), "restricted": _l("restricted")}
NO_STORE = {"Cache-Control": "no-store"}


@bp.app_template_global()
def language_label(lang: str) -> str:
    """A language's name in itself, for the mark of an untranslated text."""
    return language_name(lang)


@dataclass(frozen=True)
class ShownDocument:
    row: DocumentRow
    title: LocalText
    summary: LocalText | None
    owner: LocalText  # the country's name, or "Regional"
    type_label: str
    kind: str  # PDF, Word (DOCX) ...
    indicators: list[LocalText]
    size: str


def _files() -> DocumentFiles:
    cfg = current_app.extensions["sdmx_config"]
    return DocumentFiles(cfg.path(cfg.document_dir))


def _indicator_names(store: ArtefactStore, lang: str) -> dict[str, LocalText]:
    return {i.urn: i.name for i in (indicator_of(a, lang) for a in store.candidates({"dataflow"}, None, None))}


def _shown(rows: list[DocumentRow], lang: str) -> list[ShownDocument]:
    artefacts = ArtefactStore(db())
    names = dict(countries(artefacts, lang))
    flows = _indicator_names(artefacts, lang)
    regional = LocalText(_("Regional"), lang)
    return [ShownDocument(
        d, pick(d.titles, lang, f"#{d.id}"), pick(d.summaries, lang) if d.summaries else None,
        names.get(d.country, LocalText(d.country, "en")) if d.country else regional,
        str(DOC_TYPE_LABELS.get(d.doc_type, d.doc_type)), KINDS.get(d.media_type, d.media_type),
        [flows.get(u, LocalText(u, "en")) for u in d.indicators],
        _("%(size)s KB", size=format_decimal(max(1, round(d.file_size / 1024))))) for d in rows]


# -- public pages ---------------------------------------------------------------------------------

@bp.get("/<portal_lang:lang_code>/documents/")
def documents() -> str:
    doc_type = request.args.get("type") or None
    country = request.args.get("country") or None
    if doc_type not in (None, *docs.DOC_TYPES) or (country and len(country) > 200):
        abort(404)
    regional = country == "regional"
    rows = docs.visible_documents(DocumentStore(db()), actor(), visibility(), doc_type=doc_type,
                                  country=None if regional else country, regional=regional)
    return render_template("portal/documents.html", documents=_shown(rows, g.lang_code), doc_type=doc_type,
                           country=country, types=DOC_TYPE_LABELS, countries=countries(ArtefactStore(db()), g.lang_code),
                           manage=docs.may_manage_any(actor()))


def _visible(doc_id: int) -> DocumentRow:
    try:
        return docs.document_for(DocumentStore(db()), actor(), visibility(), doc_id)
    except SdmxError as e:
        refused(e)


@bp.get("/<portal_lang:lang_code>/documents/<int:doc_id>")
def document(doc_id: int) -> tuple[str, int, dict[str, str]]:
    row = _visible(doc_id)
    headers = NO_STORE if row.access != "public" or row.state != "published" else {}
    return render_template("portal/document.html", d=_shown([row], g.lang_code)[0],
                           manage=docs.can_manage(actor(), row.country),
                           content_state=STATE_LABELS.get(row.state, row.state),
                           access_label=ACCESS_LABELS.get(row.access, row.access)), 200, headers


@bp.get("/<portal_lang:lang_code>/documents/<int:doc_id>/file")
def document_file(doc_id: int) -> Response:
    """The file as an attachment of its canonical type (RFC 6266 ``filename*`` for any name), never inline."""
    row = _visible(doc_id)
    path = _files().path(row.file_key)
    if not path.exists():
        current_app.logger.error("document %s: its file %s is missing", row.id, row.file_key)
        abort(404)
    resp = send_file(path, mimetype=row.media_type, as_attachment=True, download_name=row.file_name,
                     conditional=True, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store" if row.access != "public" else "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# -- content management ---------------------------------------------------------------------------

def _require_manager() -> Actor:
    who = signed_in()
    if not docs.may_manage_any(who):
        abort(403)
    return who


@bp.get("/<portal_lang:lang_code>/content/documents/")
def content_documents() -> tuple[str, int, dict[str, str]]:
    who = _require_manager()
    rows = docs.managed_documents(DocumentStore(db()), who)
    return render_template("portal/content_documents.html", documents=_shown(rows, g.lang_code),
                           states=STATE_LABELS, access_labels=ACCESS_LABELS), 200, NO_STORE


def _owner_choices(who: Actor, lang: str) -> list[tuple[str, str]]:
    names = countries(ArtefactStore(db()), lang)
    if docs.is_system_administrator(who):
        return [("", _("Regional (the whole mechanism)"))] + [(c, n.text) for c, n in names]
    return [(c, n.text) for c, n in names if c == who.country] or [(who.country or "", who.country or "")]


def _prepare(form: DocumentForm, who: Actor) -> list[str]:
    form.country.choices = choices(_owner_choices(who, g.lang_code))
    flows = sorted(_indicator_names(ArtefactStore(db()), g.lang_code).items(), key=lambda kv: sort_key(kv[1]))
    form.indicators.choices = choices([(u, n.text) for u, n in flows])
    return [u for u, _n in flows]


def _fields(form: DocumentForm) -> docs.DocumentFields:
    return docs.DocumentFields(
        form.country.data or None, form.doc_type.data, form.published_on.data,
        {"en": (form.title_en.data or "").strip(), "ru": (form.title_ru.data or "").strip()},
        {"en": (form.summary_en.data or "").strip(), "ru": (form.summary_ru.data or "").strip()},
        form.access.data, bool(form.participants.data), tuple(form.indicators.data or ()))


REFUSALS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(limit)s MB, the most this library accepts (setting "
                    "max_document_bytes). Nothing was kept."),
    "unknown_type": _l("The file is not a PDF, DOCX, XLSX or ODT document (judged by its content, not its name). "
                       "Nothing was kept."),
    "damaged": _l("The file looks like a DOCX, XLSX or ODT document but is damaged. Nothing was kept."),
    "bomb": _l("The file would unpack to far more than its size, as no real document does (a compression bomb). "
               "Nothing was kept."),
    "macros": _l("The file holds macros, which this library does not accept. Save it without macros. "
                 "Nothing was kept."),
}


def _explain(e: RefusedFile) -> str:
    params = dict(e.params)
    if "limit" in params:
        params["limit"] = format_decimal(round(params["limit"] / (1024 * 1024), 1))
    return str(REFUSALS[e.reason]) % params if params else str(REFUSALS[e.reason])


def _read_upload(form: DocumentForm) -> tuple[bytes, str] | None:
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    limit = current_app.extensions["sdmx_config"].max_document_bytes
    return upload.stream.read(limit + 1), upload.filename


def _check_file(form: DocumentForm, got: tuple[bytes, str]):
    cfg = current_app.extensions["sdmx_config"]
    try:
        return check_upload(got[0], got[1], max_bytes=cfg.max_document_bytes, max_inflate_ratio=cfg.max_inflate_ratio)
    except RefusedFile as e:
        form.file.errors = [*form.file.errors, _explain(e)]
        return None


@bp.route("/<portal_lang:lang_code>/content/documents/new", methods=["GET", "POST"])
def content_document_new() -> Response | tuple[str, int, dict[str, str]]:
    who = _require_manager()
    form = DocumentForm()
    known = _prepare(form, who)
    if not form.is_submitted():
        form.published_on.data = date.today()
        form.country.data = who.country or ""
    if form.validate_on_submit():
        got = _read_upload(form)
        if got is None:
            form.file.errors = [*form.file.errors, _("Choose the document's file.")]
        elif not any(_fields(form).titles.values()):
            form.title_en.errors = [*form.title_en.errors, _("Enter a title in at least one language.")]
        elif (checked := _check_file(form, got)) is not None:
            files = _files()
            key = None
            try:
                with write_transaction():
                    conn = db()
                    doc_id, key = docs.create_document(DocumentStore(conn), AuditStore(conn), files, who, _fields(form),
                                                       checked, got[0], known)
            except SdmxError as e:
                if key:
                    files.delete(key)
                refused(e)
            except BaseException:
                if key:
                    files.delete(key)
                raise
            flash("document_created")
            return redirect(url_for("portal.document", doc_id=doc_id))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_document_form.html", form=form, doc=None), status, NO_STORE


@bp.route("/<portal_lang:lang_code>/content/documents/<int:doc_id>/edit", methods=["GET", "POST"])
def content_document_edit(doc_id: int) -> Response | tuple[str, int, dict[str, str]]:
    who = _require_manager()
    try:
        row = docs.managed_document(DocumentStore(db()), who, doc_id)
    except SdmxError as e:
        refused(e)
    form = DocumentForm()
    known = _prepare(form, who)
    owner = dict(_owner_choices(who, g.lang_code)).get(row.country or "", row.country or "")
    form.country.choices = choices([(row.country or "", owner)])
    if not form.is_submitted():
        form.process(data={"country": row.country or "", "doc_type": row.doc_type, "published_on": row.published_on,
                           "title_en": row.titles.get("en", ""), "title_ru": row.titles.get("ru", ""),
                           "summary_en": row.summaries.get("en", ""), "summary_ru": row.summaries.get("ru", ""),
                           "access": row.access, "participants": row.participants,
                           "indicators": list(row.indicators)})
    if form.validate_on_submit():
        got = _read_upload(form)
        checked = _check_file(form, got) if got else None
        if not any(_fields(form).titles.values()):
            form.title_en.errors = [*form.title_en.errors, _("Enter a title in at least one language.")]
        elif got is None or checked is not None:
            files = _files()
            key = files.save(got[0]) if checked else None
            try:
                with write_transaction():
                    conn = db()
                    old = docs.edit_document(DocumentStore(conn), AuditStore(conn), who, doc_id, _fields(form), known,
                                             new_file=(checked, key) if checked and key else None,
                                             file_text=extract_text(got[0], checked.media_type) if checked else None)
            except BaseException as e:
                if key:
                    files.delete(key)
                if isinstance(e, SdmxError):
                    refused(e)
                raise
            if old:
                files.delete(old)
            flash("document_saved")
            return redirect(url_for("portal.document", doc_id=doc_id))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_document_form.html", form=form, doc=_shown([row], g.lang_code)[0],
                           state_form=StateForm(formdata=None), states=STATE_LABELS), status, NO_STORE


@bp.post("/<portal_lang:lang_code>/content/documents/<int:doc_id>/state")
def content_document_state(doc_id: int) -> Response:
    who = _require_manager()
    state = change_state(lambda conn, state: docs.move_document(DocumentStore(conn), AuditStore(conn), who, doc_id, state))
    flash({"published": "document_published", "withdrawn": "document_withdrawn", "draft": "document_draft"}[state])
    return redirect(url_for("portal.content_document_edit", doc_id=doc_id))


