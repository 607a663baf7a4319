"""Errors of the ingest package. Every message names the file and the reason."""

__all__ = [
    "CorruptFileError",
    "EmptyDocumentError",
    "EncryptedFileError",
    "FileTooLargeError",
    "IngestError",
    "ReviewError",
    "StaleIndexError",
    "StoreError",
    "UnsupportedFileError",
]


class IngestError(Exception):
    """Base error of the ingest package."""


class UnsupportedFileError(IngestError):
    """The file's type (by content or extension) is not one we can read."""


class CorruptFileError(IngestError):
    """The file claims a type but its content cannot be parsed as that type."""


class EncryptedFileError(IngestError):
    """The file is password-protected."""


class EmptyDocumentError(IngestError):
    """The file has no extractable text."""


class FileTooLargeError(IngestError):
    """The file or its extracted text exceeds the configured limit."""


class StoreError(IngestError):
    """The vector store failed to read or write."""


class StaleIndexError(StoreError):
    """This process's in-memory vector index lacks chunks that another process wrote to the same embedded store
    (Chroma's metadata has them, its index does not, and a filtered search fails on them): restart the server,
    or add documents through it."""


class ReviewError(IngestError):
    """A held document that does not exist, an ambiguous or malformed id, or an unusable review queue."""
