"""Harvest a national SDMX REST service into this server: what changed since the stored cursor, submitted as a
submission of the link's provider through the usual workflow (pending, unless ``release``).

One harvest:
1. asks ``updatedAfter=<cursor>`` (everything, the first time), with the ETag of the last empty answer to the
   same question, so a quiet service answers 304 and nothing else happens;
2. if anything changed, asks again pinned with ``asOf=T`` (T: the service's own clock, from its Date header,
   less ``settle_seconds``), page by page where the service pages (v2 ``offset``/``limit``), so every page is read
   at the one moment T whatever is released meanwhile;
3. in one transaction submits each page (intake validates it like any message) and moves the cursor to T.
A failure anywhere (the service, the network, a malformed page, a refused message) leaves the database and the
cursor as they were, and the next harvest asks the same question again: nothing is lost, nothing is taken twice.
``updatedAfter`` answers carry deletions as ``Delete`` data sets, which intake applies as deletions.

``settle_seconds``: a release commits after its figures' transaction time; a harvest at that very moment would
miss it forever. Pinning T a few seconds back (more than the longest release takes) closes that window.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from ..identity.actor import Actor
from ..sdmx.errors import InvalidData, SdmxError
from ..sdmx.formats.data_events import Observation, ObservationRows
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.database import begin_write
from ..storage.harvest_cursor_store import HarvestCursorStore
from ..submission.intake import DataflowContext, dataflow_context, reader_for
from ..submission.workflow import PENDING_PRIVILEGES, IngestOptions, submit
from .bounded_http import HttpLimits, RemoteError
from .sdmx_rest_client import FlowRef, Page, Service, check_dataflow, get_data

log = logging.getLogger(__name__)
MAX_PAGES = 10_000
MAX_SOURCE_CHARS = 100


class HarvestError(Exception):
    """A harvest that stored nothing; the message says why and where (the service, the page, the rule)."""


@dataclass
class HarvestResult:
    source: str
    outcome: str  # not-modified | nothing-new | submitted
    cursor_before: datetime | None
    cursor_after: datetime | None
    pages: int = 0
    observations: int = 0  # read off the pages, deletions included
    bytes: int = 0
    submissions: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"source": self.source, "outcome": self.outcome, "pages": self.pages,
                "observations": self.observations, "bytes": self.bytes, "submissions": self.submissions,
                "cursorBefore": self.cursor_before.isoformat() if self.cursor_before else None,
                "cursorAfter": self.cursor_after.isoformat() if self.cursor_after else None}


def harvester(source: str, *, release: bool = False) -> Actor:
    """Who a harvest submits as: named after its source, holding the workflow steps it takes (all of them only
    when it releases on submission)."""
    privileges = {"submit_data"} | (set(PENDING_PRIVILEGES) | {"administer_system"} if release else set())
    return Actor(0, f"harvest:{source}", None, frozenset(privileges), {})


def harvest_into(engine: Engine, source: str, base_url: str, flow: str, provider: str, *, api: str = "v1",
                 page_size: int | None = None, key: str | None = None, token: str | None = None,
                 settle_seconds: float = 0.0,
                 options: IngestOptions = IngestOptions(), release: bool = False,
                 limits: HttpLimits = HttpLimits()) -> HarvestResult:
    """Harvest dataflow ``flow`` of the service at ``base_url`` under the cursor named ``source``; see the module."""
    if not source or len(source) > MAX_SOURCE_CHARS or not source.replace("-", "").replace("_", "").isalnum():
        raise HarvestError(f"source name {source!r}: 1 to {MAX_SOURCE_CHARS} letters, digits, - and _")
    try:
        ref = FlowRef.parse(flow)
        service = Service(base_url, api, page_size, key, token, limits)
    except (ValueError, RemoteError) as e:
        raise HarvestError(str(e)) from None
    with engine.connect() as conn:
        try:
            ctx = dataflow_context(ArtefactStore(conn), ref.agency, ref.id,
                                   "~" if ref.version in ("latest", "~") else ref.version)
        except SdmxError as e:
            raise HarvestError(f"this server: {e}") from None
        found = HarvestCursorStore(conn).get(source)
        conn.rollback()
    if found is not None and (found.base_url != base_url or found.dataflow != str(ref)):
        raise HarvestError(f"source {source} harvests {found.dataflow} from {found.base_url}; a cursor belongs to one "
                           "service and dataflow: name another source")
    cursor = found.cursor if found else None
    result = HarvestResult(source, "nothing-new", cursor, cursor)
    pages: list[Page] = []
    try:
        if cursor is None:
            check_dataflow(service, ref)
        probe_url = service.data_url(ref, updated_after=cursor, offset=0)
        probe = get_data(service, probe_url, etag=found.etag if found and found.etag_url == probe_url else None)
        result.bytes += probe.size
        if probe.not_modified:
            result.outcome = "not-modified"
            return result
        changes = 0 if probe.empty else _scan(probe, ctx, options)
        probe.close()
        upto = (probe.date or utcnow()) - timedelta(seconds=settle_seconds)
        if changes == 0 or (cursor is not None and upto <= cursor):
            _save(engine, source, base_url, ref, cursor, probe.etag if changes == 0 else None, probe_url)
            return result
        offset = 0
        while len(pages) < MAX_PAGES:
            page = get_data(service, service.data_url(ref, updated_after=cursor, as_of=upto, offset=offset))
            if page.empty:
                break
            pages.append(page)
            result.bytes += page.size
            n = _scan(page, ctx, options)
            result.observations += n
            if not page_size or n < page_size:
                break
            offset += n
        else:
            raise HarvestError(f"{base_url}: more than {MAX_PAGES} pages; harvest with larger pages")
        result.pages = len(pages)
        with engine.connect() as conn:
            conn.rollback()
            with begin_write(conn):
                who = harvester(source, release=release)
                for page in pages:
                    assert page.body is not None
                    page.body.seek(0)
                    receipt = submit(conn, page.body, ctx, who, provider=provider, replace=False,
                                     content_type=page.content_type, options=options, release_now=release)
                    result.submissions.append(receipt.submission_id)
                HarvestCursorStore(conn).save(source, base_url=base_url, dataflow=str(ref), cursor=upto)
        result.outcome = "submitted" if result.submissions else "nothing-new"  # all of it later than T: next time
        result.cursor_after = upto
        return result
    except RemoteError as e:
        raise HarvestError(str(e)) from None
    except InvalidData as e:
        details = "; ".join(str(getattr(d, "message", d)) for d in e.details[:5])
        raise HarvestError(f"the harvested data were refused: {e}" + (f" ({details})" if details else "")) from None
    except SdmxError as e:
        raise HarvestError(f"the harvested data were refused: {e}") from None
    finally:
        for page in pages:
            page.close()


def _scan(page: Page, ctx: DataflowContext, options: IngestOptions) -> int:
    """Observations of one page (deletions included), reading it through once: a page that does not parse is
    refused here, naming the URL, before anything is submitted."""
    assert page.body is not None
    page.body.seek(0)
    stream = io.BufferedReader(_Unclosing(page.body), 1 << 16)
    n = 0
    try:
        name, reader = reader_for(stream, page.content_type)
        if not name.startswith("sdmx_ml"):
            raise RemoteError(f"{page.url} answered a {name} message where SDMX-ML was asked for: refused")
        for event in reader.read_data(stream, ctx.structure, max_token=options.limits.max_token):
            if type(event) is Observation:
                n += 1
            elif type(event) is ObservationRows:
                n += len(event.rows)
    except SdmxError as e:
        raise RemoteError(f"{page.url} answered a malformed SDMX message: {e}") from None
    page.body.seek(0)
    return n


class _Unclosing(io.RawIOBase):
    """Lets a reader wrap the page's file without closing it."""

    def __init__(self, f):
        self.f = f

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.f.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _save(engine: Engine, source: str, base_url: str, ref: FlowRef, cursor: datetime | None, etag: str | None,
          etag_url: str) -> None:
    with engine.connect() as conn:
        conn.rollback()
        with begin_write(conn):
            HarvestCursorStore(conn).save(source, base_url=base_url, dataflow=str(ref), cursor=cursor, etag=etag,
                                          etag_url=etag_url)
