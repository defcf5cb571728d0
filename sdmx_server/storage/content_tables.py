"""Tables of the mechanism's public face (issue 18; migration 0101): the documents library, news and events, links, country pages.

Declared on the same ``MetaData`` as tables.py, in a module of their own. Bilingual texts are JSON objects
{lang: text}, as in metadata_tables.py, so a third language needs no new column.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text)

from .tables import metadata

# A document of the library. ``country`` is the owning data provider; NULL: regional (the hosting organisation's).
# ``access``: public | restricted; ``participants`` (restricted only): every signed-in user of a participating
# country may see it, whatever the indicators' sharing. ``state``: draft | published | withdrawn.
document = Table(
    "document", metadata,
    Column("id", Integer, primary_key=True),
    Column("country", String(200)),
    Column("doc_type", String(30), nullable=False),  # legislation | policy | methodology | analysis
    Column("published_on", Date, nullable=False),
    Column("titles", Text, nullable=False),
    Column("summaries", Text, nullable=False),
    Column("access", String(20), nullable=False),
    Column("participants", Boolean, nullable=False, default=False),
    Column("state", String(20), nullable=False),
    Column("file_name", String(255), nullable=False),  # cleaned: no folders, no control characters
    Column("media_type", String(100), nullable=False),  # the canonical type found from the content
    Column("file_size", Integer, nullable=False),
    Column("file_key", String(64), nullable=False, unique=True),  # the stored file's name in document_dir
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_document_listing", "state", "published_on"),
    Index("ix_document_country", "country"),
)

# The indicators (dataflow URNs) a document is about: their sharing decides who sees a restricted document.
document_indicator = Table(
    "document_indicator", metadata,
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
    Column("dataflow_urn", String(600), primary_key=True),
)

# A news item or an event (``kind``), always public once published. ``starts_on``/``ends_on``/``places``: events.
news_item = Table(
    "news_item", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # news | event
    Column("titles", Text, nullable=False),
    Column("bodies", Text, nullable=False),
    Column("places", Text, nullable=False, default="{}"),
    Column("starts_on", Date),
    Column("ends_on", Date),
    Column("state", String(20), nullable=False),  # draft | published | withdrawn
    Column("published_at", DateTime(timezone=True)),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_news_item_listing", "state", "published_at"),
)

# The curated list of links (national statistical offices, migration agencies, international bodies).
portal_link = Table(
    "portal_link", metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(30), nullable=False),  # statistics | migration | international
    Column("titles", Text, nullable=False),
    Column("url", String(1000), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("updated_by", String(120), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A participating country's own page: a short text, its institutions and focal points, contacts (bilingual free
# text), and whether the public may see it (signed-in users of participating countries always may).
country_page = Table(
    "country_page", metadata,
    Column("country", String(200), primary_key=True),
    Column("about", Text, nullable=False),
    Column("institutions", Text, nullable=False),
    Column("contacts", Text, nullable=False),
    Column("is_public", Boolean, nullable=False),
    Column("updated_by", String(120), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
