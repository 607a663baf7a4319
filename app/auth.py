"""Who is using the web app: sign-in with a local account, the visitor's role and domains, session ownership.

``auth.mode`` decides (README, "Accounts"):

- ``none`` (default): one local user, no sign-in, as before accounts existed; the app then serves only on a
  loopback address and refuses any other with a message saying what to configure.
- ``local``: a sign-in form (user name and password, checked by :meth:`pipelines.accounts.AccountStore.sign_in`:
  argon2 hashes, a lockout after repeated failures); the user's role decides the pages and domains they get,
  and each user sees only the conversations they own.
- ``oidc``: not available in this version (the page says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from pipelines import USER_FACING_ERRORS
from pipelines.accounts import AccountError, AuthError
from pipelines.core.serving import check_bind
from pipelines.services import Services

__all__ = [
    "LOCAL",
    "Visitor",
    "claim_session",
    "current_visitor",
    "own_sessions",
    "page_visitor",
    "sign_in",
    "sign_out",
]

_USER_KEY = "signed_in_user"


@dataclass(frozen=True)
class Visitor:
    """The person using this browser session.

    Attributes:
        user: The signed-in user name; None in single-user mode (``auth.mode: none``).
        role: ``admin``, ``agent``, ``clinician`` or ``developer`` ("" in single-user mode).
        domains: The domains the role chats in and reads; None = every domain (single-user mode).
    """

    user: str | None
    role: str
    domains: tuple[str, ...] | None

    def may_use(self, domain: str) -> bool:
        """Whether the visitor may chat in, read or upload to ``domain``."""
        return self.domains is None or domain in self.domains

    @property
    def manages_shared(self) -> bool:
        """Whether the visitor manages the shared knowledge bases (the admin, or the single local user)."""
        return self.user is None or self.role == "admin"

    @property
    def upload_owner(self) -> str | None:
        """The owner of what the visitor adds: None (shared) for who manages the shared knowledge bases, else the
        user (private: retrieved only for them)."""
        return None if self.manages_shared else self.user

    def usable(self, domains: list[str]) -> list[str]:
        """Those of ``domains`` the visitor may use, in order."""
        return [d for d in domains if self.may_use(d)]


#: The single local user of ``auth.mode: none``.
LOCAL = Visitor(user=None, role="", domains=None)


def sign_in(services: Services, entry: bool = False) -> Visitor:
    """The visitor of this browser session; draws the sign-in form and stops the script until they sign in.

    In single-user mode it checks the address the app serves on (:func:`pipelines.core.serving.check_bind`)
    and stops with a message when that is not a loopback address. A signed-in user who has since been disabled
    or erased is signed out.

    Args:
        services: The composition root.
        entry: Called by the entry point (``app/main.py``): what it shows instead of the pages (the form, the
            refusal) is then the only, hidden, page of the navigation, so no page of an earlier visitor and no
            page file is listed. Pages call it with False (a page cannot set the navigation).
    """
    mode = services.settings.auth.mode
    if mode != "local":
        try:
            check_bind(str(st.get_option("server.address") or ""), mode, setting="ASSISTANT_AUTH__MODE=local")
        except USER_FACING_ERRORS as exc:
            message = str(exc)
            _only(lambda: st.error(message), "Not served", entry)
        return LOCAL
    visitor = current_visitor(services)
    if visitor is not None:
        return visitor
    _only(lambda: _sign_in_form(services), "Sign in", entry)
    raise AssertionError("not reached: _only stops the script run")


def _only(draw: Callable[[], object], title: str, entry: bool) -> None:
    """Draw ``draw`` as the only page (hidden navigation) at the entry point, or in place in a page; then stop."""
    if entry:

        def page() -> None:
            draw()

        st.navigation([st.Page(page, title=title, url_path="sign-in")], position="hidden").run()
    else:
        draw()
    st.stop()


def current_visitor(services: Services) -> Visitor | None:
    """The visitor of this browser session: :data:`LOCAL` without accounts, the signed-in (enabled) user with
    them, or None when nobody is signed in."""
    if services.settings.auth.mode != "local":
        return LOCAL
    name = st.session_state.get(_USER_KEY)
    if not name:
        return None
    try:
        user = services.accounts.user(name)
    except AccountError:  # erased meanwhile
        sign_out()
        return None
    if user.disabled:
        sign_out()
        return None
    return Visitor(user=user.name, role=user.role, domains=user.domains)


def page_visitor(services: Services, domain: str | None = None) -> Visitor:
    """The visitor, for a page's script: :func:`sign_in` again, so that every page enforces it on its own
    (also a page run without ``app/main.py``, as Streamlit's AppTest does on reruns); a signed-in user gets
    their name and a "Sign out" button in the sidebar. With ``domain``, a visitor whose role may not use it
    is stopped with a message (the navigation already hides such pages)."""
    visitor = sign_in(services)
    if domain is not None and not visitor.may_use(domain):
        st.error(f"This page is for the {domain} domain, which your role ({visitor.role}) does not use.")
        st.stop()
    if visitor.user is not None:
        with st.sidebar:
            st.caption(f"Signed in as **{visitor.user}** ({visitor.role})")
            st.button("Sign out", on_click=sign_out, key="sign_out")
    return visitor


def sign_out() -> None:
    """Forget the signed-in user and everything this browser session held (the open conversation, results)."""
    for key in list(st.session_state):
        del st.session_state[key]


def own_sessions(services: Services, visitor: Visitor) -> set[str] | None:
    """The session ids the visitor owns; None = every session (single-user mode)."""
    if visitor.user is None:
        return None
    return services.accounts.sessions_of(visitor.user)


def claim_session(services: Services, visitor: Visitor, session_id: str) -> bool:
    """Make the visitor the owner of ``session_id`` (before its first turn, or after a skill created it);
    True when the visitor owns it, False when another user does (then the page must not use it)."""
    if visitor.user is None:
        return True
    return services.accounts.claim_session(session_id, visitor.user)


def _sign_in_form(services: Services) -> None:
    st.title("Sign in")
    st.caption("Accounts are created by an administrator with `assistant users add NAME --role ROLE`.")
    with st.form("sign_in"):
        name = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        user = services.accounts.sign_in(name, password)
    except AuthError as exc:
        st.error(str(exc))
        return
    sign_out()  # nothing of an earlier visitor survives into this one's session
    st.session_state[_USER_KEY] = user.name
    st.rerun()
