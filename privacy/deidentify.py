"""De-identification: find PII with Presidio, apply a policy's operator for a sink, restore for display.

A :class:`~privacy.policies.PiiPolicy` names, per entity type and sink (prompt, memory, index, logs, display),
the operator: e.g. *pseudonymize* (user messages: a session placeholder ``<TYPE_n>`` from the
:class:`~privacy.vault.Vault`, restorable in what the user sees), *redact* (documents: ``<TYPE>``, gone for
good), *hash*, *date_shift*, *mask_last4* (see :mod:`privacy.policies`).
*scrub* (model output such as reasoning) reads the vault only: the session's own values become their
placeholders, anything else found becomes ``<TYPE>``.
Overlapping findings are resolved by keeping the higher score, then the longer span, then the earlier one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from privacy.anonymizers import apply_operator, show_value
from privacy.chinese import HAN, HAS_HAN
from privacy.glossary import entity_label
from privacy.lexicon import (
    common_english_words,
    english_verb_forms,
    given_names,
    is_common_word,
    is_name_word,
    surnames,
    word_set,
)
from privacy.medical_terms import (
    EPONYM_AFTER,
    QUANTITY,
    is_code_identifier,
    is_drug_phrase,
)
from privacy.name_context import NameSpan, complete_names, follows_name_cue
from privacy.normalize import DetectionView, detection_views, visible
from privacy.placeholders import ANY_PLACEHOLDER, PLACEHOLDER_PATTERN
from privacy.places import place_names
from privacy.policies import PiiPolicy, Sink
from privacy.urls import PRIVATE_MARKERS, host_span, opaque_path, url_end, web_urls
from privacy.vault import IDENTIFIER_TYPES, Vault, normalise_value

__all__ = [
    "Deidentifier",
    "Finding",
    "Redaction",
    "StreamingReidentifier",
    "display_text",
    "find_vanilla",
    "reidentify",
    "typed_spellings",
]

#: Longest span one finding can cover, characters: the secret recognizer's private-key blocks are the longest
#: (``privacy.secret_recognizers``, 20,000); names, numbers and addresses are far shorter.
MAX_FINDING_CHARS = 20_000
#: Text is analysed in windows of this many characters (spaCy's default max_length is 1,000,000; smaller
#: pieces keep memory flat), overlapping by twice :data:`MAX_FINDING_CHARS`: see :func:`_windows`.
_WINDOW_CHARS = 100_000


@dataclass(frozen=True)
class Finding:
    """One PII finding, with character offsets into the *original* text (end exclusive)."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    placeholder: str = ""  # set when the finding is a repeat of a value the session vault already maps


@dataclass(frozen=True)
class Redaction:
    """Result of de-identifying a text: the safe text and what was found (no original values).

    ``spans`` (when set, as :meth:`Deidentifier.deidentify` does) holds, for each finding in order, the
    ``(start, end)`` character offsets of what replaced it in ``text``; ``()`` when not recorded.
    """

    text: str
    findings: tuple[Finding, ...]
    spans: tuple[tuple[int, int], ...] = ()

    def counts(self) -> dict[str, int]:
        """Return the number of findings per entity type."""
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.entity_type] = counts.get(finding.entity_type, 0) + 1
        return counts


#: The learned recognizer's name (:class:`privacy.learned.LearnedPiiRecognizer`).
_LEARNED = "LearnedPiiRecognizer"
#: An abbreviated personal title right before a finding: "Dr. Lally", "per dr. lowell" (WordNet lists "lally" and
#: "Lowell", so the common-word filter would undo them). Spelled-out "doctor" is not one: "your doctor finds".
_TITLE_BEFORE = re.compile(r"(?<![\w.])(?:dr|drs|mr|mrs)\.?[ \t]*\Z", re.IGNORECASE)


#: Recognizers that find a name from the words around it ("my daughter (lily)"), which the common-word rule must
#: not undo.
_FROM_CONTEXT = frozenset(["RelationNameRecognizer"])


def _is_a_term(text: str, finding: Finding, common: frozenset[str], verbs: frozenset[str]) -> bool:
    """A name, place or organisation finding that is a term (:mod:`privacy.medical_terms`): a dose or a duration
    ("40 MG"), a code identifier ("maxSurge", "Grant.isActive"), a name used as a modifier after an article
    (:func:`_attributive`: "the Jenkins pipeline"), or, with no person cue before it (a title,
    "patient", a relation word, an introduction) and no given name after a comma, a one-word eponymous scale or
    sign ("Epworth Sleepiness Scale", "Apgar score") or a drug named by its INN stem with only ordinary words
    beside it ("Losartan", "Switch Tramadol"; not "Mr Gasparin", "GASPARIN, LUCIA")."""
    if finding.entity_type not in ("PERSON", "LOCATION", "ORGANIZATION", "NRP"):
        return False
    span = text[finding.start : finding.end]
    if QUANTITY.fullmatch(span) or is_code_identifier(text, finding.start, finding.end):
        return True
    if finding.entity_type == "PERSON" and _attributive(text, finding, common, verbs):
        return True  # places and nationalities stay: "the London office", "the French embassy" name them
    words = span.split()
    eponym = (
        finding.entity_type in ("PERSON", "LOCATION")
        and len(words) == 1
        and EPONYM_AFTER.match(text, finding.end) is not None
    )
    if not eponym and not is_drug_phrase(words, lambda word: not is_name_word(word, common)):
        return False
    # a person cue wins over the term's look ("Mr Gasparin", "Harold Finch score 4", "GASPARIN, LUCIA")
    return not (
        _PERSON_CUE_BEFORE.search(text, max(0, finding.start - 24), finding.start)
        or follows_name_cue(text, finding.start, verbs, common)
        or (
            (after := _GIVEN_AFTER_COMMA.match(text, finding.end)) and after.group(1).lower() in given_names()
        )
    )


