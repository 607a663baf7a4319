"""Agents' feedback on suggested replies: persistence, status validation, CSV export (store and CLI), and the
privacy canary: raw PII typed into the customer message or the agent's edited reply never reaches the
feedback database or the CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pipelines.services import Services
from pipelines.skills.agent_assist.assist import AssistResult
from pipelines.skills.agent_assist.feedback import FEEDBACK_COLUMNS, FeedbackError, FeedbackStore
from privacy import reidentify
from tests.cli_runner import run
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for

# A second made-up customer and card (Luhn-valid) that only the agent types, into the edited reply.
TYPED_NAME = "Ottoline Brackenbury"
TYPED_CARD = "5425 2334 3010 9903"
TYPED_VALUES = (TYPED_NAME, TYPED_CARD, TYPED_CARD.replace(" ", ""), "Brackenbury")


def _add(store: FeedbackStore, status: str = "accepted", **changes: object) -> object:
    fields: dict[str, object] = {
        "session_id": "s1",
        "domain": "finance",
        "status": status,
        "message": "I lost my card <CREDIT_CARD_1>",
        "suggested": "We have blocked your card.",
        "final_text": "We have blocked your card.",
        "intent": "lost_or_stolen_card",
        "confidence": 0.91,
        "risk_categories": ["fraud", "vulnerable_customer"],
        "severity": "high",
        "escalate": True,
        "backend": "llamacpp",
        "model": "gemma.gguf",
    }
    fields.update(changes)
    return store.add(**fields)  # type: ignore[arg-type]


def test_feedback_persists_across_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    first = _add(FeedbackStore(path), "accepted")
    _add(FeedbackStore(path), "rejected", final_text="", risk_categories=[], confidence=None, intent="")

    records = FeedbackStore(path).records()
    assert [r.id for r in records] == [1, 2]
    assert records[0] == first
    assert records[0].risk_categories == ["fraud", "vulnerable_customer"]
    assert records[0].confidence == pytest.approx(0.91) and records[0].escalate is True
    assert records[0].created_at.endswith("+00:00")
    assert (records[1].status, records[1].confidence, records[1].risk_categories) == ("rejected", None, [])


@pytest.mark.parametrize("status", ["accept", "ACCEPTED", "", "approved"])
def test_an_unknown_status_is_an_error_naming_it_and_nothing_is_stored(tmp_path: Path, status: str) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    with pytest.raises(FeedbackError, match=f"unknown feedback status {status!r}"):
        _add(store, status)
    assert store.records() == []


@pytest.mark.parametrize("status", ["accepted", "edited", "rejected"])
def test_each_known_status_is_stored(tmp_path: Path, status: str) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _add(store, status)
    assert [r.status for r in store.records()] == [status]


@pytest.mark.parametrize("to_file", [True, False], ids=["to-a-file", "to-a-stream"])
def test_export_csv_writes_a_header_row_and_one_row_per_record(tmp_path: Path, to_file: bool) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _add(store, "accepted", final_text='Line one, with "quotes"\nline two')
    _add(store, "edited", confidence=None, risk_categories=[])
    if to_file:
        target = tmp_path / "out.csv"
        assert store.export_csv(target) == 2
        text = target.read_text(encoding="utf-8")
    else:
        stream = io.StringIO(newline="")
        assert store.export_csv(stream) == 2
        text = stream.getvalue()

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == FEEDBACK_COLUMNS
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["status"] for r in parsed] == ["accepted", "edited"]
    assert parsed[0]["final_text"] == 'Line one, with "quotes"\nline two'
    assert parsed[0]["risk_categories"] == "fraud;vulnerable_customer"
    assert parsed[0]["confidence"] == "0.9100" and parsed[0]["escalate"] == "true"
    assert parsed[1]["confidence"] == "" and parsed[1]["risk_categories"] == ""


def test_export_of_an_empty_store_is_the_header_row_only(tmp_path: Path) -> None:
    assert FeedbackStore(tmp_path / "f.sqlite3").export_csv_text().splitlines() == [
        ",".join(FEEDBACK_COLUMNS)
    ]


def _suggestion(services: Services, message: str) -> AssistResult:
    """A suggestion for ``message`` de-identified by the real pipeline components (no intent model or risk
    detector involved: ``intent`` and ``risk`` None, as for a domain without them)."""
    vault = services.vaults.open("canary-session")
    redaction, stored = services.deidentification.deidentify_message(message, vault, "finance")
    services.vaults.save(vault)
    draft = (
        "Dear <PERSON_1>, we have blocked your card <CREDIT_CARD_1> and will call you on <PHONE_NUMBER_1>."
    )
    assert all(p in redaction.text for p in ("<CREDIT_CARD_1>", "<PHONE_NUMBER_1>")), redaction.text
    policy = services.domains.policy("finance")
    return AssistResult(
        session_id="canary-session",
        domain="finance",
        message=redaction.text,
        message_display=reidentify(redaction.text, vault, policy),
        message_stored=stored.text,
        masked=redaction.counts(),
        intent=None,
        risk=None,
        escalation_advice=[],
        sources=[],
        required_wording=[],
        backend="llamacpp",
        model="gemma.gguf",
        draft=reidentify(draft, vault, policy),
        draft_redacted=draft,
    )


def test_canary_raw_pii_in_the_message_and_the_edited_reply_never_reaches_the_db_or_the_csv(
    services: Services, tmp_path: Path
) -> None:
    message = f"Hi, I am {CANARY_NAME}, my card {CANARY_CARD} was stolen. Call me on {CANARY_PHONE}."
    result = _suggestion(services, message)
    assert CANARY_NAME in result.draft and "•••• 6467" in result.draft  # the agent's screen
    edited = (
        f"{result.draft}\nAlso cancelled the card of {TYPED_NAME}, number {TYPED_CARD}, at {CANARY_NAME}'s "
        "request."
    )

    services.assist.record_feedback(result, "accepted", result.draft)
    stored = services.assist.record_feedback(result, "edited", edited)
    services.assist.record_feedback(result, "rejected")
    csv_path = tmp_path / "feedback.csv"
    assert services.feedback.export_csv(csv_path) == 3

    assert stored.message == result.message_stored and "<PERSON_1>" in stored.message
    assert stored.final_text.startswith(result.draft_redacted)  # the shown and masked values are placeholders
    assert "<PERSON_2>" in stored.final_text and "<CREDIT_CARD_2>" in stored.final_text
    assert stored.final_text.count("<PERSON_1>") == 2
    raw = (*CANARY_VALUES, *TYPED_VALUES)
    assert scan_tree_for(services.settings.data_dir, raw) == []
    assert [v for v in raw if v in csv_path.read_text(encoding="utf-8")] == []
    assert [r.status for r in services.feedback.records()] == ["accepted", "edited", "rejected"]


def test_accepting_without_text_stores_the_suggestion_and_editing_without_text_is_an_error(
    services: Services,
) -> None:
    result = _suggestion(services, f"My card {CANARY_CARD} was stolen, call {CANARY_PHONE}.")
    accepted = services.assist.record_feedback(result, "accepted")
    assert accepted.final_text == result.draft_redacted == accepted.suggested
    with pytest.raises(FeedbackError, match="'edited' needs the edited text"):
        services.assist.record_feedback(result, "edited")
    with pytest.raises(FeedbackError, match="unknown feedback status 'ok'"):
        services.assist.record_feedback(result, "ok", result.draft)
    assert len(services.feedback.records()) == 1


def test_cli_feedback_list_and_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = FeedbackStore(data / "feedback.sqlite3")
    _add(store, "accepted")
    _add(store, "rejected", final_text="")

    listed = run("feedback", "list", "--json", data_dir=data)
    assert listed.returncode == 0, listed.stderr
    assert [(r["id"], r["status"]) for r in json.loads(listed.stdout)] == [(1, "accepted"), (2, "rejected")]
    plain = run("feedback", "list", data_dir=data)
    assert plain.stdout.splitlines()[0].split("\t")[2:5] == [
        "accepted",
        "lost_or_stolen_card",
        "fraud,vulnerable_customer",
    ]

    printed = run("feedback", "export", data_dir=data)
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout, newline="")))
    assert [r["status"] for r in rows] == ["accepted", "rejected"]

    out = tmp_path / "export.csv"
    written = run("feedback", "export", "--out", str(out), data_dir=data)
    assert written.returncode == 0 and "wrote 2 records" in written.stderr
    assert list(csv.DictReader(out.open(encoding="utf-8", newline=""))) == rows
