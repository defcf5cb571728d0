"""Headers every answer of the server carries, portal page or API answer alike (docs/security.md).

Whatever a response holds, a browser must not guess another type for it (nosniff), frame it, or run anything
in it that this server did not write: portal pages load only the portal's own style sheet and images (they need
no JavaScript), and an API answer (SDMX, JSON, CSV, a stored submission) may load nothing at all, so even a body
a browser were tricked into rendering could run no script.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

#: Portal pages: their own style sheet and images (charts are inline SVG, some images data: URLs), forms
#: posting to this site only; no script, plugin, frame or <base> rewriting.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
#: Everything else: nothing may load or run, nobody may frame it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def add_security_headers(resp: Response) -> Response:
    """Registered on the app (app.py) after every request; a view may set a stricter header of its own."""
    headers = resp.headers
    headers.setdefault("Content-Security-Policy", PAGE_POLICY if resp.mimetype in HTML_TYPES else API_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    return resp
