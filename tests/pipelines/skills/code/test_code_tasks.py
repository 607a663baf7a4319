"""Code task modes end to end: the real llama.cpp model (base-model prompts) and, for the chat-model path,
FakeOllamaServer (a STAND-IN for an Ollama server: it replays fixed chunks; it is not a model). The checks run
in the real sandbox; secrets in pasted code never reach the model, memory or logs."""

from __future__ import annotations

import json

import pytest

from domains import load_code_modes, load_domains
from pipelines.core.errors import AssistantError
from pipelines.evals.code import evaluate_code
from pipelines.services import Services
from pipelines.skills.code.sandbox import sandbox_status
from pipelines.skills.code.tasks import _task_code, extract_code, proposed_inputs
from tests.conftest import scan_tree_for
from tests.pipelines.llm.fake_ollama import FakeOllamaServer
from tests.pipelines.skills.code.test_code_checks import CODE, HUMANEVAL, SUM_CPP

needs_sandbox = pytest.mark.skipif(
    not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}"
)

GITHUB_TOKEN = "ghp_" + "R8x2Lq9ZtV4mN7kP1sW3yB6cD0fG5hJ8aE2u"  # made up, in the ghp_ format
EMAIL = "zelda.quartermaine@example.org"


@pytest.mark.parametrize(
    ("answer", "language", "code"),
    [
        ("Here:\n```python\nx = 1\n```\nDone.", "python", "x = 1\n"),
        ("```py\ny = 2\n```", "python", "y = 2\n"),
        ("```input\n1 2\n```\n```python\nprint(3)\n```", "python", "print(3)\n"),
        ("```\nz = 3\n```", "python", "z = 3\n"),
        ("    return x\n", "python", "    return x\n"),
        ("```python\nunterminated = True\n", "python", "unterminated = True\n"),
        ("", "python", ""),
    ],
)
def test_extract_code_takes_the_right_block(answer: str, language: str, code: str) -> None:
    assert extract_code(answer, language) == code


def test_proposed_inputs_are_the_input_blocks() -> None:
    answer = "```python\nprint(1)\n```\n```input\n1 2\n```\n```input\n3 4\n```\n```text\nignored\n```"
    assert proposed_inputs(answer) == ["1 2\n", "3 4\n"]


@pytest.mark.parametrize(
    ("answer", "raw", "code"),
    [
        ("    return a + b", True, "def add(a, b):\n    return a + b"),
        ("```python\ndef add(a, b):\n    return a + b\n```", False, "def add(a, b):\n    return a + b\n"),
        ("```python\n    return a + b\n```", False, "def add(a, b):\n    return a + b\n"),
    ],
)
def test_completed_code_is_the_users_code_with_its_continuation(answer: str, raw: bool, code: str) -> None:
    modes = load_code_modes(load_domains()["code"])
    assert modes is not None
    assert _task_code(modes.modes["complete"], "def add(a, b):\n", answer, raw) == code


def test_unknown_mode_and_empty_code_are_refused(services: Services) -> None:
    pipeline = services.code_tasks()
    with pytest.raises(AssistantError, match="unknown code mode 'refactor'; use ask or one of: complete"):
        pipeline.run("refactor", "x = 1")
    with pytest.raises(AssistantError, match="the code is empty"):
        pipeline.run("complete", "  \n")
    with pytest.raises(AssistantError, match="has no code modes"):
        services.code_tasks("finance").run("complete", "x = 1")


@needs_sandbox
def test_every_mode_runs_on_the_embedded_model_and_its_check_runs(services: Services) -> None:
    pipeline = services.code_tasks(max_tokens=48)
    complete = pipeline.run("complete", 'def add(a, b):\n    """Return a + b."""\n')
    assert complete.backend == "llamacpp" and complete.check == "syntax"
    assert complete.code.startswith('def add(a, b):\n    """Return a + b."""\n')
    assert complete.syntax_error is not None  # parsed: "" when it parses, else the error

    tests = pipeline.run("write_tests", CODE, session_id=complete.session_id)
    assert tests.code.startswith("import pytest\n\nfrom solution import *\n\n\ndef test_")
    assert tests.tests is not None and tests.tests.run.ran
    assert tests.check_summary() == tests.tests.summary()

    translated = pipeline.run("translate", SUM_CPP, session_id=complete.session_id, inputs=["2 3\n", "1 1\n"])
    assert translated.translation is not None and translated.inputs_from == "user"
    assert [case.stdin for case in translated.translation.cases] == ["2 3\n", "1 1\n"]

    turns = services.memory.turns(complete.session_id)
    assert [turn.question.split(":")[0] for turn in turns] == [
        "Complete",
        "Write tests",
        "Translate C++ → Python",
    ]
    assert tests.tests.summary() in turns[1].answer


