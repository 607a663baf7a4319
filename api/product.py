"""``/api``: the product's own endpoints, each the JSON of its CLI command (README, "REST API").

Input checks are shared (:mod:`api.checks`): an unknown domain or backend and a text over its limit are 400, a
domain the role may not use 403. ``/api/assist`` (streamed) lives in :mod:`api.assist`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import assist
from api.checks import check_backend, check_length, usable_domain
from api.context import Caller, Context
from api.errors import NotFound
from pipelines.chat.pinning import resolve_documents
from pipelines.chat.pipeline import MAX_QUESTION_CHARS
from pipelines.core import metrics
from pipelines.core.deidentification import scratch_vault
from pipelines.core.errors import AssistantError
from pipelines.core.limits import MAX_MESSAGE_CHARS
from pipelines.core.logs import logger

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["product"])

#: Longest text ``/api/deidentify`` takes, characters (a document's worth; questions have their own limit).
MAX_TEXT_CHARS = 200_000


class AskRequest(BaseModel):
    """``POST /api/ask``: the arguments of ``assistant ask``."""

    question: str
    domain: str = "auto"
    session_id: str | None = None
    documents: list[str] | None = None
    backend: str | None = None


class TextRequest(BaseModel):
    """A text and, optionally, the domain whose policy applies (default: the union of every domain's)."""

    text: str
    domain: str | None = None


class QuestionRequest(BaseModel):
    """A question to route."""

    question: str


@router.post("/ask")
def ask(body: AskRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """One chat turn; the ``ask --json`` object (``unsupported``: the answer's figures found in no passage the
    model saw nor in the question, with the reason; an invented phone, card or e-mail is a marker in ``answer``). 400: empty question or over 20,000 characters, unknown domain
    or backend; 403: a domain the role may not use; 429: the generation queue is full."""
    domain = principal.chat_domain(usable_domain(ctx, principal, body.domain) or "auto")
    check_length(body.question, MAX_QUESTION_CHARS, "question")
    backend = check_backend(body.backend)
    session_id = ctx.own_session(principal, body.session_id, create=True)
    pinned = None
    if body.documents:
        resolved = resolve_documents(
            ctx.services.store, ctx.services.domains, body.documents, domain, principal.user
        )
        principal.check_domain(resolved.domain)
        domain, pinned = resolved.domain, resolved.sha256
    with ctx.gate.slot():
        result = ctx.services.chat.ask(
            body.question,
            session_id=session_id,
            domain=domain,
            backend=backend,
            documents=pinned,
            owner=principal.user,
        )
    return result.to_json_dict()


@router.post("/deidentify")
def deidentify(body: TextRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, entities}``: the text with placeholders (a throwaway vault: nothing is stored); 400 over 200,000
    characters."""
    usable_domain(ctx, principal, body.domain)
    check_length(body.text, MAX_TEXT_CHARS, "text")
    result = ctx.services.deidentification.pseudonymize(body.text, scratch_vault("api"), body.domain)
    metrics.observe_masked(result.counts())
    return {
        "text": result.text,
        "entities": [
            {"type": f.entity_type, "start": f.start, "end": f.end, "score": round(f.score, 3)}
            for f in result.findings
        ],
    }


@router.post("/route")
def route(body: QuestionRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{question, domain, confidence, scores, out_of_domain, best}``: the de-identified question and its domain
    (no model call); ``domain`` is null when the router is unsure (``best`` is then its guess)."""
    if not body.question.strip():
        raise AssistantError("the question is empty")
    check_length(body.question, MAX_QUESTION_CHARS, "question")
    redacted, decision = ctx.services.chat.route(body.question)
    return {
        "question": redacted,
        "domain": decision.domain,
        "confidence": decision.confidence,
        "scores": decision.scores,
        "out_of_domain": decision.out_of_domain,
        "best": decision.best,
    }


@router.get("/sessions")
def sessions(ctx: Context, principal: Caller) -> dict[str, Any]:
    """The caller's sessions (titles de-identified), most recent first."""
    listed = ctx.services.conversations.sessions()
    if ctx.accounts is not None and principal.user is not None:
        mine = ctx.accounts.sessions_of(principal.user)
        listed = [info for info in listed if info.id in mine]
    return {
        "sessions": [
            {
                "session_id": info.id,
                "title": info.title,
                "turns": info.turns,
                "created_at": info.created_at,
                "updated_at": info.updated_at,
            }
            for info in listed
        ]
    }


@router.delete("/sessions/{session_id}")
def erase_session(session_id: str, ctx: Context, principal: Caller) -> dict[str, Any]:
    """Erase one of the caller's sessions (vault and turns); the erasure receipt."""
    owned = ctx.own_session(principal, session_id, create=False)
    if not (ctx.services.memory.exists(owned) or ctx.services.vaults.exists(owned)):
        raise NotFound("no such session")
    receipt = ctx.services.conversations.erase(owned)
    if ctx.accounts is not None:
        ctx.accounts.release_session(owned)
    return receipt.to_dict()


class MessageRequest(BaseModel):
    """A customer message and the domain whose models and policy apply."""

    text: str
    domain: str = "finance"


@router.post("/intent")
def intent(body: MessageRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, intent, confidence}`` of the de-identified message (``assistant intent``'s line)."""
    usable_domain(ctx, principal, body.domain)
    check_length(body.text, MAX_MESSAGE_CHARS, "message")
    return ctx.services.triage.intents(body.domain, [body.text])[0]


@router.post("/risk")
def risk(body: MessageRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, categories, evidence, severity, escalate}`` of the de-identified message (``assistant risk``)."""
    usable_domain(ctx, principal, body.domain)
    check_length(body.text, MAX_MESSAGE_CHARS, "message")
    return ctx.services.triage.risks(body.domain, [body.text])[0]


#: Longest feedback comment, characters.
MAX_COMMENT_CHARS = 4_000


class FeedbackRequest(BaseModel):
    """``POST /api/feedback``: a rating of one stored turn of the caller's session."""

    session_id: str
    turn: int = Field(ge=0, description="The turn's position in the session, 0 = the first question.")
    rating: Literal["up", "down"]
    comment: str | None = Field(
        default=None,
        description="Free text, de-identified with the session's vault before it is stored (at most 4,000 "
        "characters).",
    )


@router.post("/feedback")
def feedback(body: FeedbackRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """Rate a stored answer (``/api/ask``, ``/v1`` or the web app) of one of the caller's sessions; ``{session_id,
    turn, rating, comment, created_at}`` with the comment as stored. A later rating of the same turn replaces it;
    erasing the session erases its ratings.

    The comment is free text: the names, numbers and other values in it are de-identified with the session's
    vault and the turn's domain's ``memory`` operators before anything stores it (a value of the conversation
    gets its placeholder, ``<PERSON_1>``).

    404: the session is not the caller's, or has no such turn; 400: a comment over 4,000 characters.
    """
    session_id = ctx.own_session(principal, body.session_id, create=False)
    check_length(body.comment or "", MAX_COMMENT_CHARS, "comment")
    if not ctx.services.memory.exists(session_id):
        raise NotFound("no such session")
    turn = next((t for t in ctx.services.memory.turns(session_id) if t.position == body.turn), None)
    if turn is None:
        raise NotFound("no such turn")
    domain = turn.domain if turn.domain in ctx.services.domains else None
    comment = ""
    if body.comment and body.comment.strip():
        vault, _expired = ctx.services.conversations.open_vault(session_id)
        _prompt, stored = ctx.services.deidentification.deidentify_message(
            body.comment.strip(), vault, domain
        )
        ctx.services.vaults.save(vault)
        comment = stored.text
    record = ctx.services.memory.rate(session_id, body.turn, body.rating, comment)
    logger.info("api feedback session=%s turn=%d rating=%s", session_id, body.turn, body.rating)
    return {
        "session_id": session_id,
        "turn": body.turn,
        "rating": body.rating,
        "comment": comment,
        "created_at": record.created_at,
    }


router.include_router(assist.router)
