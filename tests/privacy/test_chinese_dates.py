"""Chinese dates (privacy.chinese_dates): found, typed by their cue, and shifted in their own form."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from privacy.chinese_dates import shift_chinese_date
from privacy.operators import shift_date
from tests.conftest import domain_policy
from tests.privacy.chinese_helpers import own

FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")


def typed(deidentifier: Deidentifier, text: str, domain: str) -> list[tuple[str, str]]:
    """``(entity type, text)`` of the date findings the domain's prompt policy makes in ``text``."""
    policy = FINANCE if domain == "finance" else MEDICAL
    return [
        (f.entity_type, text[f.start : f.end])
        for f in deidentifier.find_for(text, policy, "prompt")
        if f.entity_type in ("DATE_TIME", "DATE_OF_BIRTH")
    ]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("患者于2022年7月14日因胸闷入院，", "2022年7月14日"),
        ("出院日期：2022 年 7 月 30 日。", "2022 年 7 月 30 日"),
        ("22年9月3号行阑尾切除术。", "22年9月3号"),
        ("术后复查定在二〇二二年八月十五日。", "二〇二二年八月十五日"),
        ("入院时间 2022-07-14，血压160/95。", "2022-07-14"),
        ("手术日期2022/7/16", "2022/7/16"),
    ],
)
def test_medical_dates_with_a_year_are_found_whole(deidentifier: Deidentifier, text: str, date: str) -> None:
    assert ("DATE_TIME", date) in typed(deidentifier, text, "medical")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("客户出生日期：1968年2月29日，请核对身份。", "1968年2月29日"),
        ("我生日是1990-05-21，卡片申请被退回了。", "1990-05-21"),
    ],
)
def test_finance_dates_of_birth(deidentifier: Deidentifier, text: str, date: str) -> None:
    assert typed(deidentifier, text, "finance") == [("DATE_OF_BIRTH", date)]


@pytest.mark.parametrize(
    "text",
    [
        "每月15日自动还款，分12期。",  # a day of every month, no date
        "阿莫西林500毫克，每日三次，连服7天。",
        "版本2.3.1修复了转账的bug。",  # a version, not a date
        "3月份的账单还没出来。",  # a month alone
        "孩子6月龄，体重7.5公斤。",
    ],
)
def test_text_without_a_date_has_no_chinese_date(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["DATE_TIME", "DATE_OF_BIRTH"]) == []


@pytest.mark.parametrize(
    ("date", "days", "shifted"),
    [
        ("2022年7月14日", 30, "2022年8月13日"),
        ("22年12月25号", 10, "23年1月4号"),
        ("7月14日", -14, "6月30日"),
        ("二〇二二年八月十五日", 20, "二〇二二年九月四日"),
        ("十二月三十一日", 1, "一月一日"),
        ("2022年2月30日", 1, None),  # no such day
        ("2022年7月", 1, None),  # no day: not shifted (redacted by the operator)
    ],
)
def test_chinese_dates_shift_in_their_own_form(date: str, days: int, shifted: str | None) -> None:
    assert shift_chinese_date(date, days) == shifted
    assert shift_date(date, days) == shifted


def test_medical_prompt_moves_every_chinese_date_and_keeps_the_interval(deidentifier: Deidentifier) -> None:
    text = "患者2022年7月14日入院，2022年7月30日出院，出院后服用二甲双胍。"
    out = deidentifier.deidentify(text, MEDICAL, "prompt", Vault("zh-shift")).text
    assert "2022年7月14日" not in out and "2022年7月30日" not in out
    assert "二甲双胍" in out
    import re

    admitted, discharged = re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", out)
    import datetime as dt

    gap = dt.date(*map(int, discharged)) - dt.date(*map(int, admitted))
    assert gap.days == 16


def test_year_month_after_a_clinical_cue_is_redacted_in_the_prompt(deidentifier: Deidentifier) -> None:
    out = deidentifier.deidentify("确诊时间2021年3月，一直服药。", MEDICAL, "prompt", Vault("zh-month")).text
    assert "2021年3月" not in out and "<DATE_TIME>" in out
