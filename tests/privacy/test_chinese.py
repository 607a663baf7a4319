"""Chinese identifiers and names, through the product path (real Presidio + spaCy + jieba)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from privacy import Deidentifier, PiiPolicy, PrivacyError, Vault, reidentify
from privacy.chinese import ChineseNameRecognizer, _jieba_cache_dir

# The shape of a domain's ``privacy:`` block; every sink's default operator applies.
CHINESE = PiiPolicy.from_mapping(
    "chinese-test",
    {
        "score_threshold": 0.4,
        "entities": {"PERSON": {}, "PHONE_NUMBER": {}, "CREDIT_CARD": {}, "CN_RESIDENT_ID": {}},
    },
)


def found(deidentifier: Deidentifier, text: str, entity: str, recognizer: str = "") -> list[str]:
    """Text of the ``entity`` findings in ``text`` (of one recognizer if given), in order."""
    return [
        text[f.start : f.end]
        for f in deidentifier.find(text, [entity], 0.4)
        if f.entity_type == entity and recognizer in ("", f.recognizer)
    ]


def iso7064_mod11_2(first17: str) -> str:
    """The GB 11643-1999 check character, computed from the standard's formula (not the product's code)."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


VALID_IDS = ["11010519491231002X", "44030419900307123X", "320106200012294515", "510107198507152342"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_examples_satisfy_iso_7064_mod_11_2(number: str) -> None:
    assert iso7064_mod11_2(number[:17]) == number[17]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证号11010519491231002X，请核实。", ["11010519491231002X"]),
        ("身份证号11010519491231002x。", ["11010519491231002x"]),
        ("ID 320106200012294515 was scanned.", ["320106200012294515"]),
        ("证件：510107 19850715 2342", ["510107 19850715 2342"]),
        ("身份证44030419900307123X，", ["44030419900307123X"]),
        # wrong check character (X -> 1, 5 -> 4): not an id without its label; right after 身份证号 it counts as
        # typed (privacy.chinese_ids, as a mistyped card number after a card word)
        ("身份证号110105194912310021，请核实。", ["110105194912310021"]),
        ("ID 320106200012294514 was scanned.", []),
        # part of a longer digit run
        ("流水号911010519491231002X7", []),
    ],
)
def test_resident_id_is_found_only_when_valid(
    deidentifier: Deidentifier, text: str, expected: list[str]
) -> None:
    assert found(deidentifier, text, "CN_RESIDENT_ID") == expected


@pytest.mark.parametrize(
    "number",
    [
        "110105194902300020",  # 30 February
        "110105209001010025",  # born in 2090
        "990105194912310023",  # region 99 is no province
    ],
)
def test_id_with_right_check_character_but_impossible_date_or_region_is_not_an_id(
    deidentifier: Deidentifier, number: str
) -> None:
    assert iso7064_mod11_2(number[:17]) == number[17]
    assert found(deidentifier, f"身份证号{number}，请核实。", "CN_RESIDENT_ID") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机号是13812345678。", ["13812345678"]),
        ("联系电话：+86 139-1234-5678", ["+86 139-1234-5678"]),
        ("请打0086 15012345678找我", ["0086 15012345678"]),
        ("手机 138 1234 5678，谢谢", ["138 1234 5678"]),
        ("手机198-1234-5678", ["198-1234-5678"]),
        ("号码1381234567不对", []),  # 10 digits: too short
        ("订单号2013812345678901已发货", []),  # inside a longer number
        ("手机12812345678", []),  # 12x is not a mobile prefix
    ],
)
def test_mainland_mobile_numbers(deidentifier: Deidentifier, text: str, expected: list[str]) -> None:
    # Only this recognizer's findings: Presidio's PhoneRecognizer rightly reads 12812345678 as US +1 281…
    assert found(deidentifier, text, "PHONE_NUMBER", "ChineseMobileRecognizer") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卡号6222021234567890128被盗刷了", ["6222021234567890128"]),  # 19 digits, next to Han characters
        ("银联卡621483012345678902", ["621483012345678902"]),  # 18 digits
        ("卡号 6217 0012 3456 7893 。", ["6217 0012 3456 7893"]),  # 16 digits in groups
        ("card 6212-2610-0200-1234-561 lost", ["6212-2610-0200-1234-561"]),
        ("卡号6222021234567890127被盗刷了", []),  # Luhn fails
        ("卡号6217001234567894", []),  # Luhn fails
        ("我的卡号是4111111111111111，卡丢了", ["4111111111111111"]),  # a Visa number right after Han text
        ("卡号是4111111111111112，卡丢了", []),  # Luhn fails
    ],
)
def test_unionpay_cards_are_luhn_validated(
    deidentifier: Deidentifier, text: str, expected: list[str]
) -> None:
    assert found(deidentifier, text, "CREDIT_CARD") == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("您好，我叫张伟，我的信用卡被盗刷了。", ["张伟"]),
        ("患者李秀英，女，65岁，因胸痛入院。", ["李秀英"]),
        ("客户欧阳娜娜反映转账没有到账。", ["欧阳娜娜"]),
        ("姓名：上官婉儿", ["上官婉儿"]),
        ("请帮我把五千元转给周杰。", ["周杰"]),
        ("王先生您好，您的账单已出。", ["王"]),
        ("麻烦告诉林医生我明天不能来了。", ["林"]),
        ("主治医生王建国建议继续服药。", ["王建国"]),
        ("张三和李四都是我的同事。", ["张三", "李四"]),
        ("我叫禤志远，想查一下账单。", ["禤志远"]),  # surname outside the list, after an introduction
    ],
)
def test_chinese_person_names_in_sentences(deidentifier: Deidentifier, text: str, names: list[str]) -> None:
    assert found(deidentifier, text, "PERSON") == names


