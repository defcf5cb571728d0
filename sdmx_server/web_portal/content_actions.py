"""What the documents' and the news' management screens share: refusing what a manager may not touch, and
moving an item between draft, published and withdrawn."""

from __future__ import annotations

from typing import Callable, NoReturn

from flask import abort
from sqlalchemy import Connection

from ..request_context import db, write_transaction
from ..sdmx.errors import NotFound, SdmxError
from .content_forms import StateForm


def refused(e: SdmxError) -> NoReturn:
    """An item one may not see is answered as missing; one one may see but not change, as forbidden."""
    abort(404 if isinstance(e, NotFound) else 403)


def change_state(move: Callable[[Connection, str], None]) -> str:
    """The state form's choice applied by `move` in one write transaction; the chosen state. A state the item
    cannot move to from where it is answers 409."""
    form = StateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            move(db(), form.state.data)
    except SdmxError as e:
        if isinstance(e, NotFound) or e.status == 403:
            refused(e)
        abort(409)
    return form.state.data
