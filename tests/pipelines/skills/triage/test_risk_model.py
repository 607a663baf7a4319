"""The learned risk layer beside the finance rules: scams described in words no rule has, in English and
Chinese; benign messages and cancel cues; the trainer and the loader's checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from domains import load_domains
from ingest.multilingual import MultilingualEncoder
from pipelines.core.errors import AssistantError
from pipelines.skills.triage.risk import RiskDetector, build_risk_detector
from pipelines.skills.triage.risk_model import BENIGN, RiskModel, RiskModelError
from pipelines.training.risk_model import load_risk_messages, train_risk_model


@pytest.fixture(scope="module")
def multilingual() -> MultilingualEncoder:
    return MultilingualEncoder()


@pytest.fixture(scope="module")
def rules() -> RiskDetector:
    risk = load_domains()["finance"].risk
    assert risk is not None
    return build_risk_detector(risk)


@pytest.fixture(scope="module")
def model(multilingual: MultilingualEncoder) -> RiskModel:
    config = load_domains()["finance"]
    assert config.risk is not None and config.risk.model is not None
    return RiskModel.load(config.resolve(config.risk.model), multilingual, list(config.risk.categories))


# the two examples and two more of the same kind, in words the rules were not written for
@pytest.mark.parametrize(
    "message",
    [
        "a text said my parcel is held until I pay a small fee by card",
        "the tax officer said I'd be arrested today unless I paid in gift cards",
        "一个自称海关的人说我的包裹里有违禁品，要我把钱转到安全账户配合调查",
        "someone on a dating app I never met keeps asking me to send money for his plane ticket",
    ],
)
def test_scams_in_new_words_are_found_by_meaning(rules: RiskDetector, model: RiskModel, message: str) -> None:
    learned = model.detect(message)
    # the category head often calls a described scam "fraud" (both escalate at high severity): the per-category
    # figures are in benchmarks/results/skills_heldout.md
    assert learned and learned[0][0] in ("scam", "fraud"), learned
    category = learned[0][0]
    assessment = rules.assess(message, None, learned)
    assert category in assessment.categories
    found = [e for e in assessment.evidence if e.rule == f"model/{category}"]
    assert found and found[0].text == "" and found[0].start == found[0].end == 0  # no span, no text
    assert assessment.severity == "high" and assessment.escalate


@pytest.mark.parametrize(
    "message",
    [
        "What time does the branch open on Saturday?",
        "How do I change the PIN of my card?",
        "你们周六营业吗",
        # greetings and fillers: a model trained with short risky messages and no short benign ones called
        # "hello" a scam and "ok" self-harm (2026-12-07; 300 short everyday messages are in its training data)
        "hello",
        "hi",
        "ok",
        "thanks",
        "你好",
        "在吗",
        "好的",
    ],
)
def test_ordinary_questions_stay_benign(model: RiskModel, message: str) -> None:
    assert model.detect(message) == []


def test_a_cancel_cue_drops_the_models_category(rules: RiskDetector) -> None:
    text = "I found my card, false alarm"
    assessment = rules.assess(text, None, [("fraud", 0.9)])
    assert "fraud" not in assessment.categories


def test_scores_are_probabilities(model: RiskModel) -> None:
    rows = model.probabilities(["my card was stolen", "hello"])
    assert rows.shape == (2, len(model.categories)) and np.allclose(rows.sum(axis=1), 1.0, atol=1e-5)
    scores = model.risk_scores(["a text said my parcel is held until I pay a small fee by card", "hello"])
    assert scores.shape == (2,) and scores[0] > model.threshold > scores[1]
    assert set(model.categories) <= set(load_domains()["finance"].risk.categories)  # type: ignore[union-attr]
    assert BENIGN not in model.categories


def _rows() -> list[tuple[str, list[str]]]:
    benign = ["What time do you open?", "How do I order a new card?", "你们几点开门", "怎么换卡"] * 3
    fraud = ["my card was stolen", "someone used my card", "我的卡被盗刷了", "有人盗用了我的卡"] * 3
    scam = [
        "a caller said to move my money to a safe account",
        "a text asked me to pay a parcel fee",
        "有人让我转账到安全账户",
        "短信说包裹要交费",
    ] * 3
    return [(t, []) for t in benign] + [(t, ["fraud"]) for t in fraud] + [(t, ["scam"]) for t in scam]


def test_training_writes_a_model_the_loader_reads(tmp_path: Path, multilingual: MultilingualEncoder) -> None:
    report = train_risk_model(_rows(), multilingual, tmp_path / "model", folds=3)
    assert report.messages == 36 and report.benign == 12 and 0.0 < report.threshold < 1.0
    assert set(report.cross_validated) == {"risky_recall", "benign_flagged"}
    loaded = RiskModel.load(tmp_path / "model", multilingual, ["fraud", "scam"])
    assert loaded.categories == ["fraud", "scam"]
    assert loaded.detect("有人盗用了我的卡") == [] or loaded.detect("有人盗用了我的卡")[0][0] == "fraud"
    assert loaded.probabilities(["someone used my card"])[0].argmax() == 0  # fraud, as trained
    with pytest.raises(RiskModelError, match="not in the domain's risk rules"):
        RiskModel.load(tmp_path / "model", multilingual, ["fraud"])
    with pytest.raises(RiskModelError, match="cannot read"):
        RiskModel.load(tmp_path / "nothing", multilingual)


def test_training_refuses_too_little_data(tmp_path: Path, multilingual: MultilingualEncoder) -> None:
    with pytest.raises(AssistantError, match="at least 5 benign"):
        train_risk_model(_rows()[:14], multilingual, tmp_path / "model")


def test_bad_training_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "risk.jsonl"
    path.write_text(
        json.dumps({"text": "x", "categories": ["fraud"]})
        + "\n"
        + json.dumps({"text": "y", "categories": ["ufo"]}),
        encoding="utf-8",
    )
    with pytest.raises(AssistantError, match=r"risk.jsonl:2: unknown risk categories ufo"):
        load_risk_messages(path, ["fraud"])


def test_an_intent_of_the_map_counts_only_when_the_model_agrees(
    rules: RiskDetector, model: RiskModel
) -> None:
    """An intent names a topic: setting up one's own new phone is ``lost_or_stolen_phone`` to an intent model,
    which the rules' map turns into account takeover; with the learned layer's score below the floor it does not
    count, above it (a stolen phone described in words no rule has) it does."""
    from pipelines.chat.signals import MessageSignals
    from pipelines.skills.triage.analyzers import RiskAnalyzer
    from pipelines.skills.triage.intent import IntentPrediction

    def signals(text: str) -> MessageSignals:
        return MessageSignals(
            intent=IntentPrediction(text, "lost_or_stolen_phone", 0.9, "lost_or_stolen_phone")
        )

    floor = load_domains()["finance"].risk.intent_floor  # type: ignore[union-attr]
    assert floor == 0.5
    own = "how do I set up the banking app on my new phone? it's my own, I just upgraded"
    assert model.judge(own)[0] < floor
    gated = RiskAnalyzer(rules, model, floor).analyze(own, signals(own)).risk
    assert gated is not None and gated.categories == []
    ungated = RiskAnalyzer(rules, model, 0.0).analyze(own, signals(own)).risk
    assert ungated is not None and ungated.categories == ["account_takeover"]
    taken = "my phone was snatched on the bus an hour ago and my banking app was logged in on it"
    score, _ = model.judge(taken)
    assert score >= floor, score
    found = RiskAnalyzer(rules, model, floor).analyze(taken, signals(taken)).risk
    assert found is not None and "account_takeover" in found.categories


def test_a_model_folder_of_an_older_format_is_refused_with_how_to_retrain(
    tmp_path: Path, multilingual: MultilingualEncoder
) -> None:
    folder = tmp_path / "model"
    train_risk_model(_rows(), multilingual, folder, folds=3)
    description = json.loads((folder / "risk_model.json").read_text())
    assert description["format"] == 3 and description["gamma"] > 0 and description["category_gamma"] > 0
    description["format"] = 2  # a logistic category head, before the per-category machines
    (folder / "risk_model.json").write_text(json.dumps(description))
    with pytest.raises(RiskModelError, match=r"format 2 is not 3: retrain it \(assistant train risk"):
        RiskModel.load(folder, multilingual)


def test_judge_gives_the_score_also_for_a_benign_message(model: RiskModel) -> None:
    score, found = model.judge("What time does the branch open on Saturday?")
    assert found == [] and 0.0 <= score <= model.threshold
    score, found = model.judge("a text said my parcel is held until I pay a small fee by card")
    assert found and found[0][1] == score > model.threshold


@pytest.mark.parametrize(
    ("message", "category"),
    [
        (
            "how long does a bank usually have to respond to a complaint? I'm studying for an exam",
            "complaint",
        ),
        ("My solicitor needs a copy of my statement for the house purchase", "legal_threat"),
        ("我想了解一下银行投诉一般多久处理完，写论文用", "complaint"),
    ],
)
def test_a_topic_word_below_high_severity_needs_the_models_agreement(
    rules: RiskDetector, model: RiskModel, message: str, category: str
) -> None:
    """``rule_floor``: a complaint procedure question or a solicitor's routine request has the rules' words but
    no risk; the learned layer scores it below the floor and the rule does not count."""
    from pipelines.chat.signals import MessageSignals
    from pipelines.skills.triage.analyzers import RiskAnalyzer

    floor = load_domains()["finance"].risk.rule_floor  # type: ignore[union-attr]
    assert floor == 0.2
    assert category in rules.assess(message).categories  # the rule alone fires
    assert model.judge(message)[0] < floor
    gated = RiskAnalyzer(rules, model, 0.5, floor).analyze(message, MessageSignals()).risk
    assert gated is not None and gated.categories == []


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("I want to make a complaint about the way I was treated in your branch", "complaint"),
        ("I'm taking you to court over these charges", "legal_threat"),
        ("我要投诉你们网点的服务态度", "complaint"),
        # disclosures are not gated (model_gated: false), even when the model scores them low
        ("I'm behind with my credit card payments, can I get a break?", "vulnerable_customer"),
        ("我爸爸去世了，想问一下他的账户怎么处理", "vulnerable_customer"),
        # high-severity rules always count
        ("what's the best way to spot a phishing email?", "scam"),
    ],
)
def test_real_complaints_threats_and_disclosures_still_count(
    rules: RiskDetector, model: RiskModel, message: str, category: str
) -> None:
    from pipelines.chat.signals import MessageSignals
    from pipelines.skills.triage.analyzers import RiskAnalyzer

    found = RiskAnalyzer(rules, model, 0.5, 0.2).analyze(message, MessageSignals()).risk
    assert found is not None and category in found.categories


def test_weak_rules_off_keeps_high_severity_and_ungated_categories(rules: RiskDetector) -> None:
    text = "I want to complain: my card was stolen and I lost my job, I can't pay the rent"
    every = rules.assess(text)
    assert {"complaint", "fraud", "vulnerable_customer"} <= set(every.categories)
    gated = rules.assess(text, weak_rules=False)
    assert "complaint" not in gated.categories  # low severity, gated
    assert {"fraud", "vulnerable_customer"} <= set(gated.categories)  # high; not model-gated


class _Fixed:
    """An encoder returning one fixed vector (the heads below are built around it)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.tile(np.asarray([1.0, 0.0], dtype=np.float32), (len(texts), 1))


