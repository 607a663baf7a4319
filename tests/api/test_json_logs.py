"""JSON log lines with the request id (``logs.format: json``) on a real server, and the canary: values planted in
a question and an upload reach neither the log file nor ``/metrics``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipelines.core.logs import logger
from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from tests.api.conftest import start
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for


@pytest.fixture(scope="module")
def json_server(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Iterator[tuple[str, Services]]:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("json-logs") / "data")
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 16
    settings.ingest.index_samples_on_start = False
    settings.logs.format = "json"
    services = Services(settings, models)
    running, thread, url = start(services, local_auth=False)
    yield url, services
    running.should_exit = True
    thread.join(timeout=30)


def _lines(services: Services) -> list[dict[str, object]]:
    for handler in logger.handlers:
        handler.flush()
    text = services.log_path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_the_request_id_and_no_planted_value(json_server: tuple[str, Services]) -> None:
    url, services = json_server
    with httpx.Client(base_url=url, timeout=300) as client:
        asked = client.post(
            "/api/ask",
            json={"question": f"I am {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. Fees?"},
        )
        assert asked.status_code == 200, asked.text
        uploaded = client.post(
            "/api/documents",
            data={"domain": "finance"},
            files={
                "file": (f"{CANARY_NAME}.md", f"# Note\n\nCall {CANARY_NAME} on {CANARY_PHONE}.\n".encode())
            },
        )
        assert uploaded.status_code == 200, uploaded.text
        scraped = client.get("/metrics").text
    identifier = asked.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", identifier)
    assert uploaded.headers["x-request-id"] != identifier
    lines = _lines(services)  # every line is JSON
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    turns = [line for line in lines if str(line["message"]).startswith("turn ")]
    assert [line["request_id"] for line in turns] == [identifier]
    ingests = [line for line in lines if str(line["message"]).startswith("ingest ")]
    assert ingests and all(line["request_id"] == uploaded.headers["x-request-id"] for line in ingests)
    assert scan_tree_for(Path(services.settings.data_dir) / "logs", CANARY_VALUES) == []
    assert [value for value in CANARY_VALUES if value in scraped] == []
