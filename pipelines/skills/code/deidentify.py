"""De-identifying source code: names are looked for only where code holds prose (comments and string literals).

The NER model reads identifiers as people (``def clamp(x, lo, hi)`` → ``<PERSON_1>, <PERSON_2>``), which breaks
the code the model sees and the tests it writes. So findings of the name-like entity types
(:data:`NAME_ENTITIES`, found by the statistical NER model) count only inside comments and string literals;
every pattern-based type (secrets, e-mail addresses, host names, IPs, card numbers, …) is masked wherever it
is. Comments and strings come from Python's own ``tokenize`` for Python, and from a regular expression for the
C family (``//`` and ``/* */`` comments, ``"…"`` and ``'…'`` literals); in any other language all of the text
counts as prose (nothing is let through).
"""

from __future__ import annotations

import io
import re
import tokenize

from pipelines.core.deidentification import DomainDeidentifier
from privacy import Redaction, Vault

__all__ = ["NAME_ENTITIES", "deidentify_code", "prose_spans", "scrub_code"]

#: Entity types found by the NER model (names, places, groups, organisations), not by patterns.
NAME_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION"})

_C_FAMILY = {
    "cpp",
    "c",
    "java",
    "js",
    "javascript",
    "ts",
    "typescript",
    "go",
    "rust",
    "csharp",
    "kotlin",
    "swift",
}
_C_PROSE = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL)


def prose_spans(code: str, language: str) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the comments and string literals in ``code``.

    Args:
        code: Source code (possibly incomplete, e.g. a signature and docstring to complete).
        language: ``python``, a C-family name (``cpp``, ``java``, ``ts``, …) or anything else.

    Returns:
        The spans in order; for an unknown language one span covering all of ``code``.
    """
    if language in ("python", "py"):
        return _python_prose(code)
    if language in _C_FAMILY:
        return [(m.start(), m.end()) for m in _C_PROSE.finditer(code)]
    return [(0, len(code))]


def _python_prose(code: str) -> list[tuple[int, int]]:
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(row: int, column: int) -> int:
        return starts[row - 1] + column if row - 1 < len(starts) else len(code)

    spans = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in (tokenize.COMMENT, tokenize.STRING):
                spans.append((offset(*token.start), offset(*token.end)))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # incomplete code (an unterminated docstring or bracket): what follows the last token is prose
        last = spans[-1][1] if spans else 0
        spans.append((last, len(code)))
    return spans


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def deidentify_code(
    deidentification: DomainDeidentifier, code: str, vault: Vault, domain: str, language: str
) -> tuple[Redaction, Redaction]:
    """De-identify pasted code for the prompt and the memory sink (see the module docstring).

    Args:
        deidentification: For the analyzer and the domain's policy.
        code: The user's raw code.
        vault: The session vault (placeholders are consistent with the session's chat turns).
        domain: Domain whose policy applies.
        language: Language of ``code`` (:func:`prose_spans`).

    Returns:
        ``(for the prompt, for memory)``, like
        :meth:`pipelines.core.deidentification.DomainDeidentifier.deidentify_message` (the caller saves the
        vault).
    """
    policy, keep_terms = deidentification.domains.message_policy(domain)
    engine = deidentification.deidentifier
    findings = engine.find_for(code, policy, ("prompt", "memory"), keep_terms, vault)
    spans = prose_spans(code, language)
    kept = [f for f in findings if f.entity_type not in NAME_ENTITIES or _inside(spans, f.start, f.end)]
    prompt = engine.deidentify(code, policy, "prompt", vault, keep_terms, kept)
    memory = engine.deidentify(code, policy, "memory", vault, keep_terms, kept)
    return prompt, memory


def scrub_code(deidentification: DomainDeidentifier, text: str, vault: Vault, domain: str) -> Redaction:
    """Scan a model's code answer like :meth:`pipelines.core.deidentification.DomainDeidentifier.scrub`, but for
    the pattern-based entity types only (identifiers in generated code are not names)."""
    policy, keep_terms = deidentification.domains.message_policy(domain)
    entities = {name: rule for name, rule in policy.entities.items() if name not in NAME_ENTITIES}
    if not entities:
        return Redaction(text=text, findings=())
    pattern_policy = policy.model_copy(update={"entities": entities})
    return deidentification.deidentifier.scrub(text, pattern_policy, vault, keep_terms)
