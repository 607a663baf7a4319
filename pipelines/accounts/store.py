"""Local accounts, API keys and who owns which conversation, in ``<data_dir>/accounts.sqlite3``.

- Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher`` defaults: RFC 9106's second recommended
  parameter set, 64 MiB, 3 passes); only the hash is stored.
- An API key is ``ak_<prefix>_<secret>``: an 8-hex-digit prefix (shown in lists, used to find the key) and 32
  random bytes (URL-safe base64). It is shown once; the store keeps only HMAC-SHA256 of the whole key under the
  data dir's ``accounts.secret`` (32 random bytes, mode 0600), so a copy of the database alone cannot be used to
  test guesses, and keys are compared in constant time.
- A conversation belongs to the user who started it (``session_owners``); another user's session id answers
  as not found.

The tables (``users``, ``api_keys``, ``session_owners``; schema by the ``accounts`` migrations of
:mod:`pipelines.core.migrations`) live in that SQLite file (:func:`pipelines.core.sql.sqlite_engine`: WAL, busy
timeout, ``BEGIN IMMEDIATE``) or in the shared database of ``database.url``. Every insert-if-absent (a user, a
key, a session's owner) is decided by the primary key, so two replicas racing for one name or one session get
one winner and one clear answer. The sign-in throttle counts failures in the memory of each process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Engine, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipelines.accounts.roles import check_role, domains_for
from pipelines.accounts.throttle import SignInThrottle
from pipelines.core.errors import AssistantError
from pipelines.core.sql import sqlite_engine, upgrade_schema

__all__ = [
    "MIN_PASSWORD_CHARS",
    "AccountError",
    "AccountStore",
    "ApiKey",
    "AuthError",
    "CreatedKey",
    "User",
]

#: Shortest password accepted (NIST SP 800-63B section 5.1.1.2 asks for at least 8; we ask 12).
MIN_PASSWORD_CHARS = 12
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_KEY = re.compile(r"ak_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")


class AccountError(AssistantError):
    """A user or key that does not exist, already exists, or is malformed; a password that is too short."""


class AuthError(AssistantError):
    """A request without valid credentials: missing, unknown, revoked or expired key, or a disabled user."""


@dataclass(frozen=True)
class User:
    """A local account.

    Attributes:
        name: Lower-case login name.
        role: admin|agent|clinician|developer (:mod:`pipelines.accounts.roles`).
        disabled: A disabled user can neither sign in nor use keys.
        created_at: ISO 8601 UTC.
    """

    name: str
    role: str
    disabled: bool
    created_at: str

    @property
    def domains(self) -> tuple[str, ...]:
        """The domains this user's role may use."""
        return domains_for(self.role)

    def to_json_dict(self) -> dict[str, object]:
        """``{name, role, disabled, created_at, domains}``."""
        return {
            "name": self.name,
            "role": self.role,
            "disabled": self.disabled,
            "created_at": self.created_at,
            "domains": list(self.domains),
        }


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (never the key itself): its name, owner, visible prefix and dates (ISO 8601 UTC)."""

    name: str
    user: str
    prefix: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    def to_json_dict(self) -> dict[str, object]:
        """``{name, user, prefix, created_at, expires_at, revoked_at}``."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class CreatedKey:
    """A new key: the secret ``key`` (shown once) and its stored record."""

    key: str
    record: ApiKey

    def to_json_dict(self) -> dict[str, object]:
        """``{key, prefix, name, user, created_at, expires_at, revoked_at}``."""
        return {"key": self.key, **self.record.to_json_dict()}


class _Base(DeclarativeBase):
    pass


class _UserRow(_Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(40))


class _KeyRow(_Base):
    __tablename__ = "api_keys"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), index=True)
    prefix: Mapped[str] = mapped_column(String(8), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class _OwnerRow(_Base):
    __tablename__ = "session_owners"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), index=True)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def check_name(name: str, what: str = "user name") -> str:
    """``name`` lower-cased, if it is 1-64 characters of ``a-z 0-9 . _ -`` starting with a letter or digit.

    Raises:
        AccountError: Anything else.
    """
    folded = name.strip().lower()
    if not _NAME.fullmatch(folded):
        raise AccountError(
            f"invalid {what} {name!r}: use 1-64 of a-z 0-9 . _ - (starting with a letter or digit)"
        )
    return folded


