"""Text-level consistency for the medical recognizer: what one sentence says about a term holds in its neighbours.

A sentence-level tagger misses short forms and repeated mentions that the surrounding text settles. Two
classic rules, applied after tagging, over a text's sentences:

- **Abbreviation definitions** (after Schwartz & Hearst, "A simple algorithm for identifying abbreviation
  definitions in biomedical text", PSB 2003): a tagged mention directly followed by ``( SF )``, where ``SF`` is
  one token of 2-10 characters with a capital letter, defines ``SF`` as an entity of the mention's type
  ("puromycin aminonucleoside ( PAN )" -> every ``PAN`` is a CHEMICAL).
- **One sense per discourse** (Gale, Church & Yarowsky, 1992): a token sequence tagged as an entity somewhere
  in the context is tagged the same way where it occurs untagged (exact, case-sensitive match; single tokens
  of one or two characters are not propagated).

Only untagged tokens are changed (a tagger's decision is never overwritten), longest match first. Measured on
BC5CDR devel with a model trained on train only: 0.795 -> 0.827 entity F1 (README).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.skills.medical.lexicon import TermLexicon, tag_spans

__all__ = ["apply_context", "context_terms", "tag_with_context"]


def context_terms(
    sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
) -> dict[tuple[str, ...], str]:
    """Terms that the tagged ``sentences`` define: abbreviations first, then tagged mentions (first type wins).

    Args:
        sentences: Token lists.
        tags: IOB2 tags per sentence (same shapes).
    """
    abbreviations: dict[tuple[str, ...], str] = {}
    mentions: dict[tuple[str, ...], str] = {}
    for words, labels in zip(sentences, tags, strict=True):
        for start, end, label in tag_spans(labels):
            key = tuple(words[start:end])
            if len(key) > 1 or len(key[0]) > 2:
                mentions.setdefault(key, label)
            if end + 2 < len(words) and words[end] == "(" and words[end + 2] == ")":
                short = words[end + 1]
                if 2 <= len(short) <= 10 and any(c.isupper() for c in short):
                    abbreviations.setdefault((short,), label)
    return {**mentions, **abbreviations}


def apply_context(words: Sequence[str], tags: Sequence[str], terms: dict[tuple[str, ...], str]) -> list[str]:
    """``tags`` with untagged occurrences of ``terms`` tagged (longest match first, case-sensitive)."""
    return TermLexicon(terms).match(words, tags, lower=False)


def tag_with_context(
    sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], window: int | None = None
) -> list[list[str]]:
    """Apply :func:`apply_context` to every sentence, with the terms of its context.

    Args:
        sentences: Token lists of one text, in order.
        tags: The tagger's IOB2 tags per sentence.
        window: Context = the ``window`` sentences before and after (and the sentence itself); None = the
            whole text (what :meth:`MedicalEntityRecognizer.recognize` uses).
    """
    if window is None:
        terms = context_terms(sentences, tags)
        return [apply_context(words, labels, terms) for words, labels in zip(sentences, tags, strict=True)]
    out: list[list[str]] = []
    for i, (words, labels) in enumerate(zip(sentences, tags, strict=True)):
        low, high = max(0, i - window), min(len(sentences), i + window + 1)
        out.append(apply_context(words, labels, context_terms(sentences[low:high], tags[low:high])))
    return out
