"""Logging to ``<data_dir>/logs/assistant.log``. Callers log ids, counts and timings only, never text.

As a second line of defence every record passes :class:`PiiLogFilter` before it is written: whatever the PII
detector finds in the formatted message (arguments included), the traceback or the stack gets the policy's
``logs`` operator: a salted hash ``<TYPE#1a2b3c4d>`` (the same value, the same hash in every record) or
``<TYPE>`` (see :mod:`privacy.policies`; the services wire it).

Lines are plain text (``logs.format: text``) or one JSON object each (``json``: ``time``, ``level``, ``logger``,
``message``, ``request_id``, and ``exception`` when there is one), written after the filter, so JSON lines are
scrubbed the same way. ``request_id`` is the id of the request being served (:func:`request_scope`, set by the
API for each request and returned in its ``X-Request-ID`` header), or null.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

__all__ = ["JsonFormatter", "PiiLogFilter", "configure_logging", "logger", "request_id", "request_scope"]

logger = logging.getLogger("assistant")

#: The id of the request being served in this context (thread or task), or None.
request_id: ContextVar[str | None] = ContextVar("assistant_request_id", default=None)

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


@contextmanager
def request_scope(identifier: str) -> Iterator[None]:
    """Log records written inside the ``with`` block (and in threads started from its context) carry
    ``identifier`` as their ``request_id``."""
    token = request_id.set(identifier)
    try:
        yield
    finally:
        request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id``
    (or null) and ``exception`` (the traceback text, scrubbed by the filter) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (no newline inside: tracebacks are escaped)."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class PiiLogFilter(logging.Filter):
    """Replaces PII in each record (message with its arguments, traceback, stack) before a handler writes it.

    A record whose scan fails is not let through raw: its text becomes a one-line notice naming the error type.
    """

    def __init__(self, scrub: Callable[[str], str]) -> None:
        """Set up the filter.

        Args:
            scrub: Returns a text with its PII replaced (the policy's ``logs`` operator applied).
        """
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place (once, even if several handlers carry this filter); always keep it."""
        if getattr(record, "pii_scrubbed", False):
            return True
        try:
            message = self.scrub(record.getMessage())
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            exc_text = self.scrub(record.exc_text) if record.exc_text else record.exc_text
            stack = self.scrub(record.stack_info) if record.stack_info else record.stack_info
        except Exception as exc:  # fail closed: a record that cannot be scanned is not written raw
            message = f"<log record withheld: PII scan failed ({type(exc).__name__})>"
            exc_text, stack = None, None
            record.exc_info = None
        record.msg, record.args = message, None
        record.exc_text, record.stack_info = exc_text, stack
        setattr(record, "pii_scrubbed", True)  # noqa: B010 (LogRecord has no such field)
        return True


def configure_logging(
    data_dir: Path, level: str = "INFO", pii_filter: PiiLogFilter | None = None, fmt: str = "text"
) -> Path:
    """Send the ``assistant`` logger to one rotating file (5 MiB x 3) under ``data_dir``, through ``pii_filter``,
    as plain text lines (``fmt`` "text") or JSON lines ("json", :class:`JsonFormatter`).

    One log file per process: configuring another data dir replaces the previous file handler; configuring
    the same one again keeps its handler and swaps in the new filter.

    Returns:
        The log file path.
    """
    path = data_dir / "logs" / "assistant.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler: logging.Handler | None = None
    for existing in list(logger.handlers):
        if not isinstance(existing, RotatingFileHandler):
            continue
        if Path(existing.baseFilename) == path:
            handler = existing
        else:
            logger.removeHandler(existing)
            existing.close()
    if handler is None:
        handler = RotatingFileHandler(path, maxBytes=5 * 2**20, backupCount=3, encoding="utf-8")
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    for old in [f for f in handler.filters if isinstance(f, PiiLogFilter)]:
        handler.removeFilter(old)
    if pii_filter is not None:
        handler.addFilter(pii_filter)
    logger.setLevel(level.upper())
    logger.propagate = False
    return path
