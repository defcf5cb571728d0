"""`sdmx-server mirror`: a national database's copy of what it may see of a dataflow on the regional server,
over real HTTP against a live server: the first run copies everything visible, a quiet server answers 304, and
a revision and a deletion reach the copy as exactly those changes."""

from __future__ import annotations

import csv
import io
import json
import socket
import time

import pytest
import requests

from .interlink_world import FLOW, start_national
from .live_server import cli

pytestmark = pytest.mark.storage
DATA = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/*"


@pytest.fixture(scope="module")
def regional(tmp_path_factory):
    """The server mirrored (the "national" helper's server plays the regional one here)."""
    with start_national(tmp_path_factory.mktemp("regional")) as server:
        yield server


def visible(server) -> dict[str, str]:
    """OBS_KEY -> OBS_VALUE of what kz_viewer sees now, asked directly."""
    r = requests.get(server.base + DATA, headers={"Authorization": f"Bearer {server.viewer}",
                                                  "Accept": "application/vnd.sdmx.data+csv;version=2.0.0;keys=obs"},
                     timeout=30)
    assert r.status_code == 200, r.text[:300]
    return {row["OBS_KEY"]: row["OBS_VALUE"] for row in csv.DictReader(io.StringIO(r.text))}


def mirrored(folder) -> dict[str, str]:
    with open(folder / "DSM_DF_STOCK_FOREIGNERS_1.0.csv", newline="", encoding="utf-8") as f:
        return {row["OBS_KEY"]: row["OBS_VALUE"] for row in csv.DictReader(f)}


def test_mirror_copies_what_it_may_see_and_follows_revisions_and_deletions(regional, tmp_path, monkeypatch):
    monkeypatch.setenv("KZ_TOKEN", regional.viewer)

    def run() -> dict:
        done = cli("sqlite:///unused.sqlite", "mirror", "--url", regional.rest, "--flow", FLOW, "--dir",
                   str(tmp_path), "--settle", "0", "--token-env", "KZ_TOKEN")
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)

    first = run()
    expected = visible(regional)
    assert first["outcome"] == "updated" and first["figures"] == len(expected) > 10
    assert mirrored(tmp_path) == expected
    assert any(".KG." in k for k in expected)  # what KG granted KZ's users travels too
    assert run()["outcome"] == "nothing-new"
    assert run()["outcome"] == "not-modified"  # the same question again: 304

    time.sleep(1.1)
    key = next(k for k in sorted(expected) if k.startswith("S.KZ."))
    _, _, citizenship, sex, period = key.split(".", 4) if key.count(".") == 4 else (None,) * 5
    regional.release({f"{citizenship}.{sex}.{period}": str(int(expected[key]) + 5)})
    regional.delete("S.KZ.CN.M")
    time.sleep(1.1)
    changed = run()
    now = visible(regional)
    assert mirrored(tmp_path) == now and now[key] == str(int(expected[key]) + 5)
    gone = {k for k in expected if k.startswith("S.KZ.CN.M.")}
    assert gone and not gone & set(now)
    assert changed["deleted"] == len(gone) and changed["replaced"] == 1, changed


def test_a_failing_service_leaves_the_mirror_as_it_was(regional, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = cli("sqlite:///unused.sqlite", "mirror", "--url", f"http://127.0.0.1:{port}/rest", "--flow", FLOW, "--dir",
               str(tmp_path))
    assert done.returncode != 0 and "unreachable" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []
