"""Recognizers for Chinese text: mainland resident ID numbers, mobile numbers, UnionPay cards and person names.

All four are added to the product's English analyzer (``supported_language="en"``: the analyzer runs with
language "en" on every message, whatever its language). Presidio's own patterns use ``\\b``, which never fires
between a Han character and a digit (both are word characters), so "卡号6222…" or "手机13812345678" slip past
them; the patterns here bound numbers by "no digit or Latin letter next to it" instead. The analyzer's spaCy
recognizer is swapped for :class:`HanAwareSpacyRecognizer`: the English model reads Chinese clauses as names.

Entity names: ``CN_RESIDENT_ID`` (new), ``PHONE_NUMBER``, ``CREDIT_CARD`` and ``PERSON`` (Presidio's).
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from presidio_analyzer import (
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, SpacyRecognizer

from privacy.errors import PrivacyError
from privacy.hanzi import to_simplified

__all__ = [
    "COMPOUND_SURNAMES",
    "HAN",
    "HAS_HAN",
    "ChineseMobileRecognizer",
    "ChineseNameRecognizer",
    "ChineseResidentIdRecognizer",
    "HanAwareSpacyRecognizer",
    "UnionPayCardRecognizer",
    "add_chinese_recognizers",
    "chinese_recognizers",
    "chinese_surnames",
    "tagged_words",
]

#: Han characters: CJK Unified Ideographs, Extension A and the compatibility block.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Matches where a text holds a Han character.
HAS_HAN = re.compile(f"[{HAN}]")


def _words(text: str) -> list[str]:
    return text.split()


#: A number's edge: no digit or Latin letter next to it (a Han character or punctuation is fine).
_NUM_START = r"(?<![0-9A-Za-z])(?<![0-9][ -])"
_NUM_END = r"(?![0-9A-Za-z])(?![ -][0-9])"

#: Province-level codes (first two digits) of GB/T 2260, plus 81/82/83 of the residence permits for Hong Kong,
#: Macao and Taiwan residents (2018).
_PROVINCE_CODES = frozenset(
    _words(
        "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83"
    )
)
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)


class ChineseResidentIdRecognizer(PatternRecognizer):
    """``CN_RESIDENT_ID``: the 18-character citizen identification number of GB 11643-1999.

    Layout: 6-digit address code (GB/T 2260) + 8-digit birth date YYYYMMDD + 3-digit sequence + check
    character. The check character is ISO 7064 MOD 11-2 over the first 17 digits (weights 2^(17-i) mod 11,
    check = (12 - sum mod 11) mod 11, 10 written as "X"), computed by ``stdnum.cn.ric`` (python-stdnum).
    A match counts only when the check character is right, the birth date is a real date between 1900-01-01
    and today, and the first two digits are a province-level code; anything else is not reported. Spaces
    between the 6-8-4 groups are allowed. Not covered: the 15-digit first-generation numbers (invalid since
    2013) and the foreigners' permanent-residence number (leading "9").
    """

    PATTERNS = [
        Pattern(
            "CN resident ID (18)",
            _NUM_START + r"[1-9]\d{5} ?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]) ?\d{3}[0-9X]"
            r"(?![0-9A-Za-z])",
            0.3,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CN_RESIDENT_ID",
            patterns=self.PATTERNS,
            context=["身份证", "身份证号", "证件号", "identity", "id"],
            supported_language="en",
            name="ChineseResidentIdRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Whether ``pattern_text`` (the matched 18 characters, maybe with spaces) is a valid ID number."""
        from stdnum.cn import ric
        from stdnum.exceptions import ValidationError

        number = re.sub(r"\s", "", pattern_text).upper()
        if len(number) != 18 or number[:2] not in _PROVINCE_CODES:
            return False
        try:
            birth = ric.get_birth_date(number)
        except ValidationError:
            return False
        if not _EARLIEST_BIRTH <= birth <= datetime.date.today():
            return False
        return bool(ric.calc_check_digit(number) == number[-1])


class ChineseMobileRecognizer(PatternRecognizer):
    """``PHONE_NUMBER``: mainland mobile numbers, 11 digits starting 13-19 (MIIT numbering plan), written whole
    or 3-4-4 with spaces or hyphens, optionally after +86 or 0086; not part of a longer digit run. Landlines: a
    0-prefixed area code of 3-4 digits, then a hyphen or space (or the code in brackets) and a local number of
    7-8 digits not starting 0 or 1 (``010-62751234``, ``(0755)86001234``).

    Presidio's PhoneRecognizer does not try region CN, and its matcher needs the +86 prefix for them.
    No checksum exists: score 0.6 (above the policies' 0.4, below validated identifiers).
    """

    PATTERNS = [
        Pattern(
            "CN mobile",
            r"(?<![0-9A-Za-z+])(?<![0-9][ -])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NUM_END,
            0.6,
        ),
        Pattern(
            "CN landline",
            r"(?<![0-9A-Za-z+])(?<![0-9][ -])(?:(?:\+|00)86[ -]?)?(?:[(（]0\d{2,3}[)）][ -]?|0\d{2,3}[ -])[2-9]\d{6,7}"
            + _NUM_END,
            0.6,
        ),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=self.PATTERNS,
            context=["手机", "电话", "座机", "联系", "mobile", "phone"],
            supported_language="en",
            name="ChineseMobileRecognizer",
        )


