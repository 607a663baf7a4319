"""The strict de-identification measure: the survival rule on hand-made outputs, the file checks, and the
``assistant eval pii --strict`` command on the real product and vanilla Presidio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.core.errors import AssistantError
from pipelines.evals.pii_strict import (
    Deidentified,
    Secret,
    StrictRecord,
    destroyed_terms,
    evaluate_strict,
    fragments,
    load_strict,
    surviving_fragments,
)
from tests.cli_runner import run

CARD = "4929 1234 5678 9012"
TEXT = f"Card {CARD} of Mary-Jane Watts-Oyelaran at 14 Station Road; the station is near."
RECORD = StrictRecord(
    "r1",
    TEXT,
    "finance",
    secrets=(
        Secret(CARD, "CARD"),
        Secret("Mary-Jane Watts-Oyelaran", "PERSON"),
        Secret("14 Station Road", "ADDRESS"),
    ),
    keep=("near",),
)


def left(secret: str, output: str, replacements: tuple[tuple[int, int], ...] = ()) -> list[str]:
    return surviving_fragments(RECORD, Secret(secret), Deidentified(output, replacements))


def test_a_card_whose_first_twelve_digits_survive_is_a_leak_however_grouped() -> None:
    assert left(CARD, TEXT.replace(CARD, "<CARD>"), ()) == []
    assert left(CARD, TEXT.replace(CARD, "4929-1234-5678-XXXX"))
    assert left(CARD, TEXT.replace(CARD, "492912345678 ****"))
    assert left(CARD, TEXT.replace(CARD, "**** **** **** 9012")) == []  # four digits are allowed to stay


def test_half_a_hyphenated_surname_is_a_leak() -> None:
    output = TEXT.replace("Mary-Jane Watts-Oyelaran", "<PERSON_1>-Oyelaran")
    assert "oyelaran" in left("Mary-Jane Watts-Oyelaran", output)
    assert left("Mary-Jane Watts-Oyelaran", TEXT.replace("Mary-Jane Watts-Oyelaran", "<PERSON_1>")) == []


def test_a_street_name_without_its_number_is_a_leak_but_the_same_word_elsewhere_is_not() -> None:
    assert left("14 Station Road", TEXT.replace("14 Station Road", "<NUMBER> Station Road"))
    # "station" occurs again outside the secret: once there, once in the output -> not a leak
    assert left("14 Station Road", TEXT.replace("14 Station Road", "<ADDRESS>")) == []


def test_what_the_deidentifier_wrote_is_not_read_as_a_leak() -> None:
    # a shifted date shares digits with the real one; a placeholder may spell a secret's letters
    record = StrictRecord("d", "admitted 2023-11-02 here", "medical", secrets=(Secret("2023-11-02", "DATE"),))
    output = "admitted 2023-12-15 here"
    assert surviving_fragments(record, record.secrets[0], Deidentified(output, ((9, 19),))) == []
    assert surviving_fragments(record, record.secrets[0], Deidentified(output)) == ["20231"]


def test_chinese_names_leak_by_two_han_characters() -> None:
    words, runs = fragments("王建国")
    assert words == () and set(runs) == {"王建", "建国"}
    record = StrictRecord("z", "患者王建国今天来了", "medical", "zh", secrets=(Secret("王建国", "PERSON"),))
    assert surviving_fragments(record, record.secrets[0], Deidentified("患者<PERSON_1>建国今天来了")) == [
        "建国"
    ]
    assert (
        surviving_fragments(record, record.secrets[0], Deidentified("患者<PERSON_1>今天来了", ((2, 12),)))
        == []
    )


def test_keep_terms_destroyed_counts_occurrences() -> None:
    record = StrictRecord("k", "Augmentin 625 mg; augmentin again", "medical", keep=("Augmentin", "625 mg"))
    assert destroyed_terms(record, Deidentified("Augmentin 625 mg; augmentin again")) == []
    assert destroyed_terms(record, Deidentified("<PERSON> 625 mg; augmentin again")) == ["Augmentin"]


def test_scores_add_up_per_kind_and_system() -> None:
    systems = {
        "perfect": lambda r: Deidentified(
            r.text.replace(CARD, "<C>")
            .replace("Mary-Jane Watts-Oyelaran", "<P>")
            .replace("14 Station Road", "<A>")
        ),
        "nothing": lambda r: Deidentified(r.text),
    }
    result = evaluate_strict([RECORD], [], systems)
    assert result["perfect"]["removed_whole"] == 1.0 and result["perfect"]["message_keep"]["destroyed"] == 0
    assert result["nothing"]["removed_whole"] == 0.0 and result["nothing"]["untouched"] == 3
    assert result["nothing"]["by"]["kind"]["CARD"] == {"rate": 0.0, "removed": 0, "total": 1}
    assert [m["kind"] for m in result["misses"]["nothing"]] == ["CARD", "PERSON", "ADDRESS"]


@pytest.mark.parametrize(
    ("line", "need", "message"),
    [
        ("not json", "secrets", "line 1: not JSON"),
        ('{"text": "hi Tom", "domain": "finance", "secrets": ["Tim"]}', "secrets", "not a part of the text"),
        ('{"text": "hi", "domain": "finance"}', "secrets", "no 'secrets'"),
        ('{"text": "hi", "secrets": ["hi"]}', "secrets", "'domain'"),
        ('{"text": "take it", "domain": "medical", "keep": ["aspirin"]}', "keep", "'keep' must list"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, line: str, need: str, message: str) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(AssistantError, match=message):
        load_strict(path, need)


def test_eval_pii_strict_command_runs_product_and_vanilla_presidio(tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    keep = tmp_path / "keep.jsonl"
    messages.write_text(
        json.dumps(
            {
                "id": "m1",
                "text": "My name is Jane Doe, card 4111 1111 1111 1111, email jane.doe@example.com",
                "domain": "finance",
                "secrets": [
                    {"value": "Jane Doe", "kind": "PERSON"},
                    {"value": "4111 1111 1111 1111", "kind": "CARD"},
                    {"value": "jane.doe@example.com", "kind": "EMAIL"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    keep.write_text(
        json.dumps(
            {
                "id": "k1",
                "text": "Take 500 mg of metformin daily.",
                "domain": "medical",
                "keep": ["metformin"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    done = run(
        "eval",
        "pii",
        "--strict",
        "--dataset",
        str(messages),
        "--keep",
        str(keep),
        "--json",
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["product"]["removed_whole"] == 1.0  # the product's rules catch all three
    assert result["product"]["over_redaction"] == 0.0
    assert result["baseline"]["secrets"] == 3 and "misses" not in result
    canary = "jane.doe@example.com"
    assert canary not in done.stderr
