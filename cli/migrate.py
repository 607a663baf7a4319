"""``assistant migrate``: move a local install (the data dir, embedded mode) to the shared stores: a PostgreSQL
database and a Chroma server (see :mod:`pipelines.migration`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.context import emit, services
from cli.progress import StderrProgress
from pipelines import AssistantError

if TYPE_CHECKING:
    from pipelines.migration import MigrationReport

__all__ = ["migrate_command"]


def migrate_command(
    ctx: typer.Context,
    to_sql: Annotated[
        str,
        typer.Option(
            "--to-sql",
            help="Target database URL: postgresql+psycopg://user:password@host:5432/db (shown masked); "
            "'-' reads it from the first line of stdin (keeps the password out of the process list).",
        ),
    ],
    to_chroma: Annotated[str, typer.Option("--to-chroma", help="Target Chroma server: HOST:PORT.")],
    chroma_header: Annotated[
        list[str] | None,
        typer.Option(
            "--chroma-header", help="'Name: value' sent to the Chroma server (repeatable; never shown)."
        ),
    ] = None,
    chroma_ssl: Annotated[
        bool, typer.Option("--chroma-ssl", help="Talk HTTPS to the Chroma server.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be copied; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Copy this data dir's documents (with their vectors), sessions, turns, feedback, records, accounts, the
    review queue and the vaults to a PostgreSQL database and a Chroma server, then verify the counts. Run it
    again after an interruption: what is there already is skipped."""
    from pipelines.migration import MigrationError, chroma_server, migrate

    state = services(ctx)
    settings = state.settings
    if settings.store.mode != "embedded" or settings.database.url is not None:
        raise AssistantError(
            "migrate copies a local data dir (store.mode embedded, no database.url): unset "
            "ASSISTANT_STORE__MODE and ASSISTANT_DATABASE__URL for this command"
        )
    if to_sql == "-":
        to_sql = sys.stdin.readline().strip()
    server = chroma_server(to_chroma, chroma_header or [], chroma_ssl)
    with StderrProgress() as bar:
        current = {"stage": ""}

        def progress(stage: str, done: int, total: int) -> None:
            if stage != current["stage"]:
                current["stage"] = stage
                bar.start(f"migrate {stage}")
            bar.overall("copying", done / total if total else 1.0)

        try:
            report = migrate(
                state.store,
                list(state.domains),
                settings.data_dir,
                to_sql,
                server,
                vault_key=settings.privacy.vault_key or None,
                vault_ttl_hours=settings.privacy.vault_ttl_hours,
                store_batch_size=settings.ingest.store_batch_size,
                accounts_secret_configured=bool(
                    settings.auth.secret and settings.auth.secret.get_secret_value()
                ),
                operator_secret_configured=bool(settings.privacy.operator_secret),
                dry_run=dry_run,
                progress=progress,
            )
        except MigrationError as exc:
            failed: MigrationReport | None = getattr(exc, "report", None)
            if failed is not None:
                _show(failed, as_json)
            raise
    _show(report, as_json)


def _show(report: MigrationReport, as_json: bool) -> None:
    if as_json:
        emit(report.to_json_dict())
        return
    verb = "would copy" if report.dry_run else "copied"
    typer.echo(
        f"target: {report.database} and Chroma at {report.chroma}{' (dry run)' if report.dry_run else ''}"
    )
    typer.echo(f"{'what':<17}{'scope':<10}{'source':>8}{'target':>8}{verb:>12}{'skipped':>9}  check")
    for count in report.counts:
        target = "-" if report.dry_run else str(count.target)
        check = "-" if report.dry_run else ("ok" if count.ok else "MISSING")
        typer.echo(
            f"{count.kind:<17}{count.scope:<10}{count.source:>8}{target:>8}{count.copied:>12}"
            f"{count.skipped:>9}  {check}"
        )
    for note in report.notes:
        typer.echo(f"note: {note}")
