"""Mirror what a caller may see of one dataflow of an SDMX REST service into a folder: the cycle a national
database runs against the regional server (docs/interlinking-mirror.md), and a ready client for it.

The folder holds ``AGENCY_ID_VERSION.csv`` (the current figures, SDMX-CSV 2.0 columns, one row per observation,
sorted by OBS_KEY) and ``AGENCY_ID_VERSION.state.json`` (the cursor and the ETag). Each run asks for what changed
after the cursor (``updatedAfter``; 304 when nothing did), then, pinned at the service's clock (``asOf``), for
those changes as SDMX-CSV 2.0 with ``keys=obs``: rows with ACTION ``D`` are deletions, the others current values.
It writes the new table beside the old one and renames it over it, then the state: a run that fails half-way
leaves the last good pair, and one that dies between the two renames applies the same changes again next time,
which changes nothing (a replace or a deletion applied twice is applied once).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..storage.artefact_store import utcnow
from .bounded_http import HttpLimits, RemoteError
from .sdmx_rest_client import CSV_ACCEPT, FlowRef, Page, Service, get_data

MAX_CELL = 1 << 20


class MirrorError(Exception):
    """A mirror run that changed nothing in the folder; the message says why."""


@dataclass
class MirrorResult:
    outcome: str  # not-modified | nothing-new | updated
    replaced: int = 0
    deleted: int = 0
    figures: int = 0  # rows in the table afterwards
    cursor: datetime | None = None

    def as_json(self) -> dict:
        return {"outcome": self.outcome, "replaced": self.replaced, "deleted": self.deleted, "figures": self.figures,
                "cursor": self.cursor.isoformat() if self.cursor else None}


def mirror_once(base_url: str, flow: str, directory: Path, *, token: str | None = None, key: str | None = None,
                settle_seconds: float = 0.0, limits: HttpLimits = HttpLimits()) -> MirrorResult:
    try:
        ref = FlowRef.parse(flow)
        service = Service(base_url, "v2", None, key, token, limits, CSV_ACCEPT)
    except (ValueError, RemoteError) as e:
        raise MirrorError(str(e)) from None
    directory = Path(directory)
    if not directory.is_dir():
        raise MirrorError(f"{directory} is not a folder")
    name = f"{ref.agency}_{ref.id}_{ref.version}"
    table, state_file = directory / f"{name}.csv", directory / f"{name}.state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    cursor = datetime.fromisoformat(state["cursor"]) if state.get("cursor") else None
    try:
        probe_url = service.data_url(ref, updated_after=cursor)
        probe = get_data(service, probe_url, etag=state.get("etag") if state.get("etagUrl") == probe_url else None)
        if probe.not_modified:
            return MirrorResult("not-modified", cursor=cursor)
        probe.close()
        if probe.empty:
            _write_state(state_file, cursor, probe.etag, probe_url)
            return MirrorResult("nothing-new", cursor=cursor)
        upto = (probe.date or utcnow()) - timedelta(seconds=settle_seconds)
        page = get_data(service, service.data_url(ref, updated_after=cursor, as_of=upto))
        try:
            columns, rows = _read_table(table)
            result = MirrorResult("updated", cursor=upto)
            if not page.empty:
                _apply(page, columns, rows, result)
        finally:
            page.close()
    except RemoteError as e:
        raise MirrorError(str(e)) from None
    result.figures = len(rows)
    _write_table(table, columns, rows)
    _write_state(state_file, upto, None, None)
    return result


def _read_table(table: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    if not table.exists():
        return [], {}
    with open(table, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), {row["OBS_KEY"]: row for row in reader}


def _apply(page: Page, columns: list[str], rows: dict[str, dict[str, str]], result: MirrorResult) -> None:
    assert page.body is not None
    text = io.TextIOWrapper(page.body, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = next(reader, None)
        if not header or "OBS_KEY" not in header or "ACTION" not in header:
            raise RemoteError(f"{page.url} answered SDMX-CSV without OBS_KEY and ACTION columns: is it SDMX-CSV 2.0?")
        for column in header:
            if column != "ACTION" and column not in columns:
                columns.append(column)
        for n, cells in enumerate(reader, start=2):
            if len(cells) != len(header) or any(len(c) > MAX_CELL for c in cells):
                raise RemoteError(f"{page.url}: row {n} has {len(cells)} cells where the header has {len(header)}")
            row = dict(zip(header, cells))
            action = row.pop("ACTION")
            if action == "D":
                result.deleted += rows.pop(row["OBS_KEY"], None) is not None
            else:
                rows[row["OBS_KEY"]] = row
                result.replaced += 1
    except (UnicodeDecodeError, csv.Error) as e:
        raise RemoteError(f"{page.url} answered malformed SDMX-CSV: {e}") from None
    finally:
        text.detach()


def _write_table(table: Path, columns: list[str], rows: dict[str, dict[str, str]]) -> None:
    fresh = table.with_suffix(".csv.new")
    with open(fresh, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for obs_key in sorted(rows):
            writer.writerow(rows[obs_key])
        f.flush()
        os.fsync(f.fileno())
    os.replace(fresh, table)


def _write_state(state_file: Path, cursor: datetime | None, etag: str | None, etag_url: str | None) -> None:
    fresh = state_file.with_suffix(".json.new")
    fresh.write_text(json.dumps({"cursor": cursor.isoformat() if cursor else None, "etag": etag,
                                 "etagUrl": etag_url}, indent=1))
    os.replace(fresh, state_file)
