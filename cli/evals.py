"""``assistant eval``: the product measured against baselines on public datasets (offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import emit, services, stderr_counter
from cli.medical import relation_rules
from pipelines.core.errors import AssistantError

__all__ = ["eval_app"]

eval_app = typer.Typer(no_args_is_help=True, help="Measure the product against baselines.")


@eval_app.command("pii")
def eval_pii(
    ctx: typer.Context,
    datasets: Annotated[
        list[Path],
        typer.Option(
            "--dataset",
            help="presidio_synth JSON/folder or PhysioNet deid folder; with --strict, a JSONL file (repeat the "
            "option to join several).",
        ),
    ],
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            help="Evaluate this domain's policy (default: medical for PhysioNet, else the union of all domains).",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N samples.")] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="PhysioNet only: all notes, dev (odd patient ids) or heldout (even patient ids)."
        ),
    ] = "all",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, ...} as one JSON object.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Strict mode: --dataset is a JSONL of {text, domain, secrets[]}; an identifier counts as "
            "removed only when no part of it survives in what the model receives.",
        ),
    ] = False,
    keeps: Annotated[
        list[Path] | None,
        typer.Option(
            "--keep",
            help="Strict mode: a JSONL of {text, domain, keep[]} to measure over-redaction on (repeatable).",
        ),
    ] = None,
    misses: Annotated[
        bool,
        typer.Option(
            "--misses", help="Strict mode: also list the product's misses and destroyed keep terms."
        ),
    ] = False,
) -> None:
    """PII detection: precision, recall and F2 of this product and of vanilla Presidio on the same data;
    with --strict, the share of identifiers removed whole and of keep terms destroyed."""
    if strict:
        _eval_pii_strict(ctx, datasets, keeps or [], limit, as_json, misses)
        return
    if keeps or misses:
        raise typer.BadParameter("--keep and --misses go with --strict")
    if len(datasets) != 1:
        raise typer.BadParameter("give one --dataset (several only with --strict)")
    dataset = datasets[0]
    from pipelines.evals.pii import evaluate_product_and_presidio, load_dataset

    data = load_dataset(dataset, limit, split)
    built = services(ctx)
    result = evaluate_product_and_presidio(
        data,
        built.deidentifier,
        built.domains,
        domain or data.default_domain,
        built.settings.privacy.spacy_model,
        progress=stderr_counter,
    )
    if as_json:
        emit(result)
        return
    typer.echo(
        f"{result['dataset']}: {result['samples']} samples; matching: {result['matching']}; product policy: "
        f"{result['product_policy']} ({result['product_unscored_findings']} findings of types the data does "
        "not annotate left out)"
    )
    if result["skipped_gold_types"]:
        typer.echo(f"gold types without a Presidio entity (left out): {result['skipped_gold_types']}")
    typer.echo(f"{'entity':<20}{'support':>8}  {'product P/R/F2':>22}  {'vanilla Presidio P/R/F2':>24}")
    rows = [("OVERALL", None)] + [(name, name) for name in result["product"]["per_entity"]]
    for label, key in rows:
        cells = []
        for system in ("product", "baseline"):
            stats = result[system] if key is None else result[system]["per_entity"].get(key, {})
            cells.append(
                "/".join(f"{stats[m]:.3f}" if m in stats else "-" for m in ("precision", "recall", "f2"))
            )
        support = "" if key is None else str(result["product"]["per_entity"][key]["support"])
        typer.echo(f"{label:<20}{support:>8}  {cells[0]:>22}  {cells[1]:>24}")


def _eval_pii_strict(
    ctx: typer.Context,
    datasets: list[Path],
    keeps: list[Path],
    limit: int | None,
    as_json: bool,
    misses: bool,
) -> None:
    from pipelines.evals.pii_strict import evaluate_strict, load_strict, presidio_system, product_system

    messages = [record for path in datasets for record in load_strict(path, "secrets")][:limit]
    sentences = [record for path in keeps for record in load_strict(path, "keep")][:limit]
    built = services(ctx)
    result = evaluate_strict(
        messages,
        sentences,
        {
            "product": product_system(built.deidentification),
            "baseline": presidio_system(built.settings.privacy.spacy_model),
        },
        progress=stderr_counter,
    )
    result["datasets"], result["keep_datasets"] = [str(p) for p in datasets], [str(p) for p in keeps]
    if not misses:
        result.pop("misses")
        result.pop("over_redactions")
    if as_json:
        emit(result)
        return
    product, baseline = result["product"], result["baseline"]
    typer.echo(
        f"{', '.join(p.name for p in datasets)}: {result['messages']} messages, {product['secrets']} identifiers; strict: removed "
        "whole = no word of 4+ letters, no run of 5+ letters/digits (2 Han characters) left"
    )
    typer.echo(f"{'':<26}{'product':>12}{'vanilla Presidio':>20}")
    typer.echo(f"{'removed whole':<26}{product['removed_whole']:>12.3f}{baseline['removed_whole']:>20.3f}")
    typer.echo(f"{'  partly left':<26}{product['partial_leaks']:>12}{baseline['partial_leaks']:>20}")
    typer.echo(f"{'  wholly left':<26}{product['untouched']:>12}{baseline['untouched']:>20}")
    for group in ("lang", "domain", "kind"):
        for key, stats in product["by"].get(group, {}).items():
            other = baseline["by"][group][key]
            label = f"  {group} {key} ({stats['total']})"
            typer.echo(f"{label:<26}{stats['rate']:>12.3f}{other['rate']:>20.3f}")
    if sentences:
        typer.echo(
            f"{'over-redaction':<26}{product['over_redaction']:>12.3f}{baseline['over_redaction']:>20.3f}"
            f"   ({product['keep_terms']} keep terms in {len(sentences)} sentences)"
        )
    typer.echo(
        f"{'latency p50/p95 ms':<26}"
        f"{product['latency_ms']['p50']:>6}/{product['latency_ms']['p95']:<5}"
        f"{baseline['latency_ms']['p50']:>14}/{baseline['latency_ms']['p95']}"
    )
    if misses:
        typer.echo("\nproduct misses (fictional evaluation data):")
        for miss in result["misses"]["product"]:
            typer.echo(f"- {miss['id']} {miss['kind']}: {miss['value']!r} left {miss['left'][:4]}")
            typer.echo(f"    -> {miss['output']!r}")
        for lost in result["over_redactions"]["product"]:
            typer.echo(f"- {lost['id']} keep term destroyed: {lost['term']!r} -> {lost['output']!r}")


@eval_app.command("retrieval")
def eval_retrieval(
    ctx: typer.Context,
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset", help="BEIR-layout folder: corpus.jsonl[.gz], queries.jsonl, qrels/test.tsv."
        ),
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose chunking and retrieval settings are evaluated.")
    ] = "medical",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N judged queries.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object keyed bm25, dense, hybrid (and run details)."),
    ] = False,
) -> None:
    """Retrieval: nDCG@10, recall@100 and MRR@10 of BM25 alone, dense alone and the product's hybrid."""
    from pipelines.evals.retrieval import MODES, evaluate_retrieval, load_beir

    data = load_beir(dataset, limit=limit)
    built = services(ctx)
    result = evaluate_retrieval(
        data,
        built.domains.domain(domain),
        built.embedder,
        built.settings.data_dir / "eval" / "retrieval",
        progress=stderr_counter,
    )
    if as_json:
        emit(result)
        return
    cached = "cached" if result["index_cached"] else "built now"
    typer.echo(
        f"{result['dataset']}: {result['queries']} queries, {result['documents']} documents "
        f"({result['chunks']} chunks, {domain} settings); index build {result['index_build_seconds']:.0f} s "
        f"({cached})"
    )
    typer.echo(f"{'system':<8}{'nDCG@10':>9}{'recall@100':>12}{'MRR@10':>9}{'ms/query':>10}")
    for mode in MODES:
        row = result[mode]
        typer.echo(
            f"{mode:<8}{row['ndcg@10']:>9.4f}{row['recall@100']:>12.4f}{row['mrr@10']:>9.4f}"
            f"{row['ms_per_query']:>10.1f}"
        )


