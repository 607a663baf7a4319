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
from pipelines.core.settings import (  # noqa: E402
    EmbeddingSettings,
    LlamaCppSettings,
    PrivacySettings,
    load_settings,
)
from pipelines.llm.backends import Backend  # noqa: E402
from pipelines.llm.llamacpp import build_llamacpp_backend  # noqa: E402
from pipelines.services import Models, Services  # noqa: E402
from privacy import Deidentifier, PiiPolicy  # noqa: E402


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
def models() -> Models:
    """The real models, loaded once for the whole test session: the process-wide cache that the app and the
    command line use too, so in-process app and CLI tests share them."""
    return Models.shared()


@pytest.fixture(scope="session")
def embedder(models: Models) -> Embedder:
    """The real all-MiniLM-L6-v2 embedder, on the backend a new data dir resolves to (onnx-int8)."""
    return models.embedder(EmbeddingSettings(backend="onnx-int8"))


@pytest.fixture(scope="session")
def deidentifier(models: Models) -> Deidentifier:
    """Real Presidio with the real spaCy model (a random operator secret)."""
    return Deidentifier(models.analyzer(PrivacySettings().spacy_model))


@pytest.fixture(scope="session")
def llamacpp_backend(models: Models) -> Backend:
    """The real llama.cpp backend with the Gemma 3 270M GGUF (48 new tokens at most)."""
    settings = LlamaCppSettings(max_tokens=48)
    return build_llamacpp_backend(settings, models.llama(settings))


@pytest.fixture
def services(tmp_path: Path, models: Models) -> Iterator[Services]:
    """Fresh services on an empty data dir in ``tmp_path``, sharing the session's loaded models.

    The backend is pinned to llama.cpp (no Ollama exists in CI), at most 48 new tokens, and sample indexing
    is off.
    """
    settings = load_settings(data_dir=tmp_path / "data")
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 48
    settings.ingest.index_samples_on_start = False
    yield Services(settings, models)


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
