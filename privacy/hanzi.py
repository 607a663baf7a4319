"""Traditional Chinese characters folded to simplified ones, character for character (same length, same offsets).

jieba's dictionary and HMM are trained on simplified text. On traditional text nearly every character is
unknown, jieba's part-of-speech HMM then runs over whole sentences, and a 200-character message took 100-330 ms
to tag instead of about 3 (issue 22, round 2). Tagging the folded text and reading the words back from the
original offsets keeps every offset and every original character.

The table is OpenCC's ``TSCharacters.txt`` (traditional to simplified characters; OpenCC, Apache-2.0), as shipped
by the ``opencc-python-reimplemented`` package; only one-character-to-one-character entries are used, with the
first simplified candidate.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["to_simplified"]


@cache
def _table() -> dict[int, str]:
    """``str.translate`` table: code point of a traditional character -> its first simplified character."""
    text = (resources.files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(first) == 1 and first != source:
            table[ord(source)] = first
    return table


def to_simplified(text: str) -> str:
    """``text`` with each traditional character replaced by its simplified form ("黃志明" -> "黄志明"); every
    other character, and the length, unchanged."""
    return text.translate(_table())
