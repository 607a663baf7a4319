"""``assistant code``: code tasks (ask, complete, write-tests, translate); generated code runs only in the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.chat import run_ask
from cli.context import emit, services, stdin_text
from pipelines.core.errors import AssistantError

__all__ = ["code"]


def code(
    ctx: typer.Context,
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
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|openai|llamacpp.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Code tasks: ask (RAG over the code collection), complete, write-tests (run with coverage), translate
    (C++ to Python, run and compared with the compiled original). Generated code runs only in the sandbox."""
    from pipelines.skills.code.tasks import ASK_MODE  # here: the code tasks import the models' libraries

    name = mode.replace("-", "_")
    pipeline = services(ctx).code_tasks()
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
        source = stdin_text()
    elif text is not None:
        source = text
    else:
        raise AssistantError("no code given: pass it as an argument, - for stdin, or --file PATH")
    if name == ASK_MODE:
        run_ask(ctx, source, domain="code", session=session, backend=backend, as_json=as_json)
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
                emit(result.to_json_dict())
            else:
                typer.echo("")
                for line in _check_lines(result):
                    typer.echo(line, err=True)


def _check_lines(result: Any) -> list[str]:
    """The check's outcome for the terminal: what happened to a cut-off or looping answer, the summary, then
    cases (tests) or per-input outputs (translation)."""
    lines = [f"note: {result.notice()}"] if result.notice() else []
    lines.append(f"check: {result.check_summary()}")
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
