"""News and events, their Atom feed per language, the curated links, and the content managers' screens for both.

Thin views over content/news.py. Published items are public; the feed lists only those, and links come from
``public_url``, never from the client's Host (as the revisions feed does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree

from ..content import news as content
from ..identity.actor import Actor
from ..request_context import actor, db, write_transaction
from ..sdmx.errors import NotFound, SdmxError
from ..storage.audit_store import AuditStore
from ..storage.news_store import LinkRow, LinkStore, NewsRow, NewsStore
from . import admin_system, page_context
from .admin_forms import choices
from .content_actions import change_state, refused
from .content_forms import DeleteForm, LinkForm, NewsForm, StateForm
from .page_context import signed_in
from .texts import LocalText, pick
from .views import bp

ATOM = "http://www.w3.org/2005/Atom"
LATEST = 3  # news and events on the home page
NO_STORE = {"Cache-Control": "no-store"}
page_context.NOTICES.update({
    "news_created": _l("The item is saved as a draft. Publish it when it is ready."),
    "news_saved": _l("The item is saved."),
    "news_published": _l("The item is published."),
    "news_withdrawn": _l("The item is withdrawn: only content managers see it now."),
    "news_draft": _l("The item is a draft again."),
    "link_saved": _l("The link is saved."),
    "link_deleted": _l("The link is deleted."),
})
admin_system.ACTIONS.update({
    "news.create": _l("News item added"), "news.update": _l("News item changed"),
    "news.publish": _l("News item published"), "news.withdraw": _l("News item withdrawn"),
    "news.draft": _l("News item returned to draft"), "link.create": _l("Link added"),
    "link.update": _l("Link changed"), "link.delete": _l("Link deleted"),
})
KIND_LABELS = {"news": _l("News"), "event": _l("Event")}
STATE_LABELS = {"draft": _l("draft"), "published": _l("published"), "withdrawn": _l("withdrawn")}
CATEGORY_LABELS = {"statistics": _l("National statistical offices"), "migration": _l("Migration agencies"),
                   "international": _l("International bodies")}


@dataclass(frozen=True)
class ShownNews:
    row: NewsRow
    title: LocalText
    body: LocalText | None
    place: LocalText | None
    kind_label: str


def _shown(rows: list[NewsRow], lang: str) -> list[ShownNews]:
    return [ShownNews(r, pick(r.titles, lang, f"#{r.id}"), pick(r.bodies, lang) if r.bodies else None,
                      pick(r.places, lang) if r.places else None, str(KIND_LABELS.get(r.kind, r.kind))) for r in rows]


@bp.context_processor
def _latest_news() -> dict[str, Any]:
    """The home page's latest published news and events."""
    if request.endpoint != "portal.home":
        return {}
    return {"latest_news": _shown(content.published_news(NewsStore(db()), limit=LATEST), g.lang_code)}


# -- public pages ---------------------------------------------------------------------------------

@bp.get("/<portal_lang:lang_code>/news/")
def news() -> str:
    kind = request.args.get("kind") or None
    if kind not in (None, *content.KINDS):
        abort(404)
    rows = content.published_news(NewsStore(db()), kind=kind)
    return render_template("portal/news.html", items=_shown(rows, g.lang_code), kind=kind, kinds=KIND_LABELS,
                           manage=content.can_manage(actor()))


@bp.get("/<portal_lang:lang_code>/news/<int:item_id>")
def news_item(item_id: int) -> str:
    try:
        row = content.news_for(NewsStore(db()), actor(), item_id)
    except SdmxError as e:
        refused(e)
    return render_template("portal/news_item.html", item=_shown([row], g.lang_code)[0],
                           manage=content.can_manage(actor()), content_state=STATE_LABELS[row.state])


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _public(path: str) -> str:
    return current_app.extensions["sdmx_config"].public_url.rstrip("/") + path


