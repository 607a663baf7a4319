"""``assistant code`` and ``assistant eval code`` as a user runs them (in process, real llama.cpp, real sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.skills.code.sandbox import sandbox_status
from tests import cli_runner as cli
from tests.pipelines.skills.code.test_code_checks import CODE, HUMANEVAL, SUM_CPP

needs_sandbox = pytest.mark.skipif(
    not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}"
)


def run(*args: str, data_dir: Path, stdin: str | None = None) -> cli.Completed:
    return cli.run(*args, data_dir=data_dir, stdin=stdin, env={"ASSISTANT_LLAMACPP__CODE_MAX_TOKENS": "16"})


@needs_sandbox
def test_translate_from_a_file_with_inputs_prints_json(tmp_path: Path) -> None:
    source = tmp_path / "sum.cpp"
    source.write_text(SUM_CPP)
    done = run(
        "code", "translate", "--file", str(source), "--input", "2 3\n", "--input", "4 5\n", "--json",
        data_dir=tmp_path / "data",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["mode"], out["backend"], out["inputs_from"]) == ("translate", "llamacpp", "user")
    assert [case["stdin"] for case in out["translation"]["cases"]] == ["2 3\n", "4 5\n"]
    assert out["check_summary"].startswith("the Python translation ran on 2 input(s)")


@needs_sandbox
def test_write_tests_from_stdin_prints_the_answer_and_the_check(tmp_path: Path) -> None:
    done = run("code", "write-tests", "-", data_dir=tmp_path / "data", stdin=CODE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("import pytest\n\nfrom solution import *")
    assert "[Write tests · llamacpp" in done.stderr and "check: " in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("code", "complete"), "error: no code given"),
        (
            ("code", "complete", "x", "--file", "/nonexistent.py"),
            "error: give the code as an argument or with --file",
        ),
        (("code", "complete", "--file", "/nonexistent.py"), "error: cannot read /nonexistent.py"),
        (("eval", "code", "--dataset", "/nonexistent"), "error: /nonexistent does not exist"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = run(*args, data_dir=tmp_path / "data")
    assert done.returncode == 1 and done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_mode_is_a_usage_error_listing_the_modes(tmp_path: Path) -> None:
    done = run("code", "refactor", "x = 1", data_dir=tmp_path / "data")
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.replace("│", " ").split())  # Typer draws the usage error in a box
    assert "unknown code mode 'refactor'; use one of: ask, complete, write-tests, translate" in message


@needs_sandbox
def test_eval_code_json_names_backend_model_and_pass_at_1(tmp_path: Path) -> None:
    if not HUMANEVAL.is_dir():
        pytest.skip(f"HumanEval is not at {HUMANEVAL}")
    done = run(
        "eval", "code", "--dataset", str(HUMANEVAL), "--limit", "1", "--json", data_dir=tmp_path / "data"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {"backend", "model", "problems", "pass@1"} <= set(out)
    assert (out["backend"], out["problems"]) == ("llamacpp", 1) and out["pass@1"] in (0.0, 1.0)
