"""The learned PII recognizer (privacy.learned): the shipped CRF, in the real analyzer with the real policies,
and its training command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from privacy import Deidentifier, Vault
from privacy.learned import LearnedPiiRecognizer, shipped_model_path, tokenize
from tests.cli_runner import run
from tests.conftest import domain_policy

FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")
CODE = domain_policy("code")


def _removed_whole(value: str, output: str) -> bool:
    """The strict rule of issue 22: no word of 4+ letters and no run of 5+ letters/digits of ``value`` survives."""
    lowered = output.lower()
    if any(word.lower() in lowered for word in re.findall(r"[^\W\d_]{4,}", value)):
        return False
    runs = re.findall(r"[^\W_]{5,}", value)
    return not any(run[i : i + 5].lower() in lowered for run in runs for i in range(len(run) - 4))


@pytest.mark.parametrize(
    ("text", "policy", "value"),
    [
        # a lower-case name whose first word is a dictionary word, outside "my name is"
        ("can you pay will hartley back the money", FINANCE, "will hartley"),
        # a lower-case name with an unlisted given name, after a greeting
        ("hey its me again, bongani khumalo, any news on the refund", FINANCE, "bongani khumalo"),
        # a chat signed with a given name that is also a word
        ("thanks, grant", FINANCE, "grant"),
        # care-facility names, in running text and in an all-caps note
        ("my gran has moved into Larkspur Court Care Home so post to there", FINANCE, "Larkspur Court"),
        ("PT ADM FROM BRAMBLEWOOD LODGE CARE HOME, NOK SON DESMOND", MEDICAL, "BRAMBLEWOOD LODGE"),
        # a login name passed in code
        ("client.login('mq_loader', 'x')", CODE, "mq_loader"),
        # regressions the rules already catch: an all-caps hyphenated surname after a relation, a Chinese name in
        # running text, a Chinese hospital number next to a Chinese date
        ("NOK: DAUGHTER PRIYA OYELARAN-MCBRIDE, TEL ON FILE", MEDICAL, "OYELARAN-MCBRIDE"),
        ("昨天跟邓晓峰一起去银行办了信用卡，他说年费很贵", FINANCE, "邓晓峰"),
        ("患者于2023年11月7日入院，住院号ZY88213407，诊断肺炎。", MEDICAL, "ZY88213407"),
    ],
)
def test_identifiers_the_rules_miss_are_removed_whole(
    deidentifier: Deidentifier, text: str, policy: object, value: str
) -> None:
    out = deidentifier.pseudonymize(text, policy, Vault("s1")).text  # type: ignore[arg-type]
    assert _removed_whole(value, out), out


@pytest.mark.parametrize(
    ("text", "policy", "keep"),
    [
        (
            "Take metformin 500 mg twice daily for 14 days, then review.",
            MEDICAL,
            ["metformin", "500 mg", "14 days"],
        ),
        (
            "The Summer Saver account pays 3.1% and the Rose Gold card costs £12 a month.",
            FINANCE,
            ["Summer Saver", "Rose Gold", "3.1%", "£12"],
        ),
        (
            "Graves' disease and Bell's palsy can both follow a viral illness.",
            MEDICAL,
            ["Graves'", "Bell's palsy"],
        ),
        (
            "call getUserById with max_retries=3 before useEffect runs in Python 3.11",
            CODE,
            ["getUserById", "max_retries", "useEffect"],
        ),
        (
            "二甲双胍每次500毫克，连服三个月，用支付宝付款。",
            MEDICAL,
            ["二甲双胍", "500毫克", "三个月", "支付宝"],
        ),
    ],
)
def test_ordinary_domain_terms_survive(
    deidentifier: Deidentifier, text: str, policy: object, keep: list[str]
) -> None:
    out = deidentifier.pseudonymize(text, policy, Vault("s1")).text  # type: ignore[arg-type]
    assert all(term in out for term in keep), out


def test_the_model_reports_a_lower_case_name_and_a_hyphenated_surname_as_one_span(
    deidentifier: Deidentifier,
) -> None:
    recognizer = next(
        r for r in deidentifier.analyzer.registry.recognizers if isinstance(r, LearnedPiiRecognizer)
    )
    text = "its for my son kwabena osei-tutu, his fees are due"
    spans = [(kind, text[start:end]) for kind, start, end, _ in recognizer.spans(text)]
    assert ("PERSON", "kwabena osei-tutu") in spans


def test_the_weights_ship_inside_the_privacy_package() -> None:
    path = shipped_model_path()
    assert path.is_file() and path.parent.parent.name == "privacy"
    assert path.stat().st_size < 5_000_000  # a few MB at most
    assert "**/*.crfsuite" in Path("pyproject.toml").read_text(encoding="utf-8")  # package data
    recognizer = LearnedPiiRecognizer(frozenset())
    assert recognizer.spans("患者王建军于2024年3月5日入院") != []


def test_chinese_text_is_tokenised_by_character_and_words_keep_inner_hyphens() -> None:
    text = "张伟的卡 O'Brien-Hughes db-prod-03.corp.internal:5432"
    assert [text[s:e] for s, e in tokenize(text)] == [
        "张",
        "伟",
        "的",
        "卡",
        "O'Brien-Hughes",
        "db-prod-03.corp.internal",
        ":",
        "5432",
    ]


def test_train_pii_writes_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "models" / "pii.crfsuite"
    done = run("train", "pii", "--out", str(out), "--examples", "60", "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["examples"] == 60 and report["features"] > 0
    assert out.is_file() and (out.parent / "pii_model.json").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    LearnedPiiRecognizer(frozenset(), model_path=out).spans("ssh jdoe@db-01.corp.internal")
