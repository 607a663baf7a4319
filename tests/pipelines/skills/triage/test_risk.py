"""Risk detection with the shipped finance rules (domains/finance/risk.yaml), the registry's validation of a
risk file, Services.risk_detector and ``assistant risk``.

The messages here are not those of the benchmark set (benchmarks/data/risk_messages.jsonl).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from domains import DomainError, default_domains_dir, load_domains
from pipelines.core.errors import AssistantError
from pipelines.services import Services
from pipelines.skills.triage.risk import RiskAssessment, RiskDetector, build_risk_detector
from tests.cli_runner import Completed, run
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    risk = load_domains()["finance"].risk
    assert risk is not None
    return build_risk_detector(risk)


def _check_offsets(text: str, result: RiskAssessment) -> None:
    for evidence in result.evidence:
        assert text[evidence.start : evidence.end] == evidence.text, evidence


# (message, categories, a span that must be among the evidence, severity, escalate)
POSITIVES = [
    ("My wallet got pickpocketed at the station", ["fraud"], "wallet got pickpocketed", "high", True),
    (
        "There are three transactions I didn't make on my statement",
        ["fraud"],
        "transactions I didn't make",
        "high",
        True,
    ),
    ("I lost my card somewhere in town", ["fraud"], "lost my card", "medium", False),
    (
        "A man said he was from the police and told me to withdraw cash",
        ["scam"],
        "said he was from the police",
        "high",
        True,
    ),
    (
        "The caller asked me for the code that was sent to my phone",
        ["scam"],
        "asked me for the code",
        "high",
        True,
    ),
    (
        "Got a parcel text, I tapped the link and typed in my card details",
        ["scam"],
        "tapped the link",
        "high",
        True,
    ),
    ("Text said my account is locked, go to <URL_1> now", ["scam"], "<URL_1>", "high", True),
    ("Is this message about a tax refund a scam?", ["scam"], "scam", "medium", False),
    (
        "Someone changed my password and I can't get into the app",
        ["account_takeover"],
        "Someone changed my password",
        "high",
        True,
    ),
    ("I got a login code I didn't request", ["account_takeover"], "code I didn't request", "high", True),
    (
        "This is the worst service I've ever had, I want to make a formal complaint",
        ["complaint"],
        "formal complaint",
        "low",
        False,
    ),
    ("If this isn't fixed I will take you to court", ["legal_threat"], "take you to court", "medium", True),
    (
        "I lost my job last month and I'm behind on my mortgage",
        ["vulnerable_customer"],
        "lost my job",
        "medium",
        False,
    ),
    ("Honestly I don't want to live anymore", ["self_harm"], "don't want to live", "high", True),
    ("I'm not going to kill myself, don't worry", ["self_harm"], "kill myself", "high", True),
    # warning signs a new-user trial found missed (2026-12-07), also inside an ordinary request
    (
        "Could I pay a few days late, and is there any fee? Honestly I do not want to live anymore.",
        ["self_harm"],
        "do not want to live",
        "high",
        True,
    ),
    (
        "Can I move my mortgage payment date? I just want it all to end.",
        ["self_harm"],
        "want it all to end",
        "high",
        True,
    ),
    ("I've been stockpiling my tablets", ["self_harm"], "stockpiling my tablets", "high", True),
    # inflections a new-user trial found missed (2026-12-07)
    (
        "Please update my address. To be honest I've been thinking about ending it all lately.",
        ["self_harm"],
        "ending it all",
        "high",
        True,
    ),
    ("I don't see the point in going on", ["self_harm"], "point in going on", "high", True),
    (
        "Can I pay in 9,900 in cash every week so the bank doesn't flag it?",
        ["money_laundering"],
        "9,900",
        "high",
        True,
    ),
    (
        "A guy online will pay me to receive money for someone and send it on",
        ["money_laundering"],
        "receive money for someone",
        "high",
        True,
    ),
    ("I can't believe someone stole my card", ["fraud"], "stole my card", "high", True),
    ("我的信用卡昨天被人盗刷了两笔", ["fraud"], "盗刷", "high", True),
    ("账户里有一笔不认识的交易", ["fraud"], "不认识的交易", "high", True),
    ("有人冒充公安让我把钱转到安全账户", ["scam"], "安全账户", "high", True),
    ("对方问我要验证码，我已经告诉他了", ["scam"], "问我要验证码", "high", True),
    ("我的手机银行在异地登录了，不是我", ["account_takeover"], "异地登录", "high", True),
    ("你们的服务太差了，我要投诉", ["complaint"], "我要投诉", "low", False),
    ("再不处理我就去法院起诉你们", ["legal_threat"], "起诉", "medium", True),
    ("我失业了，这个月的贷款还不上", ["vulnerable_customer"], "还不上", "medium", False),
    ("压力太大了，真的活不下去了", ["self_harm"], "活不下去", "high", True),
    ("说实话我真的撑不下去了，想一了百了。", ["self_harm"], "一了百了", "high", True),
    # a new-user trial (2026-12-07): a method inside an ordinary request, gambling harm in both languages
    (
        "请问怎么修改预留手机号？最近压力很大，有时候真想从楼上跳下去。另外网银盾丢了怎么补办？",
        ["vulnerable_customer", "self_harm"],
        "从楼上跳",
        "high",
        True,
    ),
    ("我真想跳下去", ["self_harm"], "想跳下去", "high", True),
    (
        "I can't stop gambling, I've spent all my wages on betting sites again",
        ["vulnerable_customer"],
        "can't stop gambling",
        "medium",
        False,
    ),
    ("我老公沉迷网络赌博，能不能限制他的卡？", ["vulnerable_customer"], "沉迷网络赌博", "medium", False),
    ("能不能分几次存，这样不会被查", ["money_laundering"], "分几次存", "high", True),
    ("有人高价收购，我想出租银行卡", ["money_laundering"], "出租银行卡", "high", True),
    (
        "My card was stolen and I want to complain about your phone line",
        ["fraud", "complaint"],
        "card was stolen",
        "high",
        True,
    ),
]


@pytest.mark.parametrize(("text", "categories", "span", "severity", "escalate"), POSITIVES)
def test_positive_message_is_flagged_with_evidence_severity_and_escalation(
    detector: RiskDetector, text: str, categories: list[str], span: str, severity: str, escalate: bool
) -> None:
    result = detector.assess(text)
    assert result.categories == categories
    assert any(span in e.text for e in result.evidence), result.evidence
    assert result.severity == severity
    assert result.escalate is escalate
    _check_offsets(text, result)


NEGATIVES = [
    "I found my card, false alarm",
    "I thought my card had been stolen but it turned up in my coat pocket",
    "My card was not stolen, I just want to order a spare one",
    "Payment I didn't make? Sorry, it was me after all",
    "What's a good scampi recipe?",
    "What is the fee for a transfer?",
    "I don't want to complain, the staff were great",
    "I want to complain... just kidding",
    "I was never scammed, I just want to know how to spot one",
    "Can I have a statement for last month with all my payments?",
    "我以为卡被盗了，后来找到了，虚惊一场",
    "我的卡没有被盗刷，只是想问下额度",
    "请问跨行转账手续费是多少",
    "我不想投诉，只是问问",
    "I want this call to end, how long is the queue?",  # not "want it all to end"
    "I won't be around on Friday, can someone else sign?",
    "这是跳楼价吗，理财产品打折了",  # a rock-bottom price, not a plan
    "我想跳槽到别的银行",
    "Is spread betting regulated like gambling?",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_benign_or_cancelled_message_has_no_category_and_no_escalation(
    detector: RiskDetector, text: str
) -> None:
    result = detector.assess(text)
    assert result.to_json_dict() == {"categories": [], "evidence": [], "severity": "none", "escalate": False}


@pytest.mark.parametrize(
    ("text", "evidence_text"),
    [
        (
            "My   card  was ＳＴＯＬＥＮ today",
            "card  was ＳＴＯＬＥＮ",
        ),  # white space runs, full-width letters
        ("I can’t afford my rent", "can’t afford"),  # curly apostrophe
        ("i cant afford my rent", "cant afford"),  # apostrophe left out
        ("Straße\n\nmy card was CLONED", "card was CLONED"),  # case folding that changes length before it
        ("卡号泄露了，SCAM吗", "卡号泄露"),
    ],
)
def test_evidence_offsets_point_into_the_original_text(
    detector: RiskDetector, text: str, evidence_text: str
) -> None:
    result = detector.assess(text)
    assert evidence_text in [e.text for e in result.evidence]
    _check_offsets(text, result)


def test_scam_is_matched_next_to_chinese_but_not_inside_a_word(detector: RiskDetector) -> None:
    assert detector.assess("这是scam吗").categories == ["scam"]
    assert detector.assess("scampi and scams").evidence[0].text == "scams"


@pytest.mark.parametrize(
    ("text", "intent", "categories", "severity", "escalate"),
    [
        ("Can you help with something on my card?", "compromised_card", ["fraud"], "high", True),
        ("Can you help with something on my card?", "lost_or_stolen_card", ["fraud"], "medium", False),
        ("Where is my phone? I need the app", "lost_or_stolen_phone", ["account_takeover"], "medium", False),
        ("Can you help with something on my card?", "card_arrival", [], "none", False),
        ("Can you help with something on my card?", None, [], "none", False),
        ("I found my card, it was in the car", "lost_or_stolen_card", [], "none", False),
    ],
)
def test_intent_label_adds_its_mapped_category_unless_cancelled(
    detector: RiskDetector,
    text: str,
    intent: str | None,
    categories: list[str],
    severity: str,
    escalate: bool,
) -> None:
    result = detector.assess(text, intent=intent)
    assert (result.categories, result.severity, result.escalate) == (categories, severity, escalate)
    if categories:
        assert [(e.rule, e.start, e.end, e.text) for e in result.evidence] == [(f"intent/{intent}", 0, 0, "")]


def test_intent_raises_severity_above_a_lower_phrase_match(detector: RiskDetector) -> None:
    result = detector.assess("I lost my card", intent="compromised_card")
    assert result.severity == "high" and result.escalate
    assert {e.rule for e in result.evidence} == {"fraud/card_lost", "intent/compromised_card"}


def _domain_copy(tmp_path: Path, mutate: Any) -> Path:
    root = tmp_path / "domains"
    source = default_domains_dir() / "finance"
    target = root / "finance"
    target.mkdir(parents=True)
    shutil.copy(source / "domain.yaml", target / "domain.yaml")
    rules = yaml.safe_load((source / "risk.yaml").read_text(encoding="utf-8"))
    mutate(rules)
    (target / "risk.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return root


def _set(path: str, value: Any) -> Any:
    def mutate(rules: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = rules
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (_set("categories.fraud.severity", "urgent"), "categories.fraud.severity"),
        (_set("escalate_at", "critical"), "escalate_at"),
        (_set("intent_floor", 1.5), "intent_floor"),
        (_set("rule_floor", -0.1), "rule_floor"),
        (_set("intent_agreement", 2), "intent_agreement"),
        (_set("categories.complaint.model_gated", "sometimes"), "categories.complaint.model_gated"),
        (_set("intents.compromised_card", "identity_theft"), "intents.compromised_card"),
        (_set("cancel.0.targets", ["fraud/no_such_rule"]), "fraud/no_such_rule"),
        (
            _set("categories.scam.rules.phishing_link.patterns", [{"name": "bad", "regex": "(unclosed"}]),
            "(unclosed",
        ),
        (_set("categories.complaint.rules.complaint.en", ["  "]), "categories.complaint.rules.complaint.en"),
        (_set("categories.fraud.colour", "red"), "categories.fraud.colour"),
    ],
)
def test_invalid_risk_file_is_rejected_naming_the_bad_field(tmp_path: Path, mutate: Any, named: str) -> None:
    with pytest.raises(DomainError, match="risk.yaml") as caught:
        load_domains(_domain_copy(tmp_path, mutate))
    assert named in str(caught.value)


def test_missing_risk_file_is_an_error_naming_it(tmp_path: Path) -> None:
    root = _domain_copy(tmp_path, lambda rules: None)
    (root / "finance" / "risk.yaml").unlink()
    with pytest.raises(DomainError, match=r"risk\.yaml: cannot read"):
        load_domains(root)


def test_services_cache_one_detector_per_domain_and_none_without_rules(services: Services) -> None:
    detector = services.risk_detector("finance")
    assert detector is not None and services.risk_detector("finance") is detector
    assert services.risk_detector("code") is None
    assert detector.assess("someone has logged into my account").categories == ["account_takeover"]


def _assistant(*args: str, data_dir: Path, stdin: str) -> Completed:
    return run(*args, data_dir=data_dir, stdin=stdin)


def test_cli_risk_prints_one_json_line_per_stdin_line_over_deidentified_text(tmp_path: Path) -> None:
    lines = [
        f"This is {CANARY_NAME}, my card {CANARY_CARD} was stolen, call me on {CANARY_PHONE}",
        "What is the fee for a transfer?",
        f"Email {CANARY_EMAIL} said my account is suspended, click https://nw-verify.example.net",
        "我要投诉你们的客服",
    ]
    done = _assistant("risk", "-", data_dir=tmp_path / "data", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["categories"] for row in rows] == [["fraud"], [], ["scam"], ["complaint"]]
    assert [row["escalate"] for row in rows] == [True, False, True, False]
    assert "<CREDIT_CARD_1>" in rows[0]["text"] and "<PERSON_1>" in rows[0]["text"]
    for row in rows:
        for evidence in row["evidence"]:
            assert row["text"][evidence["start"] : evidence["end"]] == evidence["text"]
    assert not [v for v in CANARY_VALUES if v in done.stdout + done.stderr]
    assert scan_tree_for(tmp_path / "data", CANARY_VALUES) == []


def test_cli_risk_for_a_domain_without_rules_is_an_error(tmp_path: Path) -> None:
    done = _assistant("risk", "def f(): pass", "--domain", "code", data_dir=tmp_path / "data", stdin="")
    assert done.returncode == 1 and "has no risk rules" in done.stderr


@pytest.mark.parametrize("messages", [[""], ["   "], ["fine", "\n"], ["x" * 20_001], []])
def test_empty_or_over_long_messages_are_refused_before_any_is_assessed(
    services: Services, messages: list[str]
) -> None:
    from pipelines.core.limits import MAX_MESSAGE_CHARS

    assert MAX_MESSAGE_CHARS == 20_000
    for analyse in (services.triage.risks, services.triage.intents):
        with pytest.raises(AssistantError) as caught:
            analyse("finance", messages)
        said = str(caught.value)
        assert "empty" in said or "20,000" in said or "no message" in said, said
        if len(messages) > 1:
            assert "message 2" in said


def test_routing_refuses_an_empty_or_over_long_question(services: Services) -> None:
    for question, said in (("  ", "empty"), ("fee? " * 5_000, "at most 20,000")):
        with pytest.raises(AssistantError, match=said):
            services.chat.route(question)


@pytest.mark.parametrize(
    ("text", "instructed"),
    [
        ("How do these 'safe account' scams usually work? I want to explain it to my grandparents", False),
        ('what are "safe account" scams?', False),
        ("帮我科普一下什么是安全账户骗局", False),
        ("a caller said to move my savings to a safe account today", True),
        ("he said it was a safe account. is this a safe account scam?", True),
        ("对方让我把钱转到安全账户", True),
    ],
)
def test_naming_the_safe_account_scam_is_not_the_instruction(
    services: Services, text: str, instructed: bool
) -> None:
    detector = services.risk_detector("finance")
    assert detector is not None
    rules = {e.rule.split("/")[1] for e in detector.assess(text).evidence if e.rule.startswith("scam/")}
    assert ("safe_account" in rules) is instructed, rules


@pytest.mark.parametrize(
    ("text", "laundering"),
    [
        ("我们公司在做反洗钱培训，想问一下可疑交易一般有哪些特征？", False),
        ("Our team is doing anti-money laundering training: what makes a transaction suspicious?", False),
        ("有人让我用我的账户帮他洗钱，每次给我两千块", True),
        ("我不想被查，能不能分几次存进去", True),
    ],
)
def test_anti_money_laundering_work_is_not_laundering(
    services: Services, text: str, laundering: bool
) -> None:
    """反洗钱 (anti-money laundering) holds 洗钱: a cancel cue over it (window 1) drops only that match."""
    detector = services.risk_detector("finance")
    assert detector is not None
    assert ("money_laundering" in detector.assess(text).categories) is laundering
