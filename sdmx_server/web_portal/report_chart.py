"""Charts drawn on the server as inline SVG (matplotlib), so the HTML page and the PDF show the same picture.

Nothing runs in the browser and nothing is fetched from elsewhere. Text is drawn with DejaVu Sans, which
has Cyrillic, and turned into paths, so the PDF needs no font for the chart and looks the same everywhere.
Used by the reports and by the submissions pages (a pending submission's chart): keep the signature.
"""

from __future__ import annotations

import io
import re
import threading
from functools import cache
from html import escape
from types import ModuleType

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

from .report_cache import KEPT_CHART_BYTES, Kept

MAX_SERIES = 8  # more lines than this cannot be told apart: the smallest are summed into "Other"
# Colour-blind-safe qualitative palette (Okabe-Ito), then grey for "Other"
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
OTHER_COLOUR = "#999999"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


@cache
def _matplotlib() -> tuple[ModuleType, ModuleType]:
    """matplotlib's figure and ticker modules, imported at the first chart: about 45 MB that a worker
    serving only the API never needs."""
    import matplotlib

    matplotlib.use("svg")  # no display, no GUI toolkit: the server only writes SVG
    matplotlib.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": 11, "svg.fonttype": "path", "svg.hashsalt": "dsm-report",
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#dddddd",
        "axes.axisbelow": True,
    })
    from matplotlib import figure, ticker
    return figure, ticker


_lock = threading.Lock()  # matplotlib's font cache and rcParams are shared: draw one chart at a time


def _other_label() -> str:
    return _("Other")


def reduce_series(series: list[tuple[str, list[float | None]]],
                  limit: int = MAX_SERIES) -> list[tuple[str, list[float | None]]]:
    """At most ``limit`` series: the largest (by total) kept in their order, the rest summed into "Other"."""
    if len(series) <= limit:
        return series
    totals = [sum(v for v in values if v is not None) for _name, values in series]
    keep = set(sorted(range(len(series)), key=lambda i: -totals[i])[:limit - 1])
    kept = [s for i, s in enumerate(series) if i in keep]
    rest = [s[1] for i, s in enumerate(series) if i not in keep]
    other = [None if all(r[k] is None for r in rest) else sum(r[k] or 0 for r in rest) for k in range(len(rest[0]))]
    return kept + [(_other_label(), other)]


def describe(periods: list[str], series: list[tuple[str, list[float | None]]]) -> str:
    """What the chart shows, in words, for people who cannot see it (the SVG's <desc>)."""
    if not periods or not series:
        return _("No figures to draw.")
    if len(periods) == 1:
        return _("Bars: one per series for %(period)s (%(names)s).", period=periods[0],
                 names=", ".join(name for name, _v in series))
    return _("Lines: one per series from %(first)s to %(last)s (%(names)s).", first=periods[0], last=periods[-1],
             names=", ".join(name for name, _v in series))


# Charts already drawn, by everything they are drawn from: the same figures give the same picture. The key is
# the figures themselves, never who asked: a caller gets a chart only of figures it read in its own request.
_charts: Kept[str] = Kept(KEPT_CHART_BYTES, len)


def chart_svg(periods: list[str], series: list[tuple[str, list[float | None]]], *, title: str, lang: str) -> str:
    """Inline SVG of the figures: lines over several periods, bars for one; at most MAX_SERIES series.

    ``series`` holds (name, one value or None per period). The markup carries role="img", a <title> and a
    <desc> saying what is drawn; it scales to its container (viewBox, no fixed size).
    """
    # the texts drawn besides the figures ("Other", the description) are in the request's language
    key = (tuple(periods), tuple((name, tuple(values)) for name, values in series), title, lang, str(get_locale()))
    svg = _charts.get(key)
    if svg is None:
        svg = draw_svg(periods, series, title=title, lang=lang)
        _charts.put(key, svg)
    return svg


