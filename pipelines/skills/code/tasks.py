"""Code task modes: complete code, write tests that are run, translate C++ to Python and check it.

One task: de-identify the user's code with the domain's prompt policy (secrets masked before any model sees
them) → the mode's prompt (``modes.yaml``: a chat prompt for chat models, a completion prompt for base models)
→ stream the answer (reasoning split and scanned, the user's own values restored for display) → take the code
out of the answer → run the mode's check in the sandbox (:mod:`pipelines.skills.code.checks`) → persist the turn
de-identified (the user's code, the answer and the check's one-line summary) in the session.

The *ask* mode is the chat pipeline pinned to the code domain (:class:`pipelines.chat.pipeline.ChatPipeline`).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
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


def extract_code(answer: str, language: str) -> str:
    """The code in a model answer: the first fenced block labelled ``language`` (or an alias), else the
    first fenced block that is not an ``input`` block, else the whole answer (a base model writes bare code).

    Args:
        answer: The model's answer.
        language: Expected language (``python``, ``cpp``, …).

    Returns:
        The code, without the fences, ending in one newline ("" for an empty answer).
    """
    aliases = {"python": {"python", "py", "python3"}, "cpp": {"cpp", "c++", "cxx", "cc"}}.get(
        language, {language}
    )
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(answer)]
    chosen = next((code for tag, code in blocks if tag in aliases), None)
    if chosen is None:
        chosen = next((code for tag, code in blocks if tag not in {"input", "text", "stdin"}), None)
    if chosen is None:
        chosen = answer
    chosen = chosen.strip("\n")
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
    ``none``); its outcome is in ``syntax_error``, ``tests`` or ``translation``.
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

    def check_summary(self) -> str:
        """One line saying what the check showed, or that nothing was checked and why."""
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
        display_policy = self.domains.policy(self.domain)
        with watch.step("generate"):
            for kind, shown in stream_generation(
                chosen,
                parts,
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
        answer_redacted = (
            scrub_code(self.deidentification, written, vault, self.domain).text if written.strip() else ""
        )
        result.answer_redacted = answer_redacted
        result.answer = reidentify(answer_redacted, vault, display_policy)
        result.reasoning = generation.reasoning
        result.prompt = getattr(chosen.chat_model, "last_prompt", "") or ""
        result.code = _task_code(config, code, result.answer, raw)

        with watch.step("check"):
            yield from self._check(result, config, code, inputs)
        result.timings_ms = watch.total()
        if persist:
            fence = config.input_language
            question = f"{config.label}:\n```{fence}\n{memory_redaction.text.strip()}\n```"
            stored = (
                f"{answer_redacted}\n\n({result.check_summary()})"
                if answer_redacted
                else result.check_summary()
            )
            conversations.vaults.save(vault)  # with the turn: a failed or unpersisted task keeps no values
            conversations.memory.add_turn(
                session_id, question, stored, self.domain, 1.0, [], chosen.name, chosen.model_name
            )
        logger.info(
            "code task session=%s mode=%s backend=%s model=%s entities=%s check=%s outcome=%s timings_ms=%s",
            session_id,
            mode,
            chosen.name,
            chosen.model_name,
            json.dumps(redaction.counts()),
            config.check,
            _outcome(result),
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
        if not result.code.strip() or config.check == "none":
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


def _model_parts(
    backend: Backend, config: CodeModeConfig, redacted_code: str
) -> tuple[Iterable[tuple[str, str]], bool]:
    """The model's output parts for the mode, and whether it is a raw base-model continuation."""
    chat = backend.chat_model
    if isinstance(chat, LlamaCppCompletionChat):
        prompt = config.completion_prompt.replace("{code}", redacted_code)
        stream = chat.stream_completion(prompt, config.max_tokens, config.stop)
        head = [(config.completion_prefix, "")] if config.completion_prefix else []
        return chain(head, ((text, "") for text in stream)), True
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
