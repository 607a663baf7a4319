"""``/v1``: the OpenAI-compatible chat API (``GET /v1/models``, ``POST /v1/chat/completions``, streamed or not).

Models: ``assistant`` routes each question to a domain, ``assistant-<domain>`` pins one (a role limited to one
domain gets that domain under ``assistant``). The question is the last ``user`` message; the conversation is
the server's session, chosen by the ``X-Session-Id`` header, else Open WebUI's ``X-OpenWebUI-Chat-Id`` (sent when
Open WebUI runs with ``ENABLE_FORWARD_USER_INFO_HEADERS=True``: one session per Open WebUI chat), else the ``user``
field (these two hashed with the caller: the label is never stored), else a new session per request (the client's earlier messages are not replayed:
the server keeps each session's de-identified history and its vault, so placeholders stay stable across turns).
The answer carries the reasoning in ``reasoning_content`` and the product's extras (domain, sources, citation
checks, the answer's figures found in no source as ``unsupported``, session id, masked counts, intent, risk,
escalation) in ``assistant``; a phone number, card number or e-mail address the model invented is a marker
(``[unverified phone number]``) in the content. When the question's risk escalates
(an emergency symptom, a stolen card), the domain's notice opens the content ("⚠️ …" and a blank line), since
an OpenAI client shows nothing else. ``usage`` counts are estimates (characters / 4), since the
pipeline does not see the backend's tokenizer.

Sampling options: ``max_tokens``, ``max_completion_tokens``, ``temperature`` and ``top_p`` are accepted (checked
against OpenAI's ranges) and ignored: the chat turn takes no per-call generation options, so the server's settings
apply (``llamacpp.max_tokens`` / ``llamacpp.temperature``, ``ollama.temperature``). Other OpenAI fields are
accepted and ignored too.

Errors: an unknown model is 404 (as OpenAI answers it), a model of a domain the role may not use 403, a question
over 20,000 characters or without text 400; after a stream has started an error is sent as a last ``data:``
event in OpenAI's error shape, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.checks import check_length
from api.context import ApiContext, Caller, Context
from api.errors import Forbidden, NotFound, error_response, status_of
from api.principal import Principal
from api.streaming import close_events, streaming_response
from pipelines.chat.pipeline import MAX_QUESTION_CHARS, ChatResult
from pipelines.core.errors import USER_FACING_ERRORS, AssistantError
from pipelines.llm.turn import run_to_completion

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
BASE_MODEL = "assistant"


class ContentPart(BaseModel):
    """One part of a message's content (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    type: str = "text"
    text: str | None = None


class Message(BaseModel):
    """A chat message (``content`` as a string or a list of parts)."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


_IGNORED = (
    "Accepted and ignored: the server's generation settings apply (the chat turn takes no per-call options)."
)


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat completion request this server reads (other fields are accepted, ignored)."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, description=_IGNORED)
    max_completion_tokens: int | None = Field(default=None, ge=1, description=_IGNORED)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description=_IGNORED)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0, description=_IGNORED)


def model_ids(ctx: ApiContext, principal: Principal) -> list[str]:
    """The models ``principal`` may use: ``assistant`` and ``assistant-<domain>`` per allowed domain."""
    domains = [name for name in ctx.services.domains if principal.may_use(name)]
    return [BASE_MODEL, *(f"{BASE_MODEL}-{name}" for name in domains)] if domains else []


def domain_of(ctx: ApiContext, principal: Principal, model: str) -> str:
    """The domain a model name asks for ("auto" for ``assistant``), checked against the caller's role.

    Raises:
        NotFound: No such model.
        Forbidden: The caller's role may not use it.
    """
    if model == BASE_MODEL:
        return principal.chat_domain("auto")
    name = model.removeprefix(f"{BASE_MODEL}-")
    if not model.startswith(f"{BASE_MODEL}-") or name not in ctx.services.domains:
        raise NotFound(f"the model {model!r} does not exist; GET /v1/models lists them")
    if not principal.may_use(name):
        raise Forbidden(f"the role {principal.role!r} may not use {model!r}")
    return name


@router.get("/models")
def list_models(ctx: Context, principal: Caller) -> dict[str, Any]:
    """The models of this server (OpenAI's list shape)."""
    created = int(ctx.started_at)
    data = [
        {"id": m, "object": "model", "created": created, "owned_by": "assistant"}
        for m in model_ids(ctx, principal)
    ]
    return {"object": "list", "data": data}


def _estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4) if text else 0