@eval_app.command("intent")
def eval_intent(
    ctx: typer.Context,
    dataset: Annotated[
        Path, typer.Option("--dataset", help="A text,category CSV, or a folder with test.csv (BANKING77).")
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose intent model is evaluated.")
    ] = "finance",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N messages.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, confusions, ...} as one JSON object.")
    ] = False,
) -> None:
    """Intent recognition: accuracy and macro-F1 of the shipped model and of the frozen-embedding + LR baseline."""
    from pipelines.evals.intent import evaluate_intent

    built = services(ctx)
    result = evaluate_intent(
        built.domains.domain(domain),
        built.intent_classifier(domain),
        built.embedder,
        dataset,
        limit,
        progress=stderr_counter,
    )
    if as_json:
        emit(result)
        return
    product, baseline = result["product"], result["baseline"]
    typer.echo(f"{result['dataset']}: {result['examples']} messages, domain {domain}")
    typer.echo(f"{'system':<64}{'accuracy':>9}{'macro-F1':>10}")
    typer.echo(
        f"{'product: ' + product['model']['method']:<64}{product['accuracy']:>9.4f}{product['macro_f1']:>10.4f}"
    )
    typer.echo(
        f"{'baseline: ' + baseline['method']:<64}{baseline['accuracy']:>9.4f}{baseline['macro_f1']:>10.4f}"
    )
    typer.echo(
        f"product: {product['ms_per_message']:.1f} ms/message; below the unknown threshold "
        f"({product['unknown_threshold']:g}): {1 - product['coverage']:.1%} of messages, accuracy on the rest "
        f"{product['accuracy_labelled']:.4f}"
    )
    typer.echo("confusions that cost the most (gold -> predicted: errors):")
    for pair in result["confusions"]:
        typer.echo(f"  {pair['gold']} -> {pair['predicted']}: {pair['count']}")


