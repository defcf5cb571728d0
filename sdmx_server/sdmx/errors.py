"""Domain errors of the pure SDMX layer; the HTTP layer maps them to status codes in one place."""

from __future__ import annotations


class SdmxError(Exception):
    """Base of every error this package raises on purpose.

    ``status`` is the HTTP status the REST layer answers with; ``code`` the
    SDMX error code (the SDMX standard reuses HTTP codes, so they match).
    """

    status = 500

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f" (line {self.line}" + (f", column {self.column}" if self.column is not None else "") + ")"
        return f"{self.message}{where}"


class BadInput(SdmxError):
    """Malformed or unsafe input: not XML, DTD/entities, wrong namespace, unknown element."""

    status = 400


class UnsupportedArtefact(SdmxError):
    """Well-formed SDMX naming an artefact type this server does not store."""

    status = 422


class SemanticError(SdmxError):
    """Syntactically fine but breaks a rule (type mismatch, immutable final artefact...)."""

    status = 422


class Conflict(SdmxError):
    """Missing references, or deleting what others still reference."""

    status = 409


class NotFound(SdmxError):
    status = 404


class NotAcceptable(SdmxError):
    status = 406


class TooLarge(SdmxError):
    status = 413


class UriTooLong(SdmxError):
    status = 414


class NotImplementedQuery(SdmxError):
    status = 501


class Forbidden(SdmxError):
    """The caller is known but may not do this (403)."""

    status = 403


class InvalidData(SdmxError):
    """A data message broke validation rules; ``details`` lists them (capped), ``count`` counts them all."""

    status = 422

    def __init__(self, message: str, details: list, count: int):
        super().__init__(message)
        self.details = details
        self.count = count
