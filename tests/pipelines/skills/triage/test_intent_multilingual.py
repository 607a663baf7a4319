"""The intent model's multilingual head: Chinese messages get BANKING77 intents; English ones keep the ensemble."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from domains import load_domains
from ingest.multilingual import MultilingualEncoder
from pipelines.core.errors import AssistantError
from pipelines.skills.triage.intent import UNKNOWN, IntentClassifier, IntentError
from pipelines.skills.triage.intent_multilingual import MultilingualHead, needs_multilingual
from pipelines.training.intent_multilingual import load_labelled_jsonl, train_multilingual_head


@pytest.fixture(scope="module")
def multilingual() -> MultilingualEncoder:
    return MultilingualEncoder()


@pytest.fixture(scope="module")
def intents(multilingual: MultilingualEncoder) -> IntentClassifier:
    config = load_domains()["finance"]
    assert config.intent is not None
    return IntentClassifier.load(
        config.resolve(config.intent.model), config.intent.unknown_threshold, "onnx-int8", None, multilingual
    )


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("我的钱包在地铁上被偷了，卡也在里面", "lost_or_stolen_card"),
        ("新卡寄出两个星期了还没收到", "card_arrival"),
        ("ATM机把我的卡吞了怎么办", "card_swallowed"),
        ("我想把账户注销掉", "terminate_account"),
    ],
)
def test_chinese_messages_get_their_intent(intents: IntentClassifier, message: str, intent: str) -> None:
    assert intents.multilingual is not None
    (prediction,) = intents.predict([message])
    assert prediction.intent == intent, prediction


def test_english_messages_are_answered_by_the_ensemble_alone(intents: IntentClassifier) -> None:
    english = "I think my card was stolen, someone took my wallet on the bus"
    mixed = intents.probabilities([english, "我的卡被偷了"])
    head = intents.multilingual
    assert head is not None
    intents.multilingual = None
    try:
        alone = intents.probabilities([english])
    finally:
        intents.multilingual = head
    assert np.allclose(mixed[0], alone[0], atol=1e-5)
    assert np.allclose(mixed.sum(axis=1), 1.0, atol=1e-4)


def test_which_messages_need_the_head() -> None:
    assert needs_multilingual("我的卡丢了") and needs_multilingual("My 卡 is lost")
    assert not needs_multilingual("My card is lost") and not needs_multilingual("Ma carte est perdue")


def _model_folder(tmp_path: Path) -> Path:
    """An intent model folder of two labels (only its description: the head is trained beside it)."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "intent_model.json").write_text(
        json.dumps({"format": 1, "labels": ["card_arrival", "pin_blocked"]})
    )
    return folder


def test_training_writes_a_head_the_classifier_loads(
    tmp_path: Path, multilingual: MultilingualEncoder
) -> None:
    folder = _model_folder(tmp_path)
    chinese = (
        ["卡还没到", "卡怎么还没寄到", "密码输错被锁了", "PIN被锁住了"],
        ["card_arrival", "card_arrival", "pin_blocked", "pin_blocked"],
    )
    english = (["Where is my card?", "My PIN is blocked"], ["card_arrival", "pin_blocked"])
    report = train_multilingual_head(folder, multilingual, chinese, english, english_per_label=1)
    assert report.examples == {"foreign": 4, "english": 2} and report.labels == 2
    assert json.loads((folder / "intent_model.json").read_text())["multilingual"] == "multilingual_lr"
    # four Chinese messages are fewer than the five folds that fit a temperature
    assert json.loads((report.folder / "intent_model.json").read_text())["temperature"] == 1.0
    head = MultilingualHead.load(report.folder, ["card_arrival", "pin_blocked"], multilingual)
    probabilities = head.probabilities(["我的卡还没收到", "密码被锁"])
    assert probabilities.shape == (2, 2) and list(probabilities.argmax(axis=1)) == [0, 1]
    with pytest.raises(IntentError, match="does not match"):
        MultilingualHead.load(report.folder, ["a", "b", "c"], multilingual)
    described = json.loads((report.folder / "intent_model.json").read_text())
    (report.folder / "intent_model.json").write_text(json.dumps({**described, "temperature": 0}))
    with pytest.raises(IntentError, match="not a positive number"):
        MultilingualHead.load(report.folder, ["card_arrival", "pin_blocked"], multilingual)


def test_the_temperature_is_fitted_on_out_of_fold_predictions(multilingual: MultilingualEncoder) -> None:
    from pipelines.training.intent_multilingual import fit_temperature

    texts = [
        "卡还没到",
        "卡怎么还没寄到",
        "新卡在路上吗",
        "密码输错被锁了",
        "PIN被锁住了",
        "密码锁了怎么办",
        "转账失败了",
        "汇款没成功",
        "钱转不出去",
    ]
    labels = ["card_arrival"] * 3 + ["pin_blocked"] * 3 + ["failed_transfer"] * 3
    temperature = fit_temperature(multilingual.encode(texts), labels, len(texts), 10.0, 3, 0)
    assert 0.05 <= temperature <= 20.0 and temperature != 1.0
    assert fit_temperature(multilingual.encode(texts), labels, 2, 10.0, 3, 0) == 1.0


def test_training_refuses_unknown_or_missing_labels(
    tmp_path: Path, multilingual: MultilingualEncoder
) -> None:
    folder = _model_folder(tmp_path)
    with pytest.raises(AssistantError, match="not one of the intent model's labels"):
        train_multilingual_head(folder, multilingual, (["卡"], ["nope"]), ([], []))
    with pytest.raises(AssistantError, match="no training message for intents pin_blocked"):
        train_multilingual_head(folder, multilingual, (["卡还没到"], ["card_arrival"]), ([], []))


def test_bad_training_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "zh.jsonl"
    path.write_text('{"text": "卡还没到", "label": "card_arrival"}\n{"text": ""}\n', encoding="utf-8")
    with pytest.raises(AssistantError, match=r"zh.jsonl:2: expected an object"):
        load_labelled_jsonl(path)
    assert UNKNOWN == "unknown"
