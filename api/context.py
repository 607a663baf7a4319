"""What every request handler gets: the services, the account store, the limits, the upload jobs, and the
caller."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request

from api.errors import NotFound
from api.jobs import UploadJobs
from api.limits import GenerationGate, RateLimiter
from api.principal import Principal, authenticate
from pipelines.accounts import AccountStore
from pipelines.chat.pipeline import ChatEvent
from pipelines.conversation.memory import new_session_id
from pipelines.core.errors import AssistantError
from pipelines.services import Services

__all__ = ["ApiContext", "Caller", "Context", "caller", "context"]

_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class ApiContext:
    """The server's shared state (one per process; handlers get it with ``Depends(context)``).

    Attributes:
        services: The composition root of the data dir.
        accounts: Users, keys and session owners; None in single-user mode (no keys, one local user).
        secret: Key of the session-label HMAC (:meth:`api.principal.Principal.session_for`).
        rate: The per-key request rate limit.
        gate: The bounded queue in front of generation.
        started_at: When the server started (seconds since the epoch).
        jobs: The upload jobs (``async=true`` uploads, :mod:`api.jobs`; in memory).
    """

    services: Services
    accounts: AccountStore | None
    secret: bytes
    rate: RateLimiter
    gate: GenerationGate
    started_at: float = field(default_factory=time.time)
    jobs: UploadJobs = field(default_factory=UploadJobs)

    def own_session(self, principal: Principal, session_id: str | None, create: bool) -> str:
        """The session a request of ``principal`` works on.

        With accounts, a session id a client chooses is the caller's own name for it: an id the caller already
        owns (one the server returned) is used as it is; any other id maps to the caller's private session
        ``s<HMAC(caller, id)>``, created with ``create``. So a client never learns whether an id is used by
        someone else: continuing answers the same either way, and erasing another user's session is 404 like one
        that never existed. None = a new random session.

        Raises:
            AssistantError: Malformed id (the message does not repeat it).
            NotFound: Without ``create``, the caller has no such session.
        """
        if session_id is not None and not _SESSION_ID.fullmatch(session_id):
            raise AssistantError("invalid session id: use 1-64 letters, digits, '-' or '_'")
        if self.accounts is None or principal.user is None:
            return session_id or new_session_id()
        if session_id is None:
            session_id = new_session_id()
            self.accounts.claim_session(session_id, principal.user)
            return session_id
        if self.accounts.owner(session_id) == principal.user:
            return session_id
        scoped = principal.session_for(f"session-id\x00{session_id}", self.secret)
        if self.accounts.owner(scoped) == principal.user:
            return scoped
        if not create or not self.accounts.claim_session(scoped, principal.user):
            raise NotFound("no such session")
        return scoped

    def chat_events(
        self, question: str, session_id: str, domain: str, *, owner: str | None
    ) -> Iterator[ChatEvent]:
        """The turn's events, generated under a slot of the generation gate (:meth:`GenerationGate.stream`); the
        first event ("meta") is produced before this returns, so that bad input fails with its own status, not
        mid-stream.

        ``owner`` is the caller (``principal.user``): retrieval sees the shared documents and the caller's
        private ones (None, single-user mode: all). Required, so that no caller forgets it.

        Raises:
            Busy: The generation queue is full.
            AssistantError: Bad question, unknown domain, backend failure.
        """
        return self.gate.stream(
            lambda: self.services.chat.stream(question, session_id=session_id, domain=domain, owner=owner)
        )


def context(request: Request) -> ApiContext:
    """The server's :class:`ApiContext` (FastAPI dependency)."""
    return request.app.state.api  # type: ignore[no-any-return]


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The authenticated caller, after the rate limit (FastAPI dependency).

    Raises:
        AuthError: Missing or refused key (local auth).
        Busy: The key's rate limit is reached.
    """
    ctx = context(request)
    principal = authenticate(authorization, ctx.accounts)
    ctx.rate.take(principal.key_name or "local")
    return principal


#: A handler's parameter types: the server's context and the authenticated caller.
Context = Annotated[ApiContext, Depends(context)]
Caller = Annotated[Principal, Depends(caller)]
