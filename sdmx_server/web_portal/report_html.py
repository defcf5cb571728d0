"""The report table's body as HTML, written in Python: a table of 50,000 figures through Jinja macros takes
a second; these f-strings take a tenth of that (bench/bench_report.py). Labels are escaped; figures are
formatted per locale (report_data.format_figure)."""

from __future__ import annotations

from markupsafe import Markup, escape

from .report_data import format_figure, number_symbols
from .report_pivot import ReportView
from .texts import LocalText

FROZEN = 3  # label columns kept in view while the table scrolls sideways (portal.css: .f0 .f1 .f2)


def _label(t: LocalText, lang: str) -> str:
    """Like the _macros.html ``local`` macro: a fallback text carries its own language."""
    text = escape(t.text)
    return f'<span lang="{escape(t.lang)}">{text}</span>' if t.lang and t.lang != lang else str(text)


def table_body(table: ReportView, lang: str, no_figure: str) -> Markup:
    """The <tr> rows: a row header per label column (the first ones frozen: class f0, f1...), then one cell per
    column with the figure and its marks."""
    empty = f'<td class="num"><span aria-label="{escape(no_figure)}">–</span></td>'
    # by the label object's id: a LocalText's own hash and equality are Python calls, and a tall table asks
    # three of them a row; the labels are shared objects that live as long as ``table``
    labels: dict[tuple[int, int], str] = {}
    group = number_symbols(lang)[0]
    out = []
    for row in table.rows:
        parts = ["<tr>"]
        for n, lab in enumerate(row.labels):
            html = labels.get((n, id(lab)))
            if html is None:
                frozen = f' class="f{n}"' if n < FROZEN else ""
                html = labels[(n, id(lab))] = f'<th scope="row"{frozen}>{_label(lab, lang)}</th>'
            parts.append(html)
        for value, raw, marks in row.cells:
            if raw is None and not marks:
                parts.append(empty)
                continue
            if value is not None and value.is_integer():  # the common case, inline: 50,000 calls cost
                figure = f"{int(value):,}"
                if group != ",":
                    figure = figure.replace(",", group)
            else:
                figure = format_figure(value, lang) if value is not None else escape(raw or "")
            sup = f'<sup class="mark">{",".join(marks)}</sup>' if marks else ""
            parts.append(f'<td class="num">{figure}{sup}</td>')
        parts.append("</tr>\n")
        out.append("".join(parts))
    return Markup("".join(out))
