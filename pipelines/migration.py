"""Moving a local install (one data dir, embedded mode) to the shared stores several replicas use: the documents
into a Chroma server with their BM25 rows in the database, the SQL stores and the session vaults into one
PostgreSQL database (``assistant migrate``).

What is copied, and how a run that was interrupted is finished by running it again (nothing is duplicated):

- **Documents**, without embedding again: every whole document of each domain's embedded collection
  (:meth:`ingest.VectorStore.export`: ids, vectors, chunk texts, metadata; documents still pending in the source
  are left out) is written to the server's collection of the same name with :meth:`ingest.VectorStore.add_chunks`,
  so the target's ``pending`` protocol applies (a document is on the server whole or not at all) and its BM25 rows
  go to :class:`pipelines.documents.lexical_sql.SqlLexicalIndex` in the target database. A document the server
  already holds whole (same sha256, every chunk id) is skipped.
- **SQL state** (:data:`pipelines.core.sql.STORES`: sessions, turns, ratings; feedback; medical records and the
  DP ledger; users, API keys, session owners): each store's SQLite file is read and its rows inserted into the
  target (its schema first brought to head by the Alembic migrations), one transaction per store. A row whose
  primary key the target already holds is skipped: a row under a natural key (a session, a user, a key's name,
  a rating's session and position) was copied before and is kept as the target has it now (the deployment may
  have changed it since); a row under a numbered id (turns, feedback, the DP ledger) must be the same row, else
  the target holds other data and the store is refused (:class:`MigrationError`, nothing of it written).
- **Documents held for review** (``<data_dir>/review``): each one the database's queue
  (:class:`pipelines.documents.review_sql.SqlReviewQueue`) lacks is held there (its de-identified sections and
  report, as they are); one already there is left as it is.
- **Vaults**: every ``<data_dir>/vault/<session>.vault`` file, decrypted with the data dir's key
  (``privacy.vault_key`` or ``vault/vault.key``), is saved to :class:`pipelines.conversation.vault_sql.SqlVaultStore`
  under the same key (merged with what is there, so saving twice changes nothing). Expired vaults are left out.
  The key never goes into the database; every replica must be given it.

Afterwards each count is verified (every source chunk id on the server and in the lexical table, every source
row's key in the target table, every vault) and a mismatch raises :class:`MigrationError`. Nothing here prints
or returns a personal value, the database password or a Chroma header value.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, Integer, MetaData, func, insert, inspect, select, tuple_
from sqlalchemy import text as sql_text

from ingest import ReviewQueue, VectorStore
from ingest.chunking import Chunk
from ingest.store import ChromaServer
from pipelines.conversation.vault_sql import SqlVaultStore
from pipelines.core.errors import AssistantError
from pipelines.core.sql import (
    STORE_TABLES,
    STORES,
    database_engine,
    describe_url,
    is_sqlite,
    sqlite_engine,
    upgrade_schema,
)
from pipelines.documents.lexical_sql import SqlLexicalIndex
from pipelines.documents.review_sql import SqlReviewQueue
from privacy import VaultError
from privacy.vault import VaultCipher, check_session_id

__all__ = ["Count", "MigrationError", "MigrationReport", "chroma_server", "migrate", "store_files"]

#: Rows read and inserted per statement.
_ROW_BATCH = 500
#: Each store's SQLite file in the data dir, and earlier names of it.
_STORE_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "memory": ("memory.sqlite3", ("memory.sqlite",)),
    "accounts": ("accounts.sqlite3", ()),
    "feedback": ("feedback.sqlite3", ()),
    "records": ("records.sqlite3", ()),
}

#: ``progress(stage, done, total)``: ``stage`` names what is being copied (``documents finance``,
#: ``sql memory``, ``vaults``), ``done`` of ``total`` items.
Progress = Callable[[str, int, int], None]


class MigrationError(AssistantError):
    """The migration cannot run or did not end with every item on the target (the message says which counts
    differ, never a value)."""


@dataclass
class Count:
    """One line of the verification table.

    Attributes:
        kind: ``chunks``, ``lexical rows``, ``documents``, a table name (``sessions``, ``turns``…) or ``vaults``.
        scope: The domain for documents, the store for a table, ``""`` otherwise.
        source: Items in the data dir (chunks of whole documents, rows, unexpired vaults).
        target: How many of those the target holds after the run (equal to ``source`` when all is well; a dry
            run leaves it at -1: not checked).
        copied: Written by this run (a dry run: what would be written at most).
        skipped: Already on the target (a previous run).
    """

    kind: str
    scope: str
    source: int
    target: int = -1
    copied: int = 0
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """Whether the target holds every source item."""
        return self.target == self.source


@dataclass
class MigrationReport:
    """What a run did: the counts, and what each replica needs besides the stores (never a secret's value).

    Attributes:
        database: The target URL with the password masked.
        chroma: The Chroma server's ``host:port``.
        dry_run: Nothing was written.
        counts: The verification table, in copy order.
        notes: What to carry to every replica (the vault key, the accounts and operator secrets), by name.
    """

    database: str
    chroma: str
    dry_run: bool
    counts: list[Count] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every count matches (always True for a dry run)."""
        return self.dry_run or all(count.ok for count in self.counts)

    def to_json_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``counts``: one object per line, with ``ok``)."""
        return {
            "database": self.database,
            "chroma": self.chroma,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "counts": [{**asdict(count), "ok": count.ok} for count in self.counts],
            "notes": list(self.notes),
        }


def store_files(data_dir: Path) -> dict[str, Path]:
    """The SQLite file of each SQL store the data dir has (``{store: path}``; a legacy name when only it exists)."""
    found = {}
    for store, (name, legacy) in _STORE_FILES.items():
        for candidate in (name, *legacy):
            if (data_dir / candidate).is_file():
                found[store] = data_dir / candidate
                break
    return found


def chroma_server(address: str, headers: Sequence[str] = (), ssl: bool = False) -> ChromaServer:
    """The Chroma server named on the command line.

    Args:
        address: ``HOST:PORT`` (an IPv6 address in brackets: ``[::1]:8000``).
        headers: ``"Name: value"`` strings sent with every request (values are secrets: never shown).
        ssl: HTTPS.

    Raises:
        MigrationError: A malformed address or header (the message names a header, never its value).
    """
    host, sep, port = address.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit():
        raise MigrationError(f"--to-chroma must be HOST:PORT, got {address!r}")
    parsed: dict[str, str] = {}
    for header in headers:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise MigrationError("a --chroma-header must be 'Name: value' (value not shown)")
        parsed[name.strip()] = value.strip()
    try:
        return ChromaServer(host, int(port), ssl, parsed)
    except ValueError as exc:
        raise MigrationError(str(exc)) from None


def migrate(
    source: VectorStore,
    domains: Sequence[str],
    data_dir: Path,
    database_url: str,
    server: ChromaServer,
    *,
    vault_key: str | None = None,
    vault_ttl_hours: float = 0.0,
    store_batch_size: int | None = None,
    accounts_secret_configured: bool = False,
    operator_secret_configured: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy a data dir's documents, SQL stores and vaults to a Chroma server and a database, then verify.

    Args:
        source: The data dir's embedded store (``Services.store`` in ``store.mode: embedded``).
        domains: The domains whose collections are copied.
        data_dir: The data dir (its SQLite files and ``vault/`` folder are read, never changed).
        database_url: The target's SQLAlchemy URL (``postgresql+psycopg://…``; never shown unmasked).
        server: The target Chroma server (its header values are never shown).
        vault_key: ``privacy.vault_key`` (None: ``<data_dir>/vault/vault.key``); the target's vaults use the same.
        vault_ttl_hours: ``privacy.vault_ttl_hours``: vaults older than this are not copied (0: all).
        store_batch_size: Chunks per write to Chroma (``ingest.store_batch_size``; None: Chroma's maximum).
        accounts_secret_configured: ``auth.secret`` is set (else the data dir's ``vault/accounts.secret`` file
            must go with every replica); only changes the notes.
        operator_secret_configured: ``privacy.operator_secret`` is set (else ``vault/operators.secret``).
        dry_run: Only count what would be copied: the database is connected to (checked) and nothing is written.
        progress: Called as ``progress(stage, done, total)`` while copying.

    Returns:
        The report; :attr:`MigrationReport.ok` is True (else this raises).

    Raises:
        pipelines.core.errors.DatabaseError: The database cannot be reached or refuses the login (password
            masked).
        ingest.StoreError: The Chroma server cannot be used (address named, header values never).
        privacy.VaultError: A vault cannot be decrypted with the data dir's key, or the target's vaults were
            written with another key.
        MigrationError: The target holds other rows under the same keys, or a count differs after the copy
            (``report`` attribute: the counts).
    """
    engine = database_engine(database_url)
    report = MigrationReport(describe_url(engine.url), server.address, dry_run)
    try:
        if dry_run:
            # the server answers with these headers (no collection is created; the source's index is only held)
            VectorStore(data_dir / "chroma", store_batch_size, server=server, lexical=source.lexical)
            _plan(report, source, domains, data_dir, vault_key, vault_ttl_hours)
        else:
            # checked before anything is written: the vaults can be read, the database takes this vault key
            cipher = _source_cipher(data_dir, vault_key)
            live = _live_vaults(data_dir, cipher, vault_ttl_hours) if cipher is not None else []
            vaults = (
                SqlVaultStore(engine, vault_key, vault_ttl_hours, key_file=data_dir / "vault" / "vault.key")
                if cipher is not None
                else None
            )
            target = VectorStore(
                data_dir / "chroma", store_batch_size, server=server, lexical=SqlLexicalIndex(engine)
            )
            _copy_documents(report, source, target, domains, progress)
            _copy_sql(report, engine, data_dir, progress)
            _copy_review(report, engine, data_dir, domains, progress)
            _copy_vaults(report, cipher, live, vaults, progress)
    finally:
        engine.dispose()
    report.notes = _notes(data_dir, vault_key, accounts_secret_configured, operator_secret_configured)
    if not report.ok:
        wrong = [
            f"{c.kind} {c.scope}".strip() + f" ({c.target} of {c.source})" for c in report.counts if not c.ok
        ]
        error = MigrationError(
            "the target does not hold everything after the copy: " + ", ".join(wrong) + "; run it again"
        )
        error.report = report  # type: ignore[attr-defined]
        raise error
    return report


