"""Operators that need more than a placeholder: salted hashing, date shifting, masking (see
:mod:`privacy.policies` for where each applies)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from privacy.errors import PrivacyError
from privacy.vault import normalise_value

__all__ = ["load_or_create_secret", "mask_last4", "salted_hash", "session_date_offset", "shift_date"]


def load_or_create_secret(path: Path, nbytes: int = 32) -> bytes:
    """Read a secret from ``path`` or generate ``nbytes`` random bytes into it (hex, mode 0600).

    Raises:
        PrivacyError: The file exists but is not hex.
    """
    if not path.exists():
        # written under a temporary name and hard-linked into place: a reader never sees it half written, and
        # of processes racing to create it (replicas sharing the folder) all end up with the one linked first
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_bytes(nbytes).hex())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError as exc:
        raise PrivacyError(f"{path}: secret file is not hex") from exc
    if not secret:
        raise PrivacyError(f"{path}: secret file is empty")
    return secret


def salted_hash(entity_type: str, value: str, salt: bytes) -> str:
    """``<TYPE#xxxxxxxx>``: the first 8 hex digits (32 bits) of HMAC-SHA256(salt, type + normalised value).

    The same value (after :func:`~privacy.vault.normalise_value`: case and identifier separators ignored)
    gives the same hash in every record, so log lines can be correlated; without the salt the value cannot
    be recovered by hashing guesses. 32 bits keep lines short; collisions among a few thousand values are rare
    (birthday bound: ~0.1% at 3,000 values) and only merge two values in a log, never reveal one.
    """
    digest = hmac.new(
        salt, f"{entity_type}\x00{normalise_value(entity_type, value)}".encode(), hashlib.sha256
    )
    return f"<{entity_type}#{digest.hexdigest()[:8]}>"


def mask_last4(value: str) -> str:
    """``•••• 1234``: only the last four letters or digits of ``value`` (card and account numbers on display)."""
    chars = re.sub(r"[\W_]", "", value)
    return "\u2022\u2022\u2022\u2022 " + chars[-4:] if len(chars) > 4 else "\u2022" * len(chars)


def session_date_offset(session_id: str, salt: bytes) -> int:
    """The session's date shift in days: fixed per session and secret, in ±[30, 365], never 0.

    Derived as HMAC-SHA256(salt, session id), so it needs no storage and cannot be guessed without the salt.
    The same offset for every date of a session keeps intervals ("3 weeks after admission") true.
    """
    number = int.from_bytes(
        hmac.new(salt, f"date-shift\x00{session_id}".encode(), hashlib.sha256).digest()[:4]
    )
    days = 30 + number % 336
    return days if number & (1 << 31) else -days


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = (
    r"(?P<month_name>" + "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True)) + r")\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_FORMS = [
    re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$"),
    re.compile(r"^(?P<month>\d{1,2})(?P<sep>[-/.])(?P<day>\d{1,2})(?:(?P=sep)(?P<year>\d{2}|\d{4}))?$"),
    re.compile(rf"^{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?$", re.IGNORECASE),
    re.compile(rf"^(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?$", re.IGNORECASE),
]


def shift_date(text: str, days: int) -> str | None:
    """Move a written calendar date by ``days``, keeping its form where it has one.

    Recognised forms: ``2021-03-04``, ``3/4/2021``, ``3/4/21``, ``3/4`` (month first, as in US records),
    ``March 4, 2021``, ``Mar 4``, ``4 March 2021``, ``the 4th of March``, and Chinese dates (``2021年3月4日``,
    ``3月4号``, ``二〇二一年三月四日``: :func:`privacy.chinese_dates.shift_chinese_date`). A date without a year is shifted
    within a leap year and printed without one; the year of ``3/4/21`` stays two-digit.

    Returns:
        The shifted date, or None when ``text`` is not one of these forms or not a valid date (durations such
        as "13 months", times, lone years: the caller decides what to do with those).
    """
    if "月" in text:  # a Chinese date (privacy.chinese_dates): 2023年11月2日, 十一月二日
        from privacy.chinese_dates import shift_chinese_date

        return shift_chinese_date(text, days)
    stripped = " ".join(text.split())
    for form in _DATE_FORMS:
        match = form.match(stripped)
        if match is None:
            continue
        parts = match.groupdict()
        month = (
            int(parts["month"]) if parts.get("month") else _MONTHS[parts["month_name"].lower().rstrip(".")]
        )
        year_text = parts.get("year")
        year = int(year_text) if year_text else 2000
        if year_text and len(year_text) == 2:
            year += 2000 if year < 70 else 1900
        try:
            date = dt.date(year, month, int(parts["day"])) + dt.timedelta(days=days)
        except ValueError:
            return None
        if parts.get("month_name"):
            name = calendar.month_name[date.month]
            return f"{name} {date.day}, {date.year}" if year_text else f"{name} {date.day}"
        if parts.get("sep") and form is _DATE_FORMS[0]:
            sep = parts["sep"]
            return f"{date.year:04d}{sep}{date.month:02d}{sep}{date.day:02d}"
        sep = parts.get("sep") or "/"
        if not year_text:
            return f"{date.month}{sep}{date.day}"
        shown_year = f"{date.year % 100:02d}" if len(year_text) == 2 else f"{date.year}"
        return f"{date.month}{sep}{date.day}{sep}{shown_year}"
    return None
