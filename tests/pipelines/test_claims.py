"""Figures nobody checked (issue 21 item 2): every figure of an answer, cited or not, must occur in what the
model saw; invented identifiers are never shown as if real.

The check itself (:mod:`pipelines.chat.claims`) on the issue's defect cases and on restated figures, the
streaming masker, and whole chat turns whose model is FakeOllamaServer (a STAND-IN for an Ollama server that
replays scripted chunks: it lets a test choose the answer, and proves nothing about a real model) over real
retrieval, de-identification and memory. Canary: the user's own phone number (in the question, restored in the
answer) is not flagged and never stored raw.
"""

from __future__ import annotations

import json

import pytest

from pipelines.chat.claims import (
    MARKERS,
    ClaimSupport,
    IdentifierMasker,
    MaskedParts,
    check_claims,
    extract_figures,
    stored_claims,
)
from pipelines.chat.pipeline import ChatResult
from pipelines.services import Services
from tests.conftest import CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

LIMITS = (
    "## Limits\n\n"
    "- Online and in the app: up to £25,000 per day for international payments.\n"
    "- Emergency replacement card abroad: 25 pounds (free for Premier).\n"
    "- Call 0800 123 4567 to report a lost card, 24 hours a day.\n"
    "| Charge | Amount |\n|---|---|\n| Late payment fee | £12 |\n"
)


def flagged(answer: str, *texts: str) -> list[tuple[str, str]]:
    """``(kind, text)`` of each unsupported claim of ``answer`` against ``texts``."""
    return [(c.kind, c.text) for c in check_claims(answer, ClaimSupport.from_texts(texts or (LIMITS,)))]


# --- the defects: each was shown with no flag --------------------------------------------------------


def test_a_changed_daily_limit_is_flagged() -> None:
    claims = check_claims("The daily limit online is £50,001.", ClaimSupport.from_texts([LIMITS]))
    assert [(c.kind, c.text, c.value) for c in claims] == [("amount", "£50,001", "GBP 50001")]
    assert "no passage" in claims[0].reason
    assert claims[0].sentence == "The daily limit online is £50,001."


def test_a_wrong_currency_and_amount_is_flagged_with_the_reason() -> None:
    assert flagged("An emergency card abroad costs $10.") == [("amount", "$10")]
    (claim,) = check_claims("An emergency card abroad costs $25.", ClaimSupport.from_texts([LIMITS]))
    assert claim.reason == "the sources give £25, not USD"


def test_a_phone_number_in_no_passage_is_flagged_and_never_shown() -> None:
    support = ClaimSupport.from_texts([LIMITS])
    answer = "Call our card line on 0800 555 0199 now."
    shown = IdentifierMasker(support).mask(answer)
    assert "0800 555 0199" not in shown
    assert shown == f"Call our card line on {MARKERS['phone']} now."
    assert [(c.kind, c.text) for c in check_claims(shown, support)] == [("phone", MARKERS["phone"])]


@pytest.mark.parametrize(
    ("answer", "kind", "marker"),
    [
        ("Your card 4929 1234 5678 9012 is cancelled.", "card", MARKERS["card"]),
        ("Write to lostcards@northwind-bank.example today.", "email", MARKERS["email"]),
    ],
)
def test_invented_cards_and_emails_are_masked_and_flagged(answer: str, kind: str, marker: str) -> None:
    support = ClaimSupport.from_texts([LIMITS])
    shown = IdentifierMasker(support).mask(answer)
    assert marker in shown and not any(ch.isdigit() for ch in shown) and "@" not in shown
    assert [(c.kind, c.text) for c in check_claims(answer, support)] == [(kind, marker)]


def test_an_invented_fee_name_is_flagged_a_named_one_is_not() -> None:
    assert flagged("A £12 late payment fee applies.") == []
    assert flagged("A £12 dormancy fee applies.") == [("fee", "dormancy fee")]


