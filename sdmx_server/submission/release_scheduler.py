"""Embargoed releases happen on time with nobody present: each server process checks every few seconds.

Several processes (gunicorn workers) may check at once; workflow.release_due lets exactly one of
them release each submission. Where no server runs, `sdmx-server release-due` from a timer does it.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from .workflow import IngestOptions, release_due

log = logging.getLogger(__name__)


def start(engine: Engine, options: IngestOptions, interval: float) -> threading.Event:
    """Start the daemon thread; setting the returned event stops it."""
    stop = threading.Event()

    def run() -> None:
        failures = 0
        while not stop.wait(min(interval * 2 ** min(failures, 8), max(interval, 300.0))):
            try:
                released = release_due(engine.connect, options)
                failures = 0
                if released:
                    log.info("released embargoed submissions %s", released)
            except Exception:  # a database hiccup must not end the checks; they back off while it lasts
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.exception("the check for embargoed releases failed (%d time(s) in a row)", failures)

    threading.Thread(target=run, name="embargoed-releases", daemon=True).start()
    return stop
