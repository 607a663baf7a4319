"""PII detection measured with presidio-research's own scorer, so the figure compares with Presidio's published ones.

One run measures, on the same spaCy model (``settings.privacy.spacy_model``):

1. **presidio-evaluator 0.3.2, standard flow** (the package's notebook 4, "Evaluate Presidio Analyzer", MIT) on
   presidio_synth ``synth_dataset_v2.json`` (1,500 samples, the set of the published figures):
   ``InputSample.read_dataset_json`` (tokens and IO tags from the gold spans) -> ``model.predict_dataset`` ->
   ``CanonicalMapper`` (labels of both sides resolved to one entity hierarchy) -> ``TokenEvaluator`` and
   ``SpanEvaluator(iou_threshold=0.75)`` ``calculate_hierarchical_scores(beta=2)``. Reported: the ``binary``
   level (any PII against O: the published "PII F2") and the ``branch`` level per entity (PERSON, LOCATION, ...).
   Two systems: vanilla Presidio (:func:`privacy.build_vanilla_analyzer` in presidio-evaluator's
   ``PresidioAnalyzerWrapper`` with its defaults: every supported entity, score threshold 0.4) and this product
   (:meth:`privacy.Deidentifier.find_for` with the union policy and every domain's keep terms, as a message is
   de-identified before routing and as ``assistant eval pii`` runs it; its types renamed by
   :data:`pipelines.evals.pii.PRODUCT_TO_EVAL`, e.g. STREET_ADDRESS -> LOCATION). The mapper's default keeps
   labels one side only has (a vanilla US_DRIVER_LICENSE hit on a phone number is a false positive); a label
   the hierarchy cannot resolve would block the evaluation and is suppressed instead, and listed. The variant
   ``prediction_only_suppressed`` also drops the predicted labels the dataset never annotates (notebook 5's step
   for a customised analyzer).
2. **The product's own lenient scorer** (``assistant eval pii``, :mod:`pipelines.evals.pii`: a gold span counts as
   found when a prediction of the same mapped type overlaps it by one character) on presidio_synth and on
   PhysioNet deid (all notes, and the ``dev`` / ``heldout`` halves by patient id; type-agnostic there).

Published references (presidio-research, ``synth_dataset_v2.json``, span-level PII F2): 0.618 vanilla Presidio
(en_core_web_lg) and 0.845 customised (notebooks 4 and 5 at commit 7622dec, presidio-evaluator 0.2.x); with the
0.3 evaluator (iou 0.75, hierarchical mapping) the current notebooks print 0.661 vanilla and 0.903 customised
(a transformers NER model). Ours run on the small spaCy model, so vanilla here is not the published vanilla.

Results are keyed by ``--label`` (e.g. ``before`` / ``after``) and merged into results/pii_standard.json, so one
table shows every label; results/pii_standard.md is rewritten from the JSON. The code under test is whatever
``import privacy`` resolves to (set PYTHONPATH to a worktree to measure another commit); its path and commit are
recorded. Progress lines go to stderr.

Run (repository root): ``.venv/bin/python benchmarks/pii_standard.py --label after`` (2 cores: see the .md for
the time of the last run; ``--limit N`` for a quick run, ``--skip-physionet`` to leave PhysioNet out).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from presidio_evaluator import InputSample, span_to_tag
from presidio_evaluator.entity_mapping import CanonicalMapper, IssueSeverity, IssueType
from presidio_evaluator.evaluation import EvaluationResult, SpanEvaluator, TokenEvaluator
from presidio_evaluator.models import BaseModel, PresidioAnalyzerWrapper

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
SYNTH = SHARED / "presidio_synth" / "synth_dataset_v2.json"
PHYSIONET = SHARED / "physionet_deid"
OUT = Path(__file__).resolve().parent / "results"
#: Span IoU threshold and F-beta of presidio-research's notebooks 4 and 5 (v0.3).
IOU_THRESHOLD = 0.75
BETA = 2.0
#: Published span-level PII F2 on synth_dataset_v2.json (presidio-research notebooks 4 and 5).
PUBLISHED = {
    "vanilla Presidio, en_core_web_lg (evaluator 0.2.x, notebook 4 at 7622dec)": 0.618,
    "customised Presidio (evaluator 0.2.x, notebook 5 at 7622dec)": 0.845,
    "vanilla Presidio, en_core_web_lg (evaluator 0.3, notebook 4)": 0.661,
    "customised Presidio, transformers NER (evaluator 0.3, notebook 5)": 0.903,
}
SYSTEMS = ("product", "vanilla")
#: One detection: (entity type, start, end, score); offsets into the text, end exclusive.
Span = tuple[str, int, int, float]
Progress = Callable[[str, int, int], None]


def progress_line(stage: str, done: int, total: int) -> None:
    """Print ``stage: done/total`` on stderr."""
    print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)


class SpanModel(BaseModel):  # type: ignore[misc]
    """A detector (text -> spans) as a presidio-evaluator model: its spans become IO tags on the sample's tokens
    through presidio-evaluator's ``span_to_tag`` (overlaps resolved by score), as ``PresidioAnalyzerWrapper`` does
    for an analyzer.

    Args:
        name: The system's name in progress lines.
        detect: ``text -> [(entity type, start, end, score)]``.
        progress: Called every 100 samples and at the end.
    """

    def __init__(
        self, name: str, detect: Callable[[str], list[Span]], progress: Progress | None = None
    ) -> None:
        super().__init__(labeling_scheme="IO")
        self.name = name
        self.detect = detect
        self.progress = progress

    def predict(self, sample: InputSample, **kwargs: Any) -> list[str]:
        """IO tags (one per token of ``sample``) of the detector's spans."""
        spans = self.detect(sample.full_text)
        return cast(
            list[str],
            span_to_tag(
                scheme="IO",
                text=sample.full_text,
                starts=[s[1] for s in spans],
                ends=[s[2] for s in spans],
                tags=[s[0] for s in spans],
                scores=[s[3] for s in spans],
                tokens=sample.tokens,
            ),
        )

    def batch_predict(self, dataset: list[InputSample], **kwargs: Any) -> list[list[str]]:
        """:meth:`predict` on each sample, in order."""
        tags = []
        for number, sample in enumerate(dataset, start=1):
            tags.append(self.predict(sample))
            if self.progress is not None and (number % 100 == 0 or number == len(dataset)):
                self.progress(f"presidio-evaluator {self.name}", number, len(dataset))
        return tags


