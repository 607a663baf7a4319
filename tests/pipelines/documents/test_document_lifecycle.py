"""The document lifecycle with real Presidio, real embeddings and a real Chroma in a temp dir: idempotent
re-ingest, an update replacing the older version's chunks, and deletion with an erasure receipt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ingest import StoreError
from pipelines.core.errors import DocumentError
from pipelines.core.logs import logger
from pipelines.documents.ingestion import ReplacedVersion
from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_VALUES, scan_tree_for

#: Two versions of a handbook: the fee changed and a paragraph was added.
OLD = b"# Fees\n\nThe foreign transaction fee is 2.75%.\n\n# Disputes\n\nRaise a dispute within 13 months.\n"
NEW = (
    b"# Fees\n\nThe foreign transaction fee is 1.95%.\n\n# Disputes\n\nRaise a dispute within 120 days.\n\n"
    b"# Cards\n\nA replacement card arrives within 5 working days.\n"
)
OTHER = b"# Savings\n\nThe easy-access saver pays 3.1% a year.\n"


def _records(services: Services, domain: str, **where: Any) -> dict[str, Any]:
    """Everything Chroma holds for ``domain`` (matching ``where``), read from the collection itself."""
    collection = services.store.client.get_collection(f"domain_{domain}")
    return dict(collection.get(where=where or None, include=["documents", "metadatas", "embeddings"]))


def test_reingesting_identical_content_under_the_same_name_is_a_no_op(services: Services) -> None:
    first = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    before = _records(services, "finance")
    again = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    assert (again.status, again.chunks_added, again.replaced) == ("duplicate", 0, [])
    after = _records(services, "finance")
    assert sorted(after["ids"]) == sorted(before["ids"]) and len(after["ids"]) == first.chunks
    assert [m["ingested_at"] for m in after["metadatas"]] == [m["ingested_at"] for m in before["metadatas"]]


def test_a_changed_file_under_the_same_name_replaces_all_its_chunks(services: Services) -> None:
    old = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    old_ids = _records(services, "finance")["ids"]
    kept = services.ingestion.ingest_bytes("finance", "savings.md", OTHER)
    elsewhere = services.ingestion.ingest_bytes("code", "handbook.md", OLD)

    new = services.ingestion.ingest_bytes("finance", "handbook.md", NEW)

    assert new.status == "updated" and new.chunks_added == new.chunks > old.chunks
    assert (
        new.replaced == [ReplacedVersion(old.sha256, old.chunks)] and new.stale_chunks_removed == old.chunks
    )
    assert new.to_dict()["replaced"] == [{"sha256": old.sha256, "chunks_removed": old.chunks}]
    stored = _records(services, "finance")
    assert not set(old_ids) & set(stored["ids"])
    assert _records(services, "finance", document_sha256=old.sha256)["ids"] == []
    texts = " ".join(stored["documents"])
    assert "2.75%" not in texts and "13 months" not in texts and "1.95%" in texts and "120 days" in texts
    assert len(stored["ids"]) == new.chunks + kept.chunks
    assert {(d.name, d.sha256) for d in services.store.list_documents("finance")} == {
        ("handbook.md", new.sha256),
        ("savings.md", kept.sha256),
    }
    hits = services.store.search("finance", services.embedder.embed_query("foreign transaction fee"), 10)
    assert old.sha256 not in {h.metadata["document_sha256"] for h in hits}
    assert services.store.lexical.ids("finance") == set(stored["ids"])  # BM25 holds exactly the same chunks
    assert services.store.lexical.document_ids("finance", old.sha256) == set()
    assert services.store.search_lexical("finance", "months", 10) == []  # only the old version said it
    (code,) = services.store.list_documents("code")  # the same name in another domain is left alone
    assert (code.sha256, code.chunks) == (elsewhere.sha256, elsewhere.chunks)


def test_an_update_whose_write_fails_leaves_the_older_version_intact(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new version's write fails after its first chunk went in (one chunk per write; the fault is injected
    into the real collection's second upsert, as Chroma has no switch to make a write fail)."""
    from chromadb.api.models.Collection import Collection

    old = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    before = _records(services, "finance")
    real_upsert = Collection.upsert
    calls: list[int] = []

    def failing_upsert(self: Collection, **kwargs: Any) -> None:
        calls.append(len(kwargs["ids"]))
        if len(calls) > 1:
            raise ValueError("disk full")
        real_upsert(self, **kwargs)

    monkeypatch.setattr(services.store.client, "get_max_batch_size", lambda: 1)
    monkeypatch.setattr(Collection, "upsert", failing_upsert)
    with pytest.raises(StoreError, match="disk full"):
        services.ingestion.ingest_bytes("finance", "handbook.md", NEW)
    monkeypatch.undo()
    assert calls == [1, 1]  # the first chunk of the new version was written, then rolled back
    after = _records(services, "finance")
    assert after["ids"] == before["ids"] and after["documents"] == before["documents"]
    assert [d.sha256 for d in services.store.list_documents("finance")] == [old.sha256]
    assert services.store.lexical.ids("finance") == set(before["ids"])
    assert services.ingestion.ingest_bytes("finance", "handbook.md", NEW).replaced == [
        ReplacedVersion(old.sha256, old.chunks)
    ]


