"""Every example of the README, run as written against a live gunicorn on the README's demo (issue 19, item 3:
a structure query answered 204, `submit` named a dataflow that does not exist, `data.csv` was never given).

The README's indented blocks are shell, run in order in one bash (a token made in one block is used in the
next), with the port replaced by the live server's and `.venv/bin/sdmx-server` by this checkout's CLI; `curl`
fails on any 4xx or 5xx answer and on an empty answer to a GET. Its Python block runs too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .live_server import ROOT, cli, gunicorn



README = ROOT / "README.md"
PORT = "http://127.0.0.1:8080"
# blocks that set the machine up or serve in the foreground, or wipe the demo database: the suite itself and
# the live server stand for them
NOT_RUN = ("scripts/start\n", "scripts/test\n", "rm -f var/sdmx-server.sqlite")

CURL = r"""
set -euo pipefail
sdmx_cli() { "$PYTHON" -m sdmx_server.cli "$@"; }
curl() {
  local body out="" get=1 args=()
  body=$(mktemp)
  while [ $# -gt 0 ]; do
    case "$1" in
      -o) out=$2; shift 2; continue ;;
      -X|-d|--data-binary) get=0 ;;
    esac
    args+=("$1"); shift
  done
  local code
  code=$(command curl -sS -o "$body" -w '%{http_code}' "${args[@]}")
  echo "curl ${args[*]: -1} -> $code" >&2
  if [ "$code" -ge 400 ]; then echo "FAILED: HTTP $code: $(head -c 600 "$body")" >&2; return 1; fi
  if [ "$get" = 1 ] && { [ "$code" = 204 ] || [ ! -s "$body" ]; }; then
    echo "FAILED: a GET answered $code with nothing" >&2; return 1
  fi
  if [ -n "$out" ]; then cp "$body" "$out"; else cat "$body"; echo; fi
}
"""


def blocks(text: str) -> tuple[list[str], list[str]]:
    """The README's indented code blocks (shell) and its ```python blocks."""
    shell, python, current = [], [], []
    in_fence, fence_lang, fenced = False, "", []
    previous_blank = True
    for line in text.splitlines():
        if line.startswith("```"):
            if in_fence:
                if fence_lang == "python":
                    python.append("\n".join(fenced) + "\n")
                in_fence, fenced = False, []
            else:
                in_fence, fence_lang = True, line[3:].strip()
            continue
        if in_fence:
            fenced.append(line)
            continue
        if line.startswith("    ") and (current or previous_blank):
            current.append(line[4:])
        elif current and not line.strip():
            current.append("")
        else:
            if current:
                shell.append("\n".join(current).strip() + "\n")
                current = []
        previous_blank = not line.strip()
    if current:
        shell.append("\n".join(current).strip() + "\n")
    return shell, python


def _for_this_server(block: str, base: str) -> str:
    return block.replace(PORT, base).replace(".venv/bin/sdmx-server", "sdmx_cli")


def test_the_readme_s_examples_are_found():
    shell, python = blocks(README.read_text(encoding="utf-8"))
    run = [b for b in shell if not b.startswith(NOT_RUN)]
    assert len(shell) - len(run) == len(NOT_RUN)  # each skipped block is one named above, no other
    assert sum(b.count("curl ") for b in run) >= 17 and len(python) == 1
    assert all("@data.csv" not in b and "DF_MIGR" not in b and "/+?" not in b for b in run)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_shell_example_of_the_readme_succeeds_against_a_live_server(database_url: str, tmp_path: Path):
    assert cli(database_url, "init").returncode == 0
    shell, python = blocks(README.read_text(encoding="utf-8"))
    (tmp_path / "docs").symlink_to(ROOT / "docs")  # the examples name docs/examples/...; their files land here
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=database_url, SDMX_SERVER_SECRET_KEY="test",
               PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    env.pop("SDMX_SERVER_CONFIG", None)
    with gunicorn(database_url) as base:
        script = CURL + "\n".join(_for_this_server(b, base) for b in shell if not b.startswith(NOT_RUN))
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
        assert "FAILED" not in done.stderr
        calls = re.findall(r"-> (\d{3})", done.stderr)
        assert len(calls) >= 17 and all(int(c) < 400 for c in calls), calls
        out = done.stdout
        # docs/examples/data.csv, by the API (pending) and by the operator's `submit` (released)
        assert re.search(r'"state": ?"pending", ?"submission": ?6\b', out)
        assert re.search(r'"submission": ?7,[^}]*"state": ?"released"', out, re.S)
        assert "kz_anna" in out
        assert "Кыргызстан" in out or "Молдова" in out or "Казахстан" in out  # the Russian structure query
        assert (tmp_path / "template.xlsx").stat().st_size > 5000
        for block in python:
            ran = subprocess.run([sys.executable, "-c", _for_this_server(block, base) + "\nprint(len(flows.dataflow))"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert ran.returncode == 0, ran.stderr[-3000:]
            assert int(ran.stdout.strip().splitlines()[-1]) >= 6
