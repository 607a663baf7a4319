"""Documents page: what each domain's collection holds (with each document's report), and the documents held
for review, which can be released (indexed) or rejected (deleted) here."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.privacy_view import render_report
from app.state import get_services, guarded
from pipelines.ingestion import held_documents, reject_held, release_held
from pipelines.transparency import report_rows

services = get_services()
st.title("Documents")
domain = st.selectbox("Domain", list(services.domains), format_func=lambda d: services.domains[d].title)

for notice in st.session_state.pop("review_notices", []):
    st.success(notice)

held = guarded(lambda: held_documents(services, domain)) or []
if held:
    threshold = services.settings.ingest.hold_risk_threshold
    st.subheader(f"Held for review ({len(held)})")
    st.caption(
        "Not indexed: their risk was above the hold threshold"
        + (f" ({threshold:g})" if threshold is not None else "")
        + ". They are stored already de-identified. Release indexes the stored text; reject deletes it."
    )
    for document in held:
        with st.container(border=True):
            render_report(document.name, document.report, f"held {document.held_at}")
            release, reject = st.columns(2)
            if release.button("Release (index it)", key=f"release-{document.sha256}"):
                report = guarded(partial(release_held, services, domain, document.sha256))
                if report is not None:
                    st.session_state["review_notices"] = [
                        f"{report.name}: released, {report.chunks_added} chunks indexed"
                    ]
                    st.rerun()
            if reject.button("Reject (delete it)", key=f"reject-{document.sha256}"):
                gone = guarded(partial(reject_held, services, domain, document.sha256))
                if gone is not None:
                    st.session_state["review_notices"] = [f"{gone.name}: rejected and deleted"]
                    st.rerun()

documents = guarded(lambda: services.store.list_documents(domain)) or []
st.subheader("Indexed")
st.caption(f"{len(documents)} documents")
st.dataframe(
    [
        {
            "name": d.name,
            "sha256": d.sha256[:16],
            "chunks": d.chunks,
            "kind": d.kind,
            "ingested at": d.ingested_at,
            "risk": d.report.get("risk"),
            "redacted": ", ".join(f"{r['count']} {r['found']}" for r in report_rows(d.report)),
        }
        for d in documents
    ],
    width="stretch",
)
