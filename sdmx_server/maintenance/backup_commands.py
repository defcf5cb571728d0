"""`sdmx-server backup`, `restore`, `export` and `import`: thin commands over maintenance/backup.py and
maintenance/export.py."""

from __future__ import annotations

from pathlib import Path

import click

from .backup import BackupError, Manifest, backup, restore


@click.command("backup", help="Copy the whole database into the new folder DEST in one snapshot, while the server "
                              "runs (SQLite: the online backup API; PostgreSQL: pg_dump), with the documents "
                              "library's files that snapshot names and a manifest of the schema revision, server "
                              "version, recovery point and checksums (docs/operations.md).")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def backup_command(obj, dest: Path) -> None:
    def report(m: Manifest) -> None:
        click.echo(f"snapshot taken at {m.snapshot_at} (schema {m.schema_revision}); copying")

    try:
        m = backup(obj.cfg.resolved_database_url, dest, document_dir=_document_dir(obj), on_snapshot=report)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"backup of {m.engine} written to {dest}: {m.bytes} bytes, sha256 {m.sha256}; "
               f"{len(m.documents)} document files")


@click.command("restore", help="Restore a backup folder made by `sdmx-server backup` into the configured database "
                               "(which must be empty unless --replace; stop the server first) and its document files "
                               "into document_dir, then upgrade an older schema. A damaged backup or one of a newer "
                               "schema is refused and nothing is written.")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds tables, and document files "
                                             "of the same names with other contents.")
@click.pass_obj
def restore_command(obj, src: Path, replace: bool) -> None:
    try:
        m = restore(src, obj.cfg.resolved_database_url, document_dir=_document_dir(obj), replace=replace)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"restored the {m.engine} backup of {m.snapshot_at} (schema {m.schema_revision}, server "
               f"{m.server_version}) and {len(m.documents)} document files; schema now current")


@click.command("export", help="Write everything the server keeps into the new folder DIR in open formats, in one "
                              "snapshot: every table as JSON lines (figures with their history, users, roles, grants, "
                              "submissions, audit records), the documents library's files, the artefacts as "
                              "SDMX-ML 3.0, the settings as JSON (secrets left out). --provider writes one country's "
                              "own data and documents only.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--provider", help="Data provider id (e.g. KZ): only that country's own data, users and records.")
@click.pass_obj
def export_command(obj, directory: Path, provider: str | None) -> None:
    from .export import export

    try:
        m = export(obj.engine(), directory, obj.cfg, provider=provider, document_dir=_document_dir(obj))
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    rows = sum(m["tables"].values())
    click.echo(f"exported {rows} rows of {len(m['tables'])} tables" + (f" of provider {provider}" if provider else "")
               + f" and {len(m['documents'])} document files (schema {m['schema_revision']}) to {directory}")


@click.command("import", help="Load a folder written by `sdmx-server export` into the configured database, which "
                              "must hold no rows (SQLite to PostgreSQL or back), and its document files into "
                              "document_dir; an older export is migrated.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def import_command(obj, directory: Path) -> None:
    from .export import import_

    try:
        # an empty database, as it should be: import makes the schema itself (obj.engine() wants one)
        m = import_(obj.any_engine(), directory, document_dir=_document_dir(obj))
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"imported {sum(m['tables'].values())} rows of {len(m['tables'])} tables and "
               f"{len(m.get('documents', {}))} document files exported at {m['exported_at']}; schema now current")


def _document_dir(obj) -> Path:
    """The configured documents library folder (relative paths under the project root)."""
    return obj.cfg.path(obj.cfg.document_dir)