class UnionPayCardRecognizer(CreditCardRecognizer):
    """``CREDIT_CARD``: UnionPay card numbers (IIN prefix 62, 16-19 digits), Luhn-validated.

    Presidio's CreditCardRecognizer matches 62-prefixed cards of 13-17 digits, and
    :class:`~privacy.cards.CardNumberRecognizer` all issuer ranges and lengths, but both need a non-word
    character before the number; this adds UnionPay numbers written right after or before Han characters
    ("卡号6222…", the usual way in Chinese). Groups of four may be separated by a space or a hyphen. The
    Luhn check is Presidio's (inherited): a number that fails it is not reported.
    """

    PATTERNS = [
        Pattern(
            "UnionPay (62, 16-19 digits)",
            _NUM_START + r"62\d{2}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _NUM_END,
            0.3,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            patterns=self.PATTERNS,
            context=["银联", "卡号", "银行卡", "unionpay", "card"],
            supported_language="en",
            name="UnionPayCardRecognizer",
        )


#: Compound surnames of the Hundred Family Surnames (百家姓, Song dynasty; public domain), plus 独孤.
COMPOUND_SURNAMES = frozenset(
    _words(
        "万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳 淳于 "
        "单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空 亓官 司寇 "
        "子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 "
        "呼延 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五 独孤"
    )
)


@cache
def chinese_surnames() -> frozenset[str]:
    """Surnames for the name rules: Faker's zh_CN (399, simplified) and zh_TW (200, traditional) surname lists,
    which follow modern frequency, plus :data:`COMPOUND_SURNAMES`. About 540 entries.

    Rare surnames are left out on purpose: many of them are also everyday characters (能, 双, 通) and would
    turn words into names. Names with such surnames are still found where jieba's HMM tags them as an
    unknown name, or after an introduction ("我叫…", "姓名：…").
    """
    from faker.providers.person.zh_CN import Provider as Simplified
    from faker.providers.person.zh_TW import Provider as Traditional

    return frozenset(Simplified.last_names) | frozenset(Traditional.last_names) | COMPOUND_SURNAMES


#: jieba part-of-speech tags for person names (nr: name, nrfg / nrt: name-like words of the ICTCLAS set).
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
#: Tags a given name can carry when jieba does not see a name (nouns, adjectives, morphemes, idioms, unknown).
_GIVEN_TAGS = _NAME_TAGS | {"n", "ns", "nz", "ng", "nt", "a", "ag", "z", "zg", "i", "j", "x", "b", "l"}
#: Forms of address after a name ("王先生", "林医生", "张伟先生").
_TITLES = frozenset(
    _words(
        "先生 女士 小姐 太太 夫人 医生 大夫 护士 护士长 老师 教授 主任 经理 总监 "
        "同学 师傅 阿姨 叔叔 院长 律师 科长 处长 局长 行长 博士 医师"
    )
)
#: Introductions ("我叫…") and form labels ("姓名：…"): a name follows.
_INTRODUCTIONS = [
    "我叫", "我的名字是", "我的名字叫", "名字是", "名字叫", "名叫", "我姓", "全名叫", "全名是", "小名叫", "小名",
    "大名", "乳名", "昵称", "孩子叫", "儿子叫", "女儿叫", "宝宝叫",
]  # fmt: skip
#: Relatives and people close to the writer: a name in brackets or a pet name right after one is a person
#: ("我女儿（婷婷）", "我儿子豆豆", "外婆阿珍").
_RELATIVES = _words(
    "女儿 儿子 老公 老婆 妻子 丈夫 爱人 母亲 父亲 妈妈 爸爸 爷爷 奶奶 外公 外婆 姥姥 姥爷 孙子 孙女 外孙 外孙女 "
    "哥哥 姐姐 弟弟 妹妹 孩子 宝宝 小孩 舅舅 姑姑 叔叔 阿姨 婆婆 公公 岳父 岳母 女婿 儿媳 家属 朋友 同事 室友"
)
_LABELS = _words(
    "姓名 联系人 持卡人 收款人 付款人 户名 开户人 患者姓名 客户姓名 申请人 签名 收件人 寄件人 经办人 负责人 监护人 "
    "紧急联系人 代理人 担保人 借款人 配偶 受益人 投保人 被保险人 记录人 审核人 报告人"
)
#: Roles and verbs of service and clinical talk after which a name often follows.
_ROLES = _words(
    "我是 这里是 这是 客户 顾客 患者 病人 病患 家属 用户 会员 转给 转账给 汇给 打给 告诉 "
    "转告 通知 联系 预约 找 医生 大夫 护士 主治 主任 经理 同事 朋友 丈夫 妻子 儿子 女儿 医师 主刀医师 管床医生 "
    "责任护士 麻醉师 药师 运维 开发 组长 同学 主刀 术者 "
    "母亲 父亲 妈妈 爸爸 和 与 及 跟 老公 老婆 爱人 爷爷 奶奶 外公 外婆 姥姥 姥爷 孙子 孙女 哥哥 姐姐 弟弟 妹妹 "
    "舅舅 姑姑 婆婆 岳父 岳母 女婿 儿媳 室友"
)


def _cue(words: Iterable[str], suffix: str) -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")" + suffix)


