#!/usr/bin/env python3
"""Data documentation benchmark (issue 17, point 6): what the documentation adds to the portal's pages.

    .venv/bin/python bench/bench_documentation.py [--repeat 20]

Runs `sdmx-server init` (the README demo: KZ, KG and MD documented on the stock of foreigners) into a fresh
temporary SQLite database, signs in as kz_viewer (sees KZ and KG by grant, MD as public) through the Flask test
client and times: the indicator page (three country panels), the comparison page, the report page (its
documentation panel drawn per request beside the kept report) and the report's Excel and PDF exports (with
their "Notes on the data"); and, for scale, the plain documentation read (metadata/queries.of_dataflow plus
the labelled answers) alone. Best and median of ``--repeat`` runs after one warm-up. A bench, not a test:
numbers on a shared 2-core machine are noisy; the load average is shown.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{tmp}/bench.sqlite"
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=url, SDMX_SERVER_SECRET_KEY="bench", PYTHONPATH=str(ROOT))
    env.pop("SDMX_SERVER_CONFIG", None)
    subprocess.run([sys.executable, "-m", "sdmx_server.cli", "init"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update(SDMX_SERVER_DATABASE_URL=url, SDMX_SERVER_SECRET_KEY="bench")
    from sdmx_server.app import create_app

    app = create_app()
    client = app.test_client()
    form = client.get("/en/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    client.post("/en/sign-in", data={"csrf_token": token, "username": "kz_viewer", "password": "demo-password",
                                     "next": ""})
    pages = {
        "indicator page": "/en/indicators/DSM/DF_STOCK_FOREIGNERS/1.0",
        "comparison (ru)": "/ru/indicators/DSM/DF_STOCK_FOREIGNERS/1.0/documentation",
        "report page": "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0",
        "report Excel": "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0/export.xlsx",
        "report PDF (ru)": "/ru/reports/DSM/DF_STOCK_FOREIGNERS/1.0/export.pdf?SEX=F",
    }
    print(f"load average {os.getloadavg()[0]:.2f}; {args.repeat} runs each (PDF: a quarter)")
    for name, path in pages.items():
        n = max(3, args.repeat // 4) if "PDF" in name else args.repeat
        times = []
        for i in range(n + 1):
            t = time.perf_counter()
            resp = client.get(path)
            elapsed = time.perf_counter() - t
            assert resp.status_code == 200, (path, resp.status_code)
            if i:
                times.append(elapsed)
        print(f"{name:18} best {min(times) * 1000:7.1f} ms  median {statistics.median(times) * 1000:7.1f} ms")

    from sdmx_server.web_portal.documentation import country_documentation
    from sdmx_server.access.visibility import EVERYTHING
    from sdmx_server.storage.artefact_store import ArtefactStore

    flow = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
    engine = app.extensions["sdmx_engine"]
    times = []
    for _ in range(args.repeat):
        with engine.connect() as conn:
            t = time.perf_counter()
            docs = country_documentation(conn, ArtefactStore(conn), EVERYTHING.providers, flow, "ru")
            times.append(time.perf_counter() - t)
    print(f"{'documentation read':18} best {min(times) * 1000:7.1f} ms  median {statistics.median(times) * 1000:7.1f} ms"
          f"  ({len(docs)} countries, {sum(len(d.answers) for d in docs)} answers)")


if __name__ == "__main__":
    main()