@bp.get("/<portal_lang:lang_code>/news.atom")
def news_feed() -> Response:
    """Published news and events in the page's language (RFC 4287); the other language's text, marked by
    ``xml:lang``, where a translation is missing."""
    rows = content.published_news(NewsStore(db()), limit=50)
    items = _shown(rows, g.lang_code)
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", g.lang_code)
    etree.SubElement(feed, f"{{{ATOM}}}id").text = _public(url_for("portal.news_feed"))
    etree.SubElement(feed, f"{{{ATOM}}}title").text = _("News and events") + " · " + _("Data Sharing Mechanism")
    newest = max((r.published_at for r in rows if r.published_at), default=datetime(2000, 1, 1, tzinfo=timezone.utc))
    etree.SubElement(feed, f"{{{ATOM}}}updated").text = newest.isoformat()
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=_public(url_for("portal.news_feed")))
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=_public(url_for("portal.news")))
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    etree.SubElement(author, f"{{{ATOM}}}name").text = _("Data Sharing Mechanism")
    for it in items:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        link = _public(url_for("portal.news_item", item_id=it.row.id))
        etree.SubElement(entry, f"{{{ATOM}}}id").text = link
        title = etree.SubElement(entry, f"{{{ATOM}}}title")
        title.text = _xml_text(it.title.text)
        title.set("{http://www.w3.org/XML/1998/namespace}lang", it.title.lang)
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = (it.row.published_at or newest).isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=link)
        etree.SubElement(entry, f"{{{ATOM}}}category", term=it.row.kind, label=it.kind_label)
        if it.body:
            content_el = etree.SubElement(entry, f"{{{ATOM}}}content", type="text")
            content_el.text = _xml_text(it.body.text)
            content_el.set("{http://www.w3.org/XML/1998/namespace}lang", it.body.lang)
    body = etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@bp.get("/<portal_lang:lang_code>/links/")
def links() -> str:
    rows = LinkStore(db()).list()
    groups = [(label, [(r, pick(r.titles, g.lang_code, r.url)) for r in rows if r.category == key])
              for key, label in CATEGORY_LABELS.items()]
    return render_template("portal/links.html", groups=[gr for gr in groups if gr[1]],
                           manage=content.can_manage(actor()))


# -- content management: news and events ----------------------------------------------------------

def _require_manager() -> Actor:
    who = signed_in()
    if not content.can_manage(who):
        abort(403)
    return who


def _news_fields(form: NewsForm) -> content.NewsFields:
    def pair(en: Any, ru: Any) -> dict[str, str]:
        return {"en": (en.data or "").strip(), "ru": (ru.data or "").strip()}

    return content.NewsFields(form.kind.data, pair(form.title_en, form.title_ru), pair(form.body_en, form.body_ru),
                              pair(form.place_en, form.place_ru), form.starts_on.data, form.ends_on.data)


def _explain(e: SdmxError) -> str:
    msg = e.message
    if "title" in msg:
        return _("Enter a title in at least one language.")
    if "first day" in msg:
        return _("An event needs its first day.")
    if "end before" in msg:
        return _("An event cannot end before it starts.")
    return _("The item could not be saved: %(reason)s", reason=msg)


@bp.get("/<portal_lang:lang_code>/content/news/")
def content_news() -> tuple[str, int, dict[str, str]]:
    _require_manager()
    rows = NewsStore(db()).list()
    return render_template("portal/content_news.html", items=_shown(rows, g.lang_code), states=STATE_LABELS), 200, \
        NO_STORE


