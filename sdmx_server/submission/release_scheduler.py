"""Embargoed releases happen on time with nobody present: each server process checks every few seconds.

Several processes (gunicorn workers) may check at once; workflow.release_due lets exactly one of
them release each submission. Where no server runs, `sdmx-server release-due` from a timer does it.
Each round then calls the ``also`` callables (the app passes the scheduled links of interlink/schedule.py,
which claim their runs the same exactly-once way); a failing one is logged and never stops the releases.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

from sqlalchemy import Engine

from .workflow import IngestOptions, release_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseChecks:
    """The running checks; `stop` waits for a check under way, so nothing touches the database after it."""

    stopping: threading.Event
    thread: threading.Thread

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)


def start(engine: Engine, options: IngestOptions, interval: float,
          also: Sequence[Callable[[], None]] = ()) -> ReleaseChecks:
    """Start the daemon thread that checks every `interval` seconds."""
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
            for extra in also:
                if stop.is_set():
                    break
                try:
                    extra()
                except Exception:  # a scheduled link failing must not stop the releases
                    log.exception("a periodic task of the release checks failed")

    thread = threading.Thread(target=run, name="embargoed-releases", daemon=True)
    thread.start()
    return ReleaseChecks(stop, thread)
