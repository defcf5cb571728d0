"""A report as PDF, written with ReportLab's canvas: a first page with the title, what the report holds and the
chart, then the table in pages (A4 landscape), its header and label columns repeated on every page, columns
continued on further pages when the table is wider than a page, then the notes (marks), the SDMX URL and the
"Notes on the data" (the data documentation of the report's countries, as in the HTML export).

Why ReportLab: each text is one PDF text operation (about 25 µs) and the DejaVu fonts are parsed once per
process, so a PDF of 5,000 figures costs about what the Excel file of the same selection costs
(bench/bench_report.py). WeasyPrint laid out each table cell as a box (~7 ms a cell); matplotlib's PDF
backend ~2 ms a text line. DejaVu Sans (Cyrillic; the copy matplotlib ships) is embedded as a TrueType
subset, so every text can be searched and copied. The chart is matplotlib's, drawn as a picture (150 dpi).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from .documentation_exports import answer_text
from .report_chart import _lock, _matplotlib, describe, plot, reduce_series
from .report_data import Report, chart_series, format_figure

REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
WIDTH, HEIGHT = 841.89, 595.28  # A4 landscape, points
MARGIN = 28.0
SIZE = 7.0  # the table's text
LINE = 10.5  # the table's line height
LABELS_SHARE = 0.42  # at most this part of the width for the label columns
GAP = 6.0  # between columns
MIN_FIGURE_WIDTH, MAX_FIGURE_WIDTH = 24.0, 90.0  # points, a figure column
CHART_DPI = 150
GREY, DARK, BAND = (0.27, 0.27, 0.27), (0.07, 0.07, 0.07), (0.95, 0.96, 0.975)

_fonts_lock = threading.Lock()
_fonts_ready = False


def _register_fonts() -> None:
    """DejaVu Sans regular and bold, from matplotlib's data (it ships them for its charts): parsed once."""
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
        _fonts_ready = True


def pdf_bytes(report: Report, lang: str, *, about: list[str], prepared_by: str, texts: dict[str, str],
              notes: dict | None = None) -> bytes:
    """The PDF of ``report`` (its view: the layout the reader chose). ``about``: the lines saying what it holds
    (selection, layout, source, date); ``texts``: the few words drawn (translated by the caller); ``notes``:
    documentation_pages.report_documentation's answer (the "Notes on the data"), None for none."""
    _register_fonts()
    from reportlab.pdfgen.canvas import Canvas

    assert report.table is not None and report.view is not None
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(WIDTH, HEIGHT), invariant=1, initialFontName=REGULAR, initialFontSize=SIZE,
                    pageCompression=1, lang=lang)
    canvas.setTitle(report.indicator.name.text)
    canvas.setAuthor(texts["dsm"])
    canvas.setCreator(texts["dsm"])
    canvas.setSubject(texts["dsm"])
    canvas.setProducer(texts["dsm"])
    pages = _Pages(canvas, report.indicator.name.text)
    _first_page(pages, report, lang, about, prepared_by, texts)
    _table_pages(pages, report, lang, texts)
    _last_pages(pages, report, lang, texts, notes or {})
    canvas.save()
    return buf.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with "…") to ``width`` points: a table cell does not wrap."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines of at most ``width`` points, at spaces, or anywhere in a long word (a URL)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while stringWidth(word, font, size) > width:  # a word wider than the line: cut it
                cut = max(1, len(_fit(word, font, size, width)) - 1)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


@dataclass
class _Pages:
    """The canvas and where the next line goes on the page: text pages (notes) break where the page ends."""

    canvas: object
    title: str
    y: float = HEIGHT - MARGIN
    number: int = 0  # of the page being drawn

    def new_page(self) -> None:
        if self.number:
            self.canvas.showPage()
        self.number += 1
        self.y = HEIGHT - MARGIN

    def room(self, height: float) -> None:
        """A new page when ``height`` more points do not fit on this one."""
        if self.y - height < MARGIN:
            self.new_page()

    def lines(self, lines: list[str], *, font: str = REGULAR, size: float = 8.0, x: float = MARGIN,
              colour: tuple[float, float, float] = DARK, leading: float | None = None) -> None:
        leading = leading or size * 1.45
        c = self.canvas
        for line in lines:
            self.room(leading)
            c.setFont(font, size)
            c.setFillColorRGB(*colour)
            c.drawString(x, self.y - size, line)
            self.y -= leading

    def paragraph(self, text: str, **kw) -> None:
        size = kw.get("size", 8.0)
        width = WIDTH - MARGIN - kw.get("x", MARGIN)
        self.lines(_wrap(text, kw.get("font", REGULAR), size, width), **kw)


