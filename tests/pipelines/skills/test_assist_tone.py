"""Agent assist's tone checks (issue 21, item 6): the required wording opens every draft, and a sentence of the
model's draft that matches a forbidden phrasing (``domains/finance/forbidden_phrasings.yaml``) is dropped and
reported with its reason.

The end-to-end tests run the real pipeline (Presidio + spaCy, the finance handbook chapter in Chroma and BM25,
the intent model, the risk detector) with a NAMED LLM STAND-IN, ``ScriptedDraftModel`` (LangChain's
``GenericFakeChatModel``, streaming a fixed reply word by word): what is tested is our post-processing of a draft,
and the real Gemma 3 270M does not reliably write the sentence of the issue. The stand-in's draft is the one the
issue reports: "We are not responsible for the personal details of our customers." before the scam wording.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from domains import DomainError, load_agent_assist, load_domains
from domains.tone_config import FORBIDDEN_PHRASINGS_FILE, load_forbidden_phrasings, normalize_phrase
from pipelines.llm.backends import Backend
from pipelines.services import Services
from pipelines.skills.agent_assist.tone import DraftComposer, split_sentences
from tests.conftest import CANARY_NAME, CANARY_VALUES

ROOT = Path(__file__).resolve().parents[3]
FINANCE = ROOT / "domains" / "finance"
ISSUE_SENTENCE = "We are not responsible for the personal details of our customers."
#: The draft of the issue: the forbidden sentence first, then the model's own copy of the scam wording, a
#: request for the PIN, and ordinary lines that must survive.
SCRIPTED_DRAFT = (
    f"{ISSUE_SENTENCE} I'm sorry to hear about this call.\n\n"
    'Northwind Bank will never ask you to move money to a "safe account" or to share your PIN or a one-time '
    "passcode.\n"
    "- To check it was you, please reply with your PIN.\n"
    "- Please call us on 0800 123 4567 (option 1) straight away.\n\n"
    "Kind regards, Northwind Bank"
)
SCAM_MESSAGE = (
    f"Hi, this is {CANARY_NAME}. Someone called saying they are from the bank and told me to move my money to a safe "
    "account. Is this a scam?"
)


def _finance():  # type: ignore[no-untyped-def]
    domain = load_domains()["finance"]
    config, phrasings = load_agent_assist(domain), load_forbidden_phrasings(domain)
    assert config is not None and phrasings is not None
    return config, phrasings


# -- the phrasings as data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        ISSUE_SENTENCE,
        "WE ARE NOT RESPONSIBLE FOR THE PERSONAL DETAILS OF OUR CUSTOMERS",
        "We’re not responsible for the personal details of our customers!",
        "we aren't   responsible,for your details.",
        "Please note: Northwind Bank is not responsible for customers' personal details.",
        "We cannot be held liable for the personal details of our customers.",
    ],
)
def test_the_issue_sentence_and_its_variations_are_forbidden(sentence: str) -> None:
    _config, phrasings = _finance()
    rule = phrasings.violation(sentence)
    assert rule is not None and rule.name == "disclaims_responsibility", sentence


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("It's your own fault for answering the call.", "blames_the_customer"),
        ("Please send us your full card number.", "asks_for_credentials"),
        ("Could you confirm the one-time passcode?", "asks_for_credentials"),
        ("Don't worry, you'll get your money back.", "promises_a_refund"),
        ("Please move your money to a safe account.", "endorses_the_scam"),
        ("There's nothing we can do.", "dismisses_the_customer"),
    ],
)
def test_the_other_tone_rules_of_the_bank_are_forbidden_phrasings(sentence: str, rule: str) -> None:
    _config, phrasings = _finance()
    found = phrasings.violation(sentence)
    assert found is not None and found.name == rule


def test_a_phrasing_with_when_applies_only_to_its_cases() -> None:
    _config, phrasings = _finance()
    assert (
        phrasings.violation("This is probably not a scam.") is None
    )  # a fee question: not the bank's concern
    found = phrasings.violation("This is probably not a scam.", frozenset({"scam"}))
    assert found is not None and found.name == "dismisses_the_risk"


def test_no_required_wording_and_no_ordinary_reply_is_forbidden() -> None:
    config, phrasings = _finance()
    every_key = frozenset(config.required_wording) | {"scam", "fraud", "account_takeover"}
    for key, text in config.required_wording.items():
        for sentence in split_sentences(" ".join(text.split())):
            assert phrasings.violation(sentence, every_key) is None, (key, sentence)
    ordinary = [
        "I'm sorry to hear that your card was stolen.",
        "You can freeze your card in the app at any time.",
        "Please do not share your PIN with anyone.",
        "If our investigation finds the payment was unauthorised, we will refund it.",
        "This is not your fault.",
        "Kind regards, Northwind Bank",
    ]
    for sentence in ordinary:
        assert phrasings.violation(sentence, every_key) is None, sentence


def test_no_sentence_of_the_shipped_handbook_is_a_forbidden_phrasing() -> None:
    """The bank's own policy text (what drafts quote) is the false-positive check: entering a PIN at a card
    machine, a "Direct Debit Guarantee refund", a "will never: - Ask you to move money to a safe account" list
    and a scam described as a scam are all allowed (556 sentences at the time of writing)."""
    _config, phrasings = _finance()
    every_key = frozenset({"scam", "fraud", "account_takeover"})
    sentences = [
        sentence
        for path in sorted((FINANCE / "corpus").glob("*.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        for sentence in split_sentences(line)
        if sentence.strip()
    ]
    assert len(sentences) > 500
    matched = [(s, rule.name) for s in sentences if (rule := phrasings.violation(s, every_key)) is not None]
    assert matched == []


def test_normalisation_ignores_case_quotes_contractions_and_punctuation() -> None:
    assert normalize_phrase("We’re NOT responsible, for… <PERSON_1>'s card (one-time)") == (
        "we are not responsible for <person_1>s card one time"
    )
    assert normalize_phrase("I can't; we won't; they don't") == "i cannot we will not they do not"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("examples:\n      - We are not responsible", "examples:\n      - We are glad to help"),
        ("'\\bcalm down\\b'", "'\\bcalm (down'"),
    ],
    ids=["example-that-does-not-match", "invalid-regex"],
)
def test_a_broken_phrasings_file_is_an_error_naming_the_file(tmp_path: Path, edit: str, message: str) -> None:
    folder = tmp_path / "finance"
    shutil.copytree(FINANCE, folder, ignore=shutil.ignore_patterns("corpus", "intent"))
    path = folder / FORBIDDEN_PHRASINGS_FILE
    text = path.read_text(encoding="utf-8")
    assert edit in text
    path.write_text(text.replace(edit, message, 1), encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        load_forbidden_phrasings(load_domains(tmp_path)["finance"])
    assert str(path) in str(caught.value)


# -- composing the draft -----------------------------------------------------------------------------------------


def test_the_required_wording_opens_the_draft_and_forbidden_sentences_are_dropped_in_any_split() -> None:
    config, phrasings = _finance()
    required = config.wording_for(["scam"])
    whole = DraftComposer(required, phrasings, frozenset({"scam"})).compose(SCRIPTED_DRAFT)
    for size in (1, 3, 17, 1000):  # however the stream splits the text
        composer = DraftComposer(required, phrasings, frozenset({"scam"}))
        parts = [composer.feed(SCRIPTED_DRAFT[i : i + size]) for i in range(0, len(SCRIPTED_DRAFT), size)]
        assert ("".join(parts) + composer.finish()).strip() == whole
    assert whole.startswith(required[0])
    assert whole.count("safe account") == 1  # the model's copy of the wording is removed: it opens the draft
    assert ISSUE_SENTENCE not in whole and "reply with your PIN" not in whole
    assert "I'm sorry to hear about this call." in whole and "0800 123 4567 (option 1) straight" in whole
    assert whole.endswith("Kind regards, Northwind Bank")
    assert [(d.text, d.rule) for d in composer.dropped] == [
        (ISSUE_SENTENCE, "disclaims_responsibility"),
        ("To check it was you, please reply with your PIN.", "asks_for_credentials"),
    ]
    assert composer.wording_missing == required  # the model copied one of its two sentences


def test_a_bare_salutation_stays_above_the_required_wording_and_an_empty_draft_gets_the_wording() -> None:
    config, phrasings = _finance()
    required = config.wording_for(["scam"])
    draft = DraftComposer(required, phrasings).compose(
        "Dear <PERSON_1>,\nWe are not liable for this.\nThanks."
    )
    assert draft.split("\n\n")[:2] == ["Dear <PERSON_1>,", required[0]]
    assert "liable" not in draft and draft.endswith("Thanks.")
    assert DraftComposer(required, phrasings).compose("") == required[0]


# -- end to end with the named stand-in --------------------------------------------------------------------------


class ScriptedDraftModel(GenericFakeChatModel):
    """NAMED LLM STAND-IN (tests only): streams the fixed draft of the issue, word by word."""


def _scripted(requested: str | None = None) -> Backend:
    return Backend(
        "scripted", "scripted-draft", ScriptedDraftModel(messages=iter([AIMessage(SCRIPTED_DRAFT)]))
    )


@pytest.fixture
def scam_services(services: Services) -> Services:
    services.ingestion.ingest_path(
        "finance", FINANCE / "corpus" / "07-fraud-and-scam-warnings.md", review=False
    )
    services.assist.backends = _scripted
    return services


def test_a_draft_opening_with_the_issue_sentence_gets_the_scam_wording_first_and_the_agent_is_told(
    scam_services: Services,
) -> None:
    events = list(scam_services.assist.stream(SCAM_MESSAGE))
    result = events[-1].data
    assert result is not None and result.risk is not None and "scam" in result.risk.categories
    scam = " ".join(scam_services.assist.config().required_wording["scam"].split())
    streamed = "".join(e.text for e in events if e.kind == "answer")

    for text in (result.draft, result.draft_redacted, streamed):
        assert text.startswith(scam), text[:120]
        assert ISSUE_SENTENCE not in text and "reply with your PIN" not in text
        assert "I'm sorry to hear about this call." in text, repr(text)
    assert [(d.text, d.rule) for d in result.dropped] == [
        (ISSUE_SENTENCE, "disclaims_responsibility"),
        ("To check it was you, please reply with your PIN.", "asks_for_credentials"),
    ]
    assert all(d.reason for d in result.dropped)

    payload = json.dumps(result.to_json_dict())  # what the API's done line carries
    assert json.loads(payload)["dropped"][0] == {
        "text": ISSUE_SENTENCE,
        "rule": "disclaims_responsibility",
        "reason": result.dropped[0].reason,
    }
    assert not [v for v in CANARY_VALUES if v in payload]
    log = (scam_services.settings.data_dir / "logs" / "assistant.log").read_text(encoding="utf-8")
    assert "dropped=disclaims_responsibility,asks_for_credentials" in log
    assert ISSUE_SENTENCE not in log and not [v for v in CANARY_VALUES if v in log]