# --- documents ---------------------------------------------------------------------------------------------


def _copy_documents(
    report: MigrationReport,
    source: VectorStore,
    target: VectorStore,
    domains: Sequence[str],
    progress: Progress | None,
) -> None:
    """Write each whole source document to the server unless it is there whole already; then count. One
    document's vectors are in memory at a time. A collection the server does not have yet is created with the
    source's record of the embedding backend, which made the vectors copied into it."""
    recorded = source.recorded_embeddings()
    for domain in domains:
        if domain in recorded:
            target.embedding = recorded[domain]
        total = len(source.list_documents(domain))  # the whole documents export yields, for the progress
        count, chunks = Count("documents", domain, 0), Count("chunks", domain, 0)
        documents: list[list[str]] = []
        for sha, ids, texts, vectors, metadatas in source.export(domain):
            documents.append(ids)
            if _complete(target, domain, sha, ids):
                count.skipped += 1
                chunks.skipped += len(ids)
            else:
                written = [
                    Chunk(id=i, text=t, index=n, location="")
                    for n, (i, t) in enumerate(zip(ids, texts, strict=True))
                ]
                target.add_chunks(domain, written, vectors, metadatas)
                count.copied += 1
                chunks.copied += len(ids)
            if progress is not None:
                progress(f"documents {domain}", len(documents), max(total, len(documents)))
        source_ids = [chunk_id for ids in documents for chunk_id in ids]
        present = _present(target, domain, source_ids)
        count.source, chunks.source = len(documents), len(source_ids)
        count.target = sum(1 for ids in documents if set(ids) <= present)
        chunks.target = len(present)
        lexical = Count(
            "lexical rows", domain, len(source_ids), len(target.lexical.ids(domain) & set(source_ids))
        )
        lexical.copied, lexical.skipped = chunks.copied, chunks.skipped
        report.counts += [count, chunks, lexical]


