"""A learned PII recognizer: a linear-chain CRF over tokens (English) and characters (Chinese).

Method: a linear-chain conditional random field (Lafferty, McCallum & Pereira 2001) trained with CRFsuite
(Okazaki 2007; L-BFGS with L1 + L2 regularisation) by :mod:`pipelines.training.pii` (``assistant train pii``) on
synthetic messages from :mod:`pipelines.training.pii_corpus`: hand-written templates (bank chats, nursing notes,
discharge summaries, referral letters, configuration files, connection strings, ssh commands, logs; English and
Chinese) filled with Faker values, with case and formatting noise, plus negative sentences full of drug names,
eponyms, products, amounts and code identifiers that must stay. Labels are BIO over the model's kinds
(:data:`MODEL_LABELS`); values the exact recognizers own (cards, phones, e-mails, IBANs, secrets) carry the
training label ``RULE`` so the model neither learns them as ordinary words nor reports them.

Tokens: a Han character is a token of its own; a run of letters, digits and underscores, joined by inner
``.``, ``'`` or ``-`` ("O'Brien-Hughes", "db-prod-03.corp.acme.internal", "svc_backup") is one token; any other
non-space character is a token. Features (:func:`token_features`): for words, the lower-case form, shape,
prefixes and suffixes, case and digit flags, membership in the given-name, surname and common-word lexicons of
:mod:`privacy.lexicon`, the words, shapes and cue classes (``dob``, ``mrn``, ``adm``, titles, relations, ...)
within +-2 tokens; for Han characters, the character, its bigrams with its neighbours, Chinese-surname
membership and the +-2 characters.

Licence: the model weights (``privacy/models/pii.crfsuite``) are trained here and ship under the project's
Apache-2.0 licence; the training text is generated from this project's own templates (Apache-2.0) and Faker's
provider data (MIT licence), plus real texts without personal data as negatives (BANKING77 and MedQuAD, CC BY
4.0, attributed in :mod:`pipelines.training.pii_corpus`; HumanEval, MIT).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.errors import PrivacyError
from privacy.lexicon import given_names, is_common_word, surnames
from privacy.shapes import word_shape
from privacy.urls import is_public_host

__all__ = [
    "ENTITY_CHOICES",
    "MODEL_LABELS",
    "LearnedPiiRecognizer",
    "chinese_surnames",
    "shipped_model_path",
    "token_features",
    "tokenize",
]

#: The model's kinds, and what each is reported as: the first of these entity types that the caller asks for
#: (a domain's policy decides which it asks for: an address is STREET_ADDRESS in finance, LOCATION in medical).
ENTITY_CHOICES: dict[str, tuple[str, ...]] = {
    "PERSON": ("PERSON",),
    "ADDRESS": ("STREET_ADDRESS",),  # medical asks LOCATION: its address rule answers, one finding per line
    "DATE": ("DATE_TIME",),
    "ID": ("ID_NUMBER", "REFERENCE_NUMBER"),
    "FACILITY": ("FACILITY_NAME", "LOCATION"),
    "USERNAME": ("USERNAME",),
    "HOST": ("INTERNAL_HOSTNAME",),
}
#: Kinds the model labels (BIO), plus ``RULE`` (values the exact recognizers own; never reported).
MODEL_LABELS = (*ENTITY_CHOICES, "RULE")

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"(?P<han>[{_HAN}])|(?P<word>[^\W{_HAN}]+(?:[.'\u2019\-][^\W{_HAN}]+)*)|(?P<other>\S)")
_CUES: dict[str, frozenset[str]] = {
    "title": frozenset(
        ["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "mx", "nurse", "sister", "rev"]
    ),
    "relation": frozenset(
        [
            "father",
            "mother",
            "dad",
            "mum",
            "mom",
            "son",
            "daughter",
            "wife",
            "husband",
            "brother",
            "sister",
            "partner",
            "uncle",
            "aunt",
            "grandmother",
            "grandfather",
            "grandma",
            "grandad",
            "nan",
            "nephew",
            "niece",
            "cousin",
            "stepdad",
            "stepmum",
            "ex",
            "friend",
            "colleague",
            "neighbour",
            "carer",
            "nok",
            "boyfriend",
            "girlfriend",
            "fiance",
            "fiancee",
            "widow",
            "late",
        ]
    ),
    "name": frozenset(
        [
            "name",
            "named",
            "patient",
            "pt",
            "pts",
            "client",
            "customer",
            "caller",
            "applicant",
            "member",
            "user",
            "called",
            "signed",
        ]
    ),
    "date": frozenset(
        [
            "dob",
            "born",
            "birth",
            "adm",
            "admitted",
            "admission",
            "discharged",
            "discharge",
            "d/c",
            "dc",
            "seen",
            "appointment",
            "appt",
            "surgery",
            "op",
            "operated",
            "date",
            "dated",
            "on",
            "since",
            "until",
            "deceased",
            "died",
        ]
    ),
    "id": frozenset(
        [
            "mrn",
            "id",
            "no",
            "number",
            "ref",
            "reference",
            "nhs",
            "hospital",
            "reg",
            "registration",
            "plate",
            "passport",
            "licence",
            "license",
            "account",
            "acct",
            "acc",
            "customer",
            "policy",
            "member",
            "agreement",
            "claim",
            "case",
            "ticket",
            "student",
            "badge",
            "employee",
        ]
    ),
    "address": frozenset(
        [
            "address",
            "addr",
            "lives",
            "living",
            "at",
            "street",
            "road",
            "st",
            "rd",
            "flat",
            "apt",
            "unit",
            "postcode",
            "zip",
            "moved",
        ]
    ),
    "host": frozenset(
        [
            "host",
            "hostname",
            "server",
            "ssh",
            "scp",
            "db",
            "database",
            "node",
            "cluster",
            "connect",
            "connecting",
        ]
    ),
    "user": frozenset(["user", "username", "login", "uid", "account", "owner", "by", "whoami"]),
}
_DIGIT = re.compile(r"\d")
#: Chinese sentence punctuation (full-width comma, full stop, semicolon, colon, marks, enumeration comma): no
#: name, address, date or id runs across one, so a span ends there even if the model labels on (a character
#: model can carry an address on through the rest of a sentence).
_SPAN_STOPS = frozenset("\uff0c\u3002\uff1b\uff1a\uff01\uff1f\u3001")


#: What a Chinese address or facility name holds: an address unit (路 road, 号 number, 区 district, 室 room, ...)
#: or a facility word (院 as in 养老院/医院, 园 kindergarten, 校 school, 中心 centre, ...). A Han span of these
#: kinds without one is a model slip on ordinary text and is not reported.
_ZH_MARKS = {
    "ADDRESS": re.compile(
        "[\u8def\u8857\u9053\u53f7\u533a\u5e02\u7701\u53bf\u9547\u6751\u5ba4\u680b\u697c\u5f04\u5df7\u91cc\u5e62]"
    ),
    "FACILITY": re.compile("[\u9662\u56ed\u6821\u6240\u9986\u7ad9\u5bd3]|\u4e2d\u5fc3"),
}
_HAN_CHAR = re.compile(f"[{_HAN}]")


def _plausible(kind: str, span: str) -> bool:
    """False for a Chinese address or facility span without the characters such names are made of."""
    mark = _ZH_MARKS.get(kind)
    return mark is None or not _HAN_CHAR.search(span) or bool(mark.search(span))


_TITLES = frozenset(["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"])
_SHORT_DATE = re.compile(r"\d{1,2}\s*/\s*\d{1,2}")
#: A public domain name ("json.org", "pypi.org"), not a login name.
_PUBLIC_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.(?:org|com|net|io|dev|gov|edu|co\.uk)", re.IGNORECASE)
_CAMEL_CASE = re.compile(r"[A-Za-z][a-z]+(?:[A-Z][a-z0-9]+)+")
#: A version number ("1.2.3-beta.4", "v2.31.0"), not a host.
_VERSION = re.compile(r"v?\d+(?:\.\d+)+(?:[-+.][\w.]+)?", re.IGNORECASE)
_DOCUMENTATION_HOST = re.compile(r"(?:^|\.)example\.(?:com|org|net)$|(?:^|\.)localhost$", re.IGNORECASE)
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})+(?: ?[A-Z0-9]{1,3})?")
#: A count with its unit ("13-month", "24-hour"), not an identifier.
_COUNT_WORD = re.compile(r"\d+-[^\W\d_]+")
#: Lowest score of a PERSON span of lower-case common words only ("strong bones", "dawn mark").
_COMMON_WORDS_MIN = 0.9
#: Lowest score of a Chinese name: two Han characters starting with a surname character are common in ordinary
#: text ("应少" in "应少于6克"); the Chinese rule recognizers (:mod:`privacy.chinese`) find names from their cues.
_HAN_NAME_MIN = 0.95
#: Highest score reported: below the 1.0 of validated identifiers, which win a tie over the same text.
_TOP_SCORE = 0.99
#: Lowest score of a one-token span (a lone capitalised word or acronym is the model's commonest slip).
_ONE_TOKEN_MIN = 0.7


def _pieces(kind: str, tokens: Sequence[str], start: int, end: int) -> list[tuple[int, int]]:
    """The token ranges a span of the model is reported as: without punctuation at its edges; a PERSON without
    a leading title ("Mr. O'Brien" -> "O'Brien") and split at commas ("QUILLFEATHER, Zelda" -> two names, as the
    session vault knows each part)."""
    cuts = [start]
    if kind == "PERSON":
        cuts += [k for k in range(start, end) if tokens[k] == ","]
    pieces = []
    for n, a in enumerate(cuts):
        b = cuts[n + 1] if n + 1 < len(cuts) else end
        if kind == "PERSON":
            while a < b and (tokens[a].lower() in _TITLES or not _has_word_char(tokens[a])):
                a += 1
        while a < b and not _has_word_char(tokens[a]):
            a += 1
        while b > a and not _has_word_char(tokens[b - 1]):
            b -= 1
        if b > a:
            pieces.append((a, b))
    return pieces


def _has_word_char(token: str) -> bool:
    return any(char.isalnum() for char in token)


def _in_context(
    kind: str,
    text: str,
    tokens: Sequence[str],
    offsets: Sequence[tuple[int, int]],
    i: int,
    j: int,
    common: frozenset[str] = frozenset(),
) -> bool:
    """Sanity checks on a span's surroundings: a user name is no code identifier (``__init__``, ``f(``,
    ``kwargs=``); a day/month without a year ("8/10", "1/2": scores and fractions in clinical notes) is a date
    only after a date word ("adm", "d/c", "appt", ...) among the three tokens before it."""
    value = text[offsets[i][0] : offsets[j - 1][1]]
    if kind == "USERNAME":
        after = text[offsets[j - 1][1] :].lstrip(" ")[:1]
        before = text[: offsets[i][0]].rstrip(" ")[-1:]
        return not (
            value.startswith("__")
            or value.endswith("__")
            or after in ("(", "=")
            or before == "*"  # *args, **kwargs
            or _PUBLIC_DOMAIN.fullmatch(value)
            or _CAMEL_CASE.fullmatch(value)  # maxSize, ErrCircuitOpen: code identifiers
            or ("." in value and all(is_common_word(part, common) for part in value.split(".") if part))
            or _DOCUMENTATION_HOST.search(value)  # "http://localhost:8080": the model took it for a login
        )  # request.user, self.name: attribute access
    if kind == "HOST" and (
        _VERSION.fullmatch(value) or _DOCUMENTATION_HOST.search(value) or is_public_host(value)
    ):
        return False  # 1.2.3-beta.4; db.example.com (RFC 2606 names, as in documentation); docs.python.org
    if kind == "ADDRESS" and not _HAN_CHAR.search(value):
        return bool(_DIGIT.search(value))  # a house number or a postcode: "delimiter, quotechar, ..." is none
    if kind == "ID" and _IBAN_SHAPE.fullmatch(value):
        return False  # the IBAN recognizer (mod-97) owns these; an invalid one is an example
    if kind == "ID":
        return len(_DIGIT.findall(value)) >= 2 and not _COUNT_WORD.fullmatch(value)
    if kind == "DATE" and _SHORT_DATE.fullmatch(value):
        return any(_cue(tokens[k].lower()) == "date" for k in range(max(0, i - 3), i))
    return True


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token spans ``(start, end)`` of ``text`` (character offsets, end exclusive), in order."""
    return [match.span() for match in _TOKEN.finditer(text)]


