"""The policy operators as presidio-anonymizer operators: one :class:`presidio_anonymizer.operators.Operator` per
name a :class:`~privacy.policies.PiiPolicy` may give a sink, looked up by name instead of an if-chain.

Presidio's own ``replace`` and ``keep`` serve ``redact``/``drop`` (``<TYPE>``) and ``keep``/``restore``; the
operators this product adds (session placeholders, salted hashes, date shifts, last-four masks) follow
Presidio's operator interface (``operate``, ``validate``, ``operator_name``, ``operator_type``) so that they
validate their parameters the same way. Presidio's ``AnonymizerEngine`` itself is not used: its parameters are
per entity type, while a session placeholder is per finding (a name written two ways maps to one placeholder),
and the findings are already merged by :mod:`privacy.deidentify`.

Parameters every operator receives (:func:`apply_operator`): ``entity_type``, ``vault`` (the session's, or
None), ``placeholder`` (the finding's known placeholder, or ""), ``salt`` (the operator secret).
"""

from __future__ import annotations

import re
from typing import Any

from presidio_anonymizer.operators import Keep, Operator, OperatorType, Replace

from privacy.errors import PrivacyError
from privacy.operators import mask_last4, salted_hash, session_date_offset, shift_date
from privacy.vault import Vault

__all__ = ["DISPLAY_OPERATORS", "SINK_OPERATORS", "apply_operator", "show_value"]

#: A DATE_TIME finding that is a calendar date in a form :func:`~privacy.operators.shift_date` does not know:
#: redacted, not kept (a month alone, "the 11th" and month/year are date elements too under HIPAA Safe Harbor).
_DATE_LIKE = re.compile(
    r"\d{1,4}\s*[-/.]\s*\d{1,2}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\bthe\s+\d{1,2}(?:st|nd|rd|th)\b|[\d一二三四五六七八九十]\s*月",  # also a Chinese month: 2023年11月
    re.IGNORECASE,
)


def _vault(params: dict[str, Any], name: str) -> Vault:
    vault = params.get("vault")
    if not isinstance(vault, Vault):
        raise PrivacyError(f"operator {name!r} for {params.get('entity_type')} needs a session vault")
    return vault


class Pseudonymize(Operator):
    """``<TYPE_n>``: the session's placeholder of the value (created on first sight; reversible on display)."""

    def operate(self, text: str = "", params: dict[str, Any] | None = None) -> str:
        """The finding's known placeholder, else the vault's for ``text`` (created when new)."""
        params = params or {}
        return str(
            params.get("placeholder")
            or _vault(params, "pseudonymize").placeholder_for(params["entity_type"], text)
        )

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """A session vault is required."""
        _vault(params or {}, "pseudonymize")

    def operator_name(self) -> str:
        """``pseudonymize``."""
        return "pseudonymize"

    def operator_type(self) -> OperatorType:
        """An anonymizer."""
        return OperatorType.Anonymize


class SaltedHash(Operator):
    """``<TYPE#1a2b3c4d>``: :func:`~privacy.operators.salted_hash` under the operator secret (logs)."""

    def operate(self, text: str = "", params: dict[str, Any] | None = None) -> str:
        """The salted hash of ``text``."""
        params = params or {}
        return salted_hash(params["entity_type"], text, params["salt"])

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """The salt must be bytes."""
        if not isinstance((params or {}).get("salt"), bytes):
            raise PrivacyError("operator 'hash' needs the operator secret")

    def operator_name(self) -> str:
        """``hash``."""
        return "hash"

    def operator_type(self) -> OperatorType:
        """An anonymizer."""
        return OperatorType.Anonymize


class DateShift(Operator):
    """The date moved by the session's secret offset (:func:`~privacy.operators.session_date_offset`), in its own
    form; a date-like text in an unknown form becomes ``<TYPE>``; anything else stays (durations, times)."""

    def operate(self, text: str = "", params: dict[str, Any] | None = None) -> str:
        """The shifted date, ``<TYPE>`` or ``text``."""
        params = params or {}
        vault = _vault(params, "date_shift")
        shifted = shift_date(text, session_date_offset(vault.session_id, params["salt"]))
        if shifted is not None:
            return shifted
        return f"<{params['entity_type']}>" if _DATE_LIKE.search(text) else text

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """A session vault and the operator secret are required."""
        params = params or {}
        _vault(params, "date_shift")
        if not isinstance(params.get("salt"), bytes):
            raise PrivacyError("operator 'date_shift' needs the operator secret")

    def operator_name(self) -> str:
        """``date_shift``."""
        return "date_shift"

    def operator_type(self) -> OperatorType:
        """An anonymizer."""
        return OperatorType.Anonymize


class MaskLast4(Operator):
    """``•••• 1234`` (display): :func:`~privacy.operators.mask_last4`."""

    def operate(self, text: str = "", params: dict[str, Any] | None = None) -> str:
        """The last four letters or digits of ``text`` after a mask."""
        return mask_last4(text)

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """No parameters."""

    def operator_name(self) -> str:
        """``mask_last4``."""
        return "mask_last4"

    def operator_type(self) -> OperatorType:
        """A de-anonymizer: it shows (part of) a value on the user's screen."""
        return OperatorType.Deanonymize


_REPLACE = Replace()
_KEEP = Keep()

#: The operators of the storing and sending sinks (prompt, memory, index, logs) by policy name.
SINK_OPERATORS: dict[str, Operator] = {
    "pseudonymize": Pseudonymize(),
    "hash": SaltedHash(),
    "date_shift": DateShift(),
    "redact": _REPLACE,
    "drop": _REPLACE,
    "keep": _KEEP,
}
#: The operators of the display sink by policy name (``redact`` there leaves the placeholder on screen).
DISPLAY_OPERATORS: dict[str, Operator] = {"restore": _KEEP, "mask_last4": MaskLast4(), "redact": _REPLACE}


def apply_operator(
    name: str, value: str, entity_type: str, vault: Vault | None, placeholder: str, salt: bytes
) -> str:
    """What a sink's operator ``name`` writes for the found ``value`` of type ``entity_type``.

    Raises:
        PrivacyError: An unknown operator, or one whose parameters are missing (a vault for ``pseudonymize``
            and ``date_shift``).
    """
    operator = SINK_OPERATORS.get(name)
    if operator is None:
        raise PrivacyError(f"unknown operator {name!r}")
    params: dict[str, Any] = {
        "entity_type": entity_type,
        "vault": vault,
        "placeholder": placeholder,
        "salt": salt,
        "new_value": f"<{entity_type}>",
    }
    operator.validate(params)
    return str(operator.operate(value, params))


def show_value(name: str, value: str, placeholder: str) -> str:
    """What the display operator ``name`` shows for a session value: the value (``restore``), its last four
    (``mask_last4``) or the placeholder itself (``redact``).

    Raises:
        PrivacyError: An unknown display operator.
    """
    operator = DISPLAY_OPERATORS.get(name)
    if operator is None:
        raise PrivacyError(f"unknown display operator {name!r}")
    return str(operator.operate(value, {"new_value": placeholder}))
