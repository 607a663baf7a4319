"""The lexical (BM25) index beside Chroma: SQLite FTS5, one table per domain, persisted and updated per chunk.

Why FTS5: it ships inside Python's ``sqlite3`` (no service, no extra package), its ``bm25()`` ranking function is
Okapi BM25 (k1 = 1.2, b = 0.75, https://www.sqlite.org/fts5.html#the_bm25_function), and rows are inserted and
deleted transactionally, so the index follows the collection chunk by chunk instead of being rebuilt.

Text is tokenised here, not by FTS5 (:func:`lexical_tokens`): English and other space-delimited scripts become
lower-case words, minus the Lucene English stop words, stemmed with the Snowball English stemmer (PyStemmer);
runs of Chinese characters are segmented into words with jieba's search mode (words and their sub-words), so a
Chinese query matches Chinese passages. The tokens are stored space-joined in an FTS5 ``unicode61`` column and
queries are tokenised the same way and matched with OR (any query term may match; BM25 ranks).

Each row also names its chunk's document (sha256) and the document's owner: ``""`` for a shared document (a
domain's knowledge base), the uploader's user name for a private one, so a search can keep to what one user may
see (:meth:`LexicalIndex.search`, ``owners``). A table made before rows had an owner is rebuilt once, in one
transaction, when it is first used (its rows become shared, as they were): nothing to run by hand.

The same file records the documents being written (table ``pending``: domain, sha256, the writing process's id,
start time and chunk ids): a document's row goes in before its first vector is written and out in the one transaction
that writes its BM25 rows, so a document with a ``pending`` row is incomplete (its process may have been killed)
and is hidden until it is written again or cleaned up (:meth:`ingest.VectorStore.recover`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ingest.errors import StoreError

__all__ = ["LexicalBackend", "LexicalHit", "LexicalIndex", "PendingDocument", "lexical_tokens", "writer_host"]

#: Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, the stop list of Anserini's BM25 baselines on BEIR.
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
#: CJK Unified Ideographs (+ extension A and compatibility ideographs): segmented with jieba.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: The columns of a domain's FTS5 table: the tokens are matched; the chunk id, its document's sha256 and the
#: document's owner ("" = shared) are stored beside them.
_COLUMNS = "tokens, chunk_id UNINDEXED, document UNINDEXED, owner UNINDEXED, tokenize='unicode61 remove_diacritics 0'"
#: Chinese tokens that carry no content (particles and pronouns), dropped like English stop words.
_CJK_STOP = frozenset(
    [
        "的",
        "了",
        "和",
        "是",
        "在",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "吗",
        "呢",
        "吧",
        "啊",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "之",
        "其",
        "这",
        "那",
        "有",
        "被",
        "把",
        "对",
        "从",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: the Snowball stemmers in C

    return Stemmer.Stemmer("english")


def lexical_tokens(text: str) -> list[str]:
    """Tokenise ``text`` for BM25: NFKC, case-folded words without stop words, Snowball-stemmed; Chinese runs
    segmented by jieba (search mode).

    Args:
        text: Any text.

    Returns:
        Tokens in text order (may be empty), e.g. ``"Cards were stolen"`` → ``["card", "were", "stolen"]``
        and ``"我的银行卡被盗了"`` → ``["我", "银行", "银行卡", "盗"]`` (jieba's segmentation).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens: list[str] = []
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if _CJK_RUN.fullmatch(token):
            if words:
                tokens.extend(_stem(words))
                words = []
            tokens.extend(_segment(token))
        elif token not in _STOP_WORDS:
            words.append(token)
    if words:
        tokens.extend(_stem(words))
    return tokens


def _stem(words: list[str]) -> list[str]:
    return [str(word) for word in _stemmer().stemWords(words)]


def _segment(run: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # no "Building prefix dict" lines on stderr
    return [w for w in jieba.cut_for_search(run) if w.strip() and w not in _CJK_STOP]


def writer_host() -> str:
    """Where a writer runs, as its pending records name it: with a shared index, a record's process id means
    something only there. The machine's name (:func:`socket.gethostname`) and, on Linux, its process-id namespace,
    e.g. ``"app-1#4026531836"``: containers that share a host name (``network_mode: host``, or one ``hostname:``
    for scaled compose replicas) do not see each other's processes, so a process id checked from the wrong one
    would say a running writer is gone."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:  # not Linux, or no /proc
        return socket.gethostname()
    return f"{socket.gethostname()}#{namespace.removeprefix('pid:[').removesuffix(']')}"


@dataclass(frozen=True)
class PendingDocument:
    """A document being written (or left half-written): its domain, sha256, writer's process id, start time
    (seconds since the epoch), the ids of the chunks being written and the writer's host (:func:`writer_host`;
    ``""`` in a per-machine index, where every writer is local)."""

    domain: str
    sha256: str
    pid: int
    started: float
    ids: tuple[str, ...] = ()
    host: str = ""


@dataclass(frozen=True)
class LexicalHit:
    """A BM25 match: chunk id and its BM25 score (higher is better; FTS5's ``bm25()`` negated)."""

    chunk_id: str
    score: float


class LexicalBackend(Protocol):
    """What :class:`ingest.store.VectorStore` needs of a BM25 index kept in step with its vectors: the SQLite
    FTS5 file of one machine (:class:`LexicalIndex`) or an index in a database that several replicas share. Every
    method raises :class:`ingest.errors.StoreError` when the engine fails; the semantics are
    :class:`LexicalIndex`'s (tokenisation by :func:`lexical_tokens`, BM25 with k1 = 1.2, b = 0.75)."""

    def upsert(
        self,
        domain: str,
        ids: Sequence[str],
        texts: Sequence[str],
        documents: Sequence[str],
        completes: Sequence[str] = (),
        owners: Sequence[str] | None = None,
    ) -> None: ...
    def begin_document(self, domain: str, sha256: str, ids: Sequence[str] = ()) -> None: ...
    def end_document(self, domain: str, sha256: str) -> None: ...
    def pending(self, domain: str | None = None) -> list[PendingDocument]: ...
    def delete(self, domain: str, ids: Sequence[str]) -> int: ...
    def count(self, domain: str) -> int: ...
    def ids(self, domain: str) -> set[str]: ...
    def document_ids(self, domain: str, document: str) -> set[str]: ...
    def search(
        self,
        domain: str,
        query: str,
        k: int,
        documents: Sequence[str] | None = None,
        owners: Sequence[str] | None = None,
    ) -> list[LexicalHit]: ...
    def close(self) -> None: ...


#: Chunk ids per ``DELETE … WHERE chunk_id IN (…)``: the chunk id is not indexed (FTS5 ``UNINDEXED``), so each
#: statement scans the table once; batching makes deleting n ids n / 500 scans instead of n.
_DELETE_BATCH = 500


def _delete_rows(db: sqlite3.Connection, table: str, ids: Sequence[str]) -> int:
    """Delete the rows of ``ids`` from ``table`` (inside the caller's transaction); returns how many were removed."""
    unique = list(dict.fromkeys(ids))
    removed = 0
    for start in range(0, len(unique), _DELETE_BATCH):
        part = unique[start : start + _DELETE_BATCH]
        marks = ",".join("?" * len(part))
        removed += int(
            db.execute(f"SELECT count(*) FROM {table} WHERE chunk_id IN ({marks})", part).fetchone()[0]
        )
        db.execute(f"DELETE FROM {table} WHERE chunk_id IN ({marks})", part)
    return removed


class LexicalIndex:
    """BM25 index of chunk texts in a SQLite file, one FTS5 table per domain (``bm25_<domain>``).

    Thread-safe: one connection guarded by a lock (SQLite serialises writers anyway).
    """

    def __init__(self, path: Path) -> None:
        """Open or create the index file.

        Args:
            path: The SQLite file, e.g. ``<data_dir>/chroma/bm25.sqlite3``.

        Raises:
            StoreError: The file cannot be opened, or this SQLite lacks FTS5.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._ready: set[str] = set()  # tables known to have the owner column
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts5_probe USING fts5(x)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS pending (domain TEXT NOT NULL, sha256 TEXT NOT NULL, pid INTEGER NOT NULL,"
                " started REAL NOT NULL, ids TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (domain, sha256))"
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the BM25 index at {path}: {exc}") from exc
        self.path = path

    @staticmethod
    def _table(domain: str) -> str:
        name = f"bm25_{domain}"
        if not _TABLE.fullmatch(name):
            raise StoreError(f"invalid domain name for the BM25 index: {domain!r}")
        return name

    def _ensure(self, domain: str) -> str:
        """The domain's table, created or upgraded (an owner column added) if needed; call with the lock held."""
        table = self._table(domain)
        if table in self._ready:
            return table
        own = not self._db.in_transaction
        if own:
            self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5({_COLUMNS})")
            columns = {str(row[1]) for row in self._db.execute(f"PRAGMA table_info({table})")}
            if "owner" not in columns:  # a table of before private documents: every row is shared
                self._db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
                self._db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({_COLUMNS})")
                self._db.execute(
                    f"INSERT INTO {table}(tokens, chunk_id, document, owner) "
                    f"SELECT tokens, chunk_id, document, '' FROM {table}_v1"
                )
                self._db.execute(f"DROP TABLE {table}_v1")
        except BaseException:
            if own:
                self._db.execute("ROLLBACK")
            raise
        if own:
            self._db.execute("COMMIT")
        self._ready.add(table)
        return table

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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
            domain: Domain (table) name.
            ids: Chunk ids (the Chroma ids).
            texts: Chunk texts, raw (tokenised here).
            documents: The sha256 of each chunk's document (for pinned-document filters).
            completes: Document sha256 values whose ``pending`` rows this transaction removes (written).
            owners: The owner of each chunk's document (``""`` = shared); None = every chunk shared.

        Raises:
            StoreError: Lengths differ or SQLite fails (nothing of this call is kept).
        """
        owners = [""] * len(ids) if owners is None else owners
        if not (len(ids) == len(texts) == len(documents) == len(owners)):
            raise StoreError("ids, texts, documents and owners differ in length")
        rows = [
            (" ".join(lexical_tokens(t)), i, d, o)
            for i, t, d, o in zip(ids, texts, documents, owners, strict=True)
        ]
        try:
            with self._transaction() as db:
                table = self._ensure(domain)
                _delete_rows(db, table, ids)
                db.executemany(
                    f"INSERT INTO {table}(tokens, chunk_id, document, owner) VALUES (?, ?, ?, ?)", rows
                )
                db.executemany(
                    "DELETE FROM pending WHERE domain = ? AND sha256 = ?",
                    [(domain, sha) for sha in completes],
                )
        except sqlite3.Error as exc:
            raise StoreError(
                f"writing {len(ids)} chunks to the BM25 index of {domain!r} failed: {exc}"
            ) from exc

    def begin_document(self, domain: str, sha256: str, ids: Sequence[str] = ()) -> None:
        """Record that this process starts writing chunks ``ids`` of document ``sha256`` of ``domain`` (hidden
        until done). The ids are kept because a killed writer's last vectors may not be readable yet: Chroma
        applies its write-ahead log in the next process that writes, so a clean-up deletes them by id.

        Raises:
            StoreError: SQLite fails.
        """
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT OR REPLACE INTO pending(domain, sha256, pid, started, ids) VALUES (?, ?, ?, ?, ?)",
                    (domain, sha256, os.getpid(), time.time(), json.dumps(list(ids))),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"recording the write of document {sha256[:12]} failed: {exc}") from exc

    def end_document(self, domain: str, sha256: str) -> None:
        """Drop the ``pending`` row of ``sha256`` (written completely, or deleted)."""
        try:
            with self._transaction() as db:
                db.execute("DELETE FROM pending WHERE domain = ? AND sha256 = ?", (domain, sha256))
        except sqlite3.Error as exc:
            raise StoreError(f"clearing the write record of document {sha256[:12]} failed: {exc}") from exc

    def pending(self, domain: str | None = None) -> list[PendingDocument]:
        """The documents being written, or left half-written by a process that died (of ``domain``, or all).
        Their ``host`` is ``""``: this file belongs to one machine, so every writer is local."""
        sql = "SELECT domain, sha256, pid, started, ids FROM pending"
        with self._lock:
            rows = self._db.execute(
                sql + (" WHERE domain = ?" if domain else ""), (domain,) if domain else ()
            )
            return [
                PendingDocument(str(d), str(s), int(p), float(t), tuple(json.loads(i)))
                for d, s, p, t, i in rows.fetchall()
            ]

    def delete(self, domain: str, ids: Sequence[str]) -> int:
        """Remove chunks by id; returns how many rows were removed.

        Raises:
            StoreError: SQLite fails (nothing is removed).
        """
        if not ids:
            return 0
        try:
            with self._transaction() as db:
                table = self._ensure(domain)
                return _delete_rows(db, table, ids)
        except sqlite3.Error as exc:
            raise StoreError(f"deleting from the BM25 index of {domain!r} failed: {exc}") from exc

    def count(self, domain: str) -> int:
        """Number of chunks indexed for ``domain``."""
        with self._lock:
            table = self._ensure(domain)
            return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def ids(self, domain: str) -> set[str]:
        """Every chunk id indexed for ``domain``."""
        with self._lock:
            table = self._ensure(domain)
            return {row[0] for row in self._db.execute(f"SELECT chunk_id FROM {table}")}

    def document_ids(self, domain: str, document: str) -> set[str]:
        """The chunk ids indexed for one document (its sha256) in ``domain``."""
        with self._lock:
            table = self._ensure(domain)
            query = f"SELECT chunk_id FROM {table} WHERE document = ?"
            return {row[0] for row in self._db.execute(query, (document,))}

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
            domain: Domain (table) name.
            query: Raw query text (tokenised like the chunks).
            k: Number of hits wanted.
            documents: Only chunks of these document sha256 values (None or empty = all).
            owners: Only chunks of documents with these owners (``""`` = shared); None = every owner.

        Returns:
            Up to ``k`` hits; empty when no query term occurs in the index.
        """
        terms = list(dict.fromkeys(lexical_tokens(query)))
        if not terms or k <= 0:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        sql = "SELECT chunk_id, -bm25({t}) AS score FROM {t} WHERE {t} MATCH ?"
        params: list[Any] = [match]
        if documents:
            sql += " AND document IN ({})".format(",".join("?" * len(documents)))
            params.extend(documents)
        if owners is not None:
            wanted = list(dict.fromkeys(owners))
            sql += " AND owner IN ({})".format(",".join("?" * len(wanted)))
            params.extend(wanted)
        sql += " ORDER BY bm25({t}) LIMIT ?"
        params.append(k)
        with self._lock:
            table = self._ensure(domain)
            rows = self._db.execute(sql.format(t=table), params).fetchall()
        return [LexicalHit(str(chunk), float(score)) for chunk, score in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
