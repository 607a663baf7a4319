"""Errors of the pipelines package, and the set of errors the UI shows as messages."""

from __future__ import annotations

from domains import DomainError
from ingest import IngestError
from privacy import PrivacyError

__all__ = [
    "USER_FACING_ERRORS",
    "AssistantError",
    "BackendError",
    "DatabaseError",
    "DocumentError",
    "SessionError",
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


#: Errors whose message is safe and useful to show a user (no traceback, no PII).
USER_FACING_ERRORS: tuple[type[Exception], ...] = (AssistantError, IngestError, PrivacyError, DomainError)