@pytest.mark.parametrize(
    "text",
    [
        "银联卡可以在国外取现吗？",
        "患者出现黄疸，白细胞计数升高。",
        "我在石家庄出差，卡被锁了。",
        "请问工商银行的跨行转账手续费是多少？",  # the English NER model tags this whole sentence PERSON
        "您好，请问有什么可以帮您？",
        "高血压患者每天的盐摄入量应少于6克。",
    ],
)
def test_sentences_without_names_keep_every_character(deidentifier: Deidentifier, text: str) -> None:
    assert deidentifier.pseudonymize(text, CHINESE, Vault("s")).text == text


def test_chinese_message_is_pseudonymized_and_restored(deidentifier: Deidentifier) -> None:
    raw = {
        "PERSON": "欧阳娜娜",
        "CN_RESIDENT_ID": "11010519491231002X",
        "PHONE_NUMBER": "13812345678",
        "CREDIT_CARD": "6222021234567890128",
    }
    text = (
        f"您好，我叫{raw['PERSON']}，身份证号{raw['CN_RESIDENT_ID']}，手机{raw['PHONE_NUMBER']}，"
        f"我的银联卡{raw['CREDIT_CARD']}昨天被盗刷了。"
    )
    vault = Vault("cn")
    result = deidentifier.pseudonymize(text, CHINESE, vault)
    for entity, value in raw.items():
        assert value not in result.text
        assert vault.values[f"<{entity}_1>"] == value
    assert result.text == (
        "您好，我叫<PERSON_1>，身份证号<CN_RESIDENT_ID_1>，手机<PHONE_NUMBER_1>，我的银联卡<CREDIT_CARD_1>昨天被盗刷了。"
    )
    assert reidentify(result.text, vault) == text


def test_later_turn_finds_the_same_chinese_values_next_to_han_characters(deidentifier: Deidentifier) -> None:
    vault = Vault("cn")
    deidentifier.pseudonymize("我叫欧阳娜娜，手机13812345678。", CHINESE, vault)
    # written differently: no recognizer reads "13 812 345 678" as a mobile; the vault's match does
    later = deidentifier.pseudonymize("欧阳娜娜的手机13 812 345 678停机了吗？", CHINESE, vault)
    assert later.text == "<PERSON_1>的手机<PHONE_NUMBER_1>停机了吗？"


def test_two_character_name_seen_once_is_found_again_where_the_tagger_misses_it(
    deidentifier: Deidentifier,
) -> None:
    vault = Vault("cn")
    deidentifier.pseudonymize("我叫张伟。", CHINESE, vault)
    # "张伟大" is tokenised as 张/伟大 (great): no tagger finds a name there; the vault does
    later = deidentifier.pseudonymize("张伟大概明天到。", CHINESE, vault)
    assert later.text.startswith("<PERSON_1>")


def test_document_redaction_of_chinese_text(deidentifier: Deidentifier) -> None:
    text = "客户张伟的手机号是13812345678，身份证号44030419900307123X。"
    result = deidentifier.redact(text, CHINESE)
    assert result.text == "客户<PERSON>的手机号是<PHONE_NUMBER>，身份证号<CN_RESIDENT_ID>。"


def test_english_names_next_to_chinese_text_are_still_found(deidentifier: Deidentifier) -> None:
    text = "My name is Zelda Quartermaine，我的手机是13812345678。"
    result = deidentifier.pseudonymize(text, CHINESE, Vault("mixed"))
    assert "Quartermaine" not in result.text and "13812345678" not in result.text


def test_unknown_name_method_is_an_error_naming_it() -> None:
    with pytest.raises(PrivacyError, match="bert"):
        ChineseNameRecognizer(methods=("bert",))


@pytest.mark.parametrize("existing_mode", [None, 0o700, 0o777])
def test_jieba_cache_goes_to_a_private_directory_under_tmp(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, existing_mode: int | None
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"domain-assistant-{os.getuid()}" / "jieba"
    if existing_mode is not None:
        shared.mkdir(parents=True)
        shared.chmod(existing_mode)
    path = _jieba_cache_dir()
    assert path.is_relative_to(tmp_path)
    assert path.stat().st_mode & 0o077 == 0
    assert (path == shared) == (existing_mode != 0o777)
