"""Issue 21 item 5: a write-tests answer that loops on one assert until the token limit cuts it mid-line.

The model's output comes from ScriptedOllama (a named STAND-IN for an Ollama server replaying a fixed script, not a
model) through the real Ollama client, the real host pool, the real pipeline and the real sandbox; the embedded
llama.cpp model is real. Checked: the stream is stopped early (the stand-in wrote far fewer tokens than its limit),
the complete tests before the loop still run, and the page/CLI/JSON say plainly what happened.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from pipelines.services import Services
from pipelines.skills.code.sandbox import sandbox_status
from tests.cli_runner import run
from tests.pipelines.skills.code.scripted_ollama import ScriptedOllama, tokens
from tests.pipelines.skills.code.test_code_checks import CODE, SUM_CPP, TESTS

needs_sandbox = pytest.mark.skipif(
    not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}"
)

#: What the model wrote before it looped: two complete tests, then a third that repeats its assert.
HEAD = (
    "Here are the tests:\n```python\nfrom solution import sign\n\n\n"
    "def test_positive():\n    assert sign(3) == 1\n\n\n"
    "def test_negative():\n    assert sign(-2) == -1\n\n\n"
    "def test_zero():\n"
)
LOOP = "    assert sign(0) == 0\n"
LIMIT = 400  # the generation's token limit (Ollama's num_predict): the script is exactly this long


def looping_script(head: str = HEAD, loop: str = LOOP, limit: int = LIMIT) -> list[str]:
    """``head`` then ``loop`` again and again, cut mid-line at ``limit`` tokens (what the user saw)."""
    script = tokens(head)
    unit = tokens(loop)
    while len(script) < limit:
        script.extend(unit)
    return script[:limit]


def _ollama(services: Services, fake: ScriptedOllama) -> None:
    services.settings.ollama.hosts = [fake.url]
    services.settings.ollama.num_predict = LIMIT


# --- the detector and the trimming on their own -------------------------------------------------------------


def test_the_guard_fires_on_a_repeated_line_and_says_where_the_loop_starts() -> None:
    from pipelines.skills.code.degeneration import find_repetition

    text = "".join(looping_script())
    found = find_repetition(text)
    assert found is not None and found.kind == "line" and found.unit == LOOP.strip()
    assert found.repeats == 8
    assert text[: found.cut] == HEAD + LOOP  # one copy kept


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("def test_a():\n" + "    x = f()\n    assert x\n" * 4, "block"),
        ("    assert " + "f(1) and " * 40, "span"),
        # what the embedded Gemma 3 270M writes for sign() until its token limit
        (
            "def test_solution():\n" + "".join(f"    assert sign({n}) == {n}\n" for n in range(1, 40)),
            "counting",
        ),
        # and, after another prompt in the same process (its prompt cache), 2-line blocks counting up
        (
            "".join(
                f"def test_sign(x):\n    assert sign(x) == {n}\n\n" for n in (-1, 0, 1, 0, *range(5, 30))
            ),
            "counting",
        ),
    ],
)
def test_the_guard_fires_on_a_repeated_block_and_on_a_loop_inside_one_line(text: str, kind: str) -> None:
    from pipelines.skills.code.degeneration import find_repetition

    found = find_repetition(text)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        TESTS,  # an ordinary test file
        "".join(f"    assert fib({n}) == {f}\n" for n, f in enumerate([0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55])),
        "data = [\n" + "".join(f"    ({n}, {n * n}),\n" for n in range(20)) + "]\n",  # not a counter
        "".join(f"    assert sign({n}) == 1\n" for n in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)),
        "def f():\n    return g(h(k(\n        1\n    )\n    )\n    )\n" + ")\n" * 6,  # closing brackets
        "print()\nprint()\nprint()\nx = 1\n" * 2,  # a few equal lines, not a loop
    ],
)
def test_the_guard_does_not_fire_on_ordinary_code(text: str) -> None:
    from pipelines.skills.code.degeneration import RepetitionGuard, find_repetition

    assert find_repetition(text, RepetitionGuard()) is None


def test_trimming_keeps_the_complete_tests_and_drops_the_one_cut_off() -> None:
    from pipelines.skills.code.degeneration import test_names, trim_python

    cut = "from solution import sign\n\n\ndef test_positive():\n    assert sign(3) == 1\n\n\ndef test_zero():\n    assert sign(0) =="
    trimmed = trim_python(cut)
    assert test_names(trimmed.code) == ["test_positive"]
    assert trimmed.dropped == ["test_zero"] and trimmed.dropped_lines == 2
    assert trim_python("def test_zero():\n    assert sign(0) ==").code == ""
    # the token limit cut one line: only that line goes (a cut `assert sign(0) ==` never becomes `assert sign`)
    limited = trim_python("def test_zero():\n    assert sign(0) == 0\n    assert sign")
    assert limited.code == "def test_zero():\n    assert sign(0) == 0\n" and limited.dropped_lines == 1


# --- through the real pipeline, the real Ollama client and pool, the real sandbox ----------------------------


@needs_sandbox
def test_a_looping_answer_is_stopped_early_and_the_complete_tests_still_run(services: Services) -> None:
    with ScriptedOllama(looping_script()) as fake:
        _ollama(services, fake)
        result = services.code_tasks().run("write_tests", CODE, backend="ollama")
        fake.finished.wait(10)
    assert fake.sent < LIMIT / 2 and fake.disconnected, f"the host wrote {fake.sent} of {LIMIT} tokens"
    assert result.tests is not None
    names = [c.name.split("::")[-1] for c in result.tests.cases]
    assert names == ["test_positive", "test_negative", "test_zero"]
    assert result.tests.count("passed") == 3 and result.tests.count("error") == 0
    assert result.code.count(LOOP.strip()) == 1  # one copy of the looping line kept
    end = result.generation
    assert end.stopped == "repetition"
    assert end.parts < LIMIT / 2, f"read {end.parts} of {LIMIT} tokens: not stopped early"
    notice = result.notice()
    assert notice.startswith(
        "The model repeated the same line 8 times in a row (`assert sign(0) == 0`) and was stopped after "
    ), notice
    assert notice.endswith("The repeats were dropped; the 3 tests were run."), notice
    turn = services.memory.turns(result.session_id)[-1]
    assert notice in turn.answer  # the conversation keeps what happened, not a bare "1 error"


@needs_sandbox
def test_an_answer_cut_at_the_token_limit_says_so_and_runs_the_complete_tests(services: Services) -> None:
    script = tokens(HEAD + "    assert sign(0) == 0\n\n\ndef test_large():\n    assert sign(10**6) ==")
    with ScriptedOllama(script) as fake:
        _ollama(services, fake)
        services.settings.ollama.num_predict = len(script)
        result = services.code_tasks().run("write_tests", CODE, backend="ollama")
    assert result.tests is not None and result.tests.count("passed") == 3 and not result.tests.count("error")
    end = result.generation
    assert end.stopped == "length" and end.finish_reason == "length"
    assert result.notice() == (
        f"The answer reached the token limit ({len(script)} tokens) after {end.seconds:.1f} s and was cut off. "
        "The last test function (test_large) was cut off and was dropped; the 3 complete tests were run."
    )


@needs_sandbox
def test_nothing_usable_left_says_so_and_runs_nothing(services: Services, tmp_path: Path) -> None:
    head = "```python\nfrom solution import sign\n\n\ndef test_zero():\n    assert "
    with ScriptedOllama(looping_script(head=head, loop="sign(0) == 0 and ")) as fake:
        _ollama(services, fake)
        result = services.code_tasks().run("write_tests", CODE, backend="ollama")
    assert result.tests is None
    assert result.generation.stopped == "repetition" and result.generation.unusable
    assert (
        result.check_summary()
        == "tests not run: the answer was cut off and no complete test function was left"
    )
    assert "No complete test function was left, so no test was run. Try a shorter function" in result.notice()
    assert "another backend" in result.notice()


@needs_sandbox
def test_the_cli_and_its_json_say_what_happened(tmp_path: Path) -> None:
    with ScriptedOllama(looping_script(), delay_s=0.001) as fake:
        env = {
            "ASSISTANT_OLLAMA__HOSTS": json.dumps([fake.url]),
            "ASSISTANT_OLLAMA__NUM_PREDICT": str(LIMIT),
        }
        shown = run("code", "write-tests", CODE, "--backend", "ollama", data_dir=tmp_path / "d1", env=env)
        as_json = run(
            "code", "write-tests", CODE, "--backend", "ollama", "--json", data_dir=tmp_path / "d2", env=env
        )
    assert shown.returncode == 0, shown.stderr
    assert "check: 3 passed" in shown.stderr and "collection failure" not in shown.stderr
    assert "note: The model repeated the same line 8 times in a row" in shown.stderr
    data = json.loads(as_json.stdout)
    assert data["generation"]["stopped"] == "repetition" and data["generation"]["parts"] < LIMIT / 2
    assert data["generation"]["repetition"]["unit"] == "assert sign(0) == 0"
    assert data["notice"].endswith("The repeats were dropped; the 3 tests were run.")
    assert data["tests"]["passed"] == 3


def test_the_embedded_model_cut_at_its_token_limit_is_reported(services: Services) -> None:
    """The real Gemma 3 270M (greedy, so the same output every run): 16 tokens cannot finish its test file, so
    the token limit cuts it mid-line. Before: the cut `assert sign` line ran as a passing test, unannounced."""
    services.settings.llamacpp.code_max_tokens = 16
    result = services.code_tasks().run("write_tests", CODE, backend="llamacpp")
    end = result.generation
    assert end.parts == 16 and end.finish_reason == "length" and end.stopped == "length" and end.code_cut
    assert result.notice().startswith("The answer reached the token limit (16 tokens) after ")
    kept = [line for line in result.code.splitlines() if line.strip()]
    assert all(line in result.answer for line in kept)  # trimmed, nothing added
    ast.parse(result.code)  # what runs parses: no cut line
    if end.unusable:
        assert result.tests is None and "no test was run" in result.notice()
    else:
        assert result.tests is not None and result.tests.cases
        assert (
            "cut-off last line was dropped" in result.notice()
            or "was cut off and was dropped" in result.notice()
        )


@needs_sandbox
def test_the_embedded_model_counting_up_one_assert_is_stopped_early(services: Services) -> None:
    """The issue's own case with the real Gemma 3 270M (greedy, the mode's 384 tokens): for sign() it writes
    `assert sign(1) == 1`, `assert sign(2) == 2`, … (alone in the process; after another prompt, whose cache
    changes its arithmetic a little, `def test_sign(x): assert sign(x) == N` blocks with N counting up) until the
    token limit cuts it (384 tokens, 102 s in the report). The loop is stopped early and the tests kept run."""
    result = services.code_tasks().run("write_tests", CODE, backend="llamacpp")
    end = result.generation
    assert end.stopped == "repetition" and end.repetition is not None
    assert end.repetition.kind == "counting" and "assert sign(" in end.repetition.unit
    assert end.parts < 384 * 0.75, f"read {end.parts} of 384 tokens"
    assert result.tests is not None and result.tests.run.ran
    assert result.notice().startswith("The model repeated the same ")
    assert "only counting" in result.notice() and "and was stopped after " in result.notice()


@needs_sandbox
def test_a_translation_cut_at_the_token_limit_runs_without_its_cut_line_and_says_so(
    services: Services,
) -> None:
    script = tokens("```python\na, b = map(int, input().split())\nprint(a + b)\nprint(a *")
    with ScriptedOllama(script) as fake:
        _ollama(services, fake)
        services.settings.ollama.num_predict = len(script)
        result = services.code_tasks().run("translate", SUM_CPP, backend="ollama", inputs=["2 3\n"])
    assert result.code == "a, b = map(int, input().split())\nprint(a + b)\n"
    assert result.translation is not None and result.translation.cases[0].python_stdout == "5\n"
    assert result.generation.stopped == "length"
    assert result.notice().endswith(
        "The translation is incomplete (its cut-off end was dropped); it was run anyway, so its output may "
        "differ from the C++ program's."
    )