@bp.route("/<portal_lang:lang_code>/content/news/new", methods=["GET", "POST"])
@bp.route("/<portal_lang:lang_code>/content/news/<int:item_id>/edit", methods=["GET", "POST"])
def content_news_edit(item_id: int | None = None):
    who = _require_manager()
    row = None
    if item_id is not None:
        row = NewsStore(db()).get(item_id)
        if row is None:
            abort(404)
    form = NewsForm()
    if row is not None and not form.is_submitted():
        form.process(data={"kind": row.kind, "title_en": row.titles.get("en", ""), "title_ru": row.titles.get("ru", ""),
                           "body_en": row.bodies.get("en", ""), "body_ru": row.bodies.get("ru", ""),
                           "place_en": row.places.get("en", ""), "place_ru": row.places.get("ru", ""),
                           "starts_on": row.starts_on, "ends_on": row.ends_on})
    if form.validate_on_submit():
        try:
            with write_transaction():
                conn = db()
                if row is None:
                    item_id = content.create_news(NewsStore(conn), AuditStore(conn), who, _news_fields(form))
                else:
                    content.edit_news(NewsStore(conn), AuditStore(conn), who, row.id, _news_fields(form))
        except SdmxError as e:
            if isinstance(e, NotFound) or e.status == 403:
                refused(e)
            form.form_errors.append(_explain(e))
        else:
            flash("news_created" if row is None else "news_saved")
            return redirect(url_for("portal.content_news_edit", item_id=item_id))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_news_form.html", form=form,
                           item=_shown([row], g.lang_code)[0] if row else None, state_form=StateForm(formdata=None),
                           states=STATE_LABELS), status, NO_STORE


@bp.post("/<portal_lang:lang_code>/content/news/<int:item_id>/state")
def content_news_state(item_id: int) -> Response:
    who = _require_manager()
    state = change_state(lambda conn, state: content.move_news(NewsStore(conn), AuditStore(conn), who, item_id, state))
    flash({"published": "news_published", "withdrawn": "news_withdrawn", "draft": "news_draft"}[state])
    return redirect(url_for("portal.content_news_edit", item_id=item_id))


# -- content management: links --------------------------------------------------------------------

def _link_form(row: LinkRow | None) -> LinkForm:
    form = LinkForm()
    form.category.choices = choices([(k, str(v)) for k, v in CATEGORY_LABELS.items()])
    if row is not None and not form.is_submitted():
        form.process(data={"category": row.category, "title_en": row.titles.get("en", ""),
                           "title_ru": row.titles.get("ru", ""), "url": row.url, "position": row.position})
        form.category.choices = choices([(k, str(v)) for k, v in CATEGORY_LABELS.items()])
    return form


@bp.route("/<portal_lang:lang_code>/content/links/", methods=["GET", "POST"])
@bp.route("/<portal_lang:lang_code>/content/links/<int:link_id>/edit", methods=["GET", "POST"])
def content_links(link_id: int | None = None):
    who = _require_manager()
    row = None
    if link_id is not None:
        row = LinkStore(db()).get(link_id)
        if row is None:
            abort(404)
    form = _link_form(row)
    if form.validate_on_submit():
        titles = {"en": (form.title_en.data or "").strip(), "ru": (form.title_ru.data or "").strip()}
        if not any(titles.values()):
            form.title_en.errors = [*form.title_en.errors, _("Enter a title in at least one language.")]
        elif not content.safe_url(form.url.data or ""):
            form.url.errors = [*form.url.errors, _("Enter a full web address starting with https:// or http://.")]
        else:
            try:
                with write_transaction():
                    conn = db()
                    content.save_link(LinkStore(conn), AuditStore(conn), who, link_id, category=form.category.data,
                                      titles=titles, url=form.url.data, position=form.position.data or 0)
            except SdmxError as e:
                refused(e)
            flash("link_saved")
            return redirect(url_for("portal.content_links"))
    status = 400 if form.is_submitted() else 200
    rows = [(r, pick(r.titles, g.lang_code, r.url), CATEGORY_LABELS.get(r.category, r.category))
            for r in LinkStore(db()).list()]
    return render_template("portal/content_links.html", form=form, row=row, rows=rows,
                           delete_form=DeleteForm(formdata=None)), status, NO_STORE


@bp.post("/<portal_lang:lang_code>/content/links/<int:link_id>/delete")
def content_link_delete(link_id: int) -> Response:
    who = _require_manager()
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            conn = db()
            content.delete_link(LinkStore(conn), AuditStore(conn), who, link_id)
    except SdmxError as e:
        refused(e)
    flash("link_deleted")
    return redirect(url_for("portal.content_links"))
