"""Plain-English words for what the UI tells a user: entity type labels, operator and sink meanings.

Only types, counts and policy words: nothing here ever holds a user's value.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["OPERATOR_MEANINGS", "SINK_MEANINGS", "entity_label", "summarize_counts"]

#: One line per operator of :mod:`privacy.policies` (every ``Operator`` has one; a test checks it).
OPERATOR_MEANINGS: dict[str, str] = {
    "keep": "left as written (this type is not looked for here)",
    "pseudonymize": "replaced by a placeholder such as <PERSON_1>, the same one for the whole conversation",
    "redact": "replaced by its type, such as <PERSON>; the value is gone for good",
    "hash": "replaced by a keyed hash such as <PERSON#1a2b3c4d>: equal values match, nobody can read them",
    "drop": "left out of the log line, only its type is written",
    "date_shift": "moved by this conversation's fixed random number of days, so intervals stay right",
    "restore": "your own value is shown back to you",
    "mask_last4": "shown to you with only its last four characters, such as •••• 6467",
}

#: One line per sink of :mod:`privacy.policies` (every ``Sink`` has one; a test checks it).
SINK_MEANINGS: dict[str, str] = {
    "prompt": "the text the language model receives with your message",
    "memory": "the conversation history stored on disk",
    "index": "uploaded documents, as chunked, embedded and stored in the search index",
    "logs": "the log file (ids, counts and timings)",
    "display": "the answer shown back to you",
}

#: (singular, plural) labels of entity types; others are derived from the type name.
_LABELS: dict[str, tuple[str, str]] = {
    "PERSON": ("person", "people"),
    "PHONE_NUMBER": ("phone number", "phone numbers"),
    "EMAIL_ADDRESS": ("email address", "email addresses"),
    "CREDIT_CARD": ("card number", "card numbers"),
    "IBAN_CODE": ("IBAN", "IBANs"),
    "US_BANK_NUMBER": ("bank account number", "bank account numbers"),
    "US_SSN": ("social security number", "social security numbers"),
    "US_ITIN": ("taxpayer number", "taxpayer numbers"),
    "US_PASSPORT": ("passport number", "passport numbers"),
    "US_DRIVER_LICENSE": ("driver's licence number", "driver's licence numbers"),
    "CRYPTO": ("crypto wallet address", "crypto wallet addresses"),
    "IP_ADDRESS": ("IP address", "IP addresses"),
    "MEDICAL_LICENSE": ("medical licence number", "medical licence numbers"),
    "DATE_TIME": ("date", "dates"),
    "LOCATION": ("place", "places"),
    "NRP": ("nationality, religion or political group", "nationalities, religions or political groups"),
    "ORGANIZATION": ("organisation", "organisations"),
    "URL": ("web address", "web addresses"),
    "UK_SORT_CODE": ("UK sort code", "UK sort codes"),
    "UK_ACCOUNT_NUMBER": ("UK account number", "UK account numbers"),
    "UK_NINO": ("National Insurance number", "National Insurance numbers"),
    "UK_PASSPORT": ("UK passport number", "UK passport numbers"),
    "UK_NHS": ("NHS number", "NHS numbers"),
    "ABA_ROUTING_NUMBER": ("ABA routing number", "ABA routing numbers"),
    "SWIFT_CODE": ("SWIFT code", "SWIFT codes"),
    "ID_NUMBER": ("ID number", "ID numbers"),
    "DEVICE_ID": ("device ID", "device IDs"),
    "VEHICLE_ID": ("vehicle ID", "vehicle IDs"),
    "HEALTH_PLAN_ID": ("health plan ID", "health plan IDs"),
    "DATE_OF_BIRTH": ("date of birth", "dates of birth"),
}


def entity_label(entity: str, count: int = 1) -> str:
    """A plain-English label of an entity type, singular for ``count == 1`` ("person"/"people"); a type
    without a label is written in lower case without underscores ("AU_TFN": "au tfn" / "au tfns")."""
    singular, plural = _LABELS.get(entity, (entity.lower().replace("_", " "), ""))
    if count == 1:
        return singular
    return plural or f"{singular}s"


def summarize_counts(counts: Mapping[str, int]) -> str:
    """``{"PERSON": 1, "CREDIT_CARD": 2}`` -> ``"1 person, 2 card numbers"`` (most frequent first, then by
    type name); ``""`` when nothing was counted."""
    items = sorted(((e, n) for e, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{n} {entity_label(e, n)}" for e, n in items)
