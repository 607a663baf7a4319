"""``assistant eval risk`` and ``assistant eval routing``: metrics on hand-computed cases, dataset errors, and
the commands on small labelled files (real models, de-identification and rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.core.errors import AssistantError
from pipelines.evals.risk import RiskExample, load_risk_dataset, score_risk
from pipelines.evals.routing import (
    RoutingExample,
    expected_calibration_error,
    load_routing_dataset,
    score_routing,
)
from tests.cli_runner import run
from tests.conftest import CANARY_CARD, CANARY_NAME

CATEGORIES = ["fraud", "scam", "self_harm"]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_risk_metrics_on_a_hand_computed_case() -> None:
    rows = [
        RiskExample("a", frozenset({"fraud"}), "en"),
        RiskExample("b", frozenset({"scam", "fraud"}), "en"),
        RiskExample("c", frozenset(), "en"),
        RiskExample("d", frozenset(), "zh"),
    ]
    predicted = [frozenset({"fraud"}), frozenset({"scam", "self_harm"}), frozenset({"scam"}), frozenset()]
    scored = score_risk(rows, predicted, CATEGORIES)
    # gold pairs: a/fraud, b/scam, b/fraud -> found a/fraud, b/scam; predicted pairs 4, right 2
    assert (scored["recall"], scored["precision"]) == (round(2 / 3, 4), 0.5)
    assert (scored["flagged_risky"], scored["false_positive_rate"]) == (1.0, 0.5)
    assert scored["per_category"]["fraud"] == {"support": 2, "recall": 0.5, "precision": 1.0}
    assert scored["per_category"]["self_harm"] == {"support": 0, "recall": None, "precision": 0.0}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "2: not JSON"),
        ('{"categories": []}', "2: expected an object with a non-empty 'text'"),
        ('{"text": "x", "categories": ["burglary"]}', "2: unknown risk category burglary"),
        ('{"text": "x", "categories": "fraud"}', "2: 'categories' must be a list"),
        ('{"text": "my card was stolen", "lang": "en"}', "2: no 'categories'"),
        ('{"text": "x", "categories": [], "lang": 5}', "2: 'lang' must be a language code"),
    ],
)
def test_a_bad_risk_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "risk.jsonl"
    path.write_text('{"text": "ok", "categories": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(AssistantError, match=problem):
        load_risk_dataset(path, CATEGORIES)


def test_a_folder_and_a_file_that_is_not_utf8_are_named(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="is a folder; a JSONL file"):
        load_risk_dataset(tmp_path, CATEGORIES)
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(b'{"text": "caf\xe9 card stolen", "categories": ["fraud"]}\n')
    with pytest.raises(AssistantError, match="not UTF-8 text"):
        load_routing_dataset(latin1, ["finance"])


def test_the_language_is_guessed_from_the_script_when_missing(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "r.jsonl",
        [{"text": "卡被盗了", "categories": ["fraud"]}, {"text": "hi", "categories": []}],
    )
    assert [r.lang for r in load_risk_dataset(path, CATEGORIES)] == ["zh", "en"]


def test_routing_metrics_and_calibration_on_a_hand_computed_case() -> None:
    rows = [
        RoutingExample("a", "finance", "en"),
        RoutingExample("b", "code", "en"),
        RoutingExample("c", "medical", "zh"),
        RoutingExample("d", None, "zh"),
        RoutingExample("e", None, "en"),
    ]
    answers: list[tuple[str | None, float]] = [
        ("finance", 0.95),
        ("finance", 0.65),
        (None, 0.3),
        (None, 0.2),
        ("code", 0.9),
    ]
    scored = score_routing(rows, answers)
    assert scored["accuracy"] == round(1 / 3, 4)
    assert (scored["unsure_in_domain"], scored["unsure_out_of_domain"]) == (round(1 / 3, 4), 0.5)
    # answered in-domain: 0.95 right (bin 0.9-1.0: |1 - 0.95|), 0.65 wrong (bin 0.6-0.7: |0 - 0.65|)
    assert scored["ece"] == round((0.05 + 0.65) / 2, 4)
    assert scored["per_domain"]["code"] == {"questions": 1, "accuracy": 0.0}
    assert expected_calibration_error([], []) is None


def test_a_bad_routing_line_is_named(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "q.jsonl", [{"text": "x", "domain": "finance"}, {"text": "y", "domain": "law"}])
    with pytest.raises(AssistantError, match="2: unknown domain 'law'"):
        load_routing_dataset(path, ["finance", "code", "medical"])
    _jsonl(path, [{"text": "x"}])
    with pytest.raises(AssistantError, match="1: no 'domain'"):
        load_routing_dataset(path, ["finance"])


def test_cli_eval_risk_prints_product_and_rules_alone_without_personal_values(tmp_path: Path) -> None:
    dataset = _jsonl(
        tmp_path / "risk.jsonl",
        [
            {
                "text": f"Someone stole my card {CANARY_CARD} on the bus",
                "categories": ["fraud"],
                "lang": "en",
            },
            {
                "text": f"I am {CANARY_NAME} and I want to end my life",
                "categories": ["self_harm"],
                "lang": "en",
            },
            {"text": "我的卡被盗刷了", "categories": ["fraud"], "lang": "zh"},
            {"text": "What is the exchange rate for euros?", "categories": [], "lang": "en"},
        ],
    )
    done = run("eval", "risk", "--dataset", str(dataset), "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert CANARY_CARD not in done.stdout and CANARY_NAME not in done.stdout
    result = json.loads(done.stdout)
    assert result["messages"] == 4 and set(result["product"]["by_language"]) == {"en", "zh"}
    assert result["baseline"]["per_category"]["fraud"]["support"] == 2
    assert result["baseline"]["false_positive_rate"] == 0.0
    table = run("eval", "risk", "--dataset", str(dataset), data_dir=tmp_path / "data")
    assert table.returncode == 0 and "baseline (rules alone)" in table.stdout and "self_harm" in table.stdout
    assert CANARY_CARD not in table.stdout + table.stderr and CANARY_NAME not in table.stdout + table.stderr


def test_cli_eval_routing_prints_both_routers_per_language_without_personal_values(tmp_path: Path) -> None:
    dataset = _jsonl(
        tmp_path / "routing.jsonl",
        [
            {
                "text": f"My card ending {CANARY_CARD} was declined at the shop",
                "domain": "finance",
                "lang": "en",
            },
            {"text": "How do I undo the last git commit?", "domain": "code", "lang": "en"},
            {
                "text": f"{CANARY_NAME} has a fever and a cough, which antibiotic?",
                "domain": "medical",
                "lang": "en",
            },
            {"text": "孕妇可以吃感冒药吗？", "domain": "medical", "lang": "zh"},
            {"text": "What is the capital of Australia?", "domain": None, "lang": "en"},
        ],
    )
    done = run("eval", "routing", "--dataset", str(dataset), "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert CANARY_CARD not in done.stdout and CANARY_NAME not in done.stdout
    result = json.loads(done.stdout)
    assert result["questions"] == 5 and set(result["product"]["by_language"]) == {"en", "zh"}
    assert result["baseline"]["per_domain"]["code"]["questions"] == 1
    errors = result["baseline"]["errors"]
    assert len(errors) == round((1 - result["baseline"]["accuracy"]) * 4) + 1 - round(
        result["baseline"]["unsure_out_of_domain"]
    )  # every wrong in-domain answer and the out-of-domain question unless it was called unsure
    assert result["baseline"]["out_of_domain"] == 1
    table = run("eval", "routing", "--dataset", str(dataset), data_dir=tmp_path / "data")
    assert table.returncode == 0 and "unsure (out)" in table.stdout


def test_cli_eval_routing_names_a_missing_file(tmp_path: Path) -> None:
    done = run("eval", "routing", "--dataset", str(tmp_path / "none.jsonl"), data_dir=tmp_path / "data")
    assert done.returncode != 0 and "none.jsonl: no such file" in done.stderr


def test_cli_eval_risk_names_a_bad_file_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(b'{"text": "caf\xe9 card stolen", "categories": ["fraud"], "lang": "en"}\n')
    done = run("eval", "risk", "--dataset", str(latin1), data_dir=tmp_path / "data")
    assert done.returncode == 1 and done.stderr.strip().startswith("error: ") and "not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
