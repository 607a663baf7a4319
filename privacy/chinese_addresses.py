"""Chinese postal addresses (``STREET_ADDRESS``, or ``LOCATION`` for a policy that lists only that).

A mainland address is written from the largest unit to the smallest, without spaces or commas:
``[省/自治区/直辖市][市/州/地区][区/县/旗][镇/乡/街道][村/社区][路/街/大道/巷/弄/胡同 + 门牌号][小区/大厦][栋/幢/座]
[单元][楼/层][室]``, any level may be left out, and numbers may be Arabic (``478号``, ``3-2-501``) or Chinese
numerals (``二十三号``). The recognizer reads a run of such *components* (a name of Han characters with a level
word after it, or a number with its unit word) and reports the run when it holds at least two components and
one of them is below district level: a street with its number, a town, village or community, a residential
compound, a building, a unit or a room. A district or a city alone, a street name alone ("中山路"), a bed or a
metro line number ("3号床", "1号线") are not addresses.

A component's name holds no particle, pronoun or common verb (的, 在, 住, 到, 是, 我 …), so "我住在浙江省…" starts at
"浙江省"; the first component's name is further cut back to jieba's word boundary ("前往上海市…" starts at "上海市",
"大关路" is kept whole although jieba splits it into 大关/路).

Score 0.95 for ``STREET_ADDRESS`` (pattern-based, it wins over a name the name rules find inside a street
name) and 0.95 for ``LOCATION`` (above the NER model's 0.85 and the name rules' 0.8, so the whole address
wins over a PERSON inside it: the de-identifier resolves overlaps of NER types by score).
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.chinese import HAN, HAS_HAN, tagged_words
from privacy.lexicon import word_set
from privacy.recognizers import recognizer_result

__all__ = ["ChineseAddressRecognizer", "chinese_address_spans", "chinese_facility_spans"]


#: Characters that never belong to a place name in running text (particles, pronouns, verbs of moving and
#: living, punctuation is excluded anyway by the Han class).
_NOT_NAME = "的了是在就也说要想您你我他她它们吗呢吧啊呀到去住寄搬送往址请"
_NAME_CHAR = f"(?:(?![{_NOT_NAME}])[{HAN}])"
#: A number: Arabic (maybe with a letter: 12A) or Chinese numerals.
_N = r"(?:\d{1,5}[A-Za-z]?|[零〇一二三四五六七八九十百千两]{1,6})"
#: Administrative levels, longest first.
_ADMIN = "特别行政区|自治区|自治州|自治县|自治旗|新区|地区|街道|社区|省|市|区|县|旗|盟|镇|乡|村|屯|嘎查"
#: Admin levels at or below a town (a place that narrows to a few thousand people).
_LOCAL_ADMIN = ("街道", "社区", "镇", "乡", "村", "屯", "嘎查")
_STREET = "大街|大道|胡同|街|路|道|巷|弄|里"
_COMPLEX = "小区|花园|家园|新村|公寓|大厦|广场|大楼|中心|苑|公馆|山庄|府|庭|湾|园|城"
_COMPONENT = re.compile(
    rf"(?P<admin>{_NAME_CHAR}{{1,8}}?(?:{_ADMIN}))"
    rf"|(?P<street>{_NAME_CHAR}{{1,8}}?(?:{_STREET})(?:{_N}段)?)"
    rf"|(?P<dashed>\d{{1,4}}[-－]\d{{1,4}}(?:[-－]\d{{1,5}})?(?:室|房|号)?)"
    rf"|(?P<building>(?:{_N}|[A-Za-z])\s?(?:号楼|栋|幢|座|号楼|楼(?=\s?{_N}\s?单元)))"
    rf"|(?P<unit>{_N}\s?单元)"
    rf"|(?P<floor>{_N}\s?(?:层|楼|F)(?![下上梯道]))"
    rf"|(?P<room>(?:{_N}|[A-Za-z])\s?(?:室|房|号房|户))"
    rf"|(?P<number>(?:[附甲乙丙丁]|之)?{_N}(?:[-－之]{_N})?(?:号院|号|弄|巷|支弄)(?![床线位机窗口门站台])(?:附{_N}号)?)"
    rf"|(?P<group>{_N}(?:组|队))"
    rf"|(?P<complex>(?:{_NAME_CHAR}|[A-Za-z]){{2,8}}?(?:{_COMPLEX}))"
)
#: A bare room number right after a unit, a building or a floor ("2单元401").
_BARE_ROOM = re.compile(r"\d{3,5}(?![\d号年月日岁元块])")
#: Generic words that end like a level but name no place ("病区", "市区", "地区", "小区" alone …).
_GENERIC = word_set(
    "病区 市区 地区 社区 小区 城区 景区 辖区 郊区 山区 疫区 园区 校区 营业区 本市 全市 全省 本省 外省 县城 城市 "
    "道路 马路 街道 知道 味道 通道 渠道 肠道 食道 尿道 阴道 气道 呼吸道 消化道 车道 跑道 频道 一路 一道 思路 线路 "
    "电路 公路 铁路 走路 出路 迷路 花园 公园 校园 乐园 家园 商城 京城 长城 进城"
)
_NUMBERED = frozenset({"number", "dashed", "building", "unit", "floor", "room", "group"})


def chinese_address_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the Chinese addresses in ``text`` (see the module docstring), in
    simplified characters: the de-identifier's detection view reads traditional ones as simplified
    (:func:`privacy.normalize.detection_views`: "英皇道300號" reads "英皇道300号")."""
    if not HAS_HAN.search(text):
        return []
    spans: list[tuple[int, int]] = []
    position = 0
    while position < len(text):
        match = _COMPONENT.search(text, position)
        if match is None:
            break
        components = [match]
        end = match.end()
        while True:
            gap = re.match(r"[ \t]?", text[end:]).end() if end < len(text) else 0  # type: ignore[union-attr]
            following = _COMPONENT.match(text, end + gap)
            if following is None or following.end() == following.start():
                break
            components.append(following)
            end = following.end()
        if components[-1].lastgroup in ("unit", "building", "floor", "complex") and (
            room := _BARE_ROOM.match(text, end)
        ):
            end = room.end()
        if _is_address(components, bare_room=end > components[-1].end()):
            start = _first_start(text, components[0])
            spans.append((start, end))
        position = max(end, match.start() + 1)
    return spans


