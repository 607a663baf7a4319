"""The ``assistant`` command line (Typer). The contract is in DESIGN.md ("CLI contract").

Errors a user can act on are printed as ``error: <message>`` on stderr with exit code 1 (2 for usage
errors), never as a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from pipelines.core.errors import USER_FACING_ERRORS, AssistantError
from pipelines.services import Services

if TYPE_CHECKING:
    from pipelines.documents.ingestion import IngestReport
from pipelines.core.settings import load_settings

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Private, local domain assistant.")
_state: dict[str, Any] = {}


@app.callback()
def _global(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="All state lives here (ASSISTANT_DATA_DIR).")
    ] = None,
) -> None:
    _state["data_dir"] = data_dir


def _services() -> Services:
    if "services" not in _state:
        _state["services"] = Services(load_settings(data_dir=_state.get("data_dir")))
    return _state["services"]  # type: ignore[no-any-return]


def _emit(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest.")],
    domain: Annotated[str, typer.Option("--domain", help="Target domain (finance, code, medical, ...).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Ingest documents into a domain's collection (de-identified, chunked, embedded).

    A document whose risk is above ``ingest.hold_risk_threshold`` is held for review instead of indexed; that
    is not a failure (exit code 0). Exit code 1 only when a file was rejected.
    """
    from pipelines.documents.ingestion import ingest_path

    services = _services()
    services.domain(domain)
    failed = 0
    with _StderrProgress() as bar:
        for path in paths:
            bar.start(path.name)
            try:
                report = ingest_path(services, domain, path, progress=bar.stage)
            except USER_FACING_ERRORS as exc:
                failed += 1
                if as_json:
                    _emit({"file": str(path), "ok": False, "error": str(exc)})
                else:
                    typer.echo(f"error: {exc}", err=True)
                continue
            if as_json:
                _emit({"file": str(path), "ok": True, **report.to_dict()})
            else:
                typer.echo(_ingest_line(report))
    if failed:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    domain: Annotated[str, typer.Option("--domain", help="auto, or a domain name to pin.")] = "auto",
    session: Annotated[str | None, typer.Option("--session", help="Session id to continue.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|llamacpp.")] = None,
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
    from pipelines.chat.pinning import resolve_documents
    from pipelines.chat.pipeline import ChatPipeline
    from pipelines.chat.signals import signals_line
    from pipelines.documents.ingestion import index_sample_corpora

    services = _services()
    if services.settings.ingest.index_samples_on_start:
        with _StderrProgress() as bar:
            bar.start("indexing sample corpus")
            index_sample_corpora(services, progress=bar.overall)
    pinned = None
    if document:
        resolved = resolve_documents(services, document, domain)
        domain, pinned = resolved.domain, resolved.sha256
    pipeline = ChatPipeline(services)
    for event in pipeline.stream(
        question, session_id=session, domain=domain, backend=backend, documents=pinned
    ):
        if event.kind == "meta" and not as_json and event.data is not None:
            meta = event.data
            typer.echo(
                f"[{meta.domain} {meta.route_confidence:.2f} · {meta.backend} {meta.model} · "
                f"session {meta.session_id}]",
                err=True,
            )
            if meta.vault_expired:
                typer.echo(_EXPIRED_NOTE, err=True)
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
                _emit(result.to_json_dict())
            else:
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
                if result.disclaimer:
                    typer.echo(f"  {result.disclaimer}", err=True)


