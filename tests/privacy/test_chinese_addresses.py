"""Chinese postal addresses (privacy.chinese_addresses) through the real analyzer and the domains' policies."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from tests.conftest import domain_policy
from tests.privacy.chinese_helpers import own

FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")


def spans(deidentifier: Deidentifier, text: str, policy_name: str, entity: str) -> list[str]:
    """Text of the ``entity`` findings the domain's prompt policy makes in ``text``."""
    policy = FINANCE if policy_name == "finance" else MEDICAL
    return [
        text[f.start : f.end]
        for f in deidentifier.find_for(text, policy, "prompt")
        if f.entity_type == entity
    ]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "我的新地址是江苏省苏州市姑苏区干将西路1038号4幢2单元503室，请更新。",
            "江苏省苏州市姑苏区干将西路1038号4幢2单元503室",
        ),
        ("信用卡账单寄到湖北省武汉市洪山区珞喻路七十二号就行", "湖北省武汉市洪山区珞喻路七十二号"),
        ("麻烦改成福州市鼓楼区五四路158号环球广场12层", "福州市鼓楼区五四路158号环球广场12层"),
        ("住址：重庆市渝中区解放碑民族路188号", "重庆市渝中区解放碑民族路188号"),
        ("我老家在安徽省六安市霍山县但家庙镇石门村，卡是在那边办的。", "安徽省六安市霍山县但家庙镇石门村"),
        ("快递放到天通苑东三区12号楼3单元602门口", "天通苑东三区12号楼3单元602"),
        ("我住漕河泾开发区桂平路680弄33号", "漕河泾开发区桂平路680弄33号"),
        ("公司在朝阳区东三环中路7号财富中心A座2106，白天找我", "朝阳区东三环中路7号财富中心A座2106"),
        ("户籍地：四川省南充市仪陇县马鞍镇双庙村4组21号", "四川省南充市仪陇县马鞍镇双庙村4组21号"),
        ("以前住过泉州市鲤城区中山南路，后来搬了", "泉州市鲤城区中山南路"),  # a street under its district
    ],
)
def test_finance_addresses_are_found_whole(deidentifier: Deidentifier, text: str, address: str) -> None:
    assert own(deidentifier, text, ["STREET_ADDRESS"]) == [("STREET_ADDRESS", address)]
    assert any(address in span for span in spans(deidentifier, text, "finance", "STREET_ADDRESS"))


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("患者现住辽宁省大连市沙河口区黄河路619号，独居。", "辽宁省大连市沙河口区黄河路619号"),
        (
            "家属地址：西安市雁塔区小寨东路二十六号院5号楼1单元301",
            "西安市雁塔区小寨东路二十六号院5号楼1单元301",
        ),
    ],
)
def test_medical_addresses_are_found_as_location(deidentifier: Deidentifier, text: str, address: str) -> None:
    # the medical policy lists LOCATION (HIPAA Safe Harbor (B)), not STREET_ADDRESS
    assert own(deidentifier, text, ["LOCATION"]) == [("LOCATION", address)]
    assert any(address in span for span in spans(deidentifier, text, "medical", "LOCATION"))


@pytest.mark.parametrize(
    "text",
    [
        "我在中山路的那家网点办的卡。",  # a street name alone
        "杭州市西湖区的网点周末开门吗？",  # city and district: no street, no town
        "患者收入心内科病区3号床。",  # a bed number
        "坐地铁2号线到人民广场站下车。",  # a metro line
        "上呼吸道感染三天，已服用阿莫西林。",
        "支付宝和微信支付都可以还款吗？",
        "我家在5楼，电梯坏了。",
        "体检中心3楼可以办卡吗？",  # a centre and a floor: no building, unit or room
        "门诊在2号楼3层内科。",  # a building and a floor of a hospital: no dwelling
        "在人民广场2号口等你。",  # a metro exit
        "他在南京路步行街开店。",
    ],
)
def test_text_without_an_address_has_no_address(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["STREET_ADDRESS"]) == []
    assert own(deidentifier, text, ["LOCATION"]) == []


def test_address_is_pseudonymized_whole_and_keep_terms_survive(deidentifier: Deidentifier) -> None:
    text = "我用支付宝付了200元，收货地址是山东省青岛市市南区香港中路9号，请核实。"
    result = deidentifier.pseudonymize(text, FINANCE, Vault("zh-address"))
    assert "香港中路" not in result.text and "9号" not in result.text
    assert "支付宝" in result.text and "200元" in result.text


@pytest.mark.parametrize(
    ("text", "facility"),
    [
        ("我外婆住在松鹤老年公寓，这个月的费用还没扣。", "松鹤老年公寓"),
        ("患者由青山湖社区卫生服务中心转来。", "青山湖社区卫生服务中心"),
        ("孩子在育英实验小学读三年级。", "育英实验小学"),
    ],
)
def test_small_named_facilities_are_places(deidentifier: Deidentifier, text: str, facility: str) -> None:
    assert own(deidentifier, text, ["LOCATION"]) == [("LOCATION", facility)]


@pytest.mark.parametrize(
    "text", ["孩子上小学了。", "去社区诊所打了一针。", "附近的诊所关门了。", "市第一人民医院的号很难挂。"]
)
def test_generic_facilities_are_not_places(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["LOCATION", "STREET_ADDRESS"]) == []