def load_synth(path: Path, limit: int | None, token_model: str) -> list[InputSample]:
    """presidio_synth as presidio-evaluator reads it (``InputSample.read_dataset_json``: IO tags on the tokens of
    ``token_model``), the first ``limit`` samples, each with its index as ``sample_id``."""
    samples = InputSample.read_dataset_json(path, length=limit, token_model_version=token_model)
    for number, sample in enumerate(samples):
        sample.sample_id = number
    return cast(list[InputSample], samples)


def _metrics(result: EvaluationResult) -> dict[str, Any]:
    """The binary (PII) figures of one evaluator, plus per-entity figures when the result has them."""

    def num(value: Any) -> float | None:
        return None if value is None or value != value else round(float(value), 4)  # NaN (nothing to score)

    out: dict[str, Any] = {
        "precision": num(result.pii_precision),
        "recall": num(result.pii_recall),
        "f2": num(result.pii_f),
        "annotated": int(result.pii_annotated),
        "predicted": int(result.pii_predicted),
    }
    if result.per_type:
        out["per_entity"] = {
            entity: {
                "precision": num(m.precision),
                "recall": num(m.recall),
                "f2": num(m.f_beta),
                "annotated": int(m.num_annotated),
                "predicted": int(m.num_predicted),
            }
            for entity, m in sorted(result.per_type.items())
        }
    return out


