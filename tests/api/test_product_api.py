"""The product's own endpoints, keys and isolation, against a real uvicorn server."""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from tests.api.conftest import Server, start
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, scan_tree_for


def test_health_needs_no_key_and_readiness_checks_the_stores(server: Server) -> None:
    with server.client(None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert set(ready.json()["checks"]) == {"analyzer", "vector_store", "memory", "accounts"}


def test_missing_wrong_revoked_and_expired_keys_are_401(server: Server) -> None:
    accounts = server.services.accounts
    revoked = accounts.create_key("bob", "bob-revoked").key
    accounts.revoke("bob-revoked")
    expired = accounts.create_key("bob", "bob-expired", expires_days=1).key
    from sqlalchemy import text

    with accounts._engine.begin() as db:  # noqa: SLF001 - age the key instead of waiting a day
        db.execute(
            text("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00+00:00' WHERE name = 'bob-expired'")
        )
    cases = {
        None: "missing API key",
        "not-a-key": "invalid API key",
        "ak_00000000_" + "A" * 43: "invalid API key",
        revoked: "revoked",
        expired: "expired",
    }
    for key, message in cases.items():
        with server.client(key) as client:
            response = client.post("/api/route", json={"question": "hello"})
        assert response.status_code == 401, key
        assert message in response.json()["error"]["message"]
        assert response.headers["www-authenticate"] == "Bearer"
        if key:
            assert key not in response.text


def test_keys_are_stored_only_as_keyed_hashes(server: Server) -> None:
    data_dir = server.services.settings.data_dir
    leaked = scan_tree_for(data_dir, (server.alice_key, server.bob_key, server.carol_key))
    assert leaked == []
    secret_part = server.alice_key.split("_", 2)[2]
    assert scan_tree_for(data_dir, (secret_part,)) == []


def test_route_and_deidentify_return_the_cli_json(server: Server) -> None:
    with server.client(server.alice_key) as client:
        routed = client.post(
            "/api/route", json={"question": f"I am {CANARY_NAME}; my card was declined"}
        ).json()
        masked = client.post(
            "/api/deidentify", json={"text": f"Call {CANARY_NAME} on {CANARY_PHONE}", "domain": "finance"}
        ).json()
    assert routed["domain"] == "finance" and CANARY_NAME not in routed["question"]
    assert CANARY_NAME not in masked["text"] and CANARY_PHONE not in masked["text"]
    assert {e["type"] for e in masked["entities"]} >= {"PERSON", "PHONE_NUMBER"}


def test_an_unsure_question_is_null_on_route_and_a_clear_400_on_ask_and_v1(
    tmp_path: Path, models: Models
) -> None:
    # a role with one domain is pinned to it: the single-user server (no sign-in) routes every question
    question = f"I am {CANARY_NAME}. What is a good recipe for banana bread?"
    settings = load_settings(data_dir=tmp_path / "data")
    settings.ingest.index_samples_on_start = False
    settings.llm.backend = "llamacpp"
    running, thread, url = start(Services(settings, models), local_auth=False)
    try:
        with httpx.Client(base_url=url, timeout=300) as client:
            routed = client.post("/api/route", json={"question": question}).json()
            asked = client.post("/api/ask", json={"question": question})
            completion = client.post(
                "/v1/chat/completions",
                json={"model": "assistant", "messages": [{"role": "user", "content": question}]},
            )
    finally:
        running.should_exit = True
        thread.join(timeout=30)
    assert routed["domain"] is None and routed["best"] in routed["scores"]
    assert routed["out_of_domain"] > max(routed["scores"].values())
    for response in (asked, completion):
        assert response.status_code == 400, response.text
        assert "not sure which domain" in response.text and CANARY_NAME not in response.text
    assert "the model assistant-<domain> under /v1" in completion.json()["error"]["message"]


def _without_random_ids(text: str) -> str:
    """``text`` without the random hex ids a response carries (session and completion ids): about one id in
    200 holds "6467", the canary card's last four, by chance (a CI run failed on bob's new session id
    "u22764e7a4c36467e…", not on a leak)."""
    return re.sub(r"[0-9a-f]{16,}", "<id>", text)


def test_one_user_never_sees_anothers_session(server: Server) -> None:
    alice, bob = server.client(server.alice_key), server.client(server.bob_key)
    asked = alice.post(
        "/api/ask",
        json={
            "question": f"I am {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. Fees?",
            "session_id": "a-private",
        },
    )
    assert asked.status_code == 200, asked.text
    private = asked.json()["session_id"]  # alice's own session for the id she chose
    # bob can neither list, continue nor erase it, and cannot tell it exists: the id he sends names his own
    # session (a new one, the same answer whether or not anyone uses that id), and erasing it is 404
    assert private not in [s["session_id"] for s in bob.get("/api/sessions").json()["sessions"]]
    for chosen in ("a-private", private):
        continued = bob.post(
            "/api/ask", json={"question": "What did I say my name was?", "session_id": chosen}
        )
        assert continued.status_code == 200, continued.text
        assert continued.json()["session_id"] not in (chosen, private)
        shown = _without_random_ids(continued.text)
        assert CANARY_NAME not in shown and "6467" not in shown
        streamed = bob.post(
            "/v1/chat/completions",
            json={"model": "assistant", "messages": [{"role": "user", "content": "my card?"}]},
            headers={"X-Session-Id": chosen},
        )
        assert streamed.status_code == 200 and "6467" not in _without_random_ids(streamed.text)
    for target in ("never-was", "b-unused"):
        erased = bob.delete(f"/api/sessions/{target}")
        assert erased.status_code == 404 and erased.json()["error"]["message"] == "no such session"
    own = bob.delete(f"/api/sessions/{private}").json()  # names bob's own session for that id, not alice's
    assert own["session_id"] != private
    assert len(server.services.memory.turns(private)) == 1
    # alice continues it with the id she chose, lists it and erases it, with a receipt
    again = alice.post("/api/ask", json={"question": "And the fees?", "session_id": "a-private"})
    assert again.json()["session_id"] == private
    assert private in [s["session_id"] for s in alice.get("/api/sessions").json()["sessions"]]
    receipt = alice.delete("/api/sessions/a-private").json()
    assert receipt["session_id"] == private and receipt["turns"] == 2
    alice.close()
    bob.close()


def test_a_role_is_kept_to_its_domains(server: Server) -> None:
    with server.client(server.carol_key) as carol:
        response = carol.post("/api/ask", json={"question": "What is a fee?", "domain": "finance"})
        assert response.status_code == 403
        assert response.json()["error"] == {
            "status": 403,
            "type": "permission_error",
            "message": "the role 'clinician' may not use the domain 'finance'",
        }
        routed = carol.post("/api/ask", json={"question": "What causes asthma?"}).json()
    assert routed["domain"] == "medical"  # the clinician's only domain


def test_concurrent_sessions_never_cross_and_overload_is_429(server: Server) -> None:
    """8 sessions at once, each with its own canary: every request answered or refused with 429 (no 500),
    every answered turn stored in its own session only."""
    names = [f"Canary{chr(65 + i)}ella Vondrakova{chr(65 + i)}" for i in range(8)]

    def one(index: int) -> tuple[int, str]:
        with server.client(server.alice_key) as client:
            response = client.post(
                "/api/ask",
                json={
                    "question": f"My name is {names[index]}. What is a fee?",
                    "session_id": f"conc-{index}",
                },
            )
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 429}, statuses
    for index, (status, text) in enumerate(results):
        if status != 200:
            continue
        turns = server.services.memory.turns(json.loads(text)["session_id"])
        assert len(turns) == 1
        for other, name in enumerate(names):
            assert name not in text or other == index
            assert name.split()[1] not in turns[0].question


