"""``GET /metrics`` on a real server (issue 19, part 4): the documented names and label sets, values that move
when requests run, and a canary: values planted in a question, an upload and a session id never appear."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Server
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES

#: The documented metrics (README, pipelines/core/metrics.py) and their label names.
DOCUMENTED = {
    "assistant_http_requests_total": {"endpoint", "method", "status"},
    "assistant_http_request_seconds": {"endpoint"},
    "assistant_generation_first_token_seconds": {"backend", "host"},
    "assistant_generation_seconds": {"backend", "host"},
    "assistant_output_tokens_total": {"backend"},
    "assistant_output_chars_total": {"backend"},
    "assistant_host_up": {"backend", "host"},
    "assistant_host_requests_in_flight": {"backend", "host"},
    "assistant_generation_queue_depth": set(),
    "assistant_documents_ingested_total": {"domain", "status"},
    "assistant_chunks_ingested_total": {"domain"},
    "assistant_masked_values_total": {"entity"},
    "assistant_risk_escalations_total": {"category"},
}
_SUFFIXES = ("_total", "_created", "_bucket", "_count", "_sum")


def _scrape(server: Server) -> str:
    response = httpx.get(f"{server.url}/metrics", timeout=30)  # no key: like /healthz
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted labels): value}`` of a scrape."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(
        value
        for (sample, found), value in _samples(text).items()
        if sample == name and set(labels.items()) <= set(found)
    )


def _family(sample: str) -> str:
    """The documented metric a sample belongs to (``assistant_x_created`` of counter ``assistant_x_total``)."""
    if sample in DOCUMENTED:
        return sample
    for suffix in _SUFFIXES:
        base = sample.removesuffix(suffix)
        for name in (base, f"{base}_total"):
            if sample.endswith(suffix) and name in DOCUMENTED:
                return name
    return sample


def test_metrics_need_no_key_and_carry_the_documented_names_and_labels(server: Server) -> None:
    with server.client(server.alice_key) as alice:
        assert alice.post("/api/route", json={"question": "What is the card fee?"}).status_code == 200
        asked = alice.post("/api/ask", json={"question": "What is the card fee?", "domain": "finance"})
        assert asked.status_code == 200, asked.text
    text = _scrape(server)
    families = {family.name for family in text_string_to_metric_families(text)}
    # counters are named without _total by the parser
    names = {f"{name}_total" if f"{name}_total" in DOCUMENTED else name for name in families}
    assert set(DOCUMENTED) - {"assistant_host_up", "assistant_host_requests_in_flight"} <= names
    assert all(name.startswith("assistant_") for name in names), names
    for (sample, labels), _ in _samples(text).items():
        family = _family(sample)
        assert family in DOCUMENTED, sample
        found = {key for key, _ in labels} - {"le"}
        assert found == DOCUMENTED[family], (sample, found)
    # the route template, never a raw path
    assert (
        _value(text, "assistant_http_requests_total", endpoint="/api/ask", method="POST", status="200") >= 1
    )


def test_values_move_after_a_chat_request_an_upload_and_a_de_identify(server: Server) -> None:
    before = _scrape(server)
    with server.client(server.alice_key) as alice:
        asked = alice.post(
            "/api/ask",
            json={
                "question": f"{CANARY_NAME} here: a caller from the bank told me to move my savings to a safe account",
                "domain": "finance",
            },
        )
        assert asked.status_code == 200, asked.text
        masked = alice.post("/api/deidentify", json={"text": f"Call {CANARY_NAME}", "domain": "finance"})
        assert masked.status_code == 200, masked.text
        assisted = alice.post("/api/assist", json={"message": "My card was charged twice, please refund."})
        assert assisted.status_code == 200, assisted.text
        erased = alice.delete(f"/api/sessions/{asked.json()['session_id']}")
        assert erased.status_code == 200, erased.text
    with server.client(server.admin_key) as admin:
        uploaded = admin.post(
            "/api/documents",
            data={"domain": "finance"},
            files={"file": ("fees.md", b"# Fees\n\nThe annual card fee is 25 pounds.\n")},
        )
        assert uploaded.status_code == 200, uploaded.text
    after = _scrape(server)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("assistant_http_requests_total", endpoint="/api/ask", status="200") == 1
    assert moved("assistant_http_requests_total", endpoint="/api/deidentify", status="200") == 1
    assert moved("assistant_http_requests_total", endpoint="/api/sessions/{session_id}", method="DELETE") == 1
    assert moved("assistant_http_request_seconds_count", endpoint="/api/documents") == 1
    # the chat turn and the agent-assist suggestion
    assert moved("assistant_generation_first_token_seconds_count", backend="llamacpp", host="local") == 2
    assert moved("assistant_generation_seconds_count", backend="llamacpp", host="local") == 2
    assert moved("assistant_output_chars_total", backend="llamacpp") > 0
    # the embedded model's sampled tokens: at least one per streamed piece of the answers
    assert moved("assistant_output_tokens_total", backend="llamacpp") >= 2
    assert (
        moved("assistant_masked_values_total", entity="PERSON") >= 2
    )  # the question's and /api/deidentify's
    assert moved("assistant_risk_escalations_total", category="scam") == 1
    assert moved("assistant_documents_ingested_total", domain="finance", status="indexed") == 1
    assert moved("assistant_chunks_ingested_total", domain="finance") >= 1
    assert _value(after, "assistant_generation_queue_depth") == 0  # every place given back


def test_no_planted_value_reaches_metrics(server: Server) -> None:
    session = f"Quartermaine-{CANARY_PHONE.replace('-', '')}"
    with server.client(server.alice_key) as alice:
        asked = alice.post(
            "/api/ask",
            json={
                "question": f"I am {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. Fees?",
                "session_id": session,
                "domain": "finance",
            },
        )
        assert asked.status_code == 200, asked.text
        alice.get(f"/api/sessions/{session}/{CANARY_NAME}")  # an unmatched raw path
        alice.delete(f"/api/sessions/{session}")
    with server.client(server.admin_key) as admin:
        text = f"# Contact\n\nCall {CANARY_NAME} on {CANARY_PHONE} about card {CANARY_CARD}.\n"
        uploaded = admin.post(
            "/api/documents",
            data={"domain": "finance"},
            files={"file": (f"{CANARY_NAME} {CANARY_PHONE}.md", text.encode())},
        )
        assert uploaded.status_code == 200, uploaded.text
    scraped = _scrape(server)
    planted = (*CANARY_VALUES, session, CANARY_PHONE.replace("-", ""), "Zelda", "alice")
    assert [value for value in planted if value.lower() in scraped.lower()] == []
