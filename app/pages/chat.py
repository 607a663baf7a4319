"""Chat page: routed, de-identified RAG chat with streaming, sources, reasoning and an upload sidebar; a
signed-in user sees and continues only their own conversations, in their role's domains."""

from __future__ import annotations

import itertools
import re

import streamlit as st

from app.auth import claim_session, page_visitor
from app.claims_view import render_unsupported
from app.sidebar import refresh_after_answer, render_sidebar
from app.state import get_services, guarded
from pipelines.chat.citations import citation_sentences
from pipelines.chat.claims import stored_claims
from pipelines.chat.pipeline import ChatResult
from pipelines.chat.routing import UnsureRouteError
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


#: Characters of a passage shown under an answer (the stored passage is whole).
PASSAGE_CHARS = 800
#: Markdown syntax at the start of a line, dropped so that a passage reads as plain text: heading and quote
#: marks; list bullets become "•"; table rules and code fences are dropped whole.
_LINE_SYNTAX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?)")
_BULLET = re.compile(r"^\s*[-*+]\s+(?=\S)")
_RULE_OR_FENCE = re.compile(r"^\s*(?:```.*|~~~.*|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*|[-*_=]{3,})$")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
#: Characters Streamlit's Markdown would act on anywhere in a line (HTML, emphasis, code, links, LaTeX,
#: tables, strikethrough); escaped with a backslash so that they show as written.
_ACTIVE = re.compile(r"([\\`*_\[\]<>$|~#{}])")
#: A line that would start a numbered list or a heading underline: its punctuation is escaped too.
_LINE_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+=])")


def passage_markdown(text: str, limit: int = PASSAGE_CHARS) -> str:
    """A source passage as plain quoted text for ``st.markdown``: its Markdown is not rendered.

    Markdown syntax that only formats (heading marks, ``**bold**``, list bullets, quote marks, table rules,
    code fences, link targets in brackets) is dropped so the passage reads as text ("# Fees" shows "Fees",
    ``[the tariff](fees.md)`` shows "the tariff (fees.md)"); every character Markdown, HTML or LaTeX would still
    act on is escaped, so ``<PERSON>``, ``$5`` or ``a|b`` show as written. Lines keep their breaks, in a quote
    block. The passage is cut at ``limit`` characters (with "…").
    """
    cut = text if len(text) <= limit else text[:limit].rstrip() + "…"
    lines = []
    for raw in cut.splitlines():
        if _RULE_OR_FENCE.match(raw):
            continue
        line = _BULLET.sub("• ", _LINE_SYNTAX.sub("", raw))
        line = _EMPHASIS.sub(
            r"\2", _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), line)
        )
        line = line.replace("`", "")
        line = _ACTIVE.sub(r"\\\1", line)
        line = _LINE_START.sub(
            lambda m: (
                (m.group(1) or m.group(4) or "")
                + (f"{m.group(2)}\\{m.group(3)}" if m.group(2) else f"\\{m.group(5)}")
            ),
            line,
        )
        lines.append(line.strip())
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(f"> {line}  " if line else ">" for line in lines) or "> (empty passage)"


def show_passage(source: dict) -> None:
    """The passage of one stored source: code as code, other text as plain quoted text (:func:`passage_markdown`);
    a turn stored before passages were kept says so."""
    text = source.get("text")
    if text is None:
        st.caption(
            "Passage not stored: this answer was saved before passages were kept with the conversation."
        )
    elif source.get("start_line") is not None:
        st.code(text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS] + "…", language=None)
    else:
        st.markdown(passage_markdown(text))


def show_sources(sources: list[dict], answer: str) -> None:
    """Render the numbered sources with their citation checks and passages (``source_records`` dicts, as stored
    with the turn) under an answer.

    ``answer`` is the displayed answer: the cited sentences shown are taken from it, so they carry the user's
    values like the answer does; the stored check results are de-identified.
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
            show_passage(s)


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


def domain_title(name: str) -> str:
    """A domain's title as the sidebar and the Documents page name it ("Bank customer service"); the stored
    name when the domain is no longer configured."""
    return services.domains.domain(name).title if name in services.domains else name


def show_turn(turn: StoredTurn, rating: str | None) -> None:
    """Render a stored turn with its thumbs (``rating``: the stored one, or None)."""
    with st.chat_message("user"):
        st.markdown(turn.question)
        caption = masked_caption(masked_of(turn))
        if caption:
            st.caption(caption)
    with st.chat_message("assistant"):
        if turn.signals and turn.signals.get("escalation"):
            st.error(turn.signals["escalation"], icon="🚨")
        st.markdown(turn.answer or "_(no answer)_")
        st.caption(turn_line(turn))
        show_turn_footer(turn, rating)


def masked_of(turn: StoredTurn) -> dict[str, int]:
    """What was masked in ``turn``'s question (entity type -> count): stored with the turn's signals, or kept by
    this browser session for turns stored before that."""
    stored = (turn.signals or {}).get("masked")
    return dict(stored) if stored else masked_by_turn.get(f"{choice.session_id}:{turn.position}", {})


def turn_line(turn: StoredTurn) -> str:
    """The line under a turn's answer: domain, routing confidence, backend and model, intent and risk."""
    flags = signals_line(turn.signals)
    return (
        f"🧭 {domain_title(turn.domain)} · confidence {turn.route_confidence:.2f} · {turn.backend} · {turn.model}"
        + (f" · {flags}" if flags else "")
    )