@app.command()
def code(
    mode: Annotated[str, typer.Argument(help="ask | complete | write-tests | translate.")],
    text: Annotated[
        str | None,
        typer.Argument(help="The question (ask) or the code; - reads it from stdin. Or use --file."),
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the code from this file.")] = None,
    stdin_input: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="translate: a standard input both programs run on (repeatable; default: the model's "
            "proposals, else one run with empty input).",
        ),
    ] = None,
    session: Annotated[str | None, typer.Option("--session", help="Session id to continue.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|llamacpp.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Code tasks: ask (RAG over the code collection), complete, write-tests (run with coverage), translate
    (C++ to Python, run and compared with the compiled original). Generated code runs only in the sandbox."""
    from pipelines.skills.code.tasks import ASK_MODE, CodeTaskPipeline

    name = mode.replace("-", "_")
    pipeline = CodeTaskPipeline(_services())
    known = [ASK_MODE, *pipeline.modes()]
    if name not in known:
        shown = ", ".join(m.replace("_", "-") for m in known)
        raise typer.BadParameter(f"unknown code mode {mode!r}; use one of: {shown}", param_hint="MODE")
    if file is not None and text is not None:
        raise AssistantError("give the code as an argument or with --file, not both")
    if file is not None:
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AssistantError(f"cannot read {file}: {exc}") from exc
    elif text == "-":
        source = sys.stdin.read()
    elif text is not None:
        source = text
    else:
        raise AssistantError("no code given: pass it as an argument, - for stdin, or --file PATH")
    if name == ASK_MODE:
        ask(source, domain="code", session=session, backend=backend, document=None, as_json=as_json)
        return
    for event in pipeline.stream(name, source, session, backend, stdin_input):
        if event.kind == "meta" and not as_json and event.data is not None:
            meta = event.data
            masked = ", ".join(f"{k} {v}" for k, v in meta.masked.items())
            typer.echo(
                f"[{meta.label} · {meta.backend} {meta.model} · session {meta.session_id}"
                + (f" · masked before the model: {masked}" if masked else "")
                + "]",
                err=True,
            )
        elif event.kind == "answer" and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif event.kind == "check" and not as_json:
            typer.echo(f"\n[{event.text}]", err=True)
        elif event.kind == "done" and event.data is not None:
            result = event.data
            if as_json:
                _emit(result.to_json_dict())
            else:
                typer.echo("")
                for line in _check_lines(result):
                    typer.echo(line, err=True)


def _check_lines(result: Any) -> list[str]:
    """The check's outcome for the terminal: summary, then cases (tests) or per-input outputs (translation)."""
    lines = [f"check: {result.check_summary()}"]
    if result.tests is not None:
        for case in result.tests.cases:
            lines.append(f"  {case.outcome:<7} {case.name}" + (f": {case.message}" if case.message else ""))
        if result.tests.missing_lines:
            lines.append(f"  lines of your code no test ran: {result.tests.missing_lines}")
        if not result.tests.cases and result.tests.run.ran:
            lines.append(_indent(result.tests.run.stdout or result.tests.run.stderr))
    if result.translation is not None:
        report = result.translation
        if report.compile_errors:
            lines.append("  C++ compile errors:\n" + _indent(report.compile_errors))
        lines.append(f"  inputs: {result.inputs_from}")
        for number, case in enumerate(report.cases, start=1):
            verdict = {True: "match", False: "DIFFER", None: "not compared"}[case.match]
            lines.append(f"  input {number} ({verdict}): {case.stdin!r}")
            lines.append(f"    python exit {case.python_exit}: {case.python_stdout!r}")
            if case.python_stderr.strip():
                lines.append(f"    python stderr: {case.python_stderr.strip().splitlines()[-1]}")
            if case.ran_cpp:
                lines.append(f"    c++    exit {case.cpp_exit}: {case.cpp_stdout!r}")
    if result.disclaimer:
        lines.append(f"  {result.disclaimer}")
    return lines


def _indent(text: str, limit: int = 2000) -> str:
    return "\n".join("    " + line for line in text[-limit:].splitlines())


def _ingest_line(report: IngestReport) -> str:
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
        added = "nothing added" if report.duplicate else f"{_count(report.chunks_added, 'chunk')} added"
        return (
            f"{report.name}: updated in {report.domain} (sha256 {report.sha256[:12]}), {added}; replaced "
            f"{older}: {_count(report.stale_chunks_removed, 'stale chunk')} removed ({counts}, {risk})"
        )
    if report.duplicate:
        return (
            f"{report.name}: already indexed in {report.domain} (sha256 {report.sha256[:12]}), nothing added"
        )
    return (
        f"{report.name}: {_count(report.chunks_added, 'chunk')} added to {report.domain} "
        f"({report.kind}, {counts}, {risk}, {report.seconds:.1f}s)"
    )


_EXPIRED_NOTE = (
    "note: the personal values of this session's earlier turns expired and were erased; "
    "their placeholders (such as <PERSON_1>) can no longer be restored"
)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


#: Share of a file's ingest time at the start of each stage, and at its end (the next stage's start): a rough
#: split (de-identification is the slow step on CPU) so that one bar moves forward through all stages.
_STAGE_SPANS = {
    "load": (0.0, 0.05),
    "deidentify": (0.05, 0.6),
    "chunk": (0.6, 0.65),
    "embed": (0.65, 0.95),
    "store": (0.95, 1.0),
}


class _StderrProgress:
    """Progress on stderr: a rich bar when stderr is a terminal, else one plain line per stage or file.

    Use as a context manager; :meth:`start` begins a task (a file, or the sample corpora), then pass
    :meth:`stage` (a file's ``(stage, fraction)`` callback) or :meth:`overall` (a fraction of the whole task,
    labelled by ``stage``) as the ``progress`` callback.
    """

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._label = ""
        self._last_line = ""

    def __enter__(self) -> _StderrProgress:
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, label: str) -> None:
        """Begin a new task (a new bar) called ``label``."""
        self._label = label
        self._last_line = ""
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(label, total=1.0)

    def stage(self, stage: str, fraction: float) -> None:
        """A file's progress: ``fraction`` (0..1) of ``stage`` (load|deidentify|chunk|embed|store)."""
        low, high = _STAGE_SPANS.get(stage, (0.0, 1.0))
        self._show(f"{self._label}: {stage}", low + (high - low) * min(max(fraction, 0.0), 1.0), stage)

    def overall(self, stage: str, fraction: float) -> None:
        """The task's overall progress ``fraction`` (0..1), now at ``stage``."""
        self._show(f"{self._label} {fraction:4.0%} {stage}", fraction, stage)

    def _show(self, line: str, fraction: float, stage: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=fraction, description=f"{self._label}: {stage}")
        elif self._bar is None and stage != self._last_line:
            self._last_line = stage
            typer.echo(line, err=True)


@app.command()
def route(
    question: Annotated[str, typer.Argument(help="A question, or - to read one per stdin line.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Route questions to a domain (no LLM call); prints domain, confidence and the de-identified question."""
    from pipelines.chat.pipeline import route_question

    questions = (
        [line.strip() for line in sys.stdin if line.strip()] if question == "-" else [question.strip()]
    )
    if not all(questions):
        raise AssistantError("the question is empty")
    services = _services()
    for text in questions:
        redacted, decision = route_question(services, text)
        if as_json:
            _emit(
                {
                    "question": redacted,
                    "domain": decision.domain,
                    "confidence": decision.confidence,
                    "scores": decision.scores,
                }
            )
        else:
            typer.echo(f"{decision.domain}\t{decision.confidence:.3f}\t{redacted}")


@app.command()
def deidentify(
    text: Annotated[str, typer.Argument(help="Text, or - to read stdin.")],
    domain: Annotated[
        str | None, typer.Option("--domain", help="Use this domain's policy (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {text, entities}.")] = False,
) -> None:
    """De-identify text with placeholders (a throwaway vault; nothing is stored)."""
    from privacy import Vault

    services = _services()
    raw = sys.stdin.read() if text == "-" else text
    result = services.pseudonymize(raw, Vault(session_id="cli"), domain)
    if as_json:
        _emit(
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


def _input_lines(text: str) -> list[str]:
    """``text``, or each non-empty stdin line when ``text`` is ``-``.

    Raises:
        AssistantError: The text (or every stdin line) is empty.
    """
    lines = [line.strip() for line in sys.stdin if line.strip()] if text == "-" else [text.strip()]
    if not lines or not all(lines):
        raise AssistantError("the text is empty")
    return lines


@app.command()
def intent(
    text: Annotated[str, typer.Argument(help="A customer message, or - to read one per stdin line.")],
    domain: Annotated[str, typer.Option("--domain", help="Domain whose intent model is used.")] = "finance",
) -> None:
    """Classify customer messages into intents: one JSON line ``{text, intent, confidence}`` per message.

    Each message is de-identified with the domain's policy first; ``text`` is the de-identified message (no
    personal values in the output) and the model sees only that. ``intent`` is ``unknown`` when the top
    probability is below the domain's ``unknown_threshold``.
    """
    from privacy import Vault

    services = _services()
    classifier = services.intent_classifier(domain)
    if classifier is None:
        raise AssistantError(f"domain {domain!r} has no intent model (no intent: block in its domain.yaml)")
    vault = Vault(session_id="cli")
    redacted = [services.pseudonymize(line, vault, domain).text for line in _input_lines(text)]
    for prediction in classifier.predict(redacted):
        _emit(prediction.to_json_dict())


@app.command()
def risk(
    text: Annotated[str, typer.Argument(help="A message, or - to read one message per stdin line.")],
    domain: Annotated[str, typer.Option("--domain", help="Whose risk rules and PII policy.")] = "finance",
) -> None:
    """Detect risk (fraud, scams, complaints, vulnerable customers, ...) in messages, after de-identifying them.

    Prints one JSON object per message: ``{text, categories, evidence, severity, escalate}``, where ``text`` is
    the de-identified message and evidence offsets point into it (no raw personal data in the output). When the
    domain has an intent model, the message's intent feeds the rules' ``intents:`` map (evidence ``intent/<label>``).
    """
    from pipelines.skills.triage.intent import UNKNOWN
    from privacy import Vault

    services = _services()
    detector = services.risk_detector(domain)
    if detector is None:
        raise AssistantError(f"domain {domain!r} has no risk rules (no risk: file in its domain.yaml)")
    classifier = services.intent_classifier(domain)
    messages = sys.stdin.read().splitlines() if text == "-" else [text]
    vault = Vault(session_id="cli-risk")
    for message in messages:
        redacted = services.pseudonymize(message, vault, domain).text
        label = None
        if classifier is not None and redacted.strip():
            [prediction] = classifier.predict([redacted])
            label = prediction.intent if prediction.intent != UNKNOWN else None
        _emit({"text": redacted, **detector.assess(redacted, label).to_json_dict()})


@app.command()
def documents(
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
    """List the documents indexed in a domain (or held for review, with --held), with their reports; or delete
    one with --delete (its chunks, vectors and metadata together)."""
    from pipelines.documents.catalog import delete_document
    from pipelines.documents.ingestion import held_documents

    if delete is not None and held:
        raise typer.BadParameter(
            "--delete removes indexed documents; reject a held one with: assistant review reject",
            param_hint="--delete",
        )
    services = _services()
    services.domain(domain)
    if delete is not None:
        receipt = delete_document(services, domain, delete)
        if as_json:
            _emit(receipt.to_dict())
        else:
            typer.echo(receipt.summary())
        return
    if held:
        queue = held_documents(services, domain)
        if as_json:
            _emit([document.summary() for document in queue])
            return
        for document in queue:
            typer.echo(
                f"{document.name}\t{document.sha256[:12]}\theld {document.held_at}\t"
                f"{_report_cells(document.report)}"
            )
        return
    infos = services.store.list_documents(domain)
    if as_json:
        _emit([asdict(info) for info in infos])
        return
    for info in infos:
        typer.echo(
            f"{info.name}\t{info.sha256[:12]}\t{_count(info.chunks, 'chunk')}\t{info.ingested_at}\t"
            f"{_report_cells(info.report)}"
        )


def _report_cells(report: dict[str, Any]) -> str:
    if "risk" not in report:
        return "no report"
    entities = ", ".join(f"{k} {v}" for k, v in sorted(dict(report.get("entities", {})).items())) or "none"
    return f"risk {float(report['risk']):.2f}\tredacted: {entities}"


review_app = typer.Typer(no_args_is_help=True, help="Release or reject documents held for review.")
app.add_typer(review_app, name="review")


@review_app.command("release")
def review_release(
    sha256: Annotated[
        str, typer.Argument(help="The document's sha256 or a unique prefix (>= 4 hex digits).")
    ],
    domain: Annotated[str, typer.Option("--domain", help="The document's domain.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
) -> None:
    """Index a held document (its stored de-identified text) and remove it from the review queue."""
    from pipelines.documents.ingestion import release_held

    report = release_held(_services(), domain, sha256)
    if as_json:
        _emit({"ok": True, **report.to_dict()})
    else:
        typer.echo(_ingest_line(report))


@review_app.command("reject")
def review_reject(
    sha256: Annotated[
        str, typer.Argument(help="The document's sha256 or a unique prefix (>= 4 hex digits).")
    ],
    domain: Annotated[str, typer.Option("--domain", help="The document's domain.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the deleted document's summary.")] = False,
) -> None:
    """Delete a held document without indexing it."""
    from pipelines.documents.ingestion import reject_held

    document = reject_held(_services(), domain, sha256)
    if as_json:
        _emit({"ok": True, "rejected": document.summary()})
    else:
        typer.echo(
            f"{document.name}: rejected, deleted from the review queue of {domain} ({document.sha256[:12]})"
        )


sessions_app = typer.Typer(no_args_is_help=True, help="List and erase conversations.")
app.add_typer(sessions_app, name="sessions")


@sessions_app.command("list")
def sessions_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List stored sessions, newest first: id, turns, last update (titles stay de-identified)."""
    infos = _services().memory.sessions()
    if as_json:
        _emit([info.__dict__ for info in infos])
        return
    for info in infos:
        typer.echo(f"{info.id}\t{_count(info.turns, 'turn')}\t{info.updated_at}\t{info.title[:60]}")


@sessions_app.command("erase")
def sessions_erase(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The session to erase.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipt as one JSON object.")] = False,
) -> None:
    """Erase a session for good: its encrypted vault (your personal values) and its turns; prints a receipt."""
    from pipelines.conversation.sessions import erase_session

    receipt = erase_session(_services(), session_id)
    if as_json:
        _emit(receipt.to_dict())
    else:
        typer.echo(receipt.summary())


feedback_app = typer.Typer(no_args_is_help=True, help="Agents' feedback on suggested replies (agent assist).")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("list")
def feedback_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List stored feedback, oldest first: id, time, status, intent, risk flags (all texts de-identified)."""
    records = _services().feedback.records()
    if as_json:
        _emit([record.to_json_dict() for record in records])
        return
    for r in records:
        flags = ",".join(r.risk_categories) or "-"
        typer.echo(f"{r.id}\t{r.created_at}\t{r.status}\t{r.intent or '-'}\t{flags}\t{r.final_text[:60]!r}")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the CSV to this file (default: standard output).")
    ] = None,
) -> None:
    """Export all feedback as CSV with a header row (texts de-identified)."""
    store = _services().feedback
    if out is None:
        store.export_csv(sys.stdout)
        return
    count = store.export_csv(out)
    typer.echo(f"wrote {_count(count, 'record')} to {out}", err=True)


medical_app = typer.Typer(
    no_args_is_help=True, help="Medical text analysis: entities, relations and private statistics."
)
app.add_typer(medical_app, name="medical")


@medical_app.command("entities")
def medical_entities(
    text: Annotated[str, typer.Argument(help="Text, or - to read stdin (all of it, as one text).")],
    domain: Annotated[str, typer.Option("--domain", help="Domain whose entity model is used.")] = "medical",
) -> None:
    """Diseases and chemicals/drugs in a text: one JSON line ``{type, start, end, text}`` per entity.

    Offsets are characters into the given text (at most 200,000). A mention overlapping a personal identifier
    (name, phone, record number, ...) is never reported. The model runs in-process; nothing is stored or logged.
    """
    from pipelines.skills.medical.clinical import find_entities

    raw = sys.stdin.read() if text == "-" else text
    for entity in find_entities(_services(), raw, domain):
        _emit(entity.to_dict())


def _entity_recognizer(domain: str) -> Any:
    from pipelines.skills.medical.clinical import require_recognizer

    return require_recognizer(_services(), domain)


@medical_app.command("stats")
def medical_stats(
    domain: Annotated[str, typer.Option("--domain", help="Domain whose records are counted.")] = "medical",
    entity_type: Annotated[
        str, typer.Option("--type", help="DISEASE (diagnoses), CHEMICAL (drugs) or all.")
    ] = "all",
    epsilon: Annotated[
        float | None,
        typer.Option("--epsilon", help="Privacy loss of this query (default: dp.query_epsilon, 0.1)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Terms shown (highest noisy counts).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the release as one JSON object.")] = False,
) -> None:
    """Release differentially private counts of records mentioning each diagnosis or drug (spends budget).

    Counts are noisy (discrete Laplace, OpenDP); each query spends its epsilon from the data dir's budget
    (dp.total_epsilon) and is refused once the budget would be exceeded. See README, "Differentially private
    statistics".
    """
    from pipelines.skills.medical.dp_stats import medical_stats as release

    result = release(_services(), domain, entity_type, epsilon, top)
    if as_json:
        _emit(result.to_dict())
        return
    for row in result.counts:
        typer.echo(f"{row.count}\t{row.type}\t{row.term}")
    typer.echo(
        f"noisy counts of records per term (discrete Laplace, scale {result.scale:g}; each within "
        f"±{result.accuracy:.0f} of the true count with 95% probability)"
    )
    if result.budget is not None:
        typer.echo(f"epsilon spent by this query {result.epsilon:g}; {_budget_line(result.budget)}")


def _budget_line(status: Any) -> str:
    queries = "1 query" if status.queries == 1 else f"{status.queries} queries"
    return (
        f"budget: total {status.total:g}, spent {status.spent:g}, remaining {status.remaining:g} "
        f"({queries} released)"
    )


@medical_app.command("budget")
def medical_budget(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {total, spent, remaining, queries}.")
    ] = False,
) -> None:
    """Show the data dir's privacy budget for medical statistics: total, spent, remaining epsilon."""
    from pipelines.skills.medical.dp_stats import budget_status

    services = _services()
    status = budget_status(services.records, services.settings.dp.total_epsilon)
    if as_json:
        _emit(status.to_dict())
    else:
        typer.echo(_budget_line(status))


eval_app = typer.Typer(no_args_is_help=True, help="Measure the product against baselines.")
app.add_typer(eval_app, name="eval")


@eval_app.command("pii")
def eval_pii(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="presidio_synth JSON/folder or PhysioNet deid folder.")
    ],
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            help="Evaluate this domain's policy (default: medical for PhysioNet, else the union of all domains).",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N samples.")] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="PhysioNet only: all notes, dev (odd patient ids) or heldout (even patient ids)."
        ),
    ] = "all",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, ...} as one JSON object.")
    ] = False,
) -> None:
    """PII detection: precision, recall and F2 of this product and of vanilla Presidio on the same data."""
    from pipelines.evals.pii import as_evaluated, evaluate, load_dataset
    from privacy import build_vanilla_analyzer, find_vanilla

    data = load_dataset(dataset, limit, split)
    services = _services()
    chosen = domain or data.default_domain
    policy, keep_terms = services.message_policy(chosen)
    vanilla = build_vanilla_analyzer(services.settings.privacy.spacy_model)
    left_out = [0]

    def product(text: str, entities: object) -> list[Any]:
        found, dropped = as_evaluated(
            services.deidentifier.find_for(text, policy, "prompt", keep_terms), data
        )
        left_out[0] += dropped
        return found

    result = evaluate(
        data,
        {"product": product, "baseline": lambda text, entities: find_vanilla(vanilla, text, entities)},
        progress=lambda name, done, total: typer.echo(f"{name}: {done}/{total}", err=True),
    )
    result["product_policy"] = chosen or "union"
    result["product_unscored_findings"] = left_out[0]
    if as_json:
        _emit(result)
        return
    typer.echo(
        f"{result['dataset']}: {result['samples']} samples; matching: {result['matching']}; product policy: "
        f"{result['product_policy']} ({result['product_unscored_findings']} findings of types the data does "
        "not annotate left out)"
    )
    if result["skipped_gold_types"]:
        typer.echo(f"gold types without a Presidio entity (left out): {result['skipped_gold_types']}")
    typer.echo(f"{'entity':<20}{'support':>8}  {'product P/R/F2':>22}  {'vanilla Presidio P/R/F2':>24}")
    rows = [("OVERALL", None)] + [(name, name) for name in result["product"]["per_entity"]]
    for label, key in rows:
        cells = []
        for system in ("product", "baseline"):
            stats = result[system] if key is None else result[system]["per_entity"].get(key, {})
            cells.append(
                "/".join(f"{stats[m]:.3f}" if m in stats else "-" for m in ("precision", "recall", "f2"))
            )
        support = "" if key is None else str(result["product"]["per_entity"][key]["support"])
        typer.echo(f"{label:<20}{support:>8}  {cells[0]:>22}  {cells[1]:>24}")


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset", help="BEIR-layout folder: corpus.jsonl[.gz], queries.jsonl, qrels/test.tsv."
        ),
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose chunking and retrieval settings are evaluated.")
    ] = "medical",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N judged queries.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object keyed bm25, dense, hybrid (and run details)."),
    ] = False,
) -> None:
    """Retrieval: nDCG@10, recall@100 and MRR@10 of BM25 alone, dense alone and the product's hybrid."""
    from pipelines.evals.retrieval import MODES, evaluate_retrieval, load_beir

    data = load_beir(dataset, limit=limit)
    services = _services()
    config = services.domain(domain)
    result = evaluate_retrieval(
        data,
        config,
        services.embedder,
        services.settings.data_dir / "eval" / "retrieval",
        progress=_stderr_counter,
    )
    if as_json:
        _emit(result)
        return
    cached = "cached" if result["index_cached"] else "built now"
    typer.echo(
        f"{result['dataset']}: {result['queries']} queries, {result['documents']} documents "
        f"({result['chunks']} chunks, {domain} settings); index build {result['index_build_seconds']:.0f} s "
        f"({cached})"
    )
    typer.echo(f"{'system':<8}{'nDCG@10':>9}{'recall@100':>12}{'MRR@10':>9}{'ms/query':>10}")
    for mode in MODES:
        row = result[mode]
        typer.echo(
            f"{mode:<8}{row['ndcg@10']:>9.4f}{row['recall@100']:>12.4f}{row['mrr@10']:>9.4f}"
            f"{row['ms_per_query']:>10.1f}"
        )


