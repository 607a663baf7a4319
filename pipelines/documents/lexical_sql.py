"""A BM25 lexical index in a SQL database that several API replicas share (PostgreSQL; SQLite works too).

:class:`SqlLexicalIndex` implements :class:`ingest.lexical.LexicalBackend` with the semantics of the per-machine
SQLite FTS5 index (:class:`ingest.lexical.LexicalIndex`): the same tokens (:func:`ingest.lexical.lexical_tokens`),
the same ranking function and the same ``pending`` records (plus the writer's host). It needs only ordinary tables
and SQLAlchemy Core, no database extension.

Tables (created when missing):

- ``lexical_chunks (domain, chunk_id, document, owner, length)``: one row per chunk; ``length`` = its token count;
- ``lexical_postings (domain, term, chunk_id, tf, length, owner)``: one row per distinct token of a chunk, ``tf``
  = how often it occurs there, with the chunk's length and owner repeated (a chunk is only ever rewritten whole);
  primary key ``(domain, term, chunk_id)`` covering the other columns, so a query term's postings are one index
  range, read alone;
- ``lexical_stats (domain, chunks, tokens)``: per domain, the number of chunks and the sum of their lengths (N and
  N * avgdl), kept in the transaction that changes the chunks; its row is also the domain's writer lock;
- ``lexical_pending (domain, sha256, host, pid, started, ids)``: documents being written.

No chunk text is stored: only its tokens (stemmed words) as posting terms, and they go with the chunk's rows.

Ranking: Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", Foundations
and Trends in IR 3(4), 2009) exactly as SQLite FTS5's ``bm25()`` computes it (https://www.sqlite.org/fts5.html,
"The bm25() function"; ``fts5Bm25Function`` in ``ext/fts5/fts5_aux.c``), with k1 = 1.2 and b = 0.75::

    score(D, Q) = sum over distinct query terms q in D of
                  IDF(q) * tf(q, D) * (k1 + 1) / (tf(q, D) + k1 * (1 - b + b * |D| / avgdl))
    IDF(q)      = ln((N - n(q) + 0.5) / (n(q) + 0.5)), or 1e-6 when that is not positive

where N is the number of chunks of the domain, n(q) the number of chunks containing q and avgdl the mean chunk
length in tokens, all over the whole domain (filters by document or owner do not change them, as in FTS5). FTS5
returns the negated score; :class:`ingest.lexical.LexicalHit` carries it positive (higher is better), like
:class:`ingest.lexical.LexicalIndex`. One SQL statement per search scores every chunk that holds a query term.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from ingest.errors import StoreError
from ingest.lexical import LexicalHit, PendingDocument, lexical_tokens, writer_host

__all__ = ["BM25_B", "BM25_K1", "SqlLexicalIndex"]

#: Okapi BM25 term-frequency saturation (FTS5's value).
BM25_K1 = 1.2
#: Okapi BM25 length normalisation (FTS5's value).
BM25_B = 0.75
#: FTS5's IDF floor for terms in half the chunks or more.
_IDF_FLOOR = 1e-6
#: The domain names :class:`ingest.lexical.LexicalIndex` accepts (those that make a table name ``bm25_<domain>``
#: of at most 64 characters, lower-case letters, digits and ``_``).
_DOMAIN = re.compile(r"^[a-z0-9_]{0,59}$")
#: PostgreSQL advisory lock key held while the tables are created (a constant: "bm25" in ASCII).
_SCHEMA_LOCK = 0x626D3235
#: Ids per ``IN (...)`` list (well under SQLite's and PostgreSQL's parameter limits).
_BATCH = 500

_metadata = MetaData()
_chunks = Table(
    "lexical_chunks",
    _metadata,
    Column("domain", String(64), primary_key=True),
    Column("chunk_id", String(256), primary_key=True),
    Column("document", String(128), nullable=False),
    Column("owner", Text, nullable=False),
    Column("length", Integer, nullable=False),
    Index("lexical_chunks_document", "domain", "document"),
)
_postings = Table(
    "lexical_postings",
    _metadata,
    Column("domain", String(64), nullable=False),
    Column("term", Text, nullable=False),
    Column("chunk_id", String(256), nullable=False),
    Column("tf", Integer, nullable=False),
    Column("length", Integer, nullable=False),
    Column("owner", Text, nullable=False),
    # a search reads only this key: PostgreSQL scans the index alone (INCLUDE), SQLite's table is the key
    PrimaryKeyConstraint("domain", "term", "chunk_id", postgresql_include=["tf", "length", "owner"]),
    Index("lexical_postings_chunk", "domain", "chunk_id"),
    sqlite_with_rowid=False,
)
_stats = Table(
    "lexical_stats",
    _metadata,
    Column("domain", String(64), primary_key=True),
    Column("chunks", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
)
_pending = Table(
    "lexical_pending",
    _metadata,
    Column("domain", String(64), primary_key=True),
    Column("sha256", String(128), primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started", Float, nullable=False),
    Column("ids", Text, nullable=False),
)


class SqlLexicalIndex:
    """BM25 index of chunk texts in SQL tables that every replica reads and writes (see the module docstring).

    Thread-safe: each call takes a connection from the engine's pool; writes to one domain are serialised by a
    row lock on its ``lexical_stats`` row (PostgreSQL) or by SQLite's database lock, and every call is one
    transaction, so two replicas see each other's writes as soon as they commit.
    """

    def __init__(self, engine: Engine) -> None:
        """Use ``engine``'s database, creating the tables when missing.

        Args:
            engine: A SQLAlchemy engine of PostgreSQL (psycopg 3, ``postgresql+psycopg://…``; the shared target) or
                of a SQLite file (:func:`pipelines.core.sql.sqlite_engine`). The index does not own it: several
                stores may share one engine.

        Raises:
            StoreError: The database cannot be reached or the tables cannot be created.
        """
        self.engine = engine
        self._dialect = engine.dialect.name
        self._python_ln = False  # SQLite built without its math functions: ln() is registered per search
        try:
            with engine.begin() as connection:
                # replicas that start together create the tables one after the other
                if self._dialect == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                _metadata.create_all(connection)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open or create the BM25 tables: {_describe(exc)}") from exc
        if self._dialect == "sqlite":
            try:
                with engine.connect() as connection:
                    connection.execute(select(func.ln(2.0)))
            except OperationalError:
                self._python_ln = True

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed: {_describe(exc)}") from exc

    def _insert(self, table: Table) -> Any:
        """An INSERT that can take ``ON CONFLICT`` (PostgreSQL's or SQLite's)."""
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    def _lock_domain(self, connection: Connection, domain: str) -> None:
        """Create the domain's statistics row if needed and lock it until the transaction ends."""
        connection.execute(
            self._insert(_stats)
            .values(domain=domain, chunks=0, tokens=0)
            .on_conflict_do_nothing(index_elements=["domain"])
        )
        connection.execute(select(_stats.c.domain).where(_stats.c.domain == domain).with_for_update())

    def _remove(self, connection: Connection, domain: str, ids: Sequence[str]) -> tuple[int, int]:
        """Delete chunks ``ids`` (postings and rows); returns (chunks removed, their tokens). Domain locked."""
        removed = tokens = 0
        for start in range(0, len(ids), _BATCH):
            part = list(ids[start : start + _BATCH])
            where = and_(_chunks.c.domain == domain, _chunks.c.chunk_id.in_(part))
            row = connection.execute(
                select(func.count(), func.coalesce(func.sum(_chunks.c.length), 0)).where(where)
            ).one()
            removed, tokens = removed + int(row[0]), tokens + int(row[1])
            connection.execute(
                delete(_postings).where(_postings.c.domain == domain, _postings.c.chunk_id.in_(part))
            )
            connection.execute(delete(_chunks).where(where))
        return removed, tokens

    def _insert_postings(self, connection: Connection, terms: list[dict[str, Any]]) -> None:
        """Insert posting rows: on PostgreSQL one ``INSERT ... SELECT FROM unnest(arrays)`` (one statement instead
        of one per row: the rows of a batch of chunks are 10^4 to 10^5); elsewhere an executemany."""
        if self._dialect != "postgresql":
            connection.execute(_postings.insert(), terms)
            return
        names = ("domain", "term", "chunk_id", "tf", "length", "owner")
        arrays = [
            bindparam(
                f"{name}_array",
                [row[name] for row in terms],
                type_=postgresql.ARRAY(Integer if name in ("tf", "length") else Text),
            )
            for name in names
        ]
        rows = func.unnest(*arrays).table_valued(*names).render_derived(name="new_postings")
        connection.execute(
            _postings.insert().from_select(list(names), select(*(rows.c[name] for name in names)))
        )

    @staticmethod
    def _count(connection: Connection, domain: str, chunks: int, tokens: int) -> None:
        if chunks or tokens:
            connection.execute(
                _stats.update()
                .where(_stats.c.domain == domain)
                .values(chunks=_stats.c.chunks + chunks, tokens=_stats.c.tokens + tokens)
            )

    def upsert(
        self,
        domain: str,
        ids: Sequence[str],
        texts: Sequence[str],
        documents: Sequence[str],
        completes: Sequence[str] = (),
        owners: Sequence[str] | None = None,
    ) -> None:
        """Index chunks (replacing any row with the same chunk id), all in one transaction.

        Args:
            domain: Domain name (lower-case letters, digits and ``_``, at most 59 characters).
            ids: Chunk ids (the Chroma ids); a repeated id keeps its last text.
            texts: Chunk texts, raw (tokenised here by :func:`ingest.lexical.lexical_tokens`; not stored).
            documents: The sha256 of each chunk's document (for pinned-document filters).
            completes: Document sha256 values whose ``pending`` rows this transaction removes (written).
            owners: The owner of each chunk's document (``""`` = shared); None = every chunk shared.

        Raises:
            StoreError: Invalid domain, lengths differ or the database fails (nothing of this call is kept).
        """
        _check_domain(domain)
        owners = [""] * len(ids) if owners is None else owners
        if not (len(ids) == len(texts) == len(documents) == len(owners)):
            raise StoreError("ids, texts, documents and owners differ in length")
        rows: dict[str, dict[str, Any]] = {}
        postings: dict[str, Counter[str]] = {}
        for chunk_id, text, document, owner in zip(ids, texts, documents, owners, strict=True):
            tokens = lexical_tokens(text)
            rows[chunk_id] = {
                "domain": domain,
                "chunk_id": chunk_id,
                "document": document,
                "owner": owner,
                "length": len(tokens),
            }
            postings[chunk_id] = Counter(tokens)
        with self._transaction(f"writing {len(ids)} chunks to the BM25 index of {domain!r}") as connection:
            if rows:
                self._lock_domain(connection, domain)
                removed, removed_tokens = self._remove(connection, domain, list(rows))
                connection.execute(_chunks.insert(), list(rows.values()))
                terms = [
                    {
                        "domain": domain,
                        "term": term,
                        "chunk_id": chunk_id,
                        "tf": tf,
                        "length": rows[chunk_id]["length"],
                        "owner": rows[chunk_id]["owner"],
                    }
                    for chunk_id, counts in postings.items()
                    for term, tf in counts.items()
                ]
                if terms:
                    self._insert_postings(connection, terms)
                added_tokens = sum(row["length"] for row in rows.values())
                self._count(connection, domain, len(rows) - removed, added_tokens - removed_tokens)
            for sha in dict.fromkeys(completes):
                connection.execute(
                    delete(_pending).where(_pending.c.domain == domain, _pending.c.sha256 == sha)
                )

    def begin_document(self, domain: str, sha256: str, ids: Sequence[str] = ()) -> None:
        """Record that this process (:func:`ingest.lexical.writer_host`, its pid) starts writing chunks ``ids`` of
        document ``sha256`` of ``domain`` (hidden until done); replaces an earlier record of the document.

        Raises:
            StoreError: The database fails.
        """
        values = {
            "domain": domain,
            "sha256": sha256,
            "host": writer_host(),
            "pid": os.getpid(),
            "started": time.time(),
            "ids": json.dumps(list(ids)),
        }
        statement = self._insert(_pending).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["domain", "sha256"],
            set_={name: statement.excluded[name] for name in ("host", "pid", "started", "ids")},
        )
        with self._transaction(f"recording the write of document {sha256[:12]}") as connection:
            connection.execute(statement)

    def end_document(self, domain: str, sha256: str) -> None:
        """Drop the ``pending`` row of ``sha256`` (written completely, or deleted).

        Raises:
            StoreError: The database fails.
        """
        with self._transaction(f"clearing the write record of document {sha256[:12]}") as connection:
            connection.execute(
                delete(_pending).where(_pending.c.domain == domain, _pending.c.sha256 == sha256)
            )

    def pending(self, domain: str | None = None) -> list[PendingDocument]:
        """The documents being written, or left half-written by a process that died (of ``domain``, or all), each
        with its writer's host and pid.

        Raises:
            StoreError: The database fails.
        """
        query = select(_pending).order_by(_pending.c.domain, _pending.c.sha256)
        if domain:
            query = query.where(_pending.c.domain == domain)
        with self._transaction("reading the BM25 write records") as connection:
            rows = connection.execute(query).all()
        return [
            PendingDocument(
                str(r.domain),
                str(r.sha256),
                int(r.pid),
                float(r.started),
                tuple(json.loads(r.ids)),
                str(r.host),
            )
            for r in rows
        ]

    def delete(self, domain: str, ids: Sequence[str]) -> int:
        """Remove chunks by id (their rows and postings); returns how many chunks were removed.

        Raises:
            StoreError: Invalid domain or the database fails (nothing is removed).
        """
        _check_domain(domain)
        if not ids:
            return 0
        with self._transaction(f"deleting from the BM25 index of {domain!r}") as connection:
            self._lock_domain(connection, domain)
            removed, tokens = self._remove(connection, domain, list(dict.fromkeys(ids)))
            self._count(connection, domain, -removed, -tokens)
        return removed

    def count(self, domain: str) -> int:
        """Number of chunks indexed for ``domain`` (0 for a domain never written).

        Raises:
            StoreError: Invalid domain or the database fails.
        """
        _check_domain(domain)
        with self._transaction(f"counting the BM25 index of {domain!r}") as connection:
            return int(
                connection.execute(select(func.count()).where(_chunks.c.domain == domain)).scalar_one()
            )

    def ids(self, domain: str) -> set[str]:
        """Every chunk id indexed for ``domain``.

        Raises:
            StoreError: Invalid domain or the database fails.
        """
        _check_domain(domain)
        with self._transaction(f"reading the BM25 index of {domain!r}") as connection:
            return set(
                connection.execute(select(_chunks.c.chunk_id).where(_chunks.c.domain == domain)).scalars()
            )

    def document_ids(self, domain: str, document: str) -> set[str]:
        """The chunk ids indexed for one document (its sha256) in ``domain``.

        Raises:
            StoreError: Invalid domain or the database fails.
        """
        _check_domain(domain)
        query = select(_chunks.c.chunk_id).where(_chunks.c.domain == domain, _chunks.c.document == document)
        with self._transaction(f"reading the BM25 index of {domain!r}") as connection:
            return set(connection.execute(query).scalars())

    def search(
        self,
        domain: str,
        query: str,
        k: int,
        documents: Sequence[str] | None = None,
        owners: Sequence[str] | None = None,
    ) -> list[LexicalHit]:
        """Return the ``k`` best chunks by BM25 for ``query`` (any of its terms), best first.

        Args:
            domain: Domain name.
            query: Raw query text (tokenised like the chunks).
            k: Number of hits wanted.
            documents: Only chunks of these document sha256 values (None or empty = all).
            owners: Only chunks of documents with these owners (``""`` = shared); None = every owner, empty = none.

        Returns:
            Up to ``k`` hits, score = BM25 (module docstring; higher is better), ties by chunk id; empty when no
            query term occurs in the index.

        Raises:
            StoreError: Invalid domain or the database fails.
        """
        _check_domain(domain)
        terms = list(dict.fromkeys(lexical_tokens(query)))
        if not terms or k <= 0 or (owners is not None and not owners):
            return []
        with self._transaction(f"searching the BM25 index of {domain!r}") as connection:
            if self._python_ln:
                raw: Any = connection.connection.driver_connection
                raw.create_function("ln", 1, _ln, deterministic=True)
            rows = connection.execute(
                self._search_statement(domain, documents, owners),
                {"terms": terms, "k": int(k), **({"documents": list(documents)} if documents else {})}
                | ({"owners": list(dict.fromkeys(owners))} if owners is not None else {}),
            ).all()
        return [LexicalHit(str(chunk_id), float(score)) for chunk_id, score in rows]

    def _search_statement(
        self, domain: str, documents: Sequence[str] | None, owners: Sequence[str] | None
    ) -> Any:
        """One SELECT: each query term's postings (with the chunk's length) and the term's document frequency (a
        window over the term's postings, before any filter), summed per chunk, top k; the chunks table is joined
        only to filter by document (the owner is repeated in the postings)."""
        stats = select(
            cast(_stats.c.chunks, Float).label("n"),
            (cast(_stats.c.tokens, Float) / cast(_stats.c.chunks, Float)).label("avgdl"),
        ).where(_stats.c.domain == domain, _stats.c.chunks > 0)
        stats_sub = stats.subquery("stats")
        hits = (
            select(
                _postings.c.chunk_id,
                _postings.c.tf,
                _postings.c.length,
                _postings.c.owner,
                func.count().over(partition_by=_postings.c.term).label("df"),
            )
            .where(_postings.c.domain == domain, _postings.c.term.in_(bindparam("terms", expanding=True)))
            .subquery("hits")
        )
        half = literal(0.5, Float)
        df = cast(hits.c.df, Float)
        ratio = (stats_sub.c.n - df + half) / (df + half)
        idf = case((ratio > literal(1.0, Float), func.ln(ratio)), else_=literal(_IDF_FLOOR, Float))
        tf = cast(hits.c.tf, Float)
        norm = literal(BM25_K1, Float) * (
            literal(1.0 - BM25_B, Float)
            + literal(BM25_B, Float) * cast(hits.c.length, Float) / stats_sub.c.avgdl
        )
        score = func.sum(idf * tf * literal(BM25_K1 + 1.0, Float) / (tf + norm)).label("score")
        statement = select(hits.c.chunk_id, score).select_from(hits).join(stats_sub, literal(True))
        if documents:
            statement = statement.join(
                _chunks, and_(_chunks.c.domain == domain, _chunks.c.chunk_id == hits.c.chunk_id)
            ).where(_chunks.c.document.in_(bindparam("documents", expanding=True)))
        if owners is not None:
            statement = statement.where(hits.c.owner.in_(bindparam("owners", expanding=True)))
        return (
            statement.group_by(hits.c.chunk_id)
            .order_by(score.desc(), hits.c.chunk_id)
            .limit(bindparam("k", type_=Integer))
        )

    def close(self) -> None:
        """Nothing to release: each call returned its connection to the engine's pool, and the engine belongs to
        whoever made it (it may serve other stores too)."""


def _check_domain(domain: str) -> None:
    if not _DOMAIN.fullmatch(domain):
        raise StoreError(f"invalid domain name for the BM25 index: {domain!r}")


def _describe(exc: SQLAlchemyError) -> str:
    """What went wrong, without the statement's parameters or a constraint's key (they may hold chunk tokens):
    the driver's error class and SQLSTATE, and the first line of a connection-level error's message."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        orig = exc.orig
        text = type(orig).__name__
        state = getattr(orig, "sqlstate", None)
        if state:
            text += f" (SQLSTATE {state})"
        if type(exc).__name__ in ("OperationalError", "InterfaceError"):
            first = str(orig).strip().splitlines()[0:1]
            if first:
                text += f": {first[0][:200]}"
        return text
    return type(exc).__name__


def _ln(value: float | None) -> float | None:
    return math.log(value) if value is not None and value > 0 else None
