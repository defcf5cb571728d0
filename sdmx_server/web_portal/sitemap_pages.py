"""/sitemap.xml (sitemaps.org, with hreflang alternates), /robots.txt and the HTML site map page.

Thin views over site_map.public_pages, always for the anonymous caller (whoever asks): a signed-in crawler or
administrator must not get private pages into a search engine. Absolute URLs use ``public_url``, else the request's
own address.
"""

from __future__ import annotations

from flask import Response, current_app, g, render_template, request, url_for
from lxml import etree

from ..access.visibility import Visibility, visibility_for
from ..identity.actor import ANONYMOUS
from ..request_context import access_reads, db
from ..storage.grant_store import GrantStore
from .site_map import public_pages
from .views import bp

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
# Paths for machines or for signed-in people only; "*" stands for any language
DISALLOWED = ("/rest/", "/api/", "/*/sign-in", "/*/sign-out", "/*/account/", "/*/admin/", "/*/system/",
              "/*/content/", "/*/submit/", "/*/submissions/", "/*/queue/", "/*/documentation/",
              "/*/reports/saved/", "/*/reports/*/export.", "/*/documents/*/file",
              "/*/search")


def _public_visibility() -> Visibility:
    """The public's visibility, by the same rule and cache as any request's (request_context.visibility)."""
    reads = access_reads()
    grants = reads.grants(GrantStore(db()))
    return reads.visibility(ANONYMOUS, lambda: visibility_for(ANONYMOUS, grants, current_app.extensions["sdmx_config"]))


def _base() -> str:
    return (current_app.extensions["sdmx_config"].public_url or request.host_url).rstrip("/")


@bp.get("/sitemap.xml")
def sitemap_xml() -> Response:
    languages = current_app.extensions["portal_languages"]
    base = _base()
    root = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP, "xhtml": XHTML})
    for section in public_pages(db(), _public_visibility(), languages[0]):
        for entry in section.entries:
            urls = {lang: base + url_for(entry.endpoint, lang_code=lang, **entry.args) for lang in languages}
            for lang in languages:
                url = etree.SubElement(root, f"{{{SITEMAP}}}url")
                etree.SubElement(url, f"{{{SITEMAP}}}loc").text = urls[lang]
                if entry.lastmod:
                    etree.SubElement(url, f"{{{SITEMAP}}}lastmod").text = entry.lastmod.isoformat(timespec="seconds")
                for other, href in [*urls.items(), ("x-default", urls[languages[0]])]:
                    etree.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang=other, href=href)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    resp = Response(body, content_type="application/xml; charset=utf-8")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/robots.txt")
def robots_txt() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in DISALLOWED), "Allow: /", "",
             f"Sitemap: {_base()}{url_for('portal.sitemap_xml')}", ""]
    resp = Response("\n".join(lines), content_type="text/plain; charset=utf-8")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.get("/<portal_lang:lang_code>/sitemap")
def sitemap_page() -> str:
    return render_template("portal/sitemap.html", sections=public_pages(db(), _public_visibility(), g.lang_code))
