"""Running a link: national rows -> StructureMap translation -> SDMX-CSV -> the submission workflow.

The translated figures are one SDMX-CSV 2.0 message, made a block of rows at a time as ``workflow.submit``
reads it (``Translated``): memory holds one block whatever the row count, and translating overlaps the
database's work. The workflow takes it as the link's provider would send it: the same checks, and pending
(or, where the link is set to auto-release, pending -> validated -> released at once). The submission and the
run's record commit in one transaction; any failure rolls the submission back and records the run as failed
with its reasons, so nothing is ever half stored. Problems are reported with the national source row (the
query's n-th row, the file's line) and, for a code no map translates, the code and the RepresentationMap.
The maps are applied by sdmx/structure_maps.py. An SDMX REST link is not translated: its run is a harvest
(interlink/harvest.py) under the link's own cursor, recorded like the others.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, TextIO

from sqlalchemy import Engine

from ..identity.actor import Actor
from ..sdmx.artefacts import parse_urn
from ..sdmx.errors import InvalidData, SdmxError
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.database import begin_write
from ..storage.job_store import this_process
from ..storage.link_store import LinkRow, LinkStore
from ..submission import workflow
from ..submission.intake import DataflowContext, Receipt, dataflow_context
from .sources import SourceError, SourceLimits, rows, scrub
from ..sdmx.structure_maps import CompiledMap, MapError, UnmappedValue, load_compiled

log = logging.getLogger(__name__)
_ROW = re.compile(r"^row (\d+)")


class LinkError(Exception):
    """A link that cannot run as defined (unknown, wrong kind, its dataflow or map missing)."""


@dataclass
class Problem:
    message: str
    rule: str
    row: int | None = None  # the national source row
    map: str | None = None  # the RepresentationMap URN, for an unmapped code

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("row", self.row), ("rule", self.rule), ("map", self.map),
                                  ("message", self.message)) if v is not None}

    def line(self) -> str:
        return (f"row {self.row}: " if self.row is not None else "") + f"{self.message} ({self.rule})"


@dataclass
class Outcome:
    run_id: int
    state: str  # succeeded, failed
    dry_run: bool
    rows_read: int = 0
    figures: int = 0
    submission_id: int | None = None
    submission_state: str | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0


def link_actor(link: LinkRow) -> Actor:
    """Who a link's submissions come from: its provider, with the three workflow privileges on its dataflow
    only (the workflow asks for them when the link releases at once)."""
    held = frozenset({"submit_data", "verify_data", "release_data"})
    return Actor(-1, f"link:{link.name}", link.provider_id, held, {p: frozenset({link.dataflow_urn}) for p in held})


def context_of(conn, link: LinkRow) -> DataflowContext:
    urn = parse_urn(link.dataflow_urn)
    return dataflow_context(ArtefactStore(conn), urn.agency_id, urn.id, urn.version)


def compiled_map(conn, link: LinkRow, ctx: DataflowContext) -> CompiledMap:
    if not link.structure_map_urn:
        raise LinkError(f"link {link.name} names no structure map")
    compiled = load_compiled(link.structure_map_urn, ArtefactStore(conn).get)
    known = set(ctx.structure.key_ids) | {c.id for c in ctx.structure.attributes + ctx.structure.measures}
    unknown = [t for t in compiled.target_components if t not in known]
    if unknown:
        raise MapError(f"the structure map {link.structure_map_urn} maps to {', '.join(unknown)}, which "
                       f"{link.dataflow_urn} does not have")
    return compiled


class Translated(io.RawIOBase):
    """The message a run submits, made as it is read: national rows are translated a block at a time into
    SDMX-CSV 2.0 while ingest reads, so translating overlaps the database's work and memory holds one block.
    Problems are collected as they come (the first ``max_problems`` kept, all counted), never stopping the
    reading; ``source_row`` tells a message row's national row. ``copy_to`` receives every byte made (the
    dry run's output)."""

    BLOCK_ROWS = 2000

    def __init__(self, source: Iterable[tuple[int, dict[str, Any]]], compiled: CompiledMap, ctx: DataflowContext,
                 when: date, max_problems: int = 100, copy_to: TextIO | None = None):
        super().__init__()
        s = ctx.structure
        self.columns = [*s.key_ids, *(m.id for m in s.measures), *(a.id for a in s.attributes)]
        flow = ctx.dataflow
        self.head = ["dataflow", f"{flow['agencyID']}:{flow['id']}({flow['version']})"]
        self.source, self.compiled, self.when = iter(source), compiled, when
        self.max_problems, self.copy_to = max_problems, copy_to
        self.rows_read = self.figures = self.problem_count = 0
        self.problems: list[Problem] = []
        # where the national row number stops being the message's data row + a constant (a skipped row): the
        # message's data row index and the offset from there on; a handful, however many rows
        self.starts: list[int] = []
        self.offsets: list[int] = []
        self._offset: int | None = None
        # ingest records each series attribute it is given, so repeating them on every row of a message whose
        # rows alternate between series would cost memory per row; per series is what ingest holds anyway
        self.dims = [self.columns.index(d) for d in s.dimension_ids]
        self.key_level = [self.columns.index(a.id) for a in s.attributes
                          if a.attachment in ("series", "group", "dataset")]
        self.said: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.text = io.StringIO()
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.writer.writerow(["STRUCTURE", "STRUCTURE_ID", *self.columns])
        self.pending = self._take()
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            self._block()
            self.pending = self._take()
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def drain(self) -> None:
        """Translate what is left (a dry run's output and problems are complete even where ingest stopped)."""
        while not self.done:
            self._block()
            self._take()

    def source_row(self, message_row: int) -> int | None:
        i = message_row - 2
        at = bisect_right(self.starts, i) - 1
        return i + self.offsets[at] if 0 <= i < self.figures and at >= 0 else None

    def _take(self) -> bytes:
        made = self.text.getvalue()
        self.text.seek(0)
        self.text.truncate()
        if self.copy_to is not None and made:
            self.copy_to.write(made)
        return made.encode("utf-8")

    def _block(self) -> None:
        translate, columns, head, key_level, dims, said = (self.compiled.translate, self.columns, self.head,
                                                           self.key_level, self.dims, self.said)
        writerow = self.writer.writerow
        for _ in range(self.BLOCK_ROWS):
            item = next(self.source, None)
            if item is None:
                self.done = True
                return
            row_no, row = item
            self.rows_read += 1
            try:
                codes = translate(row, self.when)
            except UnmappedValue as e:
                self.problem_count += 1
                if len(self.problems) < self.max_problems:
                    self.problems.append(Problem(str(e), "unmapped-code", row_no, e.map_urn))
                continue
            cells = [codes.get(c, "") for c in columns]
            if key_level:  # a series attribute once per series (and when it changes), not on every row
                series = tuple(cells[i] for i in dims)
                values = tuple(cells[i] for i in key_level)
                if said.get(series) == values:
                    for i in key_level:
                        cells[i] = ""
                else:
                    said[series] = values
            writerow(head + cells)
            if row_no - self.figures != self._offset:
                self._offset = row_no - self.figures
                self.starts.append(self.figures)
                self.offsets.append(self._offset)
            self.figures += 1


