"""The medical entity recognizer: tokens, lexicon matching, the shipped CRF model, training and scoring."""

from __future__ import annotations

from pathlib import Path

import pytest

from domains import load_domains
from pipelines.evals.ner import evaluate_ner, find_test_files, score_entities
from pipelines.skills.medical.context import apply_context, context_terms, tag_with_context
from pipelines.skills.medical.entities import MODEL_FILE, MedicalEntityRecognizer, NerError
from pipelines.skills.medical.lexicon import TermLexicon, build_training_lexicon, entities_from_tags, tokenize
from pipelines.training.ner import NerTrainingConfig, train_ner_model
from pipelines.training.ner_corpus import read_iob, read_phrases

SHARED = Path(__file__).resolve().parents[5] / "shared" / "datasets" / "medical_ner"
MEDICAL = load_domains()["medical"]
assert MEDICAL.ner is not None
MODEL_DIR = MEDICAL.resolve(MEDICAL.ner.model)
TRAIN = MEDICAL.resolve(MEDICAL.ner.training_data[0])


@pytest.fixture(scope="module")
def recognizer() -> MedicalEntityRecognizer:
    return MedicalEntityRecognizer(MODEL_DIR)


def test_tokenize_splits_like_the_bc5cdr_files() -> None:
    tokens = tokenize("5-HT-induced hypotension (FK506), 2.5 mg")
    assert [t.text for t in tokens] == [
        "5",
        "-",
        "HT",
        "-",
        "induced",
        "hypotension",
        "(",
        "FK506",
        ")",
        ",",
        "2",
        ".",
        "5",
        "mg",
    ]
    assert (tokens[5].start, tokens[5].end) == (13, 24)


def test_entities_from_tags_gives_character_offsets_and_starts_a_stray_i_tag() -> None:
    text = "Cocaine induced heart attack"
    tokens = tokenize(text)
    entities = entities_from_tags(text, tokens, ["B-CHEMICAL", "O", "I-DISEASE", "I-DISEASE"])
    assert [(e.label, e.text, e.start, e.end) for e in entities] == [
        ("CHEMICAL", "Cocaine", 0, 7),
        ("DISEASE", "heart attack", 16, 28),
    ]
    with pytest.raises(ValueError, match="3 tokens but 2 tags"):
        entities_from_tags("a b c", tokenize("a b c"), ["O", "O"])


def test_lexicon_prefers_the_longest_match() -> None:
    lexicon = TermLexicon.from_phrases(
        [("heart", "DISEASE"), ("heart failure", "DISEASE"), ("digoxin", "CHEMICAL")]
    )
    words = ["Digoxin", "for", "heart", "failure", "and", "heart"]
    assert lexicon.match(words) == ["B-CHEMICAL", "O", "B-DISEASE", "I-DISEASE", "O", "B-DISEASE"]


def test_training_lexicon_drops_mentions_annotated_in_under_half_their_occurrences() -> None:
    sentences = [
        (["control", "of", "pain"], ["B-DISEASE", "O", "B-DISEASE"]),
        (["control", "group"], ["O", "O"]),
        (["control", "subjects"], ["O", "O"]),
        (["pain", "relief"], ["B-DISEASE", "O"]),
    ]
    lexicon = build_training_lexicon(sentences, min_precision=0.5)
    assert lexicon.terms == {("pain",): "DISEASE"}  # "control": annotated 1 of 3 times


def test_entity_scores_on_a_hand_computed_example() -> None:
    gold = [["B-DISEASE", "I-DISEASE", "O", "B-CHEMICAL"], ["B-CHEMICAL", "O", "B-DISEASE"]]
    predicted = [["B-DISEASE", "O", "O", "B-CHEMICAL"], ["B-CHEMICAL", "O", "B-CHEMICAL"]]
    # gold: D(0-2), C(3), C(0), D(2) = 4 entities; predicted: D(0-1) wrong boundary, C(3) ok, C(0) ok, C(2) wrong
    scores = score_entities(gold, predicted)
    assert (scores.precision, scores.recall, scores.f1) == (0.5, 0.5, 0.5)
    assert scores.per_type["CHEMICAL"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert scores.per_type["DISEASE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    with pytest.raises(ValueError, match="differ in shape"):
        score_entities(gold, predicted[:1])


def test_read_iob_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("Aspirin\tB-Chemical\nworks\tX-Thing\n")
    with pytest.raises(NerError, match=r"bad.tsv:2: expected"):
        read_iob(bad)
    latin = tmp_path / "latin.tsv"
    latin.write_bytes(b"caf\xe9\tO\n")
    with pytest.raises(NerError, match="UTF-8 text expected"):
        read_iob(latin)
    empty = tmp_path / "empty.tsv"
    empty.write_text("\n\n")
    with pytest.raises(NerError, match="no sentences"):
        read_iob(empty)


def test_shipped_model_loads_offline_and_finds_known_entities(recognizer: MedicalEntityRecognizer) -> None:
    text = "Cocaine-induced myocardial infarction was treated with aspirin.\nNo evidence of hepatotoxicity."
    found = {(e.label, e.text) for e in recognizer.recognize(text)}
    assert {
        ("CHEMICAL", "Cocaine"),
        ("DISEASE", "myocardial infarction"),
        ("CHEMICAL", "aspirin"),
        ("DISEASE", "hepatotoxicity"),
    } <= found
    for entity in recognizer.recognize(text):
        assert text[entity.start : entity.end] == entity.text
    info = recognizer.info
    assert info["labels"] == ["CHEMICAL", "DISEASE"] and info["sentences"] > 9000
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) < 5_000_000  # small enough to commit


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NerError, match="missing or malformed"):
        MedicalEntityRecognizer(tmp_path / "nothing")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets/medical_ner is not beside the repo")
