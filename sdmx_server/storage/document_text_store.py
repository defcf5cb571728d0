"""The text extracted from a document's file (search_tables.document_text), kept for the search index."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from .search_tables import document_text


class DocumentTextStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, doc_id: int) -> str:
        return self.conn.execute(select(document_text.c.text).where(document_text.c.document_id == doc_id)).scalar() or ""

    def put(self, doc_id: int, text: str) -> None:
        self.conn.execute(delete(document_text).where(document_text.c.document_id == doc_id))
        self.conn.execute(insert(document_text).values(document_id=doc_id, text=text))

    def all(self) -> dict[int, str]:
        return dict(self.conn.execute(select(document_text.c.document_id, document_text.c.text)).all())
