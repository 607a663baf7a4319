"""Relation extraction: the rules on labelled examples, the metric, the rule file's validation, the shipped test
set's shape, and ``assistant eval relations`` as a user runs it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from domains import DomainError, RelationsConfig, load_domains
from pipelines.evals.relations import evaluate_relations, load_relation_set, score_relations
from pipelines.skills.medical.lexicon import MedicalEntity
from pipelines.skills.medical.relations import (
    RelationError,
    cooccurrence_relations,
    extract_relations,
    is_symptom,
)
from tests import cli_runner as cli

MEDICAL = load_domains()["medical"]
assert MEDICAL.relations is not None
RULES: RelationsConfig = MEDICAL.relations
TEST_SET = MEDICAL.resolve(RULES.test_set or Path("missing"))
_LABELS = {"C": "CHEMICAL", "D": "DISEASE"}


def marked(sentence: str) -> tuple[str, list[MedicalEntity]]:
    """``"[Lisinopril]C was started for [hypertension]D."`` -> the text and its mentions."""
    text, entities, position = "", [], 0
    for match in re.finditer(r"\[([^\]]+)\]([CD])", sentence):
        text += sentence[position : match.start()]
        entities.append(
            MedicalEntity(_LABELS[match.group(2)], len(text), len(text) + len(match.group(1)), match.group(1))
        )
        text += match.group(1)
        position = match.end()
    return text + sentence[position:], entities


def found(sentence: str) -> set[tuple[str, str, str]]:
    text, entities = marked(sentence)
    return {(r.type, r.head.text, r.tail.text) for r in extract_relations(text, entities, RULES)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # direction: the drug is the head whichever comes first
        ("[Lisinopril]C was started for [hypertension]D.", {("treats", "Lisinopril", "hypertension")}),
        (
            "[Urinary tract infection]D was treated with [nitrofurantoin]C.",
            {("treats", "nitrofurantoin", "Urinary tract infection")},
        ),
        # the BC5CDR "X-induced Y" idiom, and the reverse "Y caused by X"
        (
            "[Cocaine]C-induced [myocardial infarction]D was suspected.",
            {("causes", "Cocaine", "myocardial infarction")},
        ),
        (
            "[Hyponatremia]D was likely caused by [hydrochlorothiazide]C.",
            {("causes", "hydrochlorothiazide", "Hyponatremia")},
        ),
        # adverse effect beats the "{tail} on {head}" treatment pattern
        ("[Hyperkalemia]D developed on [spironolactone]C.", {("causes", "spironolactone", "Hyperkalemia")}),
        # negation and hypotheticals drop the pair
        ("The [cough]D is not due to [lisinopril]C.", set()),
        ("There was no evidence of [heparin]C-induced [thrombocytopenia]D.", set()),
        ("[Pneumonia]D was ruled out as the cause of her [fever]D.", set()),
        ("If [hyperglycemia]D persists, [insulin]C will be added.", set()),
        ("Would [metformin]C help with [weight gain]D?", set()),
        (
            "[Losartan]C controls [hypertension]D without causing [cough]D.",
            {("treats", "Losartan", "hypertension")},
        ),
        # symptom_of over a coordinated list; only symptoms can be heads
        (
            "[Cough]D, [fever]D and [night sweats]D suggest [tuberculosis]D.",
            {("symptom_of", s, "tuberculosis") for s in ("Cough", "fever", "night sweats")},
        ),
        (
            "[Anemia]D presents with [fatigue]D and [pallor]D.",
            {("symptom_of", "fatigue", "Anemia"), ("symptom_of", "pallor", "Anemia")},
        ),
        ("[Hypertension]D and [diabetes]D increase the risk of [stroke]D.", set()),
        # several pairs: each drug with its own disease, not the other's
        (
            "She takes [sertraline]C for [depression]D and [zolpidem]C for [insomnia]D.",
            {("treats", "sertraline", "depression"), ("treats", "zolpidem", "insomnia")},
        ),
        (
            "[Morphine]C was given for [pain]D and caused [constipation]D and [nausea]D.",
            {
                ("treats", "Morphine", "pain"),
                ("causes", "Morphine", "constipation"),
                ("causes", "Morphine", "nausea"),
            },
        ),
        # a clause break stops a gap; co-mention without a link is no relation
        (
            "[Ceftriaxone]C was given for [pneumonia]D; [fever]D resolved.",
            {("treats", "Ceftriaxone", "pneumonia")},
        ),
        ("He has [asthma]D and takes [omeprazole]C daily.", set()),
        # NegEx post-negation triggers after the second mention
        ("[Warfarin]C-induced [hemorrhage]D was ruled out.", set()),
        ("[Hemorrhage]D caused by [warfarin]C was excluded.", set()),
        # the gap before the final argument skips no mention: the nearest one after the trigger is it
        (
            "[Chest pain]D secondary to [myocardial infarction]D, treated with [aspirin]C.",
            {
                ("symptom_of", "Chest pain", "myocardial infarction"),
                ("treats", "aspirin", "myocardial infarction"),
                ("treats", "aspirin", "Chest pain"),
            },
        ),
    ],
)
def test_extractor_on_labelled_examples(sentence: str, expected: set[tuple[str, str, str]]) -> None:
    assert found(sentence) == expected


def test_relations_keep_offsets_into_a_multi_sentence_text() -> None:
    text, entities = marked("No [rash]D today. [Amoxicillin]C was prescribed for [otitis media]D.")
    (relation,) = extract_relations(text, entities, RULES)
    assert relation.type == "treats" and text[relation.head.start : relation.head.end] == "Amoxicillin"
    assert (
        text[relation.sentence_start : relation.sentence_end]
        == "Amoxicillin was prescribed for otitis media."
    )


def test_entities_that_do_not_match_the_text_are_an_error() -> None:
    with pytest.raises(RelationError, match="does not match"):
        extract_relations("Aspirin for pain.", [MedicalEntity("CHEMICAL", 0, 7, "Aspirix")], RULES)


@pytest.mark.parametrize(
    ("text", "symptom"), [("chest pain", True), ("Fever", True), ("hypertension", False), ("painful", False)]
)
def test_symptom_lexicon_matches_whole_final_words(text: str, symptom: bool) -> None:
    assert is_symptom(MedicalEntity("DISEASE", 0, len(text), text), RULES.symptoms) is symptom


def test_baseline_relates_every_drug_disease_pair_as_treats() -> None:
    text, entities = marked("The [cough]D is not due to [lisinopril]C.")
    assert {(r.type, r.head.text) for r in cooccurrence_relations(text, entities, RULES)} == {
        ("treats", "lisinopril")
    }


def test_score_relations_on_a_hand_computed_example() -> None:
    gold = [
        {("treats", 0, 1, 5, 6), ("causes", 0, 1, 7, 8)},
        {("symptom_of", 0, 2, 3, 4)},
    ]
    predicted = [
        {("treats", 0, 1, 5, 6), ("treats", 0, 1, 7, 8)},  # 1 right, 1 wrong type
        {("symptom_of", 0, 2, 3, 4), ("symptom_of", 0, 2, 9, 9)},  # 1 right, 1 wrong tail
    ]
    scores = score_relations(gold, predicted)
    # tp 2, predicted 4, gold 3: P 0.5, R 2/3, F1 = 2*0.5*(2/3)/(0.5+2/3) = 4/7
    assert (scores["tp"], scores["predicted"], scores["gold"]) == (2, 4, 3)
    assert scores["precision"] == pytest.approx(0.5) and scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(4 / 7)
    assert scores["per_type"]["treats"]["precision"] == pytest.approx(0.5)
    assert scores["per_type"]["treats"]["recall"] == pytest.approx(1.0)
    assert scores["per_type"]["causes"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
        "predicted": 0,
    }
    with pytest.raises(ValueError, match="1 gold sentences but 2"):
        score_relations(gold[:1], predicted)


_VALID = {"relations": {"treats": {"head": "CHEMICAL", "tail": "DISEASE", "patterns": ["{head} for {tail}"]}}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"patterns": ["{head} for the disease"]}, "needs {head} and {tail} exactly once"),
        ({"patterns": ["... {head} for {tail}"]}, "must not start or end with a gap"),
        ({"patterns": ["{head} for|| {tail}"]}, "empty alternative"),
        (
            {"head_symptom": True, "tail": "DISEASE", "head": "CHEMICAL"},
            "only a DISEASE head can be a symptom",
        ),
        ({"tail_symptom": True}, "needs a symptoms lexicon"),
        ({"head": "GENE"}, "Input should be 'CHEMICAL' or 'DISEASE'"),
    ],
)
def test_invalid_relation_rules_are_rejected(change: dict[str, object], message: str) -> None:
    raw = {"relations": {"treats": {**_VALID["relations"]["treats"], **change}}}
    with pytest.raises(ValidationError, match=re.escape(message)):
        RelationsConfig.model_validate(raw)


def test_invalid_rules_file_names_the_file(tmp_path: Path) -> None:
    shutil.copytree(MEDICAL.folder or Path(), tmp_path / "medical")
    (tmp_path / "medical" / "relations.yaml").write_text(
        "relations:\n  Treats: {head: CHEMICAL, tail: DISEASE, patterns: ['{head} for {tail}']}\n"
    )
    with pytest.raises(
        DomainError, match=r"(?s)relations\.yaml: invalid relation rules.*'Treats' must match"
    ):
        load_domains(tmp_path)


def test_shipped_test_set_is_well_formed() -> None:
    rows = [json.loads(line) for line in TEST_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 100 and len({row["id"] for row in rows}) == len(rows)
    arguments = {name: (rule.head, rule.tail) for name, rule in RULES.relations.items()}
    counts = dict.fromkeys(arguments, 0)
    for row in rows:
        for entity in row["entities"]:
            assert row["text"][entity["start"] : entity["end"]] == entity["text"], row["id"]
            assert entity["type"] in ("CHEMICAL", "DISEASE"), row["id"]
        for relation in row["relations"]:
            head, tail = row["entities"][relation["head"]], row["entities"][relation["tail"]]
            assert (head["type"], tail["type"]) == arguments[relation["type"]], row["id"]
            counts[relation["type"]] += 1
    assert min(counts.values()) >= 25, counts
    assert sum(1 for row in rows if not row["relations"]) >= 0.2 * len(rows)
    assert len(load_relation_set(TEST_SET, list(RULES.relations))) == len(rows)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"text": "Aspirin", "entities": [{"type": "CHEMICAL", "start": 0, "end": 6, "text": "Aspirin"}], "relations": []}',
            "does not match",
        ),
        (
            '{"text": "a", "entities": [], "relations": [{"type": "treats", "head": 0, "tail": 1}]}',
            "index out of range",
        ),
        ('{"text": "a"', "not a labelled sentence"),
    ],
)
def test_malformed_test_set_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(RelationError, match=rf"bad\.jsonl:1: .*{message}"):
        load_relation_set(path)


def test_rules_beat_the_cooccurrence_baseline_on_the_shipped_set() -> None:
    result = evaluate_relations(load_relation_set(TEST_SET), RULES)
    assert result["product"]["f1"] >= 0.9 and result["product"]["f1"] > result["baseline"]["f1"] + 0.2
    assert result["baseline"]["per_type"]["causes"]["recall"] == 0.0


def test_cli_eval_relations_json(tmp_path: Path) -> None:
    done = cli.run("eval", "relations", "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["entities"], out["sentences"]) == ("gold", len(TEST_SET.read_text().splitlines()))
    assert {"precision", "recall", "f1", "per_type"} <= set(out["product"]) & set(out["baseline"])
    assert set(out["product"]["per_type"]) == {"treats", "causes", "symptom_of"}


def test_cli_eval_relations_table_and_errors(tmp_path: Path) -> None:
    done = cli.run("eval", "relations", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert "OVERALL" in done.stdout and "co-occurrence" in done.stdout and "symptom_of" in done.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "entities": [], "relations": [{"type": "heals", "head": 0, "tail": 0}]}\n')
    done = cli.run("eval", "relations", "--dataset", str(bad), data_dir=tmp_path / "data")
    assert done.returncode == 1 and "error:" in done.stderr and "bad.jsonl:1" in done.stderr
    done = cli.run("eval", "relations", "--entities", "guessed", data_dir=tmp_path / "data")
    assert done.returncode == 2


def test_cli_eval_relations_with_predicted_entities(tmp_path: Path) -> None:
    done = cli.run("eval", "relations", "--entities", "predicted", "--json", data_dir=tmp_path / "data")
    if MEDICAL.ner is None:
        assert done.returncode == 1 and "has no entity model" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["entities"] == "predicted" and 0 < out["entity_match"]["f1"] <= 1
    assert out["product"]["f1"] > out["baseline"]["f1"]


def test_cli_medical_relations(tmp_path: Path) -> None:
    text = "Lisinopril was started for hypertension. The cough is not due to lisinopril."
    done = cli.run("medical", "relations", "-", "--json", data_dir=tmp_path / "data", stdin=text)
    if MEDICAL.ner is None:
        assert done.returncode == 1 and "has no entity model" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    pairs = {(r["type"], r["head"]["text"], r["tail"]["text"]) for r in out["relations"]}
    assert ("treats", "Lisinopril", "hypertension") in pairs
    assert not any(r["tail"]["text"] == "cough" for r in out["relations"])
    # an identifier is never a drug; empty text is an error
    text = "Patient John Smith (MRN 4829173, phone 617-555-0143) was seen for hypertension."
    done = cli.run("medical", "relations", text, "--json", data_dir=tmp_path / "data")
    out = json.loads(done.stdout)
    assert [e["text"] for e in out["entities"]] == ["hypertension"] and out["relations"] == []
    done = cli.run("medical", "relations", "", data_dir=tmp_path / "data")
    assert done.returncode == 1 and "the text is empty" in done.stderr


def test_a_test_set_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"text": "caf\xe9"}\n')
    with pytest.raises(RelationError, match="not UTF-8"):
        load_relation_set(path)
