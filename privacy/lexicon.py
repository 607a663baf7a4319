"""Word lists used to tell names from ordinary words: the spaCy model's lemma index and Faker's name lists."""

from __future__ import annotations

import calendar
from functools import cache
from typing import Any

__all__ = [
    "MONTH_NAMES",
    "WEEKDAY_NAMES",
    "common_english_words",
    "english_verb_forms",
    "given_names",
    "is_common_word",
    "is_name_word",
    "known_names",
    "surnames",
    "word_set",
]

_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly")


def word_set(words: str) -> frozenset[str]:
    """The blank-separated words of ``words`` as a set (the modules' word lists are written as one string)."""
    return frozenset(words.split())


#: English month and weekday names, lower case ("january", "monday"; Python's ``calendar``, C locale).
MONTH_NAMES = frozenset(name.lower() for name in calendar.month_name if name)
WEEKDAY_NAMES = frozenset(name.lower() for name in calendar.day_name)


def _lemma_tables(nlp_engine: Any) -> tuple[Any, Any] | None:
    """The spaCy pipeline's rule-lemmatizer tables ``(lemma_index, lemma_exc)`` (``lemma_exc`` may be ``{}``),
    or None if the pipeline has no such index."""
    try:
        lookups = nlp_engine.nlp["en"].get_pipe("lemmatizer").lookups
        table = lookups.get_table("lemma_index")
    except (AttributeError, KeyError, ValueError, TypeError):
        return None
    return table, lookups.get_table("lemma_exc") if lookups.has_table("lemma_exc") else {}


def common_english_words(nlp_engine: Any) -> frozenset[str]:
    """Nouns, verbs, adjectives and adverbs of the spaCy pipeline's rule-lemmatizer index (WordNet-derived),
    their irregular forms (the lemmatizer's exception table: "seen", "went", "children", "better"), plus
    spaCy's English stop words.

    Irregular forms count as ordinary words so that a sentence-initial "Seen" (a town in GeoNames) is not taken
    for a place; the regular forms are reached by :func:`is_common_word`'s suffixes.

    Args:
        nlp_engine: Presidio's ``SpacyNlpEngine`` (its ``nlp["en"]`` is the loaded spaCy pipeline).

    Returns:
        Lower-case lemmas and irregular forms (about 90,000 lemmas and 6,000 forms for en_core_web_sm 3.8);
        empty if the pipeline has no such index.
    """
    tables = _lemma_tables(nlp_engine)
    if tables is None:
        return frozenset()
    table, irregular = tables
    from spacy.lang.en.stop_words import STOP_WORDS

    words: set[str] = set(STOP_WORDS)
    for pos in ("noun", "verb", "adj", "adv"):
        if pos in table:
            words.update(table[pos])
        if pos in irregular:
            words.update(form.lower() for form in irregular[pos])
    return frozenset(words)


def english_verb_forms(nlp_engine: Any) -> frozenset[str]:
    """Inflected verb forms: the irregular forms of the spaCy pipeline's rule-lemmatizer exception table
    ("said", "rang", "went", "bought") and the regular -s/-es/-ed/-d/-ing forms of its verb lemmas (WordNet-derived)
    that are not themselves lemmas of another part of speech ("calls", "called", "calling"; not "pearl", a noun
    that WordNet also lists as a verb). Empty if the pipeline has no such index."""
    tables = _lemma_tables(nlp_engine)
    if tables is None:
        return frozenset()
    table, irregular = tables
    forms = {form.lower() for form in irregular["verb"]} if "verb" in irregular else set()
    lemmas = set(table["verb"]) if "verb" in table else set()
    others = {word for pos in ("noun", "adj", "adv") if pos in table for word in table[pos]}
    for lemma in lemmas:
        stem = lemma[:-1] if lemma.endswith("e") else lemma
        for form in (lemma + "s", lemma + "es", stem + "ed", stem + "ing", lemma + "d"):
            if form not in others:
                forms.add(form)
    return frozenset(forms - {"is", "'s"})


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


#: Faker person-provider locales whose given names make up :func:`given_names` (Latin, Greek and Cyrillic
#: scripts: the customers of a European or American bank or clinic).
_GIVEN_NAME_LOCALES = [
    "en_US",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_NZ",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CH",
    "es_ES",
    "es_MX",
    "it_IT",
    "pt_PT",
    "pt_BR",
    "nl_NL",
    "nl_BE",
    "da_DK",
    "no_NO",
    "sv_SE",
    "fi_FI",
    "is_IS",
    "pl_PL",
    "cs_CZ",
    "sk_SK",
    "hu_HU",
    "et_EE",
    "lv_LV",
    "lt_LT",
    "sl_SI",
    "hr_HR",
    "ro_RO",
    "tr_TR",
    "ga_IE",
    "el_GR",
    "ru_RU",
    "uk_UA",
    "bg_BG",
]
#: Month and weekday abbreviations that are also given names in some locale ("Jan", "Mar").
_NOT_GIVEN_NAMES = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
)


@cache
def given_names() -> frozenset[str]:
    """Lower-cased given names from Faker's person providers of :data:`_GIVEN_NAME_LOCALES` (~16,000), minus
    month and weekday abbreviations. Loaded once (about 0.5 s, shared with :func:`surnames`)."""
    return _locale_names()[0]


@cache
def surnames() -> frozenset[str]:
    """Lower-cased surnames from Faker's person providers of :data:`_GIVEN_NAME_LOCALES` (~19,000)."""
    return _locale_names()[1]


@cache
def _locale_names() -> tuple[frozenset[str], frozenset[str]]:
    import importlib

    given: set[str] = set()
    family: set[str] = set()
    for locale in _GIVEN_NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            given.update(name.lower() for name in getattr(provider, attribute, ()))
        family.update(name.lower() for name in getattr(provider, "last_names", ()))
    return frozenset(given - _NOT_GIVEN_NAMES), frozenset(family)
