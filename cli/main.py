"""The ``assistant`` root command: the ``--data-dir`` option, the command groups, and how errors are shown.

Errors a user can act on (:data:`pipelines.USER_FACING_ERRORS`) are printed as ``error: <message>`` on stderr
with exit code 1, never as a traceback; usage errors (a missing argument, an unknown option) exit with 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cli import (
    accounts,
    chat,
    code,
    documents,
    evals,
    feedback,
    medical,
    migrate,
    privacy,
    serve,
    sessions,
    train,
    triage,
)
from cli.context import CliState
from pipelines import USER_FACING_ERRORS

__all__ = ["app", "main"]


class _UserErrors(TyperGroup):
    """The root group: a user-facing error raised by any command becomes one ``error:`` line and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # a click context (Typer's vendored click)
        try:
            return super().invoke(ctx)
        except USER_FACING_ERRORS as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_UserErrors, add_completion=False, no_args_is_help=True, help="Private, local domain assistant."
)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="All state lives here (ASSISTANT_DATA_DIR).")
    ] = None,
) -> None:
    # ctx.obj may carry a services factory (tests share loaded models through it); else Services itself
    ctx.obj = CliState(data_dir, ctx.obj) if callable(ctx.obj) else CliState(data_dir)


app.command()(documents.ingest)
app.command()(chat.ask)
app.command()(code.code)
app.command()(chat.route)
app.command()(privacy.deidentify)
app.command()(triage.intent)
app.command()(triage.risk)
app.command()(documents.documents)
app.add_typer(documents.review_app, name="review")
app.add_typer(sessions.sessions_app, name="sessions")
app.add_typer(feedback.feedback_app, name="feedback")
app.add_typer(medical.medical_app, name="medical")
app.add_typer(evals.eval_app, name="eval")
app.add_typer(train.train_app, name="train")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.keys_app, name="keys")
app.command()(serve.serve)
app.command("migrate")(migrate.migrate_command)


def main() -> None:
    """Console-script entry point (``assistant``; also ``python -m cli`` and ``python -m pipelines``)."""
    app()
