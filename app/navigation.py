"""The pages of the web app and which visitors get them: a role's domains decide (pipelines/accounts/roles.py).

An admin gets the documents, medical statistics (aggregates only) and administration pages, never a chat; an
agent the finance chat and agent assist; a clinician the medical chat and the clinical pages; a developer the
code chat and the code page. Pages a visitor does not get are not in the navigation and cannot be opened by
their address (Streamlit's ``st.navigation`` routes only the pages it was given).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.auth import Visitor

__all__ = ["PAGES", "PageSpec", "pages_for", "specs_for"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    """One page and who gets it.

    The single local user gets every page; the admin gets the pages marked ``admin`` or ``admin_only``; any
    other role gets a page with ``domains`` when it may use one of them, one with ``chat`` when it has a
    domain at all, and the rest (no domains, not ``chat``, not ``admin_only``).

    Attributes:
        path: The page script, relative to ``app/``.
        title: The navigation label.
        icon: An emoji.
        domains: The domains the page works in (any one of them is enough).
        chat: The page chats (needs some domain).
        admin: The admin gets it too.
        admin_only: Nobody but the admin (and the single local user) gets it.
    """

    path: str
    title: str
    icon: str
    domains: tuple[str, ...] = ()
    chat: bool = False
    admin: bool = False
    admin_only: bool = False

    def shown_to(self, visitor: Visitor) -> bool:
        """Whether ``visitor`` gets this page."""
        if visitor.user is None:
            return True
        if visitor.role == "admin":
            return self.admin or self.admin_only
        if self.admin_only:
            return False
        if self.domains:
            return any(visitor.may_use(d) for d in self.domains)
        return not self.chat or bool(visitor.domains)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/chat.py", "Chat", "💬", chat=True),
    PageSpec("pages/admin.py", "Administration", "🛡️", admin_only=True),
    PageSpec("pages/agent_assist.py", "Agent assist", "🎧", domains=("finance",)),
    PageSpec("pages/clinical.py", "Clinical record", "🩺", domains=("medical",)),
    PageSpec("pages/medical_stats.py", "Medical statistics", "📊", domains=("medical",), admin=True),
    PageSpec("pages/code.py", "Code", "💻", domains=("code",)),
    PageSpec("pages/documents.py", "Documents", "📚", admin=True),
)


def specs_for(visitor: Visitor) -> list[PageSpec]:
    """The pages ``visitor`` gets, the first being the default page."""
    return [spec for spec in PAGES if spec.shown_to(visitor)]


def pages_for(visitor: Visitor) -> list[st.Page]:
    """The ``st.Page`` objects of :func:`specs_for` (inside a script run only).

    ``.streamlit/config.toml`` sets ``client.showSidebarNavigation = false`` so that while a browser session's
    first run loads the models, Streamlit does not list the files of ``app/pages/`` ("main", "admin", "chat",
    ...); Streamlit reads that option again when ``st.navigation`` is called, so it is turned on here, for the
    navigation of the pages the visitor gets (titles from :data:`PAGES`).
    """
    st.set_option("client.showSidebarNavigation", True)
    return [st.Page(str(_HERE / spec.path), title=spec.title, icon=spec.icon) for spec in specs_for(visitor)]
