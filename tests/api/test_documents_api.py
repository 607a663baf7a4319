"""Uploads through ``/api/documents``: the hostile corpus of issue 17 through the endpoint, limits, roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Server
from tests.conftest import CANARY_CARD, CANARY_NAME, scan_tree_for
from tests.hostile.corpus import build_corpus


def _upload(server: Server, key: str, name: str, data: bytes, domain: str = "finance"):  # type: ignore[no-untyped-def]
    with server.client(key) as client:
        return client.post("/api/documents", data={"domain": domain}, files={"file": (name, data)})


def test_an_upload_is_ingested_listed_and_deleted_with_a_receipt(server: Server) -> None:
    text = f"# Card fees\n\nCall {CANARY_NAME} about card {CANARY_CARD}. The annual card fee is 25 pounds.\n"
    response = _upload(server, server.admin_key, "fees.md", text.encode())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] and report["status"] == "indexed" and report["chunks"] >= 1
    with server.client(server.alice_key) as alice:
        listed = alice.get("/api/documents", params={"domain": "finance"}).json()["documents"]
        assert [d["name"] for d in listed] == ["fees.md"]
        assert alice.get("/api/documents", params={"domain": "medical"}).status_code == 403
        assert alice.delete("/api/documents/finance/fees.md").status_code == 403  # admins manage the base
    assert scan_tree_for(server.services.settings.data_dir, (CANARY_NAME, CANARY_CARD)) == []
    with server.client(server.admin_key) as admin:
        receipt = admin.delete("/api/documents/finance/fees.md").json()
    assert receipt["name"] == "fees.md" and receipt["chunks"] == report["chunks"]


def test_an_upload_over_the_limit_is_413_before_it_is_read_whole(server: Server) -> None:
    limit = int(server.services.settings.ingest.max_file_mb * 2**20)
    response = _upload(server, server.admin_key, "big.txt", b"a" * (limit + 1))
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("big.txt: the upload exceeds the")


def test_unknown_domain_and_missing_file_are_clear_errors(server: Server) -> None:
    assert _upload(server, server.admin_key, "a.md", b"# A\n\ntext\n", domain="nope").status_code == 400
    with server.client(server.admin_key) as admin:
        missing = admin.post("/api/documents", data={"domain": "finance"})
    assert missing.status_code == 422 and "file" in missing.json()["error"]["message"]


@pytest.mark.slow
def test_the_hostile_corpus_through_the_upload_endpoint(server: Server, tmp_path: Path) -> None:
    """Every regular file of the corpus (links, pipes and folders cannot be uploaded; the 1.4 MB line is the
    command line's case): ingested whole, or refused with 400/413 and one message naming the file, nothing
    indexed, and no planted value anywhere in the data dir."""
    cases = [
        c
        for c in build_corpus(tmp_path / "corpus")
        if len(c.paths) == 1
        and c.paths[0].is_file()
        and not c.paths[0].is_symlink()
        and c.name != "long_line.md"
    ]
    assert len(cases) >= 20
    failures = {}
    for case in cases:
        path = case.paths[0]
        response = _upload(server, server.admin_key, path.name, path.read_bytes(), case.domain)
        if case.expect == "ingest":
            if response.status_code != 200 or not response.json()["chunks"]:
                failures[case.name] = (response.status_code, response.text[:200])
        else:
            message = response.json()["error"]["message"] if response.status_code in (400, 413) else ""
            reason_ok = case.reason.lower() in message.lower() and path.name in message
            if response.status_code not in (400, 413) or not reason_ok or "Traceback" in response.text:
                failures[case.name] = (response.status_code, response.text[:200])
        leaked = scan_tree_for(server.services.settings.data_dir, case.secrets)
        if leaked:
            failures[case.name] = ("leaked", leaked)
    assert failures == {}


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(server: Server) -> None:
    limit = int(server.services.settings.ingest.max_file_mb * 2**20)
    response = _upload(server, server.admin_key, "huge.txt", b"a" * (limit + 200_000))
    assert response.status_code == 413 and "request body of" in response.json()["error"]["message"]
    with server.client(server.alice_key) as alice:
        big = alice.post(
            "/api/route",
            content=b"{" + b" " * (3 * 2**20) + b"}",
            headers={"content-type": "application/json"},
        )
    assert big.status_code == 413
