"""A second thread that runs a message's set-based statements while the reader goes on with the message.

Reading and validating hold the GIL; the database does not need it: sqlite3 lets go of it while SQLite
steps a statement, psycopg while it waits for PostgreSQL. So ``INSERT … SELECT`` of the rows staged so
far (and, on PostgreSQL, their COPY) can run beside the reader on the two cores, instead of after it. The connection is never used by
both threads at once: the reader calls :meth:`ApplyAhead.wait` before it touches the connection again,
and buffers what it reads while the statements run.

Each time the statements' thread comes back from the database it must take the GIL from the reader,
which gives it up only every ``sys.getswitchinterval()`` (5 ms): dozens of times per batch of statements.
While some ingest applies ahead, the process switches every 0.5 ms instead (measured on 1M observations:
the reader then waits 0.8 s for the database instead of 1.8 s).
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

SWITCH_INTERVAL = 0.0005
_switching = threading.Lock()
_users = 0  # ApplyAhead threads running in this process
_usual_interval = sys.getswitchinterval()


def _share_the_gil_more(more: bool) -> None:
    """Lower the switch interval while any ApplyAhead thread runs; restore it when the last one ends."""
    global _users, _usual_interval
    with _switching:
        if more:
            if _users == 0:
                _usual_interval = sys.getswitchinterval()
                sys.setswitchinterval(min(_usual_interval, SWITCH_INTERVAL))
            _users += 1
        else:
            _users -= 1
            if _users == 0:
                sys.setswitchinterval(_usual_interval)


class ApplyAhead:
    """One statement sequence at a time on a thread of its own; its error is raised by the next ``wait``."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.done()

    def submit(self, *work: Callable[[], None]) -> None:
        """Run ``work`` in order on the thread, once the work before it is done."""
        self.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="apply-ahead")
            _share_the_gil_more(True)
        self._running = self._executor.submit(_in_order, work)

    def wait(self) -> None:
        """Until the connection is free again; the work's exception, if it raised one."""
        running, self._running = self._running, None
        if running is not None:
            running.result()

    def close(self, failing: bool) -> None:
        """Wait for the work (the caller must not roll back under it) and end the thread. ``failing``: the
        caller is raising an error of its own, which then wins over the work's."""
        try:
            self.wait()
        except Exception:
            if not failing:
                raise
        finally:
            if self._executor is not None:
                self._executor.shutdown()
                self._executor = None
                _share_the_gil_more(False)


def _in_order(work: tuple[Callable[[], None], ...]) -> None:
    for step in work:
        step()
