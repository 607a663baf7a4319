"""``assistant ask`` and ``assistant route``: a chat turn streamed to the terminal, and routing alone."""

from __future__ import annotations

import itertools
import sys
from typing import Annotated

import typer

from cli.context import emit, services, stdin_text
from cli.progress import StderrProgress
from pipelines.chat.pinning import resolve_documents
from pipelines.chat.routing import UnsureRouteError
from pipelines.chat.signals import signals_line
from pipelines.core.errors import AssistantError

__all__ = ["ask", "route", "run_ask"]

EXPIRED_NOTE = (
    "note: the personal values of this session's earlier turns expired and were erased; "
    "their placeholders (such as <PERSON_1>) can no longer be restored"
)


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question.")],
    domain: Annotated[str, typer.Option("--domain", help="auto, or a domain name to pin.")] = "auto",
    session: Annotated[str | None, typer.Option("--session", help="Session id to continue.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|openai|llamacpp.")] = None,
    document: Annotated[
        list[str] | None,
        typer.Option(
            "--document",
            help="Answer only from this document (file name as `documents` lists it, or a sha256 prefix of "
            ">= 8 hex digits); repeatable. Pins the documents' domain.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Ask a question; the answer streams to stdout (or one JSON object with --json)."""
    run_ask(ctx, question, domain, session, backend, document, as_json)


def run_ask(
    ctx: typer.Context,
    question: str,
    domain: str = "auto",
    session: str | None = None,
    backend: str | None = None,
    document: list[str] | None = None,
    as_json: bool = False,
) -> None:
    """One chat turn: index the sample corpora if needed, then stream the answer to stdout and the route,
    sources, citation checks and unsupported figures to stderr (or print the ``ask --json`` object, whose
    ``unsupported`` lists the figures found in no source)."""
    built = services(ctx)
    if built.settings.ingest.index_samples_on_start:
        with StderrProgress() as bar:
            bar.start("indexing sample corpus")
            built.ingestion.index_sample_corpora(progress=bar.overall)
    pinned = None
    if document:
        resolved = resolve_documents(built.store, built.domains, document, domain)
        domain, pinned = resolved.domain, resolved.sha256
    events = built.chat.stream(question, session_id=session, domain=domain, backend=backend, documents=pinned)
    try:
        first = next(events)
    except UnsureRouteError as error:  # nothing was stored: say how to choose
        raise AssistantError(f"{error} with --domain NAME") from None
    for event in itertools.chain([first], events):
        if event.kind == "meta" and not as_json and event.data is not None:
            meta = event.data
            typer.echo(
                f"[{meta.domain} {meta.route_confidence:.2f}"
                + (" (the router was unsure: the conversation's domain)" if meta.route_followed else "")
                + f" · {meta.backend} {meta.model} · "
                f"session {meta.session_id}]",
                err=True,
            )
            if meta.vault_expired:
                typer.echo(EXPIRED_NOTE, err=True)
            if flags := signals_line(meta.signals):
                typer.echo(f"[{flags}]", err=True)
            if meta.signals.notice:
                typer.echo(f"! {meta.signals.notice}\n")
        elif event.kind == "answer" and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif event.kind == "done" and event.data is not None:
            result = event.data
            if as_json:
                emit(result.to_json_dict())
                continue
            typer.echo("")
            for source in result.sources:
                cited = [c for c in result.citations if c.number == source.number]
                mark = " · cited" if cited and all(c.supported for c in cited) else ""
                typer.echo(
                    f"  [{source.number}] {source.source} ({source.location}) score {source.score:.3f}{mark}",
                    err=True,
                )
                for citation in cited:
                    if not citation.supported:
                        typer.echo(f"      ! unsupported: {citation.shown} ({citation.reason})", err=True)
            for citation in result.citations:
                if not citation.valid:
                    typer.echo(f"  ! [{citation.number}] invalid: {citation.reason}", err=True)
            if result.unsupported:
                from pipelines.chat.claims import (
                    readable,  # here: the command's flow is imported when it runs
                )

                typer.echo(
                    f"  ! {len(result.unsupported)} figure{'s' if len(result.unsupported) > 1 else ''} "
                    "not in the sources: check before relying on them",
                    err=True,
                )
            for claim in result.unsupported:
                typer.echo(
                    f"      ! unsupported {claim.kind} “{readable(claim.text)}”: {readable(claim.reason)}",
                    err=True,
                )
            if result.disclaimer:
                typer.echo(f"  {result.disclaimer}", err=True)


def route(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="A question, or - to read one per stdin line.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Route questions to a domain (no LLM call); prints domain, confidence and the de-identified question.

    When the router is unsure the domain is "unsure" (null in --json) and the best guess follows in brackets."""
    questions = (
        [line.strip() for line in stdin_text().splitlines() if line.strip()]
        if question == "-"
        else [question.strip()]
    )
    if not all(questions):
        raise AssistantError("the question is empty")
    chat = services(ctx).chat
    for text in questions:
        redacted, decision = chat.route(text)
        if as_json:
            emit(
                {
                    "question": redacted,
                    "domain": decision.domain,
                    "confidence": decision.confidence,
                    "scores": decision.scores,
                    "out_of_domain": decision.out_of_domain,
                    "best": decision.best,
                }
            )
        else:
            shown = decision.domain or f"unsure (best {decision.best})"
            typer.echo(f"{shown}\t{decision.confidence:.3f}\t{redacted}")