def _validation_problems(e: InvalidData, message: Translated) -> list[Problem]:
    out = []
    for d in e.details:
        where = d.get("where") or ""
        m = _ROW.match(where)
        src = message.source_row(int(m[1])) if m else None
        column = where.partition("column ")[2]
        text = d.get("message", "")
        if d.get("series_key"):
            text += f" [series {d['series_key']}" + (f", period {d['period']}" if d.get("period") else "") + "]"
        if column:
            text = f"{column}: {text}"
        out.append(Problem(text, d.get("rule", "invalid"), src))
    return out


def run(engine: Engine, name: str, *, options: workflow.IngestOptions, limits: SourceLimits = SourceLimits(),
        dry_run: bool = False, trigger: str = "cli", out: TextIO | None = None, max_problems: int = 100) -> Outcome:
    """Run the link ``name`` once and record the run; ``dry_run`` prints the message to ``out`` and checks it
    without keeping anything but the run's record."""
    with engine.connect() as conn:
        with begin_write(conn):
            link = LinkStore(conn).get(name)
            if link is None:
                raise LinkError(f"there is no link {name!r} (sdmx-server link list)")
            if link.source_kind == "sdmx-rest" and dry_run:
                raise LinkError(f"link {name} harvests an SDMX REST service: what it would take is what the service "
                                "answers to updatedAfter; a harvest has no dry run")
            LinkStore(conn).end_dead_runs(link.id)
            run_id = LinkStore(conn).start_run(link.id, dry_run=dry_run, trigger=trigger, owner=this_process())
        outcome = Outcome(run_id, "failed", dry_run)
        if link.source_kind == "sdmx-rest":
            return _harvest(engine, conn, link, outcome, options)
        message: Translated | None = None
        try:
            ctx = context_of(conn, link)
            compiled = compiled_map(conn, link, ctx)
            conn.rollback()
            message = Translated(rows(link.source_kind, link.source, limits), compiled, ctx, utcnow().date(),
                                 max_problems, copy_to=out if dry_run else None)
            if dry_run:
                _check(conn, link, ctx, message, options, outcome, keep=False)
                message.drain()
                _counts(outcome, message, first=True)
                outcome.state = "failed" if outcome.problem_count else "succeeded"
                with begin_write(conn):
                    _finish(conn, outcome)
            else:
                with begin_write(conn):
                    _check(conn, link, ctx, message, options, outcome, keep=True)
                    _counts(outcome, message)
                    if message.problem_count:
                        raise _Refused()  # rolls the submission back
                    outcome.state = "succeeded"
                    _finish(conn, outcome)  # with the submission: both or neither
        except _Refused:
            _record_failure(conn, outcome)
        except InvalidData as e:
            _counts(outcome, message)
            _record_failure(conn, outcome, _validation_problems(e, message) if message else [], e.count)
        except (SourceError, MapError, LinkError, SdmxError) as e:
            _counts(outcome, message)
            _record_failure(conn, outcome, [Problem(scrub(str(e), link.source), _rule(e))])
        except Exception as e:  # the run must be recorded whatever went wrong
            log.exception("link %s run %s failed", name, run_id)
            _record_failure(conn, outcome, [Problem(f"internal error: {type(e).__name__}; nothing was stored",
                                                    "internal")])
        finally:
            if message is not None:
                message.close()
    return outcome


