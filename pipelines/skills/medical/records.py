"""Per-record medical terms and the differential-privacy budget ledger, in ``<data_dir>/records.sqlite3``.

At ingestion into a domain with an entity recognizer (``ner:`` in its ``domain.yaml``), the recognizer runs on
the *de-identified* text of the document and the document's distinct disease and chemical/drug terms are
stored here, one row per (domain, document sha256, type, term). Only indexed documents have rows: a document
held for review gets them when it is released, never when it is rejected; deleting or replacing a document
deletes its rows. :mod:`pipelines.skills.medical.dp_stats` counts records per term from these rows and releases the counts
with noise; the same file holds its budget ledger (one row per released query: time, epsilon, domain and a
description of the query, no data).

A term is normalized by :func:`normalize_term`: BC5CDR tokens (:func:`pipelines.skills.medical.lexicon.tokenize`),
lower-cased, joined by one space, with no space around hyphens, slashes and apostrophes (``Non-Small  Cell`` ->
``non-small cell``), so
the terms of a text and the token tuples of the recognizer's lexicons compare equal.

SQLAlchemy over SQLite from :func:`pipelines.core.sql.sqlite_engine` (deleted rows are overwritten; every
transaction starts with ``BEGIN IMMEDIATE``, https://sqlite.org/lang_transaction.html), or over the shared
database of ``database.url`` (tables ``record_terms`` and ``dp_ledger``; schema by the ``records`` migrations of
:mod:`pipelines.core.migrations`). The budget check and the charge of a query are one atomic step even with
concurrent queries from several replicas: :func:`pipelines.core.sql.serializable` (SERIALIZABLE with retry on
PostgreSQL, since the check reads a sum over the whole ledger and no single row can be locked for it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Float, String, Text, delete, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipelines.core.sql import checkpoint, serializable, sqlite_engine, upgrade_schema
from pipelines.skills.medical.lexicon import tokenize

__all__ = ["LedgerEntry", "RecordStore", "normalize_term", "normalize_tokens", "record_terms"]

_TIGHT = re.compile(r" ?([-/']) ?")
_OPEN = re.compile(r"([(\[]) ")
_CLOSE = re.compile(r" ([)\],])")


def normalize_tokens(tokens: Sequence[str]) -> str:
    """The normalized form of a term given as tokens: lower-cased, one space between tokens, none around
    ``-``, ``/`` and ``'``, after an opening or before a closing bracket or a comma
    (``("5", "-", "HT")`` -> ``5-ht``, ``("Parkinson", "'", "s")`` -> ``parkinson's``)."""
    text = " ".join(token.lower() for token in tokens)
    return _CLOSE.sub(r"\1", _OPEN.sub(r"\1", _TIGHT.sub(r"\1", text))).strip()


def normalize_term(text: str) -> str:
    """The normalized form of a mention (see the module docstring); ``""`` when it has no token."""
    return normalize_tokens([token.text for token in tokenize(text)])


def record_terms(entities: Iterable[Any]) -> set[tuple[str, str]]:
    """The distinct ``(type, normalized term)`` pairs of recognized entities (objects with ``label`` and
    ``text``, e.g. :class:`pipelines.skills.medical.lexicon.MedicalEntity`); empty terms are dropped."""
    terms = {(entity.label, normalize_term(entity.text)) for entity in entities}
    return {(label, term) for label, term in terms if term}


class _Base(DeclarativeBase):
    pass


class _TermRow(_Base):
    __tablename__ = "record_terms"
    domain: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    term: Mapped[str] = mapped_column(Text, primary_key=True)


class _LedgerRow(_Base):
    __tablename__ = "dp_ledger"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(64))
    epsilon: Mapped[float] = mapped_column(Float)
    query: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class LedgerEntry:
    """One released query in the budget ledger.

    Attributes:
        id: Row id (1, 2, ...).
        created_at: When it was charged, ISO 8601 UTC (seconds).
        domain: The domain whose records were counted.
        epsilon: Privacy loss charged (pure epsilon-DP).
        query: What was released, e.g. ``counts type=DISEASE k=20 discrete-laplace scale=200`` (no data).
    """

    id: int
    created_at: str
    domain: str
    epsilon: float
    query: str


