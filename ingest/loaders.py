"""Loading documents into text sections (page, heading or row range), with validation.

Readers: pypdf (PDF), python-docx (DOCX), BeautifulSoup (HTML), plain decoding for Markdown, text, CSV and
source code. Each section keeps where it came from (``location``: "page 3", "section: Fees", "rows 1-40",
"file") so a chunk can be cited precisely.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
)
from ingest.filetypes import FileKind, detect_kind

__all__ = ["LoadedDocument", "Section", "load_bytes", "load_document"]

_CSV_ROWS_PER_SECTION = 40
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    """A contiguous piece of a document's text and where it is (``location``)."""

    text: str
    location: str


@dataclass(frozen=True)
class LoadedDocument:
    """A validated, loaded document.

    Attributes:
        name: File name (no directories).
        sha256: Hex sha256 of the file bytes (the document id).
        kind: pdf|docx|html|markdown|text|csv|code.
        language: Source language for code, else None.
        sections: Text sections in reading order (never empty).
        size_bytes: File size in bytes.
    """

    name: str
    sha256: str
    kind: str
    language: str | None
    sections: tuple[Section, ...]
    size_bytes: int

    @property
    def char_count(self) -> int:
        """Total characters of text."""
        return sum(len(section.text) for section in self.sections)


def load_document(path: Path, max_bytes: int, max_chars: int) -> LoadedDocument:
    """Read, validate and load the file at ``path``; see :func:`load_bytes`.

    Raises:
        IngestError: A subclass naming the file and the reason (missing, too large, wrong type, corrupt,
            encrypted, empty).
    """
    if path.is_dir():
        raise IngestError(f"{path}: is a directory, not a file")
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            f"{path.name}: {size / 2**20:.1f} MiB exceeds the {max_bytes / 2**20:.1f} MiB limit"
        )
    return load_bytes(path.name, path.read_bytes(), max_bytes=max_bytes, max_chars=max_chars)


def load_bytes(name: str, data: bytes, max_bytes: int, max_chars: int) -> LoadedDocument:
    """Validate and load a document given as bytes (e.g. an upload).

    Args:
        name: File name; its extension must agree with the content.
        data: File content.
        max_bytes: Size limit, bytes.
        max_chars: Limit on extracted text, characters.

    Returns:
        The loaded document with non-empty sections.

    Raises:
        IngestError: A subclass naming the file and the reason.
    """
    name = Path(name).name
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"{name}: {len(data) / 2**20:.1f} MiB exceeds the {max_bytes / 2**20:.1f} MiB limit"
        )
    if not data.strip():
        raise EmptyDocumentError(f"{name}: the file is empty")
    kind = detect_kind(name, data)
    sections = _read(name, data, kind)
    # source code keeps its leading blank lines, so chunks' line numbers are the file's
    sections = [
        Section(s.text.rstrip() if kind.kind == "code" else s.text.strip(), s.location)
        for s in sections
        if s.text.strip()
    ]
    if not sections:
        hint = " (a scanned PDF? OCR is not supported)" if kind.kind == "pdf" else ""
        raise EmptyDocumentError(f"{name}: no extractable text{hint}")
    total = sum(len(s.text) for s in sections)
    if total > max_chars:
        raise FileTooLargeError(f"{name}: {total:,} characters of text exceed the {max_chars:,} limit")
    return LoadedDocument(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        kind=kind.kind,
        language=kind.language,
        sections=tuple(sections),
        size_bytes=len(data),
    )


def _read(name: str, data: bytes, kind: FileKind) -> list[Section]:
    if kind.kind == "pdf":
        return _read_pdf(name, data)
    if kind.kind == "docx":
        return _read_docx(name, data)
    text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
    if kind.kind == "html":
        return _read_html(text)
    if kind.kind == "markdown":
        return _split_markdown(text)
    if kind.kind == "csv":
        return _read_csv(name, text)
    return [Section(text, "file")]


def _read_pdf(name: str, data: bytes) -> list[Section]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(
        logging.ERROR
    )  # its warnings would add stray lines to our one-line errors

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedFileError(f"{name}: the PDF is password-protected")
        return [
            Section(page.extract_text() or "", f"page {number}")
            for number, page in enumerate(reader.pages, start=1)
        ]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise CorruptFileError(
            f"{name}: the PDF is corrupt or unreadable ({type(exc).__name__}: {exc})"
        ) from None
    except Exception as exc:  # pypdf raises many internal types on malformed input
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise EncryptedFileError(f"{name}: the PDF is password-protected") from None
        raise CorruptFileError(f"{name}: the PDF is corrupt or unreadable ({type(exc).__name__})") from None


def _read_docx(name: str, data: bytes) -> list[Section]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptFileError(f"{name}: the DOCX is corrupt or unreadable ({type(exc).__name__})") from None
    sections: list[Section] = []
    heading, lines = "start", list[str]()
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")) and paragraph.text.strip():
            sections.append(Section("\n".join(lines), f"section: {heading}"))
            heading, lines = paragraph.text.strip(), [paragraph.text]
        else:
            lines.append(paragraph.text)
    sections.append(Section("\n".join(lines), f"section: {heading}"))
    for number, table in enumerate(document.tables, start=1):
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        sections.append(Section("\n".join(rows), f"table {number}"))
    return sections


def _read_html(text: str) -> list[Section]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    markdown_like: list[str] = []
    for element in soup.find_all(
        ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "th", "blockquote"]
    ):
        if element.find_parent(["p", "li", "pre", "td", "th", "blockquote"]) is not None:
            continue
        content = element.get_text(" ", strip=True)
        if not content:
            continue
        if element.name and element.name[0] == "h":
            markdown_like.append("#" * int(element.name[1]) + " " + content)
        else:
            markdown_like.append(content)
    if not markdown_like:
        markdown_like = [soup.get_text("\n", strip=True)]
    return _split_markdown("\n\n".join(markdown_like))


def _split_markdown(text: str) -> list[Section]:
    sections: list[Section] = []
    heading, lines = "start", list[str]()
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _MD_HEADING.match(line)
        if match:
            sections.append(Section("\n".join(lines), f"section: {heading}"))
            heading, lines = match.group(2), [line]
        else:
            lines.append(line)
    sections.append(Section("\n".join(lines), f"section: {heading}"))
    return sections


def _read_csv(name: str, text: str) -> list[Section]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise CorruptFileError(f"{name}: the CSV cannot be parsed ({exc})") from None
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [Section(", ".join(header), "rows 1-1")]
    sections = []
    for start in range(0, len(body), _CSV_ROWS_PER_SECTION):
        block = body[start : start + _CSV_ROWS_PER_SECTION]
        lines = [
            "; ".join(f"{key}: {value}" for key, value in zip(header, row, strict=False) if value.strip())
            for row in block
        ]
        sections.append(Section("\n".join(lines), f"rows {start + 1}-{start + len(block)}"))
    return sections