def _present(target: VectorStore, domain: str, ids: Sequence[str], batch: int = 1000) -> set[str]:
    """Which of ``ids`` the server holds (read in batches)."""
    found: set[str] = set()
    for start in range(0, len(ids), batch):
        found |= target.existing_ids(domain, ids[start : start + batch])
    return found


def _complete(target: VectorStore, domain: str, sha: str, ids: Sequence[str]) -> bool:
    """Whether the server holds the document whole: not pending and every chunk id there."""
    if sha and not target.has_document(domain, sha):
        return False
    return target.existing_ids(domain, ids) == set(ids)


# --- SQL stores --------------------------------------------------------------------------------------------


def _copy_sql(report: MigrationReport, engine: Engine, data_dir: Path, progress: Progress | None) -> None:
    """Copy each store's SQLite file into the target (skip-or-refuse rows already there), then count."""
    files = store_files(data_dir)
    stores = [store for store in STORES if store in _STORE_FILES]  # the review queue: _copy_review
    for store in stores:
        path = files.get(store)
        if path is None:
            upgrade_schema(engine, store)  # the deployment opens it anyway; nothing to copy
            report.counts += [Count(table, store, 0, 0) for table in STORE_TABLES[store]]
            continue
        source = sqlite_engine(path)
        try:
            report.counts += _copy_store_rows(source, engine, store)
        finally:
            source.dispose()
        if progress is not None:
            progress(f"sql {store}", 1, 1)


