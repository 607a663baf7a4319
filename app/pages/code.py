"""Code page: ask (RAG over the code collection), complete, write tests (run with coverage) and translate C++ to
Python (run and compared with the compiled original). Generated code runs only in the sandbox; secrets in the
pasted code are masked before the model sees them."""

from __future__ import annotations

import streamlit as st

from app.auth import claim_session, page_visitor
from app.state import get_services, guarded
from pipelines.chat.pipeline import ChatResult
from pipelines.chat.transparency import masked_caption
from pipelines.conversation.memory import new_session_id
from pipelines.skills.code.sandbox import sandbox_status
from pipelines.skills.code.tasks import ASK_MODE, CodeTaskResult, split_inputs

services = get_services()
visitor = page_visitor(services, "code")
pipeline = services.code_tasks()
st.title("Code")
st.caption(
    "Secrets, e-mail addresses and other personal data in your code are masked before the model sees them. "
    "Generated tests and translations run in a sandbox: no network, no access to the app's data, time and "
    "memory limits."
)
sandbox = sandbox_status()
if not sandbox.available:
    st.warning(f"Generated code will not be run: {sandbox.reason}.")

modes = guarded(pipeline.modes) or {}
labels = {ASK_MODE: "Ask", **{name: config.label for name, config in modes.items()}}
mode = st.radio("Task", list(labels), format_func=labels.__getitem__, horizontal=True, key="code_mode")
config = modes.get(mode)
st.caption(config.help if config else "Questions about the code and documentation in the code collection.")

if mode == ASK_MODE:
    text = st.text_area("Question", height=100, key="code_question")
else:
    language = "C++" if config and config.input_language == "cpp" else "Python"
    text = st.text_area(f"Your {language} code", height=260, key=f"code_input_{mode}")
inputs_text = ""
if config is not None and config.check == "translation":
    inputs_text = st.text_area(
        "Standard inputs to run both programs on (separate inputs with a line holding only ---; "
        "empty = the model's proposals)",
        height=90,
        key="code_inputs",
    )


def show_task(result: CodeTaskResult) -> None:
    """Render what happened to a cut-off or looping answer, the produced code, the check's outcome (or why
    nothing ran) and the run details."""
    if caption := masked_caption(result.masked):
        st.caption(caption)
    if notice := result.notice():
        st.warning(notice)
    if result.reasoning:
        with st.expander("Reasoning"):
            st.markdown(result.reasoning)
    if not result.answer.strip():
        st.info("The model returned nothing.")
    elif (
        "```" in result.answer
    ):  # a chat model's explanation with fenced code (highlighted, with a copy button)
        st.markdown("**Answer**")
        st.markdown(result.answer)
    if result.code:
        st.markdown("**Code**")
        st.code(result.code, language=result.language, line_numbers=True)
    summary = result.check_summary()
    report = result.tests or result.translation
    if report is not None and not report.run.ran:
        st.warning(f"Not run: {report.run.reason}.")
    elif result.tests is not None:
        show = (
            st.success
            if result.tests.cases and not result.tests.count("failed") + result.tests.count("error")
            else st.error
        )
        show(f"Tests: {summary}")
        line, branch = st.columns(2)
        if result.tests.line_coverage is not None:
            line.metric("Line coverage", f"{result.tests.line_coverage:.0%}")
        if result.tests.branch_coverage is not None:
            branch.metric("Branch coverage", f"{result.tests.branch_coverage:.0%}")
        if result.tests.cases:
            st.dataframe(
                [{"test": c.name, "outcome": c.outcome, "message": c.message} for c in result.tests.cases],
                hide_index=True,
            )
        if result.tests.missing_lines:
            st.caption(f"Lines of your code no test ran: {', '.join(map(str, result.tests.missing_lines))}")
        with st.expander("pytest output"):
            st.code(result.tests.run.stdout + result.tests.run.stderr, language=None)
    elif result.translation is not None:
        translation = result.translation
        compared = [c.match for c in translation.cases if c.match is not None]
        show = st.success if compared and all(compared) else st.warning if not compared else st.error
        show(f"Translation: {summary}")
        if translation.compile_errors:
            with st.expander("C++ compile errors"):
                st.code(translation.compile_errors, language=None)
        st.caption(
            f"Inputs: {'yours' if result.inputs_from == 'user' else 'proposed by the model' if result.inputs_from == 'model' else 'none (one run with empty input)'}"
        )
        st.dataframe(
            [
                {
                    "input": c.stdin,
                    "Python output": c.python_stdout,
                    "Python exit": c.python_exit,
                    "C++ output": c.cpp_stdout if c.ran_cpp else "(not run)",
                    "match": {True: "yes", False: "no", None: "—"}[c.match],
                }
                for c in translation.cases
            ],
            hide_index=True,
        )
    elif result.check == "syntax":
        (st.success if result.syntax_error == "" else st.info)(summary)
    st.caption(f"{result.label} · {result.backend} · {result.model}")
    if result.disclaimer:
        st.caption(result.disclaimer)


def show_ask(result: ChatResult) -> None:
    """Render a code-collection answer with its sources (file, symbol and lines)."""
    st.markdown(result.answer)
    for s in result.sources:
        with st.expander(f"[{s.number}] {s.source} · {s.location}".rstrip(" ·")):
            st.code(s.text, language=None)
    st.caption(f"{result.backend} · {result.model}")


if st.button("Run", type="primary", key="code_run"):
    st.session_state.pop("code_result", None)
    holder: dict[str, CodeTaskResult | ChatResult] = {}
    session = st.session_state.setdefault("code_session", new_session_id())
    claim_session(services, visitor, session)  # the visitor's before it holds a value

    def answer_stream():  # wiring: forward answer text, show what is being run, keep the result
        if mode == ASK_MODE:
            events = services.chat.stream(text, session_id=session, domain="code", owner=visitor.user)
        else:
            events = pipeline.stream(mode, text, session, None, split_inputs(inputs_text))
        for event in events:
            if event.kind == "answer":
                yield event.text
            elif event.kind == "check":
                yield f"\n\n*{event.text}*"
            elif event.kind == "done" and event.data is not None:
                holder["result"] = event.data

    guarded(lambda: st.write_stream(answer_stream()))
    if "result" in holder:
        st.session_state["code_result"] = holder["result"]
        st.rerun()

shown = st.session_state.get("code_result")
if isinstance(shown, CodeTaskResult):
    show_task(shown)
elif isinstance(shown, ChatResult):
    show_ask(shown)
