"""``assistant ask`` shows the figures of an answer found in no source (issue 21 item 2): on stderr after the
answer, and as ``unsupported`` in ``--json``; an invented phone number is a marker on stdout, never the number.

The model is FakeOllamaServer (a STAND-IN for an Ollama server replaying scripted chunks, so the answer is known:
it proves nothing about a real model); retrieval, de-identification and memory are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cli
from pipelines.services import Services
from tests.cli_runner import ServicesRunner
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

LIMITS = (
    "## Limits\n\n"
    "- Online and in the app: up to £25,000 per day for international payments.\n"
    "- Emergency replacement card abroad: 25 pounds (free for Premier).\n"
    "- Call 0800 123 4567 to report a lost card, 24 hours a day.\n"
)
REPLY = [
    "The daily limit online is £50,001 [1]. An emergency card abroad costs $10. ",
    "Call 0800 555 ",
    "0199 or 0800 123 4567.",
]
INVENTED = "0800 555 0199"


@pytest.fixture
def runner(services: Services, tmp_path: Path) -> ServicesRunner:
    """A CliRunner on the test's services with ``limits.md`` ingested in finance."""
    path = tmp_path / "limits.md"
    path.write_text(LIMITS)
    runner = ServicesRunner(services)
    done = runner.invoke(cli.app, ["ingest", "--domain", "finance", str(path)])
    assert done.exit_code == 0, done.output
    return runner


def _ask(runner: ServicesRunner, services: Services, *flags: str) -> tuple[str, str]:
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=REPLY) as fake:
        services.settings.ollama.hosts = [fake.url]
        done = runner.invoke(
            cli.app,
            [
                "ask",
                "--domain",
                "finance",
                "--backend",
                "ollama",
                *flags,
                "How much can I send abroad a day?",
            ],
        )
    assert done.exit_code == 0, done.output
    return done.stdout, done.stderr


def test_ask_lists_the_unsupported_figures_and_hides_the_invented_phone(
    runner: ServicesRunner, services: Services
) -> None:
    stdout, stderr = _ask(runner, services)
    assert INVENTED not in stdout and INVENTED not in stderr
    assert "[unverified phone number]" in stdout and "0800 123 4567" in stdout
    assert "3 figures not in the sources" in stderr
    assert "! unsupported amount “£50,001”: amount £50001 is in no passage" in stderr
    assert "! unsupported amount “$10”:" in stderr
    assert "! unsupported phone “[unverified phone number]”:" in stderr


def test_ask_json_has_the_unsupported_claims_with_their_reason(
    runner: ServicesRunner, services: Services
) -> None:
    stdout, _stderr = _ask(runner, services, "--json")
    payload = json.loads(stdout)
    assert INVENTED not in stdout
    assert [(u["kind"], u["text"]) for u in payload["unsupported"]] == [
        ("amount", "£50,001"),
        ("amount", "$10"),
        ("phone", "[unverified phone number]"),
    ]
    assert all(u["reason"] for u in payload["unsupported"])
    assert payload["unsupported"][0]["value"] == "GBP 50001"


def test_a_placeholder_the_model_makes_up_is_labelled_in_the_stream_and_in_json(
    runner: ServicesRunner, services: Services
) -> None:
    """Issue 21 item 8 for the CLI: a placeholder nobody handed out (``<PHONE_NUMBER_7>``, ``<PERSON>``) shows
    as ``[phone number]``/``[person]`` while streaming and in ``--json``, as the reopened transcript shows it."""
    reply = ["Ask <PERSON> on <PHONE", "_NUMBER_7> for the limit of £25,000 [1]."]
    for flags in ((), ("--json",)):
        with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
            services.settings.ollama.hosts = [fake.url]
            done = runner.invoke(
                cli.app,
                [
                    "ask",
                    "--domain",
                    "finance",
                    "--backend",
                    "ollama",
                    *flags,
                    "What is the daily limit abroad?",
                ],
            )
        assert done.exit_code == 0, done.output
        shown = json.loads(done.stdout)["answer"] if flags else done.stdout
        assert "Ask [person] on [phone number] for the limit" in shown, shown
        assert "<PHONE_NUMBER" not in shown and "<PERSON>" not in shown