@cache
def chinese_surnames() -> frozenset[str]:
    """Chinese family names (one or two characters) from Faker's zh_CN and zh_TW person providers."""
    from faker.providers.person.zh_CN import Provider as Mainland
    from faker.providers.person.zh_TW import Provider as Taiwan

    names: set[str] = set()
    for provider in (Mainland, Taiwan):
        names.update(str(name) for name in provider.last_names)
    return frozenset(names)


def _is_han(token: str) -> bool:
    return len(token) == 1 and bool(re.match(f"[{_HAN}]", token))


def _cue(lower: str) -> str:
    for name, words in _CUES.items():
        if lower in words or lower.rstrip(":.") in words:
            return name
    return ""


def _word_features(word: str, common: frozenset[str]) -> list[str]:
    lower = word.lower()
    feats = [f"w={lower}", f"shape={word_shape(word, 8)}", f"len={min(len(word), 10)}"]
    for n in (1, 2, 3, 4):
        if len(lower) > n:
            feats.append(f"p{n}={lower[:n]}")
            feats.append(f"s{n}={lower[-n:]}")
    if word[:1].isupper():
        feats.append("title" if not word.isupper() else "upper")
    elif word.islower():
        feats.append("lower")
    if _DIGIT.search(word):
        feats.append("digits" if word.isdigit() else "hasdigit")
        if word.isdigit():
            feats.append(f"ndigits={min(len(word), 12)}")
    parts = [p for p in re.split(r"[-'\u2019]", lower) if p]
    alpha = lower.isalpha() or all(p.isalpha() for p in parts)
    if alpha:
        if all(p in given_names() for p in parts):
            feats.append("given")
        if all(p in surnames() for p in parts):
            feats.append("surname")
        if common and all(is_common_word(p, common) for p in parts):
            feats.append("common")
    for mark, name in (("-", "hyphen"), (".", "dot"), ("_", "underscore"), ("'", "apos")):
        if mark in word:
            feats.append(name)
    if cue := _cue(lower):
        feats.append(f"cue={cue}")
    return feats


