"""Disease and chemical/drug recognition (the medical domain's entity recognizer).

Method: a linear-chain conditional random field (Lafferty, McCallum & Pereira 2001) over BC5CDR-style tokens,
trained by :mod:`pipelines.training.ner` with CRFsuite (L-BFGS, L1 + L2 regularisation). Each token is
described by sparse features in the tradition of BANNER (Leaman & Gonzalez 2008) and tmChem: the word in
lower case, prefixes and suffixes (2-5 characters, which carry chemical morphology such as -ine, -ol, -emia,
-itis), word-internal character 4-grams (stems such as "coxi", "fent"), word shape, character classes, the words and shapes in a +-2 window, and two gazetteer
features: the longest-match tag of the training mentions' lexicon and of MedQuAD's drug and disease foci.

The model folder (``ner.model`` in the domain's YAML) holds ``ner_model.json`` (facts of training),
``model.crfsuite`` (the CRF weights), ``lexicon.tsv`` (training mentions, ``tokens<TAB>type``) and
``foci.tsv`` (MedQuAD foci, same shape).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.core.errors import AssistantError
from pipelines.skills.medical.context import tag_with_context
from pipelines.skills.medical.lexicon import MedicalEntity, TermLexicon, entities_from_tags, tokenize
from privacy.shapes import word_shape

__all__ = [
    "MODEL_FILE",
    "MedicalEntityRecognizer",
    "NerError",
    "read_lexicon",
    "sentence_features",
    "write_lexicon",
]

#: Name of the model description file inside a model folder.
MODEL_FILE = "ner_model.json"
#: CRF weights inside a model folder.
WEIGHTS_FILE = "model.crfsuite"
#: Training-mention lexicon inside a model folder.
LEXICON_FILE = "lexicon.tsv"
#: MedQuAD foci lexicon inside a model folder.
FOCI_FILE = "foci.tsv"

_UPPER = re.compile(r"[A-Z]")
#: A sentence break inside a line: ``.``, ``!`` or ``?`` then white space then a capital, digit or opening mark.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
_LOWER = re.compile(r"[a-z]")
_DIGIT = re.compile(r"\d")


class NerError(AssistantError):
    """An entity model is missing or malformed, or labelled data is invalid."""


def _word_features(word: str) -> list[str]:
    lower = word.lower()
    feats = [f"w={lower}", f"shape={word_shape(word, 6)}", f"len={min(len(word), 12)}"]
    for n in (2, 3, 4, 5):
        if len(lower) > n:
            feats.append(f"p{n}={lower[:n]}")
            feats.append(f"s{n}={lower[-n:]}")
    if _UPPER.search(word) and _LOWER.search(word) and not word[0].isupper():
        feats.append("mixedcase")
    if word.isupper() and len(word) > 1:
        feats.append("allcaps")
    if word[:1].isupper():
        feats.append("title")
    if _DIGIT.search(word) and _UPPER.search(word):
        feats.append("alnum")
    if len(lower) > 5:  # word-internal character 4-grams: stems such as "coxi", "fent", "azep"
        feats.extend(sorted({f"g4={lower[i : i + 4]}" for i in range(1, len(lower) - 4)}))
    return feats


def sentence_features(
    words: Sequence[str], lexicon_tags: Sequence[str], foci_tags: Sequence[str]
) -> list[list[str]]:
    """The CRF features of one sentence: one list of binary feature names per token.

    Args:
        words: The sentence's tokens.
        lexicon_tags: IOB2 tags of the training-mention lexicon's longest matches (same length).
        foci_tags: IOB2 tags of the MedQuAD foci lexicon's longest matches (same length).
    """
    n = len(words)
    lowers = [w.lower() for w in words]
    shapes = [word_shape(w, 6) for w in words]
    own = [_word_features(w) for w in words]
    features: list[list[str]] = []
    for i in range(n):
        feats = ["bias", *own[i], f"lex={lexicon_tags[i]}", f"foci={foci_tags[i]}"]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < n:
                feats.append(f"{offset}:w={lowers[j]}")
                feats.append(f"{offset}:shape={shapes[j]}")
                if abs(offset) == 1:
                    feats.append(f"{offset}:lex={lexicon_tags[j]}")
                    feats.append(f"{offset}:s3={lowers[j][-3:]}")
            else:
                feats.append(f"{offset}:pad")
        if i > 0:
            feats.append(f"bi-={lowers[i - 1]}|{lowers[i]}")
        if i + 1 < n:
            feats.append(f"bi+={lowers[i]}|{lowers[i + 1]}")
        features.append(feats)
    return features


def write_lexicon(lexicon: TermLexicon, path: Path) -> None:
    """Write ``lexicon`` as ``tokens (space-joined)<TAB>type`` lines, sorted."""
    lines = sorted(f"{' '.join(key)}\t{label}" for key, label in lexicon.terms.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_lexicon(path: Path) -> TermLexicon:
    """Read a lexicon written by :func:`write_lexicon`.

    Raises:
        NerError: A line is not ``tokens<TAB>type``.
    """
    terms: dict[tuple[str, ...], str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line:
            continue
        phrase, sep, label = line.partition("\t")
        if not sep or not phrase or not label:
            raise NerError(f"{path}:{number}: expected 'tokens<TAB>type', got {line!r}")
        terms[tuple(phrase.split(" "))] = label
    return TermLexicon(terms)


class MedicalEntityRecognizer:
    """The shipped CRF entity model (see the module docstring). Thread-safe: one tagger per thread.

    Args:
        folder: A model folder written by :func:`pipelines.training.ner.train_ner_model`.

    Raises:
        NerError: The folder or one of its files is missing or malformed.
    """

    def __init__(self, folder: Path) -> None:
        import pycrfsuite

        self.folder = folder
        try:
            self.info: dict[str, Any] = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            self.lexicon = read_lexicon(folder / LEXICON_FILE)
            self.foci = read_lexicon(folder / FOCI_FILE)
        except (OSError, ValueError) as exc:
            raise NerError(f"entity model folder {folder} is missing or malformed: {exc}") from exc
        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise NerError(f"entity model folder {folder} has no {WEIGHTS_FILE}; run 'assistant train ner'")
        self._weights = str(weights)
        self._local = threading.local()
        self._tagger_class = pycrfsuite.Tagger
        self._tagger()  # fail now on an unreadable weights file

    def _tagger(self) -> Any:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            tagger = self._tagger_class()
            try:
                tagger.open(self._weights)
            except (OSError, ValueError) as exc:
                raise NerError(f"cannot read the CRF weights {self._weights}: {exc}") from exc
            self._local.tagger = tagger
        return tagger

    def tag(self, words: Sequence[str]) -> list[str]:
        """IOB2 tags (``B-DISEASE``, ``I-CHEMICAL``, ``O``) for one sentence's tokens."""
        if not words:
            return []
        features = sentence_features(words, self.lexicon.match(words), self.foci.match(words))
        return list(self._tagger().tag(features))

    def known_chemicals(self, text: str) -> list[str]:
        """The drug/chemical mentions of ``text`` that a public lexicon lists (training mentions or MedQuAD
        foci), as written: kept out of de-identification, where the small spaCy model reads a sentence-initial
        drug name ("Warfarin was added") as a place. Diseases are not included (eponyms are surnames)."""
        found = []
        for entity in self.recognize(text):
            key = tuple(token.text.lower() for token in tokenize(entity.text))
            if entity.label == "CHEMICAL" and "CHEMICAL" in (
                self.lexicon.terms.get(key),
                self.foci.terms.get(key),
            ):
                found.append(entity.text)
        return found

    def recognize(self, text: str) -> list[MedicalEntity]:
        """Disease and chemical mentions of ``text``, in order, with character offsets into ``text``.

        Each sentence (a line, split after ``.``/``!``/``?`` before a capital) is tagged on its own, as the
        model was trained, so no mention spans a sentence break; then the whole text is the
        context of :func:`pipelines.skills.medical.context.tag_with_context` (abbreviations defined in the text, and
        mentions tagged in one place tagged where they recur).
        """
        lines: list[tuple[int, str, list[Any]]] = []
        offset = 0
        for line in text.splitlines(keepends=True):
            start = 0
            for cut in [*(m.end() for m in _SENTENCE_BREAK.finditer(line)), len(line)]:
                sentence = line[start:cut]
                tokens = tokenize(sentence)
                if tokens:
                    lines.append((offset + start, sentence, tokens))
                start = cut
            offset += len(line)
        words = [[t.text for t in tokens] for _, _, tokens in lines]
        tags = tag_with_context(words, [self.tag(w) for w in words])
        entities: list[MedicalEntity] = []
        for (start, line, tokens), labels in zip(lines, tags, strict=True):
            for entity in entities_from_tags(line, tokens, labels):
                entities.append(
                    MedicalEntity(entity.label, entity.start + start, entity.end + start, entity.text)
                )
        return entities
