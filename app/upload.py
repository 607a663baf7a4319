"""Document upload (the chat sidebar and the Documents page): a progress bar and a report per file.

Who adds what: the admin (and the single local user) adds to a domain's shared knowledge base; any other
signed-in user adds private documents, retrieved only for them.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.auth import Visitor
from app.privacy_view import render_report
from app.state import guarded
from pipelines.services import Services

__all__ = ["render_upload"]


#: ``st.session_state`` key of the domain the visitor last chose or uploaded into (kept across pages).
LAST_DOMAIN_KEY = "upload_last_domain"


def render_upload(
    services: Services,
    visitor: Visitor,
    domains: list[str],
    key: str = "upload",
    default: str | None = None,
) -> None:
    """Draw the uploader for ``domains`` (the visitor's own) and ingest the chosen files when asked.

    The target domain offered first is the one the visitor last chose or uploaded into (this browser session),
    else ``default`` (the sidebar passes the pinned domain or the one the conversation was routed to), else the
    first of ``domains``.

    Args:
        services: The composition root.
        visitor: Who uploads; decides shared (admin, single user) or private (everyone else).
        domains: The domains offered as targets (none: nothing is drawn).
        key: Prefix of the widgets' keys (two uploaders on one page need two).
        default: The domain to offer when the visitor has not chosen one yet (None or not offered: the first).
    """
    if not domains:
        return
    state = st.session_state
    widget = f"{key}_domain"
    chosen = state.get(LAST_DOMAIN_KEY)
    if chosen in domains:  # the visitor's own choice, also after another page dropped the widget's state
        if state.get(widget) not in domains:
            state[widget] = chosen
    elif default in domains:  # not chosen yet: follow the default (it changes as questions are routed)
        state[widget] = default
    elif state.get(widget) not in domains:
        state[widget] = domains[0]

    def remember() -> None:
        state[LAST_DOMAIN_KEY] = state[widget]

    target = st.selectbox(
        "Into domain",
        domains,
        key=widget,
        on_change=remember,
        format_func=lambda d: services.domains[d].title,
    )
    owner = visitor.upload_owner
    if owner is not None:
        st.caption("Private: retrieved only for you.")
    files = st.file_uploader(
        "Files",
        accept_multiple_files=True,
        key=f"{key}_files",
        help=f"PDF, DOCX, HTML, Markdown, TXT, CSV, source code; up to "
        f"{services.settings.ingest.max_file_mb:g} MiB each",
    )
    if not (files and st.button("Ingest", type="primary", key=f"{key}_ingest")):
        return
    for upload in files:
        bar = st.progress(0.0, text=f"{upload.name}: reading")

        def progress(stage: str, fraction: float, bar=bar, name=upload.name) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{name}: {stage}")

        report = guarded(
            partial(
                services.ingestion.ingest_bytes, target, upload.name, upload.getvalue(), progress, owner=owner
            )
        )
        bar.empty()
        if report is None:
            continue
        state[LAST_DOMAIN_KEY] = target
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


def _chunks(count: int) -> str:
    return f"{count} chunk" + ("" if count == 1 else "s")