def standard_scores(results_df: Any, suppress_prediction_only: bool = False) -> dict[str, Any]:
    """presidio-evaluator's standard scoring of a ``predict_dataset`` frame (columns sentence_id, token,
    annotation, prediction, start_indices).

    ``CanonicalMapper`` resolves every label; labels it cannot resolve (an ERROR that blocks the evaluation) are
    suppressed and listed; with ``suppress_prediction_only``, so are predicted labels the data never annotates.
    Then ``TokenEvaluator`` and ``SpanEvaluator(iou_threshold=0.75)`` ``calculate_hierarchical_scores`` with
    beta 2.

    Returns:
        ``{"token": {"pii": {...}, "branch": {...}}, "span": {...}, "mapping": {raw label: canonical or None},
        "suppressed": [labels]}`` where ``pii`` holds binary precision/recall/f2 and counts (tokens, or spans)
        and ``branch`` holds the per-entity figures (``per_entity``) at the hierarchy's branch level.
    """
    mapper = CanonicalMapper()
    mapper.analyze(results_df)
    suppressed = set(mapper.pending)
    if suppress_prediction_only:
        suppressed |= {
            label
            for issue in mapper.get_issues()
            if issue.type == IssueType.PREDICTION_ONLY
            for label in issue.labels
        }
    if suppressed:
        mapper.map(dict.fromkeys(sorted(suppressed)))
    blocking = [i.message for i in mapper.get_issues() if i.severity == IssueSeverity.ERROR]
    if blocking:
        raise RuntimeError(f"entity mapping incomplete: {blocking}")
    mapped = mapper.get_mapped_results_dataframe()
    out: dict[str, Any] = {
        "mapping": {k: v for k, v in sorted(mapper.get_mapping().items())},
        "suppressed": sorted(suppressed),
    }
    evaluators = {
        "token": TokenEvaluator(skip_words=None),
        "span": SpanEvaluator(iou_threshold=IOU_THRESHOLD),
    }
    for name, evaluator in evaluators.items():
        levels = evaluator.calculate_hierarchical_scores(mapped, beta=BETA)
        branch = _metrics(levels["branch"])
        out[name] = {"pii": _metrics(levels["binary"]), "branch": branch.get("per_entity", {})}
    return out


def evaluate_standard(
    samples: Sequence[InputSample], models: dict[str, BaseModel], progress: Progress | None = None
) -> dict[str, Any]:
    """Predict with each model (``predict_dataset``) and score it both ways (:func:`standard_scores`)."""
    result: dict[str, Any] = {
        "dataset": "presidio_synth (synth_dataset_v2.json)",
        "samples": len(samples),
        "evaluator": "presidio-evaluator 0.3.2: CanonicalMapper, TokenEvaluator, "
        f"SpanEvaluator(iou_threshold={IOU_THRESHOLD}), beta={BETA:g}",
    }
    for name, model in models.items():
        started = time.perf_counter()
        frame = model.predict_dataset(list(samples))
        seconds = time.perf_counter() - started
        if progress is not None:
            progress(f"presidio-evaluator {name} predicted ({seconds:.0f} s)", len(samples), len(samples))
        result[name] = {
            "default": standard_scores(frame),
            "prediction_only_suppressed": standard_scores(frame, suppress_prediction_only=True),
            "predict_seconds": round(seconds, 1),
        }
    return result


class _MemoDeidentifier:
    """A :class:`privacy.Deidentifier` whose ``find_for`` remembers its findings per (text, policy, sink, keep
    terms), so the scorers and splits that see the same text in one run detect once (detection is
    deterministic). Everything else is delegated."""

    def __init__(self, deidentifier: Any) -> None:
        self._inner = deidentifier
        self._cache: dict[tuple[str, str, Any, tuple[str, ...]], list[Any]] = {}

    def find_for(
        self, text: str, policy: Any, sink: Any, keep_terms: Any = (), vault: Any = None
    ) -> list[Any]:
        """:meth:`privacy.Deidentifier.find_for`, remembered (not with a vault)."""
        if vault is not None:
            return cast(list[Any], self._inner.find_for(text, policy, sink, keep_terms, vault))
        key = (text, policy.model_dump_json(), sink, tuple(keep_terms))
        if key not in self._cache:
            self._cache[key] = self._inner.find_for(text, policy, sink, keep_terms)
        return list(self._cache[key])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def code_under_test() -> dict[str, Any]:
    """Where ``privacy`` and ``pipelines`` are imported from, that tree's commit, and its uncommitted changes
    under privacy/, pipelines/ and domains/ (``git status --porcelain`` lines; untracked files that nothing
    imports do not change the result, modified ones may)."""
    import pipelines
    import privacy

    root = Path(privacy.__file__).resolve().parents[1]
    status = _git("status", "--porcelain", "--", "privacy", "pipelines", "domains", cwd=root)
    return {
        "privacy": str(Path(privacy.__file__).resolve().parent),
        "pipelines": str(Path(pipelines.__file__).resolve().parent),
        "commit": _git("rev-parse", "HEAD", cwd=root),
        "uncommitted_changes": status.splitlines(),
    }