def _two_category_model(probabilities: tuple[float, float, float], second: float | None) -> RiskModel:
    """A model that finds every message risky, with category heads whose Platt probabilities are
    ``probabilities`` (their decision values are the bias alone: no dual weight)."""
    from pipelines.core.kernel import RbfHead, RbfOneVsRest

    risky = RbfHead(np.asarray([[1.0, 0.0]], np.float32), np.asarray([5.0], np.float32), 0.0, 1.0)
    logits = np.log(np.asarray(probabilities) / (1.0 - np.asarray(probabilities)))
    heads = RbfOneVsRest(
        np.asarray([[1.0, 0.0]], np.float32),
        np.zeros((1, 3), np.float32),
        logits.astype(np.float32),
        1.0,
        np.tile(np.asarray([1.0, 0.0], np.float32), (3, 1)),
    )
    return RiskModel(_Fixed(), ["fraud", "scam", "complaint"], risky, (1.0, 0.0), heads, 0.5, second)


def test_the_second_likeliest_category_is_added_when_it_is_close() -> None:
    close = (0.5, 0.4, 0.1)  # scam at 0.8 of fraud
    far = (0.7, 0.2, 0.1)  # scam at 0.29 of fraud
    assert [c for c, _ in _two_category_model(close, 0.5).detect("x")] == ["fraud", "scam"]
    assert [c for c, _ in _two_category_model(far, 0.5).detect("x")] == ["fraud"]
    assert [c for c, _ in _two_category_model(close, None).detect("x")] == ["fraud"]
    with pytest.raises(RiskModelError, match="second_category 1.5 outside"):
        _two_category_model(close, 1.5)


