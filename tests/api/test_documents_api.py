"""Uploads through ``/api/documents``: the hostile corpus of issue 17 through the endpoint, limits, roles; private
documents (an isolation canary between two agents), shared ones, and upload jobs at ``/api/jobs``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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


#: A made-up product code that survives the finance index policy (checked: alice's own answer cites it). Not
#: right after "card": there the learned recognizer reads a code with digits as a reference number.
CANARY = "ZEBRAQUILL-7731"
MEMO = (
    f"# Premium pricing memo\n\nThe {CANARY} premium card has an annual fee of 3 pounds and no foreign fee.\n"
)
#: Asks for the memo without naming the canary: only retrieval could bring it into an answer.
QUESTION = "What is the annual fee of the premium card in the premium pricing memo?"


def _upload_as(server: Server, key: str, name: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    with server.client(key) as client:
        return client.post(
            "/api/documents", data={"domain": "finance", **fields}, files={"file": (name, data)}
        )


def _names(server: Server, key: str) -> dict[str, str]:
    with server.client(key) as client:
        listed = client.get("/api/documents", params={"domain": "finance"}).json()["documents"]
    return {d["name"]: d["visibility"] for d in listed}


def test_a_private_document_is_never_seen_by_another_user(server: Server) -> None:
    """Isolation canary: alice's private memo is listed, retrieved and deletable only for her; bob can list,
    pin, retrieve or delete none of it, and the canary never appears in anything he gets back."""
    uploaded = _upload_as(server, server.alice_key, "premium-memo.md", MEMO.encode(), visibility="private")
    assert uploaded.status_code == 200, uploaded.text
    report = uploaded.json()
    assert (report["visibility"], report["owner"], report["status"]) == ("private", "alice", "indexed")
    assert _names(server, server.alice_key)["premium-memo.md"] == "private"
    assert "premium-memo.md" not in _names(server, server.bob_key)
    with server.client(server.bob_key) as bob:
        answer = bob.post("/api/ask", json={"question": QUESTION, "domain": "finance"})
        assert answer.status_code == 200, answer.text
        assert CANARY not in answer.text
        assert all(s["source"] != "premium-memo.md" for s in answer.json()["sources"])
        pinned = bob.post("/api/ask", json={"question": QUESTION, "documents": [report["sha256"][:12]]})
        assert pinned.status_code == 400 and CANARY not in pinned.text  # unknown to him, like any other id
        assert bob.delete("/api/documents/finance/premium-memo.md").status_code == 404
        assert bob.delete(f"/api/documents/finance/{report['sha256'][:12]}").status_code == 404
        openai = bob.post(
            "/v1/chat/completions",
            json={"model": "assistant-finance", "messages": [{"role": "user", "content": QUESTION}]},
        )
        assert openai.status_code == 200 and CANARY not in openai.text
    with server.client(server.alice_key) as alice:
        mine = alice.post("/api/ask", json={"question": QUESTION, "domain": "finance"}).json()
        assert any(s["source"] == "premium-memo.md" and CANARY in s["text"] for s in mine["sources"])
        receipt = alice.delete("/api/documents/finance/premium-memo.md")
    assert receipt.status_code == 200 and receipt.json()["owner"] == "alice"
    assert "premium-memo.md" not in _names(server, server.alice_key)


def test_shared_documents_are_seen_by_both_and_only_admins_add_them(server: Server) -> None:
    shared = _upload_as(
        server, server.admin_key, "atm.md", b"# ATM fees\n\nCash withdrawals cost 1 pound abroad.\n"
    )
    assert shared.status_code == 200 and shared.json()["visibility"] == "shared"
    assert _names(server, server.alice_key)["atm.md"] == _names(server, server.bob_key)["atm.md"] == "shared"
    refused = _upload_as(server, server.alice_key, "mine.md", b"# Mine\n\ntext\n", visibility="shared")
    assert refused.status_code == 403 and "managed by admins" in refused.json()["error"]["message"]
    assert (
        _upload_as(server, server.carol_key, "x.md", b"# X\n\ntext\n", visibility="private").status_code
        == 403
    )
    bad = _upload_as(server, server.alice_key, "x.md", b"# X\n\ntext\n", visibility="public")
    assert bad.status_code == 422 and "visibility" in bad.json()["error"]["message"]
    with server.client(server.bob_key) as bob:
        assert bob.delete("/api/documents/finance/atm.md").status_code == 403  # visible, but admins manage it
    with server.client(server.admin_key) as admin:
        assert admin.delete("/api/documents/finance/atm.md").status_code == 200


def _poll(server: Server, key: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    with server.client(key) as client:
        while time.monotonic() < deadline:
            job = client.get(f"/api/jobs/{job_id}").json()
            assert 0.0 <= job["progress"] <= 1.0
            if job["status"] in ("done", "failed"):
                return job  # type: ignore[no-any-return]
            time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_an_upload_job_reports_progress_and_its_report_to_its_owner_only(server: Server) -> None:
    text = "# Savings\n\n" + "Interest on the easy saver is paid monthly at a variable rate. " * 400
    queued = _upload_as(
        server, server.alice_key, "savings.md", text.encode(), visibility="private", **{"async": "true"}
    )
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["job_id"]
    assert queued.json()["status"] == "queued" and queued.headers["location"] == f"/api/jobs/{job_id}"
    with server.client(server.bob_key) as bob:
        assert bob.get(f"/api/jobs/{job_id}").status_code == 404  # another user's job does not exist for him
    done = _poll(server, server.alice_key, job_id)
    assert done["status"] == "done" and done["progress"] == 1.0 and done["error"] is None
    assert done["report"]["status"] == "indexed" and done["report"]["owner"] == "alice"
    assert _names(server, server.alice_key)["savings.md"] == "private"
    with server.client(server.alice_key) as alice:
        assert alice.get("/api/jobs/0123456789abcdef").status_code == 404


def test_a_bad_file_in_a_job_fails_with_the_message_of_a_direct_upload(server: Server) -> None:
    queued = _upload_as(
        server, server.admin_key, "broken.pdf", b"%PDF-1.7 not really a pdf", **{"async": "true"}
    )
    assert queued.status_code == 202
    failed = _poll(server, server.admin_key, queued.json()["job_id"])
    direct = _upload_as(server, server.admin_key, "broken.pdf", b"%PDF-1.7 not really a pdf")
    assert failed["status"] == "failed" and failed["report"] is None
    assert direct.status_code == 400 and failed["error"] == direct.json()["error"]["message"]
    assert "broken.pdf" in failed["error"] and "Traceback" not in failed["error"]