def _first_page(pages: _Pages, report: Report, lang: str, about: list[str], prepared_by: str,
                texts: dict[str, str]) -> None:
    table = report.table
    assert table is not None
    pages.new_page()
    pages.paragraph(report.indicator.name.text, font=BOLD, size=15)
    pages.y -= 4
    facts = [f"{name.text}: {value.text}" for name, value in table.facts]
    for line in [prepared_by, *about, *facts]:
        pages.paragraph(line, size=8, colour=GREY, leading=11.5)
    caption_y = MARGIN + 4
    top, bottom = pages.y - 8, caption_y + 14
    if top - bottom > 120:
        image = _chart_image(report, lang, WIDTH - 2 * MARGIN, top - bottom)
        from reportlab.lib.utils import ImageReader
        pages.canvas.drawImage(ImageReader(image), MARGIN, bottom, WIDTH - 2 * MARGIN, top - bottom)
    c = pages.canvas
    c.setFont(REGULAR, 7.5)
    c.setFillColorRGB(*GREY)
    c.drawString(MARGIN, caption_y, _fit(texts["caption"], REGULAR, 7.5, WIDTH - 2 * MARGIN))


def _chart_image(report: Report, lang: str, width: float, height: float):
    """The chart (report_chart.plot, as on the page) as a picture of ``width`` × ``height`` points."""
    figure, _ticker = _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    table = report.table
    assert table is not None
    axis, series, _totals = chart_series(table)
    series = reduce_series(series)
    fig = figure.Figure(figsize=(width / 72, height / 72), dpi=CHART_DPI)
    agg = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    plot(ax, axis, series, title=report.indicator.name.text, lang=lang, desc=describe(axis, series))
    rows = -(-len(series) // 3) if len(axis) > 1 else 0
    fig.subplots_adjust(left=0.08 if len(axis) > 1 else 0.22, right=0.98, top=0.92,
                        bottom=min(0.45, 0.1 + 0.06 * rows))
    with _lock:
        agg.draw()
        rgba = agg.buffer_rgba()
        return Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).convert("RGB")


def _figure_text(value: float | None, raw: str | None, marks: tuple[str, ...], lang: str) -> str:
    if raw is None:
        return "–"
    text = format_figure(value, lang) if value is not None else raw
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    return f"{text} {','.join(marks)}" if marks else text


def _table_pages(pages: _Pages, report: Report, lang: str, texts: dict[str, str]) -> None:
    """The table: pages of rows, and when it is wider than a page, the further columns on further pages, each
    with the label columns and the header again."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    view = report.view
    assert view is not None
    c = pages.canvas
    figures = [[_figure_text(cell.value, cell.raw, cell.marks, lang) for cell in row.cells] for row in view.rows]
    widths = [stringWidth(h.text, BOLD, SIZE) for h in view.labels]
    for row in figures:
        for k, text in enumerate(row):
            w = stringWidth(text, REGULAR, SIZE)
            if w > widths[k]:
                widths[k] = w
    widths = [max(min(w, MAX_FIGURE_WIDTH), MIN_FIGURE_WIDTH) for w in widths]
    for row in figures:  # a figure stored as a long text (rare) is cut to its column
        for k, text in enumerate(row):
            if len(text) > 12 and stringWidth(text, REGULAR, SIZE) > widths[k]:
                row[k] = _fit(text, REGULAR, SIZE, widths[k])
    n_labels = len(view.headings)
    label_widths = [stringWidth(h.text, BOLD, SIZE) for h in view.headings]
    for row in view.rows:
        for k, label in enumerate(row.labels[:n_labels]):
            label_widths[k] = max(label_widths[k], stringWidth(label.text, REGULAR, SIZE))
    budget = (WIDTH - 2 * MARGIN) * LABELS_SHARE - GAP * n_labels
    if sum(label_widths) > budget:  # narrow the widest first: short labels keep their room
        fair = budget / max(n_labels, 1)
        small = [w for w in label_widths if w <= fair]
        share = (budget - sum(small)) / max(n_labels - len(small), 1)
        label_widths = [w if w <= fair else share for w in label_widths]
    labels = [[_fit(label.text, REGULAR, SIZE, label_widths[k]) for k, label in enumerate(row.labels[:n_labels])]
              for row in view.rows]
    headings = [_fit(h.text, BOLD, SIZE, label_widths[k]) for k, h in enumerate(view.headings)]
    left = MARGIN + sum(label_widths) + GAP * n_labels
    column_pages: list[list[int]] = [[]]
    x = left
    for k, w in enumerate(widths):  # as many columns as fit, then the next page
        if column_pages[-1] and x + w > WIDTH - MARGIN:
            column_pages.append([])
            x = left
        column_pages[-1].append(k)
        x += w + GAP
    top = HEIGHT - MARGIN - 30
    per_page = max(1, int((top - MARGIN - 4) // LINE))
    row_pages = [range(k, min(k + per_page, len(view.rows))) for k in range(0, len(view.rows), per_page)] or [range(0)]
    total = len(column_pages) * len(row_pages)
    n = 0
    for part, cols in enumerate(column_pages):
        head = report.indicator.name.text
        if len(column_pages) > 1:
            head += " · " + texts["columns_part"].format(part=part + 1, parts=len(column_pages))
        head = _fit(head, BOLD, 9, WIDTH - 2 * MARGIN - 60)
        rights = []
        x = left
        for k in cols:
            x += widths[k]
            rights.append(x)
            x += GAP
        col_heads = [_fit(view.labels[k].text, BOLD, SIZE, widths[k]) for k in cols]
        for chunk in row_pages:
            n += 1
            pages.new_page()
            c.setFillColorRGB(*DARK)
            c.setFont(BOLD, 9)
            c.drawString(MARGIN, HEIGHT - MARGIN - 9, head)
            c.setFont(REGULAR, 7)
            c.setFillColorRGB(*GREY)
            c.drawRightString(WIDTH - MARGIN, HEIGHT - MARGIN - 9, f"{n} / {total}")
            right_edge = rights[-1] if rights else left
            for i, _r in enumerate(chunk):  # a light band every other row guides the eye along it
                if i % 2:
                    c.setFillColorRGB(*BAND)
                    c.rect(MARGIN - 2, top - 4 - LINE * (i + 1) + 2.5, right_edge - MARGIN + 4, LINE, stroke=0, fill=1)
            c.setFillColorRGB(*DARK)
            c.setFont(BOLD, SIZE)
            x = MARGIN
            for k, h in enumerate(headings):
                c.drawString(x, top, h)
                x += label_widths[k] + GAP
            for right, h in zip(rights, col_heads):
                c.drawRightString(right, top, h)
            c.setStrokeColorRGB(0.6, 0.6, 0.6)
            c.setLineWidth(0.6)
            c.line(MARGIN - 2, top - 3, right_edge + 2, top - 3)
            c.setFont(REGULAR, SIZE)
            y = top - 4
            for r in chunk:
                y -= LINE
                x = MARGIN
                for k, text in enumerate(labels[r]):
                    c.drawString(x, y, text)
                    x += label_widths[k] + GAP
                row = figures[r]
                for right, k in zip(rights, cols):
                    c.drawRightString(right, y, row[k])


def _last_pages(pages: _Pages, report: Report, lang: str, texts: dict[str, str], notes: dict) -> None:
    """The marks' meanings, the SDMX URL, then the Notes on the data."""
    from .report_exports import legend

    table = report.table
    assert table is not None
    pages.new_page()
    meanings = legend(table)
    if meanings:
        pages.paragraph(texts["notes"], font=BOLD, size=11)
        for line in meanings:
            pages.paragraph(line, size=8)
        pages.y -= 8
    pages.paragraph(texts["rest"], font=BOLD, size=9)
    pages.paragraph(texts["rest_url"], size=7.5, colour=GREY)
    _documentation(pages, notes, lang)