_CUE = re.compile(
    _cue([*_INTRODUCTIONS, *_LABELS, *_ROLES], r"[ \t:：]*$").pattern + r"|\d{1,3}[ \t]*(?:床|号床)[ \t:：]*$"
)
_RELATIVE_NAME = re.compile(
    _cue(_RELATIVES, "").pattern
    + rf"(?:[ \t]*[（(][ \t]*(?P<bracketed>[{HAN}]{{2,4}})[ \t]*[)）]"
    + rf"|(?P<pet>(?P<doubled>[{HAN}])(?P=doubled)|[小阿][{HAN}](?=[，。,.、！!？?；;：:\s]|$)))"
)
#: After these, whatever Han run follows (2-4 characters up to punctuation) is a name.
_BARE_CUE = re.compile(
    _cue(_INTRODUCTIONS, r"[ \t:：]*$").pattern
    + "|"
    + _cue(_LABELS, r"[ \t]*[:：][ \t]*$").pattern
    + r"|姓名[ \t]+$"
)
_BARE_NAME = re.compile(f"[{HAN}]{{2,4}}(?=$|[^{HAN}])")
#: Characters that end a name's given part (particles, pronouns, common verbs after a name).
_NOT_GIVEN = frozenset("的了是在和与及或就也都说要想会把被给跟从向对您你我他她它们吗呢吧啊呀已还又再")
#: jieba tags of function words, numbers and punctuation: never a given name.
_FUNCTION_TAGS = frozenset(_words("p u uj ul uz ug uv ud c r y e x f q m o w zg"))
#: Tags of a one-character word that is grammar here, not a surname (于: preposition, 都: adverb).
_GRAMMAR_TAGS = frozenset(_words("d p c u uj ul uz ug uv ud r y e"))
#: Tags jieba gives a surname standing alone (name, or a bound morpheme: ng, zg).
_SURNAME_TAGS = _NAME_TAGS | {"ng", "zg"}
#: Compound surnames that are also ordinary words ("东方" east, "百里" a hundred li).
_WORDLIKE_COMPOUNDS = frozenset(
    ["东方", "西门", "东门", "南门", "百里", "第五", "司空", "单于", "夹谷", "谷梁", "东郭"]
)
#: Conjunctions jieba sometimes glues to the next name ("和隗娟").
_JOINERS = frozenset("和与及跟同")
#: Endings of words jieba's dictionary tags as names but that are places or things (石家庄, 王府井, 银联卡).
_NOT_NAME_ENDINGS = tuple("市省县区镇乡村路街巷州庄井口港卡")
#: Brands, products and medicines that jieba tags as names or that begin with a surname ("支付宝", "华为",
#: "马应龙", "白加黑"): a name overlapping one of them is dropped.
_NOT_NAMES = _words(
    "支付宝 余额宝 花呗 借呗 华为 高德 阿里 阿里巴巴 易方达 花旗 汇丰 渣打 王老吉 马应龙 白加黑 泰诺 泰诺林 同仁堂 "
    "胡庆余堂 雷允上 童涵春 云南白药 施慧达 布洛芬 阿莫西林 连花清瘟 丁桂 金嗓子 三九 康泰克 江中 健胃消食 "
    "窦性心律 窦性 房颤 心律 宋体 黑体 楷体 "
    # 阿 + a kinship word is how family members are addressed (grandma, grandpa, dad, uncle …), not a pet name
    "阿嬷 阿公 阿婆 阿爸 阿妈 阿母 阿爹 阿娘 阿伯 阿叔 阿婶 阿舅 阿哥 阿姐 阿嫂 阿爷 阿奶 阿祖 阿太"
)
#: Parts of generic drug names (INN stems in Chinese: 华法林, 万古霉素, 贝那普利, 雷贝拉唑 …): a "name" holding or
#: running into one is a medicine.
_DRUG_PART = re.compile(
    "霉素|沙星|西林|普利|沙坦|地平|洛尔|他汀|拉唑|替丁|胰岛素|法林|格列|双胍|肝素|卡因|巴比妥|西泮|唑仑"
)
#: Last characters of medicine names (安宫牛黄丸, 藿香正气液): never the end of a person's name.
_MEDICINE_ENDINGS = frozenset("丸膏剂液")
_NOT_NAMES_RE = re.compile("|".join(sorted(map(re.escape, _NOT_NAMES), key=len, reverse=True)))
#: What follows a brand or a medicine, not a person ("…胶囊", "…药业", "…基金").
_PRODUCT_AFTER = re.compile(
    f"[{HAN}]{{0,3}}?(?:胶囊|颗粒|口服液|注射液|糖浆|滴眼液|喷雾剂|软膏|药膏|集团|基金|证券|药业|药房|养老院|敬老院|老年公寓|福利院|护理院|卫生院|卫生服务|诊所|幼儿园|小学|中学)"
)


