"""Running a link: national rows -> StructureMap translation -> SDMX-CSV -> the submission workflow.

The translated figures are written as one SDMX-CSV 2.0 message to a spooled temporary file (memory bounded,
whatever the row count) and handed to ``workflow.submit`` as the link's provider would send it: the same
checks, and pending (or, where the link is set to auto-release, pending -> validated -> released at once).
The submission and the run's record commit in one transaction; any failure rolls the submission back and
records the run as failed with its reasons, so nothing is ever half stored. Problems are reported with the
national source row (the query's n-th row, the file's line) and, for a code no map translates, the code and
the RepresentationMap.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Iterable, TextIO

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
from .translation import CompiledMap, MapError, Unmapped, load_compiled

log = logging.getLogger(__name__)
SPOOL_BYTES = 4 << 20  # the translated message stays in memory up to this size, then goes to a temporary file
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


@dataclass
class Translated:
    """The message a run submits, and where each of its data rows came from."""

    body: BinaryIO
    rows_read: int
    figures: int
    # where the national row number stops being the message's data row + a constant (a skipped row): the
    # message's data row index and the offset from there on; a handful, however many rows
    steps: tuple[list[int], list[int]]
    problems: list[Problem]
    problem_count: int

    def source_row(self, message_row: int) -> int | None:
        i = message_row - 2
        at = bisect_right(self.steps[0], i) - 1
        return i + self.steps[1][at] if 0 <= i < self.figures and at >= 0 else None


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


def translate(source: Iterable[tuple[int, dict[str, Any]]], compiled: CompiledMap, ctx: DataflowContext,
              when: date, max_problems: int = 100) -> Translated:
    """Translate every row into the SDMX-CSV 2.0 message of the dataflow; problems are collected (the first
    ``max_problems`` kept, all counted), never stopping the reading, so a dry run lists them all at once."""
    s = ctx.structure
    columns = [*s.key_ids, *(m.id for m in s.measures), *(a.id for a in s.attributes)]
    flow = ctx.dataflow
    ref = f"{flow['agencyID']}:{flow['id']}({flow['version']})"
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["STRUCTURE", "STRUCTURE_ID", *columns])
    starts: list[int] = []
    offsets: list[int] = []
    problems: list[Problem] = []
    count = read = written = 0
    offset = None
    head = ["dataflow", ref]
    # ingest records each series attribute it is given, so repeating them on every row of a message whose rows
    # alternate between series would cost memory per row; per series is what ingest holds anyway
    dims = [columns.index(d) for d in s.dimension_ids]
    key_level = [columns.index(a.id) for a in s.attributes if a.attachment in ("series", "group", "dataset")]
    said: dict[tuple[str, ...], tuple[str, ...]] = {}
    for row_no, row in source:
        read += 1
        try:
            codes = compiled.translate(row, when)
        except Unmapped as e:
            count += 1
            if len(problems) < max_problems:
                problems.append(Problem(str(e), "unmapped-code", row_no, e.map_urn))
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
        writer.writerow(head + cells)
        if row_no - written != offset:
            offset = row_no - written
            starts.append(written)
            offsets.append(offset)
        written += 1
    text.flush()
    text.detach()
    spool.seek(0)
    return Translated(spool, read, written, (starts, offsets), problems, count)


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
            if link.source_kind not in ("sql", "csv", "excel"):
                raise LinkError(f"link {name} reads an SDMX REST service; its harvester runs it")
            LinkStore(conn).end_dead_runs(link.id)
            run_id = LinkStore(conn).start_run(link.id, dry_run=dry_run, trigger=trigger, owner=this_process())
        outcome = Outcome(run_id, "failed", dry_run)
        message: Translated | None = None
        try:
            ctx = context_of(conn, link)
            compiled = compiled_map(conn, link, ctx)
            conn.rollback()
            message = translate(rows(link.source_kind, link.source, limits), compiled, ctx, utcnow().date(),
                                max_problems)
            outcome.rows_read, outcome.figures = message.rows_read, message.figures
            outcome.problems, outcome.problem_count = list(message.problems), message.problem_count
            if dry_run and out is not None:
                _copy_out(message.body, out)
            if message.problem_count and not dry_run:
                raise _Refused()
            if dry_run:
                _check(conn, link, ctx, message, options, outcome, keep=False)
                outcome.state = "failed" if outcome.problem_count else "succeeded"
                with begin_write(conn):
                    _finish(conn, outcome)
            else:
                with begin_write(conn):
                    _check(conn, link, ctx, message, options, outcome, keep=True)
                    outcome.state = "succeeded"
                    _finish(conn, outcome)  # with the submission: both or neither
        except _Refused:
            _record_failure(conn, outcome)
        except InvalidData as e:
            _record_failure(conn, outcome, _validation_problems(e, message) if message else [], e.count)
        except (SourceError, MapError, LinkError, SdmxError) as e:
            _record_failure(conn, outcome, [Problem(scrub(str(e), link.source), _rule(e))])
        except Exception as e:  # the run must be recorded whatever went wrong
            log.exception("link %s run %s failed", name, run_id)
            _record_failure(conn, outcome, [Problem(f"internal error: {type(e).__name__}; nothing was stored",
                                                    "internal")])
        finally:
            if message is not None:
                message.body.close()
    return outcome


def _copy_out(body: BinaryIO, out: TextIO) -> None:
    """The message to ``out`` a block at a time (it may be far larger than memory should hold)."""
    text = io.TextIOWrapper(body, encoding="utf-8", newline="")
    while block := text.read(1 << 16):
        out.write(block)
    text.detach()
    body.seek(0)


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
    return workflow.submit(conn, message.body, ctx, link_actor(link), provider=link.provider_id, replace=False,
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

