"""Reports: an indicator's figures as a table and a chart, with exports (HTML, PDF, CSV, Excel).

Thin views: parse the query string, call report_data (the retrieval layer with the caller's visibility; the
public sees public data only), render. The selection is a GET form, so a report's URL can be shared and the
language switch keeps it.
"""

from __future__ import annotations

from types import SimpleNamespace

from urllib.parse import urlencode

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..request_context import actor, db, visibility
from ..retrieval.data_retrieval import PreparedQuery
from ..sdmx.artefacts import Artefact
from ..sdmx.media_types import XLSX
from ..storage.artefact_store import ArtefactStore
from . import report_exports
from .documentation_pages import report_countries, report_documentation
from .report_chart import chart_svg
from .account import signed_in_user
from .report_html import table_body
from .report_choices import PICK, parse_pick, picked_args
from .report_pdf import pdf_bytes
from .saved_reports import FORM_PLACE, save_form_html
from .report_cache import KEPT_REPORT_BYTES, ReportPages
from .report_data import (Report, build_report, chart_series, collector_paused, flow_artefact, format_figure,
                          indicators_with_figures, prepare_flow)
from .views import bp

EXPORTS = ("html", "pdf", "csv", "xlsx")


def _error_text(kind: str, values: dict) -> str:
    """What is wrong with a choice, in plain words and the page's language."""
    if kind == "unknown_country":
        return _("There are no figures you may see for the country “%(code)s”. Choose one of the countries "
                 "listed.", **values)
    if kind == "unknown_code":
        return _("“%(code)s” is not one of the values with figures here. Choose among those listed.", **values)
    if kind == "bad_period":
        return _("“%(value)s” is not a period. Write it like %(example)s.", **values)
    if kind == "end_before_start":
        return _("The last period (%(end)s) comes before the first one (%(start)s).", **values)
    if kind == "unknown_dimension":
        return _("“%(value)s” is not one of this table's dimensions. Choose among those listed under Layout.",
                 **values)
    if kind == "bad_sort":
        return _("“%(value)s” is not a sort order. Choose one of those listed under Layout.", **values)
    if kind == "unknown_column":
        return _("The table has no column “%(value)s” to sort by. Choose one of its columns.", **values)
    if kind == "bad_last":
        return _("“%(value)s” is not a number of periods: write a whole number from 1 to %(most)s.", **values)
    if kind == "too_large":
        return _("This selection holds too many figures to show at once. Choose fewer countries, breakdowns "
                 "or periods.")
    return _("The figures could not be read: %(detail)s", **values)


def _flow(store: ArtefactStore, agency: str, resource: str, version: str) -> Artefact:
    flow = flow_artefact(store, agency, resource, version)
    if flow is None or not flow.get("structure"):
        abort(404)
    return flow


def _report(agency: str, resource: str, version: str, flow: Artefact | None = None,
            prepared: PreparedQuery | None = None) -> Report:
    store = ArtefactStore(db())
    flow = flow or _flow(store, agency, resource, version)
    cfg = current_app.extensions["sdmx_config"]
    return build_report(db(), store, flow, request.args.to_dict(flat=False), visible=visibility().providers,
                        lang=g.lang_code, texts=_error_text, max_observations=cfg.max_observations,
                        prepared=prepared)


def _chart(report: Report) -> tuple[str | None, str]:
    """The chart's SVG and a sentence saying what it shows."""
    table = report.table
    if table is None or not table.rows:
        return None, ""
    axis, series, totals = chart_series(table)
    return chart_svg(axis, series, title=report.indicator.name.text, lang=g.lang_code), _chart_caption(totals)


def _chart_caption(totals: bool) -> str:
    """What the chart shows, in a sentence: country totals, or each row."""
    return (_("The chart shows the total of each country (the breakdowns' total where there is one, else "
              "their sum); the table has every figure.") if totals
            else _("The chart shows each row of the table."))


def _report_pages() -> ReportPages:
    """This process's kept report pages (report_cache), made at the first report."""
    pages = current_app.extensions.get("sdmx_report_pages")
    if pages is None:
        pages = current_app.extensions["sdmx_report_pages"] = ReportPages(KEPT_REPORT_BYTES)
    return pages


def _page(rep: Report) -> str:
    """The report page of ``rep``, drawn afresh."""
    return render_template("portal/report.html", report=rep,
                           content=Markup(render_template("portal/report_content.html", **_context(rep))))


def _context(report: Report) -> dict:
    svg, caption = _chart(report)
    lang = g.lang_code
    host = request.host_url.rstrip("/")
    body = table_body(report.view, lang, _("no figure")) if report.view else ""
    count = report.table.observation_count if report.table else 0
    return {"report": report, "chart": svg, "table_body": body, "chart_caption": caption,
            "fmt": lambda v: format_figure(v, lang),
            "rest_v2": host + report.rest_v2, "rest_v1": host + report.rest_v1,
            "selection": report_exports.selection_lines(report, host),
            "pdf_max": report_exports.PDF_MAX_FIGURES, "pdf_fits": count <= report_exports.PDF_MAX_FIGURES,
            "sort_choices": sort_choices(report),
            "prepared": report_exports.extracted_on(), "query_string": request.query_string.decode("latin-1")}


def sort_choices(report: Report) -> list[tuple[str, str]]:
    """(value, label) of the sort orders the layout offers: by name, then each column largest or smallest
    first (at most a few hundred columns: a table wider than that is read in Excel)."""
    out = [("", _("by the rows' names"))]
    view = report.view
    if view is None:
        return out
    for code, label in list(zip(view.codes, view.labels))[:400]:
        out.append((f"desc:{code}", _("%(column)s, largest first", column=label.text)))
        out.append((f"asc:{code}", _("%(column)s, smallest first", column=label.text)))
    return out


