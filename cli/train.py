"""``assistant train``: rebuild the models a domain ships from its committed training data (offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import emit, services
from cli.progress import StderrProgress
from pipelines.core.errors import AssistantError

__all__ = ["train_app"]

train_app = typer.Typer(no_args_is_help=True, help="Train the models a domain ships.")


@train_app.command("intent")
def train_intent(
    ctx: typer.Context,
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose intent model is trained.")
    ] = "finance",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Model folder to write (default: the domain's intent.model, replaced)."),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Passes over the training data (default 4).")
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option(
            "--seed",
            help="Random seed (shuffling, initialisation, dropout); repeat it to train an ensemble, one model "
            "per seed, whose probabilities are averaged. Default: the shipped model's seeds.",
        ),
    ] = None,
    linear: Annotated[
        bool,
        typer.Option(
            "--linear/--no-linear",
            help="Add the two logistic-regression members (frozen embedding, TF-IDF) to the ensemble, as shipped.",
        ),
    ] = True,
    linear_only: Annotated[
        bool,
        typer.Option(
            "--linear-only",
            help="Keep the domain model's fine-tuned members and retrain only the logistic-regression members "
            "(about 2 minutes); with --out the domain's model is left as it is.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the domain's intent model from its committed training data (CPU; about an hour on 2 cores, or
    about 2 minutes with --linear-only)."""
    from pipelines.skills.triage.intent_linear import LINEAR_KINDS
    from pipelines.training.intent import (
        SHIPPED_SEEDS,
        TrainingConfig,
        load_labelled_csv,
        refit_linear_members,
        train_intent_ensemble,
    )

    config = services(ctx).domains.domain(domain)
    if config.intent is None:
        raise AssistantError(f"domain {domain!r} has no intent: block in its domain.yaml")
    if linear_only and (seed or not linear or epochs is not None):
        raise AssistantError(
            "--linear-only keeps the fine-tuned members: it takes no --seed, --epochs or --no-linear"
        )
    texts, labels = load_labelled_csv(config.resolve(config.intent.training_data))
    target = out or config.resolve(config.intent.model)
    kinds = LINEAR_KINDS if linear else ()

    def shown(step: int, total: int, loss: float) -> None:
        every = max(1, total // 20)  # about 20 plain lines when stderr is not a terminal
        bar.overall(f"step {step // every * every}/{total}", step / total)

    with StderrProgress() as bar:
        bar.start(f"train intent ({len(texts)} messages)")
        if linear_only:
            report = refit_linear_members(
                texts, labels, target, kinds, shown, source=config.resolve(config.intent.model)
            )
        else:
            report = train_intent_ensemble(
                texts,
                labels,
                target,
                list(seed or SHIPPED_SEEDS),
                TrainingConfig(epochs=epochs or TrainingConfig.epochs),
                shown,
                kinds,
            )
    facts = {
        "model_dir": str(report.model_dir),
        "examples": report.examples,
        "labels": report.labels,
        "steps": report.steps,
        "seconds": round(report.seconds, 1),
        "size_bytes": report.size_bytes,
    }
    if as_json:
        emit(facts)
    else:
        typer.echo(
            f"trained {report.labels} intents on {report.examples} messages in {report.seconds / 60:.1f} min "
            f"({report.steps} steps); model {report.size_bytes / 1e6:.1f} MB in {report.model_dir}"
        )


@train_app.command("intent-multilingual")
def train_intent_multilingual(
    ctx: typer.Context,
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose intent model gets the head.")
    ] = "finance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the intent model's multilingual head (Chinese messages) from the domain's
    intent.multilingual_training_data and a sample of its English data (about a minute); run it again after
    `assistant train intent`, which writes a new model folder."""
    from pipelines.training.intent import load_labelled_csv
    from pipelines.training.intent_multilingual import load_labelled_jsonl, train_multilingual_head

    built = services(ctx)
    config = built.domains.domain(domain)
    intent = config.intent
    if intent is None or intent.multilingual_training_data is None:
        raise AssistantError(f"domain {domain!r} has no intent.multilingual_training_data in its domain.yaml")
    with StderrProgress() as bar:
        bar.start("train the multilingual intent head")
        report = train_multilingual_head(
            config.resolve(intent.model),
            built.models.multilingual_encoder(),
            load_labelled_jsonl(config.resolve(intent.multilingual_training_data)),
            load_labelled_csv(config.resolve(intent.training_data)),
        )
    facts = {
        "model_dir": str(report.folder),
        "examples": report.examples,
        "labels": report.labels,
        "seconds": round(report.seconds, 1),
    }
    if as_json:
        emit(facts)
    else:
        typer.echo(
            f"trained the multilingual head of {report.labels} intents on {report.examples} messages in "
            f"{report.seconds:.0f} s: {report.folder}"
        )


@train_app.command("risk")
def train_risk(
    ctx: typer.Context,
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose learned risk layer is trained.")
    ] = "finance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the learned risk layer beside the domain's risk rules from risk.training_data, and everyday messages
    of the domain's intent training data whose intents the rules do not map to a risk, into risk.model
    (about 20 s); prints the cross-validated risky recall and benign flag rate on the training messages."""
    from pipelines.training.intent import load_labelled_csv
    from pipelines.training.intent_multilingual import load_labelled_jsonl
    from pipelines.training.risk_model import load_risk_messages, ordinary_messages, train_risk_model

    built = services(ctx)
    config = built.domains.domain(domain)
    risk = config.risk
    if risk is None or risk.model is None or risk.training_data is None:
        raise AssistantError(f"domain {domain!r} has no risk model and training_data in its risk rules")
    rows = load_risk_messages(config.resolve(risk.training_data), list(risk.categories))
    ordinary: list[str] = []  # everyday messages of the intents the rules do not map to a risk: benign
    if (intent := config.intent) is not None:
        english = load_labelled_csv(config.resolve(intent.training_data))
        ordinary += ordinary_messages(*english, list(risk.intents), per_label=8)
        if intent.multilingual_training_data is not None:
            other = load_labelled_jsonl(config.resolve(intent.multilingual_training_data))
            ordinary += ordinary_messages(*other, list(risk.intents), per_label=6)
    with StderrProgress() as bar:
        bar.start(f"train the risk model ({len(rows)} messages, {len(ordinary)} everyday ones)")
        report = train_risk_model(
            rows, built.models.multilingual_encoder(), config.resolve(risk.model), ordinary
        )
    facts = {
        "model_dir": str(report.folder),
        "messages": report.messages,
        "benign": report.benign,
        "threshold": round(report.threshold, 4),
        "cross_validated": report.cross_validated,
        "seconds": round(report.seconds, 1),
    }
    if as_json:
        emit(facts)
    else:
        cv = report.cross_validated
        typer.echo(
            f"trained on {report.messages} messages ({report.benign} benign) in {report.seconds:.0f} s: "
            f"cross-validated risky recall {cv['risky_recall']:.3f} at {cv['benign_flagged']:.3f} of benign "
            f"messages flagged; {report.folder}"
        )


@train_app.command("ner")
def train_ner(
    ctx: typer.Context,
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model is trained.")
    ] = "medical",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Model folder to write (default: the domain's ner.model, replaced)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the lexicon feature's fold split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the domain's CRF entity model from its committed IOB data (CPU; minutes on 2 cores)."""
    from pipelines.training.ner import NerTrainingConfig, train_ner_model

    config = services(ctx).domains.domain(domain)
    if config.ner is None:
        raise AssistantError(f"domain {domain!r} has no ner: block in its domain.yaml")
    files = [config.resolve(path) for path in config.ner.training_data]
    foci = config.resolve(config.ner.lexicon_data) if config.ner.lexicon_data else None
    target = out or config.resolve(config.ner.model)
    training = NerTrainingConfig(seed=seed)

    def shown(stage: str, done: int, total: int) -> None:
        if stage == "features":
            bar.overall("features", 0.0)
        else:  # L-BFGS iterations; about 20 plain lines when stderr is not a terminal
            every = max(1, total // 20)
            bar.overall(f"iteration {done // every * every}/{total}", min(done / max(total, 1), 1.0))

    with StderrProgress() as bar:
        bar.start(f"train ner ({', '.join(path.name for path in files)})")
        report = train_ner_model(files, target, foci, training, shown)
    if as_json:
        emit(report.to_dict())
    else:
        typer.echo(
            f"trained on {report.sentences} sentences ({report.tokens} tokens) in {report.seconds / 60:.1f} min; "
            f"{report.features} features; model {report.size_bytes / 1e6:.1f} MB in {report.model_dir}"
        )


@train_app.command("pii")
def train_pii(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Weights file to write (default: the shipped privacy/models/pii.crfsuite, replaced).",
        ),
    ] = None,
    examples: Annotated[
        int | None, typer.Option("--examples", min=1, help="Synthetic training messages (default 12000).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic corpus (Faker, templates).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
) -> None:
    """Train the learned PII recognizer (a CRF) on synthetic template + Faker messages (CPU; minutes on 2
    cores)."""
    from pipelines.training.pii import PiiTrainingConfig, shipped_model_path, train_pii_model

    target = out or shipped_model_path()
    defaults = PiiTrainingConfig()
    training = PiiTrainingConfig(examples=examples or defaults.examples, seed=seed)

    def shown(stage: str, done: int, total: int) -> None:
        if stage == "features":
            bar.overall(f"features {done}/{total}", 0.0)
        else:  # L-BFGS iterations; about 20 plain lines when stderr is not a terminal
            every = max(1, total // 20)
            bar.overall(f"iteration {done // every * every}/{total}", min(done / max(total, 1), 1.0))

    with StderrProgress() as bar:
        bar.start(f"train pii ({training.examples} synthetic messages)")
        report = train_pii_model(target, training, progress=shown)
    if as_json:
        emit(report.to_dict())
    else:
        typer.echo(
            f"trained on {report.examples} messages ({report.tokens} tokens) in {report.seconds / 60:.1f} min; "
            f"{report.features} features; model {report.size_bytes / 1e6:.1f} MB in {report.model_path}"
        )