#: An article or determiner right before a name, with at most one of a few adjectives between ("the", "our old"):
#: English puts none before a person's name ("the late" is a cue of its own, not listed; nor are "its", "that" and
#: "this": "hi its siobhan" is "it's", "mention that Marcus Ellingworth handles …" a clause).
_DETERMINER_BEFORE = re.compile(
    r"(?<![\w'])(?:the|our|their|your)\s+"
    r"(?:(?:old|new|same|latest|current|legacy|nightly|main|default|whole|original|official)\s+)?\Z",
    re.IGNORECASE,
)
_NEXT_WORD = re.compile(r"\s+([a-z][a-z-]*)\b")
#: Nouns after which a name used as a modifier is still a person, their household, a record about them or a work
#: of theirs ("the Okafor family", "the Smith account", "the Okafor report", "the Margaret Hill chart", "the
#: Jensen novel"): privacy wins over "the Grant Thornton report", which stays redacted.
_PERSON_HEADS = word_set(
    "family families household households account accounts estate estates children kids twins case cases "
    "house home residence brothers sisters siblings parents boys girls couple clan line claim claims file "
    "files record records report reports chart charts notes note letter letters result results scan scans "
    "referral referrals bloods history details paperwork statement statements application applications "
    "complaint complaints appointment appointments prescription prescriptions discharge summary review "
    "assessment assessments plan plans visit visits bill bills invoice invoices payment payments loan loans "
    "mortgage policy funeral trust will wedding care team novel novels book books version versions film films "
    "movie song songs album albums play plays painting paintings poem poems story stories biography memoir "
    "recording recordings translation edition interview interviews speech quote letters lecture"
)


def _attributive(text: str, finding: Finding, common: frozenset[str], verbs: frozenset[str]) -> bool:
    """Whether a name finding is a modifier between a determiner and an ordinary noun: "the Jenkins pipeline",
    "the Marcus savings rate", "our Dawn release", "the Ishihara plates" name a tool, a product or a test, not a
    person (English puts no article before a person's name). Not before a household, record or work noun
    (:data:`_PERSON_HEADS`: "the Okafor family", "the Smith account", "the Okafor report", "the Jensen
    novel"), an inflected verb
    ("the Marcus Ellingworth who handles …"; ``verbs``: :func:`privacy.lexicon.english_verb_forms`) or a stop
    word ("the Smith and Jones report" keeps its names)."""
    if not _DETERMINER_BEFORE.search(text, max(0, finding.start - 40), finding.start):
        return False
    after = _NEXT_WORD.match(text, finding.end)
    if after is None:
        return False
    noun = after.group(1)
    return (
        noun not in _PERSON_HEADS
        and noun not in STOP_WORDS
        and noun not in verbs
        and is_common_word(noun, common)
    )


#: A cue that the next words are a person: a title, a role label or a label of a record ("Mr", "Patient:",
#: "cust", "Name:").
_PERSON_CUE_BEFORE = re.compile(
    r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|patient|pt|customer|cust|client|member|name|nok|contact|signed)"
    r"\b\.?:?\s*\Z",
    re.IGNORECASE,
)
#: "GASPARIN, LUCIA": a given name after a comma makes the word before it a surname.
_GIVEN_AFTER_COMMA = re.compile(r",\s*([^\W\d_]+)")


def _after_title(text: str, finding: Finding) -> bool:
    """True when the clinical name recognizer or the learned one found ``finding`` right after an abbreviated
    title (Presidio keeps one of two equal spans, the higher-scored)."""
    return finding.recognizer in ("ClinicalNameRecognizer", _LEARNED) and bool(
        _TITLE_BEFORE.search(text[max(0, finding.start - 8) : finding.start])
    )


#: Lowest score at which a PERSON span of the learned recognizer (:mod:`privacy.learned`) is trusted from its
#: context, as a name after a title is: the common-word rule would drop "will hartnell" or "dawn mark", which the
#: model finds from the words around them. Below it, and for one word, the rule applies as to NER spans.
LEARNED_SURE = 0.9


def _learned_sure(text: str, finding: Finding) -> bool:
    """True for a PERSON finding of the learned recognizer of two words or more at :data:`LEARNED_SURE` or
    above (a single common word such as "may" or "grant" stays under the common-word rule)."""
    return (
        finding.recognizer == _LEARNED
        and finding.score >= LEARNED_SURE
        and len(text[finding.start : finding.end].split()) >= 2
    )


#: The spaCy analyses of the current :meth:`Deidentifier.reusing_analysis` block, by analysed text (None: none).
_ANALYSES: ContextVar[dict[str, Any] | None] = ContextVar("deidentify_analyses", default=None)


