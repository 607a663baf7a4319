"""``assistant eval routing``: the product's router against a baseline router, on one labelled set.

Data: a JSONL file of ``{"text", "domain", "lang"}`` where ``domain`` is a domain name or ``null`` for a
question that belongs to none (``lang`` ``en`` or ``zh``, else guessed from the script), e.g.
``benchmarks/data/heldout/routing.jsonl``. Both routers see the question de-identified with the routing policy
(the union of every domain's), as in the chat.

A router answers a domain, or ``None`` when it reports itself unsure. Metrics, overall and per language:
* ``accuracy``: share of in-domain questions routed to their domain (an unsure answer counts as wrong);
* ``unsure_in_domain``: share of in-domain questions reported unsure;
* ``unsure_out_of_domain``: share of out-of-domain questions reported unsure (the rest went to some domain);
* ``ece``: expected calibration error of the confidence on in-domain questions answered with a domain
  (10 equal-width bins; Guo et al. 2017, "On Calibration of Modern Neural Networks", ICML);
* per domain: accuracy;
* latency per question (p50 / p99, milliseconds; de-identification excluded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipelines.core.deidentification import DomainDeidentifier, scratch_vault
from pipelines.core.errors import AssistantError
from pipelines.core.labelled import read_labelled_jsonl
from pipelines.evals.labelled import by_language, ratio, timed

__all__ = [
    "QuestionRouter",
    "RoutingExample",
    "evaluate_routing",
    "expected_calibration_error",
    "load_routing_dataset",
    "score_routing",
]

#: A router's answer to one question: the domain (None = unsure) and its confidence, 0..1.
Answer = tuple[str | None, float]


class RouteAnswer(Protocol):
    """What a router decides for a question (e.g. :class:`pipelines.chat.routing.RouteDecision`)."""

    @property
    def domain(self) -> str | None: ...

    @property
    def confidence(self) -> float: ...


class QuestionRouter(Protocol):
    """A router as the evaluation uses it (e.g. :class:`pipelines.chat.routing.Router`)."""

    @property
    def domains(self) -> list[str]: ...

    def route(self, question: str) -> RouteAnswer: ...


@dataclass(frozen=True)
class RoutingExample:
    """One labelled question: its text, its domain (None = none of them) and its language."""

    text: str
    domain: str | None
    lang: str


def load_routing_dataset(path: Path, domains: Sequence[str]) -> list[RoutingExample]:
    """Read a JSONL of ``{text, domain, lang}`` (``lang`` optional: see
    :func:`pipelines.core.labelled.read_labelled_jsonl`).

    Raises:
        AssistantError: The file is missing, a folder or not UTF-8, a line is not such an object, the text is
            empty, or the domain is missing or neither null nor one of ``domains`` (named with its line number).
    """
    rows = []
    for number, row in read_labelled_jsonl(path, "{text, domain, lang}"):
        if "domain" not in row:
            raise AssistantError(f"{path}:{number}: no 'domain' (a domain name, or null for none of them)")
        domain = row["domain"]
        if domain is not None and domain not in domains:
            raise AssistantError(
                f"{path}:{number}: unknown domain {domain!r}; expected one of {', '.join(domains)} or null"
            )
        rows.append(RoutingExample(row["text"], domain, row["lang"]))
    if not rows:
        raise AssistantError(f"{path}: no labelled questions")
    return rows


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float | None:
    """ECE: the bin-size-weighted mean of |accuracy − mean confidence| over ``bins`` equal-width confidence
    bins (Guo et al. 2017). None for no predictions."""
    if not confidences:
        return None
    total = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [i for i, c in enumerate(confidences) if (low < c <= high) or (index == 0 and c == 0.0)]
        if members:
            accuracy = sum(correct[i] for i in members) / len(members)
            confidence = sum(confidences[i] for i in members) / len(members)
            total += len(members) * abs(accuracy - confidence)
    return round(total / len(confidences), 4)


def score_routing(rows: Sequence[RoutingExample], answers: Sequence[Answer]) -> dict[str, Any]:
    """The metrics of the module docstring for one router's answers (one per row, in order)."""
    inside = [(r, a) for r, a in zip(rows, answers, strict=True) if r.domain is not None]
    outside = [a for r, a in zip(rows, answers, strict=True) if r.domain is None]
    answered = [(r, a) for r, a in inside if a[0] is not None]
    per_domain = {}
    for domain in sorted({r.domain for r, _ in inside if r.domain}):
        mine = [a for r, a in inside if r.domain == domain]
        per_domain[domain] = {
            "questions": len(mine),
            "accuracy": ratio(sum(a[0] == domain for a in mine), len(mine)),
        }
    return {
        "questions": len(rows),
        "in_domain": len(inside),
        "out_of_domain": len(outside),
        "accuracy": ratio(sum(a[0] == r.domain for r, a in inside), len(inside)),
        "unsure_in_domain": ratio(sum(a[0] is None for _, a in inside), len(inside)),
        "unsure_out_of_domain": ratio(sum(a[0] is None for a in outside), len(outside)),
        "ece": expected_calibration_error(
            [a[1] for _, a in answered], [a[0] == r.domain for r, a in answered]
        ),
        "per_domain": per_domain,
    }


def _system(
    rows: Sequence[RoutingExample], redacted: Sequence[str], router: QuestionRouter
) -> dict[str, Any]:
    decisions, latency = timed(router.route, redacted)
    answers: list[Answer] = [(d.domain, d.confidence) for d in decisions]
    result = score_routing(rows, answers)
    result["by_language"] = by_language(rows, answers, score_routing)
    result["latency_ms"] = latency
    result["errors"] = [
        {"text": text, "lang": row.lang, "gold": row.domain, "predicted": answer[0], "confidence": answer[1]}
        for row, text, answer in zip(rows, redacted, answers, strict=True)
        if answer[0] != row.domain
    ]
    return result


def evaluate_routing(
    product: QuestionRouter,
    baseline: QuestionRouter,
    deidentification: DomainDeidentifier,
    dataset: Path,
    progress: Callable[[str, int, int], None] | None = None,
    reset: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Score two routers on one labelled set.

    Args:
        product: The product's router (its ``domains`` are the ones a row may name).
        baseline: The baseline router.
        deidentification: De-identification (the routing policy is used).
        dataset: A JSONL of ``{text, domain, lang}``.
        progress: Called as ``progress(stage, done, total)``.
        reset: Called before each router runs (e.g. ``Embedder.forget_queries``, so the second router is not
            timed on the first one's cached query vectors).

    Returns:
        ``{"dataset", "questions", "product": metrics, "baseline": metrics}`` with the metrics of
        :func:`score_routing` plus ``by_language``, ``latency_ms`` and ``errors`` (de-identified text only).

    Raises:
        AssistantError: The data is invalid.
    """
    rows = load_routing_dataset(dataset, product.domains)
    vault = scratch_vault("eval-routing")
    redacted = []
    for number, row in enumerate(rows, start=1):
        redacted.append(deidentification.pseudonymize(row.text, vault, None).text)
        if progress and (number % 50 == 0 or number == len(rows)):
            progress("de-identify", number, len(rows))
    results = {}
    for name, router in (("product", product), ("baseline", baseline)):
        if reset is not None:
            reset()
        results[name] = _system(rows, redacted, router)
    return {"dataset": str(dataset), "questions": len(rows), **results}