@eval_app.command("intent")
def eval_intent(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="A text,category CSV, or a folder with test.csv (BANKING77).")
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose intent model is evaluated.")
    ] = "finance",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N messages.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, confusions, ...} as one JSON object.")
    ] = False,
) -> None:
    """Intent recognition: accuracy and macro-F1 of the shipped model and of the frozen-embedding + LR baseline."""
    from pipelines.evals.intent import evaluate_intent

    result = evaluate_intent(_services(), domain, dataset, limit, progress=_stderr_counter)
    if as_json:
        _emit(result)
        return
    product, baseline = result["product"], result["baseline"]
    typer.echo(f"{result['dataset']}: {result['examples']} messages, domain {domain}")
    typer.echo(f"{'system':<64}{'accuracy':>9}{'macro-F1':>10}")
    typer.echo(
        f"{'product: ' + product['model']['method']:<64}{product['accuracy']:>9.4f}{product['macro_f1']:>10.4f}"
    )
    typer.echo(
        f"{'baseline: ' + baseline['method']:<64}{baseline['accuracy']:>9.4f}{baseline['macro_f1']:>10.4f}"
    )
    typer.echo(
        f"product: {product['ms_per_message']:.1f} ms/message; below the unknown threshold "
        f"({product['unknown_threshold']:g}): {1 - product['coverage']:.1%} of messages, accuracy on the rest "
        f"{product['accuracy_labelled']:.4f}"
    )
    typer.echo("confusions that cost the most (gold -> predicted: errors):")
    for pair in result["confusions"]:
        typer.echo(f"  {pair['gold']} -> {pair['predicted']}: {pair['count']}")


