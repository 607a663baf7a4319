"""``assistant feedback``: agents' feedback on suggested replies (agent assist), de-identified."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.context import count, emit, services

__all__ = ["feedback_app"]

feedback_app = typer.Typer(no_args_is_help=True, help="Agents' feedback on suggested replies (agent assist).")


@feedback_app.command("list")
def feedback_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List stored feedback, oldest first: id, time, status, intent, risk flags (all texts de-identified)."""
    records = services(ctx).feedback.records()
    if as_json:
        emit([record.to_json_dict() for record in records])
        return
    for r in records:
        flags = ",".join(r.risk_categories) or "-"
        typer.echo(f"{r.id}\t{r.created_at}\t{r.status}\t{r.intent or '-'}\t{flags}\t{r.final_text[:60]!r}")


@feedback_app.command("export")
def feedback_export(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the CSV to this file (default: standard output).")
    ] = None,
) -> None:
    """Export all feedback as CSV with a header row (texts de-identified)."""
    store = services(ctx).feedback
    if out is None:
        store.export_csv(sys.stdout)
        return
    written = store.export_csv(out)
    typer.echo(f"wrote {count(written, 'record')} to {out}", err=True)