def test_delete_removes_every_chunk_and_returns_a_receipt(services: Services) -> None:
    doc = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    kept = services.ingestion.ingest_bytes("finance", "savings.md", OTHER)
    count = services.store.count("finance")

    receipt = services.catalog.delete("finance", "handbook.md")

    assert (receipt.name, receipt.sha256, receipt.domain, receipt.chunks) == (
        "handbook.md",
        doc.sha256,
        "finance",
        doc.chunks,
    )
    assert datetime.fromisoformat(receipt.deleted_at).utcoffset() is not None
    assert receipt.to_dict() == {
        "name": "handbook.md",
        "sha256": doc.sha256,
        "domain": "finance",
        "chunks": doc.chunks,
        "deleted_at": receipt.deleted_at,
        "owner": "",
    }
    assert services.store.count("finance") == count - doc.chunks == kept.chunks
    assert services.store.lexical.count("finance") == kept.chunks
    assert services.store.lexical.document_ids("finance", doc.sha256) == set()
    assert services.store.search_lexical("finance", "dispute months", 10) == []
    assert _records(services, "finance", document_sha256=doc.sha256)["ids"] == []
    assert "2.75%" not in " ".join(_records(services, "finance")["documents"])
    assert services.store.list_documents("finance", doc.sha256) == []
    assert services.store.delete_document("finance", doc.sha256) == 0  # nothing left to delete
    assert services.ingestion.ingest_bytes("finance", "handbook.md", OLD).status == "indexed"  # can come back


def test_delete_by_sha256_prefix(services: Services) -> None:
    doc = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    receipt = services.catalog.delete("finance", doc.sha256[:8].upper())
    assert (receipt.sha256, receipt.chunks) == (doc.sha256, doc.chunks)
    assert services.store.count("finance") == 0


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ("missing.md", "no document 'missing.md' is indexed in 'finance'"),
        ("handbook", "no document 'handbook' is indexed in 'finance'"),
        ("", "give a document's file name"),
    ],
)
def test_an_unknown_name_is_an_error_and_deletes_nothing(
    services: Services, wanted: str, message: str
) -> None:
    services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    count = services.store.count("finance")
    with pytest.raises(DocumentError, match=message):
        services.catalog.delete("finance", wanted)
    assert services.store.count("finance") == count


def test_a_short_sha256_prefix_is_not_accepted(services: Services) -> None:
    doc = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    with pytest.raises(DocumentError, match="at least 8 hex digits"):
        services.catalog.delete("finance", doc.sha256[:7])
    assert services.store.count("finance") == doc.chunks


