"""Generated tests run with coverage, translations compared with the compiled C++, and HumanEval checks,
all in the real sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.core.errors import AssistantError
from pipelines.core.settings import SandboxSettings
from pipelines.evals.code import check_problem, humaneval_program, load_humaneval
from pipelines.skills.code.checks import check_translation, outputs_match, run_tests
from pipelines.skills.code.sandbox import SandboxRun, sandbox_status

needs_sandbox = pytest.mark.skipif(
    not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}"
)
needs_gxx = pytest.mark.skipif(
    shutil.which("g++") is None, reason="g++ is not installed (Debian package g++)"
)

HUMANEVAL = Path(__file__).resolve().parents[5] / "shared" / "datasets" / "humaneval"
SETTINGS = SandboxSettings(timeout_s=20)

# 8 statements (lines 1-6, 9, 10), 4 branches (line 2 -> 3|4, line 4 -> 5|6); the tests below never call unused()
CODE = """def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def unused():
    return 5
"""

TESTS = """import pytest

from solution import sign


def test_positive():
    assert sign(3) == 1


def test_negative():
    assert sign(-2) == -1


def test_zero_is_wrongly_expected_positive():
    assert sign(0) == 1


def test_uses_a_fixture_that_does_not_exist(no_such_fixture):
    assert True


@pytest.mark.skip(reason="not today")
def test_skipped():
    assert False
