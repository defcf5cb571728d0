"""Reading a national source row by row: an SQL query (any SQLAlchemy dialect), a CSV or an Excel file.

Every source yields (row number, {column: value}) with the number a national officer finds the row by (the
query's n-th row, the file's line or sheet row), and is bounded: rows (setting link_max_rows), time
(link_query_seconds: the database's statement timeout where the dialect has one, SQLite's progress handler,
and a check between rows for every dialect) and file size (link_max_file_bytes). Queries run read-only where
the dialect allows (PostgreSQL, SQLite). Secrets are ``${ENV_VAR}`` references resolved only here.
"""

from __future__ import annotations

import csv
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

SOURCE_KINDS = ("sql", "csv", "excel", "sdmx-rest")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SQL_BATCH = 5000  # rows fetched from the national database at a time


class SourceError(Exception):
    """The source could not be read: unreachable, refused, too large, too slow. The message holds no secret."""


@dataclass(frozen=True)
class SourceLimits:
    max_rows: int = 5_000_000
    seconds: float = 600.0
    max_file_bytes: int = 512 << 20


def resolve(text: str) -> str:
    """``${NAME}`` references replaced by the environment's values; a missing one is an error naming it."""
    def value(m: re.Match) -> str:
        if m[1] not in os.environ:
            raise SourceError(f"the environment variable {m[1]} the link refers to is not set in this process")
        return os.environ[m[1]]
    return _REFERENCE.sub(value, text)


def secrets_of(text: str) -> list[str]:
    """The values the references of ``text`` resolve to (to blank them out of error messages)."""
    return [os.environ[n] for n in _REFERENCE.findall(text) if os.environ.get(n)]


def masked_url(url: str) -> str:
    """A SQLAlchemy (or http) URL with its password (a reference or, for a URL stored before, a value) as ***."""
    from urllib.parse import urlsplit, urlunsplit

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.lower().startswith(("http://", "https://")):
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a SQLAlchemy URL)"


def literal_password(url: str) -> bool:
    """Whether the URL holds a password in clear (anything but a ``${ENV_VAR}`` reference)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.lower().startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        password = urlsplit(url).password
        return bool(password) and not _REFERENCE.fullmatch(password)
    try:
        password = make_url(url).password
    except ArgumentError:
        return False
    return bool(password) and not _REFERENCE.fullmatch(str(password))


def masked_settings(kind: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What may be shown of a source's settings (CLI, API): the URL's password masked, nothing else secret."""
    out = dict(settings)
    if isinstance(out.get("url"), str):
        out["url"] = masked_url(out["url"])
    for k in list(out):
        if any(w in k.lower() for w in ("password", "secret", "token")):
            out[k] = "***"
    return out


def scrub(message: str, settings: Mapping[str, Any]) -> str:
    """An error message with every resolved secret of the settings replaced by ***."""
    for v in settings.values():
        if isinstance(v, str):
            for secret in secrets_of(v):
                message = message.replace(secret, "***")
    return message


