"""Privacy displays shared by the pages: the policy panel and an ingestion report table (counts only)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipelines.chat.transparency import entity_label, policy_view, report_rows
from pipelines.services import Services

__all__ = ["OPERATOR_WORDS", "SINK_WORDS", "policy_groups", "render_policy_panel", "render_report"]


#: Short words for the policy panel (the sidebar is narrow): where text goes, and what happens to a value there.
SINK_WORDS = {
    "prompt": "model",
    "memory": "history",
    "index": "documents",
    "logs": "logs",
    "display": "shown to you",
}
OPERATOR_WORDS = {
    "pseudonymize": "placeholder",
    "keep": "kept",
    "hash": "hashed",
    "restore": "restored",
    "redact": "removed",
    "mask_last4": "last 4 shown",
    "date_shift": "date shifted",
    "drop": "left out",
}


def policy_groups(rows: list[dict[str, Any]]) -> list[tuple[list[str], str, str]]:
    """The policy rows grouped by how they are treated, for a narrow panel.

    Args:
        rows: :attr:`pipelines.chat.transparency.PolicyView.rows`.

    Returns:
        ``(entity labels, thresholds, treatment)`` per group, most entities first: e.g.
        ``(["person", "place"], "from score 0.4", "model placeholder · history placeholder · …")``.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        treatment = " · ".join(
            f"{SINK_WORDS.get(sink, sink)} {OPERATOR_WORDS.get(str(op), str(op))}"
            for sink, op in _sinks(row).items()
        )
        groups.setdefault(treatment, []).append(row)
    out = []
    for treatment, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        scores = sorted({float(m["score_threshold"]) for m in members})
        threshold = (
            f"from score {scores[0]:g}" if len(scores) == 1 else f"from score {scores[0]:g}–{scores[-1]:g}"
        )
        out.append(([entity_label(str(m["entity"])) for m in members], threshold, treatment))
    return out


def render_policy_panel(services: Services, domain: str) -> None:
    """An expander explaining the PII policy in force for ``domain`` (``auto`` = the union policy), readable
    in the sidebar: the types grouped by how they are treated, in short words, with the meanings below."""
    view = policy_view(services.domains, domain)
    name = "all domains, before routing" if domain in ("", "auto") else services.domains[domain].title
    with st.expander(f"🔒 Privacy policy: {name}"):
        st.caption(view.note)
        for labels, threshold, treatment in policy_groups(view.rows):
            st.markdown(f"**{', '.join(labels)}** ({threshold})  \n{treatment}")
        st.markdown("**Where text goes**")
        st.markdown(
            "\n".join(f"- {SINK_WORDS.get(sink, sink)}: {meaning}" for sink, meaning in view.sinks.items())
        )
        st.markdown("**What happens to a value found there**")
        st.markdown(
            "\n".join(f"- {OPERATOR_WORDS.get(op, op)}: {meaning}" for op, meaning in view.operators.items())
        )
        st.caption(
            "score: the minimum detection score (0 to 1) for a value to be treated as this type. "
            "Detection lowers the risk; it does not remove it."
        )


def _sinks(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in ("entity", "score_threshold")}


def render_report(name: str, report: dict[str, Any], status: str = "") -> None:
    """A small table of what de-identifying one document found (types and counts, never values)."""
    rows = report_rows(report)
    risk = f"risk {float(report['risk']):.2f}" if "risk" in report else "no report"
    recognizers = ", ".join(f"{k} {v}" for k, v in sorted(dict(report.get("recognizers", {})).items()))
    st.caption(
        f"**{name}** · {status + ' · ' if status else ''}{risk}"
        + (f" · by {recognizers}" if recognizers else "")
    )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No personal data found.")