def _copy_store_rows(source: Engine, target: Engine, store: str) -> list[Count]:
    """Insert ``store``'s rows the target lacks, in one target transaction, and count what it then holds.

    Raises:
        MigrationError: A row with the same numbered id but other values is on the target (nothing of this
            store is written).
    """
    upgrade_schema(source, store)
    upgrade_schema(target, store)
    tables = STORE_TABLES[store]
    read, write = MetaData(), MetaData()
    read.reflect(source, only=tables)
    write.reflect(target, only=tables)
    counts: list[Count] = []
    with source.connect() as reader, target.begin() as writer:
        for name in tables:
            table = write.tables[name]
            key = [column.name for column in table.primary_key.columns]
            columns = [column.name for column in table.columns if column.name in read.tables[name].c]
            rows = [dict(row) for row in reader.execute(select(read.tables[name])).mappings()]
            count = Count(name, store, len(rows))
            serial = key == ["id"] and isinstance(table.c.id.type, Integer)
            for start in range(0, len(rows), _ROW_BATCH):
                part = rows[start : start + _ROW_BATCH]
                held = _rows_by_key(writer, table, key, [tuple(row[k] for k in key) for row in part])
                new = []
                for row in part:
                    there = held.get(tuple(row[k] for k in key))
                    if there is None:
                        new.append({c: row[c] for c in columns})
                    elif not serial or all(_same(row[c], there[c]) for c in columns):
                        count.skipped += 1  # copied before (a natural key may have changed since: kept)
                    else:
                        raise MigrationError(
                            f"the target's table {name} already holds a different row under an id of this data "
                            "dir: it holds other data; migrate into a new database (nothing of the "
                            f"{store} store was written)"
                        )
                if new:
                    writer.execute(insert(table), new)
                count.copied += len(new)
            if serial and rows and not is_sqlite(target):
                # the id sequence goes on after the copied ids (names come from STORE_TABLES, not from input)
                writer.execute(
                    sql_text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
            keys = [tuple(row[k] for k in key) for row in rows]
            count.target = sum(
                len(_rows_by_key(writer, table, key, keys[start : start + _ROW_BATCH]))
                for start in range(0, len(keys), _ROW_BATCH)
            )
            counts.append(count)
    return counts


def _rows_by_key(
    connection: Any, table: Any, key: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The target rows whose primary key is one of ``keys`` (``{key: row}``)."""
    if not keys:
        return {}
    columns = [table.c[k] for k in key]
    condition = columns[0].in_([k[0] for k in keys]) if len(key) == 1 else tuple_(*columns).in_(list(keys))
    found = connection.execute(select(table).where(condition)).mappings()
    return {tuple(row[k] for k in key): dict(row) for row in found}


def _same(left: Any, right: Any) -> bool:
    """Whether two column values are the same value (floats to 1e-9 relative; booleans stored as 0/1)."""
    if isinstance(left, float) or isinstance(right, float):
        try:
            return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(left) == bool(right)
    return bool(left == right)


# --- review queue ------------------------------------------------------------------------------------------


def _copy_review(
    report: MigrationReport, engine: Engine, data_dir: Path, domains: Sequence[str], progress: Progress | None
) -> None:
    """Hold every document of the data dir's review queue in the database's queue unless it is there; count."""
    source, target = ReviewQueue(data_dir / "review"), SqlReviewQueue(engine)
    for domain in domains:
        held = source.held(domain)
        count = Count("held for review", domain, len(held))
        for done, document in enumerate(held, start=1):
            if target.get(domain, document.sha256) is not None:
                count.skipped += 1
            else:
                target.hold(document)
                count.copied += 1
            if progress is not None:
                progress(f"review {domain}", done, len(held))
        count.target = sum(1 for document in held if target.get(domain, document.sha256) is not None)
        report.counts.append(count)


# --- vaults ------------------------------------------------------------------------------------------------


def _vault_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "vault").glob("*.vault"))


def _source_cipher(data_dir: Path, vault_key: str | None) -> VaultCipher | None:
    """The data dir's vault cipher (``vault_key`` or ``vault/vault.key``), None without either."""
    if vault_key:
        return VaultCipher(vault_key)
    key_file = data_dir / "vault" / "vault.key"
    return VaultCipher(key_file.read_bytes().strip()) if key_file.is_file() else None


def _live_vaults(data_dir: Path, cipher: VaultCipher, ttl_hours: float) -> list[tuple[str, bytes]]:
    """``(session id, token)`` of every vault file not expired (files are only read)."""
    live = []
    for path in _vault_files(data_dir):
        try:
            check_session_id(path.stem)
        except VaultError:
            continue  # not a session's vault (VaultStore lists only valid ids too)
        token = path.read_bytes()
        try:
            if cipher.expired(token, time.time(), ttl_hours):
                continue
        except InvalidToken:
            raise VaultError(
                f"vault of session {path.stem!r} cannot be decrypted with the data dir's key; nothing was copied"
            ) from None
        cipher.decrypt(path.stem, token)  # VaultError (before anything is written) if this key cannot read it
        live.append((path.stem, token))
    return live


def _copy_vaults(
    report: MigrationReport,
    cipher: VaultCipher | None,
    live: list[tuple[str, bytes]],
    target: SqlVaultStore | None,
    progress: Progress | None,
) -> None:
    """Save every live vault (``(session id, token)`` read by :func:`_live_vaults`) to the database's vault
    table under the same key (merged: saving twice changes nothing), then count."""
    if cipher is None or target is None:  # no vault was ever made here
        report.counts.append(Count("vaults", "", 0, 0))
        return
    count = Count("vaults", "", len(live))
    for done, (session_id, token) in enumerate(live, start=1):
        vault = cipher.decrypt(session_id, token)
        stored = target.open(session_id) if target.exists(session_id) else None
        if stored is not None and all(stored.values.get(p) == v for p, v in vault.values.items()):
            count.skipped += 1
        else:
            target.save(vault)
            count.copied += 1
        if progress is not None:
            progress("vaults", done, len(live))
    held = set(target.session_ids())
    count.target = sum(1 for session_id, _ in live if session_id in held)
    report.counts.append(count)


# --- dry run and notes -------------------------------------------------------------------------------------


def _plan(
    report: MigrationReport,
    source: VectorStore,
    domains: Sequence[str],
    data_dir: Path,
    vault_key: str | None,
    ttl_hours: float,
) -> None:
    """Count what a run would copy (at most: what the target holds already is skipped then)."""
    for domain in domains:
        documents = source.list_documents(domain)  # the whole documents, as export yields them
        chunks = sum(document.chunks for document in documents)
        report.counts += [
            Count("documents", domain, len(documents), copied=len(documents)),
            Count("chunks", domain, chunks, copied=chunks),
            Count("lexical rows", domain, chunks, copied=chunks),
        ]
    files = store_files(data_dir)
    for store in (store for store in STORES if store in _STORE_FILES):
        path = files.get(store)
        if path is None:
            report.counts += [Count(table, store, 0) for table in STORE_TABLES[store]]
            continue
        engine = sqlite_engine(path)
        try:
            metadata = MetaData()
            metadata.reflect(engine, only=[t for t in STORE_TABLES[store] if _has_table(engine, t)])
            with engine.connect() as connection:
                for table in STORE_TABLES[store]:
                    rows = (
                        int(connection.scalar(select(func.count()).select_from(metadata.tables[table])) or 0)
                        if table in metadata.tables
                        else 0
                    )
                    report.counts.append(Count(table, store, rows, copied=rows))
        finally:
            engine.dispose()
    queue = ReviewQueue(data_dir / "review")
    for domain in domains:
        held = len(queue.held(domain))
        report.counts.append(Count("held for review", domain, held, copied=held))
    cipher = _source_cipher(data_dir, vault_key)
    vaults = len(_live_vaults(data_dir, cipher, ttl_hours)) if cipher is not None else 0
    report.counts.append(Count("vaults", "", vaults, copied=vaults))


def _has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)


def _notes(
    data_dir: Path, vault_key: str | None, accounts_configured: bool, operators_configured: bool
) -> list[str]:
    """What every replica needs besides the stores (secrets named, never shown)."""
    vault = (
        "every replica must get the vault key: ASSISTANT_PRIVACY__VAULT_KEY = the same privacy.vault_key"
        if vault_key
        else "every replica must get the vault key: ASSISTANT_PRIVACY__VAULT_KEY = the content of "
        f"{data_dir / 'vault' / 'vault.key'} (the vaults were copied under it)"
    )
    accounts = (
        "API keys and session labels keep working only with the same auth.secret (ASSISTANT_AUTH__SECRET) on "
        "every replica"
        if accounts_configured
        else "API keys and session labels keep working only with this data dir's accounts secret: set "
        f"ASSISTANT_AUTH__SECRET to the content of {data_dir / 'vault' / 'accounts.secret'} on every replica (or "
        "copy the file into each replica's data dir, vault/accounts.secret, mode 0600)"
    )
    operators = (
        "keep privacy.operator_secret (ASSISTANT_PRIVACY__OPERATOR_SECRET) the same on every replica"
        if operators_configured
        else "hashed and date-shifted values stay consistent only with this data dir's operator secret: copy "
        f"{data_dir / 'vault' / 'operators.secret'} into every replica's data dir"
    )
    return [
        vault,
        accounts,
        operators,
        "run every replica with store.mode http (ASSISTANT_STORE__MODE, ASSISTANT_STORE__CHROMA_HOST/PORT) and "
        "ASSISTANT_DATABASE__URL set to the target",
    ]