def draw_svg(periods: list[str], series: list[tuple[str, list[float | None]]], *, title: str, lang: str) -> str:
    """:func:`chart_svg`, drawn afresh."""
    series = reduce_series(series)
    desc = describe(periods, series)
    figure, _ticker = _matplotlib()
    fig = figure.Figure(figsize=(7, 4.2), dpi=72)
    plot(fig.add_subplot(), periods, series, title=title, lang=lang, desc=desc)
    # fixed margins (room for the legend below): tight_layout would measure every text, a third of the time
    if len(periods) == 1:
        fig.subplots_adjust(left=0.3, right=0.97, top=0.9, bottom=0.14)
    else:
        rows = -(-len(series) // _legend_columns(series))
        fig.subplots_adjust(left=0.13, right=0.97, top=0.9, bottom=0.12 + 0.055 * rows)
    buf = io.StringIO()
    with _lock:
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _accessible(buf.getvalue(), title, desc)


def plot(ax, periods: list[str], series: list[tuple[str, list[float | None]]], *, title: str, lang: str,
         desc: str) -> None:
    """Draw the (already reduced) series on ``ax``: the SVG chart's axes, or a PDF page's."""
    _figure, ticker = _matplotlib()
    number = ticker.FuncFormatter(lambda x, _pos: format_decimal(x, locale=lang))
    ax.yaxis.set_major_formatter(number)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=6, integer=True))
    colours = [OTHER_COLOUR if name == _other_label() and i == len(series) - 1 else COLOURS[i % len(COLOURS)]
               for i, (name, _v) in enumerate(series)]
    if len(periods) == 1:
        names = [name for name, _v in series]
        values = [v[0] or 0 for _n, v in series]
        ax.barh(range(len(series)), values, color=colours)
        ax.set_yticks(range(len(series)), [_short(n, 28) for n in names])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(number)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(periods[0])
    elif periods and series:
        x = list(range(len(periods)))
        for i, (name, values) in enumerate(series):
            ax.plot(x, [float("nan") if v is None else v for v in values], label=_short(name, 40), color=colours[i],
                    marker=MARKERS[i % len(MARKERS)], markersize=4, linewidth=2)
        step = max(1, -(-len(periods) // 6))  # at most six labels: period codes are wide
        ax.set_xticks(x[::step], periods[::step])
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=_legend_columns(series), frameon=False,
                  fontsize=9)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, desc, ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title if len(title) <= 70 else title[:69] + "…", loc="left", fontsize=11)


def _legend_columns(series: list[tuple[str, list[float | None]]]) -> int:
    """Three columns of short names fit the figure's width; long names get two, or one."""
    longest = max((len(name) for name, _v in series), default=0)
    return min(len(series), 3 if longest <= 22 else 2 if longest <= 34 else 1) or 1


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _accessible(svg: str, title: str, desc: str) -> str:
    """Inline markup: no XML prologue or DOCTYPE, scalable, announced as one image with its title and desc."""
    svg = svg[svg.index("<svg"):]
    match = _SVG_OPEN.search(svg)
    assert match is not None
    head = match.group(0)
    view_box = re.search(r'viewBox="([^"]+)"', head)
    new_head = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                f'class="chart" role="img" aria-labelledby="chart-title" aria-describedby="chart-desc" '
                f'stroke-linejoin="round" stroke-linecap="butt" '
                f'viewBox="{view_box.group(1) if view_box else "0 0 576 331"}" preserveAspectRatio="xMidYMid meet">'
                f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>')
    svg = new_head + svg[match.end():]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # The portal's Content-Security-Policy refuses inline styles: matplotlib's <style> (its rules are on the
    # root element above) and style="..." become SVG presentation attributes, which every renderer honours.
    svg = re.sub(r'<style type="text/css">.*?</style>', "", svg, flags=re.S)
    return _STYLE_ATTR.sub(_presentation, svg)


_STYLE_ATTR = re.compile(r'style="([^"]*)"')


def _presentation(m: re.Match) -> str:
    pairs = (part.split(":", 1) for part in m.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)
