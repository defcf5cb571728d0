"""Work each server process repeats in the background (embargoed releases, scheduled links, webhooks).

One thread per kind of work, so a long link run never delays a release due meanwhile. A failing round (a
database hiccup) never ends the thread: it backs off, doubling the wait up to five minutes, and logs the first
failure and every tenth. ``stop`` waits for a round under way, so nothing touches the database after it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A running background thread."""

    stopping: threading.Event
    thread: threading.Thread

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)


@dataclass(frozen=True)
class Group:
    """Background threads stopped as one: all are told first, then each is waited for."""

    parts: Sequence[Periodic]

    def stop(self, timeout: float = 30.0) -> None:
        for part in self.parts:
            part.stopping.set()
        for part in self.parts:
            part.stop(timeout)


def every(interval: float, work: Callable[[], object], name: str, what: str) -> Periodic:
    """Start a daemon thread calling ``work`` every ``interval`` seconds; ``what`` names it in the log."""
    stop = threading.Event()

    def run() -> None:
        failures = 0
        while not stop.wait(min(interval * 2 ** min(failures, 8), max(interval, 300.0))):
            try:
                work()
                failures = 0
            except Exception:  # a database hiccup must not end the thread; it backs off while it lasts
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.exception("%s failed (%d time(s) in a row)", what, failures)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return Periodic(stop, thread)
