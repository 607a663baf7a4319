"""A corpus of hostile and malformed files, generated (no binaries are committed): what an attacker, a broken
export or an unlucky user would upload. Each case says what must happen: the file is ingested correctly (with its
planted personal values de-identified) or rejected with one line naming the file and the reason; either way
within a time and memory budget and with nothing raw stored.

Used by ``tests/hostile/test_corpus.py`` (every case, in one process with a memory limit) and by
``benchmarks/hostile_corpus.py`` (every case in its own process: time and peak memory per case).
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CARD", "Case", "build_corpus", "verdict"]

#: Made-up personal values planted in the files (the card passes Luhn).
CARD = "4539 1488 0343 6467"
NAME = "Zelda Quartermaine"
CUT_NAME = "Priya Raghunathan"
EMAIL = "zelda.quartermaine@example.org"
#: What a file outside the given paths holds (a symlink target): must never be indexed.
OUTSIDE_SECRET = "TOP-SECRET-OUTSIDE-7f3a9c"

#: Words to fill long texts with (no personal data, no digits).
FILLER = "the account fee applies to every transfer made abroad within the billing period "


@dataclass(frozen=True)
class Case:
    """One hostile input.

    Attributes:
        name: The case's name (also the file's stem when it is one file).
        paths: The files given to ``assistant ingest`` (usually one).
        domain: The target domain.
        expect: ``ingest`` (every path indexed) or ``reject`` (every path refused with one line, nothing indexed).
        reason: For ``reject``: words the error line must contain (case-insensitive).
        secrets: Raw values that must appear nowhere in the data dir afterwards.
        about: What the case tries.
        seconds: Its time budget when not the runner's default (a large text takes longer to de-identify).
    """

    name: str
    paths: tuple[Path, ...]
    domain: str
    expect: str
    reason: str = ""
    secrets: tuple[str, ...] = ()
    about: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    seconds: int = 0


def _filler(chars: int) -> str:
    return (FILLER * (chars // len(FILLER) + 1))[:chars]


def _docx(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal DOCX package around ``document_xml`` (what python-docx needs to open it)."""
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document_xml)
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return buffer.getvalue()


_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _paragraphs(*texts: str) -> bytes:
    body = b"".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode() for text in texts)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document '
        + _W
        + b"><w:body>"
        + body
        + b"</w:body></w:document>"
    )


def _zip_bomb_docx(path: Path, uncompressed: int) -> None:
    """A valid-looking DOCX whose document.xml inflates to ``uncompressed`` bytes (written in a stream)."""
    paragraph = b"<w:p><w:r><w:t>" + b"a" * 200 + b"</w:t></w:r></w:p>"
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + _W + b"><w:body>"
    tail = b"</w:body></w:document>"
    base = _docx(_paragraphs("placeholder"))
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info, source.read(info))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            block = paragraph * 5000
            for _ in range(uncompressed // len(block)):
                member.write(block)
            member.write(tail)


def _many_members_docx(path: Path, members: int) -> None:
    base = _docx(_paragraphs("A document with very many parts."))
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive,
    ):
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        for number in range(members):
            archive.writestr(f"word/media/x{number}.xml", b"<x/>")


