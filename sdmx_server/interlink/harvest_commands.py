"""`sdmx-server harvest`, `mirror` and `send-webhooks`: the machine-to-machine commands of issue 20 (registered
by cli.py). Tokens for the remote service are read from an environment variable named on the command line, never
from the command line itself (which `ps` shows to everyone)."""

from __future__ import annotations

import json
import os

import click


def _token(token_env: str | None) -> str | None:
    if not token_env:
        return None
    value = os.environ.get(token_env)
    if not value:
        raise click.BadParameter(f"the environment variable {token_env} is not set", param_hint="--token-env")
    return value


@click.command("harvest", help="Harvest what changed in a dataflow of a national SDMX REST service since the last "
                               "harvest of source NAME, and submit it as a (pending) submission of --provider.")
@click.argument("name")
@click.option("--url", required=True, help="The service's REST root, e.g. https://stat.example.kz/rest")
@click.option("--flow", required=True, help="Dataflow as AGENCY:ID(VERSION), e.g. DSM:DF_STOCK_FOREIGNERS(1.0).")
@click.option("--provider", required=True, help="The data provider the figures are submitted for.")
@click.option("--api", type=click.Choice(["v1", "v2"]), default="v1", show_default=True,
              help="SDMX 2.1 REST (v1) or SDMX 3.0 REST (v2).")
@click.option("--key", help="Only these series, in the API's key syntax (v1 S.KZ.., v2 S.KZ.*.*).")
@click.option("--page-size", type=click.IntRange(1, 10_000_000), help="Observations a page (v2 offset/limit).")
@click.option("--settle", "settle_seconds", type=click.FloatRange(0, 3600), default=5.0, show_default=True,
              help="Seconds back from the service's clock that a harvest reads up to (releases still committing).")
@click.option("--token-env", help="Name of the environment variable holding the service's Bearer token.")
@click.option("--release", is_flag=True, help="Release at once instead of leaving the submission pending.")
@click.pass_obj
def harvest_command(obj, name: str, url: str, flow: str, provider: str, api: str, key: str | None,
                    page_size: int | None, settle_seconds: float, token_env: str | None, release: bool) -> None:
    from ..submission.workflow import IngestOptions
    from .harvest import HarvestError, harvest_into

    try:
        result = harvest_into(obj.engine(), name, url, flow, provider, api=api, key=key, page_size=page_size,
                              token=_token(token_env), settle_seconds=settle_seconds,
                              options=IngestOptions.from_config(obj.cfg), release=release)
    except HarvestError as e:
        raise click.ClickException(str(e)) from None
    click.echo(json.dumps(result.as_json(), indent=2))


@click.command("mirror", help="Mirror what you may see of a dataflow of an SDMX REST service (v2) into a folder: "
                              "its current figures as SDMX-CSV 2.0, kept up to date with updatedAfter, deletions "
                              "included (docs/interlinking-mirror.md). Run it from a timer.")
@click.option("--url", required=True, help="The service's REST root, e.g. https://dsm.example.org/rest")
@click.option("--flow", required=True, help="Dataflow as AGENCY:ID(VERSION).")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, exists=True),
              help="The folder of the mirror (its table and its state file).")
@click.option("--key", help="Only these series (v2 key syntax, e.g. S.*.KZ.*).")
@click.option("--settle", "settle_seconds", type=click.FloatRange(0, 3600), default=5.0, show_default=True,
              help="Seconds back from the service's clock that a run reads up to.")
@click.option("--token-env", help="Name of the environment variable holding the service's Bearer token.")
def mirror_command(url: str, flow: str, directory: str, key: str | None, settle_seconds: float,
                   token_env: str | None) -> None:
    from pathlib import Path

    from .mirror import MirrorError, mirror_once

    try:
        result = mirror_once(url, flow, Path(directory), token=_token(token_env), key=key,
                             settle_seconds=settle_seconds)
    except MirrorError as e:
        raise click.ClickException(str(e)) from None
    click.echo(json.dumps(result.as_json(), indent=2))


@click.command("send-webhooks", help="Send the subscribers' webhook deliveries that are due (what each server "
                                     "process does every webhook_check_seconds; for a timer where none runs).")
@click.pass_obj
def send_webhooks_command(obj) -> None:
    from ..notification.webhook_sender import SenderOptions, send_due

    counts = send_due(obj.engine(), obj.policy(), obj.cfg, SenderOptions.from_config(obj.cfg))
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()))
