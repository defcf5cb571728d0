"""Fixtures of the portal tests: an app over the seeded structures and a few users, and form helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from ..access_world import PASSWORD, build_world
from ..live_server import ROOT, cli, gunicorn

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def world(app, engine) -> dict[str, int]:
    """The seeded DSM structures and the users of tests/access_world.py (password PASSWORD)."""
    return build_world(engine, app.extensions["sdmx_policy"])


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD, lang: str = "en", next_: str = ""):
    """Fill in and send the sign-in form as a browser would (CSRF token from the form page)."""
    page = client.get(f"/{lang}/sign-in")
    return client.post(f"/{lang}/sign-in", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                 "username": username, "password": password, "next": next_})


CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by scripts/setup; never a downloaded browser
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTEFACTS = ROOT / "var" / "test-artefacts" / "portal"
DEMO_PASSWORD = "demo-password"  # of every demo account `sdmx-server init` creates (README)


@pytest.fixture
def live_portal(database_url):
    """The README's demo (`sdmx-server init`) under a live gunicorn; its base URL."""
    done = cli(database_url, "init")  # the seeded structures and the demo accounts of the README
    assert done.returncode == 0, done.stderr + done.stdout
    with gunicorn(database_url) as base:
        yield base


@pytest.fixture
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/setup test installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
