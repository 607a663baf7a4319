"""The review queue: documents held back from the index, kept *already de-identified* with their report.

One JSON file per held document at ``<root>/<domain>/<sha256>.json`` (mode 0600, directories 0700), written
atomically (a temporary file in the same directory, fsynced, then ``os.replace``), so a held document and its
report exist together or not at all. Releasing indexes the stored, de-identified sections and then deletes
the file; rejecting deletes it. Raw text is never passed to this module.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ingest.errors import ReviewError
from ingest.loaders import LoadedDocument, Section

__all__ = [
    "HeldDocument",
    "ReviewQueue",
    "ReviewStorage",
    "check_held_key",
    "find_held",
    "held_from_record",
    "held_record",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PREFIX = re.compile(r"[0-9a-f]{4,64}")
_DOMAIN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class HeldDocument:
    """A document held for review.

    Attributes:
        name: De-identified file name.
        domain: Target domain.
        sha256: The document id, hex: the sha256 of the original file bytes (for a private document, the id the
            ingestion derives from it and the owner).
        kind: Detected kind (pdf, markdown, code, ...).
        language: Source language for code, else None.
        sections: The de-identified sections, in reading order.
        report: The ingestion report (``privacy.DocumentReport.to_dict()``: counts and risk, no values).
        held_at: When it was held, ISO 8601 UTC.
        owner: The user the document is private to; ``""`` = shared (also for records held before documents
            had owners).
    """

    name: str
    domain: str
    sha256: str
    kind: str
    language: str | None
    sections: tuple[Section, ...]
    report: dict[str, Any]
    held_at: str
    owner: str = ""

    def summary(self) -> dict[str, Any]:
        """JSON-ready ``{name, domain, sha256, kind, held_at, report, owner}`` (no text)."""
        return {
            "name": self.name,
            "domain": self.domain,
            "sha256": self.sha256,
            "kind": self.kind,
            "held_at": self.held_at,
            "report": self.report,
            "owner": self.owner,
        }

    def as_document(self) -> LoadedDocument:
        """The held, de-identified text as a :class:`LoadedDocument` to chunk on release."""
        return LoadedDocument(
            name=self.name,
            sha256=self.sha256,
            kind=self.kind,
            language=self.language,
            sections=self.sections,
            size_bytes=sum(len(s.text.encode("utf-8")) for s in self.sections),
        )


def held_record(document: HeldDocument) -> dict[str, Any]:
    """The JSON-ready record of a held document: :meth:`HeldDocument.summary` with its language and
    de-identified sections (what :class:`ReviewQueue` writes to a file and a database queue to a row)."""
    return {
        **document.summary(),
        "language": document.language,
        "sections": [{"text": s.text, "location": s.location} for s in document.sections],
    }


def held_from_record(raw: dict[str, Any]) -> HeldDocument:
    """The held document of a :func:`held_record` mapping.

    Raises:
        KeyError, TypeError, ValueError: The record is incomplete or malformed.
    """
    return HeldDocument(
        name=str(raw["name"]),
        domain=str(raw["domain"]),
        sha256=str(raw["sha256"]),
        kind=str(raw["kind"]),
        language=raw.get("language"),
        sections=tuple(Section(str(s["text"]), str(s["location"])) for s in raw["sections"]),
        report=dict(raw["report"]),
        held_at=str(raw["held_at"]),
        owner=str(raw.get("owner") or ""),
    )


def check_held_key(domain: str, sha256: str) -> None:
    """Validate a queue key.

    Raises:
        ReviewError: ``domain`` is not a domain name or ``sha256`` not 64 lower-case hex digits.
    """
    if not _DOMAIN.fullmatch(domain):
        raise ReviewError(f"invalid domain name {domain!r}")
    if not _SHA256.fullmatch(sha256):
        raise ReviewError(f"invalid document sha256 {sha256!r}")


def find_held(held: list[HeldDocument], domain: str, sha256_prefix: str) -> HeldDocument:
    """The one document of ``held`` whose sha256 starts with ``sha256_prefix`` (at least 4 hex digits).

    Raises:
        ReviewError: The prefix is malformed, matches no held document, or matches several.
    """
    prefix = sha256_prefix.strip().lower()
    if not _PREFIX.fullmatch(prefix):
        raise ReviewError(f"{sha256_prefix!r} is not a document id (4 to 64 hex digits of its sha256)")
    matches = [h for h in held if h.sha256.startswith(prefix)]
    if not matches:
        raise ReviewError(f"no document {sha256_prefix!r} is held for review in {domain!r}")
    if len(matches) > 1:
        raise ReviewError(f"{sha256_prefix!r} matches {len(matches)} held documents; give more digits")
    return matches[0]


class ReviewStorage(Protocol):
    """What the ingestion and the review flow use of a review queue: :class:`ReviewQueue` (files in the data
    dir) or a queue in the database several replicas share. Every method raises :class:`ReviewError` on
    invalid keys or a storage failure; semantics are :class:`ReviewQueue`'s."""

    def hold(self, document: HeldDocument) -> object: ...
    def get(self, domain: str, sha256: str) -> HeldDocument | None: ...
    def held(self, domain: str) -> list[HeldDocument]: ...
    def find(self, domain: str, sha256_prefix: str) -> HeldDocument: ...
    def remove(self, domain: str, sha256: str) -> bool: ...


