"""What the labelled-message evaluations share (``assistant eval risk`` and ``eval routing``): reading a JSONL
of labelled messages, running a system over them with its latency, and splitting scores by language."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pipelines.core.errors import AssistantError

__all__ = ["by_language", "nearest_rank", "ratio", "read_labelled_jsonl", "timed"]

_HAN = re.compile(r"[\u3400-\u9fff]")
_Row = TypeVar("_Row", bound="_HasLanguage")
_Out = TypeVar("_Out")


class _HasLanguage(Protocol):
    @property
    def lang(self) -> str: ...


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


def nearest_rank(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values`` (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to 4 decimals; None when there is nothing to divide by."""
    return round(numerator / denominator, 4) if denominator else None


def timed(system: Callable[[str], _Out], texts: Sequence[str]) -> tuple[list[_Out], dict[str, float]]:
    """``system`` on each text in order: its outputs and ``{p50, p99}`` milliseconds per call (nearest rank)."""
    outputs, timings = [], []
    for text in texts:
        started = time.perf_counter()
        outputs.append(system(text))
        timings.append(1000 * (time.perf_counter() - started))
    return outputs, {"p50": round(nearest_rank(timings, 50), 3), "p99": round(nearest_rank(timings, 99), 3)}


def by_language(
    rows: Sequence[_Row], outputs: Sequence[_Out], score: Callable[[list[_Row], list[_Out]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``score`` of the rows of each language (with their outputs, in order), keyed by language code."""
    return {
        lang: score(
            [r for r in rows if r.lang == lang],
            [o for r, o in zip(rows, outputs, strict=True) if r.lang == lang],
        )
        for lang in sorted({r.lang for r in rows})
    }
