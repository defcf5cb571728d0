"""Large submissions checked and stored in the background, outside the request and its worker timeout.

The request spools the body (within the body and inflation limits), records a ``running`` job and answers
202 with where to poll; a thread of the same process then runs ``workflow.submit`` exactly as the request
would have, in one transaction that also marks the job ``done`` with the receipt: the data and the job's
end commit together or not at all. A refusal rolls the submission back and marks the job ``failed`` with
the error the request would have answered. The job's state is in the database, so any process answers a
poll; a job whose process died (crash, worker killed) is found so by the next poll and ends ``failed``:
its transaction never committed, so nothing was stored.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, BinaryIO

from sqlalchemy import Engine

from ..identity.actor import Actor
from ..sdmx.artefacts import urn_of
from ..sdmx.errors import InvalidData, NotFound, SdmxError
from ..storage.database import begin_write
from ..storage.job_store import JobRow, JobStore
from . import workflow
from .intake import DataflowContext

log = logging.getLogger(__name__)
GZIP_FACTOR = 10  # a gzip body counts this many times its length against async_submission_bytes
DIED = "the server process checking this submission stopped before it finished (restarted or crashed); " \
       "nothing was stored: send the message again"


def wanted(prefer: str | None, content_length: int | None, chunked: bool, inflating: bool, threshold: int) -> bool:
    """Whether to take a submission in the background: asked for (``Prefer: respond-async``, RFC 7240), of
    unknown length (``chunked``), or larger than ``threshold`` (setting async_submission_bytes)."""
    if prefer and "respond-async" in prefer.lower():
        return True
    if content_length is None:
        return chunked
    return content_length * (GZIP_FACTOR if inflating else 1) > threshold


def start(engine: Engine, body: BinaryIO, ctx: DataflowContext, who: Actor, *, provider: str | None,
          replace: bool, content_type: str | None, options: workflow.IngestOptions, release_now: bool) -> int:
    """Record a running job and start it on a thread of this process; ``body`` (a spooled file) is closed
    by the job."""
    with engine.connect() as conn, begin_write(conn):
        job_id = JobStore(conn).create(urn_of(ctx.dataflow), who.username or "")
    args = (engine, job_id, body, ctx, who, dict(provider=provider, replace=replace, content_type=content_type,
                                                 options=options, release_now=release_now))
    # not a daemon: a worker stopping gracefully lets its jobs finish (or be killed, which a poll then tells)
    threading.Thread(target=_run, args=args, name=f"submission-job-{job_id}").start()
    return job_id


def _run(engine: Engine, job_id: int, body: BinaryIO, ctx: DataflowContext, who: Actor,
         submit_args: dict[str, Any]) -> None:
    try:
        with engine.connect() as conn:
            with begin_write(conn):
                JobStore(conn).attach_session(job_id)
            try:
                with begin_write(conn):
                    receipt = workflow.submit(conn, body, ctx, who, **submit_args)
                    if not JobStore(conn).finish(job_id, "done", 200 if submit_args["release_now"] else 202,
                                                 receipt.as_json()):
                        raise RuntimeError(f"job {job_id} was declared dead while it ran")  # rolls back
            except SdmxError as e:
                with begin_write(conn):
                    JobStore(conn).finish(job_id, "failed", e.status, _error_result(e))
            except Exception:
                log.exception("submission job %s failed", job_id)
                with begin_write(conn):
                    JobStore(conn).finish(job_id, "failed", 500, {"message": "the submission failed on an "
                                                                  "internal error; nothing was stored"})
    finally:
        body.close()


def _error_result(e: SdmxError) -> dict:
    result = {"message": e.message, "line": e.line, "column": e.column}
    if isinstance(e, InvalidData):
        result.update(details=e.details, count=e.count)
    return result


class JobFailed(SdmxError):
    """The error a finished job ended with, raised again to answer its poll as the request would have."""

    def __init__(self, status: int, result: dict):
        super().__init__(result.get("message", ""), line=result.get("line"), column=result.get("column"))
        self.status = status


def failure(row: JobRow) -> SdmxError:
    result = row.result or {}
    if "details" in result:
        return InvalidData(result["message"], result["details"], result["count"])
    return JobFailed(row.status or 500, result)


def poll(conn, who: Actor, job_id: int) -> JobRow:
    """The job, for the user who submitted it (or whoever may see all data); a running job whose process
    died is ended as failed here."""
    store = JobStore(conn)
    row = store.get(job_id)
    if row is None or who.is_anonymous or not (row.created_by == who.username or who.can("view_all_data")):
        raise NotFound(f"submission job {job_id} does not exist or is not yours to see")
    if row.state == "running" and not store.owner_alive(row):
        if conn.in_transaction():
            conn.rollback()
        with begin_write(conn):
            store.finish(job_id, "failed", 503, {"message": DIED})
        row = store.get(job_id)
    return row  # type: ignore[return-value]
