"""``/api``: the product's own endpoints, each the JSON of its CLI command (README, "REST API")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.context import Caller, Context
from api.errors import NotFound
from pipelines.chat.pinning import resolve_documents
from pipelines.chat.signals import detect_signals
from pipelines.core.deidentification import scratch_vault
from pipelines.core.errors import AssistantError

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["product"])


class AskRequest(BaseModel):
    """``POST /api/ask``: the arguments of ``assistant ask``."""

    question: str
    domain: str = "auto"
    session_id: str | None = None
    documents: list[str] | None = None
    backend: str | None = None


class TextRequest(BaseModel):
    """A text and, optionally, the domain whose policy applies (default: the union of every domain's)."""

    text: str = Field(max_length=200_000)
    domain: str | None = None


class QuestionRequest(BaseModel):
    """A question to route."""

    question: str = Field(max_length=20_000)


@router.post("/ask")
def ask(body: AskRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """One chat turn; the ``ask --json`` object."""
    domain = principal.chat_domain(body.domain)
    session_id = ctx.own_session(principal, body.session_id, create=True)
    pinned = None
    if body.documents:
        resolved = resolve_documents(ctx.services.store, ctx.services.domains, body.documents, domain)
        principal.check_domain(resolved.domain)
        domain, pinned = resolved.domain, resolved.sha256
    with ctx.gate.slot():
        result = ctx.services.chat.ask(
            body.question, session_id=session_id, domain=domain, backend=body.backend, documents=pinned
        )
    return result.to_json_dict()


@router.post("/deidentify")
def deidentify(body: TextRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, entities}``: the text with placeholders (a throwaway vault: nothing is stored)."""
    principal.check_domain(body.domain)
    result = ctx.services.deidentification.pseudonymize(body.text, scratch_vault("api"), body.domain)
    return {
        "text": result.text,
        "entities": [
            {"type": f.entity_type, "start": f.start, "end": f.end, "score": round(f.score, 3)}
            for f in result.findings
        ],
    }


@router.post("/route")
def route(body: QuestionRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{question, domain, confidence, scores}``: the de-identified question and its domain (no model call)."""
    if not body.question.strip():
        raise AssistantError("the question is empty")
    redacted, decision = ctx.services.chat.route(body.question)
    return {
        "question": redacted,
        "domain": decision.domain,
        "confidence": decision.confidence,
        "scores": decision.scores,
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

    text: str = Field(max_length=20_000)
    domain: str = "finance"


@router.post("/intent")
def intent(body: MessageRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, intent, confidence}`` of the de-identified message (``assistant intent``'s line)."""
    principal.check_domain(body.domain)
    classifier = ctx.services.intent_classifier(body.domain)
    if classifier is None:
        raise AssistantError(f"domain {body.domain!r} has no intent model")
    redacted = ctx.services.deidentification.pseudonymize(body.text, scratch_vault("api"), body.domain).text
    return classifier.predict([redacted])[0].to_json_dict()


@router.post("/risk")
def risk(body: MessageRequest, ctx: Context, principal: Caller) -> dict[str, Any]:
    """``{text, categories, evidence, severity, escalate}`` of the de-identified message (``assistant risk``)."""
    principal.check_domain(body.domain)
    if ctx.services.risk_detector(body.domain) is None:
        raise AssistantError(f"domain {body.domain!r} has no risk rules")
    redacted = ctx.services.deidentification.pseudonymize(body.text, scratch_vault("api"), body.domain).text
    config = ctx.services.domains.domain(body.domain)
    assessment = detect_signals(config, ctx.services.analyzers(body.domain), redacted).risk
    if assessment is None:
        raise AssistantError(f"domain {body.domain!r} has no risk rules")
    return {"text": redacted, **assessment.to_json_dict()}
