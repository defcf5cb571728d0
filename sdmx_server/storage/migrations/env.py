"""Alembic environment: runs on the connection handed over by storage.database.upgrade_schema."""

from alembic import context

from sdmx_server.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