@needs_sandbox
def test_chat_model_tests_run_against_the_users_code_with_coverage(services: Services) -> None:
    reply = [
        "<think>sign has three branches</think>",
        "Here are the tests:\n```python\nfrom solution import sign\n\n\ndef test_positive():\n",
        "    assert sign(5) == 1\n\n\ndef test_negative():\n    assert sign(-5) == -1\n",
        "\n\ndef test_zero():\n    assert sign(0) == 0\n```\n",
    ]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.code_tasks().run("write_tests", CODE, backend="ollama")
    assert result.backend == "ollama" and result.reasoning == "sign has three branches"
    assert result.tests is not None
    assert result.check_summary() == "3 passed · line coverage 88% · branch coverage 100%"
    system, user = fake.chat_requests[0]["messages"]
    assert "module `solution`" in system["content"] and CODE.strip() in user["content"]


@needs_sandbox
def test_chat_model_translation_uses_the_models_proposed_inputs(services: Services) -> None:
    reply = [
        "```python\na, b = map(int, input().split())\nprint(a + b)\nprint(a * b)\n```\n",
        "```input\n2 3\n```\n```input\n-1 7\n```\n",
    ]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.code_tasks().run("translate", SUM_CPP, backend="ollama")
    assert result.inputs_from == "model" and result.inputs == ["2 3\n", "-1 7\n"]
    assert result.translation is not None
    if result.translation.compiled:
        assert [case.match for case in result.translation.cases] == [True, True]
    assert [case.python_stdout for case in result.translation.cases] == ["5\n6\n", "6\n-7\n"]


@needs_sandbox
def test_canary_secrets_in_pasted_code_never_reach_the_model_memory_or_logs(services: Services) -> None:
    code = (
        f'GITHUB_TOKEN = "{GITHUB_TOKEN}"\nOWNER = "{EMAIL}"\n\n\n'
        "def headers():\n    return {'Authorization': 'token ' + GITHUB_TOKEN}\n"
    )
    reply = [
        "```python\nfrom solution import headers\n\n\ndef test_headers():\n",
        "    assert headers()\n```\n",
    ]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.code_tasks().run("write_tests", code, backend="ollama")
        sent = json.dumps(fake.chat_requests)
    local = services.code_tasks(max_tokens=16).run("complete", code, session_id=result.session_id)
    assert GITHUB_TOKEN not in sent and EMAIL not in sent
    assert "<SECRET>" in sent and "<EMAIL_ADDRESS_1>" in sent
    assert GITHUB_TOKEN not in local.prompt and EMAIL not in local.prompt
    assert result.masked == {"EMAIL_ADDRESS": 1, "SECRET": 1}
    # the tests ran against the user's real code (the token is a plain string there): they pass
    assert result.tests is not None and result.tests.count("passed") == 1
    payload = json.dumps(result.to_json_dict()["redacted_code"])
    assert GITHUB_TOKEN not in payload
    assert scan_tree_for(services.settings.data_dir, (GITHUB_TOKEN, EMAIL)) == []


@needs_sandbox
def test_humaneval_through_the_complete_mode_scores_and_names_the_backend(services: Services) -> None:
    if not HUMANEVAL.is_dir():
        pytest.skip(f"HumanEval is not at {HUMANEVAL}")
    report = evaluate_code(services.code_tasks(max_tokens=32), HUMANEVAL, limit=2)
    data = report.to_json_dict()
    assert (data["backend"], data["problems"]) == ("llamacpp", 2)
    assert data["model"].endswith(".gguf")
    assert data["pass@1"] == report.passed / 2
    assert [row["task_id"] for row in data["per_problem"]] == ["HumanEval/0", "HumanEval/1"]
    assert all(row["passed"] == (row["status"] == "ok") for row in data["per_problem"])
    assert services.memory.sessions() == []  # evaluations store nothing
