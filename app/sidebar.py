"""The sidebar: conversations (list, new, delete), domain pin, backend and its status, the privacy policy
panel, and document upload with a progress bar and a report per document.

The conversation picker lists the chat's conversations only: code-task sessions (the Code page's and
``assistant code``'s) are left out (:mod:`pipelines.conversation.kinds`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import streamlit as st

from app.auth import Visitor, own_sessions
from app.privacy_view import render_policy_panel
from app.state import guarded
from app.upload import render_upload
from pipelines import USER_FACING_ERRORS
from pipelines.conversation.kinds import chat_session_ids
from pipelines.conversation.memory import new_session_id
from pipelines.services import Services

__all__ = [
    "NEW_CHAT",
    "SidebarChoice",
    "backend_status",
    "refresh_after_answer",
    "render_sidebar",
]

#: The picker's label of a conversation that holds nothing yet.
NEW_CHAT = "(new chat)"

#: How the sidebar names each backend.
BACKEND_NAMES = {"llamacpp": "llama.cpp", "ollama": "Ollama", "openai": "OpenAI-compatible server"}


@dataclass(frozen=True)
class SidebarChoice:
    """What the user picked: the session, the domain (auto or pinned), the backend and the pinned documents
    (sha256 values; empty = all of the domain's documents).

    Attributes:
        listed: The session was listed under its title when the sidebar was drawn (False: a new chat, shown as
            "(new chat)"; :func:`refresh_after_answer` then redraws the page once its first turn is stored).
    """

    session_id: str
    domain: str
    backend: str
    documents: tuple[str, ...] = ()
    listed: bool = True


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
        listed_ids = guarded(lambda: chat_session_ids(services.conversations, services.domains, owned))
        sessions = _labels(
            guarded(lambda: services.conversations.titles(only=listed_ids, domains=services.domains)) or []
        )
        if state["session_id"] not in sessions:
            sessions = {state["session_id"]: NEW_CHAT, **sessions}
        ids = list(sessions)
        # The browser sends a selectbox's choice back as its label, and a label changes (a new chat gets its
        # title, a turn changes the count): a picker keyed by the shown session and its label is drawn anew
        # whenever either changes, so it always shows state["session_id"], the one source of truth, and a
        # stale label from the browser can never pick another conversation.
        key = f"session_pick-{state['session_id']}-{zlib.crc32(sessions[state['session_id']].encode())}"
        picked = st.selectbox(
            "Session",
            ids,
            index=ids.index(state["session_id"]),
            key=key,
            format_func=lambda sid: sessions[sid],
            on_change=_picked,
            args=(key,),
        )
        state["session_id"] = picked
        listed = sessions[picked] != NEW_CHAT
        if listed:
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
        backend = st.selectbox(
            "Backend",
            ["auto", "ollama", "openai", "llamacpp"],
            format_func=lambda b: "auto (the first that answers)" if b == "auto" else BACKEND_NAMES[b],
        )
        status, reason = backend_status(services, backend)
        st.caption(status, help=reason or None)
        documents = _pinned_documents(services, visitor, domain)
        guarded(lambda: render_policy_panel(services, domain))

        st.header("Add documents")
        render_upload(services, visitor, usable, default=_upload_default(services, domain, picked))
        if visitor.manages_shared:  # the totals count every user's private chunks too
            titles = {name: services.domains[name].title for name in services.domains}
            st.caption(
                " · ".join(
                    f"{titles.get(name, name)}: {_count(count, 'chunk')}"
                    for name, count in services.status().items()
                )
            )
    return SidebarChoice(state["session_id"], domain, backend, documents, listed)


def refresh_after_answer(choice: SidebarChoice, services: Services) -> None:
    """Call after a turn of ``choice.session_id`` was stored: when the sidebar showed that conversation as a new
    chat, rerun the page at once, so the picker lists it under its title with "Delete conversation" (the
    transcript then shows the stored turn). Nothing happens for a conversation already listed."""
    if not choice.listed and services.memory.exists(choice.session_id):
        st.rerun()


def backend_status(services: Services, requested: str) -> tuple[str, str]:
    """``("Backend: llama.cpp (Ollama unavailable)", reason)``: which backend answers the next question and
    why another did not, for the sidebar (once, not under every answer). The host pools' cached health is used
    (a host never probed is probed now, as a turn would); the embedded model is not loaded for this.

    Returns:
        The status line, and the full reason (host and error per unavailable server; "" when none).
    """
    from pipelines.llm.backends import Backend, resolve_backend

    def not_loaded() -> Backend:  # the embedded model is named, not loaded, for a status line
        return Backend("llamacpp", "", None)  # type: ignore[arg-type]

    try:
        chosen = resolve_backend(services.settings, requested, not_loaded, services.pools)
    except USER_FACING_ERRORS as exc:
        return f"Backend: {BACKEND_NAMES.get(requested, requested)} unavailable", str(exc)
    name = BACKEND_NAMES.get(chosen.name, chosen.name)
    if chosen.name != "llamacpp" or requested == "llamacpp":
        return f"Backend: {name}", ""
    reasons = re.findall(r"(?:^|; |\()((?:Ollama|OpenAI-compatible server) unavailable)", chosen.note)
    return (f"Backend: {name} ({', '.join(reasons)})" if reasons else f"Backend: {name}"), chosen.note


def _upload_default(services: Services, domain: str, session_id: str) -> str | None:
    """The domain the upload offers first: the pinned domain, else the one the shown conversation's last
    question was routed to, else None (the uploader's last choice, or its first domain)."""
    if domain != "auto":
        return domain
    try:
        last = services.memory.turns(session_id, last=1) if services.memory.exists(session_id) else []
    except USER_FACING_ERRORS:
        return None
    return last[-1].domain if last else None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


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


def _labels(titles: list[tuple[str, str]]) -> dict[str, str]:
    """The picker's label per session id: the title on one line, made unique with the id's start (the browser
    identifies a choice by its label)."""
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for session_id, title in titles:
        label = " ".join(title.split())
        if label in seen or label == NEW_CHAT:
            label = f"{label} · {session_id[:8]}"
        seen.add(label)
        labels[session_id] = label
    return labels


def _picked(key: str) -> None:
    """Picker callback: show the conversation picked in the widget ``key``."""
    st.session_state["session_id"] = st.session_state[key]


def _new_chat() -> None:
    """Button callback: a new conversation, shown at once (the picker is drawn anew for it)."""
    st.session_state["session_id"] = new_session_id()


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
