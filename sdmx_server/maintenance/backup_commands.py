"""`sdmx-server backup` and `restore`: thin commands over maintenance/backup.py."""

from __future__ import annotations

from pathlib import Path

import click

from .backup import BackupError, Manifest, backup, restore


@click.command("backup", help="Copy the whole database into the new folder DEST in one snapshot, while the server "
                              "runs (SQLite: the online backup API; PostgreSQL: pg_dump), with a manifest of the "
                              "schema revision, server version, recovery point and checksum (docs/operations.md).")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def backup_command(obj, dest: Path) -> None:
    def report(m: Manifest) -> None:
        click.echo(f"snapshot taken at {m.snapshot_at} (schema {m.schema_revision}); copying")

    try:
        m = backup(obj.cfg.resolved_database_url, dest, on_snapshot=report)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"backup of {m.engine} written to {dest}: {m.bytes} bytes, sha256 {m.sha256}")


@click.command("restore", help="Restore a backup folder made by `sdmx-server backup` into the configured database "
                               "(which must be empty unless --replace; stop the server first), then upgrade an "
                               "older schema. A backup of a newer schema is refused and nothing is written.")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds tables.")
@click.pass_obj
def restore_command(obj, src: Path, replace: bool) -> None:
    try:
        m = restore(src, obj.cfg.resolved_database_url, replace=replace)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"restored the {m.engine} backup of {m.snapshot_at} (schema {m.schema_revision}, server "
               f"{m.server_version}); schema now current")
