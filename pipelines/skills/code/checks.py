"""Checks that run generated code in the sandbox (:mod:`pipelines.skills.code.sandbox`) and say what happened.

- :func:`run_tests`: pytest tests against the code under test (saved as module ``solution``), under
  coverage.py with branch coverage; outcomes come from pytest's JUnit XML report, coverage from
  ``coverage json``.
- :func:`check_translation`: the translated Python program and, when a C++ compiler is installed, the
  compiled C++ original, run on the same standard inputs; outputs are compared line by line (trailing
  whitespace ignored).
- :func:`check_program`: runs a Python program once (translated code without C++, HumanEval checks).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipelines.core.settings import SandboxSettings
from pipelines.skills.code.sandbox import SandboxRun, run_sandboxed

__all__ = [
    "MODULE_NAME",
    "TEST_FILE",
    "CaseOutcome",
    "TestReport",
    "TranslationCase",
    "TranslationReport",
    "check_program",
    "check_translation",
    "outputs_match",
    "run_tests",
]

#: The code under test is saved as ``solution.py``; generated tests import from ``solution``.
MODULE_NAME = "solution"
#: File name the generated tests are saved under.
TEST_FILE = "test_solution.py"

Outcome = Literal["passed", "failed", "error", "skipped"]


@dataclass(frozen=True)
class CaseOutcome:
    """One test case from pytest's JUnit report: ``name`` (``test_file::test_name``), ``outcome``, and the
    failure/error message (first line) when it did not pass."""

    name: str
    outcome: Outcome
    message: str = ""


@dataclass
class TestReport:
    """What running generated tests showed.

    Attributes:
        run: The sandbox run (status, output, duration); ``run.status == "not_run"`` when nothing ran.
        cases: One entry per test case (empty when pytest collected nothing or could not start).
        line_coverage: Covered statements / statements of ``solution.py``, 0–1 (coverage.py); None if unknown.
        branch_coverage: Covered branches / branches of ``solution.py``, 0–1; None if unknown or no branches.
        missing_lines: Line numbers of ``solution.py`` no test executed.
        exit_code: pytest's exit code (0 all passed, 1 some failed, 2 interrupted, 3 internal error,
            4 usage error, 5 no tests collected; https://docs.pytest.org/en/stable/reference/exit-codes.html).
    """

    __test__ = False  # not a pytest test class

    run: SandboxRun
    cases: list[CaseOutcome] = field(default_factory=list)
    line_coverage: float | None = None
    branch_coverage: float | None = None
    missing_lines: list[int] = field(default_factory=list)
    exit_code: int | None = None

    def count(self, outcome: Outcome) -> int:
        """Number of cases with ``outcome``."""
        return sum(1 for case in self.cases if case.outcome == outcome)

    def summary(self) -> str:
        """One line for people: "3 passed, 1 failed · line coverage 92% · branch coverage 75%" (or why not)."""
        if not self.run.ran:
            return f"tests not run: {self.run.reason}"
        if self.run.status in ("timeout", "memory", "killed"):
            return f"tests stopped: {self.run.reason}"
        if not self.cases:
            return f"no tests were collected (pytest exit code {self.exit_code})"
        parts = [f"{self.count(o)} {o}" for o in ("passed", "failed", "error", "skipped") if self.count(o)]
        text = ", ".join(parts)
        if self.line_coverage is not None:
            text += f" · line coverage {self.line_coverage:.0%}"
        if self.branch_coverage is not None:
            text += f" · branch coverage {self.branch_coverage:.0%}"
        return text

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form: counts, cases, coverage (fractions), status, output."""
        return {
            "status": self.run.status,
            "reason": self.run.reason,
            "summary": self.summary(),
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "errors": self.count("error"),
            "skipped": self.count("skipped"),
            "cases": [{"name": c.name, "outcome": c.outcome, "message": c.message} for c in self.cases],
            "line_coverage": self.line_coverage,
            "branch_coverage": self.branch_coverage,
            "missing_lines": self.missing_lines,
            "exit_code": self.exit_code,
            "duration_ms": self.run.duration_ms,
            "stdout": self.run.stdout,
            "stderr": self.run.stderr,
        }


def _parse_junit(xml_text: str) -> list[CaseOutcome]:
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 - written by pytest in our sandbox, size-limited
    except ET.ParseError:
        return []
    cases = []
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        outcome: Outcome = "passed"
        message = ""
        for child, kind in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(child)
            if element is not None:
                outcome = kind  # type: ignore[assignment]
                lines = (element.get("message") or element.text or "").strip().splitlines()
                message = lines[0][:300] if lines else ""
                break
        cases.append(CaseOutcome(name, outcome, message))
    return cases