def test_a_name_shared_by_two_documents_is_ambiguous(services: Services) -> None:
    """Two documents under one name (stored before updates replaced versions): the name alone is refused, a
    sha256 prefix picks one."""
    first = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    second = services.ingestion.ingest_bytes("finance", "other.md", NEW)
    collection = services.store.client.get_collection("domain_finance")
    ids = collection.get(where={"document_sha256": second.sha256})["ids"]
    collection.update(ids=ids, metadatas=[{"source": "handbook.md"}] * len(ids))  # as an older store had it
    with pytest.raises(DocumentError, match="matches 2 documents") as caught:
        services.catalog.delete("finance", "handbook.md")
    assert first.sha256[:12] in str(caught.value) and second.sha256[:12] in str(caught.value)
    assert services.store.count("finance") == first.chunks + second.chunks
    assert services.catalog.find("finance", second.sha256[:10]).sha256 == second.sha256
    assert services.catalog.delete("finance", second.sha256[:10]).chunks == second.chunks
    assert [d.sha256 for d in services.store.list_documents("finance")] == [first.sha256]


def test_reingesting_a_document_removes_older_versions_left_under_its_name(services: Services) -> None:
    """A replacement whose delete did not finish is finished by ingesting the same file again."""
    first = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)
    second = services.ingestion.ingest_bytes("finance", "other.md", NEW)
    collection = services.store.client.get_collection("domain_finance")
    ids = collection.get(where={"document_sha256": second.sha256})["ids"]
    collection.update(ids=ids, metadatas=[{"source": "handbook.md"}] * len(ids))
    again = services.ingestion.ingest_bytes("finance", "handbook.md", NEW)
    assert again.status == "updated" and again.duplicate and again.chunks_added == 0
    assert again.replaced == [ReplacedVersion(first.sha256, first.chunks)]
    assert [d.sha256 for d in services.store.list_documents("finance")] == [second.sha256]


def test_files_whose_names_differ_only_in_personal_data_do_not_replace_each_other_and_leave_no_raw_value(
    services: Services,
) -> None:
    """ "<PERSON> <CREDIT_CARD>.md" may be two different customers' files: both are kept, deleted one by one."""
    old = services.ingestion.ingest_bytes("finance", f"{CANARY_NAME} {CANARY_CARD}.md", OLD)
    new = services.ingestion.ingest_bytes("finance", f"Quentin Marlowe-Hatch {CANARY_CARD}.md", NEW)
    assert new.name == old.name == "<PERSON> <CREDIT_CARD>.md"
    assert new.replaced == [] and new.status == "indexed"
    assert {d.sha256 for d in services.store.list_documents("finance")} == {old.sha256, new.sha256}
    with pytest.raises(DocumentError, match="matches 2 documents"):
        services.catalog.delete("finance", new.name)
    receipt = services.catalog.delete("finance", new.sha256[:12])
    assert (receipt.name, receipt.chunks) == ("<PERSON> <CREDIT_CARD>.md", new.chunks)
    assert services.catalog.delete("finance", old.sha256[:12]).chunks == old.chunks
    for handler in logger.handlers:
        handler.flush()
    log = services.log_path.read_text(encoding="utf-8")
    assert (
        f"ingest kept older versions domain=finance sha256={new.sha256[:12]}: name has a placeholder" in log
    )
    assert f"document deleted domain=finance sha256={new.sha256[:12]} chunks={new.chunks}" in log
    assert new.sha256 not in log  # prefixes only
    assert services.store.count("finance") == 0 and services.store.lexical.count("finance") == 0
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []


def test_a_delete_interrupted_between_the_two_indexes_is_finished_by_deleting_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The BM25 delete fails (injected) after Chroma's went through; the next delete of that sha256 removes
    the BM25 rows left behind."""
    doc = services.ingestion.ingest_bytes("finance", "handbook.md", OLD)

    def failing_delete(domain: str, ids: Any) -> int:
        raise StoreError("deleting from the BM25 index of 'finance' failed: disk I/O error")

    monkeypatch.setattr(services.store.lexical, "delete", failing_delete)
    with pytest.raises(StoreError, match="disk I/O error"):
        services.store.delete_document("finance", doc.sha256)
    monkeypatch.undo()
    assert services.store.count("finance") == 0
    assert len(services.store.lexical.document_ids("finance", doc.sha256)) == doc.chunks
    assert services.store.delete_document("finance", doc.sha256) == 0  # no chunk left in Chroma
    assert services.store.lexical.count("finance") == 0
