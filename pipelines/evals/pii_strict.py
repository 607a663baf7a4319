"""Strict de-identification measure: an identifier counts as removed only when no part of it survives.

A lenient span score (:mod:`pipelines.evals.pii`) counts a card as found when one digit of it is covered; a
partial mask is still a leak (the first twelve digits of a card, one half of a hyphenated surname, a street
name without its number). This measure reads the *output text* of a de-identifier instead of its spans.

Data (JSON Lines, one object per line; see ``benchmarks/data/pii_strict/``):

- messages: ``{"id", "text", "domain", "lang"?, "style"?, "secrets": [{"value", "kind"} | "value"], "keep"?: []}``;
  every secret value and keep term must occur verbatim in ``text``;
- over-redaction sentences: ``{"id", "text", "domain", "lang"?, "keep": [...]}`` (no personal data).

Rule (issue 22): a secret *survives in part* when, in the output, any of its *fragments* appears more often
than in the text around the secrets (the original with every secret blanked out), after the replacements the
de-identifier wrote (placeholders, hashes, shifted dates: ``Redaction.spans``) are blanked too. Fragments:

- every word of 4+ letters of the secret (whole word, case-insensitive);
- every run of 5 consecutive letters or digits of the secret, separators ignored (``4111 1111 1111 1234`` has
  ``41111``, ``11111``, ...; so twelve surviving digits are a leak however they are grouped), matched in the
  output with its separators ignored too;
- for Chinese (Han) text, every 2 consecutive Han characters of the secret: a Chinese name is two or three
  characters, so the rules above would let a whole name through (this product's addition).

Nothing is kept on purpose in the ``prompt`` sink this measure reads (what the model receives): the last four
card digits a policy shows on *display* are never part of the prompt. A keep term is *destroyed* when it
occurs fewer times in the output than in the input (case-insensitive).

Systems: this product (each record's domain policy, the prompt sink, as the chat pipeline applies it after
routing) and vanilla Presidio (``AnalyzerEngine`` with its predefined recognizers for every entity it supports,
on the same spaCy model, then ``AnonymizerEngine``'s default ``replace`` operator: ``<TYPE>``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.errors import AssistantError

__all__ = [
    "Deidentified",
    "Secret",
    "StrictRecord",
    "destroyed_terms",
    "evaluate_strict",
    "fragments",
    "load_strict",
    "presidio_system",
    "product_system",
    "surviving_fragments",
]

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD4 = re.compile(r"[^\W\d_]{4,}")
_HAN_RUN = re.compile(f"[{_HAN}]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
#: The blank written over secrets (in the input) and over replacements (in the output): not a letter or digit,
#: so both texts are compared with the same separators.
_BLANK = "\x00"


@dataclass(frozen=True)
class Secret:
    """One identifier of a message: its exact text and its kind (``PERSON``, ``CARD``, ... as the data names it)."""

    value: str
    kind: str = "UNSPECIFIED"


@dataclass(frozen=True)
class StrictRecord:
    """One message (or over-redaction sentence) of a strict-evaluation file."""

    id: str
    text: str
    domain: str
    lang: str = "en"
    style: str = ""
    secrets: tuple[Secret, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deidentified:
    """A de-identifier's output: the text and the ``(start, end)`` offsets of what it wrote into it."""

    text: str
    replacements: tuple[tuple[int, int], ...] = ()


def load_strict(path: Path, need: str = "secrets") -> list[StrictRecord]:
    """Read a strict-evaluation JSONL file.

    Args:
        path: The file.
        need: ``"secrets"`` (a message file: every record lists at least one secret) or ``"keep"`` (an
            over-redaction file: every record lists at least one keep term).

    Returns:
        The records, in file order.

    Raises:
        AssistantError: The file is missing or empty, or a line is not valid (names the line and the problem:
            not JSON, a missing field, a secret or keep term that is not in the text, a duplicate id).
    """
    if not path.is_file():
        raise AssistantError(f"{path}: no such file")
    records: list[StrictRecord] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssistantError(f"{where}: not JSON ({error.msg})") from None
        records.append(_record(raw, where, need))
        if records[-1].id in seen:
            raise AssistantError(f"{where}: duplicate id {records[-1].id!r}")
        seen.add(records[-1].id)
    if not records:
        raise AssistantError(f"{path}: no records")
    return records


