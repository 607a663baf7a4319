"""The placeholder forms de-identification writes into text, defined once for every package.

- A *session placeholder* ``<TYPE_n>`` (``<PERSON_1>``, ``<CREDIT_CARD_2>``): written by the ``pseudonymize``
  operator, numbered per session and restorable from the session's vault (:mod:`privacy.vault`).
- A *typed placeholder* ``<TYPE>``: written by ``redact``/``drop`` and by scrubbing model output; not restorable.
- A *salted hash* ``<TYPE#1a2b3c4d>``: written by the ``hash`` operator (logs).
"""

from __future__ import annotations

import re

__all__ = ["ANY_PLACEHOLDER", "PLACEHOLDER_PATTERN", "placeholder_spans", "without_placeholders"]

#: A session placeholder ``<TYPE_n>``: group 1 is the entity type, group 2 the number.
PLACEHOLDER_PATTERN = re.compile(r"<([A-Z][A-Z_]*?)_(\d+)>")

#: Any placeholder de-identification writes: ``<TYPE_n>``, ``<TYPE>`` or ``<TYPE#hex>``.
ANY_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*(?:#[0-9a-f]+)?>")


_SPACES = re.compile(r"\s+")


def without_placeholders(text: str) -> str:
    """``text`` without placeholders (:data:`ANY_PLACEHOLDER`), white space collapsed: what a model trained on
    text without them reads ("I am <PERSON_1>, where is my card?" → "I am , where is my card?"). The intent
    model and the router use it (their training messages have none; "<PERSON_1>" alone looked like code to
    the router's encoders)."""
    return _SPACES.sub(" ", ANY_PLACEHOLDER.sub(" ", text)).strip()


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of every placeholder (:data:`ANY_PLACEHOLDER`) in ``text``, in order."""
    return [match.span() for match in ANY_PLACEHOLDER.finditer(text)]