def _counts(outcome: Outcome, message: Translated | None, first: bool = False) -> None:
    """The run's counts and translation problems (once; ``first``: before those validation found)."""
    if message is None:
        return
    outcome.rows_read, outcome.figures = message.rows_read, message.figures
    if message.problems and not any(p is message.problems[0] for p in outcome.problems):
        if first:
            outcome.problems[:0] = message.problems
        else:
            outcome.problems.extend(message.problems)
        outcome.problem_count += message.problem_count


class _Refused(Exception):
    """Translation problems: the run stops before submitting anything."""


def _rule(e: Exception) -> str:
    return {SourceError: "source", MapError: "map", LinkError: "link"}.get(type(e), "submission")


def _check(conn, link: LinkRow, ctx: DataflowContext, message: Translated, options: workflow.IngestOptions,
           outcome: Outcome, *, keep: bool) -> None:
    """Submit the message through the workflow; without ``keep`` (a dry run) everything is rolled back."""
    if not keep:
        conn.rollback()
        tx = begin_write(conn)
        try:
            _submit(conn, link, ctx, message, options)
        except InvalidData as e:
            outcome.problems.extend(_validation_problems(e, message))
            outcome.problem_count += e.count
        except SdmxError as e:
            outcome.problems.append(Problem(str(e), "submission"))
            outcome.problem_count += 1
        finally:
            tx.rollback()
        return
    receipt = _submit(conn, link, ctx, message, options)
    outcome.submission_id, outcome.submission_state = receipt.submission_id, receipt.state
    if link.auto_release:
        outcome.submission_state = "released"
    else:
        outcome.submission_state = "pending"


def _submit(conn, link: LinkRow, ctx: DataflowContext, message: Translated,
            options: workflow.IngestOptions) -> Receipt:
    return workflow.submit(conn, io.BufferedReader(message, 1 << 16), ctx, link_actor(link), provider=link.provider_id, replace=False,
                           content_type="text/csv", options=options, release_now=link.auto_release,
                           four_eyes=workflow.FourEyes(frozenset({link.provider_id})))


def _finish(conn, outcome: Outcome) -> None:
    LinkStore(conn).finish_run(outcome.run_id, state=outcome.state, rows_read=outcome.rows_read,
                               figures_submitted=0 if outcome.dry_run or outcome.state != "succeeded"
                               else outcome.figures,
                               submission_id=outcome.submission_id,
                               errors=[p.as_json() for p in outcome.problems])


def _record_failure(conn, outcome: Outcome, problems: Iterable[Problem] = (), count: int | None = None) -> None:
    if conn.in_transaction():
        conn.rollback()
    outcome.state = "failed"
    outcome.submission_id = outcome.submission_state = None
    problems = list(problems)
    outcome.problems.extend(problems)
    outcome.problem_count += count if count is not None else len(problems)
    with begin_write(conn):
        _finish(conn, outcome)



def harvest_cursor_name(link: LinkRow) -> str:
    """The harvest cursor a harvesting link keeps (harvest_cursor table), named after the link."""
    return "link-" + re.sub(r"[^A-Za-z0-9_-]", "_", link.name)


def _harvest(engine: Engine, conn, link: LinkRow, outcome: Outcome, options: workflow.IngestOptions) -> Outcome:
    """A harvesting link's run: the harvest client (interlink/harvest.py) with the link's service, dataflow,
    provider and its own cursor, recorded like every run (rows read: the observations the pages held)."""
    import os

    from .harvest import HarvestError, harvest_into

    src = link.source
    flow = link.dataflow_urn.rsplit("=", 1)[-1]
    try:
        token = None
        if src.get("token_env"):
            token = os.environ.get(src["token_env"])
            if not token:
                raise HarvestError(f"the environment variable {src['token_env']} (the service's token) is not set")
        result = harvest_into(engine, harvest_cursor_name(link), src["url"], flow, link.provider_id,
                              api=src.get("api", "v1"), key=src.get("key"), page_size=src.get("page_size"),
                              token=token, settle_seconds=float(src.get("settle", 5.0)), options=options,
                              release=link.auto_release)
    except HarvestError as e:
        _record_failure(conn, outcome, [Problem(scrub(str(e), src), "source")])
        return outcome
    except Exception as e:  # the run must be recorded whatever went wrong
        log.exception("link %s run %s failed", link.name, outcome.run_id)
        _record_failure(conn, outcome, [Problem(f"internal error: {type(e).__name__}; nothing was stored",
                                                "internal")])
        return outcome
    outcome.state = "succeeded"
    outcome.rows_read = outcome.figures = result.observations
    if result.submissions:
        outcome.submission_id = result.submissions[-1]
        outcome.submission_state = "released" if link.auto_release else "pending"
    with begin_write(conn):
        _finish(conn, outcome)
    return outcome
