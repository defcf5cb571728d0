"""The subscriptions of the signed-in user under /api/subscriptions (issue 20), and each one's delivery log.

Thin views over notification/subscriptions.py; documented in sdmx_server/openapi/management.yaml.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..notification import subscriptions
from ..request_context import db, write_transaction
from ..sdmx.errors import BadInput
from ..storage.subscription_store import Attempt, Delivery, Subscription
from .json_api import caller, int_arg, json_body, json_field

bp = Blueprint("subscriptions", __name__, url_prefix="/api")


def subscription_json(s: Subscription) -> dict[str, Any]:
    return {"id": s.id, "dataflow": s.dataflow_urn, "provider": s.provider_id, "events": list(s.events),
            "url": s.url, "createdAt": s.created_at.isoformat(), "active": s.active}


def delivery_json(d: Delivery, attempts: list[Attempt]) -> dict[str, Any]:
    return {"id": d.id, "event": d.event, "provider": d.provider_id, "submission": d.submission_id,
            "occurredAt": d.occurred_at.isoformat(), "state": d.state, "attempts": d.attempts,
            "nextAttemptAt": d.next_at.isoformat() if d.state == "pending" else None,
            "finishedAt": d.finished_at.isoformat() if d.finished_at else None,
            "log": [{"at": a.at.isoformat(), "status": a.status, "error": a.error, "milliseconds": a.milliseconds}
                    for a in attempts]}


@bp.get("/subscriptions")
def list_subscriptions() -> Response:
    return jsonify([subscription_json(s) for s in subscriptions.mine(db(), caller())])


@bp.post("/subscriptions")
def create_subscription() -> tuple[Response, int]:
    who = caller()
    body = json_body()
    events = json_field(body, "events", list, required=True)
    if not all(isinstance(e, str) for e in events) or len(events) > 10:
        raise BadInput("'events' must be a JSON array of up to 3 of: structure, release, revision")
    url = json_field(body, "url", str, required=True)
    with write_transaction():
        made = subscriptions.create(db(), who, dataflow=json_field(body, "dataflow", str, required=True),
                                    provider=json_field(body, "provider", str), events=events, url=url)
    return jsonify({**subscription_json(made.subscription), "secret": made.secret}), 201


@bp.get("/subscriptions/<int:subscription_id>")
def get_subscription(subscription_id: int) -> Response:
    return jsonify(subscription_json(subscriptions.one(db(), caller(), subscription_id)))


@bp.delete("/subscriptions/<int:subscription_id>")
def delete_subscription(subscription_id: int) -> tuple[str, int]:
    who = caller()
    with write_transaction():
        subscriptions.remove(db(), who, subscription_id)
    return "", 204


@bp.get("/subscriptions/<int:subscription_id>/deliveries")
def deliveries(subscription_id: int) -> Response:
    log = subscriptions.delivery_log(db(), caller(), subscription_id, limit=int_arg("limit", 100, 1, 1000))
    return jsonify([delivery_json(d, attempts) for d, attempts in log])