class RecordStore:
    """Record terms and the budget ledger in one SQLite file or a shared database. Thread-safe (one short
    transaction per call).

    Args:
        where: The file, e.g. ``<data_dir>/records.sqlite3`` (created with its folder when missing), or an engine
            of the shared database (:func:`pipelines.core.sql.database_engine`).

    Raises:
        pipelines.core.errors.DatabaseError: The database cannot be reached.
    """

    def __init__(self, where: Path | Engine) -> None:
        self.path: Path | None = None if isinstance(where, Engine) else where
        self.engine = where if isinstance(where, Engine) else sqlite_engine(where)
        upgrade_schema(self.engine, "records")

    # --- record terms -------------------------------------------------------------------------------------

    def replace_terms(self, domain: str, sha256: str, terms: Collection[tuple[str, str]]) -> int:
        """Store ``terms`` (``(type, normalized term)`` pairs) as the record ``sha256`` of ``domain``,
        replacing any rows it had. Returns the number of rows stored."""
        with Session(self.engine) as db, db.begin():
            db.execute(delete(_TermRow).where(_TermRow.domain == domain, _TermRow.sha256 == sha256))
            db.add_all(
                _TermRow(domain=domain, sha256=sha256, type=kind, term=term) for kind, term in sorted(terms)
            )
        return len(terms)

    def forget(self, domain: str, sha256: str) -> int:
        """Delete the record ``sha256`` of ``domain`` (its rows are overwritten on disk). Returns rows deleted."""
        with Session(self.engine) as db, db.begin():
            result = db.execute(delete(_TermRow).where(_TermRow.domain == domain, _TermRow.sha256 == sha256))
        checkpoint(self.engine)
        return int(getattr(result, "rowcount", 0) or 0)

    def terms_by_record(self, domain: str, types: Collection[str]) -> dict[str, set[tuple[str, str]]]:
        """``{sha256: {(type, term), ...}}`` of every record of ``domain``, keeping the given types only."""
        records: dict[str, set[tuple[str, str]]] = defaultdict(set)
        with Session(self.engine) as db:
            rows = db.execute(
                select(_TermRow.sha256, _TermRow.type, _TermRow.term).where(
                    _TermRow.domain == domain, _TermRow.type.in_(list(types))
                )
            )
            for sha256, kind, term in rows:
                records[sha256].add((kind, term))
        return dict(records)

    def terms_of(self, domain: str, sha256: str) -> set[tuple[str, str]]:
        """The stored ``(type, term)`` pairs of one record (empty when it has none)."""
        with Session(self.engine) as db:
            rows = db.execute(
                select(_TermRow.type, _TermRow.term).where(
                    _TermRow.domain == domain, _TermRow.sha256 == sha256
                )
            )
            return {(kind, term) for kind, term in rows}

    # --- budget ledger ------------------------------------------------------------------------------------

    def spent(self) -> float:
        """Total epsilon charged so far (all domains of this data dir)."""
        with Session(self.engine) as db:
            return float(db.scalar(select(func.coalesce(func.sum(_LedgerRow.epsilon), 0.0))) or 0.0)

    def ledger(self) -> list[LedgerEntry]:
        """Every charged query, oldest first."""
        with Session(self.engine) as db:
            return [_entry(row) for row in db.scalars(select(_LedgerRow).order_by(_LedgerRow.id))]

    def charge(self, domain: str, epsilon: float, limit: float, query: str) -> LedgerEntry | None:
        """Append a charge of ``epsilon`` if the total stays within ``limit``, atomically.

        Args:
            domain: The domain queried.
            epsilon: The query's privacy loss, > 0.
            limit: The total budget; the charge is refused when ``spent + epsilon`` exceeds it (beyond a
                1e-9 tolerance for float sums such as ten charges of 0.1).
            query: A description of the query (no data).

        Returns:
            The new entry, or None when the charge was refused (nothing is written).
        """

        def check_and_charge(db: Session) -> LedgerEntry | None:
            spent = float(db.scalar(select(func.coalesce(func.sum(_LedgerRow.epsilon), 0.0))) or 0.0)
            if spent + epsilon > limit + 1e-9:
                return None
            row = _LedgerRow(
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                domain=domain,
                epsilon=float(epsilon),
                query=query,
            )
            db.add(row)
            db.flush()
            return _entry(row)

        return serializable(self.engine, check_and_charge)


def _entry(row: _LedgerRow) -> LedgerEntry:
    return LedgerEntry(int(row.id), row.created_at, row.domain, float(row.epsilon), row.query)