@bp.get("/<portal_lang:lang_code>/reports/")
def reports() -> str:
    indicators = indicators_with_figures(db(), ArtefactStore(db()), visibility().providers, g.lang_code)
    return render_template("portal/reports.html", indicators=indicators)


@bp.get("/<portal_lang:lang_code>/reports/<agency>/<resource>/<version>")
def report(agency: str, resource: str, version: str) -> tuple[str, int]:
    prepared = prepare_flow(db(), ArtefactStore(db()), agency, resource, version, visibility().providers)
    if prepared is None:
        abort(404)
    flow = prepared.targets[0].dataflow
    if PICK in request.args:
        return _picked(agency, resource, version, flow, prepared)
    # what the report's part of the page is drawn from (report_content.html); never who asks
    key = (prepared.targets[0].urn, prepared.version, prepared.structures, g.lang_code, request.host_url,
           request.query_string, not actor().is_anonymous)
    pages = _report_pages()
    kept = pages.get(key)
    if kept is None:
        with collector_paused():
            rep = _report(agency, resource, version, flow, prepared)
            kept = (rep.indicator, render_template("portal/report_content.html", **_context(rep)),
                    400 if rep.selection.errors else 200)
        pages.put(key, kept)
    indicator, content, status = kept
    if not actor().is_anonymous and FORM_PLACE in content:  # the form holds this session's CSRF token
        content = content.replace(FORM_PLACE, save_form_html(agency, resource, version,
                                                             request.query_string.decode("latin-1")), 1)
    return render_template("portal/report.html", report=SimpleNamespace(indicator=indicator), content=Markup(content),
                           **report_documentation(prepared.targets[0].urn, report_countries(prepared))), status


def _picked(agency: str, resource: str, version: str, flow: Artefact, prepared: PreparedQuery) -> Response:
    """A "tick all" / "untick all" button: the same report with that list's ticks changed (report_choices),
    at its plain URL (303), so the address bar holds a shareable report and no button's name."""
    rep = _report(agency, resource, version, flow, prepared)
    wanted = parse_pick(request.args.get(PICK, ""))
    lists = [rep.form.country_list, *rep.form.breakdowns] if rep.form.country_list else rep.form.breakdowns
    found = next((b for b in lists if wanted and b.id == wanted[1]), None)
    args = request.args.to_dict(flat=False)
    if found is None:  # a button of another page or a changed URL: the report as asked, without it
        args.pop(PICK, None)
    else:
        args = picked_args(args, wanted[0], found.id, [c.code for c in found.choices], list(found.every),
                           found.region_of, wanted[2])
    url = url_for("portal.report", agency=agency, resource=resource, version=version)
    return redirect(url + ("?" + urlencode(args, doseq=True) if args else ""), 303)


@bp.get("/<portal_lang:lang_code>/reports/<agency>/<resource>/<version>/export.<fmt>")
def report_export(agency: str, resource: str, version: str, fmt: str) -> Response | tuple[str, int]:
    if fmt not in EXPORTS:
        abort(404)
    with collector_paused():
        return _export(agency, resource, version, fmt)


def _export(agency: str, resource: str, version: str, fmt: str) -> Response | tuple[str, int]:
    rep = _report(agency, resource, version)
    if rep.selection.errors or rep.table is None:  # the page says what is wrong, with the form to correct it
        return _page(rep), 400
    host = request.host_url.rstrip("/")
    if fmt == "pdf" and rep.table.observation_count > report_exports.PDF_MAX_FIGURES:
        rep.selection.errors["pdf"] = _(
            "This report has %(count)s figures: too many for a PDF (at most %(most)s). Choose fewer countries, "
            "breakdowns or periods, or save it as Excel or CSV.",
            count=format_figure(rep.table.observation_count, g.lang_code),
            most=format_figure(report_exports.PDF_MAX_FIGURES, g.lang_code))
        return _page(rep), 413
    name = f"{rep.indicator.id}-{g.lang_code}"
    notes = report_documentation(rep.indicator.urn, rep.selection.countries or [c.code for c in rep.form.countries])
    if fmt == "csv":
        return report_exports.download(report_exports.csv_bytes(rep, g.lang_code, host), "text/csv; charset=utf-8",
                                       name + ".csv")
    if fmt == "xlsx":
        return report_exports.download(report_exports.xlsx_bytes(rep, g.lang_code, host, notes), XLSX,
                                       name + ".xlsx")
    if fmt == "pdf":
        return report_exports.download(_pdf(rep, host, notes), "application/pdf", name + ".pdf")
    document = render_template("portal/report_document.html", **_context(rep), **notes)
    return report_exports.download(document.encode(), "text/html; charset=utf-8", name + ".html")


def _pdf(rep: Report, host: str, notes: dict) -> bytes:
    """The report as PDF (report_pdf), with the words it draws in the page's language and the Notes on the data
    (``notes``: report_documentation's answer)."""
    caption = _chart_caption(chart_series(rep.table)[2]) if rep.table and rep.table.rows else ""
    user = signed_in_user(g.lang_code)
    prepared_by = _("Data Sharing Mechanism") + " · " + _("Prepared on %(date)s", date=report_exports.extracted_on())
    if user:
        prepared_by += " · " + user.display_name
    texts = {"dsm": _("Data Sharing Mechanism"), "caption": caption, "notes": _("Notes"),
             "columns_part": _("columns, part {part} of {parts}"),
             "rest": _("The same figures for programs (SDMX REST API)"), "rest_url": host + rep.rest_v2}
    return pdf_bytes(rep, g.lang_code, about=report_exports.selection_lines(rep, host), prepared_by=prepared_by,
                     texts=texts, notes=notes)
