"""``assistant intent`` and ``assistant risk``: a domain's message analyzers on de-identified messages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.context import emit, input_lines, services
from pipelines.chat.signals import detect_signals
from pipelines.core.deidentification import scratch_vault
from pipelines.core.errors import AssistantError

__all__ = ["intent", "risk"]


def intent(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A customer message, or - to read one per stdin line.")],
    domain: Annotated[str, typer.Option("--domain", help="Domain whose intent model is used.")] = "finance",
) -> None:
    """Classify customer messages into intents: one JSON line ``{text, intent, confidence}`` per message.

    Each message is de-identified with the domain's policy first; ``text`` is the de-identified message (no
    personal values in the output) and the model sees only that. ``intent`` is ``unknown`` when the top
    probability is below the domain's ``unknown_threshold``.
    """
    built = services(ctx)
    classifier = built.intent_classifier(domain)
    if classifier is None:
        raise AssistantError(f"domain {domain!r} has no intent model (no intent: block in its domain.yaml)")
    vault = scratch_vault("cli")
    redacted = [built.deidentification.pseudonymize(line, vault, domain).text for line in input_lines(text)]
    for prediction in classifier.predict(redacted):
        emit(prediction.to_json_dict())


def risk(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A message, or - to read one message per stdin line.")],
    domain: Annotated[str, typer.Option("--domain", help="Whose risk rules and PII policy.")] = "finance",
) -> None:
    """Detect risk (fraud, scams, complaints, vulnerable customers, ...) in messages, after de-identifying them.

    Prints one JSON object per message: ``{text, categories, evidence, severity, escalate}``, where ``text`` is
    the de-identified message and evidence offsets point into it (no raw personal data in the output). When the
    domain has an intent model, the message's intent feeds the rules' ``intents:`` map (evidence ``intent/<label>``).
    """
    built = services(ctx)
    if built.risk_detector(domain) is None:
        raise AssistantError(f"domain {domain!r} has no risk rules (no risk: file in its domain.yaml)")
    config, analyzers = built.domains.domain(domain), built.analyzers(domain)
    messages = sys.stdin.read().splitlines() if text == "-" else [text]
    vault = scratch_vault("cli-risk")
    for message in messages:
        redacted = built.deidentification.pseudonymize(message, vault, domain).text
        assessment = detect_signals(config, analyzers, redacted).risk
        assert assessment is not None  # the domain has risk rules
        emit({"text": redacted, **assessment.to_json_dict()})