@eval_app.command("code")
def eval_code(
    dataset: Annotated[Path, typer.Option("--dataset", help="HumanEval folder or HumanEval.jsonl.gz.")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N problems.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|llamacpp.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"backend", "model", "problems", "pass@1", ...} as JSON.')
    ] = False,
) -> None:
    """HumanEval pass@1 through the complete mode with the active backend; tests run in the sandbox."""
    from pipelines.evals.code import evaluate_code

    report = evaluate_code(
        _services(), dataset, limit, backend, progress=lambda d, t: _stderr_counter("problems", d, t)
    )
    if as_json:
        _emit(report.to_json_dict())
        return
    typer.echo(
        f"HumanEval: {report.problems} problems · backend {report.backend} · model {report.model}\n"
        f"pass@1 {report.pass_at_1:.1%} ({report.passed}/{report.problems}) · "
        f"{report.seconds_per_problem:.1f} s per problem (generation + sandboxed tests) · sandbox {report.sandbox}\n"
        "published anchor: Codex-12B pass@1 28.8% (Chen et al. 2021); a 270M base model is expected near 0"
    )
    for row in report.rows:
        typer.echo(
            f"  {row['task_id']:<14} {'pass' if row['passed'] else row['status']:<8} {row['seconds']:>6.1f} s"
            + (f"  {row['error']}" if row["error"] else "")
        )


