"""Hostile and malformed files at the loader: refused before they cost memory or time, with one message naming
the file and the reason (the whole corpus through the command line: tests/hostile/test_corpus.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import CorruptFileError, FileTooLargeError, IngestError, load_bytes, load_document
from tests.hostile.corpus import _docx, _paragraphs, _pdf_stream_bomb, _zip_bomb_docx, build_corpus

LIMITS = {"max_bytes": 25 * 2**20, "max_chars": 2_000_000}


def test_a_zip_bomb_docx_is_refused_from_its_zip_directory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    _zip_bomb_docx(bomb, 200 * 2**20)  # 200 MB of XML in about 1 MB
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(
        CorruptFileError, match=r"bomb\.docx: .*word/document\.xml.* uncompressed .*decompression bomb"
    ):
        load_document(bomb, **LIMITS)


def test_a_pdf_stream_that_inflates_past_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    _pdf_stream_bomb(bomb, 40 * 2**20)
    with pytest.raises(CorruptFileError, match=r"bomb\.pdf: a compressed stream .* 16 MB"):
        load_document(bomb, **LIMITS)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("xxe.docx", "declares an XML DTD"),
        ("billion_laughs.docx", "declares an XML DTD"),
        ("malformed.docx", "the DOCX is corrupt or unreadable"),
        ("many_members.docx", "parts (limit 1,000)"),
        ("truncated.pdf", "corrupt or unreadable"),
        ("nul_late.txt", "binary data (a NUL byte at offset 9,000)"),
        ("unterminated.csv", "an unterminated quote"),
        ("random.txt", "promises text but the content is binary data"),
        ("text_named.pdf", "not a PDF (the content is plain text"),
    ],
)
def test_hostile_files_are_refused_with_the_reason(tmp_path: Path, name: str, message: str) -> None:
    cases = {case.name: case for case in build_corpus(tmp_path / "corpus", bombs=False)}
    path = cases[name].paths[0]
    with pytest.raises(IngestError) as refused:
        load_document(path, **LIMITS)
    assert str(refused.value).startswith(f"{name}: ") or str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_a_docx_without_a_dtd_still_loads() -> None:
    document = load_bytes("fine.docx", _docx(_paragraphs("Fees", "The transfer fee is 2.75%.")), **LIMITS)
    assert "2.75%" in document.sections[0].text


def test_a_symbolic_link_is_refused_unless_links_are_allowed(tmp_path: Path) -> None:
    target = tmp_path / "outside.txt"
    target.write_text("The transfer fee is 2.75%.\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with pytest.raises(IngestError, match="link.txt: is a symbolic link"):
        load_document(link, **LIMITS)
    assert load_document(link, **LIMITS, follow_symlinks=True).sections[0].text.startswith("The transfer")


def test_a_named_pipe_is_not_a_regular_file_and_a_missing_file_is_missing(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(IngestError, match="pipe.txt: is not a regular file"):
        load_document(fifo, **LIMITS)  # returns at once: the pipe is opened without blocking
    with pytest.raises(IngestError, match="gone.txt: no such file"):
        load_document(tmp_path / "gone.txt", **LIMITS)


def test_the_size_limit_message_tells_the_sizes_apart(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (25 * 2**20 + 2048))
    with pytest.raises(FileTooLargeError) as refused:
        load_document(big, **LIMITS)
    assert "26,216,448 bytes exceed the 26,214,400-byte limit (25 MiB)" in str(refused.value)
