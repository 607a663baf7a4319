"""Errors of the pipelines package, and the set of errors the UI shows as messages."""

from __future__ import annotations

from domains import DomainError
from ingest import IngestError, StoreError
from privacy import PrivacyError

__all__ = [
    "USER_FACING_ERRORS",
    "AssistantError",
    "BackendError",
    "DatabaseError",
    "DocumentError",
    "SessionError",
    "StoreError",
]


class AssistantError(Exception):
    """Base error of the pipelines package."""


class BackendError(AssistantError):
    """The LLM backend is unreachable, lacks the model, or failed; the message says what to run."""


class DatabaseError(AssistantError):
    """The SQL database (``database.url``) cannot be reached, refuses the credentials, or the URL is malformed or
    of an unsupported kind; the message names the host, port, database and user, never the password."""


class SessionError(AssistantError):
    """A session id that does not exist or is malformed."""


class DocumentError(AssistantError):
    """An indexed document named by a file name or sha256 prefix that matches none, or several."""


#: ``ingest.StoreError`` (a document store failed: Chroma server, BM25 index), re-exported so the delivery
#: adapters, which import only ``pipelines``, can map it (the API answers it with 503).

#: Errors whose message is safe and useful to show a user (no traceback, no PII).
USER_FACING_ERRORS: tuple[type[Exception], ...] = (AssistantError, IngestError, PrivacyError, DomainError)