@eval_app.command("code")
def eval_code(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option("--dataset", help="HumanEval folder or HumanEval.jsonl.gz.")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N problems.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="auto|ollama|openai|llamacpp.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"backend", "model", "problems", "pass@1", ...} as JSON.')
    ] = False,
) -> None:
    """HumanEval pass@1 through the complete mode with the active backend; tests run in the sandbox."""
    from pipelines.evals.code import evaluate_code

    report = evaluate_code(
        services(ctx).code_tasks(),
        dataset,
        limit,
        backend,
        progress=lambda d, t: stderr_counter("problems", d, t),
    )
    if as_json:
        emit(report.to_json_dict())
        return
    typer.echo(
        f"HumanEval: {report.problems} problems · backend {report.backend} · model {report.model}\n"
        f"pass@1 {report.pass_at_1:.1%} ({report.passed}/{report.problems}) · "
        f"{report.seconds_per_problem:.1f} s per problem (generation + sandboxed tests) · sandbox {report.sandbox}\n"
        "published anchor: Codex-12B pass@1 28.8% (Chen et al. 2021); a 270M base model is expected near 0"
    )
    for row in report.rows:
        typer.echo(
            f"  {row['task_id']:<14} {'pass' if row['passed'] else row['status']:<8} {row['seconds']:>6.1f} s"
            + (f"  {row['error']}" if row["error"] else "")
        )


