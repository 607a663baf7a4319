"""Issue 21: the newcomer's whole path in a real browser (Streamlit server + headless Debian Chromium driven by
Playwright, like tests/app/test_browser.py): open the app, ask, read the sources, upload a document, ask about
it, switch to an old conversation, start a new chat, ask again; the last question must land in a new
conversation (the picker and the stored sessions say so), with nothing of it in the old conversation's vault.

Marked slow and skipped without Debian chromium, like the other browser tests; it takes minutes (the embedded
model on CPU).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.services import Services
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, FEES, _serve
from tests.app.test_browser import pytestmark as browser_marks
from tests.conftest import CANARY_CARD, CANARY_NAME

pytestmark = browser_marks
OLD_NAME = "Ottoline Brackenbury"
SAVER = b"# Savings\n\nThe Harbour Saver account pays 4.1% interest a year, paid monthly.\n"
WAIT = 300_000  # ms: an answer of the embedded model on a busy CPU


@pytest.fixture
def walk_url(services: Services, tmp_path: Path) -> Iterator[str]:
    """The app (auth mode none) over a fresh data dir with one finance document and one old conversation."""
    services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    vault = services.vaults.open("old")
    question = services.deidentification.pseudonymize(f"I am {OLD_NAME}. Is there a card fee?", vault).text
    services.vaults.save(vault)
    services.memory.add_turn("old", question, "There is no card fee.", "finance", 0.9, [], "llamacpp", "m")
    yield from _serve(services, tmp_path)


def test_a_newcomer_walks_the_app_and_a_new_chat_gets_a_new_conversation(
    walk_url: str, services: Services, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    def settle(page: Page) -> None:
        """Wait until the script run has finished (no "Stop" / running indicator)."""
        time.sleep(0.5)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT
        )

    def answered(page: Page, count: int) -> None:
        """Wait until ``count`` answers have their sources and the page is idle."""
        expect(page.get_by_text("Sources (", exact=False).nth(count - 1)).to_be_visible(timeout=WAIT)
        settle(page)

    sidebar_upload = tmp_path / "harbour.md"
    sidebar_upload.write_bytes(SAVER)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.goto(walk_url)
            picker = page.get_by_role(
                "combobox", name="Session"
            )  # its value is the shown conversation's label
            box = page.get_by_placeholder("Ask about your documents…")
            box.wait_for(timeout=WAIT)
            settle(page)
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Chat" in nav and "main" not in nav, nav  # the chat page by its name, no page files listed
            assert page.get_by_role("button", name="Deploy").count() == 0
            assert (
                page.get_by_text("Backend: ", exact=False).count() == 1
            )  # backend status once, in the sidebar

            # ask, then read the sources
            box.fill("What is the foreign transaction fee?")
            box.press("Enter")
            answered(page, 1)
            expect(picker).to_have_value(
                re.compile(r"^What is the foreign transaction fee\?")
            )  # its title at once
            expect(page.get_by_role("button", name="Delete conversation")).to_be_visible()
            page.get_by_text("Sources (", exact=False).first.click()
            expect(page.get_by_text("2.75% of the amount", exact=False).first).to_be_visible()

            # upload a document into the domain the question was routed to, then ask about it
            sidebar = page.locator('[data-testid="stSidebar"]')
            upload_domain = page.get_by_role("combobox", name="Into domain").input_value()
            assert upload_domain == "Bank customer service", upload_domain  # the routed domain, by its title
            sidebar.locator('input[type="file"]').set_input_files(str(sidebar_upload))
            sidebar.get_by_role("button", name="Ingest").click()
            expect(sidebar.get_by_text("harbour.md: 1 chunk added")).to_be_visible(timeout=WAIT)
            settle(page)
            box.fill("What interest does the Harbour Saver account pay?")
            box.press("Enter")
            answered(page, 2)
            page.get_by_text("Sources (", exact=False).nth(1).click()
            expect(page.get_by_text("harbour.md", exact=False).first).to_be_visible()
            first = services.conversations.sessions()[0]
            assert first.id != "old" and first.turns == 2

            # switch to the old conversation
            page.get_by_label("Session").click()
            page.get_by_role("option", name=OLD_NAME, exact=False).click()
            expect(page.get_by_text(f"I am {OLD_NAME}. Is there a card fee?").first).to_be_visible(
                timeout=WAIT
            )
            settle(page)
            expect(picker).to_have_value(re.compile(OLD_NAME))

            # a new chat: an empty conversation, and the next question goes into it
            page.get_by_role("button", name="New chat").click()
            expect(picker).to_have_value("(new chat)", timeout=WAIT)
            expect(page.get_by_text("There is no card fee.")).to_have_count(
                0, timeout=WAIT
            )  # old transcript gone
            settle(page)
            box.fill(f"I am {CANARY_NAME}, card {CANARY_CARD}. Is there a fee for paying abroad?")
            box.press("Enter")
            answered(page, 1)
            expect(picker).to_have_value(re.compile(f"^I am {CANARY_NAME}"), timeout=WAIT)
            expect(page.get_by_role("button", name="Delete conversation")).to_be_visible()
            page.screenshot(path=str(tmp_path / "walk.png"), full_page=True)
            assert "Traceback" not in page.content()
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)  # what the browser showed
            raise
        browser.close()

    sessions = {info.id: info for info in services.conversations.sessions()}
    assert len(sessions) == 3, sessions
    assert sessions["old"].turns == 1 and sessions[first.id].turns == 2
    (new,) = [info for sid, info in sessions.items() if sid not in ("old", first.id)]
    assert new.turns == 1 and "<PERSON_1>" in new.title and CANARY_NAME not in new.title
    old_values = " ".join(services.vaults.open("old").values.values())
    assert OLD_NAME in old_values and CANARY_NAME not in old_values and "Quartermaine" not in old_values
