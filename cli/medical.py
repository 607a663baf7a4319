"""``assistant medical``: entities, relations and differentially private statistics of medical text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.context import emit, read_text, services
from pipelines.core.errors import AssistantError

if TYPE_CHECKING:
    from pipelines.skills.medical.dp_stats import BudgetStatus


__all__ = ["medical_app", "relation_rules"]

medical_app = typer.Typer(
    no_args_is_help=True, help="Medical text analysis: entities, relations and private statistics."
)


@medical_app.command("entities")
def medical_entities(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Text, or - to read stdin (all of it, as one text).")],
    domain: Annotated[str, typer.Option("--domain", help="Domain whose entity model is used.")] = "medical",
) -> None:
    """Diseases and chemicals/drugs in a text: one JSON line ``{type, start, end, text}`` per entity.

    Offsets are characters into the given text (at most 200,000). A mention overlapping a personal identifier
    (name, phone, record number, ...) is never reported. The model runs in-process; nothing is stored or logged.
    """
    for entity in services(ctx).clinical.find_entities(read_text(text), domain):
        emit(entity.to_dict())


@medical_app.command("stats")
def medical_stats_command(
    ctx: typer.Context,
    domain: Annotated[str, typer.Option("--domain", help="Domain whose records are counted.")] = "medical",
    entity_type: Annotated[
        str, typer.Option("--type", help="DISEASE (diagnoses), CHEMICAL (drugs) or all.")
    ] = "all",
    epsilon: Annotated[
        float | None,
        typer.Option("--epsilon", help="Privacy loss of this query (default: dp.query_epsilon, 0.1)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Terms shown (highest noisy counts).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the release as one JSON object.")] = False,
) -> None:
    """Release differentially private counts of records mentioning each diagnosis or drug (spends budget).

    Counts are noisy (discrete Laplace, OpenDP); each query spends its epsilon from the data dir's budget
    (dp.total_epsilon) and is refused once the budget would be exceeded. See README, "Differentially private
    statistics".
    """
    from pipelines.skills.medical.dp_stats import medical_stats

    built = services(ctx)
    result = medical_stats(
        built.records,
        built.entity_recognizer(domain),
        built.settings.dp,
        domain,
        entity_type,
        epsilon,
        top,
    )
    if as_json:
        emit(result.to_dict())
        return
    for row in result.counts:
        typer.echo(f"{row.count}\t{row.type}\t{row.term}")
    swamped = sum(row.swamped for row in result.counts)
    typer.echo(
        f"noisy counts of records per term (discrete Laplace, scale {result.scale:g}); 95% interval "
        f"±{result.interval:.0f} for all {result.vocabulary_size} terms at once (one count alone: "
        f"±{result.accuracy:.0f}); {swamped} of {len(result.counts)} counts within the noise (count <= interval)"
    )
    if result.budget is not None:
        typer.echo(f"epsilon spent by this query {result.epsilon:g}; {_budget_line(result.budget)}")


def _budget_line(status: BudgetStatus) -> str:
    queries = "1 query" if status.queries == 1 else f"{status.queries} queries"
    return (
        f"budget: total {status.total:g}, spent {status.spent:g}, remaining {status.remaining:g} "
        f"({queries} released)"
    )


@medical_app.command("budget")
def medical_budget(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {total, spent, remaining, queries}.")
    ] = False,
) -> None:
    """Show the data dir's privacy budget for medical statistics: total, spent, remaining epsilon."""
    from pipelines.skills.medical.dp_stats import budget_status

    built = services(ctx)
    status = budget_status(built.records, built.settings.dp.total_epsilon)
    if as_json:
        emit(status.to_dict())
    else:
        typer.echo(_budget_line(status))


@medical_app.command("relations")
def medical_relations(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Clinical text, or - to read it from stdin.")],
    domain: Annotated[
        str, typer.Option("--domain", help="Domain whose entity model and relation rules are used.")
    ] = "medical",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {entities, relations} as one JSON object.")
    ] = False,
) -> None:
    """Drug-disease (treats, causes) and symptom-disease relations in TEXT, on the recogniser's entities.

    At most 200,000 characters; mentions overlapping a personal identifier are left out. Nothing is stored or
    logged; the output goes to stdout only.
    """
    from pipelines.skills.medical.relations import extract_relations

    content = read_text(text)
    built = services(ctx)
    rules = relation_rules(built.domains.domain(domain))
    found = built.clinical.find_entities(content, domain)
    relations = extract_relations(content, found, rules)
    if as_json:
        emit({"entities": [e.to_dict() for e in found], "relations": [r.to_dict() for r in relations]})
        return
    if not relations:
        typer.echo(f"no relations ({len(found)} entities found)")
    for relation in relations:
        typer.echo(f"{relation.type}: {relation.head.text} -> {relation.tail.text}   [{relation.trigger}]")


def relation_rules(config: Any) -> Any:
    """The domain's relation rules, or an error naming the domain."""
    if config.relations is None:
        raise AssistantError(
            f"domain {config.name!r} has no relation rules (no relations: in its domain.yaml)"
        )
    return config.relations
