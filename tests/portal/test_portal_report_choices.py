"""Long code lists in the report form (issue 19, item 9), through the Flask test client on a real database
(both engines): citizenships grouped by UN M49 region (CL_AREA_REGION), the find box that narrows the list
and keeps the chosen codes, "tick all / untick all" for the list and for a region (a redirect to the plain
report URL), names sorted in the page's language."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.web_portal.report_choices import name_key

from .conftest import sign_in
from .test_portal_reports import REPORT, load, page

CITIZENSHIPS = ["KG", "TJ", "UZ", "TM", "CN", "JP", "MN", "AF", "IN", "PK", "TR", "AZ", "AM", "GE", "RU", "BY",
                "UA", "MD", "DE", "FR", "US", "CA", "AX", "STLS", "_U"]


def _load(engine) -> None:
    load(engine, "KZ", [f"{cit},F,2023-Q1,{100 + n},PS,A," for n, cit in enumerate(CITIZENSHIPS)])


def _citizenship_block(html: str) -> str:
    return html.split('name="filter_CITIZENSHIP"', 1)[1].split("</details>\n  </fieldset>", 1)[0] \
        if 'name="filter_CITIZENSHIP"' in html else html


def _regions(html: str) -> list[str]:
    return [unescape(re.sub(r"<.*?>", "", m).strip()) for m in
            re.findall(r'<details class="region"[^>]*>\s*<summary>(.*?)<span', html, re.S)]


def test_the_area_codelist_names_its_grouping_by_region(engine, world):
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        area = store.get("urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_AREA(1.0)")
        grouping = store.get("urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_AREA_REGION(1.0)")
    assert [a["title"] for a in area["annotations"] if a["type"] == "CODELIST_REGIONS"] == [
        "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_AREA_REGION(1.0)"]
    parent = {c["id"]: c.get("parent") for c in grouping["codes"]}
    assert parent["KZ"] == parent["KG"] == "M49_143" and parent["RU"] == "M49_151" and parent["AX"] == "M49_154"
    countries = {c["id"] for c in area["codes"]} - {"AQ", "STLS", "_U", "_T"}
    assert countries <= set(parent)  # every country but Antarctica is in a region


def test_citizenships_grouped_by_region_in_both_languages(client, engine, world):
    _load(engine)
    sign_in(client, "kz_viewer")
    html = page(client, REPORT)
    regions = _regions(html)
    assert regions[:3] == ["Central Asia", "Eastern Asia", "Eastern Europe"] and regions[-1] == "Other codes"
    assert regions == sorted(regions[:-1], key=name_key) + ["Other codes"]
    central = html.split("Central Asia", 1)[1].split("</details>", 1)[0]
    assert re.findall(r'name="CITIZENSHIP" value="(\w+)"', central) == ["KG", "TJ", "TM", "UZ"]  # by name
    assert 'name="pick" value="all:CITIZENSHIP:M49_143"' in central
    other = html.split("Other codes", 1)[1].split("</details>", 1)[0]
    assert re.findall(r'name="CITIZENSHIP" value="(\w+)"', other) == ["STLS", "_U"]
    # Åland Islands among the A (accents ignored), not after Z
    northern = html.split("Northern Europe", 1)[1].split("</details>", 1)[0]
    assert "Åland Islands" in northern
    ru = page(client, REPORT.replace("/en/", "/ru/"))
    regions = _regions(ru)
    assert "Центральная Азия" in regions and regions[-1] == "Другие коды"
    assert regions[:-1] == sorted(regions[:-1], key=name_key)
    central = ru.split("Центральная Азия", 1)[1].split("</details>", 1)[0]
    names = [unescape(n).strip() for n in re.findall(r'value="\w+"> (.*?)</label>', central)]
    assert names == ["Кыргызстан", "Таджикистан", "Туркменистан", "Узбекистан"]


def test_the_find_box_narrows_the_list_and_keeps_what_is_chosen(client, engine, world):
    _load(engine)
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?CITIZENSHIP=RU&CITIZENSHIP=KG&filter_CITIZENSHIP=stan")
    shown = re.findall(r'type="checkbox" name="CITIZENSHIP" value="(\w+)"', html)
    assert sorted(shown) == ["AF", "KG", "PK", "TJ", "TM", "UZ"]
    # Russia is chosen but not shown: kept as a hidden input, so showing the report keeps it
    assert '<input type="hidden" name="CITIZENSHIP" value="RU">' in html
    assert "6 of 25 shown for “stan”." in unescape(html) and "1 chosen code is not shown" in html
    assert 'value="KG" checked' in html
    # the table holds the chosen ones, whatever the find box shows
    assert "Russia" in html.split("<tbody>", 1)[1] and "Kyrgyzstan" in html.split("<tbody>", 1)[1]
    nothing = page(client, REPORT + "?filter_CITIZENSHIP=zzzz")
    assert "Nothing in the list holds “zzzz”." in unescape(nothing)
    ru = page(client, REPORT.replace("/en/", "/ru/") + "?filter_CITIZENSHIP=УЗБ")
    assert re.findall(r'type="checkbox" name="CITIZENSHIP" value="(\w+)"', ru) == ["UZ"]


def _picked(client, query: str) -> dict[str, list[str]]:
    resp = client.get(REPORT + "?" + query)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    where = urlsplit(resp.headers["Location"])
    assert where.path == REPORT and "pick" not in where.query
    return parse_qs(where.query)


def test_tick_and_untick_all_for_the_list_the_found_and_a_region(client, engine, world):
    _load(engine)
    sign_in(client, "kz_viewer")
    # a region: its codes added to what was chosen
    got = _picked(client, "CITIZENSHIP=RU&start=2023-Q1&pick=all:CITIZENSHIP:M49_143")
    assert got["CITIZENSHIP"] == ["RU", "KG", "TJ", "TM", "UZ"] and got["start"] == ["2023-Q1"]
    got = _picked(client, "CITIZENSHIP=RU&CITIZENSHIP=KG&CITIZENSHIP=UZ&pick=none:CITIZENSHIP:M49_143")
    assert got["CITIZENSHIP"] == ["RU"]
    # what the find box shows
    got = _picked(client, "filter_CITIZENSHIP=stan&CITIZENSHIP=RU&pick=all:CITIZENSHIP")
    assert sorted(got["CITIZENSHIP"]) == ["AF", "KG", "PK", "RU", "TJ", "TM", "UZ"]
    assert got["filter_CITIZENSHIP"] == ["stan"]
    got = _picked(client, "filter_CITIZENSHIP=stan&CITIZENSHIP=RU&CITIZENSHIP=UZ&pick=none:CITIZENSHIP")
    assert got["CITIZENSHIP"] == ["RU"]
    # the whole list
    got = _picked(client, "pick=all:CITIZENSHIP")
    assert sorted(got["CITIZENSHIP"]) == sorted(CITIZENSHIPS)
    assert "CITIZENSHIP" not in _picked(client, "CITIZENSHIP=RU&CITIZENSHIP=UZ&pick=none:CITIZENSHIP")
    # a button naming no list of the page: the report as asked
    assert _picked(client, "CITIZENSHIP=RU&pick=all:NOPE") == {"CITIZENSHIP": ["RU"]}
    html = page(client, REPORT + "?" + "&".join(f"CITIZENSHIP={c}" for c in ["KG", "TJ"]))
    central = html.split("Central Asia", 1)[1].split("</details>", 1)[0]
    assert "2 of 4 chosen" in central
