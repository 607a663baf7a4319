"""The one SQL engine factory: every SQL store (memory, accounts, feedback, medical records) gets its engine here,
either a SQLite file of the data dir or one shared database named by a SQLAlchemy URL (``database.url``), and
its schema from the Alembic migrations in :mod:`pipelines.core.migrations` (:func:`upgrade_schema`).

**SQLite** (:func:`sqlite_engine`, no ``database.url``: one file per store in the data dir). Each connection
gets (https://sqlite.org/pragma.html):

- ``journal_mode = WAL``: readers never block the writer and the writer never blocks readers, so the app, the
  CLI and several threads can use one store at once (https://sqlite.org/wal.html);
- ``busy_timeout``: a writer waits up to :data:`BUSY_TIMEOUT_S` for another one instead of failing with
  "database is locked";
- ``secure_delete = ON``: deleted rows are overwritten with zeros, not left in free pages.

Every transaction starts with ``BEGIN IMMEDIATE`` (SQLAlchemy's recipe for the pysqlite driver: the driver's own
transaction handling is switched off and the ``begin`` event issues the statement), so a read-check-write
sequence (a turn's position, a privacy-budget charge) cannot interleave with another writer, and a lock is
waited for at the start of a transaction rather than failing half-way. After an erasure, :func:`checkpoint`
copies the write-ahead log into the database file and truncates it, so the erased rows' old pages are not left
in the ``-wal`` file either.

**PostgreSQL** (:func:`database_engine`, ``postgresql+psycopg://user:password@host:port/database``; several
replicas share it). psycopg 3, a pool of :data:`POOL_SIZE` connections (+ :data:`POOL_OVERFLOW` on bursts)
per engine, ``pool_pre_ping`` (a connection dropped by a server restart or a proxy is replaced before use),
a connect timeout of :data:`CONNECT_TIMEOUT_S`. Transactions run at PostgreSQL's default READ COMMITTED, so the
read-check-write sequences that ``BEGIN IMMEDIATE`` serialises on SQLite are made safe per store:

- *a turn's position* (``MemoryStore.add_turn``: count the session's turns, insert at that position) and a
  turn's rating: the session's row is locked first (``SELECT ... FOR UPDATE``). Appends to one session queue
  behind each other, appends to different sessions do not; no retry is needed. (SQLite ignores ``FOR UPDATE``;
  ``BEGIN IMMEDIATE`` already serialises.)
- *the privacy-budget charge* (``RecordStore.charge``: sum the ledger, insert if within the limit): there is
  no row to lock (the sum is over the whole table and the new row does not exist yet), so the charge runs in a
  SERIALIZABLE transaction (:func:`serializable`): of two charges that read the same sum one fails with a
  serialization failure and is run again from the start, seeing the other's row. Charges are rare and short.
- *insert-if-absent* (a session, a user, a key name, a session's owner): the primary key decides; the store
  catches the unique violation of the loser and answers as if it had read the winner's row.

Errors: a database that cannot be reached, refuses the login or does not exist raises
:class:`pipelines.core.errors.DatabaseError` naming the URL with the password masked
(``URL.render_as_string(hide_password=True)``); engines are made with ``hide_parameters`` so SQLAlchemy's own
error messages and logs never show a statement's values either.

**Migrations** (:func:`upgrade_schema`): each store has its own migration history (a folder under
``pipelines/core/migrations/versions/``) and its own version table (``alembic_version_<store>``), so a store
upgrades alone, in its own SQLite file or in the shared database; the upgrade runs in one transaction when the
store opens (PostgreSQL: under an advisory lock, so replicas starting at once upgrade one after the other).
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, Integer, MetaData, create_engine, event, func, insert, make_url, select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from pipelines.core.errors import DatabaseError

__all__ = [
    "BUSY_TIMEOUT_S",
    "CONNECT_TIMEOUT_S",
    "POOL_OVERFLOW",
    "POOL_SIZE",
    "STORES",
    "STORE_TABLES",
    "checkpoint",
    "copy_store",
    "database_engine",
    "describe_url",
    "is_sqlite",
    "serializable",
    "sqlite_engine",
    "upgrade_schema",
]

#: Seconds a connection waits for another writer's lock before giving up.
BUSY_TIMEOUT_S = 30.0
#: Seconds a PostgreSQL connection attempt may take (libpq ``connect_timeout``).
CONNECT_TIMEOUT_S = 10
#: Connections a PostgreSQL engine keeps open (per process), and how many more it may open on a burst.
POOL_SIZE = 5
POOL_OVERFLOW = 10
#: The stores with a migration history (folder ``pipelines/core/migrations/versions/<store>``).
STORES = ("memory", "accounts", "feedback", "records", "review")
#: Each store's tables, parents first (distinct names: the four stores can share one database).
STORE_TABLES: dict[str, tuple[str, ...]] = {
    "memory": ("sessions", "turns", "turn_ratings"),
    "accounts": ("users", "api_keys", "session_owners"),
    "feedback": ("feedback",),
    "records": ("record_terms", "dp_ledger"),
    "review": ("review_queue",),
}

#: Files SQLite keeps beside a database (write-ahead log, its index, a rollback journal).
_SIDECARS = ("-wal", "-shm", "-journal")
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: SQLSTATEs worth running a SERIALIZABLE transaction again for: serialization failure, deadlock.
_RETRYABLE = {"40001", "40P01"}

T = TypeVar("T")


def sqlite_engine(path: Path, legacy_names: Sequence[str] = ()) -> Engine:
    """An engine for the SQLite file ``path`` (created with its folder when missing), set up as described in
    the module docstring. Thread-safe: connections come from SQLAlchemy's pool, one per thread at a time.

    Args:
        path: The database file, e.g. ``<data_dir>/memory.sqlite3``.
        legacy_names: Earlier file names of the same store in the same folder (``memory.sqlite``): when
            ``path`` does not exist but one of them does, that file (with its journal, if any) is renamed to
            ``path`` first, so a data dir made by an earlier version opens with nothing lost.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _adopt_legacy_file(path, legacy_names)
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}, hide_parameters=True
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def database_engine(url: str) -> Engine:
    """An engine for the database at ``url`` (``database.url``), checked by connecting once.

    Args:
        url: A SQLAlchemy URL: ``postgresql+psycopg://user:password@host:5432/database`` (``postgresql://`` and
            ``postgres://`` are taken as psycopg 3), or ``sqlite:///<path>`` (a file, as :func:`sqlite_engine`).

    Returns:
        A thread-safe engine (pool of :data:`POOL_SIZE` + :data:`POOL_OVERFLOW`, ``pool_pre_ping``) to share
        between every store of the process.

    Raises:
        DatabaseError: The URL is malformed or not PostgreSQL/SQLite, or the server cannot be reached, refuses
            the login or has no such database (the message shows the URL with ``***`` for the password).
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseError("a sqlite database.url must name a file: sqlite:///<path>")
        return sqlite_engine(Path(parsed.database))
    try:
        engine = create_engine(
            parsed,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_pre_ping=True,
            pool_recycle=1800,
            hide_parameters=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "domain-assistant"},
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"cannot use the database {describe_url(parsed)}: {type(exc).__name__}") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(
            f"cannot reach the database {describe_url(parsed)}: {_reason(exc, parsed)}"
        ) from None
    return engine


def describe_url(url: str | URL) -> str:
    """``url`` with the password shown as ``***`` (SQLAlchemy's ``render_as_string(hide_password=True)``), for
    messages and logs; ``"<malformed database URL>"`` when it cannot be parsed (the text is never echoed)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<malformed database URL>"
    return parsed.render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` is a SQLite file (else a shared server database)."""
    return engine.dialect.name == "sqlite"


def checkpoint(engine: Engine) -> None:
    """Write the write-ahead log into the database file and truncate it (``PRAGMA wal_checkpoint(TRUNCATE)``);
    called after an erasure so that no copy of an erased page stays in the ``-wal`` file. A no-op on a server
    database (PostgreSQL's WAL and dead row versions are the server's: VACUUM and WAL recycling)."""
    if not is_sqlite(engine):
        return
    connection = engine.raw_connection()  # outside any transaction: the driver is in autocommit mode
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def serializable(engine: Engine, work: Callable[[Session], T], attempts: int = 8) -> T:
    """Run ``work(session)`` in one transaction that behaves as if it ran alone, and commit it.

    On PostgreSQL the transaction is SERIALIZABLE and is run again from the start (after a short random pause)
    when the server aborts it for a serialization failure or a deadlock; on SQLite ``BEGIN IMMEDIATE`` already
    serialises writers and it runs once. ``work`` must therefore have no side effect outside the session.
    Objects it returns stay usable after the commit (``expire_on_commit=False``).

    Raises:
        sqlalchemy.exc.DBAPIError: Still failing after ``attempts`` runs, or any other database error.
    """
    bind = engine if is_sqlite(engine) else engine.execution_options(isolation_level="SERIALIZABLE")
    for attempt in range(1, attempts + 1):
        try:
            with Session(bind, expire_on_commit=False) as db, db.begin():
                return work(db)
        except DBAPIError as exc:
            if attempt == attempts or getattr(exc.orig, "sqlstate", None) not in _RETRYABLE:
                raise
            time.sleep(random.uniform(0.0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")  # pragma: no cover


def upgrade_schema(engine: Engine, store: str) -> None:
    """Bring ``store``'s tables to the newest revision of its migration history (Alembic ``upgrade head``),
    in one transaction; a no-op when they are current.

    The baseline revision of each store creates the tables it lacks and adds the columns earlier versions added
    in place (``turns.signals_json``), so a file or database made before migrations existed is adopted as it
    is (its rows untouched) and stamped at the baseline. On PostgreSQL a transaction-scoped advisory lock per
    store makes replicas that start together upgrade one after the other.

    Args:
        engine: The store's engine (:func:`sqlite_engine` or :func:`database_engine`).
        store: One of :data:`STORES`.

    Raises:
        ValueError: An unknown store.
        DatabaseError: The database cannot be reached.
    """
    if store not in STORES:
        raise ValueError(f"no migration history for store {store!r}; known: {', '.join(STORES)}")
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("version_locations", str(_MIGRATIONS / "versions" / store))
    config.set_main_option("path_separator", "os")
    config.attributes["version_table"] = f"alembic_version_{store}"
    try:
        with engine.begin() as connection:
            if not is_sqlite(engine):
                connection.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(store)})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:
        if not exc.connection_invalidated and not _is_connect_error(exc):
            raise
        raise DatabaseError(
            f"cannot reach the database {describe_url(engine.url)}: {_reason(exc, engine.url)}"
        ) from None


def copy_store(source: Engine, target: Engine, store: str) -> dict[str, int]:
    """Copy every row of ``store``'s tables from ``source`` to ``target`` (e.g. a data dir's SQLite file into
    the shared PostgreSQL database when a deployment moves to ``database.url``), in one target transaction.

    Both sides are first upgraded to the newest schema (:func:`upgrade_schema`); the target's tables must be
    empty. Rows keep their ids; PostgreSQL's id sequences are moved past the copied ids.

    Args:
        source: The engine to read (left unchanged).
        target: The engine to write.
        store: One of :data:`STORES`.

    Returns:
        ``{table: rows copied}``.

    Raises:
        ValueError: An unknown store, or a target table that already has rows (nothing is written).
        DatabaseError: A database cannot be reached.
    """
    upgrade_schema(source, store)
    upgrade_schema(target, store)
    tables = STORE_TABLES[store]
    read, write = MetaData(), MetaData()
    read.reflect(source, only=tables)
    write.reflect(target, only=tables)
    copied: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        for name in tables:
            if writer.scalar(select(func.count()).select_from(write.tables[name])):
                raise ValueError(f"the target's table {name} already has rows: copy into an empty database")
        for name in tables:
            rows = [dict(row) for row in reader.execute(select(read.tables[name])).mappings()]
            if rows:
                writer.execute(insert(write.tables[name]), rows)
            copied[name] = len(rows)
            serial = "id" in write.tables[name].c and isinstance(write.tables[name].c.id.type, Integer)
            if serial and rows and not is_sqlite(target):
                writer.execute(
                    sql_text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                    {"t": name, "n": max(int(row["id"]) for row in rows)},
                )
    return copied


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "database.url is not a SQLAlchemy URL (postgresql+psycopg://user:password@host:5432/database)"
        ) from None
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg"}:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return parsed
    raise DatabaseError(
        f"unsupported database {describe_url(parsed)}: use postgresql+psycopg://… or sqlite:///<path>"
    )


def _reason(exc: DBAPIError, url: URL) -> str:
    """The driver's message on one line, with the password masked should a driver ever echo it."""
    reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    if url.password and len(str(url.password)) >= 3:
        reason = reason.replace(str(url.password), "***")
    return reason[:300]


def _is_connect_error(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in {None, "08000", "08001", "08004", "08006", "28P01", "3D000"}


def _lock_key(store: str) -> int:
    digest = hashlib.sha256(f"domain-assistant migrations {store}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _adopt_legacy_file(path: Path, legacy_names: Sequence[str]) -> None:
    if path.exists():
        return
    for name in legacy_names:
        old = path.with_name(name)
        if old.is_file():
            for suffix in _SIDECARS:  # a hot journal must travel with its database
                sidecar = old.with_name(old.name + suffix)
                if sidecar.exists():
                    os.replace(sidecar, path.with_name(path.name + suffix))
            os.replace(old, path)
            return


def _on_connect(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # SQLAlchemy's ``begin`` event below issues BEGIN
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA secure_delete = ON")


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