class Deidentifier:
    """Applies PII policies with a shared Presidio analyzer (build once; thread-safe)."""

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        secret: bytes | None = None,
        window_chars: int = _WINDOW_CHARS,
        max_finding_chars: int = MAX_FINDING_CHARS,
    ) -> None:
        """Args:
        analyzer: The Presidio analyzer (:func:`~privacy.analyzer.build_analyzer`).
        secret: Salt of the ``hash`` operator and key of the per-session date shift (keep it secret and
            fixed: hashes are comparable, and shifts stable, only under the same secret); None = a random
            secret for this process only.
        window_chars: Characters analysed at once (:func:`_windows`); tests make it small.
        max_finding_chars: Longest finding, characters: the windows overlap by twice this.

        Raises:
            ValueError: The windows would not advance (``window_chars <= 2 * max_finding_chars``).
        """
        if window_chars <= 2 * max_finding_chars:
            raise ValueError(
                f"window_chars {window_chars} must exceed twice max_finding_chars {max_finding_chars}"
            )
        self.window_chars = window_chars
        self.max_finding_chars = max_finding_chars
        self.analyzer = analyzer
        self._secret = secret if secret is not None else os.urandom(32)
        self._common_words = common_english_words(analyzer.nlp_engine)
        self._verbs = english_verb_forms(analyzer.nlp_engine)

    @contextmanager
    def reusing_analysis(self) -> Iterator[None]:
        """Within the block (this thread or task only), a text analysed again reuses its spaCy analysis (tokens,
        tags, entities: Presidio's ``NlpArtifacts``, which its recognizers only read) instead of parsing it
        again. A chat turn analyses its question twice, with the routing policy and then with the chosen
        domain's, and spaCy is about two thirds of each pass (measured: 6.5 of 10.8 ms on short questions).
        The analyses, raw text included, are dropped when the block ends; nothing outlives the turn."""
        token = _ANALYSES.set({})
        try:
            yield
        finally:
            _ANALYSES.reset(token)

    def _analyze(self, text: str, entities: list[str], score_threshold: float) -> list[RecognizerResult]:
        """Presidio's analysis of ``text`` (one window), with the spaCy analysis of a reuse block if any."""
        analyses = _ANALYSES.get()
        artifacts = None
        if analyses is not None:
            artifacts = analyses.get(text)
            if artifacts is None:
                artifacts = analyses[text] = self.analyzer.nlp_engine.process_text(text, "en")
        return self.analyzer.analyze(
            text=text,
            language="en",
            entities=entities,
            score_threshold=score_threshold,
            nlp_artifacts=artifacts,
        )

    def find(
        self, text: str, entities: Iterable[str], score_threshold: float, keep_terms: Iterable[str] = ()
    ) -> list[Finding]:
        """Return non-overlapping findings of ``entities`` in ``text``, sorted by start offset.

        Detection reads the text's detection view (:mod:`privacy.normalize`: no terminal escapes, zero-width or
        control characters, compatibility forms folded), in overlapping windows (:func:`_windows`), and the
        findings are mapped back to ``text``: a span covers every hidden character inside its value.

        Dropped against over-redaction: a finding whose text lies inside one of ``keep_terms`` or holds one as
        a whole word (case-insensitive); a PERSON finding with digits, "/" or "@" (URLs and ids are not names);
        a name, place or organisation finding that is a term (:func:`_is_a_term`: a dose or duration, an
        eponymous scale, an INN-stem drug name, a code identifier); and a PERSON finding made only of common
        English words none of which is a known
        given name or surname ("Disputes", "Kidney Diseases", "Flu Shot": the small spaCy NER model tags such
        title-case words as names; "Bill", "Rose Baker" or "Zelda Quartermaine" stay findings), unless it comes
        after an abbreviated title, a relation word or a casual self-introduction ("my daughter (lily)", "i'm
        jess": :mod:`privacy.name_context`), or the
        learned recognizer is sure of it from its context (score at least
        :data:`LEARNED_SURE`, two words or more: "will hartnell"); and a DATE_TIME
        finding that is not a point in time (no month or weekday name, year, numeric date or clock time:
        "13 months", "last night", spaCy's DATE over a bare number). Added: PERSON findings that complete or
        repeat a found name (:func:`privacy.name_context.complete_names`: "Bill <o'hara>", a surname written
        again later). Common words =
        the spaCy model's WordNet-derived lemma index (noun, verb, adj, adv); names = Faker's en_US and en_GB
        given-name and surname lists.
        """
        return _across_views(text, lambda view: self._find_in(view, entities, score_threshold, keep_terms))

    def _find_in(
        self, text: str, entities: Iterable[str], score_threshold: float, keep_terms: Iterable[str] = ()
    ) -> list[Finding]:
        """:meth:`find` on text that is its own detection view (offsets into ``text``)."""
        wanted = list(entities)
        if not text.strip() or not wanted:
            return []
        raw: list[Finding] = []
        for offset, window, own_start, own_end in _windows(text, self.window_chars, self.max_finding_chars):
            for result in self._analyze(window, wanted, score_threshold):
                finding = _to_finding(result, offset)
                if own_start <= finding.start < own_end:  # each finding from the one window that owns it
                    raw.append(finding)
        keep = [" ".join(term.split()).casefold() for term in keep_terms if term.strip()]
        trimmed = [
            f
            for f in (_trim(text, f) for f in raw)
            if f.end > f.start
            and not (
                f.entity_type == "PERSON"
                and (
                    self._is_not_a_name(
                        text[f.start : f.end],
                        _after_title(text, f)
                        or _learned_sure(text, f)
                        or f.recognizer in _FROM_CONTEXT
                        or follows_name_cue(text, f.start, self._verbs, self._common_words),
                    )
                    or _EPONYM.match(text, f.end)
                )
            )
            and not _is_a_term(text, f, self._common_words, self._verbs)
            and not (f.entity_type == "DATE_TIME" and not _CALENDAR.search(text[f.start : f.end]))
            and not (f.entity_type == "DATE_TIME" and _DOSE_UNIT_AFTER.match(text, f.end))
            and not (f.entity_type == "URL" and _inside_a_word(text, f))
        ]
        trimmed = [self._retype(text, f) for f in trimmed]

        def not_kept(findings: list[Finding]) -> list[Finding]:
            return [
                f
                for f in findings
                if not (keep and _is_kept(" ".join(text[f.start : f.end].split()).casefold(), keep))
            ]

        trimmed = not_kept(trimmed)
        if "PERSON" in wanted:  # from the names that stand, not one a keep term undid ("Espaol Anemia")
            trimmed += not_kept(
                [
                    f
                    for f in self._completed_names(text, trimmed)
                    if not _EPONYM.match(text, f.end)
                    and not _is_a_term(text, f, self._common_words, self._verbs)
                ]
            )
        return _widen_to_private_urls(text, _resolve_overlaps(trimmed))

    def _completed_names(self, text: str, findings: list[Finding]) -> list[Finding]:
        """PERSON findings that complete or repeat the PERSON ``findings`` (:func:`privacy.name_context.complete_names`;
        they merge with the originals when overlaps are resolved)."""
        names = [NameSpan(f.start, f.end, f.score) for f in findings if f.entity_type == "PERSON"]
        if not names:
            return []
        others = [(f.start, f.end) for f in findings if f.entity_type != "PERSON"]

        def taken(start: int, end: int) -> bool:
            return any(start < other_end and other_start < end for other_start, other_end in others)

        return [
            Finding("PERSON", n.start, n.end, n.score, "NameCompletion")
            for n in complete_names(text, names, self._common_words, taken)
        ]

    def find_for(
        self,
        text: str,
        policy: PiiPolicy,
        sink: Sink | tuple[Sink, ...],
        keep_terms: Iterable[str] = (),
        vault: Vault | None = None,
    ) -> list[Finding]:
        """Findings of the entity types ``policy`` de-identifies in ``sink`` (or in any of several sinks, to
        analyse once for all of them), each above its own threshold.

        With a ``vault``, every value already in it is found again by exact (case-insensitive, whole-word)
        match, so a name the NER model misses in a later turn ("And can Zelda Quartermaine…") is still found.
        """
        sinks = (sink,) if isinstance(sink, str) else sink
        entities = sorted({e for one in sinks for e in policy.entities_for(one)})

        def find(view: str) -> list[Finding]:
            findings = [
                f
                for f in self._find_in(view, entities, policy.min_threshold, keep_terms)
                if f.score >= policy.threshold(f.entity_type)
            ]
            if vault is not None:
                findings = self._with_known_values(view, findings, vault, entities)
            return findings

        return _across_views(text, find)

    def deidentify(
        self,
        text: str,
        policy: PiiPolicy,
        sink: Sink,
        vault: Vault | None = None,
        keep_terms: Iterable[str] = (),
        findings: list[Finding] | None = None,
    ) -> Redaction:
        """Apply ``policy``'s operator for ``sink`` to every finding in ``text``.

        Args:
            text: Raw text.
            policy: The domain's policy.
            sink: Where the result goes (prompt, memory, index, logs).
            vault: The session vault (needed by ``pseudonymize`` and ``date_shift``).
            keep_terms: Terms never treated as PII.
            findings: Findings from :meth:`find_for` on the same text, to apply several sinks' operators
                without analysing twice (None = analyse now).

        Returns:
            The safe text and the findings that were changed (``keep`` findings are left out).

        Raises:
            PrivacyError: The policy asks for ``pseudonymize`` or ``date_shift`` without a vault.
        """
        if findings is None:
            findings = self.find_for(text, policy, sink, keep_terms, vault)
        applied = [f for f in findings if policy.operator(f.entity_type, sink) != "keep"]
        spans: list[tuple[int, int]] = []
        replaced = _replace(
            text,
            applied,
            lambda f: self._operate(policy.operator(f.entity_type, sink), f, text, vault),
            spans,
        )
        return Redaction(text=replaced, findings=tuple(applied), spans=tuple(spans))

    def _operate(self, operator: str, finding: Finding, text: str, vault: Vault | None) -> str:
        """What ``operator`` (a policy's name for a sink) writes for ``finding`` (:mod:`privacy.anonymizers`)."""
        value = visible(text[finding.start : finding.end])  # the value as it reads, without hidden characters
        return apply_operator(operator, value, finding.entity_type, vault, finding.placeholder, self._secret)

    def pseudonymize(
        self, text: str, policy: PiiPolicy, vault: Vault, keep_terms: Iterable[str] = ()
    ) -> Redaction:
        """De-identify a user message for the prompt sink (usually session placeholders, reversible)."""
        return self.deidentify(text, policy, "prompt", vault, keep_terms)

    def scrub(self, text: str, policy: PiiPolicy, vault: Vault, keep_terms: Iterable[str] = ()) -> Redaction:
        """De-identify model output (reasoning) without adding to the vault.

        A finding whose value the session vault already holds becomes that placeholder (the model never saw
        the value, but it may guess or echo it); any other finding of the policy's message entities becomes
        ``<TYPE>`` for good (values the model invents or recalls are not the user's to restore). Placeholders
        already in the text are left alone. ``vault`` is read, never changed.
        """
        entities = policy.message_entities

        def find(view: str) -> list[Finding]:
            protected = [(m.start(), m.end()) for m in PLACEHOLDER_PATTERN.finditer(view)]
            findings = [
                f
                for f in self._find_in(view, entities, policy.min_threshold, keep_terms)
                if f.score >= policy.threshold(f.entity_type)
                and not any(f.start < end and start < f.end for start, end in protected)
            ]
            return [  # a value the session already holds is written back as its placeholder
                replace(
                    f, placeholder=f.placeholder or vault.lookup(f.entity_type, view[f.start : f.end]) or ""
                )
                for f in self._with_known_values(view, findings, vault, entities)
            ]

        findings = _across_views(text, find)
        replaced = _replace(text, findings, lambda f: f.placeholder or f"<{f.entity_type}>")
        return Redaction(text=replaced, findings=tuple(findings))

    def redact(self, text: str, policy: PiiPolicy, keep_terms: Iterable[str] = ()) -> Redaction:
        """De-identify document text for the index sink (usually ``<TYPE>``, irreversible)."""
        return self.deidentify(text, policy, "index", None, keep_terms)

    def _with_known_values(
        self, text: str, findings: list[Finding], vault: Vault, entities: Iterable[str]
    ) -> list[Finding]:
        """Add the vault's known values of ``entities`` to ``findings``, resolve overlaps, and make each
        placeholder stand only for its own value (:func:`_fit_to_vault`)."""
        wanted = set(entities)
        known = [f for f in _known_values(text, vault, self._is_name_word) if f.entity_type in wanted]
        merged = _resolve_overlaps(findings + known)
        return [_fit_to_vault(text, f, vault, self._is_name_word) for f in merged]

    def _retype(self, text: str, finding: Finding) -> Finding:
        """An NER NRP made of known names ("From Zelda Quartermaine") is a PERSON; so is an NER LOCATION that is
        no place in the gazetteer but a person's name: one word that is a
        known given name or surname ("Why is Rebecca so impulsive?", "Marrero and Murphy"), or several words
        the first of which is a known given name ("The Steffen Mauer version"). The small spaCy model often
        calls rare names places."""
        span = text[finding.start : finding.end]
        words = span.split()
        if finding.entity_type == "NRP" and finding.recognizer == "SpacyRecognizer":
            # spaCy sometimes calls a rare full name a nationality ("From Zelda Quartermaine"): a person
            names = [w for w in words if w.lower() in given_names() or w.lower() in surnames()]
            if names and (len(words) >= 2 or not words[0].lower().endswith(_DEMONYM_ENDINGS)):
                return replace(finding, entity_type="PERSON")
            return finding
        if finding.entity_type != "LOCATION" or finding.recognizer != "SpacyRecognizer":
            return finding
        if not words or span.casefold() in place_names() or any(c.isdigit() for c in span):
            return finding
        first = words[0].lower()
        if (len(words) == 1 and (first in given_names() or first in surnames())) or (
            1 < len(words) <= 3 and first in given_names() and words[-1].casefold() not in place_names()
        ):
            return replace(finding, entity_type="PERSON")
        return finding

    def _is_name_word(self, word: str) -> bool:
        """A part of a name worth matching alone: a known name, or not a common English word."""
        return is_name_word(word, self._common_words)

    def _is_not_a_name(self, span: str, from_context: bool = False) -> bool:
        """True for a span with digits, "/" or "@", and, unless a recognizer found it from its context
        (``from_context``: "Dr. Lally", "son Rob"), for one made only of common words that are not names."""
        return bool(_NOT_A_NAME.search(span)) or (not from_context and self._is_common_phrase(span))

    def _is_common_phrase(self, span: str) -> bool:
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", span)]
        if not words or not self._common_words:
            return False
        return not any(self._is_name_word(word) for word in words)


