"""Deleting an indexed document on the Documents page (Streamlit's AppTest, real services): a confirmation
step, then the erasure receipt; and an upload of a changed file says it replaced the earlier version."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
FEES = b"# Fees\n\nThe foreign transaction fee is 2.75%.\n"
SAVINGS = b"# Savings\n\nThe easy-access saver pays 3.1% a year.\n"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _services():  # type: ignore[no-untyped-def]
    from pipelines import load_settings
    from pipelines.services import Models, Services

    return Services(load_settings(), Models.shared())


def _documents_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "documents.py"), default_timeout=600)
    at.run()
    at.selectbox[0].set_value("finance").run()
    assert not at.exception, at.exception
    return at


def test_delete_asks_for_confirmation_then_removes_the_document_and_shows_the_receipt(app_env: Path) -> None:

    services = _services()
    fees = services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    services.ingestion.ingest_bytes("finance", "savings.md", SAVINGS)
    at = _documents_page()
    assert sorted(at.dataframe[0].value["name"]) == ["fees.md", "savings.md"]

    at.button(key=f"delete-{fees.sha256}").click().run()
    assert not at.exception, at.exception
    title = services.domains["finance"].title
    assert [w.value for w in at.warning] == [f"Delete fees.md (1 chunk) from {title}?"]
    assert services.store.has_document("finance", fees.sha256)  # nothing deleted before the confirmation

    at.button(key=f"cancel-delete-{fees.sha256}").click().run()
    assert not at.warning and services.store.has_document("finance", fees.sha256)

    at.button(key=f"delete-{fees.sha256}").click().run()
    at.button(key=f"confirm-delete-{fees.sha256}").click().run()
    assert not at.exception, at.exception
    (receipt,) = [s.value for s in at.success]
    assert receipt.startswith(f"deleted fees.md (sha256 {fees.sha256[:12]}) from finance at ")
    assert receipt.endswith(": 1 chunk with their vectors and metadata")
    assert list(at.dataframe[0].value["name"]) == ["savings.md"]
    assert not services.store.has_document("finance", fees.sha256)


def test_a_failed_delete_shows_an_error_not_a_traceback(app_env: Path) -> None:

    services = _services()
    fees = services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    at = _documents_page()
    at.button(key=f"delete-{fees.sha256}").click().run()
    services.store.delete_document("finance", fees.sha256)  # gone meanwhile (another tab, the CLI)
    at.button(key=f"confirm-delete-{fees.sha256}").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [f"no document {fees.sha256!r} is indexed in 'finance'"]
    assert not at.success


def test_uploading_a_changed_file_says_it_replaced_the_earlier_version(app_env: Path) -> None:

    services = _services()
    old = services.ingestion.ingest_bytes(
        "finance", "fees.md", b"# Fees\n\nThe fee is 2.75% and 3% abroad.\n"
    )
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.sidebar.selectbox(key="upload_domain").set_value("finance")
    at.sidebar.file_uploader[0].set_value([("fees.md", FEES, "text/markdown")]).run()
    at.sidebar.button[1].click().run()  # [0] is "New chat"
    assert not at.exception, at.exception
    assert [s.value for s in at.sidebar.success] == [
        "fees.md: updated, 1 chunk added; the earlier version (1 chunk) was removed"
    ]
    (doc,) = services.store.list_documents("finance")
    assert doc.sha256 != old.sha256 and old.chunks == 1
