"""Chinese calendar dates: ``DATE_TIME`` (clinical dates) and ``DATE_OF_BIRTH`` (after 出生/生日), and their shift.

Forms found anywhere in a message:

- ``2023年11月2日``, ``23年11月2号``, ``11月2日`` (Arabic numerals, 日 or 号 for the day, spaces allowed);
- ``二〇二三年十一月二日``, ``十一月二号`` (Chinese numerals; the year digit by digit, 〇 or 零 for zero);
- ``2023年11月`` (year and month: a date element under HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C)).

Numeric forms (``2023-11-02``, ``2023/11/2``, ``2023.11.02``) only within a few characters after a clinical or
birth cue (入院, 出院, 手术, 出生, 就诊, 复查, 生日 …) or right before 出生: without one they may be version numbers or
amounts.

A date within 12 characters after 出生/生日/生于/出生日期/DOB, or right before 出生 ("於1984/3/3出生"), is
``DATE_OF_BIRTH`` when the policy asks for it
(finance), otherwise ``DATE_TIME`` (the medical policy shifts every date). Other dates are ``DATE_TIME`` only.
Score 0.95 (above the medical policy's 0.8 for dates). A month or day out of range is not a date.

:func:`shift_chinese_date` moves such a date by the session's offset in its own form (the medical policy's
``date_shift`` operator calls it through :func:`privacy.operators.shift_date`).
"""

from __future__ import annotations

import datetime as dt
import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.chinese import HAS_HAN
from privacy.recognizers import recognizer_result

__all__ = ["ChineseDateRecognizer", "chinese_date_spans", "shift_chinese_date"]

_DIGITS = "〇一二三四五六七八九"
_CN_YEAR = "[〇零一二三四五六七八九]{2}|[〇零一二三四五六七八九]{4}"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
#: A date written with 年/月/日 (Arabic or Chinese numerals).
_WRITTEN = re.compile(
    r"(?<![\d〇零一二三四五六七八九十])"
    r"(?:(?:(?P<year>\d{4}|\d{2})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?:(?P<day>\d{1,2})\s*[日号])?"
    rf"|(?:(?P<cyear>{_CN_YEAR})年)?(?P<cmonth>{_CN_SMALL})月(?:初?(?P<cday>{_CN_SMALL})[日号])?)"
)
_NUMERIC = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d\d)(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?![\d.])"
)
_CUE = re.compile(
    r"(?:入院|出院|手术|术后|出生|生日|生于|就诊|复查|随访|预约|门诊|住院|转院|死亡|确诊|发病|分娩|检查|日期|时间|DOB)"
    r"[^。；;\n]{0,10}$",
    re.IGNORECASE,
)
_BIRTH_CUE = re.compile(r"(?:出生|生日|生于|DOB|D\.O\.B)[^。；;\n]{0,10}$", re.IGNORECASE)
#: "於1984/3/3出生", "1990年5月2日生": a date right before 出生 or 生 (then a stop or 人) is a birth date.
_BORN_AFTER = re.compile(r"[ \t]?(?:出生|生(?=[，。,.;；\s人]|$))")


def _chinese_number(text: str) -> int:
    """1-99 in Chinese numerals ("十一", "二十三", "三十"); or a year written digit by digit ("二〇二三")."""
    text = text.replace("零", "〇")
    if "十" not in text:
        return int("".join(str(_DIGITS.index(c)) for c in text))
    tens, _, units = text.partition("十")
    return (_DIGITS.index(tens) if tens else 1) * 10 + (_DIGITS.index(units) if units else 0)


