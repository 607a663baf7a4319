"""The learned router over the shipped domains: English and Chinese, and unsure when a question fits none."""

from __future__ import annotations

import numpy as np
import pytest

from domains import load_domains, out_of_domain_questions, routing_questions
from ingest import Embedder
from ingest.multilingual import MultilingualEncoder
from pipelines.chat.routing import OUT_OF_DOMAIN, Router, UnsureRouteError
from privacy import without_placeholders


@pytest.fixture(scope="module")
def multilingual() -> MultilingualEncoder:
    return MultilingualEncoder()


@pytest.fixture(scope="module")
def router(embedder: Embedder, multilingual: MultilingualEncoder) -> Router:
    domains = load_domains()
    questions = {name: routing_questions(config) for name, config in domains.items()}
    return Router(multilingual, questions, out_of_domain_questions(), english=embedder)


@pytest.mark.parametrize(
    ("question", "domain"),
    [
        ("I lost my debit card, how do I block it?", "finance"),
        ("Why was I charged a fee for paying in euros abroad?", "finance"),
        ("How long does an international transfer take?", "finance"),
        ("How do I read a CSV file with a header row in Python?", "code"),
        ("What does functools.lru_cache do?", "code"),
        ("My Go function returns an error, how should I retry it?", "code"),
        ("What are the symptoms of a heart attack?", "medical"),
        ("How is type 2 diabetes treated?", "medical"),
        ("Is a migraine different from a normal headache?", "medical"),
        # the two examples, routed to finance by the similarity router
        ("肺炎一定要吃抗生素吗？", "medical"),
        ("孕妇可以吃感冒药吗？", "medical"),
        ("我的银行卡被吞了怎么办", "finance"),
        ("怎么把两个分支合并到一起", "code"),
    ],
)
def test_questions_route_to_their_domain(router: Router, question: str, domain: str) -> None:
    decision = router.route(question)
    assert decision.domain == domain, decision
    assert decision.best == domain and not decision.unsure
    assert 0.4 <= decision.confidence <= 1.0
    assert set(decision.scores) == {"finance", "code", "medical"}
    assert sum(decision.scores.values()) + decision.out_of_domain == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "question",
    [
        "What is a good recipe for banana bread?",
        "Who won the football world cup in 1998?",
        "明天北京会下雨吗",
    ],
)
def test_questions_of_no_domain_are_unsure(router: Router, question: str) -> None:
    decision = router.route(question)
    assert decision.domain is None and decision.unsure, decision
    assert decision.out_of_domain > max(decision.scores.values())
    assert decision.best in decision.scores  # the best guess is still named


def test_pinned_domain_wins_with_full_confidence(router: Router) -> None:
    decision = router.route("What are the symptoms of a heart attack?", pinned="code")
    assert decision.domain == "code" and decision.confidence == 1.0 and decision.pinned
    with pytest.raises(KeyError):
        router.route("What are the symptoms of a heart attack?", pinned="cooking")


def test_a_probability_below_the_floor_is_unsure(multilingual: MultilingualEncoder) -> None:
    questions = {"finance": ["How do I block my card?"], "medical": ["What are flu symptoms?"]}
    sure = Router(multilingual, questions, floor=0.0).route("How do I block my card?")
    assert sure.domain == "finance"
    unsure = Router(multilingual, questions, floor=1.0).route("How do I block my card?")
    assert unsure.domain is None and unsure.best == "finance" and unsure.out_of_domain == 0.0


def test_bad_training_data_is_refused(multilingual: MultilingualEncoder) -> None:
    with pytest.raises(ValueError, match="labelled questions"):
        Router(multilingual, {})
    with pytest.raises(ValueError, match="labelled questions"):
        Router(multilingual, {"finance": []})
    with pytest.raises(ValueError, match="floor"):
        Router(multilingual, {"finance": ["a"]}, floor=1.5)


def test_one_domain_without_out_of_domain_questions_always_routes_there(
    multilingual: MultilingualEncoder,
) -> None:
    decision = Router(multilingual, {"finance": ["How do I block my card?"]}).route("anything at all")
    assert (
        decision.domain == "finance" and decision.confidence == 1.0 and OUT_OF_DOMAIN not in decision.scores
    )


def test_the_unsure_error_names_every_probability_and_the_choice(router: Router) -> None:
    error = UnsureRouteError(router.route("What is a good recipe for banana bread?"))
    message = str(error)
    assert message.startswith("not sure which domain this question is about (")
    assert all(name in message for name in ("finance", "code", "medical", "none of them"))
    assert "choose a domain" in message


def test_multilingual_vectors_are_unit_length_and_cross_lingual(multilingual: MultilingualEncoder) -> None:
    vectors = multilingual.encode(
        ["How do I block my card?", "我怎么冻结我的银行卡", "What are flu symptoms?"]
    )
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[1] @ vectors[2]  # a translation is nearer than another topic
    assert multilingual.encode([]).shape == (0, 512)


def test_two_classes_give_the_logistic_regressions_own_probabilities(
    multilingual: MultilingualEncoder,
) -> None:
    from sklearn.linear_model import LogisticRegression

    questions = {
        "finance": ["How do I block my card?", "What is the fee abroad?"],
        "medical": ["flu symptoms"],
    }
    router = Router(multilingual, questions)
    texts = [t for ts in questions.values() for t in ts]
    labels = [n for n, ts in questions.items() for _ in ts]
    reference = LogisticRegression(C=3.0, max_iter=3000).fit(multilingual.encode(texts), labels)
    expected = reference.predict_proba(multilingual.encode(["Is a cold contagious?"]))[0]
    got = router.probabilities("Is a cold contagious?")
    assert got["finance"] == pytest.approx(expected[0], abs=1e-4)
    assert got["medical"] == pytest.approx(expected[1], abs=1e-4)


def test_single_texts_are_kept_in_memory_only_and_forgotten_on_request(
    multilingual: MultilingualEncoder,
) -> None:
    first = multilingual.encode(["How do I block my card?"])
    again = multilingual.encode(["How do I block my card?"])
    assert np.array_equal(first, again) and "How do I block my card?" in multilingual._recent
    again[0, 0] = 5.0  # a caller changing its copy does not change the kept vector
    assert multilingual.encode(["How do I block my card?"])[0, 0] == first[0, 0]
    multilingual.forget()
    assert not multilingual._recent


@pytest.mark.parametrize("question", ["<PERSON_1>", "<PERSON_1> <PHONE_NUMBER_1>", "  <LOCATION_2>?  "])
def test_a_question_of_placeholders_only_belongs_to_no_domain(router: Router, question: str) -> None:
    decision = router.route(question)
    assert decision.domain is None and decision.out_of_domain == 1.0
    assert set(decision.scores.values()) == {0.0}


def test_placeholders_are_removed_before_routing(router: Router) -> None:
    assert without_placeholders("Do I need a visa for <LOCATION_1>?") == "Do I need a visa for ?"
    assert router.route("I am <PERSON_1>, my card <CREDIT_CARD_1> was stolen").domain == "finance"
    assert router.probabilities("<PERSON_1> how do I revert a git commit") == router.probabilities(
        "how do I revert a git commit"
    )
