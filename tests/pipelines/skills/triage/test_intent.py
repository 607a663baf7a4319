"""Intent recognition: the shipped finance model, the training pipeline, the metric code and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pipelines.evals.intent import accuracy, confusion_pairs, macro_f1
from pipelines.services import Services
from pipelines.skills.triage.intent import UNKNOWN, IntentClassifier, IntentError
from pipelines.training.intent import (
    TrainingConfig,
    load_labelled_csv,
    train_intent_ensemble,
    train_intent_model,
)
from privacy import without_placeholders
from tests.cli_runner import run
from tests.conftest import CANARY_CARD, CANARY_NAME

BANKING77 = Path(__file__).resolve().parents[5] / "shared" / "datasets" / "banking77"


@pytest.fixture(scope="module")
def finance_intents() -> IntentClassifier:
    """The shipped finance model (domains/finance/intent/model), loaded offline."""
    from domains import load_domains

    config = load_domains()["finance"]
    assert config.intent is not None
    return IntentClassifier.load(config.resolve(config.intent.model), config.intent.unknown_threshold)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("I think my card was stolen, someone took my wallet on the bus", "lost_or_stolen_card"),
        ("My new card still hasn't arrived, it's been two weeks", "card_arrival"),
        ("What is the exchange rate for euros?", "exchange_rate"),
        ("How do I top up my account with a bank transfer?", "transfer_into_account"),
        ("There is a payment on my card I did not make", "card_payment_not_recognised"),
        ("Can I change my PIN at an ATM?", "change_pin"),
    ],
)
def test_shipped_model_recognises_known_intents(
    finance_intents: IntentClassifier, message: str, intent: str
) -> None:
    [prediction] = finance_intents.predict([message])
    assert (prediction.intent, prediction.label) == (intent, intent)
    assert finance_intents.threshold <= prediction.confidence <= 1.0


def test_a_greeting_is_unknown_not_forced_into_an_intent(finance_intents: IntentClassifier) -> None:
    [greeting] = finance_intents.predict(["hello"])
    assert greeting.intent == UNKNOWN and greeting.confidence < finance_intents.threshold
    assert greeting.label in finance_intents.labels


@pytest.mark.parametrize(
    ("redacted", "plain"),
    [
        ("I am <PERSON_1>, where is my new card?", "I am , where is my new card?"),
        ("Card <CREDIT_CARD> and <PERSON#1a2b3c4d>  lost", "Card and lost"),
        ("<PERSON_1>", ""),
    ],
)
def test_placeholders_are_removed_before_classifying(redacted: str, plain: str) -> None:
    assert without_placeholders(redacted) == plain


def test_a_placeholder_does_not_change_the_intent(finance_intents: IntentClassifier) -> None:
    with_name, without = finance_intents.predict(
        ["I am <PERSON_1>, where is my new card?", "I am , where is my new card?"]
    )
    assert with_name.intent == without.intent == "card_arrival"
    assert with_name.confidence == pytest.approx(without.confidence)


def test_low_confidence_is_reported_as_unknown_with_the_label_kept(finance_intents: IntentClassifier) -> None:
    strict = IntentClassifier(finance_intents.members, finance_intents.labels, threshold=0.999999)
    [vague] = strict.predict(["hello"])
    assert vague.intent == UNKNOWN and vague.label in finance_intents.labels and vague.confidence < 0.999999
    assert vague.to_json_dict() == {
        "text": "hello",
        "intent": UNKNOWN,
        "confidence": round(vague.confidence, 4),
    }


def test_probabilities_are_one_distribution_per_message(finance_intents: IntentClassifier) -> None:
    probabilities = finance_intents.probabilities(["card arrival?", "exchange rate?", "refund please"])
    assert probabilities.shape == (3, 77)
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)


def test_an_empty_message_is_an_error(finance_intents: IntentClassifier) -> None:
    with pytest.raises(IntentError, match="text 2 is empty"):
        finance_intents.predict(["card arrival", "  "])


def test_a_missing_model_folder_says_how_to_train_one(tmp_path: Path) -> None:
    with pytest.raises(IntentError, match="assistant train intent"):
        IntentClassifier.load(tmp_path / "nothing", 0.5)


def test_services_load_the_finance_model_and_none_for_a_domain_without_one(services: Services) -> None:
    assert services.intent_classifier("code") is None
    finance = services.intent_classifier("finance")
    assert finance is not None and len(finance.labels) == 77
    assert services.intent_classifier("finance") is finance


@pytest.fixture(scope="module")
def int8_intents() -> IntentClassifier:
    """The shipped finance model with both sentence encoders run by ONNX Runtime with int8 weights."""
    from domains import load_domains

    config = load_domains()["finance"]
    assert config.intent is not None
    return IntentClassifier.load(
        config.resolve(config.intent.model), config.intent.unknown_threshold, "onnx-int8"
    )


@pytest.mark.skipif(not BANKING77.is_dir(), reason="../shared/datasets/banking77 is not beside the repo")
def test_int8_encoders_agree_with_torch_on_banking77_messages(
    finance_intents: IntentClassifier, int8_intents: IntentClassifier
) -> None:
    import numpy

    with (BANKING77 / "test.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][::10]  # 308 messages, every intent
    torch_rows, int8_rows = finance_intents.probabilities(texts), int8_intents.probabilities(texts)
    assert not numpy.allclose(torch_rows, int8_rows)  # another computation, not the torch one again
    agreement = float(numpy.mean(torch_rows.argmax(1) == int8_rows.argmax(1)))
    assert agreement >= 0.97, agreement  # measured on all 3,080: accuracy 0.9442 vs 0.9458


def test_an_int8_intent_does_not_depend_on_the_other_messages(int8_intents: IntentClassifier) -> None:
    import numpy

    alone = int8_intents.probabilities(["my card has not arrived yet"])
    together = int8_intents.probabilities(
        ["my card has not arrived yet", "what is the fee for a transfer abroad?"]
    )
    # float rounding of different matrix shapes only; a shared int8 activation scale moved them by ~1e-3
    numpy.testing.assert_allclose(alone[0], together[0], atol=1e-6)


def test_an_unknown_intent_encoder_backend_is_refused() -> None:
    from domains import load_domains

    config = load_domains()["finance"]
    assert config.intent is not None
    with pytest.raises(IntentError, match="unknown intent encoder backend 'gpu'"):
        IntentClassifier.load(config.resolve(config.intent.model), 0.5, "gpu")


def test_an_unwritable_export_folder_is_a_clear_error(tmp_path: Path) -> None:
    from domains import load_domains

    config = load_domains()["finance"]
    assert config.intent is not None
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(IntentError, match="cannot make the intent model's ONNX export in .*ONNX_CACHE_DIR"):
        IntentClassifier.load(config.resolve(config.intent.model), 0.5, "onnx-int8", blocker / "cache")


@pytest.mark.parametrize(("backend", "kind"), [("auto", "OnnxIntentMember"), ("torch", "IntentMember")])
def test_the_services_run_the_intent_encoders_by_the_embedding_setting(
    tmp_path: Path, backend: str, kind: str
) -> None:
    from pipelines import load_settings

    settings = load_settings(data_dir=tmp_path / "data")
    settings.embedding.backend = backend  # type: ignore[assignment]
    finance = Services(settings).intent_classifier("finance")
    assert finance is not None
    assert [type(m).__name__ for m in finance.members] == [kind, "LinearMember", "LinearMember"]
    frozen = finance.members[1].featurize  # type: ignore[attr-defined]
    assert (getattr(frozen, "__self__", None).__class__.__name__ == "OnnxInt8Encoder") == (backend == "auto")


def test_metrics_on_a_hand_computed_case() -> None:
    gold = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "b", "a"]
    assert accuracy(gold, predicted) == pytest.approx(3 / 5)
    # F1: a = 2*1/(2+1+1) = 0.5; b = 2*2/(4+1+0) = 0.8; c = 0 (never predicted) -> mean 0.4333
    assert macro_f1(gold, predicted) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert confusion_pairs(gold, predicted) == [
        {"gold": "a", "predicted": "b", "count": 1},
        {"gold": "c", "predicted": "a", "count": 1},
    ]
    # an abstention counts against the gold label only
    assert macro_f1(["a", "b"], ["a", UNKNOWN]) == pytest.approx((1.0 + 0.0) / 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,label\nhi,greeting\n", "expected a header with columns text,category"),
        ("text,category\nhi,greeting\n,card_arrival\n", r":3: empty text or category"),
        ("text,category\n", "no labelled rows"),
    ],
)
def test_malformed_training_data_is_an_error_naming_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "train.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IntentError, match=message):
        load_labelled_csv(path)


def _tiny_training_set() -> tuple[list[str], list[str]]:
    texts, labels = load_labelled_csv(
        Path(__file__).resolve().parents[4] / "domains/finance/intent/train.csv"
    )
    wanted = ("card_arrival", "exchange_rate", "lost_or_stolen_card")
    picked = [(t, label) for t, label in zip(texts, labels, strict=True) if label in wanted]
    chosen: list[tuple[str, str]] = []
    for label in wanted:
        chosen += [pair for pair in picked if pair[1] == label][:12]
    return [t for t, _ in chosen], [label for _, label in chosen]


def test_training_writes_a_loadable_model_and_is_seeded(tmp_path: Path) -> None:
    texts, labels = _tiny_training_set()
    config = TrainingConfig(epochs=2, batch_size=12, seed=7)
    steps: list[int] = []
    first = train_intent_model(texts, labels, tmp_path / "a", config, lambda s, n, loss: steps.append(s))
    second = train_intent_model(texts, labels, tmp_path / "b", config)
    assert first.steps == 6 and steps == list(range(1, 7)) and first.labels == 3
    assert 0 < first.size_bytes < 5_000_000
    head_a = (tmp_path / "a" / "head.safetensors").read_bytes()
    assert head_a == (tmp_path / "b" / "head.safetensors").read_bytes()
    description = json.loads((tmp_path / "a" / "intent_model.json").read_text())
    assert description["labels"] == ["card_arrival", "exchange_rate", "lost_or_stolen_card"]
    model = IntentClassifier.load(tmp_path / "a", 0.0)
    [prediction] = model.predict(["where is my new card? it has not been delivered"])
    assert prediction.label in description["labels"]
    assert second.seconds > 0 and not list(tmp_path.glob(".intent-*"))


def test_training_refuses_a_single_label(tmp_path: Path) -> None:
    with pytest.raises(IntentError, match="at least 2 distinct labels"):
        train_intent_model(["a", "b"], ["x", "x"], tmp_path / "m")


def test_cli_intent_reads_stdin_and_prints_json_lines_without_raw_pii(tmp_path: Path) -> None:
    messages = f"My card {CANARY_CARD} was stolen yesterday\nI am {CANARY_NAME}, where is my new card?\n"
    done = run("intent", "-", data_dir=tmp_path / "data", stdin=messages)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [set(row) for row in rows] == [{"text", "intent", "confidence"}] * 2
    assert [row["intent"] for row in rows] == ["lost_or_stolen_card", "card_arrival"]
    assert CANARY_CARD not in done.stdout and CANARY_NAME not in done.stdout and "<" in rows[0]["text"]


def test_cli_intent_refuses_a_domain_without_a_model(tmp_path: Path) -> None:
    done = run("intent", "parse json", "--domain", "code", data_dir=tmp_path / "data")
    assert done.returncode == 1 and "has no intent model" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not BANKING77.is_dir(), reason="../shared/datasets/banking77 is not beside the repo")
def test_cli_eval_intent_json_has_product_and_baseline(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    with (BANKING77 / "test.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[::40]  # one message of each of the 77 intents
    with sample.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(rows)
    done = run("eval", "intent", "--dataset", str(sample), "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["examples"] == 77
    for system in ("product", "baseline"):
        assert 0.5 < result[system]["accuracy"] <= 1.0 and 0.0 < result[system]["macro_f1"] <= 1.0
    assert {"gold", "predicted", "count"} <= set(result["confusions"][0]) if result["confusions"] else True


def test_an_ensemble_averages_its_members_and_replaces_the_folder_only_when_done(tmp_path: Path) -> None:
    texts, labels = _tiny_training_set()
    config = TrainingConfig(epochs=1, batch_size=12)
    target = tmp_path / "model"
    target.mkdir()
    (target / "intent_model.json").write_text('{"format": 1, "ensemble": ["old"]}')  # a previous model
    steps: list[tuple[int, int]] = []
    report = train_intent_ensemble(
        texts, labels, target, [3, 4], config, lambda s, n, _: steps.append((s, n))
    )
    assert sorted(p.name for p in target.iterdir()) == [
        "embedding_lr",
        "intent_model.json",
        "seed3",
        "seed4",
        "tfidf_lr",
    ]
    assert report.steps == 6 and report.labels == 3
    assert steps == [(s, 8) for s in range(1, 9)]  # 2 x 3 optimisation steps, then one per linear member
    ensemble = IntentClassifier.load(target, 0.0)
    names = ("seed3", "seed4", "embedding_lr", "tfidf_lr")
    members = [IntentClassifier.load(target / name, 0.0) for name in names]
    message = ["I lost my card on the train"]
    averaged = sum(member.probabilities(message) for member in members) / 4
    assert ensemble.probabilities(message) == pytest.approx(averaged, abs=1e-6)
    assert [m.kind for m in ensemble.members] == ["lora", "lora", "embedding_lr", "tfidf_lr"]
    assert [m["name"] for m in ensemble.description["training"]["members"]] == list(names)
    assert ensemble.method == "lora + lora + embedding_lr + tfidf_lr (probabilities averaged)"


def test_an_ensemble_without_linear_members_has_only_the_fine_tuned_ones(tmp_path: Path) -> None:
    texts, labels = _tiny_training_set()
    train_intent_ensemble(
        texts, labels, tmp_path / "m", [1, 2], TrainingConfig(epochs=1, batch_size=12), None, ()
    )
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["intent_model.json", "seed1", "seed2"]


def test_the_shipped_model_is_the_fine_tuned_encoder_and_two_linear_members(
    finance_intents: IntentClassifier,
) -> None:
    assert [m.kind for m in finance_intents.members] == ["lora", "embedding_lr", "tfidf_lr"]
    message = ["my card has not arrived yet"]
    each = [member.probabilities(message) for member in finance_intents.members]
    assert finance_intents.probabilities(message) == pytest.approx(sum(each) / 3, abs=1e-6)
    for probabilities in each:  # every member alone already knows this one
        assert finance_intents.labels[int(probabilities.argmax())] == "card_arrival"


def test_a_linear_member_reloaded_from_disk_predicts_like_the_fitted_scikit_learn_model(
    tmp_path: Path,
) -> None:
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from pipelines.skills.triage.intent import read_description
    from pipelines.skills.triage.intent_linear import (
        LINEAR_C,
        TFIDF_FEATURES,
        TFIDF_LR,
        load_linear_member,
        train_linear_member,
    )

    texts, labels = _tiny_training_set()
    names = sorted(set(labels))
    facts = train_linear_member(TFIDF_LR, texts, labels, names, tmp_path / "t")
    member, loaded_labels = load_linear_member(tmp_path / "t", read_description(tmp_path / "t"))
    assert loaded_labels == names and facts["examples"] == 36 and facts["features"] == member.coef.shape[1]

    vectorizers = [TfidfVectorizer(**spec).fit(texts) for spec in TFIDF_FEATURES]
    reference = LogisticRegression(C=LINEAR_C, max_iter=3000).fit(
        hstack([v.transform(texts) for v in vectorizers]), labels
    )
    unseen = [
        "someone stole my wallet with the card",
        "what rate do you give for dollars",
        "card not here yet",
    ]
    expected = reference.predict_proba(hstack([v.transform(unseen) for v in vectorizers]))
    assert list(reference.classes_) == names
    assert member.probabilities(unseen) == pytest.approx(expected, abs=2e-3)  # float16 weights
    assert [names[i] for i in np.argmax(member.probabilities(unseen), axis=1)] == list(
        names[i] for i in expected.argmax(1)
    )


def test_refitting_the_linear_members_keeps_the_fine_tuned_one_byte_for_byte(tmp_path: Path) -> None:
    from pipelines.training.intent import refit_linear_members

    texts, labels = _tiny_training_set()
    target = tmp_path / "model"
    train_intent_model(texts, labels, target, TrainingConfig(epochs=1, batch_size=12, seed=5))
    head = (target / "head.safetensors").read_bytes()
    report = refit_linear_members(texts, labels, target)
    assert sorted(p.name for p in target.iterdir()) == [
        "embedding_lr",
        "intent_model.json",
        "seed5",
        "tfidf_lr",
    ]
    assert (target / "seed5" / "head.safetensors").read_bytes() == head and report.steps == 2
    refit_linear_members(texts, labels, target, ("tfidf_lr",))  # again, on the ensemble: one linear kind only
    assert sorted(p.name for p in target.iterdir()) == ["intent_model.json", "seed5", "tfidf_lr"]
    assert (target / "seed5" / "head.safetensors").read_bytes() == head
    assert [m.kind for m in IntentClassifier.load(target, 0.5).members] == ["lora", "tfidf_lr"]
    with pytest.raises(IntentError, match="labels differ"):
        refit_linear_members(texts[:24], labels[:24], target)
    with pytest.raises(IntentError, match="distinct kinds"):
        refit_linear_members(texts, labels, target, ("svm",))
    with pytest.raises(IntentError, match="assistant train intent"):
        refit_linear_members(texts, labels, tmp_path / "none")


def test_an_ensemble_needs_distinct_seeds(tmp_path: Path) -> None:
    with pytest.raises(IntentError, match="distinct seeds"):
        train_intent_ensemble(["a", "b"], ["x", "y"], tmp_path / "m", [1, 1])


def test_cli_linear_only_refuses_options_that_would_retrain_the_fine_tuned_member(tmp_path: Path) -> None:
    done = run("train", "intent", "--linear-only", "--seed", "3", data_dir=tmp_path / "data")
    assert done.returncode == 1 and "--linear-only keeps the fine-tuned members" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_cli_linear_only_with_out_keeps_the_domains_model_untouched(tmp_path: Path) -> None:
    from domains import load_domains

    config = load_domains()["finance"]
    assert config.intent is not None
    shipped = config.resolve(config.intent.model)
    before = {p: p.stat().st_mtime_ns for p in shipped.rglob("*")}
    out = tmp_path / "refit"
    done = run("train", "intent", "--linear-only", "--out", str(out), "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model_dir"] == str(out)
    assert sorted(p.name for p in out.iterdir()) == ["embedding_lr", "intent_model.json", "seed0", "tfidf_lr"]
    assert (out / "seed0" / "head.safetensors").read_bytes() == (
        shipped / "seed0" / "head.safetensors"
    ).read_bytes()
    assert {p: p.stat().st_mtime_ns for p in shipped.rglob("*")} == before


def test_training_refuses_to_replace_a_folder_that_is_not_a_model_before_training(tmp_path: Path) -> None:
    texts, labels = _tiny_training_set()
    victim = tmp_path / "notes"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    with pytest.raises(IntentError, match="not empty and holds no intent model"):
        train_intent_ensemble(texts, labels, victim, [1])
    from pipelines.training.intent import refit_linear_members

    with pytest.raises(IntentError, match="not empty and holds no intent model"):
        refit_linear_members(texts, labels, victim, source=tmp_path / "unused")
    a_file = tmp_path / "model.bin"
    a_file.write_text("x")
    with pytest.raises(IntentError, match="is a file"):
        train_intent_model(texts, labels, a_file)
    assert (victim / "precious.txt").read_text() == "keep me" and a_file.read_text() == "x"


def test_labelled_csv_with_a_byte_order_mark_is_read_and_non_utf8_is_a_clear_error(tmp_path: Path) -> None:
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes("\ufefftext,category\nwhere is my card,card_arrival\n".encode())
    assert load_labelled_csv(with_bom) == (["where is my card"], ["card_arrival"])
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"\xff\xfetext,category\n")
    with pytest.raises(IntentError, match="not UTF-8"):
        load_labelled_csv(latin)


@pytest.mark.parametrize("kind", ["sparse", "dense"])
def test_a_linear_member_scores_float64_features_with_its_float32_weights_as_float64_would(kind: str) -> None:
    """tf-idf rows come float64 and the stored weights are float32: the member casts the rows (so scipy does
    not copy the whole weight array per call) and gets the float64 softmax to float32 precision."""
    import numpy as np
    from scipy.sparse import csr_matrix

    from pipelines.skills.triage.intent_linear import LinearMember

    rng = np.random.default_rng(3)
    coef = rng.normal(size=(5, 300)).astype(np.float32)
    intercept = rng.normal(size=5).astype(np.float32)
    rows = rng.random((4, 300)) * (rng.random((4, 300)) < 0.05)  # float64, mostly zero
    features = csr_matrix(rows) if kind == "sparse" else rows
    member = LinearMember("tfidf_lr", coef, intercept, lambda texts: features[: len(texts)])
    got = member.probabilities(["a", "b", "c", "d"])
    logits = rows @ coef.astype(np.float64).T + intercept
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert got.dtype == np.float32 and got.shape == (4, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