class ChineseNameRecognizer(EntityRecognizer):
    """``PERSON`` in Chinese text, from jieba's part-of-speech tagger plus surname, cue and title rules.

    Method (``benchmarks/chinese_names.py`` measures each part):

    - *jieba*: words jieba's POS tagger (``jieba.posseg``: dictionary + HMM, v0.42.1) tags ``nr``, ``nrfg``
      or ``nrt`` that begin with a known surname (:func:`chinese_surnames`) and have at most two more
      characters, or, with an unknown surname, 2-3 character ones its HMM found outside its dictionary
      ("訾杰"); a surname word followed by a 1-2 character given name is joined ("欧阳" + "娜娜"; the given
      name tagged or out of the dictionary, or noun-like when jieba tags the surname itself ``nr`` or it is
      an unambiguous compound surname); a trailing form of address is cut off ("王先生" -> "王"); words
      ending like places or things ("…庄", "…市", "…卡") are not names. Score 0.6.
    - *cue*: after an introduction, a form label or a role word ("我叫", "姓名：", "客户", "患者", "转给" …):
      a known surname and a 1-2 character given name, ending at a particle, a form of address, a verb or
      punctuation; a name-tagged word even with an unknown surname; and, after an introduction or a label
      with a colon, any 2-4 Han characters up to punctuation. Before a form of address ("林医生",
      "方杨医生"): a known surname and 0-2 given characters. Score 0.8 after a cue, 0.7 before a title.

    ``methods`` selects the parts: ``("jieba", "cue")`` (default, the product), or one of them, or
    ``("jieba-raw",)`` (every name-tagged word, unfiltered) for the benchmark's comparison.

    jieba is initialised on first use (about 2 s), with its prefix-dictionary cache in a private directory
    under the system temporary directory and its console logging silenced; nothing is downloaded.

    Raises:
        PrivacyError: An unknown method name.
    """

    def __init__(self, methods: Iterable[str] = ("jieba", "cue")) -> None:
        self.methods = frozenset(methods)
        unknown = self.methods - {"jieba", "cue", "jieba-raw"}
        if unknown:
            raise PrivacyError(f"unknown name method(s) {sorted(unknown)}; use 'jieba', 'cue' or 'jieba-raw'")
        super().__init__(supported_entities=["PERSON"], name="ChineseNameRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load eagerly (jieba is loaded on the first Chinese text)."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return PERSON results for Chinese person names in ``text`` (none when it has no Han character)."""
        if "PERSON" not in entities or not HAS_HAN.search(text):
            return []
        words = _tag(text)
        spans: dict[tuple[int, int], float] = {}
        found: list[tuple[int, int, float]] = []
        if "jieba-raw" in self.methods:
            found += [(w.start, w.end, 0.6) for w in words if w.flag in _NAME_TAGS]
        if "jieba" in self.methods:
            found += _jieba_names(words)
        if "cue" in self.methods:
            found += _cued_names(text, words) + _titled_names(words) + _relative_names(text)
        blocked = [m.span() for m in _NOT_NAMES_RE.finditer(text)]
        for start, end, score in found:
            drug = _DRUG_PART.search(text, start, min(len(text), end + 3))
            if (
                any(s < end and start < e for s, e in blocked)
                or _PRODUCT_AFTER.match(text, end)
                or text[end - 1 : end] in _MEDICINE_ENDINGS
                or (drug is not None and drug.start() <= end)
                or text[start:end] in _NOT_INFORMAL
                or text[start:end] in _RELATIVES
            ):
                continue
            if end > start and spans.get((start, end), 0.0) < score:
                spans[(start, end)] = score
        for (start, end), score in list(spans.items()):
            # the same name elsewhere in the message ("小雨今天…。小雨是我女儿"): found once, masked everywhere
            if end - start >= 2:
                for again in re.finditer(re.escape(text[start:end]), text):
                    if spans.get(again.span(), 0.0) < score:
                        spans[again.span()] = score
        return [
            RecognizerResult(
                entity_type="PERSON",
                start=start,
                end=end,
                score=score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: "ChineseNameRecognizer",
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for (start, end), score in sorted(spans.items())
        ]


class _Word:
    """One jieba word with its tag and character offsets (end exclusive)."""

    __slots__ = ("end", "flag", "start", "text")

    def __init__(self, text: str, flag: str, start: int) -> None:
        self.text, self.flag, self.start, self.end = text, flag, start, start + len(text)


def _tag(text: str) -> list[_Word]:
    return list(tagged_words(text))


@lru_cache(maxsize=4)
def tagged_words(text: str) -> tuple[_Word, ...]:
    """jieba's words of ``text`` with their part-of-speech tags and character offsets, in order.

    Traditional characters are tagged in their simplified form (:func:`privacy.hanzi.to_simplified`: jieba's
    dictionary and HMM are simplified; unfolded, its HMM took 100-330 ms on a traditional message); the words
    keep the characters as written. Cached for the last 4 texts only: the name, address and facility rules read
    the same message one after the other (one jieba pass, about 3 ms for 200 characters), and no more messages
    than that stay in memory.
    """
    words: list[_Word] = []
    offset = 0
    for pair in _pos_tokenizer().cut(to_simplified(text)):  # same offsets; the words as written
        words.append(_Word(text[offset : offset + len(pair.word)], pair.flag, offset))
        offset += len(pair.word)
    return tuple(words)


def _frequency(word: str) -> int:
    """The word's count in jieba's dictionary (0 when it is not there)."""
    return int(_pos_tokenizer().tokenizer.FREQ.get(to_simplified(word)) or 0)


def _in_dictionary(word: str) -> bool:
    return _frequency(word) > 0


#: jieba's dictionary tags 174 two-character words that begin with a surname as names (``nr``) with a count of
#: 500 or more, most of them everyday words: 谢谢 (1,089), 叶子 (1,205), 明白, 阳光, 顾客, 安静, 许可, 原谅, 康复
#: (a new-user trial, 2026-12-07, saw "谢谢" become <PERSON_4>); the rest are historical figures (曹操, 鲁迅),
#: not the people a message is about. The names people have are not dictionary words: of 42 common full
#: names (张伟, 王芳, 李明, …) 40 have no entry, 李娜 has 438 and 高峰 ("peak") 1,556. Such a word still counts
#: after a cue or before a form of address ("我叫高峰", "高峰先生").
_COMMON_WORD_FREQUENCY = 500


def _is_surname(chars: str) -> bool:
    """Whether ``chars`` is a known surname as written or in simplified form (a traditional surname the lists
    only hold simplified: "龐" as "庞")."""
    return chars in chinese_surnames() or to_simplified(chars) in chinese_surnames()


def _surname_of(word: str) -> str:
    """The known surname ``word`` begins with (a compound one first), or ""."""
    if (
        len(word) >= 2
        and _is_surname(word[:2])
        and (len(word) > 2 or word in COMPOUND_SURNAMES or to_simplified(word) in COMPOUND_SURNAMES)
    ):
        return word[:2]
    return word[:1] if _is_surname(word[:1]) else ""


def _strip_title(word: str) -> str:
    for title in sorted(_TITLES, key=len, reverse=True):
        if word.endswith(title) and len(word) > len(title):
            return word[: -len(title)]
    return word


def _is_han(text: str) -> bool:
    return bool(text) and all(HAS_HAN.match(c) for c in text)


def _given_end(words: list[_Word], i: int, loose: bool, cued: bool = False) -> int:
    """End offset of a 1-2 character given name in the words after word ``i`` (a surname), or that word's end.

    A given-name word is a Han word not starting with a particle (:data:`_NOT_GIVEN`) and not a form of
    address; ``loose`` (after a cue or before a title) also takes single characters and words with a
    noun-like tag (:data:`_GIVEN_TAGS`), otherwise only name-tagged or out-of-dictionary words count;
    ``cued`` (right after a cue) takes any word but a function word (:data:`_FUNCTION_TAGS`) or a one-character
    verb.
    """
    start = end = words[i].end
    for word in words[i + 1 :]:
        if (
            not _is_han(word.text)
            or word.text in _TITLES
            or word.text[0] in _NOT_GIVEN
            or end + len(word.text) - start > 2
        ):
            break
        tagged = word.flag in _NAME_TAGS or not _in_dictionary(word.text)
        if (
            cued
            and word.flag not in _FUNCTION_TAGS
            and not (word.flag.startswith("v") and len(word.text) == 1)
        ):
            tagged = True  # after a cue ("5床赵/国庆", "主刀医师宋/立新"): any content word
        if not (tagged or (loose and (len(word.text) == 1 or word.flag in _GIVEN_TAGS))):
            break
        end = word.end
    return end


def _jieba_names(words: list[_Word]) -> list[tuple[int, int, float]]:
    """Name-tagged words with a known surname or out of jieba's dictionary, and surname words joined with
    their given name (see :class:`ChineseNameRecognizer`)."""
    found = []
    for i, word in enumerate(words):
        if _is_surname(word.text) and (len(word.text) == 2 or word.flag in _SURNAME_TAGS):
            # jieba's own name tag on the surname (or an unambiguous compound) lets noun-like words follow
            loose = word.flag in _NAME_TAGS or (len(word.text) == 2 and word.text not in _WORDLIKE_COMPOUNDS)
            end = _given_end(words, i, loose=loose)
            if end > word.end:
                found.append((word.start, end, 0.6))
                continue
        if word.flag not in _NAME_TAGS or not _is_han(word.text):
            continue
        start, name = word.start, _strip_title(word.text)
        if name[0] in _JOINERS and len(name) >= 3:  # "和隗娟": jieba glued a conjunction to the name
            start, name = start + 1, name[1:]
        surname = _surname_of(name)
        if name.endswith(_NOT_NAME_ENDINGS) or len(name) > len(surname) + 2 + (not surname):
            continue
        if not surname and (len(name) < 2 or _in_dictionary(name)):
            continue  # an unknown surname: only words jieba's HMM found ("訾杰"), not dictionary entries
        if len(name) == 2 and name == word.text and _frequency(name) >= _COMMON_WORD_FREQUENCY:
            continue  # a frequent dictionary word jieba tags as a name ("谢谢", "叶子", "明白"): see below
        nxt = words[i + 1].text if i + 1 < len(words) else ""
        if name == surname and name == word.text and nxt not in _TITLES:
            continue  # a lone surname counts only before a form of address
        found.append((start, start + len(name), 0.6))
    return found


def _cued_names(text: str, words: list[_Word]) -> list[tuple[int, int, float]]:
    """Names right after a cue phrase (see :class:`ChineseNameRecognizer`)."""
    found = []
    for i, word in enumerate(words):
        before = text[max(0, word.start - 8) : word.start]
        if _CUE.search(before) is None and not (i and words[i - 1].text in _VERB_CUES):
            continue
        if _BARE_CUE.search(before) and (bare := _BARE_NAME.match(text, word.start)) is not None:
            found.append((bare.start(), bare.end(), 0.8))
            continue
        name = _strip_title(word.text)
        surname = _surname_of(name)
        if word.text == surname and word.flag in _GRAMMAR_TAGS:
            continue  # "患者于今晨…", "和老公都有…": a preposition or an adverb, not a surname
        if word.text == surname:
            end = _given_end(words, i, loose=True, cued=True)
            if end > word.end:
                found.append((word.start, end, 0.8))
        elif not _is_han(name) or name.endswith(_NOT_NAME_ENDINGS) or not 2 <= len(name) <= 4:
            continue
        elif word.flag in _NAME_TAGS and (len(name) <= 3 or surname):
            found.append((word.start, word.start + len(name), 0.8))  # "转告汲浩": unknown surname, tagged
        elif surname and len(name) <= len(surname) + 2 and not _in_dictionary(name):
            found.append((word.start, word.start + len(name), 0.8))  # "转告欧琴": out-of-dictionary word
    return found


_NAME_BEFORE_RELATIVE = re.compile(
    rf"(?:^|(?<=[，。！？；：、,.!?;:\s]))(?P<name>[{HAN}]{{2,3}})是我的?" + _cue(_RELATIVES, "").pattern
)
_INFORMAL_NAME = re.compile(
    rf"(?P<name>[小老](?P<surname>[{HAN}]))(?=[（(]|说|来|去|让|给|也|和|跟|在|是|的|[，。！？,.!?；;：:\s]|$)"
)
#: 小/老 words that are no one's name even where jieba tags them as names.
_NOT_INFORMAL = _words(
    "老公 老婆 老师 老板 老家 老人 老总 老乡 老伴 老大 老二 老三 小姐 小孩 小时 小区 小学 小心 小说 小组 小费 小儿 小额"
)
#: What may stand right before an informal name: no Han character, or a role or a relative ("运维小马").
_BEFORE_INFORMAL = re.compile(rf"(?:^|[^{HAN}]|" + _cue([*_ROLES, *_RELATIVES], "").pattern + ")$")
_LATIN_AFTER_LABEL = re.compile(
    r"(?:姓名|名字|户名|持卡人|收款人|联系人|收件人)[ \t]*[:：]?[ \t]*"
    r"(?P<name>[A-Z][A-Za-z]+(?:[ \t]+[A-Z][A-Za-z]+){1,2})(?![A-Za-z])"
)
#: One-character verbs after which a name often follows, when jieba reads them as a word of their own
#: ("让/柏/志远", "给/袁晓东"; not the 请 of "申请").
_VERB_CUES = frozenset("让叫请问帮陪给找等催")

#: Doubled words that are adverbs, verbs or kinship terms, not pet names ("我女儿天天哭").
_DOUBLED_WORDS = _words(
    "天天 常常 刚刚 慢慢 渐渐 偷偷 好好 早早 悄悄 默默 静静 多多 往往 处处 个个 人人 家家 年年 时时 明明 稍稍 "
    "快快 乖乖 轻轻 紧紧 久久 统统 白白 偏偏 仅仅 每每 一一 哈哈 呵呵 嘻嘻 妈妈 爸爸 哥哥 姐姐 弟弟 "
    "妹妹 爷爷 奶奶 姥姥 宝宝 叔叔 婆婆 公公 舅舅 姑姑 星星 谢谢 看看 试试 问问 想想 说说 等等 走走 聊聊"
)


def _relative_names(text: str) -> list[tuple[int, int, float]]:
    """A name in brackets, a doubled pet name or 小/阿 + one character right after a relative ("我女儿（婷婷）",
    "我儿子豆豆", "奶奶阿珍。"); 2-3 characters at a clause start before "是我(的)" and a relative ("小雨是我女儿");
    小/老 + a known one-character surname before a bracket, a verb or punctuation ("运维小马（…）", "老王说");
    a name in Latin letters after a name label ("姓名：MA LING")."""
    found = []
    for match in _NAME_BEFORE_RELATIVE.finditer(text):
        found.append((match.start("name"), match.end("name"), 0.8))
    for match in _INFORMAL_NAME.finditer(text):
        word = match.group("name")
        before = _BEFORE_INFORMAL.search(text[max(0, match.start() - 6) : match.start()])
        if before is None or not _is_surname(match.group("surname")):
            continue
        if word in _RELATIVES or word in _TITLES or word in _NOT_INFORMAL:
            continue
        after_role = HAS_HAN.search(before.group()) is not None  # "运维小马": a role word right before
        if after_role or not (_in_dictionary(word) and not {w.flag for w in tagged_words(word)} & _NAME_TAGS):
            found.append((match.start("name"), match.end("name"), 0.7))
    for match in _LATIN_AFTER_LABEL.finditer(text):
        found.append((match.start("name"), match.end("name"), 0.8))
    for match in _RELATIVE_NAME.finditer(text):
        group = "bracketed" if match.group("bracketed") else "pet"
        value = match.group(group)
        if value in _DOUBLED_WORDS:
            continue
        if group == "bracketed" and len(set(value)) > 1 and _in_dictionary(value):
            tags = {w.flag for w in tagged_words(value)}
            if not tags & (_NAME_TAGS | {"ns", "nz"}):
                continue  # "我女儿（大学生）": a description, not a name
        found.append((match.start(group), match.end(group), 0.8))
    return found


def _titled_names(words: list[_Word]) -> list[tuple[int, int, float]]:
    """A known surname and 0-2 given characters right before a form of address ("林医生", "方杨医生")."""
    found = []
    for i, title in enumerate(words):
        if title.text not in _TITLES:
            continue
        for j in range(max(0, i - 3), i):  # longest first
            first, name = words[j], "".join(w.text for w in words[j:i])
            surname = _surname_of(name)
            if (
                not surname
                or not _is_han(name)
                or len(name) > len(surname) + 2
                or name.endswith(_NOT_NAME_ENDINGS)
                or not (surname.startswith(first.text) or first.text.startswith(surname))
                or any(w.text[0] in _NOT_GIVEN for w in words[j + 1 : i])
            ):
                continue
            if j == i - 1 and name != surname and first.flag not in _NAME_TAGS and _in_dictionary(name):
                continue  # "全科/医生": one dictionary word before the title
            found.append((first.start, title.start, 0.7))
            break
    return found


_JIEBA_LOCK = threading.Lock()
_POS_TOKENIZER: Any = None
_log = logging.getLogger(__name__)


def _pos_tokenizer() -> Any:
    """jieba's POS tokenizer on its bundled dictionary, initialised once (thread-safe)."""
    global _POS_TOKENIZER
    if _POS_TOKENIZER is None:
        with _JIEBA_LOCK:
            if _POS_TOKENIZER is None:
                import jieba
                import jieba.posseg

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.tmp_dir = str(_jieba_cache_dir())
                tokenizer.initialize()
                _log.debug("jieba initialised (cache in %s)", tokenizer.tmp_dir)
                _POS_TOKENIZER = jieba.posseg.POSTokenizer(tokenizer)
    return _POS_TOKENIZER


def _jieba_cache_dir() -> Path:
    """A directory only this user can write, under the system temporary directory, for jieba's cache.

    jieba loads its cache with ``marshal``; a cache file planted by another user must not be read, so a
    directory that exists but is not ours or is writable by others is replaced by a fresh private one.
    """
    path = Path(tempfile.gettempdir()) / f"domain-assistant-{os.getuid()}" / "jieba"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (path, path.parent):
            info = directory.lstat()
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise PermissionError(directory)
        return path
    except OSError:
        return Path(tempfile.mkdtemp(prefix="domain-assistant-jieba-"))


class HanAwareSpacyRecognizer(SpacyRecognizer):
    """Presidio's spaCy NER recognizer, minus what an English model makes of Chinese text.

    The English spaCy model tags whole Chinese clauses as PERSON, DATE_TIME or ORGANIZATION (in the
    benchmark's 200 name-free Chinese sentences, 26 got such a PERSON). Such a span would hide the names
    inside it (Presidio drops a finding contained in a higher-scored one of the same type) and replace a
    whole sentence. Here Han characters (and the punctuation next to them) are cut from both edges of each
    result; a result that still holds a Han character is dropped ("我的朋友John Smith说" keeps "John Smith").
    In a text with Han characters, a name or place made of 1-4 digits or 1-4 capitals is dropped too (the
    model reads the bed numbers of "3床…；5床…" as places and "ST段" as a person; in Chinese text such capitals
    are abbreviations: CT, ICU, HIV). Longer digit runs stay: they are more often identifiers than not.
    """

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return spaCy's results for ``entities`` with Han characters cut off or the result dropped."""
        kept = []
        han_text = HAS_HAN.search(text) is not None
        for result in super().analyze(text, entities, nlp_artifacts):
            span = text[result.start : result.end]
            if HAS_HAN.search(span):
                edges = _HAN_EDGES.fullmatch(span)
                if edges is None or not edges.group(2) or HAS_HAN.search(edges.group(2)):
                    continue
                result.start += len(edges.group(1))
                result.end = result.start + len(edges.group(2))
                span = edges.group(2)
            if (
                han_text
                and result.entity_type in _NAMED_TYPES
                and (re.fullmatch(r"\d{1,4}|[A-Z]{1,4}", span) is not None)
            ):
                continue  # "3床…；5床…": bed numbers read as places; "ST段", "CT", "ICU": abbreviations
            kept.append(result)
        return kept


#: NER types whose value is a name: never made of digits alone.
_NAMED_TYPES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION"})
_HAN_EDGES = re.compile(f"([{HAN}\\W]*)(.*?)([{HAN}\\W]*)", re.DOTALL)


def chinese_recognizers() -> list[EntityRecognizer]:
    """The Chinese recognizers: this module's four (IDs, mobiles, UnionPay cards, names), plus addresses
    (:mod:`privacy.chinese_addresses`), dates (:mod:`privacy.chinese_dates`), labelled record numbers and
    vehicle plates (:mod:`privacy.chinese_ids`)."""
    from privacy.chinese_addresses import ChineseAddressRecognizer
    from privacy.chinese_dates import ChineseDateRecognizer
    from privacy.chinese_ids import ChinesePlateRecognizer, ChineseRecordNumberRecognizer

    return [
        ChineseResidentIdRecognizer(),
        ChineseMobileRecognizer(),
        UnionPayCardRecognizer(),
        ChineseNameRecognizer(),
        ChineseAddressRecognizer(),
        ChineseDateRecognizer(),
        ChineseRecordNumberRecognizer(),
        ChinesePlateRecognizer(),
    ]


def add_chinese_recognizers(registry: RecognizerRegistry) -> None:
    """Add :func:`chinese_recognizers` to ``registry`` and swap its spaCy recognizer for
    :class:`HanAwareSpacyRecognizer` (same entities, strength and name)."""
    registry.recognizers = [
        HanAwareSpacyRecognizer(
            supported_language=r.supported_language,
            supported_entities=r.supported_entities,
            ner_strength=r.ner_strength,
            name="SpacyRecognizer",
        )
        if type(r) is SpacyRecognizer
        else r
        for r in registry.recognizers
    ]
    for recognizer in chinese_recognizers():
        registry.add_recognizer(recognizer)
