"""Chat page: routed, de-identified RAG chat with streaming, sources, reasoning and an upload sidebar; a
signed-in user sees and continues only their own conversations, in their role's domains."""

from __future__ import annotations

import streamlit as st

from app.auth import claim_session, page_visitor
from app.sidebar import render_sidebar
from app.state import get_services, guarded
from pipelines.chat.citations import citation_sentences, source_records
from pipelines.chat.pipeline import ChatResult
from pipelines.chat.signals import signals_line
from pipelines.chat.transparency import masked_caption
from pipelines.conversation.memory import StoredTurn

services = get_services()
visitor = page_visitor(services)
choice = render_sidebar(services, visitor)
st.title("Domain assistant")
st.caption(
    "Private and local: personal data is replaced by placeholders before the model, the index, "
    "memory or logs see it."
)


def show_sources(sources: list[dict], answer: str) -> None:
    """Render the numbered sources with their citation checks (``source_records`` dicts) under an answer.

    ``answer`` is the displayed (restored) answer: the cited sentences shown are taken from it, so they carry
    the user's values like the answer does; the stored check results are de-identified.
    """
    shown = citation_sentences(answer)
    numbers = {s["number"] for s in sources}
    invalid = sorted(set(shown) - numbers)
    unsupported = [(s, c) for s in sources for c in s.get("citations", []) if not c["supported"]]
    if invalid:
        cited = ", ".join(f"[{n}]" for n in invalid)
        st.warning(f"⚠️ The answer cites {cited}, which is not among the sources: ignore that citation.")
    label = f"Sources ({len(sources)})"
    if unsupported:
        label += f" · ⚠️ {len(unsupported)} unsupported citation{'s' if len(unsupported) > 1 else ''}"
    with st.expander(label, expanded=bool(unsupported)):
        for s in sources:
            checks = s.get("citations", [])
            badge = ""
            if checks:
                badge = " · ✅ cited" if all(c["supported"] for c in checks) else " · ⚠️ unsupported citation"
            st.markdown(
                f"**[{s['number']}] {s['source']}** · {s.get('location', '')} · score {s['score']:.3f}{badge}"
            )
            sentences = shown.get(s["number"], [])
            for position, check in enumerate(checks):
                if not check["supported"]:
                    sentence = sentences[position] if position < len(sentences) else check["sentence"]
                    st.warning(f"⚠️ [{s['number']}] may not support: “{sentence}” ({check['reason']})")
            if s.get("text"):
                st.text(s["text"][:800])


# What was masked in each of this browser session's questions, by "<session>:<position>" (types and counts
# only, kept in memory for the page's lifetime: turns are stored de-identified without counts).
masked_by_turn: dict[str, dict[str, int]] = st.session_state.setdefault("masked_by_turn", {})


def _rate(position: int) -> None:
    """Thumbs callback: store (or replace) the rating of answer ``position`` of the shown conversation."""
    value = st.session_state.get(f"rating-{choice.session_id}-{position}")
    if value is not None:
        guarded(lambda: services.memory.rate(choice.session_id, position, "up" if value == 1 else "down"))


def show_thumbs(position: int, rating: str | None) -> None:
    """The thumbs under answer ``position`` (``rating``: the stored one, or None)."""
    st.feedback(
        "thumbs",
        key=f"rating-{choice.session_id}-{position}",
        default={"up": 1, "down": 0}.get(rating or ""),
        on_change=_rate,
        args=(position,),
    )


def show_turn(turn: StoredTurn, rating: str | None) -> None:
    """Render a stored turn with its thumbs (``rating``: the stored one, or None)."""
    with st.chat_message("user"):
        st.markdown(turn.question)
        caption = masked_caption(masked_by_turn.get(f"{choice.session_id}:{turn.position}", {}))
        if caption:
            st.caption(caption)
    with st.chat_message("assistant"):
        if turn.signals and turn.signals.get("escalation"):
            st.error(turn.signals["escalation"], icon="🚨")
        st.markdown(turn.answer or "_(no answer)_")
        flags = signals_line(turn.signals)
        st.caption(
            f"{turn.domain} · confidence {turn.route_confidence:.2f} · {turn.backend} {turn.model}"
            + (f" · {flags}" if flags else "")
        )
        show_sources(turn.sources, turn.answer)
        show_thumbs(turn.position, rating)


expired = guarded(lambda: services.conversations.unrestorable_placeholders(choice.session_id)) or []
if expired:
    shown = ", ".join(f"`{placeholder}`" for placeholder in expired[:5])
    st.info(
        f"The personal values of earlier turns expired and were erased: {shown} can no longer be restored."
    )
past_turns = guarded(lambda: services.conversations.transcript(choice.session_id, services.domains)) or []
ratings = {r.position: r.rating for r in guarded(lambda: services.memory.ratings(choice.session_id)) or []}
for past in past_turns:
    show_turn(past, ratings.get(past.position))

question = st.chat_input("Ask about your documents…")
if question and not claim_session(services, visitor, choice.session_id):
    st.error("This conversation is not yours: start a new chat.")  # not reached: ids are random and owned
    st.stop()
if question:
    with st.chat_message("user"):
        st.markdown(question)
        masked_slot = st.empty()
    with st.chat_message("assistant"):
        notice_slot = st.empty()
        meta_slot = st.empty()
        holder: dict[str, ChatResult] = {}
        reasoning: list[str] = []

        def answer_stream():  # wiring: forward answer text, keep reasoning and the result
            for event in services.chat.stream(
                question,
                choice.session_id,
                choice.domain,
                choice.backend,
                list(choice.documents) or None,
                owner=visitor.user,
            ):
                if event.kind == "meta" and event.data is not None:
                    if masked := masked_caption(event.data.masked):
                        masked_slot.caption(masked)
                    if event.data.signals.notice:
                        notice_slot.error(event.data.signals.notice, icon="🚨")
                    flags = signals_line(event.data.signals)
                    meta_slot.caption(
                        f"🧭 {event.data.domain} · confidence {event.data.route_confidence:.2f} · "
                        f"{event.data.backend} · {event.data.model}"
                        + (f" · only {len(choice.documents)} pinned documents" if choice.documents else "")
                        + (f" · {flags}" if flags else "")
                    )
                elif event.kind == "reasoning":
                    reasoning.append(event.text)
                elif event.kind == "answer":
                    yield event.text
                elif event.kind == "done" and event.data is not None:
                    holder["result"] = event.data
                    masked_by_turn[f"{choice.session_id}:{len(past_turns)}"] = event.data.masked

        guarded(lambda: st.write_stream(answer_stream()))
        result = holder.get("result")
        if result is not None:
            if result.disclaimer:
                st.caption(result.disclaimer)
            if result.backend_note:
                st.caption(result.backend_note)
            if result.reasoning:
                with st.expander("Reasoning"):
                    st.markdown(result.reasoning)
            records = source_records(result.sources, result.citations)
            for record, source in zip(records, result.sources, strict=True):
                record["text"] = source.text
            show_sources(records, result.answer)
            show_thumbs(len(past_turns), None)
