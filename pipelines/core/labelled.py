"""Reading a JSONL file of labelled messages (one object per line, each with a ``text``): the evaluations'
datasets (``assistant eval risk|routing``) and the trainers' data (``assistant train risk|intent-multilingual``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipelines.core.errors import AssistantError

__all__ = ["read_labelled_jsonl"]

_HAN = re.compile(r"[\u3400-\u9fff]")


def read_labelled_jsonl(path: Path, shape: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a JSONL file with their line numbers (blank lines skipped), each with a non-empty
    ``text`` and, if given, a ``lang`` code (a string of 2-8 letters; when absent it is guessed: ``zh`` when the
    text has Han characters, else ``en``).

    Args:
        path: The file.
        shape: What a line holds, for messages, e.g. ``{text, categories, lang}``.

    Raises:
        AssistantError: The path is missing or a folder, the file is not UTF-8, or a line is not JSON, not an
            object, has no text or a malformed ``lang`` (named with its line number).
    """
    if path.is_dir():
        raise AssistantError(f"{path}: is a folder; a JSONL file of {shape} is expected")
    if not path.is_file():
        raise AssistantError(f"{path}: no such file (a JSONL of {shape} is expected)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise AssistantError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise AssistantError(f"{path}:{number}: not JSON ({exc.__class__.__name__})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            raise AssistantError(f"{path}:{number}: expected an object with a non-empty 'text'")
        lang = row.get("lang")
        if lang is None:
            row["lang"] = "zh" if _HAN.search(row["text"]) else "en"
        elif not isinstance(lang, str) or not re.fullmatch(r"[A-Za-z]{2,8}", lang):
            raise AssistantError(
                f"{path}:{number}: 'lang' must be a language code such as en or zh, got {lang!r}"
            )
        rows.append((number, row))
    return rows
