"""Splitting sections into chunks: prose by paragraphs/sentences, code along functions and classes.

Uses LangChain's ``RecursiveCharacterTextSplitter`` (prose) and its language-aware separators
(``RecursiveCharacterTextSplitter.from_language``) for source code. Sizes are in characters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

from ingest.loaders import LoadedDocument, Section

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
        location: Page/section/rows of the source section, plus lines for code ("file, lines 10-42").
    """

    id: str
    text: str
    index: int
    location: str


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
        for piece in splitter.create_documents([section.text]):
            text = piece.page_content.strip()
            if not text:
                continue
            location = section.location
            if document.kind == "code":
                start = int(piece.metadata.get("start_index", 0))
                first = section.text.count("\n", 0, max(start, 0)) + 1
                location = f"lines {first}-{first + text.count(chr(10))}"
            index = len(chunks)
            chunks.append(Chunk(chunk_id(document.sha256, index, text), text, index, location))
    return chunks