def test_the_server_refuses_a_non_loopback_bind_without_auth(tmp_path: Path) -> None:
    from pipelines import AssistantError
    from pipelines.core.serving import check_bind

    check_bind("127.0.0.1", "none")
    check_bind("localhost", "none")
    check_bind("0.0.0.0", "local")
    for host in ("0.0.0.0", "::"):
        try:
            check_bind(host, "none")
        except AssistantError as exc:
            assert "ASSISTANT_AUTH__MODE=local" in str(exc)
        else:
            raise AssertionError(f"{host} was allowed without auth")


def test_serve_command_refuses_all_interfaces_without_auth(tmp_path: Path) -> None:
    import os

    from tests.cli_runner import ASSISTANT, BASE_ENV

    done = subprocess.run(
        [ASSISTANT, "--data-dir", str(tmp_path / "d"), "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env={**os.environ, **BASE_ENV},
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: refusing to listen on 0.0.0.0 without sign-in")
    assert "Traceback" not in done.stderr


def test_unexpected_errors_are_500_with_an_incident_id(server: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"boom {CANARY_NAME} /secret/path.py")

    monkeypatch.setattr(type(server.services.chat), "route", broken)
    with server.client(server.alice_key) as client:
        response = client.post("/api/route", json={"question": "hi"})
    assert response.status_code == 500
    message = response.json()["error"]["message"]
    assert message.startswith("internal error (incident ") and CANARY_NAME not in response.text
    assert "/secret/path.py" not in response.text and "Traceback" not in response.text
    assert isinstance(httpx, object)


def test_intent_and_risk_return_the_cli_objects_de_identified(server: Server) -> None:
    with server.client(server.alice_key) as client:
        intent = client.post(
            "/api/intent", json={"text": f"I am {CANARY_NAME}, my card has not arrived"}
        ).json()
        risk = client.post(
            "/api/risk",
            json={
                "text": f"{CANARY_NAME} here: a caller from the bank told me to move my savings to a safe account"
            },
        ).json()
    assert set(intent) == {"text", "intent", "confidence"} and CANARY_NAME not in intent["text"]
    # the learned layer may add a second category (the risk figures are in benchmarks/results/skills_heldout.md)
    assert CANARY_NAME not in risk["text"] and risk["escalate"] is True and "scam" in risk["categories"]


def test_erasing_a_user_erases_their_sessions_vaults_documents_and_keys(server: Server) -> None:
    from tests.cli_runner import run

    accounts = server.services.accounts
    accounts.add_user("dave", "agent", "dave has a long password")
    key = accounts.create_key("dave", "dave-key").key
    with server.client(key) as dave:
        asked = dave.post(
            "/api/ask", json={"question": f"I am {CANARY_NAME}, card {CANARY_CARD}", "session_id": "d-1"}
        )
    assert asked.status_code == 200, asked.text
    session = asked.json()["session_id"]
    assert server.services.vaults.exists(session)
    server.services.ingestion.ingest_bytes(
        "finance", "dave-notes.md", b"# Notes\n\nDave's memo.\n", owner="dave"
    )
    done = run("users", "erase", "dave", "--json", data_dir=server.services.settings.data_dir)
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert (
        receipt["user"] == "dave"
        and receipt["sessions"] == 1
        and receipt["turns"] == 1
        and receipt["keys"] == 1
        and receipt["documents"] == 1
    )
    assert receipt["vault_values"] >= 2
    assert not server.services.vaults.exists(session) and not server.services.memory.exists(session)
    with server.client(key) as dave:
        assert dave.get("/api/sessions").status_code == 401


def test_malformed_input_is_a_clear_error_never_a_500(server: Server) -> None:
    """Found by a newcomer's trial: a lone surrogate was a 500 with a logged traceback; a chunked body passed
    the size limit; a malformed session id was echoed back."""
    with server.client(server.alice_key) as client:
        for path, body in (  # JSON escapes: a client library cannot encode the character itself
            ("/api/ask", b'{"question": "\\ud800 hi"}'),
            (
                "/v1/chat/completions",
                b'{"model": "assistant", "messages": [{"role": "user", "content": "\\ud800"}]}',
            ),
            ("/api/route", b'{"question": "\\udfff"}'),
        ):
            response = client.post(path, content=body, headers={"content-type": "application/json"})
            assert response.status_code in (400, 422), (
                path,
                response.text,
            )  # 422: the JSON parser refused it
            assert "surrogate" in response.text or "unicode" in response.text
        bad_id = client.post(
            "/api/ask", json={"question": "hi", "session_id": f"{CANARY_NAME} 4539148803436467"}
        )
        assert bad_id.status_code == 400 and CANARY_NAME not in bad_id.text and "4539" not in bad_id.text

        def chunks():  # type: ignore[no-untyped-def]
            yield b'{"question": "'
            for _ in range(40):
                yield b"a" * 2**16
            yield b'"}'

        chunked = client.post("/api/route", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413