def _documentation(pages: _Pages, notes: dict, lang: str) -> None:
    """The "Notes on the data": each country's answers unfolded, as portal/documentation_notes.html shows them
    (an answer that differs from the regional definition in bold with the mark; a text in another language
    marked in words)."""
    documentation, undocumented = notes.get("documentation") or [], notes.get("undocumented") or []
    if not documentation and not undocumented:
        return
    pages.y -= 14
    pages.room(60)
    pages.paragraph(_("Notes on the data"), font=BOLD, size=12)
    pages.paragraph(_("The data documentation of each country in this report. Answers marked “≠ differs from the "
                      "regional definition” are not made as the countries agreed: keep them in mind before "
                      "comparing figures."), size=8, colour=GREY)
    question_width = 215.0
    answer_x = MARGIN + question_width + 14
    answer_width = WIDTH - MARGIN - answer_x
    size, leading = 8.0, 11.0
    for d in documentation:
        pages.y -= 6
        pages.room(40)
        pages.paragraph(d.country.text, font=BOLD, size=10)
        for a in d.answers:
            font = BOLD if a.differs else REGULAR
            text = answer_text(a, lang)
            if a.differs:
                text += " " + _("≠ differs from the regional definition")
            question = _wrap(a.question.name.text, BOLD, size, question_width)
            answer = _wrap(text, font, size, answer_width)
            pages.room(leading * min(max(len(question), len(answer)), 20))
            y, page = pages.y, pages.number
            pages.lines(question, font=BOLD, size=size, colour=DARK, leading=leading)
            below_question = pages.y
            pages.y = y
            pages.lines(answer, font=font, size=size, x=answer_x, leading=leading)
            if pages.number == page:
                pages.y = min(pages.y, below_question)
        pages.y -= 2
        pages.paragraph(_("Version %(version)s, released on %(date)s.", version=d.version,
                          date=d.released_on or "–"), size=7.5, colour=GREY)
    if undocumented:
        pages.y -= 6
        pages.paragraph(_("Not documented yet: %(countries)s.", countries=", ".join(c.text for c in undocumented)),
                        size=8, colour=GREY)


