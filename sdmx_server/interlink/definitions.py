"""Defining a link: checked against what is stored before it is kept, and shown without secrets.

A link's settings never hold a password in clear: a SQLAlchemy URL names it as ``${ENV_VAR}``, resolved from
the environment of the process that runs the link (docs/interlinking.md). A URL with a literal password is
refused, so no listing, log or backup ever carries one.
"""

from __future__ import annotations

import re
from typing import Any

from ..sdmx.artefacts import parse_urn, urn_of
from ..storage.link_store import LinkRow, LinkStore, RunRow
from .link_run import LinkError, compiled_map, context_of
from .sources import SOURCE_KINDS, literal_password, masked_settings

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MIN_INTERVAL = 60
_FLOW = re.compile(r"([A-Za-z][\w.-]*):([\w@$-]+)\(([^)]+)\)")


def dataflow_urn(text: str) -> str:
    """AGENCY:ID(VERSION) or a dataflow URN -> the URN."""
    m = _FLOW.fullmatch(text.strip())
    if m:
        return f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={m[1]}:{m[2]}({m[3]})"
    try:
        parse_urn(text)
    except ValueError:
        raise LinkError(f"write the dataflow as AGENCY:ID(VERSION), e.g. DSM:DF_STOCK_FOREIGNERS(1.0), "
                        f"not {text!r}") from None
    return text.strip()


def check_source(kind: str, source: dict[str, Any]) -> None:
    if kind not in SOURCE_KINDS:
        raise LinkError(f"the source kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    if kind == "sql":
        if not source.get("url") or not source.get("query"):
            raise LinkError("an sql link needs --url and --query")
        if literal_password(source["url"]):
            raise LinkError("the URL holds a password in clear: write it as ${ENV_VAR} (e.g. "
                            "postgresql+psycopg://stat:${NATIONAL_DB_PASSWORD}@host/db) and set that variable "
                            "where the server runs")
    elif kind in ("csv", "excel") and not source.get("path"):
        raise LinkError(f"a {kind} link needs --path")
    elif kind == "sdmx-rest":
        if not source.get("url"):
            raise LinkError("an sdmx-rest link needs --url")
        if literal_password(source["url"]):
            raise LinkError("the URL holds a password in clear: write it as ${ENV_VAR} and set that variable "
                            "where the server runs")


def add(conn, *, name: str, provider: str, dataflow: str, kind: str, source: dict[str, Any],
        structure_map: str | None, auto_release: bool, interval_seconds: int | None, created_by: str) -> str:
    """Check and store (create or replace) a link; LinkError names what is wrong."""
    if not NAME.fullmatch(name):
        raise LinkError(f"a link name is letters, digits, '_', '.', '-' (at most 100), not {name!r}")
    check_source(kind, source)
    if interval_seconds is not None and interval_seconds < MIN_INTERVAL:
        raise LinkError(f"a link runs at most every {MIN_INTERVAL} seconds (--every {interval_seconds})")
    probe = LinkRow(0, name, provider, dataflow_urn(dataflow), kind, source, structure_map, auto_release,
                    interval_seconds, None, None, created_by, None, None)  # type: ignore[arg-type]
    from ..sdmx.errors import SdmxError

    try:
        ctx = context_of(conn, probe)
    except SdmxError as e:
        raise LinkError(str(e)) from None
    if provider not in ctx.providers:
        raise LinkError(f"data provider {provider} has no provision agreement for {urn_of(ctx.dataflow)}")
    if kind != "sdmx-rest":
        compiled_map(conn, probe, ctx)  # MapError when missing or not for this dataflow
    return LinkStore(conn).put(name=name, provider_id=provider, dataflow_urn=urn_of(ctx.dataflow), source_kind=kind,
                               source=source, structure_map_urn=structure_map, auto_release=auto_release,
                               interval_seconds=interval_seconds, created_by=created_by)


def link_json(link: LinkRow, last: RunRow | None = None) -> dict[str, Any]:
    """A link as the CLI and the API show it: settings with secrets masked."""
    out = {"name": link.name, "provider": link.provider_id, "dataflow": link.dataflow_urn,
           "source": {"kind": link.source_kind, **masked_settings(link.source_kind, link.source)},
           "structureMap": link.structure_map_urn, "autoRelease": link.auto_release,
           "intervalSeconds": link.interval_seconds,
           "nextRunAt": link.next_run_at.isoformat() if link.next_run_at else None,
           "createdBy": link.created_by, "updatedAt": link.updated_at.isoformat() if link.updated_at else None}
    if last is not None:
        out["lastRun"] = run_json(last)
    return out


def run_json(r: RunRow) -> dict[str, Any]:
    return {"id": r.id, "state": r.state, "dryRun": r.dry_run, "trigger": r.trigger,
            "startedAt": r.started_at.isoformat(), "finishedAt": r.finished_at.isoformat() if r.finished_at else None,
            "rowsRead": r.rows_read, "figuresSubmitted": r.figures_submitted, "submission": r.submission_id,
            "errors": r.errors}


def _country_scope(who) -> str | None | bool:
    """None: every link; a provider id: that country's links; False: none."""
    if who.can("administer_system") or who.can("view_all_data"):
        return None
    if who.country and any(who.can(p) for p in ("manage_country_users", "submit_data", "verify_data",
                                                "release_data")):
        return who.country
    return False


def visible_links(conn, who) -> list[LinkRow]:
    """The links the caller may see: all for system administrators, their country's for its administrators
    and its workflow users (whose submissions a link makes)."""
    scope = _country_scope(who)
    if scope is False:
        return []
    return LinkStore(conn).list(scope)  # type: ignore[arg-type]


def visible_link(conn, who, name: str) -> LinkRow:
    """One link; NotFound (404) when it does not exist or is not the caller's to see, alike."""
    from ..sdmx.errors import NotFound

    scope = _country_scope(who)
    link = LinkStore(conn).get(name)
    if link is None or scope is False or (scope is not None and link.provider_id != scope):
        raise NotFound(f"link {name} does not exist or is not yours to see")
    return link