def _han_features(tokens: Sequence[str], i: int) -> list[str]:
    char = tokens[i]
    before = tokens[i - 1] if i > 0 else "^"
    after = tokens[i + 1] if i + 1 < len(tokens) else "$"
    feats = [f"c={char}", "han", f"c-1c={before}{char}", f"cc+1={char}{after}"]
    if char in chinese_surnames():
        feats.append("zh_surname")
    if before + char in chinese_surnames():
        feats.append("zh_surname2")
    return feats


def token_features(tokens: Sequence[str], common: frozenset[str] = frozenset()) -> list[list[str]]:
    """The CRF features of one text: one list of binary feature names per token.

    Args:
        tokens: The text's tokens (:func:`tokenize`'s spans, as strings).
        common: Lower-case common English words (:func:`privacy.lexicon.common_english_words`); the
            ``common`` feature is left out when empty.
    """
    n = len(tokens)
    han = [_is_han(t) for t in tokens]
    lowers = [t.lower() for t in tokens]
    shapes = ["H" if h else word_shape(t, 8) for t, h in zip(tokens, han, strict=True)]
    cues = ["" if h else _cue(lw) for lw, h in zip(lowers, han, strict=True)]
    own = [_han_features(tokens, i) if han[i] else _word_features(tokens[i], common) for i in range(n)]
    features: list[list[str]] = []
    for i in range(n):
        feats = ["bias", *own[i]]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < n:
                feats.append(f"{offset}:w={lowers[j]}")
                feats.append(f"{offset}:shape={shapes[j]}")
                if cues[j]:
                    feats.append(f"{offset}:cue={cues[j]}")
                if abs(offset) == 1 and not han[j]:
                    feats.extend(f"{offset}:{f}" for f in own[j] if f in _NEIGHBOUR_FLAGS)
            else:
                feats.append(f"{offset}:pad")
        for j in range(max(0, i - 4), i - 2):  # a cue word a little further back ("DOB :  12 / 03 / 1961")
            if cues[j]:
                feats.append(f"far:cue={cues[j]}")
        features.append(feats)
    return features


