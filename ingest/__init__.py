"""Ingest: loading and validating documents, chunking, embeddings and the Chroma vector store.

Chunking (LangChain's text splitters) and the store (chromadb, imported when a store is opened) are imported on
first use of their names (PEP 562 ``__getattr__``), so that a command that only reads the review queue, say, does
not load them.
"""

from typing import TYPE_CHECKING, Any

from ingest.embeddings import EMBEDDING_DIM, Embedder
from ingest.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    ReviewError,
    StaleIndexError,
    StoreError,
    UnsupportedFileError,
)
from ingest.filetypes import SUPPORTED_EXTENSIONS, FileKind, detect_kind
from ingest.loaders import LoadedDocument, Section, load_bytes, load_document
from ingest.review import HeldDocument, ReviewQueue, ReviewStorage

if TYPE_CHECKING:
    from ingest.chunking import Chunk, chunk_id, split_document
    from ingest.store import DocumentInfo, RetrievedChunk, VectorStore, chunk_visible, owner_metadata

#: The names loaded on first use, by the module that defines them.
_LAZY = {
    "chunking": ("Chunk", "chunk_id", "split_document"),
    "store": ("DocumentInfo", "RetrievedChunk", "VectorStore", "chunk_visible", "owner_metadata"),
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` (one of :data:`_LAZY`'s) and cache the name in the package.

    Raises:
        AttributeError: ``name`` is not a name of this package.
    """
    if name in _LAZY["chunking"]:
        from ingest import chunking

        value = getattr(chunking, name)
    elif name in _LAZY["store"]:
        from ingest import store

        value = getattr(store, name)
    else:
        raise AttributeError(f"module 'ingest' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "EMBEDDING_DIM",
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "CorruptFileError",
    "DocumentInfo",
    "Embedder",
    "EmptyDocumentError",
    "EncryptedFileError",
    "FileKind",
    "FileTooLargeError",
    "HeldDocument",
    "IngestError",
    "LoadedDocument",
    "RetrievedChunk",
    "ReviewError",
    "ReviewQueue",
    "ReviewStorage",
    "Section",
    "StaleIndexError",
    "StoreError",
    "UnsupportedFileError",
    "VectorStore",
    "chunk_id",
    "chunk_visible",
    "detect_kind",
    "load_bytes",
    "load_document",
    "owner_metadata",
    "split_document",
]
