"""The `sdmx-server` command line."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from .identity.policy import load_policy
from .settings import ENV_PREFIX, Config, load_config, secret_key_problem
from .storage.database import make_engine, schema_revision, upgrade_schema


def _one_line(e: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link and statement."""
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return text[0] if text else type(e).__name__


class Context:
    def __init__(self, config_file: str | None):
        self.config_file = config_file
        self._cfg: Config | None = None

    @property
    def cfg(self) -> Config:
        if self._cfg is None:
            self._cfg = load_config(self.config_file)
        return self._cfg

    def engine(self):
        """The engine of a command that needs the schema: an uninitialised (or older) database is one clear
        line and a non-zero status, never a missing-table traceback."""
        url = self.cfg.resolved_database_url
        where = self.database_name()
        path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
        if path and path != ":memory:" and not Path(path).exists():  # connecting would create an empty file
            raise click.ClickException(f"the database {where} does not exist: run `sdmx-server init` first")
        engine = self.any_engine()
        current, head = schema_revision(engine)
        if current is None:
            raise click.ClickException(f"the database {where} is not initialised: run `sdmx-server init` first")
        if current != head:
            raise click.ClickException(f"the database {where} has schema {current}, this version needs {head}: "
                                       "run `sdmx-server init` to upgrade it")
        return engine

    def any_engine(self):
        """The engine of ``init`` and ``load``, which create or upgrade the schema themselves."""
        return make_engine(self.cfg.resolved_database_url)

    def database_name(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.cfg.resolved_database_url).render_as_string(hide_password=True)

    def policy(self):
        return load_policy(self.cfg.path(self.cfg.auth_policy))


