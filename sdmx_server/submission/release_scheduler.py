"""Embargoed releases happen on time with nobody present: each server process checks every few seconds.

Several processes (gunicorn workers) may check at once; workflow.release_due lets exactly one of
them release each submission. Where no server runs, `sdmx-server release-due` from a timer does it.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from ..periodic import Periodic, every
from .workflow import IngestOptions, release_due

log = logging.getLogger(__name__)


def start(engine: Engine, options: IngestOptions, interval: float) -> Periodic:
    """Start the daemon thread that checks every `interval` seconds."""
    def check() -> None:
        released = release_due(engine.connect, options)
        if released:
            log.info("released embargoed submissions %s", released)

    return every(interval, check, "embargoed-releases", "the check for embargoed releases")
