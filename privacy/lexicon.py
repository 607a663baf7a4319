"""Word lists used to tell names from ordinary words: the spaCy model's lemma index and Faker's name lists."""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["common_english_words", "is_common_word", "is_name_word", "known_names"]

_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly")


def common_english_words(nlp_engine: Any) -> frozenset[str]:
    """Nouns, verbs, adjectives and adverbs of the spaCy pipeline's rule-lemmatizer index (WordNet-derived),
    plus spaCy's English stop words.

    Args:
        nlp_engine: Presidio's ``SpacyNlpEngine`` (its ``nlp["en"]`` is the loaded spaCy pipeline).

    Returns:
        Lower-case lemmas (about 90,000 for en_core_web_sm 3.8); empty if the pipeline has no such index.
    """
    try:
        nlp = nlp_engine.nlp["en"]
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    except (AttributeError, KeyError, ValueError, TypeError):
        return frozenset()
    from spacy.lang.en.stop_words import STOP_WORDS

    words: set[str] = set(STOP_WORDS)
    for pos in ("noun", "verb", "adj", "adv"):
        if pos in table:
            words.update(table[pos])
    return frozenset(words)


def is_common_word(word: str, common: frozenset[str]) -> bool:
    """Whether ``word`` (any case) or its form without a regular suffix (-s, -es, -ed, -d, -ing, -ly) is in
    ``common``; a crude stemmer, enough for "Disputes", "Affects", "Slowly"."""
    lower = word.lower()
    return lower in common or any(
        lower.endswith(suffix) and lower[: -len(suffix)] in common for suffix in _SUFFIXES
    )


def is_name_word(word: str, common: frozenset[str]) -> bool:
    """Whether ``word`` can be part of a personal name: each hyphen part is a known given name or surname,
    or not an ordinary English word ("Quillfeather", "O'Brien-Hughes", "Bill"; not "Diseases")."""
    return all(part.lower() in known_names() or not is_common_word(part, common) for part in word.split("-"))


@cache
def known_names() -> frozenset[str]:
    """Lower-cased given names and surnames from Faker's en_US and en_GB person providers (~1,900)."""
    from faker.providers.person.en_GB import Provider as BritishNames
    from faker.providers.person.en_US import Provider as AmericanNames

    names: set[str] = set()
    for provider in (AmericanNames, BritishNames):
        for attribute in ("first_names", "first_names_male", "first_names_female", "last_names"):
            names.update(name.lower() for name in getattr(provider, attribute, ()))
    return frozenset(names)
