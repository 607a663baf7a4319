"""Labelled Chinese record numbers and vehicle plates (privacy.chinese_ids) through the domains' policies."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from tests.conftest import domain_policy
from tests.privacy.chinese_helpers import own

FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")


def typed(deidentifier: Deidentifier, text: str, domain: str) -> list[tuple[str, str]]:
    """``(entity type, text)`` of every finding the domain's prompt policy makes in ``text``."""
    policy = FINANCE if domain == "finance" else MEDICAL
    return [(f.entity_type, text[f.start : f.end]) for f in deidentifier.find_for(text, policy, "prompt")]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("住院号：ZY2021-04417，床号12。", "MEDICAL_RECORD_NUMBER", "ZY2021-04417"),
        ("病案号0038815，请调阅。", "MEDICAL_RECORD_NUMBER", "0038815"),
        ("门诊号码为MZ202108110042", "MEDICAL_RECORD_NUMBER", "MZ202108110042"),
        ("就诊卡号 7702 5518 9034，挂号用", "MEDICAL_RECORD_NUMBER", "7702 5518 9034"),
        ("登记号 DJ-77125", "MEDICAL_RECORD_NUMBER", "DJ-77125"),
        ("医保卡号：2301 8876 5521 09", "HEALTH_PLAN_ID", "2301 8876 5521 09"),
        ("社保号是44010019870331", "HEALTH_PLAN_ID", "44010019870331"),
    ],
)
def test_medical_record_numbers_are_typed_by_their_label(
    deidentifier: Deidentifier, text: str, entity: str, value: str
) -> None:
    assert (entity, value) in own(
        deidentifier, text, ["MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_ID", "ID_NUMBER"]
    )
    assert any(value in span for _, span in typed(deidentifier, text, "medical"))  # removed whole


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("客户号：KH00921735，请查询。", "KH00921735"),
        ("保单号 P2021 0045 7781", "P2021 0045 7781"),
        ("我的社保号是44010019870331。", "44010019870331"),  # no HEALTH_PLAN_ID asked for
        ("公积金账号 120099384471，单位代缴", "120099384471"),
    ],
)
def test_finance_labelled_numbers_are_reference_numbers(
    deidentifier: Deidentifier, text: str, value: str
) -> None:
    assert ("REFERENCE_NUMBER", value) in own(deidentifier, text, ["REFERENCE_NUMBER", "ID_NUMBER"])
    assert ("ID_NUMBER", value) in own(deidentifier, text, ["ID_NUMBER"])  # a policy without REFERENCE_NUMBER


@pytest.mark.parametrize(
    "text",
    [
        "床号12，心内科病房。",  # a bed is no identifier
        "住院号在哪里能查到？",  # a label without a number
        "每天服用二甲双胍500毫克。",
    ],
)
def test_no_record_number_without_label_and_value(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_ID", "ID_NUMBER"]) == []


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("车牌号京N·7Q2K9，停在地库。", "京N·7Q2K9"),
        ("送医的是一辆沪C 88E31的出租车", "沪C 88E31"),
        ("我的新能源车粤BD73188被贴罚单了", "粤BD73188"),
        ("苏E-5K8W2挂靠在公司名下", "苏E-5K8W2"),
        ("浙A12345学", "浙A12345学"),
    ],
)
def test_plates_are_found(deidentifier: Deidentifier, text: str, plate: str) -> None:
    assert own(deidentifier, text, ["VEHICLE_ID"]) == [("VEHICLE_ID", plate)]


@pytest.mark.parametrize(
    "text",
    [
        "京东PLUS会员每年198元。",  # a brand, no plate
        "新A股发行规则调整了。",
        "我在粤语课上认识了她。",
    ],
)
def test_words_that_start_like_a_plate_are_not_plates(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["VEHICLE_ID"]) == []


def test_plate_and_record_number_are_pseudonymized_keep_terms_survive(deidentifier: Deidentifier) -> None:
    text = "伤员住院号ZY2021-04417，肇事车牌鲁B·6W3P1，已用布洛芬止痛，观察24小时。"
    out = deidentifier.pseudonymize(text, MEDICAL, Vault("zh-ids")).text
    assert "04417" not in out and "6W3P1" not in out
    assert "布洛芬" in out and "24小时" in out


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("对账单有问题请打座机010-62751234找我", "010-62751234"),
        ("电话（0755）86001234转分机", "（0755）86001234"),
        ("联系电话 0571 88886666。", "0571 88886666"),
    ],
)
def test_mainland_landlines(deidentifier: Deidentifier, text: str, phone: str) -> None:
    assert ("PHONE_NUMBER", phone) in own(deidentifier, text, ["PHONE_NUMBER"])


@pytest.mark.parametrize("text", ["合同编号2024-0057812已归档", "血压130-85mmHg", "版本号0.12 3456789"])
def test_numbers_that_are_not_landlines(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["PHONE_NUMBER"]) == []
