"""Privacy in the UI through Streamlit's AppTest (real services): the masked caption under a question, the policy
panel, and releasing or rejecting held documents on the Documents page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_VALUES

ROOT = Path(__file__).resolve().parents[2]
LETTER = f"Complaint\n\nContact {CANARY_NAME} at {CANARY_EMAIL}. The card {CANARY_CARD} was charged twice.\n"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "16")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    monkeypatch.setenv("ASSISTANT_INGEST__HOLD_RISK_THRESHOLD", "1.0")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _services():  # type: ignore[no-untyped-def]
    from pipelines import load_settings
    from pipelines.services import Models, Services

    return Services(load_settings(), Models.shared())


def _captions(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.caption]


def test_the_chat_shows_what_was_masked_under_the_question_and_keeps_it_on_rerun(app_env: Path) -> None:
    _services().ingestion.ingest_bytes(
        "finance", "fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75%.\n"
    )
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value(f"I am {CANARY_NAME}, card {CANARY_CARD}. What is the foreign fee?").run()
    assert not at.exception, at.exception
    expected = "Masked before the model saw it: 1 card number, 1 person"
    assert expected in _captions(at)
    assert not [v for v in CANARY_VALUES if any(v in c for c in _captions(at))]
    at.run()  # the stored turn is shown again on the next run
    assert expected in _captions(at)
    user = [m for m in at.chat_message if m.name == "user"]
    assert len(user) == 1 and expected in [str(c.value) for c in user[0].caption]


@pytest.mark.parametrize("domain", ["auto", "finance", "medical", "code"])
def test_the_privacy_panel_explains_the_active_policy(app_env: Path, domain: str) -> None:
    from app.privacy_view import OPERATOR_WORDS, SINK_WORDS
    from pipelines.chat.transparency import entity_label, policy_view
    from privacy import OPERATOR_MEANINGS, SINK_MEANINGS

    services = _services()
    policy = services.domains.routing_policy if domain == "auto" else services.domains.policy(domain)
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.sidebar.selectbox[1].set_value(domain).run()
    assert not at.exception, at.exception
    (panel,) = [e for e in at.sidebar.expander if e.label.startswith("🔒 Privacy policy")]
    title = "all domains, before routing" if domain == "auto" else services.domains[domain].title
    assert panel.label == f"🔒 Privacy policy: {title}"  # the domain's title, as everywhere else
    assert not panel.dataframe  # a wide table is cut off in the sidebar: grouped lines instead
    text = " ".join(str(m.value) for m in panel.markdown)
    rows = policy.describe()
    for row in rows:  # every type, under how each place treats it, in short words
        treatment = " · ".join(
            f"{SINK_WORDS[sink]} {OPERATOR_WORDS[str(row[sink])]}"
            for sink in ("prompt", "memory", "index", "logs", "display")
        )
        group = next(m for m in panel.markdown if treatment in str(m.value))
        assert entity_label(row["entity"]) in str(group.value), (row, group.value)
    used = {r[sink] for r in rows for sink in SINK_MEANINGS}
    assert all(OPERATOR_MEANINGS[op] in text for op in used)
    assert all(meaning in text for meaning in SINK_MEANINGS.values())
    assert policy_view(services.domains, domain).note in [str(c.value) for c in panel.caption]


@pytest.mark.parametrize(
    ("button", "indexed", "notice"), [("release", 1, "released"), ("reject", 0, "rejected")]
)
def test_a_held_document_is_released_or_rejected_on_the_documents_page(
    app_env: Path, button: str, indexed: int, notice: str
) -> None:
    held = _services().ingestion.ingest_bytes("finance", "letter.md", LETTER.encode())
    assert held.held
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "documents.py"), default_timeout=600)
    at.run()
    at.selectbox[0].set_value("finance").run()
    assert not at.exception, at.exception
    assert any(h.value == "Held for review (1)" for h in at.subheader)
    assert any(c.startswith("**letter.md** · held ") and "risk 5.00" in c for c in _captions(at))
    report_table = at.dataframe[0].value
    assert dict(zip(report_table["type"], report_table["count"], strict=True)) == held.report["entities"]
    at.button(key=f"{button}-{held.sha256}").click().run()
    assert not at.exception, at.exception
    assert not any(h.value.startswith("Held for review") for h in at.subheader)
    assert any(notice in str(s.value) for s in at.success)
    documents = at.dataframe[0].value
    assert len(documents) == indexed
    if indexed:
        assert list(documents["name"]) == ["letter.md"] and list(documents["risk"]) == [5.0]


def test_an_upload_shows_a_report_table_per_document_and_says_which_was_held(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.sidebar.selectbox(key="upload_domain").set_value("finance")
    at.sidebar.file_uploader[0].set_value(
        [
            ("letter.md", LETTER.encode(), "text/markdown"),
            ("fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75%.\n", "text/markdown"),
        ]
    ).run()
    at.sidebar.button[1].click().run()  # [0] is "New chat"
    assert not at.exception, at.exception
    assert [w.value for w in at.sidebar.warning] == [
        "letter.md: held for review, not indexed (risk above 1); release or reject it on the Documents page"
    ]
    assert [s.value for s in at.sidebar.success] == ["fees.md: 1 chunk added"]
    captions = [str(c.value) for c in at.sidebar.caption]
    (letter,) = [c for c in captions if c.startswith("**letter.md** · held · risk 5.00 · by ")]
    assert "CreditCardRecognizer 1" in letter and "EmailRecognizer 1" in letter
    assert any(c.startswith("**fees.md** · indexed · risk 0.00") for c in captions)
    assert "No personal data found." in captions
    (table,) = [d.value for d in at.sidebar.dataframe if "count" in d.value.columns]
    assert dict(zip(table["found"], table["count"], strict=True)) == {
        "card number": 1,
        "email address": 1,
        "person": 1,
    }
    assert not [v for v in CANARY_VALUES if any(v in c for c in captions)]