class Commands(click.Group):
    """Every subcommand's database failure (none reachable, a locked file, a missing table) as one line."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return super().invoke(ctx)
        except SQLAlchemyError as e:
            raise click.ClickException(f"database error: {_one_line(e)}") from None


@click.group(cls=Commands, help="SDMX exchange server of the regional migration Data Sharing Mechanism.\n\n"
                  "Settings come from conf/defaults.toml, the --config file (or SDMX_SERVER_CONFIG) "
                  "and SDMX_SERVER_<NAME> environment variables, e.g. SDMX_SERVER_DATABASE_URL.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="TOML file of settings (see conf/defaults.toml for every setting).")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    ctx.obj = Context(config_file)


@main.command(help="Create or upgrade the database schema, load the seed artefacts and create the "
                   "demo accounts. Running it again changes nothing.")
@click.pass_obj
def init(obj: Context) -> None:
    from .seeding import LoadError, create_demo_accounts, create_demo_figures, load_structures, read_files, seed_files

    engine = obj.any_engine()
    upgrade_schema(engine)
    files = seed_files(obj.cfg)
    try:
        results = load_structures(engine, read_files(files)) if files else []
    except LoadError as e:
        raise click.ClickException(f"seed artefacts not loaded: {e}") from None
    counts = Counter(r.message.rsplit(" ", 1)[-1] for r in results)
    click.echo(f"schema ready; {len(files)} seed files: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if obj.cfg.demo_accounts:
        created = create_demo_accounts(engine, obj.policy())
        click.echo(f"demo accounts: {len(created)} created" + (" (see README for the list)" if created else ""))
        if any(acc.username == "admin" for acc in created):
            create_demo_figures(engine)
            click.echo("demo figures: stock of foreigners of KZ, KG and MD released, one KZ submission pending; "
                       "asylum applications of MD released (public)")
            from .metadata.demo import create_demo_documentation
            from .metadata.structure import definitions
            with engine.connect() as conn:
                flows = definitions(conn)
            n = create_demo_documentation(engine, flows)
            click.echo(f"demo documentation: {n} metadata sets on the stock of foreigners released")
    from .content.search_entries import rebuild

    with engine.begin() as conn:
        counts = rebuild(conn)
    click.echo("search index: " + ", ".join(f"{n} {k}" for k, n in counts.items()))


@main.command(help="Load SDMX-ML 2.1 or 3.0 (or SDMX-JSON 2.0) structure messages into the database.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def load(obj: Context, files: tuple[str, ...]) -> None:
    from .sdmx.errors import SdmxError
    from .seeding import LoadError, load_structures, read_files

    engine = obj.any_engine()
    upgrade_schema(engine)
    try:
        results = load_structures(engine, read_files([Path(f) for f in files]))
    except SdmxError as e:
        raise click.ClickException(str(e)) from None
    except LoadError as e:
        raise click.ClickException(f"nothing loaded: {e}") from None
    for r in results:
        click.echo(r.message)


@main.command(help="Submit a data message (SDMX-ML, SDMX-CSV, SDMX-JSON or Excel) for a dataflow, as an operator "
                   "(released at once, outside the workflow): "
                   "validated and stored all or nothing; prints the receipt, or every error.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataflow", required=True, help="Dataflow as AGENCY:ID(VERSION) or AGENCY:ID (latest version).")
@click.option("--provider", help="Data provider id, when the message does not name one.")
@click.option("--replace", is_flag=True, help="Replace whole series (as PUT does) instead of adding or updating.")
@click.pass_obj
def submit(obj: Context, file: str, dataflow: str, provider: str | None, replace: bool) -> None:
    import json
    import re

    from .sdmx.errors import InvalidData, SdmxError
    from .storage.artefact_store import ArtefactStore
    from .storage.database import begin_write
    from .submission.intake import dataflow_context, ingest
    from .submission.validation import describe

    m = re.fullmatch(r"([A-Za-z][\w.-]*):([\w@$-]+)(?:\(([^)]+)\))?", dataflow)
    if not m:
        raise click.BadParameter("write the dataflow as AGENCY:ID(VERSION), e.g. DSM:DF_ASYLUM_APPLICATIONS(1.0)",
                                 param_hint="--dataflow")
    engine = obj.engine()
    try:
        with engine.connect() as conn, open(file, "rb") as stream:
            ctx = dataflow_context(ArtefactStore(conn), m[1], m[2], m[3] or "~")
            conn.rollback()
            with begin_write(conn):
                receipt = ingest(conn, stream, ctx, provider=provider, replace=replace, submitted_by="cli",
                                 max_errors=obj.cfg.max_errors,
                                 require_series_attributes=obj.cfg.require_series_attributes)
    except InvalidData as e:
        click.echo(str(e), err=True)
        for d in e.details:
            click.echo("  " + describe(d), err=True)
        if e.count > len(e.details):
            click.echo(f"  ... and {e.count - len(e.details)} more", err=True)
        raise SystemExit(1) from None
    except SdmxError as e:
        raise click.ClickException(str(e)) from None
    click.echo(json.dumps(receipt.as_json(), indent=2))


@main.command("release-due", help="Release every validated submission whose embargo time has come (what each "
                                    "server process does every release_check_seconds; for a timer where none runs).")
@click.pass_obj
def release_due_command(obj: Context) -> None:
    from .submission.workflow import IngestOptions, release_due

    released = release_due(obj.engine().connect, IngestOptions.from_config(obj.cfg))
    click.echo(f"released {len(released)} submission(s)" + (f": {', '.join(map(str, released))}" if released else ""))


@main.command("search-reindex", help="Make the search index again from the structures, documents (their kept text), "
                                     "news and events and country pages; every change keeps it up to date, so this "
                                     "is for an upgrade or a restore.")
@click.pass_obj
def search_reindex(obj: Context) -> None:
    from .content.search_entries import rebuild

    with obj.engine().begin() as conn:
        counts = rebuild(conn)
    click.echo("search index rebuilt: " + ", ".join(f"{n} {k}" for k, n in counts.items()))


@main.command(help="Run the server with gunicorn (or Flask's development server with --dev); request heads are "
                   "read off the worker threads, so slow or idle clients cannot hold them (sdmx_server/serving.py).")
@click.option("--host", help="Address to bind (default: setting host).")
@click.option("--port", type=int, help="Port to bind (default: setting port).")
@click.option("--workers", type=int, help="gunicorn worker processes (default: setting workers).")
@click.option("--dev", is_flag=True, help="Development mode: Flask's reloading server and debugger.")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    cfg = obj.cfg
    problem = None if dev else secret_key_problem(cfg)
    if problem:  # here, in one line, rather than as every worker's failure to boot
        raise click.ClickException(problem)
    obj.engine().dispose()  # an uninitialised database is said here, not by every request's 500
    host, port, workers = host or cfg.host, port or cfg.port, workers or cfg.workers
    if obj.config_file:
        os.environ[ENV_PREFIX + "CONFIG"] = str(Path(obj.config_file).resolve())
    if dev:
        os.environ[ENV_PREFIX + "DEBUG"] = "true"
        from .app import create_app

        create_app().run(host=host, port=port, debug=True)
        return
    from .serving import gunicorn_args

    access_log = ["--access-logfile", "-"] if cfg.log_format == "text" else []  # json: the app logs each request
    args = [sys.executable, "-m", "gunicorn", *gunicorn_args(cfg, host, port, workers), *access_log,
            "sdmx_server.app:create_app()"]
    os.execv(sys.executable, args)


@main.group(help="Manage user accounts.")
def user() -> None:
    pass


@user.command("add", help="Create a user. Roles are those declared in auth/policy.toml.")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role to give (repeatable).")
@click.option("--country", help="Data provider id of the user's country (not for system administrators).")
@click.option("--indicator", "indicators", multiple=True,
              help="Dataflow URN the per-indicator privileges are limited to (repeatable; default every indicator).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.password_option(help="Password (asked for when not given).")
@click.pass_obj
def user_add(obj: Context, username: str, roles: tuple[str, ...], country: str | None,
             indicators: tuple[str, ...], display_name: str, password: str) -> None:
    from .storage.audit_store import AuditStore
    from .storage.user_store import UserError, UserStore

    engine = obj.engine()
    try:
        with engine.begin() as conn:
            UserStore(conn, obj.policy()).add(username, password, roles=list(roles), country=country,
                                              display_name=display_name, indicators=list(indicators))
            AuditStore(conn).record("cli", "user.create", username, country=country,
                                    details={"roles": [[r, d] for r in roles for d in indicators or [""]],
                                             "displayName": display_name})
    except UserError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"user {username} created")


@user.command("list", help="List users with their country and roles.")
@click.pass_obj
def user_list(obj: Context) -> None:
    from .storage.user_store import UserStore

    with obj.engine().connect() as conn:
        for u in UserStore(conn, obj.policy()).list():
            roles = ", ".join(r + (f"[{d}]" if d else "") for r, d in u.roles)
            click.echo(f"{u.username}\t{u.country or '-'}\t{'active' if u.is_active else 'inactive'}\t{roles}")


@main.group(help="Manage API tokens.")
def token() -> None:
    pass


@token.command("create", help="Print a new bearer token for a user (shown once; only its hash is stored).")
@click.argument("username")
@click.option("--days", type=int, help="Days until it expires (default: setting token_days).")
@click.option("--label", default="", help="What the token is for.")
@click.pass_obj
def token_create(obj: Context, username: str, days: int | None, label: str) -> None:
    from .storage.audit_store import AuditStore
    from .storage.user_store import UserError, UserStore

    try:
        with obj.engine().begin() as conn:
            users = UserStore(conn, obj.policy())
            found = users.get(username)
            if found is None:
                raise UserError(f"no user {username!r}")
            tok, row = users.issue_token(found.id, days=days or obj.cfg.token_days, label=label)
            AuditStore(conn).record("cli", "token.create", f"{username}#{row.id}", country=found.country,
                                    details={"label": label, "expires": row.expires_at.isoformat()})
    except UserError as e:
        raise click.ClickException(str(e)) from None
    click.echo(tok)


@token.command("list", help="List a user's tokens (never their values): id, state, expiry, label.")
@click.argument("username")
@click.pass_obj
def token_list(obj: Context, username: str) -> None:
    from .storage.artefact_store import utcnow
    from .storage.user_store import UserStore

    with obj.engine().connect() as conn:
        users = UserStore(conn, obj.policy())
        found = users.get(username)
        if found is None:
            raise click.ClickException(f"no user {username!r}")
        now = utcnow()
        for t in users.tokens(found.id):
            state = "revoked" if t.revoked_at else "valid" if t.is_valid(now) else "expired"
            click.echo(f"{t.id}\t{state}\t{t.expires_at:%Y-%m-%d %H:%M}\t{t.label}")


@token.command("revoke", help="Revoke one of a user's tokens by its id (see `token list`).")
@click.argument("username")
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(obj: Context, username: str, token_id: int) -> None:
    from .storage.audit_store import AuditStore
    from .storage.user_store import UserStore

    with obj.engine().begin() as conn:
        users = UserStore(conn, obj.policy())
        found = users.get(username)
        if found is None or not users.revoke_token_id(found.id, token_id):
            raise click.ClickException(f"{username!r} has no unrevoked token {token_id}")
        AuditStore(conn).record("cli", "token.revoke", f"{username}#{token_id}", country=found.country)
    click.echo(f"token {token_id} of {username} revoked")


from .maintenance.backup_commands import (backup_command, export_command, import_command,  # noqa: E402
                                          restore_command)

for _command in (backup_command, restore_command, export_command, import_command):  # docs/operations.md
    main.add_command(_command)

from .interlink.link_commands import link_group  # noqa: E402

main.add_command(link_group)  # docs/interlinking.md
from .interlink.harvest_commands import harvest_command, mirror_command, send_webhooks_command  # noqa: E402

for _command in (harvest_command, mirror_command, send_webhooks_command):  # issue 20: docs/interlinking.md
    main.add_command(_command)


if __name__ == "__main__":
    main()
