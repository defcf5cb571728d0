"""Schema queries (data validity, doc/schema.md), REST v1 and v2: thin views over schema_retrieval."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..retrieval.schema_retrieval import communication_artefacts, parse_schema_query, retrieve_schema
from ..sdmx.errors import BadInput
from ..sdmx.media_types import Api
from .structure_views import structure_answer, write_structures

bp = Blueprint("schemas", __name__)


def _register(prefix: str, api: Api) -> None:
    def view(context: str, agency_id: str, resource_id: str, version: str | None = None) -> Response:
        return schema_query(api, context, agency_id, resource_id, version)

    def incomplete(**_parts: str) -> Response:
        raise BadInput("a schema query names a context, an agencyID and a resourceID: "
                       f"{prefix}/{{context}}/{{agencyID}}/{{resourceID}}/{{version}}")

    view.__name__ = f"schema_query_{api}"
    incomplete.__name__ = f"schema_query_incomplete_{api}"
    rule = prefix + "/<context>/<agency_id>/<resource_id>"
    for path in (rule, rule + "/<version>"):
        bp.add_url_rule(path, view_func=view, methods=["GET", "HEAD"], strict_slashes=False)
    for path in (prefix, prefix + "/<context>", prefix + "/<context>/<agency_id>"):
        bp.add_url_rule(path, view_func=incomplete, methods=["GET", "HEAD"], strict_slashes=False)


_register("/rest/schema", "v1")
_register("/rest/v2/schema", "v2")


def schema_query(api: Api, context: str, agency_id: str, resource_id: str, version: str | None) -> Response:
    query = parse_schema_query(api, context, agency_id, resource_id, version, request.args)
    answer = structure_answer(api, "schema")
    if isinstance(answer, Response):
        return answer
    result = retrieve_schema(query, answer.store)
    if answer.media.variant == "communication":
        body = write_structures(answer.media, communication_artefacts(result, answer.store), answer.langs)
    else:
        body = answer.media.writer_module().write_schema(result.validity, result.observation_dimension,
                                                         deletion=query.deletion)
    return answer.finish(body)
