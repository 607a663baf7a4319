"""Word shapes: the case and digit pattern of a word, a standard feature of sequence labellers.

Collins (2002) and the CoNLL NER systems use such "word shape" classes; here each character maps to ``X``
(upper case), ``x`` (lower case), ``d`` (digit) or itself, and runs of one class collapse to one symbol.
"""

from __future__ import annotations

__all__ = ["word_shape"]


def word_shape(word: str, limit: int) -> str:
    """The shape of ``word`` with runs collapsed, cut to ``limit`` characters.

    Examples: ``O'Brien`` -> ``X'Xx``, ``AB12`` -> ``Xd``, ``Selegiline`` -> ``Xx``, ``FK506`` -> ``Xd``.
    """
    out: list[str] = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else char
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)[:limit]
