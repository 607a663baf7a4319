"""``assistant sessions``: list and erase conversations."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import count, emit, one_line, services

__all__ = ["sessions_app"]

sessions_app = typer.Typer(no_args_is_help=True, help="List and erase conversations.")


@sessions_app.command("list")
def sessions_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List stored sessions, newest first: id, turns, last update (titles stay de-identified); sessions that
    hold only a vault of personal values (an agent-assist analysis, a turn that failed) come last, with 0 turns."""
    infos = services(ctx).conversations.sessions()
    if as_json:
        emit([info.__dict__ for info in infos])
        return
    for info in infos:
        title = one_line(info.title)[:60] if info.title else "(vault only: no turns)"
        typer.echo(f"{info.id}\t{count(info.turns, 'turn')}\t{info.updated_at}\t{title}")


@sessions_app.command("erase")
def sessions_erase(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The session to erase.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipt as one JSON object.")] = False,
) -> None:
    """Erase a session for good: its encrypted vault (your personal values) and its turns; prints a receipt."""
    receipt = services(ctx).conversations.erase(session_id)
    if as_json:
        emit(receipt.to_dict())
    else:
        typer.echo(receipt.summary())
