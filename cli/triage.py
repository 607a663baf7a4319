"""``assistant intent`` and ``assistant risk``: a domain's message analyzers on de-identified messages."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import emit, input_lines, services
from pipelines.core.limits import check_messages

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
    messages = input_lines(text)
    check_messages(messages)  # before the models load: a bad input is refused at once
    for prediction in services(ctx).triage.intents(domain, messages):
        emit(prediction)


def risk(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="A message, or - to read one message per non-empty stdin line.")
    ],
    domain: Annotated[str, typer.Option("--domain", help="Whose risk rules and PII policy.")] = "finance",
) -> None:
    """Detect risk (fraud, scams, complaints, vulnerable customers, ...) in messages, after de-identifying them.

    Prints one JSON object per message: ``{text, categories, evidence, severity, escalate}``, where ``text`` is
    the de-identified message and evidence offsets point into it (no raw personal data in the output). When the
    domain has an intent model, the message's intent feeds the rules' ``intents:`` map (evidence ``intent/<label>``).
    """
    messages = input_lines(text)
    check_messages(messages)  # before the models load: a bad input is refused at once
    for assessment in services(ctx).triage.risks(domain, messages):
        emit(assessment)
