"""Multi-turn memory: sessions and their turns (SQLAlchemy), stored de-identified: in the data dir's SQLite file
``memory.sqlite3``, or in the shared database of ``database.url`` (tables ``sessions``, ``turns``,
``turn_ratings``; schema by the ``memory`` migrations of :mod:`pipelines.core.migrations`).

A turn stores the de-identified question, the answer as the model wrote it (placeholders, no reasoning),
the domain and the sources with their passages (:func:`pipelines.chat.citations.source_records`: the chunk text
as indexed, de-identified when the document was ingested; turns stored before passages were kept have none).
Reasoning is never stored. How the user spelled a value in a question ("Anna" for the ``<PERSON_1>`` of
"Anna Smith") is kept in the session's encrypted vault, never here (:meth:`privacy.Vault.keep_spellings`).

A turn's position is the number of turns before it: appending counts and inserts under a lock of the session's
row (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), so two replicas appending to one
session at once get positions n and n+1, never the same one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, ForeignKey, String, Text, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipelines.core.errors import SessionError
from pipelines.core.sql import checkpoint, sqlite_engine, upgrade_schema

if TYPE_CHECKING:  # pipelines.llm.prompts imports LangChain: only the chat needs it
    from pipelines.llm.prompts import HistoryTurn

__all__ = ["RATINGS", "MemoryStore", "SessionInfo", "StoredTurn", "TurnRating", "new_session_id"]

#: The ratings a user may give an answer.
RATINGS = ("up", "down")

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _Base(DeclarativeBase):
    pass


class _SessionRow(_Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))


class _TurnRow(_Base):
    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    position: Mapped[int]
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(64))
    route_confidence: Mapped[float]
    sources_json: Mapped[str] = mapped_column(Text, default="[]")
    backend: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[str] = mapped_column(String(40))
    signals_json: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class _RatingRow(_Base):
    __tablename__ = "turn_ratings"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))


@dataclass(frozen=True)
class TurnRating:
    """A user's rating of one stored answer (the latest replaces an earlier one).

    Attributes:
        session_id: The session.
        position: The turn's position in it (0 = the first question).
        rating: ``up`` or ``down``.
        comment: Free text, de-identified by the caller before it is stored ("" = none).
        created_at: ISO 8601 UTC.
    """

    session_id: str
    position: int
    rating: str
    comment: str
    created_at: str


@dataclass(frozen=True)
class SessionInfo:
    """A stored session: id, title (de-identified first question), timestamps (ISO 8601 UTC), turn count."""

    id: str
    title: str
    created_at: str
    updated_at: str
    turns: int


@dataclass(frozen=True)
class StoredTurn:
    """A stored turn (de-identified)."""

    position: int
    question: str
    answer: str
    domain: str
    route_confidence: float
    sources: list[dict[str, Any]]
    backend: str
    model: str
    created_at: str
    signals: dict[str, Any] | None = (
        None  # intent, risk and escalation (pipelines.chat.signals), de-identified
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_session_id() -> str:
    """Return a fresh random session id (32 hex characters)."""
    return uuid.uuid4().hex


class MemoryStore:
    """Sessions and turns in ``<data_dir>/memory.sqlite3`` (:func:`pipelines.core.sql.sqlite_engine`; a data dir
    made before the feature subpackages has it as ``memory.sqlite``, which is renamed on first open) or in a
    shared database. Thread-safe (one short transaction per call); several processes may share it."""

    def __init__(self, where: Path | Engine, legacy_names: Sequence[str] = ()) -> None:
        """Open the store, creating or upgrading its tables (:func:`pipelines.core.sql.upgrade_schema`).

        Args:
            where: The SQLite file (created when missing), or an engine of the shared database
                (:func:`pipelines.core.sql.database_engine`).
            legacy_names: Earlier names of the SQLite file (ignored with an engine).

        Raises:
            pipelines.core.errors.DatabaseError: The database cannot be reached.
        """
        self.path: Path | None = None if isinstance(where, Engine) else where
        self.engine = where if isinstance(where, Engine) else sqlite_engine(where, legacy_names)
        upgrade_schema(self.engine, "memory")

    @staticmethod
    def check_id(session_id: str) -> str:
        """Return ``session_id`` if well-formed.

        Raises:
            SessionError: It is not 1-64 letters, digits, '-' or '_'.
        """
        if not _SESSION_ID.match(session_id):
            raise SessionError(f"invalid session id {session_id!r}: use 1-64 letters, digits, '-' or '_'")
        return session_id

    def ensure_session(self, session_id: str, title: str = "") -> None:
        """Create the session if it does not exist yet."""
        self.check_id(session_id)
        try:
            with Session(self.engine) as db, db.begin():
                if db.get(_SessionRow, session_id) is None:
                    now = _now()
                    db.add(_SessionRow(id=session_id, title=title[:120], created_at=now, updated_at=now))
        except IntegrityError:
            pass  # another process created it between the read and the insert: it exists, as wanted

    def add_turn(
        self,
        session_id: str,
        question: str,
        answer: str,
        domain: str,
        route_confidence: float,
        sources: Sequence[dict[str, Any]],
        backend: str,
        model: str,
        signals: dict[str, Any] | None = None,
    ) -> int:
        """Append a de-identified turn, creating the session when it does not exist yet (titled with the
        question), in one transaction under the session's row lock.

        Args:
            session_id: The session (1-64 letters, digits, '-' or '_').
            question: The de-identified question.
            answer: The answer as the model wrote it (placeholders, no reasoning).
            domain: The domain that answered.
            route_confidence: The routing similarity, 0..1.
            sources: The passages the model saw, with their text and citation checks (JSON-serialisable dicts,
                :func:`pipelines.chat.citations.source_records`).
            backend: The LLM backend's name.
            model: Its model name.
            signals: The turn's intent and risk (:meth:`pipelines.chat.signals.MessageSignals.to_json_dict`,
                computed on the de-identified message); None = none.

        Returns:
            The turn's position (0-based): the number of turns before it.

        Raises:
            SessionError: The id is malformed.
        """
        self.check_id(session_id)
        turn = _TurnRow(
            session_id=session_id,
            question=question,
            answer=answer,
            domain=domain,
            route_confidence=route_confidence,
            sources_json=json.dumps(list(sources)),
            backend=backend,
            model=model,
            signals_json=None if signals is None else json.dumps(signals),
        )
        try:
            return self._append(turn, title=question)
        except IntegrityError:
            # another replica created the session between our read and our insert (PostgreSQL only; SQLite's
            # BEGIN IMMEDIATE serialises): run again, now finding and locking its row
            return self._append(turn, title=question)

    def _append(self, turn: _TurnRow, title: str) -> int:
        session_id = turn.session_id
        with Session(self.engine) as db, db.begin():
            now = _now()
            row = db.scalar(select(_SessionRow).where(_SessionRow.id == session_id).with_for_update())
            if row is None:
                db.add(_SessionRow(id=session_id, title=title[:120], created_at=now, updated_at=now))
                db.flush()  # the primary key decides a race for a new session here
            else:
                row.updated_at = now
            position = db.scalar(select(func.count()).where(_TurnRow.session_id == session_id)) or 0
            db.add(
                _TurnRow(
                    session_id=session_id,
                    position=int(position),
                    question=turn.question,
                    answer=turn.answer,
                    domain=turn.domain,
                    route_confidence=turn.route_confidence,
                    sources_json=turn.sources_json,
                    backend=turn.backend,
                    model=turn.model,
                    created_at=now,
                    signals_json=turn.signals_json,
                )
            )
        return int(position)

    def turns(self, session_id: str, last: int | None = None) -> list[StoredTurn]:
        """Return the session's turns, oldest first (only the ``last`` n when given)."""
        with Session(self.engine) as db:
            query = (
                select(_TurnRow).where(_TurnRow.session_id == session_id).order_by(_TurnRow.position.desc())
            )
            if last is not None:
                query = query.limit(last)
            rows = list(db.scalars(query))
        return [
            StoredTurn(
                r.position,
                r.question,
                r.answer,
                r.domain,
                r.route_confidence,
                json.loads(r.sources_json),
                r.backend,
                r.model,
                r.created_at,
                None if r.signals_json is None else json.loads(r.signals_json),
            )
            for r in reversed(rows)
        ]

    def first_domain(self, session_id: str) -> str | None:
        """The domain of the session's first turn (the one its title comes from), None without turns."""
        with Session(self.engine) as db:
            query = (
                select(_TurnRow.domain)
                .where(_TurnRow.session_id == session_id)
                .order_by(_TurnRow.position.asc())
                .limit(1)
            )
            return db.scalar(query)

    def count_turns(self, session_id: str) -> int:
        """The number of stored turns of ``session_id`` (0 when it does not exist): the next turn's position."""
        with Session(self.engine) as db:
            return int(db.scalar(select(func.count()).where(_TurnRow.session_id == session_id)) or 0)

    def history(self, session_id: str, last: int) -> list[HistoryTurn]:
        """Return the last ``last`` turns as prompt history (oldest first)."""
        from pipelines.llm.prompts import HistoryTurn

        return [HistoryTurn(t.question, t.answer) for t in self.turns(session_id, last)]

    def sessions(self) -> list[SessionInfo]:
        """Return all sessions, most recently updated first."""
        with Session(self.engine) as db:
            counts = dict(
                db.execute(select(_TurnRow.session_id, func.count()).group_by(_TurnRow.session_id))
                .tuples()
                .all()
            )
            rows = list(db.scalars(select(_SessionRow).order_by(_SessionRow.updated_at.desc())))
        return [
            SessionInfo(r.id, r.title, r.created_at, r.updated_at, int(counts.get(r.id, 0))) for r in rows
        ]

    def rate(self, session_id: str, position: int, rating: str, comment: str = "") -> TurnRating:
        """Store the rating of turn ``position`` of ``session_id`` (replacing an earlier one of that turn).

        Args:
            session_id: The session.
            position: The turn's position (0 = the first question).
            rating: One of :data:`RATINGS`.
            comment: Free text, already de-identified ("" = none).

        Raises:
            SessionError: Malformed id, no such session or turn, or an unknown rating.
        """
        self.check_id(session_id)
        if rating not in RATINGS:
            raise SessionError(f"a rating is one of {', '.join(RATINGS)}")
        record = TurnRating(session_id, position, rating, comment, _now())
        with Session(self.engine) as db, db.begin():
            _lock_session(db, session_id)  # two ratings of one turn at once: one waits, then replaces
            found = db.scalar(
                select(func.count()).where(_TurnRow.session_id == session_id, _TurnRow.position == position)
            )
            if not found:
                raise SessionError("no such turn")
            db.merge(_RatingRow(**record.__dict__))
        return record

    def ratings(self, session_id: str) -> list[TurnRating]:
        """The ratings of a session's turns, by position."""
        query = select(_RatingRow).where(_RatingRow.session_id == session_id).order_by(_RatingRow.position)
        with Session(self.engine) as db:
            return [
                TurnRating(r.session_id, r.position, r.rating, r.comment, r.created_at)
                for r in db.scalars(query)
            ]

    def delete_session(self, session_id: str) -> int:
        """Delete the session, its turns and their ratings (SQLite ``secure_delete`` overwrites the freed pages
        with zeros, and the write-ahead log is checkpointed; on PostgreSQL the rows are deleted, their old
        versions stay in the table files until VACUUM reuses the space and in the server's WAL until it is
        recycled, and in any backup taken before).

        Returns:
            The number of turns deleted (0 when the session does not exist).

        Raises:
            SessionError: The id is malformed.
        """
        self.check_id(session_id)
        for attempt in range(1, 4):
            try:
                turns = self._delete(session_id)
                break
            except IntegrityError:
                # PostgreSQL: the session did not exist when we looked, and another replica created it with a
                # first turn before our last statement; run again, now locking its row
                if attempt == 3:
                    raise
        checkpoint(self.engine)
        return turns

    def _delete(self, session_id: str) -> int:
        with Session(self.engine) as db, db.begin():
            _lock_session(db, session_id)  # a turn being appended meanwhile is deleted with the rest
            turns = db.scalar(select(func.count()).where(_TurnRow.session_id == session_id)) or 0
            db.execute(delete(_RatingRow).where(_RatingRow.session_id == session_id))
            db.execute(delete(_TurnRow).where(_TurnRow.session_id == session_id))
            db.execute(delete(_SessionRow).where(_SessionRow.id == session_id))
        return int(turns)

    def exists(self, session_id: str) -> bool:
        """Whether the session exists."""
        with Session(self.engine) as db:
            return db.get(_SessionRow, session_id) is not None


def _lock_session(db: Session, session_id: str) -> None:
    """Lock the session's row until the transaction ends (``SELECT ... FOR UPDATE``; nothing on SQLite, whose
    ``BEGIN IMMEDIATE`` already holds the write lock)."""
    db.execute(select(_SessionRow.id).where(_SessionRow.id == session_id).with_for_update())
