"""The log policy: every record is scanned by the real detector before it is written and gets the policy's
``logs`` operator: a salted hash (the same value, the same hash) or its type; structured lines stay as they
are. Includes the log canary."""

from __future__ import annotations

import json
import logging
import re
import stat
from pathlib import Path

import pytest

from pipelines.core.logs import PiiLogFilter, logger
from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from privacy import Deidentifier, PiiPolicy, salted_hash
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for


def _log_text(services: Services) -> str:
    for handler in logger.handlers:
        handler.flush()
    return services.log_path.read_text(encoding="utf-8")


def test_canary_log_file_has_no_raw_pii_and_a_value_hashes_the_same_in_every_record(
    services: Services,
) -> None:
    logger.info("user wrote %s", f"I am {CANARY_NAME}, call {CANARY_PHONE} or mail {CANARY_EMAIL}")
    logger.warning("again: %s, card %s", CANARY_NAME, CANARY_CARD)
    logging.getLogger("assistant.child").info("child logger: %s", CANARY_PHONE)
    try:
        raise ValueError(f"card {CANARY_CARD} of {CANARY_NAME} declined")
    except ValueError:
        logger.exception("failed for %s", CANARY_EMAIL)

    text = _log_text(services)
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []
    names = re.findall(r"<PERSON#[0-9a-f]{8}>", text)
    phones = re.findall(r"<PHONE_NUMBER#[0-9a-f]{8}>", text)
    cards = re.findall(r"<CREDIT_CARD#[0-9a-f]{8}>", text)
    assert len(names) == 3 and len(set(names)) == 1  # message, second record, traceback
    assert len(phones) == 2 and len(set(phones)) == 1
    assert len(cards) == 2 and len(set(cards)) == 1
    assert "ValueError: card <CREDIT_CARD#" in text


@pytest.mark.parametrize(
    ("message", "args"),
    [
        (
            "turn session=%s domain=%s confidence=%.3f pinned=%s sources=%d backend=%s model=%s entities=%s "
            "timings_ms=%s",
            (
                "3f9a1c2b4d5e6f708192a3b4c5d6e7f8",
                "finance",
                0.912,
                None,
                4,
                "llamacpp",
                "gemma-3-270m-q4_k_m.gguf",
                json.dumps({"PERSON": 1, "CREDIT_CARD": 1}),
                json.dumps({"deidentify": 35.2, "route": 12.1, "total": 2000.5}),
            ),
        ),
        ("ingest skip duplicate domain=%s sha256=%s", ("code", "0123456789ab")),
        ("session erased session=%s turns=%d vault_file=%s vault_values=%s", ("abc-123", 3, True, 2)),
    ],
)
def test_the_products_own_log_lines_pass_unchanged(services: Services, message: str, args: tuple) -> None:  # type: ignore[type-arg]
    services.llamacpp_backend()  # loaded: its model name is kept in log lines
    logger.info(message, *args)
    assert _log_text(services).rstrip().endswith(message % args)


@pytest.mark.parametrize("configured", [True, False])
def test_log_hashes_are_keyed_by_the_operator_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    """The secret comes from ``privacy.operator_secret``, else from the generated 0600 file; it stays put."""
    secret = "a-secret-salt-of-32-characters!!"
    if configured:
        monkeypatch.setenv("ASSISTANT_PRIVACY__OPERATOR_SECRET", secret)
    built = Services(
        load_settings(data_dir=tmp_path / "data"), Models.shared()
    )  # builds its own de-identifier
    logger.info("caller %s", CANARY_PHONE)
    path = tmp_path / "data" / "vault" / "operators.secret"
    if configured:
        key = secret.encode()
        assert not path.exists()
    else:
        key = bytes.fromhex(path.read_text())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _log_text(built).rstrip().endswith(f"caller {salted_hash('PHONE_NUMBER', CANARY_PHONE, key)}")


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("assistant", logging.INFO, __file__, 1, message, args, None)


def test_a_drop_operator_leaves_only_the_type(deidentifier: Deidentifier) -> None:
    policy = PiiPolicy.from_mapping(
        "test", {"operators": {"logs": "hash"}, "entities": {"PERSON": {}, "PHONE_NUMBER": {"logs": "drop"}}}
    )
    pii_filter = PiiLogFilter(lambda text: deidentifier.deidentify(text, policy, "logs").text)
    record = _record("%s on %s", CANARY_NAME, CANARY_PHONE)
    assert pii_filter.filter(record)
    assert re.fullmatch(r"<PERSON#[0-9a-f]{8}> on <PHONE_NUMBER>", record.getMessage())


def test_a_record_that_cannot_be_scanned_is_withheld_not_written_raw() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("detector down")

    record = _record("user %s", CANARY_NAME)
    assert PiiLogFilter(broken).filter(record)
    assert record.getMessage() == "<log record withheld: PII scan failed (RuntimeError)>"


def test_a_line_of_program_values_scans_its_template_once_and_text_arguments_in_context(
    deidentifier: Deidentifier,
) -> None:
    """Numbers and LogSafe values skip the scan (the template is scanned once); a plain text argument makes the
    whole formatted line be scanned, so "call %s" still gives the phone number its context."""
    from pipelines.core.logs import LogSafe

    policy = PiiPolicy.from_mapping(
        "test", {"operators": {"logs": "hash"}, "entities": {"PERSON": {}, "PHONE_NUMBER": {}}}
    )
    scanned: list[str] = []

    def scrub(text: str) -> str:
        scanned.append(text)
        return deidentifier.deidentify(text, policy, "logs").text

    pii_filter = PiiLogFilter(scrub)
    template = "ingest domain=%s sha256=%s chunks=%d risk=%.2f redactions=%s"
    for sha in ("0123456789ab", "ba9876543210"):
        record = _record(template, LogSafe("finance"), LogSafe(sha), 3, 0.5, LogSafe('{"PERSON": 1}'))
        assert pii_filter.filter(record)
        assert record.getMessage() == template % ("finance", sha, 3, 0.5, '{"PERSON": 1}')
    assert scanned == [
        "ingest domain=0 sha256=0 chunks=0 risk=0 redactions=0"
    ]  # the template once, no argument
    record = _record("call %s or %s", CANARY_PHONE, LogSafe("later"))
    assert pii_filter.filter(record)
    assert CANARY_PHONE not in record.getMessage() and "<PHONE_NUMBER#" in record.getMessage()
    assert scanned[-1] == f"call {CANARY_PHONE} or later"  # scanned whole, in context
    record = _record("user %s", CANARY_NAME)  # a plain str is never trusted
    assert pii_filter.filter(record) and CANARY_NAME not in record.getMessage()
    record = _record(f"{CANARY_NAME} sent %d files", 3)  # text in the template itself: scanned whole
    assert pii_filter.filter(record) and CANARY_NAME not in record.getMessage()
    assert record.getMessage().endswith(" sent 3 files")