def _windows(
    text: str, size: int = _WINDOW_CHARS, longest: int = MAX_FINDING_CHARS
) -> list[tuple[int, str, int, int]]:
    """Overlapping windows of ``text`` for analysis: ``(offset, window, own_start, own_end)``.

    Windows are ``size`` long and start every ``size - 2 * longest`` characters; each *owns* its middle (the
    first window from the text's start, the last to its end), and the owned parts tile the text. A finding is
    kept only from the window that owns its start; since it is at most ``longest`` characters long and an owned
    part ends that far before its window's end, the window saw all of it, with at least that much context on
    either side. So no value is cut in two, wherever it lies.
    """
    if len(text) <= size:
        return [(0, text, 0, len(text))]
    windows = []
    start = 0
    while True:
        end = min(len(text), start + size)
        own_start = 0 if start == 0 else start + longest
        own_end = len(text) if end == len(text) else end - longest
        windows.append((start, text[start:end], own_start, own_end))
        if end == len(text):
            return windows
        start += size - 2 * longest


def _across_views(text: str, find: Callable[[str], list[Finding]]) -> list[Finding]:
    """``find`` run on each detection view of ``text`` (:func:`~privacy.normalize.detection_views`), its findings
    mapped back to ``text``; with two views, their union with overlaps resolved."""
    views = detection_views(text)
    findings = [f for view in views for f in _to_original(view, find(view.text))]
    return findings if len(views) == 1 else _resolve_overlaps(findings)


