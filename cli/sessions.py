"""``assistant sessions``: list and erase conversations."""

from __future__ import annotations

import shutil
from typing import Annotated

import typer

from cli.context import count, emit, one_line, services

__all__ = ["MIN_TITLE", "fit", "sessions_app"]

sessions_app = typer.Typer(no_args_is_help=True, help="List and erase conversations.")


@sessions_app.command("list")
def sessions_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List stored sessions, newest first: id, turns, last update (UTC, to the minute), title (de-identified), one line each: a title
    longer than the terminal leaves room for is cut with "…". Sessions that hold only a vault of personal values
    (an agent-assist analysis, a turn that failed) come last, with 0 turns."""
    infos = services(ctx).conversations.sessions()
    if as_json:
        emit([info.__dict__ for info in infos])
        return
    width = shutil.get_terminal_size((100, 24)).columns
    for info in infos:
        cells = f"{info.id}\t{count(info.turns, 'turn')}\t{_minutes(info.updated_at)}\t"
        title = one_line(info.title) if info.title else "(vault only: no turns)"
        typer.echo(cells + fit(title, width - len(cells.expandtabs())))


#: Fewest characters of a title shown, however narrow the terminal (below 80 columns the line may then wrap).
MIN_TITLE = 8


def _minutes(timestamp: str) -> str:
    """``2026-12-06T14:02:11+00:00`` as ``2026-12-06 14:02`` (UTC, as stored; ``--json`` has the seconds)."""
    return timestamp[:16].replace("T", " ")


def fit(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters (at least :data:`MIN_TITLE`), ending with ``…`` when it was cut."""
    room = max(room, MIN_TITLE)
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


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
