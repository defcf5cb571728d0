"""gunicorn settings module (``--config python:sdmx_server.monitoring.gunicorn_hooks``): Prometheus's
multiprocess mode for the worker processes.

Each worker counts into memory-mapped files of one folder that any worker's /metrics adds up. The master makes
a fresh folder before it starts workers (they inherit PROMETHEUS_MULTIPROC_DIR, read by prometheus_client when
first imported, which happens in the workers only), forgets a dead worker's live gauges, and removes the folder
when it stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile

ENV = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    if not os.environ.get(ENV):
        os.environ[ENV] = tempfile.mkdtemp(prefix="sdmx-server-metrics-")
        server._sdmx_metrics_dir = os.environ[ENV]  # made here: removed in on_exit
    else:  # an operator's folder: start from nothing, as counters of old processes would add up otherwise
        os.makedirs(os.environ[ENV], exist_ok=True)
        for name in os.listdir(os.environ[ENV]):
            if name.endswith(".db"):
                os.unlink(os.path.join(os.environ[ENV], name))


def child_exit(server, worker) -> None:  # noqa: ANN001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # noqa: ANN001
    made = getattr(server, "_sdmx_metrics_dir", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