def test_an_intent_counts_only_when_the_model_gives_its_category_some_probability(
    rules: RiskDetector, model: RiskModel
) -> None:
    """``intent_agreement``: a risky debt message that the Chinese intent head called
    ``cash_withdrawal_not_recognised`` (a new-user trial, 2026-12-07) is no fraud; an unrecognised withdrawal
    is."""
    from pipelines.chat.signals import MessageSignals
    from pipelines.skills.triage.analyzers import RiskAnalyzer
    from pipelines.skills.triage.intent import IntentPrediction

    label = "cash_withdrawal_not_recognised"
    risk = load_domains()["finance"].risk
    assert risk is not None and risk.intent_agreement == 0.2 and rules.intent_category(label) == "fraud"
    analyzer = RiskAnalyzer(rules, model, risk.intent_floor, risk.rule_floor, risk.intent_agreement)

    def categories(text: str) -> list[str]:
        signals = MessageSignals(intent=IntentPrediction(text, label, 0.9, label))
        found = analyzer.analyze(text, signals).risk
        assert found is not None
        return found.categories

    debt = "我失业半年了，信用卡欠了八万还不上，催收天天打电话到我单位。"
    score, _, probabilities = model.judgement(debt)
    assert score >= risk.intent_floor and probabilities["fraud"] < risk.intent_agreement
    assert categories(debt) == ["vulnerable_customer"]
    withdrawal = "两百块被人在ATM取走了，我根本没去过那台机器"
    assert model.judgement(withdrawal)[2]["fraud"] >= risk.intent_agreement
    assert "fraud" in categories(withdrawal)
