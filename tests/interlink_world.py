"""A "national" server for interlinking tests: a live gunicorn on its own SQLite database, initialised with the
demo (accounts, KZ's released stock of foreigners), and helpers to release figures there."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import requests

from .live_server import cli, gunicorn

FLOW = "DSM:DF_STOCK_FOREIGNERS(1.0)"
SUBMIT = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"


def csv(values: dict[str, str], area: str = "KZ") -> bytes:
    rows = [HEAD]
    for key, value in values.items():
        citizenship, sex, period = key.split(".")
        rows.append(f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{area},{citizenship},{sex},{period},{value},PS,A")
    return "\n".join(rows).encode()


def token(base: str, user: str) -> str:
    auth = "Basic " + base64.b64encode(f"{user}:demo-password".encode()).decode()
    r = requests.post(base + "/api/tokens", json={"days": 1}, headers={"Authorization": auth}, timeout=30)
    assert r.status_code == 201, r.text[:300]
    return r.json()["token"]


@dataclass
class National:
    base: str  # the server's root; its REST API is base + "/rest"
    viewer: str  # kz_viewer's token: what the regional server harvests with
    admin: str  # the system administrator's token: releases at once

    @property
    def rest(self) -> str:
        return self.base + "/rest"

    def release(self, values: dict[str, str]) -> dict:
        """Release KZ figures at once (the administrator may do every step)."""
        r = requests.post(f"{self.base}{SUBMIT}?release=now&provider=KZ", data=csv(values),
                          headers={"Authorization": f"Bearer {self.admin}", "Content-Type": "text/csv",
                                   "Accept": "application/json"}, timeout=60)
        assert r.status_code in (200, 201), r.text[:800]
        return r.json()

    def delete(self, key: str) -> dict:
        r = requests.delete(f"{self.base}{SUBMIT}/{key}?provider=KZ",
                            headers={"Authorization": f"Bearer {self.admin}", "Accept": "application/json"}, timeout=60)
        assert r.status_code == 200, r.text[:800]
        return r.json()


def start_national(tmp_dir):
    """Context manager yielding a National on a fresh database in ``tmp_dir``."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        url = f"sqlite:///{tmp_dir / 'national.sqlite'}"
        done = cli(url, "init")
        assert done.returncode == 0, done.stderr + done.stdout
        with gunicorn(url, 1, release_check_seconds=0) as base:
            yield National(base, token(base, "kz_viewer"), token(base, "admin"))

    return run()