def _record(raw: object, where: str, need: str) -> StrictRecord:
    if not isinstance(raw, dict):
        raise AssistantError(f"{where}: expected a JSON object")
    text, domain = raw.get("text"), raw.get("domain")
    if not isinstance(text, str) or not text:
        raise AssistantError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(domain, str) or not domain:
        raise AssistantError(f"{where}: 'domain' must be a non-empty string")
    secrets: list[Secret] = []
    for item in raw.get("secrets") or []:
        secret = Secret(item) if isinstance(item, str) else Secret(**_secret_fields(item, where))
        if not secret.value or secret.value not in text:
            raise AssistantError(f"{where}: secret of kind {secret.kind} is not a part of the text")
        secrets.append(secret)
    keep = raw.get("keep") or []
    if not isinstance(keep, list) or not all(
        isinstance(term, str) and term and term in text for term in keep
    ):
        raise AssistantError(f"{where}: 'keep' must list non-empty parts of the text")
    if need == "secrets" and not secrets:
        raise AssistantError(f"{where}: no 'secrets' (an over-redaction file goes to --keep)")
    if need == "keep" and not keep:
        raise AssistantError(f"{where}: no 'keep' terms")
    return StrictRecord(
        str(raw.get("id") or where),
        text,
        domain,
        str(raw.get("lang") or "en"),
        str(raw.get("style") or ""),
        tuple(secrets),
        tuple(keep),
    )


def _secret_fields(item: object, where: str) -> dict[str, str]:
    if not isinstance(item, dict) or not isinstance(item.get("value"), str):
        raise AssistantError(f"{where}: a secret must be a string or {{'value': ..., 'kind': ...}}")
    return {"value": item["value"], "kind": str(item.get("kind") or "UNSPECIFIED")}