def _is_address(components: list[re.Match[str]], bare_room: bool = False) -> bool:
    """At least two components, not generic words, one of them below district level; a compound or centre
    counts with a building, unit or room after it ("现代城C座1806"), not with a floor ("体检中心3楼"); numbers
    alone count with a unit or a room ("5栋2单元1201室"), not as building and floor ("2号楼3层")."""
    useful = [c for c in components if c.group() not in _GENERIC]
    if len(useful) < 2:
        return False
    kinds = [c.lastgroup for c in useful]
    local = any(c.lastgroup == "admin" and c.group().endswith(_LOCAL_ADMIN) for c in useful)
    street_number = any(
        kind == "street" and i + 1 < len(kinds) and kinds[i + 1] in _NUMBERED for i, kind in enumerate(kinds)
    )
    dwelling = bare_room or any(kind in ("unit", "room", "dashed") for kind in kinds)
    building = (sum(kind in _NUMBERED for kind in kinds) >= 2 and dwelling) or (
        "complex" in kinds
        and (bare_room or any(kind in ("building", "unit", "room", "dashed") for kind in kinds))
    )
    # a street under a named district or city ("思明区鼓浪屿龙头路"), even without its number
    named_street = any(kind == "street" and i > 0 and kinds[i - 1] == "admin" for i, kind in enumerate(kinds))
    return local or street_number or building or named_street


#: jieba tags of words that do not begin a place name (verbs, adverbs, pronouns, prepositions, conjunctions,
#: particles, time words, adjectives, interjections).
_LEADING_TAGS = word_set("v vd p r c d u uj ul uz ug uv t a ad an y e o")
_LEVEL_WORD = re.compile(rf"(?:[东西南北中]?(?:{_ADMIN}|{_STREET})|{_COMPLEX})$")


def _first_start(text: str, first: re.Match[str]) -> int:
    """Where the first component's name starts: after the last jieba word that is a verb, adverb, pronoun,
    preposition or the like ("麻烦改成福州市…" starts at "福州市", "患者由青山湖社区…" at "青山湖"), as long as a name
    stays before the level word."""
    if first.lastgroup not in ("admin", "street", "complex"):
        return first.start()
    start, end = first.span()
    level = _LEVEL_WORD.search(first.group())
    name_end = start + (level.start() if level else len(first.group()) - 1)
    begin = start
    for word in tagged_words(text):
        if word.start < start:
            continue
        if word.start >= name_end or word.end >= name_end:
            break
        if word.flag in _LEADING_TAGS:
            begin = word.end  # "患者由青山湖社区…": the name begins after the last such word
    return begin