def test_evaluation_beats_the_dictionary_on_bc5cdr_test_sentences(
    recognizer: MedicalEntityRecognizer,
) -> None:
    files = find_test_files(SHARED)
    assert [f.parent.name for f in files] == ["BC5CDR-IOB", "NCBI-disease-IOB"]
    result = evaluate_ner(recognizer, files[0], limit=400)
    assert result.sentences == 400 and result.types == ("CHEMICAL", "DISEASE")
    assert result.product.f1 > result.baseline.f1 + 0.03
    assert result.product.f1 > 0.75
    ncbi = evaluate_ner(recognizer, files[1], limit=200)
    assert ncbi.types == ("DISEASE",) and set(ncbi.product.per_type) == {"DISEASE"}


def test_training_writes_a_loadable_model_and_keeps_the_old_one_on_bad_data(tmp_path: Path) -> None:
    sentences = TRAIN.read_text(encoding="utf-8").split("\n\n")[:300]
    small = tmp_path / "small.tsv"
    small.write_text("\n\n".join(sentences) + "\n", encoding="utf-8")
    foci = tmp_path / "foci.tsv"
    foci.write_text("aspirin\tCHEMICAL\nheart failure\tDISEASE\n")
    out = tmp_path / "model"
    report = train_ner_model([small], out, foci, NerTrainingConfig(max_iterations=20, folds=3))
    assert report.sentences == 300 and report.features > 0 and (out / MODEL_FILE).is_file()
    model = MedicalEntityRecognizer(out)
    assert len(model.foci) == 2 and len(model.lexicon) > 50
    assert model.tag(["Aspirin", "-", "induced", "asthma"])[0] in ("B-CHEMICAL", "O")

    broken = tmp_path / "broken.tsv"
    broken.write_text("oops no tab here\n")
    before = (out / "model.crfsuite").read_bytes()
    with pytest.raises(NerError, match="broken.tsv:1"):
        train_ner_model([broken], out, None, NerTrainingConfig(max_iterations=5))
    assert (out / "model.crfsuite").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model-")] == []


def test_committed_foci_lexicon_is_well_formed() -> None:
    assert MEDICAL.ner is not None and MEDICAL.ner.lexicon_data is not None
    pairs = read_phrases(MEDICAL.resolve(MEDICAL.ner.lexicon_data))
    assert len(pairs) > 5000 and ("warfarin resistance", "DISEASE") in pairs


def test_context_pass_resolves_abbreviations_and_recurring_mentions() -> None:
    sentences = [
        ["Puromycin", "aminonucleoside", "(", "PAN", ")", "caused", "nephrosis", "."],
        ["PAN", "rats", "developed", "proteinuria", "and", "nephrosis", "."],
        ["No", "PAN", "was", "given", "to", "the", "controls", "."],
    ]
    tags = [
        ["B-CHEMICAL", "I-CHEMICAL", "O", "O", "O", "O", "B-DISEASE", "O"],
        ["O", "O", "O", "B-DISEASE", "O", "O", "O"],
        ["O", "O", "O", "O", "O", "O", "O", "O"],
    ]
    terms = context_terms(sentences, tags)
    assert terms[("PAN",)] == "CHEMICAL" and terms[("nephrosis",)] == "DISEASE"
    out = tag_with_context(sentences, tags)
    assert out[0][3] == "B-CHEMICAL"  # the definition's own short form
    assert out[1] == ["B-CHEMICAL", "O", "O", "B-DISEASE", "O", "B-DISEASE", "O"]
    assert out[2][1] == "B-CHEMICAL"
    # a window of 0 sentences: only the sentence itself is its context
    assert tag_with_context(sentences, tags, window=0)[2] == tags[2]


def test_context_pass_never_overwrites_a_tag_or_propagates_short_tokens() -> None:
    terms = {("heart", "failure"): "DISEASE", ("Na",): "CHEMICAL"}
    words = ["heart", "failure", "with", "heart", "failure"]
    tags = ["B-CHEMICAL", "I-CHEMICAL", "O", "O", "O"]
    assert apply_context(words, tags, terms) == ["B-CHEMICAL", "I-CHEMICAL", "O", "B-DISEASE", "I-DISEASE"]
    assert context_terms([["Na", "and", "K"]], [["B-CHEMICAL", "O", "B-CHEMICAL"]]) == {}


def test_recognize_uses_the_whole_text_as_context(recognizer: MedicalEntityRecognizer) -> None:
    text = "Treatment with remifentanil (RMF) was stopped.\nRMF was restarted later."
    found = [(e.label, e.text, e.start) for e in recognizer.recognize(text)]
    assert ("CHEMICAL", "remifentanil", 15) in found
    assert ("CHEMICAL", "RMF", text.index("RMF was")) in found  # the second line alone: "RMF" is unknown
    assert recognizer.tag(["RMF", "was", "restarted", "later", "."])[0] == "O"


def test_no_mention_spans_a_sentence_break(recognizer: MedicalEntityRecognizer) -> None:
    text = "Warfarin caused a GI bleed. Fever and cough are symptoms of pneumonia."
    for entity in recognizer.recognize(text):
        assert ". " not in entity.text
    assert ("DISEASE", "pneumonia") in {(e.label, e.text) for e in recognizer.recognize(text)}
