"""The flags of an answer's unsupported figures (issue 21 item 2), shown under the answer on the chat page.

The chat page calls :func:`render_unsupported` under each answer: for the answer just streamed with
``result.unsupported`` (:class:`pipelines.chat.claims.Claim` objects), for a stored turn with
``stored_claims(turn.signals)`` (the dicts stored with the turn, :func:`pipelines.chat.claims.stored_claims`), so
the flags are the same after a reload. Nothing is shown when there is no flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from pipelines.chat.claims import KIND_LABELS, Claim, readable

__all__ = ["render_unsupported", "unsupported_lines"]

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|$<>~])")


def _escape(text: str) -> str:
    """``text`` shown literally in Streamlit markdown (``$10 and $6`` is not LaTeX, ``<PHONE_NUMBER>`` not HTML)."""
    return _MARKDOWN.sub(r"\\\1", text)


def unsupported_lines(claims: Sequence[Claim | Mapping[str, Any]]) -> list[str]:
    """One markdown line per flag: ``- amount “£50,001”: amount £50001 is in no passage …`` (escaped).

    Args:
        claims: :class:`pipelines.chat.claims.Claim` objects or their stored dicts (``{kind, text, reason}``).
    """
    lines = []
    for claim in claims:
        data = claim.to_json_dict() if isinstance(claim, Claim) else claim
        kind = KIND_LABELS.get(str(data.get("kind", "")), "figure")
        lines.append(
            f"- {kind} “{_escape(readable(str(data.get('text', ''))))}”: "
            f"{_escape(readable(str(data.get('reason', ''))))}"
        )
    return lines


def render_unsupported(claims: Sequence[Claim | Mapping[str, Any]]) -> None:
    """A warning under an answer listing its figures found in no source, with the reason of each; nothing when
    ``claims`` is empty.

    Args:
        claims: ``ChatResult.unsupported`` for an answer just given, or ``stored_claims(turn.signals)`` for a
            stored turn.
    """
    if not claims:
        return
    count = len(claims)
    head = (
        f"⚠️ **{count} figure{'s' if count > 1 else ''} in this answer {'are' if count > 1 else 'is'} not in "
        "the sources** shown to the model: check before relying on "
        f"{'them' if count > 1 else 'it'}. Invented phone numbers, card numbers and e-mail addresses are "
        "replaced by a marker."
    )
    st.warning("\n".join([head, "", *unsupported_lines(claims)]))
