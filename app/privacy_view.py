"""Privacy displays shared by the pages: the policy panel and an ingestion report table (counts only)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipelines.chat.transparency import policy_view, report_rows
from pipelines.services import Services

__all__ = ["render_policy_panel", "render_report"]


def render_policy_panel(services: Services, domain: str) -> None:
    """An expander explaining the PII policy in force for ``domain`` (``auto`` = the union policy)."""
    view = policy_view(services.domains, domain)
    with st.expander(f"🔒 Privacy policy: {view.name}"):
        st.caption(view.note)
        st.dataframe(
            [
                {"entity": row["entity"], "threshold": row["score_threshold"], **_sinks(row)}
                for row in view.rows
            ],
            hide_index=True,
            width="stretch",
        )
        st.markdown("**Where text goes (columns)**")
        st.markdown("\n".join(f"- `{sink}`: {meaning}" for sink, meaning in view.sinks.items()))
        st.markdown("**What happens to a value found there**")
        st.markdown("\n".join(f"- `{op}`: {meaning}" for op, meaning in view.operators.items()))
        st.caption(
            "threshold: the minimum detection score (0 to 1) for a value to be treated as this type. "
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
