"""Shared fixtures: the real models are loaded once per test session and shared by per-test services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from ingest import Embedder  # noqa: E402
from pipelines.core.settings import LlamaCppSettings, load_settings  # noqa: E402
from pipelines.llm.backends import Backend, build_llamacpp_backend  # noqa: E402
from pipelines.services import Services  # noqa: E402
from privacy import Deidentifier, PiiPolicy, build_analyzer  # noqa: E402


def domain_policy(name: str) -> PiiPolicy:
    """The PII policy a shipped domain folder declares (``domains/<name>/domain.yaml``, ``privacy:``)."""
    from domains import load_domains

    return PiiPolicy.from_mapping(name, load_domains()[name].privacy)


# Made-up personal data planted by canary tests (valid formats: the card passes Luhn).
CANARY_NAME = "Zelda Quartermaine"
CANARY_PHONE = "212-555-0173"
CANARY_EMAIL = "zelda.quartermaine@example.org"
CANARY_CARD = "4539 1488 0343 6467"
CANARY_VALUES = (
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_EMAIL,
    CANARY_CARD,
    CANARY_CARD.replace(" ", ""),
    "Quartermaine",
)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2 embedder."""
    return Embedder()


@pytest.fixture(scope="session")
def deidentifier() -> Deidentifier:
    """Real Presidio with the real spaCy model."""
    return Deidentifier(build_analyzer())


@pytest.fixture(scope="session")
def llamacpp_backend() -> Backend:
    """The real llama.cpp backend with the Gemma 3 270M GGUF."""
    return build_llamacpp_backend(LlamaCppSettings(max_tokens=48))


@pytest.fixture
def services(
    tmp_path: Path, embedder: Embedder, deidentifier: Deidentifier, llamacpp_backend: Backend
) -> Iterator[Services]:
    """Fresh services on an empty data dir in ``tmp_path``, sharing the session's loaded models.

    The backend is pinned to llama.cpp (no Ollama exists in CI) and sample indexing is off.
    """
    settings = load_settings(data_dir=tmp_path / "data")
    settings.llm.backend = "llamacpp"
    settings.ingest.index_samples_on_start = False
    built = Services(settings)
    built.__dict__["embedder"] = embedder
    built.__dict__["deidentifier"] = deidentifier
    built._llamacpp = llamacpp_backend
    yield built


def scan_tree_for(root: Path, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return (file, value) pairs for every raw value found in any file under ``root`` (bytes, utf-8)."""
    hits = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for value in values:
            if value.encode("utf-8") in data or value.encode("utf-16-le") in data:
                hits.append((str(path.relative_to(root)), value))
    return hits