@eval_app.command("ner")
def eval_ner(
    ctx: typer.Context,
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset",
            help="An IOB file, a corpus folder with test.tsv, or a folder of corpora (../shared/datasets/medical_ner).",
        ),
    ],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model is evaluated.")
    ] = "medical",
    split: Annotated[
        str, typer.Option("--split", help="File name (without .tsv) read in corpus folders.")
    ] = "test",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N sentences.")] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='One JSON object per corpus: {"dataset", "product": {...}, "baseline": {...}, ...}.',
        ),
    ] = False,
) -> None:
    """Entity recognition: entity-level exact-match P/R/F1 (seqeval) of the shipped model beside a dictionary."""
    from pipelines.evals.ner import CONTEXT_WINDOW, evaluate_ner, find_test_files

    recognizer = services(ctx).clinical.recognizer(domain)
    for path in find_test_files(dataset, split):
        result = evaluate_ner(recognizer, path, limit)
        if as_json:
            emit(result.to_dict())
            continue
        typer.echo(
            f"{result.dataset}: {result.sentences} sentences, types {', '.join(result.types)} "
            "(entity-level exact match, seqeval default mode, micro-averaged)"
        )
        typer.echo(f"{'system':<44}{'type':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
        for name, scores in (
            (f"product: CRF + text context (±{CONTEXT_WINDOW} sentences)", result.product),
            ("product, each sentence alone", result.product_sentence),
            ("baseline: dictionary", result.baseline),
        ):
            for kind, row in sorted(scores.per_type.items()):
                typer.echo(
                    f"{name:<44}{kind:<10}{row['precision']:>10.4f}{row['recall']:>8.4f}{row['f1']:>8.4f}"
                    f"{row['support']:>9}"
                )
            typer.echo(
                f"{name:<44}{'overall':<10}{scores.precision:>10.4f}{scores.recall:>8.4f}{scores.f1:>8.4f}"
                f"{'':>9}"
                + (f"  ({scores.ms_per_sentence:.2f} ms/sentence)" if scores.ms_per_sentence else "")
            )


@eval_app.command("relations")
def eval_relations(
    ctx: typer.Context,
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset", help="Labelled JSON lines (default: the domain's shipped relation test set)."
        ),
    ] = None,
    entities: Annotated[
        str,
        typer.Option(
            "--entities", help="gold = the labelled mentions; predicted = the domain's entity recogniser."
        ),
    ] = "gold",
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose relation rules are evaluated.")
    ] = "medical",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print {product, baseline, entities, sentences} as one JSON object."),
    ] = False,
) -> None:
    """Relation extraction: precision, recall and F1 of the rules and of a co-occurrence baseline."""
    from pipelines.evals.relations import evaluate_relations, load_relation_set

    if entities not in ("gold", "predicted"):
        raise typer.BadParameter(f"--entities must be gold or predicted, not {entities!r}")
    built = services(ctx)
    config = built.domains.domain(domain)
    rules = relation_rules(config)
    path = dataset
    if path is None:
        if rules.test_set is None:
            raise AssistantError(f"domain {domain!r} ships no relation test set; pass --dataset")
        path = config.resolve(rules.test_set)
    sentences = load_relation_set(path, list(rules.relations))
    recognize = None
    if entities == "predicted":
        recognizer = built.entity_recognizer(domain)
        if recognizer is None:
            raise AssistantError(
                f"domain {domain!r} has no entity model (no ner: block in its domain.yaml); use --entities gold"
            )
        recognize = recognizer.recognize
    result = evaluate_relations(sentences, rules, "predicted" if recognize else "gold", recognize)
    result["dataset"] = str(path)
    if as_json:
        emit(result)
        return
    typer.echo(
        f"{path.name}: {result['sentences']} sentences, {result['product']['gold']} gold relations; entities: "
        f"{entities}; a relation counts when its type, head span and tail span all match"
    )
    if "entity_match" in result:
        match = result["entity_match"]
        typer.echo(
            f"entity recogniser on these sentences (exact span and type): P {match['precision']:.3f} "
            f"R {match['recall']:.3f} F1 {match['f1']:.3f}"
        )
    typer.echo(f"{'type':<12}{'support':>8}  {'rules P/R/F1':>20}  {'co-occurrence P/R/F1':>22}")
    types = sorted(set(result["product"]["per_type"]) | set(result["baseline"]["per_type"]))
    for label, key in [("OVERALL", None), *((t, t) for t in types)]:
        cells = []
        for system in ("product", "baseline"):
            stats = result[system] if key is None else result[system]["per_type"].get(key)
            cells.append(
                "/".join(f"{stats[m]:.3f}" for m in ("precision", "recall", "f1")) if stats else "-/-/-"
            )
        gold = result["product"] if key is None else result["product"]["per_type"].get(key, {})
        support = gold.get("gold", gold.get("support", 0))
        typer.echo(f"{label:<12}{support:>8}  {cells[0]:>20}  {cells[1]:>22}")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@eval_app.command("risk")