# --- what must not be flagged: the same figure written otherwise --------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "You can send 25000 pounds a day.",
        "You can send £25k a day.",
        "You can send GBP 25,000 a day.",
        "You can send 25,000 per day.",
        "An emergency card costs £25.",
        "Call 0800-123-4567, 24 hours a day.",
        "The late payment fee is twelve pounds.",
        "See `limit = 99999` in the code, and:\n\n1. open the app\n2. choose Cards",
        "Use [1] and [2] for the details.",
    ],
)
def test_restated_figures_are_not_flagged(answer: str) -> None:
    assert flagged(answer) == []


def test_number_words_and_formats_match() -> None:
    passage = (
        "Delivery takes 3 days; cut-off 4pm; sent on 14 March 2025; rate 2.75%; from abroad +44 20 7946 0000."
    )
    for answer in (
        "Delivery takes three days.",
        "The cut-off is 4 p.m. or 16:00.",
        "It was sent on 2025-03-14, that is March 14, 2025 or 14/03/2025.",
        "The rate is 2.75 per cent.",
        "From abroad call +44 (0)20 7946 0000 or 020 7946 0000.",
    ):
        assert flagged(answer, passage) == [], answer
    assert flagged("Delivery takes five days; cut-off 5pm.", passage) == [("number", "five"), ("time", "5pm")]


def test_placeholders_of_the_question_are_supported_others_are_flagged() -> None:
    question = "I am <PERSON_1>, call me on <PHONE_NUMBER_1>."
    assert flagged("<PERSON_1>, we will call <PHONE_NUMBER_1>.", LIMITS, question) == []
    assert flagged("We will call <PHONE_NUMBER_2> or <PHONE_NUMBER>.", LIMITS, question) == [
        ("phone", "<PHONE_NUMBER_2>"),
        ("phone", "<PHONE_NUMBER>"),
    ]


def test_every_sentence_is_checked_not_only_cited_ones() -> None:
    answer = "The limit is £25,000 [1]. Branch payments go up to £90,000.\nCall 0800 123 4567."
    assert flagged(answer) == [("amount", "£90,000")]
    assert ("amount", "£25,000") in extract_figures(answer)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_the_masker_gives_the_same_text_whatever_the_chunking(size: int) -> None:
    support = ClaimSupport.from_texts([LIMITS])
    answer = (
        "Call 0800 555 0199 or 0800 123 4567, or mail x@y.org. Card 4111-1111-1111-1111! (020) 7946 1234."
    )
    masker = IdentifierMasker(support)
    shown = "".join(masker.feed(answer[i : i + size]) for i in range(0, len(answer), size)) + masker.flush()
    assert shown == (
        f"Call {MARKERS['phone']} or 0800 123 4567, or mail {MARKERS['email']}. Card {MARKERS['card']}! "
        f"{MARKERS['phone']}."
    )
    assert masker.masked == 4


# --- whole turns -----------------------------------------------------------------------------------------------

REPLY = [
    "The daily limit for international payments online is £5",
    "0,001. An emergency card abroad costs $10. ",
    "Call 0800 55",
    "5 0199 or 0800 123 4567 anytime; we will text ",
    "<PHONE_NUMBER_1> when it ships.",
]


def _ask(services: Services, question: str) -> tuple[ChatResult | None, list[str]]:
    services.ingestion.ingest_bytes("finance", "limits.md", LIMITS.encode())
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=REPLY) as fake:
        services.settings.ollama.hosts = [fake.url]
        streamed: list[str] = []
        result: ChatResult | None = None
        for event in services.chat.stream(question, domain="finance", backend="ollama"):
            if event.kind == "answer":
                streamed.append(event.text)
            elif event.kind == "done":
                result = event.data
    return result, streamed


