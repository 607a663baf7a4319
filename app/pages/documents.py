"""Documents page: what each domain's collection holds (with each document's report), adding documents,
deleting an indexed document (after a confirmation, with an erasure receipt), and the documents held for review,
which can be released (indexed) or rejected (deleted) here. The admin (or the single local user) manages the
shared knowledge bases and the review queue; any other signed-in user sees the shared documents of their
domains and their own private ones, and adds and deletes only their own."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.auth import page_visitor
from app.privacy_view import render_report
from app.state import get_services, guarded
from app.upload import render_upload
from pipelines.chat.transparency import report_rows


def _count(n: int, noun: str) -> str:
    """``1 document``, ``2 documents``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _chunks(count: int) -> str:
    return _count(count, "chunk")


services = get_services()
visitor = page_visitor(services)
st.title("Documents")
domains = list(services.domains) if visitor.manages_shared else visitor.usable(list(services.domains))
domain = st.selectbox("Domain", domains, format_func=lambda d: services.domains[d].title)

for notice in st.session_state.pop("review_notices", []):
    st.success(notice)

held = (guarded(lambda: services.review.held(domain)) or []) if visitor.manages_shared else []
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
                report = guarded(partial(services.review.release, domain, document.sha256))
                if report is not None:
                    st.session_state["review_notices"] = [
                        f"{report.name}: released, {_chunks(report.chunks_added)} indexed"
                    ]
                    st.rerun()
            if reject.button("Reject (delete it)", key=f"reject-{document.sha256}"):
                gone = guarded(partial(services.review.reject, domain, document.sha256))
                if gone is not None:
                    st.session_state["review_notices"] = [f"{gone.name}: rejected and deleted"]
                    st.rerun()

viewer = None if visitor.manages_shared else visitor.user  # the admin lists all, to count the private ones
documents = guarded(lambda: services.catalog.documents(domain, visible_to=viewer)) or []
hidden = 0
if visitor.user is not None and visitor.manages_shared:  # the admin: users' private documents as a count only
    hidden = sum(d.visibility == "private" for d in documents)
    documents = [d for d in documents if d.visibility == "shared"]
st.subheader("Indexed")
st.caption(
    _count(len(documents), "document")
    + (f" · {_count(hidden, 'private document')} of users, not listed" if hidden else "")
)
st.dataframe(
    [
        {
            "name": d.name,
            "visibility": d.visibility,
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


def _ask_to_delete(sha256: str) -> None:
    st.session_state["confirm_delete"] = sha256


def _cancel_delete() -> None:
    st.session_state.pop("confirm_delete", None)


def _delete(target: str, sha256: str) -> None:
    """Button callback: delete the document of domain ``target``; its receipt is shown by the run that follows."""
    st.session_state.pop("confirm_delete", None)
    receipt = guarded(partial(services.catalog.delete, target, sha256, visible_to=visitor.user))
    if receipt is not None:
        st.session_state["review_notices"] = [receipt.summary()]


with st.expander("Add documents"):
    render_upload(services, visitor, [domain], key="documents_upload")

deletable = [d for d in documents if visitor.manages_shared or d.owner == visitor.user]
if deletable:
    with st.expander("Delete documents", expanded="confirm_delete" in st.session_state):
        st.caption(
            "Deleting removes a document's chunks, vectors and report from the index; it cannot be undone."
        )
        pending = st.session_state.get("confirm_delete")
        for d in deletable:
            name, chunks, button = st.columns([6, 2, 2], vertical_alignment="center")
            name.markdown(f"**{d.name}** `{d.sha256[:12]}`")
            chunks.caption(_chunks(d.chunks))
            if pending != d.sha256:
                button.button("Delete", key=f"delete-{d.sha256}", on_click=_ask_to_delete, args=(d.sha256,))
                continue
            st.warning(f"Delete {d.name} ({_chunks(d.chunks)}) from {services.domains[domain].title}?")
            yes, no = st.columns(2)
            yes.button(
                "Yes, delete it",
                key=f"confirm-delete-{d.sha256}",
                type="primary",
                on_click=_delete,
                args=(domain, d.sha256),
            )
            no.button("Cancel", key=f"cancel-delete-{d.sha256}", on_click=_cancel_delete)
