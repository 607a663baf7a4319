"""Logging to ``<data_dir>/logs/assistant.log``. Callers log ids, counts and timings only, never text.

As a second line of defence every record passes :class:`PiiLogFilter` before it is written: whatever the PII
detector finds in the formatted message (arguments included), the traceback or the stack gets the policy's
``logs`` operator: a salted hash ``<TYPE#1a2b3c4d>`` (the same value, the same hash in every record) or
``<TYPE>`` (see :mod:`privacy.policies`; the services wire it).

A record whose ``%``-style arguments are all numbers, None or :class:`LogSafe` values (text the program built
from no personal data: hashes, enum names, counts as JSON) has only its template scanned, once per template
(a constant of the code; only whether the scan found something is kept, keyed by the template's hash): a
clean template is formatted as is, one where the scan finds something is scanned whole with its arguments, as
is any other record, arguments in their context. A scan costs 5-15 ms whatever the length (spaCy and the
recognizers' fixed costs): an ingested file's line needed one scan per file, 16% of the ingestion thread's
time on SciFact abstracts.

Lines are plain text (``logs.format: text``) or one JSON object each (``json``: ``time``, ``level``, ``logger``,
``message``, ``request_id``, and ``exception`` when there is one), written after the filter, so JSON lines are
scrubbed the same way. ``request_id`` is the id of the request being served (:func:`request_scope`, set by the
API for each request and returned in its ``X-Request-ID`` header), or null.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

__all__ = [
    "JsonFormatter",
    "LogSafe",
    "PiiLogFilter",
    "configure_logging",
    "logger",
    "request_id",
    "request_scope",
]

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


class LogSafe(str):
    """A log argument the program built from no personal data (a hash, an enum name, a domain name, counts as
    JSON): :class:`PiiLogFilter` passes it unscanned. Never wrap text a user, a document or a model wrote."""

    __slots__ = ()


#: Argument types the filter passes unscanned.
_UNSCANNED = (int, float, LogSafe, type(None))
#: A %-style conversion ("%s", "%.2f", "%(name)d", "%%").
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


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
        # sha256 of a template -> whether the scan found nothing in it (bounded)
        self._templates: dict[str, bool] = {}

    def _clean_template(self, template: str) -> bool:
        """Whether the scan finds nothing in ``template`` with each conversion read as ``0`` ("redactions=%s"
        alone looked like a place to the detector); decided once per template."""
        key = hashlib.sha256(template.encode("utf-8", "surrogatepass")).hexdigest()
        clean = self._templates.get(key)
        if clean is None:
            neutral = _CONVERSION.sub("0", template)
            clean = self.scrub(neutral) == neutral
            if len(self._templates) >= 512:
                self._templates.clear()
            self._templates[key] = clean
        return clean

    def _message(self, record: logging.LogRecord) -> str:
        """The scanned message: a ``%`` template whose arguments are all unscanned types is scanned alone (once
        per template); any other record is scanned whole, so text arguments keep their context ("call %s")."""
        args = record.args
        if (
            isinstance(record.msg, str)
            and isinstance(args, tuple)
            and args
            and all(isinstance(a, _UNSCANNED) for a in args)
        ) and self._clean_template(record.msg):
            try:
                return record.msg % args
            except (TypeError, ValueError):
                pass  # a malformed template: scan the formatted message whole
        return self.scrub(record.getMessage())

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place (once, even if several handlers carry this filter); always keep it."""
        if getattr(record, "pii_scrubbed", False):
            return True
        try:
            message = self._message(record)
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
