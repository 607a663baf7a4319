"""Deciding a file's kind from its content (magic bytes, decodability), checked against its extension."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import filetype

from ingest.errors import CorruptFileError, UnsupportedFileError

__all__ = ["CODE_LANGUAGES", "SUPPORTED_EXTENSIONS", "FileKind", "detect_kind"]

#: Source-file extension -> language name of ``langchain_text_splitters.Language``.
CODE_LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".h": "cpp",
    ".c": "c",
    ".java": "java",
    ".js": "js",
    ".mjs": "js",
    ".jsx": "js",
    ".ts": "ts",
    ".tsx": "ts",
    ".go": "go",
    ".rs": "rust",
}
_TEXT_KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
}
_BINARY_KINDS = {".pdf": "pdf", ".docx": "docx"}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted({*_TEXT_KINDS, *_BINARY_KINDS, *CODE_LANGUAGES}))
_DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class FileKind:
    """What a file is: ``kind`` in pdf|docx|html|markdown|text|csv|code, and the code language if any."""

    kind: str
    language: str | None = None


def detect_kind(name: str, data: bytes) -> FileKind:
    """Return the kind of the file called ``name`` with content ``data``.

    The content decides: PDF and DOCX by their magic bytes (``filetype``), text kinds by decoding as UTF-8
    without a NUL byte anywhere; the extension only chooses among the text kinds and must agree with binary content.

    Raises:
        UnsupportedFileError: Unknown extension, or binary content of a type we do not read.
        CorruptFileError: The extension promises PDF/DOCX/text but the content is something else.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileError(
            f"{name}: unsupported file type {suffix or '(no extension)'!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    guess = filetype.guess(data)
    mime = guess.mime if guess is not None else None
    if suffix == ".pdf":
        if mime != "application/pdf":
            raise CorruptFileError(f"{name}: not a PDF ({_describe(mime, data)}, no %PDF header)")
        return FileKind("pdf")
    if suffix == ".docx":
        if mime != _DOCX_MIME:
            raise CorruptFileError(f"{name}: not a DOCX document ({_describe(mime, data)})")
        return FileKind("docx")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and mime is None:
        try:
            data = data.decode("utf-16").encode("utf-8")  # UTF-16 text with a byte-order mark
        except UnicodeDecodeError:
            raise CorruptFileError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16") from None
    if mime is not None or b"\x00" in data:
        raise CorruptFileError(f"{name}: extension {suffix} promises text but {_describe(mime, data)}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptFileError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    if suffix in CODE_LANGUAGES:
        return FileKind("code", CODE_LANGUAGES[suffix])
    return FileKind(_TEXT_KINDS[suffix])


def _describe(mime: str | None, data: bytes) -> str:
    """What the content is, as a clause: "the content looks like image/png", "the content is binary data (a NUL
    byte at offset 9015)", "the content is plain text"."""
    if mime:
        return f"the content looks like {mime}"
    nul = data.find(b"\x00")
    if nul != -1:
        return f"the content is binary data (a NUL byte at offset {nul:,})"
    return "the content is plain text"
