"""A chat turn analyses its question twice (routing policy, then the domain's): inside
``Deidentifier.reusing_analysis`` the second pass reuses the first one's spaCy analysis, finds exactly what a
fresh analysis finds, and nothing of the text stays once the block ends."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, PiiPolicy
from privacy.deidentify import _ANALYSES
from tests.conftest import domain_policy

TEXTS = [
    "Hi, I'm Margaret Oyelaran, card 4539 1488 0343 6467 was charged twice on 3 March by Hartley's Garage.",
    "my son bill o'hara moved to 14 Crescent Road, Leeds LS6 2QP; his NHS number is 943 476 5919",
    "Patient JOHN WHITE, DOB 02/11/1954, seen at Millbrook Medical Practice; metformin 500 mg twice daily.",
    "ssh deploy@db-prod-07.internal.acme.co.uk -p 2222 then export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
    "我叫王小明，身份证号110101199003074518，住在北京市朝阳区建国路88号。",
    "What is the foreign transaction fee?",
]


@pytest.fixture(scope="module")
def policies() -> list[PiiPolicy]:
    return [domain_policy(name) for name in ("finance", "medical", "code")]


def test_reused_analyses_find_what_fresh_ones_find(
    deidentifier: Deidentifier, policies: list[PiiPolicy]
) -> None:
    for text in TEXTS:
        fresh = [deidentifier.find_for(text, policy, ("prompt", "memory")) for policy in policies]
        with deidentifier.reusing_analysis():
            reused = [deidentifier.find_for(text, policy, ("prompt", "memory")) for policy in policies]
        assert reused == fresh, text


def test_spacy_runs_once_per_text_inside_the_block(
    deidentifier: Deidentifier, policies: list[PiiPolicy], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = deidentifier.analyzer.nlp_engine
    calls: list[str] = []
    original = engine.process_text

    def counted(text: str, language: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return original(text, language)

    monkeypatch.setattr(engine, "process_text", counted)
    text = TEXTS[0]
    with deidentifier.reusing_analysis():
        for policy in policies:
            deidentifier.find_for(text, policy, "prompt")
        assert _ANALYSES.get() is not None and text in _ANALYSES.get()
    assert calls == [text]
    assert _ANALYSES.get() is None  # the block's analyses (raw text) are gone
    deidentifier.find_for(text, policies[0], "prompt")
    assert len(calls) == 2  # outside a block every pass parses afresh
