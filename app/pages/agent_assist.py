"""Agent assist page: a customer-service agent pastes a customer's message (or picks a conversation) and sees
the de-identified message, intent, risk flags with evidence and escalation advice, cited policy passages and
a streamed reply draft to edit, copy and rate (accepted / edited / rejected; stored de-identified)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.auth import claim_session, own_sessions, page_visitor
from app.state import get_services, guarded
from pipelines.chat.transparency import masked_caption
from pipelines.conversation.memory import new_session_id
from pipelines.skills.agent_assist.assist import AssistResult

services = get_services()
visitor = page_visitor(services, "finance")
st.title("Agent assist")
st.caption(
    "For customer-service agents: personal data in the customer's message is replaced by placeholders "
    "before the model, the index or the feedback store see it."
)

NEW = "Type or paste a message"
PICK = "Use a conversation's last message"
origin = st.radio("Customer message from", [NEW, PICK], horizontal=True, key="assist_origin")
session_id: str | None = None
prefill = ""
if origin == PICK:
    owned = own_sessions(services, visitor)
    titles = dict(guarded(lambda: services.conversations.titles(only=owned, domains=services.domains)) or [])
    if titles:
        session_id = st.selectbox(
            "Conversation", list(titles), format_func=lambda s: titles.get(s, s), key="assist_session"
        )
        if session_id:
            prefill = guarded(partial(services.conversations.last_message, session_id)) or ""
    else:
        st.info("No stored conversations yet.")
message = st.text_area("Customer message", value=prefill, height=120, key=f"assist_message_{session_id}")


def show_analysis(result: AssistResult) -> None:
    """Render the de-identified message, intent, risk flags and advice, and the cited passages."""
    st.markdown("**De-identified message** (what the model saw)")
    st.code(result.message, language=None, wrap_lines=True)
    if caption := masked_caption(result.masked):
        st.caption(caption)
    intent, confidence, severity = st.columns(3)
    if result.intent is None:
        intent.metric("Intent", "no intent model")
    else:
        intent.metric("Intent", result.intent.intent)
        confidence.metric("Confidence", f"{result.intent.confidence:.2f}")
        if result.intent.intent == "unknown":
            intent.caption(f"below the confidence threshold; best guess: {result.intent.label}")
    risk = result.risk
    if risk is None:
        st.caption("No risk detector for this domain.")
    else:
        severity.metric("Risk severity", risk.severity)
        if result.escalate:
            st.error("🚨 Escalate this conversation: " + " ".join(result.escalation_advice))
        elif result.escalation_advice:
            st.info("Advice: " + " ".join(result.escalation_advice))
        if risk.categories:
            st.markdown("**Risk flags**: " + ", ".join(f"`{c}`" for c in risk.categories))
            for evidence in risk.to_json_dict()["evidence"]:
                quote = f"“{evidence['text']}”" if evidence["text"] else "from the intent"
                st.markdown(f"- **{evidence['category']}**: {quote} ({evidence['rule']})")
        else:
            st.success("No risk flags.")
    st.markdown(f"**Policy passages ({len(result.sources)})**")
    for s in result.sources:
        with st.expander(f"[{s.number}] {s.source} · {s.location}".rstrip(" ·")):
            st.caption(f"score {s.score:.3f}")
            st.text(s.text)


if st.button("Analyse", type="primary", key="assist_analyse"):
    st.session_state.pop("assist_result", None)
    st.session_state.pop("assist_notice", None)
    analysis = st.container()
    draft = st.empty()
    holder: dict[str, AssistResult] = {}
    if (
        session_id is None
    ):  # a new conversation for this message's vault: the visitor's before it holds a value
        session_id = new_session_id()
        claim_session(services, visitor, session_id)

    def draft_stream():  # wiring: render the analysis, forward the draft text, keep the result
        for event in services.assist.stream(message, session_id, owner=visitor.user):
            if event.kind == "meta" and event.data is not None:
                with analysis:
                    show_analysis(event.data)
            elif event.kind == "answer":
                yield event.text
            elif event.kind == "done" and event.data is not None:
                holder["result"] = event.data

    with draft.container():
        st.markdown("**Suggested reply** (drafting…)")
        guarded(lambda: st.write_stream(draft_stream()))
    if "result" in holder:
        st.session_state["assist_result"] = holder["result"]
        st.session_state["assist_count"] = st.session_state.get("assist_count", 0) + 1
        st.rerun()

result: AssistResult | None = st.session_state.get("assist_result")
if result is not None:
    show_analysis(result)
    st.markdown("**Suggested reply**")
    if result.required_wording:
        st.caption(
            "The required wording for this case opens the reply (the bank's text, not the model's)."
            + (" The model left it out." if result.wording_added else "")
        )
    for dropped in result.dropped:  # de-identified: placeholders, never the customer's values
        st.warning(f"Dropped from the model's draft: “{dropped.text}” — {dropped.reason}", icon="✂️")
    if not result.draft:
        st.info("The model returned no draft: write the reply yourself.")
    count = st.session_state.get("assist_count", 0)
    edited = st.text_area("Reply (edit before sending)", value=result.draft, height=220, key=f"reply_{count}")
    with st.expander("Copy the suggestion"):
        st.code(result.draft, language=None, wrap_lines=True)
    st.caption(f"Drafted by {result.backend} · {result.model}")
    accept, save, reject = st.columns(3)
    verdicts = {
        "accepted": accept.button("Accept", key="assist_accept"),
        "edited": save.button("Save edit", key="assist_edit"),
        "rejected": reject.button("Reject", key="assist_reject"),
    }
    for status, clicked in verdicts.items():
        if clicked:
            text = {"accepted": result.draft, "edited": edited, "rejected": None}[status]
            record = guarded(partial(services.assist.record_feedback, result, status, text))
            if record is not None:
                st.session_state["assist_notice"] = f"Feedback stored: {status} (#{record.id})."

if notice := st.session_state.get("assist_notice"):
    st.success(notice)
csv_text = guarded(partial(services.feedback.export_csv_text, own_sessions(services, visitor)))
if csv_text is not None:
    st.download_button(
        "Download feedback CSV", csv_text, file_name="agent-feedback.csv", mime="text/csv", key="assist_csv"
    )
