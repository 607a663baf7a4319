"""Code task modes: complete code, write tests that are run, translate C++ to Python and check it.

One task: de-identify the user's code with the domain's prompt policy (secrets masked before any model sees
them) → the mode's prompt (``modes.yaml``: a chat prompt for chat models, a completion prompt for base models)
→ stream the answer (reasoning split and scanned, the user's own values restored for display), stopped early
when it falls into a repetition loop → take the code out of the answer, cut to its complete part when a loop or
the token limit cut it off (:mod:`pipelines.skills.code.degeneration`) → run the mode's check in the sandbox
(:mod:`pipelines.skills.code.checks`) → persist the turn de-identified (the user's code, the answer, the check's
one-line summary and what happened to a cut-off answer) in the session.

The *ask* mode is the chat pipeline pinned to the code domain (:class:`pipelines.chat.pipeline.ChatPipeline`).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from domains import CodeModeConfig, load_code_modes
from pipelines.conversation.memory import new_session_id
from pipelines.conversation.sessions import Conversations
from pipelines.core import metrics
from pipelines.core.deidentification import DomainDeidentifier
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError
from pipelines.core.logs import logger
from pipelines.core.settings import Settings
from pipelines.llm.backends import Backend, BackendResolver, answered_by
from pipelines.llm.generation import Generation, chat_parts, stream_generation
from pipelines.llm.llamacpp import LlamaCppCompletionChat
from pipelines.llm.turn import Stopwatch, TurnEvent, completing
from pipelines.skills.code.checks import TestReport, TranslationReport, check_translation, run_tests
from pipelines.skills.code.degeneration import (
    GenerationEnd,
    Repetition,
    RepetitionGuard,
    find_repetition,
    test_names,
    trim_python,
)
from pipelines.skills.code.deidentify import deidentify_code, scrub_code
from privacy import reidentify

__all__ = [
    "ASK_MODE",
    "CodeEvent",
    "CodeTaskPipeline",
    "CodeTaskResult",
    "extract_code",
    "proposed_inputs",
    "split_inputs",
]

#: The mode that is the chat pipeline (retrieval over the code collection), not a ``modes.yaml`` entry.
ASK_MODE = "ask"
#: Largest code accepted per task, characters.
MAX_CODE_CHARS = 50_000

_FENCE = re.compile(r"```[ \t]*([\w+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _code_block(answer: str, language: str) -> tuple[str, bool]:
    """The code block :func:`extract_code` takes, unstripped, and whether it runs to the end of the answer
    (a fence never closed, or bare code): then a cut-off answer cut the code too."""
    aliases = {"python": {"python", "py", "python3"}, "cpp": {"cpp", "c++", "cxx", "cc"}}.get(
        language, {language}
    )
    blocks = list(_FENCE.finditer(answer))
    chosen = next((m for m in blocks if m.group(1).lower() in aliases), None)
    if chosen is None:
        chosen = next((m for m in blocks if m.group(1).lower() not in {"input", "text", "stdin"}), None)
    if chosen is None:
        return answer, True
    return chosen.group(2), not chosen.group(0).endswith("```")


def extract_code(answer: str, language: str) -> str:
    """The code in a model answer: the first fenced block labelled ``language`` (or an alias), else the
    first fenced block that is not an ``input`` block, else the whole answer (a base model writes bare code).

    Args:
        answer: The model's answer.
        language: Expected language (``python``, ``cpp``, …).

    Returns:
        The code, without the fences, ending in one newline ("" for an empty answer).
    """
    chosen = _code_block(answer, language)[0].strip("\n")
    return chosen + "\n" if chosen.strip() else ""


def proposed_inputs(answer: str, limit: int = 3) -> list[str]:
    """Standard inputs the model proposed, as fenced ``input`` blocks (at most ``limit``)."""
    found = [m.group(2) for m in _FENCE.finditer(answer) if m.group(1).lower() in {"input", "stdin"}]
    return [text if text.endswith("\n") else text + "\n" for text in found[:limit]]


def split_inputs(text: str) -> list[str]:
    """Standard inputs typed in one box, separated by lines that hold only ``---`` (blank inputs dropped).

    Returns:
        The inputs, each ending in a newline, e.g. ``"1 2\n---\n3 4"`` → ``["1 2\n", "3 4\n"]``.
    """
    blocks = re.split(r"^---[ \t]*$\n?", text, flags=re.MULTILINE)
    return [block.strip("\n") + "\n" for block in blocks if block.strip()]


@dataclass
class CodeTaskResult:
    """The outcome of one code task (the ``assistant code --json`` object is :meth:`to_json_dict`).

    ``answer`` and ``code`` are for display (the user's own values restored); ``answer_redacted`` and
    ``code_redacted`` are de-identified. ``check`` names the check (``syntax``, ``tests``, ``translation``,
    ``none``); its outcome is in ``syntax_error``, ``tests`` or ``translation``. ``generation`` says how the
    generation ended: stopped in a repetition loop or cut at the token limit, and what was dropped
    (:meth:`notice` in plain words).
    """

    mode: str
    label: str
    language: str
    session_id: str
    backend: str
    model: str
    backend_note: str
    check: str
    redacted_code: str
    answer: str = ""
    answer_redacted: str = ""
    reasoning: str = ""
    code: str = ""
    masked: dict[str, int] = field(default_factory=dict)
    syntax_error: str | None = None
    tests: TestReport | None = None
    translation: TranslationReport | None = None
    inputs: list[str] = field(default_factory=list)
    inputs_from: str = "none"  # user | model | none
    timings_ms: dict[str, float] = field(default_factory=dict)
    prompt: str = ""
    disclaimer: str = ""
    generation: GenerationEnd = field(default_factory=GenerationEnd)

    def notice(self) -> str:
        """What happened to a degenerate generation in plain words ("" when the model finished normally), e.g.
        "The model repeated the same line 8 times in a row (…) and was stopped after 9 s. …"."""
        return self.generation.note()

    def check_summary(self) -> str:
        """One line saying what the check showed, or that nothing was checked and why."""
        if self.generation.unusable and self.check in ("tests", "translation"):
            what = "no complete test function" if self.check == "tests" else "no complete statement"
            return f"{self.check} not run: the answer was cut off and {what} was left"
        if self.check == "tests" and self.tests is not None:
            return self.tests.summary()
        if self.check == "translation" and self.translation is not None:
            return self.translation.summary()
        if self.check == "syntax" and self.syntax_error is not None:
            return (
                "the completed code parses" if not self.syntax_error else f"syntax error: {self.syntax_error}"
            )
        if not self.code.strip():
            return "nothing to check: the model returned no code"
        return "not checked"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form of the task: mode, answer, code, check outcome, backend, model, timings."""
        return {
            "mode": self.mode,
            "answer": self.answer,
            "reasoning": self.reasoning,
            "code": self.code,
            "language": self.language,
            "check": self.check,
            "check_summary": self.check_summary(),
            "syntax_error": self.syntax_error,
            "tests": self.tests.to_json_dict() if self.tests else None,
            "translation": self.translation.to_json_dict() if self.translation else None,
            "inputs": self.inputs,
            "inputs_from": self.inputs_from,
            "session_id": self.session_id,
            "backend": self.backend,
            "model": self.model,
            "masked": self.masked,
            "redacted_code": self.redacted_code,
            "timings_ms": self.timings_ms,
            "disclaimer": self.disclaimer,
            "notice": self.notice(),
            "generation": self.generation.to_json_dict(),
        }


#: An event of a code task (:class:`pipelines.llm.turn.TurnEvent`): "meta" (the result so far),
#: "answer"/"reasoning" (text), "check" (text: what is being run), "done" (the final result).
CodeEvent = TurnEvent[CodeTaskResult]


class CodeTaskPipeline:
    """Runs code tasks of one domain (built by the composition root, :meth:`pipelines.services.Services.code_tasks`)."""

    def __init__(
        self,
        domains: DomainRegistry,
        deidentification: DomainDeidentifier,
        conversations: Conversations,
        backends: BackendResolver,
        settings: Settings,
        domain: str = "code",
        max_tokens: int | None = None,
    ) -> None:
        """Args:
        domains: The domains (the task domain's ``modes.yaml``, policy and disclaimer).
        deidentification: De-identifies the code and scans the model's answer.
        conversations: The sessions the tasks are stored in.
        backends: Resolves the backend of a task.
        settings: The sandbox limits, the data dir (hidden from the sandbox) and the llama.cpp token cap.
        domain: Domain whose ``modes.yaml``, privacy policy and disclaimer apply.
        max_tokens: Caps every mode's ``max_tokens`` (quick runs); None keeps the modes' own.
        """
        self.domains = domains
        self.deidentification = deidentification
        self.conversations = conversations
        self.backends = backends
        self.settings = settings
        self.domain = domain
        self.max_tokens = max_tokens

    def modes(self) -> dict[str, CodeModeConfig]:
        """The domain's modes by name (``ask`` is not among them; see :data:`ASK_MODE`).

        Raises:
            AssistantError: The domain has no ``modes.yaml``.
        """
        config = load_code_modes(self.domains.domain(self.domain))
        if config is None:
            raise AssistantError(f"domain {self.domain!r} has no code modes (no modes.yaml in its folder)")
        return config.modes

    def stream(
        self,
        mode: str,
        code: str,
        session_id: str | None = None,
        backend: str | None = None,
        inputs: Sequence[str] | None = None,
        persist: bool = True,
    ) -> Iterator[CodeEvent]:
        """Run one task: yield "meta", the answer and reasoning as they stream, "check", then "done".

        Args:
            mode: A mode of the domain's ``modes.yaml`` (``complete``, ``write_tests``, ``translate``).
            code: The user's code (raw; de-identified here before the model sees it).
            session_id: Existing or new session id (None = a new session).
            backend: auto|ollama|openai|llamacpp (None = settings).
            inputs: Standard inputs for a translation check (None or empty = the model's proposals, if any).
            persist: Store the turn in the session (False for evaluations).

        Raises:
            AssistantError: Unknown mode, empty or oversized code, or a backend failure (BackendError).
        """
        modes = self.modes()
        if mode not in modes:
            raise AssistantError(f"unknown code mode {mode!r}; use {ASK_MODE} or one of: {', '.join(modes)}")
        config = modes[mode]
        if self.max_tokens is not None and self.max_tokens < config.max_tokens:
            config = config.model_copy(update={"max_tokens": self.max_tokens})
        if not code.strip():
            raise AssistantError("the code is empty")
        if len(code) > MAX_CODE_CHARS:
            raise AssistantError(f"the code has {len(code):,} characters; the limit is {MAX_CODE_CHARS:,}")
        watch = Stopwatch()
        conversations = self.conversations
        session_id = conversations.memory.check_id(session_id or new_session_id())

        with watch.step("deidentify"):
            vault, _ = conversations.open_vault(session_id)
            redaction, memory_redaction = deidentify_code(
                self.deidentification, code, vault, self.domain, config.input_language
            )

        chosen = self.backends(backend)
        domain_config = self.domains.domain(self.domain)
        result = CodeTaskResult(
            mode=mode,
            label=config.label,
            language=config.output_language,
            session_id=session_id,
            backend=chosen.name,
            model=chosen.model_name,
            backend_note=chosen.note,
            check=config.check,
            redacted_code=redaction.text,
            masked=dict(sorted(redaction.counts().items())),
            disclaimer=domain_config.disclaimer,
        )
        yield CodeEvent("meta", data=result)

        generation = Generation()
        cap = self.settings.llamacpp.code_max_tokens if chosen.name == "llamacpp" else None
        if cap is not None and cap < config.max_tokens:
            config = config.model_copy(update={"max_tokens": cap})
        parts, raw = _model_parts(chosen, config, redaction.text)
        watched = _WatchedParts(parts, RepetitionGuard(), config.max_tokens if raw else None, raw)
        display_policy = self.domains.policy(self.domain)
        with watch.step("generate"):
            for kind, shown in stream_generation(
                chosen,
                watched,
                vault,
                display_policy,
                lambda line: self.deidentification.scrub(line, vault, self.domain).text,
                generation,
                watch.started,
            ):
                yield CodeEvent(kind, shown)
        watch.timings["first_token"] = (
            generation.first_token_ms if generation.first_token_ms is not None else 0.0
        )
        # a base model's continuation keeps its leading indent (it continues the user's last line)
        written = generation.answer_unstripped.rstrip() if raw else generation.answer_redacted
        end = result.generation = _generation_end(chosen, config, watched, watch.timings["generate"], raw)
        if end.repetition is not None:  # keep one copy of the repeated unit, drop the rest of the loop
            found = find_repetition(written + "\n")  # the stripped answer's last line ends too
            if found is not None:
                written = written[: found.cut].rstrip(" \t")
        answer_redacted = (
            scrub_code(self.deidentification, written, vault, self.domain).text if written.strip() else ""
        )
        result.answer_redacted = answer_redacted
        result.answer = reidentify(answer_redacted, vault, display_policy)
        result.reasoning = generation.reasoning
        result.prompt = getattr(chosen.chat_model, "last_prompt", "") or ""
        result.code = _task_code(config, code, result.answer, raw)
        if end.stopped is not None:
            # where the code was cut: a line loop is cut where a line starts, the token limit anywhere
            at_line_end = (
                end.repetition.kind != "span"
                if end.repetition is not None
                else generation.answer_unstripped.endswith("\n")
            )
            _trim_cut_code(result, config, raw, at_line_end)

        with watch.step("check"):
            yield from self._check(result, config, code, inputs)
        result.timings_ms = watch.total()
        if persist:
            fence = config.input_language
            question = f"{config.label}:\n```{fence}\n{memory_redaction.text.strip()}\n```"
            summary = result.check_summary() + (f"; {result.notice()}" if result.notice() else "")
            stored = f"{answer_redacted}\n\n({summary})" if answer_redacted else summary
            conversations.vaults.save(vault)  # with the turn: a failed or unpersisted task keeps no values
            conversations.memory.add_turn(
                session_id, question, stored, self.domain, 1.0, [], chosen.name, chosen.model_name
            )
        logger.info(
            "code task session=%s mode=%s backend=%s model=%s entities=%s check=%s outcome=%s stopped=%s "
            "parts=%d timings_ms=%s",
            session_id,
            mode,
            chosen.name,
            chosen.model_name,
            json.dumps(redaction.counts()),
            config.check,
            _outcome(result),
            end.stopped or "-",
            end.parts,
            json.dumps(result.timings_ms),
        )
        metrics.observe_generation(
            chosen.name,
            answered_by(chosen)[0],
            generation.first_token_ms / 1000.0 if generation.first_token_ms is not None else None,
            result.timings_ms.get("generate", 0.0) / 1000.0,
            len(written),
            result.masked,
            None,
            generation.output_tokens,
        )
        yield CodeEvent("done", data=result)

    run = completing(stream)

    def _check(
        self, result: CodeTaskResult, config: CodeModeConfig, code: str, inputs: Sequence[str] | None
    ) -> Iterator[CodeEvent]:
        settings = self.settings
        hidden = [settings.data_dir]
        if not result.code.strip() or config.check == "none" or result.generation.unusable:
            return
        if config.check == "syntax":
            result.syntax_error = _syntax_error(result.code) if config.output_language == "python" else None
        elif config.check == "tests":
            yield CodeEvent("check", "Running the tests against your code in the sandbox…")
            result.tests = run_tests(code, result.code, settings.sandbox, hidden)
        elif config.check == "translation":
            given = [text for text in (inputs or []) if text is not None]
            if given:
                result.inputs, result.inputs_from = list(given), "user"
            elif found := proposed_inputs(result.answer):
                result.inputs, result.inputs_from = found, "model"
            yield CodeEvent("check", "Running the translation (and the compiled original) in the sandbox…")
            result.translation = check_translation(code, result.code, result.inputs, settings.sandbox, hidden)


class _WatchedParts(Iterator[tuple[str, str]]):
    """The model's ``(content, reasoning)`` parts watched by a :class:`RepetitionGuard`: the part on which the
    guard fires is the last one (the source is closed at once, which stops the generation on the host or in
    the embedded model); counts the parts read.

    Attributes:
        parts: Parts read from the source (a raw completion's prefix not counted: one per sampled token).
        repetition: The loop the guard found, else None.
    """

    def __init__(
        self, source: Iterator[tuple[str, str]], guard: RepetitionGuard, max_tokens: int | None, raw: bool
    ) -> None:
        self._source = source
        self._guard = guard
        self._max_tokens = max_tokens
        self._skip = 1 if raw else 0  # the completion prefix is the first part of a raw continuation
        self.parts = 0
        self.repetition: Repetition | None = None

    def __next__(self) -> tuple[str, str]:
        if self.repetition is not None:
            raise StopIteration
        content, reasoning = next(self._source)
        if self._skip:
            self._skip -= 1
        else:
            self.parts += 1
        if content and self._guard.feed(content) is not None:
            self.repetition = self._guard.found
            self.close()
        return content, reasoning

    def close(self) -> None:
        """Close the source (stops the generation)."""
        close = getattr(self._source, "close", None)
        if callable(close):
            close()

    @property
    def output_tokens(self) -> int | None:
        """The backend's reported output tokens (:class:`pipelines.llm.generation.ChatParts`), else None."""
        return getattr(self._source, "output_tokens", None)

    @property
    def finish_reason(self) -> str | None:
        """The backend's reported finish reason; for the embedded completion ``length`` once ``max_tokens``
        parts (one per sampled token) were read, else None."""
        reported = getattr(self._source, "finish_reason", None)
        if reported is None and self._max_tokens is not None and self.parts >= self._max_tokens:
            return "length"
        return reported


def _generation_end(
    backend: Backend, config: CodeModeConfig, watched: _WatchedParts, generate_ms: float, raw: bool
) -> GenerationEnd:
    """How the generation ended: stopped by the guard, cut at the token limit, or finished."""
    options = getattr(backend.chat_model, "options", None)
    limit = config.max_tokens if raw else getattr(options, "num_predict", None)
    reason = watched.finish_reason
    end = GenerationEnd(
        seconds=generate_ms / 1000.0,
        parts=watched.parts,
        max_tokens=limit,
        finish_reason=reason,
        repetition=watched.repetition,
        check=config.check,
    )
    if watched.repetition is not None:
        end.stopped = "repetition"
    elif reason == "length":
        end.stopped = "length"
    return end


def _trim_cut_code(result: CodeTaskResult, config: CodeModeConfig, raw: bool, at_line_end: bool) -> None:
    """After a stopped or cut-off generation, when the code ran on to the cut: drop the line the cut fell in
    (none when it fell at a line end, ``at_line_end``) and keep what then parses (:func:`trim_python`); mark the
    check unusable when nothing complete is left (no test function; no statement of a translation, which
    otherwise runs cut, and the note says its output may differ)."""
    end = result.generation
    block, runs_to_end = _code_block(result.answer, config.output_language)
    end.code_cut = raw or runs_to_end
    if not end.code_cut or config.output_language != "python":
        return
    if config.check not in ("tests", "translation"):
        return
    trimmed = trim_python(block, at_line_end)
    end.dropped, end.dropped_lines = trimmed.dropped, trimmed.dropped_lines
    if config.check == "tests":
        end.kept_tests = len(set(test_names(trimmed.code)))  # pytest runs a redefined test once
        usable = end.kept_tests > 0
    else:
        usable = bool(trimmed.code.strip())
    if usable:
        result.code = trimmed.code
    else:
        end.unusable = True


def _completion_parts(
    chat: LlamaCppCompletionChat, config: CodeModeConfig, prompt: str
) -> Generator[tuple[str, str], None, None]:
    """A base model's continuation as parts: the mode's prefix, then the streamed text; closing this closes the
    model's stream (and releases the model's lock) at once."""
    stream = chat.stream_completion(prompt, config.max_tokens, config.stop)
    try:
        yield config.completion_prefix, ""
        for text in stream:
            yield text, ""
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()


def _model_parts(
    backend: Backend, config: CodeModeConfig, redacted_code: str
) -> tuple[Iterator[tuple[str, str]], bool]:
    """The model's output parts for the mode (closable: closing stops the generation), and whether it is a raw
    base-model continuation."""
    chat = backend.chat_model
    if isinstance(chat, LlamaCppCompletionChat):
        prompt = config.completion_prompt.replace("{code}", redacted_code)
        return _completion_parts(chat, config, prompt), True
    messages = [
        SystemMessage(config.system_prompt),
        HumanMessage(config.request.replace("{code}", redacted_code)),
    ]
    return chat_parts(backend, messages), False


def _task_code(config: CodeModeConfig, user_code: str, answer: str, raw: bool) -> str:
    """The code the task produced: for ``complete``-style syntax checks the user's code with its continuation,
    otherwise the code in the answer."""
    if config.check != "syntax":
        return extract_code(answer, config.output_language)
    if raw:
        return user_code + answer if answer.strip() else ""
    block = extract_code(answer, config.output_language)
    first = next((line.strip() for line in block.splitlines() if line.strip()), "")
    if not block or (first and first in user_code):
        return block  # the model repeated the given code with its continuation
    return user_code.rstrip("\n") + "\n" + block


def _syntax_error(code: str) -> str:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    return ""


def _outcome(result: CodeTaskResult) -> str:
    if result.tests is not None:
        report = result.tests
        return f"{report.run.status}:{report.count('passed')}p/{report.count('failed')}f/{report.count('error')}e"
    if result.translation is not None:
        compared = [c.match for c in result.translation.cases if c.match is not None]
        return f"{result.translation.run.status}:{sum(compared)}/{len(compared)}"
    if result.syntax_error is not None:
        return "syntax-ok" if not result.syntax_error else "syntax-error"
    return "-"