def _to_original(view: DetectionView, findings: list[Finding]) -> list[Finding]:
    """Findings on a detection view, as spans of the original text (see :meth:`DetectionView.span`)."""
    if view.sources is None:
        return findings
    return [replace(f, start=span[0], end=span[1]) for f in findings for span in [view.span(f.start, f.end)]]


#: A dose unit right after a "date": "10/20 mg", "5/325 mg" are combination doses, not days (shifting them as dates
#: changed a dose the model reads).
_DOSE_UNIT_AFTER = re.compile(
    r"\s*(?:mg|mcg|\u00b5g|ug|g|ml|iu|units?|mmol|micrograms?|milligrams?)\b", re.IGNORECASE
)


#: What makes a DATE_TIME finding a point in time (a date element or a clock time) rather than a duration or a
#: relative expression ("13 months", "last night", "a 20 year old"), which identifies no one: a month or weekday
#: name, a year 1900-2099, a numeric date, a clock time, or a Chinese month and day ("3月5日") or year and month.
_CALENDAR = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b|"
    r"(?<![\d.])(?:19|20)\d\d(?![\d.])|\b\d{1,4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,4})?\b|\b\d{1,2}:\d\d\b|"
    r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b|"
    # Chinese calendar dates: 3月5日, 2024年3月5日, 二〇二四年十月三日 (no word boundaries between Han characters)
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|[〇零一二三四五六七八九十]{2,4}\s*年\s*[一二三四五六七八九十]{1,2}\s*月",
    re.IGNORECASE,
)
_EDGE = " \t\n.,;:!?\"'()[]"
#: Types found by the NER model, whose span edges are fuzzy; pattern-based types keep their exact spans.
_NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP", "DATE_TIME", "ORGANIZATION"})
#: How nationality and group words end ("Danish", "Japanese", "Italian", "American", "Icelandic", "Saudi").
_DEMONYM_ENDINGS = ("ish", "ese", "ian", "an", "ic", "i", "ch", "er", "ite", "ist")
#: What follows an eponym, not a person: "Addison's disease", "Down syndrome", "Wilson disease".
_EPONYM = re.compile(
    r"(?:['\u2019]s?)?\s+(?:disease|syndrome|disorder|sign|test|law|reflex|palsy|an(?:a)?emia|lymphoma|sarcoma|"
    r"tumou?r|ulcer|procedure|operation|maneuver|manoeuvre|scale|criteria|classification|phenomenon|effect)\b",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(r"\d|/|@|://|www\.")
#: The first following word with a digit, "/" or "@" in a PERSON span (where a name span has run on).
_NUMERIC_TAIL = re.compile(r"\s+\S*[\d/@]")
#: The part of a name span over code up to its last bracket, "=" or quote ("User(name='", "np.linalg.norm(").
_CODE_BEFORE_NAME = re.compile(r"[^\n]*[(\[{=]['\"`]?")
#: A key and "=" (and a quote) before an e-mail address's local part: "email='", "EMAIL=", "to=\"".
_EMAIL_KEY = re.compile(r"[^@\s]*=['\"`]?(?=[^@\s=]+@)")
_HYPHEN_TAIL = re.compile(r"-[^\W\d_][\w'\u2019]*")
#: A self-introduction the NER model takes into a PERSON span ("I'm Zelda Quartermaine", "this is Zelda"): not
#: part of the name, and as a vault name part it would mask the model's own "I'm sorry" later.
_INTRODUCTION = re.compile(
    r"(?:(?:I|we)(?:['\u2019]m|\s+am|['\u2019]re|\s+are)|(?:this|it)(?:\s+is|['\u2019]s))\s+", re.IGNORECASE
)
#: Surname particles the NER model leaves outside the span ("Mr Van der <Merwe>", "Ludwig <van Beethoven>").
_PARTICLES_BEFORE = re.compile(
    r"(?:\b(?:[Vv]an|[Dd]er|[Dd]en|[Dd]e|[Vv]on|[Dd]a|[Dd]i|[Dd]u|[Ll]e|[Ll]a|[Tt]er|[Tt]en|bin|al|el)\s+)+$"
)


def _trim(text: str, finding: Finding) -> Finding:
    """Fix span edges. NER types: strip surrounding punctuation, a possessive ("Zelda's" -> "Zelda") and a
    leading self-introduction ("I'm Zelda" -> "Zelda"), cut a name span where it runs on into a word with a
    digit, "/" or "@" ("Felix. HbA1c" -> "Felix"), keep of a name span over code only what follows its last
    bracket, "=" or quote ("User(name='bob" -> "bob", "np.linalg.norm(v" -> "v"), and extend a name over a
    hyphenated second part the model cut off ("O'Brien" + "-Hughes"). A URL leaves the punctuation that ends
    its sentence ("…/guide," -> "…/guide"); an e-mail address leaves a key before it ("email='jane@…" ->
    "jane@…": RFC 5322 allows "=" and quotes in a local part, code and configuration put them before one)."""
    if finding.entity_type == "URL":
        end = url_end(text, finding.start, finding.end)
        return finding if end == finding.end else replace(finding, end=end)
    if finding.entity_type == "EMAIL_ADDRESS":
        key = _EMAIL_KEY.match(text, finding.start, finding.end)
        return finding if key is None else replace(finding, start=key.end())
    if finding.entity_type not in _NER_TYPES:
        return finding
    start, end = finding.start, finding.end
    if finding.entity_type == "PERSON" and (code := _CODE_BEFORE_NAME.match(text, start, end)) is not None:
        start = code.end()
        if sum(c.isalpha() for c in text[start:end]) < 2:  # "np.linalg.norm(v": no name left
            return replace(finding, start=start, end=start)
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if text[start:end].endswith(("'s", "\u2019s")) and end - start > 2:
        end -= 2
    if finding.entity_type == "PERSON":
        # a name span run on into an id or a measurement ("Felix. HbA1c", "Smith 07700"): the name part
        if (tail := _NUMERIC_TAIL.search(text, start, end)) is not None and tail.start() > start:
            end = tail.start()
            while end > start and text[end - 1] in _EDGE:
                end -= 1
        if (intro := _INTRODUCTION.match(text, start, end)) is not None and intro.end() < end:
            start = intro.end()
        while (tail := _HYPHEN_TAIL.match(text, end)) is not None:
            end = tail.end()
        if (particles := _PARTICLES_BEFORE.search(text, max(0, start - 24), start)) is not None:
            start = particles.start()
    if (start, end) == (finding.start, finding.end):
        return finding
    return Finding(finding.entity_type, start, end, finding.score, finding.recognizer)


def _is_kept(span: str, keep: list[str]) -> bool:
    """A finding inside a keep term ("Northwind" in "Northwind Bank"), or holding one as a whole word
    ("Espaol Anemia" holds "Espaol"). A word joined into a host, a user name or a path by ".", "-", "_", "@" or
    "/" is not a whole word: "redis-cache-02.internal" and "ubuntu-deploy" stay findings though "Redis" and
    "Ubuntu" are keep terms; a version after a hyphen is no joined word ("ubuntu-22.04", "redis-7.2" are kept)."""
    return any(
        span in term
        or (len(term) >= 4 and re.search(rf"(?<![\w.@/-]){re.escape(term)}(?![\w@/]|\.\w|-(?!\d))", span))
        for term in keep
    )


def _known_values(text: str, vault: Vault, is_name_word: Callable[[str], bool]) -> list[Finding]:
    """Find values the session vault already holds: identifiers with any separators, names also by part
    ("QUILLFEATHER, Zelda" after "Zelda Quillfeather"; ``is_name_word`` decides which parts count).

    Chinese is written without spaces, so a Han character next to a value does not block the match
    ("张伟的卡" finds "张伟"), and a Han value of two characters (a full name such as "张伟") is looked for.
    """
    found = []
    for placeholder, value in vault.values.items():
        match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
        if match is None or len(value.strip()) < (2 if HAS_HAN.search(value) else 3):
            continue
        entity = match.group(1)
        if entity in IDENTIFIER_TYPES:
            chars = normalise_value(entity, value)
            patterns = [r"[\s.()\-]{0,2}".join(re.escape(c) for c in chars)]
        else:
            patterns = [r"\s+".join(re.escape(part) for part in value.split())]
            if entity == "PERSON":
                patterns += [
                    re.escape(part)
                    for part in re.findall(r"[^\W\d_][\w'\u2019-]*", value)
                    if len(part) >= 3 and is_name_word(part)
                ]
        for pattern in patterns:
            for hit in re.finditer(rf"(?<![^\W{HAN}]){pattern}(?![^\W{HAN}])", text, flags=re.IGNORECASE):
                # score 1.0: an exact repeat of a value this session already de-identified
                found.append(
                    Finding(entity, hit.start(), hit.end(), 1.0, "SessionVaultRecognizer", placeholder)
                )
    return found


_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def _fit_to_vault(text: str, finding: Finding, vault: Vault, is_name_word: Callable[[str], bool]) -> Finding:
    """Keep a session placeholder only on text made of its own value's words, so that it restores to what it
    replaced. A span merged from a known value and a wider NER span ("Can Zelda Quartermaine" over a known
    "Zelda Quartermaine") is trimmed back to the known words when the extra words are common words at its
    edges; with any other extra word ("Zelda Smith" over a known "Zelda") it is a new value (no placeholder
    yet). Identifier types are compared without separators already and are left as they are."""
    if not finding.placeholder or finding.entity_type in IDENTIFIER_TYPES:
        return finding
    own = {word.casefold() for word in _WORD.findall(vault.values.get(finding.placeholder, ""))}
    words = list(_WORD.finditer(text, finding.start, finding.end))
    inside = [i for i, word in enumerate(words) if word.group().casefold() in own]
    if not inside or len(inside) == len(words):
        return finding
    first, last = inside[0], inside[-1]
    extra = words[:first] + words[last + 1 :]
    if last - first + 1 == len(inside) and not any(is_name_word(word.group()) for word in extra):
        return Finding(
            finding.entity_type,
            words[first].start(),
            words[last].end(),
            finding.score,
            finding.recognizer,
            finding.placeholder,
        )
    return Finding(finding.entity_type, finding.start, finding.end, finding.score, finding.recognizer)


def _inside_a_word(text: str, finding: Finding) -> bool:
    """Whether ``finding`` starts or ends inside a run of letters and digits: Presidio's URL without a scheme
    reads "joan.mc" in the login "joan.mcbride42" (.mc is Monaco's domain), leaving "bride42" behind."""
    before = text[finding.start - 1 : finding.start] if finding.start else ""
    after = text[finding.end : finding.end + 1]
    return before.isalnum() or after.isalnum()


#: Which finding inside a private URL names the whole URL: a credential first, then the host, then the rest.
_URL_TYPE_RANK = ("SECRET", "INTERNAL_HOSTNAME", "EMAIL_ADDRESS", "USERNAME", "IP_ADDRESS")


def _widen_to_private_urls(text: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` (non-overlapping, sorted) with each private web URL replaced, with every finding inside it,
    by one finding over the whole URL (:mod:`privacy.urls`). A URL is private when a finding of a
    :data:`privacy.urls.PRIVATE_MARKERS` type lies outside its host (in the user part, the path or the query), or
    when it has a finding and an opaque token in its path. The type is the first of :data:`_URL_TYPE_RANK`
    among the findings inside (else the first marker's), the score their best."""
    urls = web_urls(text) if "://" in text else []
    if not urls or not findings:
        return findings
    result = list(findings)
    for start, end in urls:
        inside = [f for f in result if f.start < end and start < f.end]
        markers = [f for f in inside if f.entity_type in PRIVATE_MARKERS]
        if not markers:
            continue
        host_start, host_end = (start + offset for offset in host_span(text[start:end]))
        beyond_host = any(f.start < host_start or f.end > host_end for f in markers)
        if not (beyond_host or opaque_path(text[start:end])):
            continue
        types = [f.entity_type for f in inside]
        entity = next((t for t in _URL_TYPE_RANK if t in types), markers[0].entity_type)
        widened = Finding(
            entity,
            min(start, *(f.start for f in inside)),
            max(end, *(f.end for f in inside)),
            max(f.score for f in inside),
            "PrivateUrl",
        )
        result = sorted([f for f in result if f not in inside] + [widened], key=lambda f: f.start)
    return result


def _resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings of one type become their union ("SMITH, John" + "John"), keeping the best score
    and any session placeholder; then, across types, a SECRET beats any other finding, a pattern-based finding
    (validated identifiers: phone, card, IBAN, …) beats an NER finding (a spaCy DATE over a phone number is the
    usual case), then a rule's identifier beats the learned recognizer's (:mod:`privacy.learned`: a labelled MRN
    stays a MEDICAL_RECORD_NUMBER rather than its ID_NUMBER), then the higher score wins, then the longer
    span. A place (:data:`_PLACE_TYPES`) that loses part of its span keeps the pieces outside the winners
    (:func:`_outside`)."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.entity_type, f.start)):
        last = merged[-1] if merged else None
        if last is not None and last.entity_type == finding.entity_type and finding.start < last.end:
            best = last if last.score >= finding.score else finding
            other = finding if best is last else last
            # a rule's finding widened or confirmed by the learned model keeps the rule's standing in the
            # cross-type ranking below (the learned recognizer's own findings rank with NER findings)
            name = other.recognizer if best.recognizer == _LEARNED else best.recognizer
            merged[-1] = Finding(
                last.entity_type,
                last.start,
                max(last.end, finding.end),
                best.score,
                name,
                last.placeholder or finding.placeholder,
            )
        else:
            merged.append(finding)
    kept: list[Finding] = []
    cut: list[Finding] = []
    for finding in sorted(
        merged,
        # a credential first: "postgres://app:pa!ss@db.example.com" holds an e-mail-shaped "ss@db.example.com"
        key=lambda f: (
            f.entity_type != "SECRET",
            f.entity_type in _NER_TYPES,
            # an identifier a rule found (a labelled MRN) beats the learned model's id over the same text; among
            # names, places and dates the score decides (Presidio keeps only the higher-scored of two equal
            # spans of one type, so a rule's name the model also found is already the model's)
            f.recognizer == _LEARNED and f.entity_type not in _NER_TYPES,
            f.entity_type
            == "NRP",  # a nationality word inside a name loses to the name ("Zelda" in "Zelda Q.")
            -f.score,
            -(f.end - f.start),
            f.start,
        ),
    ):
        if all(finding.end <= other.start or finding.start >= other.end for other in kept):
            kept.append(finding)
        elif finding.entity_type in _PLACE_TYPES:
            cut.append(finding)
    # a place that lost part of its span keeps the parts outside every winner, placed after them (so a piece never
    # pushes out a whole finding): an address that ran on over "，手机" into the phone number after it keeps
    # "…2105室" (lost whole, the address would stay in the text)
    for finding in cut:
        kept += _outside(finding, kept)
    return sorted(kept, key=lambda f: f.start)


#: Places whose pieces are still places (a piece of an e-mail address or a card number is no identifier).
_PLACE_TYPES = frozenset({"STREET_ADDRESS", "LOCATION", "FACILITY_NAME"})
#: A piece of a losing finding is kept when it holds this many letters, digits or Han characters.
_MIN_PIECE_CHARS = 2


def _outside(finding: Finding, winners: list[Finding]) -> list[Finding]:
    """The pieces of ``finding`` that no finding of ``winners`` covers, each with at least
    :data:`_MIN_PIECE_CHARS` word characters (a loser's remains would otherwise stay in the text whole)."""
    pieces = [(finding.start, finding.end)]
    for other in winners:
        pieces = [
            part
            for start, end in pieces
            for part in ((start, min(end, other.start)), (max(start, other.end), end))
            if part[1] > part[0]
        ]
    return [
        replace(finding, start=start, end=end, placeholder="")
        for start, end in pieces
        if (start, end) != (finding.start, finding.end) and end - start >= _MIN_PIECE_CHARS
    ]


def _replace(  # type: ignore[no-untyped-def]
    text: str, findings: list[Finding], operator, spans: list[tuple[int, int]] | None = None
) -> str:
    """``text`` with each finding replaced by ``operator(finding)``; with ``spans``, the output offsets of each
    replacement are appended to it (in the order of ``findings``)."""
    parts: list[str] = []
    cursor = 0
    length = 0
    for finding in findings:
        before = text[cursor : finding.start]
        written = operator(finding)
        parts += [before, written]
        length += len(before)
        if spans is not None:
            spans.append((length, length + len(written)))
        length += len(written)
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


def find_vanilla(analyzer: AnalyzerEngine, text: str, entities: Iterable[str]) -> list[Finding]:
    """Presidio's own results for ``entities`` (default score threshold, its own de-duplication), as findings.

    The evaluation baseline: none of this product's recognizers, filters, span fixes or overlap merging.
    """
    results = analyzer.analyze(text=text, language="en", entities=list(entities))
    return sorted((_to_finding(r) for r in results), key=lambda f: f.start)


def _to_finding(result: RecognizerResult, offset: int = 0) -> Finding:
    """A Presidio result as a :class:`Finding`, shifted by ``offset`` characters (for text segments)."""
    recognizer = (result.recognition_metadata or {}).get("recognizer_name", "unknown")
    return Finding(
        result.entity_type, offset + result.start, offset + result.end, float(result.score), str(recognizer)
    )


def reidentify(text: str, vault: Vault, policy: PiiPolicy | None = None) -> str:
    """Show the session's own values for its placeholders, per ``policy``'s display operator (``restore``:
    the value; ``mask_last4``: ``•••• 1234``; ``redact``: the placeholder stays; no policy: restore).
    Placeholders of other sessions, and unknown ones, stay as they are."""

    def show(match: re.Match[str]) -> str:
        value = vault.values.get(match.group(0))
        if value is None:
            return match.group(0)
        operator = policy.operator(match.group(1), "display") if policy is not None else "restore"
        return show_value(operator, value, match.group(0))

    return PLACEHOLDER_PATTERN.sub(show, text)


def typed_spellings(original: str, redaction: Redaction, vault: Vault) -> list[tuple[int, str]]:
    """Where a session placeholder in ``redaction.text`` stands for a spelling other than its vault value.

    A value the vault already holds is found again in a later message by part or in another form ("Anna" or
    "SMITH, Anna" after "Anna Smith"): it gets the same placeholder, so the model sees one person, but the
    user typed "Anna" there and should see "Anna" again (:func:`display_text` with these spellings).

    Args:
        original: The raw text that was de-identified.
        redaction: Its de-identification (:meth:`Deidentifier.deidentify`, which records ``spans``).
        vault: The session vault that numbered the placeholders.

    Returns:
        ``(offset of the placeholder in redaction.text, the text as typed there)`` for each session placeholder
        whose typed text (hidden characters removed, :func:`~privacy.normalize.visible`) differs from the
        vault's value, in text order; ``[]`` when every one reads as its value, or spans were not recorded.
        These are personal values: they belong in the vault (:meth:`privacy.vault.Vault.keep_spellings`).
    """
    found = []
    for finding, (start, end) in zip(redaction.findings, redaction.spans, strict=False):
        written = redaction.text[start:end]
        value = vault.values.get(written)
        if value is None:
            continue
        typed = visible(original[finding.start : finding.end])
        if typed != value:
            found.append((start, typed))
    return found


def display_text(
    text: str, vault: Vault, policy: PiiPolicy | None = None, typed: Mapping[int, str] | None = None
) -> str:
    """A stored (de-identified) turn text as the chat shows it, live and when a conversation is reopened.

    Every placeholder (:data:`~privacy.placeholders.ANY_PLACEHOLDER`) is shown as:

    - the session's own value, per ``policy``'s display operator (as :func:`reidentify`); with ``restore``,
      the spelling the user typed at that offset when ``typed`` has one (:func:`typed_spellings`);
    - itself, for a session placeholder the session handed out whose value is gone (expired or erased: the
      vault's counter has reached its number); the page says these can no longer be restored;
    - ``[label]`` (``[phone number]``, :func:`~privacy.glossary.entity_label`) for anything else of a type the
      policy de-identifies (any type without a policy): a value the model wrote that is not the user's
      (scrubbed to ``<PHONE_NUMBER>``), a document's redaction it copied, a hash, or a session placeholder it
      made up (``<PHONE_NUMBER_4>`` never handed out). None of these has a value to show, and none is shown
      as if it were real.

    Args:
        text: The de-identified text (a stored question or answer).
        vault: The session vault (read only).
        policy: The turn's domain policy; None = restore every value, label every placeholder type.
        typed: Offset in ``text`` -> the spelling typed there (from :meth:`privacy.vault.Vault.spellings_of`).

    Returns:
        The text for display.
    """
    spellings = typed or {}

    def show(match: re.Match[str]) -> str:
        token = match.group(0)
        session = PLACEHOLDER_PATTERN.fullmatch(token)
        entity = session.group(1) if session else token[1:-1].split("#", 1)[0]
        value = vault.values.get(token)
        if value is not None:
            operator = policy.operator(entity, "display") if policy is not None else "restore"
            if operator == "restore" and match.start() in spellings:
                return spellings[match.start()]
            return show_value(operator, value, token)
        if session is not None and int(session.group(2)) <= vault.counters.get(entity, 0):
            return token
        if policy is not None and entity not in policy.entities:
            return token
        return f"[{entity_label(entity)}]"

    return ANY_PLACEHOLDER.sub(show, text)


class StreamingReidentifier:
    """Re-identifies a token stream as :func:`display_text` shows a stored turn (so the live answer equals the
    reopened one), holding back a possibly incomplete placeholder (``<PERS``) until closed."""

    _MAX_PENDING = 48

    def __init__(self, vault: Vault, policy: PiiPolicy | None = None) -> None:
        self.vault = vault
        self.policy = policy
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the text that is safe to show now."""
        text = self._pending + chunk
        cut = text.rfind("<")
        if cut != -1 and ">" not in text[cut:] and len(text) - cut < self._MAX_PENDING:
            self._pending = text[cut:]
            text = text[:cut]
        else:
            self._pending = ""
        return display_text(text, self.vault, self.policy)

    def flush(self) -> str:
        """Return whatever is still held back."""
        text, self._pending = self._pending, ""
        return display_text(text, self.vault, self.policy)
