"""Background submission jobs (table ``submission_job``): their state, who runs them, and their outcome.

Every process reads the same rows, so a job started by one worker is polled from any other; whether the
process running it is still alive is told from the row alone (``owner_alive``).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, text, update

from .artefact_store import as_utc, utcnow
from .tables import submission_job


@dataclass(frozen=True)
class JobRow:
    id: int
    state: str  # running, done, failed
    dataflow_urn: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    owner: str
    backend_pid: int | None
    status: int | None
    result: dict | None


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), to tell it from a later process given its id."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def this_process() -> str:
    """The ``owner`` of jobs this process runs: host, process id, start time."""
    return f"{socket.gethostname()} {os.getpid()} {_start_time(os.getpid()) or '?'}"


def ended_on_this_host(owner: str) -> bool:
    """Whether the process an ``owner`` (``this_process``) names ran on this host and has ended since."""
    host, _, rest = owner.partition(" ")
    pid, _, started = rest.partition(" ")
    return host == socket.gethostname() and pid.isdigit() and _start_time(int(pid)) != started


class JobStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def create(self, dataflow_urn: str, created_by: str) -> int:
        return self.conn.execute(insert(submission_job).values(
            state="running", dataflow_urn=dataflow_urn, created_by=created_by, created_at=utcnow(),
            owner=this_process())).inserted_primary_key[0]

    def get(self, job_id: int) -> JobRow | None:
        row = self.conn.execute(select(submission_job).where(submission_job.c.id == job_id)).mappings().first()
        if row is None:
            return None
        return JobRow(row["id"], row["state"], row["dataflow_urn"], row["created_by"], as_utc(row["created_at"]),
                      as_utc(row["finished_at"]) if row["finished_at"] else None, row["owner"], row["backend_pid"],
                      row["status"], json.loads(row["result"]) if row["result"] else None)

    def attach_session(self, job_id: int) -> None:
        """Record the database session running the job (PostgreSQL): its end tells any node the job died."""
        if self.conn.dialect.name == "postgresql":
            pid = self.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            self.conn.execute(update(submission_job).where(submission_job.c.id == job_id).values(backend_pid=pid))

    def finish(self, job_id: int, state: str, status: int, result: dict) -> bool:
        """End a running job; False when it had ended already (declared dead meanwhile)."""
        return self.conn.execute(
            update(submission_job).where(submission_job.c.id == job_id, submission_job.c.state == "running")
            .values(state=state, status=status, result=json.dumps(result), finished_at=utcnow())).rowcount == 1

    def owner_alive(self, row: JobRow) -> bool:
        """Whether the process running ``row`` still lives: on this host, by its process id and start time;
        on another, by its PostgreSQL session (without one recorded yet, it is taken to live)."""
        host, _, rest = row.owner.partition(" ")
        pid, _, started = rest.partition(" ")
        if host == socket.gethostname() and pid.isdigit():
            return _start_time(int(pid)) == started
        if row.backend_pid is not None and self.conn.dialect.name == "postgresql":
            return self.conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": row.backend_pid}).first() is not None
        return True