def rows(kind: str, settings: Mapping[str, Any], limits: SourceLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    if kind == "sql":
        return _sql_rows(settings, limits)
    if kind == "csv":
        return _csv_rows(settings, limits)
    if kind == "excel":
        return _excel_rows(settings, limits)
    raise SourceError(f"links of kind {kind!r} are read by their own harvester, not as rows")


def _bounded(it: Iterator[tuple[int, dict]], limits: SourceLimits, started: float, what: str) -> Iterator:
    n = 0
    for item in it:
        n += 1
        if n > limits.max_rows:
            raise SourceError(f"{what} gives more than {limits.max_rows} rows (setting link_max_rows)")
        if n % 1000 == 0 and time.monotonic() - started > limits.seconds:
            raise SourceError(f"reading {what} took longer than {limits.seconds:g} s (setting link_query_seconds)")
        yield item


def _sql_rows(settings: Mapping[str, Any], limits: SourceLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    raw_url, query = settings.get("url"), settings.get("query")
    if not isinstance(raw_url, str) or not isinstance(query, str) or not query.strip():
        raise SourceError("an sql link needs a url and a query")
    started = time.monotonic()
    try:
        url = make_url(resolve(raw_url))
    except ArgumentError:
        raise SourceError("the link's url is not a SQLAlchemy URL (dialect+driver://user@host/db)") from None
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        path = url.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise SourceError(f"the SQLite database file {path!r} does not exist")
    elif backend == "postgresql":
        connect_args["connect_timeout"] = max(1, int(min(limits.seconds, 30)))
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as e:
        raise SourceError(f"no driver for {backend} is installed ({e})") from None
    ms = max(1, int(limits.seconds * 1000))
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql(f"SET statement_timeout = {ms}")
                conn.exec_driver_sql("SET default_transaction_read_only = on")
            elif backend == "mysql":
                conn.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
            elif backend == "sqlite":
                raw = conn.connection.driver_connection
                raw.execute("PRAGMA query_only = ON")
                deadline = started + limits.seconds
                raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
            conn.commit()  # a SET rolled back would be undone (PostgreSQL): keep the session's settings
            result = conn.execution_options(stream_results=True, yield_per=SQL_BATCH).execute(text(query))
            columns = list(result.keys())
            yield from _bounded(((n, dict(zip(columns, row))) for n, row in enumerate(result, start=1)),
                                limits, started, "the query")
    except SQLAlchemyError as e:
        first = (str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0]
        if "interrupted" in first or "statement timeout" in first or "max_execution_time" in first:
            first += f" (the query ran longer than {limits.seconds:g} s, setting link_query_seconds)"
        raise SourceError(scrub(f"the national database ({masked_url(raw_url)}) refused: {first}", settings)) \
            from None
    finally:
        engine.dispose()


def _checked_file(settings: Mapping[str, Any], limits: SourceLimits) -> Path:
    path = settings.get("path")
    if not isinstance(path, str) or not path:
        raise SourceError("a file link needs a path")
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"the file {path} does not exist")
    if p.stat().st_size > limits.max_file_bytes:
        raise SourceError(f"the file {path} is larger than {limits.max_file_bytes} bytes (setting link_max_file_bytes)")
    return p


def _csv_rows(settings: Mapping[str, Any], limits: SourceLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    p = _checked_file(settings, limits)
    started = time.monotonic()
    with open(p, encoding=settings.get("encoding") or "utf-8-sig", newline="") as f:
        try:
            first = f.readline(1 << 16)
            delimiter = settings.get("delimiter") or (";" if first.count(";") > first.count(",") else ",")
            header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
            if not any(header):
                raise SourceError(f"{p}: line 1 holds no column names")
            reader = csv.reader(f, delimiter=delimiter)

            def numbered() -> Iterator[tuple[int, dict[str, Any]]]:
                for cells in reader:
                    if not any(c.strip() for c in cells):
                        continue
                    if len(cells) != len(header):
                        raise SourceError(f"{p}, line {reader.line_num + 1}: {len(cells)} fields where the header "
                                          f"has {len(header)}")
                    yield reader.line_num + 1, dict(zip(header, cells))
            yield from _bounded(numbered(), limits, started, str(p))
        except (UnicodeDecodeError, csv.Error) as e:
            raise SourceError(f"{p}: not readable as CSV ({e}); set the link's encoding") from None


def _excel_rows(settings: Mapping[str, Any], limits: SourceLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    import zlib
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook

    from ..sdmx.formats.input_limits import MAX_INFLATE_RATIO, inflates_too_much

    p = _checked_file(settings, limits)
    started = time.monotonic()
    try:
        with ZipFile(p) as z:  # the directory's sizes bound what zipfile will inflate: refuse a zip bomb first
            inflated = sum(i.file_size for i in z.infolist())
        if inflates_too_much(inflated, p.stat().st_size, MAX_INFLATE_RATIO):
            raise SourceError(f"{p}: its parts would inflate to {inflated} bytes, more than {MAX_INFLATE_RATIO} "
                              f"times the file")
        wb = load_workbook(p, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError, zlib.error, EOFError) as e:
        raise SourceError(f"{p} is not an Excel workbook (.xlsx): {e}") from None
    try:
        sheet_name = settings.get("sheet") or wb.sheetnames[0]
        if sheet_name not in wb.sheetnames:
            raise SourceError(f"{p} has no sheet {sheet_name!r} (sheets: {', '.join(wb.sheetnames)})")
        it = wb[sheet_name].iter_rows(values_only=True)
        header = ["" if v is None else str(v).strip() for v in next(it, ())]

        def numbered() -> Iterator[tuple[int, dict[str, Any]]]:
            for r, cells in enumerate(it, start=2):
                if all(v is None or str(v).strip() == "" for v in cells):
                    continue
                yield r, {h: _cell(v) for h, v in zip(header, cells) if h}
        yield from _bounded(numbered(), limits, started, f"{p}, sheet {sheet_name}")
    finally:
        wb.close()


def _cell(v: Any) -> Any:
    """Excel keeps whole numbers as floats: 1234.0 is the figure 1234."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def limits_from(cfg) -> SourceLimits:
    """The bounds of the settings link_max_rows, link_query_seconds, link_max_file_bytes."""
    return SourceLimits(cfg.link_max_rows, cfg.link_query_seconds, cfg.link_max_file_bytes)
