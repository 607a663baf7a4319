"""Several files in one call (``Ingestion.ingest_many``, behind ``assistant ingest a b c``): the next file is
de-identified while the current one is written, with the same result as one ``ingest_path`` per file: reports in
order, a rejected file reported and skipped, an identical file found a duplicate, nothing raw stored."""

from __future__ import annotations

from pathlib import Path

from ingest import IngestError
from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_NAME, scan_tree_for

TEXTS = {
    "disputes.md": f"# Disputes\n\nRaise a dispute within 13 months. {CANARY_NAME} handles escalations.\n",
    "fees.md": f"# Fees\n\nThe foreign transaction fee is 2.75%. Card {CANARY_CARD} was refunded.\n",
    "transfers.md": "# Transfers\n\nA SWIFT transfer takes one to four working days.\n",
}


def _files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "docs"
    folder.mkdir()
    paths = []
    for name, text in TEXTS.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    (folder / "copy-of-fees.md").write_text(TEXTS["fees.md"])  # the same document under another name
    (folder / "empty.md").write_text("   \n")
    return [paths[0], folder / "empty.md", paths[1], folder / "copy-of-fees.md", paths[2]]


def test_many_files_give_what_one_call_per_file_gives(services: Services, tmp_path: Path) -> None:
    paths = _files(tmp_path)
    stages: dict[str, list[str]] = {}

    def progress(path: Path):  # type: ignore[no-untyped-def]
        return lambda stage, fraction: stages.setdefault(path.name, []).append(stage)

    results = list(services.ingestion.ingest_many("finance", paths, progress=progress))
    assert [path for path, _ in results] == paths
    reports = {path.name: report for path, report in results}
    assert isinstance(reports["empty.md"], IngestError)
    fees, copy = reports["fees.md"], reports["copy-of-fees.md"]
    assert not isinstance(fees, Exception) and not isinstance(copy, Exception)
    assert fees.chunks_added > 0 and copy.duplicate and copy.chunks_added == 0
    indexed = [r for r in reports.values() if not isinstance(r, Exception) and not r.duplicate]
    assert services.store.count("finance") == sum(r.chunks_added for r in indexed)
    assert sorted(d.name for d in services.catalog.documents("finance")) == [
        "disputes.md",
        "fees.md",
        "transfers.md",
    ]
    for name in ("disputes.md", "fees.md", "transfers.md"):
        assert stages[name][-1] == "store" and stages[name][:3] == ["load", "deidentify", "chunk"]
    assert scan_tree_for(services.settings.data_dir, (CANARY_NAME, CANARY_CARD, "Quartermaine")) == []


def test_no_files_is_nothing(services: Services) -> None:
    assert list(services.ingestion.ingest_many("finance", [])) == []


def test_a_file_replacing_the_stored_version_of_the_next_one_gives_the_per_file_result(
    services: Services, tmp_path: Path
) -> None:
    # b/notes.md is stored; a/notes.md (new text, same name) replaces it, so b/notes.md is no longer a duplicate
    # by its turn and is indexed again, replacing a's, exactly as one ingest_path per file does
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "notes.md", tmp_path / "b" / "notes.md"
    first.write_text("# Notes\n\nCard replacements take five working days.\n")
    second.write_text("# Notes\n\nA SWIFT transfer takes one to four working days.\n")
    stored = services.ingestion.ingest_path("finance", second)
    results = dict(services.ingestion.ingest_many("finance", [first, second]))
    assert not isinstance(results[first], Exception) and results[first].status == "updated"
    assert not isinstance(results[second], Exception) and results[second].status == "updated"
    documents = services.catalog.documents("finance")
    assert [(d.name, d.sha256) for d in documents] == [("notes.md", stored.sha256)]


def test_stopping_early_writes_nothing_more(services: Services, tmp_path: Path) -> None:
    paths = _files(tmp_path)
    batch = services.ingestion.ingest_many("finance", paths)
    path, report = next(batch)
    batch.close()  # the caller stops: the next file was being prepared in the background
    assert path == paths[0] and not isinstance(report, Exception)
    assert [d.name for d in services.catalog.documents("finance")] == ["disputes.md"]
