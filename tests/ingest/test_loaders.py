"""Loading and validating every supported type, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    UnsupportedFileError,
    load_bytes,
    load_document,
    split_document,
)
from tests.ingest.conftest import make_docx, make_encrypted_pdf, make_pdf

MB = 2**20


def load(name: str, data: bytes):  # type: ignore[no-untyped-def]
    return load_bytes(name, data, max_bytes=5 * MB, max_chars=1_000_000)


def test_pdf_pages_become_sections_with_page_numbers() -> None:
    document = load("guide.pdf", make_pdf(["Fees", "The fee is 2.75% of the amount.", "Second page text"]))
    assert document.kind == "pdf"
    assert [s.location for s in document.sections] == ["page 1", "page 2", "page 3"]
    assert "2.75%" in document.sections[1].text


def test_docx_headings_become_sections() -> None:
    document = load("guide.docx", make_docx("Card disputes", ["Raise a dispute within 13 months."]))
    assert document.kind == "docx"
    assert any(s.location == "section: Card disputes" and "13 months" in s.text for s in document.sections)


@pytest.mark.parametrize(
    ("name", "content", "kind", "needle"),
    [
        (
            "page.html",
            b"<html><body><h1>Fees</h1><p>ATM fee is 1.50.</p><script>x()</script></body></html>",
            "html",
            "ATM fee is 1.50.",
        ),
        (
            "notes.md",
            b"# Fees\n\nThe fee is 2.75%.\n\n## Cards\n\nBlock a card in the app.",
            "markdown",
            "Block a card",
        ),
        ("notes.txt", b"Plain text about overdrafts.", "text", "overdrafts"),
        ("faq.csv", b"question,answer\nHow long?,13 months\nWhat fee?,2.75%\n", "csv", "answer: 13 months"),
        ("util.go", b"package main\n\nfunc Add(a int, b int) int {\n\treturn a + b\n}\n", "code", "func Add"),
        ("util.rs", b"fn add(a: i32, b: i32) -> i32 { a + b }\n", "code", "fn add"),
        ("util.h", b"int add(int a, int b);\n", "code", "int add"),
    ],
)
def test_text_kinds_are_loaded(name: str, content: bytes, kind: str, needle: str) -> None:
    document = load(name, content)
    assert document.kind == kind
    assert any(needle in s.text for s in document.sections)
    assert "x()" not in " ".join(s.text for s in document.sections)


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        (
            "broken.pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body",
            (CorruptFileError, EmptyDocumentError),
            "broken.pdf",
        ),
        ("fake.pdf", b"just some text pretending", CorruptFileError, "not a PDF"),
        ("empty.txt", b"", EmptyDocumentError, "empty"),
        ("blank.md", b"   \n\n  ", EmptyDocumentError, "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, CorruptFileError, "image/png"),
        ("fake.docx", b"plain text", CorruptFileError, "not a DOCX"),
        ("latin1.txt", "café crème".encode("latin-1"), CorruptFileError, "not UTF-8"),
        ("archive.zip", b"PK\x03\x04", UnsupportedFileError, "unsupported file type"),
        ("noext", b"hello", UnsupportedFileError, "unsupported file type"),
    ],
)
def test_bad_files_get_a_clear_error_naming_the_file(name: str, content: bytes, error, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as caught:
        load(name, content)
    assert name in str(caught.value)
    assert message in str(caught.value)


def test_encrypted_pdf_is_rejected() -> None:
    with pytest.raises(EncryptedFileError, match="locked.pdf: the PDF is password-protected"):
        load("locked.pdf", make_encrypted_pdf("secret text"))


def test_too_large_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (2 * MB))
    with pytest.raises(
        FileTooLargeError, match=r"big.txt: 2,097,152 bytes exceed the 1,048,576-byte limit \(1 MiB\)"
    ):
        load_document(path, max_bytes=MB, max_chars=10_000_000)


def test_too_much_text_is_rejected() -> None:
    with pytest.raises(FileTooLargeError, match="characters of text exceed"):
        load_bytes("long.txt", b"word " * 1000, max_bytes=MB, max_chars=100)


def test_python_code_is_split_along_functions_and_classes() -> None:
    source = (
        "\n\n".join(
            f'def function_{i}(x):\n    """Doc {i}."""\n' + "    y = x + 1\n" * 12 + "    return y\n"
            for i in range(4)
        )
        + "\n\nclass Account:\n    def balance(self):\n        return 0\n"
    )
    document = load("module.py", source.encode())
    chunks = split_document(document, list(document.sections), chunk_size=300, chunk_overlap=0)
    starts = [c.text.splitlines()[0] for c in chunks]
    assert starts[:4] == [f"def function_{i}(x):" for i in range(4)]
    assert any(c.text.startswith("class Account") for c in chunks)
    # each function is 15 lines and two blank lines separate them: function_1 is lines 18-32
    assert chunks[1].location == "function_1, lines 18-32"


def test_chunk_ids_are_stable_content_hashes() -> None:
    document = load("notes.md", b"# A\n\nalpha text\n\n# B\n\nbeta text")
    first = split_document(document, list(document.sections), 200, 0)
    second = split_document(
        load("copy.md", b"# A\n\nalpha text\n\n# B\n\nbeta text"), list(document.sections), 200, 0
    )
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_utf16_text_with_a_byte_order_mark_is_read() -> None:
    document = load("notes.txt", "Fees: 2.75% — café".encode("utf-16"))
    assert document.sections[0].text == "Fees: 2.75% — café"


def test_a_directory_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(IngestError, match="is a directory"):
        load_document(tmp_path / "folder.md", max_bytes=MB, max_chars=1000)
