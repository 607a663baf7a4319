"""Roles: what a signed-in user may use.

A role decides which domains (and so which pages and API models) a user gets. ``admin`` manages users, keys and
the shared knowledge bases and sees aggregate figures, never conversation content: it gets no domain to chat in.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ROLES", "ROLE_DOMAINS", "Role", "check_role", "domains_for"]

Role = Literal["admin", "agent", "clinician", "developer"]
ROLES: tuple[Role, ...] = ("admin", "agent", "clinician", "developer")

#: The domains each role may chat in, ask, upload to and list documents of.
ROLE_DOMAINS: dict[str, tuple[str, ...]] = {
    "admin": (),
    "agent": ("finance",),
    "clinician": ("medical",),
    "developer": ("code",),
}


def check_role(role: str) -> Role:
    """Return ``role`` if it is one of :data:`ROLES`.

    Raises:
        ValueError: Any other value (the message names the allowed ones).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def domains_for(role: str) -> tuple[str, ...]:
    """The domains ``role`` may use (empty for admin and unknown roles)."""
    return ROLE_DOMAINS.get(role, ())
