"""The sidebar: sessions (list, new, delete), domain pin, backend, the privacy policy panel, and document
upload with a progress bar and a report per document."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st

from app.privacy_view import render_policy_panel, render_report
from app.state import guarded
from pipelines.conversation.memory import new_session_id
from pipelines.services import Services

__all__ = ["SidebarChoice", "render_sidebar"]


@dataclass(frozen=True)
class SidebarChoice:
    """What the user picked: the session, the domain (auto or pinned), the backend and the pinned documents
    (sha256 values; empty = all of the domain's documents)."""

    session_id: str
    domain: str
    backend: str
    documents: tuple[str, ...] = ()


def render_sidebar(services: Services) -> SidebarChoice:
    """Draw the sidebar and return the user's choices (per-user state lives in ``st.session_state``)."""
    state = st.session_state
    state.setdefault("session_id", new_session_id())
    with st.sidebar:
        st.header("Conversations")
        if st.button("➕ New chat", use_container_width=True):
            state["session_id"] = new_session_id()
        sessions = dict(guarded(lambda: services.conversations.titles()) or [])
        if state["session_id"] not in sessions:
            sessions = {state["session_id"]: "(new chat)", **sessions}
        ids = list(sessions)
        picked = st.selectbox(
            "Session", ids, index=ids.index(state["session_id"]), format_func=lambda sid: sessions[sid]
        )
        state["session_id"] = picked
        if sessions[picked] != "(new chat)":
            st.button(
                "🗑 Delete conversation",
                on_click=_delete_conversation,
                args=(services,),
                use_container_width=True,
                help="Erase this conversation and its personal values for good.",
            )
        if "erasure_receipt" in state:
            st.success(state.pop("erasure_receipt"))

        st.header("Answering")
        domains = ["auto", *services.domains]
        domain = st.selectbox(
            "Domain",
            domains,
            format_func=lambda d: "auto (route each question)" if d == "auto" else services.domains[d].title,
        )
        backend = st.selectbox("Backend", ["auto", "ollama", "llamacpp"])
        documents = _pinned_documents(services, domain)
        guarded(lambda: render_policy_panel(services, domain))

        st.header("Add documents")
        target = st.selectbox("Into domain", list(services.domains), key="upload_domain")
        files = st.file_uploader(
            "Files",
            accept_multiple_files=True,
            help=f"PDF, DOCX, HTML, Markdown, TXT, CSV, source code; up to "
            f"{services.settings.ingest.max_file_mb:g} MiB each",
        )
        if files and st.button("Ingest", type="primary"):
            for upload in files:
                bar = st.progress(0.0, text=f"{upload.name}: reading")

                def progress(stage: str, fraction: float, bar=bar, name=upload.name) -> None:
                    bar.progress(min(max(fraction, 0.0), 1.0), text=f"{name}: {stage}")

                report = guarded(
                    partial(services.ingestion.ingest_bytes, target, upload.name, upload.getvalue(), progress)
                )
                bar.empty()
                if report is None:
                    continue
                if report.held:
                    st.warning(
                        f"{report.name}: held for review, not indexed"
                        + ("" if report.duplicate else f" (risk above {report.hold_threshold:g})")
                        + "; release or reject it on the Documents page"
                    )
                elif report.replaced:
                    st.success(
                        f"{report.name}: updated, {_chunks(report.chunks_added)} added; the earlier version "
                        f"({_chunks(report.stale_chunks_removed)}) was removed"
                    )
                elif report.duplicate:
                    st.info(f"{report.name}: already indexed, nothing added")
                else:
                    st.success(f"{report.name}: {_chunks(report.chunks_added)} added")
                render_report(report.name, report.report, report.status)
        st.caption(" · ".join(f"{name}: {count} chunks" for name, count in services.status().items()))
    return SidebarChoice(state["session_id"], domain, backend, documents)


def _pinned_documents(services: Services, domain: str) -> tuple[str, ...]:
    """The "Answer only from these documents" multiselect of a pinned domain (kept per domain in
    ``st.session_state["pinned_documents"]``); with auto routing there is no domain to choose from."""
    if domain == "auto":
        st.caption("Pick a domain to answer only from chosen documents.")
        return ()
    infos = guarded(lambda: services.catalog.documents(domain)) or []
    names = {info.sha256: info.name for info in infos}
    pinned: dict[str, list[str]] = st.session_state.setdefault("pinned_documents", {})
    kept = [sha for sha in pinned.get(domain, []) if sha in names]
    picked = st.multiselect(
        "Answer only from these documents",
        list(names),
        default=kept,
        format_func=lambda sha: f"{names[sha]} · {sha[:8]}",
        key=f"pinned-{domain}",
        help="Leave empty to search all of the domain's documents.",
    )
    pinned[domain] = list(picked)
    return tuple(picked)


def _chunks(count: int) -> str:
    return f"{count} chunk" + ("" if count == 1 else "s")


def _delete_conversation(services: Services) -> None:
    """Button callback: erase the shown conversation (vault and turns), keep the receipt, start a new chat."""
    state = st.session_state
    receipt = guarded(lambda: services.conversations.erase(state["session_id"]))
    if receipt is not None:
        state["erasure_receipt"] = receipt.summary()
        state["session_id"] = new_session_id()
