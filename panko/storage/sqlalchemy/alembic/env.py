"""Alembic environment: runs on the connection panko hands in."""

from alembic import context

from panko.storage.sqlalchemy import tables

config = context.config


def run_migrations():
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=tables.metadata,
        transaction_per_migration=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
