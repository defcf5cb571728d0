"""Links with an interval run on their own: each server process checks every release_check_seconds, on a thread
of its own (sdmx_server/periodic.py) so a long run never delays an embargoed release.

Each check calls ``run_due``: it reads the links whose ``next_run_at`` has come and claims each with one conditional UPDATE
(LinkStore.claim); the process whose UPDATE moved ``next_run_at`` on runs the link, the others see zero rows
changed and skip it. So however many processes check at once, a due run happens exactly once, and a run that
takes longer than the check interval is not started again meanwhile. `sdmx-server link run-due` does the same
from a timer where no server runs.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from ..periodic import Periodic, every
from ..storage.artefact_store import utcnow
from ..storage.database import begin_write
from ..storage.link_store import LinkStore
from ..submission.workflow import IngestOptions
from .link_run import Outcome, run
from .sources import SourceLimits

log = logging.getLogger(__name__)


def claim_due(engine: Engine, now: datetime | None = None) -> list[str]:
    """The names of the due links this caller won (each claimed in its own short transaction)."""
    won = []
    now = now or utcnow()
    with engine.connect() as conn:
        due = LinkStore(conn).due(now)
        conn.rollback()
        for link in due:
            with begin_write(conn):
                if LinkStore(conn).claim(link, now):
                    won.append(link.name)
    return won


def run_due(engine: Engine, options: IngestOptions, limits: SourceLimits,
            now: datetime | None = None) -> list[Outcome]:
    """Claim and run every due link (of every kind: an SDMX REST link harvests)."""
    outcomes = []
    for name in claim_due(engine, now):
        outcome = run(engine, name, options=options, limits=limits, trigger="schedule")
        log.info("link %s ran on schedule: %s, %d rows, %d figures, submission %s", name, outcome.state,
                 outcome.rows_read, outcome.figures, outcome.submission_id)
        outcomes.append(outcome)
    return outcomes


def start(engine: Engine, options: IngestOptions, limits: SourceLimits, interval: float) -> Periodic:
    """Start the daemon thread that runs the due links every `interval` seconds."""
    return every(interval, lambda: run_due(engine, options, limits), "scheduled-links", "the run of scheduled links")