@eval_app.command("ner")
def eval_ner(
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset",
            help="An IOB file, a corpus folder with test.tsv, or a folder of corpora (../shared/datasets/medical_ner).",
        ),
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model is evaluated.")
    ] = "medical",
    split: Annotated[
        str, typer.Option("--split", help="File name (without .tsv) read in corpus folders.")
    ] = "test",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N sentences.")] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='One JSON object per corpus: {"dataset", "product": {...}, "baseline": {...}, ...}.',
        ),
    ] = False,
) -> None:
    """Entity recognition: entity-level exact-match P/R/F1 (seqeval) of the shipped model beside a dictionary."""
    from pipelines.evals.ner import CONTEXT_WINDOW, evaluate_ner, find_test_files

    recognizer = _entity_recognizer(domain)
    for path in find_test_files(dataset, split):
        result = evaluate_ner(recognizer, path, limit)
        if as_json:
            _emit(result.to_dict())
            continue
        typer.echo(
            f"{result.dataset}: {result.sentences} sentences, types {', '.join(result.types)} "
            "(entity-level exact match, seqeval default mode, micro-averaged)"
        )
        typer.echo(f"{'system':<44}{'type':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
        for name, scores in (
            (f"product: CRF + text context (±{CONTEXT_WINDOW} sentences)", result.product),
            ("product, each sentence alone", result.product_sentence),
            ("baseline: dictionary", result.baseline),
        ):
            for kind, row in sorted(scores.per_type.items()):
                typer.echo(
                    f"{name:<44}{kind:<10}{row['precision']:>10.4f}{row['recall']:>8.4f}{row['f1']:>8.4f}"
                    f"{row['support']:>9}"
                )
            typer.echo(
                f"{name:<44}{'overall':<10}{scores.precision:>10.4f}{scores.recall:>8.4f}{scores.f1:>8.4f}"
                f"{'':>9}"
                + (f"  ({scores.ms_per_sentence:.2f} ms/sentence)" if scores.ms_per_sentence else "")
            )


@eval_app.command("relations")
def eval_relations(
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset", help="Labelled JSON lines (default: the domain's shipped relation test set)."
        ),
    ] = None,
    entities: Annotated[
        str,
        typer.Option(
            "--entities", help="gold = the labelled mentions; predicted = the domain's entity recogniser."
        ),
    ] = "gold",
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose relation rules are evaluated.")
    ] = "medical",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print {product, baseline, entities, sentences} as one JSON object."),
    ] = False,
) -> None:
    """Relation extraction: precision, recall and F1 of the rules and of a co-occurrence baseline."""
    from pipelines.evals.relations import evaluate_relations, load_relation_set

    if entities not in ("gold", "predicted"):
        raise typer.BadParameter(f"--entities must be gold or predicted, not {entities!r}")
    services = _services()
    config = services.domain(domain)
    rules = _relation_rules(config)
    path = dataset
    if path is None:
        if rules.test_set is None:
            raise AssistantError(f"domain {domain!r} ships no relation test set; pass --dataset")
        path = config.resolve(rules.test_set)
    sentences = load_relation_set(path, list(rules.relations))
    recognize = None
    if entities == "predicted":
        recognizer = services.entity_recognizer(domain)
        if recognizer is None:
            raise AssistantError(
                f"domain {domain!r} has no entity model (no ner: block in its domain.yaml); use --entities gold"
            )
        recognize = recognizer.recognize
    result = evaluate_relations(sentences, rules, "predicted" if recognize else "gold", recognize)
    result["dataset"] = str(path)
    if as_json:
        _emit(result)
        return
    typer.echo(
        f"{path.name}: {result['sentences']} sentences, {result['product']['gold']} gold relations; entities: "
        f"{entities}; a relation counts when its type, head span and tail span all match"
    )
    if "entity_match" in result:
        match = result["entity_match"]
        typer.echo(
            f"entity recogniser on these sentences (exact span and type): P {match['precision']:.3f} "
            f"R {match['recall']:.3f} F1 {match['f1']:.3f}"
        )
    typer.echo(f"{'type':<12}{'support':>8}  {'rules P/R/F1':>20}  {'co-occurrence P/R/F1':>22}")
    types = sorted(set(result["product"]["per_type"]) | set(result["baseline"]["per_type"]))
    for label, key in [("OVERALL", None), *((t, t) for t in types)]:
        cells = []
        for system in ("product", "baseline"):
            stats = result[system] if key is None else result[system]["per_type"].get(key)
            cells.append(
                "/".join(f"{stats[m]:.3f}" for m in ("precision", "recall", "f1")) if stats else "-/-/-"
            )
        gold = result["product"] if key is None else result["product"]["per_type"].get(key, {})
        support = gold.get("gold", gold.get("support", 0))
        typer.echo(f"{label:<12}{support:>8}  {cells[0]:>20}  {cells[1]:>22}")


