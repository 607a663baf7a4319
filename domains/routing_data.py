"""The router's training questions as data: each domain's examples, and questions that belong to no domain.

A domain's questions are its ``routing_examples`` plus, when ``routing_questions:`` names one, a JSONL file in
its folder. Questions that belong to none of the domains are in ``out_of_domain.jsonl`` beside the domain
folders (absent = the router has no "none" class and reports unsure only by its probability floor). Both
files hold one ``{"text": ..., "lang": ...}`` object per line; where each text came from is in the folder's
``ROUTING.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

from domains.config import DomainConfig
from domains.loading import DomainError, default_domains_dir

__all__ = ["OUT_OF_DOMAIN_FILE", "out_of_domain_questions", "read_questions", "routing_questions"]

#: The file of questions that belong to no domain, beside the domain folders.
OUT_OF_DOMAIN_FILE = "out_of_domain.jsonl"


def read_questions(path: Path) -> tuple[str, ...]:
    """The ``text`` of every line of a JSONL file of ``{"text", "lang"}`` objects, in file order.

    Raises:
        DomainError: The file cannot be read or is not UTF-8, or a line is not an object with a non-empty
            string ``text`` (named with its line number).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"{path}: cannot read the routing questions ({exc})") from exc
    texts = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DomainError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        text = row.get("text") if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise DomainError(f"{path}:{number}: expected an object with a non-empty 'text'")
        texts.append(text.strip())
    return tuple(texts)


def routing_questions(config: DomainConfig) -> tuple[str, ...]:
    """Every question the router learns ``config``'s domain from: ``routing_examples``, then the file.

    Raises:
        DomainError: The ``routing_questions`` file is missing or invalid.
    """
    if config.routing_questions is None:
        return config.routing_examples
    return config.routing_examples + read_questions(config.resolve(config.routing_questions))


def out_of_domain_questions(directory: Path | None = None) -> tuple[str, ...]:
    """The questions of ``<directory>/out_of_domain.jsonl`` (the packaged domains folder by default); empty
    when there is no such file.

    Raises:
        DomainError: The file is invalid.
    """
    path = (directory or default_domains_dir()) / OUT_OF_DOMAIN_FILE
    return read_questions(path) if path.exists() else ()
