"""Labelled data of the medical entity recognizer: IOB2 files and MedQuAD's drug and disease foci."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from pipelines.skills.medical.entities import NerError

__all__ = ["DATA_TYPES", "Sentence", "read_iob", "read_medquad_foci", "read_phrases"]

#: Corpus tag types -> the recognizer's entity types (BC5CDR and NCBI-disease spellings).
DATA_TYPES = {"Chemical": "CHEMICAL", "Disease": "DISEASE", "CHEMICAL": "CHEMICAL", "DISEASE": "DISEASE"}

#: ``(tokens, IOB2 tags)`` of one sentence.
Sentence = tuple[list[str], list[str]]

#: MedQuAD collections whose ``focus`` is a drug or supplement (CHEMICAL) or a condition (DISEASE).
_FOCI_TYPES = {
    "MPlusDrugs": "CHEMICAL",
    "MPlusHerbsSupplements": "CHEMICAL",
    "GARD": "DISEASE",
    "GHR": "DISEASE",
    "NIDDK": "DISEASE",
    "NINDS": "DISEASE",
    "CancerGov": "DISEASE",
    "NHLBI": "DISEASE",
    "NIHSeniorHealth": "DISEASE",
    "CDC": "DISEASE",
}
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


def read_iob(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL-style file: ``token<TAB>tag`` per line, a blank line between sentences; tags are
    ``O`` or ``B-``/``I-`` + a type of :data:`DATA_TYPES` (mapped to ``CHEMICAL``/``DISEASE``).

    Raises:
        NerError: The file is unreadable, or a line is not ``token<TAB>tag`` with a known tag.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NerError(f"cannot read labelled data {path} (UTF-8 text expected): {exc}") from exc
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for number, line in enumerate([*lines, ""], 1):
        if not line.strip():
            if words:
                sentences.append((words, tags))
                words, tags = [], []
            continue
        token, sep, tag = line.rstrip("\n").partition("\t")
        prefix, _, kind = tag.partition("-")
        if not sep or not token or not (tag == "O" or (prefix in ("B", "I") and kind in DATA_TYPES)):
            raise NerError(f"{path}:{number}: expected 'token<TAB>O|B-type|I-type', got {line[:80]!r}")
        words.append(token)
        tags.append(tag if tag == "O" else f"{prefix}-{DATA_TYPES[kind]}")
    if not sentences:
        raise NerError(f"labelled data {path} holds no sentences")
    return sentences


def read_phrases(path: Path) -> list[tuple[str, str]]:
    """``(phrase, type)`` pairs of a ``phrase<TAB>type`` file.

    Raises:
        NerError: Unreadable file or a malformed line.
    """
    pairs: list[tuple[str, str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NerError(f"cannot read lexicon {path} (UTF-8 text expected): {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        phrase, sep, label = line.partition("\t")
        if not sep or label not in ("CHEMICAL", "DISEASE"):
            raise NerError(f"{path}:{number}: expected 'phrase<TAB>CHEMICAL|DISEASE', got {line[:80]!r}")
        pairs.append((phrase, label))
    return pairs


def read_medquad_foci(folder: Path) -> list[tuple[str, str]]:
    """Drug and disease names from MedQuAD's question foci (Ben Abacha & Demner-Fushman 2019, CC BY 4.0).

    Args:
        folder: The MedQuAD dataset folder (``medquad_qa.jsonl.gz``, ``medquad_questions_no_answer.jsonl.gz``).

    Returns:
        Sorted unique ``(phrase, type)`` pairs; parenthesised qualifiers such as "(Oral)" are removed and
        foci joined with ";" are split.
    """
    found: set[tuple[str, str]] = set()
    for name in ("medquad_qa.jsonl.gz", "medquad_questions_no_answer.jsonl.gz"):
        with gzip.open(folder / name, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                label = _FOCI_TYPES.get(record.get("source") or record.get("collection") or "")
                if label is None or not record.get("focus"):
                    continue
                for part in _PARENTHESES.sub("", record["focus"]).split(";"):
                    phrase = " ".join(part.split())
                    if 2 < len(phrase) <= 60:
                        found.add((phrase, label))
    return sorted(found)