def eval_risk(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option("--dataset", help="A JSONL of {text, categories[], lang}.")],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose risk detection is evaluated.")
    ] = "finance",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, ...} as one JSON object.")
    ] = False,
) -> None:
    """Risk detection: the product (intent model + rules, as in the chat) against the rules alone, per language
    and per category."""
    from pipelines.evals.risk import evaluate_risk, load_risk_dataset

    built = services(ctx)
    config = built.domains.domain(domain)
    detector = built.risk_detector(domain)
    if detector is None or config.risk is None:
        raise AssistantError(f"domain {domain!r} has no risk rules (no risk: file in its domain.yaml)")
    load_risk_dataset(dataset, list(config.risk.categories))  # a bad file is named before models load
    result = evaluate_risk(
        config, built.analyzers(domain), detector, built.deidentification, dataset, progress=stderr_counter
    )
    if as_json:
        emit(result)
        return
    systems = {"product": result["product"], "baseline (rules alone)": result["baseline"]}
    typer.echo(f"{result['dataset']}: {result['messages']} messages, domain {domain}")
    typer.echo(f"{'system':<24}{'lang':<6}{'recall':>8}{'precision':>10}{'FPR':>7}{'p99 ms':>8}")
    for name, figures in systems.items():
        for lang, part in {"all": figures, **figures["by_language"]}.items():
            typer.echo(
                f"{name:<24}{lang:<6}{_share(part['recall']):>8}{_share(part['precision']):>10}"
                f"{_share(part['false_positive_rate']):>7}"
                + (f"{figures['latency_ms']['p99']:>8.2f}" if lang == "all" else "")
            )
    typer.echo(f"{'recall by category':<24}{'n':>5}{'product':>9}{'baseline':>10}")
    for category, row in result["product"]["per_category"].items():
        other = result["baseline"]["per_category"][category]
        typer.echo(
            f"{category:<24}{row['support']:>5}{_share(row['recall']):>9}{_share(other['recall']):>10}"
        )


@eval_app.command("routing")
def eval_routing(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option("--dataset", help="A JSONL of {text, domain (or null), lang}.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {product, baseline, ...} as one JSON object.")
    ] = False,
) -> None:
    """Routing: the product's router against the baseline (the router before issue 24: all-MiniLM-L6-v2 nearest
    examples, never unsure), per language, with out-of-domain questions and calibration."""
    from pipelines.evals.routing import evaluate_routing, load_routing_dataset
    from pipelines.evals.similarity_router import SimilarityRouter

    built = services(ctx)
    load_routing_dataset(dataset, list(built.domains))  # a bad file is named before models load
    result = evaluate_routing(
        built.router,
        SimilarityRouter(built.embedder, built.domains),
        built.deidentification,
        dataset,
        progress=stderr_counter,
        reset=built.embedder.forget_queries,
    )
    if as_json:
        emit(result)
        return
    typer.echo(f"{result['dataset']}: {result['questions']} questions")
    typer.echo(
        f"{'system':<10}{'lang':<6}{'accuracy':>9}{'unsure (in)':>12}{'unsure (out)':>13}{'ECE':>7}{'p99 ms':>8}"
    )
    for name in ("product", "baseline"):
        figures = result[name]
        for lang, part in {"all": figures, **figures["by_language"]}.items():
            typer.echo(
                f"{name:<10}{lang:<6}{_share(part['accuracy']):>9}{_share(part['unsure_in_domain']):>12}"
                f"{_share(part['unsure_out_of_domain']):>13}{_share(part['ece']):>7}"
                + (f"{figures['latency_ms']['p99']:>8.2f}" if lang == "all" else "")
            )
