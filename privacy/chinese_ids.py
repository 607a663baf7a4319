"""Labelled Chinese record numbers (住院号, 病案号, 医保卡号 …) and Chinese vehicle plates.

Record numbers: a label, an optional 码/号码, an optional colon or "是/为", then an identifier of 4-24 letters,
digits and hyphens (spaces only before a digit: ``3301 0219 8876``) holding at least 3 digits. The label decides the type, following the medical policy's
HIPAA Safe Harbor types (privacy.phi): hospital numbers (住院号, 病案号, 病历号, 门诊号, 登记号, 就诊卡号,
就诊号, 档案号, 影像号, 检查号, 标本号, ID号) are ``MEDICAL_RECORD_NUMBER``; medical-insurance and social-security
numbers (医保卡号, 医保号, 社保卡号, 社保号, 参保号, 医疗保险号) are ``HEALTH_PLAN_ID``; customer, policy, contract and
housing-fund numbers (客户号, 会员号, 保单号, 贷款合同号, 公积金账号, 病员号) and any of the above when the policy lacks
their type are ``REFERENCE_NUMBER`` (the finance policy's type for labelled customer numbers) or else
``ID_NUMBER`` (the medical policy's); traditional-script labels (會員編號, 客戶號 …) count the same. A bed number
(床号) identifies no one and is not reported. A label heading a column of a comma- or tab-separated table
("客户号,姓名,手机") makes the id-shaped cells under it such numbers too. Score 0.9.

Numbers typed after their label count as typed, whether or not their check character agrees (writers mistype;
the number still points at the person, as a mistyped card number after a card word does in privacy.cards):

- a resident-ID label (身份证, 身份证号码, 证件号, 身分證字號 …), a colon, 是 or blanks, then 18 characters whose first two
  digits are a province code and whose characters 7-14 are a real birth date: ``CN_RESIDENT_ID`` (the check
  character of GB 11643-1999 is not tested: privacy.chinese's recognizer reports valid numbers anywhere);
  in Chinese text the same 18-character shape without a label too, at score 0.6 ("正确的是350203199203154021",
  a JSON "id_card" value under a Chinese comment);
  a Taiwan identity number (a letter, 1 or 2, eight digits) after the same labels, too;
- an account label (账户, 账号, 帐号, 賬戶, 帳號 …) then 12-20 digits (groups of 4 allowed; card numbers
  after 卡号 are privacy.chinese's UnionPay cards):
  ``ACCOUNT_NUMBER`` if the policy has it, else ``REFERENCE_NUMBER``, else ``ID_NUMBER``;
- a passport label (护照, 護照, 护照号码) then one or two letters and 7-8 digits: ``ID_NUMBER``, else
  ``REFERENCE_NUMBER``. Score 0.85.

Plates (GA 36-2018): a province abbreviation (京, 沪, 粤 …), the issuing-office letter, an optional separator
(``·``, a space, a hyphen) and five characters (letters except I and O, digits), or six for new-energy
plates (``粤B·D12345``, ``京AF12345``), or four and 挂 for trailers; at least two digits. A trailing
学/警/港/澳 is part of the plate. ``VEHICLE_ID``, score 0.9 (0.95 after 车牌/牌照).
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.chinese import HAS_HAN
from privacy.recognizers import recognizer_result

__all__ = ["ChinesePlateRecognizer", "ChineseRecordNumberRecognizer"]

_MEDICAL_LABELS = (
    "住院号|住院编号|病案号|病历号|门诊号|登记号|就诊卡号|就诊号|档案号|影像号|检查号|标本号|ID号"
)
_PLAN_LABELS = "医保卡号|医保号|医保编号|社保卡号|社保号|社保编号|参保号|医疗保险号|医保账号"
_OTHER_LABELS = (
    "客户号|客户编号|会员号|会员卡号|会员编号|保单号|贷款合同号|合同编号|合同号|借据号|公积金账号|公积金账户|病员号|"
    "患者编号|患者ID|病人ID|客戶號|客戶編號|會員號|會員編號|會員卡號|保單號"
)
_RECORD = re.compile(
    rf"(?P<label>{_MEDICAL_LABELS}|{_PLAN_LABELS}|{_OTHER_LABELS})(?:码)?\s*(?:[:：]|是|为)?\s*"
    r"(?P<id>(?=[A-Za-z0-9 -]*\d[A-Za-z0-9 -]*\d[A-Za-z0-9 -]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]| (?=\d)){2,22}[A-Za-z0-9])"
    r"(?![A-Za-z0-9])"
)
_TYPE_OF_LABEL = {
    **dict.fromkeys(_MEDICAL_LABELS.split("|"), "MEDICAL_RECORD_NUMBER"),
    **dict.fromkeys(_PLAN_LABELS.split("|"), "HEALTH_PLAN_ID"),
    **dict.fromkeys(_OTHER_LABELS.split("|"), "REFERENCE_NUMBER"),
}


#: A resident-ID label, then up to 6 characters that are not Latin letters or digits ("号码是", "：", "：身份证 ").
_RESIDENT_ID_LABELLED = re.compile(
    r"(?:身份证|身分证|身份證|身分證|证件|證件)(?:号码|号|號碼|號|字号|字號)?[\s:：是为為]{0,3}"
    r"(?<![0-9A-Za-z])(?P<id>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]|"
    r"[A-Z][12]\d{8})(?![0-9A-Za-z])"
)
#: 18 characters shaped like a resident id without a label ("正确的是350203199203154021", a JSON "id_card" value):
#: reported at a lower score when the shape holds (province prefix, real birth date) in Chinese text, check
#: character or not.
_RESIDENT_ID_SHAPE = re.compile(
    r"(?<![0-9A-Za-z])(?P<id>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])"
    r"(?![0-9A-Za-z])"
)
_ACCOUNT_LABELLED = re.compile(
    r"(?:账户|账号|帐号|帐户|賬戶|帳號|帳戶|賬號)(?:号码|號碼)?[\s:：是为為]{0,3}"
    r"(?<![0-9])(?P<id>\d{12,20}|\d{4}(?: \d{4}){2,4}(?: \d{1,4})?)(?![0-9A-Za-z])"
)
_PASSPORT_LABELLED = re.compile(
    r"(?:护照|護照)(?:号码|号|號碼|號)?[\s:：是为為]{0,3}(?<![0-9A-Za-z])(?P<id>[A-Z]{1,2}\d{7,8})(?![0-9A-Za-z])"
)
#: Province-level codes of GB/T 2260 (as privacy.chinese reads them), Hong Kong/Macao/Taiwan permits.
_PROVINCE_PREFIXES = frozenset(
    re.findall(
        r"\d\d",
        "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83",
    )
)


def _resident_id_shape(value: str) -> bool:
    """Whether 18 characters have a province prefix and a real birth date (characters 7-14), or are a Taiwan
    identity number (letter, 1/2, eight digits); the check character is not tested (module docstring)."""
    import datetime

    if len(value) == 10:
        return True
    if value[:2] not in _PROVINCE_PREFIXES:
        return False
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= birth <= datetime.date.today()


_ID_CELL = re.compile(r"(?=(?:[A-Za-z-]*\d){3})[A-Za-z0-9][A-Za-z0-9-]{2,23}")


def _table_cells(text: str) -> list[tuple[str, int, int]]:
    """``(label, start, end)`` of the id cells of a comma- or tab-separated table whose header row names an id
    column with a record label ("客户号,姓名,手机" then "C2024001873,张三,…"): in each later row of as many cells,
    the cell under the label when it has an id's shape (3+ digits, letters, digits, hyphens)."""
    found: list[tuple[str, int, int]] = []
    header: tuple[str, int, list[str]] | None = None  # (separator, column count, column labels)
    offset = 0
    for line in text.splitlines(keepends=True):
        row = line.rstrip("\r\n")
        separator = "\t" if "\t" in row else "," if "," in row else ""
        cells = row.split(separator) if separator else [row]
        labels = [cell.strip() if cell.strip() in _TYPE_OF_LABEL else "" for cell in cells]
        if separator and any(labels):
            header = (separator, len(cells), labels)
        elif header is not None and separator == header[0] and len(cells) == header[1]:
            position = offset
            for cell, label in zip(cells, header[2], strict=True):
                value = cell.strip()
                if label and _ID_CELL.fullmatch(value):
                    start = position + cell.index(value)
                    found.append((label, start, start + len(value)))
                position += len(cell) + 1
        else:
            header = None
        offset += len(line)
    return found


