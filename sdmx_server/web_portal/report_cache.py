"""What report pages drew already, kept in each worker process: a report asked again (another reader, a
reload, the language switch back) is not drawn again. Drawing the chart and writing the page are most of a
report's time; reading what the figures' version is costs one statement.

Everything kept is keyed by what it was drawn from, never by who asked: the figures (a chart), or the
version of the data the caller may see with the query, language and structures (a page, report_pages).
A caller whose access changed asks with another version, so meets only what it may see.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

KEPT_REPORT_BYTES = 16 * 1024 * 1024  # report pages each process keeps; one page at most 1/16 of it
KEPT_CHART_BYTES = 4 * 1024 * 1024  # charts each process keeps (tens of KB each)

V = TypeVar("V")


class Kept(Generic[V]):
    """The most recently used values up to ``max_bytes`` (as ``size`` counts them); larger than a sixteenth
    of that: not kept. Safe for a worker's threads."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]):
        self.max_bytes, self.max_entry, self._size_of = max_bytes, max_bytes // 16, size
        self._kept: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self._size_of(value)
        if size > self.max_entry:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            self._size += size - (old[1] if old else 0)
            self._kept[key] = (value, size)
            while self._size > self.max_bytes:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._size -= dropped


class ReportPages(Kept[tuple]):
    """(indicator, the report's part of the page, status) by report_pages.report's key."""

    def __init__(self, max_bytes: int = KEPT_REPORT_BYTES):
        super().__init__(max_bytes, lambda kept: len(kept[1]) * 2)
