"""Who is calling: the API key's user, or the single local user when ``auth.mode`` is ``none``."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from api.errors import Forbidden
from pipelines.accounts import AccountStore, AuthError

__all__ = ["Principal", "authenticate"]


@dataclass(frozen=True)
class Principal:
    """The caller of a request.

    Attributes:
        user: The user name; None in single-user mode (``auth.mode: none``), where every session is the caller's.
        role: The user's role ("" in single-user mode).
        domains: The domains the caller may use; None = every domain.
        key_name: The API key used ("" in single-user mode); the rate limit is per key.
    """

    user: str | None
    role: str
    domains: tuple[str, ...] | None
    key_name: str

    def may_use(self, domain: str) -> bool:
        """Whether the caller may chat in, ask or read ``domain``."""
        return self.domains is None or domain in self.domains

    def check_domain(self, domain: str | None) -> None:
        """Refuse a named domain the caller may not use (None, "" and "auto" name none).

        Raises:
            Forbidden: The role may not use ``domain``.
        """
        if domain not in (None, "", "auto") and not self.may_use(domain):
            raise Forbidden(f"the role {self.role!r} may not use the domain {domain!r}")

    def chat_domain(self, domain: str) -> str:
        """The domain a chat request runs in: ``domain`` if allowed; for ``auto``, the role's only domain when it
        has one (else ``auto``: routed).

        Raises:
            Forbidden: The role may not use ``domain``, or does not chat at all (admin).
        """
        self.check_domain(domain)
        if domain in ("", "auto") and self.domains is not None:
            if not self.domains:
                raise Forbidden(f"the role {self.role!r} does not chat")
            if len(self.domains) == 1:
                return self.domains[0]
        return domain

    def session_for(self, client_label: str, secret: bytes) -> str:
        """A session id for a client's own label (the OpenAI ``user`` field): HMAC-SHA256 of the caller and the
        label, so the label (often an e-mail address) is never stored and two callers' labels never meet."""
        digest = hmac.new(secret, f"{self.user}\x00{client_label}".encode(), hashlib.sha256).hexdigest()
        return f"u{digest[:31]}"


LOCAL = Principal(user=None, role="", domains=None, key_name="")


def authenticate(authorization: str | None, accounts: AccountStore | None) -> Principal:
    """The principal of a request's ``Authorization`` header.

    Args:
        authorization: The header's value (``Bearer <key>``), or None.
        accounts: The account store when ``auth.mode`` is ``local``; None in single-user mode (no key needed).

    Raises:
        AuthError: Local auth and the header is missing, not a Bearer key, or the key is refused.
    """
    if accounts is None:
        return LOCAL
    if not authorization:
        raise AuthError("missing API key: send the header 'Authorization: Bearer <key>'")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthError("the Authorization header must be 'Bearer <key>'")
    user, record = accounts.authenticate(key)
    return Principal(user=user.name, role=user.role, domains=user.domains, key_name=record.name)
