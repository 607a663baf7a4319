"""Loading documents into text sections (page, heading or row range), with validation.

Readers: pypdf (PDF), python-docx (DOCX), BeautifulSoup (HTML), plain decoding for Markdown, text, CSV and
source code. Each section keeps where it came from (``location``: "page 3", "section: Fees", "rows 1-40",
"file") so a chunk can be cited precisely.

Hostile files are refused before they cost memory or time: a DOCX is checked from its zip directory (number of
parts, each part's and all parts' uncompressed size, compression ratio) before any part is inflated, and a part
that declares an XML DTD (the way to external-entity and entity-expansion attacks; Word never writes one) is
refused; a PDF's compressed streams may inflate to :data:`MAX_PDF_STREAM_BYTES` each, and its text is counted
page by page against the limit. A path that is a symbolic link, or not a regular file (a pipe, a device), is
refused unless the caller allows links; the file is opened without following one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
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

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_BYTES",
    "MAX_PDF_STREAM_BYTES",
    "LoadedDocument",
    "Section",
    "check_archive",
    "load_bytes",
    "load_document",
]

_CSV_ROWS_PER_SECTION = 40
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

#: Most parts a DOCX may have (a long report with images has a few hundred).
MAX_ARCHIVE_MEMBERS = 1_000
#: Largest uncompressed size of one DOCX part, and of all its parts, bytes.
MAX_MEMBER_BYTES = 64 * 2**20
MAX_ARCHIVE_BYTES = 256 * 2**20
#: Highest compression ratio of a DOCX part over 1 MiB (XML compresses 5-20 times; a bomb, hundreds of times).
MAX_COMPRESSION_RATIO = 300
#: Most bytes one compressed PDF stream may inflate to (a page's drawing commands are far smaller).
MAX_PDF_STREAM_BYTES = 16 * 2**20
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


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


def load_document(
    path: Path, max_bytes: int, max_chars: int, follow_symlinks: bool = False
) -> LoadedDocument:
    """Read, validate and load the file at ``path``; see :func:`load_bytes`.

    Args:
        path: The file.
        max_bytes: Size limit, bytes.
        max_chars: Limit on extracted text, characters.
        follow_symlinks: Read what a symbolic link points to (refused by default: a link can reach any file
            the process may read, such as ``/etc/shadow``).

    Raises:
        IngestError: A subclass naming the file and the reason (missing, a link, not a regular file, too large,
            wrong type, corrupt, encrypted, empty).
    """
    if path.is_symlink() and not follow_symlinks:
        raise IngestError(f"{path}: is a symbolic link; ingest the file it points to, or allow links")
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if path.is_dir():
        raise IngestError(f"{path}: is a directory, not a file")
    flags = (
        os.O_RDONLY | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0)) | getattr(os, "O_NONBLOCK", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be opened ({exc.strerror or type(exc).__name__})") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise IngestError(f"{path}: is not a regular file (a pipe, socket or device)")
        if info.st_size > max_bytes:
            raise FileTooLargeError(f"{path.name}: {_too_large(info.st_size, max_bytes)}")
        data = handle.read(max_bytes + 1)
    return load_bytes(path.name, data, max_bytes=max_bytes, max_chars=max_chars)


def _too_large(size: int, limit: int) -> str:
    return f"{size:,} bytes exceed the {limit:,}-byte limit ({limit / 2**20:g} MiB)"


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
        raise FileTooLargeError(f"{name}: {_too_large(len(data), max_bytes)}")
    if not data.strip():
        raise EmptyDocumentError(f"{name}: the file is empty")
    kind = detect_kind(name, data)
    sections = _read(name, data, kind, max_chars)
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


def _read(name: str, data: bytes, kind: FileKind, max_chars: int) -> list[Section]:
    if kind.kind == "pdf":
        return _read_pdf(name, data, max_chars)
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


def _read_pdf(name: str, data: bytes, max_chars: int) -> list[Section]:
    import logging

    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    logging.getLogger("pypdf").setLevel(
        logging.ERROR
    )  # its warnings would add stray lines to our one-line errors

    limits = {
        "zlib_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "lzw_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "brotli_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "array_based_stream_maximum_output_length": MAX_PDF_STREAM_BYTES,
        "jbig2_maximum_output_length": MAX_PDF_STREAM_BYTES,
    }
    try:
        with apply_configuration(None, **limits):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise EncryptedFileError(f"{name}: the PDF is password-protected")
            sections, total = [], 0
            for number, page in enumerate(reader.pages, start=1):
                text = page.extract_text() or ""
                total += len(text)
                if total > max_chars:
                    raise FileTooLargeError(
                        f"{name}: more than {max_chars:,} characters of text (page {number})"
                    )
                sections.append(Section(text, f"page {number}"))
            return sections
    except IngestError:
        raise
    except LimitReachedError:
        raise CorruptFileError(
            f"{name}: a compressed stream of the PDF inflates past {MAX_PDF_STREAM_BYTES / 2**20:g} MB: "
            "refused as a decompression bomb"
        ) from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise CorruptFileError(
            f"{name}: the PDF is corrupt or unreadable ({type(exc).__name__}: {exc})"
        ) from None
    except Exception as exc:  # pypdf raises many internal types on malformed input
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise EncryptedFileError(f"{name}: the PDF is password-protected") from None
        raise CorruptFileError(f"{name}: the PDF is corrupt or unreadable ({type(exc).__name__})") from None


def check_archive(name: str, data: bytes, kind: str = "DOCX") -> None:
    """Refuse a zip-based document before any part is inflated: too many parts, a part or all parts too large
    uncompressed, a compression ratio of a bomb, or an XML part that declares a DTD.

    The sizes come from the zip directory; a part that inflates past its declared size fails its CRC check
    when read (``zipfile`` reads no further than the declared size), so the declared sizes bound the memory.

    Raises:
        CorruptFileError: The archive breaks a limit (the message names the part and the limit) or is unreadable.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise CorruptFileError(
                    f"{name}: the {kind} has {len(members):,} parts (limit {MAX_ARCHIVE_MEMBERS:,})"
                )
            total = 0
            for member in members:
                total += member.file_size
                if member.file_size > MAX_MEMBER_BYTES or total > MAX_ARCHIVE_BYTES:
                    limit = MAX_MEMBER_BYTES if member.file_size > MAX_MEMBER_BYTES else MAX_ARCHIVE_BYTES
                    raise CorruptFileError(
                        f"{name}: the {kind} part {member.filename} takes the document to "
                        f"{max(member.file_size, total) / 2**20:,.1f} MB uncompressed (limit {limit / 2**20:g} MB): "
                        "refused as a decompression bomb"
                    )
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > 2**20 and ratio > MAX_COMPRESSION_RATIO:
                    raise CorruptFileError(
                        f"{name}: the {kind} part {member.filename} inflates to {ratio:,.0f} times its compressed "
                        f"size (limit {MAX_COMPRESSION_RATIO}): refused as a decompression bomb"
                    )
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        head = part.read(4096)  # a DTD comes before the root element
                    if _DTD.search(head):
                        raise CorruptFileError(
                            f"{name}: the {kind} part {member.filename} declares an XML DTD (entities), which "
                            "Word never writes: refused"
                        )
    except CorruptFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptFileError(
            f"{name}: the {kind} is corrupt or unreadable ({type(exc).__name__})"
        ) from None


def _read_docx(name: str, data: bytes) -> list[Section]:
    import docx
    from lxml import etree

    check_archive(name, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError, OSError) as exc:
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
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        hint = " (an unterminated quote?)" if "end of data" in str(exc) else ""
        raise CorruptFileError(
            f"{name}: the CSV cannot be parsed at line {reader.line_num}: {exc}{hint}"
        ) from None
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
