"""The sidebar: sessions (list, new, delete), domain pin, backend, the privacy policy panel, and document
upload with a progress bar and a report per document."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.auth import Visitor, own_sessions
from app.privacy_view import render_policy_panel
from app.state import guarded
from app.upload import render_upload
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


def render_sidebar(services: Services, visitor: Visitor) -> SidebarChoice:
    """Draw the sidebar and return the visitor's choices (per-user state lives in ``st.session_state``): only
    the visitor's own conversations are listed, only their role's domains offered."""
    state = st.session_state
    state.setdefault("session_id", new_session_id())
    with st.sidebar:
        st.header("Conversations")
        st.button("➕ New chat", on_click=_new_chat, use_container_width=True)
        owned = own_sessions(services, visitor)
        if owned is not None and state["session_id"] not in owned and _stored(services, state["session_id"]):
            _new_chat()  # never show a conversation the visitor does not own, whatever the state says
        sessions = dict(guarded(lambda: services.conversations.titles(only=owned)) or [])
        if state["session_id"] not in sessions:
            sessions = {state["session_id"]: "(new chat)", **sessions}
        ids = list(sessions)
        if state.get("session_pick") not in ids:
            state["session_pick"] = state["session_id"]
        picked = st.selectbox("Session", ids, key="session_pick", format_func=lambda sid: sessions[sid])
        state["session_id"] = picked
        if sessions[picked] != "(new chat)":
            st.button(
                "🗑 Delete conversation",
                on_click=_delete_conversation,
                args=(services, visitor),
                use_container_width=True,
                help="Erase this conversation and its personal values for good.",
            )
        if "erasure_receipt" in state:
            st.success(state.pop("erasure_receipt"))

        st.header("Answering")
        usable = visitor.usable(list(services.domains))
        domains = ["auto", *usable] if len(usable) > 1 else usable
        domain = st.selectbox(
            "Domain",
            domains,
            format_func=lambda d: "auto (route each question)" if d == "auto" else services.domains[d].title,
        )
        backend = st.selectbox("Backend", ["auto", "ollama", "openai", "llamacpp"])
        documents = _pinned_documents(services, visitor, domain)
        guarded(lambda: render_policy_panel(services, domain))

        st.header("Add documents")
        render_upload(services, visitor, usable)
        if visitor.manages_shared:  # the totals count every user's private chunks too
            st.caption(" · ".join(f"{name}: {count} chunks" for name, count in services.status().items()))
    return SidebarChoice(state["session_id"], domain, backend, documents)


def _pinned_documents(services: Services, visitor: Visitor, domain: str) -> tuple[str, ...]:
    """The "Answer only from these documents" multiselect of a pinned domain (kept per domain in
    ``st.session_state["pinned_documents"]``); with auto routing there is no domain to choose from."""
    if domain == "auto":
        st.caption("Pick a domain to answer only from chosen documents.")
        return ()
    infos = guarded(lambda: services.catalog.documents(domain, visible_to=visitor.user)) or []
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


def _stored(services: Services, session_id: str) -> bool:
    """Whether ``session_id`` holds turns or a vault."""
    return services.memory.exists(session_id) or services.vaults.exists(session_id)


def _new_chat() -> None:
    """Button callback: a new conversation, shown at once (the session picker follows)."""
    st.session_state["session_id"] = new_session_id()
    st.session_state["session_pick"] = st.session_state["session_id"]


def _delete_conversation(services: Services, visitor: Visitor) -> None:
    """Button callback: erase the shown conversation (vault and turns) if the visitor owns it, keep the
    receipt, start a new chat."""
    state = st.session_state
    session_id = state["session_id"]
    owned = own_sessions(services, visitor)
    if owned is not None and session_id not in owned:
        st.error("No such conversation.")
        return
    receipt = guarded(lambda: services.conversations.erase(session_id))
    if receipt is not None:
        if visitor.user is not None:
            services.accounts.release_session(session_id)
        state["erasure_receipt"] = receipt.summary()
        _new_chat()