def _parts(match: re.Match[str]) -> tuple[int | None, int, int | None] | None:
    """(year, month, day) of a written date (year and day may be missing), or None if out of range."""
    try:
        if match.group("month"):
            year = int(match.group("year")) if match.group("year") else None
            month, day = int(match.group("month")), match.group("day")
            day_number = int(day) if day else None
        else:
            cyear = match.group("cyear")
            year = _chinese_number(cyear) if cyear else None
            month = _chinese_number(match.group("cmonth"))
            cday = match.group("cday")
            day_number = _chinese_number(cday) if cday else None
    except ValueError:
        return None
    if year is not None and year < 100:
        year += 2000 if year < 70 else 1900
    if not 1 <= month <= 12 or (day_number is not None and not 1 <= day_number <= 31):
        return None
    return year, month, day_number


def chinese_date_spans(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, is_birth_date)`` of the Chinese dates in ``text`` (forms: module docstring)."""
    if not HAS_HAN.search(text):
        return []
    found = []
    for match in _WRITTEN.finditer(text):
        parts = _parts(match)
        if parts is None:
            continue
        year, _, day = parts
        if day is None and year is None:
            continue  # "3月" alone: a month, not a date
        before = text[max(0, match.start() - 14) : match.start()]
        if day is None and not _CUE.search(before):
            continue  # "2023年11月" only after a cue
        born = bool(_BIRTH_CUE.search(before) or _BORN_AFTER.match(text, match.end()))
        found.append((match.start(), match.end(), born))
    for match in _NUMERIC.finditer(text):
        before = text[max(0, match.start() - 14) : match.start()]
        born_after = _BORN_AFTER.match(text, match.end()) is not None
        if (
            (_CUE.search(before) or born_after)
            and 1 <= int(match.group("month")) <= 12
            and 1 <= int(match.group("day")) <= 31
        ):
            found.append((match.start(), match.end(), bool(_BIRTH_CUE.search(before)) or born_after))
    return sorted(found)


def shift_chinese_date(text: str, days: int) -> str | None:
    """``text`` (one Chinese written date: ``2023年11月2日``, ``11月2号``, ``二〇二三年十一月二日``) moved by ``days``,
    in the same form (numerals, 日 or 号, with or without the year); None when ``text`` is not such a date,
    lacks a day, or is not a valid date. A date without a year is shifted within a leap year."""
    match = _WRITTEN.fullmatch(text.strip())
    if match is None or (parts := _parts(match)) is None or parts[2] is None:
        return None
    year, month, day = parts
    try:
        date = dt.date(year or 2000, month, day) + dt.timedelta(days=days)  # type: ignore[arg-type]
    except ValueError:
        return None
    day_word = "号" if match.group().rstrip().endswith("号") else "日"
    if match.group("month"):
        year_text = match.group("year")
        shown = (
            "" if not year_text else f"{date.year % 100:02d}年" if len(year_text) == 2 else f"{date.year}年"
        )
        return f"{shown}{date.month}月{date.day}{day_word}"
    cyear = match.group("cyear")
    shown = "" if not cyear else "".join(_DIGITS[int(c)] for c in f"{date.year}"[-len(cyear) :]) + "年"
    return f"{shown}{_small(date.month)}月{_small(date.day)}{day_word}"


def _small(number: int) -> str:
    """1-31 in Chinese numerals (十一, 二十三)."""
    tens, units = divmod(number, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (
        _DIGITS[units] if units else ""
    )


class ChineseDateRecognizer(EntityRecognizer):
    """``DATE_OF_BIRTH`` and ``DATE_TIME`` for Chinese dates (forms, cues and score: module docstring)."""

    SCORE = 0.95

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["DATE_TIME", "DATE_OF_BIRTH"],
            name="ChineseDateRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per Chinese date in ``text`` of an asked-for type (see the class docstring)."""
        results = []
        for start, end, birth in chinese_date_spans(text):
            entity = "DATE_OF_BIRTH" if birth and "DATE_OF_BIRTH" in entities else "DATE_TIME"
            if entity in entities:
                results.append(
                    recognizer_result(entity, start, end, self.SCORE, "ChineseDateRecognizer", self.id)
                )
        return results
