"""Agents' feedback on suggested replies (agent assist), stored de-identified in SQLite and exportable as CSV.

Every text field is stored de-identified: the customer's message and the suggested draft as the pipeline made
them, and the agent's final text de-identified with the conversation's vault before it reaches this store
(:meth:`pipelines.skills.agent_assist.assist.AgentAssist.record_feedback`), since an agent may type a card number or a name into it.
The store lives in ``<data_dir>/feedback.sqlite3`` (:func:`pipelines.core.sql.sqlite_engine`) or in the shared
database of ``database.url`` (table ``feedback``; schema by the ``feedback`` migrations of
:mod:`pipelines.core.migrations`). Rows are only appended, so replicas need no lock.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipelines.core.errors import AssistantError
from pipelines.core.sql import sqlite_engine, upgrade_schema

__all__ = [
    "FEEDBACK_COLUMNS",
    "FEEDBACK_STATUSES",
    "FeedbackError",
    "FeedbackRecord",
    "FeedbackStore",
    "check_status",
]

#: What an agent can do with a suggestion: send it as it is, send it after editing, or not use it.
FEEDBACK_STATUSES: tuple[str, ...] = ("accepted", "edited", "rejected")

#: Columns of the CSV export, in order (the header row).
FEEDBACK_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "session_id",
    "domain",
    "status",
    "intent",
    "confidence",
    "risk_categories",
    "severity",
    "escalate",
    "message",
    "suggested",
    "final_text",
    "backend",
    "model",
)


class FeedbackError(AssistantError):
    """Feedback that cannot be stored: an unknown status."""


def check_status(status: str) -> str:
    """Return ``status`` if it is one of :data:`FEEDBACK_STATUSES`.

    Raises:
        FeedbackError: Any other value (the message names it and the allowed ones).
    """
    if status not in FEEDBACK_STATUSES:
        raise FeedbackError(f"unknown feedback status {status!r}; use {', '.join(FEEDBACK_STATUSES)}")
    return status


@dataclass(frozen=True)
class FeedbackRecord:
    """One stored piece of feedback (all texts de-identified).

    Attributes:
        id: Row id (1, 2, ...).
        created_at: When it was stored, ISO 8601 UTC (seconds).
        session_id: The conversation whose vault de-identified the texts.
        domain: The domain whose policy applied.
        status: accepted | edited | rejected.
        intent: The detected intent label, "unknown", or "" when the domain has no intent model.
        confidence: The intent's confidence, 0..1 (None without an intent model).
        risk_categories: Flagged risk categories.
        severity: none | low | medium | high ("" without a risk detector).
        escalate: Whether the risk assessment advised escalation.
        message: The customer's message, de-identified.
        suggested: The suggested draft, de-identified.
        final_text: What the agent sent (de-identified; "" for a rejected suggestion without text).
        backend: The LLM backend that drafted the suggestion.
        model: Its model name.
    """

    id: int
    created_at: str
    session_id: str
    domain: str
    status: str
    intent: str
    confidence: float | None
    risk_categories: list[str]
    severity: str
    escalate: bool
    message: str
    suggested: str
    final_text: str
    backend: str
    model: str

    def to_json_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (keys :data:`FEEDBACK_COLUMNS`)."""
        return asdict(self)


class _Base(DeclarativeBase):
    pass


class _FeedbackRow(_Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[str] = mapped_column(String(40))
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    domain: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(128), default="")
    confidence: Mapped[float | None]
    risk_json: Mapped[str] = mapped_column(Text, default="[]")
    severity: Mapped[str] = mapped_column(String(16), default="")
    escalate: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text)
    suggested: Mapped[str] = mapped_column(Text)
    final_text: Mapped[str] = mapped_column(Text, default="")
    backend: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(128), default="")


