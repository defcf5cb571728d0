"""Standard SDMX REST resources this server does not offer: 501, as doc/status.md asks ("all SDMX web services
should implement all the standard interfaces, even if their only function is to return this error")."""

from __future__ import annotations

from flask import Blueprint

from ..sdmx.errors import NotFound, NotImplementedQuery

bp = Blueprint("unimplemented", __name__)

# resource path prefix -> what it is, for the message
UNIMPLEMENTED = {
    "/rest/v2/registration": "registration queries (REST v2 /registration)",
    "/rest/v2/metadata": "reference metadata queries (REST v2 /metadata)",
    "/rest/metadata": "reference metadata queries (REST v1 /metadata)",
}


def _register(prefix: str, what: str) -> None:
    def view(rest: str = "") -> None:
        raise NotImplementedQuery(f"{what} are not implemented by this server")

    view.__name__ = "not_implemented_" + prefix.strip("/").replace("/", "_")
    bp.add_url_rule(prefix, view_func=view, methods=["GET", "HEAD"])
    bp.add_url_rule(prefix + "/<path:rest>", view_func=view, methods=["GET", "HEAD"])


for _prefix, _what in UNIMPLEMENTED.items():
    _register(_prefix, _what)


@bp.route("/rest/v2/<path:rest>", methods=["GET", "HEAD"])
def unknown_v2_resource(rest: str) -> None:
    """A path under /rest/v2/ naming no resource of the v2 API (not a v1 structure type called "v2")."""
    raise NotFound(f"REST v2 has no resource {rest.split('/')[0]!r}: it offers structure, data, schema, "
                   "availability, metadata and registration")