def test_a_turn_flags_its_unsupported_figures_and_never_shows_the_invented_phone(services: Services) -> None:
    question = f"I'm {CANARY_NAME}, my number is {CANARY_PHONE}. How much can I send abroad per day?"
    result, streamed = _ask(services, question)
    assert result is not None
    kinds = [(c.kind, c.text) for c in result.unsupported]
    assert kinds == [("amount", "£50,001"), ("amount", "$10"), ("phone", MARKERS["phone"])]
    assert all(c.reason for c in result.unsupported)
    # the invented number is never shown, stored or returned; the helpline and the user's own number are
    shown = "".join(streamed)
    for text in (shown, result.answer, result.answer_redacted):
        assert "0800 555 0199" not in text and "555 0199" not in text
        assert MARKERS["phone"] in text and "0800 123 4567" in text
    assert CANARY_PHONE in shown and CANARY_PHONE in result.answer
    payload = result.to_json_dict()
    assert [u["text"] for u in payload["unsupported"]] == ["£50,001", "$10", MARKERS["phone"]]
    assert set(payload["unsupported"][0]) == {"kind", "text", "value", "sentence", "reason"}
    payload.pop("answer")
    assert not [v for v in CANARY_VALUES if v in json.dumps(payload, ensure_ascii=False)]
    # stored with the turn: the flags come back after a reload, de-identified
    (turn,) = services.memory.turns(result.session_id)
    assert [c["text"] for c in stored_claims(turn.signals)] == ["£50,001", "$10", MARKERS["phone"]]
    (shown_turn,) = services.conversations.transcript(result.session_id, services.domains)
    assert MARKERS["phone"] in shown_turn.answer and "0800 555 0199" not in shown_turn.answer
    assert scan_tree_for(services.settings.data_dir, (*CANARY_VALUES, "0800 555 0199")) == []


def test_a_turn_with_only_supported_figures_has_no_flags(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "limits.md", LIMITS.encode())
    reply = ["Online you can send up to £25k a day [1]; call 0800 123 4567 if your card is lost."]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.chat.ask("How much can I send abroad per day?", domain="finance", backend="ollama")
    assert result.unsupported == []
    assert result.to_json_dict()["unsupported"] == []
    (turn,) = services.memory.turns(result.session_id)
    assert stored_claims(turn.signals) == []


FEES = "## Fees\n\nA banker's draft costs £15. Express card delivery costs £10.\n"


def test_a_follow_up_may_repeat_a_figure_of_an_earlier_turns_passage(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "limits.md", LIMITS.encode())
    services.ingestion.ingest_bytes("finance", "fees.md", FEES.encode())
    sha = {d.name: d.sha256 for d in services.store.list_documents("finance")}
    reply = ["Online you can send up to £25,000 a day; a banker's draft costs £15, express delivery £11."]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        first = services.chat.ask(
            "How much can I send abroad a day?",
            domain="finance",
            backend="ollama",
            documents=[sha["limits.md"]],
        )
        second = services.chat.ask(
            "And a banker's draft?",
            session_id=first.session_id,
            domain="finance",
            backend="ollama",
            documents=[sha["fees.md"]],
        )
    assert [c.text for c in first.unsupported] == ["£15", "£11"]
    # £25,000 is in the first turn's passage, which the model sees through that turn's answer; £11 is nowhere
    assert [c.text for c in second.unsupported] == ["£11"]


class _Parts:
    """Parts as ``chat_parts`` yields them, with what a stream reports once it ended."""

    def __init__(self, contents: list[str]) -> None:
        self._items = iter([(c, "") for c in contents] + [("", "a thought")])
        self.output_tokens = 7
        self.finish_reason = "length"
        self.closed = False

    def __iter__(self) -> _Parts:
        return self

    def __next__(self) -> tuple[str, str]:
        return next(self._items)

    def close(self) -> None:
        self.closed = True


def test_masked_parts_mask_content_and_keep_what_the_stream_reports() -> None:
    inner = _Parts(["Call 0800 5", "55 0199 or 0800 123 ", "4567"])
    parts = MaskedParts(inner, ClaimSupport.from_texts([LIMITS]))
    out = list(parts)
    assert "".join(c for c, _ in out) == f"Call {MARKERS['phone']} or 0800 123 4567"
    assert ("", "a thought") in out
    assert parts.output_tokens == 7 and parts.finish_reason == "length"
    parts.close()
    assert inner.closed
