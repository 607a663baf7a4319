"""``assistant ingest``, ``assistant documents`` and ``assistant review``: documents into, in and out of a
domain's collection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.context import count, emit, services, unexpected
from cli.progress import StderrProgress
from pipelines import USER_FACING_ERRORS

if TYPE_CHECKING:
    from pipelines.documents.ingestion import IngestReport


__all__ = ["DOCUMENT_COLUMNS", "HELD_COLUMNS", "documents", "ingest", "ingest_line", "review_app"]


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest.")],
    domain: Annotated[str, typer.Option("--domain", help="Target domain (finance, code, medical, ...).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    follow_symlinks: Annotated[
        bool,
        typer.Option(
            "--follow-symlinks", help="Ingest what a symbolic link points to (links are refused by default)."
        ),
    ] = False,
    private_for: Annotated[
        str | None,
        typer.Option(
            "--private-for",
            metavar="USER",
            help="Make the documents private to this user (retrieved and listed only for them); default shared.",
        ),
    ] = None,
) -> None:
    """Ingest documents into a domain's collection (de-identified, chunked, embedded).

    Documents are shared (the domain's knowledge base) unless ``--private-for USER`` names an account (``assistant
    users list``) whose private documents they become.

    A document whose risk is above ``ingest.hold_risk_threshold`` is held for review instead of indexed; that
    is not a failure (exit code 0). Exit code 1 only when a file was rejected; the other files are still
    ingested.
    """
    built = services(ctx)
    built.domains.domain(domain)
    if private_for is not None:
        private_for = built.accounts.user(private_for).name  # unknown: one error line, nothing ingested
    failed = 0
    with StderrProgress() as bar:

        def progress(path: Path) -> Callable[[str, float], None]:
            bar.start(path.name)
            return bar.stage

        # the next file is de-identified while this one is embedded and stored (Ingestion.ingest_many)
        for path, report in built.ingestion.ingest_many(
            domain, paths, progress=progress, follow_symlinks=follow_symlinks, owner=private_for
        ):
            if isinstance(report, Exception):  # one bad file never stops the others
                failed += 1
                message = str(report) if isinstance(report, USER_FACING_ERRORS) else unexpected(path, report)
                if as_json:
                    emit({"file": str(path), "ok": False, "error": message})
                else:
                    typer.echo(f"error: {message}", err=True)
                continue
            if as_json:
                emit({"file": str(path), "ok": True, **report.to_dict()})
            else:
                typer.echo(ingest_line(report))
    if failed:
        raise typer.Exit(1)


def ingest_line(report: IngestReport) -> str:
    """One line per ingested file: what happened, the findings per entity type and recognizer, the risk."""
    data = report.report
    entities = ", ".join(f"{k} {v}" for k, v in sorted(report.redactions.items())) or "none"
    recognizers = ", ".join(f"{k} {v}" for k, v in sorted(dict(data.get("recognizers", {})).items()))
    counts = f"redacted: {entities}" + (f"; by {recognizers}" if recognizers else "")
    risk = f"risk {float(data['risk']):.2f}" if "risk" in data else "risk n/a"
    if report.held and report.duplicate:
        return f"{report.name}: already held for review in {report.domain} (sha256 {report.sha256[:12]})"
    if report.held:
        return (
            f"{report.name}: held for review in {report.domain}, not indexed ({risk} > threshold "
            f"{report.hold_threshold:g}; {counts}); release with: assistant review release --domain "
            f"{report.domain} {report.sha256[:12]}"
        )
    if report.replaced:
        older = ", ".join(version.sha256[:12] for version in report.replaced)
        added = "nothing added" if report.duplicate else f"{count(report.chunks_added, 'chunk')} added"
        return (
            f"{report.name}: updated in {report.domain} (sha256 {report.sha256[:12]}), {added}; replaced "
            f"{older}: {count(report.stale_chunks_removed, 'stale chunk')} removed ({counts}, {risk})"
        )
    if report.duplicate:
        return (
            f"{report.name}: already indexed in {report.domain} (sha256 {report.sha256[:12]}), nothing added"
        )
    return (
        f"{report.name}: {count(report.chunks_added, 'chunk')} added to {report.domain} "
        f"({report.kind}, {counts}, {risk}, {report.seconds:.1f}s)"
    )


def documents(
    ctx: typer.Context,
    domain: Annotated[str, typer.Option("--domain", help="Domain to list.")],
    held: Annotated[
        bool, typer.Option("--held", help="List the documents held for review instead of the indexed ones.")
    ] = False,
    delete: Annotated[
        str | None,
        typer.Option(
            "--delete",
            metavar="NAME",
            help="Delete this document (file name as listed, or a sha256 prefix of >= 8 hex digits) and "
            "print an erasure receipt.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list (with --delete: the receipt object).")
    ] = False,
) -> None:
    """List the documents indexed in a domain (or held for review, with --held), with their reports, under a
    header row (tab-separated; "no documents ..." on stderr when there are none); or delete one with --delete
    (its chunks, vectors and metadata together)."""
    if delete is not None and held:
        raise typer.BadParameter(
            "--delete removes indexed documents; reject a held one with: assistant review reject",
            param_hint="--delete",
        )
    built = services(ctx)
    built.domains.domain(domain)
    if delete is not None:
        receipt = built.catalog.delete(domain, delete)
        if as_json:
            emit(receipt.to_dict())
        else:
            typer.echo(receipt.summary())
        return
    if held:
        queue = built.review.held(domain)
        if as_json:
            emit([document.summary() for document in queue])
            return
        typer.echo("\t".join(HELD_COLUMNS))
        for document in queue:
            typer.echo(
                "\t".join(
                    [document.name, document.sha256[:12], document.held_at, *_report_cells(document.report)]
                )
            )
        if not queue:
            typer.echo(f"no documents held for review in {domain}", err=True)
        return
    infos = built.catalog.documents(domain)
    if as_json:
        emit([asdict(info) for info in infos])
        return
    typer.echo("\t".join(DOCUMENT_COLUMNS))
    for info in infos:
        visibility = f"private to {info.owner}" if info.owner else "shared"
        cells = [info.name, info.sha256[:12], str(info.chunks), info.ingested_at, *_report_cells(info.report)]
        typer.echo("\t".join([*cells, visibility]))
    if not infos:
        typer.echo(f"no documents indexed in {domain}", err=True)


#: The header row of ``assistant documents`` (tab-separated, like its rows).
DOCUMENT_COLUMNS = ("name", "sha256", "chunks", "ingested at", "risk", "redacted", "visibility")
#: The header row of ``assistant documents --held``.
HELD_COLUMNS = ("name", "sha256", "held at", "risk", "redacted")


def _report_cells(report: dict[str, Any]) -> tuple[str, str]:
    """The risk and redacted cells of a document's report (``n/a`` for a document stored without one)."""
    if "risk" not in report:
        return "n/a", "n/a"
    entities = ", ".join(f"{k} {v}" for k, v in sorted(dict(report.get("entities", {})).items())) or "none"
    return f"{float(report['risk']):.2f}", entities


review_app = typer.Typer(no_args_is_help=True, help="Release or reject documents held for review.")


@review_app.command("release")
def review_release(
    ctx: typer.Context,
    sha256: Annotated[
        str, typer.Argument(help="The document's sha256 or a unique prefix (>= 4 hex digits).")
    ],
    domain: Annotated[str, typer.Option("--domain", help="The document's domain.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
) -> None:
    """Index a held document (its stored de-identified text) and remove it from the review queue."""
    report = services(ctx).review.release(domain, sha256)
    if as_json:
        emit({"ok": True, **report.to_dict()})
    else:
        typer.echo(ingest_line(report))


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    sha256: Annotated[
        str, typer.Argument(help="The document's sha256 or a unique prefix (>= 4 hex digits).")
    ],
    domain: Annotated[str, typer.Option("--domain", help="The document's domain.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the deleted document's summary.")] = False,
) -> None:
    """Delete a held document without indexing it."""
    document = services(ctx).review.reject(domain, sha256)
    if as_json:
        emit({"ok": True, "rejected": document.summary()})
    else:
        typer.echo(
            f"{document.name}: rejected, deleted from the review queue of {domain} ({document.sha256[:12]})"
        )