def _extras(result: ChatResult) -> dict[str, Any]:
    return {
        "domain": result.domain,
        "route_confidence": result.route_confidence,
        "session_id": result.session_id,
        "sources": [s.to_json_dict() for s in result.sources],
        "citations": [c.to_json_dict() for c in result.citations],
        "unsupported": [c.to_json_dict() for c in result.unsupported],  # figures in no source (claims.py)
        "masked": result.masked,
        "disclaimer": result.disclaimer,
        "backend": result.backend,
        "host": result.host,
        "model": result.model,
        **result.signals.to_json_dict(),  # intent, risk, escalation
    }


def _notice_text(notice: str) -> str:
    """The escalation notice as the first paragraph of the content: an OpenAI client (Open WebUI, the SDK)
    shows only the content, and an emergency or fraud notice must reach its user like the web app's banner."""
    return f"⚠️ {notice}\n\n" if notice else ""


def _usage(question: str, result: ChatResult) -> dict[str, int]:
    prompt = _estimate_tokens(question)
    completion = (
        result.output_tokens
        if result.output_tokens is not None
        else _estimate_tokens(result.answer) + _estimate_tokens(result.reasoning)
    )
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@router.post("/chat/completions", response_model=None)
def chat_completions(
    body: ChatCompletionRequest,
    ctx: Context,
    principal: Caller,
    x_session_id: Annotated[str | None, Header()] = None,
    x_openwebui_chat_id: Annotated[str | None, Header()] = None,
) -> JSONResponse | StreamingResponse | dict[str, Any]:
    """One chat turn on the last user message. ``max_tokens``, ``max_completion_tokens``, ``temperature`` and
    ``top_p`` are accepted and ignored (the server's generation settings apply). 400: no user message with text,
    or one over 20,000 characters; 403: a model of a domain the role may not use; 404: an unknown model; 429: the
    generation queue is full."""
    domain = domain_of(ctx, principal, body.model)
    questions = [m.text() for m in body.messages if m.role == "user"]
    if not questions or not questions[-1].strip():
        raise AssistantError("the request has no user message with text")
    question = check_length(questions[-1], MAX_QUESTION_CHARS, "question")
    if x_session_id:
        session_id = ctx.own_session(principal, x_session_id, create=True)
    elif x_openwebui_chat_id:
        label = principal.session_for(f"open-webui-chat\x00{x_openwebui_chat_id}", ctx.secret)
        session_id = ctx.own_session(principal, label, create=True)
    elif body.user:
        session_id = ctx.own_session(principal, principal.session_for(body.user, ctx.secret), create=True)
    else:
        session_id = ctx.own_session(principal, None, create=True)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    events = ctx.chat_events(question, session_id, domain, owner=principal.user)  # bad input raises here
    if not body.stream:
        result = run_to_completion(events)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": _notice_text(result.signals.notice) + result.answer,
                        "reasoning_content": result.reasoning,
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(question, result),
            "assistant": _extras(result),
        }
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    return streaming_response(
        _sse(events, completion_id, created, body.model, question, include_usage), "text/event-stream"
    )


def _chunk(
    completion_id: str, created: int, model: str, delta: dict[str, Any], finish: str | None
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _sse(
    events: Iterator[Any], completion_id: str, created: int, model: str, question: str, include_usage: bool
) -> Iterator[str]:
    def line(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield line(_chunk(completion_id, created, model, {"role": "assistant", "content": ""}, None))
    try:
        for event in events:
            if event.kind == "meta" and event.data is not None and event.data.signals.notice:
                notice = _notice_text(event.data.signals.notice)
                yield line(_chunk(completion_id, created, model, {"content": notice}, None))
            elif event.kind == "answer" and event.text:
                yield line(_chunk(completion_id, created, model, {"content": event.text}, None))
            elif event.kind == "reasoning" and event.text:
                yield line(_chunk(completion_id, created, model, {"reasoning_content": event.text}, None))
            elif event.kind == "done" and event.data is not None:
                final = _chunk(completion_id, created, model, {}, "stop")
                final["assistant"] = _extras(event.data)
                yield line(final)
                if include_usage:
                    usage = {**_chunk(completion_id, created, model, {}, None), "choices": []}
                    usage["usage"] = _usage(question, event.data)
                    yield line(usage)
    except USER_FACING_ERRORS as exc:  # after the first byte the status is sent: the error goes in the stream
        yield line(json.loads(bytes(error_response("/v1/", status_of(exc), str(exc)).body)))
    finally:  # closed early (the client went away): stop the generation and give its place back
        close_events(events)
    yield "data: [DONE]\n\n"
