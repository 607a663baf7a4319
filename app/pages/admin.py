"""Administration page (the admin only): users with their role and counts of their conversations and keys, and
the size of each knowledge base. Counts only: an admin never sees a conversation's text or title. Users and keys
are managed with ``assistant users`` and ``assistant keys`` (README, "Accounts")."""

from __future__ import annotations

import streamlit as st

from app.auth import page_visitor
from app.state import get_services, guarded

services = get_services()
visitor = page_visitor(services)
if not visitor.manages_shared:
    st.error("This page is for administrators.")
    st.stop()
st.title("Administration")
if visitor.user is None:
    st.info(
        "Single-user mode (auth.mode none): there are no accounts. Set ASSISTANT_AUTH__MODE=local and create "
        "an admin with `assistant users add NAME --role admin` to serve a team."
    )
else:
    turns = {info.id: info.turns for info in guarded(services.conversations.sessions) or []}
    rows = []
    for user in guarded(services.accounts.users) or []:
        owned = services.accounts.sessions_of(user.name)
        rows.append(
            {
                "user": user.name,
                "role": user.role,
                "status": "disabled" if user.disabled else "active",
                "created": user.created_at,
                "conversations": sum(1 for sid in owned if sid in turns),
                "turns": sum(turns.get(sid, 0) for sid in owned),
                "API keys": len(services.accounts.keys(user.name)),
            }
        )
    st.subheader(f"Users ({len(rows)})")
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(
        "Add, disable or erase users with `assistant users add|disable|passwd|erase`; "
        "keys with `assistant keys create|list|revoke`."
    )
st.subheader("Knowledge bases")
st.dataframe(
    [{"domain": services.domains[name].title, "chunks": count} for name, count in services.status().items()],
    hide_index=True,
    width="stretch",
)
