"""Ingest: loading and validating documents, chunking, embeddings and the Chroma vector store."""

from ingest.chunking import Chunk, chunk_id, split_document
from ingest.embeddings import EMBEDDING_DIM, Embedder
from ingest.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    ReviewError,
    StoreError,
    UnsupportedFileError,
)
from ingest.filetypes import SUPPORTED_EXTENSIONS, FileKind, detect_kind
from ingest.loaders import LoadedDocument, Section, load_bytes, load_document
from ingest.review import HeldDocument, ReviewQueue, ReviewStorage
from ingest.store import DocumentInfo, RetrievedChunk, VectorStore, chunk_visible, owner_metadata

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
