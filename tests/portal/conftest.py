"""Fixtures of the portal tests: an app over the seeded structures and a few users, and form helpers."""

from __future__ import annotations

import re

import pytest

from ..access_world import PASSWORD, build_world

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
