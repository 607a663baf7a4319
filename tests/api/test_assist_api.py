"""``POST /api/assist`` (agent assist streamed as NDJSON) and ``POST /api/feedback`` against a real uvicorn server
and the embedded llama.cpp model: the events, the role check, and canaries that never reach the model, a log
line or a store raw."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Server
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for

#: A second person, named only in a feedback comment.
COMMENT_NAME = "Mirabel Okonkwo-Tate"
COMMENT_PHONE = "415-555-0199"


class _Raw(logging.Handler):
    """Keeps every record's message as the code logged it (before the file handler's PII filter rewrites it)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def raw_log() -> Iterator[_Raw]:
    """The raw messages of the ``assistant`` logger (first handler, so it sees them unscrubbed) and of the API's
    own loggers while the test runs."""
    handler = _Raw()
    assistant = logging.getLogger("assistant")
    api = logging.getLogger("api")
    assistant.handlers.insert(0, handler)
    api.addHandler(handler)
    try:
        yield handler
    finally:
        assistant.removeHandler(handler)
        api.removeHandler(handler)


def _events(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _assist(server: Server, key: str, body: dict[str, Any]) -> Any:
    with server.client(key) as client:
        return client.post("/api/assist", json=body)


def test_assist_streams_the_analysis_and_the_draft_without_the_customers_values(
    server: Server, raw_log: _Raw
) -> None:
    message = f"Hi, I am {CANARY_NAME}, phone {CANARY_PHONE}. My card {CANARY_CARD} was charged twice, please refund."
    response = _assist(server, server.alice_key, {"message": message, "session_id": "assist-1"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = _events(response)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and set(kinds) <= {"meta", "answer", "done"}
    meta, done = events[0]["data"], events[-1]["data"]
    assert meta["domain"] == "finance" and meta["session_id"] == done["session_id"]
    assert meta["masked"].get("PERSON") == 1 and meta["masked"].get("CREDIT_CARD") == 1
    assert "<PERSON_1>" in meta["message"] and meta["draft"] == ""
    assert {"intent", "risk", "escalation_advice", "sources", "required_wording"} <= set(meta)
    assert set(done) >= set(meta) | {"draft_display", "wording_added", "timings_ms"}
    streamed = "".join(e["text"] for e in events if e["event"] == "answer")
    assert bool(streamed.strip()) == bool(
        done["draft_display"].strip()
    )  # the agent's screen, as it is written
    # everything but the display draft is de-identified; the display draft masks the card (•••• 6467)
    for value in CANARY_VALUES:
        assert value not in json.dumps({k: v for k, v in done.items() if k != "draft_display"}), value
        assert value not in json.dumps(meta), value
    assert (
        CANARY_CARD not in done["draft_display"] and CANARY_CARD.replace(" ", "") not in done["draft_display"]
    )
    prompt = server.services.llamacpp_backend().chat_model.last_prompt  # type: ignore[attr-defined]
    assert "<PERSON_1>" in prompt and not any(value in prompt for value in CANARY_VALUES)
    assert raw_log.lines and not [line for line in raw_log.lines if any(v in line for v in CANARY_VALUES)]
    assert scan_tree_for(server.services.settings.data_dir, CANARY_VALUES) == []
    # the analysis's session (a vault, no turns) is alice's: listed for her, not for bob
    with server.client(server.alice_key) as alice, server.client(server.bob_key) as bob:
        assert done["session_id"] in [s["session_id"] for s in alice.get("/api/sessions").json()["sessions"]]
        assert done["session_id"] not in [
            s["session_id"] for s in bob.get("/api/sessions").json()["sessions"]
        ]
    again = _events(
        _assist(server, server.alice_key, {"message": f"{CANARY_NAME} again", "session_id": "assist-1"})
    )
    assert (
        again[0]["data"]["session_id"] == done["session_id"] and "<PERSON_1>" in again[0]["data"]["message"]
    )


@pytest.mark.parametrize("who", ["carol", "admin"])
def test_assist_is_only_for_roles_that_may_use_its_domain(server: Server, who: str) -> None:
    response = _assist(server, getattr(server, f"{who}_key"), {"message": "my card was declined"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["status"] == 403 and error["type"] == "permission_error" and "'finance'" in error["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "   "}, "empty"),
        ({"message": "x" * 20_001}, "at most 20,000"),
        ({"message": "card declined", "backend": "gpt"}, "unknown backend; use auto"),
        ({"message": "card declined", "session_id": f"{CANARY_NAME}!"}, "invalid session id"),
    ],
)
def test_assist_refuses_bad_input_with_400_before_streaming(
    server: Server, body: dict[str, Any], message: str
) -> None:
    response = _assist(server, server.alice_key, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]["message"] and CANARY_NAME not in response.text


def test_feedback_rates_a_turn_with_the_comment_de_identified(server: Server, raw_log: _Raw) -> None:
    with server.client(server.alice_key) as alice:
        asked = alice.post(
            "/api/ask",
            json={"question": f"I am {CANARY_NAME}, card {CANARY_CARD}. Fees?", "session_id": "fb-1"},
        )
        assert asked.status_code == 200, asked.text
        session = asked.json()["session_id"]
        comment = f"Wrong for {CANARY_NAME}; her sister {COMMENT_NAME} ({COMMENT_PHONE}) got the same answer."
        rated = alice.post(
            "/api/feedback", json={"session_id": "fb-1", "turn": 0, "rating": "down", "comment": comment}
        )
        assert rated.status_code == 200, rated.text
        up = alice.post("/api/feedback", json={"session_id": session, "turn": 0, "rating": "up"})
        assert up.status_code == 200, up.text
        missing_turn = alice.post("/api/feedback", json={"session_id": "fb-1", "turn": 5, "rating": "up"})
        unknown = alice.post("/api/feedback", json={"session_id": "never-asked", "turn": 0, "rating": "up"})
        bad_rating = alice.post("/api/feedback", json={"session_id": "fb-1", "turn": 0, "rating": "meh"})
        too_long = alice.post(
            "/api/feedback", json={"session_id": "fb-1", "turn": 0, "rating": "up", "comment": "x" * 4_001}
        )
    body = rated.json()
    assert body["session_id"] == session and body["turn"] == 0 and body["rating"] == "down"
    stored_comment = body["comment"]
    assert "<PERSON_1>" in stored_comment  # the conversation's own placeholder for the customer
    assert COMMENT_NAME not in stored_comment and COMMENT_PHONE not in stored_comment
    assert missing_turn.status_code == 404 and missing_turn.json()["error"]["message"] == "no such turn"
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == "no such session"
    assert bad_rating.status_code == 422 and "rating" in bad_rating.json()["error"]["message"]
    assert too_long.status_code == 400 and "at most 4,000" in too_long.json()["error"]["message"]
    ratings = server.services.memory.ratings(session)  # the later rating of the same turn replaced the first
    assert [(r.position, r.rating, r.comment) for r in ratings] == [(0, "up", "")]
    canaries = (*CANARY_VALUES, COMMENT_NAME, COMMENT_PHONE, "Okonkwo")
    assert not [line for line in raw_log.lines if any(v in line for v in canaries)]
    assert scan_tree_for(server.services.settings.data_dir, canaries) == []
    # bob can rate none of it, by alice's name for the session or by its id, and learns nothing
    with server.client(server.bob_key) as bob:
        for chosen in ("fb-1", session):
            refused = bob.post("/api/feedback", json={"session_id": chosen, "turn": 0, "rating": "down"})
            assert refused.status_code == 404 and refused.json()["error"]["message"] == "no such session"
    assert [r.rating for r in server.services.memory.ratings(session)] == ["up"]


class _StopsMidway:
    """A chat model that writes a little, then fails (a model server that went away)."""

    def stream(self, messages: Any) -> Iterator[Any]:
        from langchain_core.messages import AIMessageChunk

        yield AIMessageChunk(content="Thank you for")
        raise ConnectionError(f"lost {CANARY_NAME}")


def test_a_failure_after_the_start_is_an_error_line_and_frees_the_queue(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.llm.backends import Backend

    broken = Backend("llamacpp", "broken", _StopsMidway())  # type: ignore[arg-type]
    monkeypatch.setattr(server.services.assist, "backends", lambda requested: broken)
    for _ in range(server.services.settings.api.generation_queue + 2):  # more than the gate holds at once
        response = _assist(server, server.alice_key, {"message": f"I am {CANARY_NAME}; card blocked"})
        assert response.status_code == 200
        events = _events(response)
        assert [e["event"] for e in events][0] == "meta" and events[-1]["event"] == "error"
        assert events[-1]["error"] == {
            "status": 503,
            "type": "service_unavailable",
            "message": "llamacpp failed while generating: ConnectionError",
        }
        assert CANARY_NAME not in response.text