_NEIGHBOUR_FLAGS = frozenset(["given", "surname", "common", "title", "upper", "lower", "digits"])


def shipped_model_path() -> Path:
    """The weights file shipped inside this package (``privacy/models/pii.crfsuite``)."""
    return Path(str(resources.files("privacy") / "models" / "pii.crfsuite"))


class LearnedPiiRecognizer(EntityRecognizer):
    """Presidio recognizer of the CRF model above: PERSON, addresses, dates, ids, facility names, user names
    and internal host names, in English and Chinese, in any casing.

    Each span's score is the mean marginal probability of its labels (0-1); spans below ``min_score`` are not
    reported. Thread-safe: one CRFsuite tagger per thread.

    Args:
        common_words: Lower-case common English words (the ``common`` feature; pass what training used:
            :func:`privacy.lexicon.common_english_words` of the same spaCy pipeline).
        model_path: The weights file; None = :func:`shipped_model_path`.
        min_score: Lowest mean marginal probability reported, 0-1.

    Raises:
        PrivacyError: The weights file is missing.
    """

    def __init__(
        self, common_words: frozenset[str], model_path: Path | None = None, min_score: float = 0.6
    ) -> None:
        self._common = common_words
        self._path = model_path or shipped_model_path()
        if not self._path.is_file():
            raise PrivacyError(f"PII model {self._path} is missing; run `assistant train pii`")
        self._min_score = min_score
        self._local = threading.local()
        entities = sorted({e for choices in ENTITY_CHOICES.values() for e in choices})
        super().__init__(supported_entities=entities, name="LearnedPiiRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load up front (each thread opens its tagger on first use)."""

    def _tagger(self) -> Any:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open(str(self._path))
            self._local.tagger = tagger
        return tagger

    def spans(self, text: str) -> list[tuple[str, int, int, float]]:
        """The model's spans in ``text``: ``(kind, start, end, score)`` for kinds of :data:`ENTITY_CHOICES`."""
        offsets = tokenize(text)
        if not offsets:
            return []
        tokens = [text[s:e] for s, e in offsets]
        tagger = self._tagger()
        labels = tagger.tag(token_features(tokens, self._common))
        found: list[tuple[str, int, int, float]] = []
        i = 0
        while i < len(labels):
            label = labels[i]
            if label == "O":
                i += 1
                continue
            kind = label[2:]
            j = i + 1
            while j < len(labels) and labels[j] == f"I-{kind}" and tokens[j] not in _SPAN_STOPS:
                j += 1
            if kind in ENTITY_CHOICES:
                for a, b in _pieces(kind, tokens, i, j):
                    score = sum(tagger.marginal(labels[k], k) for k in range(a, b)) / (b - a)
                    if self._keeps(kind, text, tokens, offsets, a, b, score):
                        found.append((kind, offsets[a][0], offsets[b - 1][1], score))
            while j < len(labels) and labels[j] == f"I-{kind}":  # the rest of a span cut at a stop
                j += 1
            i = j
        return found

    def _keeps(
        self,
        kind: str,
        text: str,
        tokens: Sequence[str],
        offsets: Sequence[tuple[int, int]],
        a: int,
        b: int,
        score: float,
    ) -> bool:
        """Whether the span of tokens ``a:b`` is reported: plausible (:func:`_plausible`, :func:`_in_context`),
        sure enough when it is one token (:data:`_ONE_TOKEN_MIN`), and, for a PERSON made only of lower-case
        common words, very sure (:data:`_COMMON_WORDS_MIN`)."""
        if not (
            _plausible(kind, text[offsets[a][0] : offsets[b - 1][1]])
            and _in_context(kind, text, tokens, offsets, a, b, self._common)
        ):
            return False
        if b - a == 1 and score < _ONE_TOKEN_MIN:
            return False
        if kind == "PERSON" and _is_han(tokens[a]) and score < _HAN_NAME_MIN:
            return False
        words = [t for t in tokens[a:b] if t.isalpha()]
        common = all(t.islower() and is_common_word(t, self._common) for t in words)
        return kind != "PERSON" or score >= _COMMON_WORDS_MIN or not common

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Results for the model's spans whose kind maps to one of ``entities`` (:data:`ENTITY_CHOICES`)."""
        wanted = set(entities)
        results = []
        for kind, start, end, score in self.spans(text):
            entity = next((e for e in ENTITY_CHOICES[kind] if e in wanted), None)
            if entity is None or score < self._min_score:
                continue
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=min(round(score, 3), _TOP_SCORE),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: "LearnedPiiRecognizer",
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