def show_turn_footer(turn: StoredTurn, rating: str | None) -> None:
    """What follows a turn's answer, live and when the conversation is reopened alike: the flags of figures
    found in no passage (stored with the turn's signals), the domain's disclaimer, the sources with their
    passages (as stored with the turn), the thumbs."""
    render_unsupported(stored_claims(turn.signals))
    if turn.domain in services.domains and (disclaimer := services.domains.domain(turn.domain).disclaimer):
        st.caption(disclaimer)
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
asked_domain = choice.domain
if not question and (picked := st.session_state.pop("unsure_question", None)):
    question, asked_domain = picked  # the user chose a domain for a question the router was unsure about
if question and not claim_session(services, visitor, choice.session_id):
    st.error("This conversation is not yours: start a new chat.")  # not reached: ids are random and owned
    st.stop()
if question:
    with st.chat_message("user"):
        question_slot = st.empty()
        question_slot.markdown(question)
        masked_slot = st.empty()
    with st.chat_message("assistant"):
        notice_slot = st.empty()
        meta_slot = st.empty()
        answer_slot = st.empty()
        holder: dict[str, ChatResult] = {}
        unsure: list[UnsureRouteError] = []
        reasoning: list[str] = []

        def answer_stream():  # wiring: forward answer text, keep reasoning and the result
            events = services.chat.stream(
                question,
                choice.session_id,
                asked_domain,
                choice.backend,
                list(choice.documents) or None,
                owner=visitor.user,
            )
            try:
                first = next(events)
            except UnsureRouteError as error:  # nothing was stored: ask the user to pick the domain
                unsure.append(error)
                return
            for event in itertools.chain([first], events):
                if event.kind == "meta" and event.data is not None:
                    if masked := masked_caption(event.data.masked):
                        masked_slot.caption(masked)
                    if event.data.signals.notice:
                        notice_slot.error(event.data.signals.notice, icon="🚨")
                    flags = signals_line(event.data.signals)
                    meta_slot.caption(
                        f"🧭 {domain_title(event.data.domain)} · confidence {event.data.route_confidence:.2f} · "
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

        with answer_slot.container():
            guarded(lambda: st.write_stream(answer_stream()))
        if unsure:
            decision = unsure[0].decision
            answer_slot.warning(
                "I am not sure which domain this question is about"
                + (" (it may be about none of them)" if decision.out_of_domain >= decision.confidence else "")
                + ". Choose one to answer it from:",
                icon="🧭",
            )
            ranked = sorted(decision.scores, key=lambda name: -decision.scores[name])
            for column, name in zip(st.columns(len(ranked)), ranked, strict=True):
                # a callback: it runs before the next script run, which then asks the question in that domain
                column.button(
                    f"{domain_title(name)} ({decision.scores[name]:.0%})",
                    key=f"unsure-{name}",
                    on_click=st.session_state.__setitem__,
                    args=("unsure_question", (question, name)),
                )
        result = holder.get("result")
        if result is not None:
            # the turn as stored, shown by the one function a reopened conversation uses
            # (Conversations.transcript): what the user sees now is what comes back
            answered = result.session_id
            stored = guarded(lambda: services.conversations.transcript(answered, services.domains, last=1))
            turn = stored[-1] if stored else None
            if turn is not None:
                question_slot.markdown(turn.question)
                answer_slot.markdown(turn.answer or "_(no answer)_")
                meta_slot.empty()  # the line moves under the answer, where a reopened conversation shows it
                st.caption(turn_line(turn))
            if result.reasoning:
                with st.expander("Reasoning"):
                    st.markdown(result.reasoning)
            if turn is not None:
                show_turn_footer(turn, None)
            refresh_after_answer(choice, services)  # a new chat's first turn: list it in the sidebar now