def fragments(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The parts of ``value`` whose survival makes it a leak (see the module docstring).

    Returns:
        ``(words, runs)``: casefolded words of 4+ letters (matched as whole words), and casefolded runs of 5
        letters or digits with separators removed plus 2-character Han runs (matched with separators ignored).
    """
    words = tuple(dict.fromkeys(w.casefold() for w in _WORD4.findall(value) if not _HAN_RUN.fullmatch(w)))
    compact = _NOT_ALNUM.sub("", value).casefold()
    runs = {compact[i : i + 5] for i in range(len(compact) - 4)}
    for han in _HAN_RUN.findall(value):
        runs.update(han[i : i + 2] for i in range(len(han) - 1))
    return words, tuple(sorted(runs))


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _BLANK * (end - start)
    return "".join(chars)


def _secret_spans(record: StrictRecord) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for secret in record.secrets:
        spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(secret.value), record.text))
    return spans


def _count_word(word: str, text: str) -> int:
    return len(re.findall(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", text, re.IGNORECASE))


def _count_run(run: str, compact: str) -> int:
    return sum(1 for i in range(len(compact) - len(run) + 1) if compact.startswith(run, i))


def surviving_fragments(record: StrictRecord, secret: Secret, output: Deidentified) -> list[str]:
    """The fragments of ``secret`` that survive in ``output`` (empty: removed whole).

    A fragment survives when the output (replacements blanked) holds it more often than the input does
    around the secrets (every secret of the record blanked), so the same word elsewhere in the sentence (an
    ordinary "street" beside an address) is not a leak.
    """
    context = _blank(record.text, _secret_spans(record))
    shown = _blank(output.text, output.replacements)
    words, runs = fragments(secret.value)
    left = [w for w in words if _count_word(w, shown) > _count_word(w, context)]
    compact_shown = _NOT_ALNUM.sub("", shown).casefold()
    compact_context = _NOT_ALNUM.sub("", context).casefold()
    left += [r for r in runs if _count_run(r, compact_shown) > _count_run(r, compact_context)]
    return left


def destroyed_terms(record: StrictRecord, output: Deidentified) -> list[str]:
    """Keep terms of ``record`` that occur fewer times in ``output`` than in the input (case-insensitive)."""
    lowered_in, lowered_out = record.text.casefold(), output.text.casefold()
    return [t for t in record.keep if lowered_out.count(t.casefold()) < lowered_in.count(t.casefold())]


@dataclass
class _Tally:
    removed: int = 0
    total: int = 0

    def add(self, removed: bool) -> None:
        self.removed += removed
        self.total += 1

    def rate(self) -> float:
        return round(self.removed / self.total, 4) if self.total else 0.0


@dataclass
class _SystemScore:
    secrets: _Tally = field(default_factory=_Tally)
    partial: int = 0  # some fragment removed, some left
    untouched: int = 0  # every fragment left
    by: dict[str, dict[str, _Tally]] = field(default_factory=dict)
    keep: _Tally = field(default_factory=_Tally)  # removed = destroyed
    keep_by: dict[str, dict[str, _Tally]] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    over_redactions: list[dict[str, Any]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def tally(
        self, table: dict[str, dict[str, _Tally]], record: StrictRecord, kind: str | None
    ) -> list[_Tally]:
        keys = {"domain": record.domain, "lang": record.lang}
        if kind is not None:
            keys["kind"] = kind
        return [table.setdefault(group, {}).setdefault(key, _Tally()) for group, key in keys.items()]

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.seconds)
        return {
            "removed_whole": self.secrets.rate(),
            "secrets": self.secrets.total,
            "removed": self.secrets.removed,
            "partial_leaks": self.partial,
            "untouched": self.untouched,
            "by": {
                group: {
                    key: {"rate": t.rate(), "removed": t.removed, "total": t.total}
                    for key, t in sorted(d.items())
                }
                for group, d in sorted(self.by.items())
            },
            "over_redaction": self.keep.rate(),
            "keep_terms": self.keep.total,
            "keep_destroyed": self.keep.removed,
            "over_redaction_by": {
                group: {
                    key: {"rate": t.rate(), "destroyed": t.removed, "total": t.total}
                    for key, t in sorted(d.items())
                }
                for group, d in sorted(self.keep_by.items())
            },
            "latency_ms": {
                "p50": round(1000 * ordered[len(ordered) // 2], 2) if ordered else None,
                "p95": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)
                if ordered
                else None,
            },
        }


System = Callable[[StrictRecord], Deidentified]


def evaluate_strict(
    messages: Sequence[StrictRecord],
    keep_sentences: Sequence[StrictRecord],
    systems: dict[str, System],
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run each system over every record and score it strictly.

    Args:
        messages: Records with secrets (their keep terms, if any, count as over-redaction of messages).
        keep_sentences: Over-redaction records (keep terms only).
        systems: Name -> a function de-identifying one record.
        progress: Called as ``(system, done, total)``.

    Returns:
        ``{"messages", "keep_sentences", <system>: {removed_whole (0..1), secrets, removed, partial_leaks,
        untouched, by: {kind|domain|lang: {key: {rate, removed, total}}}, over_redaction (0..1, keep terms of
        the over-redaction records), keep_terms, keep_destroyed, over_redaction_by, message_keep
        ({destroyed, total} over the messages' own keep terms), latency_ms {p50, p95}}, "misses": {<system>:
        [{id, kind, lang, domain, value, left, output}]}, "over_redactions": {<system>: [{id, term, output}]}}``.
        Latency is wall time of one record, milliseconds.
    """
    result: dict[str, Any] = {"messages": len(messages), "keep_sentences": len(keep_sentences)}
    misses: dict[str, list[dict[str, Any]]] = {}
    over: dict[str, list[dict[str, Any]]] = {}
    for name, system in systems.items():
        score = _SystemScore()
        message_keep = _Tally()
        records = [*messages, *keep_sentences]
        if records:
            system(records[0])  # warm-up (lazy model loading), not timed
        for number, record in enumerate(records, start=1):
            started = time.perf_counter()
            output = system(record)
            score.seconds.append(time.perf_counter() - started)
            for secret in record.secrets:
                left = surviving_fragments(record, secret, output)
                whole = not left
                score.secrets.add(whole)
                for tally in score.tally(score.by, record, secret.kind):
                    tally.add(whole)
                if not whole:
                    words, runs = fragments(secret.value)
                    if len(left) >= len(words) + len(runs):
                        score.untouched += 1
                    else:
                        score.partial += 1
                    score.misses.append(
                        {
                            "id": record.id,
                            "kind": secret.kind,
                            "lang": record.lang,
                            "domain": record.domain,
                            "value": secret.value,
                            "left": left,
                            "output": output.text,
                        }
                    )
            lost = destroyed_terms(record, output)
            for term in record.keep:
                destroyed = term in lost
                if record.secrets:
                    message_keep.add(destroyed)
                    continue
                score.keep.add(destroyed)
                for tally in score.tally(score.keep_by, record, None):
                    tally.add(destroyed)
                if destroyed:
                    score.over_redactions.append({"id": record.id, "term": term, "output": output.text})
            if progress is not None and (number % 50 == 0 or number == len(records)):
                progress(name, number, len(records))
        result[name] = {
            **score.summary(),
            "message_keep": {"destroyed": message_keep.removed, "total": message_keep.total},
        }
        misses[name] = score.misses
        over[name] = score.over_redactions
    result["misses"] = misses
    result["over_redactions"] = over
    return result


def product_system(deidentifier: Any) -> System:
    """This product as a strict-evaluation system: each record's domain policy, the prompt sink, a scratch vault
    (``deidentifier`` is a :class:`pipelines.core.deidentification.DomainDeidentifier`)."""

    def run(record: StrictRecord) -> Deidentified:
        redaction = deidentifier.pseudonymize(record.text, None, record.domain)
        return Deidentified(redaction.text, tuple(redaction.spans))

    return run


def presidio_system(spacy_model: str) -> System:
    """Vanilla Presidio as a strict-evaluation system (:func:`privacy.vanilla.anonymize_vanilla`) on
    ``spacy_model``.

    Raises:
        PrivacyError: The spaCy model is not installed.
    """
    from privacy import build_vanilla_analyzer
    from privacy.vanilla import anonymize_vanilla

    analyzer = build_vanilla_analyzer(spacy_model)

    def run(record: StrictRecord) -> Deidentified:
        text, spans = anonymize_vanilla(analyzer, record.text)
        return Deidentified(text, spans)

    return run
