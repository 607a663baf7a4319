"""Accounts: local users with roles, API keys, and who owns which conversation (issue 18)."""

from pipelines.accounts.erasure import UserErasureReceipt, erase_user
from pipelines.accounts.roles import ROLE_DOMAINS, ROLES, check_role, domains_for
from pipelines.accounts.store import (
    MIN_PASSWORD_CHARS,
    AccountError,
    AccountStore,
    ApiKey,
    AuthError,
    CreatedKey,
    User,
)

__all__ = [
    "MIN_PASSWORD_CHARS",
    "ROLES",
    "ROLE_DOMAINS",
    "AccountError",
    "AccountStore",
    "ApiKey",
    "AuthError",
    "CreatedKey",
    "User",
    "UserErasureReceipt",
    "check_role",
    "domains_for",
    "erase_user",
]
