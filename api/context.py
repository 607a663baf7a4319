"""What every request handler gets: the services, the account store, the limits, and the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request

from api.errors import NotFound
from api.limits import GenerationGate, RateLimiter
from api.principal import Principal, authenticate, fresh_session
from pipelines.accounts import AccountStore
from pipelines.chat.pipeline import ChatEvent
from pipelines.conversation.memory import MemoryStore
from pipelines.services import Services

__all__ = ["ApiContext", "Caller", "Context", "caller", "context"]


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
    """

    services: Services
    accounts: AccountStore | None
    secret: bytes
    rate: RateLimiter
    gate: GenerationGate
    started_at: float = field(default_factory=time.time)

    def own_session(self, principal: Principal, session_id: str | None, create: bool) -> str:
        """The session id ``principal`` may use: a new one for None; an existing one only if theirs; with
        ``create``, an unused id becomes theirs.

        Raises:
            SessionError: Malformed id.
            NotFound: Another user's session, or (without ``create``) none at all; the same answer for both.
        """
        if session_id is None:
            session_id = fresh_session()
        MemoryStore.check_id(session_id)
        if self.accounts is None or principal.user is None:
            return session_id
        owner = self.accounts.owner(session_id)
        if owner == principal.user:
            return session_id
        exists = (
            owner is not None
            or self.services.memory.exists(session_id)
            or self.services.vaults.exists(session_id)
        )
        if exists or not create:
            raise NotFound(f"no session {session_id!r}")
        if not self.accounts.claim_session(session_id, principal.user):
            raise NotFound(f"no session {session_id!r}")
        return session_id

    def chat_events(self, question: str, session_id: str, domain: str) -> Iterator[ChatEvent]:
        """The turn's events, generated under a slot of the generation gate; the first event ("meta") is
        produced before this returns, so that bad input fails with its own status, not mid-stream.

        Raises:
            Busy: The generation queue is full.
            AssistantError: Bad question, unknown domain, backend failure.
        """
        slot = self.gate.slot()
        slot.__enter__()
        try:
            stream = self.services.chat.stream(question, session_id=session_id, domain=domain)
            first = next(stream)
        except BaseException:
            slot.__exit__(None, None, None)
            raise

        def rest() -> Iterator[ChatEvent]:
            try:
                yield first
                yield from stream
            finally:
                slot.__exit__(None, None, None)

        return rest()


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
