"""A report as PDF, written with matplotlib's PDF backend (already loaded for the charts): a first page with
the title, what the report holds and the chart, then the table in pages (A4 landscape), its header and label
columns repeated on every page, columns continued on further pages when the table is wider than a page,
then the notes and the SDMX URL.

Why not the HTML document through WeasyPrint: WeasyPrint lays out each table cell as a box, ~7 ms a cell on a
busy server (a 5,000-figure table took 35-70 s); here a column of a page is one text, so a PDF of 5,000
figures takes about as long as the Excel file of the same selection (bench/bench_report.py). DejaVu Sans
(Cyrillic) is embedded as a TrueType subset, so the text can be searched and copied.
"""

from __future__ import annotations

import io
from itertools import islice

from .report_chart import _lock, _matplotlib, describe, plot, reduce_series
from .report_data import Report, chart_series, format_figure

PAGE = (11.69, 8.27)  # A4 landscape, inches
ROWS_PER_PAGE = 42
LABEL_WIDTH = 0.14  # of the page's width, per label column (at most three shown as columns)
FIGURE_WIDTH = 0.062
LEFT, RIGHT, TOP = 0.035, 0.975, 0.93
FONT = 6.8
LINE = 1.75  # line spacing of the table's texts


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def pdf_bytes(report: Report, lang: str, *, about: list[str], prepared_by: str, texts: dict[str, str]) -> bytes:
    """The PDF of ``report`` (its view: the layout the reader chose). ``about``: the lines saying what it holds
    (selection, layout, source, date); ``texts``: the few words drawn (translated by the caller)."""
    figure, _ticker = _matplotlib()
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    table, view = report.table, report.view
    assert table is not None and view is not None
    title = report.indicator.name.text
    buf = io.BytesIO()
    with _lock, rc_context({"pdf.fonttype": 42, "pdf.compression": 6}):
        with PdfPages(buf, metadata={"Title": title, "Creator": texts["dsm"], "Producer": texts["dsm"],
                                     "CreationDate": None, "ModDate": None}) as pdf:
            pdf.savefig(_first_page(figure.Figure(figsize=PAGE), report, lang, about, prepared_by, texts))
            for page in _table_pages(figure, report, lang, texts):
                pdf.savefig(page)
            pdf.savefig(_last_page(figure.Figure(figsize=PAGE), report, texts))
    return buf.getvalue()


def _first_page(fig, report: Report, lang: str, about: list[str], prepared_by: str, texts: dict[str, str]):
    table = report.table
    assert table is not None
    fig.text(LEFT, 0.95, _fit(report.indicator.name.text, 110), fontsize=15, weight="bold", va="top")
    lines = [prepared_by] + about + [f"{name.text}: {value.text}" for name, value in table.facts]
    fig.text(LEFT, 0.89, "\n".join(_fit(line, 190) for line in lines), fontsize=8, va="top", linespacing=1.6,
             color="#333333")
    axis, series, _totals = chart_series(table)
    series = reduce_series(series)
    ax = fig.add_axes((0.09, 0.2, 0.82, 0.89 - 0.05 - 0.045 * len(lines) - 0.2))
    plot(ax, axis, series, title=report.indicator.name.text, lang=lang, desc=describe(axis, series))
    fig.text(LEFT, 0.03, texts["caption"], fontsize=7.5, color="#444444")
    return fig


def _table_pages(figure, report: Report, lang: str, texts: dict[str, str]):
    view = report.view
    assert view is not None
    labels_shown = view.headings[:3]
    left = LEFT + LABEL_WIDTH * len(labels_shown)
    per_page = max(1, int((RIGHT - left) // FIGURE_WIDTH))
    chars = int(LABEL_WIDTH * 160)
    columns = list(range(len(view.codes)))
    column_pages = [columns[k:k + per_page] for k in range(0, len(columns), per_page)] or [[]]
    figures = [[_figure_text(c.value, c.raw, c.marks, lang) for c in row.cells] for row in view.rows]
    row_texts = [[_fit(label.text, chars) for label in row.labels[:3]] for row in view.rows]
    total = len(column_pages) * -(-len(view.rows) // ROWS_PER_PAGE)
    n = 0
    for part, cols in enumerate(column_pages):
        rows = iter(range(len(view.rows)))
        while True:
            chunk = list(islice(rows, ROWS_PER_PAGE))
            if not chunk:
                break
            n += 1
            fig = figure.Figure(figsize=PAGE)
            head = report.indicator.name.text
            if len(column_pages) > 1:
                head += " · " + texts["columns_part"].format(part=part + 1, parts=len(column_pages))
            fig.text(LEFT, 0.965, _fit(head, 150), fontsize=9, weight="bold", va="top")
            fig.text(RIGHT, 0.965, f"{n} / {total}", fontsize=7, va="top", ha="right", color="#555555")
            x = LEFT
            for k, heading in enumerate(labels_shown):
                fig.text(x, TOP, _fit(heading.text, chars), fontsize=FONT, weight="bold", va="bottom")
                fig.text(x, TOP - 0.008, "\n".join(row_texts[r][k] if k < len(row_texts[r]) else "" for r in chunk),
                         fontsize=FONT, va="top", linespacing=LINE)
                x += LABEL_WIDTH
            for j, c in enumerate(cols):
                right = left + FIGURE_WIDTH * (j + 1) - 0.004
                fig.text(right, TOP, _fit(view.labels[c].text, 12), fontsize=FONT, weight="bold", va="bottom",
                         ha="right")
                fig.text(right, TOP - 0.008, "\n".join(figures[r][c] for r in chunk), fontsize=FONT, va="top",
                         ha="right", multialignment="right", linespacing=LINE, family="DejaVu Sans")
            fig.add_artist(_rule(fig, TOP - 0.004))
            yield fig


def _rule(fig, y: float):
    from matplotlib.lines import Line2D
    return Line2D([LEFT, RIGHT], [y, y], transform=fig.transFigure, color="#999999", linewidth=0.6)


def _figure_text(value: float | None, raw: str | None, marks: tuple[str, ...], lang: str) -> str:
    if raw is None:
        return "–"
    text = format_figure(value, lang) if value is not None else raw
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    return f"{text} {','.join(marks)}" if marks else text


def _last_page(fig, report: Report, texts: dict[str, str]):
    from .report_exports import legend

    table = report.table
    assert table is not None
    lines = [texts["notes"]] + [_fit(line, 190) for line in legend(table)[:60]]
    lines += ["", texts["rest"], report_url_lines(texts["rest_url"])]
    fig.text(LEFT, 0.95, "\n".join(lines), fontsize=8, va="top", linespacing=1.6)
    return fig


def report_url_lines(url: str, width: int = 170) -> str:
    """A long URL broken over lines (a PDF line does not wrap by itself)."""
    return "\n".join(url[k:k + width] for k in range(0, len(url), width))