def machine() -> dict[str, Any]:
    """CPU count, architecture and Python version of this run."""
    return {"cpus": os.cpu_count(), "processor": platform.machine(), "python": platform.python_version()}


def _prefixed(prefix: str) -> Progress:
    def report(stage: str, done: int, total: int) -> None:
        progress_line(f"{prefix} {stage}", done, total)

    return report


def run(label: str, limit: int | None, skip_physionet: bool, data_dir: Path) -> dict[str, Any]:
    """Every measurement of one label (see the module docstring)."""
    from pipelines.core.settings import load_settings
    from pipelines.evals.pii import PRODUCT_TO_EVAL, evaluate_product_and_presidio, load_dataset
    from pipelines.services import Services
    from privacy import build_vanilla_analyzer

    started = time.perf_counter()
    settings = load_settings(data_dir=data_dir)
    settings.ingest.index_samples_on_start = False
    services = Services(settings)
    spacy_model = settings.privacy.spacy_model
    deidentifier = _MemoDeidentifier(services.deidentifier)
    policy, keep_terms = services.domains.message_policy(None)

    def product(text: str) -> list[Span]:
        return [
            (PRODUCT_TO_EVAL.get(f.entity_type, f.entity_type), f.start, f.end, f.score)
            for f in deidentifier.find_for(text, policy, "prompt", keep_terms)
        ]

    samples = load_synth(SYNTH, limit, spacy_model)
    models: dict[str, BaseModel] = {
        "product": SpanModel("product", product, progress_line),
        "vanilla": PresidioAnalyzerWrapper(analyzer_engine=build_vanilla_analyzer(spacy_model)),
    }
    result: dict[str, Any] = {
        "label": label,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code_under_test": code_under_test(),
        "machine": machine(),
        "spacy_model": spacy_model,
        "limit": limit,
        "standard": evaluate_standard(samples, models, progress_line),
        "own_scorer": {},
    }
    built = cast(Any, services)
    own = [("presidio_synth", SYNTH, "all")]
    if not skip_physionet:
        own += [(f"physionet_{split}", PHYSIONET, split) for split in ("all", "dev", "heldout")]
    for key, path, split in own:
        dataset = load_dataset(path, limit, split)
        t0 = time.perf_counter()
        scores = evaluate_product_and_presidio(
            dataset,
            cast(Any, deidentifier),
            built.domains,
            dataset.default_domain,
            spacy_model,
            progress=_prefixed(key),
        )
        scores["vanilla"] = scores.pop("baseline")
        scores["seconds"] = round(time.perf_counter() - t0, 1)
        result["own_scorer"][key] = scores
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _cell(scores: dict[str, Any] | None) -> str:
    if not scores:
        return "—"
    return " / ".join(
        "—" if scores.get(m) is None else f"{scores[m]:.3f}" for m in ("precision", "recall", "f2")
    )


