"""Clinical record page: paste or upload a note -> the de-identified note with diseases and drugs highlighted,
the relations among them as a table, and a summary written by the model from the de-identified note only.
Optionally the note is added to the medical records (the ordinary ingestion flow, de-identified; a signed-in
clinician's notes are theirs: retrieved only for them)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.auth import page_visitor
from app.clinical_view import render_highlighted
from app.state import get_services, guarded
from pipelines.chat.transparency import summarize_counts
from pipelines.skills.medical.clinical import ClinicalNote

services = get_services()
visitor = page_visitor(services, "medical")
DOMAIN = "medical"
st.title("Clinical record")
st.caption(
    "Names, dates, record numbers and the other HIPAA Safe Harbor identifiers are masked before anything "
    "else happens; entities, relations and the model's summary all work on the de-identified note. "
    "Nothing is stored unless you add the note to the records."
)

upload = st.file_uploader("Upload a note (TXT, MD, PDF, DOCX)", type=["txt", "md", "pdf", "docx"])
pasted = st.text_area("…or paste a note", height=200, key="clinical_text")

if st.button("Analyse", type="primary", key="clinical_analyse"):
    st.session_state.pop("clinical_note", None)
    text = guarded(partial(services.clinical.load_note, upload.name, upload.getvalue())) if upload else pasted
    if text is not None:
        note = guarded(partial(services.clinical.analyze_note, text, DOMAIN))
        if note is not None:
            st.session_state["clinical_note"] = note
            st.session_state["clinical_source"] = (upload.name if upload else "pasted-note.txt", text)

note = st.session_state.get("clinical_note")
if isinstance(note, ClinicalNote):
    masked = summarize_counts(note.phi_counts)  # "1 medical record number, 2 dates", not raw type names
    st.caption(f"Masked: {masked}" if masked else "No identifiers found to mask.")
    st.subheader("De-identified note")
    render_highlighted(note.redacted, note.entities)
    diseases = sum(e.label == "DISEASE" for e in note.entities)
    st.caption(f"{diseases} disease and {len(note.entities) - diseases} chemical/drug mentions")
    st.subheader("Relations")
    rows = note.relation_rows()
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No treats / causes / symptom-of relations found.")
    st.subheader("Summary")
    if st.button("Summarise with the model", key="clinical_summarise"):
        backend = guarded(services.backend)
        if backend is not None:

            def summary():  # wiring: forward the answer parts
                for kind, text in services.clinical.stream_summary(note, backend):
                    if kind == "answer":
                        yield text

            guarded(lambda: st.write_stream(summary()))
            st.caption(f"{backend.name} · {backend.model_name} · the model saw only the de-identified note")
    if st.button("Add to the medical records", key="clinical_ingest"):
        name, text = st.session_state["clinical_source"]
        report = guarded(
            partial(
                services.ingestion.ingest_bytes,
                DOMAIN,
                name,
                text.encode("utf-8"),
                owner=visitor.upload_owner,
            )
        )
        if report is not None:
            st.success(f"{report.name}: {report.status}")
    disclaimer = services.domains.domain(DOMAIN).disclaimer
    if disclaimer:
        st.caption(disclaimer)