def _parse_coverage(json_text: str) -> tuple[float | None, float | None, list[int]]:
    try:
        data = json.loads(json_text)
    except json.JSONDecodeError:
        return None, None, []
    entry = data.get("files", {}).get(f"{MODULE_NAME}.py")
    if entry is None:
        return 0.0, None, []
    summary = entry["summary"]
    statements = summary.get("num_statements", 0)
    line = summary.get("covered_lines", 0) / statements if statements else None
    branches = summary.get("num_branches", 0)
    branch = summary.get("covered_branches", 0) / branches if branches else None
    return line, branch, sorted(entry.get("missing_lines", []))


def run_tests(code: str, tests: str, settings: SandboxSettings, hidden: Sequence[Path] = ()) -> TestReport:
    """Run ``tests`` (pytest) against ``code`` (saved as ``solution.py``) in the sandbox, with coverage.

    Args:
        code: The Python code under test.
        tests: pytest test module source; it imports the code with ``from solution import ...``.
        settings: Sandbox limits.
        hidden: Paths made unreadable in the sandbox (the data dir).

    Returns:
        A :class:`TestReport` with the cases, line and branch coverage of ``solution.py`` and the output.
    """
    python = shlex.quote(sys.executable)
    script = (
        f"{python} -I -m coverage run --branch --data-file=.coverage --source={MODULE_NAME} "
        f"-m pytest -q -p no:cacheprovider --junitxml=report.xml {TEST_FILE}; code=$?; "
        f"{python} -I -m coverage json -q --data-file=.coverage -o coverage.json >/dev/null 2>&1; exit $code"
    )
    run = run_sandboxed(
        ["/bin/sh", "-c", script],
        {f"{MODULE_NAME}.py": code, TEST_FILE: tests},
        settings,
        hidden=hidden,
        collect=("report.xml", "coverage.json"),
    )
    report = TestReport(run=run, exit_code=run.exit_code)
    if "report.xml" in run.files:
        report.cases = _parse_junit(run.files["report.xml"])
    if "coverage.json" in run.files:
        report.line_coverage, report.branch_coverage, report.missing_lines = _parse_coverage(
            run.files["coverage.json"]
        )
    return report


def check_program(
    source: str,
    settings: SandboxSettings,
    stdin: str = "",
    hidden: Sequence[Path] = (),
    timeout_s: float | None = None,
) -> SandboxRun:
    """Run a Python program (``main.py``, isolated mode ``-I``) once in the sandbox with ``stdin``."""
    return run_sandboxed(
        [sys.executable, "-I", "main.py"],
        {"main.py": source},
        settings,
        stdin=stdin,
        hidden=hidden,
        timeout_s=timeout_s,
    )


@dataclass(frozen=True)
class TranslationCase:
    """One standard input and what each program did with it (``cpp_*`` empty when C++ was not run)."""

    stdin: str
    python_stdout: str
    python_stderr: str
    python_exit: int | None
    cpp_stdout: str = ""
    cpp_exit: int | None = None
    ran_cpp: bool = False

    @property
    def match(self) -> bool | None:
        """True/False when both ran and their outputs agree/differ (:func:`outputs_match`); None otherwise."""
        if not self.ran_cpp:
            return None
        return (
            self.python_exit == 0
            and self.cpp_exit == 0
            and outputs_match(self.python_stdout, self.cpp_stdout)
        )


@dataclass
class TranslationReport:
    """What running a C++→Python translation showed.

    Attributes:
        run: The translation's first sandbox run (``not_run`` with the reason when nothing could run).
        cases: One per standard input.
        compiled: True/False when the C++ was (not) compiled successfully; None when no compiler ran.
        cpp_note: Why the C++ original was not run or compared (no compiler, compile error), else "".
        compile_errors: The compiler's messages when compiling failed.
    """

    run: SandboxRun
    cases: list[TranslationCase] = field(default_factory=list)
    compiled: bool | None = None
    cpp_note: str = ""
    compile_errors: str = ""

    def summary(self) -> str:
        """One line for people: "outputs match on 3 of 3 inputs" or why nothing was compared."""
        if not self.run.ran:
            return f"translation not run: {self.run.reason}"
        failures = sum(1 for c in self.cases if c.python_exit != 0)
        ran = f"the Python translation ran on {len(self.cases)} input(s)"
        if failures:
            ran += f", {failures} with an error"
        compared = [c.match for c in self.cases if c.match is not None]
        if not compared:
            return f"{ran}; not compared with the C++ original: {self.cpp_note}"
        return f"{ran}; outputs match the compiled C++ on {sum(compared)} of {len(compared)} input(s)"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form: status, summary, compiled, cpp_note, cases."""
        return {
            "status": self.run.status,
            "reason": self.run.reason,
            "summary": self.summary(),
            "compiled": self.compiled,
            "cpp_note": self.cpp_note,
            "compile_errors": self.compile_errors,
            "cases": [
                {
                    "stdin": c.stdin,
                    "python_stdout": c.python_stdout,
                    "python_stderr": c.python_stderr,
                    "python_exit": c.python_exit,
                    "cpp_stdout": c.cpp_stdout,
                    "cpp_exit": c.cpp_exit,
                    "match": c.match,
                }
                for c in self.cases
            ],
            "duration_ms": self.run.duration_ms,
        }


def outputs_match(left: str, right: str) -> bool:
    """Whether two program outputs agree line by line, ignoring trailing whitespace and trailing blank lines."""

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.rstrip().splitlines()]

    return lines(left) == lines(right)


#: Runs inside the C++ sandbox: compiles the original, runs it on every input, writes JSON. The translation
#: never runs in the same sandbox, so it cannot replace the compiled program or these results.
_CPP_DRIVER = r"""
import json, subprocess
cfg = json.load(open("cases.json"))
limit = cfg["output_chars"]
result = {"compile": None, "cases": []}
try:
    c = subprocess.run([cfg["compiler"], "-std=c++17", "-O1", "-o", "prog", "main.cpp"],
                       capture_output=True, text=True, timeout=cfg["compile_timeout"])
    result["compile"] = {"ok": c.returncode == 0, "stderr": c.stderr[-limit:]}