def _relation_rules(config: Any) -> Any:
    """The domain's relation rules, or an error naming the domain."""
    if config.relations is None:
        raise AssistantError(
            f"domain {config.name!r} has no relation rules (no relations: in its domain.yaml)"
        )
    return config.relations


@medical_app.command("relations")
def medical_relations(
    text: Annotated[str, typer.Argument(help="Clinical text, or - to read it from stdin.")],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model and relation rules are used.")
    ] = "medical",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {entities, relations} as one JSON object.")
    ] = False,
) -> None:
    """Drug-disease (treats, causes) and symptom-disease relations in TEXT, on the recogniser's entities.

    At most 200,000 characters; mentions overlapping a personal identifier are left out. Nothing is stored or
    logged; the output goes to stdout only.
    """
    from pipelines.skills.medical.clinical import find_entities
    from pipelines.skills.medical.relations import extract_relations

    content = sys.stdin.read() if text == "-" else text
    services = _services()
    rules = _relation_rules(services.domain(domain))
    found = find_entities(services, content, domain)
    relations = extract_relations(content, found, rules)
    if as_json:
        _emit({"entities": [e.to_dict() for e in found], "relations": [r.to_dict() for r in relations]})
        return
    if not relations:
        typer.echo(f"no relations ({len(found)} entities found)")
    for relation in relations:
        typer.echo(f"{relation.type}: {relation.head.text} -> {relation.tail.text}   [{relation.trigger}]")


