"""Session vaults in the shared SQL database, for several API replicas (``database.url`` set).

The same interface and behaviour as :class:`privacy.VaultStore` (the encrypted files under ``<data_dir>/vault``
that a single server uses), so that a conversation begun on one replica goes on on another with the same
placeholders. One row per session in ``session_vaults``:

========== ============ ===============================================================================
column     type         meaning
========== ============ ===============================================================================
session_id varchar(64)  primary key (:func:`privacy.vault.check_session_id`)
token      text         the vault as a Fernet token (:class:`privacy.vault.VaultCipher`, ASCII); the
                        values are encrypted before they reach the database, whose dumps and backups hold
                        only ciphertext
version    integer      1 on the first save, +1 on every save (compare-and-delete on expiry)
saved_at   float        the writer's clock at the last save, seconds since the epoch (the list of
                        sessions; the time to live is read from the token's authenticated stamp)
========== ============ ===============================================================================

The tables are created when a store opens and finds them missing (``CREATE TABLE``, on PostgreSQL under an
advisory lock so replicas starting together do not race); they have no Alembic history yet.

**The key is never in the database.** Every replica must hold the same Fernet key: ``privacy.vault_key``
(``ASSISTANT_PRIVACY__VAULT_KEY``) or the same key file on each replica (``<data_dir>/vault/vault.key``). A key is
never generated here: one generated per replica would leave each replica unable to read the others' vaults, so a
store without a key refuses to start. To catch replicas holding *different* keys, the table
``vault_key_check`` holds one Fernet token (of an empty vault) made with the first key that used the database; a
store whose key cannot authenticate it refuses to start (:class:`VaultError`). The token reveals nothing of the
key. Changing the key on purpose: every vault becomes unreadable anyway; erase them and delete that row.

**Concurrent saves.** A chat turn opens its session's vault, adds placeholders and saves it with the turn. Two
turns of one session on two replicas at once each add to the vault they read. :meth:`SqlVaultStore.save` locks
the session's row (``SELECT … FOR UPDATE``; on SQLite the whole database, ``BEGIN IMMEDIATE``), decrypts what is
stored now and writes the union of that and the caller's vault, so neither turn's placeholders are lost. If
both turns gave the same placeholder to different values (both took ``<PERSON_2>``), the second save raises
:class:`VaultConflict` and stores nothing: the turn fails before it is stored, like any failed turn, and can be
sent again. Two first saves of a new session race on the primary key; the loser retries under the lock.

**Erasure** (:meth:`SqlVaultStore.erase`, expiry, :meth:`SqlVaultStore.purge_expired`) deletes the row. On
SQLite (an engine from :func:`pipelines.core.sql.sqlite_engine`, ``secure_delete`` on) the freed bytes are
zeroed and the write-ahead log is checkpointed (:func:`pipelines.core.sql.checkpoint`). On PostgreSQL:

- at commit the row is gone for every reader, and from every later dump (``pg_dump``);
- the deleted row version, and the older versions every save leaves behind, stay in the table's pages as dead
  tuples until they are vacuumed. After each erasure the store runs ``VACUUM session_vaults`` (autocommit, a
  few milliseconds; it does not block readers or writers): the dead tuples are removed, and when the table's
  last rows go its file is truncated to nothing. PostgreSQL does not zero the space VACUUM frees, though: next
  to other sessions' rows the erased token's bytes stay in the page until a later row reuses the space (tested:
  ``tests/pipelines/conversation/test_vault_sql.py`` reads the pages with ``pageinspect``). ``vacuum="full"``
  runs ``VACUUM FULL`` instead, which rewrites the table into a new file so the bytes leave the database's files
  (they remain in free blocks of the file system), under an exclusive lock: every vault read and write waits
  for it (about 45 ms for 5,000 sessions, growing with the table). VACUUM cannot remove a version that a
  transaction begun before the erasure may still see; that one goes at a later (auto)vacuum;
- the write-ahead log, its archive and physical backups keep old tokens until they are recycled or expire.

Everything left behind is ciphertext under a key that is not in the database: without the replicas' key it does
not reveal the values.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from cryptography.fernet import InvalidToken
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from pipelines.core.logs import logger
from pipelines.core.sql import checkpoint, is_sqlite
from privacy import PLACEHOLDER_PATTERN, Vault, VaultError
from privacy.vault import VaultCipher, check_session_id, normalise_value

__all__ = ["KEY_REQUIRED", "SqlVaultStore", "VaultConflict", "VaultStorage"]

#: Why a store in a shared database will not start without a key (also the error message).
KEY_REQUIRED = (
    "vaults in a shared database need one key on every replica: set ASSISTANT_PRIVACY__VAULT_KEY (a Fernet key, "
    "the same on every replica) or put the same vault key file on each replica; a key generated per replica "
    "would leave each replica unable to read the others' vaults"
)

#: The key-check token is an empty vault under this name (it proves only which key made it).
_KEY_CHECK_ID = "vault-key-check"

#: The statement run after an erasure on PostgreSQL, by the ``vacuum`` argument ("" = none).
_VACUUM = {"plain": "VACUUM", "full": "VACUUM FULL", "off": ""}

#: PostgreSQL advisory lock taken while the tables are created (a fixed 64-bit number).
_SCHEMA_LOCK = int.from_bytes(
    hashlib.sha256(b"assistant session_vaults schema").digest()[:8], "big", signed=True
)

#: Attempts at a save whose first insert lost a race with another replica's (then the row exists and is locked).
_SAVE_ATTEMPTS = 3

_metadata = MetaData()
_vaults = Table(
    "session_vaults",
    _metadata,
    Column("session_id", String(64), primary_key=True),
    Column("token", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("saved_at", Float, nullable=False),
)
_key_check = Table(
    "vault_key_check",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("token", Text, nullable=False),
)


class VaultConflict(VaultError):
    """Two saves of one session's vault gave the same placeholder to different values; the later one was not
    stored."""


class VaultStorage(Protocol):
    """What the flows use of a vault store: :class:`privacy.VaultStore` (files) and :class:`SqlVaultStore`."""

    ttl_hours: float

    def exists(self, session_id: str) -> bool: ...
    def open(self, session_id: str) -> Vault: ...
    def save(self, vault: Vault) -> None: ...
    def session_ids(self) -> list[str]: ...
    def saved_at(self, session_id: str) -> float | None: ...
    def erase(self, session_id: str) -> bool: ...
    def purge_expired(self) -> list[str]: ...


class SqlVaultStore:
    """Encrypted session vaults in one table of a shared database (see the module docstring). Thread-safe and
    safe across processes and hosts: each call is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        key: str | None,
        ttl_hours: float = 0.0,
        clock: Callable[[], float] = time.time,
        *,
        key_file: Path | None = None,
        vacuum: Literal["plain", "full", "off"] = "plain",
    ) -> None:
        """Create the tables when missing and check the key against the database's.

        Args:
            engine: The shared database: :func:`pipelines.core.sql.database_engine` of ``database.url``
                (PostgreSQL; a SQLite file from :func:`pipelines.core.sql.sqlite_engine` works too).
            key: Fernet key (urlsafe base64 of 32 bytes), ``privacy.vault_key``; None or "" = read ``key_file``.
            ttl_hours: Hours after its last save at which a vault expires and is erased; 0 = never.
            clock: Current time, seconds since the Unix epoch (``time.time``; tests pass their own).
            key_file: A key file shared by every replica (``<data_dir>/vault/vault.key``), read when ``key`` is
                not set; never created.
            vacuum: On PostgreSQL, after each erasure: ``VACUUM`` the table ("plain"), rewrite it with
                ``VACUUM FULL`` ("full": the erased bytes leave the table's files too, under an exclusive lock
                that makes every vault read and write wait, about 45 ms for 5,000 sessions), or nothing
                ("off": autovacuum). See the module docstring.

        Raises:
            VaultError: No key (``key`` unset and ``key_file`` missing: :data:`KEY_REQUIRED`), a malformed key,
                a key other than the one the database's vaults were written with, or ``ttl_hours`` < 0.
        """
        if ttl_hours < 0:
            raise VaultError(f"vault time to live must be >= 0 hours, got {ttl_hours!r}")
        self._cipher = VaultCipher(key if key else _shared_key_file(key_file))
        self.engine = engine
        self.ttl_hours = ttl_hours
        self._clock = clock
        if vacuum not in _VACUUM:
            raise VaultError(f"vacuum must be one of {sorted(_VACUUM)}, got {vacuum!r}")
        self._vacuum = _VACUUM[vacuum] if engine.dialect.name == "postgresql" else ""
        self._create_tables()
        self._check_key()

    def exists(self, session_id: str) -> bool:
        """Whether ``session_id`` has a vault row (expired or not).

        Raises:
            VaultError: The id is invalid.
        """
        check_session_id(session_id)
        with self.engine.connect() as connection:
            found = connection.execute(select(_vaults.c.version).where(_vaults.c.session_id == session_id))
            return found.first() is not None

    def open(self, session_id: str) -> Vault:
        """Load the vault of ``session_id``: an empty one if the session is new, or if its vault expired (the
        expired row is erased first, unless another replica saved it meanwhile).

        Raises:
            VaultError: The row cannot be decrypted with this key, or the id is invalid.
        """
        check_session_id(session_id)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_vaults.c.token, _vaults.c.version).where(_vaults.c.session_id == session_id)
            ).first()
        if row is None:
            return Vault(session_id=session_id)
        token = row.token.encode("ascii")
        try:
            expired = self._cipher.expired(token, self._clock(), self.ttl_hours)
        except InvalidToken as exc:
            raise VaultError(f"vault of session {session_id!r} cannot be decrypted with this key") from exc
        if expired:
            self._erase_where(session_id, version=row.version)
            return Vault(session_id=session_id)
        return self._cipher.decrypt(session_id, token)

    def save(self, vault: Vault) -> None:
        """Encrypt and write ``vault``, merged with what is stored now (module docstring); restarts its time to
        live. Afterwards ``vault`` reserves the numbers of every placeholder stored, so it never hands one out
        again.

        Raises:
            VaultConflict: Another save gave one of ``vault``'s placeholders to a different value; nothing was
                written.
            VaultError: The id is invalid.
        """
        session_id = check_session_id(vault.session_id)
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                with self.engine.begin() as connection:
                    merged = self._save_locked(connection, vault)
                break
            except IntegrityError:  # another replica inserted this session's first row meanwhile
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise VaultError(
                        f"vault of session {session_id!r} could not be saved: try again"
                    ) from None
        vault.reserve(merged.values)

    def session_ids(self) -> list[str]:
        """The ids of every session with a vault row (expired or not), sorted."""
        with self.engine.connect() as connection:
            return list(connection.scalars(select(_vaults.c.session_id).order_by(_vaults.c.session_id)))

    def saved_at(self, session_id: str) -> float | None:
        """When the vault of ``session_id`` was last saved (seconds since the epoch, the saving replica's clock),
        or None without one.

        Raises:
            VaultError: The id is invalid.
        """
        check_session_id(session_id)
        with self.engine.connect() as connection:
            saved = connection.scalar(select(_vaults.c.saved_at).where(_vaults.c.session_id == session_id))
        return None if saved is None else float(saved)

    def erase(self, session_id: str) -> bool:
        """Delete the vault of ``session_id`` (module docstring: what is left where).

        Returns:
            Whether a vault row was there to delete.

        Raises:
            VaultError: The id is invalid.
        """
        return self._erase_where(check_session_id(session_id))

    def purge_expired(self) -> list[str]:
        """Erase every vault whose time to live has passed (nothing when ``ttl_hours`` is 0).

        Rows this key cannot authenticate are left alone; a row saved again meanwhile is kept.

        Returns:
            The session ids whose vaults were erased, sorted.
        """
        if not self.ttl_hours:
            return []
        now = self._clock()
        # the token's stamp is the save time truncated to whole seconds: saved_at may be up to 1 s later
        horizon = now - self.ttl_hours * 3600.0 + 1.0
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_vaults.c.session_id, _vaults.c.token, _vaults.c.version)
                .where(_vaults.c.saved_at <= horizon)
                .order_by(_vaults.c.session_id)
            ).all()
        due = []
        for row in rows:
            try:
                if self._cipher.expired(row.token.encode("ascii"), now, self.ttl_hours):
                    due.append((row.session_id, row.version))
            except InvalidToken:
                continue
        if not due:
            return []
        erased = []
        with self.engine.begin() as connection:
            for session_id, version in due:
                gone = connection.execute(
                    delete(_vaults).where(_vaults.c.session_id == session_id, _vaults.c.version == version)
                )
                if gone.rowcount:
                    erased.append(session_id)
        if erased:
            self._after_erase()
        return erased

    def _save_locked(self, connection: Connection, vault: Vault) -> Vault:
        """Write ``vault`` merged with the stored one, inside the caller's transaction; return the merge."""
        row = connection.execute(
            select(_vaults.c.token, _vaults.c.version)
            .where(_vaults.c.session_id == vault.session_id)
            .with_for_update()
        ).first()
        now = self._clock()
        merged = vault
        if row is not None:
            stored = self._readable(vault.session_id, row.token.encode("ascii"), now)
            if stored is not None:
                merged = _merge(stored, vault)
        token = self._cipher.encrypt(merged, now).decode("ascii")
        if row is None:
            connection.execute(
                insert(_vaults).values(session_id=vault.session_id, token=token, version=1, saved_at=now)
            )
        else:
            connection.execute(
                update(_vaults)
                .where(_vaults.c.session_id == vault.session_id)
                .values(token=token, version=_vaults.c.version + 1, saved_at=now)
            )
        return merged

    def _readable(self, session_id: str, token: bytes, now: float) -> Vault | None:
        """The stored vault to merge with: None when it expired, or when this key cannot read it (then it is
        overwritten, as a file would be)."""
        try:
            if self._cipher.expired(token, now, self.ttl_hours):
                return None
            return self._cipher.decrypt(session_id, token)
        except (InvalidToken, VaultError):
            logger.warning("vault of session %s not readable with this key: overwritten", session_id)
            return None

    def _erase_where(self, session_id: str, version: int | None = None) -> bool:
        """Delete the row of ``session_id`` (only at ``version``, when given); then the erasure's follow-up."""
        condition = _vaults.c.session_id == session_id
        if version is not None:
            condition = condition & (_vaults.c.version == version)
        with self.engine.begin() as connection:
            gone = connection.execute(delete(_vaults).where(condition)).rowcount > 0
        if gone:
            self._after_erase()
        return gone

    def _after_erase(self) -> None:
        """Leave no copy of erased rows where the engine can help it (module docstring); a failure is logged,
        the erasure itself stands."""
        try:
            if is_sqlite(self.engine):
                checkpoint(self.engine)
            elif self._vacuum:  # VACUUM cannot run inside a transaction
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f"{self._vacuum} {_vaults.name}")
        except SQLAlchemyError as exc:
            logger.warning("vault table not cleaned after an erasure: %s", type(exc).__name__)

    def _create_tables(self) -> None:
        """Create the two tables when missing, in one transaction (on PostgreSQL under an advisory lock, so that
        replicas starting together do not both try)."""
        with self.engine.begin() as connection:
            if not is_sqlite(self.engine):
                connection.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            _metadata.create_all(connection)

    def _check_key(self) -> None:
        """Record this key's check token in a new database, or refuse a key other than the recorded one."""
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                with self.engine.begin() as connection:
                    stored = connection.scalar(select(_key_check.c.token).where(_key_check.c.id == 1))
                    if stored is None:
                        check = self._cipher.encrypt(Vault(session_id=_KEY_CHECK_ID), self._clock())
                        connection.execute(insert(_key_check).values(id=1, token=check.decode("ascii")))
                        return
                break
            except IntegrityError:  # another replica recorded its key first: check against that one
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise VaultError("the vault key check could not be recorded: start again") from None
        try:
            self._cipher.decrypt(_KEY_CHECK_ID, str(stored).encode("ascii"))
        except VaultError:
            raise VaultError(
                "this vault key is not the one the shared database's vaults were written with: every replica "
                "needs the same key (ASSISTANT_PRIVACY__VAULT_KEY or the same vault key file)"
            ) from None


