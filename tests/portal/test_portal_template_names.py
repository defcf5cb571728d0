"""A page's variables can never hide those every page has (issue 19, item 1: the revisions page once printed a
Python repr of internal rows, user names included, because its list was named like the flash notices)."""

from __future__ import annotations

import pytest
from flask import render_template

from sdmx_server.web_portal.template_names import ReservedTemplateName

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# what base.html and the macros read, and what Flask and Jinja give every template
RESERVED = ["site", "page_lang", "current_user", "role_label", "admin_nav", "admin_menu", "submission_menu",
            "state_label", "figure", "request", "session", "g", "config", "url_for", "_", "gettext"]


@pytest.mark.parametrize("name", RESERVED)
def test_a_view_naming_a_variable_every_page_has_is_refused(app, name: str):
    with app.test_request_context("/en/revisions/"):
        app.preprocess_request()
        with pytest.raises(ReservedTemplateName, match=name):
            render_template("portal/error.html", code=404, message="m", **{name: ["shadow"]})


def test_the_frame_s_variables_are_out_of_a_page_s_reach(app):
    """``notices`` (the old name of the flash notices) is now a page's own name: the frame's sit in ``site``."""
    with app.test_request_context("/en/revisions/"):
        app.preprocess_request()
        html = render_template("portal/error.html", code=404, message="all well", notices=["SubmissionRow(id=1)"],
                               languages=None, here="x", sign_out_form=None)
    assert "all well" in html
    assert "SubmissionRow" not in html
    assert 'hreflang="ru"' in html  # the language links still come from the frame


def test_the_revisions_page_shows_notices_not_a_repr(client, world):
    for lang in ("en", "ru"):
        html = client.get(f"/{lang}/revisions/").get_data(as_text=True)
        assert "RevisionNotice(" not in html and "SubmissionRow(" not in html
