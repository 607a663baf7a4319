"""Splitting sections into chunks: prose by paragraphs/sentences, code along functions and classes.

Uses LangChain's ``RecursiveCharacterTextSplitter`` (prose) and its language-aware separators
(``RecursiveCharacterTextSplitter.from_language``) for source code. Sizes are in characters.

Source code is first cut into *units* along its definitions (:func:`ingest.symbols.outline`): each top-level
function or class is a unit; a class (impl, namespace, …) longer than ``chunk_size`` is cut per method, its
remaining lines (header, fields) being units of the class's symbol; the lines between definitions
(imports, module-level code) are units without a symbol. Blank lines at a unit's ends are dropped, and so is a
unit with no letter or digit (a lone closing brace). A unit longer than ``chunk_size`` is split further with
the language-aware splitter, each piece keeping the unit's symbol and its own line range. Code the outline
cannot parse (a Python syntax error; a language without a grammar) is split by the language-aware splitter
alone, without symbols.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

from ingest.loaders import LoadedDocument, Section
from ingest.symbols import Definition, outline

__all__ = ["Chunk", "chunk_id", "split_document"]

_LANGUAGES = {
    "python": Language.PYTHON,
    "cpp": Language.CPP,
    "c": Language.C,
    "java": Language.JAVA,
    "js": Language.JS,
    "ts": Language.TS,
    "go": Language.GO,
    "rust": Language.RUST,
    "markdown": Language.MARKDOWN,
}


@dataclass(frozen=True)
class Chunk:
    """One chunk of a document.

    Attributes:
        id: Content-hash id (see :func:`chunk_id`).
        text: Chunk text.
        index: Position of the chunk in the document (0-based).
        location: Page/section/rows of the source section; for code the symbol and lines
            ("RetryPolicy.next_delay, lines 12-30", or "lines 1-8" without a symbol).
        symbol: Code only: the enclosing function/class/method (``RetryPolicy.next_delay``), "" when none.
        start_line: Code only: first line in the file (1-based); 0 for other documents.
        end_line: Code only: last line in the file (1-based, inclusive); 0 for other documents.
    """

    id: str
    text: str
    index: int
    location: str
    symbol: str = ""
    start_line: int = 0
    end_line: int = 0


def chunk_id(document_sha256: str, index: int, text: str) -> str:
    """Return the id of a chunk: sha256 of the document hash, the chunk position and the chunk text.

    Ingesting the same file again yields the same ids, so an upsert adds nothing.
    """
    digest = hashlib.sha256(f"{document_sha256}\x1f{index}\x1f{text}".encode()).hexdigest()
    return digest[:40]


def _splitter(
    kind: str, language: str | None, chunk_size: int, chunk_overlap: int
) -> RecursiveCharacterTextSplitter:
    lang = _LANGUAGES.get(language or "") if kind == "code" else _LANGUAGES.get(kind)
    if lang is not None:
        return RecursiveCharacterTextSplitter.from_language(
            lang, chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True
        )
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        add_start_index=True,
    )


def split_document(
    document: LoadedDocument, sections: list[Section], chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Split ``sections`` (the document's, possibly de-identified) into chunks.

    Args:
        document: The loaded document (for its kind, language and sha256).
        sections: The sections to split, in order (usually de-identified copies of ``document.sections``).
        chunk_size: Maximum chunk length, characters.
        chunk_overlap: Overlap between neighbouring chunks, characters.

    Returns:
        Chunks in document order with content-hash ids; whitespace-only pieces are dropped.
    """
    splitter = _splitter(document.kind, document.language, chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    for section in sections:
        if document.kind == "code":
            tsx = document.name.lower().endswith(".tsx")
            for symbol, first, last, text in _code_pieces(
                section.text, document.language, tsx, splitter, chunk_size
            ):
                index = len(chunks)
                location = f"{symbol}, lines {first}-{last}" if symbol else f"lines {first}-{last}"
                chunks.append(
                    Chunk(chunk_id(document.sha256, index, text), text, index, location, symbol, first, last)
                )
            continue
        for piece in splitter.create_documents([section.text]):
            text = piece.page_content.strip()
            if not text:
                continue
            index = len(chunks)
            chunks.append(Chunk(chunk_id(document.sha256, index, text), text, index, section.location))
    return chunks


def _code_pieces(
    text: str,
    language: str | None,
    typescript_jsx: bool,
    splitter: RecursiveCharacterTextSplitter,
    chunk_size: int,
) -> list[tuple[str, int, int, str]]:
    """``(symbol, first line, last line, text)`` of each chunk of source ``text``, in order."""
    lines = text.split("\n")
    definitions = outline(text, language, typescript_jsx)
    units = (
        _units(definitions, lines, 1, len(lines), "", chunk_size)
        if definitions is not None
        else [("", 1, len(lines))]
    )
    pieces: list[tuple[str, int, int, str]] = []
    for symbol, first, last in units:
        unit = "\n".join(lines[first - 1 : last])
        if len(unit) <= chunk_size:
            pieces.append((symbol, first, last, unit))
            continue
        for piece in splitter.create_documents([unit]):
            raw = piece.page_content
            body = raw.strip()
            if not body:
                continue
            start = int(piece.metadata.get("start_index", 0)) + len(raw) - len(raw.lstrip())
            line = first + unit.count("\n", 0, max(start, 0))
            pieces.append((symbol, line, line + body.count("\n"), body))
    return pieces


def _units(
    definitions: list[Definition], lines: list[str], first: int, last: int, symbol: str, chunk_size: int
) -> list[tuple[str, int, int]]:
    """``(symbol, first line, last line)`` of the units of lines ``first..last`` (1-based, inclusive) holding
    ``definitions``; the lines around them get ``symbol``."""
    units: list[tuple[str, int, int]] = []
    cursor = first
    for definition in definitions:
        start, end = max(definition.start_line, cursor), min(definition.end_line, last)
        if end < start:
            continue
        _add_unit(units, lines, symbol, cursor, start - 1)
        size = sum(len(line) + 1 for line in lines[start - 1 : end]) - 1
        if definition.children and size > chunk_size:
            units.extend(_units(list(definition.children), lines, start, end, definition.symbol, chunk_size))
        else:
            _add_unit(units, lines, definition.symbol, start, end)
        cursor = end + 1
    _add_unit(units, lines, symbol, cursor, last)
    return units


def _add_unit(
    units: list[tuple[str, int, int]], lines: list[str], symbol: str, first: int, last: int
) -> None:
    """Append lines ``first..last`` as a unit, without blank lines at its ends; nothing without a letter or
    digit (blank lines, a lone ``}``)."""
    while first <= last and not lines[first - 1].strip():
        first += 1
    while last >= first and not lines[last - 1].strip():
        last -= 1
    if first <= last and any(ch.isalnum() for line in lines[first - 1 : last] for ch in line):
        units.append((symbol, first, last))