def render(results: dict[str, Any]) -> str:
    """The markdown report of every label in ``results`` (``{label: run result}``)."""
    lines = [
        "# PII detection: presidio-evaluator's standard scoring, and the product's own",
        "",
        "Written by `benchmarks/pii_standard.py` (its docstring has the method). Cells are precision / recall / F2.",
        "presidio_synth = `synth_dataset_v2.json` (1,500 samples unless a limit is shown), the set of the "
        "published figures.",
        "",
        "Published span-level PII F2 on that set, for reference:",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in PUBLISHED.items()]
    lines += [
        "",
        "The vanilla rows here use the product's small spaCy model (not en_core_web_lg), at presidio-evaluator's "
        "default threshold 0.4.",
        "",
        "## presidio-evaluator 0.3.2 on presidio_synth (binary level: any PII against O)",
        "",
        "| label | scoring | mapping | product P / R / F2 | vanilla P / R / F2 |",
        "|---|---|---|---|---|",
    ]
    for label, res in results.items():
        std = res["standard"]
        for scoring in ("span", "token"):
            for variant in ("default", "prediction_only_suppressed"):
                what = "default" if variant == "default" else "prediction-only labels suppressed"
                lines.append(
                    f"| {label} | {scoring}{' (IoU ≥ 0.75)' if scoring == 'span' else ''} | {what} | "
                    f"{_cell(std['product'][variant][scoring]['pii'])} | "
                    f"{_cell(std['vanilla'][variant][scoring]['pii'])} |"
                )
    for label, res in results.items():
        std = res["standard"]
        lines += [
            "",
            f"### Per entity ({label}; branch level of the entity hierarchy, default mapping)",
            "",
            "| entity | annotated tokens | token: product | token: vanilla | span: product | span: vanilla |",
            "|---|---|---|---|---|---|",
        ]
        token_p = std["product"]["default"]["token"]["branch"]
        entities = sorted(
            set(token_p) | set(std["vanilla"]["default"]["token"]["branch"]),
            key=lambda e: (-max(token_p.get(e, {}).get("annotated", 0), 0), e),
        )
        for entity in entities:
            annotated = token_p.get(entity, std["vanilla"]["default"]["token"]["branch"].get(entity, {}))
            cells = [
                _cell(std[system]["default"][scoring]["branch"].get(entity))
                for scoring in ("token", "span")
                for system in SYSTEMS
            ]
            lines.append(f"| {entity} | {annotated.get('annotated', 0)} | " + " | ".join(cells) + " |")
        suppressed = {s: std[s]["default"]["suppressed"] for s in SYSTEMS if std[s]["default"]["suppressed"]}
        if suppressed:
            lines += ["", f"Labels the hierarchy could not resolve (suppressed): {suppressed}"]
    lines += [
        "",
        "## The product's own lenient scorer (`assistant eval pii`)",
        "",
        "| label | dataset | samples | product P / R / F2 | vanilla P / R / F2 |",
        "|---|---|---|---|---|",
    ]
    for label, res in results.items():
        for key, scores in res["own_scorer"].items():
            lines.append(
                f"| {label} | {key} | {scores['samples']} | {_cell(scores['product'])} | {_cell(scores['vanilla'])} |"
            )
    lines += ["", "## Runs", ""]
    for label, res in results.items():
        code = res["code_under_test"]
        m = res["machine"]
        lines.append(
            f"- {label}: {res['date']}, code under test {code['commit'][:12]} ({code['privacy']}"
            f"{'; uncommitted: ' + ', '.join(code['uncommitted_changes']) if code['uncommitted_changes'] else ''}), "
            f"{m['cpus']} CPUs "
            f"{m['processor']}, Python {m['python']}, spaCy model {res['spacy_model']}, "
            f"limit {res['limit'] or 'none'}, {res['seconds']:.0f} s"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse the options, run, merge the label into results/pii_standard.json and rewrite the .md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True, help="key of this run in the results (e.g. before, after)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N samples of each dataset")
    parser.add_argument("--skip-physionet", action="store_true", help="leave PhysioNet out")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pii-standard-benchmark"))
    parser.add_argument("--out", type=Path, default=OUT, help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    logging.getLogger("presidio_evaluator").setLevel(logging.ERROR)
    result = run(args.label, args.limit, args.skip_physionet, args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "pii_standard.json"
    merged = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else {}
    merged[args.label] = result
    json_path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report = render(merged)
    (args.out / "pii_standard.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
