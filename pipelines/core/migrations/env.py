"""Alembic's environment for :func:`pipelines.core.sql.upgrade_schema`: migrations run online on the connection
(already in a transaction) and with the version table that the caller puts in ``config.attributes``; no
logging configuration, no URL in a file (the caller's engine carries it)."""

from __future__ import annotations

from alembic import context

_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run the migrations through pipelines.core.sql.upgrade_schema (no offline mode)")

context.configure(
    connection=_connection,
    target_metadata=None,
    version_table=context.config.attributes["version_table"],
)
with context.begin_transaction():
    context.run_migrations()
