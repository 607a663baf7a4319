"""The medical records hook finds a document's terms while it is prepared (ingest_many's background thread)
and stores them when it is indexed: the same record as finding them then, found once per document."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.services import Services

NOTES = {
    "a.txt": "Clinic note\n\nThe patient has hypertension and asthma. Started metformin.\n",
    "b.txt": "Ward note\n\nKnown type 2 diabetes; aspirin stopped.\n\nAsthma reviewed.\n",
    "c.txt": "Follow-up\n\nNo change: hypertension, metformin continued.\n",
}


def test_terms_found_while_preparing_are_stored_when_indexed_found_once_per_document(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (hook,) = services.indexing_hooks("medical")
    assert services.indexing_hooks("medical") == [hook]  # one hook per domain keeps what it prepared
    expected = {name: hook._terms(_loaded(tmp_path, name, text)) for name, text in NOTES.items()}
    assert expected["a.txt"] >= {("DISEASE", "hypertension"), ("DISEASE", "asthma")}

    found: list[tuple[str, bool]] = []  # (document, while indexing)
    indexing = [False]
    terms, on_indexed = hook._terms, hook.on_indexed

    def indexed(domain: str, document: object) -> None:
        indexing[0] = True
        try:
            on_indexed(domain, document)  # type: ignore[arg-type]
        finally:
            indexing[0] = False

    monkeypatch.setattr(
        hook, "_terms", lambda document: found.append((document.name, indexing[0])) or terms(document)
    )
    monkeypatch.setattr(hook, "on_indexed", indexed)
    paths = [tmp_path / name for name in NOTES]
    reports = dict(services.ingestion.ingest_many("medical", paths))
    assert all(not isinstance(r, Exception) and r.chunks_added for r in reports.values()), reports
    for path in paths:
        assert services.records.terms_of("medical", reports[path].sha256) == expected[path.name]  # type: ignore[union-attr]
    assert found == [
        (name, False) for name in NOTES
    ]  # each once, when prepared; stored without a second pass


def _loaded(folder: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    from ingest import load_document

    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_document(path, max_bytes=2**20, max_chars=100_000)