train_app = typer.Typer(no_args_is_help=True, help="Train the models a domain ships.")
app.add_typer(train_app, name="train")


@train_app.command("intent")
def train_intent(
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose intent model is trained.")
    ] = "finance",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Model folder to write (default: the domain's intent.model, replaced)."),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Passes over the training data (default 4).")
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option(
            "--seed",
            help="Random seed (shuffling, initialisation, dropout); repeat it to train an ensemble, one model "
            "per seed, whose probabilities are averaged. Default: the shipped model's seeds.",
        ),
    ] = None,
    linear: Annotated[
        bool,
        typer.Option(
            "--linear/--no-linear",
            help="Add the two logistic-regression members (frozen embedding, TF-IDF) to the ensemble, as shipped.",
        ),
    ] = True,
    linear_only: Annotated[
        bool,
        typer.Option(
            "--linear-only",
            help="Keep the domain model's fine-tuned members and retrain only the logistic-regression members "
            "(about 2 minutes); with --out the domain's model is left as it is.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the domain's intent model from its committed training data (CPU; about an hour on 2 cores, or
    about 2 minutes with --linear-only)."""
    from pipelines.skills.triage.intent_linear import LINEAR_KINDS
    from pipelines.training.intent import (
        SHIPPED_SEEDS,
        TrainingConfig,
        load_labelled_csv,
        refit_linear_members,
        train_intent_ensemble,
    )

    services = _services()
    config = services.domain(domain)
    if config.intent is None:
        raise AssistantError(f"domain {domain!r} has no intent: block in its domain.yaml")
    if linear_only and (seed or not linear or epochs is not None):
        raise AssistantError(
            "--linear-only keeps the fine-tuned members: it takes no --seed, --epochs or --no-linear"
        )
    texts, labels = load_labelled_csv(config.resolve(config.intent.training_data))
    target = out or config.resolve(config.intent.model)
    kinds = LINEAR_KINDS if linear else ()

    def shown(step: int, total: int, loss: float) -> None:
        every = max(1, total // 20)  # about 20 plain lines when stderr is not a terminal
        bar.overall(f"step {step // every * every}/{total}", step / total)

    with _StderrProgress() as bar:
        bar.start(f"train intent ({len(texts)} messages)")
        if linear_only:
            report = refit_linear_members(
                texts, labels, target, kinds, shown, source=config.resolve(config.intent.model)
            )
        else:
            report = train_intent_ensemble(
                texts,
                labels,
                target,
                list(seed or SHIPPED_SEEDS),
                TrainingConfig(epochs=epochs or TrainingConfig.epochs),
                shown,
                kinds,
            )
    facts = {
        "model_dir": str(report.model_dir),
        "examples": report.examples,
        "labels": report.labels,
        "steps": report.steps,
        "seconds": round(report.seconds, 1),
        "size_bytes": report.size_bytes,
    }
    if as_json:
        _emit(facts)
    else:
        typer.echo(
            f"trained {report.labels} intents on {report.examples} messages in {report.seconds / 60:.1f} min "
            f"({report.steps} steps); model {report.size_bytes / 1e6:.1f} MB in {report.model_dir}"
        )


@train_app.command("ner")
def train_ner(
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model is trained.")
    ] = "medical",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Model folder to write (default: the domain's ner.model, replaced)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the lexicon feature's fold split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the domain's CRF entity model from its committed IOB data (CPU; minutes on 2 cores)."""
    from pipelines.training.ner import NerTrainingConfig, train_ner_model

    config = _services().domain(domain)
    if config.ner is None:
        raise AssistantError(f"domain {domain!r} has no ner: block in its domain.yaml")
    files = [config.resolve(path) for path in config.ner.training_data]
    foci = config.resolve(config.ner.lexicon_data) if config.ner.lexicon_data else None
    target = out or config.resolve(config.ner.model)
    training = NerTrainingConfig(seed=seed)

    def shown(stage: str, done: int, total: int) -> None:
        if stage == "features":
            bar.overall("features", 0.0)
        else:  # L-BFGS iterations; about 20 plain lines when stderr is not a terminal
            every = max(1, total // 20)
            bar.overall(f"iteration {done // every * every}/{total}", min(done / max(total, 1), 1.0))

    with _StderrProgress() as bar:
        bar.start(f"train ner ({', '.join(path.name for path in files)})")
        report = train_ner_model(files, target, foci, training, shown)
    if as_json:
        _emit(report.to_dict())
    else:
        typer.echo(
            f"trained on {report.sentences} sentences ({report.tokens} tokens) in {report.seconds / 60:.1f} min; "
            f"{report.features} features; model {report.size_bytes / 1e6:.1f} MB in {report.model_dir}"
        )


def _stderr_counter(stage: str, done: int, total: int) -> None:
    typer.echo(f"{stage}: {done}/{total}", err=True)


def main() -> None:
    """Console-script entry point: user-facing errors become one ``error: ...`` line and exit code 1.

    Usage errors (missing argument, unknown option) are reported by Typer/Click with exit code 2.
    """
    try:
        app()
    except USER_FACING_ERRORS as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