except subprocess.TimeoutExpired:
    result["compile"] = {"ok": False, "stderr": "compiling timed out"}
if result["compile"]["ok"]:
    for stdin in cfg["inputs"]:
        try:
            r = subprocess.run(["./prog"], input=stdin, capture_output=True, text=True, timeout=cfg["case_timeout"])
            result["cases"].append({"exit": r.returncode, "stdout": r.stdout[-limit:]})
        except subprocess.TimeoutExpired:
            result["cases"].append({"exit": None, "stdout": ""})
json.dump(result, open("result.json", "w"))
"""


def check_translation(
    cpp_source: str,
    python_source: str,
    inputs: Sequence[str],
    settings: SandboxSettings,
    hidden: Sequence[Path] = (),
) -> TranslationReport:
    """Run the Python translation, and the compiled C++ original when a compiler exists, on the same inputs.

    The original is compiled and run in one sandbox; the translation runs in a fresh sandbox per input, so it
    cannot touch the compiled program or its outputs.

    Args:
        cpp_source: The original C++ program (reads standard input, writes standard output).
        python_source: Its Python translation.
        inputs: Standard inputs, one run each (an empty list runs once with empty input).
        settings: Sandbox limits and the compiler name (``settings.cpp_compiler``).
        hidden: Paths made unreadable in the sandbox (the data dir).

    Returns:
        A :class:`TranslationReport`; ``cpp_note`` says plainly when the C++ was not compiled and why.
    """
    compiler = shutil.which(settings.cpp_compiler)
    note = (
        "" if compiler else f"{settings.cpp_compiler} is not installed, so the C++ original was not compiled"
    )
    stdins = list(inputs) or [""]
    per_case = max(1.0, settings.timeout_s / 4)
    python_runs = [check_program(python_source, settings, stdin, hidden, per_case) for stdin in stdins]
    report = TranslationReport(run=python_runs[0], cpp_note=note)
    if not python_runs[0].ran:
        return report
    cpp_cases: list[dict[str, Any]] = []
    if compiler:
        config = {
            "compiler": compiler,
            "inputs": stdins,
            "output_chars": settings.output_chars,
            "compile_timeout": settings.timeout_s * 2,
            "case_timeout": per_case,
        }
        cpp_run = run_sandboxed(
            [sys.executable, "-I", "driver.py"],
            {"driver.py": _CPP_DRIVER, "cases.json": json.dumps(config), "main.cpp": cpp_source},
            settings,
            hidden=hidden,
            collect=("result.json",),
            timeout_s=settings.timeout_s * 2 + per_case * len(stdins) + 5,
        )
        data = json.loads(cpp_run.files["result.json"]) if "result.json" in cpp_run.files else None
        if data is None:
            report.compiled = False
            report.cpp_note = (
                f"the C++ original could not be compiled and run ({cpp_run.reason or cpp_run.status})"
            )
        else:
            report.compiled = bool(data["compile"]["ok"])
            cpp_cases = data["cases"]
            if not report.compiled:
                report.compile_errors = data["compile"]["stderr"]
                report.cpp_note = "the C++ original did not compile, so outputs were not compared"
    for index, (stdin, run) in enumerate(zip(stdins, python_runs, strict=True)):
        cpp = cpp_cases[index] if index < len(cpp_cases) else None
        finished = run.status in ("ok", "error")
        report.cases.append(
            TranslationCase(
                stdin=stdin,
                python_stdout=run.stdout,
                python_stderr=run.stderr if finished else f"{run.stderr}\n{run.reason}".strip(),
                python_exit=run.exit_code if finished else None,
                cpp_stdout=cpp["stdout"] if cpp else "",
                cpp_exit=cpp["exit"] if cpp else None,
                ran_cpp=cpp is not None,
            )
        )
    return report
