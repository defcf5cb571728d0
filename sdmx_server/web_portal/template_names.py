"""The names a page's view may not give its template: those every page already has (context processors,
Jinja's globals). Flask lets a view's variable silently replace them; a view that named its list of revision
notices like the base template's flash notices once showed a Python repr of internal rows to every visitor.
Here such a name is an error the moment the page is rendered, in every test that renders it."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request


class ReservedTemplateName(RuntimeError):
    """A view passed its template a variable that would hide one every page relies on."""


def guard_template_context(app: Flask) -> None:
    """Replace ``app.update_template_context`` (what render_template calls to add the context processors'
    variables) by one that refuses a view's variable named like any of them or like a Jinja global."""

    def update_template_context(context: dict[str, Any]) -> None:
        given = set(context)
        injected: dict[str, Any] = {}
        scopes: list[str | None] = [None]
        if has_request_context():
            scopes += list(reversed(request.blueprints))
        for scope in scopes:
            for processor in app.template_context_processors.get(scope, ()):
                injected.update(app.ensure_sync(processor)())
        clash = given & (set(injected) | set(app.jinja_env.globals))
        if clash:
            raise ReservedTemplateName(
                f"a view passed its template {', '.join(sorted(clash))}, which every page already has: "
                "name the view's variable otherwise")
        for name, value in injected.items():
            context.setdefault(name, value)

    app.update_template_context = update_template_context  # type: ignore[method-assign]
