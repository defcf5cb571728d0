"""`sdmx-server link add/list/show/run/run-due`: thin commands over interlink/ (docs/interlinking.md)."""

from __future__ import annotations

import json
import sys

import click


@click.group("link", help="Links from national databases and files to the dataflows (docs/interlinking.md).")
def link_group() -> None:
    pass


@link_group.command("add", help="Define (or redefine) a link: where the national rows come from, the dataflow and "
                                "provider they feed, and the stored StructureMap that translates them. Passwords "
                                "are written as ${ENV_VAR}, never in clear.")
@click.argument("name")
@click.option("--provider", required=True, help="Data provider (country) id the figures are submitted for.")
@click.option("--dataflow", required=True, help="AGENCY:ID(VERSION), e.g. DSM:DF_STOCK_FOREIGNERS(1.0).")
@click.option("--kind", type=click.Choice(["sql", "csv", "excel", "sdmx-rest"]), required=True)
@click.option("--url", help="sql: SQLAlchemy URL, password as ${ENV_VAR}; sdmx-rest: the service's REST root, e.g. "
                            "https://stat.example.kz/rest (the same --dataflow is harvested there).")
@click.option("--api", type=click.Choice(["v1", "v2"]), help="sdmx-rest: SDMX 2.1 REST (v1, default) or 3.0 (v2).")
@click.option("--series", help="sdmx-rest: only these series, in the API's key syntax (v2: S.KZ.*.*).")
@click.option("--settle", type=click.FloatRange(0, 3600), help="sdmx-rest: seconds back from the service's clock a "
                                                               "harvest reads up to (default 5).")
@click.option("--token-env", help="sdmx-rest: name of the environment variable holding the service's token.")
@click.option("--query", help="sql: the SELECT giving one national row per figure.")
@click.option("--path", help="csv/excel: the file.")
@click.option("--sheet", help="excel: the sheet (default the first).")
@click.option("--delimiter", help="csv: ',' or ';' (default: guessed from the header line).")
@click.option("--encoding", help="csv: the file's encoding (default utf-8).")
@click.option("--map", "structure_map", help="URN of the stored StructureMap (national columns -> components).")
@click.option("--auto-release", is_flag=True, help="Release each run's submission at once (the country waives "
                                                   "verification for this link); otherwise it waits as pending.")
@click.option("--every", "interval", type=int, help="Run on its own every this many seconds (at least 60).")
@click.pass_obj
def link_add(obj, name: str, provider: str, dataflow: str, kind: str, url: str | None, api: str | None,
             series: str | None, settle: float | None, token_env: str | None, query: str | None,
             path: str | None, sheet: str | None, delimiter: str | None, encoding: str | None,
             structure_map: str | None, auto_release: bool, interval: int | None) -> None:
    from ..storage.audit_store import AuditStore
    from ..storage.database import begin_write
    from .definitions import add, link_json
    from .link_run import LinkError
    from ..sdmx.structure_maps import MapError
    from ..storage.link_store import LinkStore

    source = {k: v for k, v in (("url", url), ("query", query), ("path", path), ("sheet", sheet),
                                ("delimiter", delimiter), ("encoding", encoding), ("api", api), ("key", series),
                                ("token_env", token_env), ("settle", settle)) if v not in (None, "")}
    try:
        with obj.engine().connect() as conn, begin_write(conn):
            done = add(conn, name=name, provider=provider, dataflow=dataflow, kind=kind, source=source,
                       structure_map=structure_map, auto_release=auto_release, interval_seconds=interval,
                       created_by="cli")
            shown = link_json(LinkStore(conn).get(name))  # type: ignore[arg-type]
            AuditStore(conn).record("cli", f"link.{'create' if done == 'created' else 'update'}", name,
                                    country=provider, details={"source": shown["source"]})
    except (LinkError, MapError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"link {name} {done}: {shown['source']}")


@link_group.command("list", help="List the links: name, provider, dataflow, source (password masked), last run.")
@click.pass_obj
def link_list(obj) -> None:
    from ..storage.link_store import LinkStore
    from .definitions import link_json

    with obj.engine().connect() as conn:
        store = LinkStore(conn)
        for link in store.list():
            last = next(iter(store.runs(link.id, 1)), None)
            shown = link_json(link)["source"]
            where = shown.get("url") or shown.get("path") or ""
            state = f"{last.state} {last.started_at:%Y-%m-%d %H:%M}" if last else "never run"
            click.echo(f"{link.name}\t{link.provider_id}\t{link.dataflow_urn.rsplit('=', 1)[-1]}\t"
                       f"{link.source_kind} {where}\t{state}")


@link_group.command("show", help="Show a link (password masked) and its last runs as JSON.")
@click.argument("name")
@click.pass_obj
def link_show(obj, name: str) -> None:
    from ..storage.link_store import LinkStore
    from .definitions import link_json, run_json

    with obj.engine().connect() as conn:
        store = LinkStore(conn)
        link = store.get(name)
        if link is None:
            raise click.ClickException(f"there is no link {name!r} (sdmx-server link list)")
        out = link_json(link)
        out["runs"] = [run_json(r) for r in store.runs(link.id, 10)]
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))


@link_group.command("run", help="Run a link now: read the national rows, translate them through the maps and "
                                "submit them as the provider's submission (pending, or released with "
                                "--auto-release links). --dry-run prints the SDMX-CSV it would submit and every "
                                "problem with its source row, storing nothing but the run's record.")
@click.argument("name")
@click.option("--dry-run", is_flag=True)
@click.pass_obj
def link_run_command(obj, name: str, dry_run: bool) -> None:
    from ..submission.workflow import IngestOptions
    from .link_run import LinkError, run
    from .sources import limits_from

    try:
        outcome = run(obj.engine(), name, options=IngestOptions.from_config(obj.cfg), limits=limits_from(obj.cfg),
                      dry_run=dry_run, trigger="cli", out=sys.stdout if dry_run else None)
    except LinkError as e:
        raise click.ClickException(str(e)) from None
    for p in outcome.problems:
        click.echo(p.line(), err=True)
    if outcome.problem_count > len(outcome.problems):
        click.echo(f"... and {outcome.problem_count - len(outcome.problems)} more", err=True)
    summary = (f"run {outcome.run_id} {outcome.state}{' (dry run)' if dry_run else ''}: {outcome.rows_read} rows "
               f"read, {outcome.figures} figures" + (f", submission {outcome.submission_id} "
                                                     f"{outcome.submission_state}" if outcome.submission_id else ""))
    click.echo(summary, err=True)
    if outcome.state != "succeeded":
        raise SystemExit(1)


@link_group.command("run-due", help="Run every link whose interval has come (what each server process does with "
                                    "its release checks; for a timer where no server runs). Exactly once across "
                                    "processes.")
@click.pass_obj
def link_run_due(obj) -> None:
    from ..submission.workflow import IngestOptions
    from .schedule import run_due
    from .sources import limits_from

    outcomes = run_due(obj.engine(), IngestOptions.from_config(obj.cfg), limits_from(obj.cfg))
    click.echo(f"ran {len(outcomes)} link(s)" + "".join(f"\n  run {o.run_id}: {o.state}" for o in outcomes))
