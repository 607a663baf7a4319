"""The clinical record view's flow: PHI masked before entities, relations and the summary; nothing stored."""

from __future__ import annotations

import pytest

from pipelines.core.errors import AssistantError
from pipelines.llm.generation import Generation
from pipelines.services import Services
from pipelines.skills.medical.clinical import (
    MAX_NOTE_CHARS,
    MAX_TEXT_CHARS,
)
from tests.conftest import scan_tree_for

PATIENT = "Bartholomew Quince"
MRN = "MRN: 4471928"
PHONE = "(617) 555-0199"
NOTE = (
    f"Patient {PATIENT}, {MRN}, seen on 03/14/2024. Phone {PHONE}.\n"
    "History of hypertension and type 2 diabetes, treated with metformin and lisinopril.\n"
    "Presented with chest pain and nausea after starting sumatriptan for migraine.\n"
    "Plan: stop sumatriptan; continue aspirin."
)
RAW = (PATIENT, "Quince", "4471928", "555-0199", "03/14/2024")


def test_the_note_is_deidentified_before_entities_are_found(services: Services) -> None:
    note = services.clinical.analyze_note(NOTE)
    for value in RAW:
        assert value not in note.redacted
    assert note.phi_counts.get("PERSON") == 1 and "MEDICAL_RECORD_NUMBER" in note.phi_counts
    found = {(e.label, e.text) for e in note.entities}
    assert {("DISEASE", "hypertension"), ("CHEMICAL", "metformin"), ("CHEMICAL", "sumatriptan")} <= found
    for entity in note.entities:
        assert note.redacted[entity.start : entity.end] == entity.text
    rows = {(r["relation"], r["from"], r["to"]) for r in note.relation_rows()}
    assert ("treats", "metformin", "type 2 diabetes") in rows or ("treats", "metformin", "diabetes") in rows
    payload = note.to_dict()
    assert all(value not in str(payload) for value in RAW)
    assert scan_tree_for(services.settings.data_dir, RAW) == []  # nothing stored


def test_the_summary_model_sees_only_the_deidentified_note(services: Services) -> None:
    note = services.clinical.analyze_note(NOTE)
    backend = services.llamacpp_backend()
    out = Generation()
    parts = list(services.clinical.stream_summary(note, backend, out))
    prompt = backend.chat_model.last_prompt
    assert note.redacted in prompt or note.redacted.splitlines()[1] in prompt
    for value in RAW:
        assert value not in prompt
    assert all(kind in ("answer", "reasoning") for kind, _ in parts)
    assert scan_tree_for(services.settings.data_dir, RAW) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("   \n", "the note is empty"), ("x" * (MAX_NOTE_CHARS + 1), "at most 20,000")],
)
def test_bad_notes_are_refused_with_a_clear_error(services: Services, text: str, message: str) -> None:
    with pytest.raises(AssistantError, match=message):
        services.clinical.analyze_note(text)


def test_a_domain_without_an_entity_model_is_refused(services: Services) -> None:
    with pytest.raises(AssistantError, match="no entity model"):
        services.clinical.analyze_note(NOTE, domain="finance")


def test_an_uploaded_text_note_is_read(services: Services) -> None:
    assert services.clinical.load_note("note.txt", NOTE.encode()).startswith("Patient")


def test_an_identifier_is_never_reported_as_a_drug(services: Services) -> None:
    text = "Patient John Smith (MRN 4829173, phone 617-555-0143) was seen for hypertension."
    assert [(e.label, e.text) for e in services.clinical.find_entities(text)] == [("DISEASE", "hypertension")]
    with pytest.raises(AssistantError, match="at most 200,000"):
        services.clinical.find_entities("x " * (MAX_TEXT_CHARS // 2 + 1))
    with pytest.raises(AssistantError, match="the text is empty"):
        services.clinical.find_entities(" ")


def test_the_note_added_to_the_records_keeps_no_dates_places_or_names(services: Services) -> None:

    note = NOTE + "\nAddress: 42 Wallaby Lane, Springfield, IL 62704. Discharged March 9, 2024."
    services.ingestion.ingest_bytes("medical", "note.txt", note.encode())
    assert scan_tree_for(services.settings.data_dir, (*RAW, "Springfield", "March 9, 2024", "Wallaby")) == []