class FeedbackStore:
    """Feedback rows in a SQLite file or a shared database (thread-safe: one short transaction per call)."""

    def __init__(self, where: Path | Engine) -> None:
        """Open the store, creating or upgrading its table (:func:`pipelines.core.sql.upgrade_schema`).

        Args:
            where: The SQLite file, e.g. ``<data_dir>/feedback.sqlite3`` (created when missing), or an engine of
                the shared database (:func:`pipelines.core.sql.database_engine`).

        Raises:
            pipelines.core.errors.DatabaseError: The database cannot be reached.
        """
        self.path: Path | None = None if isinstance(where, Engine) else where
        self.engine = where if isinstance(where, Engine) else sqlite_engine(where)
        upgrade_schema(self.engine, "feedback")

    def add(
        self,
        *,
        session_id: str,
        domain: str,
        status: str,
        message: str,
        suggested: str,
        final_text: str,
        intent: str = "",
        confidence: float | None = None,
        risk_categories: Sequence[str] = (),
        severity: str = "",
        escalate: bool = False,
        backend: str = "",
        model: str = "",
    ) -> FeedbackRecord:
        """Store one piece of feedback. Every text must already be de-identified.

        Args:
            session_id: The conversation id.
            domain: The domain whose policy applied.
            status: accepted | edited | rejected.
            message: The customer's message, de-identified.
            suggested: The suggested draft, de-identified.
            final_text: The agent's final text, de-identified.
            intent: Intent label ("" without an intent model).
            confidence: Intent confidence 0..1 (None without an intent model).
            risk_categories: Flagged risk categories.
            severity: Risk severity ("" without a risk detector).
            escalate: Whether escalation was advised.
            backend: LLM backend name.
            model: Model name.

        Returns:
            The stored record with its id and ``created_at``.

        Raises:
            FeedbackError: ``status`` is not one of :data:`FEEDBACK_STATUSES`.
        """
        row = _FeedbackRow(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            session_id=session_id,
            domain=domain,
            status=check_status(status),
            intent=intent,
            confidence=confidence,
            risk_json=json.dumps(list(risk_categories)),
            severity=severity,
            escalate=escalate,
            message=message,
            suggested=suggested,
            final_text=final_text,
            backend=backend,
            model=model,
        )
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            db.add(row)
        return _record(row)

    def records(self, sessions: Collection[str] | None = None) -> list[FeedbackRecord]:
        """Stored feedback, oldest first: all of it, or that of ``sessions`` alone (a signed-in user's own)."""
        query = select(_FeedbackRow).order_by(_FeedbackRow.id)
        if sessions is not None:
            query = query.where(_FeedbackRow.session_id.in_(list(sessions)))
        with Session(self.engine) as db:
            return [_record(row) for row in db.scalars(query)]

    def export_csv(self, target: Path | TextIO, sessions: Collection[str] | None = None) -> int:
        """Write every record as CSV (RFC 4180 via :mod:`csv`) with a header row of :data:`FEEDBACK_COLUMNS`.

        ``risk_categories`` is written as one field joined with ``;``; ``confidence`` is empty when unknown.

        Args:
            target: A file path (written as UTF-8, replaced) or an open text stream (e.g. ``sys.stdout``).
            sessions: Only the feedback of these sessions (see :meth:`records`); None = all.

        Returns:
            The number of records written (header not counted).
        """
        rows = self.records(sessions)
        if isinstance(target, Path):
            with target.open("w", encoding="utf-8", newline="") as stream:
                _write_csv(stream, rows)
        else:
            _write_csv(target, rows)
        return len(rows)

    def export_csv_text(self, sessions: Collection[str] | None = None) -> str:
        """The CSV export (see :meth:`export_csv`) as a string, e.g. for a download button."""
        import io

        buffer = io.StringIO(newline="")
        self.export_csv(buffer, sessions)
        return buffer.getvalue()


def _write_csv(stream: TextIO, rows: Sequence[FeedbackRecord]) -> None:
    writer = csv.writer(stream)
    writer.writerow(FEEDBACK_COLUMNS)
    for record in rows:
        data = record.to_json_dict()
        data["risk_categories"] = ";".join(record.risk_categories)
        data["confidence"] = "" if record.confidence is None else f"{record.confidence:.4f}"
        data["escalate"] = "true" if record.escalate else "false"
        writer.writerow([data[column] for column in FEEDBACK_COLUMNS])


def _record(row: _FeedbackRow) -> FeedbackRecord:
    return FeedbackRecord(
        id=int(row.id),
        created_at=row.created_at,
        session_id=row.session_id,
        domain=row.domain,
        status=row.status,
        intent=row.intent,
        confidence=row.confidence,
        risk_categories=list(json.loads(row.risk_json)),
        severity=row.severity,
        escalate=bool(row.escalate),
        message=row.message,
        suggested=row.suggested,
        final_text=row.final_text,
        backend=row.backend,
        model=row.model,
    )
