"""Shared helpers of the Chinese recognizer tests: findings of the Chinese recognizers alone."""

from __future__ import annotations

from privacy import Deidentifier


def own(deidentifier: Deidentifier, text: str, entities: list[str]) -> list[tuple[str, str]]:
    """``(entity type, text)`` of what the product analyzer's Chinese recognizers (privacy.chinese*, as
    registered by ``add_chinese_recognizers``) report in ``text`` for ``entities`` at the policies' 0.4
    threshold; each asked directly, so another recognizer's overlapping finding does not hide theirs."""
    found: set[tuple[str, str]] = set()
    for recognizer in deidentifier.analyzer.registry.recognizers:
        name = str(getattr(recognizer, "name", ""))
        if name.startswith("Chinese"):
            for result in recognizer.analyze(text, entities, None):  # type: ignore[arg-type]
                if result.score >= 0.4:
                    found.add((result.entity_type, text[result.start : result.end]))
    return sorted(found)
