"""A database connection that died under a request (the database restarted, an administrator or a failover
ended it): a read is answered anyway, a write is refused cleanly.

The first statement on a dead pooled connection fails: through SQLAlchemy (a ``DBAPIError`` whose
``connection_invalidated`` is set) or on the driver's own cursor (the access stamp is read that way: the
driver's error, which the dialect recognises as a disconnect). Either way the connection is invalidated and the
pool is emptied (its other connections date from before the failure and are most likely dead too), so what comes
next connects afresh. A GET or HEAD has changed nothing: its view runs once more, on a fresh connection. A write
may have been cut anywhere and the database rolled its transaction back, so it is answered 503 with
``Retry-After`` (the client repeats it). A second failure, or a failure to connect at all, is a 503 too: never
a 500, which would say the server is broken rather than the database away.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError

from .errors import DEFAULT_TEXT, error_response

RETRY_AFTER_SECONDS = 2
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def register(app: Flask) -> None:
    engine = app.extensions["sdmx_engine"]
    driver_error = getattr(engine.dialect.loaded_dbapi, "Error", None)

    def lost(e: Exception) -> bool:
        if isinstance(e, DBAPIError):
            return bool(e.connection_invalidated) or _ended_by_server(e.orig) or (
                e.statement is None and type(e.orig).__name__ == "OperationalError")  # could not connect
        if _ended_by_server(e):
            return True
        conn = g.get("conn")  # the driver's own error: the dialect judges it by the connection's state
        driver = conn.connection.driver_connection if conn is not None and not conn.invalidated else None
        return driver is not None and engine.dialect.is_disconnect(e, driver, None)

    def handle(e: Exception) -> Response:
        if not lost(e):
            app.logger.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, DEFAULT_TEXT[500])  # as errors._unexpected: a fault, logged
        _forget_connections(e)
        if request.method in SAFE_METHODS and not g.get("retried_read"):
            g.retried_read = True
            app.logger.warning("database connection lost during %s %s: running it again", request.method,
                               request.path)
            try:
                return current_app.make_response(current_app.dispatch_request())
            except Exception as again:  # noqa: BLE001 - sorted below
                if not lost(again):
                    raise
                _forget_connections(again)
        app.logger.warning("database connection lost during %s %s: answered 503", request.method, request.path)
        return error_response(503, "the database connection was lost: repeat the request in a moment",
                              {"Retry-After": str(RETRY_AFTER_SECONDS)})

    app.register_error_handler(DBAPIError, handle)
    if driver_error is not None:
        app.register_error_handler(driver_error, handle)


# PostgreSQL's SQLSTATEs for a session the server ended (administrator, crash, start-up) and class 08, connection
# exceptions: the driver may not yet have marked its connection broken when the error is raised
_ENDED = ("57P01", "57P02", "57P03")


def _ended_by_server(e: BaseException | None) -> bool:
    state = getattr(e, "sqlstate", None)
    return isinstance(state, str) and (state in _ENDED or state.startswith("08"))


def _forget_connections(e: Exception) -> None:
    """Invalidate the request's connection and empty the pool, so that the next checkout connects afresh."""
    conn = g.pop("conn", None)
    if conn is not None:
        try:
            conn.invalidate(e)
            conn.close()
        except Exception:  # noqa: BLE001 - a dead connection may fail even to close; it is gone either way
            pass
    current_app.extensions["sdmx_engine"].dispose()