def _pdf(content_stream: bytes, compressed: bool = False) -> bytes:
    """A one-page PDF whose page content is ``content_stream`` (FlateDecode when ``compressed``)."""
    stream_dict = (
        f"<< /Length {len(content_stream)}" + (" /Filter /FlateDecode" if compressed else "") + " >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream_dict.encode() + b"\nstream\n" + content_stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _pdf_stream_bomb(path: Path, uncompressed: int) -> None:
    """A PDF whose page content stream inflates to ``uncompressed`` bytes of text-drawing operators."""
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(b"BT /F1 12 Tf 72 712 Td (")]
    block = b"a" * 1_000_000
    for _ in range(uncompressed // len(block)):
        chunks.append(compressor.compress(block))
    chunks.append(compressor.compress(b") Tj ET"))
    chunks.append(compressor.flush())
    path.write_bytes(_pdf(b"".join(chunks), compressed=True))


def _text_pdf(text: str) -> bytes:
    return _pdf(f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode())


def build_corpus(root: Path, bombs: bool = True) -> list[Case]:
    """Write the corpus under ``root`` (created) and return its cases, in order.

    Args:
        root: An empty folder.
        bombs: Include the decompression bombs (hundreds of MB inflated: only a guarded reader survives them).
    """
    root.mkdir(parents=True, exist_ok=True)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir(exist_ok=True)
    cases: list[Case] = []

    def add(
        name: str, write: Callable[[Path], None] | bytes | str, domain: str, expect: str, **kw: object
    ) -> None:
        path = root / name
        if isinstance(write, bytes):
            path.write_bytes(write)
        elif isinstance(write, str):
            path.write_text(write, encoding="utf-8")
        else:
            write(path)
        cases.append(Case(name, (path,), domain, expect, **kw))  # type: ignore[arg-type]

    card_digits = CARD.replace(" ", "")
    # --- personal values that must not slip through ------------------------------------------------------
    cut = 50_000  # the de-identifier's segment size before the fix
    add(
        "cut_card.txt",
        _filler(cut - 9) + " card " + CARD + " " + _filler(20_000),
        "finance",
        "ingest",
        secrets=(CARD, card_digits, "0343 6467"),
        about="a card number across the de-identifier's 50,000-character cut, no newline near",
    )
    add(
        "cut_name.txt",
        _filler(cut - 8) + " Dear " + CUT_NAME + ", " + _filler(20_000),
        "finance",
        "ingest",
        secrets=(CUT_NAME, "Raghunathan"),
        about="a name across the cut",
    )
    add(
        "invisible.txt",
        f"Please call \x1b[31m{NAME}\x1b[0m about card {CARD.replace(' ', chr(0x200B))}. "
        "Signed: Imogen\u200bFairweather-Lusk, 7 March.\n",
        "finance",
        "ingest",
        secrets=("Quartermaine", "Fairweather", "4539\u200b1488"),
        about="a name in ANSI colour codes, a card split by zero-width spaces, a name glued by one",
    )
    add(
        "utf16.txt",
        ("\ufeff" + f"Contact {NAME} at {EMAIL} about the overdraft fee.\n").encode("utf-16-le"),
        "finance",
        "ingest",
        secrets=("Quartermaine", EMAIL),
        about="UTF-16 text with a byte-order mark",
    )
    add(
        "john_smith_passport.txt",
        "A scanned passport application form: see the attached pages.\n",
        "finance",
        "ingest",
        secrets=("john_smith", "john smith", "smith"),
        about="a lower-case name in the file name",
    )
    add(
        "; rm -rf ~ $(whoami) `id`.md",
        "# Fees\n\nThe transfer fee is 2.75% of the amount.\n",
        "finance",
        "ingest",
        about="shell metacharacters in the file name",
    )
    add(
        "long_line.md",
        _filler(1_000_000) + f" pay with {CARD} " + _filler(400_000),
        "finance",
        "ingest",
        secrets=(CARD, card_digits),
        about="a 1.4 MB single line with a card in the middle",
        seconds=300,  # de-identifying 1.4 million characters in overlapping windows takes about 2.5 minutes
    )
    add(
        "redos_credential.txt",
        "Note: " + "a" * 60_000 + " RN\n",
        "medical",
        "ingest",
        about="a 60,000-letter run before a nurse credential (quadratic before the fix)",
    )
    add(
        "redos_relative.txt",
        "Call " + "b" * 60_000 + " (son)\n",
        "medical",
        "ingest",
        about="a 60,000-letter run before a relative in brackets (quadratic before the fix)",
    )
    add(
        "xxe.html",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<html><body><h1>Fees</h1><p>&x; The transfer fee is 2.75%.</p></body></html>",
        "finance",
        "ingest",
        secrets=("root:x:0:0",),
        about="an external entity in HTML",
    )
    add(
        "xxe.docx",
        _docx(
            b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<w:document " + _W + b"><w:body><w:p><w:r><w:t>Fees &x; apply.</w:t></w:r></w:p></w:body>"
            b"</w:document>"
        ),
        "finance",
        "reject",
        reason="DTD",
        secrets=("root:x:0:0",),
        about="an external entity in DOCX XML",
    )
    add(
        "title_control.md",
        "# \x1b]0;pwned\x07Fees \x1b[2J\n\nThe transfer fee is 2.75%.\n",
        "finance",
        "ingest",
        about="terminal control codes in a heading",
    )
    # --- files to refuse ---------------------------------------------------------------------------------
    if bombs:
        add(
            "zip_bomb.docx",
            lambda p: _zip_bomb_docx(p, 600 * 2**20),
            "finance",
            "reject",
            reason="uncompressed",
            about="a DOCX whose document.xml inflates to 600 MB",
        )
        add(
            "pdf_stream_bomb.pdf",
            lambda p: _pdf_stream_bomb(p, 600 * 2**20),
            "finance",
            "reject",
            reason="stream",
            about="a PDF whose content stream inflates to 600 MB",
        )
    add(
        "many_members.docx",
        lambda p: _many_members_docx(p, 20_000),
        "finance",
        "reject",
        reason="parts",
        about="a DOCX with 20,000 archive members",
    )
    add(
        "billion_laughs.docx",
        _docx(
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
            )
            + b"]><w:document "
            + _W
            + b"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
        ),
        "finance",
        "reject",
        reason="DTD",
        about="nested XML entities (billion laughs) in DOCX",
    )
    add(
        "malformed.docx",
        _docx(b'<?xml version="1.0"?><w:document ' + _W + b"><w:body><w:p><w:r><w:t>cut off"),
        "finance",
        "reject",
        reason="corrupt",
        about="truncated XML inside a valid zip",
    )
    add(
        "truncated.pdf",
        _text_pdf(f"The fee for {NAME} is 2.75%.")[:180],
        "finance",
        "reject",
        reason="pdf",
        secrets=("Quartermaine",),
        about="a PDF cut short",
    )
    add(
        "nul_late.txt",
        _filler(9_000) + "\x00\x01\x02binary tail\x00",
        "finance",
        "reject",
        reason="binary",
        about="NUL bytes after the first 8 KB",
    )
    add(
        "unterminated.csv",
        "name,fee\n"
        + "".join(f"row {n},1.00\n" for n in range(1, 4))
        + '"unterminated quote,2.00\n'
        + "".join(f"row {n},1.00\n" for n in range(5, 45)),
        "finance",
        "reject",
        reason="quote",
        about="a CSV with an unterminated quote (it would swallow the rows after it)",
    )
    add("empty.txt", b"", "finance", "reject", reason="empty", about="an empty file")
    add("blank_lines.txt", "\r\n" * 500, "finance", "reject", reason="empty", about="only line breaks")
    add("random.txt", os.urandom(4096), "finance", "reject", reason="text", about="random bytes named .txt")
    add("text_named.pdf", "just text\n", "finance", "reject", reason="pdf", about="text named .pdf")
    add(
        "program.exe",
        b"MZ\x90\x00" + os.urandom(200),
        "finance",
        "reject",
        reason="unsupported",
        about="an executable",
    )
    add(
        "oversize.txt",
        (_filler(25 * 2**20 + 2048)).encode(),
        "finance",
        "reject",
        reason="limit",
        about="just over the 25 MiB upload limit",
    )
    secret_file = outside / "secret.txt"
    secret_file.write_text(f"{OUTSIDE_SECRET}\n", encoding="utf-8")
    link = root / "link_to_outside.txt"
    link.symlink_to(secret_file)
    cases.append(
        Case(
            "link_to_outside.txt",
            (link,),
            "finance",
            "reject",
            reason="link",
            secrets=(OUTSIDE_SECRET,),
            about="a symbolic link to a file outside the given paths",
        )
    )
    fifo = root / "fifo.txt"
    os.mkfifo(fifo)
    cases.append(Case("fifo.txt", (fifo,), "finance", "reject", reason="regular file", about="a named pipe"))
    folder = root / "folder.md"
    folder.mkdir()
    cases.append(Case("folder.md", (folder,), "finance", "reject", reason="directory", about="a directory"))
    # --- several files at once: a bad one does not stop the good ones --------------------------------------
    good = root / "good_after_bad.md"
    good.write_text("# Limits\n\nThe daily ATM limit is 500.\n", encoding="utf-8")
    cases.append(
        Case(
            "malformed_then_good",
            (root / "malformed.docx", good),
            "finance",
            "mixed",
            reason="corrupt",
            about="a malformed DOCX before a good file in one ingest",
        )
    )
    return cases


def verdict(case: dict[str, Any], row: dict[str, Any]) -> str:
    """``ok`` when the case did what it must, else what went wrong."""
    if row.get("outcome") != "done":
        return row.get("outcome", "?")
    if row.get("traceback"):
        return "traceback"
    if row.get("leaked"):
        return "leak: " + ", ".join(row["leaked"])
    errors, expect = row.get("errors", []), case["expect"]
    if expect == "ingest":
        return "ok" if row["exit_code"] == 0 and row["indexed_chunks"] else "not ingested"
    if expect == "reject":
        if row["indexed_chunks"]:
            return "indexed"
        if row["exit_code"] != 1 or len(errors) != 1:
            return f"exit {row['exit_code']}, {len(errors)} error lines"
        reason = errors[0].split(": ", 2)[-1]  # after "error: <file>: ": the file's name says nothing
        return "ok" if case["reason"].lower() in reason.lower() else f"reason? {errors[0][:80]}"
    # mixed: the first file refused, the rest ingested
    ok = row["exit_code"] == 1 and len(errors) == 1 and len(row["documents"]) == len(case["paths"]) - 1
    return "ok" if ok else f"exit {row['exit_code']}, {len(errors)} errors, {len(row['documents'])} documents"
