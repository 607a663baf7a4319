"""The review queue in the database several replicas share (``database.url``): one row per held document.

Same contract as the file queue :class:`ingest.ReviewQueue` (:class:`ingest.ReviewStorage`): a held document is
stored *already de-identified* with its report (the JSON of :func:`ingest.review.held_record`), keyed by domain
and sha256, replaced by a later hold of the same document, removed on release or rejection. A hold is one
statement (an upsert), so a held document and its report exist together or not at all, and an administrator on
any replica sees what an upload on another replica held. Raw text never reaches this module.

The table comes from the ``review`` migration history (:func:`pipelines.core.sql.upgrade_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Select, String, Table, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ingest import HeldDocument, ReviewError
from ingest.review import check_held_key, find_held, held_from_record, held_record
from pipelines.core.sql import is_sqlite, upgrade_schema

__all__ = ["METADATA", "SqlReviewQueue"]

#: The queue's table, as its migration creates it (``review_0001``).
METADATA = MetaData()
_QUEUE = Table(
    "review_queue",
    METADATA,
    Column("domain", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("held_at", String(40), nullable=False),
    Column("record", Text(), nullable=False),
)


class SqlReviewQueue:
    """Held documents as rows of ``review_queue`` in a shared database (PostgreSQL, or SQLite in tests)."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine``'s database, creating or upgrading the table.

        Args:
            engine: The shared database's engine (:func:`pipelines.core.sql.database_engine`); not owned.

        Raises:
            pipelines.core.errors.DatabaseError: The database cannot be reached.
        """
        self.engine = engine
        upgrade_schema(engine, "review")

    def hold(self, document: HeldDocument) -> str:
        """Store ``document`` (replacing a previous copy) in one statement; returns ``domain/sha256``.

        Raises:
            ReviewError: Invalid domain or sha256, or the database fails (nothing is stored).
        """
        check_held_key(document.domain, document.sha256)
        values = {
            "domain": document.domain,
            "sha256": document.sha256,
            "held_at": document.held_at,
            "record": json.dumps(held_record(document), ensure_ascii=False),
        }
        insert = sqlite_insert(_QUEUE) if is_sqlite(self.engine) else pg_insert(_QUEUE)
        statement = insert.values(**values).on_conflict_do_update(
            index_elements=["domain", "sha256"],
            set_={"held_at": values["held_at"], "record": values["record"]},
        )
        try:
            with self.engine.begin() as connection:
                connection.execute(statement)
        except SQLAlchemyError as exc:
            raise ReviewError(
                f"cannot hold document {document.sha256[:12]} for review: {type(exc).__name__}"
            ) from exc
        return f"{document.domain}/{document.sha256}"

    def get(self, domain: str, sha256: str) -> HeldDocument | None:
        """The held document with this sha256, or None.

        Raises:
            ReviewError: Invalid domain or sha256, an unreadable record, or the database fails.
        """
        check_held_key(domain, sha256)
        query = select(_QUEUE.c.record).where(_QUEUE.c.domain == domain, _QUEUE.c.sha256 == sha256)
        rows = self._rows(query)
        return _held(rows[0], sha256) if rows else None

    def held(self, domain: str) -> list[HeldDocument]:
        """The documents held in ``domain``, newest first.

        Raises:
            ReviewError: Invalid domain, an unreadable record, or the database fails.
        """
        check_held_key(domain, "0" * 64)
        query = (
            select(_QUEUE.c.record, _QUEUE.c.sha256)
            .where(_QUEUE.c.domain == domain)
            .order_by(_QUEUE.c.held_at.desc(), _QUEUE.c.sha256.desc())
        )
        with _database_errors(), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_held(str(record), str(sha)) for record, sha in rows]

    def find(self, domain: str, sha256_prefix: str) -> HeldDocument:
        """The held document whose sha256 starts with ``sha256_prefix`` (at least 4 hex digits).

        Raises:
            ReviewError: The prefix is malformed, matches no held document or several, or the database fails.
        """
        return find_held(self.held(domain), domain, sha256_prefix)

    def remove(self, domain: str, sha256: str) -> bool:
        """Delete a held document; returns whether it existed.

        Raises:
            ReviewError: Invalid domain or sha256, or the database fails.
        """
        check_held_key(domain, sha256)
        statement = delete(_QUEUE).where(_QUEUE.c.domain == domain, _QUEUE.c.sha256 == sha256)
        with _database_errors(), self.engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    def _rows(self, query: Select[Any]) -> list[str]:
        with _database_errors(), self.engine.connect() as connection:
            return [str(row[0]) for row in connection.execute(query)]


@contextmanager
def _database_errors() -> Iterator[None]:
    """Turn a database failure into a :class:`ReviewError` naming only its kind (never a value)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise ReviewError(f"the review queue in the database failed: {type(exc).__name__}") from exc


def _held(record: str, sha256: str) -> HeldDocument:
    try:
        return held_from_record(json.loads(record))
    except (ValueError, KeyError, TypeError) as exc:
        raise ReviewError(f"unreadable review record {sha256[:12]}: {type(exc).__name__}") from exc