class ReviewQueue:
    """Held documents under ``root`` (usually ``<data_dir>/review``), one folder per domain."""

    def __init__(self, root: Path) -> None:
        """Args:
        root: Folder of the queue; created (0700) on first hold.
        """
        self.root = root

    def _path(self, domain: str, sha256: str) -> Path:
        check_held_key(domain, sha256)
        return self.root / domain / f"{sha256}.json"

    def hold(self, document: HeldDocument) -> Path:
        """Store ``document`` (replacing a previous copy) atomically; returns its file.

        Raises:
            ReviewError: Invalid domain or sha256, or the file cannot be written (nothing is left behind).
        """
        path = self._path(document.domain, document.sha256)
        record = held_record(document)
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        except OSError as exc:
            raise ReviewError(f"cannot write to the review queue at {path.parent}: {exc}") from exc
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp creates it with mode 0600
                json.dump(record, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise ReviewError(f"cannot write {path.name} to the review queue: {exc}") from exc
        return path

    def get(self, domain: str, sha256: str) -> HeldDocument | None:
        """The held document with this sha256, or None.

        Raises:
            ReviewError: Invalid domain or sha256, or an unreadable record.
        """
        path = self._path(domain, sha256)
        return _read(path) if path.is_file() else None

    def held(self, domain: str) -> list[HeldDocument]:
        """The documents held in ``domain``, newest first.

        Raises:
            ReviewError: Invalid domain, or an unreadable record.
        """
        self._path(domain, "0" * 64)  # validates the domain name
        folder = self.root / domain
        if not folder.is_dir():
            return []
        held = [_read(p) for p in folder.glob("*.json") if _SHA256.fullmatch(p.stem)]
        return sorted(held, key=lambda h: (h.held_at, h.sha256), reverse=True)

    def find(self, domain: str, sha256_prefix: str) -> HeldDocument:
        """The held document whose sha256 starts with ``sha256_prefix`` (at least 4 hex digits).

        Raises:
            ReviewError: The prefix is malformed, matches no held document, or matches several.
        """
        return find_held(self.held(domain), domain, sha256_prefix)

    def remove(self, domain: str, sha256: str) -> bool:
        """Delete a held document; returns whether it existed.

        Raises:
            ReviewError: Invalid domain or sha256, or the file cannot be deleted.
        """
        path = self._path(domain, sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise ReviewError(f"cannot delete {path.name} from the review queue: {exc}") from exc
        return True


def _read(path: Path) -> HeldDocument:
    try:
        return held_from_record(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReviewError(f"unreadable review record {path.name}: {exc}") from exc
