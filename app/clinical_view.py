"""The clinical record view's displays: a de-identified note with its entities highlighted."""

from __future__ import annotations

import html
from collections.abc import Sequence

import streamlit as st

from pipelines.chat.transparency import placeholder_spans
from pipelines.skills.medical.lexicon import MedicalEntity

__all__ = ["ENTITY_COLOURS", "highlighted_html", "render_highlighted"]

#: Background colour per entity type (and for the note's placeholders).
ENTITY_COLOURS = {"DISEASE": "#fde2e1", "CHEMICAL": "#dcecfb", "PLACEHOLDER": "#eeeeee"}


def _mark(text: str, kind: str) -> str:
    colour = ENTITY_COLOURS[kind]
    title = "" if kind == "PLACEHOLDER" else f' title="{kind}"'
    return (
        f'<mark style="background:{colour};padding:0 2px;border-radius:3px"{title}>{html.escape(text)}</mark>'
    )


def highlighted_html(text: str, entities: Sequence[MedicalEntity]) -> str:
    """``text`` as escaped HTML with each entity (and each de-identification placeholder) in a coloured
    ``<mark>``; line breaks kept. Overlapping entities are skipped after the first."""
    parts: list[str] = []
    position = 0

    def plain(chunk: str) -> None:
        last = 0
        for start, end in placeholder_spans(chunk):
            parts.append(html.escape(chunk[last:start]))
            parts.append(_mark(chunk[start:end], "PLACEHOLDER"))
            last = end
        parts.append(html.escape(chunk[last:]))

    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        if entity.start < position:
            continue
        plain(text[position : entity.start])
        parts.append(_mark(text[entity.start : entity.end], entity.label))
        position = entity.end
    plain(text[position:])
    body = "".join(parts).replace("\n", "<br>")
    return f'<div style="line-height:1.7;font-family:sans-serif">{body}</div>'


def render_highlighted(text: str, entities: Sequence[MedicalEntity]) -> None:
    """Show the note with a legend."""
    legend = (
        " ".join(_mark(label.lower(), label) for label in ("DISEASE", "CHEMICAL"))
        + " "
        + _mark("<masked identifier>", "PLACEHOLDER")
    )
    st.html(
        f"<div style='font-size:0.85em;margin-bottom:4px'>{legend}</div>" + highlighted_html(text, entities)
    )