class ChineseRecordNumberRecognizer(EntityRecognizer):
    """``MEDICAL_RECORD_NUMBER``, ``HEALTH_PLAN_ID`` or ``ID_NUMBER`` after a Chinese label; resident ids,
    accounts and passports after theirs, as typed (module docstring)."""

    SCORE = 0.9
    TYPED_SCORE = 0.85
    SHAPE_SCORE = 0.6

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[
                "MEDICAL_RECORD_NUMBER",
                "HEALTH_PLAN_ID",
                "REFERENCE_NUMBER",
                "ID_NUMBER",
                "CN_RESIDENT_ID",
                "ACCOUNT_NUMBER",
            ],
            name="ChineseRecordNumberRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per labelled number: the label's type if asked for, else ``REFERENCE_NUMBER``, else
        ``ID_NUMBER``."""
        if not HAS_HAN.search(text):
            return []
        results = []
        for match in _RECORD.finditer(text):
            wanted = (_TYPE_OF_LABEL[match.group("label")], "REFERENCE_NUMBER", "ID_NUMBER")
            entity = next((e for e in wanted if e in entities), "")
            if entity:
                start, end = match.span("id")
                results.append(
                    recognizer_result(
                        entity, start, end, self.SCORE, "ChineseRecordNumberRecognizer", self.id
                    )
                )
        for label, start, end in _table_cells(text):
            wanted = (_TYPE_OF_LABEL[label], "REFERENCE_NUMBER", "ID_NUMBER")
            entity = next((e for e in wanted if e in entities), "")
            if entity:
                results.append(
                    recognizer_result(
                        entity, start, end, self.SCORE, "ChineseRecordNumberRecognizer", self.id
                    )
                )
        typed: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
            (_RESIDENT_ID_LABELLED, ("CN_RESIDENT_ID", "ID_NUMBER")),
            (_ACCOUNT_LABELLED, ("ACCOUNT_NUMBER", "REFERENCE_NUMBER", "ID_NUMBER")),
            (_PASSPORT_LABELLED, ("ID_NUMBER", "REFERENCE_NUMBER")),
        )
        for pattern, types in typed:
            entity = next((e for e in types if e in entities), "")
            for match in pattern.finditer(text) if entity else ():
                if pattern is _RESIDENT_ID_LABELLED and not _resident_id_shape(match.group("id").upper()):
                    continue
                start, end = match.span("id")
                results.append(
                    recognizer_result(
                        entity, start, end, self.TYPED_SCORE, "ChineseRecordNumberRecognizer", self.id
                    )
                )
        entity = next((e for e in ("CN_RESIDENT_ID", "ID_NUMBER") if e in entities), "")
        for match in _RESIDENT_ID_SHAPE.finditer(text) if entity else ():
            if _resident_id_shape(match.group("id").upper()):
                start, end = match.span("id")
                results.append(
                    recognizer_result(
                        entity, start, end, self.SHAPE_SCORE, "ChineseRecordNumberRecognizer", self.id
                    )
                )
        return results


_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Z0-9]"
_PLATE = re.compile(
    rf"(?P<plate>[{_PROVINCES}][A-HJ-NP-Z][·•・.\- ]?(?:{_PLATE_CHAR}{{6}}|{_PLATE_CHAR}{{5}}[学警港澳]?|{_PLATE_CHAR}{{4}}挂))"
    r"(?![A-Za-z0-9])"
)
_PLATE_CUE = re.compile(r"(?:车牌|牌照|号牌|车号)[^。\n]{0,6}$")


class ChinesePlateRecognizer(EntityRecognizer):
    """``VEHICLE_ID`` for mainland vehicle plates (forms and scores: module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["VEHICLE_ID"], name="ChinesePlateRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per plate in ``text``."""
        if "VEHICLE_ID" not in entities or not HAS_HAN.search(text):
            return []
        results = []
        for match in _PLATE.finditer(text):
            tail = re.sub(r"[^A-Z0-9]", "", match.group()[2:])
            if sum(c.isdigit() for c in tail) < 2:
                continue
            score = 0.95 if _PLATE_CUE.search(text[max(0, match.start() - 8) : match.start()]) else 0.9
            results.append(
                recognizer_result("VEHICLE_ID", *match.span(), score, "ChinesePlateRecognizer", self.id)
            )
        return results
