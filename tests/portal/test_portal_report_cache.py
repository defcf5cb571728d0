"""A report page drawn once is served again while what it shows holds, and never past a change of the figures
or of who may see them (issue 22, finding 11): SQLite and PostgreSQL, through the Flask test client."""

from __future__ import annotations

import pytest

from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.web_portal import report_chart

from .conftest import sign_in
from .test_portal_reports import FLOW, REPORT, figures, load, page, table_numbers  # noqa: F401 (figures: a fixture)


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """The titles of the charts actually drawn (matplotlib), in order."""
    titles: list[str] = []
    draw = report_chart.draw_svg

    def counting(periods, series, *, title, lang):
        titles.append(title)
        return draw(periods, series, title=title, lang=lang)

    monkeypatch.setattr(report_chart, "draw_svg", counting)
    report_chart._charts._kept.clear()
    return titles


def test_the_same_report_is_drawn_once(client, figures, drawn):
    with figures.begin() as conn:
        GrantStore(conn).set_public("KZ", FLOW, True, by="test")
    url = REPORT + "?country=KZ"
    first = page(client, url)
    again = page(client, url)
    assert len(drawn) == 1 and "<svg" in again and table_numbers(again) == table_numbers(first)
    page(client, "/ru/reports/DSM/DF_ENTRIES/1.0?country=KZ")  # another language: its own page and chart
    assert len(drawn) == 2
    sign_in(client, "kg_viewer")  # someone signed in: the same figures, the same chart, a page of their own
    html = page(client, url)
    assert len(drawn) == 2 and table_numbers(html) == table_numbers(first) and "kg_viewer" in html


def test_a_withdrawn_publicity_or_grant_applies_to_the_next_page(client, figures, drawn):
    with figures.begin() as conn:
        GrantStore(conn).set_public("KZ", FLOW, True, by="test")
        GrantStore(conn).grant("KZ", FLOW, "KG", by="test")
    url = REPORT + "?country=KZ"
    assert "1,000" in table_numbers(page(client, url))
    with figures.begin() as conn:
        GrantStore(conn).set_public("KZ", FLOW, False, by="test")
    assert "<table" not in page(client, url, 400)  # KZ is no longer a country the public may choose
    sign_in(client, "kg_viewer")
    assert "1,000" in table_numbers(page(client, url))
    with figures.begin() as conn:
        GrantStore(conn).withdraw("KZ", FLOW, "KG")
    assert "<table" not in page(client, url, 400)


def test_a_new_release_applies_to_the_next_page(client, figures, drawn):
    with figures.begin() as conn:
        GrantStore(conn).set_public("KZ", FLOW, True, by="test")
    url = REPORT + "?country=KZ&SEX=M&CITIZENSHIP=RU"
    before = table_numbers(page(client, url))
    load(figures, "KZ", ["RU,M,2023-Q1,7777,PS,A,"])
    after = table_numbers(page(client, url))
    assert "7,777" in after and "7,777" not in before and len(drawn) == 2