_FACILITY_WORDS = (
    "社区卫生服务中心|社区卫生服务站|卫生服务中心|卫生服务站|老年公寓|康养中心|养老中心|养老院|敬老院|福利院|护理院|"
    "托老所|疗养院|卫生院|卫生室|诊所|幼儿园|托儿所|小学|中学|"
    # small companies, an employer that narrows a person down ("恒达物流有限公司"); not banks and insurers
    "有限责任公司|有限公司|工作室|商行|经营部"
)
#: Names of public financial institutions and groups before 有限公司: known to all, they locate no one.
_PUBLIC_COMPANY = re.compile("银行|保险|证券|基金|集团|信托|支付|电网|石油|石化|移动|联通|电信")
_FACILITY = re.compile(rf"{_NAME_CHAR}{{2,6}}?(?:{_FACILITY_WORDS})")
#: Names before a facility word that name no particular one ("社区诊所", "私人诊所", "附近幼儿园").
_GENERIC_FACILITY_NAMES = word_set(
    "社区 私人 附近 一家 这家 那家 乡镇 村里 口腔 牙科 中医 西医 宠物 公立 民办 私立 本地 当地 镇上 县里 市里 "
    "普通 重点 公办 双语 国际 街道 小区 一所 这所 那所 周边 正规"
)
_NOT_IN_FACILITY_NAME = word_set("v vd p r c d u uj ul uz ug uv t y e o m q f")


def chinese_facility_spans(text: str) -> list[tuple[int, int]]:
    """Spans of small named facilities that locate a person: care homes, community clinics, nurseries,
    schools and small companies ("阳光老年公寓", "康乐养老院", "仁爱社区卫生服务站", "实验小学", "恒达物流有限公司";
    not banks, insurers or groups: "招商银行股份有限公司"); hospitals are left out (a city's
    hospital is shared by too many people to locate one). The name is what stands before the facility word
    (up to 6 Han characters) after the last word jieba reads as a verb, preposition, pronoun, particle,
    numeral or time word; it must hold 2 characters or more and not be a generic word ("社区", "私人").
    Simplified characters, as the detection view gives them ("康樂養老院" reads "康乐养老院")."""
    if not HAS_HAN.search(text):
        return []
    spans = []
    for match in _FACILITY.finditer(text):
        facility = re.search(rf"(?:{_FACILITY_WORDS})$", match.group())
        name_end = match.start() + (facility.start() if facility else 0)
        start = match.start()
        for word in tagged_words(text):
            if word.start >= name_end:
                break
            if word.end > start and word.flag in _NOT_IN_FACILITY_NAME:
                start = word.end  # the name begins after the last verb, preposition, pronoun … before it
        name = text[start:name_end]
        if len(name) < 2 or name in _GENERIC_FACILITY_NAMES or _PUBLIC_COMPANY.search(name):
            continue
        spans.append((start, match.end()))
    return spans


class ChineseAddressRecognizer(EntityRecognizer):
    """``STREET_ADDRESS`` (or ``LOCATION`` when only that is asked for) for Chinese postal addresses, and
    ``FACILITY_NAME`` (or ``LOCATION`` / ``STREET_ADDRESS``) for small named facilities.

    Method and scores: module docstring of :mod:`privacy.chinese_addresses`.
    """

    ENTITY = "STREET_ADDRESS"
    PLACE_ENTITY = "LOCATION"
    FACILITY_ENTITY = "FACILITY_NAME"
    SCORE = 0.95

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY, self.PLACE_ENTITY, self.FACILITY_ENTITY],
            name="ChineseAddressRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per Chinese address in ``text``: ``STREET_ADDRESS`` if asked for, else ``LOCATION`` if
        asked for; and one per small named facility (:func:`chinese_facility_spans`): ``FACILITY_NAME``, else
        ``LOCATION``, else ``STREET_ADDRESS``, whichever is asked for first."""
        found: list[tuple[str, int, int]] = []
        entity = self.ENTITY if self.ENTITY in entities else self.PLACE_ENTITY
        if entity in entities:
            found += [(entity, start, end) for start, end in chinese_address_spans(text)]
        facility = next(
            (e for e in (self.FACILITY_ENTITY, self.PLACE_ENTITY, self.ENTITY) if e in entities), ""
        )
        if facility:
            found += [
                (facility, start, end)
                for start, end in chinese_facility_spans(text)
                if not any(s <= start < e for _, s, e in found)
            ]
        return [
            recognizer_result(entity, start, end, self.SCORE, "ChineseAddressRecognizer", self.id)
            for entity, start, end in found
        ]