class AccountStore:
    """Users, API keys and session owners of one data dir (thread-safe; one instance per data dir)."""

    def __init__(self, where: Path | Engine, secret: bytes) -> None:
        """Open the store, creating or upgrading its tables (:func:`pipelines.core.sql.upgrade_schema`).

        Args:
            where: The SQLite file (``<data_dir>/accounts.sqlite3``), created when missing, or an engine of the
                shared database (:func:`pipelines.core.sql.database_engine`).
            secret: The key of the API keys' HMAC (``<data_dir>/accounts.secret``); replicas sharing a database
                must share it too.

        Raises:
            pipelines.core.errors.DatabaseError: The database cannot be reached.
        """
        self.path: Path | None = None if isinstance(where, Engine) else where
        self._secret = secret
        self._engine = where if isinstance(where, Engine) else sqlite_engine(where)
        upgrade_schema(self._engine, "accounts")
        self._hasher = PasswordHasher()
        self.throttle = SignInThrottle()

    # users ---------------------------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str | None = None) -> User:
        """Create a user.

        Raises:
            AccountError: Bad name, unknown role, a password under :data:`MIN_PASSWORD_CHARS`, or the name is
                taken.
        """
        name = check_name(name)
        try:
            role = check_role(role)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        hashed = self._hash(password) if password is not None else None
        taken = AccountError(f"user {name!r} already exists")
        try:
            with Session(self._engine) as db, db.begin():
                if db.get(_UserRow, name) is not None:
                    raise taken
                row = _UserRow(
                    name=name, role=role, password_hash=hashed, disabled=False, created_at=_now().isoformat()
                )
                db.add(row)
                user = _user(row)
        except IntegrityError:
            raise taken from None  # created by another process between the read and the insert
        return user

    def users(self) -> list[User]:
        """Every user, by name."""
        with Session(self._engine) as db:
            return [_user(row) for row in db.scalars(select(_UserRow).order_by(_UserRow.name))]

    def user(self, name: str) -> User:
        """The user called ``name``.

        Raises:
            AccountError: No such user.
        """
        with Session(self._engine) as db:
            row = _user_row(db, name)
            return _user(row)

    def has_admin(self) -> bool:
        """Whether an enabled admin exists."""
        return any(u.role == "admin" and not u.disabled for u in self.users())

    def disable(self, name: str) -> User:
        """Disable ``name``: no sign-in, every key refused (the keys stay listed).

        Raises:
            AccountError: No such user.
        """
        return self._set_disabled(name, True)

    def enable(self, name: str) -> User:
        """Enable ``name`` again: sign-in and the user's unrevoked, unexpired keys work again.

        Raises:
            AccountError: No such user.
        """
        return self._set_disabled(name, False)

    def _set_disabled(self, name: str, disabled: bool) -> User:
        with Session(self._engine) as db, db.begin():
            row = _user_row(db, name)
            row.disabled = disabled
            return _user(row)

    def set_password(self, name: str, password: str) -> None:
        """Set ``name``'s password.

        Raises:
            AccountError: No such user, or the password is too short.
        """
        hashed = self._hash(password)
        with Session(self._engine) as db, db.begin():
            row = _user_row(db, name)
            row.password_hash = hashed

    def sign_in(self, name: str, password: str) -> User:
        """The enabled user ``name`` if ``password`` is theirs.

        Raises:
            AuthError: Unknown user, wrong password, no password set, or disabled (one message for all, so a
                caller cannot probe which names exist); or the name is locked after failed attempts
                (:class:`pipelines.accounts.throttle.SignInThrottle`).
        """
        refused = AuthError("wrong user name or password")
        wait = self.throttle.attempt(name)
        if wait > 0:
            raise AuthError(
                f"too many failed sign-ins for this name: try again in {max(1, round(wait / 60))} minutes"
            )
        user = self._verify(name, password, refused)  # a failure stays counted
        self.throttle.succeeded(name)
        return user

    def _verify(self, name: str, password: str, refused: AuthError) -> User:
        with Session(self._engine) as db:
            row = db.get(_UserRow, name.strip().lower())
            if row is None or row.password_hash is None or row.disabled:
                self._hasher.hash(
                    "a password to spend the same time"
                )  # no timing difference for unknown users
                raise refused
            try:
                self._hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                raise refused from None
            return _user(row)

    def delete_user(self, name: str) -> int:
        """Delete the user ``name``, their keys and session ownerships (erase their sessions first:
        :func:`pipelines.accounts.erasure.erase_user`). Returns how many keys were deleted.

        Raises:
            AccountError: No such user.
        """
        with Session(self._engine) as db, db.begin():
            row = _user_row(db, name)
            keys = list(db.scalars(select(_KeyRow).where(_KeyRow.user == row.name)))
            for key in keys:
                db.delete(key)
            for owned in db.scalars(select(_OwnerRow).where(_OwnerRow.user == row.name)):
                db.delete(owned)
            db.delete(row)
            return len(keys)

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"the password is too short: at least {MIN_PASSWORD_CHARS} characters")
        return self._hasher.hash(password)

    # API keys ------------------------------------------------------------------------------------------------

    def create_key(self, user: str, name: str, expires_days: int | None = None) -> CreatedKey:
        """Create an API key for ``user`` called ``name`` (unique), valid ``expires_days`` days (None = no end).

        Raises:
            AccountError: No such user, bad or taken key name, ``expires_days`` below 1.
        """
        owner = self.user(user)
        name = check_name(name, "key name")
        if expires_days is not None and expires_days < 1:
            raise AccountError("--expires-days must be at least 1")
        now = _now()
        expires = (now + timedelta(days=expires_days)).isoformat() if expires_days else None
        taken = AccountError(f"a key named {name!r} already exists")
        try:
            with Session(self._engine) as db, db.begin():
                if db.get(_KeyRow, name) is not None:
                    raise taken
                prefix = secrets.token_hex(4)
                while db.scalar(select(_KeyRow).where(_KeyRow.prefix == prefix)) is not None:
                    prefix = secrets.token_hex(4)
                key = f"ak_{prefix}_{secrets.token_urlsafe(32)}"
                row = _KeyRow(
                    name=name,
                    user=owner.name,
                    prefix=prefix,
                    digest=self._digest(key),
                    created_at=now.isoformat(),
                    expires_at=expires,
                    revoked_at=None,
                )
                db.add(row)
                created = CreatedKey(key, _key(row))
        except IntegrityError:
            raise taken from None  # another process took the name (or, once in 4e9, the prefix) meanwhile
        return created

    def keys(self, user: str | None = None) -> list[ApiKey]:
        """Every key (of ``user``), by name; never the keys themselves."""
        query = select(_KeyRow).order_by(_KeyRow.name)
        if user is not None:
            query = query.where(_KeyRow.user == user.strip().lower())
        with Session(self._engine) as db:
            return [_key(row) for row in db.scalars(query)]

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key called ``name`` (from now on refused; stays listed).

        Raises:
            AccountError: No such key.
        """
        with Session(self._engine) as db, db.begin():
            row = db.get(_KeyRow, name.strip().lower())
            if row is None:
                raise AccountError(f"no key named {name!r}")
            row.revoked_at = row.revoked_at or _now().isoformat()
            return _key(row)

    def authenticate(self, key: str) -> tuple[User, ApiKey]:
        """The user and key record of a presented API key.

        Raises:
            AuthError: Malformed, unknown, revoked or expired key, or a disabled user (the message says which,
                never echoing the key).
        """
        match = _KEY.fullmatch(key.strip())
        if match is None:
            raise AuthError("invalid API key")
        with Session(self._engine) as db:
            row = db.scalar(select(_KeyRow).where(_KeyRow.prefix == match.group(1)))
            if row is None or not hmac.compare_digest(row.digest, self._digest(key.strip())):
                raise AuthError("invalid API key")
            if row.revoked_at is not None:
                raise AuthError(f"the API key {row.name!r} was revoked")
            if row.expires_at is not None and datetime.fromisoformat(row.expires_at) <= _now():
                raise AuthError(f"the API key {row.name!r} expired at {row.expires_at}")
            owner = db.get(_UserRow, row.user)
            if owner is None or owner.disabled:
                raise AuthError("the API key's user is disabled")
            return _user(owner), _key(row)

    def _digest(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    # session owners ------------------------------------------------------------------------------------------

    def claim_session(self, session_id: str, user: str) -> bool:
        """Make ``user`` the owner of ``session_id`` if it has none; True when ``user`` owns it (now or before),
        False when another user does (also when two processes claim it at once: the first insert wins)."""
        try:
            with Session(self._engine) as db, db.begin():
                row = db.get(_OwnerRow, session_id)
                if row is None:
                    db.add(_OwnerRow(session_id=session_id, user=user))
                    return True
                return row.user == user
        except IntegrityError:
            return (
                self.owner(session_id) == user
            )  # another process claimed it between the read and the insert

    def owner(self, session_id: str) -> str | None:
        """The user who owns ``session_id`` (None: nobody, e.g. a session of the single-user mode)."""
        with Session(self._engine) as db:
            row = db.get(_OwnerRow, session_id)
            return row.user if row is not None else None

    def sessions_of(self, user: str) -> set[str]:
        """The session ids ``user`` owns."""
        with Session(self._engine) as db:
            return set(db.scalars(select(_OwnerRow.session_id).where(_OwnerRow.user == user)))

    def release_session(self, session_id: str) -> None:
        """Forget the owner of an erased session."""
        with Session(self._engine) as db, db.begin():
            row = db.get(_OwnerRow, session_id)
            if row is not None:
                db.delete(row)


def _user_row(db: Session, name: str) -> _UserRow:
    """The row of user ``name`` (case-insensitive).

    Raises:
        AccountError: No such user.
    """
    row = db.get(_UserRow, name.strip().lower())
    if row is None:
        raise AccountError(f"no user {name!r}")
    return row


def _user(row: _UserRow) -> User:
    return User(row.name, row.role, bool(row.disabled), row.created_at)


def _key(row: _KeyRow) -> ApiKey:
    return ApiKey(row.name, row.user, row.prefix, row.created_at, row.expires_at, row.revoked_at)
