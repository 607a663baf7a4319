"""The one SQL engine factory: every SQLite store of the data dir is opened here, with the same settings.

Each connection gets (https://sqlite.org/pragma.html):

- ``journal_mode = WAL``: readers never block the writer and the writer never blocks readers, so the app, the
  CLI and several threads can use one store at once (https://sqlite.org/wal.html);
- ``busy_timeout``: a writer waits up to :data:`BUSY_TIMEOUT_S` for another one instead of failing with
  "database is locked";
- ``secure_delete = ON``: deleted rows are overwritten with zeros, not left in free pages.

Every transaction starts with ``BEGIN IMMEDIATE`` (SQLAlchemy's recipe for the pysqlite driver: the driver's own
transaction handling is switched off and the ``begin`` event issues the statement), so a read-check-write
sequence (a turn's position, a privacy-budget charge) cannot interleave with another writer, and a lock is
waited for at the start of a transaction rather than failing half-way.

After an erasure, :func:`checkpoint` copies the write-ahead log into the database file and truncates it, so the
erased rows' old pages are not left in the ``-wal`` file either.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

__all__ = ["BUSY_TIMEOUT_S", "checkpoint", "sqlite_engine"]

#: Seconds a connection waits for another writer's lock before giving up.
BUSY_TIMEOUT_S = 30.0

#: Files SQLite keeps beside a database (write-ahead log, its index, a rollback journal).
_SIDECARS = ("-wal", "-shm", "-journal")


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
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def checkpoint(engine: Engine) -> None:
    """Write the write-ahead log into the database file and truncate it (``PRAGMA wal_checkpoint(TRUNCATE)``);
    called after an erasure so that no copy of an erased page stays in the ``-wal`` file."""
    connection = engine.raw_connection()  # outside any transaction: the driver is in autocommit mode
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


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