"""


@needs_sandbox
def test_outcomes_per_case_and_coverage_of_the_code_under_test() -> None:
    report = run_tests(CODE, TESTS, SETTINGS)
    outcomes = {case.name.split("::")[-1]: case.outcome for case in report.cases}
    assert outcomes == {
        "test_positive": "passed",
        "test_negative": "passed",
        "test_zero_is_wrongly_expected_positive": "failed",
        "test_uses_a_fixture_that_does_not_exist": "error",
        "test_skipped": "skipped",
    }
    assert report.exit_code == 1
    failed = next(c for c in report.cases if c.outcome == "failed")
    assert "assert 0 == 1" in failed.message
    assert report.line_coverage == pytest.approx(7 / 8)
    assert report.branch_coverage == pytest.approx(4 / 4)
    assert report.missing_lines == [10]
    assert report.summary() == (
        "2 passed, 1 failed, 1 error, 1 skipped · line coverage 88% · branch coverage 100%"
    )


@needs_sandbox
def test_partial_branch_coverage_is_measured() -> None:
    tests = "from solution import sign\n\ndef test_positive():\n    assert sign(1) == 1\n"
    report = run_tests(CODE, tests, SETTINGS)
    # executed: lines 1, 2, 3, 9 -> 4 of 8 statements; branches: only 2->3 of 4
    assert (report.count("passed"), report.line_coverage, report.branch_coverage) == (1, 0.5, 0.25)
    assert report.missing_lines == [4, 5, 6, 10]


@needs_sandbox
@pytest.mark.parametrize(
    ("tests", "summary_start"),
    [
        ("def test_broken(:\n    pass\n", "1 error"),  # a collection error is reported as an error case
        ("x = 1\n", "no tests were collected (pytest exit code 5)"),
    ],
)
def test_tests_that_cannot_run_say_so(tests: str, summary_start: str) -> None:
    report = run_tests(CODE, tests, SETTINGS)
    assert report.summary().startswith(summary_start), report.summary()


@needs_sandbox
def test_hanging_tests_are_stopped() -> None:
    tests = "def test_forever():\n    while True:\n        pass\n"
    report = run_tests(CODE, tests, SandboxSettings(timeout_s=3))
    assert report.run.status == "timeout"
    assert report.summary() == "tests stopped: stopped after the 3 s time limit"


def test_a_run_that_could_not_start_says_why_in_the_summary() -> None:
    from pipelines.skills.code.checks import TestReport, TranslationReport

    run = SandboxRun("not_run", None, reason="bubblewrap (bwrap) is not installed, so code is not run")
    assert (
        TestReport(run=run).summary()
        == "tests not run: bubblewrap (bwrap) is not installed, so code is not run"
    )
    assert TranslationReport(run=run).summary().startswith("translation not run: bubblewrap")


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("3\n", "3", True),
        ("a  \nb\n\n", "a\nb", True),
        ("3.0\n", "3\n", False),
        ("a\nb\n", "b\na\n", False),
        ("", "\n", True),
    ],
)
def test_outputs_match_ignores_only_trailing_whitespace(left: str, right: str, same: bool) -> None:
    assert outputs_match(left, right) is same


SUM_CPP = """#include <iostream>
int main() {
    long a, b;
    std::cin >> a >> b;
    std::cout << a + b << "\\n" << a * b << std::endl;
    return 0;
}
"""


@needs_sandbox
@needs_gxx
@pytest.mark.parametrize(
    ("python", "matches"),
    [
        ("a, b = map(int, input().split())\nprint(a + b)\nprint(a * b)\n", [True, True]),
        ("a, b = map(int, input().split())\nprint(a + b)\nprint(a - b)\n", [False, False]),
        ("a, b = map(int, input().split())\nprint(a + b)\nprint(a * b if a > 0 else 0)\n", [True, False]),
        ("raise SystemExit('not translated')\n", [False, False]),
    ],
)
def test_translation_is_compared_with_the_compiled_original(python: str, matches: list[bool]) -> None:
    report = check_translation(SUM_CPP, python, ["2 3\n", "-4 5\n"], SETTINGS)
    assert report.compiled is True and report.cpp_note == ""
    assert [case.cpp_stdout for case in report.cases] == ["5\n6\n", "1\n-20\n"]
    assert [case.match for case in report.cases] == matches
    assert report.summary().endswith(f"outputs match the compiled C++ on {sum(matches)} of 2 input(s)")


@needs_sandbox
@needs_gxx
def test_a_cpp_original_that_does_not_compile_is_reported_and_the_python_still_runs() -> None:
    report = check_translation("int main() { return undefined_name; }\n", "print('ok')\n", [], SETTINGS)
    assert report.compiled is False and "undefined_name" in report.compile_errors
    assert report.cases[0].python_stdout == "ok\n" and report.cases[0].match is None
    assert "not compared with the C++ original: the C++ original did not compile" in report.summary()


@needs_sandbox
def test_without_a_compiler_the_translation_runs_alone_and_says_why() -> None:
    report = check_translation(
        SUM_CPP,
        "print(sum(map(int, input().split())))\n",
        ["2 3\n"],
        SandboxSettings(cpp_compiler="no-such-g++"),
    )
    assert report.compiled is None and report.cases[0].python_stdout == "5\n"
    assert report.summary() == (
        "the Python translation ran on 1 input(s); not compared with the C++ original: "
        "no-such-g++ is not installed, so the C++ original was not compiled"
    )


@pytest.fixture(scope="module")
def problems() -> list:  # type: ignore[type-arg]
    if not HUMANEVAL.is_dir():
        pytest.skip(f"HumanEval is not at {HUMANEVAL}")
    return load_humaneval(HUMANEVAL)


def test_humaneval_loads_all_164_problems(problems: list) -> None:  # type: ignore[type-arg]
    assert len(problems) == 164 and problems[0].task_id == "HumanEval/0"
    assert problems[0].entry_point == "has_close_elements"
    program = humaneval_program(problems[0], problems[0].prompt + problems[0].canonical_solution)
    assert program.startswith("from typing import List\n") and program.endswith("check(has_close_elements)\n")


@needs_sandbox
@pytest.mark.parametrize("index", [0, 1, 2])
def test_canonical_solutions_pass_and_wrong_ones_fail(problems: list, index: int) -> None:  # type: ignore[type-arg]
    problem = problems[index]
    passed = check_problem(problem, problem.prompt + problem.canonical_solution, SETTINGS)
    assert passed.status == "ok", passed.stderr
    wrong = check_problem(problem, problem.prompt + "    return None\n", SETTINGS)
    assert wrong.status == "error" and "AssertionError" in wrong.stderr


@needs_sandbox
def test_a_solution_that_never_returns_fails_by_time_limit(problems: list) -> None:  # type: ignore[type-arg]
    run = check_problem(
        problems[0], problems[0].prompt + "    while True:\n        pass\n", SETTINGS, timeout_s=2
    )
    assert run.status == "timeout"


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "holds no problems"), ('{"task_id": "x"}\n', "line 1: not a HumanEval problem")],
)
def test_bad_humaneval_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(AssistantError, match=message):
        load_humaneval(path)
    with pytest.raises(AssistantError, match="does not exist"):
        load_humaneval(tmp_path / "missing")


@needs_sandbox
@needs_gxx
def test_a_translation_cannot_forge_the_compiled_originals_output() -> None:
    forged = (
        "import os\n"
        "open('prog', 'w').write('#!/bin/sh\\necho FORGED\\n')\n"
        "os.chmod('prog', 0o755)\n"
        "open('result.json', 'w').write('{}')\n"
        "print('FORGED')\n"
    )
    report = check_translation(SUM_CPP, forged, ["2 3\n"], SETTINGS)
    assert report.cases[0].cpp_stdout == "5\n6\n" and report.cases[0].python_stdout == "FORGED\n"
    assert report.cases[0].match is False


@needs_sandbox
def test_a_translation_that_hangs_on_one_input_is_stopped_for_that_input_only() -> None:
    python = "x = input()\nwhile x == 'loop':\n    pass\nprint(x)\n"
    report = check_translation(
        SUM_CPP, python, ["loop\n", "ok\n"], SandboxSettings(timeout_s=4, cpp_compiler="none")
    )
    assert [c.python_exit for c in report.cases] == [None, 0]
    assert "time limit" in report.cases[0].python_stderr and report.cases[1].python_stdout == "ok\n"
    assert "1 with an error" in report.summary()