def _shared_key_file(path: Path | None) -> bytes:
    """The key in the shared key file ``path``.

    Raises:
        VaultError: No such file, or it is empty (:data:`KEY_REQUIRED`).
    """
    key = path.read_bytes().strip() if path is not None and path.is_file() else b""
    if not key:
        raise VaultError(KEY_REQUIRED)
    return key


def _merge(stored: Vault, ours: Vault) -> Vault:
    """The union of the stored vault and the caller's (counters: the larger of each; for a placeholder in both,
    the stored spelling of its value).

    Raises:
        VaultConflict: A placeholder stands for different values in the two (compared by
            :func:`privacy.vault.normalise_value`); the message names no value and no placeholder.
    """
    clashes = 0
    for placeholder, value in ours.values.items():
        other = stored.values.get(placeholder)
        match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
        if other is not None and match is not None:
            entity = match.group(1)
            clashes += normalise_value(entity, other) != normalise_value(entity, value)
    if clashes:
        raise VaultConflict(
            f"vault of session {ours.session_id!r} was saved by another request at the same time, which gave "
            f"{clashes} of this request's placeholders to other values; nothing was saved: send it again"
        )
    counters = {
        entity: max(stored.counters.get(entity, 0), ours.counters.get(entity, 0))
        for entity in stored.counters.keys() | ours.counters.keys()
    }
    # a value both gave the same placeholder keeps the stored spelling, as a vault keeps the first one it saw
    return Vault(
        session_id=ours.session_id,
        values={**ours.values, **stored.values},
        counters=counters,
        spellings={**stored.spellings, **ours.spellings},  # this request's turn replaces what it kept before
    )
