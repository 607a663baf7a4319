"""``assistant deidentify``: de-identify text with placeholders (nothing is stored)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import emit, read_text, services

__all__ = ["deidentify"]


def deidentify(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Text, or - to read stdin.")],
    domain: Annotated[
        str | None, typer.Option("--domain", help="Use this domain's policy (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {text, entities}.")] = False,
) -> None:
    """De-identify text with placeholders (a throwaway vault; nothing is stored)."""
    from pipelines.core.deidentification import scratch_vault

    deidentification = services(ctx).deidentification
    result = deidentification.pseudonymize(read_text(text), scratch_vault("cli"), domain)
    if as_json:
        emit(
            {
                "text": result.text,
                "entities": [
                    {"type": f.entity_type, "start": f.start, "end": f.end, "score": round(f.score, 3)}
                    for f in result.findings
                ],
            }
        )
    else:
        typer.echo(result.text)
