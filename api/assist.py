"""``POST /api/assist``: agent assist for one customer message, streamed as NDJSON (one JSON object a line).

The skill is :class:`pipelines.skills.agent_assist.assist.AgentAssist` (the agent-assist page's), in the domain
``agent_assist.domain`` (default finance); only a role that may use that domain calls it (agents; anyone in
single-user mode), others get 403. The message is de-identified with the session's vault before intent, risk,
retrieval, the model or a log line see it; the session is the caller's own (``session_id`` as in ``/api/ask``).

The response (``application/x-ndjson``, status 200 once the analysis is done) is the turn's events, each a line:

- ``{"event": "meta", "data": {...}}``: the analysis, :meth:`AssistResult.to_json_dict` without a draft yet:
  ``session_id``, ``domain``, ``message`` (de-identified: what the model saw), ``masked`` (counts per entity
  type), ``intent``, ``risk``, ``escalation_advice``, ``sources``, ``required_wording``, ``backend``, ``model``.
- ``{"event": "answer", "text": "..."}``: draft text as the model writes it, shown as the agent sees it (the
  customer's values restored with the domain's ``display`` operators: a card as ``•••• 6467``).
- ``{"event": "done", "data": {...}}``: the final object: the same keys with ``draft`` (de-identified, what
  feedback stores), ``wording_added``, ``timings_ms``, and ``draft_display`` (the draft as the agent sees it).
- ``{"event": "error", "error": {"status", "type", "message"}}``: a failure after the response started
  (e.g. the model backend stopped); the stream ends there.

Errors before the stream starts are the ``/api`` error shape: 400 (empty message or over 20,000 characters,
unknown backend, malformed session id), 403 (role), 429 with ``Retry-After`` (the generation queue is full).
A ``session_id`` is the caller's own name for a session, as in ``/api/ask``: another user's id names a new
session of the caller's, never theirs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.checks import check_backend, check_length, usable_domain
from api.context import Caller, Context
from api.errors import error_response, status_of
from api.streaming import close_events, streaming_response
from pipelines.core.errors import USER_FACING_ERRORS
from pipelines.core.limits import MAX_MESSAGE_CHARS
from pipelines.skills.agent_assist.assist import AssistEvent

__all__ = ["NDJSON", "router"]

router = APIRouter(tags=["product"])

#: The media type of a streamed ``/api`` response.
NDJSON = "application/x-ndjson"

_EVENT_EXAMPLE = {
    "event": "answer",
    "text": "I am sorry to hear that your card ending •••• 6467 was declined…",
}


class AssistRequest(BaseModel):
    """``POST /api/assist``: a customer's message (raw: it is de-identified before anything else sees it)."""

    message: str
    session_id: str | None = None
    backend: str | None = None


def _line(payload: dict[str, Any]) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode()


def _ndjson(events: Iterator[AssistEvent]) -> Iterator[bytes]:
    try:
        for event in events:
            if event.kind == "meta" and event.data is not None:
                yield _line({"event": "meta", "data": event.data.to_json_dict()})
            elif event.kind == "answer" and event.text:
                yield _line({"event": "answer", "text": event.text})
            elif event.kind == "done" and event.data is not None:
                final = {**event.data.to_json_dict(), "draft_display": event.data.draft}
                yield _line({"event": "done", "data": final})
    except USER_FACING_ERRORS as exc:  # the status is sent: the error goes in the stream, in the /api shape
        yield _line(
            {"event": "error", **json.loads(bytes(error_response("/api/", status_of(exc), str(exc)).body))}
        )
    finally:  # closed early (the client went away): stop the generation and give its place back
        close_events(events)


@router.post(
    "/assist",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The assist turn's events, one JSON object a line (see the endpoint's description).",
            "content": {NDJSON: {"example": _EVENT_EXAMPLE}},
        }
    },
)
def assist(body: AssistRequest, ctx: Context, principal: Caller) -> StreamingResponse:
    """Agent assist on one customer message, streamed as NDJSON: a ``meta`` line (the de-identified message,
    intent, risk, escalation advice, policy passages), ``answer`` lines (the reply draft as the agent sees it),
    then ``done`` (the final object, like ``to_json_dict`` of the agent-assist result, plus ``draft_display``);
    a failure after the start is an ``error`` line. Only roles that may use the agent-assist domain (agents)."""
    domain = usable_domain(ctx, principal, ctx.services.settings.agent_assist.domain)
    check_length(body.message, MAX_MESSAGE_CHARS, "customer message")
    backend = check_backend(body.backend)
    session_id = ctx.own_session(principal, body.session_id, create=True)
    events = ctx.gate.stream(
        lambda: ctx.services.assist.stream(
            body.message, session_id=session_id, backend=backend, domain=domain, owner=principal.user
        )
    )
    return streaming_response(_ndjson(events), NDJSON)
