#!/usr/bin/env python3
"""Report benchmark (issue 6, performance: reports): a portal report page against the SDMX-CSV query it equals.

    .venv/bin/python bench/bench_report.py [--countries 5] [--periods 20] [--citizenships 0] [--repeat 7]

Generates the stock of foreigners (DF_STOCK_FOREIGNERS, half-yearly) of 5 countries × every citizenship
of CL_AREA (--citizenships 0; or the first N codes) × 2 sexes × 20 periods, loads it through the
submission workflow (released, then made public) into a fresh temporary SQLite database, then times
through the Flask test client, anonymously (public figures):

1. the report page /en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=..&start=..&end=.. : table of every
   series and period, the server-drawn chart, notes; the CSV and Excel exports of the same report, and
   a PDF of one country's women over 10 periods (a PDF holds at most 5,000 figures);
2. the SDMX REST v2 query the page shows as its machine equivalent, as SDMX-CSV
   (/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/*?c[REF_AREA]=..&c[TIME_PERIOD]=..&format=csvdata).

Each is run once to warm up, then ``--repeat`` times interleaved; the best and the median are printed,
with the ratio page / API of the medians against the goal (at most 3×). Also printed: how long the chart
alone takes. A bench, not a test: numbers on a shared 2-core machine are noisy; the load average is shown.

Issue 19 adds: the same page turned around (citizenships down, periods across is the default; the pivot
puts the periods down and sex across, sorted by a column: ``pivot``, a tall table; citizenships across and
periods down: ``wide``), with their frozen label columns, and
its ratio to the same SDMX-CSV query (goal ≤ 3×); and a PDF of 5,000 figures against the Excel export of
the same selection (goal ≤ 2×).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOW = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
COUNTRIES = ("KZ", "KG", "MD", "AM", "TJ", "UZ", "AZ", "GE", "BY", "TM")
GOAL = 3.0
PDF_GOAL = 2.0
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def build(db_path: Path, countries: int, periods: list[str], citizenships: int):
    """A fresh database with the seed structures and the generated figures, public; the Flask app on it."""
    from sdmx_server.identity.actor import Actor
    from sdmx_server.app import create_app
    from sdmx_server.seeding import load_structures, read_files, seed_files
    from sdmx_server.settings import load_config
    from sdmx_server.storage.artefact_store import ArtefactStore
    from sdmx_server.storage.database import make_engine, upgrade_schema
    from sdmx_server.storage.grant_store import GrantStore
    from sdmx_server.submission.intake import dataflow_context
    from sdmx_server.submission.workflow import FourEyes, IngestOptions, submit

    config = load_config(overrides={"database_url": f"sqlite:///{db_path}", "secret_key": "bench",
                                    "release_check_seconds": 0, "max_body_bytes": 1 << 30})
    engine = make_engine(config.resolved_database_url)
    upgrade_schema(engine)
    load_structures(engine, list(read_files(seed_files(config))))
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        area = store.by_urns(["urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_AREA(1.0)"])[0]
        codes = [c["id"] for c in area["codes"]]
        codes = codes[:citizenships] if citizenships else codes
        ctx = dataflow_context(store, "DSM", "DF_STOCK_FOREIGNERS", "1.0")
        chosen = COUNTRIES[:countries]
        n = 0
        for c_i, country in enumerate(chosen):
            rows = [HEAD]
            for i, cit in enumerate(codes):
                for sex in ("F", "M"):
                    for p_i, period in enumerate(periods):
                        status = "P" if p_i == len(periods) - 1 else "A"
                        rows.append(f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{country},{cit},{sex},{period},"
                                    f"{(c_i + 1) * 1000 + i * 7 + p_i * 3 + (sex == 'F')},PS,{status}")
                        n += 1
            who = Actor(0, "bench", country, frozenset({"submit_data", "verify_data", "release_data"}))
            submit(conn, io.BytesIO("\n".join(rows).encode()), ctx, who, provider=country, replace=False,
                   content_type="text/csv", options=IngestOptions(provisional=False), release_now=True,
                   four_eyes=FourEyes(frozenset({country})))  # a one-office setup
            GrantStore(conn).set_public(country, FLOW, True, by="bench")
    engine.dispose()
    return create_app(config=config), chosen, len(codes), n


def timed(client, url: str) -> tuple[float, int]:
    t = time.perf_counter()
    resp = client.get(url)
    body = resp.get_data()
    elapsed = time.perf_counter() - t
    assert resp.status_code == 200, (url, resp.status_code, body[:500])
    return elapsed, len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--countries", type=int, default=5)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--citizenships", type=int, default=0, help="0: every code of CL_AREA")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    periods = [f"{2026 - args.periods // 2 + i // 2}-S{i % 2 + 1}" for i in range(args.periods)]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        app, countries, n_cit, n_obs = build(Path(tmp) / "bench.sqlite", args.countries, periods, args.citizenships)
        print(f"loaded {n_obs} observations ({len(countries)} countries × {n_cit} citizenships × 2 sexes × "
              f"{len(periods)} periods) in {time.perf_counter() - t:.1f} s")
        client = app.test_client()
        query = "&".join(f"country={c}" for c in countries) + f"&start={periods[0]}&end={periods[-1]}"
        page_url = f"/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?{query}"
        html = client.get(page_url).get_data(as_text=True)
        api_url = unescape(re.search(r'<a href="http://localhost(/rest/v2/data/[^"]+)"', html).group(1))
        rows = html.count("<tr>") - 1
        print(f"report page: {page_url}\n  {rows} table rows; its REST equivalent: {api_url}")
        api_rows = client.get(api_url).get_data(as_text=True).count("\n") - 1
        assert api_rows == n_obs, (api_rows, n_obs)
        pivot_url = page_url + f"&cols=SEX&rows=TIME_PERIOD&sort=desc:F"
        pivot_html = client.get(pivot_url).get_data(as_text=True)
        assert 'class="f0"' in pivot_html and "columns: Sex" in pivot_html, "the pivot did not apply"
        wide_url = page_url + "&cols=CITIZENSHIP&rows=TIME_PERIOD&sort=desc:_T"
        times: dict[str, list[float]] = {"page": [], "pivot": [], "wide": [], "api": []}
        sizes = {}
        for _ in range(args.repeat):
            for name, url in (("page", page_url), ("pivot", pivot_url), ("wide", wide_url), ("api", api_url)):
                elapsed, sizes[name] = timed(client, url)
                times[name].append(elapsed)
        from sdmx_server.web_portal.report_chart import draw_svg
        series = [(c, [float(i) for i in range(len(periods))]) for c in countries]
        with app.test_request_context("/en/"):
            t = time.perf_counter()
            for _ in range(5):
                draw_svg(periods, series, title="Stock of foreigners", lang="en")
            chart = (time.perf_counter() - t) / 5
        exports = {}
        for fmt in ("csv", "xlsx"):
            exports[fmt] = timed(client, page_url.replace("/1.0?", f"/1.0/export.{fmt}?"))
        # a PDF holds at most report_exports.PDF_MAX_FIGURES figures: as many periods of one country's women
        # as make up to 5,000 figures, against the Excel export of the same selection
        n_per = max(1, min(len(periods), 5000 // n_cit))
        small = f"country={countries[0]}&SEX=F&start={periods[-n_per]}&end={periods[-1]}"
        pdf_t, xlsx_t = [], []
        for _ in range(max(1, args.repeat // 3)):
            pdf_t.append(timed(client, f"/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0/export.pdf?{small}"))
            xlsx_t.append(timed(client, f"/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0/export.xlsx?{small}"))
        best_pdf, best_xlsx = min(pdf_t), min(xlsx_t)
        exports["pdf"] = (best_pdf[0], best_pdf[1], f"({small}: {n_cit * n_per} figures)")
        exports["xlsx-pdf-sel"] = (best_xlsx[0], best_xlsx[1], "(the PDF's selection)")
        print(f"\n{load()}")
        for name in ("page", "pivot", "wide", "api"):
            ts = times[name]
            print(f"{name:5} best {min(ts) * 1000:7.1f} ms  median {statistics.median(ts) * 1000:7.1f} ms  "
                  f"({sizes[name] / 1e6:.2f} MB)")
        print(f"chart alone {chart * 1000:.1f} ms")
        for fmt, (elapsed, size, *what) in exports.items():
            print(f"export.{fmt:4} {elapsed * 1000:7.1f} ms ({size / 1e6:.2f} MB) {' '.join(what)}")
        print()
        for name in ("page", "pivot", "wide"):
            ratio = statistics.median(times[name]) / statistics.median(times["api"])
            best_ratio = min(times[name]) / min(times["api"])
            mark = "✓" if ratio <= GOAL else "✗"
            print(f"ratio {name} / SDMX-CSV: median {ratio:.2f}×, best {best_ratio:.2f}× (goal ≤ {GOAL:.0f}×) {mark}")
        pdf_ratio = best_pdf[0] / best_xlsx[0]
        print(f"ratio PDF / Excel of {n_cit * n_per} figures: {pdf_ratio:.2f}× (best of each; goal ≤ {PDF_GOAL:.0f}×) "
              f"{'✓' if pdf_ratio <= PDF_GOAL else '✗'}")


if __name__ == "__main__":
    main()
